"""The long API fuzz run (tests/test_fuzz_api.py runs a short one with the same checks).

    .venv/bin/python benchmarks/fuzz_api.py [--cases 5000] [--max-seconds 600]

Schemathesis generates requests (valid and deliberately invalid) from the served OpenAPI
document and sends them to a real 2-worker gunicorn on loopback over the seed index. Every
answer is checked as in the short test: no 5xx, documented status, content type and body,
security headers, no traceback. Failures are counted, not stopped at; prints a table and a
final JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402

from searchsvc.indexing.pipeline import build  # noqa: E402
from tests.support.fuzz import (  # noqa: E402
    CHECKS,
    GUNICORN_REQUEST_LINE_LIMIT,
    REQUEST_TIMEOUT_S,
    fuzz_schema,
    request_line_bytes,
)
from tests.support.web import LiveServer  # noqa: E402

# Share of the cases per operation: the search has eight parameters, health and the document
# none (Hypothesis stops those early once every distinct request was sent).
SHARES = {"/api/search": 0.7, "/api/articles/{id}": 0.26, "/api/health": 0.02}
OTHER_SHARE = 0.02


class Tally:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.server_errors = 0
        self.over_request_line = 0
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def record(self, label: str, case, base_url: str) -> None:
        if time.monotonic() > self.deadline:
            return
        self.cases += 1
        try:
            response = case.call(base_url=base_url, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as exc:
            key = f"{label}: no answer ({type(exc).__name__})"
            self.failures[key] += 1
            self.examples.setdefault(key, exc.request.url[:300] if exc.request else "")
            return
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors += 1
        if request_line_bytes(response) > GUNICORN_REQUEST_LINE_LIMIT:
            self.over_request_line += 1
            if response.status_code != 414:
                self._fail(label, f"long request line answered {response.status_code}", response)
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                self._fail(label, getattr(failure, "title", type(failure).__name__), response)

    def _fail(self, label: str, title: str, response) -> None:
        key = f"{label}: {title}"
        self.failures[key] += 1
        self.examples.setdefault(key, f"{response.status_code} {response.request.url[:300]}")


def fuzz(base_url: str, cases: int, max_seconds: float) -> Tally:
    schema = fuzz_schema(cases)
    tally = Tally(time.monotonic() + max_seconds)
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        share = SHARES.get(operation.path, OTHER_SHARE)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            examples = max(1, int(cases * share / 2))

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=False,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case) -> None:
                tally.record(label, case, base_url)  # noqa: B023 (called before the next loop)

            # no invalid request exists for an operation without parameters
            with contextlib.suppress(Unsatisfiable):
                send()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="searchsvc-fuzz-") as tmp:
        work = Path(tmp)
        seeds = work / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        build(seeds, work / "index")
        server = LiveServer(work / "index", seeds, work / "gunicorn.log", workers=2).start()
        try:
            server.wait_ready()
            started = time.monotonic()
            tally = fuzz(server.base_url, args.cases, args.max_seconds)
            elapsed = time.monotonic() - started
        finally:
            exit_code = server.stop()
        logs = server.logs()
        tracebacks = logs.count("Traceback")
        first_traceback = logs[logs.find("Traceback") - 300 :][:2500] if tracebacks else ""
    rows = {
        "cases run": tally.cases,
        "seconds": round(elapsed, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "server errors (5xx)": tally.server_errors,
        "request line over gunicorn's limit (414)": tally.over_request_line,
        "check failures": sum(tally.failures.values()),
        "tracebacks in server log": tracebacks,
        "server exit code": exit_code,
    }
    print("\nAPI fuzz run (Schemathesis, live gunicorn, 2 workers)")
    for name, value in rows.items():
        print(f"  {name:<42} {value}")
    for key, count in tally.failures.most_common():
        print(f"  FAIL {count:>5}  {key}\n              e.g. {tally.examples[key]}")
    summary = {
        "cases": tally.cases,
        "seconds": round(elapsed, 1),
        "server_errors": tally.server_errors,
        "check_failures": dict(tally.failures),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "over_request_line": tally.over_request_line,
        "tracebacks_in_log": tracebacks,
    }
    if first_traceback:
        print(f"\nFirst traceback in the server log:\n{first_traceback}")
    print(json.dumps(summary, sort_keys=True))
    return 0 if tally.server_errors == 0 and not tally.failures else 1


if __name__ == "__main__":
    sys.exit(main())
