"""Shared fixtures: a real index built from seeds/ once per session, on disk in a temp dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.indexing.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally when a real component is missing, but fail in CI, where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index folder built from the product's seeds (read-only for tests: copy to modify)."""
    root = tmp_path_factory.mktemp("seed-index") / "index"
    summary = build(SEEDS, root)
    assert summary.stories == 7, summary
    return root


@pytest.fixture(scope="session")
def opened(seed_index: Path):
    handle = WhooshEngine(seed_index)
    yield handle.live()
    handle.close()


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of seeds/ for tests that add, change or break files."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target
