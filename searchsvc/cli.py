"""The `searchsvc` command: index, search, articles, extract, serve."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from searchsvc import synonyms
from searchsvc.config import load_settings
from searchsvc.engines import open_engine
from searchsvc.errors import (
    EngineUnavailable,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    SearchServiceError,
)
from searchsvc.export import FORMATS, collect_export, render_lines
from searchsvc.seeds import freshness

if TYPE_CHECKING:  # the indexing side is imported by `searchsvc index` only
    from searchsvc.indexing.pipeline import BuildSummary
from searchsvc.model import SORTS, SearchRequest
from searchsvc.search import search

INDEX_OPTION = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    help="Index folder (default: $SEARCHSVC_INDEX or ./index).",
)


# C0 and C1 control characters but tab and newline (and a CR ending a CSV line): printed raw,
# ESC and CSI sequences from an article or a file name could move the cursor, recolour the
# terminal or set its title. Shown as U+FFFD instead, one character for one, so columns hold.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def terminal_safe(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


def echo(message: object = "", **options: object) -> None:
    """click.echo for everything this command prints: never a raw control character."""
    click.echo(terminal_safe(str(message)), **options)


def secho(message: object = "", **styles: object) -> None:
    click.secho(terminal_safe(str(message)), **styles)


class _Commands(click.Group):
    """The command group; an engine that cannot answer (a wrong SEARCHSVC_OPENSEARCH_URL, a red
    cluster) is one line on stderr and exit status 1 from any command, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except EngineUnavailable as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Full-text search over news article files."""


class _Progress:
    """A progress bar per stage on a terminal; silent when output is piped (CI logs stay short)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.bars: dict[str, object] = {}
        self.done: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage not in self.bars:
            for bar in self.bars.values():
                bar.render_finish()
            label = {"extract": "Reading files ", "index": "Indexing      "}.get(stage, stage)
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
            self.bars[stage], self.done[stage] = bar, 0
        self.bars[stage].update(done - self.done[stage])
        self.done[stage] = done

    def finish(self) -> None:
        for bar in self.bars.values():
            bar.render_finish()


def print_summary(summary: BuildSummary, seeds: Path) -> None:
    if summary.up_to_date:
        echo(
            f"Index up to date ({summary.generation}): nothing changed in {seeds}/ since it was "
            f"built, nothing published ({summary.seconds:.2f} s)."
        )
        return
    kind = "full" if summary.full else "incremental"
    echo(f"Built {summary.generation or '(nothing)'} ({kind}) in {summary.seconds:.2f} s")
    echo(
        f"  files:    {summary.files_seen:,} seen, {summary.files_read:,} read, "
        f"{summary.files_reused:,} unchanged, {len(summary.skipped):,} skipped"
    )
    echo(
        f"  articles: {summary.articles:,} extracted, "
        f"{plural(summary.duplicates_merged, 'duplicate')} merged, "
        f"{plural(summary.stories, 'story', 'stories')} indexed"
    )
    echo(
        f"  changes:  {plural(summary.added, 'story', 'stories')} written, "
        f"{summary.deleted:,} removed"
    )
    if summary.phases:
        spent = " · ".join(f"{phase} {seconds:.1f} s" for phase, seconds in summary.phases.items())
        echo(f"  time:     {spent}")
    for name, reason in summary.skipped:
        echo(f"  skipped:  {name}: {reason}")


@main.command("index")
@click.option("--seeds", type=click.Path(path_type=Path), help="Folder of article files.")
@INDEX_OPTION
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of incrementally.")
@click.option(
    "--wait",
    "wait_s",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another running build to finish.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--if-stale",
    is_flag=True,
    help="Only build when the index is missing or older than a seed file.",
)
def index_command(
    seeds: Path | None,
    index_dir: Path | None,
    full: bool,
    wait_s: float,
    as_json: bool,
    if_stale: bool,
) -> None:
    """Build the index from every file under the seeds folder."""
    settings = load_settings(seeds=seeds, index=index_dir)
    if not settings.seeds.is_dir():
        raise click.ClickException(f"seeds folder {settings.seeds} does not exist")
    if if_stale:
        reader = open_engine(settings)
        try:
            live = reader.live()
        except IndexDamaged as exc:
            echo(f"Rebuilding: {exc}", err=True)
            live = None
        except IndexMissing:
            live = None
        fresh = freshness(settings.seeds, live)
        if live is not None and not fresh["stale"]:
            echo(f"Index {live.name} is up to date with {settings.seeds}/.")
            return
        # Not kept through the build: an open Whoosh searcher holds a copy of its segments.
        del live
        reader.release_readers()
    from searchsvc.indexing.pipeline import build

    progress = _Progress()
    try:
        summary = build(
            settings.seeds,
            settings.index,
            full=full,
            max_bytes=settings.max_file_bytes,
            keep=settings.generations_kept,
            lock_wait_s=wait_s,
            progress=progress,
            engine=open_engine(settings),
        )
    except (IndexBusy, EngineUnavailable) as exc:
        progress.finish()
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        progress.finish()
        raise click.ClickException(
            f"the build failed and the live index was left as it was: {exc}"
        ) from None
    progress.finish()
    if as_json:
        echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary, settings.seeds)
    if summary.stories == 0:
        echo("Error: nothing could be indexed.", err=True)
        sys.exit(1)


