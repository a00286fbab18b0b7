#!/usr/bin/env python3
"""A local OpenSearch cluster for searchsvc, one JVM per node, built from Maven Central jars.

Python 3 standard library only, so it runs before any virtualenv exists.

    python3 opensearch/cluster.py up            # build the launcher if needed, start, wait green
    python3 opensearch/cluster.py down          # SIGTERM (then SIGKILL) the nodes of OPENSEARCH_DIR
    python3 opensearch/cluster.py status        # per node: ports, pid, alive, RSS; cluster health
    python3 opensearch/cluster.py url           # the comma-separated node URLs
    python3 opensearch/cluster.py start-node I  # (re)start node I (0-based) and wait for green
    python3 opensearch/cluster.py kill-node I   # kill -9 node I (for kill drills)
    python3 opensearch/cluster.py wipe          # delete OPENSEARCH_DIR (nodes must be down)

Environment (all optional):
    OPENSEARCH_NODES    number of nodes, default 3 (1 = single-node discovery, replicas default 0)
    OPENSEARCH_PORT     HTTP port of node 0, default 9200; node I uses PORT+I for HTTP and
                        PORT+100+I for transport
    OPENSEARCH_DIR      data, logs, pid files; default .opensearch/ at the project root
    OPENSEARCH_HEAP     heap per node (-Xms = -Xmx), default 1g
    OPENSEARCH_TIMEOUT  seconds to wait for green, default 180
    JAVA_HOME           JDK to run the nodes with (else `java` on PATH); Java 17 or newer
    MVN                 Maven command, default mvn

`up` prints progress on stderr and the node URLs as the last line on stdout, so
`URL=$(python3 opensearch/cluster.py up)` works. Exit status: 0 ok, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent  # opensearch/
ROOT = HERE.parent  # the project root
MAIN_CLASS = "org.searchsvc.opensearch.LocalNode"
TRANSPORT_OFFSET = 100
LOG_TAIL_LINES = 40
# All nodes joined, some replicas unassigned, nothing recovering for this long: green will not come.
STUCK_YELLOW_SECONDS = 20


class Failure(Exception):
    """A failure to report to the user: message printed, exit 1, no traceback."""


def say(msg: str) -> None:
    print(f"opensearch: {msg}", file=sys.stderr, flush=True)


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Failure(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise Failure(f"{name}={value} must be at least {minimum}")
    return value


class Cluster:
    def __init__(self) -> None:
        self.nodes = env_int("OPENSEARCH_NODES", 3)
        self.port = env_int("OPENSEARCH_PORT", 9200, minimum=1024)
        if self.port + TRANSPORT_OFFSET + self.nodes > 65535:
            raise Failure(f"OPENSEARCH_PORT={self.port} leaves no room for {self.nodes} nodes")
        raw_dir = os.environ.get("OPENSEARCH_DIR", "").strip()
        self.dir = Path(raw_dir).resolve() if raw_dir else ROOT / ".opensearch"
        self.heap = os.environ.get("OPENSEARCH_HEAP", "").strip() or "1g"
        if not re.fullmatch(r"\d+[kKmMgG]?", self.heap):
            raise Failure(f"OPENSEARCH_HEAP={self.heap!r} is not a JVM size such as 512m or 1g")
        self.timeout = env_int("OPENSEARCH_TIMEOUT", 180)
        # Keep clusters of different OPENSEARCH_DIRs apart even if their ports were to overlap.
        self.name = "searchsvc-" + re.sub(r"[^A-Za-z0-9_-]+", "-", self.dir.name.lstrip(".")).strip(
            "-"
        )

    # -- layout ---------------------------------------------------------------------------------

    def http_port(self, i: int) -> int:
        return self.port + i

    def transport_port(self, i: int) -> int:
        return self.port + TRANSPORT_OFFSET + i

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.http_port(i)}"

    def urls(self) -> str:
        return ",".join(self.url(i) for i in range(self.nodes))

    def node_home(self, i: int) -> Path:
        return self.dir / f"node-{i}"

    def pid_file(self, i: int) -> Path:
        return self.dir / f"node-{i}.pid"

    def log_file(self, i: int) -> Path:
        return self.dir / f"node-{i}.log"

    def layout_file(self) -> Path:
        return self.dir / "cluster.json"

    def layout(self) -> dict:
        return {"nodes": self.nodes, "port": self.port}

    def adopt_saved_layout(self) -> None:
        """down/status/kill-node/start-node act on the cluster as `up` made it."""
        try:
            saved = json.loads(self.layout_file().read_text())
            self.nodes, self.port = int(saved["nodes"]), int(saved["port"])
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def check_index(self, i: int) -> None:
        if not 0 <= i < self.nodes:
            raise Failure(
                f"node index {i} is out of range: this cluster has nodes 0..{self.nodes - 1}"
            )

    # -- processes ------------------------------------------------------------------------------

    def pid(self, i: int) -> int | None:
        try:
            return int(self.pid_file(i).read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self, i: int) -> int | None:
        """The pid of node i if that process is running and is this node's JVM, else None."""
        pid = self.pid(i)
        if pid is None:
            return None
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        state = stat.rsplit(")", 1)[-1].split()[0]
        if state in ("Z", "X"):
            return None
        # A recycled pid would not carry this node's path.home on its command line.
        if MAIN_CLASS not in cmdline or f"path.home={self.node_home(i)}\0" not in cmdline + "\0":
            return None
        return pid

    def still_alive(self, i: int, seconds: float = 2.0) -> bool:
        """A second look before calling a node dead: a JVM seen mid-exec has an empty or
        partial /proc/PID/cmdline for a moment (a drill once saw a starting node 'exit' this
        way, and the node it left running kept its ports)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if self.alive(i):
                return True
        return False

    def java(self) -> str:
        java_home = os.environ.get("JAVA_HOME", "").strip()
        if java_home and (Path(java_home) / "bin" / "java").exists():
            return str(Path(java_home) / "bin" / "java")
        found = shutil.which("java")
        if not found:
            raise Failure(
                "no `java` on PATH and no JAVA_HOME: install a JDK 17 "
                "(apt-get install openjdk-17-jdk-headless)"
            )
        return found

    def settings(self, i: int) -> list[str]:
        home = self.node_home(i)
        s = {
            # Everything a node writes stays under OPENSEARCH_DIR/node-I.
            "path.home": str(home),
            "path.data": str(home / "data"),
            "path.logs": str(home / "logs"),
            "node.name": f"node-{i}",
            "cluster.name": self.name,
            # Loopback only: nothing outside this machine can reach the cluster.
            "network.host": "127.0.0.1",
            "http.port": str(self.http_port(i)),
            "transport.port": str(self.transport_port(i)),
            # Disks here are shared and often fuller than 85/90 %: the watermarks would stop
            # shard allocation (and make indices read-only) for reasons unrelated to the tests.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        if self.nodes == 1:
            # No discovery and no bootstrap vote; the node elects itself at once. (Replicas could
            # never be assigned on one node: `up` makes 0 the cluster's default, see cmd_up.)
            s["discovery.type"] = "single-node"
        else:
            # Every node knows every transport address; the first start bootstraps the cluster
            # from these cluster-manager-eligible node names (ignored once a cluster state exists).
            s["discovery.seed_hosts"] = ",".join(
                f"127.0.0.1:{self.transport_port(j)}" for j in range(self.nodes)
            )
            s["cluster.initial_cluster_manager_nodes"] = ",".join(
                f"node-{j}" for j in range(self.nodes)
            )
        return [f"{k}={v}" for k, v in s.items()]

    def command(self, i: int) -> list[str]:
        tmp = self.node_home(i) / "tmp"
        return [
            self.java(),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Xss1m",
            # A node out of heap dies (visible in status and its log) rather than limping on.
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            f"-Djava.io.tmpdir={tmp}",
            # As in the distribution's jvm.options: same date/locale data as production on JDK 17.
            "-Djava.locale.providers=SPI,COMPAT",
            # Netty sizes its event loops once per JVM; OpenSearch must not try to set it again.
            "-Dopensearch.set.netty.runtime.available.processors=false",
            "-Dio.netty.noUnsafe=true",
            "-Dio.netty.noKeySetOptimization=true",
            "-Dio.netty.recycler.maxCapacityPerThread=0",
            # The node closes itself on SIGTERM and logs while doing so: log4j must not shut
            # down first.
            "-Dlog4j.shutdownHookEnabled=false",
            "-Dlog4j2.disable.jmx=true",
            f"-Dopensearch.path.conf={HERE / 'config'}",
            "-cp",
            f"{HERE / 'target' / 'classes'}{os.pathsep}{HERE / 'target' / 'lib' / '*'}",
            MAIN_CLASS,
            *self.settings(i),
        ]

    def check_ports(self, i: int) -> None:
        for port in (self.http_port(i), self.transport_port(i)):
            if port_in_use(port):
                raise Failure(
                    f"port {port} on 127.0.0.1 is taken by another process; "
                    f"set OPENSEARCH_PORT (node I uses PORT+I and PORT+{TRANSPORT_OFFSET}+I)"
                )

    def spawn(self, i: int) -> int:
        home = self.node_home(i)
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        self.check_ports(i)
        log = self.log_file(i)
        if log.exists():
            log.replace(
                log.with_name(log.name + ".1")
            )  # keep the previous run's log for post-mortems
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                self.command(i),
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # detached: survives this script and Ctrl-C in make
            )
        self.pid_file(i).write_text(f"{proc.pid}\n")
        say(
            f"started node-{i} (pid {proc.pid}, http {self.http_port(i)}, "
            f"transport {self.transport_port(i)}, log {log})"
        )
        return proc.pid

    def stop(self, indices: list[int], grace: float = 30.0) -> None:
        pids = {i: self.alive(i) for i in indices}
        for i, pid in pids.items():
            if pid:
                say(f"stopping node-{i} (pid {pid})")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(self.alive(i) for i, pid in pids.items() if pid) and time.monotonic() < deadline:
            reap_children()
            time.sleep(0.2)
        for i, pid in pids.items():
            if pid and self.alive(i):
                say(f"node-{i} (pid {pid}) still running after {grace:.0f} s: SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                wait_gone(lambda i=i: self.alive(i), 10)
            self.pid_file(i).unlink(missing_ok=True)

    # -- health ---------------------------------------------------------------------------------

    def health(self, indices: list[int] | None = None) -> dict | None:
        """Cluster health as seen by the first node (of indices) that answers, else None."""
        for i in indices if indices is not None else range(self.nodes):
            h = get_json(self.url(i) + "/_cluster/health")
            if h is not None:
                h["_via"] = i
                return h
        return None

    def wait_green(self, started_now: list[int], need_node: int | None = None) -> None:
        deadline = time.monotonic() + self.timeout
        t0 = time.monotonic()
        last_line = ""
        last_print = 0.0
        stuck_since: float | None = None
        while True:
            reap_children()
            for i in range(self.nodes):
                if not self.alive(i) and not self.still_alive(i):
                    raise NodeDied(i)
            answering = [
                i for i in range(self.nodes) if get_json(self.url(i) + "/", timeout=1.0) is not None
            ]
            h = self.health(answering) if answering else None
            status = h.get("status", "?") if h else "-"
            joined = h.get("number_of_nodes", 0) if h else 0
            if (
                h
                and status == "green"
                and joined == self.nodes
                and (need_node is None or need_node in answering)
                and not h.get("timed_out")
            ):
                say(
                    f"cluster {self.name} is green: {joined} node(s) after "
                    f"{time.monotonic() - t0:.1f} s"
                )
                return
            if (
                h
                and joined == self.nodes
                and status == "yellow"
                and not any(
                    h.get(k)
                    for k in (
                        "initializing_shards",
                        "relocating_shards",
                        "delayed_unassigned_shards",
                        "number_of_pending_tasks",
                    )
                )
            ):
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > STUCK_YELLOW_SECONDS:
                    raise StuckYellow(h)
            else:
                stuck_since = None
            line = (
                f"http up {len(answering)}/{self.nodes}, joined {joined}/{self.nodes}, "
                f"health {status}"
            )
            if h and h.get("unassigned_shards"):
                line += f", unassigned shards {h['unassigned_shards']}"
            now = time.monotonic()
            if line != last_line or now - last_print > 10:
                say(f"waiting ({now - t0:4.0f} s): {line}")
                last_line, last_print = line, now
            if now > deadline:
                raise Timeout(self.timeout, answering)
            time.sleep(1.0)


class NodeDied(Failure):
    def __init__(self, i: int) -> None:
        super().__init__(f"node-{i} exited while the cluster was starting")
        self.index = i


class StuckYellow(Failure):
    def __init__(self, health: dict) -> None:
        super().__init__(
            f"every node has joined but {health.get('unassigned_shards')} shard(s) stay "
            f"unassigned with nothing recovering for {STUCK_YELLOW_SECONDS} s: an index asks "
            "for more replicas than the cluster has "
            "nodes for (see GET /_cluster/allocation/explain); the cluster itself is up"
        )


class Timeout(Failure):
    def __init__(self, seconds: int, answering: list[int]) -> None:
        super().__init__(f"the cluster was not green after {seconds} s (OPENSEARCH_TIMEOUT)")
        self.answering = answering


# -- helpers ------------------------------------------------------------------------------------


def get_json(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read().decode())
    except urllib.error.HTTPError as e:  # e.g. 503 while no cluster manager is elected
        try:
            return json.loads(e.read().decode()) if e.code != 503 else None
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def reap_children() -> None:
    """Collect nodes started by this process that have exited, so they do not linger as zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_gone(is_alive, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_alive():
        if time.monotonic() > deadline:
            return False
        reap_children()
        time.sleep(0.1)
    return True


def rss_mib(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return f"{int(line.split()[1]) / 1024:.0f} MiB"
    except (OSError, ValueError, IndexError):
        pass
    return "-"


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def print_tail(cluster: Cluster, i: int) -> None:
    log = cluster.log_file(i)
    print(f"--- last {LOG_TAIL_LINES} lines of {log} ---", file=sys.stderr)
    print(tail(log), file=sys.stderr)
    print("--- end of log ---", file=sys.stderr, flush=True)


# -- build ------------------------------------------------------------------------------------


def newest_source_mtime() -> float:
    paths = [HERE / "pom.xml", *(p for p in (HERE / "src").rglob("*") if p.is_file())]
    return max(p.stat().st_mtime for p in paths)


def ensure_built() -> None:
    stamp = HERE / "target" / ".built"
    lib = HERE / "target" / "lib"
    if stamp.exists() and lib.is_dir() and stamp.stat().st_mtime >= newest_source_mtime():
        return
    mvn = os.environ.get("MVN", "").strip() or "mvn"
    if not shutil.which(mvn):
        raise Failure(f"`{mvn}` not found: Maven builds the node launcher (apt-get install maven)")
    say(
        "building the launcher with Maven "
        "(the first build downloads ~85 MB of jars and plugins to ~/.m2) ..."
    )
    t0 = time.monotonic()
    # copy-dependencies never deletes a jar dropped from the pom: start lib afresh when the pom
    # changed. (Not otherwise: running nodes of another OPENSEARCH_DIR read their jars from here.)
    if not stamp.exists() or (HERE / "pom.xml").stat().st_mtime > stamp.stat().st_mtime:
        shutil.rmtree(lib, ignore_errors=True)
    result = subprocess.run(
        [mvn, "-q", "-B", "package", "-DskipTests"],
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if result.returncode != 0:
        out = result.stdout.decode(errors="replace").splitlines()
        print("\n".join(out[-LOG_TAIL_LINES:]), file=sys.stderr)
        raise Failure(f"Maven build failed (exit {result.returncode}) in {HERE}")
    stamp.touch()
    say(f"launcher built in {time.monotonic() - t0:.1f} s")


# -- commands -----------------------------------------------------------------------------------


def cmd_up(cluster: Cluster) -> int:
    cluster.dir.mkdir(parents=True, exist_ok=True)
    saved_file = cluster.layout_file()
    running = [i for i in range(cluster.nodes) if cluster.alive(i)]
    if saved_file.exists():
        try:
            saved = json.loads(saved_file.read_text())
        except ValueError:
            saved = None
        if saved and saved != cluster.layout():
            old = Cluster.__new__(Cluster)
            old.__dict__.update(cluster.__dict__)
            old.adopt_saved_layout()
            if any(old.alive(i) for i in range(old.nodes)):
                raise Failure(
                    f"{cluster.dir} holds a running cluster of {saved.get('nodes')} node(s) on "
                    f"port {saved.get('port')}; run `down` first or choose another OPENSEARCH_DIR"
                )
            raise Failure(
                f"{cluster.dir} holds the data of a {saved.get('nodes')}-node cluster on port "
                f"{saved.get('port')}, not {cluster.nodes} node(s) on port {cluster.port}: "
                "run `python3 opensearch/cluster.py wipe` "
                "with the same OPENSEARCH_DIR, or choose another OPENSEARCH_DIR"
            )
    if len(running) == cluster.nodes:
        h = cluster.health()
        if h and h.get("status") == "green" and h.get("number_of_nodes") == cluster.nodes:
            say(f"already running and green: {cluster.nodes} node(s) from {cluster.dir}")
            print(cluster.urls(), flush=True)
            return 0
    ensure_built()
    saved_file.write_text(json.dumps(cluster.layout()) + "\n")
    mode = "single-node" if cluster.nodes == 1 else f"{cluster.nodes} nodes"
    say(f"cluster {cluster.name}: {mode}, heap {cluster.heap} each, data in {cluster.dir}")
    for i in range(cluster.nodes):
        if i not in running:
            cluster.check_ports(i)
    started: list[int] = []
    try:
        for i in range(cluster.nodes):
            if i in running:
                say(f"node-{i} already running (pid {cluster.pid(i)})")
                continue
            cluster.spawn(i)
            started.append(i)
        cluster.wait_green(started)
    except NodeDied as e:
        say(str(e))
        print_tail(cluster, e.index)
        cluster.stop(started)
        say("stopped the nodes this command had started")
        return 1
    except StuckYellow as e:
        say(f"error: {e}")
        say("leaving the nodes running; `down` stops them")
        return 1
    except Timeout as e:
        say(str(e))
        silent = [i for i in range(cluster.nodes) if i not in e.answering] or [0]
        h = cluster.health(e.answering)
        if h:
            say("last health: " + json.dumps({k: v for k, v in h.items() if not k.startswith("_")}))
        print_tail(cluster, silent[0])
        cluster.stop(started)
        say("stopped the nodes this command had started")
        return 1
    except KeyboardInterrupt:
        say("interrupted: stopping the nodes this command had started")
        cluster.stop(started)
        return 130
    except Failure:
        cluster.stop(started)
        raise
    if cluster.nodes == 1:
        default_zero_replicas(cluster)
    print(cluster.urls(), flush=True)
    return 0


def default_zero_replicas(cluster: Cluster) -> None:
    """On one node a replica can never be assigned: make new indices default to 0 replicas.

    cluster.default_number_of_replicas is read from the cluster state's persistent settings (not
    from node settings), so it is set through the API; it is kept in path.data across restarts.
    """
    body = json.dumps({"persistent": {"cluster.default_number_of_replicas": 0}}).encode()
    req = urllib.request.Request(
        cluster.url(0) + "/_cluster/settings",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    except OSError as e:
        raise Failure(f"could not set cluster.default_number_of_replicas=0: {e}") from None


def cmd_down(cluster: Cluster) -> int:
    cluster.adopt_saved_layout()
    indices = sorted(
        {i for i in range(cluster.nodes)}
        | {
            int(m.group(1))
            for p in cluster.dir.glob("node-*.pid")
            if (m := re.fullmatch(r"node-(\d+)\.pid", p.name))
        }
    )
    running = [i for i in indices if cluster.alive(i)]
    if not running:
        for i in indices:
            cluster.pid_file(i).unlink(missing_ok=True)
        say(f"no node running from {cluster.dir}")
        return 0
    cluster.stop(indices)
    say(f"stopped {len(running)} node(s)")
    return 0


def cmd_status(cluster: Cluster) -> int:
    cluster.adopt_saved_layout()
    print(f"cluster {cluster.name} in {cluster.dir}: {cluster.nodes} node(s)")
    alive = 0
    for i in range(cluster.nodes):
        pid = cluster.alive(i)
        alive += bool(pid)
        print(
            f"  node-{i}  http {cluster.http_port(i)}  transport {cluster.transport_port(i)}  "
            f"pid {pid or cluster.pid(i) or '-'}  alive {'yes' if pid else 'no'}  "
            f"rss {rss_mib(pid) if pid else '-'}"
        )
    h = cluster.health()
    if h is None:
        print("  health: no node answers")
    else:
        print(
            f"  health: {h.get('status')} (via node-{h['_via']}), "
            f"nodes {h.get('number_of_nodes')}, active shards {h.get('active_shards')}, "
            f"initializing {h.get('initializing_shards')}, "
            f"unassigned {h.get('unassigned_shards')}"
        )
    if alive:
        print(f"  urls: {cluster.urls()}")
    return 0 if alive == cluster.nodes and h is not None and h.get("status") == "green" else 1


def cmd_url(cluster: Cluster) -> int:
    cluster.adopt_saved_layout()
    print(cluster.urls())
    return 0


def cmd_start_node(cluster: Cluster, i: int, wait: bool) -> int:
    cluster.adopt_saved_layout()
    cluster.check_index(i)
    if not cluster.layout_file().exists():
        raise Failure(f"no cluster in {cluster.dir}: run `up` first")
    if cluster.alive(i):
        say(f"node-{i} is already running (pid {cluster.pid(i)})")
    else:
        ensure_built()
        cluster.spawn(i)
    if not wait:
        return 0
    try:
        cluster.wait_green([i], need_node=i)
    except NodeDied as e:
        say(str(e))
        print_tail(cluster, e.index)
        return 1
    except StuckYellow as e:
        say(f"error: {e}")
        return 1
    except Timeout as e:
        say(str(e))
        print_tail(cluster, i)
        return 1
    return 0


def cmd_kill_node(cluster: Cluster, i: int) -> int:
    cluster.adopt_saved_layout()
    cluster.check_index(i)
    pid = cluster.alive(i)
    if not pid:
        say(f"node-{i} is not running")
        cluster.pid_file(i).unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGKILL)
    if not wait_gone(lambda: cluster.alive(i), 10):
        raise Failure(f"node-{i} (pid {pid}) survived SIGKILL for 10 s")
    cluster.pid_file(i).unlink(missing_ok=True)
    say(f"killed node-{i} (pid {pid}) with SIGKILL")
    return 0


def cmd_wipe(cluster: Cluster) -> int:
    cluster.adopt_saved_layout()
    if any(cluster.alive(i) for i in range(cluster.nodes)):
        raise Failure(f"nodes of {cluster.dir} are running: run `down` first")
    if cluster.dir.exists():
        shutil.rmtree(cluster.dir)
        say(f"removed {cluster.dir}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="cluster.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "status", "url", "wipe"):
        sub.add_parser(name)
    start = sub.add_parser("start-node", help="(re)start node I and wait for green")
    start.add_argument("index", type=int)
    start.add_argument("--no-wait", action="store_true", help="return once the JVM is spawned")
    kill = sub.add_parser("kill-node", help="kill -9 node I")
    kill.add_argument("index", type=int)
    args = parser.parse_args(argv)
    try:
        cluster = Cluster()
        if args.cmd == "start-node":
            return cmd_start_node(cluster, args.index, wait=not args.no_wait)
        if args.cmd == "kill-node":
            return cmd_kill_node(cluster, args.index)
        return {
            "up": cmd_up,
            "down": cmd_down,
            "status": cmd_status,
            "url": cmd_url,
            "wipe": cmd_wipe,
        }[args.cmd](cluster)
    except Failure as e:
        say(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
