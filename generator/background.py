"""A build stage run in a forked process while the build goes on in this one.

`bnnforge build` has stages that need only the folded graph and write their own
subdirectory (FINN's estimate-only flow: about a third of a full-size build). Forked, such a
stage shares the parent's graph without pickling or re-loading it, and on two cores it runs
beside the golden model and the HLS and RTL emitters instead of after them. Where fork is
not available the stage simply runs in this process when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from bnnforge.quant.errors import BnnforgeError


class Stage:
    """`fn(*args)` started now, in a forked child; `result()` waits for its return value (or
    raises its BnnforgeError, or a RuntimeError with the child's traceback)."""

    def __init__(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        self.name, self._fn, self._args = name, fn, args
        self._process = self._conn = None
        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            self._conn, child_end = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_run, args=(child_end, fn, args), name=f"bnnforge-{name}",
                                        daemon=True)
            self._process.start()
            child_end.close()

    def result(self) -> Any:
        if self._process is None:
            return self._fn(*self._args)
        try:
            kind, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the {self.name} stage ended without a result (exit code "
                               f"{self._process.exitcode})") from None
        self._process.join()
        if kind == "ok":
            return value
        if kind == "user-error":
            raise BnnforgeError(value)
        raise RuntimeError(f"the {self.name} stage failed:\n{value}")

    def cancel(self) -> None:
        """Stop the child if it still runs (the build failed or was interrupted)."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _run(conn, fn: Callable[..., Any], args: tuple) -> None:  # noqa: ANN001
    try:
        message = ("ok", fn(*args))
    except BnnforgeError as e:
        message = ("user-error", str(e))
    except BaseException:  # noqa: BLE001  (the parent reports it)
        message = ("error", traceback.format_exc())
    conn.send(message)
    conn.close()
