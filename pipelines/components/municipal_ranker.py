"""Second retrieval stage: reorder candidates by what municipal questions mean (town named, version in force)."""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import replace
from typing import Any

from haystack import Document, component

_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_FAMILY_NOISE = re.compile(
    r"[\d.§()\-–,/]+|\b(ab|vom|stand|fassung|neufassung|änderung|zur|der|die|des|über)\b", re.I
)


def _cosine(a: list[float] | None, b: list[float] | None) -> float:
    if not a or not b:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def _family(doc: Document) -> str:
    """Documents of one family are versions of the same rule (same town, type and title words)."""
    title = _FAMILY_NOISE.sub(" ", str(doc.meta.get("title", ""))).lower()
    return f"{doc.meta.get('municipality')}|{doc.meta.get('doc_type')}|{' '.join(title.split())}"


def _version_date(doc: Document) -> str:
    return str(doc.meta.get("valid_from") or doc.meta.get("date") or "")


@component
class MunicipalRanker:
    """
    Reorders retrieved candidates and keeps ``top_k``:

    * the fused rank from Qdrant is the base score (reciprocal rank);
    * when the question names a municipality that occurs among the candidates, its documents move up
      and other towns' documents move down (six towns have near-identical dog-tax statutes);
    * of several versions of one statute, the one in force (latest ``valid_from`` not in the future)
      wins, unless the question names a year, in which case the version of that year wins;
    * each document gets ``meta["dense_score"]``, the cosine similarity of question and chunk, which
      the answer step uses as evidence strength (fused scores are ranks, not similarities).

    Usage example:
    ```python
    ranker = MunicipalRanker(top_k=5)
    ranker.run(query="Hundesteuer in Bad Boll", documents=candidates, query_embedding=vector)["documents"]
    ```
    """

    def __init__(self, top_k: int = 5, town_boost: float = 0.5, version_penalty: float = 0.3) -> None:
        self.top_k = top_k
        self.town_boost = town_boost
        self.version_penalty = version_penalty

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        documents: list[Document],
        query_embedding: list[float] | None = None,
        top_k: int | None = None,
    ) -> dict[str, Any]:
        top_k = top_k or self.top_k
        if not documents:
            return {"documents": []}
        lowered = query.lower()
        towns = {str(d.meta["municipality"]) for d in documents if d.meta.get("municipality")}
        named = {t for t in towns if re.search(rf"\b{re.escape(t.lower())}\b", lowered)}
        years = set(_YEAR.findall(query))
        today = datetime.date.today().isoformat()
        newest: dict[str, str] = {}
        for d in documents:
            v = _version_date(d)
            if v and v <= today and v > newest.get(_family(d), ""):
                newest[_family(d)] = v

        scored = []
        for rank, doc in enumerate(documents):
            score = 1.0 / (1 + rank) ** 0.5
            town = doc.meta.get("municipality")
            if named and town:
                score += self.town_boost if town in named else -self.town_boost
            version = _version_date(doc)
            if years:
                if any(y in version or y in str(doc.meta.get("title", "")) for y in years):
                    score += self.version_penalty
            elif version and newest.get(_family(doc), version) != version:
                score -= self.version_penalty
            dense = _cosine(query_embedding, doc.embedding) if query_embedding else (doc.score or 0.0)
            meta = {**doc.meta, "dense_score": round(dense, 4)}
            scored.append(replace(doc, score=round(score, 4), meta=meta, embedding=None))
        scored.sort(key=lambda d: d.score or 0.0, reverse=True)
        return {"documents": scored[:top_k]}
