"""Haystack filters -> Qdrant Edge filters, condition for condition as qdrant-haystack converts them.

A Haystack filter dict is converted as qdrant-haystack's ``convert_filters_to_qdrant`` converts it for a Qdrant
server (same nesting, same operators, same errors: ``None`` values and unknown operators raise ``FilterError``),
but straight into ``qdrant_edge``'s classes: a reader's first search would otherwise import qdrant-client
(about a second and 40 MB, measured in docs/embedded-store.md) just to build its role filter.
``tests/unit/test_edge_store.py`` checks that both conversions give the same filter. A ``qdrant_client`` Filter
is still accepted (then qdrant-client is imported and the filter rebuilt with the engine's classes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from haystack.utils.filters import COMPARISON_OPERATORS, LOGICAL_OPERATORS, FilterError


def to_edge_filter(filters: dict[str, Any] | Any | None) -> Any | None:
    """A ``qdrant_edge.Filter`` for a Haystack filter dict (or a ``qdrant_client`` Filter), ``None`` for none."""
    if filters is not None and not isinstance(filters, dict):
        if type(filters).__module__.startswith("qdrant_client"):
            return _from_qdrant_client(filters)
        raise ValueError("Filter must be a dictionary or an instance of `qdrant_client.http.models.Filter`")
    if filters and "operator" not in filters:
        raise ValueError(
            "Invalid filter syntax. See https://docs.haystack.deepset.ai/docs/metadata-filtering for details."
        )
    if not filters:
        return None
    import qdrant_edge as edge

    conditions = _items([filters])
    if not conditions:
        return None
    if len(conditions) == 1 and isinstance(conditions[0], edge.Filter):
        return conditions[0]
    return edge.Filter(must=conditions)


def _items(items: list[dict[str, Any]]) -> list[Any]:
    out = []
    for item in items:
        operator = item.get("operator")
        if operator is None:
            raise FilterError("Operator not found in filters")
        if operator in LOGICAL_OPERATORS:
            condition = _logical(item)
        elif operator in COMPARISON_OPERATORS:
            condition = _comparison(item)
        else:
            raise FilterError(f"Unknown operator {operator} used in filters")
        if condition is not None:
            out.append(condition)
    return out


def _logical(item: dict[str, Any]) -> Any | None:
    import qdrant_edge as edge

    operator = item["operator"]
    if not item.get("conditions"):
        raise FilterError(f"'conditions' not found for '{operator}'")
    nested = _items(item["conditions"])
    if not nested:
        return None
    if operator == "AND":
        return edge.Filter(must=nested)
    if operator == "OR":
        return edge.Filter(should=nested)
    if operator == "NOT":
        return edge.Filter(must_not=nested)
    return None


def _comparison(item: dict[str, Any]) -> Any:
    import qdrant_edge as edge

    operator, key, value = item["operator"], item.get("field"), item.get("value")
    if key is None or value is None:
        raise FilterError(f"'field' or 'value' not found for '{operator}'")
    if operator == "==":
        return _eq(key, value)
    if operator == "!=":
        return edge.Filter(must_not=[_eq(key, value)])
    if operator in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"Value {value} is not a list")
        if operator == "in":
            return edge.Filter(should=[_eq(key, v) for v in value])
        return edge.Filter(must_not=[_eq(key, v) for v in value])
    bound = _RANGES.get(operator)
    if bound is None:
        raise FilterError(f"Unknown operator {operator} used in filters")
    if isinstance(value, str) and _is_datetime(value):
        return edge.FieldCondition(
            key, range=edge.RangeDateTime(**{bound: datetime.fromisoformat(value).isoformat()})
        )
    if isinstance(value, (int, float)):
        return edge.FieldCondition(key, range=edge.RangeFloat(**{bound: float(value)}))
    raise FilterError(f"Value {value} is not an int or float or datetime string")


_RANGES = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _eq(key: str, value: Any) -> Any:
    import qdrant_edge as edge

    if not isinstance(value, (str, int)):  # bool is an int; what a Qdrant server's MatchValue accepts
        raise FilterError(f"Value {value!r} of '{key}' cannot be matched: use a string, an integer or a bool")
    return edge.FieldCondition(key, match=edge.MatchValue(_value(value)))


def _value(value: Any) -> Any:
    # qdrant-edge-py 0.9.0 reads a Python bool as an integer (MatchValue(True).value == 1, which matches no
    # stored true/false); numpy's bool reaches the engine as a bool (tests/unit/test_edge_store.py)
    if isinstance(value, bool):
        return np.bool_(value)
    return value


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# -- a qdrant_client Filter (what qdrant-haystack's retrievers also accept) --------------------------------------
def _from_qdrant_client(f: Any) -> Any:
    import qdrant_edge as edge
    from qdrant_client.http import models

    if not isinstance(f, models.Filter):
        raise ValueError("Filter must be a dictionary or an instance of `qdrant_client.http.models.Filter`")

    def conditions(items: Any) -> list[Any] | None:
        if items is None:
            return None
        items = items if isinstance(items, list) else [items]
        return [_condition(c) for c in items]

    min_should = None
    if f.min_should is not None:
        min_should = edge.MinShould(conditions(f.min_should.conditions) or [], f.min_should.min_count)
    return edge.Filter(
        must=conditions(f.must),
        should=conditions(f.should),
        must_not=conditions(f.must_not),
        min_should=min_should,
    )


def _condition(c: Any) -> Any:
    import qdrant_edge as edge
    from qdrant_client.http import models

    if isinstance(c, models.Filter):
        return _from_qdrant_client(c)
    if isinstance(c, models.FieldCondition):
        if c.match is not None:
            return edge.FieldCondition(c.key, match=_match(c.match))
        if isinstance(c.range, models.DatetimeRange):
            bounds = {k: _iso(getattr(c.range, k)) for k in ("gt", "gte", "lt", "lte")}
            return edge.FieldCondition(c.key, range=edge.RangeDateTime(**bounds))
        if isinstance(c.range, models.Range):
            return edge.FieldCondition(
                c.key, range=edge.RangeFloat(gt=c.range.gt, gte=c.range.gte, lt=c.range.lt, lte=c.range.lte)
            )
        if c.is_empty is not None or c.is_null is not None:
            return edge.FieldCondition(c.key, is_empty=c.is_empty, is_null=c.is_null)
    if isinstance(c, models.IsEmptyCondition):
        return edge.IsEmptyCondition(c.is_empty.key)
    if isinstance(c, models.IsNullCondition):
        return edge.IsNullCondition(c.is_null.key)
    if isinstance(c, models.HasIdCondition):
        return edge.HasIdCondition(set(map(str, c.has_id)))
    raise FilterError(f"The embedded store cannot evaluate the filter condition {c!r}")


def _match(m: Any) -> Any:
    import qdrant_edge as edge
    from qdrant_client.http import models

    if isinstance(m, models.MatchValue):
        return edge.MatchValue(_value(m.value))
    if isinstance(m, models.MatchAny):
        return edge.MatchAny(list(m.any))  # type: ignore[arg-type]
    if isinstance(m, models.MatchExcept):
        return edge.MatchExcept(list(m.except_))  # type: ignore[arg-type]
    if isinstance(m, models.MatchText):
        return edge.MatchText(m.text)
    raise FilterError(f"The embedded store cannot evaluate the match {m!r}")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
