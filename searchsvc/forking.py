"""Work done in a forked child while the build goes on: the child dies with its parent, and
its answer (or its traceback) comes back through a pipe.

Used by the Whoosh segment writers (a slice of the stories each) and by an incremental build's
clustering, which runs beside the index write on the other core.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def end_with_parent(parent: int) -> None:
    """Have the kernel kill this forked child when the build that forked it dies (a build
    killed with SIGKILL never runs its clean-up): otherwise it works on, holding the build lock
    it inherited. Linux only (prctl); elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the build died before the request above took effect
        os._exit(1)


class Child:
    """`work()` running in a forked child (see in_child)."""

    def __init__(self, work: Callable[[], Any], collect: bool) -> None:
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        args = (writer, work, os.getpid(), collect)
        self._process = context.Process(target=_run, args=args, daemon=True)
        self._process.start()
        writer.close()

    def answer(self) -> Any:
        """What work() returned (waits for it); RuntimeError with the child's traceback when
        it raised, or when it died without answering."""
        try:
            ok, payload = pickle.loads(self._reader.recv_bytes())
        except EOFError:
            raise RuntimeError("a forked build worker died without an answer") from None
        finally:
            self.stop()
        if not ok:
            raise RuntimeError(f"a forked build worker failed:\n{payload}")
        return payload

    def stop(self) -> None:
        """Close the pipe and end the child (killed if it still works: the build failed)."""
        self._reader.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def in_child(work: Callable[[], Any], collect: bool = True) -> Child:
    """Start `work()` in a forked child; its answer comes back pickled through a pipe.

    `collect`: turn the garbage collector back on in the child (a build pauses it). Only after
    the parent froze its objects (gc.freeze): a collection visits every object it tracks, which
    copies every page of the shared heap into the child."""
    return Child(work, collect)


def _run(pipe: Any, work: Callable[[], Any], parent: int, collect: bool) -> None:
    end_with_parent(parent)
    if collect:
        gc.enable()
    try:
        result: tuple[bool, Any] = (True, work())
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        result = (False, traceback.format_exc())
    pipe.send_bytes(pickle.dumps(result, protocol=5))
    pipe.close()
    os._exit(0)
