"""Helpers and constants shared by the tests (and the benchmarks that drive a live server).

No test module imports another: what two of them share lives here; fixtures live in
tests/conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
G7_ID = "5354a1b359afebe6"  # Yomiuri's story of the first Ishiba-Lee meeting (seeds/003_…)


def require(condition: bool, reason: str) -> None:
    """Skip locally when a real component is missing, but fail in CI, where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def make_news_files(folder: Path, count: int) -> Path:
    """`count` article files of the shared news corpus (its make_corpus.py: real articles, some
    published as copies and rewrites) in `folder`."""
    script = SHARED_DATA / "news" / "make_corpus.py"
    require(script.is_file(), f"{script} is missing (the shared news corpus)")
    subprocess.run(
        [sys.executable, str(script), "--n", str(count), "--out", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder
