"""CitedAnswerBuilder: every [n] of the answer points to a retrieved chunk that supports it."""

from __future__ import annotations

from typing import Any

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict
from haystack.dataclasses import ChatMessage

from pipelines.components.cited_answer_builder import REFUSAL, CitedAnswerBuilder

DOCS = [
    Document(
        content="Die Stadt erhebt die Hundesteuer. Steuerpflichtig ist der Halter eines Hundes.",
        meta={
            "source": "konstanz/hundesteuer.md",
            "title": "Hundesteuersatzung",
            "section": "§ 1",
            "page_number": 1,
        },
    ),
    Document(
        content="Die Steuer beträgt:\n1. für den ersten Hund 120,00 Euro\n"
        "2. für jeden weiteren Hund 240,00 Euro",
        meta={
            "source": "konstanz/hundesteuer.md",
            "title": "Hundesteuersatzung",
            "section": "§ 5",
            "page_number": 2,
        },
        score=0.91234,
    ),
    Document(
        content="Die Stadtbibliothek ist montags geschlossen.", meta={"source": "konstanz/bibliothek.md"}
    ),
]


def _answer(reply: str, documents: list[Document] = DOCS) -> dict[str, Any]:
    return CitedAnswerBuilder().run(replies=[ChatMessage.from_assistant(reply)], documents=documents)[
        "answer"
    ]


class TestCitedAnswerBuilder:
    def test_citations_renumbered_in_order_of_appearance(self) -> None:
        answer = _answer("Der erste Hund kostet 120,00 Euro [2]. Steuerpflichtig ist der Halter [1].")
        assert (
            answer["answer"] == "Der erste Hund kostet 120,00 Euro [1]. Steuerpflichtig ist der Halter [2]."
        )
        assert [c["section"] for c in answer["citations"]] == ["§ 5", "§ 1"]
        assert answer["citations"][0]["page"] == 2
        assert answer["citations"][0]["score"] == 0.9123
        assert answer["refused"] is False and answer["unverified"] is False
        assert answer["generated"] is True  # the model's words: labelled as AI-generated

    def test_repeated_citation_keeps_one_number(self) -> None:
        answer = _answer("Die Stadt erhebt die Hundesteuer [1]. Steuerpflichtig ist der Halter [1].")
        assert answer["answer"].count("[1]") == 2
        assert len(answer["citations"]) == 1

    def test_out_of_range_citation_is_removed(self) -> None:
        answer = _answer("Steuerpflichtig ist der Halter [7]. Der erste Hund kostet 120,00 Euro [2].")
        assert answer["answer"] == "Steuerpflichtig ist der Halter. Der erste Hund kostet 120,00 Euro [1]."
        assert [c["section"] for c in answer["citations"]] == ["§ 5"]

    def test_citation_moves_to_the_chunk_with_the_amount(self) -> None:
        answer = _answer("Für jeden weiteren Hund sind 240,00 Euro zu zahlen [1].")
        assert answer["answer"] == "Für jeden weiteren Hund sind 240,00 Euro zu zahlen [1]."
        assert answer["citations"][0]["section"] == "§ 5"
        assert answer["unverified"] is False

    def test_amount_in_no_chunk_is_refused_as_invented(self) -> None:
        answer = _answer("Der erste Hund kostet 999,00 Euro [2].")
        assert answer["refused"] is True and answer["citations"] == []
        assert answer["generated"] is False  # the fixed refusal carries no "KI-generierte Antwort" label

    def test_partly_unsupported_sentence_is_marked_unverified(self) -> None:
        answer = _answer("Der erste Hund kostet 120,00 Euro [2]. Ein Kampfhund kostet 999,00 Euro [2].")
        assert answer["refused"] is False and answer["unverified"] is True
        assert "120,00 Euro" in answer["answer"]

    def test_quote_is_verbatim_from_the_cited_chunk(self) -> None:
        answer = _answer("Für jeden weiteren Hund zahlt man 240,00 Euro [2].")
        quote = answer["citations"][0]["quote"]
        assert quote == "2. für jeden weiteren Hund 240,00 Euro"
        assert quote in (DOCS[1].content or "")

    def test_uncited_answer_gets_the_best_supporting_chunk(self) -> None:
        answer = _answer("Die Bibliothek ist montags geschlossen.")
        assert answer["answer"].endswith("[1]")
        assert answer["citations"][0]["source"] == "konstanz/bibliothek.md"

    def test_the_answer_names_the_version_of_the_statute_it_used(self) -> None:
        versioned = [
            Document(
                content="Die Steuer beträgt für den ersten Hund 150,00 Euro.",
                meta={
                    "source": "karlsruhe/hundesteuer-2026.md",
                    "title": "Hundesteuersatzung",
                    "section": "§ 5",
                    "doc_type": "Satzung",
                    "valid_from": "2026-01-01",
                },
            ),
            Document(content="Die Stadtbibliothek ist montags geschlossen.", meta={"doc_type": "Sonstiges"}),
        ]
        result = _answer("Für den ersten Hund sind 150,00 Euro zu zahlen [1].", versioned)
        assert result["answer"].endswith("Verwendete Fassung: Hundesteuersatzung, gültig ab 01.01.2026 [1].")
        assert result["citations"][0]["valid_from"] == "2026-01-01"
        # minutes and other texts have no versions: no note
        plain = _answer("Die Stadtbibliothek ist montags geschlossen [2].", versioned)
        assert "Fassung" not in plain["answer"]

    def test_refusal(self) -> None:
        for reply in (
            "Dazu enthalten die Dokumente keine Angabe.",
            "Die Auszüge enthalten keine Informationen dazu.",
            "",
        ):
            answer = _answer(reply)
            assert answer == {
                "answer": REFUSAL,
                "citations": [],
                "refused": True,
                "unverified": False,
                "generated": False,
            }

    def test_no_documents_is_a_refusal(self) -> None:
        assert _answer("Die Steuer beträgt 120,00 Euro [1].", documents=[])["refused"] is True

    def test_serialisation_round_trip(self) -> None:
        data = component_to_dict(CitedAnswerBuilder(), "answer_builder")
        assert data == {
            "type": "pipelines.components.cited_answer_builder.CitedAnswerBuilder",
            "init_parameters": {},
        }
        assert isinstance(component_from_dict(CitedAnswerBuilder, data, "answer_builder"), CitedAnswerBuilder)


