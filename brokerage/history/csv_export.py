"""CSV exports: UTF-8 with a byte-order mark (so that Excel in Korea reads Hangul), streamed.

Under ASGI the rows are pulled a chunk at a time through `sync_to_async` (Django consumes a sync iterator
whole before sending it there); under WSGI a plain generator streams as it is. Querysets are read by keyset
pages, so no database cursor stays open between chunks.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

BOM = "\ufeff"
CHUNK_ROWS = 500
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` choose the CSV answer (the views stream it themselves), and
    documents the operations that have one as answering text/csv in the OpenAPI schema."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach here (the views stream their CSV): shown as one CSV line.
        if isinstance(data, dict):
            line = _safe([data.get("code", ""), data.get("detail", "")])
            return csv.writer(_Line()).writerow(line).encode()
        return b""


class _Line:
    """A file-like object whose `write` returns the line, for `csv.writer` to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def _safe(row: Sequence[Any]) -> list[Any]:
    """Blank for None; text a spreadsheet would run as a formula gets a leading `'` (numbers do not)."""
    return ["" if value is None else _text(value) for value in row]


def _text(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow(_safe(row))


def queryset_pages(queryset: QuerySet, *, field: str, size: int | None = None) -> Iterator[Model]:
    """The queryset newest first by (`field`, id), read a page at a time by keyset."""
    size = size or CHUNK_ROWS
    queryset = queryset.order_by(f"-{field}", "-id")
    last = None
    while True:
        page = queryset
        if last is not None:
            value = getattr(last, field)
            page = page.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": last.pk}))
        rows = list(page[:size])
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]


async def _chunks_async(lines: Iterator[bytes]) -> AsyncIterator[bytes]:
    take = sync_to_async(lambda: b"".join(islice(lines, CHUNK_ROWS)), thread_sensitive=True)
    while chunk := await take():
        yield chunk


def csv_response(
    *, request: HttpRequest, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """`rows` as a CSV download, streamed under both WSGI and ASGI."""
    lines = (line.encode("utf-8") for line in csv_lines(header, rows))
    served_async = isinstance(getattr(request, "_request", request), ASGIRequest)
    content = _chunks_async(lines) if served_async else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
