"""Keyset pages of deployments ordered by risk score (`?ordering=-risk_score` or `risk_score`): the position is the
last row's (risk_score, id), compared as a row value, which the index dep_risk_id answers as a range at any depth —
DRF's cursor pagination would page through a million equal scores by OFFSET."""

import base64
from urllib.parse import urlencode

from django.db import connection
from rest_framework import exceptions
from rest_framework.pagination import BasePagination, _positive_int
from rest_framework.response import Response

RISK_ORDERINGS = ("-risk_score", "risk_score")


def _encode(score: int, pk: int, reverse: bool) -> str:
    raw = f"{int(reverse)}|{score}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str) -> tuple[int, int, bool]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        reverse, score, pk = raw.split("|")
        if reverse not in ("0", "1") or not (score.isdigit() and pk.isdigit()) or len(score) > 3 or len(pk) > 19:
            raise ValueError(raw)
        return int(score), int(pk), reverse == "1"
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from exc


class RiskCursorPagination(BasePagination):
    """Pages of 50 (page_size up to 200) by risk score, highest first for `-risk_score`, ties by id; `next` and
    `previous` links as the other deployment lists give them."""

    page_size = 50
    max_page_size = 200

    def __init__(self, ordering: str = "-risk_score"):
        self.ordering = ordering
        self.descending = ordering.startswith("-")

    def _page_size(self, request) -> int:
        try:
            return _positive_int(request.query_params["page_size"], strict=True, cutoff=self.max_page_size)
        except (KeyError, ValueError):
            return self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        token = request.query_params.get("cursor", "")
        position = _decode(token) if token else None
        reverse = bool(position and position[2])
        desc = self.descending != reverse  # the direction this query walks in
        qs = queryset.order_by(*(("-risk_score", "-id") if desc else ("risk_score", "id")))
        if position:
            table = connection.ops.quote_name(queryset.model._meta.db_table)
            score, pk = (f"{table}.{connection.ops.quote_name(c)}" for c in ("risk_score", "id"))
            where = f"({score}, {pk}) {'<' if desc else '>'} (%s, %s)"
            qs = qs.extra(where=[where], params=[position[0], position[1]])  # noqa: S610 (names from the model)
        rows = list(qs[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        self.next_token = self.previous_token = ""
        if rows:
            first, last = rows[0], rows[-1]  # values() rows (the list reads no model instances)
            if (more and not reverse) or reverse:
                self.next_token = _encode(last["risk_score"], last["id"], False)
            if (more and reverse) or (position and not reverse):
                self.previous_token = _encode(first["risk_score"], first["id"], True)
        return rows

    def _link(self, token: str) -> str | None:
        if not token:
            return None
        params = {k: v for k, v in self.request.query_params.items() if k != "cursor"}
        params["cursor"] = token
        return self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params)

    def get_paginated_response(self, data):
        return Response(
            {"next": self._link(self.next_token), "previous": self._link(self.previous_token), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
