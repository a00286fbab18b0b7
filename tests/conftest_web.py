"""Fixtures for the web tests (loaded with `pytest_plugins` from the web test modules)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from tests.conftest import ROOT, SEEDS, require
from tests.web_helpers import LiveServer

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
def app(seed_index: Path) -> Flask:
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