def test_a_refusal_formula_appended_after_the_answer_is_dropped() -> None:
    answer = _answer(
        "Für den ersten Hund sind 120,00 Euro zu zahlen [2].\n\nDazu enthalten die Dokumente keine Angabe."
    )
    assert answer["refused"] is False
    assert answer["answer"] == "Für den ersten Hund sind 120,00 Euro zu zahlen [1]."


def test_an_answer_that_starts_with_the_refusal_stays_a_refusal() -> None:
    answer = _answer("Dazu enthalten die Dokumente keine Angabe. Die Stadt erhebt die Hundesteuer [1].")
    assert answer["refused"] is True and answer["answer"] == REFUSAL


def test_the_used_version_is_named_once_with_all_its_citations() -> None:
    from pipelines.components.cited_answer_builder import version_note

    statute = {"title": "Hundesteuersatzung", "doc_type": "Satzung", "valid_from": "2025-01-01"}
    note = version_note([statute, dict(statute), {"title": "Protokoll", "doc_type": "Niederschrift"}])
    assert note == "Verwendete Fassung: Hundesteuersatzung, gültig ab 01.01.2025 [1][2]."


def test_an_echoed_source_label_is_dropped_but_a_labelled_statement_is_kept() -> None:
    answer = _answer("Für den ersten Hund sind 120,00 Euro zu zahlen.\n\nBeleg [2]: § 5 (Konstanz) [2]")
    assert answer["answer"] == "Für den ersten Hund sind 120,00 Euro zu zahlen [1]."
    kept = _answer("Beleg: Für den ersten Hund sind 120,00 Euro zu zahlen [2].")
    assert "120,00 Euro" in kept["answer"] and not kept["refused"]


def test_a_question_for_an_amount_or_a_date_answered_without_a_figure_is_refused() -> None:
    docs = [Document(content="Die Stadt Konstanz erhebt eine Zweitwohnungsteuer.", meta={"source": "kon.md"})]

    def run(question: str, reply: str) -> dict[str, Any]:
        return CitedAnswerBuilder().run(
            replies=[ChatMessage.from_assistant(reply)], documents=docs, query=question
        )["answer"]

    vague = run("Wie viel Gewerbesteuer zahlt man in Konstanz?", "Die Stadt Konstanz erhebt eine Steuer [1].")
    assert vague["refused"] and vague["answer"] == REFUSAL
    assert run("Wann tritt die Satzung in Kraft?", "Die Stadt Konstanz erhebt eine Steuer [1].")["refused"]
    # the same reply answers a question that asks for no figure
    assert not run(
        "Welche Steuer erhebt Konstanz auf Zweitwohnungen?",
        "Die Stadt Konstanz erhebt eine Zweitwohnungsteuer [1].",
    )["refused"]


def _asked(question: str, reply: str, documents: list[Document]) -> dict[str, Any]:
    return CitedAnswerBuilder().run(
        replies=[ChatMessage.from_assistant(reply)], documents=documents, query=question
    )["answer"]


def test_an_answer_that_only_repeats_the_question_is_refused() -> None:
    docs = [
        Document(
            content="Von der Übernachtungsteuer befreit sind Kinder bis zum vollendeten 18. Lebensjahr.",
            meta={"source": "ka.md"},
        )
    ]
    question = "Zahlen Kinder in Karlsruhe auch die Übernachtungsteuer?"
    echo = _asked(question, "Kinder in Karlsruhe zahlen auch die Übernachtungsteuer [1].", docs)
    assert echo["refused"] and echo["answer"] == REFUSAL
    answer = _asked(question, "Nein, Kinder bis zum vollendeten 18. Lebensjahr sind befreit [1].", docs)
    assert not answer["refused"] and "18. Lebensjahr" in answer["answer"]
    # a figure the question does not name is an answer, however many of its words the reply repeats
    besteck = [
        Document(content="Die Steuer beträgt für jedes Einwegbesteck 0,20 €.", meta={"source": "kon.md"})
    ]
    figure = _asked(
        "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?",
        "Konstanz verlangt für ein Einwegbesteck 0,20 € [1].",
        besteck,
    )
    assert not figure["refused"] and "0,20 €" in figure["answer"]


def test_a_word_of_the_question_the_text_phrases_otherwise_is_no_reason_to_refuse() -> None:
    # the ordinance says "an der Leine zu führen", never "Leinenpflicht"
    docs = [
        Document(
            content="Hunde sind innerhalb bebauter Ortsteile an der Leine zu führen.",
            meta={"source": "bbo/polizeiverordnung.md", "section": "§ 13"},
        )
    ]
    answer = _asked(
        "Gibt es in Bad Boll eine Leinenpflicht, und in welchem Paragraphen steht sie?",
        "Ja, die Leinenpflicht steht in § 13: Hunde sind in bebauten Ortsteilen an der Leine zu führen [1].",
        docs,
    )
    assert not answer["refused"] and "§ 13" in answer["answer"]


def test_asked_for_the_provision_the_answer_names_the_cited_chunks_section() -> None:
    def ask(query: str) -> str:
        reply = ChatMessage.from_assistant(
            "Für den ersten Hund sind 120,00 Euro zu zahlen, steht in Abs. 3 [2]."
        )
        return CitedAnswerBuilder().run(replies=[reply], documents=DOCS, query=query)["answer"]["answer"]

    asked = ask("Wie hoch ist die Hundesteuer für den ersten Hund? Bitte mit Paragraph.")
    assert asked.endswith("\n\nFundstelle: Hundesteuersatzung, § 5 [1].")
    assert "Fundstelle" in ask("In welcher Vorschrift steht die Hundesteuer für den ersten Hund?")
    assert "Fundstelle" not in ask("Wie hoch ist die Hundesteuer für den ersten Hund?")


