"""Facet values as people type them: `outlet=jiji press` is the outlet the index calls
"Jiji Press".

Filters compare exact names inside the engines (keyword fields, stored columns), but users type
names in any case, without accents, or half-remembered. Each asked value is matched to the
generation's own names ignoring case, accents and spacing; a value that names nothing still
filters (and so finds nothing) but gets a warning naming the closest names, never a silent 0.
"""

from __future__ import annotations

import difflib

from searchsvc.analysis import strip_accents

CLOSE_NAMES = 3


def key(name: str) -> str:
    """How two names are compared: case, accents and runs of spaces ignored."""
    return " ".join(strip_accents(name).casefold().split())


def resolve(
    asked: tuple[str, ...], known: list[str], facet: str
) -> tuple[tuple[str, ...], list[str]]:
    """(the index's names for the asked values, warnings about values that name nothing)."""
    by_key = {key(name): name for name in known}
    resolved: list[str] = []
    warnings: list[str] = []
    for value in asked:
        found = by_key.get(key(value))
        if found is None:
            warnings.append(unknown_value_warning(facet, value, close_names(value, by_key)))
            found = value
        resolved.append(found)
    return tuple(dict.fromkeys(resolved)), warnings


def close_names(value: str, by_key: dict[str, str]) -> list[str]:
    """Names containing what was typed first ("asahi" → "Asahi Shimbun"), then look-alikes."""
    wanted = key(value)
    containing = [name for k, name in sorted(by_key.items()) if wanted and wanted in k]
    similar = difflib.get_close_matches(wanted, list(by_key), n=CLOSE_NAMES, cutoff=0.6)
    names = containing + [by_key[k] for k in similar]
    return list(dict.fromkeys(names))[:CLOSE_NAMES]


def unknown_value_warning(facet: str, value: str, close: list[str]) -> str:
    message = f"No {facet} is called '{value}', so nothing matches it"
    if close:
        return message + "; did you mean " + " or ".join(f"'{name}'" for name in close) + "?"
    return message + "."
