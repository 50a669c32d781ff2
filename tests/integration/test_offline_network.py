"""Nothing leaves the machine: ingest, ask and the UI work without a network, and try no outbound connection.

1. The real CLI runs inside a network namespace that has only loopback (``unshare -n``), with the
   libraries' telemetry variables removed from its environment (the code must switch them off itself).
2. In this process, every connection attempt to a non-loopback address and every lookup of a non-local
   name is recorded (and refused) while files are ingested (unstructured for PDF and HTML), searched,
   answered by the language model and the page is run; the record must stay empty.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import load_settings
from pipelines.offline import OFFLINE_ENV
from tests.conftest import CORPUS, MODELS_DIR, REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"
PDF = CORPUS / "linsengericht" / "strassenreinigungssatzung-inkl-1aenderung.pdf"
HTML = """<html><head><title>Sprechzeiten</title><script>fetch('https://tracker.example/')</script></head>
<body><h1>Bürgerbüro Konstanz</h1><p>Das Bürgerbüro hat montags bis freitags von 8 bis 12 Uhr geöffnet.</p></body></html>
"""


def corpus(folder: Path) -> Path:
    folder.mkdir()
    for name in ("KON_Satzung_Verpackungssteuer.md", "KON_Satzung_Hundesteuer.md"):
        shutil.copy(CORPUS / "konstanz" / name, folder)
    return folder


def unshare_problem() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    result = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if result.returncode != 0:
        return f"unshare -n is not permitted here: {result.stderr.strip() or result.returncode}"
    return None


NAMESPACE_SCRIPT = """
set -u
cd "$WORK"
ip link set lo up 2>/dev/null || true
# proof that this namespace has no way out
"$PY" -c "import socket; s = socket.socket(); s.settimeout(3)
try:
    s.connect(('1.1.1.1', 443)); print('connected')
except OSError as e:
    print('blocked', e.errno)" > outside.txt
"$PY" -m ui.cli ingest "$DOCS" --access public --json > ingest.json 2> ingest.err
"$PY" -m ui.cli ask "$QUESTION" --role desk --json --why > ask.json 2> ask.err
set -m
"$PY" -m ui.cli ui --port 8765 > ui.log 2>&1 &
ui=$!
code=000
for i in $(seq 1 90); do
  code=$(curl -s -o page.html -w '%{http_code}' http://127.0.0.1:8765/ || true)
  [ "$code" = 200 ] && break
  sleep 1
done
echo "$code" > ui.code
curl -s http://127.0.0.1:8765/_stcore/health > health.txt || true
kill -- -$ui 2>/dev/null
wait $ui 2>/dev/null
exit 0
"""


@pytest.mark.ui
def test_ingest_ask_and_ui_work_inside_a_network_namespace_with_loopback_only(
    tmp_path: Path, hermetic_env: Path
) -> None:
    if problem := unshare_problem():
        pytest.skip(problem)
    docs = corpus(tmp_path / "docs")
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENV}  # the code must switch them off
    env.update(WORK=str(work), DOCS=str(docs), QUESTION=QUESTION, PY=sys.executable)
    env["PYTHONPATH"] = str(REPO)
    started = time.monotonic()
    result = subprocess.run(
        ["unshare", "-n", "bash", "-c", NAMESPACE_SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    read = lambda name: (work / name).read_text(encoding="utf-8")  # noqa: E731
    assert read("outside.txt").startswith("blocked"), read("outside.txt")  # really no network

    ingest = json.loads(read("ingest.json"))
    assert len(ingest["added"]) == 2 and ingest["failed"] == [], read("ingest.err")
    answer = json.loads(read("ask.json"))
    log = hermetic_env / "logs" / "auskunft.log"  # which embedding runtime the ingest trusted, and why
    ingest_log = log.read_text(encoding="utf-8") if log.exists() else "(no log)"
    assert answer["refused"] is False and "0,20" in answer["answer"], (answer, read("ask.err"), ingest_log)
    assert any(c["source"].endswith("KON_Satzung_Verpackungssteuer.md") for c in answer["citations"])
    assert "Traceback" not in read("ask.err")

    assert read("ui.code").strip() == "200", read("ui.log")
    assert "<title>Streamlit</title>" in read("page.html") or "streamlit" in read("page.html").lower()
    assert read("health.txt").strip() == "ok"
    assert "Traceback" not in read("ui.log")
    print(f"namespace run: {time.monotonic() - started:.0f} s")


def _local_host(host: Any) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every attempt to reach a non-loopback address or resolve a non-local name, refused and recorded."""
    attempts: list[str] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local_host(address[0]):
            attempts.append(f"connect {address}")
            raise ConnectionRefusedError(f"test: outbound connection to {address} refused")
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local_host(address[0]):
            attempts.append(f"connect_ex {address}")
            return 111
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local_host(address[0]):
            attempts.append(f"create_connection {address}")
            raise ConnectionRefusedError(f"test: outbound connection to {address} refused")
        return create_connection(address, *args, **kwargs)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _local_host(name):
            attempts.append(f"getaddrinfo {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"test: lookup of {name} refused")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    before = set(threading.enumerate())
    yield attempts
    for thread in set(threading.enumerate()) - before:  # background senders get their chance to try
        thread.join(timeout=3)


def test_no_outbound_connection_attempt_in_process(
    tmp_path: Path, outbound: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from ingest.runner import ingest
    from pipelines.filters import build_filters
    from pipelines.query import QueryService

    # the recorder itself works: a real attempt is caught
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    assert outbound == ["create_connection ('192.0.2.1', 443)"]
    outbound.clear()

    docs = corpus(tmp_path / "docs")
    shutil.copy(PDF, docs)
    (docs / "Sprechzeiten.html").write_text(HTML, encoding="utf-8")
    settings = load_settings("test", data_dir=tmp_path / "data", models_dir=MODELS_DIR)
    report = ingest(settings, [str(docs)], access="public")
    assert len(report.added) == 4 and not report.failed, report.failed
    service = QueryService(settings)
    try:
        desk = build_filters(role="desk", default_level=settings.access.default)
        assert service.search("Öffnungszeiten Bürgerbüro", filters=desk)
        answer = service.answer(QUESTION, filters=desk, style="desk")
    finally:
        service.close()
    assert not answer.refused and "0,20" in answer.answer

    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(settings.data_dir))
    from ui.users import User

    page = AppTest.from_file(REPO / "ui" / "streamlit_app.py", default_timeout=300)
    page.session_state["user"] = User("m.mueller", "staff")  # as after the sign-in form
    page.run()
    assert not page.exception and page.title[0].value == "Auskunft" and page.chat_input

    import haystack.telemetry._telemetry as haystack_telemetry

    assert haystack_telemetry.telemetry is None
    assert outbound == []
