"""Reliability drills shared by the short tests and benchmarks/reliability.py (the long runs).

Everything here uses real processes on loopback: gunicorn from tests/support/web.LiveServer,
`python -m searchsvc index` as the rebuild script, and plain HTTP from worker threads.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.engines.whoosh import generations as gens
from tests.support.web import ROOT, http_get

MARKER = "loadmarker"


def add_marker_stories(seeds: Path, start: int, count: int) -> None:
    """Stories that all contain MARKER, so each generation has a known total for it."""
    for n in range(start, start + count):
        body = "\n".join(
            f"Paragraph {p} of marker story {n}: officials from port {n} and harbour {p} "
            f"discussed the {MARKER} ferry timetable and a shared weather station."
            for p in range(4)
        )
        (seeds / f"marker_{n:05d}.txt").write_text(f"Marker story number {n}\n{body}\n", "utf-8")


def filler_stories(seeds: Path, count: int) -> None:
    """Bulk so that a full build takes long enough to be killed part-way."""
    words = [
        "tokyo",
        "seoul",
        "summit",
        "trade",
        "envoy",
        "minister",
        "treaty",
        "harbour",
        "festival",
        "railway",
    ]
    for n in range(count):
        lines = [f"Filler story {n} about {words[n % 10]}"]
        lines += [
            " ".join(words[(n + i + k) % 10] for k in range(40)) + f" filler{n}x{i}."
            for i in range(10)
        ]
        (seeds / f"filler_{n:05d}.txt").write_text("\n".join(lines), "utf-8")


def index_command(seeds: Path, index: Path, *extra: str) -> list[str]:
    """The rebuild script as an operator runs it."""
    return [sys.executable, "-m", "searchsvc", "index", "--seeds", str(seeds),
            "--index", str(index), *extra]  # fmt: skip


def run_index(
    seeds: Path, index: Path, *extra: str, timeout: float = 600, preexec=None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        index_command(seeds, index, "--wait", "60", *extra),
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, preexec_fn=preexec,
    )  # fmt: skip


@dataclass
class Sample:
    started: float
    finished: float
    status: int
    generation: str | None
    total: int | None
    error: str | None = None


@dataclass
class SteadyLoad:
    """Threads searching MARKER over and over, bounded by a request count and a duration."""

    port: int
    concurrency: int = 4
    max_requests: int = 2_000
    max_seconds: float = 60.0
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, daemon=True) for _ in range(self.concurrency)
        ]

    def start(self) -> SteadyLoad:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if len(self.samples) >= self.max_requests:
                    return
            started = time.monotonic()
            try:
                reply = http_get(self.port, f"/api/search?q={MARKER}&per_page=1", timeout=10)
                data = reply.json() if reply.status == 200 else {}
                sample = Sample(
                    started,
                    time.monotonic(),
                    reply.status,
                    data.get("generation"),
                    data.get("total"),
                )
            except (OSError, ValueError) as exc:
                sample = Sample(started, time.monotonic(), 0, None, None, repr(exc))
            with self._lock:
                self.samples.append(sample)

    def stop(self) -> list[Sample]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return self.samples


@dataclass
class Switch:
    generation: str
    total: int
    live_at: float  # monotonic time when the build command returned (pointer already switched)


@dataclass
class LoadReport:
    requests: int
    failures: list[Sample]
    inconsistent: list[Sample]
    late: list[Sample]
    switches: list[Switch]

    @property
    def ok(self) -> bool:
        return not (self.failures or self.inconsistent or self.late)


def check_samples(samples: list[Sample], switches: list[Switch], initial: Switch) -> LoadReport:
    """Every reply succeeded, its total is the one of the generation it names, and every
    request that started after a switch finished answers from that generation or a newer one."""
    expected = {s.generation: s.total for s in [initial, *switches]}
    order = [initial.generation] + [s.generation for s in switches]
    failures = [s for s in samples if s.status != 200]
    inconsistent = [s for s in samples if s.status == 200 and expected.get(s.generation) != s.total]
    late = []
    for switch in switches:
        floor = order.index(switch.generation)
        late += [
            s
            for s in samples
            if s.status == 200
            and s.started > switch.live_at
            and s.generation in order
            and order.index(s.generation) < floor
        ]
    return LoadReport(len(samples), failures, inconsistent, late, switches)


def rebuilds_under_load(
    server,
    seeds: Path,
    index: Path,
    full_rebuilds: int = 3,
    incremental: int = 1,
    per_build: int = 5,
    **load,
) -> LoadReport:
    """Run full and incremental rebuilds (each adding marker stories) under steady load."""
    live = gens.current(index)
    first_total = http_get(server.port, f"/api/search?q={MARKER}").json()["total"]
    initial = Switch(live.name, first_total, time.monotonic())
    traffic = SteadyLoad(server.port, **load).start()
    switches: list[Switch] = []
    total = first_total
    plans = ["--full"] * full_rebuilds + [""] * incremental
    for n, flag in enumerate(plans):
        add_marker_stories(seeds, 10_000 + n * per_build, per_build)
        total += per_build
        done = run_index(seeds, index, *([flag] if flag else []))
        if done.returncode != 0:
            raise RuntimeError(done.stdout + done.stderr)
        switches.append(Switch(gens.current(index).name, total, time.monotonic()))
    # keep the load running a little after the last switch so it is observed
    settle = time.monotonic() + 1.0
    while time.monotonic() < settle and len(traffic.samples) < traffic.max_requests:
        time.sleep(0.05)
    return check_samples(traffic.stop(), switches, initial)


@dataclass
class KillTrial:
    delay_s: float
    killed_while: str  # "running" or "finished"
    old_answered: bool
    next_build_ok: bool
    leftovers: list[str]


def kill_trial(seeds: Path, index: Path, delay_s: float, answer) -> KillTrial:
    """Start a full rebuild, SIGKILL it after delay_s, check the live index and the next build.

    `answer()` returns the total for MARKER as the service answers it now.
    """
    before_generation = gens.current(index).name
    before_total = answer()
    command = index_command(seeds, index, "--full")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay_s)
        state = "finished"
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = "running"
    live = gens.current(index)
    # A build killed just after its switch (while it tidies up) has legitimately put a complete
    # new generation live; anything else must leave the old one.
    complete = live.name == before_generation or bool(live.meta().get("doc_count"))
    old_answered = answer() == before_total and complete
    rebuilt = run_index(seeds, index)
    leftovers = sorted(p.name for p in index.glob(f"{gens.TMP_PREFIX}*"))
    return KillTrial(delay_s, state, old_answered, rebuilt.returncode == 0, leftovers)


def random_delays(count: int, longest: float, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(0.05, longest), 3) for _ in range(count)]


class HeldConnections:
    """Connections that never finish a request, as a slowloris attacker holds them.

    `idle` sockets send nothing (one the server closes is opened again, as an attacker would);
    `slow` ones send a request line, then one header line every `interval_s` seconds and never
    the blank line that ends the headers. Use as a context manager.
    """

    def __init__(self, port: int, idle: int, slow: int, interval_s: float = 3.0) -> None:
        self.port, self.idle_count, self.slow_count = port, idle, slow
        self.interval_s = interval_s
        self.idle: list[socket.socket] = []
        self.slow: list[socket.socket] = []
        self.reopened = 0
        self.header_lines_sent = 0
        self.stopping = threading.Event()
        self.feeder = threading.Thread(target=self._feed, daemon=True)

    def _connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5.0)

    def __enter__(self) -> HeldConnections:
        self.idle = [self._connect() for _ in range(self.idle_count)]
        for _ in range(self.slow_count):
            connection = self._connect()
            connection.sendall(b"GET /api/search?q=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.slow.append(connection)
        self.feeder.start()
        return self

    def _feed(self) -> None:
        while not self.stopping.wait(self.interval_s):
            for connection in self.slow:
                try:
                    connection.sendall(f"X-Slow-{self.header_lines_sent}: 1\r\n".encode())
                    self.header_lines_sent += 1
                except OSError:
                    pass  # closed by the server: it stays closed, and the count says so
            self.idle = [self._reopened_if_closed(c) for c in self.idle]

    def _reopened_if_closed(self, connection: socket.socket) -> socket.socket:
        connection.setblocking(False)
        try:
            closed = connection.recv(1) == b""
        except BlockingIOError:
            closed = False
        except OSError:
            closed = True
        if not closed:
            return connection
        connection.close()
        self.reopened += 1
        return self._connect()

    def slow_still_open(self) -> int:
        """Slow connections the server has not closed (a closed one refuses the next line)."""
        alive = 0
        for connection in self.slow:
            try:
                connection.sendall(b"X-Still-There: 1\r\n")
                alive += 1
            except OSError:
                pass
        return alive

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.feeder.join(timeout=10)
        for connection in self.idle + self.slow:
            connection.close()


@dataclass
class Timed:
    path: str
    status: int | None  # None: no answer (timeout or connection error)
    seconds: float
    error: str = ""


def timed_get(port: int, path: str, timeout: float) -> Timed:
    started = time.monotonic()
    try:
        reply = http_get(port, path, timeout=timeout)
    except OSError as exc:
        return Timed(path, None, time.monotonic() - started, repr(exc))
    return Timed(path, reply.status, time.monotonic() - started)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` now (from /proc)."""
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
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def lock_is_free(root: Path) -> bool:
    """Whether a build could take the index folder's build lock right now."""
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
