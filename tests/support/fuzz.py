"""The API fuzzing set-up shared by tests/test_fuzz_api.py and benchmarks/fuzz_api.py:
Schemathesis against the live gunicorn server, driven by the served OpenAPI document.

Every generated request (valid and deliberately invalid) must get an answer that the document
describes: no 5xx, a documented status, a documented content type, a body that validates, and
the hardening every response carries (security headers, a minimal Server header, no traceback).
The long run is benchmarks/fuzz_api.py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from searchsvc.web.openapi import openapi_document

# Per operation and generation mode; four operations, positive and negative data.
EXAMPLES_PER_OPERATION = 50
REQUEST_TIMEOUT_S = 10
# gunicorn answers a request line longer than this itself (414, before the app sees it). The
# documented limits (q 500 characters, labels 200) can take more bytes once percent-encoded.
GUNICORN_REQUEST_LINE_LIMIT = 8190


@schemathesis.check
def hardened(ctx, response, case) -> bool | None:
    """Headers every answer carries, and never a traceback or the server's version."""
    headers = response.headers
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        if not headers.get(name):
            raise AssertionError(f"{name} missing on {response.status_code}")
    server = headers.get("server", [""])[0]
    if server not in ("", "searchsvc"):
        raise AssertionError(f"Server header says too much: {server!r}")
    if b"Traceback" in response.content:
        raise AssertionError("a traceback reached the response body")
    return None


@schemathesis.check
def invalid_values_rejected(ctx, response, case) -> bool | None:
    """Schema-violating values get a 4xx, except empty ones: an empty optional parameter means
    its default (HTML forms send every field, filled or not), which the API accepts too."""
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    if any(value == "" for _, value in sent):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    hardened,
    invalid_values_rejected,
]


def fuzz_schema(examples: int) -> schemathesis.BaseSchema:
    """The served document as a Schemathesis schema (the server's URL is given per call)."""
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=examples,
        deterministic=True,
    )
    return schema


def request_line_bytes(response) -> int:
    sent = response.request
    return len(f"{sent.method} {sent.path_url} HTTP/1.1".encode())
