"""AnswerChecker: the model's reply checked against the passages it read, cited, or replaced by a quote."""

from __future__ import annotations

import datetime

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict
from haystack.dataclasses import ChatMessage

from pipelines.components.answer_checker import QUOTE_LEAD, AnswerChecker, citation_of
from pipelines.components.evidence_gate import REFUSAL
from pipelines.passages import select_passages
from pipelines.query import hit_of
from pipelines.question import understand

TODAY = datetime.date(2026, 12, 6)
TOWNS = {"Konstanz", "Eschenbach"}

PACKAGING = Document(
    content=(
        "Die Steuer beträgt:\n1. für Einweggetränkeverpackungen 0,50 €\n2. für Einweggeschirr 0,50 €\n"
        "3. für Einwegbesteck 0,20 €"
    ),
    meta={
        "source": "KON_Satzung_Verpackungssteuer.md",
        "title": "Satzung über die Erhebung einer Verpackungssteuer",
        "section": "§ 4",
        "heading": "§ 4 Steuersatz",
        "municipality": "Konstanz",
        "doc_type": "Satzung",
        "valid_from": "2022-01-01",
    },
)
CEMETERY = Document(
    content="Die Ruhezeit für Urnen beträgt 15 Jahre. Särge aus Hartholz dürfen nicht verwendet werden.",
    meta={
        "source": "EHB_Satzung_Friedhof.md",
        "title": "Friedhofssatzung",
        "section": "§ 9",
        "municipality": "Eschenbach",
    },
)


def _check(question: str, reply: str, *chunks: Document) -> dict:
    q = understand(question, TODAY, TOWNS)
    passages = select_passages(q, list(chunks))
    return AnswerChecker().run(question=q, replies=[ChatMessage.from_assistant(reply)], passages=passages)[
        "answer"
    ]


def test_a_reply_whose_figure_stands_in_the_cited_passage_is_the_answer() -> None:
    answer = _check(
        "Was kostet in Konstanz ein Einwegbesteck?", "Ein Einwegbesteck kostet 0,20 € [1].", PACKAGING
    )
    assert answer["answer"].startswith("Ein Einwegbesteck kostet 0,20 € [1].")
    assert answer["generated"] and not answer["refused"] and not answer["unverified"]
    [citation] = answer["citations"]
    assert citation["source"] == "KON_Satzung_Verpackungssteuer.md"
    assert citation["quote"] == "3. für Einwegbesteck 0,20 €"  # verbatim from the chunk
    assert (
        "Verwendete Fassung: Satzung über die Erhebung einer Verpackungssteuer, gültig ab 01.01.2022 [1]."
        in (answer["answer"])
    )


def test_a_citation_moves_to_the_passage_that_holds_the_figure() -> None:
    answer = _check(
        "Wie lange ist die Ruhezeit für Urnen in Eschenbach?",
        "Die Ruhezeit beträgt 15 Jahre [2].",
        PACKAGING,
        CEMETERY,
    )
    assert [c["source"] for c in answer["citations"]] == ["EHB_Satzung_Friedhof.md"]
    assert "[1]" in answer["answer"]


def test_a_figure_the_passages_do_not_hold_gives_way_to_a_verbatim_quote() -> None:
    # the 1.5B model's failure: a figure from nowhere
    answer = _check("Was kostet in Konstanz ein Einwegbesteck?", "Es kostet 1,50 € [1].", PACKAGING)
    assert answer["answer"].startswith(f"{QUOTE_LEAD} „")
    assert "0,20 €" in answer["answer"] and "1,50" not in answer["answer"]
    assert not answer["generated"] and not answer["refused"]


def test_asked_for_a_figure_a_reply_without_one_gives_way_to_the_passage_that_has_it() -> None:
    answer = _check(
        "Wie lange ist die Ruhezeit für Urnen in Eschenbach?", "Die Ruhezeit ist geregelt [1].", CEMETERY
    )
    assert "15 Jahre" in answer["answer"] and answer["answer"].startswith(QUOTE_LEAD)


def _passage(content: str, score: float) -> Document:
    """A passage as the selector makes it: one unit, its verbatim quote and its score."""
    meta = {"source": "EHB_Friedhofsgebuehren.md", "title": "Friedhofsgebührensatzung Eschenbach"}
    return Document(
        content=content,
        meta={
            **meta,
            "label": "Friedhofsgebührensatzung",
            "units": [content],
            "quotes": [content],
            "unit_scores": [score],
        },
    )


def test_a_failing_reply_gives_way_to_a_quote_from_the_passage_it_cited() -> None:
    # the model points to the right passage more often than the selector's scores (docs/evaluation.md)
    q = understand("Was kostet in Eschenbach ein Reihengrab für ein Kind?", TODAY, TOWNS)
    passages = [
        _passage("Reihengrab für Erwachsene: 950 €", 5.0),
        _passage("Reihengrab für Kinder bis 5 Jahre: 460 €", 3.0),
    ]

    def check(reply: str) -> dict:
        return AnswerChecker().run(
            question=q, replies=[ChatMessage.from_assistant(reply)], passages=passages
        )["answer"]

    answer = check("Ein Reihengrab für ein Kind kostet 1.200 € [2].")  # a figure from nowhere, citing [2]
    assert answer["answer"].startswith(QUOTE_LEAD) and "460 €" in answer["answer"]
    assert "950" not in answer["answer"] and not answer["generated"]
    # citing nothing (or a passage that has no unit holding an amount): the best-scored unit, as before
    assert "950 €" in check("Ein Reihengrab für ein Kind kostet 1.200 €.")["answer"]
    assert "950 €" in check("Ein Reihengrab für ein Kind kostet 1.200 € [7].")["answer"]


