"""CSV exports: UTF-8 with a byte-order mark (so that Excel in Korea reads Hangul), streamed row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

BOM = "\ufeff"


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` choose the CSV answer (the views stream it themselves), and
    documents the operations that have one as answering text/csv in the OpenAPI schema."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach here (the views stream their CSV): shown as one line of text.
        if isinstance(data, dict):
            return f"{data.get('code', '')},{data.get('detail', '')}\r\n".encode()
        return b""


class _Line:
    """A file-like object whose `write` returns the line, for `csv.writer` to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
