"""Ingest, re-ingest with no change, then edit, delete and break files: every outcome is reported."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.query import QueryService
from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

FILES = ["KON_Satzung_Verpackungssteuer.md", "KON_Satzung_Grillplaetze.md", "KON_Verordnung_Sperrzeit.md"]


def test_add_noop_update_delete_and_bad_file(tmp_path: Path) -> None:
    folder = tmp_path / "statutes"
    folder.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / "konstanz" / name, folder / name)
    settings = load_settings("test")

    first = ingest(settings, [str(folder)])
    assert sorted(Path(s).name for s in first.added) == sorted(FILES)
    assert first.failed == [] and first.chunks_written > 10

    again = ingest(settings, [str(folder)])
    assert (again.added, again.updated, again.deleted, again.failed) == ([], [], [], [])
    assert len(again.unchanged) == 3
    assert again.generation == first.generation, "a no-op re-index must not write a new generation"

    (folder / "KON_Verordnung_Sperrzeit.md").unlink()
    grill = folder / "KON_Satzung_Grillplaetze.md"
    grill.write_text(
        grill.read_text(encoding="utf-8")
        + "\n\n## § 99 Testregel\n\nDas Grillen von Marshmallows ist am Zebrastrand erlaubt.\n",
        encoding="utf-8",
    )
    (folder / "kaputt.pdf").write_bytes(os.urandom(4096))

    changed = ingest(settings, [str(folder)])
    assert [Path(s).name for s in changed.deleted] == ["KON_Verordnung_Sperrzeit.md"]
    assert [Path(s).name for s in changed.updated] == ["KON_Satzung_Grillplaetze.md"]
    assert [Path(f["source"]).name for f in changed.failed] == ["kaputt.pdf"]
    assert "PDF" in changed.failed[0]["reason"]

    service = QueryService(settings)
    try:
        hits = service.search("Sperrzeit für Gaststätten und Vergnügungsstätten", top_k=10)
        assert all("Sperrzeit" not in h.meta["source"] for h in hits)
        hits = service.search("Marshmallows am Zebrastrand grillen", top_k=3)
        assert "Zebrastrand" in (hits[0].content or "")
        grill_chunks = [
            h for h in service.search("Grillplatz Benutzung", top_k=50) if "Grillplaetze" in h.meta["source"]
        ]
        assert len({h.meta["checksum"] for h in grill_chunks}) == 1, (
            "old chunks of the edited file must be gone"
        )
    finally:
        service.close()


def test_reader_snapshot_keeps_answering_while_a_new_generation_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Verpackungssteuer.md", folder)
    settings = load_settings("test")
    ingest(settings, [str(folder)])
    service = QueryService(settings)
    try:
        before = service.search("Einwegbesteck Steuer", top_k=1)
        generation = service.generation()
        shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Hundesteuer.md", folder)
        ingest(settings, [str(folder)])  # runs while the service holds its snapshot open
        assert EmbeddedIndex(settings.index_dir).current() != generation
        after = service.search("Hundesteuer für den ersten Hund", top_k=1)
        assert service.generation() != generation, "the service must switch to the new generation"
        assert "Hundesteuer" in after[0].meta["source"]
        assert before[0].meta["source"].endswith("KON_Satzung_Verpackungssteuer.md")
    finally:
        service.close()


def test_switching_masking_on_and_off_replaces_the_stored_text(tmp_path: Path) -> None:
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "aushang.md").write_text(
        "# Aushang Fundbüro\n\nDen Fund meldete Herr Max Mustermann, Hauptstraße 12, 78462 Konstanz, "
        "Telefon 07531 123456. Das Fahrrad kann im Fundbüro abgeholt werden.\n",
        encoding="utf-8",
    )

    def stored(settings) -> list[str]:  # type: ignore[no-untyped-def]
        service = QueryService(settings)
        try:
            return [h.content or "" for h in service.search("Fahrrad Fundbüro abholen", top_k=10)]
        finally:
            service.close()

    masked = load_settings("test", privacy={"mask_personal_data": ["public"]})
    report = ingest(masked, [str(folder)], access="public")
    assert list(report.personal_data_masked.values()) == [3]
    [text] = stored(masked)
    assert "Mustermann" not in text and "[Name]" in text and "[Telefon]" in text

    plain = load_settings("test")  # masking off (the default): the same file is indexed again, unmasked
    again = ingest(plain, [str(folder)], access="public")
    assert [Path(s).name for s in again.updated] == ["aushang.md"]
    [text] = stored(plain)  # one chunk: the masked version is gone, not kept beside the new one
    assert "Max Mustermann" in text and "[Name]" not in text


def test_an_upgraded_indexing_pipeline_indexes_unchanged_files_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nightly re-index after an upgrade that changes chunking or metadata replaces every file's chunks
    (no duplicates left from the old pipeline); without a change it stays a no-op."""
    import pipelines.indexing

    folder = tmp_path / "statutes"
    folder.mkdir()
    for name in FILES[:2]:
        shutil.copy(CORPUS / "konstanz" / name, folder / name)
    settings = load_settings("test")
    first = ingest(settings, [str(folder)])

    monkeypatch.setattr(pipelines.indexing, "INDEXING_VERSION", pipelines.indexing.INDEXING_VERSION + 1)
    upgraded = ingest(settings, [str(folder)])
    assert sorted(Path(s).name for s in upgraded.updated) == sorted(FILES[:2])
    assert upgraded.unchanged == [] and upgraded.chunks_written == first.chunks_written
    assert ingest(settings, [str(folder)]).updated == []  # indexed with the new version: nothing to do

    snapshot = EmbeddedIndex(settings.index_dir).snapshot()
    store = create_document_store(settings, path=snapshot.path)
    try:
        chunks = store.filter_documents()
        assert len(chunks) == first.chunks_written, "the old pipeline's chunks must be gone"
        assert {c.meta["indexed_with"] for c in chunks} == {pipelines.indexing.indexing_fingerprint(settings)}
    finally:
        close_document_store(store)
        snapshot.close()

    # other chunking settings are a change of the pipeline too
    rechunked = ingest(load_settings("test", indexing={"split_words": 120}), [str(folder)])
    assert len(rechunked.updated) == 2


