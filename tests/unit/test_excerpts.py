"""The passage of a chunk the model reads: around the question's words, verbatim, marked where cut."""

from __future__ import annotations

from pipelines.excerpts import ELLIPSIS, focus

STATUTE = "\n".join(
    [
        "(1) Die Gemeinde erhebt die Hundesteuer nach dieser Satzung.",
        "(2) Steuerschuldner ist der Halter eines Hundes. Mehrere Halter haften als Gesamtschuldner.",
        "(3) Die Steuer entsteht mit dem Beginn des Kalenderjahres.",
        "(4) Für Blindenführhunde wird keine Steuer erhoben. Das gilt auch für Hunde im Rettungsdienst.",
        "(5) Die Steuer beträgt im Kalenderjahr für jeden Hund 110,00 Euro.",
        "(6) Die Hundesteuermarke ist sichtbar zu tragen. Bei Verlust kostet eine Ersatzmarke 2,50 Euro.",
        "(7) Die Satzung tritt am 01.01.2022 in Kraft.",
    ]
)


def test_a_long_chunk_is_cut_to_the_passage_that_shares_the_questions_words() -> None:
    passage = focus("Wie hoch ist die Steuer für jeden Hund im Kalenderjahr?", STATUTE, max_chars=200)
    assert "110,00 Euro" in passage
    assert len(passage) <= 200 + 2 * len(ELLIPSIS) + 2
    assert passage.startswith(ELLIPSIS) and passage.endswith(ELLIPSIS)
    # verbatim and in order: without the marks, every line is a line of the chunk
    for line in passage.strip(ELLIPSIS + " ").split("\n"):
        assert line.strip(ELLIPSIS + " ") in STATUTE


def test_another_question_gets_another_passage_of_the_same_chunk() -> None:
    passage = focus("Was kostet eine Ersatzmarke, wenn die Hundesteuermarke verloren geht?", STATUTE, 120)
    assert "2,50 Euro" in passage and "110,00" not in passage


def test_short_chunks_stay_whole() -> None:
    text = "Die Säumnisgebühr beträgt 0,50 € pro Medium und angefangener Woche."
    assert focus("Wie hoch ist die Säumnisgebühr?", text, max_chars=700) == text


def test_one_overlong_sentence_keeps_its_start() -> None:
    text = "Die Zuwendungen " + "und weitere Zuwendungen " * 80 + "enden hier."
    passage = focus("Welche Zuwendungen gibt es?", text, max_chars=100)
    assert passage.startswith("Die Zuwendungen") and passage.endswith(ELLIPSIS) and len(passage) <= 103


# shaped like the Schwieberdingen dog-tax statute (shared corpus): the rate stands in a sentence that shares
# fewer of the question's words than the rule for second dogs
RATES = "\n".join(
    [
        "(1) Die Steuer beträgt im Kalenderjahr 110,00 Euro.",
        "(2) Hält ein Hundehalter im Gemeindegebiet mehrere Hunde, so erhöht sich der Steuersatz für den zweiten "
        "und jeden weiteren Hund auf das Doppelte des Steuersatzes nach Absatz 1.",
        "(3) Steuerfreie Hunde sowie Hunde in einem Zwinger bleiben hierbei außer Betracht.",
    ]
)


def test_an_amount_question_reads_the_sentence_with_the_amount() -> None:
    passage = focus("Wie hoch ist die jährliche Hundesteuer für den ersten Hund?", RATES, max_chars=160)
    assert "110,00 Euro" in passage


def test_a_deadline_question_reads_the_sentence_with_the_period() -> None:
    text = (  # Bundesmeldegesetz § 17: both sentences share "anzumelden" with the question
        "Neugeborene, die im Inland geboren wurden, sind nur anzumelden, wenn sie in eine andere Wohnung "
        "aufgenommen werden. Wer eine Wohnung bezieht, hat sich innerhalb von zwei Wochen nach dem Einzug "
        "bei der Meldebehörde anzumelden. Die Standesämter teilen den Meldebehörden jede Geburt mit."
    )
    passage = focus("Wie viel Zeit habe ich, mich nach dem Umzug anzumelden?", text, max_chars=120)
    assert "zwei Wochen" in passage


def test_words_of_the_title_and_town_count_little() -> None:
    text = (
        "Satzung über die Erhebung einer Hundesteuer im Gebiet der Gemeinde Linsengericht. "
        + "Die Gemeinde regelt hier die Anmeldung und Abmeldung von Tieren. " * 4
        + "Die Steuer für den ersten Hund beträgt 60,00 EUR."
    )
    question = "Wie viel Hundesteuer zahlt man in Linsengericht für den ersten Hund?"
    about = "Satzung über die Erhebung einer Hundesteuer Linsengericht"
    assert "60,00 EUR" in focus(question, text, max_chars=120, about=about)


# shaped like § 13 of the Göppingen school-transport statute (shared corpus): "Beförderungskosten" and
# "Schuljahr" stand all through it, "Schulkindergärten" only in the line that answers
CAPS = "\n".join(
    [
        "(1) Die notwendigen Beförderungskosten werden bis zu folgenden Höchstbeträgen je Schüler und Schuljahr erstattet:",
        "- 3.600 € für Kinder in Schulkindergärten",
        "- 1.300 € für die übrigen Schüler",
        "(2) Mit Zustimmung des Landratsamtes kann von den Höchstbeträgen in begründeten Einzelfällen abgewichen werden.",
        "(3) Für Schüler der SBBZ gelten keine Höchstbeträge. Übersteigen bei Schülern von SBBZ die "
        "Beförderungskosten 2.600 € im Schuljahr, kann der Landkreis den übersteigenden Betrag zu 75 v. H. von "
        "dem Stadt- oder Landkreis geltend machen, in dem der Schüler wohnt. Die Beförderungskosten werden für "
        "jeden Schüler entsprechend seinem Anteil an der Fahrtstrecke berechnet.",
    ]
)


def test_a_word_found_in_one_sentence_of_the_chunk_points_there_more_than_one_found_all_through() -> None:
    question = "Bis zu welchem Betrag pro Schuljahr erstattet der Landkreis Beförderungskosten für Kinder in Schulkindergärten?"
    about = "Satzung über die Erstattung der Schülerbeförderungskosten des Landkreises Göppingen Landkreis Göppingen"
    passage = focus(question, CAPS, max_chars=60, about=about)
    assert "3.600 €" in passage and "2.600" not in passage


def test_the_questions_own_date_points_to_the_minutes_header_less_than_to_the_answer() -> None:
    minutes = "\n".join(
        [
            "Niederschrift der Plenarsitzung des Gemeinderates",
            "21. Oktober 2025, 15:30 Uhr, Bürgersaal. Punkt 7 der Tagesordnung:",
            "Satzung zur Änderung der Hundesteuersatzung.",
            "Beschluss: Der Gemeinderat beschließt die Änderung der Hundesteuersatzung.",
            "Abstimmungsergebnis: Mehrheitliche Zustimmung (41 Ja, 6 Nein)",
        ]
    )
    question = "Wie ist im Gemeinderat am 21. Oktober 2025 über die Hundesteuer abgestimmt worden?"
    assert "41 Ja" in focus(question, minutes, max_chars=140)