def test_an_amount_from_a_sentence_about_something_else_is_refused() -> None:
    docs = [
        Document(
            content="Die Eigenanteile betragen 1,50 Euro je Schultag. Anträge sind bis zum 31. Oktober zu stellen.",
            meta={"source": "lkr/schuelerbefoerderung.md", "municipality": "Landkreis Göppingen"},
        ),
        Document(
            content="(1) Die Steuer beträgt im Kalenderjahr 35 vom Hundert des jährlichen Mietaufwands.",
            meta={"source": "kon/zweitwohnung.md", "municipality": "Konstanz", "heading": "§ 4 Steuersatz"},
        ),
    ]

    # the nearest amount of any excerpt is not the price of a passport
    assert (
        _asked("Was kostet ein neuer Reisepass?", "Ein Reisepass kostet 1,50 Euro [1].", docs)["refused"]
        is True
    )
    # the same amount where its sentence is about what was asked
    assert (
        _asked("Wie hoch ist der Eigenanteil je Schultag?", "Der Eigenanteil beträgt 1,50 Euro [1].", docs)[
            "refused"
        ]
        is False
    )
    # a compound of the question whose head the sentence names ("Zweitwohnungssteuer" / "Steuer")
    kept = _asked(
        "Wie hoch ist die Zweitwohnungssteuer in Konstanz?", "Sie beträgt 35 vom Hundert [2].", docs
    )
    assert kept["refused"] is False and "35 vom Hundert" in kept["answer"]


def test_a_claim_without_figures_cites_the_excerpt_that_shares_its_words() -> None:
    docs = [
        Document(
            content="Die Gebühr für die Anmeldung eines Hundes wird mit dem Bescheid erhoben.",
            meta={"source": "a.md"},
        ),
        Document(
            content="Ein Kinderreisepass ist ein Jahr gültig, längstens bis zur Vollendung des zwölften Lebensjahres.",
            meta={"source": "passg.md", "section": "§ 5"},
        ),
    ]
    answer = _answer(
        "Ein Kinderreisepass ist ein Jahr gültig, längstens bis zum zwölften Lebensjahr [1].", docs
    )
    assert [c["source"] for c in answer["citations"]] == ["passg.md"]
    # a cited excerpt that shares the words keeps the citation
    kept = _answer("Die Gebühr für die Anmeldung eines Hundes wird mit dem Bescheid erhoben [1].", docs)
    assert [c["source"] for c in kept["citations"]] == ["a.md"]


def test_asked_for_a_price_an_answer_without_money_gives_way_to_the_passage_with_the_price() -> None:
    def ask(reply: str, documents: list[Document] = DOCS) -> dict[str, Any]:
        return CitedAnswerBuilder().run(
            replies=[ChatMessage.from_assistant(reply)],
            documents=documents,
            query="Was kostet die Hundesteuer für den ersten Hund?",
        )["answer"]

    # no money in the reply: not given as the answer; the excerpt's passage with the price is
    quoted = ask("Die Hundesteuer für den ersten Hund kostet 6 Jahre [2].")
    assert "6 Jahre" not in quoted["answer"] and "120,00 Euro" in quoted["answer"]
    assert ask("Die Hundesteuer für den ersten Hund kostet 6 Jahre [2].", DOCS[:1])["refused"] is True
    assert ask("Für den ersten Hund kostet die Hundesteuer 120,00 Euro [2].")["refused"] is False


def test_a_paragraph_number_read_from_the_excerpt_label_is_not_invented() -> None:
    # DOCS[1] is labelled "§ 5"; its text does not contain the 5
    answer = _answer("Die Steuersätze stehen in Paragraph 5 der Hundesteuersatzung [2].")
    assert answer["refused"] is False and answer["citations"][0]["section"] == "§ 5"
    assert _answer("Die Steuersätze stehen in Paragraph 17 der Hundesteuersatzung [2].")["refused"] is True


def test_a_period_in_words_is_a_figure_that_must_stand_in_a_sentence_about_the_question() -> None:
    docs = [
        Document(
            content="Die Zuwendung ist zurückzuzahlen. Dies gilt nicht, wenn die Anlage bereits seit drei Jahren betrieben wurde.",
            meta={"source": "zag/balkonsolar.md", "municipality": "Zell u.A."},
        ),
        Document(
            content="Ein Kinderreisepass ist ein Jahr gültig, längstens bis zum zwölften Lebensjahr.",
            meta={"source": "bund/passg.md", "section": "§ 5"},
        ),
    ]

    # "drei Jahre" stands only in a sentence about a solar grant: it is not the rest period of a grave
    assert (
        _asked("Wie lange ist die Ruhezeit für ein Erdgrab?", "Die Ruhezeit ist drei Jahre [1].", docs)[
            "refused"
        ]
        is True
    )
    assert (
        _asked("Wie lange ist die Ruhezeit für ein Erdgrab?", "Die Ruhezeit ist 3 Jahre [1].", docs)[
            "refused"
        ]
        is True
    )
    # a period the excerpts do not state at all is invented: not given; the excerpt's own sentence is
    invented = _asked("Wie lange ist ein Kinderreisepass gültig?", "Er ist zwei Jahre gültig [2].", docs)
    assert "zwei Jahre" not in invented["answer"] and "ein Jahr gültig" in invented["answer"]
    assert _asked("Wie lange ist ein Kinderreisepass gültig?", "Er ist zwei Jahre gültig [1].", docs[:1])[
        "refused"
    ]
    # the same period in words or digits, from the sentence about what was asked
    kept = _asked(
        "Wie lange ist ein Kinderreisepass gültig?", "Ein Kinderreisepass ist 1 Jahr gültig [2].", docs
    )
    assert kept["refused"] is False and kept["citations"][0]["source"] == "bund/passg.md"
    kept = _asked(
        "Wie lange ist ein Kinderreisepass gültig?", "Ein Kinderreisepass ist ein Jahr gültig [2].", docs
    )
    assert kept["refused"] is False and "ein Jahr" in kept["answer"]
    # asked how long, answered without any period
    assert _asked("Wie lange ist ein Kinderreisepass gültig?", "Er ist gültig [2].", docs)["refused"] is True


