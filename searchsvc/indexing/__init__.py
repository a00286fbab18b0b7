"""Files → stories → an engine: seed extraction (reusing unchanged files), dedup, story clusters,
the spelling vocabulary, and pipeline.build (lock → extract → dedup → cluster → write → publish →
prune). The indexing side only: a serving process never imports this package."""
