"""A local stand-in for a Qdrant server, because no Qdrant server (and no Docker) can run on the test machine.

It speaks the part of Qdrant's REST API that Auskunft reaches through ``qdrant-client`` (REST, not gRPC)
and Haystack's ``QdrantDocumentStore``, in Qdrant's own JSON, and executes every request on qdrant-client's
local mode (``QdrantClient(":memory:")``, the same engine as Auskunft's embedded store). Request bodies
are parsed with the ``qdrant_client.http.models`` classes the client serialises them from, so a body
the client would not send to a real server is refused here too.

Endpoints (found by reading ``qdrant_client/http/api/*.py`` and QdrantDocumentStore, and by recording an
ingest, a hybrid search, a changed file, a ``forget`` and a reindex against this server, see
:meth:`QdrantStandIn.routes`; relabelling, facets and retention scroll):

* ``GET /``: ``{"title": "qdrant - vector search engine", "version", "commit"}`` (the version is the
  installed qdrant-client's, so its compatibility check passes); ``GET /healthz|/livez|/readyz``.
* ``GET /collections``, ``GET /collections/{name}/exists``, ``GET /collections/{name}`` (the collection's
  info: vectors as created, the scale settings of the create request, ``payload_schema`` with the
  payload indexes and how many points each covers), ``PUT /collections/{name}`` (create; the body is
  recorded in :attr:`QdrantStandIn.created`), ``DELETE /collections/{name}``.
* ``PUT /collections/{name}/index`` (create a payload index; recorded in :attr:`QdrantStandIn.indexes`),
  ``DELETE /collections/{name}/index/{field}``.
* ``PUT /collections/{name}/points`` (upsert a list or a batch), ``POST .../points/delete`` (by ids or
  filter), ``POST|PUT .../points/payload`` (set / overwrite payload), ``POST .../points`` and
  ``GET .../points/{id}`` (retrieve), ``POST .../points/scroll``, ``POST .../points/count``,
  ``POST .../points/query`` and ``.../points/query/batch`` (dense, sparse, prefetch + RRF fusion).

Qdrant's envelope: ``{"result": ..., "status": "ok", "time": ...}``; errors as Qdrant sends them:
``{"status": {"error": "Not found: Collection `x` doesn't exist!"}, "time": ...}`` with 404, a body that
does not parse ``Format error in JSON body: ...`` with 400, an existing collection 409. With an API key
(``QdrantStandIn(api_key=...)``, like ``QDRANT__SERVICE__API_KEY``) every path but ``/``, ``/healthz``,
``/readyz`` and ``/livez`` needs the ``api-key`` header (or ``Authorization: Bearer``); without one the
answer is 401 ``Must provide an API key or an Authorization bearer token``, with a wrong one 401
``Invalid API key or JWT`` (plain text, as Qdrant's auth middleware answers).

Strict mode: a collection created with ``strict_mode_config`` ``{"enabled": true,
"unindexed_filtering_retrieve": false}`` (or ``..._update``), or every collection when
``QdrantStandIn(strict_mode=True)`` (as an operator sets it), refuses a query, scroll or count (a filtered
delete or payload update) whose filter uses a field without a payload index that can serve the condition,
with Qdrant's 400 ``Bad request: Index required but not found for "meta.x" of one of the following types:
[keyword]. Help: Create an index for this key or use a different filter.``. Which index serves which
condition follows Qdrant's ``lib/collection/src/problems/unindexed_field.rs``: a string match needs
keyword (or uuid), a bool match bool, an integer match integer, a float range float or integer, a datetime
range datetime, ``is_empty``/``is_null`` any index.

What it does *not* do: HNSW or quantisation (search is exact, so results are the ones a real server returns
with exact search), on-disk placement, shards, replicas or write consistency (all recorded and reported in
the collection info, without effect), payload-index semantics beyond strict mode (the result of a filter is
the same with or without an index, as on a real server), ``wait=false`` (answers as if it waited),
optimisers (status always green), gRPC, snapshots, aliases, the cluster API, JWT, read-only keys.

Every request is recorded (method, path, query, headers, parsed JSON body, status) in
:attr:`QdrantStandIn.requests`.

Usage::

    with QdrantStandIn(api_key="secret") as qdrant:
        settings = load_settings("test", store={"url": qdrant.url, "api_key": "secret"})
        ...
        assert qdrant.created["auskunft"]["hnsw_config"]["m"] == 16
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError
from qdrant_client import QdrantClient
from qdrant_client.http import models as m

WHITELIST_EXACT = ("/", "/healthz")
WHITELIST_PREFIX = ("/readyz", "/livez")
STRICT_MODE = {"enabled": True, "unindexed_filtering_retrieve": False, "unindexed_filtering_update": False}

# which payload index types can serve a condition (Qdrant: problems/unindexed_field.rs)
_CAPABILITIES = {
    "keyword": {"keyword_match"},
    "integer": {"int_match", "int_range"},
    "uuid": {"uuid_match", "uuid_range"},
    "bool": {"bool_match"},
    "float": {"float_range"},
    "geo": {"geo"},
    "text": {"text"},
    "datetime": {"datetime_range"},
}
_SCHEMA_OF = {
    "int_match": "integer",
    "int_range": "integer",
    "keyword_match": "keyword",
    "float_range": "float",
    "text": "text",
    "bool_match": "bool",
    "uuid_match": "uuid",
    "uuid_range": "uuid",
    "datetime_range": "datetime",
    "geo": "geo",
}
ALL_INDEX_TYPES = list(_SCHEMA_OF)


class QdrantError(Exception):
    """An error Qdrant answers with ``{"status": {"error": message}}`` and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    status: int = 0


