"""Work forked beside a build (searchsvc/forking.py): answers, failures and deaths come back."""

from __future__ import annotations

import os

import pytest

from searchsvc import forking


def test_a_child_answers_with_what_its_work_returned():
    shared = list(range(1000))  # the child sees the parent's objects (fork), nothing is sent
    child = forking.in_child(lambda: sum(shared) + os.getpid(), collect=False)
    assert child.answer() - sum(shared) != os.getpid()


def test_a_failing_child_raises_its_traceback_in_the_parent():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        forking.in_child(lambda: 1 / 0).answer()


def test_a_child_that_dies_without_answering_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="died without an answer"):
        forking.in_child(lambda: os._exit(3)).answer()


def test_a_child_dies_with_a_build_killed_by_sigkill(tmp_path):
    """A build killed with SIGKILL runs no clean-up: its forked children must not work on
    (holding the build lock they inherited)."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from searchsvc import forking\n"
        "child = forking.in_child(lambda: time.sleep(60), collect=False)\n"
        "print(child._process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(build.stdout.readline())
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{child}/stat") as stat:
            if stat.read().split()[2] == "Z":  # dead, waiting to be reaped by init
                return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the forked child outlived its killed parent")
