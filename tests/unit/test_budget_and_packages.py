"""Per-file budgets (pipelines.budget), ZIP/XML caps for Office packages (pipelines.packages) and the
folder walk's refusals (ingest.sources.folder): each hostile case gives a reason, nothing hangs or crashes."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from ingest.sources.folder import list_files, shown, unsafe_name
from pipelines.budget import BudgetExceeded, ChildFailure, run_within_budget
from pipelines.packages import package_refusal


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _fail() -> None:
    raise KeyError("kaputt")


def _spawn_and_sleep() -> None:
    import subprocess

    subprocess.run(["sleep", "67.25"], check=False)


def test_budget_returns_results_and_stops_what_runs_too_long() -> None:
    assert run_within_budget(_sleep, (0,), seconds=30, memory_mb=256) == "done"
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="max_seconds_per_file"):
        run_within_budget(_sleep, (60,), seconds=1, memory_mb=256)
    assert time.monotonic() - started < 30  # stopped, not waited for (a loose bound, not a timing test)


def test_budget_stops_the_helpers_a_conversion_started() -> None:
    """tesseract runs as a child of the converter: stopped with it (the whole process group)."""
    with pytest.raises(BudgetExceeded):
        run_within_budget(_spawn_and_sleep, (), seconds=1, memory_mb=256)
    leftover = os.popen("pgrep -f '^sleep 67.25$'").read().split()
    assert not leftover, leftover


def test_budget_refuses_more_memory_than_allowed() -> None:
    assert run_within_budget(_allocate, (16,), seconds=30, memory_mb=256) == 16 * 1024 * 1024
    with pytest.raises(BudgetExceeded, match="max_memory_mb_per_file"):
        run_within_budget(_allocate, (1024,), seconds=30, memory_mb=256)


def _open_locks() -> list[str]:
    names = os.listdir("/proc/self/fd")
    return [t for n in names if (t := os.path.realpath(f"/proc/self/fd/{n}")).endswith(".lock")]


def test_the_child_holds_no_lock_of_the_parent(tmp_path: Path) -> None:
    """A child outliving a killed re-index must not keep the writer lock (flock belongs to the open file)."""
    import portalocker

    with portalocker.Lock(str(tmp_path / "writer.lock"), timeout=0):
        assert str(tmp_path / "writer.lock") in _open_locks()
        assert run_within_budget(_open_locks, (), seconds=30, memory_mb=256) == []


def test_budget_hands_back_the_childs_error() -> None:
    with pytest.raises(ChildFailure) as info:
        run_within_budget(_fail, (), seconds=30, memory_mb=256)
    assert info.value.kind == "KeyError" and "kaputt" in str(info.value) and not info.value.conversion


def _package(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, data in members.items():
            package.writestr(name, data)
    buffer.seek(0)
    return buffer


DOCX = {
    "[Content_Types].xml": b"<Types/>",
    "word/document.xml": b"<w:document xmlns:w='w'><w:p/></w:document>",
}


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        (DOCX, None),
        (  # DOCX: 5 million empty paragraphs in 30 KB
            {
                "word/document.xml": b"<w:document xmlns:w='w'><w:body>"
                + b"<w:p/>" * 5_000_000
                + b"</w:body></w:document>"
            },
            "max_xml_elements",
        ),
        (  # ODT: the same in content.xml
            {
                "mimetype": b"application/vnd.oasis.opendocument.text",
                "content.xml": b"<o>" + b"<p/>" * 3_000_000 + b"</o>",
            },
            "max_xml_elements",
        ),
        (  # XLSX: millions of cells
            {
                "xl/worksheets/sheet1.xml": b"<worksheet><sheetData>"
                + b"<c/>" * 3_000_000
                + b"</sheetData></worksheet>"
            },
            "max_xml_elements",
        ),
        (  # billion laughs: entities need a DTD, which Office XML never has
            {
                "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>'
            },
            "DTD",
        ),
        ({"word/document.xml": bytes(600 * 1024 * 1024)}, "max_unpacked_mb"),  # ZIP bomb: 600 MB of zeros
        ({"word/document.xml": b"<d/>", "../../etc/x.xml": b"<x/>"}, "outside itself"),
        ({"word/document.xml": b"<d><unclosed></d>"}, "not well-formed"),
    ],
    ids=[
        "docx",
        "docx-elements",
        "odt-elements",
        "xlsx-elements",
        "entities",
        "zip-bomb",
        "traversal",
        "broken",
    ],
)
def test_office_packages_are_checked_before_any_parser(members: dict[str, bytes], reason: str | None) -> None:
    found = package_refusal(_package(members), max_unpacked_mb=500, max_xml_elements=2_000_000)
    assert (found is None) if reason is None else (reason in (found or "")), found
    assert package_refusal(io.BytesIO(b"PK\x03\x04 kaputt"), 500, 100) is not None


def test_folder_walk_reports_what_it_does_not_follow(tmp_path: Path) -> None:
    root = tmp_path / "quelle"
    (root / "unter").mkdir(parents=True)
    (root / "gut.md").write_text("# Gut")
    (root / "unter" / "auch.md").write_text("# Auch")
    (root / "etc").symlink_to("/etc")  # a folder outside
    (root / "passwort.txt").symlink_to("/etc/passwd")  # a file outside
    (root / "a.md").symlink_to(root / "b.md")  # a loop
    (root / "b.md").symlink_to(root / "a.md")
    (root / "weg.md").symlink_to(tmp_path / "gibtsnicht.md")  # dangling
    (root / "intern.md").symlink_to(root / "gut.md")  # within the folder: silently not followed
    os.mkfifo(root / "rohr.txt")
    (root / "zeile\nzwei.md").write_text("# Name mit Zeilenumbruch")
    (root / "rechnung\u202etxt.md").write_text("# Rechts-nach-links")
    data_dir = root / "daten"
    data_dir.mkdir()
    (data_dir / "users.md").write_text("# Auskunft's state")
    problems: list[dict[str, str]] = []
    files = list_files(str(root), ["*.md", "*.txt"], [".*"], problems, never=[data_dir])
    assert [f.path.name for f in files] == ["gut.md", "auch.md"]
    reasons = {Path(p["source"]).name: p["reason"] for p in problems}
    assert "outside the source folder" in reasons["etc"] and "not followed" in reasons["etc"]
    assert "outside the source folder" in reasons["passwort.txt"]
    assert "loop" in reasons["a.md"] and "loop" in reasons["b.md"]
    assert "target is missing" in reasons["weg.md"]
    assert "FIFO" in reasons["rohr.txt"]
    assert "data directory" in reasons["daten"]
    assert "control or text-direction" in reasons["zeile\\nzwei.md"]
    assert "control or text-direction" in reasons["rechnung\\u202etxt.md"]
    assert all("\n" not in p["source"] and "\u202e" not in p["source"] for p in problems)
    assert "intern.md" not in reasons
    assert unsafe_name("a\tb") and not unsafe_name("Gebührensatzung 2024 (neu).pdf")
    assert shown("a\nb\u202ec") == "a\\nb\\u202ec"
