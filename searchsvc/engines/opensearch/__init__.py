"""The OpenSearch engine: the only package that imports opensearch-py (`opensearchpy`).

`OpenSearchEngine(settings)` reads `opensearch_url` (comma-separated node URLs, credentials may
be in them), `opensearch_prefix` (index and alias names), `opensearch_shards`,
`opensearch_replicas` and `index` (the local folder holding the build lock).
"""

from __future__ import annotations

from searchsvc.engines.opensearch.engine import OpenSearchEngine, open_engine

__all__ = ["OpenSearchEngine", "open_engine"]