def test_a_figure_the_answer_repeats_from_the_question_need_not_stand_in_the_excerpt() -> None:
    # minutes carry their meeting month in the metadata; the text does not say "Januar 2020"
    docs = [
        Document(
            content="Der Stadtteilbeirat beantragt eine Trassenführung der StUB über den Adenauerring.",
            meta={"source": "erl/2020-01.pdf", "municipality": "Erlangen"},
        )
    ]
    question = "Welche Trassenführung für die StUB hat der Stadtteilbeirat im Januar 2020 beantragt?"
    answer = _asked(
        question,
        "Der Stadtteilbeirat hat im Januar 2020 eine Trassenführung über den Adenauerring beantragt [1].",
        docs,
    )
    assert answer["refused"] is False and answer["unverified"] is False
    assert "Adenauerring" in answer["answer"] and answer["citations"][0]["source"] == "erl/2020-01.pdf"
    # a figure of its own that no excerpt carries is still invented
    invented = _asked(
        question, "Der Stadtteilbeirat hat im Januar 2020 die Trasse über 2,5 km beantragt [1].", docs
    )
    assert invented["refused"] is True


def test_a_calendar_day_is_checked_as_a_whole_however_it_is_written() -> None:
    minutes = [
        Document(
            content="Wenn innerhalb von acht Tagen nach Zusendung der Niederschrift keine Einwände erhoben werden, "
            "wird Einverständnis unterstellt. Der Vorsitzende eröffnet die 2. öffentliche Sitzung des "
            "Stadtteilbeirates im Jahr 2023.",
            meta={"source": "erl/2023-2.pdf", "municipality": "Büchenbach"},
        )
    ]
    question = "Wann ist die erste Sitzung des Stadtteilbeirats im Jahr 2026?"
    # "2026" is the question's, the lone "2" proves nothing: the day "2. Mai" stands in no excerpt; nor is
    # the passage quoted instead: "acht Tage" is a period, not when a meeting is
    invented = _asked(question, "Die erste Sitzung im Jahr 2026 findet am 2. Mai 2026 statt [1].", minutes)
    assert invented["refused"] is True
    statute = [
        Document(
            content="Die Steuer wird jeweils zum 01.07. eines jeden Jahres fällig.",
            meta={"source": "lin/hundesteuer.pdf", "municipality": "Linsengericht"},
        )
    ]
    answer = _asked("Wann ist die Hundesteuer fällig?", "Die Hundesteuer ist am 1. Juli fällig [1].", statute)
    assert answer["refused"] is False and answer["citations"][0]["source"] == "lin/hundesteuer.pdf"


def test_a_paragraph_named_in_a_range_of_paragraphs_stands_in_the_excerpt() -> None:
    docs = [
        Document(
            content="(3) Im Innenbereich (§§ 30 - 34 Baugesetzbuch) sind auf öffentlichen Straßen Hunde an der Leine zu führen.",
            meta={"source": "bbo/polizeiverordnung.md", "section": "§ 13"},
        )
    ]

    answer = _asked(
        "Gibt es eine Leinenpflicht für Hunde, und in welchem Paragraphen steht sie?",
        "Hunde sind im Innenbereich nach § 30 Baugesetzbuch an der Leine zu führen [1].",
        docs,
    )
    assert answer["refused"] is False and answer["citations"][0]["section"] == "§ 13"


def test_a_yes_or_no_that_only_repeats_the_question_gives_way_to_the_excerpts_own_words() -> None:
    docs = [
        Document(content="Die Stadtbibliothek ist montags geschlossen.", meta={"source": "ka/bibliothek.md"}),
        Document(
            content="(3) Als Beherbergung gilt nicht das Unterkommen in Krankenhäusern.\n(4) Ausgenommen von der "
            "Besteuerung ist die Beherbergung von Kindern und Jugendlichen bis zum vollendeten 18. Lebensjahr.",
            meta={
                "source": "ka/uebernachtungsteuer.md",
                "title": "Übernachtungsteuersatzung",
                "section": "§ 2",
                "municipality": "Karlsruhe",
            },
        ),
    ]
    question = "Zahlen Kinder in Karlsruhe auch die Übernachtungsteuer?"

    answer = _asked(question, "Ja, Kinder in Karlsruhe zahlen auch die Übernachtungsteuer [2].", docs)

    # the echoed "Ja" is not repeated; the excerpt's sentence is quoted verbatim and cited
    assert answer["refused"] is False and not answer["answer"].startswith("Ja")
    assert "bis zum vollendeten 18. Lebensjahr" in answer["answer"]
    assert [c["source"] for c in answer["citations"]] == ["ka/uebernachtungsteuer.md"]
    assert answer["citations"][0]["quote"] in docs[1].content
    # excerpts about something else: still the refusal
    off_topic = _asked(question, "Ja, Kinder in Karlsruhe zahlen auch die Übernachtungsteuer [1].", docs[:1])
    assert off_topic["refused"] is True and off_topic["answer"] == REFUSAL
    # a passage naming one of the question's two nouns ("Genehmigung", not "Grundstück") is not quoted
    graves = [
        Document(
            content="Ohne Genehmigung sind provisorische Grabmale als Holztafeln bis zur Größe von 15 mal 30 cm zulässig.",
            meta={"source": "bbo/friedhof.md", "title": "Friedhofssatzung", "municipality": "Bad Boll"},
        )
    ]
    felling = _asked(
        "Brauche ich in Bad Boll eine Genehmigung, um eine große Eiche auf meinem Grundstück zu fällen?",
        "Ja, ich brauche eine Genehmigung, um eine große Eiche auf meinem Grundstück zu fällen [1].",
        graves,
    )
    assert felling["refused"] is True


def test_a_short_reply_of_one_word_and_a_figure_is_an_answer() -> None:
    docs = [
        Document(
            content="Die Gebühr für den Busparkplatz Klein Venedig beträgt je angefangene Stunde 6,00 €, "
            "der Tageshöchstsatz 50,00 €.",
            meta={"source": "kon/parkgebuehren.md", "municipality": "Konstanz"},
        )
    ]
    question = "Was ist auf dem Busparkplatz Klein Venedig der Tageshöchstsatz?"
    kept = _asked(question, "Der Tageshöchstsatz ist 50,00 € [1].", docs)
    assert kept["refused"] is False and "50,00 €" in kept["answer"]
    assert _asked(question, "Der Tageshöchstsatz [1].", docs)["refused"] is True  # one word, no figure


