"""Writing workbooks safely: atomically, never over the input, never over a file without --force."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook


class OutputError(Exception):
    """The output cannot be written where asked; nothing was written. ``usage`` marks an argument problem."""

    def __init__(self, message: str, *, usage: bool = True):
        super().__init__(message)
        self.usage = usage


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: Path, *, force: bool, inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any work is done, an output that would lose something."""
    for source in inputs:
        if _same_file(path, Path(source)) or path.resolve() == Path(source).resolve():
            raise OutputError(f"{path}: this is the input workbook; choose another output file (-o)")
    if path.exists() and not force:
        raise OutputError(f"{path}: the file exists already; use --force to replace it, or choose another name")
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file")


def save_workbook(workbook: Workbook, path: Path, *, force: bool, inputs: Iterable[Path] = ()) -> Path:
    """Save via a temporary file in the same folder, then rename: readers never see half a file."""
    path = Path(path)
    inputs = list(inputs)
    check_output_path(path, force=force, inputs=inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx.tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a plan is an ordinary file
        workbook.save(temp)
        check_output_path(path, force=force, inputs=inputs)  # still true after the (possibly long) save?
        os.replace(temp, path)
    except PermissionError as exc:
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror}); if it is open in Excel, close it and run again",
            usage=False,
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    return path
