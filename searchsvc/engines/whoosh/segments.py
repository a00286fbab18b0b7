"""A faster Whoosh segment writer producing the same segment files, and parallel segment writing.

Whoosh's SegmentWriter spends most of a build outside the analyzer: a Token per word run through
the Positions format, one 5-tuple per posting pushed into an external-sort pool (pickled to disk
runs past `limitmb`, then heap-merged), and one length-column read per posting while writing.
FastSegmentWriter keeps each term's postings in memory (a segment's postings are a few hundred MB
at most, see MAX_POSTINGS), takes term positions straight from EnglishAnalyzer, and remembers
each document's field lengths as they are written, then fills each term's posting blocks in one
go with exactly what W3PostingsWriter.add_posting would have put there: the files are
byte-identical to Whoosh's (tests/test_index.py compares them).

write_segments() forks workers that each write contiguous slices of the stories as segments of
their own: no pickled documents, and docnums follow the stories' order in every run.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from whoosh.compat import dumps
from whoosh.formats import Positions
from whoosh.index import Index
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from searchsvc import forking

# Postings per segment before a worker starts another: bounds a worker's memory (about 60 bytes
# a posting) at some 300 MB; 100k news stories make about 17M postings.
MAX_POSTINGS = 5_000_000

Document = dict[str, Any]
_ONE = pack_uint(1)


class MemoryPool:
    """Postings grouped by (field, term) as they arrive (docnums ascend within a segment)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array, array, list]] = {}
        # The analyzer fast path's postings, by field then term text: no key tuple and no
        # encoding per posting (once per term at settle()).
        self.texts: dict[str, dict[str, tuple[array, array, list]]] = {}
        self.fieldnames: set[str] = set()
        self.count = 0

    def settle(self) -> dict[tuple[str, bytes], tuple[array, array, list]]:
        """`terms` with the fast path's postings moved in. A term that also came the slow way
        (a merged segment's, through add()) has them appended: such a pool is written through
        iter_postings, which puts docnums back in order."""
        terms = self.terms
        for fieldname, texts in self.texts.items():
            for text, held in texts.items():
                key = (fieldname, text.encode("utf-8"))
                kept = terms.setdefault(key, held)
                if kept is not held:
                    for column, more in zip(kept, held, strict=True):
                        column.extend(more)
        self.texts.clear()
        return terms

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's pool interface (merged segments' postings arrive through it)."""
        fieldname, btext, docnum, weight, value = item
        self.add_posting(fieldname, btext, docnum, weight, value)

    def add_posting(
        self, fieldname: str, btext: bytes, docnum: int, weight: float, value: bytes | None
    ) -> None:
        held = self.terms.get((fieldname, btext))
        if held is None:
            self.fieldnames.add(fieldname)
            held = self.terms[(fieldname, btext)] = (array("I"), array("d"), [])
        held[0].append(docnum)
        held[1].append(weight)
        held[2].append(value)
        self.count += 1

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Whoosh's order: field, term, docnum (merged segments may add out of docnum order)."""
        terms = self.settle()
        for key in sorted(terms):
            docnums, weights, values = terms[key]
            rows = zip(docnums, weights, values, strict=True)
            if any(a > b for a, b in zip(docnums, docnums[1:], strict=False)):
                rows = iter(sorted(rows, key=lambda row: row[0]))
            for docnum, weight, value in rows:
                yield key[0], key[1], docnum, weight, value

    def save(self) -> None:
        """Nothing to spill: kept for Whoosh callers."""

    def cleanup(self) -> None:
        self.terms.clear()
        self.texts.clear()


