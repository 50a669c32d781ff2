"""What the model reads (pipelines/passages.py): units of the evidence, scored and chosen for the question."""

from __future__ import annotations

import datetime

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.passage_selector import PassageSelector
from pipelines.passages import _once, score_units, select_passages, split_units
from pipelines.question import understand

TODAY = datetime.date(2026, 12, 6)

FEES = Document(
    content=(
        "Die Gebühren für die Überlassung von Grabstätten betragen:\n"
        "| Nr. | Grabart | Gebühr |\n|---|---|---|\n"
        "| 1.1 | Reihengrab für Erwachsene | 1.370 € |\n"
        "| 1.2 | Urnenreihengrab | 950 € |\n"
        "| 1.3 | Kindergrab | 460 € |"
    ),
    meta={
        "title": "Friedhofsgebührensatzung",
        "section": "§ 4",
        "heading": "§ 4 Gebührenhöhe",
        "municipality": "Eschenbach",
    },
)
RULES = Document(
    content=(
        "(1) Die Ruhezeit für Leichen beträgt 20 Jahre. (2) Für Urnen beträgt sie 15 Jahre. "
        "(3) Särge aus Metall oder Hartholz dürfen nicht verwendet werden."
    ),
    meta={
        "title": "Friedhofssatzung",
        "section": "§ 9",
        "heading": "§ 9 Ruhezeit",
        "municipality": "Eschenbach",
    },
)
LIST = Document(
    content=(
        "Die Steuer beträgt im Kalenderjahr:\n1. für den ersten Hund 108 Euro\n2. für jeden weiteren Hund 216 Euro\n"
        "3. für einen Kampfhund 600 Euro"
    ),
    meta={"title": "Hundesteuersatzung", "section": "§ 5", "municipality": "Bad Boll"},
)


def test_table_rows_carry_their_column_header_and_list_items_their_lead_in() -> None:
    rows = [u for u in split_units(FEES.content or "") if u.row]
    assert [u.text for u in rows][1] == "Nr.: 1.2; Grabart: Urnenreihengrab; Gebühr: 950 €"
    assert rows[1].raw == "| 1.2 | Urnenreihengrab | 950 € |"  # a citation quotes the chunk verbatim
    assert rows[1].shown().startswith("Die Gebühren für die Überlassung von Grabstätten betragen:")
    items = split_units(LIST.content or "")
    assert items[2].shown() == "Die Steuer beträgt im Kalenderjahr: 2. für jeden weiteren Hund 216 Euro"


def test_the_unit_with_the_questions_words_and_the_value_asked_for_comes_first() -> None:
    q = understand("Was kostet in Eschenbach ein Urnenreihengrab?", TODAY, {"Eschenbach"})
    best = score_units(q, [RULES, FEES])[0]
    assert "950 €" in best.text
    q = understand("Wie lange ist die Ruhezeit für eine Urne in Eschenbach?", TODAY, {"Eschenbach"})
    assert "15 Jahre" in score_units(q, [FEES, RULES])[0].text
    q = understand("Wie viel Hundesteuer zahle ich in Bad Boll für einen Kampfhund?", TODAY, {"Bad Boll"})
    assert "600 Euro" in score_units(q, [LIST])[0].text


def test_passages_stay_within_the_budget_in_document_order_with_a_label() -> None:
    q = understand("Was kostet in Eschenbach ein Urnenreihengrab?", TODAY, {"Eschenbach"})
    passages = select_passages(q, [RULES, FEES], max_chars=260, max_units=4)
    assert sum(len(p.content or "") for p in passages) <= 260 + 40 * len(passages)
    first = passages[0]
    assert first.meta["label"] == "Friedhofsgebührensatzung, § 4, Eschenbach"
    assert "950 €" in (first.content or "")
    assert all(quote in (FEES.content or "") for quote in first.meta["quotes"])
    units = first.meta["units"]
    assert units == sorted(units, key=lambda u: (FEES.content or "").find(u.split(": ")[-1][-6:]))


def test_the_selector_component_round_trips_and_runs() -> None:
    selector = component_from_dict(
        PassageSelector, component_to_dict(PassageSelector(max_chars=500, max_units=3), "s"), "s"
    )
    assert (selector.max_chars, selector.max_units) == (500, 3)
    q = understand("Was kostet in Eschenbach ein Kindergrab?", TODAY, {"Eschenbach"})
    passages = selector.run(question=q, evidence=[FEES, RULES])["passages"]
    assert "460 €" in (passages[0].content or "")


