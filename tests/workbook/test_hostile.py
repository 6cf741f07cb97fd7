"""Hostile and messy workbooks, built here, each run through the real command line.

For every rule of SPEC.md section 1 and every hazard of issue 4 there is a workbook with that one
mistake (and one with several). `consolidate validate` and `consolidate run` must both exit 2, name the
exact cells, print no traceback, write nothing, leave the input's bytes as they were and, for the
bombs, answer at once. Then: the warnings that do not stop a run, the output file's safety
(links to the input, locked files, Ctrl-C), and the XML parser's own defence.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from openpyxl import Workbook

from optimizer.excel import files
from optimizer.excel.files import OutputError, check_output_path, save_workbook
from optimizer.workbook import package, source
from optimizer.workbook.inputs import InputError
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.commands import in_process
from tests.support.marks import slow
from tests.support.sheets import base, put, write

FILE = "FILE"  # stands for the input's own path in expected references
SAVE_HINT = "save it as an Excel Workbook (.xlsx)"


# The bombs run under a 2 GiB address-space limit, so one that got through would fail here rather
# than take the machine down. The limit is set by the child itself: preexec_fn is unsafe with threads.
MEMORY_CAPPED = ("import resource, runpy; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
                 "runpy.run_module('optimizer', run_name='__main__')")


BOMB_PEAK_MIB = 64  # a refused bomb leaves at most the file's bytes and a few parsed parts in memory


@dataclass
class Peak:
    mib: float = 0.0


@contextlib.contextmanager
def most_memory():
    """The most memory Python held inside the block, in MiB (``tracemalloc``)."""
    peak = Peak()
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()


def consolidate(*args, env=None, limit_memory=False) -> subprocess.Popen:
    start = ["-c", MEMORY_CAPPED] if limit_memory else ["-m", "optimizer"]
    return subprocess.Popen([sys.executable, *start, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@dataclass
class Answer:
    code: int
    stdout: str
    stderr: str

    @property
    def problem_refs(self) -> list[str]:
        """The `where` of every listed problem, in the order printed."""
        return [line[2:].split(": ", 1)[0] for line in self.stderr.splitlines() if line.startswith("  ")]


def finish(process: subprocess.Popen) -> Answer:
    stdout, stderr = process.communicate(timeout=300)
    return Answer(process.returncode, stdout, stderr)


def validate_and_run(path: Path, output: Path, **kw) -> tuple[Answer, Answer]:
    """Both commands, side by side."""
    checking = consolidate("validate", path, **kw)
    running = consolidate("run", path, "-o", output, "--quiet", **kw)
    return finish(checking), finish(running)


# ---------------------------------------------------------------------------------------------
# Building bad workbooks


def sheets_with(**cells) -> Callable[[Path], Path]:
    """A builder: the small valid workbook of test_validate with some cells changed ('Services!C3'=...)."""
    def build(folder: Path) -> Path:
        sheets = base()
        for ref, value in cells.items():
            put(sheets, ref.replace("_", "!", 1), value)
        return write(folder, sheets)
    return build


def edited(change: Callable[[Workbook], None], name: str = "input.xlsx") -> Callable[[Path], Path]:
    """A builder: the valid workbook, then changed with openpyxl (merges, hidden sheets, ...)."""
    def build(folder: Path) -> Path:
        path = write(folder, base())
        book = openpyxl.load_workbook(path)
        change(book)
        target = folder / name
        book.save(target)
        if target != path:
            path.unlink()
        return target
    return build


def raw_bytes(data: bytes, name: str = "input.xlsx") -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return build


def rewritten(member: str, change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    """A builder: the valid workbook with one part of its zip rewritten byte by byte."""
    def build(folder: Path) -> Path:
        path = write(folder, base())
        parts = read_parts(path)
        parts[member] = change(parts[member])
        write_parts(path, parts)
        return path
    return build


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


COUNCILS_XML = "xl/worksheets/sheet1.xml"  # write() adds the sheets in BASE's order
SERVICES_XML = "xl/worksheets/sheet2.xml"

BILLION_LAUGHS = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"]>"
EXTERNAL_ENTITY = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_entities(declaration: bytes, entity: bytes) -> Callable[[bytes], bytes]:
    """Put a DTD after the XML declaration and use its entity in cell A2 (an inline string)."""
    def change(xml: bytes) -> bytes:
        head, rest = xml.split(b"?>", 1) if xml.startswith(b"<?xml") else (b'<?xml version="1.0"', xml)
        rest = re.sub(rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="inlineStr"><is><t>&' + entity + b';</t></is></c>',
                      rest, count=1)
        return head + b"?>" + declaration + rest
    return change


def zip_with_extra_part(name: str, size: int, chunk: bytes = b"\0" * 1024 * 1024) -> Callable[[Path], Path]:
    """A builder: the valid workbook plus one part of ``size`` bytes of zeros (streamed, never held)."""
    def build(folder: Path) -> Path:
        path = write(folder, base())
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            with archive.open(name, "w", force_zip64=True) as part:
                for _ in range(size // len(chunk)):
                    part.write(chunk)
        return path
    return build


def many_parts(count: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = write(folder, base())
        with zipfile.ZipFile(path, "a") as archive:
            for i in range(count):
                archive.writestr(f"customXml/item{i}.xml", b"<a/>")
        return path
    return build


def services_xml_with_cells(rows: int, per_row: int) -> Callable[[bytes], bytes]:
    """A Services sheet of rows x per_row numeric cells (cells may omit their reference: the spec allows it)."""
    def change(xml: bytes) -> bytes:
        cells = b"<c><v>1</v></c>" * per_row
        data = b"".join(b'<row r="%d">%s</row>' % (r, cells) for r in range(1, rows + 1))
        return re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", lambda _: b"<sheetData>" + data + b"</sheetData>",
                      xml, flags=re.S)
    return change


def value_far_down(book: Workbook) -> None:
    book["Services"].cell(row=500_000, column=2, value="stray")


def values_far_right(book: Workbook) -> None:
    for row in range(10, 80):  # openpyxl pads each of these rows to 16,384 cells
        book["Services"].cell(row=row, column=16_384, value="x")


def merge(book: Workbook) -> None:
    book["Services"].merge_cells("A3:A4")


def hide_councils(book: Workbook) -> None:
    book["Councils"].sheet_state = "hidden"


def chart_sheet_named_sharing(book: Workbook) -> None:
    from openpyxl.chart import BarChart, Reference

    del book["Sharing"]
    chart = BarChart()
    chart.add_data(Reference(book["Services"], min_col=3, min_row=1, max_row=6), titles_from_data=True)
    book.create_chartsheet("Sharing").add_chart(chart)


OLE = package.OLE_SIGNATURE + b"\0" * 504
LEGACY_XLS = OLE + "Workbook".encode("utf-16-le") + b"\0" * 1000
ENCRYPTED = OLE + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000


def zip_named_xlsx(folder: Path, parts: dict[str, str]) -> Path:
    """A zip holding ``parts``, named as if it were a workbook."""
    path = folder / "input.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def ods(folder: Path) -> Path:
    return zip_named_xlsx(folder, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                                   "content.xml": "<office:document-content/>"})


def docx(folder: Path) -> Path:
    return zip_named_xlsx(folder, {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})


def workbook_named(name: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = write(folder, base())
        return path.rename(folder / name)
    return build


# ---------------------------------------------------------------------------------------------
# The corpus


@dataclass
class Case:
    name: str
    build: Callable[[Path], Path]
    refs: tuple[str, ...]  # the exact places named, in the order listed ("FILE": the input itself)
    says: tuple[str, ...] = ()  # words the message must hold
    bomb: bool = False  # must be refused at once, whatever it would have cost to read
    exact: bool = False  # refs is the whole list of problems, in order


CASES = [
    # --- Councils
    Case("duplicate council", sheets_with(Councils_A5="Shropshire", Councils_B5=1), ("Councils!A5",),
         ("listed twice", "Councils!A2")),
    Case("net budget not above 0", sheets_with(Councils_B2=0), ("Councils!B2",), ("> 0", "found 0")),
    Case("negative savings target", sheets_with(Councils_C2="-£5,000"), ("Councils!C2",), ("≥ 0", "'-£5,000'")),
    Case("two targets", sheets_with(Councils_D2=0.05), ("Councils!D2",), ("not both",)),
    Case("target share as percent number", sheets_with(Councils_D3=2.5), ("Councils!D3",), ("between 0 and 1",)),
    Case("latitude without longitude", sheets_with(Councils_F4=None), ("Councils!F4",), ("give both or neither",)),
    Case("latitude out of range", sheets_with(Councils_E2=95), ("Councils!E2",), ("between -90 and 90",)),
    Case("no place for a distance limit", sheets_with(Councils_E4=None, Councils_F4=None), ("Councils!E4",),
         ("'Powys' needs a latitude and longitude", "Sharing!F2")),
    Case("staff cap above 1", sheets_with(Councils_G1="max_staff_reduction_pct", Councils_G2=1.5), ("Councils!G2",),
         ("between 0 and 1",)),
    Case("shared-service cap not whole", sheets_with(Councils_H1="max_shared_services", Councils_H2=2.5),
         ("Councils!H2",), ("whole number",)),
    Case("implausibly large budget", sheets_with(Councils_B2=1e300), ("Councils!B2",), ("far too large",)),
    # --- Services
    Case("council not in Councils", sheets_with(Services_A3="Telferd"), ("Services!A3",),
         ("did you mean 'Telford'?",)),
    Case("service row twice", sheets_with(Services_A6="Shropshire", Services_B6="Libraries"), ("Services!B6",),
         ("two rows for 'Libraries'",)),
    Case("annual cost as words", sheets_with(Services_C2="lots"), ("Services!C2",),
         ("a number of pounds ≥ 0", "found 'lots'")),
    Case("negative FTE", sheets_with(Services_D2=-3), ("Services!D2",), ("≥ 0",)),
    Case("yes/no not yes or no", sheets_with(Services_E2="maybe"), ("Services!E2",), ("yes or no",)),
    Case("required column missing", sheets_with(Services_C1="Cost per year"), ("Services!H1",),  # where it would go
         ("required column 'Annual cost (£)'",)),
    Case("required column misspelt", sheets_with(Services_C1="Anual cost"), ("Services!C1",),
         ("did you mean 'Anual cost'?",)),
    Case("required cell blank", sheets_with(Services_B3=None), ("Services!B3",), ("is required",)),
    # --- Sharing
    Case("curve for an unknown service", sheets_with(Sharing_A2="Wastes"), ("Sharing!A2",), ("did you mean 'Waste'?",)),
    Case("partnership of one", sheets_with(Sharing_B2=1), ("Sharing!B2",), ("whole number ≥ 2",)),
    Case("saving as 12 not 12%", sheets_with(Sharing_C2=12), ("Sharing!C2",), ("(12 % is 0.12)",)),
    Case("size given twice", sheets_with(Sharing_B3=2), ("Sharing!B3",), ("two rows for 2 partners",)),
    Case("distance limit of 0", sheets_with(Sharing_F2=0), ("Sharing!F2",), ("> 0",)),
    Case("negative one-off", sheets_with(Sharing_D2=-0.1), ("Sharing!D2",), ("≥ 0",)),
    Case("staff reduction above 1", sheets_with(Sharing_E3="150%"), ("Sharing!E3",), ("between 0 and 1",)),
    # --- Reductions
    Case("reducing a protected service", sheets_with(Reductions_A2="Telford", Reductions_B2="Adult care"),
         ("Reductions!B2",), ("protected",)),
    Case("stopping a statutory service", sheets_with(Reductions_C2=1), ("Reductions!C2",), ("statutory",)),
    Case("reduction of 0", sheets_with(Reductions_C2=0), ("Reductions!C2",), ("above 0",)),
    Case("reduction without a service row", sheets_with(Reductions_B2="Parks"), ("Reductions!B2",),
         ("no Services row for 'Parks'",)),
    Case("impact blank", sheets_with(Reductions_D2=None), ("Reductions!D2",), ("is required",)),
    # --- Partnerships
    Case("partnership of one council", sheets_with(Partnerships_C2="Shropshire"), ("Partnerships!C2",),
         ("at least two",)),
    Case("partnership breaking never_together", sheets_with(
        Partnerships_A3="West", Partnerships_B3="Waste", Partnerships_C3="Shropshire; Powys",
        Partnerships_D3="required"), ("Partnerships!C3",), ("must never be together",)),
    Case("group listed twice", sheets_with(
        Partnerships_A3="Again", Partnerships_B3="Waste", Partnerships_C3="Telford;Shropshire",
        Partnerships_D3="candidate"), ("Partnerships!C3",), ("already listed",)),
    Case("member that does not share", sheets_with(
        Partnerships_A3="Care", Partnerships_B3="Adult care", Partnerships_C3="Telford; Shropshire",
        Partnerships_D3="candidate"), ("Partnerships!C3",), ("does not share 'Adult care'",)),
    Case("unknown status", sheets_with(Partnerships_D2="maybe"), ("Partnerships!D2",),
         ("'candidate', 'required' or 'excluded'",)),
    Case("partnership name twice", sheets_with(
        Partnerships_A3="Shrop-Telford waste", Partnerships_B3="Waste", Partnerships_C3="Powys; Telford",
        Partnerships_D3="excluded"), ("Partnerships!A3",), ("listed twice",)),
    Case("no figures and no curve", sheets_with(
        Partnerships_A3="Books",
        Partnerships_B3="Libraries", Partnerships_C3="Shropshire; Telford", Partnerships_D3="required",
        Services_A7="Telford", Services_B7="Libraries", Services_C7=8e5),
         ("Partnerships!E3", "Partnerships!F3", "Partnerships!G3"), ("Sharing has no row",)),
    # --- Rules and Settings
    Case("rule with one council", sheets_with(Rules_C2="Shropshire"), ("Rules!C2",), ("two different councils",)),
    Case("unknown rule", sheets_with(Rules_A2="apart"), ("Rules!A2",), ("'never_together'",)),
    Case("unknown setting", sheets_with(Settings_A3="time_limit"), ("Settings!A3",), ("did you mean 'time_limit_s'?",)),
    Case("bad setting value", sheets_with(Settings_B2="firm"), ("Settings!B2",), ("'soft' or 'hard'",)),
    # --- sheets
    Case("required sheet missing", edited(lambda book: book.remove(book["Sharing"])), ("Sharing",),
         ("required sheet 'Sharing' is missing",)),
    Case("required sheet empty", edited(lambda book: book["Sharing"].delete_rows(1, 10)), ("Sharing!A1",),
         ("the sheet is empty",)),
    Case("two sheets for one", edited(lambda book: book.copy_worksheet(book["Rules"]).__setattr__("title", "RULES ")),
         ("RULES ",), ("both the Rules sheet",)),
    # --- hazards inside the workbook
    Case("error cell", sheets_with(Services_C3="#REF!"), ("Services!C3",), ("Excel error #REF!",)),
    Case("division by zero", sheets_with(Councils_B3="#DIV/0!"), ("Councils!B3",), ("Excel error #DIV/0!",)),
    Case("formula never calculated", sheets_with(Services_C3="=C2*2"), ("Services!C3",),
         ("=C2*2", "open the workbook in Excel and save it")),
    Case("merged cells in the table", edited(merge), ("Services!A3",), ("cells A3:A4 are merged",), exact=True),
    Case("duplicate header", sheets_with(Services_H1="Annual cost"), ("Services!H1",), ("appears twice",)),
    Case("hidden Councils sheet", edited(hide_councils), ("Councils",), ("is hidden", "Unhide")),
    Case("chart sheet named Sharing", edited(chart_sheet_named_sharing), ("Sharing",), ("chart sheet",)),
    # --- several at once: every one listed, grouped by sheet, in row order
    Case("several problems", sheets_with(
        Settings_B2="firm", Rules_C2="Nowhere", Services_E3="perhaps", Services_C2="abc", Councils_B4=-1,
        Sharing_C2="12", Reductions_D2="high"),
         ("Councils!B4", "Services!C2", "Services!E3", "Sharing!C2", "Reductions!D2", "Rules!C2", "Settings!B2"),
         exact=True),
    # --- files that are not what they claim
    Case("empty file", raw_bytes(b""), (FILE,), ("the file is empty",)),
    Case("not a zip", raw_bytes(bytes(range(256)) * 4), (FILE,), ("not the zip archive every .xlsx file is",)),
    Case("legacy .xls", raw_bytes(LEGACY_XLS), (FILE,), ("old-style Excel .xls", SAVE_HINT)),
    Case("password-protected", raw_bytes(ENCRYPTED), (FILE,), ("password-protected", "remove the password")),
    Case("CSV renamed .xlsx", raw_bytes(b"council,net_budget\nShropshire,600000000\n"), (FILE,),
         ("is a CSV text file", SAVE_HINT)),
    Case("HTML renamed .xlsx", raw_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>"), (FILE,),
         ("web page (HTML)",)),
    Case("ODS renamed .xlsx", ods, (FILE,), ("OpenDocument spreadsheet (.ods",)),
    Case("Word document renamed .xlsx", docx, (FILE,), ("is a Word document",)),
    Case(".xlsx named .txt", workbook_named("input.txt"), (FILE,), ("its name has '.txt'", "rename it")),
    Case("folder for a file", lambda folder: folder, (FILE,), ("is a folder",)),
    # --- hostile files
    Case("billion laughs", rewritten(COUNCILS_XML, with_entities(BILLION_LAUGHS, b"lol9")), (FILE,),
         ("declares an XML document type",), bomb=True),
    Case("external entity", rewritten(COUNCILS_XML, with_entities(EXTERNAL_ENTITY, b"xxe")), (FILE,),
         ("declares an XML document type",), bomb=True),
    Case("entity in another part", rewritten("docProps/core.xml", with_entities(BILLION_LAUGHS, b"lol9")), (FILE,),
         ("'docProps/core.xml'",), bomb=True),
    Case("zip bomb: huge declared size", zip_with_extra_part("xl/media/big.bin", 210 * 1024 * 1024), (FILE,),
         ("would inflate to 210 MB",), bomb=True),
    Case("zip bomb: compression ratio", zip_with_extra_part("xl/worksheets/sheet99.xml", 64 * 1024 * 1024),
         (FILE,), ("compressed", "to 1"), bomb=True),
    Case("zip bomb: too many parts", many_parts(package.MAX_PARTS + 1), (FILE,), ("parts",), bomb=True),
    Case("too many cells", rewritten(SERVICES_XML, services_xml_with_cells(60_000, 20)), (FILE,),
         ("has 1,200,000 cells",), bomb=True),
    Case("a value a million rows down", edited(value_far_down), (FILE,), ("reaches row 500,000",), bomb=True),
    Case("rows padded to column XFD", edited(values_far_right), (FILE,), ("beyond the 1,000,000 cells",), bomb=True),
]


@dataclass
class Tried:
    path: Path
    before: bytes | list[str]
    output: Path
    answers: tuple[Answer, Answer]  # validate, run


@pytest.fixture(scope="module")
def tried(tmp_path_factory) -> dict[str, Tried]:
    """Every case built, then both commands run on each, a few at a time: each command is mostly
    interpreter start-up, so this is the difference between one and two minutes."""
    built = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp("case")
        path = case.build(folder)
        built[case.name] = (case, path, _snapshot(path), folder / "plans" / "plan.xlsx")

    def both(case: Case, path: Path, output: Path) -> tuple[Answer, Answer]:
        checked = finish(consolidate("validate", path, limit_memory=case.bomb))
        return checked, finish(consolidate("run", path, "-o", output, "--quiet", limit_memory=case.bomb))

    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        running = {name: pool.submit(both, case, path, output) for name, (case, path, _, output) in built.items()}
        return {name: Tried(path, before, output, running[name].result())
                for name, (_, path, before, output) in built.items()}


@slow
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_workbook_is_refused_with_its_cells(case, tried):
    done = tried[case.name]
    refs = [str(done.path) if ref == FILE else ref for ref in case.refs]
    for answer in done.answers:
        printed = answer.stdout + answer.stderr
        assert answer.code == 2, printed
        assert "Traceback" not in printed and "internal error" not in printed, printed
        listed = answer.problem_refs
        if case.exact:
            assert listed == refs, printed
        else:
            named = list(dict.fromkeys(ref for ref in listed if ref in refs))
            assert named == refs, printed  # each named, in workbook order
        for words in case.says:
            assert words in answer.stderr, printed
    assert not done.output.parent.exists()  # nothing written, not even the folder or a temporary file
    assert _snapshot(done.path) == done.before


def _snapshot(path: Path) -> bytes | list[str]:
    return sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()


BOMBS = [case for case in CASES if case.bomb]


@pytest.mark.parametrize("case", BOMBS, ids=[case.name for case in BOMBS])
def test_bombs_are_refused_before_they_expand(case, tmp_path):
    """Measured in-process, on the library: refused with a few MiB in hand, where an expanded bomb
    would hold gigabytes (memory, unlike time, does not depend on how busy the machine is)."""
    path = case.build(tmp_path)
    with pytest.raises(InputError) as refused, most_memory() as peak:
        load_workbook_inputs(path)
    assert peak.mib < BOMB_PEAK_MIB, peak.mib
    assert [p.where for p in refused.value.problems] == [str(path)]


def test_external_entity_never_reaches_the_output(tmp_path):
    path = rewritten(COUNCILS_XML, with_entities(EXTERNAL_ENTITY, b"xxe"))(tmp_path)
    checked, ran = validate_and_run(path, tmp_path / "plan.xlsx")
    assert "root:" not in checked.stdout + checked.stderr + ran.stdout + ran.stderr


# ---------------------------------------------------------------------------------------------
# The XML parser's own defence, beneath the DTD scan


def test_openpyxl_parses_with_defusedxml():
    package.ensure_safe_xml_parser()  # does not raise here: the check agrees with the environment
    import openpyxl as loaded

    assert loaded.DEFUSEDXML is True


@pytest.mark.parametrize("part", ["xl/workbook.xml", COUNCILS_XML])
def test_defusedxml_refuses_entities_even_without_the_scan(tmp_path, monkeypatch, part):
    """With the DTD scan switched off, defusedxml inside openpyxl still refuses the bomb."""
    path = rewritten(part, with_entities(BILLION_LAUGHS, b"lol9"))(tmp_path)
    monkeypatch.setattr(package, "scan_parts", lambda *_: None)
    monkeypatch.setattr(package, "_DTD", (b"\0never\0",))  # nor the check of the sheets read
    with pytest.raises(InputError) as refused, most_memory() as peak:
        load_workbook_inputs(path)
    assert peak.mib < BOMB_PEAK_MIB, peak.mib
    assert "declares XML entities" in refused.value.problems[0].message


def test_no_workbook_is_read_when_defusedxml_is_off(tmp_path):
    path = write(tmp_path, base())
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    done = finish(consolidate("validate", path, env=env))
    assert done.code == 1
    assert "defusedxml" in done.stderr and "Traceback" not in done.stderr
    assert "OK" not in done.stdout


# ---------------------------------------------------------------------------------------------
# Warnings: shown, not fatal


def test_hidden_rows_links_macros_and_ignored_columns_are_noted(tmp_path):
    path = write(tmp_path, put(put(base(), "Services!H1", "Notes"), "Services!H2", "check"))
    book = openpyxl.load_workbook(path)
    book["Services"].row_dimensions[3].hidden = True
    book["Services"].row_dimensions[4].hidden = True
    book["Sharing"].column_dimensions["D"].hidden = True
    book.save(path)
    parts = read_parts(path)
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really a VBA project"
    parts["xl/externalLinks/externalLink1.xml"] = b"<externalLink/>"
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        b'<Relationships><Relationship Id="rId1" Target="file:///C:/Budgets/2024.xlsx"/></Relationships>')
    macro_path = path.with_suffix(".xlsm")
    write_parts(macro_path, parts)
    output = tmp_path / "plan.xlsx"
    checked, ran = validate_and_run(macro_path, output)
    assert checked.code == 0 and ran.code in (0, 3), checked.stderr + ran.stderr  # 3: its targets are hard
    notes = [line for line in checked.stderr.splitlines() if line.startswith("note: ")]
    assert [note.split(": ")[1] for note in notes] == [
        "input.xlsm", "input.xlsm", "Services!H1", "Services!A3", "Sharing!D1"]
    assert "macros (VBA); they were not run" in notes[0]
    assert "'file:///C:/Budgets/2024.xlsx'" in notes[1]
    assert "column 'Notes' is not used" in notes[2]
    assert "2 rows of the table are hidden (rows 3-4)" in notes[3]
    assert "column 'One-off (%)' is hidden" in notes[4]
    assert not any("vbaProject" in name for name in zipfile.ZipFile(output).namelist())  # macros never copied


# ---------------------------------------------------------------------------------------------
# The output: never over the input, replaced only with --force, never half-written


@pytest.fixture
def valid(tmp_path) -> Path:
    return write(tmp_path, base())


def link_symbolic(valid: Path) -> Path:
    link = valid.parent / "link.xlsx"
    link.symlink_to(valid)
    return link


def link_hard(valid: Path) -> Path:
    link = valid.parent / "hard.xlsx"
    os.link(valid, link)
    return link


def through_dotdot(valid: Path) -> Path:
    (valid.parent / "x").mkdir()
    return valid.parent / "x" / ".." / valid.name


def through_linked_folder(valid: Path) -> Path:
    folder = valid.parent / "same-folder"
    folder.symlink_to(valid.parent)
    return folder / valid.name


@pytest.mark.parametrize("other_name", [link_symbolic, link_hard, through_dotdot, through_linked_folder])
def test_never_writes_over_the_input_through_another_path(valid, other_name):
    before = valid.read_bytes()
    output = other_name(valid)
    done = finish(consolidate("run", valid, "-o", output, "--force", "--quiet"))
    assert done.code == 2 and "this is the input workbook" in done.stderr, done.stderr
    assert valid.read_bytes() == before
    assert not [p for p in valid.parent.iterdir() if p.name.endswith(".tmp")]


def test_input_through_a_link_and_output_the_real_file(valid):
    before = valid.read_bytes()
    done = finish(consolidate("run", link_symbolic(valid), "-o", valid, "--force", "--quiet"))
    assert done.code == 2 and "this is the input workbook" in done.stderr
    assert valid.read_bytes() == before


@pytest.mark.parametrize("where, words", [
    (lambda folder: folder, "is a directory"),  # click's own check of -o
    (lambda folder: folder / "input.xlsx" / "plan.xlsx", "is a file, not a folder"),
])
def test_output_that_cannot_be_a_file_is_refused_before_the_solve(valid, where, words):
    done = finish(consolidate("run", valid, "-o", where(valid.parent), "--force", "--quiet"))
    assert done.code == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_folder_as_output_is_refused_by_the_library(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        save_workbook(_small_workbook(), tmp_path, force=True)


def test_read_only_folder_is_refused_before_the_solve(valid, tmp_path, monkeypatch):
    """A folder the user may not write to (simulated: CI runs as root, whom permissions do not stop)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == folder else real_access(path, mode))
    with pytest.raises(OutputError, match="cannot be written to"):
        check_output_path(folder / "plan.xlsx", force=False, inputs=[valid])
    assert list(folder.iterdir()) == []


