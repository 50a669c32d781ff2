"""The question, understood once (pipelines/question.py): kind, towns, time, key words."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from haystack import Document
from haystack.components.builders import ChatPromptBuilder
from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.question_analyzer import QuestionAnalyzer
from pipelines.question import kind_of, understand
from pipelines.term_weights import TermWeights

TODAY = datetime.date(2026, 12, 6)
TOWNS = {"Konstanz", "Bad Boll", "Aichelberg", "Zell u.A.", "Karlsruhe", "Landkreis Göppingen"}


@pytest.mark.parametrize(
    ("text", "kind", "answered_by"),
    [
        (
            "Wie viel Hundesteuer zahle ich in Bad Boll für den ersten Hund?",
            "amount",
            ("money", "percent", "measure"),
        ),
        ("Was kostet ein Urnengrab?", "amount", ("money", "percent", "measure")),
        ("Welche Gebühr wird für die Beglaubigung fällig?", "amount", ("money", "percent", "measure")),
        ("Wie lange ist die Ruhezeit für Urnen?", "period", ("period", "date")),
        ("Innerhalb welcher Frist muss ich mich anmelden?", "period", ("period", "date")),
        ("Bis wie viel Uhr muss der Gehweg geräumt sein?", "time", ("time",)),
        ("Ab wann gilt die neue Satzung?", "date", ("date", "period", "time")),
        ("Wie viele Mitglieder hat der Gemeinderat?", "count", ("number",)),
        ("Wer entscheidet über die Vergabe der Halle?", "who", ()),
        ("Darf ich meinen Hund auf den Friedhof mitnehmen?", "yesno", ()),
        ("Mein Sohn ist 16. Darf er allein ins Freibad?", "yesno", ()),
        ("Wie hat der Gemeinderat über den Antrag abgestimmt?", "vote", ("vote",)),
        ("Was muss ich beim Grillen beachten?", "what", ()),
    ],
)
def test_the_kind_of_a_question_comes_from_its_question_words(
    text: str, kind: str, answered_by: tuple[str, ...]
) -> None:
    assert kind_of(text)[:2] == (kind, answered_by)


def test_asked_where_a_rule_stands_is_recorded_beside_the_kind() -> None:
    kind, _, provision = kind_of(
        "Wie lange gilt eine Veränderungssperre, und in welchem Paragraphen steht das?"
    )
    assert (kind, provision) == ("period", True)
    assert kind_of("Wo in der Friedhofssatzung steht, wie groß ein Sarg sein darf?")[2]
    assert not kind_of("Wie groß darf ein Sarg sein?")[2]


def test_towns_the_index_knows_and_places_it_does_not() -> None:
    q = understand("Was kostet die Hundesteuer in Zell unter Aichelberg?", TODAY, TOWNS)
    assert q.towns == {"Zell u.A."}  # "Aichelberg" inside the longer name does not count
    assert understand("Was gilt in der Konstanzer Altstadt?", TODAY, TOWNS).towns == {"Konstanz"}
    elsewhere = understand("Was kostet in Tübingen ein Einwegbecher?", TODAY, TOWNS)
    assert elsewhere.towns == set() and elsewhere.places_elsewhere == {"Tübingen"}
    district = understand("Ab wann darf im Landkreis Göppingen die Tonne raus?", TODAY, TOWNS)
    assert district.towns == {"Landkreis Göppingen"}


def test_today_is_an_input_not_read_inside() -> None:
    text = "Welcher Hebesatz galt bis zum 31.12.2026?"
    assert understand(text, datetime.date(2027, 3, 1)).as_of == "2026-12-31"
    assert understand(text, datetime.date(2026, 6, 1)).as_of is None  # a deadline ahead, not the past
    assert understand("Wie hoch war die Steuer vor der Erhöhung 2026?", TODAY).as_of == "2025-12-31"


def test_meeting_months_years_and_levies() -> None:
    q = understand("Was hat der Gemeinderat im Januar 2020 zur Übernachtungssteuer beschlossen?", TODAY)
    assert q.meeting_months == {"2020-01"} and q.years == {"2020"}
    assert q.levies == {"ubernachtungsteuer"}  # written without the linking s


def test_key_nouns_leave_out_towns_question_words_and_what_most_chunks_say() -> None:
    q = understand("Welche Gebühr verlangt die Gemeinde Aichelberg für die Turnhalle?", TODAY, TOWNS)
    assert q.nouns == {"gebuhr", "gemeinde", "turnhalle"}
    weights = TermWeights(chunks=100, df={"gemeind": 60, "gebuhr": 30, "turnhall": 1})
    q = understand("Welche Gebühr verlangt die Gemeinde Aichelberg für die Turnhalle?", TODAY, TOWNS, weights)
    assert q.nouns == {"turnhalle"}  # words in more than 5 % of the chunks name no topic
    assert q.terms["turnhall"] > q.terms["gebuhr"] > q.terms["gemeind"]
    assert "aichelberg" not in q.terms  # the town is not what the question is about


def test_the_analyzer_component_round_trips_and_runs() -> None:
    analyzer = component_from_dict(
        QuestionAnalyzer, component_to_dict(QuestionAnalyzer(), "analyzer"), "analyzer"
    )
    question = analyzer.run(
        text="Wie hoch ist die Hundesteuer in Bad Boll?",
        today=TODAY.isoformat(),
        municipalities=sorted(TOWNS),
    )["question"]
    assert (question.kind, question.towns, question.today) == ("amount", {"Bad Boll"}, "2026-12-06")


def test_fristlos_asks_for_no_period_but_a_kuendigungsfrist_does() -> None:
    # "fristlos gekündigt" (without notice) is a why-question; a word ending in "frist" asks for a period
    today = datetime.date(2026, 12, 6)
    assert understand("Warum wird dem Hausmeister fristlos gekündigt?", today, set()).kind != "period"
    assert understand("Welche Kündigungsfrist gilt für den Kitaplatz?", today, set()).kind == "period"
    assert understand("Gibt es Fristen für den Widerspruch?", today, set()).kind == "period"


def _question_kinds() -> dict[str, Any]:
    import yaml

    from pipelines.question import KNOWLEDGE

    return yaml.safe_load((KNOWLEDGE / "question_kinds.yaml").read_text(encoding="utf-8"))


def _answer_prompt_builder(style: str) -> ChatPromptBuilder:
    from pipelines.query import answer_template

    return ChatPromptBuilder(template=answer_template(style), required_variables=["question", "documents"])


_LEASH_PASSAGE = [
    Document(content="Hunde sind an der Leine zu führen.", meta={"label": "Polizeiverordnung, § 12"})
]


def _per_question(field: str) -> dict[str, Any]:
    """One question per kind with question_kinds.yaml's ``field`` for it (None where the kind has none)."""
    data = _question_kinds()
    return {
        "Darf mein Hund frei herumlaufen?": data["kinds"]["yesno"].get(field),
        "Wer ist für die Hundesteuer zuständig?": data["kinds"]["who"].get(field),
        "In welchem Paragraphen steht die Leinenpflicht?": data["provision"].get(field),
        "Wie hoch ist die Hundesteuer?": data["kinds"]["amount"].get(field),
    }