def test_a_table_caption_stays_with_each_row_even_when_it_holds_a_number() -> None:
    # two tables with the same rows, told apart only by the line above each (Konstanz Bürgersaal rents)
    content = (
        "**Wirtschaftliche oder gewerbliche Zwecke (nach Ziffer 2.1 der Überlassungsrichtlinien)**\n"
        "| Dauer | Gebühr |\n|---|---|\n| Bis zu 5 Stunden an Sonn- und Feiertagen | 175,00 € |\n"
        "**Private Veranstaltungen (nach Ziffer 2.2 der Überlassungsrichtlinien)**\n"
        "| Dauer | Gebühr |\n|---|---|\n| Bis zu 5 Stunden an Sonn- und Feiertagen | 130,00 € |"
    )
    rows = [u.shown() for u in split_units(content) if u.row]
    assert rows == [
        "**Wirtschaftliche oder gewerbliche Zwecke (nach Ziffer 2.1 der Überlassungsrichtlinien)** "
        "Dauer: Bis zu 5 Stunden an Sonn- und Feiertagen; Gebühr: 175,00 €",
        "**Private Veranstaltungen (nach Ziffer 2.2 der Überlassungsrichtlinien)** "
        "Dauer: Bis zu 5 Stunden an Sonn- und Feiertagen; Gebühr: 130,00 €",
    ]
    # a sentence before a table is no caption: the rows keep the lead-in rules of sentences
    prose = "Die Gebühr wird nach § 3 Abs. 2 fällig.\n| Dauer | Gebühr |\n|---|---|\n| Ein Tag | 50 € |"
    assert [u.shown() for u in split_units(prose) if u.row] == ["Dauer: Ein Tag; Gebühr: 50 €"]


def test_a_first_table_line_that_states_an_amount_is_a_row_not_a_header() -> None:
    # tables converted from PDF often carry their first row above the rule (Eschenbach Friedhof fees)
    content = (
        "| 1.1. einfach tiefes Reihengrab (für 20 Jahre) | 1.370 € |\n|---|---|\n"
        "| 1.2. doppelt tiefes Reihengrab (für 30 Jahre) | 2.830 € |"
    )
    assert [u.text for u in split_units(content) if u.row] == [
        "1.1. einfach tiefes Reihengrab (für 20 Jahre) | 1.370 €",
        "1.2. doppelt tiefes Reihengrab (für 30 Jahre) | 2.830 €",
    ]


def test_a_lead_in_shared_by_several_chosen_units_is_read_once() -> None:
    # repeated per item, 110 characters hold only one item with its lead-in; read once, two
    question = understand("Wie hoch ist die Hundesteuer?", TODAY)
    passage = select_passages(question, [LIST], max_chars=110)[0]
    assert passage.content == (
        "Die Steuer beträgt im Kalenderjahr: 1. für den ersten Hund 108 Euro 3. für einen Kampfhund 600 Euro"
    )
    assert len(passage.meta["units"]) == 2  # each unit as a citation names it, with its lead-in


def test_a_lead_in_chosen_as_a_unit_itself_is_not_repeated_before_its_items() -> None:
    intro, first, second = split_units(LIST.content)[:3]
    assert first.shown() == "Die Steuer beträgt im Kalenderjahr: 1. für den ersten Hund 108 Euro"
    assert _once([intro, first, second]) == [
        "Die Steuer beträgt im Kalenderjahr:",
        "1. für den ersten Hund 108 Euro",
        "2. für jeden weiteren Hund 216 Euro",
    ]
    # without the introducing sentence among the units, the first item still carries it
    assert _once([first, second])[0] == first.shown()


def test_a_row_with_an_empty_first_cell_continues_the_row_above() -> None:
    table = (
        "| Nr. | Gegenstand | Gebühr |\n|---|---|---|\n| 7.8 | Grabräumung | 100,00 € |\n"
        "| 7.9 | für die Grabeinfassung | |\n|  | Doppelgrab | 357,00 € |\n|  | Einzelgrab | 272,00 € |\n"
        "| 8 | Sonstiges | 5,00 € |"
    )
    units = split_units(table)
    double, single, other = units[2], units[3], units[4]
    # the merged cell's case stays with its rows: two "Doppelgrab" rows of two cases stay apart
    assert (
        double.shown()
        == "Nr.: 7.9; Gegenstand: für die Grabeinfassung Gegenstand: Doppelgrab; Gebühr: 357,00 €"
    )
    assert single.lead == double.lead
    assert other.lead == ""  # a row that names its own case is read alone
    # read together, the row they continue is written once
    assert _once([units[1], double, single])[1:] == [
        "Gegenstand: Doppelgrab; Gebühr: 357,00 €",
        "Gegenstand: Einzelgrab; Gebühr: 272,00 €",
    ]