def _open(index_dir: Path | None):
    settings = load_settings(index=index_dir)
    try:
        return settings, open_engine(settings).live()
    except IndexDamaged as exc:
        raise click.ClickException(str(exc)) from None
    except IndexMissing as exc:
        raise click.ClickException(f"{exc}\nBuild it with: searchsvc index") from None


@main.command("search")
@click.argument("query", nargs=-1)
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the result value as JSON.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=10, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option(
    "--outlet", multiple=True, help="Only stories from this outlet (repeat: any of them)."
)
@click.option(
    "--category", multiple=True, help="Only stories in this category (repeat: any of them)."
)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="From date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="To date.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(FORMATS),
    help="Print every hit (not one page; at most $SEARCHSVC_EXPORT_MAX_HITS, collected within "
    "$SEARCHSVC_EXPORT_TIME_LIMIT_S) as CSV or JSON Lines.",
)
def search_command(
    query: tuple[str, ...],
    index_dir: Path | None,
    as_json: bool,
    page: int,
    per_page: int,
    sort: str,
    outlet: tuple[str, ...],
    category: tuple[str, ...],
    date_from,
    date_to,
    export_format: str | None = None,
) -> None:
    """Search the index. Exit status 2 on a malformed query."""
    settings, opened = _open(index_dir)
    request = SearchRequest(
        q=" ".join(query),
        page=page,
        per_page=per_page,
        sort=sort,
        outlet=outlet,
        category=category,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )
    try:
        request.validate(settings.max_query_chars, settings.max_per_page)
        options = {
            "max_expansion": settings.max_expansion,
            "max_total_expansion": settings.max_total_expansion,
            "time_limit_s": settings.search_time_limit_s,
            "max_query_depth": settings.max_query_depth,
            "synonym_table": synonyms.load(settings.synonyms_file or None),
        }
        result = search(opened, request, **options)
    except EngineUnavailable:
        raise  # not the query's fault: exit status 1 (_Commands)
    except SearchServiceError as exc:
        _print_user_error(request.q, exc)
        sys.exit(2)
    if export_format:
        _print_export(export_format, opened, request, settings, options)
        return
    if as_json:
        echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_results(result)


def _print_export(fmt: str, opened, request: SearchRequest, settings, options: dict) -> None:
    """Every hit as CSV or JSON Lines on stdout; a cut export says so on stderr (and, in JSON
    Lines, in its last line), as the API's headers do."""
    export = collect_export(
        opened, request, settings.export_max_hits, settings.export_time_limit_s, **options
    )
    base = settings.public_url.rstrip("/")  # relative links unless SEARCHSVC_PUBLIC_URL is set
    for chunk in render_lines(fmt, export, lambda story_id: f"{base}/articles/{story_id}"):
        echo(chunk, nl=False)
    if not export.complete:
        echo(
            f"Note: export cut by the {export.cut_by}: {len(export.hits)} of {export.total} "
            "matches written",
            err=True,
        )


def _print_user_error(q: str, exc: SearchServiceError) -> None:
    echo(f"Error: {exc}", err=True)
    position = getattr(exc, "position", None)
    if position is not None:
        echo(f"  {q}", err=True)
        echo("  " + " " * position + "^", err=True)


def _plain(snippet: str) -> str:
    """A snippet for the terminal: matched words in bold (plain text when piped, as click.echo
    drops styles there), each passage indented under its hit."""
    import html

    marked = re.sub(
        r"<mark>(.*?)</mark>", lambda m: click.style(m.group(1), bold=True), snippet, flags=re.S
    )
    passages = [p.strip() for p in html.unescape(marked).split("\n") if p.strip()]
    return "\n".join(f"   {passage}" for passage in passages)


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 story', '1,997 stories'."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _print_results(result) -> None:
    for warning in result.query["warnings"]:
        secho(f"Note: {warning}", fg="yellow")
    echo(f"{plural(result.total, 'result')} for {result.query['text']!r} ({result.took_ms:.1f} ms)")
    if result.suggestion:
        echo(f"Did you mean: {result.suggestion}")
    first = (result.page - 1) * result.per_page
    for n, hit in enumerate(result.hits, first + 1):
        when = hit.published or "date unknown"
        if hit.published_approximate:
            when = f"about {when}"
        secho(f"\n{n}. {hit.title or '(untitled)'}", bold=True)
        echo(f"   {hit.outlet or 'unknown outlet'} · {when} · {hit.category or '-'} · id {hit.id}")
        echo(_plain(hit.snippet))
    if result.page < result.pages:
        echo(f"\nPage {result.page} of {result.pages}; next: --page {result.page + 1}")


