"""The one build lock of an index folder, for every engine.

A build holds flock() on `<index>/.build.lock` for its whole run: one build at a time, and
the kernel drops the lock when its holder dies, so a stale lock never needs cleaning up. The
holder writes its pid into the file, so a refused build can name it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from searchsvc.errors import IndexBusy

LOCK_FILE = ".build.lock"
RETRY_S = 0.2


@contextmanager
def build_lock(folder: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the one writer lock of an index folder, or raise IndexBusy naming the holder."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
                raise IndexBusy(
                    f"another build (pid {holder}) is writing {folder}; "
                    "wait for it to finish or pass --wait SECONDS"
                )
            time.sleep(RETRY_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        return False
    return True
