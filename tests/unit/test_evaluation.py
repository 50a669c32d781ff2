"""How `auskunft eval` judges an answer: expected facts however written, citations, refusals."""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict

import pytest
from haystack import Document

from pipelines.evaluation import (
    EvalCase,
    _normalise,
    evaluate,
    load_cases,
    other_town,
    recheck,
    states,
    towns_named,
)
from pipelines.passages import select_passages
from pipelines.query import Answer
from pipelines.question import understand

RATE = Document(
    content="Die Übernachtungsteuer wird ab dem 1. Juli 2025 erhoben. Sie beträgt 5 % des Entgelts.",
    meta={"source": "corpus/ka/citytax.md", "section": "§ 1"},
)


class FakeService:
    """search() and answer() as QueryService has them; the answer is whatever the test sets."""

    def __init__(self, answer: Answer, hits: list[Document]) -> None:
        self._answer = answer
        self._hits = hits

    def search(self, question: str, top_k: int = 5) -> list[Document]:
        return self._hits[:top_k]

    def answer(self, question: str, streaming_callback: object = None) -> Answer:
        return self._answer


def _case(**changes: object) -> EvalCase:
    fields: dict = {
        "id": "citytax-start",
        "question": "Ab wann gilt die City Tax?",
        "expected_sources": ["ka/citytax.md"],
        "answer_contains": ["01.07.2025"],
        "answerable": True,
    }
    fields.update(changes)
    return EvalCase(**fields)


def test_a_date_matches_however_it_is_written() -> None:
    for written in ("1. Juli 2025", "01.07.2025", "1.7.2025", "1.  Juli 2025"):
        assert _normalise(written) == _normalise("01.07.2025"), written
    assert _normalise("15. Dezember") in _normalise("bis zum 15.12.2025")
    assert _normalise("1. Juli 2025") != _normalise("1. Juni 2025")
    # amounts are not dates
    assert _normalise("1.500 Euro") == "1500euro"
    assert _normalise("12.500,00 €") == "12500,00€"


def test_a_whole_amount_matches_with_or_without_cents_but_only_as_that_amount() -> None:
    for written in ("33,00 €", "33 Euro brutto", "33 €", "33,- €", "Gebühr: 33,00"):
        assert states(_normalise(f"Die Genehmigung kostet {written}."), "33,00"), written
    for other in ("133 Euro", "33 Jahre", "33,50 Euro", "1.33 Euro", "9.1 33"):
        assert not states(_normalise(f"Die Genehmigung kostet {other}."), "33,00"), other
    assert states(_normalise("1.575 Euro"), "1.575,00")
    assert not states(_normalise("0,5 Euro"), "0,50")


def test_answer_with_the_date_in_words_is_correct_and_its_citation_checked() -> None:
    cited = Answer(
        "Die City Tax gilt ab dem 1. Juli 2025 [1].",
        [{"source": "corpus/ka/citytax.md", "quote": "ab dem 1. Juli 2025 erhoben"}],
        refused=False,
        documents=[RATE],
    )
    result = evaluate(FakeService(cited, [RATE]), [_case()]).cases[0]
    assert (result.rank, result.answer_in_top_k) == (1, True)
    assert result.answer_correct and result.citation_correct and result.refusal_correct
    assert result.cited_outside is False and result.other_town is False


def test_whether_the_answer_stood_in_what_the_model_read_is_recorded() -> None:
    # the right chunk was retrieved, but the passage the model read held another sentence of it
    other = Document(content="Sie beträgt 5 % des Entgelts.", meta={"label": "City Tax, § 1"})
    wrong = Answer("Sie beträgt 5 % [1].", [], refused=False, documents=[RATE], passages=[other])
    result = evaluate(FakeService(wrong, [RATE]), [_case()]).cases[0]
    assert (result.answer_in_top_k, result.answer_shown, result.answer_correct) == (True, False, False)
    read = Document(
        content="Die Übernachtungsteuer wird ab dem 1. Juli 2025 erhoben.", meta={"label": "City Tax"}
    )
    misread = Answer(
        "Sie gilt ab dem 1. Juni 2025 [1].", [], refused=False, documents=[RATE], passages=[read]
    )
    report = evaluate(FakeService(misread, [RATE]), [_case()])
    assert (report.cases[0].answer_shown, report.cases[0].answer_correct) == (True, False)
    assert report.totals()["answer_shown"] == 1.0
    # a § asked for is read in the passage's label
    provision = _case(answer_contains=["§ 1"])
    labelled = Document(content="Die Steuer beträgt 5 %.", meta={"label": "City Tax, § 1"})
    found = Answer("In § 1 [1].", [], refused=False, documents=[RATE], passages=[labelled])
    assert evaluate(FakeService(found, [RATE]), [provision]).cases[0].answer_shown is True
    # unanswerable questions have no answer to show
    none = evaluate(FakeService(wrong, [RATE]), [_case(answerable=False, answer_contains=[])]).cases[0]
    assert none.answer_shown is None