def test_municipality_rules_name_the_town_of_documents_whose_text_does_not(tmp_path: Path) -> None:
    folder = tmp_path / "ortsrecht"
    (folder / "beirat").mkdir(parents=True)
    shutil.copy(CORPUS / "konstanz" / FILES[0], folder / FILES[0])
    minutes = folder / "beirat" / "2024-11-19_Niederschrift.md"
    minutes.write_text(
        "# Niederschrift\n\nDer Stadtteilbeirat Büchenbach tagte im Bürgertreff. "
        "Das neue Stadtteilhaus soll im Sommer 2026 eröffnet werden.\n",
        encoding="utf-8",
    )

    def towns(settings: object) -> dict[str, str | None]:
        snapshot = EmbeddedIndex(settings.index_dir).snapshot()  # type: ignore[attr-defined]
        store = create_document_store(settings, path=snapshot.path)  # type: ignore[arg-type]
        try:
            return {Path(c.meta["source"]).name: c.meta.get("municipality") for c in store.filter_documents()}
        finally:
            close_document_store(store)
            snapshot.close()

    plain = load_settings("test")
    ingest(plain, [str(folder)])
    assert towns(plain) == {FILES[0]: "Konstanz", minutes.name: None}  # the text names no town

    ruled = load_settings(
        "test",
        data_dir=plain.data_dir,
        indexing={"municipality_rules": [{"pattern": f"{folder}/beirat/*", "municipality": "Erlangen"}]},
    )
    report = ingest(ruled, [str(folder)])
    # a new rule re-indexes the files it may match; the statute keeps the town its text names
    assert minutes.name in {Path(s).name for s in report.updated}
    assert towns(ruled) == {FILES[0]: "Konstanz", minutes.name: "Erlangen"}
