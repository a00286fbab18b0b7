"""Helpers for the web tests: a real gunicorn server on a loopback socket, and plain HTTP calls."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from searchsvc.cli import gunicorn_command

ROOT = Path(__file__).resolve().parents[2]
READY_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0
POLL_INTERVAL_S = 0.05


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def http_get(port: int, path: str, timeout: float = 10.0) -> Reply:
    """One GET over a fresh connection to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


class LiveServer:
    """gunicorn serving create_app() on a loopback socket that this process bound itself.

    The listening socket is made here and handed to gunicorn (`--bind fd://N`), so the port is
    known before the server starts and no other process can take it in between.
    """

    def __init__(
        self,
        index: Path,
        seeds: Path,
        log_path: Path,
        workers: int = 2,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.index, self.seeds, self.log_path, self.workers = index, seeds, log_path, workers
        self.environment = environment or {}  # more SEARCHSVC_* settings (another engine)
        self.process: subprocess.Popen | None = None
        self.socket: socket.socket | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is not None:
            return self._port
        assert self.socket is not None
        return self.socket.getsockname()[1]

    def start_with_cli(self) -> LiveServer:
        """Start through `searchsvc serve` instead, on a port that was free a moment ago."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self._port = probe.getsockname()[1]
        command = [sys.executable, "-m", "searchsvc", "serve", "--index", str(self.index)]
        command += ["--bind", f"127.0.0.1:{self._port}", "--workers", str(self.workers)]
        env = dict(os.environ, SEARCHSVC_SEEDS=str(self.seeds))
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(128)
        fd = self.socket.fileno()
        env = dict(os.environ, SEARCHSVC_INDEX=str(self.index), SEARCHSVC_SEEDS=str(self.seeds))
        env.update(self.environment)
        command = gunicorn_command(f"fd://{fd}", self.workers)
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, pass_fds=(fd,), stdout=self.log, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, deadline_s: float = READY_DEADLINE_S) -> dict:
        """Poll /api/health until it answers 200; fail early if gunicorn exits."""
        assert self.process is not None
        deadline = time.monotonic() + deadline_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}: {self.log_tail()}"
                )
            try:
                reply = http_get(self.port, "/api/health", timeout=2.0)
                if reply.status == 200:
                    return reply.json()
                last_error = f"status {reply.status}"
            except OSError as exc:
                last_error = repr(exc)
            # The pause between polls ends at once if the server dies.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=POLL_INTERVAL_S)
        raise TimeoutError(f"server not ready in {deadline_s}s ({last_error}): {self.log_tail()}")

    def stop(self) -> int:
        """SIGTERM (gunicorn's graceful shutdown) and wait for the exit status."""
        code = 0
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
        elif self.process is not None:
            code = self.process.returncode
        if self.socket is not None:
            self.socket.close()
        self.log.close()
        return code

    def logs(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.logs()[-chars:]