def test_a_recorded_reply_is_checked_again_without_the_model() -> None:
    # a run records the model's reply and the passages it read; benchmarks/recheck.py runs today's
    # answer checker on them again (here: an older checker had let the wrong date through)
    question = understand("Ab wann gilt die City Tax?", datetime.date(2026, 12, 7))
    passages = select_passages(question, [RATE])
    recorded = Answer(
        "Die City Tax gilt ab dem 1. Juni 2025 [1].",
        [],
        refused=False,
        documents=[RATE],
        passages=passages,
        reply="Die City Tax gilt ab dem 1. Juni 2025 [1].",
    )
    result = evaluate(FakeService(recorded, [RATE]), [_case()]).cases[0]
    assert result.answer_correct is False
    assert result.reply == "Die City Tax gilt ab dem 1. Juni 2025 [1]."
    assert result.passages and result.passages[0]["meta"]["units"] == passages[0].meta["units"]
    stored = json.loads(json.dumps(asdict(result), ensure_ascii=False))  # as quality-<set>.jsonl keeps it
    # today's checker: the date stands in no passage, so the reply gives way to the passage's sentence
    assert recheck(_case(), stored, question) is True
    # a reply with the right date stays right; one that says nothing about the date is refused
    assert recheck(_case(), {**stored, "reply": "Sie gilt ab dem 1. Juli 2025 [1]."}, question) is True
    silent = {**stored, "reply": "Dazu enthalten die Dokumente keine Angabe.", "passages": []}
    assert recheck(_case(), silent, question) is False
    # refused before the model: nothing to check again, the recorded result stands
    assert recheck(_case(), {**stored, "reply": None}, question) is None


def test_wrong_date_refusal_and_invented_quote_are_counted_wrong() -> None:
    wrong = Answer(
        "Die City Tax gilt ab dem 1. Juni 2025 [1].",
        [{"source": "corpus/ka/citytax.md", "quote": "ab dem 1. Juni 2025"}],  # not in the chunk
        refused=False,
        documents=[RATE],
    )
    result = evaluate(FakeService(wrong, [RATE]), [_case()]).cases[0]
    assert result.answer_correct is False and result.citation_correct is False
    assert result.cited_outside is True  # the quote stands in no chunk the model was given

    refused = Answer("Dazu enthalten die Dokumente keine Angabe.", [], refused=True)
    report = evaluate(
        FakeService(refused, []), [_case(), _case(id="u", answerable=False, answer_contains=[])]
    )
    answerable, unanswerable = report.cases
    assert (
        answerable.rank is None and answerable.answer_correct is False and answerable.refusal_correct is False
    )
    assert unanswerable.answer_correct and unanswerable.refusal_correct
    totals = report.totals()
    # answer correctness is that of the answerable questions; the refused unanswerable one counts in refusals
    assert (totals["hit@5"], totals["answer_correctness"], totals["refusal_correctness"]) == (0.0, 0.0, 1.0)


def _town_doc(content: str, source: str, municipality: str) -> Document:
    return Document(content=content, meta={"source": source, "municipality": municipality})


def test_an_answer_from_another_towns_document_is_counted() -> None:
    ours = _town_doc("Die Hundesteuer beträgt 120 Euro.", "a/hund.md", "Aalen")
    theirs = _town_doc("Die Hundesteuer beträgt 96 Euro.", "b/hund.md", "Bopfingen")
    district = _town_doc("Gebühr 12 Euro.", "k/geb.md", "Landkreis Ostalb")

    def answered(doc: Document) -> Answer:
        quote = (doc.content or "")[:20]
        return Answer(
            "… [1].",
            [{"source": doc.meta["source"], "quote": quote}],
            refused=False,
            documents=[ours, theirs, district],
        )

    case = _case(question="Wie hoch ist die Hundesteuer in Aalen?", answer_contains=["120"])
    report = evaluate(FakeService(answered(theirs), [ours, theirs]), [case])
    assert report.cases[0].other_town is True and report.totals()["other_town_answers"] == 1
    assert evaluate(FakeService(answered(ours), [ours, theirs]), [case]).cases[0].other_town is False
    # a district-wide document is no other town's, and a question naming no town cannot be answered from one
    assert evaluate(FakeService(answered(district), [ours, theirs]), [case]).cases[0].other_town is False
    unnamed = _case(question="Wie hoch ist die Hundesteuer?", answer_contains=["96"])
    assert evaluate(FakeService(answered(theirs), [ours, theirs]), [unnamed]).cases[0].other_town is False


