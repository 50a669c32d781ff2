"""Decides before the model whether the retrieved chunks may answer the question at all."""

from __future__ import annotations

import logging
from typing import Any

from haystack import Document, component

from pipelines.evidence import about_the_question, select_evidence
from pipelines.question import Question
from pipelines.term_weights import TermWeights
from pipelines.values import holds

logger = logging.getLogger(__name__)

REFUSAL = "Dazu enthalten die Dokumente keine Angabe."


def refusal(reason: str = "", note: str = "") -> dict[str, Any]:
    """The fixed refusal as an answer; ``note``: a sentence for the reader after it."""
    answer = f"{REFUSAL} {note}" if note else REFUSAL
    if reason:
        logger.debug("refused: %s", reason)  # `auskunft ask --why` shows it
    return {
        "answer": answer,
        "citations": [],
        "refused": True,
        "unverified": False,
        "generated": False,
        "reason": reason,
    }


@component
class EvidenceGate:
    """
    Keeps the chunks that may answer the question, or refuses before the model is asked
    (pipelines/evidence.py): chunks of other towns than the one named, of a place the index does not know,
    versions in force only after the time asked about, a levy no chunk names, chunks below ``min_score``
    (cosine similarity of question and chunk), evidence that names nothing the question is about, and,
    asked for a figure, evidence with no figure of that kind.

    Exactly one output is sent: ``evidence`` (the chunks, best first, at most ``max_chunks``) or
    ``refusal`` (an answer dict, see :func:`refusal`).

    Usage example:
    ```python
    gate = EvidenceGate(min_score=0.83)
    gate.run(question=question, documents=ranked)  # {"evidence": [...]} or {"refusal": {...}}
    ```
    """

    def __init__(self, min_score: float = 0.83, margin: float = 0.04, max_chunks: int = 5) -> None:
        self.min_score = min_score
        self.margin = margin
        self.max_chunks = max_chunks

    @component.output_types(evidence=list[Document], refusal=dict[str, Any])
    def run(
        self, question: Question, documents: list[Document], term_weights: TermWeights | None = None
    ) -> dict[str, Any]:
        best = max((float(d.meta.get("dense_score", 0.0)) for d in documents), default=0.0)
        if best < self.min_score:
            return {
                "refusal": refusal(
                    f"no chunk is close enough (best similarity {best:.3f}, needed {self.min_score:.2f})"
                )
            }
        close = [
            d for d in documents if float(d.meta.get("dense_score", 0.0)) >= self.min_score - self.margin
        ]
        evidence = select_evidence(question, close)[: self.max_chunks]
        if not evidence:
            note = ""
            if question.places_elsewhere:
                # the desk must see that the place is the reason, not a gap in the town's statutes
                note = f"Für {' und '.join(sorted(question.places_elsewhere))} sind keine eigenen Dokumente indexiert."
            return {
                "refusal": refusal(
                    f"none of the {len(close)} close chunks is about the town or levy asked for", note
                )
            }
        if not about_the_question(question, evidence, term_weights):
            return {"refusal": refusal("the evidence names nothing the question is about")}
        if question.wants_value and not any(holds(d.content or "", question.answered_by) for d in evidence):
            return {"refusal": refusal(f"asked for {question.kind}, no chunk states one")}
        return {"evidence": evidence}
