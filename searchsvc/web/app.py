"""The Flask app factory: settings, the per-process engine, blueprints, headers, errors."""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path

from flask import Flask, Response

from searchsvc import __version__
from searchsvc.config import Settings, load_settings
from searchsvc.engines import open_engine
from searchsvc.engines.base import Engine
from searchsvc.errors import EngineUnavailable, IndexDamaged, IndexMissing
from searchsvc.web import api, feeds, pages
from searchsvc.web.addresses import refuse_bad_host, relative_redirect
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
    # The static route is added below, once automatic OPTIONS answers are switched off.
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=None)
    # Only GET and HEAD are served: no route answers OPTIONS, so no 405 advertises it in Allow.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    settings = settings_from(test_config)
    app.extensions["searchsvc.settings"] = settings
    app.extensions["searchsvc.engine"] = open_engine(settings)
    app.jinja_env.globals["version"] = __version__
    add_static_route(app)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(feeds.blueprint)
    register_error_handlers(app)
    app.before_request(refuse_bad_host)
    app.after_request(relative_redirect)
    app.after_request(add_security_headers)
    app.after_request(add_cache_control)
    open_index_at_startup(app)
    return app


def add_static_route(app: Flask) -> None:
    """/static/<name>: the folder is flat, so a name never holds a slash and `style.css/` is a
    404 (Flask's own `<path:filename>` route would normalise it away and answer 200)."""
    app.static_folder = "static"
    app.add_url_rule("/static/<filename>", endpoint="static", view_func=app.send_static_file)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def add_cache_control(response: Response) -> Response:
    """Results change whenever a new index generation goes live, so a cache may keep a page or
    an API answer but must ask again before reusing it (`no-cache`); views that know better
    (feeds with their ETag, exports, health, static files) set their own."""
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def open_index_at_startup(app: Flask) -> None:
    engine: Engine = app.extensions["searchsvc.engine"]
    settings: Settings = app.extensions["searchsvc.settings"]
    try:
        live = engine.live()
    except IndexDamaged as exc:
        log.error("%s; /api/health names what is damaged", exc)
        return
    except IndexMissing as exc:
        log.warning(
            "no index yet (%s); searches answer 503 until one is built with: "
            "searchsvc index --seeds %s --index %s",
            exc,
            settings.seeds,
            settings.index,
        )
        return
    except EngineUnavailable as exc:
        log.warning("%s; searches answer 503 until it answers", exc)
        return
    log.info(
        "serving index %s generation %s (%s stories)",
        settings.index,
        live.name,
        live.info.doc_count,
    )