def test_a_town_named_in_full_is_the_abbreviated_municipality_and_not_the_town_inside_its_name() -> None:
    towns = {"Zell u.A.", "Aichelberg", "Bad Boll", "Neustadt a.d.W."}
    assert towns_named("Was kostet die Hundesteuer in Zell unter Aichelberg?", towns) == {"Zell u.A."}
    assert towns_named("Was kostet die Hundesteuer in Aichelberg?", towns) == {"Aichelberg"}
    assert towns_named("Gilt das in Zell u. A. und in Bad Boll?", towns) == {"Zell u.A.", "Bad Boll"}
    assert towns_named("Ist Neustadt an der Weinstraße gemeint?", towns) == {"Neustadt a.d.W."}
    # whole words only: "Bad Boller" is not Bad Boll, "Zeller" not Zell
    assert towns_named("Der Bad Boller Markt und die Zeller Kirche", towns) == set()


def test_an_answer_from_the_town_of_the_expected_source_is_not_another_towns() -> None:
    zell = _town_doc("Hundesteuer 125 Euro.", "zag/hund.md", "Zell u.A.")
    aichelberg = _town_doc("Hundesteuer 96 Euro.", "abg/hund.md", "Aichelberg")
    case = _case(
        question="Was kostet die Hundesteuer in Zell unter Aichelberg?", expected_sources=["zag/hund.md"]
    )
    towns = {"Zell u.A.", "Aichelberg"}
    assert other_town(case, {"zag/hund.md"}, [zell, aichelberg], towns) is False
    assert other_town(case, {"abg/hund.md"}, [zell, aichelberg], towns) is True
    # a district named like a town (Büchenbach, a Stadtteil of Erlangen): the expected source's town is asked
    erlangen = _town_doc("Eröffnung 2026.", "erl/top.md", "Erlangen")
    district = _case(
        question="Wann eröffnet das Stadtteilhaus in Büchenbach?", expected_sources=["erl/top.md"]
    )
    assert other_town(district, {"erl/top.md"}, [erlangen], {"Erlangen", "Büchenbach"}) is False
    unanswerable = _case(question="Was kostet es in Büchenbach?", expected_sources=[], answerable=False)
    assert other_town(unanswerable, {"erl/top.md"}, [erlangen], {"Erlangen", "Büchenbach"}) is True


# The held-out sets were written from documents of ../shared/corpus-extra by someone who had not seen the
# system's answers, and frozen at once (issue 28): no question or expected answer may be edited after seeing
# what the system says. A change to a file fails here. heldout.jsonl came before the answer path was
# changed; heldout2.jsonl (2026-12-07) from the statutes no other question used, to confirm what heldout accepts.
FROZEN_SHA256 = {
    "heldout.jsonl": "18c401fd61d5c84ad0e78044190cd1306e7d81325664cbbba6ea448e52864d98",
    "heldout2.jsonl": "cd6333b6ab7467ecd0296e46dfb0d8964e5c89fe7f57998412f00480b610a77f",
}


@pytest.mark.parametrize("name", sorted(FROZEN_SHA256))
def test_the_held_out_sets_are_frozen(name: str) -> None:
    import hashlib
    from pathlib import Path

    held_out = Path(__file__).parents[2] / "benchmarks" / "eval" / name
    assert hashlib.sha256(held_out.read_bytes()).hexdigest() == FROZEN_SHA256[name]
    cases = load_cases(held_out)
    assert sum(c.answerable for c in cases) >= 100 and sum(not c.answerable for c in cases) >= 20


def test_a_figure_is_not_stated_by_a_longer_one() -> None:
    assert not states(_normalise("12 Jahre"), "2 Jahre")
    assert not states(_normalise("10,50 €"), "0,50")
    assert states(_normalise("Redaktionsschluss ist Dienstag, 10:00 Uhr"), "10 Uhr")
    assert states(_normalise("nach zwei Jahren"), "2 Jahre")
    assert states(_normalise("Hebesatz 380 vom Hundert"), "380 %")