ID_CARD = Document(
    content=(
        "Bei Personen, die noch nicht 24 Jahre alt sind, beträgt die Gültigkeitsdauer des Personalausweises "
        "sechs Jahre."
    ),
    meta={"source": "PAuswG.md", "title": "Personalausweisgesetz", "section": "§ 6"},
)


def test_a_figure_of_the_question_restated_with_a_unit_is_not_an_invented_one() -> None:
    question = "Meine Tochter ist 20. Wie lange ist ihr neuer Personalausweis gültig?"
    answer = _check(question, "Mit 20 Jahren gilt er sechs Jahre [1].", ID_CARD)
    assert answer["generated"] and answer["answer"].startswith("Mit 20 Jahren gilt er sechs Jahre [1].")
    # the question's figure alone is no answer (here the refusal: the passage does not name a daughter)
    echoed = _check(question, "Er gilt 20 Jahre [1].", ID_CARD)
    assert not echoed["generated"] and "20 Jahre" not in echoed["answer"]


WATER = Document(
    content="Die Aufgaben der Betriebsleitung nimmt der Bürgermeister wahr.",
    meta={"source": "BBO_Betriebssatzung_Wasser.md", "title": "Betriebssatzung", "section": "§ 4"},
)


def test_a_reply_with_one_word_of_its_own_is_an_answer_and_a_mere_echo_is_not() -> None:
    question = "Wer nimmt bei der Wasserversorgung die Aufgaben der Betriebsleitung wahr?"
    answer = _check(question, "Der Bürgermeister nimmt die Aufgaben der Betriebsleitung wahr [1].", WATER)
    assert answer["generated"] and answer["answer"].startswith("Der Bürgermeister nimmt")
    echo = _check(question, "Die Aufgaben der Betriebsleitung nimmt wahr [1].", WATER)
    assert not echo["generated"] and echo["reason"] == "only repeats the question"


def test_nothing_that_holds_what_was_asked_is_the_refusal() -> None:
    answer = _check(
        "Was kostet in Eschenbach ein Urnengrab?", "Dazu enthalten die Dokumente keine Angabe.", CEMETERY
    )
    assert answer["refused"] and answer["answer"] == REFUSAL and answer["citations"] == []


def test_asked_where_a_rule_stands_the_answer_names_the_passages_section() -> None:
    answer = _check(
        "In welchem Paragraphen der Friedhofssatzung von Eschenbach steht, dass Särge aus Hartholz verboten sind?",
        "Särge aus Hartholz dürfen nicht verwendet werden [1].",
        CEMETERY,
    )
    assert "Fundstelle: Friedhofssatzung, § 9 [1]." in answer["answer"]


def test_the_checker_round_trips() -> None:
    checker = component_from_dict(AnswerChecker, component_to_dict(AnswerChecker(), "checker"), "checker")
    assert isinstance(checker, AnswerChecker)


def test_a_figure_taken_from_a_passage_about_something_else_is_not_the_answer() -> None:
    parking = Document(
        content="Die Parkgebühr beträgt im Bereich von Krankenhäusern 15 Euro je Tag.",
        meta={
            "source": "KA_Parkgebuehren.md",
            "title": "Parkgebührensatzung",
            "section": "§ 2",
            "municipality": "Konstanz",
        },
    )
    # nothing read names a Reisepass: the parking fee is no answer, and no passage may stand for one
    answer = _check(
        "Was kostet in Konstanz ein neuer Reisepass?", "Ein Reisepass kostet 15 Euro [1].", parking
    )
    assert answer["refused"] and answer["answer"].startswith(REFUSAL)
    # the figure of a passage that names what was asked stays the answer
    answer = _check(
        "Was kostet in Konstanz das Parken bei Krankenhäusern?", "Es kostet 15 Euro je Tag [1].", parking
    )
    assert not answer["refused"] and answer["answer"].startswith("Es kostet 15 Euro je Tag [1].")


def test_a_citation_names_a_page_only_where_the_file_has_pages() -> None:
    # Markdown, text and OParl JSON are read as one page: "S. 1" there would point nowhere
    markdown = Document(
        content="Die Gebühr beträgt 5 Euro.", meta={"source": "/d/gebuehren.md", "page_number": 1}
    )
    pdf = Document(
        content="Die Gebühr beträgt 5 Euro.", meta={"source": "/d/gebuehren.PDF", "page_number": 3}
    )
    assert citation_of(markdown, "Die Gebühr")["page"] is None
    assert citation_of(pdf, "Die Gebühr")["page"] == 3
    assert hit_of(markdown)["page"] is None and hit_of(pdf)["page"] == 3
    slides = Document(content="Folie", meta={"source": "/d/vortrag.pptx", "page_number": 7})
    assert citation_of(slides, "Folie")["page"] == 7
