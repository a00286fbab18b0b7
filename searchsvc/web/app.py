"""The Flask app factory: settings, the per-process engine, blueprints, headers, errors."""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed

from searchsvc import __version__
from searchsvc.config import Settings, load_settings
from searchsvc.engines import open_engine
from searchsvc.engines.base import Engine
from searchsvc.errors import IndexMissing
from searchsvc.web import api, feeds, pages
from searchsvc.web.errors import register_error_handlers

log = logging.getLogger("searchsvc.web")

# Jinja templates live in the repository's top-level templates/ folder (the fixed layout).
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# No script at all, styles only from our own static file: nothing inline can run or restyle.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def settings_from(test_config: dict | None) -> Settings:
    """Settings from the environment; a test config overrides any field by its upper-case name."""
    overrides = {f.name: test_config.get(f.name.upper()) for f in fields(Settings) if test_config}
    return load_settings(**overrides)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Each process (gunicorn worker) opens the index once, here."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    settings = settings_from(test_config)
    app.extensions["searchsvc.settings"] = settings
    app.extensions["searchsvc.engine"] = open_engine(settings)
    app.jinja_env.globals["version"] = __version__
    app.register_blueprint(api.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(feeds.blueprint)
    register_error_handlers(app)
    app.before_request(refuse_options)
    app.after_request(add_security_headers)
    open_index_at_startup(app)
    return app


def refuse_options() -> None:
    """Only GET and HEAD make sense here; Flask would answer OPTIONS by itself with a 200."""
    if request.method == "OPTIONS":
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def open_index_at_startup(app: Flask) -> None:
    engine: Engine = app.extensions["searchsvc.engine"]
    settings: Settings = app.extensions["searchsvc.settings"]
    try:
        live = engine.live()
    except IndexMissing as exc:
        log.warning(
            "no index yet (%s); searches answer 503 until one is built with: "
            "searchsvc index --seeds %s --index %s",
            exc,
            settings.seeds,
            settings.index,
        )
        return
    log.info(
        "serving index %s generation %s (%s stories)",
        settings.index,
        live.name,
        live.info.doc_count,
    )
