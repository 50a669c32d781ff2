"""ui.audit.AuditLog: pseudonymised users, one file per day, automatic expiry, export through the CLI."""

from __future__ import annotations

import datetime
import json
import stat
import threading
from pathlib import Path

from tests.ui.test_cli import auskunft
from ui.audit import AuditLog

NOW = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=datetime.UTC)


def test_users_are_pseudonymised_with_a_local_secret(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    record = log.record(
        "m.mueller", "staff", "ui", "ask", "Hundesteuer?", ["/a.md", "/b.md", "/a.md"], False, NOW
    )
    assert record["user"] == log.pseudonym("m.mueller") and len(record["user"]) == 16
    assert record["user"] != log.pseudonym("k.schmidt") and "mueller" not in json.dumps(record)
    assert record["documents"] == ["/a.md", "/b.md"]
    secret = tmp_path / "audit" / ".secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    other = AuditLog(tmp_path / "elsewhere")  # another installation: another secret, other pseudonyms
    assert other.pseudonym("m.mueller") != record["user"]
    line = (tmp_path / "audit" / "2026-03-10.jsonl").read_text(encoding="utf-8")
    assert json.loads(line) == record


def test_requests_arriving_together_on_a_fresh_data_dir_share_one_secret(tmp_path: Path) -> None:
    """Regression (found while writing benchmarks/load.py): the first concurrent API requests each created
    the secret; the losers failed (FileExistsError, record lost) or read the still-empty file (pseudonym of
    an empty key)."""

    def first_request(folder: Path, start: threading.Barrier, pseudonyms: list[str]) -> None:
        log = AuditLog(folder)
        start.wait()
        pseudonyms.append(log.record("m.mueller", "staff", "api", "search", "q", [], now=NOW)["user"])

    for attempt in range(20):
        folder = tmp_path / f"audit-{attempt}"
        start = threading.Barrier(8)
        pseudonyms: list[str] = []
        threads = [threading.Thread(target=first_request, args=(folder, start, pseudonyms)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        kept = AuditLog(folder).pseudonym("m.mueller")
        assert pseudonyms == [kept] * 8
        assert len((folder / ".secret").read_bytes()) == 32
        # no temporary file left behind
        assert sorted(p.name for p in folder.iterdir()) == [".secret", "2026-03-10.jsonl"]
        assert len(AuditLog(folder).records()) == 8


def test_old_days_expire(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit", retention_days=30)
    for days_ago in (45, 31, 30, 1):
        log.record("u", "desk", "cli", "search", "q", [], now=NOW - datetime.timedelta(days=days_ago))
    days = lambda: [p.stem for p in sorted((tmp_path / "audit").glob("*.jsonl"))]  # noqa: E731
    # writing expires: the 45 days old file went when a record of 2026-03-09 was written
    assert days() == ["2026-02-07", "2026-02-08", "2026-03-09"]
    assert log.expire(NOW.date()) == 1  # the nightly run on 2026-03-10: older than 30 days
    assert days() == ["2026-02-08", "2026-03-09"]
    assert len(log.records()) == 2 and len(log.records(since=datetime.date(2026, 3, 1))) == 1


def test_disabled_log_writes_nothing(tmp_path: Path) -> None:
    AuditLog(tmp_path / "audit", enabled=False).record("u", "staff", "cli", "ask", "q", [], now=NOW)
    assert not list((tmp_path / "audit").glob("*.jsonl"))


def test_export_and_pseudonym_commands(hermetic_env: Path, tmp_path: Path) -> None:
    log = AuditLog(hermetic_env / "audit", retention_days=100000)
    log.record("m.mueller", "staff", "ui", "ask", "Hundesteuer?", ["/a.md"], False, NOW)
    log.record("k.schmidt", "desk", "ui", "ask", "Grillen?", [], True, NOW + datetime.timedelta(days=2))
    out = tmp_path / "audit.jsonl"
    result = auskunft(
        "audit", "export", str(out), "--until", "2026-03-11", env={"AUSKUNFT_AUDIT__RETENTION_DAYS": "100000"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 audit records written")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in records] == ["Hundesteuer?"]
    pseudonym = auskunft("audit", "pseudonym", "m.mueller")
    assert pseudonym.stdout.strip() == records[0]["user"]
    wrong = auskunft("audit", "export", str(out), "--since", "gestern")
    assert wrong.returncode == 1 and wrong.stderr.strip() == (
        "Error: --since must be a date like 2026-01-31, not 'gestern'."
    )
