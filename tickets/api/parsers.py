"""The API's request parser: JSON only, and deep nesting is a 400 rather than a crash."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested too deeply to decode.

    `[[[[...` a few thousand levels deep makes Python's decoder raise
    RecursionError, which DRF does not catch.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
