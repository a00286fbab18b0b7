"""The connection to the cluster, and what its failures mean to a user.

One client per engine (it is thread-safe and pools connections per node). Every node listed in
`opensearch_url` is used: a request that fails on one node (connection refused, timeout, 502,
503, 504) is retried on the next, so one dead node is not a failed search.

Every search goes through `search()`: it never accepts an answer some shards left out. A node
dying mid-search fails that shard's part (with dfs_query_then_fetch the query phase returns to
the node that ran the term statistics, so OpenSearch cannot fail over by itself); a partial
answer would show a short total, and worse, be cached as a label list or a term statistic.
"""

from __future__ import annotations

import logging
import time
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
log = logging.getLogger(__name__)

PARTIAL_RETRIES = 3
PARTIAL_PAUSE_S = 0.2


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


def search(client: OpenSearch, urls: str, **request: object) -> dict:
    """A search answered by every shard, retried a few times while the cluster fails over.

    `allow_partial_search_results=false` makes the cluster answer 5xx instead of a partial
    result; that, or an answer that still reports failed shards, is asked again after a short
    pause, then raised (`answering` makes it EngineUnavailable).
    """
    shards: dict = {}
    for attempt in range(PARTIAL_RETRIES):
        if attempt:
            time.sleep(PARTIAL_PAUSE_S * attempt)
        try:
            response = client.search(allow_partial_search_results=False, **request)
        except TransportError as exc:
            # A shard copy lost with its node: the cluster answers 5xx until it notices.
            failing = isinstance(exc.status_code, int) and exc.status_code >= 500
            if not failing or attempt == PARTIAL_RETRIES - 1:
                raise
            log.info("search asked again: HTTP %s (%s)", exc.status_code, _reason(exc))
            continue
        shards = response.get("_shards", {})
        if not shards.get("failed"):
            return response
        log.warning(
            "search asked again: %s of %s shards failed", shards["failed"], shards.get("total")
        )
    raise EngineUnavailable(
        f"{shards.get('failed')} of {shards.get('total')} shards did not answer at "
        f"{describe(urls)} (tried {PARTIAL_RETRIES} times)"
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
