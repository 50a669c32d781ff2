"""GermanTextCleaner: hyphenation, OCR'd "§", whitespace; line structure and page breaks survive."""

from __future__ import annotations

from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.german_text_cleaner import GermanTextCleaner, clean_german_text


class TestGermanTextCleaner:
    def test_joins_words_hyphenated_across_lines(self) -> None:
        assert clean_german_text("Die Hunde-\nsteuer wird erhoben.") == "Die Hundesteuer wird erhoben."

    def test_keeps_hyphen_before_capitalised_word(self) -> None:
        # "Bundes- und Landesrecht" style: the next line starts a new noun, not a word remainder
        assert clean_german_text("Bundes-\nLand") == "Bundes-\nLand"

    def test_restores_ocr_paragraph_sign_at_line_start(self) -> None:
        assert (
            clean_german_text("8 5 Steuersatz\nDie Steuer beträgt", ocr=True)
            == "§ 5 Steuersatz\nDie Steuer beträgt"
        )
        assert clean_german_text("$ 12 Inkrafttreten", ocr=True) == "§ 12 Inkrafttreten"
        assert clean_german_text("88 3", ocr=True) == "§§ 3"

    def test_leaves_numbers_alone_when_text_has_real_paragraph_signs(self) -> None:
        text = "§ 1 Geltung\n8 5 Steuersatz"
        assert clean_german_text(text) == text

    def test_page_breaks_and_lines_are_kept_whitespace_normalised(self) -> None:
        text = "Seite  eins\r\nZeile\t zwei\n\n\n\nAbsatz\fSeite\u00a0zwei"
        assert clean_german_text(text) == "Seite eins\nZeile zwei\n\nAbsatz\fSeite zwei"

    def test_removes_control_characters(self) -> None:
        assert clean_german_text("Ge\x00bühr\x07") == "Gebühr"

    def test_run_keeps_id_and_meta_and_uses_ocr_flag(self) -> None:
        docs = [
            Document(id="a", content="Hunde-\nsteuer\n8 5 Steuersatz", meta={"source": "a.pdf"}),
            Document(id="b", content="§ 1 x\n8 5 Steuersatz", meta={"ocr": True}),
        ]
        out = GermanTextCleaner().run(documents=docs)["documents"]
        assert [d.content for d in out] == ["Hundesteuer\n§ 5 Steuersatz", "§ 1 x\n§ 5 Steuersatz"]
        assert out[0].id == "a" and out[0].meta == {"source": "a.pdf"}
        assert docs[0].content == "Hunde-\nsteuer\n8 5 Steuersatz"  # inputs are not mutated

    def test_serialisation_round_trip(self) -> None:
        data = component_to_dict(GermanTextCleaner(), "cleaner")
        assert data["type"] == "pipelines.components.german_text_cleaner.GermanTextCleaner"
        assert isinstance(component_from_dict(GermanTextCleaner, data, "cleaner"), GermanTextCleaner)
