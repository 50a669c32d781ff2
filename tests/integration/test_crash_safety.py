"""Kill a real `auskunft reindex` at different moments: the index stays consistent, and searches from
another process keep working while it runs (the embedded Qdrant admits one process per folder)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.manifest import Manifest
from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

FIRST = ["KON_Satzung_Verpackungssteuer.md", "KON_Satzung_Grillplaetze.md"]
LATER = [
    "KON_Satzung_Hundesteuer.md",
    "KON_Satzung_Friedhofsordnung.md",
    "KON_Satzung_Bestattungsgebuehren.md",
    "KON_Satzung_Baumschutz.md",
    "KON_Satzung_Parkgebuehren.md",
]


def cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def index_contents(data_dir: Path) -> tuple[Manifest, Counter[tuple[str, int]]]:
    """The live manifest and every chunk's (source_id, split_id) in the live index."""
    settings = load_settings("test", data_dir=data_dir)
    index = EmbeddedIndex(settings.index_dir)
    manifest = Manifest.from_dict(index.manifest())
    snapshot = index.snapshot()
    store = create_document_store(settings, path=snapshot.path)
    try:
        chunks = Counter((d.meta["source_id"], d.meta["split_id"]) for d in store.filter_documents())
    finally:
        close_document_store(store)
        snapshot.close()
    return manifest, chunks


def assert_consistent(data_dir: Path) -> Manifest:
    manifest, chunks = index_contents(data_dir)
    assert all(n == 1 for n in chunks.values()), "duplicate chunks"
    per_source = Counter(sid for sid, _ in chunks)
    assert per_source == Counter({sid: e["chunks"] for sid, e in manifest.entries.items()}), (
        "index and manifest disagree: orphaned or half-written documents"
    )
    return manifest


@pytest.mark.parametrize("kill_after", [0.0, 4.0, 12.0])
def test_killed_reindex_leaves_a_consistent_index(
    tmp_path: Path, hermetic_env: Path, kill_after: float
) -> None:
    folder = tmp_path / "ortsrecht"
    folder.mkdir()
    for name in FIRST:
        shutil.copy(CORPUS / "konstanz" / name, folder)
    first = cli("ingest", str(folder), "--json")
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    before = assert_consistent(hermetic_env)
    assert len(before.entries) == 2

    for name in LATER:
        shutil.copy(CORPUS / "konstanz" / name, folder)
    index_dir = hermetic_env / "index"
    live = (index_dir / "CURRENT").read_text()
    run = cli("reindex", "--json")
    deadline = time.monotonic() + 120
    while not any(p.name != live for p in index_dir.glob("gen-*")):  # the writer has started a generation
        assert run.poll() is None and time.monotonic() < deadline, "reindex ended before it could be killed"
        time.sleep(0.05)
    # another process searches while the reindex writes (and while it is killed)
    search = cli("search", "Einwegbesteck", "--top-k", "1", "--json")
    time.sleep(kill_after)
    if run.poll() is None:
        os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    if kill_after == 0.0:
        assert run.returncode == -signal.SIGKILL, "the first case must really kill a running reindex"
    out, err = search.communicate(timeout=300)
    assert search.returncode == 0, err
    assert json.loads(out)[0]["source"].endswith("KON_Satzung_Verpackungssteuer.md")

    after_kill = assert_consistent(hermetic_env)
    assert set(after_kill.entries) in (
        set(before.entries),
        {str((folder / n).resolve()) for n in FIRST + LATER},
    )

    again = cli("reindex", "--json")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    final = assert_consistent(hermetic_env)
    assert {Path(s).name for s in final.entries} == set(FIRST + LATER)
    assert len(list(index_dir.glob("gen-*"))) == 1, "leftover generations"
