"""text_file_problem: the cause of an unreadable text file, told from its bytes, with the fix."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from costrec.textfile import text_file_problem

CSV = "user_id,item_id,timestamp\nu1,j1,2024-01-01\nu2,j2,2024-01-02\n"


@pytest.mark.parametrize(
    ("encoding", "named", "iconv"),
    [
        ("utf-16", "UTF-16 text (little-endian, with a byte-order mark)", "-f UTF-16 "),
        ("utf-16-le", "UTF-16 text (little-endian, no byte-order mark", "-f UTF-16LE "),
        ("utf-16-be", "UTF-16 text (big-endian, no byte-order mark", "-f UTF-16BE "),
        ("utf-32", "UTF-32 text (little-endian, with a byte-order mark)", "-f UTF-32 "),
    ],
)
def test_utf16_and_utf32_are_named_with_the_iconv_command(
    tmp_path: Path, encoding: str, named: str, iconv: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(CSV.encode(encoding))
    problem = text_file_problem(path)
    assert problem is not None
    assert problem.startswith(named)
    assert f"`iconv {iconv}-t UTF-8 {path} > {tmp_path / 'log-utf8.csv'}`" in problem
    assert "\n" not in problem


def test_gzipped_utf16_converts_through_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bill.csv.gz"
    path.write_bytes(gzip.compress(CSV.encode("utf-16")))
    problem = text_file_problem(path)
    assert problem is not None
    assert problem.startswith("UTF-16 text")
    assert f"`gzip -dc {path} | iconv -f UTF-16 -t UTF-8 > {tmp_path / 'bill-utf8.csv'}`" in problem


def test_truncated_gzip_is_damaged(tmp_path: Path) -> None:
    whole = gzip.compress((CSV * 200).encode())
    path = tmp_path / "bill.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    problem = text_file_problem(path)
    assert problem is not None
    assert problem.startswith("damaged gzip: the file is truncated")
    assert f"after {len(whole) // 2:,} bytes" in problem
    assert f"gzip -t {path}" in problem


def test_gz_name_without_gzip_content(tmp_path: Path) -> None:
    path = tmp_path / "bill.csv.gz"
    path.write_text(CSV)
    problem = text_file_problem(path)
    assert problem is not None
    assert "the name ends in .gz but the content is not gzip data (it starts with b'us')" in problem


def test_empty_and_latin1_and_binary(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert text_file_problem(empty) == (
        "empty file (0 bytes). Fix: download or export the file again (it needs a header line)"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nCaf\u00e9\n".encode("latin-1"))
    problem = text_file_problem(latin)
    assert problem is not None
    assert "byte b'\\xe9' at offset 8" in problem
    assert "iconv -f WINDOWS-1252 -t UTF-8" in problem
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    problem = text_file_problem(binary)
    assert problem is not None
    assert problem.startswith("binary data, not text (4 NUL bytes")


def test_readable_utf8_has_no_problem(tmp_path: Path) -> None:
    plain = tmp_path / "ok.csv"
    plain.write_text(CSV + "caf\u00e9\n", encoding="utf-8")
    packed = tmp_path / "ok.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert text_file_problem(plain) is None
    assert text_file_problem(packed) is None
    assert text_file_problem(tmp_path / "missing.csv") is None
