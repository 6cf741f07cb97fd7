"""What an input file really is, and the limits a hostile one meets before any XML is parsed.

An ``.xlsx`` is a zip archive of XML parts. A file from outside the council may be crafted: a zip
bomb (a few kilobytes that inflate to gigabytes), an XML entity bomb ("billion laughs") or an
external-entity reference, or simply a CSV, an old ``.xls`` or an ``.ods`` under an ``.xlsx`` name.
Everything here reads only the zip directory and the raw bytes of the parts, so each refusal comes
before openpyxl parses anything, and each is one line saying what the file is and what to do.

The limits are named constants below, each with its reasoning. They are set against the largest
genuine input: all of England (about 320 councils x 12 service lines, with the savings curve and the
template's other sheets) is a 0.13 MB file of 1.1 MB of XML in 17 parts, the biggest part 1 MB
compressed 10:1, with about 25,000 cells and 2,600 rows on its longest sheet.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from optimizer.workbook.inputs import InputError, Problem

MiB = 1024 * 1024

# The file on disk. A zip cannot be much larger than what it holds, so this matches the next cap;
# it stops a multi-gigabyte file of any kind from being read into memory just to be identified.
MAX_FILE_BYTES = 200 * MiB

# The sum of the sizes the zip directory declares for its parts: about 180 times England's 1.1 MB.
# Python's zipfile never inflates a part beyond its declared size (and then fails its CRC check), so
# a directory that lies about sizes cannot smuggle more data past this cap.
MAX_UNCOMPRESSED_BYTES = 200 * MiB

# Inflated size / stored size of one part. Spreadsheet XML compresses about 3:1 to 20:1 (England's
# sheets: 2:1 to 10:1; sheets of identical empty formatted cells reach 100:1 or so); Deflate cannot
# exceed about 1032:1 and zip bombs sit right there. Apache POI refuses above 100:1 and its users
# sometimes trip on genuine files, hence the wider margin. Parts under RATIO_GRACE_BYTES are exempt:
# a small part of repeated text compresses absurdly well and cannot hurt.
MAX_COMPRESSION_RATIO = 250
RATIO_GRACE_BYTES = 1 * MiB

# Parts in the zip. A workbook has about 10 + 3 per sheet (17 for the template; a 50-sheet workbook
# with drawings and comments a few hundred). Tens of thousands of tiny parts is an attack on the
# zip reader itself.
MAX_PARTS = 2_000

# Cells and rows of the sheets that are read (others, e.g. notes, are never parsed). England needs
# about 25,000 cells and 2,600 rows: these leave 40 times that. They bound memory (every cell read is
# held) and time (about 4 microseconds a cell, read twice: values and formulas).
MAX_CELLS = 1_000_000
MAX_ROWS = 100_000

# Distinct texts in the shared-strings part, which openpyxl loads whole before any sheet. Each needs
# at least one cell, so a workbook within MAX_CELLS (plus modest notes sheets) stays far below this;
# without it, 150 MB of short varied texts would compress too poorly to trip the ratio cap yet take
# gigabytes once loaded.
MAX_SHARED_STRINGS = 2 * MAX_CELLS

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, .doc, and every encrypted Office file
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
SAVE_AS = "open it in Excel and save it as an Excel Workbook (.xlsx)"

# Images are never parsed, and an SVG image may carry a DTD legitimately: not scanned for DTDs.
# Everything else is, whatever its name, since the package's own index decides what is XML.
_UNPARSED_PART = re.compile(r"(^|/)media/", re.IGNORECASE)
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_SHARED_STRINGS = re.compile(r"sharedStrings[^/]*\.xml$", re.IGNORECASE)
_STRING_ITEMS = (b"<si>", b"<si ")
_PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_ROOT_PREFIX = re.compile(rb"<([A-Za-z_][\w.\-]*):worksheet\b")
_ROW_TAG = re.compile(_PREFIX + rb"row\b([^>]*)>")
_COL_TAG = re.compile(_PREFIX + rb"col\b([^>]*)>")
_MERGE_TAG = re.compile(_PREFIX + rb"mergeCell\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_LINK_TARGET = re.compile(rb"""Target\s*=\s*["']([^"']*)["']""")


class UnsafeXmlParser(RuntimeError):
    """openpyxl would parse workbooks without defusedxml: refuse to read any workbook."""


def ensure_safe_xml_parser() -> None:
    """Check that openpyxl parses with defusedxml, which refuses entity declarations.

    openpyxl uses defusedxml when it is installed, unless OPENPYXL_DEFUSEDXML is set to anything but
    "True"; it records the choice in ``openpyxl.DEFUSEDXML``. This is the inner defence (the DTD
    scan below is the outer one), so without it no workbook is read at all.
    """
    import openpyxl
    from openpyxl.xml import functions

    defused = openpyxl.DEFUSEDXML is True and functions.iterparse.__module__.startswith("defusedxml")
    if not defused:
        raise UnsafeXmlParser(
            "openpyxl is not using defusedxml, so a crafted workbook could exhaust memory or read local "
            "files; install it (pip install defusedxml) and unset OPENPYXL_DEFUSEDXML, then run again")


def file_problem(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), message)])


# ---------------------------------------------------------------------------------------------
# The bytes


def read_file(path: Path) -> bytes:
    """The file's bytes, or one clear problem when there is no usable file there."""
    if not path.exists():
        raise file_problem(path, "file not found; check the folder and file name")
    if path.is_dir():
        raise file_problem(path, "is a folder, not a workbook file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise file_problem(path, f"is {size / MiB:,.0f} MB, more than the {MAX_FILE_BYTES // MiB} MB an input "
                                     "workbook may be; remove unused sheets, images or rows")
        data = path.read_bytes()
    except OSError as exc:
        raise file_problem(path, f"cannot be read ({exc.strerror}); if it is open in another program, "
                                 "close it and try again") from None
    if not data:
        raise file_problem(path, "the file is empty; give an Excel workbook (.xlsx), "
                                 "e.g. one made with `consolidate template`")
    return data


def identify(path: Path, data: bytes) -> zipfile.ZipFile:
    """The open zip of an Excel workbook; anything else is refused with what it looks like."""
    if data.startswith(OLE_SIGNATURE):
        raise file_problem(path, _ole_kind(data))
    if not zipfile.is_zipfile(_bytes_io(data)):  # .xlsx files are zip archives; CSV, HTML, text are not
        kind = _text_kind(data)
        what = f"{kind}, not an Excel workbook (.xlsx)" if kind else \
            "is not an Excel workbook (.xlsx): it is not the zip archive every .xlsx file is"
        raise file_problem(path, f"{what}; {SAVE_AS}")
    try:
        archive = zipfile.ZipFile(_bytes_io(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise file_problem(path, f"is a damaged zip archive, not a readable Excel workbook ({exc}); "
                                 f"{SAVE_AS}") from None
    check_directory(path, archive)
    kind = _zip_kind(archive)
    if kind:
        raise file_problem(path, kind)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise file_problem(path, f"is an Excel workbook but its name has {shown}; rename it to end in .xlsx "
                                 "so that it is not mistaken for another kind of file")
    return archive


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _ole_kind(data: bytes) -> str:
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "is a password-protected workbook, which cannot be read; open it in Excel, remove the " \
               "password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it"
    return f"is an old-style Excel .xls file (Excel 97-2003), not an .xlsx workbook; {SAVE_AS}"


def _text_kind(data: bytes) -> str | None:
    head = data[:4096]
    text = _decode(head).lstrip("\ufeff \t\r\n").lower()
    if head.startswith(b"%PDF"):
        return "is a PDF document"
    if text.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in text:
        return "is an Excel 2003 XML spreadsheet"
    if text.startswith(("<!doctype html", "<html", "<table")) or "<html" in text[:512]:
        return "is a web page (HTML), as some systems export 'Excel' files"
    if _looks_like_csv(text):
        return "is a CSV text file"
    if text and all(ch.isprintable() or ch in "\t\r\n" for ch in text[:512]):
        return "is a text file"
    return None


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    return bool(lines) and any(all(sep in line for line in lines) for sep in (",", ";", "\t"))


def check_directory(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from its directory alone: nothing is inflated yet."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise _bomb(path, f"holds {len(infos):,} parts, more than the {MAX_PARTS:,} a workbook may have")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _bomb(path, f"would inflate to {declared / MiB:,.0f} MB, more than the "
                          f"{MAX_UNCOMPRESSED_BYTES // MiB} MB an input workbook may hold")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_GRACE_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise _bomb(path, f"has a part ('{info.filename}') compressed {ratio:,.0f} to 1, far beyond any "
                              f"spreadsheet (at most {MAX_COMPRESSION_RATIO} to 1)")
        if info.flag_bits & 0x1:
            raise file_problem(path, "is an encrypted zip archive, not a readable Excel workbook; "
                                     f"{SAVE_AS}, without a password")
    names = [info.filename for info in infos]
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise _bomb(path, f"holds two parts named '{twice}', which no spreadsheet program writes")


def _bomb(path: Path, what: str) -> InputError:
    return file_problem(path, f"{what}; it was not opened, as it may be crafted to exhaust memory. "
                              f"If it is genuine, {SAVE_AS} again, without unused sheets or images")


def _zip_kind(archive: zipfile.ZipFile) -> str | None:
    """What a zip that is not an Excel workbook is, and what to do; None for a workbook."""
    names = set(archive.namelist())
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:100]
        kind = "an OpenDocument spreadsheet (.ods, e.g. from LibreOffice)" if b"opendocument.spreadsheet" in \
            mimetype else "an OpenDocument file"
        return f"is {kind}, not an Excel workbook (.xlsx); {SAVE_AS}"
    other = {"xl/workbook.bin": "an Excel Binary Workbook (.xlsb)", "word/document.xml": "a Word document",
             "ppt/presentation.xml": "a PowerPoint presentation"}
    for part, kind in other.items():
        if part in names:
            return f"is {kind}, not an Excel workbook (.xlsx); {SAVE_AS}"
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return ("is a zip archive with no workbook inside, not an Excel workbook (.xlsx); if the workbook was "
                "sent zipped, unzip it and give the .xlsx file")
    return None


# ---------------------------------------------------------------------------------------------
# The parts


def scan_parts(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse any part declaring a DTD (the carrier of entity bombs and external entities), and a
    shared-strings part beyond MAX_SHARED_STRINGS.

    Office Open XML forbids DTDs, so no genuine workbook has one, and text typed into a cell is
    escaped (`<` is `&lt;`), so a cell cannot trigger this. Parts are streamed, never held whole.
    """
    for info in archive.infolist():
        if info.is_dir() or _UNPARSED_PART.search(info.filename):
            continue
        shared = _SHARED_STRINGS.search(info.filename) is not None
        counts = _count_in_part(archive, info, (*_DTD, *(_STRING_ITEMS if shared else ())))
        if any(counts[marker] for marker in _DTD):
            raise file_problem(path, f"declares an XML document type in '{info.filename}', which no spreadsheet "
                                     "program writes and which is how XML entity attacks work; it was not opened. "
                                     f"If it is genuine, {SAVE_AS} again")
        strings = sum(counts[item] for item in _STRING_ITEMS) if shared else 0
        if strings > MAX_SHARED_STRINGS:
            raise _bomb(path, f"holds {strings:,} distinct texts, more than the {MAX_SHARED_STRINGS:,} an input "
                              "workbook may have")


def _count_in_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, needles: tuple[bytes, ...]) -> dict[bytes, int]:
    """How often each needle occurs in a part, read in chunks. A match across two chunks counts
    once: each needle carries over one byte less than its length, so no match fits in that alone."""
    counts = dict.fromkeys(needles, 0)
    tails = dict.fromkeys(needles, b"")
    with archive.open(info) as part:
        while chunk := part.read(1 * MiB):
            for needle in needles:
                window = tails[needle] + chunk
                counts[needle] += window.count(needle)
                tails[needle] = window[len(window) - len(needle) + 1:]
    return counts


def package_notes(archive: zipfile.ZipFile, suffix: str) -> list[str]:
    """Things worth knowing about the whole workbook that do not stop it being read."""
    names = archive.namelist()
    notes = []
    if suffix.lower() in (".xlsm", ".xltm") or any(n.lower().endswith("vbaproject.bin") for n in names):
        notes.append("the workbook contains macros (VBA); they were not run and are never copied into the plan")
    links = sorted(n for n in names if re.match(r"xl/externalLinks/externalLink\d+\.xml$", n))
    if links:
        targets = [_link_target(archive, n) for n in links]
        named = ", ".join(f"'{t}'" for t in targets[:3] if t) or "other workbooks"
        notes.append(f"the workbook links to {named}; the values it last saved are used and the links are "
                     "not updated: open the linked files and save this one in Excel if they changed")
    return notes


def _link_target(archive: zipfile.ZipFile, part: str) -> str:
    rels = part.replace("externalLinks/", "externalLinks/_rels/") + ".rels"
    try:
        found = _LINK_TARGET.search(archive.read(rels)[:100_000])
    except KeyError:
        return ""
    return found.group(1).decode("utf-8", errors="replace") if found else ""


@dataclass(frozen=True)
class SheetLayout:
    """What openpyxl's read-only mode does not show: hidden rows and columns, merged cells."""

    cells: int = 0
    last_row: int = 0
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first column, last row, last column)


class SheetRefused(Exception):
    """A worksheet not read: too big, or declaring a DTD; the message says what it has."""


def sheet_layout(archive: zipfile.ZipFile, member: str, cells_left: int) -> SheetLayout:
    """Count a worksheet's rows and cells (at C speed) before parsing it, and find its layout.

    Raises SheetRefused when it has more than MAX_ROWS rows or more than ``cells_left`` cells.
    """
    xml = archive.read(member)
    if any(marker in xml for marker in _DTD):  # whatever the part is called, it is parsed as XML
        raise SheetRefused("declares an XML document type, which no spreadsheet program writes")
    prefix = _ROOT_PREFIX.search(xml[:4096])
    tag = b"<" + (prefix.group(1) + b":" if prefix else b"")
    cells = sum(xml.count(tag + b"c" + end) for end in (b" ", b">", b"/"))
    if cells > cells_left:
        raise SheetRefused(f"has {cells:,} cells, beyond the {MAX_CELLS:,} the optimiser reads in all")
    rows = sum(xml.count(tag + b"row" + end) for end in (b" ", b">", b"/"))
    if rows > MAX_ROWS:
        raise SheetRefused(f"has {rows:,} rows, beyond the {MAX_ROWS:,} the optimiser reads")
    last_row, hidden_rows = _rows(xml)
    if last_row > MAX_ROWS:
        raise SheetRefused(f"reaches row {last_row:,}, beyond the {MAX_ROWS:,} rows the optimiser reads; "
                     "delete the rows below the table (Ctrl+End shows the last cell Excel keeps)")
    return SheetLayout(cells, last_row, frozenset(hidden_rows), frozenset(_hidden_columns(xml)),
                       tuple(_merged(xml)))


def _attributes(text: bytes) -> dict[str, str]:
    found = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).decode("ascii", errors="replace").rsplit(":", 1)[-1]
        found[name] = (match.group(2) if match.group(2) is not None else match.group(3) or b"").decode(
            "utf-8", errors="replace")
    return found


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def _rows(xml: bytes) -> tuple[int, list[int]]:
    """The last row number and the hidden rows; a row without a number follows the one before."""
    number, hidden = 0, []
    for match in _ROW_TAG.finditer(xml):
        attributes = _attributes(match.group(1))
        given = attributes.get("r", "")
        number = int(given) if given.isdigit() else number + 1
        if _true(attributes.get("hidden")):
            hidden.append(number)
    return number, hidden


def _hidden_columns(xml: bytes) -> set[int]:
    hidden: set[int] = set()
    for match in _COL_TAG.finditer(xml):
        attributes = _attributes(match.group(1))
        low, high = attributes.get("min", ""), attributes.get("max", "")
        if _true(attributes.get("hidden")) and low.isdigit() and high.isdigit():
            hidden.update(range(int(low), min(int(high), int(low) + 1000) + 1))  # whole-sheet spans: enough
    return hidden


def _merged(xml: bytes) -> list[tuple[int, int, int, int]]:
    from openpyxl.utils import column_index_from_string

    ranges = []
    for match in _MERGE_TAG.finditer(xml):
        corners = [_CELL_REF.match(part) for part in _attributes(match.group(1)).get("ref", "").split(":")]
        if len(corners) != 2 or not all(corners):
            continue
        (c1, r1), (c2, r2) = ((column_index_from_string(m.group(1)), int(m.group(2))) for m in corners)
        ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    return ranges
