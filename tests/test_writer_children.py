"""A build killed with SIGKILL leaves no forked segment writer running (issue 13 item 10).

The build forks its segment writers (engines/whoosh/segments.write_segments); they inherit the
build lock's file. Killed mid-write, the build must take them with it: the lock is free at once
for the next build, and nothing goes on writing for the whole of its slice.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from searchsvc.engines.whoosh import generations as gens
from tests.support.web import ROOT

# A build's writing step, made slow (each document takes 50 ms: 40 s a slice) so the writers
# are surely mid-write when their parent is killed. It holds the build lock, as a build does.
SLOW_BUILD = """
import sys, time
from pathlib import Path
from whoosh import index
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.schema import build_schema
from searchsvc.engines.whoosh.segments import write_segments

def slowly(n):
    time.sleep(0.05)
    return {"id": f"story-{n}"}

root = Path(sys.argv[1])
with gens.build_lock(root):
    target = root / ".tmp-gen-000001"
    target.mkdir()
    ix = index.create_in(str(target), build_schema())
    write_segments(ix, list(range(1600)), slowly, 2)
"""


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def lock_is_free(root: Path) -> bool:
    fd = os.open(root / gens.LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_killed_build_takes_its_segment_writers_with_it(tmp_path):
    build = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(tmp_path)], cwd=ROOT)
    try:
        assert wait_for(lambda: len(children_of(build.pid)) >= 2, 30), "no writers started"
        writers = children_of(build.pid)
        assert not lock_is_free(tmp_path)  # the build holds it
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        assert wait_for(lambda: not any(alive(pid) for pid in writers), 5.0), writers
        assert lock_is_free(tmp_path)  # the next build can start at once
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
