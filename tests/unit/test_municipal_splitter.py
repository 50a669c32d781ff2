"""MunicipalDocumentSplitter: sections at headings / § / TOP, heading path, pages, word limits."""

from __future__ import annotations

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.municipal_splitter import MunicipalDocumentSplitter, parse_sections, split_sentences

STATUTE = (
    "# Hundesteuersatzung der Stadt Beispiel\n\n"
    "## I. Allgemeines\n\n"
    "§ 1 Steuergegenstand\nDie Stadt erhebt eine Hundesteuer.\n\n"
    "§ 5 Abs. 2 gilt entsprechend.\n"
    "\f§ 2 Steuersatz\nDie Steuer beträgt:\n"
    "1. für den ersten Hund 120 Euro\n2. für jeden weiteren Hund 240 Euro\n\n"
    "TOP 3 Verschiedenes\nKeine Wortmeldungen."
)


def _split(text: str, **kwargs: int) -> list[Document]:
    params = {"split_words": 20, "max_words": 30, "min_words": 0} | kwargs
    return MunicipalDocumentSplitter(**params).run(
        documents=[Document(content=text, meta={"source": "s.md", "pages": 2})]
    )["documents"]


def _text(doc: Document) -> str:
    return doc.content or ""


class TestSplitSentences:
    def test_no_split_after_legal_abbreviations(self) -> None:
        text = "Nach § 5 Abs. 2 gilt das. Siehe Nr. 3 der Anlage. Kosten z. B. Gebühren. Neu beginnt hier."
        assert split_sentences(text) == [
            "Nach § 5 Abs. 2 gilt das.",
            "Siehe Nr. 3 der Anlage.",
            "Kosten z. B. Gebühren.",
            "Neu beginnt hier.",
        ]

    def test_no_split_after_ordinals(self) -> None:
        assert split_sentences("Fällig am 1. Januar jedes Jahres. Dann mehr.") == [
            "Fällig am 1. Januar jedes Jahres.",
            "Dann mehr.",
        ]

    def test_line_breaks_end_sentences(self) -> None:
        assert split_sentences("Die Steuer beträgt:\n1. für A 10 Euro\n2. für B 20 Euro") == [
            "Die Steuer beträgt:",
            "1. für A 10 Euro",
            "2. für B 20 Euro",
        ]


