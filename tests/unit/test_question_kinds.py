"""What a question asks for: amounts, dates and periods (the patterns ranker and focus share)."""

from __future__ import annotations

import pytest

from pipelines.question_kinds import (
    AMOUNT,
    ASKS_AMOUNT,
    ASKS_DATE,
    ASKS_DEADLINE,
    ASKS_FOR_FIGURE,
    ASKS_FOR_PROVISION,
    ASKS_FOR_SUM,
    DEADLINE,
    days,
    periods,
    periods_per,
)


@pytest.mark.parametrize(
    ("question", "amount", "date", "deadline"),
    [
        ("Bis zu welchem Betrag pro Schuljahr werden Beförderungskosten erstattet?", True, False, False),
        ("Wie hoch ist die Hundesteuer für den ersten Hund?", True, False, False),
        ("Bis wann muss ich die Erstattung beantragen?", False, True, True),
        ("Bis zu welchem Datum muss der Antrag gestellt sein?", False, True, True),
        ("Wie lange vor der Eröffnung muss ich das Gewerbe anzeigen?", False, False, True),
        ("Wie viel Zeit habe ich, mich anzumelden?", True, False, True),
        ("Wer ist Vorsitzender des Ausschusses?", False, False, False),
    ],
)
def test_what_a_question_asks_for(question: str, amount: bool, date: bool, deadline: bool) -> None:
    found = (
        bool(ASKS_AMOUNT.search(question)),
        bool(ASKS_DATE.search(question)),
        bool(ASKS_DEADLINE.search(question)),
    )
    assert found == (amount, date, deadline)


@pytest.mark.parametrize(
    "text",
    [
        "bis spätestens 31. Oktober",
        "bis zum 01.03.2023",
        "innerhalb von zwei Wochen",
        "spätestens 8 Wochen nach",
        "bis zum fünfzehnten Tag nach Ablauf",
        "ab 18:00 Uhr",
        "sechs Wochen vor Beginn",
        "innerhalb eines Monats anzuzeigen",
        "binnen eines Jahres",
    ],
)
def test_dates_periods_and_times_answer_a_deadline_question(text: str) -> None:
    assert DEADLINE.search(text)


def test_an_age_is_not_a_deadline() -> None:
    # "Bis wann …" read "für Kinder unter 3 Jahre" instead of "spätestens 8 Wochen nach der Aufnahme"
    for age in ("für Kinder unter 3 Jahre", "Das Kind muss mind. 1 bzw. 2 Jahre alt sein.", "über 65 Jahre"):
        assert not DEADLINE.search(age), age
    assert DEADLINE.search("Das Kind muss 2 Jahre alt sein; spätestens 8 Wochen nach der Aufnahme")


@pytest.mark.parametrize(
    "text", ["110,00 Euro", "2.600 €", "EUR 15", "5 Prozent", "10 v. H.", "140.- €", "25,- Euro"]
)
def test_amounts(text: str) -> None:
    assert AMOUNT.search(text) and not DEADLINE.search(text)


def test_a_period_is_the_same_fact_in_words_or_digits() -> None:
    assert periods("seit drei Jahren") == periods("3 Jahre") == {"3 jahr"}
    assert periods("innerhalb eines Monats, spätestens nach 6 Wochen") == {"1 monat", "6 woche"}
    assert periods("Die Steuer beträgt 110,00 Euro im Jahr.") == set()
    # the day a deadline counts to: "bis zum fünfzehnten Tag nach Ablauf", "am dritten Werktag"
    assert periods("bis zum fünfzehnten Tag nach Ablauf des Quartals") == {"15 tag"}
    assert periods("spätestens am dritten Werktag") == {"3 werktag"}
    assert periods("für den zweiten Hund") == set()


def test_a_calendar_day_is_the_same_fact_however_it_is_written() -> None:
    assert days("am 2. Mai 2026") == days("02.05.2026") == days("bis zum 2.5.") == {"02.05."}
    assert days("1.500,00 Euro, Satz 2.5") == set()


@pytest.mark.parametrize(
    ("question", "asks_for_a_sum"),
    [
        ("Bis zu welchem Jahresbetrag bekommen Stadträte ihre Parkgebühren erstattet?", True),
        ("Welche Gebühr verlangt die Gemeinde für den Kirchenaustritt?", True),
        ("Wie hoch ist die Hundesteuer in Karlsruhe?", True),
        # an adjective between "welcher" and the noun: still a sum of money
        ("Welcher monatliche Eigenanteil wird bei der Schülerbeförderung fällig?", True),
        ("Welche jährliche Gebühr verlangt die Gemeinde?", True),
        ("Wie hoch ist der Hebesatz der Grundsteuer B?", False),  # a rate may stand without a unit: "380"
        ("Welcher Absatz regelt die Anmeldung?", False),
        ("Bis wann muss ich die Steuer anmelden?", False),
    ],
)
def test_what_asks_for_a_sum_of_money_or_a_rate(question: str, asks_for_a_sum: bool) -> None:
    assert bool(ASKS_FOR_SUM.search(question)) is asks_for_a_sum
    if asks_for_a_sum:
        assert ASKS_FOR_FIGURE.search(question)


@pytest.mark.parametrize(
    ("question", "asks_where"),
    [
        ("In welchem Paragraphen des Bundesmeldegesetzes steht die Pflicht zur Anmeldung?", True),
        ("Welche Vorschrift im KAG sagt das?", True),
        ("Wo in der GemO BW steht, dass der Gemeinderat eine Einwohnerversammlung anberaumen soll?", True),
        ("Wo ist das geregelt?", True),
        ("Wo im Baugesetzbuch ist die Veränderungssperre geregelt?", True),
        ("Wo steht die Mülltonne am Abholtag?", False),
        ("Wo kann ich meinen Hund anmelden? Es steht im Amtsblatt.", False),
        ("Wie hoch ist die Hundesteuer in Karlsruhe?", False),
    ],
)
def test_what_asks_where_a_rule_stands(question: str, asks_where: bool) -> None:
    assert bool(ASKS_FOR_PROVISION.search(question)) is asks_where


@pytest.mark.parametrize(
    ("text", "per"),
    [
        ("pro Stadtteil- und Ortsbeirat 5000 Euro pro Jahr", {"jahr"}),
        ("50,00 € je Sitzung", {"sitzung"}),
        ("1,50 Euro je angefangene Stunde", {"stunde"}),
        ("im Kalenderjahr", {"jahr"}),
        ("je Beförderungsmonat", {"monat"}),
        ("jährlich", {"jahr"}),
        ("vierteljährlich im Voraus", {"quartal"}),
        ("im Jahr 2026", set()),  # a year, not a period
        ("eine Stunde", set()),
    ],
)
def test_what_a_figure_is_per(text: str, per: set[str]) -> None:
    assert periods_per(text) == per
