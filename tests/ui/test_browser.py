"""`auskunft ui` in a real browser: headless Chromium driven over the DevTools protocol, real index and models.

Asks in both modes, opens a citation, switches to the index view, and saves a screenshot of each view to
docs/screenshots/ (the README shows them). Needs the Debian package `chromium` (`make test` installs it).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.ui, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = REPO / "docs" / "screenshots"
STAFF_QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"
DESK_QUESTION = "Wie viel Verpackungssteuer kostet in Konstanz ein Einwegbecher für Kaffee zum Mitnehmen?"
ANSWER_SECONDS = 420  # one answer of the 1.5B model on two busy CPU cores, with some room


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> float:
    """Seconds until ``url`` answers 200; fails if the process dies or time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode} before {url} answered")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


class DevTools:
    """The few DevTools-protocol calls the test needs, over one websocket to one page."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(ws_url, max_size=None, open_timeout=30)
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:  # events arrive in between; skip them
            message = json.loads(self._ws.recv(timeout=120))
            if message.get("id") == call_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float, what: str) -> Any:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            # during a navigation document.body can be null for a moment: that is "not yet", not a failure
            value = self.js(f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }})()")
            if value:
                return value
            time.sleep(0.5)
        text = self.js("document.body ? document.body.innerText : ''") or ""
        raise AssertionError(f"timed out waiting for {what}; page text:\n{text[-3000:]}")

    def text(self) -> str:
        return str(self.js("document.body.innerText"))

    def click(self, selector: str, containing: str = "") -> None:
        """Click the first element matching ``selector`` whose text contains ``containing``."""
        found = self.js(
            f"""(() => {{
              const el = [...document.querySelectorAll({json.dumps(selector)})]
                .find(e => e.innerText.includes({json.dumps(containing)}));
              if (!el) return false;
              el.scrollIntoView({{block: "center"}}); el.click(); return true;
            }})()"""
        )
        assert found, f"nothing to click: {selector} containing {containing!r}"

    def ask(self, question: str) -> None:
        """Type into the chat input as a user does (focus, text, Enter key)."""
        self.wait_for('!!document.querySelector("[data-testid=stChatInputTextArea]")', 60, "the chat input")
        self.js('document.querySelector("[data-testid=stChatInputTextArea]").focus()')
        self.call("Input.insertText", text=question)
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                nativeVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    def type_into(self, selector: str, text: str) -> None:
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", 60, selector)
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def sign_in(self, name: str, password: str) -> None:
        """The page's sign-in form, as a user fills it in."""
        self.type_into('input[aria-label="Benutzername"]', name)
        self.type_into('input[aria-label="Passwort"]', password)
        self.click('[data-testid="stFormSubmitButton"] button', "Anmelden")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self._ws.close()


# the last assistant message: its text once the answer is rendered completely (feedback buttons come last)
LAST_ANSWER = """(() => {
  const msgs = [...document.querySelectorAll('[data-testid="stChatMessage"]')];
  const last = msgs[msgs.length - 1];
  if (!last || !last.innerText.includes(%s)) return "";
  return last.innerText;
})()"""


REBOUND = "rebinding.example"  # resolved to 127.0.0.1 by the browser: a DNS-rebinding attacker's name


