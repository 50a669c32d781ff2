"""The `auskunft` command as a user runs it: a real subprocess, real models, JSON contracts and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS

pytestmark = pytest.mark.ui


def auskunft(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_help_documents_every_command() -> None:
    result = auskunft("--help")
    assert result.returncode == 0
    for command in ("ingest", "search", "ask", "ui", "setup", "status"):
        assert command in result.stdout


def test_ingest_json_contract_and_failures(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md", folder)
    (folder / "zufall.pdf").write_bytes(os.urandom(2048))
    (folder / "SOURCES.md").write_text("Not to be indexed", encoding="utf-8")
    result = auskunft("ingest", str(folder), str(tmp_path / "fehlt.pdf"), "--json")
    # exit 3: the run completed but some files failed (like reindex); the report still says which
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"added", "updated", "unchanged", "deleted", "failed"}
    assert report["added"] == [str(folder / "KON_Satzung_Grillplaetze.md")]
    failed = {Path(f["source"]).name: f["reason"] for f in report["failed"]}
    assert set(failed) == {"zufall.pdf", "fehlt.pdf"}
    assert all(reason for reason in failed.values())

    again = json.loads(auskunft("ingest", str(folder), "--json").stdout)
    assert again["unchanged"] == [str(folder / "KON_Satzung_Grillplaetze.md")] and again["added"] == []


def test_search_json_contract(konstanz_index: Path) -> None:
    result = auskunft(
        "search",
        "Wie hoch ist die Hundesteuer für einen Kampfhund?",
        "--top-k",
        "3",
        "--json",
        env={"AUSKUNFT_DATA_DIR": str(konstanz_index)},
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert set(hits[0]) >= {"source", "title", "page", "score", "text"}
    assert hits[0]["source"].endswith("KON_Satzung_Hundesteuer.md")
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


@pytest.mark.slow
def test_ask_json_contract(konstanz_index: Path) -> None:
    result = auskunft(
        "ask",
        "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?",
        "--json",
        "--why",
        env={"AUSKUNFT_DATA_DIR": str(konstanz_index)},
    )
    assert result.returncode == 0, result.stderr
    assert "why: model reply: " in result.stderr  # --why goes to stderr; stdout stays one JSON document
    answer = json.loads(result.stdout)
    assert set(answer) >= {"answer", "citations", "refused"}
    assert "0,20" in answer["answer"] and answer["refused"] is False
    assert answer["generated"] is not answer["answer"].startswith("Die Dokumente sagen dazu")
    assert any(c["source"].endswith("KON_Satzung_Verpackungssteuer.md") for c in answer["citations"])
    assert all(set(c) >= {"source", "title", "page", "quote"} for c in answer["citations"])


def test_ask_why_says_why_a_question_was_refused(konstanz_index: Path) -> None:
    env = {"AUSKUNFT_DATA_DIR": str(konstanz_index)}
    result = auskunft("ask", "Wann hat die Turnhalle am Wochenende geöffnet?", "--why", env=env)
    assert result.returncode == 0, result.stderr
    assert "Dazu enthalten die Dokumente keine Angabe." in result.stdout
    assert "why: refused: no chunk is close enough" in result.stderr, result.stderr
    assert "KI-generierte Antwort" not in result.stdout  # no model wrote it
    assert "why:" not in auskunft("ask", "Wann hat die Turnhalle am Wochenende geöffnet?", env=env).stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("search", "Hundesteuer"), {}, "auskunft ingest"),
        (("search", "Hundesteuer"), {"AUSKUNFT_PROFILE": "nosuch"}, "Unknown settings profile"),
        (("search", "Hundesteuer"), {"AUSKUNFT_RETRIEVAL__TOP_K": "viele"}, "retrieval.top_k"),
        (("ask", "Hundesteuer"), {"AUSKUNFT_GENERATOR__GGUF_PATH": "/nirgends/model.gguf"}, None),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    args: tuple[str, ...], env: dict[str, str], expected: str | None
) -> None:
    result = auskunft(*args, env=env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    if expected:
        assert expected in lines[0]


def test_eval_reports_retrieval_figures_per_case(konstanz_index: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    rows = [
        {  # the right statute, and the amount stands in a top-5 chunk
            "id": "kampfhund",
            "question": "Wie viel Hundesteuer kostet in Konstanz ein Kampfhund im Jahr?",
            "expected_sources": ["KON_Satzung_Hundesteuer.md"],
            "answer_contains": ["900,00"],
            "answerable": True,
        },
        {  # expected from a file that is not indexed: a miss, not a hit
            "id": "miss",
            "question": "Wie viel Hundesteuer kostet in Konstanz ein Kampfhund im Jahr?",
            "expected_sources": ["KON_Satzung_Gibtesnicht.md"],
            "answer_contains": ["999,99"],
            "answerable": True,
        },
        {"id": "silent", "question": "Was kostet ein Reisepass?", "answerable": False},
    ]
    cases.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = auskunft(
        "eval", str(cases), "--retrieval-only", "--json", env={"AUSKUNFT_DATA_DIR": str(konstanz_index)}
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_id = {c["id"]: c for c in report["cases"]}
    assert by_id["kampfhund"]["rank"] is not None and by_id["kampfhund"]["answer_in_top_k"] is True
    assert by_id["miss"]["rank"] is None and by_id["miss"]["answer_in_top_k"] is False
    assert by_id["silent"]["answer_in_top_k"] is None
    assert report["totals"]["hit@5"] == 0.5 and report["totals"]["answer_in_top5"] == 0.5
    assert report["totals"]["answer_correctness"] is None  # --retrieval-only: no answers judged


def test_sigterm_to_auskunft_ui_stops_the_streamlit_child(tmp_path: Path) -> None:
    """systemd and docker stop a service with SIGTERM to its main process only: Streamlit must not be left
    listening. The first start also prints the admin password (default sign-in)."""
    import signal
    import socket
    import time

    import httpx
    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = tmp_path / "ui.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "ui", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        children = psutil.Process(process.pid).children(recursive=True)
        assert children
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, alive
        with pytest.raises(httpx.TransportError):
            httpx.get(health, timeout=2)
        assert "First start: sign in as admin with the password" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
