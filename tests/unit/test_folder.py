"""ingest.sources.folder.list_files: include/exclude patterns, stable ids, checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.sources.folder import list_files


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "docs"
    for rel in (
        "a.md",
        "sub/b.pdf",
        "SOURCES.md",
        ".hidden/c.md",
        "_entwurf.md",
        "sub/_alt/d.md",
        "e.xyz",
        "sub/.f.txt",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel, encoding="utf-8")
    return root


def test_default_patterns(docs: Path) -> None:
    indexing = load_settings("test").indexing
    files = list_files("docs", indexing.include, indexing.exclude)
    assert [f.source for f in files] == [
        "docs/a.md",
        "docs/sub/b.pdf",
    ]  # sorted; SOURCES.md, .*, _* and *.xyz left out
    first = files[0]
    assert first.source_id == str((docs / "a.md").resolve())
    assert first.root == str(docs.resolve())
    assert first.checksum() == hashlib.sha256(b"a.md").hexdigest()


def test_custom_patterns(docs: Path) -> None:
    files = list_files("docs", include=["*.md", "*.xyz"], exclude=["sub"])
    assert [f.source for f in files] == [
        "docs/.hidden/c.md",
        "docs/SOURCES.md",
        "docs/_entwurf.md",
        "docs/a.md",
        "docs/e.xyz",
    ]


def test_single_file_is_taken_as_given(docs: Path) -> None:
    [file] = list_files("docs/e.xyz", include=["*.md"], exclude=["*.xyz"])
    assert file.source == "docs/e.xyz"
    assert file.source_id == file.root == str((docs / "e.xyz").resolve())
