"""Hostile files fed to a real `auskunft ingest` and `auskunft reindex` (subprocesses, real models): each one
is a line in `failed` with its reason, every other file is indexed, the run exits 3 and nothing hangs.

As root (CI), the runs are made as the user nobody (setpriv), so that a mode-000 file is really unreadable.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from config.settings import load_settings
from tests.conftest import CORPUS, MODELS_DIR, REPO

pytestmark = pytest.mark.integration

NOBODY = 65534
GOOD = ["KON_Satzung_Grillplaetze.md", "KON_Satzung_Hundesteuer.md"]


def docx_bomb(path: Path, paragraphs: int = 5_200_000) -> None:
    """The issue's DOCX: millions of empty paragraphs, ~46 KB on disk (1.1 GB and 260 s CPU when parsed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b"<w:body>" + b"<w:p/>" * paragraphs + b"</w:body></w:document>",
        )


def package(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder outside pytest's (mode 700) temp dir, so that the user nobody can reach it."""
    base = Path(tempfile.mkdtemp(prefix="auskunft-hostile-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def hostile_folder(base: Path) -> Path:
    folder = base / "eingang"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(CORPUS / "konstanz" / name, folder / name)
    secret = folder / "wlan-passwort.txt"
    secret.write_text("Das WLAN-Passwort des Rathauses lautet Sonnenblume-4711.\n", encoding="utf-8")
    secret.chmod(0)  # unreadable
    (folder / "etc").symlink_to("/etc")  # a folder outside
    (folder / "passwd.txt").symlink_to("/etc/passwd")  # a file outside
    (folder / "schleife-a.md").symlink_to(folder / "schleife-b.md")  # a loop
    (folder / "schleife-b.md").symlink_to(folder / "schleife-a.md")
    os.mkfifo(folder / "rohr.txt")  # a FIFO: reading it would block forever
    if os.geteuid() == 0:
        os.mknod(folder / "geraet.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # a device (/dev/null)
    (folder / "zeile\nzwei.md").write_text("# Zwei Zeilen im Namen\n\nText.", encoding="utf-8")
    (folder / "rechnung\u202efdp.md").write_text("# Rechts-nach-links\n\nText.", encoding="utf-8")
    docx_bomb(folder / "bombe.docx")
    package(
        folder / "tabelle.docx", {"xl/worksheets/sheet1.xml": b"<w><d>" + b"<c/>" * 3_000_000 + b"</d></w>"}
    )
    package(folder / "text.docx", {"content.xml": b"<o>" + b"<p/>" * 3_000_000 + b"</o>"})  # an ODT inside
    writer = pypdf.PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(595, 842)
    with (folder / "leer-2000-seiten.pdf").open("wb") as f:
        writer.write(f)
    for path in folder.iterdir():
        if not path.is_symlink() and path != secret and path.is_file():
            path.chmod(0o644)
    folder.chmod(0o755)
    return folder


def auskunft(base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    as_nobody = (
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUSKUNFT_")}
    env |= {
        "AUSKUNFT_DATA_DIR": str(base / "data"),
        "AUSKUNFT_MODELS_DIR": str(MODELS_DIR),
        "AUSKUNFT_PROFILE": "test",
        "HOME": str(base / "home"),
        "PYTHONPATH": str(REPO),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [*as_nobody, sys.executable, "-m", "ui.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def test_every_hostile_file_is_a_line_in_failed_and_the_rest_is_indexed(place: Path) -> None:
    folder = hostile_folder(place)
    for own in ("data", "home"):
        (place / own).mkdir()
        if os.geteuid() == 0:
            os.chown(place / own, NOBODY, NOBODY)
    data = place / "data"

    run = auskunft(place, "ingest", str(folder), str(data), "--json")
    assert run.returncode == 3, run.stderr[-3000:]  # finished, some files failed
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    print("ingest of the hostile folder:", report["seconds"], "s")
    failed = {Path(item["source"]).name: item["reason"] for item in report["failed"]}
    assert sorted(Path(s).name for s in report["added"]) == GOOD
    assert "permission denied" in failed["wlan-passwort.txt"]
    assert "outside the source folder" in failed["etc"] and "not followed" in failed["etc"]
    assert "outside the source folder" in failed["passwd.txt"]
    assert "loop" in failed["schleife-a.md"] and "loop" in failed["schleife-b.md"]
    assert "FIFO" in failed["rohr.txt"]
    if os.geteuid() == 0:
        assert "device" in failed["geraet.txt"]
    assert "control or text-direction" in failed["zeile\\nzwei.md"]
    assert "control or text-direction" in failed["rechnung\\u202efdp.md"]
    assert "max_xml_elements" in failed["bombe.docx"]
    assert "max_xml_elements" in failed["tabelle.docx"] and "max_xml_elements" in failed["text.docx"]
    assert (
        "2000 pages" in failed["leer-2000-seiten.pdf"] and "max_ocr_pages" in failed["leer-2000-seiten.pdf"]
    )
    assert "data directory" in failed["data"]
    # the CLI's text output keeps one line per failure (no newline or direction override from a name)
    text = auskunft(place, "ingest", str(folder))
    assert text.returncode == 3
    lines = [line for line in text.stderr.splitlines() if line.startswith("  failed: ")]
    assert len(lines) == len(report["failed"]) - 1 and "\u202e" not in text.stderr  # without the data dir

    # nothing of the unreadable file or of /etc is in the index
    search = auskunft(place, "search", "WLAN-Passwort Rathaus root nologin", "--role", "desk", "--json")
    hits = json.loads(search.stdout) if search.returncode == 0 else []
    assert all(Path(h["source"]).name in GOOD for h in hits), hits

    again = auskunft(place, "reindex", "--json")
    assert again.returncode == 3, again.stderr[-3000:]
    report = json.loads(again.stdout)
    print("reindex of the hostile folder:", report["seconds"], "s")
    assert sorted(Path(s).name for s in report["unchanged"]) == GOOD
    assert report["added"] == [] and report["deleted"] == []
    failed_again = {Path(item["source"]).name for item in report["failed"]}
    assert {
        "wlan-passwort.txt",
        "etc",
        "passwd.txt",
        "rohr.txt",
        "bombe.docx",
        "leer-2000-seiten.pdf",
    } <= failed_again


def test_a_file_that_vanishes_mid_run_is_failed_and_the_rest_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: the file is deleted after the folder was listed, before it is read."""
    import ingest.runner as runner

    folder = tmp_path / "eingang"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(CORPUS / "konstanz" / name, folder / name)
    listed = runner.list_files

    def list_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        files = listed(*args, **kwargs)
        (folder / GOOD[0]).unlink()
        return files

    monkeypatch.setattr(runner, "list_files", list_then_delete)
    report = runner.ingest(load_settings("test"), [str(folder)])
    assert [Path(s).name for s in report.added] == GOOD[1:]
    [item] = report.failed
    assert Path(item["source"]).name == GOOD[0] and "vanished" in item["reason"]


def test_failed_uploads_are_removed_and_the_data_dir_is_never_a_source(hermetic_env: Path) -> None:
    from ingest.forget import owned_copy
    from ingest.runner import ingest
    from ui import admin

    settings = load_settings("test")
    report = admin.ingest_uploads(
        settings, [("leer.md", b"   \n\n"), ("gut.md", b"# Satzung\n\nDie Gebuehr betraegt 5 Euro.")]
    )
    [item] = report.failed
    assert item["source"].endswith("leer.md") and item["reason"].endswith("the upload was removed")
    assert sorted(p.name for p in admin.uploads_dir(settings).iterdir()) == ["gut.md"]

    users = hermetic_env / "users.json"
    users.write_text('{"users": {}}', encoding="utf-8")
    for path in (users, hermetic_env, hermetic_env / "reports"):
        result = ingest(settings, [str(path)])
        assert [f["source"] for f in result.failed] == [str(path)], result.failed
        assert "data directory" in result.failed[0]["reason"]
    # forget deletes only the copies Auskunft made: uploads and the OParl mirror, never its own state
    assert owned_copy(settings, str(admin.uploads_dir(settings) / "gut.md"))
    assert owned_copy(settings, str(hermetic_env / "mirror" / "ris" / "files" / "1.pdf"))
    assert not owned_copy(settings, str(users)) and not owned_copy(settings, "/srv/akten/a.pdf")