@pytest.fixture
def ui_url(konstanz_index: Path, tmp_path: Path) -> Iterator[str]:
    """`auskunft ui --port N` as a user starts it, on the Konstanz index, with the default sign-in (its users
    file in this test's folder, so that the first start creates the admin here)."""
    port = free_port()
    log = (tmp_path / "ui.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from ui.cli import main; main()", "ui", "--port", str(port)],
        cwd=REPO,
        env={
            **os.environ,
            "AUSKUNFT_DATA_DIR": str(konstanz_index),
            "AUSKUNFT_ACCESS__USERS_FILE": str(tmp_path / "users.json"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        seconds = wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", 90, process)
        print(f"auskunft ui answered on 127.0.0.1:{port} after {seconds:.1f} s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process)
        log.close()
        server_log = (tmp_path / "ui.log").read_text(errors="replace")
        assert "Traceback" not in server_log, server_log[-4000:]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium; `make test` installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=1400,1300",
            f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/json/version", 60, process)
        pages = httpx.get(f"http://127.0.0.1:{port}/json", timeout=10).json()
        target = next(p for p in pages if p.get("type") == "page")
        devtools = DevTools(target["webSocketDebuggerUrl"])
        devtools.call(
            "Emulation.setDeviceMetricsOverride", width=1400, height=1300, deviceScaleFactor=1, mobile=False
        )
        yield devtools
        devtools.close()
    finally:
        stop(process)


def first_start_password(log: Path) -> str:
    printed = log.read_text(errors="replace")
    assert "First start: sign in as admin with the password " in printed, printed
    return printed.split("with the password ", 1)[1].split()[0]


def test_both_modes_answer_with_sources_in_a_real_browser(
    ui_url: str, browser: DevTools, tmp_path: Path
) -> None:
    browser.call("Page.enable")
    browser.call("Page.navigate", url=ui_url)
    # the default: sign in first, with the password the first start printed
    browser.sign_in("admin", first_start_password(tmp_path / "ui.log"))
    browser.wait_for(
        '!!document.querySelector("[data-testid=stChatInputTextArea]")', 120, "the page with its chat input"
    )
    assert browser.js("document.documentElement.lang") == "de"
    # the sidebar's status (model, index size) renders after the chat input: wait for it, then check it
    text = browser.wait_for(
        "document.body.innerText.includes('Dokumente im Index') && document.body.innerText",
        60,
        "the sidebar status",
    )
    assert "Sachbearbeitung" in text and "KI-Modell" in text

    # Sachbearbeitung: the amount, and the statute as a numbered, openable citation
    browser.ask(STAFF_QUESTION)
    answer = browser.wait_for(LAST_ANSWER % json.dumps("Hilfreich"), ANSWER_SECONDS, "the answer")
    assert "0,20" in answer, answer
    assert "Verpackungssteuersatzung" in answer, answer  # the citation's title
    browser.click('[data-testid="stChatMessage"] details summary', "Verpackungssteuersatzung")
    marked = browser.wait_for(
        """(() => { const m = document.querySelector('[data-testid="stChatMessage"] details[open] mark');
                   return m ? m.innerText : ""; })()""",
        30,
        "the highlighted passage",
    )
    assert len(marked) > 10
    opened = browser.js("""document.querySelector('[data-testid="stChatMessage"] details[open]').innerText""")
    assert "Dokumenttyp" in opened and "Satzung" in opened and "Konstanz" in opened
    assert "Original herunterladen" in opened
    browser.js("""document.querySelector('[data-testid="stChatMessage"] details[open]').scrollIntoView()""")
    time.sleep(1)
    browser.screenshot(SCREENSHOTS / "sachbearbeitung.png")

    # Bürgerbüro: public documents, short answer, the source to copy and a print button
    browser.click('[data-testid="stSidebar"] label', "Bürgerbüro")
    browser.wait_for(
        "document.body.innerText.includes('Es werden nur öffentliche Dokumente durchsucht')",
        30,
        "the desk mode",
    )
    browser.click('[data-testid="stSidebar"] button', "Neues Gespräch")
    browser.wait_for(
        "document.querySelectorAll('[data-testid=\"stChatMessage\"]').length === 0", 30, "an empty chat"
    )
    browser.ask(DESK_QUESTION)
    answer = browser.wait_for(LAST_ANSWER % json.dumps("Hilfreich"), ANSWER_SECONDS, "the answer")
    assert "0,50" in answer, answer
    handout = browser.wait_for(
        """(() => { const c = document.querySelector('[data-testid="stChatMessage"] [data-testid="stCode"]');
                   return c ? c.innerText : ""; })()""",
        30,
        "the text to hand out",
    )
    assert "Verpackungssteuersatzung" in handout and "0,50" in handout and "KI-Modell" in handout, handout
    printable = browser.js(
        """[...document.querySelectorAll('[data-testid="stChatMessage"] iframe')]
             .map(f => f.contentDocument && f.contentDocument.body.innerText).join(" ")"""
    )
    assert "Drucken" in printable
    browser.js("window.scrollTo(0, 0)")
    time.sleep(1)
    browser.screenshot(SCREENSHOTS / "buergerbuero.png")

    # the index view: documents, chunks, re-index and upload for admins
    browser.click('[data-testid="stTab"]', "Index")
    browser.wait_for(
        "document.body.innerText.includes('Re-Index starten') && document.body.innerText.includes('Textabschnitte')",
        30,
        "the index view with its chunk count",
    )
    time.sleep(1)
    browser.screenshot(SCREENSHOTS / "index.png")
    assert "Traceback" not in browser.text()

    # the same server under another name (DNS rebinding): the page refuses to work for it
    browser.call("Page.navigate", url=ui_url.replace("127.0.0.1", REBOUND))
    refused = browser.wait_for(
        "document.body && document.body.innerText.includes('nicht freigegeben') && document.body.innerText",
        60,
        "the refusal",
    )
    assert "access.allowed_hosts" in refused and "Benutzername" not in refused
