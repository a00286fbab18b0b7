"""Checking real responses against the served OpenAPI document."""

from __future__ import annotations

from jsonschema import Draft202012Validator


def conforms(spec: dict, path: str, response) -> dict:
    """Validate a real response against the operation's declared response for its status."""
    responses = spec["paths"][path]["get"]["responses"]
    declared = responses.get(str(response.status_code), responses.get("default"))
    assert declared is not None, f"{path} does not document status {response.status_code}"
    media_type = response.mimetype
    assert media_type in declared["content"], f"{path} {response.status_code} {media_type}"
    schema = {
        **declared["content"][media_type]["schema"],
        "components": spec["components"],
    }
    body = response.get_json(force=True)
    Draft202012Validator(schema).validate(body)
    return body


# --- /api/search -------------------------------------------------------------------------------
