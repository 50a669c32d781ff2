"""Second retrieval stage: reorder candidates by what municipal questions mean (town named, version in force)."""

from __future__ import annotations

import datetime
import inspect
import math
import re
from dataclasses import replace
from typing import Any

from haystack import Document, component

from pipelines.german_terms import fold, heading_overlap
from pipelines.question import Question
from pipelines.values import PATTERNS

# a heading that ends naming the rate itself: "§ 4 Steuersatz", "§ 5 Gebührenhöhe", "Gebührentarif", "Beträge"
_RATE_HEADING = re.compile(r"(?:satz|sätze|höhe|tarif\w*|beträge?|gebühren)\s*$", re.I)
# only normative texts have versions that replace each other; minutes and council papers do not
_VERSIONED_TYPES = {"satzung", "verordnung", "gesetz"}
_MINUTES = {"Niederschrift", "Protokoll"}
# a district's statutes hold for its towns (and the gate keeps them: pipelines/evidence.py)
_DISTRICT = ("landkreis", "lkr", "kreis")
_FAMILY_NOISE = re.compile(
    r"[\d.§()\-–,/]+|\b(ab|vom|stand|fassung|neufassung|änderung|zur|der|die|des|über)\b", re.I
)


# how a question names a law: its abbreviation ("KAG", "GemO", "BauNVO") or the compound its title starts
# with ("Bundesmeldegesetz", "Landesbauordnung", "Baugesetzbuch"); not "Gesetz" or "Satzung" alone
_LAW_TYPES = {"gesetz", "verordnung"}
_ABBREVIATION = re.compile(r"\(([A-ZÄÖÜ][\wäöüß]*[A-ZÄÖÜ][\wäöüß]*)\b")
_LAW_COMPOUND = re.compile(r"^([A-ZÄÖÜ][a-zäöüß]{3,}(?:gesetz|gesetzbuch|ordnung))\b")


def law_names(doc: Document) -> tuple[str, ...]:
    """How a question may name the law ``doc`` belongs to: ("KAG", "kommunalabgabengesetz") for
    "Kommunalabgabengesetz Baden-Württemberg (KAG BW)"; () for a town's statute or minutes."""
    if str(doc.meta.get("doc_type", "")).lower() not in _LAW_TYPES:
        return ()
    title = str(doc.meta.get("title") or "")
    names = [m.group(1) for m in _ABBREVIATION.finditer(title)]
    if m := _LAW_COMPOUND.match(title):
        names.append(fold(m.group(1)))
    return tuple(names)


