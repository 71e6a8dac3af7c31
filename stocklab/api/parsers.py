"""Request parsers: DRF's, but JSON nested too deep to read is malformed (400), not a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # DRF turns only ValueError into a ParseError
            raise ParseError("JSON parse error - nested too deeply") from exc
