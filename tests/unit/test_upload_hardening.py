"""Uploads in the page: path traversal, archives and archive bombs, fake types, oversized files and HTML with
scripts are rejected with a reason; the other files of the same upload are saved (ui.admin)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from config.settings import load_settings
from ui.admin import content_rejection, rejection, save_uploads

SETTINGS = load_settings("test")


def docx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


WORD = docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1.1 GB of zeros compressed to about 1 MB: more than 10 x max_file_mb (100 MB) once unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("word/document.xml", b"<w:document/>")
        with package.open("word/media/zero.bin", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(1100):
                member.write(block)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("satzung.pdf", b"%PDF-1.7\n...", None),
        ("satzung.pdf", b"<html>not a pdf</html>", "not a PDF"),
        ("satzung.pdf", docx({"a.txt": b"x"}), "zip archive"),
        ("protokoll.txt", b"\x1f\x8b\x08\x00gzipped", "gzip archive"),
        ("protokoll.md", b"x" * 257 + b"ustar" + b"\0" * 100, "tar archive"),
        ("tabelle.txt", b"text\x00\x01\x02binary", "binary content"),
        ("brief.docx", WORD, None),
        ("brief.docx", b"%PDF-1.7", "not a Word document"),
        ("brief.docx", docx({"content.xml": b"<odt/>"}), "no word/document.xml"),
        ("brief.docx", docx({"word/document.xml": b"x", "../../etc/cron.d/x": b"x"}), "outside itself"),
        ("seite.html", b"<html><body><h1>Satzung</h1><p>Text</p></body></html>", None),
        ("seite.html", b"<html><script>fetch('https://x.example')</script></html>", "HTML with scripts"),
        ("seite.htm", b'<a href="javascript:alert(1)">x</a>', "HTML with scripts"),
        ("seite.html", b'<img src="x" onerror="alert(1)">', "HTML with scripts"),
        ("seite.html", b"<p>Das Formular gibt es online = digital.</p>", None),
        ("seite.html", b"<iframe src='https://x.example'></iframe>", "frames"),
    ],
)
def test_content_must_match_the_name(name: str, data: bytes, reason: str | None) -> None:
    found = content_rejection(name, data, SETTINGS)
    assert (found is None) if reason is None else (found is not None and reason in found), found


def test_archive_bomb_is_rejected_without_unpacking(bomb: bytes) -> None:
    assert len(bomb) < 10 * 1024 * 1024
    found = content_rejection("bombe.docx", bomb, SETTINGS)
    assert found is not None and "archive bomb" in found and "1100 MB" in found


def test_path_traversal_and_oversized_names() -> None:
    assert "plain file name" in (rejection("../../etc/passwd.txt", 10, SETTINGS) or "")
    assert "plain file name" in (rejection("/etc/passwd.txt", 10, SETTINGS) or "")
    assert "plain file name" in (rejection("x\x00.pdf", 10, SETTINGS) or "")
    assert "max_file_mb" in (rejection("gross.pdf", 101 * 1024 * 1024, SETTINGS) or "")
    assert "file type not accepted" in (rejection("archiv.zip", 10, SETTINGS) or "")


def test_rejected_files_leave_nothing_behind_and_the_rest_is_saved(hermetic_env: Path, bomb: bytes) -> None:
    saved, rejected = save_uploads(
        SETTINGS.model_copy(update={"data_dir": hermetic_env}),
        [
            ("gut.md", b"# Satzung\nText"),
            ("../boese.md", b"# B"),
            ("bombe.docx", bomb),
            ("seite.html", b"<script>x()</script>"),
            ("echt.pdf", b"PK\x03\x04renamed zip"),
            ("brief.docx", WORD),
        ],
    )
    uploads = hermetic_env / "uploads"
    assert saved == [uploads / "gut.md", uploads / "brief.docx"]
    assert [r["source"] for r in rejected] == ["../boese.md", "bombe.docx", "seite.html", "echt.pdf"]
    assert all(r["reason"] for r in rejected)
    assert sorted(p.name for p in uploads.iterdir()) == ["brief.docx", "gut.md"]
    assert not (hermetic_env / "boese.md").exists()
