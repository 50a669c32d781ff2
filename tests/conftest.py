"""Hermetic tests: every path and AUSKUNFT_ variable points into a temp dir (models stay shared)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.offline import enforce_offline

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "examples" / "corpus"
# the part of the development corpus the tests need, copied into the repo (see its ATTRIBUTION.md)
SHARED_CORPUS = REPO / "tests" / "data" / "corpus"
MODELS_DIR = Path(os.environ.get("AUSKUNFT_MODELS_DIR") or REPO / ".models")

enforce_offline()


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data dir and no AUSKUNFT_ setting from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("AUSKUNFT_"):
            monkeypatch.delenv(key)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("AUSKUNFT_MODELS_DIR", str(MODELS_DIR))
    monkeypatch.setenv("AUSKUNFT_PROFILE", "test")
    return data_dir


@pytest.fixture(scope="session")
def konstanz_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data dir with the Konstanz statutes of the example corpus indexed once per session (real models).

    The statutes are public (``--access public``), so the Bürgerbüro (desk role) finds them too.
    """
    from config.settings import load_settings
    from ingest.runner import ingest

    data_dir = tmp_path_factory.mktemp("konstanz-data")
    corpus = tmp_path_factory.mktemp("konstanz-corpus") / "konstanz"
    shutil.copytree(CORPUS / "konstanz", corpus)
    settings = load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR)
    report = ingest(settings, [str(corpus)], access="public")
    assert not report.failed, report.failed
    yield data_dir
