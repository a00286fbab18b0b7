"""Named user-facing failures. The web layer maps each to an HTTP status in one place."""

from __future__ import annotations


class SearchServiceError(Exception):
    """Base class: every error a user can cause or see has a name and a message."""

    code = "error"


class QuerySyntaxError(SearchServiceError):
    """A query that cannot be parsed; `position` is the 0-based character offset of the problem."""

    code = "query_syntax"

    def __init__(self, message: str, position: int, query: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.query = query

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position})"


class InvalidParameter(SearchServiceError):
    """A request parameter outside its allowed range or format."""

    code = "invalid_parameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class QueryTooLong(InvalidParameter):
    code = "query_too_long"


class QueryTooCostly(InvalidParameter):
    """A query whose cost is known to be too high before it runs (its prefixes stand for too
    many words): refused up front rather than cut off by the time limit."""

    code = "query_too_costly"

    def __init__(self, message: str) -> None:
        super().__init__("q", message)


class BadHost(SearchServiceError):
    """A Host header that is not a host name (too long, or characters no host name has)."""

    code = "bad_host"

    def __init__(self, host: str) -> None:
        super().__init__(
            f"the Host header ({len(host)} characters) is not a host name: labels of at most "
            "63 letters, digits, '-' or '_', an optional :port"
        )


class IndexMissing(SearchServiceError):
    """No usable index generation exists yet (or it cannot be opened)."""

    code = "index_missing"


class EngineUnavailable(SearchServiceError):
    """The configured search engine cannot be reached, cannot answer (an OpenSearch cluster
    down or red) or is not installed (HTTP 503)."""

    code = "engine_unavailable"


class IndexDamaged(EngineUnavailable):
    """A generation whose files are not what was built (damaged on disk): never served, so
    never a silently wrong answer (HTTP 503 naming it; `searchsvc index` writes a new one)."""

    code = "index_damaged"

    def __init__(self, generation: str, problems: str) -> None:
        super().__init__(
            f"index generation {generation} is damaged ({problems}); it is not searched. "
            "Rebuild with: searchsvc index"
        )
        self.generation = generation
        self.problems = problems


class IndexBusy(SearchServiceError):
    """Another build holds the writer lock."""

    code = "index_busy"


class ArticleUnreadable(SearchServiceError):
    """A file that cannot be turned into articles; the build reports and skips it."""

    code = "article_unreadable"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ArticleNotFound(SearchServiceError):
    code = "not_found"


class GenerationGone(SearchServiceError):
    """A pinned index generation (`gen=`) that is no longer kept, or never existed."""

    code = "generation_gone"

    def __init__(self, generation: str, current: str | None) -> None:
        super().__init__(
            f"index generation {generation} is not kept any more"
            + (f"; the current one is {current}" if current else "")
        )
        self.generation = generation
        self.current = current
