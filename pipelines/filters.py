"""Haystack metadata filters from the user's choices (document type, municipality, body, date range, public)."""

from __future__ import annotations

from typing import Any

# Bürgerbüro: chunks marked ``public: False`` (non-public OParl material) never leave the index.
# ``!=`` becomes Qdrant's ``must_not``, so chunks without the field (public by default) still match.
PUBLIC_ONLY = {"field": "meta.public", "operator": "!=", "value": False}


def build_filters(
    doc_type: str | None = None,
    municipality: str | None = None,
    body: str | None = None,
    since: str | None = None,
    until: str | None = None,
    public_only: bool = False,
) -> dict[str, Any] | None:
    """A filter for QueryService.search/answer, applied inside the Qdrant query; ``None`` = everything.

    >>> build_filters(doc_type="Satzung", since="2024-01-01")["conditions"][0]
    {'field': 'meta.doc_type', 'operator': '==', 'value': 'Satzung'}
    >>> build_filters(public_only=True)["conditions"]
    [{'field': 'meta.public', 'operator': '!=', 'value': False}]
    """
    conditions: list[dict[str, Any]] = []
    for field, value in (("doc_type", doc_type), ("municipality", municipality), ("body", body)):
        if value:
            conditions.append({"field": f"meta.{field}", "operator": "==", "value": value})
    if since:
        conditions.append({"field": "meta.date", "operator": ">=", "value": since})
    if until:
        conditions.append({"field": "meta.date", "operator": "<=", "value": until})
    if public_only:
        conditions.append(dict(PUBLIC_ONLY))
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}
