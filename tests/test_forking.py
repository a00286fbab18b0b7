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
