"""A scanned statute whose OCR text layer glues words and reads "§" as "8" becomes searchable by §."""

from __future__ import annotations

import pytest

from pipelines.components.file_converter import MunicipalFileConverter, glued_word_ratio
from pipelines.components.german_text_cleaner import GermanTextCleaner
from pipelines.components.municipal_splitter import MunicipalDocumentSplitter
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

SCAN = CORPUS / "linsengericht" / "hundesteuersatzung-2017-03-21-original.pdf"


def test_noisy_ocr_layer_is_repaired_into_paragraph_chunks() -> None:
    converted = MunicipalFileConverter().run(sources=[SCAN])
    assert converted["failed"] == []
    document = converted["documents"][0]
    assert document.meta["text_layer"] == "pypdf", "glued words must trigger the better text layer"
    assert glued_word_ratio(document.content or "") < 0.02
    cleaned = GermanTextCleaner().run(documents=[document])["documents"]
    chunks = MunicipalDocumentSplitter().run(documents=cleaned)["documents"]
    sections = [c.meta["section"] for c in chunks if c.meta["section"]]
    assert {"§ 1", "§ 3", "§ 5"} <= set(sections), sections
    rate = next(c for c in chunks if c.meta["section"] == "§ 5")
    assert "60,00 EUR" in (rate.content or "") and rate.meta["page_number"] == 2
    assert document.meta["title"] == "Satzung über die Erhebung einer Hundesteuer"
    assert document.meta["municipality"] == "Linsengericht"
