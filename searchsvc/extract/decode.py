"""Bytes → text for article files whose encodings are declared wrongly or not at all."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Control characters other than tab, newlines, vertical tab, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


class NotText(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16/32 BOM'd file mean a binary file whatever its name says."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return bool(sample) and control / len(sample) > 0.1


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode by BOM, then strict UTF-8, then the declared charset, then detection.

    UTF-8 is tried before the declared charset because pages that declare latin-1 but are
    really UTF-8 are far more common than the reverse, and strict UTF-8 rarely decodes
    anything else by accident.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if looks_binary(data):
        raise NotText("binary content (NUL or control bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    return _detect(data)


def _detect(data: bytes) -> str:
    """Detection for undeclared legacy encodings.

    Statistical detection is good at telling multi-byte encodings (Shift_JIS, EUC-KR, GB18030)
    apart, but on short Western texts it often picks an exotic single-byte code page; cp1252 is
    by far the most common one in news pages, so it wins whenever the guess is single-byte and
    cp1252 decodes the bytes cleanly.
    """
    best = from_bytes(data).best()
    if best is not None and not _is_single_byte(best.encoding):
        return str(best)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    if best is not None:
        return str(best)
    return data.decode("cp1252", errors="replace")


def _is_single_byte(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name.startswith(("cp", "iso8859", "latin", "mac", "koi8"))
    except LookupError:
        return True
