"""OParl source against a stand-in of Karlsruhe's OParl server (real objects): mirror, delta sync, deletions,
failed downloads, a killed sync, and indexing the mirror with the folder ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import load_settings
from ingest.runner import ingest
from ingest.sources.oparl import SIDECAR_SUFFIX, STATE_NAME, OParlSource
from pipelines.query import QueryService
from tests.conftest import REPO
from tests.integration.oparl_server import KARLSRUHE, OParlStandIn, last_segment

pytestmark = pytest.mark.integration

MISSING = ("671181", "670732")  # "Abstimmungsergebnis TOP 7" of 2025/0890, the invitation of meeting 10054


def _file_numbers(obj: dict[str, Any]) -> set[str]:
    files = [obj.get(k) for k in ("mainFile", "invitation", "resultsProtocol", "verbatimProtocol")]
    files += obj.get("auxiliaryFile") or []
    for item in obj.get("agendaItem") or []:
        files += [item.get("resolutionFile"), *(item.get("auxiliaryFile") or [])]
    return {last_segment(f["id"]) for f in files if isinstance(f, dict)}


def _karlsruhe() -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """Paper number -> its file numbers, meeting number -> its file numbers, numbers of Files with text."""
    papers = {
        p.stem: _file_numbers(json.loads(p.read_text(encoding="utf-8")))
        for p in (KARLSRUHE / "papers").glob("*.json")
    }
    meetings = {
        p.stem: _file_numbers(json.loads(p.read_text(encoding="utf-8")))
        for p in (KARLSRUHE / "meetings").glob("*.json")
    }
    texts = {p.stem for p in (KARLSRUHE / "file-contents").glob("*.txt")}
    return papers, meetings, texts


def _documents(mirror: Path) -> dict[str, Path]:
    """What the folder ingest would index: no hidden files, no sidecars."""
    return {
        str(p.relative_to(mirror)): p
        for p in mirror.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(mirror).parts)
        and not p.name.endswith(SIDECAR_SUFFIX)
    }


def _sidecar(mirror: Path, rel: str) -> dict[str, Any]:
    return json.loads((mirror / (rel + SIDECAR_SUFFIX)).read_text(encoding="utf-8"))


def _check_consistent(mirror: Path, server: OParlStandIn, killed: bool = False) -> None:
    """Every document is complete and has its sidecar; no sidecar without a document (unless ``killed``
    between writing a sidecar and its document: the sidecar is written first, and ignored on its own)."""
    docs = _documents(mirror)
    for rel, path in docs.items():
        meta = _sidecar(mirror, rel)
        assert meta["source"].startswith(server.base_url) and meta["oparl_id"].startswith(server.base_url)
        assert None not in meta.values()
        if rel.endswith(".json"):
            assert json.loads(path.read_text(encoding="utf-8"))["id"] == meta["oparl_id"]
        elif rel.endswith(".txt"):
            expected = (KARLSRUHE / "file-contents" / path.name).read_text(encoding="utf-8")
            assert path.read_text(encoding="utf-8") == expected
        else:
            assert path.read_bytes() in server.pdfs
    for sidecar in mirror.rglob("*" + SIDECAR_SUFFIX):
        assert killed or str(sidecar.relative_to(mirror)).removesuffix(SIDECAR_SUFFIX) in docs, sidecar


@pytest.fixture
def server() -> Iterator[OParlStandIn]:
    with OParlStandIn(missing_files=MISSING) as standin:
        yield standin


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the source's HTTP client asks for."""
    urls: list[str] = []
    original = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
        urls.append(str(request.url))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    return urls


