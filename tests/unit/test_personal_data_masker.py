"""PersonalDataMasker: each kind of personal data is masked; office holders, streets and wrong IBANs stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from config.settings import load_settings
from pipelines.components.personal_data_masker import PersonalDataMasker, iban_is_valid, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Herr Tobias Schäfer fragt nach der Laterne.", "Herr [Name] fragt nach der Laterne.", "name"),
        ("Die Familie Özdemir wohnt dort.", "Die Familie [Name] wohnt dort.", "name"),
        ("gez. Thomas Brandt\nAnwohner", "gez. [Name]\nAnwohner", "name"),
        ("Antragstellerin: Petra Schulz\n", "Antragstellerin: [Name]\n", "name"),
        ("Name: Yilmaz, Ayse\n", "Name: [Name]\n", "name"),
        ("wohnhaft Hauptstraße 12, 76133 Karlsruhe.", "wohnhaft [Adresse].", "address"),
        ("wohnhaft Am Markt 3a.", "wohnhaft [Adresse].", "address"),
        ("Tel. 0721 133-1234", "Tel. [Telefon]", "phone"),
        ("Rückruf unter +49 (0)6051 70 91 23.", "Rückruf unter [Telefon].", "phone"),
        ("Fax: 06051/709-932", "Fax: [Telefon]", "phone"),
        ("Mail an j.keller@t-online.de bitte.", "Mail an [E-Mail] bitte.", "email"),
        ("IBAN DE89 3704 0044 0532 0130 00 angeben", "IBAN [IBAN] angeben", "iban"),
        ("Herr Becker, geb. 14.07.1958, fragt.", "Herr [Name], geb. [Geburtsdatum], fragt.", "birthdate"),
        ("Geburtsdatum: 2. März 1961", "Geburtsdatum: [Geburtsdatum]", "birthdate"),
    ],
)
def test_each_kind_is_masked(text: str, expected: str, kind: str) -> None:
    masked, spans = mask_personal_data(text)
    assert masked == expected
    assert kind in {s.kind for s in spans}


@pytest.mark.parametrize(
    "text",
    [
        "Vorsitzender: Oberbürgermeister Dr. Frank Mentrup",
        "Stadträtin Frau Müller (CDU) fragt nach. Frau Stadträtin Meier antwortet.",
        "Lieber Herr Stadtrat Noé, Bürgermeisterin Dr. Anna Roth begrüßt die Anwesenden.",
        "Fr. Rother, Betrieb für Stadtgrün; Amt 13/Fr. Lotter",
        "Gammelshausen, den 16.09.2025\n\ngez. Kohl Bürgermeister",
        "gez. Nico Lauxmann\nBürgermeister",
        "Die Sanierung der Hauptstraße zwischen Kirchplatz und Josef-Will-Straße beginnt im Mai.",
        "östlich der Bundesstraße 3 gelegen; im Jahr 2024 nach Absatz 2 insgesamt 12 Anträge",
        "Die Satzung tritt am 01.01.2026 in Kraft; Geburtsdatum, Geburtsort und Anschrift werden erhoben.",
        "Kassenzeichen DE12 3456 7890 1234 5678 90 bitte angeben.",
    ],
)
def test_office_holders_streets_and_numbers_stay(text: str) -> None:
    assert mask_personal_data(text) == (text, [])


def test_iban_checksum() -> None:
    assert iban_is_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_is_valid("DE89 3704 0044 0532 0130 01")
    assert mask_personal_data("Konto DE89370400440532013001")[1] == []


def test_labelled_sample_is_well_formed() -> None:
    rows = [json.loads(line) for line in Path("tests/data/pii_sample.jsonl").read_text().splitlines()]
    assert len(rows) >= 40 and any(r["synthetic"] for r in rows) and any(not r["synthetic"] for r in rows)
    for row in rows:
        assert all(span["text"] in row["text"] for span in row["spans"]), row["id"]


class TestPersonalDataMasker:
    def test_round_trip(self) -> None:
        masker = PersonalDataMasker(levels=["public"], kinds=["name", "phone"])
        restored = component_from_dict(PersonalDataMasker, component_to_dict(masker, "masker"), "masker")
        assert restored.levels == ["public"] and restored.kinds == ["name", "phone"]

    def test_run_masks_chosen_levels_and_counts_in_meta(self) -> None:
        text = "Antrag von Frau Erika Muster, Tel. 0721 133-1234, Hauptstraße 12."
        docs = [
            Document(content=text, meta={"access": "public", "title": "Antrag Frau Erika Muster"}),
            Document(content=text, meta={"access": "internal"}),
        ]
        public, internal = PersonalDataMasker(levels=["public"]).run(documents=docs)["documents"]
        assert public.content == "Antrag von Frau [Name], Tel. [Telefon], [Adresse]."
        assert public.meta["title"] == "Antrag Frau [Name]"
        assert public.meta["personal_data_masked"] == 4
        assert public.meta["personal_data_kinds"] == {"name": 2, "phone": 1, "address": 1}
        assert internal.content == text and "personal_data_masked" not in internal.meta

    def test_unknown_kind_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Unknown kind"):
            PersonalDataMasker(kinds=["shoe size"])


def test_indexing_pipeline_masks_public_chunks_only(tmp_path: Path) -> None:
    """Pipeline wiring without the embedder (it loads a model): converter -> … -> masker -> splitter."""
    from pipelines.indexing import build_indexing_pipeline

    settings = load_settings(
        "test", data_dir=str(tmp_path / "data"), privacy={"mask_personal_data": ["public"]}
    )
    pipeline = build_indexing_pipeline(settings, document_store=None)  # type: ignore[arg-type]
    assert list(pipeline.graph.successors("guard")) == ["masker"]
    assert list(pipeline.graph.successors("masker")) == ["splitter"]
    text = "# Antrag\n\nFrau Erika Muster, Hauptstraße 12, beantragt eine Sondernutzung für ihr Café.\n"
    public, internal = tmp_path / "public.md", tmp_path / "internal.md"
    public.write_text(text)
    internal.write_text(text)
    sub = {
        name: pipeline.get_component(name) for name in ("converter", "cleaner", "guard", "masker", "splitter")
    }
    docs = sub["converter"].run(
        sources=[public, internal], meta=[{"access": "public"}, {"access": "internal"}]
    )["documents"]
    for name in ("cleaner", "guard", "masker", "splitter"):
        docs = sub[name].run(documents=docs)["documents"]
    by_level = {d.meta["access"]: d.content for d in docs}
    assert "Erika" not in by_level["public"] and "[Name]" in by_level["public"]
    assert "[Adresse]" in by_level["public"]
    assert "Frau Erika Muster, Hauptstraße 12" in by_level["internal"]


def test_files_whose_masking_changes_are_indexed_again(tmp_path: Path) -> None:
    """A relabel to public (or a changed privacy.mask_personal_data) re-indexes instead of relabelling."""
    from ingest.manifest import Manifest, Plan
    from ingest.runner import _index_stale_again
    from ingest.sources.folder import list_files
    from pipelines.indexing import indexing_fingerprint

    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_text(f"# {name}\n\nText.\n")
    files = {f.path.name: f for f in list_files(str(tmp_path), ["*.md"], [])}
    settings = load_settings(
        "test", data_dir=str(tmp_path / "data"), privacy={"mask_personal_data": ["public"]}
    )
    fingerprint = indexing_fingerprint(settings)
    manifest = Manifest(
        entries={
            f.source_id: {
                "source": f.source,
                "checksum": "c-" + n,
                "access": "internal",
                "masked": False,
                "indexed_with": fingerprint,
            }
            for n, f in files.items()
        }
    )
    manifest.entries[files["c.md"].source_id].update(access="public")  # indexed before masking existed
    plan = Plan(
        relabel=[(files["a.md"], "public"), (files["b.md"], "confidential")], unchanged=[files["c.md"]]
    )
    levels = {files["a.md"].source_id: "public", files["b.md"].source_id: "confidential"}
    levels[files["c.md"].source_id] = "public"
    _index_stale_again(settings, manifest, plan, levels)
    assert [(f.path.name, c) for f, c in plan.update] == [("a.md", "c-a.md"), ("c.md", "c-c.md")]
    assert [f.path.name for f, _ in plan.relabel] == ["b.md"] and plan.unchanged == []


def test_audit_question_and_feedback_comment_are_masked(tmp_path: Path) -> None:
    from ui.audit import AuditLog
    from ui.feedback import FeedbackStore

    settings = load_settings("test", data_dir=str(tmp_path))
    question = "Wann ist Herr Jonas Keller, Tel. 0171 2345678, wieder im Amt?"
    record = AuditLog.for_settings(settings).record("u", "staff", "cli", "ask", question, [])
    assert record["question"] == "Wann ist Herr [Name], Tel. [Telefon], wieder im Amt?"
    assert "Keller" not in (tmp_path / "audit").joinpath(f"{record['time'][:10]}.jsonl").read_text()
    stored = FeedbackStore.for_settings(settings).add(
        {"question": question, "content": "…"}, "wrong", "Bitte an j.keller@t-online.de"
    )
    assert stored["comment"] == "Bitte an [E-Mail]" and "Keller" not in stored["question"]
    plain = load_settings("test", data_dir=str(tmp_path / "plain"), privacy={"mask_logs": False})
    assert (
        AuditLog.for_settings(plain).record("u", "staff", "cli", "ask", question, [])["question"] == question
    )


def test_masking_is_opt_in() -> None:
    assert load_settings("test").privacy.mask_personal_data == []
