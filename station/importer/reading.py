"""Reading a spreadsheet's CSV export as it arrives: its encoding and its separator.

Office spreadsheets save CSV in UTF-8 (with or without a byte-order mark) or in
Windows-1252 (French Excel's default), separated by `;` (where `,` is the decimal
mark) or `,`; Excel's "Unicode text" is UTF-16 with a byte-order mark, tab-separated.
UTF-8 is tried first: a Windows-1252 file with accents is almost never valid UTF-8,
so the first decoding that succeeds is the right one.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from station.errors import InvalidInput

DELIMITERS = (";", ",", "\t")
MAX_BYTES = 10 * 1024 * 1024  # some 100,000 rows of a sign-up sheet
_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes anything: the last resort


@dataclass(frozen=True)
class Sheet:
    """A CSV file's header and rows, as text; `rows[i]` is spreadsheet row `i + 2`."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str

    def cell(self, row: list[str], column: int) -> str:
        return row[column].strip() if column < len(row) else ""


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the name of its encoding."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace"), "utf-16"
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_delimiter(header_line: str) -> str:
    """The separator of a header line: the most frequent of `;`, `,` and tab."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def read_sheet(data: bytes) -> Sheet:
    """The sheet held in `data`; refused if empty or too large."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is {len(data)} bytes; at most {MAX_BYTES} are read")
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInput("the file is empty: expected a first line of column names")
    headers = [cell.strip() for cell in records[0]]
    return Sheet(headers, records[1:], encoding, delimiter)