def test_a_figure_under_an_abbreviated_unit_or_in_a_compound_of_the_questions_word_is_on_topic() -> None:
    tariff = Document(
        content="1. Der Grundpreis beträgt 2,50 €\n2. Der Fahrpreis pro km 1,60 €",
        meta={"source": "lin/taxiverordnung.pdf", "municipality": "Linsengericht", "heading": "§ 2 Entgelte"},
    )
    law = Document(
        content="Wer ein stehendes Gaststättengewerbe betreiben will, hat dies mindestens sechs Wochen vor "
        "Beginn des Betriebs anzuzeigen.",
        meta={"source": "bw/lgastg.md", "heading": "§ 2 Anzeigepflicht"},
    )
    fees = Document(
        content="Die Benutzungsgebühr für das Herstellen einer Grabstätte beträgt 890,00 €.",
        meta={"source": "bbo/friedhof.md", "municipality": "Bad Boll"},
    )
    taxi = _asked(
        "Was kostet eine Taxifahrt pro Kilometer?", "Pro Kilometer kostet sie 1,60 € [1].", [tariff]
    )
    assert taxi["refused"] is False
    cafe = _asked(
        "Wie lange vor der Eröffnung eines Cafés muss ich das Gewerbe anzeigen?",
        "Mindestens sechs Wochen vor Beginn des Betriebs [1].",
        [law],
    )
    assert cafe["refused"] is False
    # "Gebühr" ends every fee's compound: the grave's fee is not the church-leaving fee asked for
    asked_fee = "Welche Gebühr verlangt die Gemeinde für den Kirchenaustritt?"
    assert _asked(asked_fee, "Die Gemeinde verlangt 890,00 € [1].", [fees])["refused"] is True


def test_asked_for_a_figure_a_reply_without_one_gives_way_to_the_excerpt_that_holds_it() -> None:
    closing = Document(
        content="(1) Abweichend von § 1 wird der Beginn der Sperrzeit für Schank- und Speisewirtschaften in der "
        "Konstanzer Altstadt allgemein auf 1,00 Uhr, in der Nacht zum Samstag auf 3,00 Uhr festgesetzt.",
        meta={"source": "kon/sperrzeit.md", "municipality": "Konstanz", "heading": "§ 2 Altstadt"},
    )
    question = "Wann beginnt unter der Woche die Sperrzeit für Kneipen in der Konstanzer Altstadt?"
    looping = "Die Sperrzeit beginnt im Innenbereich bei Gaststätten im ganzen Stadtgebiet [1]."
    quoted = _asked(question, looping, [closing])
    assert quoted["refused"] is False and "1,00 Uhr" in quoted["answer"]
    assert quoted["citations"][0]["source"] == "kon/sperrzeit.md"
    # an excerpt on the topic without any figure answers no "wann": the refusal stands
    rule = Document(
        content="Die Sperrzeit in der Altstadt kann bei besonderen Anlässen aufgehoben werden.",
        meta={"source": "kon/sperrzeit.md", "municipality": "Konstanz"},
    )
    assert _asked(question, looping, [rule])["refused"] is True


def test_asked_for_a_sum_a_reply_with_only_dates_is_no_answer() -> None:
    rules = Document(
        content="Anstelle der Mobilitätspauschale werden Parkgebühren bis zu einem Jahresbetrag von 300 Euro "
        "erstattet. Die Belege sind jeweils bis zum 31.07. und zum 31.12. eines Jahres einzureichen.",
        meta={"source": "ka/entschaedigung.txt", "municipality": "Karlsruhe"},
    )
    question = "Bis zu welchem Jahresbetrag bekommen Karlsruher Stadträte ihre Parkgebühren erstattet?"
    dates = "Sie erhalten ihre Parkgebühren erstattet bis zum 31.07. und zum 31.12. eines Jahres [1]."
    answer = _asked(question, dates, [rules])
    assert answer["refused"] is False and "300 Euro" in answer["answer"]  # the excerpt's own words
    assert "Die Dokumente sagen dazu" in answer["answer"] and answer["generated"] is False
    no_sum = Document(content="Die Belege sind bis zum 31.07. einzureichen.", meta={"source": "ka/x.txt"})
    assert _asked(question, dates, [no_sum])["refused"] is True


def test_asked_how_a_vote_went_a_reply_without_its_result_gives_way_to_the_minutes_words() -> None:
    minutes = Document(
        content="Punkt 7 der Tagesordnung: Satzung zur Änderung der Hundesteuersatzung. Beschluss: Der "
        "Gemeinderat nimmt von der Vorbemerkung Kenntnis und beschließt die Änderung der Hundesteuersatzung. "
        "Abstimmungsergebnis: Mehrheitliche Zustimmung (41 Ja, 6 Nein).",
        meta={"source": "ka/protokoll.txt", "municipality": "Karlsruhe", "doc_type": "Niederschrift"},
    )
    question = "Wie ist im Karlsruher Gemeinderat über die Erhöhung der Hundesteuer abgestimmt worden?"
    garbled = "Die Erhöhung der Hundesteuer wurde über die Vorbemerkung Kenntnis und beschließt [1]."
    answer = _asked(question, garbled, [minutes])
    assert answer["refused"] is False and "41 Ja, 6 Nein" in answer["answer"]
    # a reply that gives the result stands as the model wrote it
    kept = _asked(question, "Mit Mehrheit: 41 Ja, 6 Nein [1].", [minutes])
    assert kept["answer"].startswith("Mit Mehrheit: 41 Ja, 6 Nein")
    # minutes without a result: the refusal stands
    agenda = Document(
        content="Punkt 7 der Tagesordnung: Änderung der Hundesteuersatzung. Die Erhöhung wird erläutert.",
        meta={"source": "ka/einladung.txt", "municipality": "Karlsruhe"},
    )
    assert _asked(question, garbled, [agenda])["refused"] is True