def test_mirror_delta_sync_deletion_and_failed_download(
    server: OParlStandIn, requested: list[str], tmp_path: Path
) -> None:
    papers, meetings, texts = _karlsruhe()
    all_files = set().union(*papers.values(), *meetings.values())
    mirror = tmp_path / "mirror"
    before_first = datetime.now(UTC).replace(microsecond=0)

    # 1. first sync: everything, page by page
    first = OParlSource(server.system_url, mirror, timeout=10).sync()
    docs = _documents(mirror)
    assert {d for d in docs if d.startswith("papers/")} == {f"papers/{n}.json" for n in papers}
    assert {d for d in docs if d.startswith("meetings/")} == {f"meetings/{n}.json" for n in meetings}
    assert {d for d in docs if d.endswith(".txt")} == {f"files/{n}.txt" for n in texts}
    assert {d for d in docs if d.endswith(".pdf")} == {
        f"files/{n}.pdf" for n in all_files - texts - set(MISSING)
    }
    assert first.fetched == len(docs) == 17 + 15 + len(all_files) - len(MISSING)
    assert first.deleted == 0 and first.unchanged == 0
    assert sorted(f["source"] for f in first.failed) == sorted(server.access_url(n) for n in MISSING)
    assert all("HTTP 404" in f["reason"] for f in first.failed)
    _check_consistent(mirror, server)
    assert json.loads((mirror / "papers/52386.json").read_text(encoding="utf-8")) == server.object(
        server.paper_id("52386")
    )
    assert not [p for p in mirror.rglob(".*") if p.name != STATE_NAME], "no temp files left"
    assert all(url.startswith(server.base_url) for url in requested), "only the stand-in's URLs"
    paper_pages = [r for r in server.requests if r["path"].endswith("/bodies/0001/papers")]
    assert [r["query"].get("page", "1") for r in paper_pages] == ["1", "2", "3", "4"]  # 17 papers, 5 a page

    # the sidecars: metadata for the chunks
    paper_meta = _sidecar(mirror, "papers/52386.json")
    assert paper_meta == {
        "source": server.paper_id("52386"),
        "title": "Satzung zur Änderung der Satzung der Stadt Karlsruhe über die Erhebung einer Hundesteuer "
        "(Hundesteuersatzung)",
        "doc_type": "Beschlussvorlage",
        "reference": "2025/0890",
        "date": "2025-09-22",
        "body": "Gemeinderat",
        "municipality": "Karlsruhe",
        "public": True,
        "oparl_id": server.paper_id("52386"),
        "oparl_type": "Paper",
    }
    vorlage = _sidecar(mirror, "files/670277.txt")
    assert vorlage["source"] == server.access_url("670277")
    assert (
        vorlage["reference"],
        vorlage["doc_type"],
        vorlage["date"],
        vorlage["body"],
        vorlage["public"],
    ) == (
        "2025/0890",
        "Beschlussvorlage",
        "2025-09-22",
        "Gemeinderat",
        True,
    )
    # the file's name ("Beschlussvorlage") says only its role; the title names the paper too
    assert (vorlage["title"], vorlage["oparl_type"]) == (
        "Beschlussvorlage – Satzung zur Änderung der Satzung der Stadt Karlsruhe über die Erhebung einer "
        "Hundesteuer (Hundesteuersatzung)",
        "File",
    )
    # "Änderung_Hundesteuersatzung_2025", "Protokoll GR 21.10.2025 TOP 7"
    assert _sidecar(mirror, "files/670283.txt")["doc_type"] == "Satzung"
    protocol = _sidecar(mirror, "files/671547.txt")
    # dated by the meeting its name states, not by the day the protocol file was made (2025-11-04)
    assert (protocol["doc_type"], protocol["date"]) == ("Niederschrift", "2025-10-21")
    assert _sidecar(mirror, "papers/51349.json")["doc_type"] == "Antrag"
    meeting = _sidecar(mirror, "meetings/10054.json")
    assert (meeting["date"], meeting["body"], meeting["doc_type"], meeting["oparl_type"]) == (
        "2025-10-21",
        "Gemeinderat",
        "Niederschrift",
        "Meeting",
    )
    assert _sidecar(mirror, "meetings/10743.json")["body"] == "Ortschaftsrat Grötzingen"
    top35 = _sidecar(mirror, "files/671539.pdf")  # hangs on TOP 35 of meeting 10054
    # a meeting's file is dated by the meeting (2025-10-21), not by its own date (2025-11-04)
    assert (top35["agenda_item"], top35["date"], top35["public"]) == ("TOP 35", "2025-10-21", True)
    assert top35["source"] == server.access_url("671539")

    # 2. second sync: only what changed since the first one; nothing did
    mtimes = {rel: p.stat().st_mtime_ns for rel, p in _documents(mirror).items()}
    mark = len(server.requests)
    second = OParlSource(server.system_url, mirror, timeout=10).sync()
    lists = [r for r in server.requests[mark:] if r["path"].endswith(("/papers", "/meetings"))]
    assert len(lists) == 2
    for r in lists:
        since = datetime.fromisoformat(r["query"]["modified_since"])
        assert before_first <= since <= datetime.now(UTC)
    assert (second.fetched, second.deleted, second.unchanged) == (0, 0, first.fetched)
    downloads = {last_segment(r["path"]) for r in server.requests[mark:] if "/downloadfiles/" in r["path"]}
    assert {d.split(".")[0].lstrip("0") for d in downloads} == set(MISSING), (
        "only failed downloads are retried"
    )
    assert sorted(f["source"] for f in second.failed) == sorted(server.access_url(n) for n in MISSING)
    assert {rel: p.stat().st_mtime_ns for rel, p in _documents(mirror).items()} == mtimes

    # 3. the city corrects one paper (and attaches the other paper's protocol to it) and deletes another
    deleted_paper = server.object(server.paper_id("51349"))
    protocol = next(f for f in deleted_paper["auxiliaryFile"] if last_segment(f["id"]) == "668044")
    changed = server.object(server.paper_id("52387"))
    new_name = changed["name"] + " – berichtigte Fassung"
    server.modify(
        server.paper_id("52387"), name=new_name, auxiliaryFile=[*changed["auxiliaryFile"], protocol]
    )
    server.delete(server.paper_id("51349"))
    third = OParlSource(server.system_url, mirror, timeout=10).sync()
    gone = {"papers/51349.json"} | {
        f"files/{n}.{'txt' if n in texts else 'pdf'}" for n in papers["51349"] - {"668044"}
    }
    assert (third.fetched, third.deleted) == (1, len(gone)) == (1, 4)
    assert set(docs) - set(_documents(mirror)) == gone
    assert not [g for g in gone if (mirror / (g + SIDECAR_SUFFIX)).exists()]
    assert third.unchanged == len(_documents(mirror)) - 1
    assert json.loads((mirror / "papers/52387.json").read_text(encoding="utf-8"))["name"] == new_name
    assert _sidecar(mirror, "papers/52387.json")["title"] == new_name
    assert _sidecar(mirror, "files/668044.txt")["reference"] == "2025/0891", (
        "the protocol now belongs to 52387"
    )
    _check_consistent(mirror, server)
    assert all(url.startswith(server.base_url) for url in requested)


