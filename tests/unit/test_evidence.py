"""select_evidence: which retrieved chunks may answer a question, before the model is asked."""

from __future__ import annotations

from haystack import Document

from pipelines.evidence import levies_asked, select_evidence

TOWNS = {"Bad Boll", "Erlangen", "Büchenbach", "Göppingen", "Konstanz", "Karlsruhe"}


def _doc(content: str, **meta: str) -> Document:
    return Document(content=content, meta={"source": f"{meta.get('municipality', 'bund')}.md", **meta})


BAD_BOLL_DOG_TAX = _doc(
    "Die Steuer beträgt für den ersten Hund 96 Euro.", title="Hundesteuersatzung", municipality="Bad Boll"
)
ERLANGEN_MINUTES = _doc(
    "Frau Eichinger stellt sich als Quartiersmanagerin vor.",
    title="Niederschrift 22. Juni 2022",
    body="Stadtteilbeirat Büchenbach",
    municipality="Erlangen",
)
FEDERAL_LAW = _doc(
    "Wer eine Wohnung bezieht, hat sich innerhalb von zwei Wochen anzumelden.", title="Bundesmeldegesetz"
)
DISTRICT = _doc(
    "Der Antrag ist bis 1. Dezember zu stellen.",
    title="Schülerbeförderung",
    municipality="Landkreis Göppingen",
)


def test_another_towns_chunks_are_no_evidence_when_the_question_names_a_town() -> None:
    # Erlangen is in the index but none of its chunks was retrieved: the dog tax of Bad Boll is no answer
    assert select_evidence("Wie viel Hundesteuer zahlt man in Erlangen?", [BAD_BOLL_DOG_TAX], TOWNS) == []
    # federal law and district statutes apply in every town
    kept = select_evidence(
        "Muss ich mich in Erlangen anmelden?", [BAD_BOLL_DOG_TAX, FEDERAL_LAW, DISTRICT], TOWNS
    )
    assert kept == [FEDERAL_LAW, DISTRICT]


def test_a_town_part_named_in_the_body_counts_as_that_place() -> None:
    question = "Wer ist die Quartiersmanagerin des Stadtteilbeirats Büchenbach?"
    assert select_evidence(question, [ERLANGEN_MINUTES, BAD_BOLL_DOG_TAX], TOWNS) == [ERLANGEN_MINUTES]


def test_a_levy_no_remaining_chunk_names_is_refused() -> None:
    assert select_evidence("Wie hoch ist die Hundesteuer in Bad Boll?", [BAD_BOLL_DOG_TAX], TOWNS) == [
        BAD_BOLL_DOG_TAX
    ]
    assert (
        select_evidence("Wie hoch ist die Zweitwohnungsteuer in Bad Boll?", [BAD_BOLL_DOG_TAX], TOWNS) == []
    )
    # no town named: every chunk stays, and the levy is looked up in all of them
    assert select_evidence("Was kostet die Hundesteuer?", [FEDERAL_LAW, BAD_BOLL_DOG_TAX], TOWNS) == [
        FEDERAL_LAW,
        BAD_BOLL_DOG_TAX,
    ]


def test_levies_are_matched_with_or_without_linking_s_and_in_longer_compounds() -> None:
    assert levies_asked("Wie viel Übernachtungssteuer und Säumnisgebühren?") == {
        "ubernachtungsteuer",
        "saumnigebuhr",
    }
    assert levies_asked("Was kostet die Steuer?") == set()
    statute = _doc(
        "§ 1 Die Stadt erhebt eine Übernachtungsteuer.",
        title="Übernachtungsteuersatzung",
        municipality="Karlsruhe",
    )
    assert select_evidence("Wie hoch ist die Übernachtungssteuer in Karlsruhe?", [statute], TOWNS) == [
        statute
    ]


def test_a_levy_is_not_found_in_parts_of_other_words() -> None:
    # "Gewerbe..." and "...steuer" occur, but in two other words: no excerpt names the Gewerbesteuer
    friedhof = _doc(
        "Die Gewerbetreibenden haben die Friedhofsordnung zu beachten. Die Zweitwohnungssteuer beträgt 20 %.",
        title="Friedhofsordnung",
        municipality="Konstanz",
    )
    assert select_evidence("Wie hoch ist der Gewerbesteuer-Hebesatz in Konstanz?", [friedhof], TOWNS) == []
    # named in the text: kept
    becher = _doc(
        "Die Verpackungssteuer beträgt für jede Einwegdose, -becher 0,50 Euro.", municipality="Konstanz"
    )
    assert select_evidence("Was kostet ein Einwegbecher an Verpackungssteuer?", [becher], TOWNS) == [becher]
