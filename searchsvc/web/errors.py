"""The one place where failures become HTTP: RFC 9457 problem+json for the API, else a page."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError

from searchsvc.errors import (
    ArticleNotFound,
    BadHost,
    EngineUnavailable,
    GenerationGone,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    InvalidParameter,
    QuerySyntaxError,
    QueryTooCostly,
    SearchServiceError,
)

log = logging.getLogger("searchsvc.web")
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    status: int
    title: str


# Named core errors → status and title. Order matters: subclasses before their base classes.
PROBLEMS: tuple[tuple[type[SearchServiceError], Problem], ...] = (
    (QuerySyntaxError, Problem(400, "The query could not be understood")),
    (QueryTooCostly, Problem(400, "The query would take too long to run")),
    (InvalidParameter, Problem(400, "A request parameter is not valid")),
    (BadHost, Problem(400, "The Host header is not valid")),
    (ArticleNotFound, Problem(404, "No such story")),
    (GenerationGone, Problem(410, "That index generation is no longer kept")),
    (IndexMissing, Problem(503, "No search index has been built yet")),
    (IndexBusy, Problem(503, "The index is busy")),
    (IndexDamaged, Problem(503, "The search index is damaged")),
    (EngineUnavailable, Problem(503, "The search engine is unavailable")),
)
BUILD_HINT = "Build one with: searchsvc index --seeds DIR --index DIR"


def problem_for(exc: SearchServiceError) -> tuple[Problem, dict]:
    """The status, title and problem+json members for a named core error."""
    problem = next((p for kind, p in PROBLEMS if isinstance(exc, kind)), Problem(400, "Error"))
    body: dict = {"code": exc.code, "detail": str(exc)}
    if isinstance(exc, QuerySyntaxError):
        body.update(detail=exc.message, position=exc.position, query=exc.query)
    elif isinstance(exc, InvalidParameter):
        body.update(detail=exc.message, parameter=exc.parameter)
    elif isinstance(exc, GenerationGone):
        body.update(generation=exc.generation, current_generation=exc.current)
        body["detail"] = f"{exc}. Leave out gen= for the current results."
    elif isinstance(exc, IndexDamaged):
        body.update(generation=exc.generation)
    elif isinstance(exc, IndexMissing):
        body["detail"] = f"{exc}. {BUILD_HINT}"
    return problem, body


def problem_for_http(exc: HTTPException) -> tuple[Problem, dict]:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.code or 500, "http_error")
    return Problem(exc.code or 500, exc.name), {"code": code, "detail": exc.description}


def wants_json(body: dict) -> bool:
    """problem+json for the API; also wherever the HTML page cannot be drawn: a bad Host leaves
    Flask without a URL adapter, and the page's links need one."""
    return (
        request.path.startswith("/api/")
        or body["code"] == BadHost.code
        or request_ctx.url_adapter is None
    )


def render_problem(problem: Problem, body: dict, headers: dict | None = None) -> Response:
    if wants_json(body):
        document = {
            "type": f"/help#error-{body['code']}",
            "title": problem.title,
            "status": problem.status,
            **body,
            "instance": request.full_path.rstrip("?"),
        }
        response = jsonify(document)
        response.content_type = PROBLEM_JSON
    else:
        html = render_template("error.html", problem=problem, body=body)
        response = Response(html, mimetype="text/html")
    response.status_code = problem.status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SearchServiceError)
    def handle_core_error(exc: SearchServiceError) -> Response:
        return render_problem(*problem_for(exc))

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Response:
        headers = {}
        if getattr(exc, "valid_methods", None):  # a 405: the methods in a stable order
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return render_problem(*problem_for_http(exc), headers=headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        # Never a traceback to users; the log keeps it for us.
        log.exception("unexpected error on %s", request.full_path)
        return render_problem(*problem_for_http(InternalServerError()))