def test_asked_where_a_rule_stands_an_echoed_yes_gives_way_to_the_passage_of_a_numbered_section() -> None:
    satzung = Document(
        content="Auf Grund von § 4 der Gemeindeordnung sowie §§ 2, 8 Abs. 2 und 9 Abs. 3 des KAG hat der Gemeinderat "
        "die Satzung über die Hundesteuer beschlossen. Die Gemeinden erheben die Hundesteuer.",
        meta={"source": "bbo/hundesteuer.md", "title": "Hundesteuersatzung", "municipality": "Bad Boll"},
    )
    kag = Document(
        content="(2) Die Gemeinden können Steuern erheben. (3) Die Gemeinden erheben eine Hundesteuer.",
        meta={"source": "bw/kag.md", "title": "Kommunalabgabengesetz (KAG)", "section": "§ 9"},
    )
    question = (
        "Müssen Gemeinden in Baden-Württemberg eine Hundesteuer erheben? Welche Vorschrift im KAG sagt das?"
    )
    reply = "Ja, Gemeinden müssen in Baden-Württemberg eine Hundesteuer erheben [2]. Die Vorschrift im KAG sagt das [1]."

    answer = _asked(question, reply, [kag, satzung])

    # the statute's preamble names the question's nouns too, but has no § of its own to name
    assert answer["refused"] is False and "erheben eine Hundesteuer" in answer["answer"]
    assert answer["answer"].endswith("Fundstelle: Kommunalabgabengesetz (KAG), § 9 [1].")
    assert [c["source"] for c in answer["citations"]] == ["bw/kag.md"]


def test_asked_where_a_rule_stands_a_claim_without_figures_cites_the_section_headed_with_it() -> None:
    title = "Satzung über die Erhebung einer Hundesteuer"
    header = "Satzung über die Erhebung einer Hundesteuer im Gebiet der Gemeinde Linsengericht"
    offences = Document(
        content=f"Ordnungswidrig handelt, wer entgegen § 10 der Satzung gegen die Meldepflicht verstößt. {header}",
        meta={"source": "lin/hundesteuer.pdf", "title": title, "section": "§ 15",
              "heading": "§ 15 Ordnungswidrigkeiten"},
    )  # fmt: skip
    duty = Document(
        content="Der Hundehalter hat einen Hund innerhalb von zwei Wochen bei der Gemeinde anzumelden.",
        meta={
            "source": "lin/hundesteuer.pdf",
            "title": title,
            "section": "§ 10",
            "heading": "§ 10 Meldepflicht",
        },
    )
    reply = f"Die Meldepflicht ist geregelt in Abs. 2 und 4 der {header} [1]."

    asked = _asked("In welchem Paragraphen der Hundesteuersatzung ist die Meldepflicht geregelt?", reply,
                   [offences, duty])  # fmt: skip
    assert asked["answer"].endswith(f"Fundstelle: {title}, § 10 [1].")
    # not asked where it stands: the model's citation stays
    kept = _asked("Was gilt für die Meldepflicht in Linsengericht?", reply, [offences, duty])
    assert kept["citations"][0]["section"] == "§ 15"


def test_asked_about_another_town_a_towns_paper_answers_only_with_the_figure_beside_that_towns_name() -> None:
    comparison = Document(
        content="Die Hundesteuer für den ersten Hund soll auf 144,00 Euro steigen. "
        "Der Vergleich der Hundesteuer stellt sich wie folgt dar:\n"
        "Stadt Ersthund Zweithund\nKarlsruhe 144,00 Euro 288,00 Euro\nStuttgart 108,00 Euro\n5\n 216,00 Euro\n"
        "Ulm 108,00 Euro 216,00 Euro",
        meta={
            "source": "ka/670277.txt",
            "municipality": "Karlsruhe",
            "title": "Beschlussvorlage Hundesteuer",
        },
    )
    question = "Wie viel Hundesteuer zahlt man in Stuttgart für den ersten Hund?"
    # the model read Karlsruhe's own row
    wrong_row = _asked(question, "Es sind 144,00 Euro im Jahr [1].", [comparison])
    assert "Es sind 144,00 Euro" not in wrong_row["answer"]
    # instead: the table's passage, verbatim, with Stuttgart's row in it
    assert wrong_row["answer"].startswith("Die Dokumente sagen dazu:")
    assert "Stuttgart 108,00 Euro" in wrong_row["answer"]
    # (no quote when neither the passage nor the title names the tax: the refusal)
    hidden = Document(
        content=comparison.content.replace("Hundesteuer", "Steuer"),
        meta={**comparison.meta, "title": "Beschlussvorlage"},
    )
    assert _asked(question, "Es sind 144,00 Euro im Jahr [1].", [hidden])["refused"] is True
    right_row = _asked(question, "In Stuttgart zahlt man 108,00 Euro für den ersten Hund [1].", [comparison])
    assert right_row["refused"] is False and "108,00 Euro" in right_row["answer"]
    # the town's own figure is its own: asked about Karlsruhe, 144,00 Euro is the answer
    own = _asked(
        "Wie viel Hundesteuer zahlt man in Karlsruhe für den ersten Hund?",
        "In Karlsruhe zahlt man 144,00 Euro [1].",
        [comparison],
    )
    assert own["refused"] is False
    # a law without a town holds everywhere: "in Tübingen" does not need Tübingen in the text
    law = Document(
        content="Wer eine Wohnung bezieht, hat sich innerhalb von zwei Wochen nach dem Einzug anzumelden.",
        meta={"source": "bund/bmg.md", "title": "Bundesmeldegesetz", "heading": "§ 17 Anmeldung"},
    )
    moving = _asked(
        "Wie lange habe ich Zeit, mich in Tübingen anzumelden?",
        "Man muss sich innerhalb von zwei Wochen anmelden [1].",
        [law],
    )
    assert moving["refused"] is False


