"""Idle and slow clients holding connections do not stop gunicorn answering everyone else."""

from __future__ import annotations

import pytest

from tests.support.reliability import HeldConnections, timed_get
from tests.support.web import LiveServer

pytestmark = pytest.mark.live

PATHS = ("/api/health", "/api/search?q=korea", "/search?q=korea")
CLIENT_TIMEOUT_S = 10.0
# Requests go on until the slow clients have sent this many header lines each (a few seconds,
# past the point where gthread hands an idle connection from its thread back to its poller).
HEADER_ROUNDS = 3


def test_health_and_search_answer_while_8_idle_and_4_slow_clients_hold_connections(
    live_server: LiveServer,
):
    with HeldConnections(live_server.port, idle=8, slow=4, interval_s=2.0) as held:
        replies = []
        while held.header_lines_sent < HEADER_ROUNDS * 4 or len(replies) < 3 * len(PATHS):
            replies += [timed_get(live_server.port, p, CLIENT_TIMEOUT_S) for p in PATHS]
        slow_open = held.slow_still_open()
    failed = [r for r in replies if r.status != 200]
    assert failed == [], failed
    assert slow_open == 4  # the slow clients really held their connections throughout
