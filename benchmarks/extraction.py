"""Article-body extraction quality on the AEB benchmark: ours against trafilatura and readability.

Runs the project's real path (`extract_bytes(..., is_html=True)`, body paragraphs joined by blank
lines, headline left out because the ground truth leaves it out) over every page, scores it with
the shared AEB scorer, and prints the same figures for the libraries that are installed.

    .venv/bin/python benchmarks/extraction.py [--data DIR] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from searchsvc.errors import ArticleUnreadable
from searchsvc.extract import extract_bytes

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "aeb"
SCORER = SHARED / "tools" / "extract_score.py"

Extractor = Callable[[bytes, str], str]


class Seconds(NamedTuple):
    """Wall and CPU time of one run: other benchmarks share the cores, so wall time is noisy."""

    wall: float
    cpu: float


def load_scorer(path: Path = SCORER) -> ModuleType:
    """Import the shared scorer by path: it is a script, not an installed package."""
    spec = importlib.util.spec_from_file_location("extract_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_score"] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def load_truth(data_dir: Path) -> dict[str, str]:
    entries = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    return {page_id: entry.get("articleBody") or "" for page_id, entry in entries.items()}


def iter_pages(data_dir: Path, ids: list[str]) -> Iterator[tuple[str, bytes]]:
    for page_id in ids:
        yield page_id, gzip.decompress((data_dir / "html" / f"{page_id}.html.gz").read_bytes())


def ours(data: bytes, name: str) -> str:
    """The project's own path: every article's body, headline excluded."""
    try:
        articles = extract_bytes(data, name, is_html=True)
    except ArticleUnreadable:
        return ""
    return "\n\n".join("\n\n".join(article.body) for article in articles)


def library_extractors() -> dict[str, Extractor]:
    """The reference libraries that are installed, run as the AEB repository runs them."""
    found: dict[str, Extractor] = {}
    try:
        import trafilatura
    except ImportError:
        trafilatura = None
    if trafilatura is not None:
        found["trafilatura"] = lambda data, _name: (
            trafilatura.extract(data.decode("utf-8"), include_comments=False) or ""
        )
    try:
        import lxml.html
        from readability import Document
    except ImportError:
        Document = None
    if Document is not None:

        def readability_text(data: bytes, _name: str) -> str:
            summary = Document(data.decode("utf-8")).summary(html_partial=True)
            return lxml.html.fromstring(summary).text_content() if summary.strip() else ""

        found["readability-lxml"] = readability_text
    return found


def predict(extractor: Extractor, data_dir: Path, ids: list[str]) -> dict[str, str]:
    return {
        page_id: extractor(data, f"{page_id}.html") for page_id, data in iter_pages(data_dir, ids)
    }


def score(
    extractor: Extractor, data_dir: Path = DEFAULT_DATA, n_bootstrap: int = 0
) -> tuple[dict[str, object], list[object], Seconds]:
    """Score one extractor over the whole set: (summary, per-page scores, seconds)."""
    scorer = load_scorer()
    truth = load_truth(data_dir)
    wall, cpu = time.perf_counter(), time.process_time()
    predictions = predict(extractor, data_dir, sorted(truth))
    elapsed = Seconds(time.perf_counter() - wall, time.process_time() - cpu)
    summary, pages = scorer.evaluate(truth, predictions, n_bootstrap)
    return summary, pages, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="AEB folder")
    parser.add_argument("--worst", type=int, default=10, help="worst pages to list for ours")
    parser.add_argument("--bootstrap", type=int, default=200, help="resamples for ± figures")
    args = parser.parse_args(argv)

    scorer = load_scorer()
    systems: dict[str, Extractor] = {"searchsvc": ours, **library_extractors()}
    rows = []
    for name, extractor in systems.items():
        summary, pages, elapsed = score(extractor, args.data, args.bootstrap)
        rows.append((name, summary, elapsed))
        if name == "searchsvc":
            print(f"worst {args.worst} pages for searchsvc:")
            print(scorer.worst_pages_table(pages, args.worst))
            print()
    header = f"{'system':<18} {'F1':>7} {'P':>7} {'R':>7} {'±F1':>6} {'empty':>5}"
    print(f"{header} {'s/page':>7} {'cpu/page':>8}")
    for name, summary, elapsed in rows:
        pages_count = summary["pages"]
        print(
            f"{name:<18} {summary['f1']:>7.4f} {summary['precision']:>7.4f} "
            f"{summary['recall']:>7.4f} {summary.get('f1_std', 0.0):>6.3f} "
            f"{summary['empty']:>5} {elapsed.wall / pages_count:>7.3f} "
            f"{elapsed.cpu / pages_count:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
