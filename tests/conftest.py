"""All the fixtures, flaskr-style: `app`, `client`, `runner`, a seed index built once per test
session, `live_server` (gunicorn on a loopback port) and a headless `browser`.

On OpenSearch (SEARCHSVC_TEST_OPENSEARCH_URL names a cluster; CI starts one): `opensearch` builds
seed folders into prefixes of the session's own, and a test marked `both_engines` runs once per
engine, its `app` (and `client`) over the seed stories on Whoosh, then on OpenSearch.

Tests that start a server or Chromium carry the `live` / `browser` markers, and tests over real
corpora or kill trials `slow` (added here for the fixtures that need them), so
`pytest -m "not live and not browser and not slow"` is the quick loop; `make test` runs all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from searchsvc import create_app
from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.indexing.pipeline import build
from searchsvc.web.openapi import openapi_document
from tests.support import ROOT, SEEDS, make_news_files, require
from tests.support.engines import OpenSearchPrefixes
from tests.support.web import LiveServer

LIVE_FIXTURES = {"live_server", "served"}
BROWSER_FIXTURES = {"browser", "page"}
# Real corpora: extraction quality on AEB pages, ranking on a SciFact slice, the 1,500-article
# equivalence index (seconds each to set up).
SLOW_FIXTURES = {"aeb_summary", "scifact_slice", "realistic"}


OPENSEARCH_URL = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_URL", "")
ENGINES = ("whoosh", "opensearch")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`both_engines` tests: `app` once per engine (ids [whoosh] and [opensearch])."""
    if metafunc.definition.get_closest_marker("both_engines") and "app" in metafunc.fixturenames:
        metafunc.parametrize("app", ENGINES, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & LIVE_FIXTURES:
            item.add_marker(pytest.mark.live)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def news_files(tmp_path_factory) -> Path:
    """1,000 files of the shared news corpus, made once per run (read them, copy to change)."""
    return make_news_files(tmp_path_factory.mktemp("news") / "files", 1000)


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


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def spec() -> dict:
    """The served OpenAPI document, checked to be a valid schema set."""
    document = openapi_document()
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    return document


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def opensearch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearchPrefixes]:
    """The test cluster (skips locally without one, fails in CI); what is built in it is deleted
    at the end of the session."""
    require(bool(OPENSEARCH_URL), "SEARCHSVC_TEST_OPENSEARCH_URL names no OpenSearch cluster")
    prefixes = OpenSearchPrefixes(OPENSEARCH_URL, tmp_path_factory.mktemp("opensearch"))
    yield prefixes
    prefixes.delete_all()


@pytest.fixture(scope="session")
def opensearch_seeds(opensearch: OpenSearchPrefixes) -> dict:
    """The product's seeds built into OpenSearch by the real pipeline: create_app's config."""
    return opensearch.build(SEEDS)


@pytest.fixture(scope="session")
def app(request: pytest.FixtureRequest, seed_index: Path) -> Flask:
    """The app over the seed stories: on Whoosh, or on the engine a `both_engines` test asks."""
    if getattr(request, "param", "whoosh") == "opensearch":
        config = request.getfixturevalue("opensearch_seeds")
        return create_app({"TESTING": True, "SEEDS": SEEDS, **config})
    return create_app({"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A 2-worker gunicorn over a copy of the seed index, shared by the browser tests."""
    folder = tmp_path_factory.mktemp("live")
    index = folder / "index"
    shutil.copytree(seed_index, index)
    server = LiveServer(index, SEEDS, folder / "gunicorn.log").start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (skips locally, fails in CI if missing)."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


BROWSER_TIMEOUT_MS = 10_000


@pytest.fixture
def site(page, live_server):
    """The page pointed at the live gunicorn server, failing the test on any dialog, page error
    or console error (a CSP violation, such as an inline style or script, shows up here)."""
    problems: list[str] = []
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.base = live_server.base_url
    yield page
    assert problems == []
