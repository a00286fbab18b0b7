"""The Whoosh engine: the only package that imports whoosh (engines/base.py is the contract).

Reading (a serving process loads only these):
  engine.py      WhooshEngine (generations under one index root) and WhooshGeneration
  generations.py the generation folders, the CURRENT pointer, the build lock
  reading.py     opening a generation; GenerationCaches (every per-generation cache, named)
  schema.py      the Whoosh schema and a story's index document
  analysis.py    searchsvc.analysis as Whoosh Filters and Analyzers
  compiling.py   syntax tree → Whoosh query; FilterRule (the plan's filters, defined once)
  execution.py   one SearchPlan → Matches: cached postings, scored phrases, matcher walk
  postings.py    postings as numpy arrays, kept across generations per segment (PostingsStore,
                 bounded in bytes), scored and combined vectorised (the fast path)
  columns.py     label, day and date columns as arrays: filter masks, facet counts, date order
  ranking.py     BM25F models, natural-language queries with feedback (HeadFirst)
  collapsing.py  one hit per story cluster
  snippets.py    passages with the matched words marked
  explain.py     matched words and score parts of a hit
Writing (imported by WhooshEngine.writer() only):
  writing.py     WhooshWriter: new generations, incremental over the previous one
  segments.py    FastSegmentWriter and the parallel segment writers
"""
