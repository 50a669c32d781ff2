"""One answer is generated at a time (``ApiState.generate_lock``); searches do not wait for it, nor does
anything else while many answers queue.

In-process (Starlette's TestClient) because the test holds the lock itself; real index, no language model
(the question asked has no evidence, so it is refused without generating). Anonymous read access
(``access.sign_in: none``: the desk role; the statutes are public) keeps the requests free of credentials.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.settings import load_settings
from tests.conftest import MODELS_DIR
from ui.api import create_app

pytestmark = pytest.mark.api


def api_app(konstanz_index: Path, tmp_path: Path) -> FastAPI:
    data_dir = tmp_path / "data"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    settings = load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR, access={"sign_in": "none"})
    return create_app(settings)


def client_of(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1:8000")  # a Host of access.allowed_hosts


def test_search_runs_while_an_answer_holds_the_generator(konstanz_index: Path, tmp_path: Path) -> None:
    app = api_app(konstanz_index, tmp_path)
    results: dict[str, Any] = {}
    with client_of(app) as client:

        def call(name: str, path: str, question: str) -> None:
            results[name] = client.post(path, json={"question": question})

        lock = app.state.api.generate_lock
        lock.acquire()  # as if an answer were being generated
        try:
            asking = threading.Thread(target=call, args=("ask", "/ask", "Wie viele Einwohner hat Timbuktu?"))
            asking.start()
            searching = threading.Thread(
                target=call, args=("search", "/search", "Wie hoch ist die Hundesteuer in Konstanz?")
            )
            searching.start()
            searching.join(timeout=300)
            assert not searching.is_alive() and results["search"].status_code == 200
            assert results["search"].json()[0]["source"].endswith("KON_Satzung_Hundesteuer.md")
            asking.join(timeout=2)
            assert asking.is_alive() and "ask" not in results  # waits for the generator
        finally:
            lock.release()
        asking.join(timeout=300)
        assert results["ask"].status_code == 200 and results["ask"].json()["refused"] is True


def test_many_queued_answers_leave_searches_and_health_working(konstanz_index: Path, tmp_path: Path) -> None:
    """Regression (found while writing benchmarks/load.py): each request waiting for the generator held one
    of the 40 threads of the server's pool, so 40 queued answers stopped every other request (/search,
    /health) until the generator was free."""
    app = api_app(konstanz_index, tmp_path)
    queued = 45  # more than AnyIO's default pool of 40 threads
    answers: list[int] = []
    results: dict[str, Any] = {}

    def ask() -> None:
        answers.append(
            client.post("/ask", json={"question": "Wie viele Einwohner hat Timbuktu?"}).status_code
        )

    def meanwhile() -> None:
        results["health"] = client.get("/health")
        results["search"] = client.post("/search", json={"question": "Hundesteuer Konstanz"})

    asking = [threading.Thread(target=ask, daemon=True) for _ in range(queued)]
    others = threading.Thread(target=meanwhile, daemon=True)
    with client_of(app) as client:
        lock = app.state.api.generate_lock
        lock.acquire()  # as if an answer were being generated
        try:
            for t in asking:
                t.start()
            time.sleep(2)  # they are all waiting for the generator now
            others.start()
            others.join(timeout=120)
            answered_meanwhile = dict(results)
            still_queued = not answers
        finally:
            lock.release()
        for t in asking + [others]:  # before the client closes, also when the check above failed
            t.join(timeout=300)
    assert set(answered_meanwhile) == {"health", "search"}, (
        "/health and /search waited for the queued answers"
    )
    assert answered_meanwhile["health"].status_code == 200 and answered_meanwhile["search"].status_code == 200
    assert still_queued
    assert answers == [200] * queued