def _small_workbook() -> Workbook:
    book = Workbook()
    book.active["A1"] = "plan"
    return book


def test_locked_output_says_close_it_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Excel holding the file open makes the final rename fail with PermissionError (on Windows)."""
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"last week's plan")

    def locked(source, destination):
        raise PermissionError(13, "Permission denied", str(destination))

    monkeypatch.setattr(files.os, "replace", locked)
    with pytest.raises(OutputError) as refused:
        save_workbook(_small_workbook(), target, force=True)
    assert "close it and run again" in str(refused.value) and refused.value.usage is False
    assert target.read_bytes() == b"last week's plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_locked_output_through_the_command_line(valid, tmp_path, monkeypatch):
    def locked(source, destination):
        raise PermissionError(13, "Permission denied", str(destination))

    monkeypatch.setattr(files.os, "replace", locked)
    code, printed = in_process("run", valid, "-o", tmp_path / "out" / "plan.xlsx", "--quiet")
    assert code == 1 and "close it and run again" in printed and "Traceback" not in printed
    assert list((tmp_path / "out").iterdir()) == []


def test_ctrl_c_during_the_save_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "plan.xlsx"
    real_save = Workbook.save

    def interrupted(book, filename):
        real_save(book, filename)
        Path(filename).write_bytes(Path(filename).read_bytes()[:100])  # half written...
        raise KeyboardInterrupt  # ...when the user presses Ctrl-C

    monkeypatch.setattr(Workbook, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_workbook(_small_workbook(), target, force=False)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_keeps_the_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"last week's plan")
    monkeypatch.setattr(Workbook, "save", lambda book, filename: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        save_workbook(_small_workbook(), target, force=True)
    assert target.read_bytes() == b"last week's plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_disk_full_is_one_line(tmp_path, monkeypatch):
    def full(book, filename):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full)
    with pytest.raises(OutputError, match="No space left on device"):
        save_workbook(_small_workbook(), tmp_path / "plan.xlsx", force=False)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# A genuine large workbook still loads


def test_england_scale_workbook_loads_well_within_the_limits(tmp_path):
    """About 320 councils x 12 service lines, as import-outturn builds for all of England."""
    from optimizer.workbook.template import write_input_workbook

    services = [f"Service line {s}" for s in range(12)]
    councils = [{"council": f"Council {c}", "net_budget": 2e8 + c, "savings_target_pct": 0.02,
                 "latitude": 50 + (c % 40) / 10, "longitude": -3 + (c // 40) / 3} for c in range(320)]
    tables = {
        "Councils": councils,
        "Services": [{"council": c["council"], "service": s, "annual_cost": 1e6 + i, "fte": 20, "statutory": True}
                     for c in councils for i, s in enumerate(services)],
        "Sharing": [{"service": s, "partners": k, "saving_pct": 0.03 * k, "one_off_pct": 0.1, "max_distance_km": 50}
                    for s in services for k in (2, 3, 4)],
        "Reductions": [{"council": c["council"], "service": services[0], "reduction_pct": 0.1, "impact": 1}
                       for c in councils],
    }
    path = write_input_workbook(tables, tmp_path / "england.xlsx")
    loaded = load_workbook_inputs(path)  # how long it takes is the benchmark's business
    assert len(loaded.inputs.services) == 320 * 12 and loaded.warnings == []
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    assert sum(i.file_size for i in infos) * 50 < package.MAX_UNCOMPRESSED_BYTES
    assert len(infos) * 50 < package.MAX_PARTS
    assert max(i.file_size / i.compress_size for i in infos) * 10 < package.MAX_COMPRESSION_RATIO
    assert 320 * 12 * 7 * 20 < package.MAX_CELLS and 320 * 12 * 20 < package.MAX_ROWS


def test_bytes_io_reads_do_not_touch_the_path(tmp_path):
    """openpyxl is given bytes, never the path: its own extension check cannot disagree with ours."""
    path = write(tmp_path, base())
    with mock.patch.object(source, "load_workbook", wraps=source.load_workbook) as loader:
        load_workbook_inputs(path)
    assert all(isinstance(call.args[0], io.BytesIO) for call in loader.call_args_list)
