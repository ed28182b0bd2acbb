"""Reading the rows of an uploaded table: .xlsx (openpyxl, read-only) or .csv (UTF-8 with or without BOM, else
GB18030 as Chinese Excel writes it), or a list of dicts. Used by campaign/importer.py.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _


class UnreadableFile(Exception):
    """A problem with the whole file (unreadable, no header): reported as one error, nothing imported."""


def _open_binary(source: Any) -> tuple[IO[bytes], bool]:
    """(binary stream, whether we opened it and must close it)."""
    if isinstance(source, str | Path):
        return open(source, "rb"), True  # closed by registry_import
    if hasattr(source, "open") and hasattr(source, "chunks"):  # Django UploadedFile
        source.open("rb")
    return source, False


def _is_xlsx(stream: IO[bytes]) -> bool:
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    return magic == b"PK\x03\x04"  # an .xlsx is a zip archive


def _csv_encoding(stream: IO[bytes]) -> str:
    """utf-8-sig when the whole file decodes as UTF-8 (BOM or not), else GB18030 (Chinese Excel's "CSV")."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        stream.seek(0)


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for damaged files
        raise UnreadableFile(_("无法读取 Excel 文件：%(e)s") % {"e": exc.__class__.__name__}) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some exporters write wrong <dimension> tags; read what is there
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)
    finally:
        workbook.close()


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    text = io.TextIOWrapper(stream, encoding=_csv_encoding(stream), newline="")
    try:
        for number, values in enumerate(csv.reader(text), start=1):
            yield number, list(values)
    except UnicodeDecodeError:
        raise UnreadableFile(_("文件编码无法识别，请另存为 UTF-8 编码的 CSV 或 .xlsx。")) from None
    finally:
        text.detach()  # leave the caller's stream open


def _mapping_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, list[Any]]]:
    """Rows given as dicts keyed by header: numbered as if the first row of a sheet held the headers."""
    headers: list[str] = []
    for index, row in enumerate(rows):
        if index == 0:
            headers = list(row)
            yield 1, list(headers)
        yield index + 2, [row.get(h) for h in headers]


def rows_of(source: Any, stack: list[IO[bytes]]) -> Iterator[tuple[int, list[Any]]]:
    if isinstance(source, str | Path) or hasattr(source, "read"):
        stream, opened = _open_binary(source)
        if opened:
            stack.append(stream)
        return _xlsx_rows(stream) if _is_xlsx(stream) else _csv_rows(stream)
    return _mapping_rows(source)
