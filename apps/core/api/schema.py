"""OpenAPI post-processing: document the error bodies that every operation can answer with."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
        "conflicts": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail"],
}
DESCRIPTIONS = {
    "400": "Bad input: the body or a query parameter is invalid.",
    "401": "Not authenticated: give `Authorization: Token <key>` or sign in.",
    "403": "Not allowed: the role or the rules (e.g. segregation of duties) forbid it.",
    "404": "Not there, or not visible to you.",
    "409": "Conflict: schedule clash, freeze, promotion gate, failed check or stale version.",
    "429": "Too many requests: wait the `Retry-After` header's seconds (rate limits per token or user, per address).",
    "503": "The database or the task broker is unavailable.",
}

RETRY_AFTER = {"description": "Seconds until the next request is allowed.", "schema": {"type": "integer"}}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "401", "403", "429", "503"]
            if "{" in path:
                codes.append("404")
            if method != "get":
                codes.append("409")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code, {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}}
                )
            if "content" not in responses["429"]:
                responses["429"]["content"] = {"application/json": {"schema": ref}}
            responses["429"].setdefault("headers", {"Retry-After": RETRY_AFTER})
    return result
