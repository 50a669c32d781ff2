"""pipelines.stores.EmbeddedIndex: generations, atomic CURRENT switch and hard-linked reader snapshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.stores import EmbeddedIndex


@pytest.fixture
def index(tmp_path: Path) -> EmbeddedIndex:
    return EmbeddedIndex(tmp_path / "index")


def _write_generation(index: EmbeddedIndex, text: str, manifest: dict | None = None) -> str:  # type: ignore[type-arg]
    name, path = index.begin()
    (path / "collection").mkdir(exist_ok=True)
    (path / "collection" / "points.bin").write_text(text)
    index.commit(name, manifest or {"entries": {"a": text}})
    return name


def _generations(index: EmbeddedIndex) -> list[str]:
    return sorted(p.name for p in index.index_dir.glob("gen-*"))


def test_empty_index(index: EmbeddedIndex) -> None:
    assert index.current() is None
    assert index.manifest() == {}
    snapshot = index.snapshot()
    assert snapshot.generation is None
    assert list(snapshot.path.iterdir()) == []


def test_commit_switches_current_and_removes_older_generations(index: EmbeddedIndex) -> None:
    first = _write_generation(index, "v1")
    assert first == "gen-000001"
    assert index.current() == first
    assert index.manifest() == {"entries": {"a": "v1"}}

    name, path = index.begin()
    assert name == "gen-000002"
    assert (path / "collection" / "points.bin").read_text() == "v1"  # starts as a copy of the live one
    assert index.current() == first  # not visible before commit
    index.commit(name, {"entries": {"a": "v2"}})
    assert (index.index_dir / "CURRENT").read_text() == name
    assert index.manifest() == {"entries": {"a": "v2"}}
    assert _generations(index) == [name]
    assert not list(index.index_dir.glob(".*.tmp"))  # no leftovers of the atomic write


def test_discarded_generation_is_never_visible(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    name, path = index.begin()
    (path / "collection" / "points.bin").write_text("half written")
    index.discard(name)
    assert index.current() == live
    assert _generations(index) == [live]
    snapshot = index.snapshot()
    assert (snapshot.path / "collection" / "points.bin").read_text() == "v1"


def test_uncommitted_generation_of_a_crashed_writer_is_ignored_and_cleaned(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    _, path = index.begin()
    (path / "collection" / "points.bin").write_text("crashed mid-way")
    reopened = EmbeddedIndex(index.index_dir)  # a new process
    assert reopened.current() == live
    assert (reopened.snapshot().path / "collection" / "points.bin").read_text() == "v1"
    _, fresh = reopened.begin()
    assert (fresh / "collection" / "points.bin").read_text() == "v1"  # restarted from the live generation


def test_current_pointing_at_a_missing_folder_counts_as_empty(index: EmbeddedIndex) -> None:
    index.index_dir.mkdir(parents=True)
    (index.index_dir / "CURRENT").write_text("gen-000009")
    assert index.current() is None


def test_snapshot_is_hard_linked_and_survives_later_commits(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    snapshot = index.snapshot()
    assert snapshot.generation == live
    seen = snapshot.path / "collection" / "points.bin"
    assert os.path.samefile(seen, index.index_dir / live / "collection" / "points.bin")
    assert not (snapshot.path / "manifest.json").exists()

    _write_generation(index, "v2")
    assert not (index.index_dir / live).exists()
    assert seen.read_text() == "v1"  # the reader keeps its view
    assert (index.snapshot().path / "collection" / "points.bin").read_text() == "v2"

    snapshot.close()
    assert not snapshot.path.exists()


def test_snapshot_taken_while_a_writer_commits_holds_one_whole_generation(
    index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a writer committing while a reader hard-linked the live generation removed it under the
    reader (the reader's search failed, or it kept a partial copy until the next commit); now the new live
    generation is linked instead."""
    _write_generation(index, "v1")
    (index.index_dir / "gen-000001" / "collection" / "segment.bin").write_text("v1")
    link = os.link
    commits: list[str] = []

    def link_while_a_writer_commits(src: str, dst: str) -> None:
        if not commits:  # the writer commits after the reader's first link: gen-000001 goes
            commits.append(_write_generation(index, "v2"))
        link(src, dst)

    monkeypatch.setattr(os, "link", link_while_a_writer_commits)
    snapshot = index.snapshot()
    assert snapshot.generation == commits[0] == index.current()
    assert sorted(p.name for p in (snapshot.path / "collection").iterdir()) == ["points.bin", "segment.bin"]
    assert (snapshot.path / "collection" / "points.bin").read_text() == "v2"
    assert [p.name for p in index.readers_dir.iterdir()] == [snapshot.path.name]  # the partial one is gone


def test_manifest_read_while_a_writer_commits_is_the_new_live_one(
    index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a reader that named the live generation just before a writer committed and removed it read
    an empty manifest (/documents and /health showed no documents for a moment)."""
    old = _write_generation(index, "v1")
    _write_generation(index, "v2")  # removes the old one
    stale = iter([old])  # what the reader saw in CURRENT just before the commit
    real_current = EmbeddedIndex.current
    monkeypatch.setattr(index, "current", lambda: next(stale, None) or real_current(index))
    assert index.manifest() == {"entries": {"a": "v2"}}
    assert index.manifest(old) == {}  # a generation asked for by name: gone is gone


def test_snapshot_removes_folders_of_dead_readers(index: EmbeddedIndex) -> None:
    _write_generation(index, "v1")
    dead = index.readers_dir / "999999999-deadbeef"
    dead.mkdir(parents=True)
    mine = index.snapshot()
    assert not dead.exists()
    assert mine.path.name.startswith(f"{os.getpid()}-")


def test_only_one_writer(tmp_path: Path) -> None:
    from config.settings import load_settings
    from ingest.runner import IndexBusyError, writer_lock

    settings = load_settings("test", data_dir=tmp_path / "data")
    lock = writer_lock(settings)
    try:
        with pytest.raises(IndexBusyError, match="Another ingest or reindex is running"):
            writer_lock(settings)
    finally:
        lock.release()
    writer_lock(settings).release()  # free again once the first writer is done