def test_ab_of_ab_2026_does_not_make_a_sentence_about_the_question() -> None:
    school_bus = Document(
        content="Durch die Teilmaßnahme „Einführung einer Mindestentfernung ab Klassenstufe 5“ werden "
        "50.000 Euro pro Jahr eingespart.",
        meta={"source": "ka/678288.txt", "municipality": "Karlsruhe", "title": "Beschlussvorlage"},
    )
    answer = _asked(
        "Was kostet in Karlsruhe ab 2026 die Genehmigung für eine Einäscherung?",
        "Die Genehmigung kostet 50.000 Euro pro Jahr [1].",
        [school_bus],
    )
    assert answer["refused"] is True


def test_a_figure_per_another_period_than_asked_does_not_answer() -> None:
    """Asked "pro Sitzung", the minutes' "5000 Euro pro Jahr" for each board is no sitting fee (the 1.5B
    model wrote "bekommt pro Sitzung 5000 Euro Sitzungsgeld"), neither as the answer nor as a quote."""
    question = "Wie viel Euro Sitzungsgeld bekommt ein Mitglied des Stadtteilbeirats Büchenbach pro Sitzung?"
    minutes = Document(
        content="Frau Maier stellt das Klimabudget vor. Sie berichtet außerdem, dass pro Stadtteil- und "
        "Ortsbeirat 5000 Euro pro Jahr zur Verfügung stehen.",
        meta={"source": "erl/niederschrift.pdf", "municipality": "Erlangen", "title": "Niederschrift"},
    )
    reply = "Ein Mitglied des Stadtteilbeirats Büchenbach bekommt pro Sitzung 5000 Euro Sitzungsgeld [1]."
    assert _asked(question, reply, [minutes])["refused"] is True
    # the same figure per the period asked answers
    per_sitting = Document(
        content="Die Mitglieder des Stadtteilbeirats erhalten ein Sitzungsgeld von 5000 Euro je Sitzung.",
        meta={"source": "erl/satzung.pdf", "municipality": "Erlangen", "title": "Satzung"},
    )
    assert _asked(question, reply, [per_sitting])["refused"] is False
    # asked without a period, the yearly figure stands
    yearly = _asked(
        "Wie viel Geld steht einem Stadtteilbeirat in Büchenbach aus dem Klimabudget zur Verfügung?",
        "Einem Stadtteilbeirat stehen 5000 Euro zur Verfügung [1].",
        [minutes],
    )
    assert yearly["refused"] is False


def test_a_value_line_counts_with_the_sentence_that_introduces_it() -> None:
    """Karlsruhe's Übernachtungsteuersatzung (shared corpus, 665070.txt) states its rate on lines of their
    own under a lead-in; the model's right "4,00 Euro" was refused as off topic."""
    question = "Wie viel Übernachtungsteuer pro Nacht und Gast wird 2026 in Karlsruhe fällig?"
    statute = Document(
        content="Die Übernachtungsteuer beträgt pro Übernachtung und Beherbergungsgast\n"
        "(1) Für den Zeitraum vom 01.07.2025 bis zum 31.12.2025\n3,50 Euro (Drei Euro und Fünfzig Cent).\n"
        "(2) Für den Zeitraum vom 01.01.2026 bis zum 31.12.2027\n4,00 Euro (Vier Euro).",
        meta={"source": "ka/665070.txt", "municipality": "Karlsruhe", "heading": "§ 4 Steuersatz"},
    )
    reply = "Die Übernachtungsteuer pro Nacht und Gast in Karlsruhe wird 2026 ab 4,00 Euro fällig [1]."
    kept = _asked(question, reply, [statute])
    # the model's answer stands, not a quote picked in its place
    assert kept["generated"] is True and kept["answer"].startswith(reply[:-4])
    # a lead-in about something else does not make the value line an answer
    other = Document(
        content="Die Gebühr für die Ausstellung eines Ersatzausweises beträgt\n4,00 Euro (Vier Euro).",
        meta={"source": "ka/bibliothek.txt", "municipality": "Karlsruhe", "heading": "§ 4 Gebühren"},
    )
    assert _asked(question, reply, [other])["generated"] is False


def test_asked_which_monthly_share_an_echo_is_answered_with_the_excerpt_amount() -> None:
    # "Welcher monatliche Eigenanteil": an adjective between "welcher" and the noun still asks for a sum
    rule = Document(
        content="(3) Nutzen Schüler nicht den ÖPNV, entrichten sie zu den notwendigen Beförderungskosten je "
        "Beförderungsmonat einen Eigenanteil in Höhe von 48,00 Euro.",
        meta={
            "source": "lkrgp/schuelerbefoerderung.md",
            "municipality": "Landkreis Göppingen",
            "title": "Satzung über die Erstattung der Schülerbeförderungskosten",
        },
    )
    question = (
        "Unser Kind fährt nicht mit Bus und Bahn zur Schule. Welcher monatliche Eigenanteil ist zu zahlen?"
    )
    echo = "Unser Kind fährt nicht mit Bus und Bahn zur Schule. Der monatliche Eigenanteil ist zu zahlen [1]."
    answer = _asked(question, echo, [rule])
    assert answer["refused"] is False and "48,00 Euro" in answer["answer"] and answer["generated"] is False


def test_a_deadline_counted_in_an_ordinal_day_answers_a_bis_wann_question() -> None:
    docs = [
        Document(
            content="Die Steueranmeldung ist bis zum fünfzehnten Tag nach Ablauf des Anmeldezeitraums einzureichen.",
            meta={"source": "ka/uebernachtungsteuer.txt", "section": "§ 7", "municipality": "Karlsruhe"},
        )
    ]
    question = "Bis wann muss ich in Karlsruhe die Steueranmeldung für die Übernachtungsteuer abgeben?"
    answer = _asked(
        question, "Die Steueranmeldung muss bis zum fünfzehnten Tag nach Ablauf abgegeben werden [1].", docs
    )
    assert answer["refused"] is False and "fünfzehnten Tag" in answer["answer"]
    # an ordinal day the excerpt does not have is invented
    assert _asked(question, "Die Steueranmeldung muss bis zum zehnten Tag abgegeben werden [1].", docs)[
        "refused"
    ]


