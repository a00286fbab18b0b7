"""A seeds subfolder that cannot be listed keeps its stories (issue 13 item 7).

The build runs as an unprivileged user (setpriv, when the tests run as root: root lists any
folder whatever its mode), with one subfolder's mode set to 000: a real EACCES from the
listing, as an operator's `chmod` or a mount gone wrong gives. The build reports the folder as
skipped with the reason and keeps the stories it had from the previous generation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import SEEDS
from tests.support.web import ROOT

NOBODY = 65534


def as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command  # mode 000 already keeps this user out
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to be refused a folder")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def searchsvc(*args: str) -> subprocess.CompletedProcess:
    command = as_unprivileged([sys.executable, "-m", "searchsvc", *args])
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the unprivileged user owns (pytest's own temp folders are root's, mode 700)."""
    folder = Path(os.path.realpath("/tmp")) / f"searchsvc-unlistable-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "wire").mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:2]:
        (seeds / name).rename(seeds / "wire" / name)
    if os.geteuid() == 0:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
            path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder
    (seeds / "wire").chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


def stories(index: Path) -> list[str]:
    listed = searchsvc("articles", "--index", str(index), "--json")
    assert listed.returncode == 0, listed.stderr
    return sorted(story["id"] for story in json.loads(listed.stdout))


def test_an_unlistable_subfolder_is_skipped_naming_why_and_its_stories_are_kept(shared_folder):
    seeds, index = shared_folder / "seeds", shared_folder / "index"
    first = searchsvc("index", "--seeds", str(seeds), "--index", str(index))
    assert first.returncode == 0, first.stderr
    before = stories(index)

    (seeds / "wire").chmod(0o000)
    second = searchsvc("index", "--seeds", str(seeds), "--index", str(index), "--json")
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    summary = json.loads(second.stdout)
    assert {"file": "wire/", "reason": "cannot list folder: Permission denied"} in summary[
        "skipped"
    ]
    assert summary["deleted"] == 0  # nothing removed
    assert stories(index) == before  # the folder's stories are still searchable

    stale = searchsvc("index", "--seeds", str(seeds), "--index", str(index), "--if-stale")
    assert stale.returncode == 0 and "up to date" in stale.stdout, stale.stdout + stale.stderr
