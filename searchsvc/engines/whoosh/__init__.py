"""The Whoosh engine: the only package that imports whoosh (see engine.py)."""