@main.command("articles")
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def articles_command(index_dir: Path | None, as_json: bool) -> None:
    """List every indexed story with its fields."""
    from searchsvc.stories import all_stories

    _, opened = _open(index_dir)
    stories = all_stories(opened)
    if as_json:
        echo(json.dumps(stories, indent=2, ensure_ascii=False))
        return
    for story in stories:
        when = story["published"] or "-"
        if story["published_approximate"]:
            when = f"~{when} (estimated)"
        echo(
            f"{story['id']}  {when:25}  {story['outlet'] or '-':18}"
            f"  {story['title'] or '(untitled)'}"
        )


@main.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON list of extracted articles.")
def extract_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Show what the indexer keeps from each file and what it removes (the index is untouched)."""
    from searchsvc.errors import ArticleUnreadable
    from searchsvc.extract import extract_file
    from searchsvc.extract.article import article_to_dict

    records, failed = [], False
    for path in files:
        try:
            articles = extract_file(path, str(path))
        except ArticleUnreadable as exc:
            echo(f"Skipped {path}: {exc.reason}", err=True)
            failed = True
            continue
        for article in articles:
            record = article_to_dict(article)
            record["body"] = article.text
            records.append(record)
    if as_json:
        echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for record in records:
            _print_extracted(record)
    if failed and not records:
        sys.exit(1)


def _print_extracted(record: dict) -> None:
    secho(f"== {record['source_file']}: {record['title'] or '(untitled)'}", bold=True)
    for key in ("outlet", "published", "category", "byline", "dateline", "caption"):
        if record.get(key):
            approx = (
                " (approximate)" if key == "published" and record["published_approximate"] else ""
            )
            echo(f"   {key}: {record[key]}{approx}")
    echo("")
    echo(record["body"])
    echo("")
    for removed in record["removed"]:
        secho(f"   removed [{removed['rule']}] {removed['text']}", fg="red")
    echo("")


@main.command("check")
@INDEX_OPTION
@click.option("--full", is_flag=True, help="Compare every file's checksum (reads every byte).")
def check_command(index_dir: Path | None, full: bool) -> None:
    """Check the index generations' files against what was built. Exit status 1 naming each
    damaged file (then run: searchsvc index)."""
    settings = load_settings(index=index_dir)
    try:
        found = open_engine(settings).check(full=full)
    except IndexMissing as exc:
        raise click.ClickException(f"{exc}\nBuild it with: searchsvc index") from None
    live = next(iter(found), None)  # Engine.check lists the live generation first
    damaged = 0
    for name, problems in found.items():
        label = f"{name} (live)" if name == live else name
        if not problems:
            echo(f"{label}: ok")
            continue
        damaged += 1
        secho(f"{label}: damaged", fg="red", err=True)
        for problem in problems:
            echo(f"  {problem}", err=True)
    how = "every checksum" if full else "sizes and modification times"
    echo(f"Checked {plural(len(found), 'generation')} ({how}): {damaged} damaged")
    if damaged:
        echo("Repair with: searchsvc index (a damaged generation is never reused)", err=True)
        sys.exit(1)


@main.command("serve")
@INDEX_OPTION
@click.option(
    "--seeds",
    type=click.Path(path_type=Path),
    help="Folder /api/health compares the index with (default: the folder it was built from).",
)
@click.option("--bind", help="Address to listen on (default: $SEARCHSVC_BIND or 127.0.0.1:8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: 2).")
def serve_command(
    index_dir: Path | None, seeds: Path | None, bind: str | None, workers: int | None
) -> None:
    """Serve the search page and JSON API with gunicorn."""
    import os

    settings = load_settings(index=index_dir, bind=bind, workers=workers)
    # The workers read the folders from the environment (create_app loads the settings).
    os.environ["SEARCHSVC_INDEX"] = str(settings.index.resolve())
    if seeds is not None:
        os.environ["SEARCHSVC_SEEDS"] = str(seeds.resolve())
    sys.stdout.flush()
    os.execv(sys.executable, gunicorn_command(settings.bind, settings.workers))


def gunicorn_command(bind: str, workers: int) -> list[str]:
    """The one way this project starts gunicorn (the live-server tests run the same command)."""
    return [sys.executable, "-m", "gunicorn", "--config", "python:searchsvc.gunicorn_conf",
            "--bind", bind, "--workers", str(workers), "searchsvc:create_app()"]  # fmt: skip
