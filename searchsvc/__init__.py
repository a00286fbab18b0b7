"""searchsvc: full-text search over news article files."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(test_config: dict | None = None):
    """The Flask app factory (imported lazily so the CLI and indexer never load Flask)."""
    from searchsvc.web.app import create_app as _create_app

    return _create_app(test_config)


__all__ = ["create_app", "__version__"]