def test_asked_within_which_period_an_answer_without_one_gives_way_to_the_excerpts_period() -> None:
    docs = [
        Document(
            content=(
                "(1) Wer Inhaber einer Zweitwohnung ist oder wird, hat dies der Stadt Konstanz innerhalb eines "
                "Monats anzuzeigen. (2) Die Inhaber einer Zweitwohnung sind verpflichtet, der Stadt Konstanz "
                "maßgebliche Veränderungen unverzüglich mitzuteilen."
            ),
            meta={"source": "kon/zweitwohnungsteuer.md", "section": "§ 6", "municipality": "Konstanz"},
        )
    ]
    question = (
        "Ich habe eine Zweitwohnung in Konstanz. Innerhalb welcher Frist muss ich das der Stadt melden?"
    )
    reply = (
        "Die Inhaber einer Zweitwohnung müssen der Stadt Konstanz Veränderungen unverzüglich mitteilen [1]."
    )
    answer = _asked(question, reply, docs)
    assert answer["refused"] is False and "innerhalb eines Monats" in answer["answer"]
    assert answer["answer"].startswith("Die Dokumente sagen dazu")
    # the model's own answer stands when it gives the period
    given = _asked(question, "Die Zweitwohnung ist innerhalb eines Monats anzuzeigen [1].", docs)
    assert given["answer"].startswith("Die Zweitwohnung ist innerhalb eines Monats")


def test_a_paragraph_written_out_is_the_section_the_excerpt_names() -> None:
    docs = [
        Document(
            content="Artikel 1: § 12 (Hundesteuermarken) wird gestrichen.",
            meta={"source": "ka/aenderung.txt", "section": "Artikel 1", "municipality": "Karlsruhe"},
        )
    ]
    question = "Welcher Paragraph der Karlsruher Hundesteuersatzung wird mit der Änderung gestrichen?"
    answer = _asked(question, "Der Paragraph 12 der Hundesteuersatzung wird gestrichen [1].", docs)
    assert answer["refused"] is False and answer["answer"].startswith("Der § 12 der Hundesteuersatzung")
    # a paragraph the excerpt does not name stays invented
    assert _asked(question, "Der Paragraph 14 der Hundesteuersatzung wird gestrichen [1].", docs)["refused"]


def test_asked_when_a_rule_takes_effect_the_date_must_stand_where_the_text_says_so() -> None:
    docs = [
        Document(
            content=(
                "§ 6 erhält folgende Fassung: Die Satzung trat am Tag nach der Bekanntmachung in Kraft. "
                "Die letzte Änderung der Parkgebührensatzung vom 24. März 2026 tritt am 1. Juni 2026 in Kraft."
            ),
            meta={"source": "ka/parkgebuehren.txt", "section": "Artikel 1", "municipality": "Karlsruhe"},
        ),
        Document(
            content=(
                "Der Gemeinderat beschließt die Änderung der Parkgebührensatzung vom 16. Dezember 2008, "
                "zuletzt geändert am 26. Januar 2021."
            ),
            meta={"source": "ka/vorlage.txt", "municipality": "Karlsruhe"},
        ),
    ]
    question = "Ab wann gelten in Karlsruhe die höheren Parkgebühren?"
    # the date of the last amendment is not when the new fees take effect: the passage saying so answers
    answer = _asked(question, "Die höheren Parkgebühren gelten ab dem 26. Januar 2021 [2].", docs)
    assert answer["refused"] is False and "1. Juni 2026 in Kraft" in answer["answer"]
    assert "26. Januar 2021" not in answer["answer"]
    right = _asked(question, "Die höheren Parkgebühren gelten ab dem 1. Juni 2026 [1].", docs)
    assert right["answer"].startswith("Die höheren Parkgebühren gelten ab dem 1. Juni 2026")


def test_a_yes_no_echo_gives_way_to_the_section_whose_chunk_names_the_questions_nouns() -> None:
    law = Document(
        content=(
            "(1) Hunde der Rassen Pitbull-Terrier, American Staffordshire-Terrier, Staffordshire-Bullterrier, "
            "Bullterrier sowie deren Kreuzungen untereinander oder mit anderen Hunden dürfen nicht in das Inland "
            "eingeführt oder verbracht werden. Hunde weiterer Rassen sowie deren Kreuzungen untereinander oder "
            "mit anderen Hunden, für die nach den Vorschriften des Landes, in dem der Hund ständig gehalten "
            "werden soll, eine Gefährlichkeit vermutet wird, dürfen aus dem Ausland nicht in dieses Land "
            "eingeführt oder verbracht werden."
        ),
        meta={
            "source": "bund/hundverbreinfg.md",
            "section": "§ 2",
            "title": "Hundeverbringungs- und -einfuhrbeschränkungsgesetz",
        },
    )
    question = "Darf man einen Pitbull-Terrier aus dem Ausland nach Deutschland mitbringen? Welcher Paragraph regelt das?"
    answer = _asked(
        question, "Ja, man darf einen Pitbull-Terrier aus dem Ausland nach Deutschland mitbringen [1].", [law]
    )
    # the passage quoted is the verdict's own sentence; "Ausland" stands in the chunk's next sentence
    assert answer["refused"] is False and "dürfen nicht in das Inland" in answer["answer"]
    assert "§ 2" in answer["answer"] and not answer["answer"].startswith("Ja")


def test_asked_how_early_a_passage_without_a_period_does_not_answer() -> None:
    docs = [
        Document(
            content="(1) Für die Förderung der Kindertagespflege sind nach § 5 die Landkreise zuständig. Eltern "
            "erhalten einen Betreuungsplatz nach § 24 SGB VIII.",
            meta={"source": "bw/kitag.md", "section": "§ 8b", "title": "Kindertagesbetreuungsgesetz"},
        )
    ]
    question = "Wie früh müssen Eltern der Gemeinde Bescheid geben, dass sie einen Betreuungsplatz brauchen?"
    reply = "Eltern müssen der Gemeinde Bescheid geben, wenn ein Bedarf nach § 24 SGB VIII besteht [1]."
    assert _asked(question, reply, docs)["refused"] is True
