"""Why a text file (CSV, TSV) cannot be read, told from its bytes: empty, damaged gzip, or not UTF-8.

CSV readers report these cases in their own terms ("CSV Error on Line: 1", "Error when sniffing file",
"Unexpected end of GZIP stream") that do not say what is wrong with the file. This module runs on the
error path only, after a read failed, and returns the cause in the user's terms with the command that
fixes it; callers raise it as their package's ``DataError``.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bill.csv"
    >>> _ = p.write_bytes("a,b\\n1,2\\n".encode("utf-16"))
    >>> text_file_problem(p).split(";")[0]
    'UTF-16 text (little-endian, with a byte-order mark)'
"""

from __future__ import annotations

import codecs
import gzip
import os
import shlex
import zlib
from pathlib import Path

__all__ = ["text_file_problem", "ENCODING_SAMPLE"]

# Bytes of (decompressed) text looked at to tell the encoding: a few lines of any CSV header.
ENCODING_SAMPLE = 64 * 1024
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32", "little-endian"),
    (codecs.BOM_UTF32_BE, "UTF-32", "big-endian"),
    (codecs.BOM_UTF16_LE, "UTF-16", "little-endian"),
    (codecs.BOM_UTF16_BE, "UTF-16", "big-endian"),
)


def _gzip_problem(path: Path, shown: str) -> tuple[str | None, bytes]:
    """The damage of a gzip file (or ``None``) and the first bytes of its text.

    The whole stream is decompressed (the error path can afford it): truncation only shows at the end.
    """
    head = b""
    check = f"`gzip -t {shown}` checks a copy"
    with path.open("rb") as raw:
        magic = raw.read(2)
    if magic != _GZIP_MAGIC:
        return (
            f"damaged gzip: the name ends in .gz but the content is not gzip data (it starts with "
            f"{magic!r}). Fix: download this file again ({check}), or drop the .gz from its name if it "
            "is plain text",
            head,
        )
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                if len(head) < ENCODING_SAMPLE:
                    head += chunk[: ENCODING_SAMPLE - len(head)]
    except EOFError:
        return (
            f"damaged gzip: the file is truncated (it ends before the end of its compressed stream, "
            f"after {path.stat().st_size:,} bytes). Fix: download it again ({check})",
            head,
        )
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        return f"damaged gzip: corrupt compressed data ({exc}). Fix: download it again ({check})", head
    return None, head


def _convert_hint(shown: str, encoding: str, gzipped: bool) -> str:
    stem = shown[: -len(".gz")] if gzipped else shown
    base, dot, ext = stem.rpartition(".")
    out = shlex.quote(f"{base}-utf8.{ext}" if dot else f"{stem}-utf8")
    if gzipped:
        return f"`gzip -dc {shown} | iconv -f {encoding} -t UTF-8 > {out}`"
    return f"`iconv -f {encoding} -t UTF-8 {shown} > {out}`"


def _encoding_problem(head: bytes, shown: str, gzipped: bool) -> str | None:
    """The encoding of ``head`` when it is not UTF-8, with the command converting it, else ``None``."""
    fix = ". Fix: convert it with {cmd}, or export the file again as UTF-8"
    for bom, encoding, order in _BOMS:
        if head.startswith(bom):
            cmd = _convert_hint(shown, encoding, gzipped)
            return f"{encoding} text ({order}, with a byte-order mark); CSV files must be UTF-8" + fix.format(
                cmd=cmd
            )
    sample = head[:4096]
    nul = sample.count(b"\x00")
    if nul:
        # UTF-16 without a mark: ASCII text leaves a NUL in every other byte, odd bytes for little-endian.
        odd = sample[1::2].count(b"\x00")
        even = sample[0::2].count(b"\x00")
        if nul * 4 >= len(sample) and max(odd, even) >= 0.9 * nul:
            encoding = "UTF-16LE" if odd > even else "UTF-16BE"
            order = "little-endian" if odd > even else "big-endian"
            cmd = _convert_hint(shown, encoding, gzipped)
            return (
                f"UTF-16 text ({order}, no byte-order mark; NUL bytes between the letters); CSV files "
                "must be UTF-8" + fix.format(cmd=cmd)
            )
        return (
            f"binary data, not text ({nul} NUL bytes in the first {len(sample)}). Fix: pass the export's "
            "CSV file (or download it again if this is it)"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the sample's end is not an error
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start : exc.start + 1]
        cmd = _convert_hint(shown, "WINDOWS-1252", gzipped)
        return (
            f"not UTF-8 text (byte {byte!r} at offset {exc.start}, likely Latin-1 or Windows-1252); CSV "
            "files must be UTF-8" + fix.format(cmd=cmd)
        )
    return None


def text_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the text file at ``path`` cannot be read as UTF-8 CSV, with the fix, or ``None`` if not known.

    Looks for, in this order: an empty file (0 bytes); a ``.gz`` file (or gzip data) that is not gzip, is
    truncated or corrupt; text in UTF-16 or UTF-32 (a byte-order mark, or NUL bytes between ASCII
    letters); other NUL-holding binary data; bytes that are not UTF-8 (Latin-1, Windows-1252).

    Args:
        path: The file a reader failed on.

    Returns:
        One line ``"<cause>. Fix: <what to do>"`` without the path (the caller names the file), or
        ``None`` when the bytes look like readable UTF-8 text and the cause lies elsewhere.
    """
    source = Path(path)
    try:
        if not source.is_file():
            return None
        if source.stat().st_size == 0:
            return "empty file (0 bytes). Fix: download or export the file again (it needs a header line)"
        shown = shlex.quote(str(source))
        with source.open("rb") as raw:
            head = raw.read(ENCODING_SAMPLE)
        gzipped = source.name.lower().endswith(".gz") or head.startswith(_GZIP_MAGIC)
        if gzipped:
            damage, head = _gzip_problem(source, shown)
            if damage is not None:
                return damage
            if not head:
                return "empty file (a gzip of 0 bytes of text). Fix: download or export the file again"
        return _encoding_problem(head, shown, gzipped)
    except OSError:
        return None
