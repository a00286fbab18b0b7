"""Pinned permalinks: a results URL that names the index generation it was made on (`gen=`).

While that generation is still on disk, the same URL gives the same results, because it is
searched read-only instead of the live one. Each build keeps the newest
`settings.generations_kept` generations (3 by default: the live one and the two before it) and
deletes older ones; a URL pinned to a deleted generation can no longer be answered as it was:
the results page says so and shows the current results, the API answers 410 Gone.
"""

from __future__ import annotations

import re

from searchsvc.errors import InvalidParameter

PARAMETER = "gen"
# Exactly the names generations.next_name() gives: nothing else (no "..", no slash) can reach
# the file system through this parameter.
GENERATION_NAME = re.compile(r"gen-[0-9]{6}")  # ASCII digits: \d matches any script's


def is_generation_name(text: str) -> bool:
    return GENERATION_NAME.fullmatch(text) is not None


def parse_generation(text: str | None) -> str | None:
    """The `gen` parameter: None when absent or empty, else a well-formed generation name."""
    if not text:
        return None
    if not is_generation_name(text):
        raise InvalidParameter(PARAMETER, "must name an index generation, like gen-000042")
    return text
