"""Haystack metadata filters from the user's choices (document type, municipality, body, date range)."""

from __future__ import annotations

from typing import Any


def build_filters(
    doc_type: str | None = None,
    municipality: str | None = None,
    body: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any] | None:
    """A filter for QueryService.search/answer, applied inside the Qdrant query; ``None`` = everything.

    >>> build_filters(doc_type="Satzung", since="2024-01-01")["conditions"][0]
    {'field': 'meta.doc_type', 'operator': '==', 'value': 'Satzung'}
    """
    conditions: list[dict[str, Any]] = []
    for field, value in (("doc_type", doc_type), ("municipality", municipality), ("body", body)):
        if value:
            conditions.append({"field": f"meta.{field}", "operator": "==", "value": value})
    if since:
        conditions.append({"field": "meta.date", "operator": ">=", "value": since})
    if until:
        conditions.append({"field": "meta.date", "operator": "<=", "value": until})
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}