def names_law(query: str, names: tuple[str, ...]) -> bool:
    """The question names the law: its abbreviation as a word, case and all ("im KAG"), or its title's
    compound in any case form ("des Bundesmeldegesetzes")."""
    folded = fold(query)
    return any(
        re.search(rf"\b{re.escape(n)}\b", query) if n != fold(n) else re.search(rf"\b{re.escape(n)}", folded)
        for n in names
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
    if str(doc.meta.get("doc_type", "")).lower() not in _VERSIONED_TYPES:
        return ""
    return str(doc.meta.get("valid_from") or doc.meta.get("date") or "")


def in_force_only_after(doc: Document, as_of: str) -> bool:
    """``doc`` is a version of a statute or law that came into force after ``as_of`` (its ``valid_from``)."""
    return bool(_version_date(doc)) and str(doc.meta.get("valid_from") or "") > as_of


@component
class MunicipalRanker:
    """
    Reorders retrieved candidates and keeps ``top_k``:

    * the fused rank from Qdrant is the base score (reciprocal rank);
    * when the question names a municipality that occurs among the candidates, other towns' documents
      move down (six towns have near-identical dog-tax statutes; the answer step does not use them
      either); documents without a known town keep their place (measured: boosting the named town
      pushed better unattributed hits out of the top 5);
    * a question that asks for an amount ("wie hoch", "was kostet") or a date ("wann", "Frist"; a time of
      day counts: opening hours) moves chunks holding one up (measured with benchmarks/quality.py: the
      answering chunk reaches the top 5 more often); asked for an amount, a chunk whose own heading names
      the rate ("§ 4 Steuersatz", "§ 5 Gebührenhöhe") moves up a little more: "§ 2 Steuerpflicht" holds
      amounts too (measured: answering chunk first or second 112 -> 113 of 134);
    * of several versions of one statute (Satzung, Verordnung, Gesetz; minutes and council papers have
      no versions), the one in force (latest ``valid_from`` not in the future) wins, unless the
      question names a year (then that year's version wins) or asks about the past ("vor der
      Erhöhung", "ursprünglich": then no version is preferred); a past question that names its time ("bis
      Ende 2025", "vor der Erhöhung 2026") moves down every version in force only after it;
    * a question that dates a meeting ("in der Sitzung im Januar 2020", "im Juli 2025") moves minutes and
      council papers of that month up (measured: the January 2020 minutes stood sixth, under minutes of
      other months of the same body), and minutes of other months down (the October protocol of a dog-tax
      amendment stood first for a July decision on the dog tax);
    * a question that names a law by its abbreviation or title ("im KAG", "des Bundesmeldegesetzes") moves
      that law's chunks up (a town's statute citing "§ 9 Abs. 3 KAG" stood first for "Welche Vorschrift im
      KAG ..."); asked where a rule stands ("in welchem Paragraphen"), a § whose own heading shares words
      with the question moves up per word shared (at most two words count) ("§ 4 Allgemeine Wohngebiete" over
      "§ 3 Reine Wohngebiete");
    * each document gets ``meta["dense_score"]``, the cosine similarity of question and chunk, which
      the answer step uses as evidence strength (fused scores are ranks, not similarities).

    Usage example:
    ```python
    ranker = MunicipalRanker(top_k=5)
    ranker.run(question=understand("Hundesteuer in Bad Boll?", today), documents=candidates)["documents"]
    ```
    """

    def __init__(
        self,
        top_k: int = 5,
        town_boost: float = 0.5,
        version_penalty: float = 0.3,
        answer_type_boost: float = 0.3,
        rate_heading_boost: float = 0.2,
        meeting_month_boost: float = 0.5,
        named_law_boost: float = 0.3,
        provision_heading_boost: float = 0.3,
    ) -> None:
        self.top_k = top_k
        self.town_boost = town_boost
        self.version_penalty = version_penalty
        self.answer_type_boost = answer_type_boost
        self.rate_heading_boost = rate_heading_boost
        self.meeting_month_boost = meeting_month_boost
        self.named_law_boost = named_law_boost
        self.provision_heading_boost = provision_heading_boost

    @staticmethod
    def boost_names() -> list[str]:
        """The constructor's score adjustments (every parameter but ``top_k``)."""
        return [
            n for n in inspect.signature(MunicipalRanker.__init__).parameters if n not in ("self", "top_k")
        ]

    @component.output_types(documents=list[Document])
    def run(
        self,
        question: Question,
        documents: list[Document],
        query_embedding: list[float] | None = None,
        top_k: int | None = None,
    ) -> dict[str, Any]:
        top_k = top_k or self.top_k
        if not documents:
            return {"documents": []}
        named = question.towns
        years = question.years
        # "vor der Erhöhung 2026", "bis Ende 2025": the year named is when the wanted version ended
        as_of = question.as_of
        wanted = [PATTERNS[t] for t in question.answered_by]
        asks_amount = question.kind == "amount"
        months = question.meeting_months
        today = question.today or datetime.date.today().isoformat()
        newest: dict[str, str] = {}
        versions: dict[str, set[str]] = {}
        for d in documents:
            v = _version_date(d)
            if v:
                versions.setdefault(_family(d), set()).add(v)
            if v and v <= today and v > newest.get(_family(d), ""):
                newest[_family(d)] = v

        scored = []
        for rank, doc in enumerate(documents):
            score = 1.0 / (1 + rank) ** 0.5
            town = doc.meta.get("municipality")
            if named and town and town not in named and not str(town).lower().startswith(_DISTRICT):
                # another town's text (six towns have near-identical dog-tax statutes); the answer step does
                # not take it as evidence either (pipelines/evidence.py), so it must not fill the top k
                score -= self.town_boost
            version = _version_date(doc)
            # versions matter only where candidates hold several versions of one statute
            competing = len(versions.get(_family(doc), ())) > 1
            if as_of and in_force_only_after(doc, as_of):
                # "bis Ende 2025": a version in force only from 2026 on cannot say what held then, whether
                # or not older versions are among the candidates (often only a council paper names the old rate)
                score -= self.version_penalty
            elif years and not question.asks_before:
                if competing and any(y in version or y in str(doc.meta.get("title", "")) for y in years):
                    score += self.version_penalty
            elif competing and not question.asks_past and newest.get(_family(doc), version) != version:
                score -= self.version_penalty
            if wanted and any(p.search(doc.content or "") for p in wanted):
                # asked "wie hoch" / "wann": a chunk with an amount / a date can answer, "§ 1 Steuergegenstand" not
                score += self.answer_type_boost
            dated = str(doc.meta.get("date") or "")[:7]
            if months and not version and dated in months:
                score += (
                    self.meeting_month_boost
                )  # minutes and papers have no versions: their date is the meeting's
            elif months and dated and str(doc.meta.get("doc_type") or "") in _MINUTES:
                # "im Juli 2025 entschieden": the October minutes record another meeting (a council paper
                # may be dated weeks before the meeting that decided it, so papers keep their place)
                score -= self.meeting_month_boost
            own_heading = str(doc.meta.get("heading") or "").rsplit(">", 1)[-1].strip()
            if asks_amount and _RATE_HEADING.search(own_heading):
                score += self.rate_heading_boost
            if names_law(question.text, law_names(doc)):
                # "Welche Vorschrift im KAG ...": the KAG, not a statute citing it
                score += self.named_law_boost
            if question.asks_provision and doc.meta.get("section"):
                # "In welchem Paragraphen steht die Pflicht zur Anmeldung": "§ 17 Anmeldung, Abmeldung"
                score += self.provision_heading_boost * min(2, heading_overlap(question.text, own_heading))
            dense = _cosine(query_embedding, doc.embedding) if query_embedding else (doc.score or 0.0)
            meta = {**doc.meta, "dense_score": round(dense, 4)}
            scored.append(replace(doc, score=round(score, 4), meta=meta, embedding=None))
        scored.sort(key=lambda d: d.score or 0.0, reverse=True)
        return {"documents": scored[:top_k]}