class TestMunicipalDocumentSplitter:
    def test_sections_heading_path_label_and_page(self) -> None:
        chunks = _split(STATUTE)
        got = [(c.meta["heading"], c.meta["section"], c.meta["page_number"]) for c in chunks]
        root = "Hundesteuersatzung der Stadt Beispiel > I. Allgemeines"
        assert got == [
            (f"{root} > § 1 Steuergegenstand", "§ 1", 1),
            (f"{root} > § 2 Steuersatz", "§ 2", 2),
            (f"{root} > TOP 3 Verschiedenes", "TOP 3", 2),
        ]
        # "§ 5 Abs. 2 gilt entsprechend." is a sentence inside § 1, not a heading
        assert chunks[0].content == "Die Stadt erhebt eine Hundesteuer. § 5 Abs. 2 gilt entsprechend."
        assert [c.meta["split_id"] for c in chunks] == [0, 1, 2]

    def test_parent_meta_is_copied_without_page_count(self) -> None:
        chunk = _split(STATUTE)[0]
        assert chunk.meta["source"] == "s.md"
        assert "pages" not in chunk.meta

    def test_list_items_keep_their_own_lines(self) -> None:
        chunk = _split(STATUTE)[1]
        assert (
            chunk.content
            == "Die Steuer beträgt:\n1. für den ersten Hund 120 Euro\n2. für jeden weiteren Hund 240 Euro"
        )

    def test_wrapped_lines_are_joined(self) -> None:
        sections = parse_sections("§ 1 Zweck\nDiese Satzung\nregelt die Steuer.")
        assert sections[0].blocks[0].text == "Diese Satzung regelt die Steuer."

    def test_a_reference_that_goes_on_with_the_sentence_is_no_heading(self) -> None:
        # a council paper: the wrapped line "Artikel 105 Grundgesetz, die …" made a section "Artikel 105"
        paper = parse_sections(
            "Die City Tax erfolgt als Aufwandsteuer gemäß\n"
            "Artikel 105 Grundgesetz, die an den Aufwand für die entgeltliche Übernachtung\n"
            "anknüpft."
        )
        assert [s.label for s in paper] == [None]
        assert "gemäß Artikel 105 Grundgesetz, die an den Aufwand" in paper[0].blocks[0].text
        # a federal law: "… nach" / "§ 153 Absatz 5 durchgeführt worden ist." stays in § 154
        law = parse_sections(
            "§ 154 Ausgleichsbetrag\nEr entfällt, wenn eine Umlegung nach\n§ 153 Absatz 5 durchgeführt ist."
        )
        assert [s.label for s in law] == ["§ 154"]
        # a title after a sentence without its colon is still a heading
        statute = parse_sections(
            "Der Gemeinderat hat folgende Satzung beschlossen\n§ 1 Steuergegenstand\nHunde."
        )
        assert [s.label for s in statute] == [None, "§ 1"]

    def test_markdown_heading_with_paragraph_gets_label(self) -> None:
        sections = parse_sections("## (Präambel)\n\nText.\n\n### § 7 Zwingersteuer\n\nMehr Text.")
        assert [(s.path, s.label) for s in sections] == [
            (["(Präambel)"], None),
            (["(Präambel)", "§ 7 Zwingersteuer"], "§ 7"),
        ]

    def test_no_chunk_above_max_words(self) -> None:
        long_sentence = " ".join(f"wort{i}" for i in range(95)) + "."
        chunks = _split(f"§ 1 Lang\nKurz vorab. {long_sentence} Danach Schluss.")
        assert max(len(_text(c).split()) for c in chunks) <= 30
        words = " ".join(_text(c) for c in chunks).replace(".", "").split()
        assert all(f"wort{i}" in words for i in range(95))  # nothing is lost

    def test_overlap_does_not_push_a_table_over_max_words(self) -> None:
        sentence = "Die Gebühr gilt ab heute."
        table = "| Art | Betrag |\n" + "\n".join(
            f"| Grab {i} | {i},00 Euro |" for i in range(3)
        )  # 26 "words"
        chunks = _split(f"§ 6 Gebühren\n{sentence} {sentence} {sentence}\n\n{table}")
        assert max(len(_text(c).split()) for c in chunks) <= 30
        assert any(c.content == table for c in chunks)  # a table that fits stays whole

    def test_every_chunk_of_a_long_table_repeats_its_header(self) -> None:
        header = "| Nr. | Grabart | Gebühr in Euro |\n|---|---|---|"
        rows = [f"| {i} | Reihengrab Sorte {i} | {i},00 |" for i in range(1, 13)]  # 6 words a row
        chunks = _split(f"§ 6 Gebühren\n\n{header}\n" + "\n".join(rows))
        assert len(chunks) > 2
        for chunk in chunks:
            assert _text(chunk).startswith(header), _text(chunk)
        body = "\n".join(_text(c) for c in chunks)
        assert all(row in body for row in rows)  # no row lost
        assert max(len(_text(c).split()) for c in chunks) <= 30

    def test_sentences_overlap_between_chunks(self) -> None:
        sentences = [f"Satz {n} hat fünf Wörter." for n in "ABCDEFG"]
        chunks = _split("§ 1 Test\n" + " ".join(sentences), overlap_sentences=1)
        assert len(chunks) > 1
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert _text(after).startswith(split_sentences(_text(before))[-1])

    def test_small_unlabelled_section_is_merged_into_the_next(self) -> None:
        chunks = _split("# Satzung\n\nKurze Vorbemerkung.\n\n## Teil 1\n\nDer Inhalt.", min_words=25)
        assert len(chunks) == 1
        assert chunks[0].content == "Satzung: Kurze Vorbemerkung. Der Inhalt."
        assert chunks[0].meta["heading"] == "Satzung > Teil 1"

    def test_serialisation_round_trip(self) -> None:
        splitter = MunicipalDocumentSplitter(split_words=50, max_words=80, overlap_sentences=0, min_words=5)
        data = component_to_dict(splitter, "splitter")
        assert data["init_parameters"] == {
            "split_words": 50,
            "max_words": 80,
            "overlap_sentences": 0,
            "min_words": 5,
        }
        restored = component_from_dict(MunicipalDocumentSplitter, data, "splitter")
        assert (restored.split_words, restored.max_words, restored.overlap_sentences, restored.min_words) == (
            50,
            80,
            0,
            5,
        )
