"""The API's JSON parser (issue 12 item 1): bounded in size and depth, so a hostile body answers 400, never 500.

DRF's JSONParser reads the whole stream (DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to it) and lets a deeply
nested document raise RecursionError. This one reads at most MAX_JSON_BYTES, refuses the non-finite literals
(NaN, Infinity) and any document nested deeper than MAX_JSON_DEPTH.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_BYTES = 2 * 1024 * 1024  # a visit with 20 inline issues of 4,000 escaped characters is ~0.5 MB
MAX_JSON_DEPTH = 32  # the deepest real body (a visit's issues' attachments) is 3


def _refuse_constant(name: str) -> Any:
    raise ParseError(_("JSON 中不允许 %(name)s。") % {"name": name})


def json_depth(document: Any) -> int:
    """Nesting depth of a parsed document, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read(MAX_JSON_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_JSON_BYTES:
            raise ParseError(_("请求体过大（超过 %(mb)d MB）。") % {"mb": MAX_JSON_BYTES // (1024 * 1024)})
        try:
            document = json.loads(codecs.decode(raw, encoding), parse_constant=_refuse_constant)
        except RecursionError:
            document = None
            depth_exceeded = True
        except (ValueError, LookupError) as exc:
            raise ParseError(_("JSON 解析错误：%(error)s") % {"error": exc}) from None
        else:
            depth_exceeded = json_depth(document) > MAX_JSON_DEPTH
        if depth_exceeded:
            raise ParseError(_("JSON 嵌套过深（超过 %(n)d 层）。") % {"n": MAX_JSON_DEPTH})
        return document
