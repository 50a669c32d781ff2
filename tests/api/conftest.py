"""`auskunft api` as a real subprocess on 127.0.0.1, talked to over real HTTP (httpx)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODELS_DIR
from ui.users import UserStore

USERS = {
    "admin": ("Verwaltung99", "admin"),
    "m.mueller": ("Rathaus2026!", "staff"),
    "k.schmidt": ("Buergerbuero1", "desk"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def api_server(data_dir: Path, log: Path, **env: str) -> Iterator[str]:
    """Start `auskunft api --port N` on ``data_dir`` (test profile, shipped models); yield its base URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUSKUNFT_")}
    environment |= {
        "AUSKUNFT_DATA_DIR": str(data_dir),
        "AUSKUNFT_MODELS_DIR": str(MODELS_DIR),
        "AUSKUNFT_PROFILE": "test",
        **env,
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "api", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"auskunft api ended with {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"auskunft api did not start within 120 s: {log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def api_data(konstanz_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Konstanz index (public statutes) with three users: admin, staff and desk."""
    data_dir = tmp_path_factory.mktemp("api") / "data"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    store = UserStore(data_dir / "users.json")
    for name, (password, role) in USERS.items():
        store.add(name, password, role)
    return data_dir


@pytest.fixture(scope="module")
def api(api_data: Path) -> Iterator[str]:
    """The API with sign-in (access.sign_in: local, the default) on the Konstanz copy; server paths may be
    ingested from pytest's temp folders (ingest.allowed_roots)."""
    import json

    allowed = json.dumps([str(api_data.parents[1])])
    with api_server(
        api_data,
        api_data.parent / "server.log",
        AUSKUNFT_ACCESS__SIGN_IN="local",
        AUSKUNFT_INGEST__ALLOWED_ROOTS=allowed,
    ) as url:
        yield url


def as_user(name: str) -> tuple[str, str]:
    return name, USERS[name][0]
