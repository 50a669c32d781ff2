"""One answer is generated at a time (``ApiState.generate_lock``); searches do not wait for it.

In-process (Starlette's TestClient) because the test holds the lock itself; real index, no language model
(the question asked has no evidence, so it is refused without generating).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config.settings import load_settings
from tests.conftest import MODELS_DIR
from ui.api import create_app

pytestmark = pytest.mark.api


def test_search_runs_while_an_answer_holds_the_generator(konstanz_index: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    app = create_app(load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR))
    results: dict[str, Any] = {}
    with TestClient(app) as client:

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
