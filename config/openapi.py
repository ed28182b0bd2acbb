"""The error answers every operation can give, written into the OpenAPI schema in one place (issue 12 item 10).

drf-spectacular documents only an operation's success by default, so a client (and the fuzzer) saw each 400, 401,
403, 404 and 429 as undocumented. This post-processing hook adds them where they apply, with the body
campaign.errors gives them (`{"detail": ...}` or field errors); it never replaces a response a view documented.
"""

from __future__ import annotations

from typing import Any

ERROR_BODY = {
    "type": "object",
    "description": "`detail` (a message) or field errors: each field named with its list of messages.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "The request is invalid: the body or a query parameter (field errors).",
    "401": "Credentials missing, wrong or expired (WWW-Authenticate names the scheme).",
    "403": "The role may not do this, or the account is locked out.",
    "404": "No such object, or not within the caller's scope (a filter's unit or area included).",
    "429": "Too many requests: try again later.",
}
WRITES = {"post", "put", "patch", "delete"}


def _codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    secured = {} not in operation.get("security", [{}])
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    codes = []
    if method in WRITES or has_query:
        codes.append("400")
    if secured:  # 404 too: an id in the path, body or a filter may name an object outside the caller's scope
        codes += ["401", "403", "404"]
    else:  # the open endpoints are the throttled ones (log in), guarded by the lockout too
        codes += ["403", "429"]
    return codes


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: adds the error responses an operation lacks, and says that an
    integer id in a path has no sign (`<int:pk>` matches digits only: "-1" is no API path, Django's HTML 404)."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                    parameter["schema"].setdefault("minimum", 0)
            responses = operation.setdefault("responses", {})
            for code in _codes(path, method, operation):
                responses.setdefault(
                    code,
                    {"description": ERRORS[code], "content": {"application/json": {"schema": ERROR_BODY}}},
                )
    return result
