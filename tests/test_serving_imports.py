"""A serving process never loads the writing side: not the indexing pipeline, the segment
writer, Whoosh's writer or multiprocessing; and searchsvc has no runtime import cycle. (ctypes
is no longer on the list: numpy, which holds the read side's postings, loads it.)"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITE_SIDE = (
    "whoosh.writing",
    "searchsvc.engines.whoosh.writing",
    "searchsvc.engines.whoosh.segments",
    "searchsvc.indexing",
    "multiprocessing",
)
SERVE_AND_SEARCH = """
import json, sys
from searchsvc.web.app import create_app
app = create_app({"TESTING": True, "INDEX": sys.argv[1], "SEEDS": sys.argv[2]})
response = app.test_client().get("/api/search?q=korea")
assert response.status_code == 200, response.status_code
assert response.get_json()["total"] > 0
print(json.dumps(sorted(sys.modules)))
"""


def test_a_worker_serving_searches_never_imports_the_writing_side(seed_index: Path):
    run = subprocess.run(
        [sys.executable, "-c", SERVE_AND_SEARCH, str(seed_index), str(ROOT / "seeds")],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(run.stdout.strip().splitlines()[-1]))
    assert not [name for name in WRITE_SIDE if name in loaded]
    assert not [name for name in loaded if name.startswith("searchsvc.indexing.")]


def runtime_imports(path: Path) -> set[str]:
    """searchsvc modules a file imports when it is loaded (module level, TYPE_CHECKING blocks
    and imports inside functions left out: those run later, or never)."""
    found = set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("searchsvc")}


def test_no_runtime_import_cycle_in_searchsvc():
    modules = {}
    for path in (ROOT / "searchsvc").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        # Importing a.b.c runs the packages a and a.b first, unless they hold the importer
        # (then they are already being imported, which is no cycle).
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        wanted = set()
        for target in runtime_imports(path) & modules.keys():
            parts = target.split(".")
            wanted |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} - own
        graph[name] = wanted & modules.keys() - {name}
    cycles = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycles.append([*trail[trail.index(other) :], other])
            elif other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