class FastSegmentWriter(SegmentWriter):
    """SegmentWriter with the in-memory pool and the analyzer's term_positions fast path."""

    def __init__(self, ix: Index, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = MemoryPool()
        self._lengths: dict[str, dict[int, int]] = {}
        self._own_lengths = True  # False once another segment's documents are merged in

    def add_reader(self, reader: Any) -> None:
        self._own_lengths = False
        super().add_reader(reader)

    def add_document(self, **fields: Any) -> None:
        """SegmentWriter.add_document for documents without boosts, vectors or spelling fields
        (this project's schema has none: checked, falling back to Whoosh's own otherwise)."""
        if any(name.startswith("_") for name in fields):
            self._own_lengths = False
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        add_posting = self.pool.add_posting
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            if field.separate_spelling() or field.vector:
                raise NotImplementedError(f"{fieldname}: spelling or vector fields")
            length = 0
            if field.indexed and self._fast(field, value):
                length = self._add_positions(fieldname, field, value, docnum)
            elif field.indexed:
                scorable = field.scorable
                for tbytes, freq, weight, vbytes in field.index(value):
                    if scorable:
                        length += freq
                    add_posting(fieldname, tbytes, docnum, weight, vbytes)
            if length:
                self._lengths.setdefault(fieldname, {})[docnum] = length
            perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    @staticmethod
    def _fast(field: Any, value: Any) -> bool:
        """A Positions field whose analyzer can list term positions directly."""
        return (
            type(field.format) is Positions
            and isinstance(value, str)
            and hasattr(field.analyzer, "term_positions")
        )

    def _add_positions(self, fieldname: str, field: Any, value: str, docnum: int) -> int:
        """field.index(value) straight into the pool (weights are frequencies times the field
        boost: no document boosts here); returns the field's length for this document."""
        pool = self.pool
        texts = pool.texts.get(fieldname)
        if texts is None:
            pool.fieldnames.add(fieldname)
            texts = pool.texts[fieldname] = {}
        boost = field.format.field_boost
        length = 0
        found = field.analyzer.term_positions(value)
        pool.count += len(found)
        for text, positions in found.items():
            freq = len(positions)
            length += freq
            # A new bytes object each time, even for equal values: Whoosh pickles a block's
            # values as a list, and pickle would refer back to a repeated object.
            if freq == 1:
                vbytes = _ONE + dumps(positions, 2)
            else:
                deltas = [b - a for a, b in zip([0, *positions], positions, strict=False)]
                vbytes = pack_uint(freq) + dumps(deltas, 2)
            held = texts.get(text)
            if held is None:
                held = texts[text] = (array("I"), array("d"), [])
            held[0].append(docnum)
            held[1].append(float(freq) * boost)
            held[2].append(vbytes)
        return length if field.scorable else 0

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        if not self._own_lengths or not self.codec.length_stats:
            pdr = self.per_document_reader() if self.codec.length_stats else None
            try:
                self.fieldwriter.add_postings(self.schema, pdr, self.pool.iter_postings())
            finally:
                self.fieldwriter.close()
                if pdr is not None:
                    pdr.close()
            return
        try:
            self._write_postings()
        finally:
            self.fieldwriter.close()

    def _write_postings(self) -> None:
        """FieldWriter.add_postings a term at a time: each block's lists filled in one go, with
        the statistics add_posting would have kept (documents' lengths as the length column
        stores them: one byte each, see _stored_lengths)."""
        writer, terms = self.fieldwriter, self.pool.settle()
        lastfn = None
        lengths: dict[int, int | None] = {}
        for key in sorted(terms):
            fieldname, btext = key
            if fieldname != lastfn:
                if lastfn is not None:
                    writer.finish_field()
                writer.start_field(fieldname, self.schema[fieldname])
                lastfn = fieldname
                lengths = _stored_lengths(self._lengths.get(fieldname, {}))
            writer.start_term(btext)
            _fill_postings(writer._postwriter, *terms[key], lengths)
            writer.finish_term()
        if lastfn is not None:
            writer.finish_field()


def _stored_lengths(lengths: dict[int, int]) -> dict[int, int | None]:
    """Per docnum, the length Whoosh reads back from the one-byte length column."""
    decoded: dict[int, int | None] = {}
    for length in set(lengths.values()):
        byte = length_to_byte(length) if length else 0
        decoded[length] = byte_to_length(byte) if byte else None
    return {docnum: decoded[length] for docnum, length in lengths.items()}


def _fill_postings(
    postings: Any, docnums: array, weights: array, values: list, lengths: dict[int, int | None]
) -> None:
    """What W3PostingsWriter.add_posting does once per posting, a block at a time."""
    limit = postings._blocklimit
    for start in range(0, len(docnums), limit):
        if start:
            postings._write_block()
        ids = docnums[start : start + limit]
        block_weights = weights[start : start + limit]
        postings._ids.extend(ids)
        postings._weights.fromlist(block_weights.tolist())
        heaviest = max(block_weights)
        if heaviest > postings._maxweight:
            postings._maxweight = heaviest
        postings._values.extend(v for v in values[start : start + limit] if v)
        known = [n for n in map(lengths.get, ids) if n]
        if known:
            shortest = min(known)
            if postings._minlength is None or shortest < postings._minlength:
                postings._minlength = shortest
            postings._maxlength = max(postings._maxlength, max(known))


def write_slice(ix: Index, documents: Iterator[Document]) -> list[Any]:
    """Segments (unlocked, not yet in the index's table of contents) holding `documents`."""
    segments = []
    writer = None
    for document in documents:
        if writer is None:
            writer = FastSegmentWriter(ix, _lk=False)
        writer.add_document(**document)
        if writer.pool.count >= MAX_POSTINGS:
            segments.append(writer._finalize_segment())
            writer = None
    if writer is not None:
        segments.append(writer._finalize_segment())
    # The temp folder is shared with the other workers: the committing writer removes it.
    return segments


def write_segments(
    ix: Index,
    items: Sequence[Any],
    to_document: Callable[[Any], Document],
    procs: int,
) -> list[Any]:
    """Segments for `items`, in order, written by `procs` forked workers over contiguous slices."""
    return write_segments_with(ix, items, to_document, procs)[0]


def write_segments_with(
    ix: Index,
    items: Sequence[Any],
    to_document: Callable[[Any], Document],
    procs: int,
    alongside: Callable[[Sequence[Any]], Any] | None = None,
) -> tuple[list[Any], list[Any]]:
    """write_segments, and `alongside(slice)` of each worker's slice computed by that worker
    (work over every story that would otherwise run on one core after the writers, such as
    counting the spelling vocabulary); the segments and the per-slice results, in order."""
    if procs <= 1 or len(items) < 2:
        segments = write_slice(ix, map(to_document, items))
        return segments, [alongside(items)] if alongside else []
    size = -(-len(items) // procs)
    slices = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    gc.collect()
    gc.freeze()  # the workers share the stories; the collector would copy every page it visits
    children: list[forking.Child] = []
    try:
        for start, stop in slices:
            work = partial(_write_part, ix, items, start, stop, to_document, alongside)
            children.append(forking.in_child(work))
        segments: list[Any] = []
        results: list[Any] = []
        for child in children:
            written, side = child.answer()
            segments.extend(written)
            if alongside:
                results.append(side)
        return segments, results
    finally:
        for child in children:
            child.stop()
        gc.unfreeze()


def _write_part(  # noqa: PLR0913 - one worker's share
    ix: Index,
    items: Sequence[Any],
    start: int,
    stop: int,
    to_document: Callable[[Any], Document],
    alongside: Callable[[Sequence[Any]], Any] | None,
) -> tuple[list[Any], Any]:
    """One forked writer's segments for items[start:stop], and alongside() of them."""
    segments = write_slice(ix, (to_document(items[i]) for i in range(start, stop)))
    return segments, alongside(items[start:stop]) if alongside else None


def commit_with(writer: SegmentWriter, segments: list[Any]) -> None:
    """Commit `writer` (its deletions, its merges of small segments, its own documents) with
    `segments` from write_segments() appended, as Whoosh's MpWriter does with its workers'."""
    final = writer._merge_segments(None, None, None) + segments
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final)
    writer._finish()
