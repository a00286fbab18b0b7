"""A build killed with SIGKILL leaves no forked segment writer running (issue 13 item 10).

The build forks its segment writers (engines/whoosh/segments.write_segments); they inherit the
build lock's file. Killed mid-write, the build must take them with it: the lock is free at once
for the next build, and nothing goes on writing for the whole of its slice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.support.reliability import alive, children_of, lock_is_free, wait_for
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
