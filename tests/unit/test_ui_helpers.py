"""Small UI helpers: follow-up questions, upload names, the two languages, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import load_settings
from ui.admin import allowed_extensions, rejection, save_uploads
from ui.conversation import follow_up_query, is_follow_up
from ui.errors import one_line
from ui.i18n import STRINGS, answer_label, translator

TOPIC = "Wie hoch ist die Hundesteuer in Konstanz?"


@pytest.mark.parametrize(
    "question",
    [
        "Und für den zweiten Hund?",
        "Was ist mit Kampfhunden?",
        "Gilt das auch für Zweitwohnungen?",
        "Für Kampfhunde?",
        "Welche Frist gilt dafür?",
        "Gibt es dort Ausnahmen?",
    ],
)
def test_elliptic_questions_are_asked_with_their_topic(question: str) -> None:
    assert is_follow_up(question)
    query, topic = follow_up_query(question, TOPIC)
    assert query == f"{TOPIC} {question}" and topic == TOPIC


@pytest.mark.parametrize(
    "question",
    [
        "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?",
        "Hundesteuer Konstanz",
        "Wann tritt die Baumschutzsatzung in Kraft?",
    ],
)
def test_self_contained_questions_start_a_new_topic(question: str) -> None:
    assert follow_up_query(question, TOPIC) == (question, question)


def test_follow_up_without_a_topic_stays_as_it_is() -> None:
    assert follow_up_query("Und  für den zweiten Hund?", None) == ("Und für den zweiten Hund?",) * 2


def test_follow_ups_do_not_pile_up() -> None:
    query, topic = follow_up_query("Und für den zweiten Hund?", TOPIC)
    query, topic = follow_up_query("Und für einen Kampfhund?", topic)
    assert query == f"{TOPIC} Und für einen Kampfhund?"


@pytest.mark.parametrize(
    ("name", "size", "reason"),
    [
        ("satzung.pdf", 10, None),
        ("Satzung.PDF", 10, None),
        ("../satzung.pdf", 10, "plain file name"),
        ("ordner/satzung.pdf", 10, "plain file name"),
        ("..\\satzung.pdf", 10, "plain file name"),
        ("..", 10, "plain file name"),
        ("programm.exe", 10, "file type not accepted"),
        (".versteckt.md", 10, "excluded"),
        ("leer.md", 0, "empty"),
        ("riesig.pdf", 101 * 1024 * 1024, "max_file_mb"),
    ],
)
def test_upload_names_and_types_are_checked(name: str, size: int, reason: str | None) -> None:
    settings = load_settings("test")
    found = rejection(name, size, settings)
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_uploads_are_saved_only_inside_the_uploads_folder(hermetic_env: Path) -> None:
    settings = load_settings("test")
    saved, rejected = save_uploads(settings, [("a.md", b"# A"), ("../b.md", b"# B"), ("c.exe", b"x")])
    assert saved == [hermetic_env / "uploads" / "a.md"] and saved[0].read_bytes() == b"# A"
    assert [r["source"] for r in rejected] == ["../b.md", "c.exe"]
    assert not (hermetic_env / "b.md").exists()
    assert [p.name for p in (hermetic_env / "uploads").iterdir()] == ["a.md"]  # no partial files left
    assert {"pdf", "md", "txt", "docx", "html", "json"} <= set(allowed_extensions(settings))


def test_both_languages_have_every_string() -> None:
    assert set(STRINGS["de"]) == set(STRINGS["en"])
    assert translator("en")("documents") == "Documents in index"
    assert translator("de")("ai_notice", model="M").startswith("Antworten werden von einem KI-Modell")
    assert translator("fr")("documents") == "Dokumente im Index"  # unknown language: German


def test_the_label_says_who_wrote_the_answer() -> None:
    de, en = translator("de"), translator("en")
    assert answer_label(de, generated=True, refused=False, model="Qwen") == (
        "KI-generierte Antwort (Qwen) – bitte anhand der Quellen prüfen."
    )
    assert answer_label(en, generated=True, refused=False, model="Qwen").startswith(
        "AI-generated answer (Qwen)"
    )
    quote = answer_label(de, generated=False, refused=False, model="Qwen")
    assert quote.startswith("Wörtlich aus den Dokumenten zitiert") and "Qwen" not in quote
    assert answer_label(de, generated=False, refused=True, model="Qwen") is None  # the fixed refusal


def test_unknown_failures_still_give_one_line() -> None:
    message = one_line(RuntimeError("boom\n  at line 3\nTraceback"), None, "Re-index")
    assert message == "Re-index failed (RuntimeError: boom); see the server log."
