"""ui.feedback: ratings stored as JSONL and exported as cases that `auskunft eval` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.evaluation import load_cases
from ui.feedback import FeedbackStore, cases_jsonl, eval_cases, to_eval_case

ANSWER = {
    "id": "a1",
    "question": "Und für den zweiten Hund?",
    "query": "Wie hoch ist die Hundesteuer in Konstanz? Und für den zweiten Hund?",
    "content": "Für den zweiten Hund beträgt die Steuer 216,00 € im Jahr [1], fällig ab 01.01.2024 [2].",
    "refused": False,
    "citations": [
        {"source": "/srv/ortsrecht/KON_Satzung_Hundesteuer.md", "title": "Hundesteuersatzung", "quote": "…"},
        {"source": "C:\\Ortsrecht\\KON_Satzung_Hundesteuer.md", "title": "Hundesteuersatzung", "quote": "…"},
    ],
    "mode": "staff",
    "filters": None,
    "model": "Qwen",
}
REFUSAL = {
    "id": "a2",
    "question": "Wann ist Sperrmüll?",
    "content": "Dazu enthalten die Dokumente keine Angabe.",
    "refused": True,
    "citations": [],
}


def test_records_are_appended_as_json_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback")
    store.add(ANSWER, "helpful", "  passt  ")
    store.add(REFUSAL, "wrong")
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["rating"] == "helpful" and first["comment"] == "passt"
    assert first["query"] == ANSWER["query"] and first["question"] == ANSWER["question"]
    assert first["citations"][0] == {
        "source": "/srv/ortsrecht/KON_Satzung_Hundesteuer.md",
        "title": "Hundesteuersatzung",
        "section": None,
        "page": None,
        "quote": "…",
    }
    assert json.loads(lines[1])["query"] == "Wann ist Sperrmüll?"  # no follow-up: the question itself
    assert [r["id"] for r in store.records()] == ["a1", "a2"]


def test_unknown_rating_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="helpful, wrong"):
        FeedbackStore(tmp_path).add(ANSWER, "great")


def test_damaged_lines_are_skipped(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add(ANSWER, "helpful")
    with store.path.open("a", encoding="utf-8") as f:
        f.write('{"rating": "helpful", "que')  # a crash mid-write
    assert len(store.records()) == 1
    assert FeedbackStore(tmp_path / "none").records() == []


def test_helpful_answer_becomes_a_case_with_sources_and_facts(tmp_path: Path) -> None:
    record = FeedbackStore(tmp_path).add(ANSWER, "helpful")
    case = to_eval_case(record)
    assert case["question"] == ANSWER["query"]  # standalone: the follow-up with its topic
    assert case["expected_sources"] == ["KON_Satzung_Hundesteuer.md"]  # file names, deduplicated
    assert case["answer_contains"] == ["216,00", "01.01.2024"]
    assert case["answerable"] is True and case["category"] == "feedback-helpful"
    assert "needs_review" not in case


def test_helpful_refusal_is_an_unanswerable_case(tmp_path: Path) -> None:
    case = to_eval_case(FeedbackStore(tmp_path).add(REFUSAL, "helpful"))
    assert case["answerable"] is False and case["expected_sources"] == [] and case["answer_contains"] == []


def test_wrong_answer_needs_review_and_keeps_the_comment(tmp_path: Path) -> None:
    case = to_eval_case(FeedbackStore(tmp_path).add(ANSWER, "wrong", "Es sind 180 €, § 5"))
    assert case["needs_review"] is True and case["category"] == "feedback-wrong"
    assert case["expected_sources"] == [] and case["answer_contains"] == []
    assert "Es sind 180 €, § 5" in case["note"] and "216,00" in case["note"]


def test_export_is_read_by_load_cases_newest_rating_wins(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add(ANSWER, "wrong", "erst falsch")
    store.add(ANSWER, "helpful", "dann doch richtig")
    store.add(REFUSAL, "wrong")
    cases = eval_cases(store.records())
    assert len(cases) == 2
    path = tmp_path / "cases.jsonl"
    path.write_text(cases_jsonl(cases), encoding="utf-8")
    loaded = load_cases(path)
    assert [c.category for c in loaded] == ["feedback-helpful", "feedback-wrong"]
    assert loaded[0].expected_sources == ["KON_Satzung_Hundesteuer.md"]
    assert [c["category"] for c in eval_cases(store.records(), reviewed_only=True)] == ["feedback-helpful"]
