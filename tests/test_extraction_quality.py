"""Article-body extraction quality on the AEB benchmark (issue 5), scored as benchmarks/ does.

The AEB data lives in the shared folder beside the repository, never inside it. Locally the test
skips when that folder is absent; in CI (CI=true) the data is always provided, so its absence
is a failure rather than a silent skip.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
AEB = REPO.parent / "shared/data/aeb"
BENCHMARK = REPO / "benchmarks" / "extraction.py"

# Reached on the AEB pages: F1 0.9778, P 0.9757, R 0.9799, 0 empty. The floors leave 0.005 of
# slack for library version drift; raising the figure means raising these with it.
MIN_F1 = 0.9728  # reached 0.9778 - 0.005
MIN_PRECISION = 0.9707  # reached 0.9757 - 0.005
MAX_EMPTY = 2


def _benchmark_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def aeb_summary() -> dict[str, object]:
    if not (AEB / "ground-truth.json").is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"AEB benchmark data missing at {AEB} (it is provided in CI)")
        pytest.skip(f"AEB benchmark data not present at {AEB}")
    benchmark = _benchmark_module()
    summary, _pages, _seconds = benchmark.score(benchmark.ours, AEB)
    return summary


def test_f1_on_aeb_pages_beats_the_reached_floor(aeb_summary):
    assert aeb_summary["pages"] == 181
    assert aeb_summary["f1"] >= MIN_F1, aeb_summary


def test_precision_on_aeb_pages_stays_high(aeb_summary):
    assert aeb_summary["precision"] >= MIN_PRECISION, aeb_summary


def test_almost_no_aeb_page_comes_out_empty(aeb_summary):
    assert aeb_summary["empty"] <= MAX_EMPTY, aeb_summary