@pytest.mark.parametrize("style", ["staff", "desk"])
def test_the_prompt_adds_the_instruction_of_the_questions_kind(style: str) -> None:
    """question_kinds.yaml's `instruction` of the kind (and of a provision question) ends the question's
    message; a kind without one (a figure the checker verifies) leaves the message as it was."""
    builder = _answer_prompt_builder(style)
    for text, instruction in _per_question("instruction").items():
        instruction = instruction or ""
        asked = understand(text, TODAY)
        last = builder.run(question=text, documents=_LEASH_PASSAGE, asked=asked)["prompt"][-1].text or ""
        assert asked.instruction.endswith(instruction)
        assert last.rstrip().endswith(f"Frage: {text}\n{asked.instruction}".rstrip()), last
        assert bool(instruction) == (asked.instruction != "")


@pytest.mark.parametrize("style", ["staff", "desk"])
def test_the_prompt_shows_the_worked_example_of_the_questions_kind(style: str) -> None:
    """question_kinds.yaml's `example` of the question's kind (the provision example for a question that
    asks where a rule stands) is a user/assistant pair before the question's own message; a kind without
    one leaves the prompt as it was. The question's own message stays the last one."""
    builder = _answer_prompt_builder(style)
    plain = builder.run(question="Wie hoch ist die Hundesteuer?", documents=_LEASH_PASSAGE)["prompt"]
    for text, example in _per_question("example").items():
        asked = understand(text, TODAY)
        prompt = builder.run(question=text, documents=_LEASH_PASSAGE, asked=asked)["prompt"]
        assert text in (prompt[-1].text or "")
        if example is None:
            assert asked.example is None
            assert len(prompt) == len(plain)
            continue
        shown, answer = prompt[-3].text or "", prompt[-2].text or ""
        assert (prompt[-3].role.value, prompt[-2].role.value) == ("user", "assistant")
        assert f"Frage: {example['question']}" in shown
        assert all(f"] {passage}" in shown for passage in example["passages"])
        assert shown.rstrip().endswith(asked.example["instruction"].rstrip() or example["question"])
        assert answer == example["answer"]
        assert len(prompt) == len(plain) + 2


def test_a_kinds_example_is_the_same_for_every_question_of_that_kind() -> None:
    """The example is part of the fixed start the model's cache keeps: it must not depend on the question."""
    today = datetime.date(2026, 12, 6)
    first = understand("Darf ich in Musterstadt grillen?", today).example
    second = understand("Muss ich für meinen Hund Steuer zahlen?", today).example
    assert first is not None and first == second


def test_every_answer_style_reads_the_same_question_part() -> None:
    """The question's own part (its kind's example, passages, question, instruction) is written once, in
    _question.jinja2, and included by each style's prompt; ChatPromptBuilder gets it resolved."""
    from pipelines.query import ANSWER_TEMPLATES, PROMPTS_DIR, answer_template

    shared = (PROMPTS_DIR / "_question.jinja2").read_text(encoding="utf-8")
    for style in ANSWER_TEMPLATES:
        text = answer_template(style)
        assert "{% include" not in text
        assert text.endswith(shared)
