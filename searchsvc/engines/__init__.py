"""Search engines behind one interface (base.py); `open_engine` picks one from the settings.

Engine packages are imported only when chosen, so a process serving Whoosh never loads the
OpenSearch client and the other way round.
"""

from __future__ import annotations

from searchsvc.config import Settings
from searchsvc.engines.base import Engine
from searchsvc.errors import EngineUnavailable

ENGINES = ("whoosh", "opensearch")


def open_engine(settings: Settings) -> Engine:
    """The engine `settings.engine` names (SEARCHSVC_ENGINE), over the settings' index.

    An engine package other than whoosh provides `open_engine(settings) -> Engine`.
    """
    if settings.engine == "whoosh":
        from searchsvc.engines.whoosh.engine import WhooshEngine

        return WhooshEngine(settings.index, settings.postings_cache_mb * 1024 * 1024)
    if settings.engine == "opensearch":
        try:
            from searchsvc.engines import opensearch
        except ImportError as exc:
            raise EngineUnavailable(
                f"the opensearch engine is not available in this installation ({exc})"
            ) from exc
        return opensearch.open_engine(settings)
    raise EngineUnavailable(
        f"unknown engine {settings.engine!r} (SEARCHSVC_ENGINE): choose one of {', '.join(ENGINES)}"
    )