def test_mirror_is_indexed_with_the_sidecar_metadata(tmp_path: Path) -> None:
    """The folder ingest indexes a mirror; chunks carry the sidecar metadata and the server's URLs.

    Only the October 2025 tax statutes (3 papers, their council meeting) are served: indexing the whole
    Karlsruhe mirror means embedding ~770 chunks, minutes on a small machine, and adds nothing here.
    """
    mirror = tmp_path / "mirror"
    with OParlStandIn(
        papers=["52386", "52387", "52388"], meetings=["10054"], missing_files=["671181"]
    ) as server:
        synced = OParlSource(server.system_url, mirror).sync()
    assert [f["source"] for f in synced.failed] == [server.access_url("671181")]
    documents = _documents(mirror)
    assert len(documents) == synced.fetched == 3 + 1 + 3 * 4 + 5 - 1

    settings = load_settings("test")
    report = ingest(settings, [str(mirror)])
    assert report.failed == []
    assert sorted(report.added) == sorted(_sidecar(mirror, rel)["source"] for rel in documents)
    service = QueryService(settings)
    try:
        hits = service.search("Hundesteuer Karlsruhe Änderung", top_k=5)
    finally:
        service.close()
    assert hits and all(h.meta["source"].startswith("http://127.0.0.1:") for h in hits)
    hundesteuer = [h for h in hits if h.meta.get("reference") == "2025/0890"]
    assert hundesteuer, [h.meta for h in hits]
    meta = hundesteuer[0].meta
    assert (meta["municipality"], meta["body"], meta["public"]) == ("Karlsruhe", "Gemeinderat", True)
    assert meta["oparl_id"].startswith(server.base_url) and meta["oparl_type"] in {"Paper", "File"}
    assert not any(h.meta["source"].endswith(SIDECAR_SUFFIX) for h in hits)


def test_body_url_and_size_limit(tmp_path: Path) -> None:
    """A Body URL works as well; downloads over max_file_mb are reported, the texts are still mirrored."""
    papers, meetings, texts = _karlsruhe()
    all_files = set().union(*papers.values(), *meetings.values())
    mirror = tmp_path / "mirror"
    with OParlStandIn() as server:
        report = OParlSource(server.body_url, mirror, max_file_mb=0).sync()
        assert not [r for r in server.requests if r["path"].endswith("/system")]
    docs = _documents(mirror)
    assert len(docs) == report.fetched == 17 + 15 + len(texts)
    assert not [d for d in docs if d.endswith(".pdf")]
    assert len(report.failed) == len(all_files - texts)
    assert all("max_file_mb (0 MB)" in f["reason"] for f in report.failed)
    assert not [p for p in mirror.rglob(".*") if p.name != STATE_NAME]


def test_unreachable_server_raises(tmp_path: Path) -> None:
    from ingest.sources.oparl import OParlError

    with OParlStandIn() as server:
        url = server.system_url
    with pytest.raises(OParlError):  # the stand-in is stopped: nothing listens there any more
        OParlSource(url, tmp_path / "mirror", timeout=2).sync()


_SYNC_SCRIPT = """
import sys
from pathlib import Path
from ingest.sources.oparl import OParlSource
OParlSource(sys.argv[1], Path(sys.argv[2])).sync()
"""


def test_killed_sync_leaves_only_complete_files(server: OParlStandIn, tmp_path: Path) -> None:
    """SIGKILL in the middle of a sync: every visible file is complete, and the next sync finishes the job."""
    mirror = tmp_path / "mirror"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", _SYNC_SCRIPT, server.system_url, str(mirror)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((mirror / "files").glob("*.pdf"))) >= 20:
            break
        time.sleep(0.002)
    assert process.poll() is None, "the sync ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = _documents(mirror)
    assert len(partial) >= 20
    _check_consistent(mirror, server, killed=True)

    report = OParlSource(server.system_url, mirror).sync()
    docs = _documents(mirror)
    papers, meetings, _texts = _karlsruhe()
    all_files = set().union(*papers.values(), *meetings.values())
    assert len(docs) == 17 + 15 + len(all_files) - len(MISSING)
    assert report.fetched + report.unchanged == len(docs)
    _check_consistent(mirror, server)
    assert not [p for p in mirror.rglob(".*") if p.name != STATE_NAME], "stale temp files are cleaned up"
