"""Running ``consolidate`` as a user would, inside the test process."""

from __future__ import annotations

import contextlib
import io
import sys
from unittest import mock

from optimizer import cli


def in_process(*args) -> tuple[int, str]:
    """Run `consolidate ARGS` in this process, as the entry point does; (exit code, everything printed)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with mock.patch.object(sys, "argv", ["consolidate", *map(str, args)]), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return code, out.getvalue() + err.getvalue()
