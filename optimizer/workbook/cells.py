"""Parsing one cell: the typed value of a column from whatever the user typed, or ``Invalid``.

Numbers may be text such as ` 1,200 `, money `£1.2m`, fractions `12%`; yes/no and choices accept the
spellings the Guide lists. Messages say what was expected and what was found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from optimizer.workbook import schema
from optimizer.workbook.schema import Field, normalise
from optimizer.workbook.source import ExcelError, Uncalculated


class Invalid(Exception):
    """A cell value that cannot be used; the message says what was expected and what was found."""


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width, pasted from web pages


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.translate(_INVISIBLE).strip())


def clean_name(text: str) -> str:
    """Names match after trimming and collapsing inner spaces (non-breaking ones too)."""
    return " ".join(str(text).translate(_INVISIBLE).split())


def shown(value: Any) -> str:
    """A found value, as the user would recognise it (long text cut short)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        number = finite(value)
        if number is None:  # inf, nan, or an integer beyond any float
            return f"a {len(str(abs(value)))}-digit number" if isinstance(value, int) else str(value)
        return schema.format_number(number) if abs(number) < 1e15 else f"{number:.6g}"
    if isinstance(value, (datetime, date, time, timedelta)):
        return f"a date or time ({value})"
    return f"'{_cut(str(value).strip(), 80)}'"


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else f"{text[:length - 1]}…"


def finite(value: int | float) -> float | None:
    """The number as a float, or None when it is infinite, not a number or too big for a float."""
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return None
    return number if math.isfinite(number) else None


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f\u2009]\d{3})+(\.\d*)?")  # 1 200 000, as typed in Europe
_MULTIPLIERS = {"k": 1e3, "m": 1e6, "bn": 1e9}  # £250k, £1.2m, £3bn: how UK finance writes money
_MULTIPLIED = re.compile(r"(?P<number>.*?\d)\s*(?P<unit>k|m|bn)", re.IGNORECASE)


def to_number(value: Any, *, pounds: bool = False, percent: bool = False) -> float | None:
    """A number from a cell, accepting text like ` 1,200 `, `£1,200`, `£1.2m` and (for fractions) `12%`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return finite(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u2212", "-")  # the minus sign copied from web pages
    factor, divisor = 1.0, 1.0
    if percent and text.endswith("%"):
        text, divisor = text[:-1].strip(), 100.0
    if pounds:
        text = re.sub(r"^([+-]?)\s*£\s*", r"\1", text)
        multiplied = _MULTIPLIED.fullmatch(text)
        if multiplied:
            text, factor = multiplied["number"], _MULTIPLIERS[multiplied["unit"].lower()]
    if _GROUPED.fullmatch(text):  # thousands separators only; `1,5` stays ambiguous
        text = text.replace(",", "")
    elif _SPACE_GROUPED.fullmatch(text):
        text = re.sub(r"[ \u00a0\u202f\u2009]", "", text)
    if not _NUMBER.fullmatch(text):
        return None
    return finite(float(text) * factor / divisor)


def parse_cell(column: Field, value: Any) -> Any:
    """The typed value of one cell (the column's default when blank); raises Invalid."""
    label = column.message_label
    if column.kind == "any" or column.unread:
        return value  # typed later (a Settings value depends on the setting), or never used
    if isinstance(value, ExcelError):
        raise Invalid(f"{label} holds the Excel error {value.code} where {column.expectation} is expected; correct "
                      "the formula or type the value")
    if isinstance(value, Uncalculated):
        raise Invalid(f"{label} is the formula {value.formula} with no calculated value; open the workbook "
                      "in Excel and save it so the value is calculated, or type the value")
    if is_blank(value):
        if column.required:
            raise Invalid(f"{label} is required; found a blank cell")
        return column.default
    return _PARSERS[column.kind](column, value)


def _must_be(column: Field, value: Any) -> Invalid:
    return Invalid(f"{column.message_label} must be {column.expectation}; found {shown(value)}")


def _text(column: Field, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _must_be(column, value)
    return clean_name(shown(value).strip("'") if not isinstance(value, str) else value)


def _names(column: Field, value: Any) -> tuple[str, ...]:
    return tuple(clean_name(part) for part in _text(column, value).split(";") if part.strip())


def _ranged(column: Field, value: Any, number: float | None) -> float:
    if number is None or not column.in_range(number):
        raise _fraction_hint(column, value, number) or _must_be(column, value)
    if abs(number) > column.plausible_limit:
        raise Invalid(f"{column.message_label} is far too large to be right: expected {column.expectation}, at most "
                      f"{column.plausible_limit:,.0f} (check the units); found {shown(value)}")
    return number


def _fraction_hint(column: Field, value: Any, number: float | None) -> Invalid | None:
    """12 in a 0..1 column is almost surely 12 %: say so."""
    typed_as_percent = isinstance(value, str) and value.strip().endswith("%")
    if column.kind != "fraction" or column.maximum != 1 or number is None or not 1 < number <= 100 \
            or typed_as_percent:
        return None
    return Invalid(f"{column.message_label}: expected {column.expectation} ({shown(number)} % is "
                   f"{shown(round(number / 100, 10))}); found {shown(value)}")


def _money(column: Field, value: Any) -> float:
    return _ranged(column, value, to_number(value, pounds=True))


def _fraction(column: Field, value: Any) -> float:
    return _ranged(column, value, to_number(value, percent=True))


def _number(column: Field, value: Any) -> float:
    return _ranged(column, value, to_number(value))


def _integer(column: Field, value: Any) -> int:
    number = to_number(value)
    if number is None or not number.is_integer():
        raise _must_be(column, value)
    return int(_ranged(column, value, number))


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _yesno(column: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = shown(value) if isinstance(value, (int, float)) else str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _must_be(column, value)


def _choice(column: Field, value: Any) -> str:
    key = normalise(value) if isinstance(value, str) else None
    if key not in column.choices:
        raise _must_be(column, value)
    return key


_PARSERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text, "names": _names, "money": _money, "fraction": _fraction, "number": _number,
    "integer": _integer, "yesno": _yesno, "choice": _choice,
}
