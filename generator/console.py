"""What bnnforge prints, and keeping third-party output off the terminal.

torch's ONNX exporter, qonnx, FINN and the simulators print warnings and logs of their own,
some from C++ straight to the file descriptors, where Python's `warnings` cannot catch them.
`quiet()` sends file descriptors 1 and 2 to a log file for the duration and `say()` keeps
writing bnnforge's own lines to the terminal; `-v` on the command line turns this off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO, Iterator

_terminal: list[tuple[IO[str], IO[str]]] = []  # the real (stdout, stderr) while quiet() is active


def say(line: str = "", err: bool = False) -> None:
    """A line of bnnforge's own output (stdout, or stderr with `err`), on the terminal even
    inside quiet()."""
    out, error = _terminal[-1] if _terminal else (sys.stdout, sys.stderr)
    print(line, file=error if err else out, flush=True)


def terminal() -> IO[str]:
    """The terminal's stderr, for progress bars."""
    return _terminal[-1][1] if _terminal else sys.stderr


@contextlib.contextmanager
def quiet(log_path: Path | None = None, enabled: bool = True) -> Iterator[Path | None]:
    """Send everything written to file descriptors 1 and 2 (Python, C++ and child
    processes alike) to `log_path` (a temporary file if None) while active; yields the
    log's path. Python warnings and third-party logging below ERROR are dropped as well."""
    if not enabled:
        yield None
        return
    sys.stdout.flush()
    sys.stderr.flush()
    fd, tmp = (None, None) if log_path is not None else tempfile.mkstemp(prefix="bnnforge-", suffix=".log")
    if fd is not None:
        os.close(fd)
    path = Path(log_path or tmp)
    saved_out, saved_err = os.dup(1), os.dup(2)
    # nested: the terminal is the outer quiet()'s, not the outer log file now on fd 1 and 2
    nested = bool(_terminal)
    term = _terminal[-1] if nested else (os.fdopen(os.dup(saved_out), "w"), os.fdopen(os.dup(saved_err), "w"))
    previous_disable = logging.root.manager.disable
    with open(path, "w") as log, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        _terminal.append(term)
        try:
            yield path
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            _terminal.pop()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            if not nested:
                term[0].close()
                term[1].close()
            logging.disable(previous_disable)
            if tmp is not None:
                path.unlink(missing_ok=True)
