"""EvidenceGate: the chunks that may answer, or the refusal before the model is asked."""

from __future__ import annotations

import datetime

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.evidence_gate import REFUSAL, EvidenceGate
from pipelines.question import understand

TODAY = datetime.date(2026, 12, 6)
TOWNS = {"Konstanz", "Bad Boll"}


def _doc(content: str, town: str | None, similarity: float = 0.9, **meta: str) -> Document:
    return Document(content=content, meta={"municipality": town, "dense_score": similarity, **meta})


DOG_TAX = _doc(
    "Die Hundesteuer beträgt für den ersten Hund 108 Euro.", "Bad Boll", title="Hundesteuersatzung"
)
BEACH = _doc("Das Strandbad ist von 9 bis 20 Uhr geöffnet.", "Konstanz", title="Badeordnung")


def _run(text: str, documents: list[Document], **init: float) -> dict:
    return EvidenceGate(**init).run(question=understand(text, TODAY, TOWNS), documents=documents)


def test_exactly_one_output_the_evidence_or_the_refusal() -> None:
    kept = _run("Wie hoch ist die Hundesteuer in Bad Boll?", [BEACH, DOG_TAX])
    assert kept == {"evidence": [DOG_TAX]}
    refused = _run("Wie hoch ist die Hundesteuer in Konstanz?", [BEACH, DOG_TAX])
    assert set(refused) == {"refusal"} and refused["refusal"]["refused"]
    assert refused["refusal"]["answer"] == REFUSAL


def test_a_place_the_index_does_not_know_is_named_in_the_refusal() -> None:
    refused = _run("Wie hoch ist die Hundesteuer in Tübingen?", [DOG_TAX])["refusal"]
    assert refused["answer"] == f"{REFUSAL} Für Tübingen sind keine eigenen Dokumente indexiert."


def test_chunks_far_from_the_question_are_no_evidence() -> None:
    far = _doc("Die Hundesteuer beträgt 108 Euro.", "Bad Boll", similarity=0.70)
    assert "refusal" in _run("Wie hoch ist die Hundesteuer in Bad Boll?", [far], min_score=0.83)


def test_asked_for_a_figure_evidence_without_one_of_that_kind_is_refused() -> None:
    rules = _doc("Hunde sind im Strandbad an der Leine zu führen.", "Konstanz", title="Badeordnung")
    assert "refusal" in _run("Wie viel kostet der Eintritt ins Strandbad in Konstanz?", [rules])
    assert "evidence" in _run("Was gilt für Hunde im Strandbad in Konstanz?", [rules])


def test_the_gate_round_trips() -> None:
    gate = EvidenceGate(min_score=0.8, margin=0.05, max_chunks=3)
    restored = component_from_dict(EvidenceGate, component_to_dict(gate, "gate"), "gate")
    assert (restored.min_score, restored.margin, restored.max_chunks) == (0.8, 0.05, 3)
