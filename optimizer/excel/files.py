"""Writing workbooks safely: atomically, never over the input, never over a file without --force."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol


class Savable(Protocol):
    """Anything that writes itself to a path: an openpyxl Workbook, or finished workbook bytes."""

    def save(self, filename: str | Path) -> None: ...


class OutputError(Exception):
    """The output cannot be written where asked; nothing was written. ``usage`` marks an argument problem."""

    def __init__(self, message: str, *, usage: bool = True):
        super().__init__(message)
        self.usage = usage


#: what Windows (and so a colleague's copy) cannot hold in a file name, and control characters
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def safe_in_file_name(text: str) -> str:
    """``text`` with every character a file name cannot hold replaced by ``_``."""
    return _UNSAFE_IN_NAMES.sub("_", text)


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: also through a symlink, a hard link or `x/../`."""
    try:
        if os.path.samefile(a, b):  # same device and inode: catches links of every kind
            return True
    except OSError:  # one of them does not exist (yet)
        pass
    return a.resolve() == b.resolve()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: Path, *, force: bool, inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any work is done, an output that would lose something or cannot be written."""
    path = Path(path)
    for source in inputs:
        if same_file(path, Path(source)):
            raise OutputError(f"{path}: this is the input workbook; choose another output file (-o)")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file; give a file name such as {path / 'plan.xlsx'}")
    if path.exists() and not force:
        raise OutputError(f"{path}: the file exists already; use --force to replace it, or choose another name")
    _check_folder(path)


WORKBOOK_SUFFIX = ".xlsx"


def check_workbook_path(path: Path, *, force: bool, inputs: Iterable[Path] = ()) -> None:
    """``check_output_path`` for an Excel workbook: its name must end in .xlsx, or Excel would not open
    it as one (and `-o plan.csv` would be an Excel file named .csv)."""
    path = Path(path)
    check_output_path(path, force=force, inputs=inputs)  # a folder or the input is told as such first
    if path.suffix.lower() != WORKBOOK_SUFFIX:
        given = f"ends in '{path.suffix}'" if path.suffix else "has no extension"
        raise OutputError(f"{path}: the output is an Excel workbook, so its name must end in .xlsx, and this one "
                          f"{given}; try {path.with_suffix(WORKBOOK_SUFFIX)}. Nothing was written")


def _check_folder(path: Path) -> None:
    """The nearest existing folder above ``path`` must be a folder we may write in."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: '{folder}' is a file, not a folder; choose another output path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder '{folder}' cannot be written to; choose another output path")


def save_workbook(workbook: Savable, path: Path, *, force: bool, inputs: Iterable[Path] = ()) -> Path:
    """``save_file`` for an Excel workbook: its name must end in .xlsx."""
    return save_file(workbook, path, force=force, inputs=inputs, check=check_workbook_path)


def save_file(workbook: Savable, path: Path, *, force: bool, inputs: Iterable[Path] = (),
              check: Callable[..., None] = check_output_path) -> Path:
    """Save via a temporary file in the same folder, then rename: readers never see half a file.

    The rename is atomic, so the target is either untouched or complete; on any failure, and on
    Ctrl-C, the temporary file is removed and the target is left as it was. ``check`` refuses a
    path before and after the save (``check_workbook_path`` for a workbook).
    """
    path = Path(path)
    inputs = list(inputs)
    check(path, force=force, inputs=inputs)
    temp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f"{path.suffix}.tmp", dir=path.parent)
        temp = Path(temp_name)
        os.close(handle)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a plan is an ordinary file
        workbook.save(temp)
        check(path, force=force, inputs=inputs)  # still true after the (possibly long) save?
        os.replace(temp, path)
    except OutputError:
        raise
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)  # after os.replace it is gone already
    return path


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, PermissionError):  # on Windows, also what a file open in Excel gives
        return OutputError(f"{path}: cannot be written ({reason}); if it is open in Excel, close it and run again",
                           usage=False)
    return OutputError(f"{path}: cannot be written ({reason}); nothing was written", usage=False)
