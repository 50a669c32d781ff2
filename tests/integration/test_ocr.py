"""An image-only scanned statute is read with tesseract (German)."""

from __future__ import annotations

import pytest

from pipelines.components.file_converter import MunicipalFileConverter
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

SCAN = CORPUS / "linsengericht" / "entschaedigungssatzung.pdf"


def test_scanned_pdf_is_read_by_ocr() -> None:
    result = MunicipalFileConverter(ocr_languages="deu").run(sources=[SCAN], meta=[{"source": str(SCAN)}])
    assert result["failed"] == []
    [doc] = result["documents"]
    assert doc.meta["ocr"] is True
    pages = doc.content.split("\f")
    assert len(pages) >= 2 and doc.meta["pages"] == len(pages)
    assert "Entschädigung" in doc.content
