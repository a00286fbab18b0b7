"""The connection to the cluster, and what its failures mean to a user.

One client per engine (it is thread-safe and pools connections per node). Every node listed in
`opensearch_url` is used: a request that fails on one node (connection refused, timeout, 502,
503, 504) is retried on the next, so one dead node is not a failed search.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opensearchpy import OpenSearch
from opensearchpy.exceptions import (
    AuthenticationException,
    AuthorizationException,
    ConnectionError,  # noqa: A004 - opensearch-py's name
    ConnectionTimeout,
    TransportError,
)

from searchsvc.errors import EngineUnavailable

RETRY_STATUSES = (502, 503, 504)
REQUEST_TIMEOUT_S = 30.0
POOL_PER_NODE = 16


def node_urls(setting: str) -> list[str]:
    """ "http://a:9200, http://b:9201" → the URLs (credentials may be in them: user:pw@host)."""
    urls = [url.strip() for url in setting.split(",") if url.strip()]
    if not urls:
        raise EngineUnavailable("no OpenSearch URL is configured (SEARCHSVC_OPENSEARCH_URL)")
    return urls


def connect(setting: str) -> OpenSearch:
    urls = node_urls(setting)
    return OpenSearch(
        hosts=urls,
        retry_on_timeout=True,
        retry_on_status=RETRY_STATUSES,
        max_retries=max(3, len(urls)),
        timeout=REQUEST_TIMEOUT_S,
        # Dead nodes are tried again after a minute; sniffing stays off (the listed URLs may
        # sit behind proxies or differ from the nodes' own publish addresses).
        dead_timeout=60,
        # Connections kept per node: a threaded caller (or a pool of them) reuses them.
        pool_maxsize=POOL_PER_NODE,
    )


def describe(urls: str) -> str:
    """The node list without credentials, for messages."""
    shown = []
    for url in node_urls(urls):
        scheme, _, rest = url.rpartition("://")
        shown.append((scheme + "://" if scheme else "") + rest.rpartition("@")[2])
    return ", ".join(shown)


@contextmanager
def answering(urls: str) -> Iterator[None]:
    """Turn the client's transport failures into EngineUnavailable (never a traceback)."""
    try:
        yield
    except (ConnectionError, ConnectionTimeout) as exc:
        raise EngineUnavailable(
            f"the OpenSearch cluster at {describe(urls)} cannot be reached ({_reason(exc)})"
        ) from exc
    except (AuthenticationException, AuthorizationException) as exc:
        raise EngineUnavailable(
            f"the OpenSearch cluster at {describe(urls)} refused the credentials ({exc.error})"
        ) from exc
    except TransportError as exc:
        if isinstance(exc.status_code, int) and exc.status_code >= 500:
            raise EngineUnavailable(
                f"the OpenSearch cluster at {describe(urls)} cannot answer "
                f"(HTTP {exc.status_code}: {_reason(exc)})"
            ) from exc
        raise


def _reason(exc: TransportError) -> str:
    info = exc.info
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type"))
        if error:
            return str(error)
    return str(exc.error) if exc.error else type(exc).__name__