@dataclass
class _Collection:
    create: dict[str, Any]  # the create request as received (JSON)
    strict_mode: dict[str, Any] = field(default_factory=dict)  # strict_mode_config in force
    indexes: dict[str, Any] = field(default_factory=dict)  # field name -> field_schema (JSON)


def qdrant_version() -> str:
    """The server version the installed qdrant-client speaks (its own version: always compatible)."""
    return importlib.metadata.version("qdrant-client")


def _uuid_like(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _match_types(match: Any) -> list[str]:
    if isinstance(match, m.MatchValue):
        value = match.value
        if isinstance(value, bool):
            return ["bool_match"]
        if isinstance(value, int):
            return ["int_match"]
        return (["uuid_match"] if _uuid_like(str(value)) else []) + ["keyword_match"]
    if isinstance(match, m.MatchAny | m.MatchExcept):
        values = match.any if isinstance(match, m.MatchAny) else match.except_
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return ["int_match"]
        return (["uuid_match"] if all(_uuid_like(str(v)) for v in values) else []) + ["keyword_match"]
    if isinstance(match, m.MatchText | m.MatchTextAny | m.MatchPhrase):
        return ["text"]
    return []


def required_index_types(condition: m.FieldCondition) -> list[str]:
    """Index types that can serve one field condition (empty: none needed)."""
    required: list[str] = []
    if condition.match is not None:
        required.extend(_match_types(condition.match))
    if isinstance(condition.range, m.DatetimeRange):
        required.append("datetime_range")
    elif isinstance(condition.range, m.Range):
        required.extend(["float_range", "int_range"])
    if condition.geo_bounding_box or condition.geo_radius or condition.geo_polygon:
        required.append("geo")
    if condition.values_count is not None or condition.is_empty is not None or condition.is_null is not None:
        required.extend(ALL_INDEX_TYPES)
    return required


def unindexed_fields(flt: m.Filter | None, indexes: dict[str, Any]) -> dict[str, list[str]]:
    """Fields of ``flt`` without an index that serves their condition -> the schemas that would."""
    found: dict[str, list[str]] = {}

    def schema_name(schema: Any) -> str:
        return str(schema if isinstance(schema, str) else schema.get("type"))

    def visit(condition: Any, prefix: str) -> None:
        if isinstance(condition, m.Filter):
            for group in (condition.must, condition.should, condition.must_not):
                for c in group if isinstance(group, list) else [group] if group else []:
                    visit(c, prefix)
            if condition.min_should:
                for c in condition.min_should.conditions:
                    visit(c, prefix)
            return
        if isinstance(condition, m.NestedCondition):
            visit(condition.nested.filter, f"{prefix}{condition.nested.key}[].")
            return
        if isinstance(condition, m.FieldCondition):
            key, required = prefix + condition.key, required_index_types(condition)
        elif isinstance(condition, m.IsEmptyCondition):
            key, required = prefix + condition.is_empty.key, ALL_INDEX_TYPES
        elif isinstance(condition, m.IsNullCondition):
            key, required = prefix + condition.is_null.key, ALL_INDEX_TYPES
        else:  # has_id, has_vector: no index needed
            return
        if not required:
            return
        have = _CAPABILITIES.get(schema_name(indexes[key]), set()) if key in indexes else set()
        if not have & set(required):
            schemas = found.setdefault(key, [])
            for r in required:
                if _SCHEMA_OF[r] not in schemas and _SCHEMA_OF[r] != "uuid":
                    schemas.append(_SCHEMA_OF[r])

    if flt is not None:
        visit(flt, "")
    return found


class QdrantStandIn:
    """A Qdrant-compatible REST server on 127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(
        self, api_key: str | None = None, strict_mode: bool = False, version: str | None = None
    ) -> None:
        self.api_key = api_key
        self.strict_mode = strict_mode
        self.version = version or qdrant_version()
        self.requests: list[RecordedRequest] = []
        self.engine = QdrantClient(":memory:")
        self._collections: dict[str, _Collection] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._operation = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> QdrantStandIn:
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="qdrant-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
        self.engine.close()

    def __enter__(self) -> QdrantStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what it received ------------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def created(self) -> dict[str, dict[str, Any]]:
        """The create-collection request bodies (JSON), by collection name."""
        with self._lock:
            return {name: dict(c.create) for name, c in self._collections.items()}

    @property
    def indexes(self) -> dict[str, dict[str, Any]]:
        """The payload indexes (field name -> field_schema as sent), by collection name."""
        with self._lock:
            return {name: dict(c.indexes) for name, c in self._collections.items()}

    def routes(self) -> list[tuple[str, str]]:
        """(method, path pattern) of every request received, collection names replaced by ``{name}``."""
        with self._lock:
            seen: dict[tuple[str, str], None] = {}
            for r in self.requests:
                seen.setdefault((r.method, re.sub(r"^/collections/[^/]+", "/collections/{name}", r.path)))
            return list(seen)

    def client(self) -> QdrantClient:
        """A qdrant-client for this server (with its API key), e.g. to change a collection in a test.

        Without the client's version check: its background request may outlive a short test.
        """
        with warnings.catch_warnings():  # http:// on loopback
            warnings.filterwarnings("ignore", "Api key is used with an insecure connection")
            return QdrantClient(url=self.url, api_key=self.api_key, check_compatibility=False)

    def points(self, collection: str) -> list[m.Record]:
        """Every point of a collection, with payload (for assertions)."""
        with self._lock:
            records, offset = self.engine.scroll(collection, limit=10_000, with_payload=True)
            assert offset is None
            return list(records)

    # -- Qdrant ----------------------------------------------------------------------------------
    def _collection(self, name: str) -> _Collection:
        if name not in self._collections:
            raise QdrantError(404, f"Not found: Collection `{name}` doesn't exist!")
        return self._collections[name]

    def _update_result(self) -> dict[str, Any]:
        self._operation += 1
        return {"operation_id": self._operation, "status": "completed"}

    def _check_filter(self, name: str, flt: m.Filter | None, kind: str) -> None:
        collection = self._collection(name)
        strict = collection.strict_mode
        if not strict.get("enabled") or strict.get(f"unindexed_filtering_{kind}", True) is not False:
            return
        for key, schemas in unindexed_fields(flt, collection.indexes).items():
            raise QdrantError(
                400,
                f'Bad request: Index required but not found for "{key}" of one of the following types: '
                f"[{', '.join(schemas)}]. Help: Create an index for this key or use a different filter.",
            )

    def create_collection(self, name: str, body: dict[str, Any]) -> bool:
        request = _parse(m.CreateCollection, body)
        if name in self._collections:
            raise QdrantError(409, f"Wrong input: Collection `{name}` already exists!")
        strict = body.get("strict_mode_config") or (dict(STRICT_MODE) if self.strict_mode else {})
        self.engine.create_collection(
            name, vectors_config=request.vectors, sparse_vectors_config=request.sparse_vectors
        )
        self._collections[name] = _Collection(create=body, strict_mode=strict)
        return True

    def collection_info(self, name: str) -> dict[str, Any]:
        collection = self._collection(name)
        info = self.engine.get_collection(name).model_dump(mode="json", exclude_none=True)
        create, config = collection.create, info["config"]
        for key in ("shard_number", "replication_factor", "write_consistency_factor", "on_disk_payload"):
            if create.get(key) is not None:
                config["params"][key] = create[key]
        config["params"].setdefault("shard_number", 1)
        config["params"].setdefault("replication_factor", 1)
        config["params"].setdefault("write_consistency_factor", 1)
        config["params"].setdefault("on_disk_payload", True)  # Qdrant's storage default
        config["hnsw_config"].update({k: v for k, v in (create.get("hnsw_config") or {}).items()})
        if create.get("quantization_config") is not None:
            config["quantization_config"] = create["quantization_config"]
        if collection.strict_mode:
            config["strict_mode_config"] = collection.strict_mode
        info["payload_schema"] = {
            key: {
                "data_type": schema if isinstance(schema, str) else schema["type"],
                "points": self._covered(name, key),
            }
            for key, schema in collection.indexes.items()
        }
        return info

    def _covered(self, name: str, key: str) -> int:
        empty = m.Filter(must_not=[m.IsEmptyCondition(is_empty=m.PayloadField(key=key))])
        return self.engine.count(name, count_filter=empty).count

    def create_index(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(m.CreateFieldIndex, body)
        collection = self._collection(name)
        if request.field_schema is None:
            raise QdrantError(400, "Bad request: Field schema is required")  # Qdrant cannot infer it here
        collection.indexes[request.field_name] = body["field_schema"]
        return self._update_result()

    def delete_index(self, name: str, field_name: str) -> dict[str, Any]:
        self._collection(name).indexes.pop(field_name, None)
        return self._update_result()

    def upsert(self, name: str, body: Any) -> dict[str, Any]:
        request = _parse(TypeAdapter(m.PointInsertOperations), body)
        self._collection(name)
        if isinstance(request, m.PointsList):
            self.engine.upsert(name, points=request.points)
        else:
            self.engine.upsert(name, points=request.batch)
        return self._update_result()

    def delete_points(self, name: str, body: Any) -> dict[str, Any]:
        selector = _parse(TypeAdapter(m.PointsSelector), body)
        self._collection(name)
        if isinstance(selector, m.FilterSelector):
            self._check_filter(name, selector.filter, "update")
        self.engine.delete(name, points_selector=selector)
        return self._update_result()

    def set_payload(self, name: str, body: Any, overwrite: bool) -> dict[str, Any]:
        request = _parse(m.SetPayload, body)
        self._collection(name)
        if request.points is not None:
            selector: Any = m.PointIdsList(points=request.points)
        else:
            self._check_filter(name, request.filter, "update")
            selector = m.FilterSelector(filter=request.filter or m.Filter())
        if overwrite:
            self.engine.overwrite_payload(name, payload=request.payload, points=selector)
        else:
            self.engine.set_payload(name, payload=request.payload, points=selector, key=request.key)
        return self._update_result()

    def retrieve(self, name: str, body: Any) -> list[Any]:
        request = _parse(m.PointRequest, body)
        self._collection(name)
        records = self.engine.retrieve(
            name,
            ids=request.ids,
            with_payload=True if request.with_payload is None else request.with_payload,
            with_vectors=request.with_vector or False,
        )
        return [_dump(r) for r in records]

    def scroll(self, name: str, body: Any) -> dict[str, Any]:
        request = _parse(m.ScrollRequest, body or {})
        self._collection(name)
        self._check_filter(name, request.filter, "retrieve")
        records, offset = self.engine.scroll(
            name,
            scroll_filter=request.filter,
            limit=request.limit or 10,
            order_by=request.order_by,
            offset=request.offset,
            with_payload=True if request.with_payload is None else request.with_payload,
            with_vectors=request.with_vector or False,
        )
        return {"points": [_dump(r) for r in records], "next_page_offset": offset}

    def count(self, name: str, body: Any) -> dict[str, Any]:
        request = _parse(m.CountRequest, body or {})
        self._collection(name)
        self._check_filter(name, request.filter, "retrieve")
        return {"count": self.engine.count(name, count_filter=request.filter).count}

    def query(self, name: str, body: Any) -> dict[str, Any]:
        request = body if isinstance(body, m.QueryRequest) else _parse(m.QueryRequest, body or {})
        self._collection(name)
        prefetches = request.prefetch if isinstance(request.prefetch, list) else [request.prefetch]
        for flt in [request.filter] + [p.filter for p in prefetches if p is not None]:
            self._check_filter(name, flt, "retrieve")
        response = self.engine.query_points(
            name,
            query=request.query,
            using=request.using,
            prefetch=request.prefetch,
            query_filter=request.filter,
            search_params=request.params,
            limit=request.limit or 10,
            offset=request.offset,
            with_payload=request.with_payload or False,
            with_vectors=request.with_vector or False,
            score_threshold=request.score_threshold,
            lookup_from=request.lookup_from,
        )
        return {"points": [_dump(p) for p in response.points]}

    def query_batch(self, name: str, body: Any) -> list[dict[str, Any]]:
        request = _parse(m.QueryRequestBatch, body)
        return [self.query(name, search) for search in request.searches]

    def delete_collection(self, name: str) -> bool:
        if name not in self._collections:
            return False
        del self._collections[name]
        return bool(self.engine.delete_collection(name))

    def handle(self, method: str, path: str, body: Any) -> Any:
        """The ``result`` of one request (raises :class:`QdrantError` for Qdrant's error answers)."""
        with self._lock:
            for route_method, pattern, action in _ROUTES:
                if route_method == method and (match := re.fullmatch(pattern, path)):
                    args = [unquote(g) for g in match.groups()]
                    return action(self, *args, body)
        raise _NoRoute


class _NoRoute(Exception):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client process that ends with a kept-alive connection open is normal, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _parse(model: Any, body: Any) -> Any:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(body)
        assert issubclass(model, BaseModel)
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise QdrantError(400, f"Format error in JSON body: {where}: {first['msg']}") from exc


def _dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_none=True)


def _point_id(text: str) -> int | str:
    return int(text) if text.isdigit() else text


Action = Callable[..., Any]
_C = r"/collections/([^/]+)"
_ROUTES: list[tuple[str, str, Action]] = [
    ("GET", "/collections", lambda s, b: {"collections": [{"name": n} for n in s._collections]}),
    ("GET", _C + "/exists", lambda s, n, b: {"exists": n in s._collections}),
    ("GET", _C, lambda s, n, b: s.collection_info(n)),
    ("PUT", _C, lambda s, n, b: s.create_collection(n, b or {})),
    ("DELETE", _C, lambda s, n, b: s.delete_collection(n)),
    ("PUT", _C + "/index", lambda s, n, b: s.create_index(n, b)),
    ("DELETE", _C + "/index/([^/]+)", lambda s, n, f, b: s.delete_index(n, f)),
    ("PUT", _C + "/points", lambda s, n, b: s.upsert(n, b)),
    ("POST", _C + "/points/delete", lambda s, n, b: s.delete_points(n, b)),
    ("POST", _C + "/points/payload", lambda s, n, b: s.set_payload(n, b, overwrite=False)),
    ("PUT", _C + "/points/payload", lambda s, n, b: s.set_payload(n, b, overwrite=True)),
    ("POST", _C + "/points", lambda s, n, b: s.retrieve(n, b)),
    ("POST", _C + "/points/scroll", lambda s, n, b: s.scroll(n, b)),
    ("POST", _C + "/points/count", lambda s, n, b: s.count(n, b)),
    ("POST", _C + "/points/query", lambda s, n, b: s.query(n, b)),
    ("POST", _C + "/points/query/batch", lambda s, n, b: s.query_batch(n, b)),
    ("GET", _C + "/points/([^/]+)", lambda s, n, i, b: s.retrieve(n, {"ids": [_point_id(i)]})[0]),
]


def _handler_for(standin: QdrantStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "qdrant-standin"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

        def _send(self, request: RecordedRequest, status: int, payload: bytes, content_type: str) -> None:
            request.status = status
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, request: RecordedRequest, status: int, obj: Any) -> None:
            self._send(request, status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")

        def _authorized(self, request: RecordedRequest) -> bool:
            if standin.api_key is None:
                return True
            if request.path in WHITELIST_EXACT or request.path.startswith(WHITELIST_PREFIX):
                return True
            bearer = self.headers.get("authorization", "")
            key = self.headers.get("api-key") or (bearer[7:] if bearer.startswith("Bearer ") else None)
            if key is None:
                message = "Must provide an API key or an Authorization bearer token"
            elif key == standin.api_key:
                return True
            else:
                message = "Invalid API key or JWT"
            self._send(request, 401, message.encode(), "text/plain; charset=utf-8")
            return False

        def _serve(self) -> None:
            started = time.perf_counter()
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            request = RecordedRequest(self.command, url.path, query, dict(self.headers.items()))
            standin.record(request)
            if not self._authorized(request):
                return
            if url.path == "/" and self.command == "GET":
                info = {
                    "title": "qdrant - vector search engine",
                    "version": standin.version,
                    "commit": "0" * 40,
                }
                self._json(request, 200, info)
                return
            if url.path in ("/healthz", "/livez", "/readyz") and self.command == "GET":
                text = "all shards are ready" if url.path == "/readyz" else f"{url.path[1:]} check passed"
                self._send(request, 200, text.encode(), "text/plain; charset=utf-8")
                return
            try:
                request.body = json.loads(raw) if raw else None
            except json.JSONDecodeError as exc:
                error = {"status": {"error": f"Format error in JSON body: {exc.msg}"}, "time": 0.0}
                self._json(request, 400, error)
                return
            try:
                result = standin.handle(self.command, url.path, request.body)
            except _NoRoute:
                self._send(request, 404, b"", "text/plain")
                return
            except QdrantError as exc:
                self._json(request, exc.status, {"status": {"error": exc.message}, "time": _since(started)})
                return
            except ValueError as exc:  # the engine refuses what a server refuses as bad input
                error = {"status": {"error": f"Wrong input: {exc}"}, "time": _since(started)}
                self._json(request, 400, error)
                return
            self._json(request, 200, {"result": result, "status": "ok", "time": _since(started)})

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve  # noqa: N815

    return Handler


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 6)
