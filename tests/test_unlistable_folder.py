"""A seeds subfolder that cannot be listed keeps its stories (issue 13 item 7).

One subfolder's mode is set to 000, and the build runs without the capabilities that let root
read any folder whatever its mode (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH when
the tests run as root; still uid 0, so the checkout and its virtualenv stay readable however
private the folder they were cloned into): a real EACCES from the listing, as an operator's
`chmod` or a mount gone wrong gives. The build reports the folder as
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


def as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command  # mode 000 already keeps this user out
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to be refused a folder")
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={dropped}", "--inh-caps=-all", *command]


def searchsvc(*args: str) -> subprocess.CompletedProcess:
    command = as_unprivileged([sys.executable, "-m", "searchsvc", *args])
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def shared_folder(tmp_path: Path) -> Path:
    """seeds/ with two of its files moved into a subfolder, wire/, and room for an index."""
    folder = tmp_path
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "wire").mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:2]:
        (seeds / name).rename(seeds / "wire" / name)
    yield folder
    (seeds / "wire").chmod(0o755)


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
