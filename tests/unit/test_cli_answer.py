"""How `auskunft ask` prints an answer: the text, a warning where a statement is not confirmed, the sources."""

from __future__ import annotations

import io

from rich.console import Console

from pipelines.query import Answer
from ui.cli import print_answer

CITATION = {
    "source": "/d/BW_KomWG.md",
    "title": "Kommunalwahlgesetz (KomWG)",
    "page": None,
    "section": "§ 31",
    "quote": "Gegen die Wahl kann binnen einer Woche … Einspruch … erhoben werden.",
}


def _printed(answer: Answer) -> str:
    out = io.StringIO()
    print_answer(Console(file=out, width=200), answer, "Qwen")
    return out.getvalue()


def test_an_answer_with_a_statement_no_source_confirms_says_so_as_the_page_does() -> None:
    text = "Der Einspruch ist binnen einer Woche zu erheben [1]. Die Frist beträgt einen Monat."
    unconfirmed = _printed(Answer(text, [CITATION], refused=False, unverified=True, generated=True))
    assert "Nicht jede Aussage konnte in den Quellen bestätigt werden." in unconfirmed
    assert "[1] Kommunalwahlgesetz (KomWG) (§ 31)" in unconfirmed  # no page for a Markdown file
    assert "KI-generierte Antwort (Qwen)" in unconfirmed
    confirmed = _printed(Answer(text, [CITATION], refused=False, unverified=False, generated=True))
    assert "Nicht jede Aussage" not in confirmed and "[1] Kommunalwahlgesetz" in confirmed
