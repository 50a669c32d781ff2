"""A local stand-in for a city's OParl server, because no real OParl server can be reached from here.

It serves the *real* objects of the Stadt Karlsruhe council information system kept in the shared corpus
(``karlsruhe-oparl/``: 17 Papers, 15 Meetings, 97 Organizations and the extracted text of 55 Files) over
HTTP on 127.0.0.1 (a free port), the way an OParl 1.1 server does:

* ``GET /oparl/system``: a System built from the spec example ``System-01.json``, its ``body`` list URL
  pointing here;
* ``GET /oparl/bodies``: the body list; ``GET /oparl/bodies/0001``: a Body built from the spec example
  ``Body-01.json`` with Karlsruhe's identity (the body the Karlsruhe objects belong to) and its list URLs
  pointing here;
* ``GET /oparl/bodies/0001/papers``, ``.../meetings``, ``.../organizations``: OParl lists,
  ``{"data": [...], "pagination": {...}, "links": {"first", "prev", "next", "last"}}``, ``page_size``
  objects per page (``?page=n``), honouring ``modified_since`` (objects with ``modified`` >= the given
  time; the filter is kept in the ``links``). Deleted objects (``{"id", "type", "created", "modified",
  "deleted": true}``) are listed only when ``modified_since`` is given, as OParl 1.1 describes.
  The Body's file list holds the Files; its other lists (persons, agenda items ...) are served empty;
* every object at its own URL (``.../papers/vo/51349``, ``.../meetings/10054``,
  ``.../organizations/gr/32130``, ``.../files/670277``); unknown URLs answer 404 with a JSON error;
* File downloads at the Files' ``accessUrl`` (``.../downloadfiles/a/00663452.pdf``) and ``downloadUrl``
  (``.../downloadfiles/00663452.pdf``, with ``Content-Disposition: attachment``).

All Karlsruhe URLs (``https://web1.karlsruhe.de/oparl/...``) are rewritten to this server's base URL, so a
client that follows the URLs it is given never leaves 127.0.0.1.

Files: where the corpus has a File's extracted text (``file-contents/<id>.txt``), the File object is
served with that ``text`` (embedded in its Paper/Meeting and at its own URL), as the spec allows. For the
other Files the corpus has no bytes, so their downloads return one of a few small real municipal PDFs
from the shared corpus (``pdfs``: one-page invitations of Erlangen's Stadtteilbeirat Büchenbach, chosen by
File id); the File ids in ``missing_files`` answer 404 instead, to test how a
failed download is reported.

For tests: :meth:`modify` changes an object (and sets its ``modified`` to now), :meth:`delete` marks it
deleted; every request is recorded in :attr:`requests` (``{"method", "path", "query"}``). ``papers`` and
``meetings`` (numbers, e.g. ``["52386"]``) serve only those objects, for tests that need less data.

Usage::

    with OParlStandIn(missing_files={"671181"}) as server:
        OParlSource(server.system_url, mirror_dir).sync()
        server.modify(server.paper_id("52387"), name="...")
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.conftest import SHARED_CORPUS

KARLSRUHE = SHARED_CORPUS / "karlsruhe-oparl"
SPEC_EXAMPLES = SHARED_CORPUS / "oparl-spec" / "examples"
KARLSRUHE_BASE = "https://web1.karlsruhe.de/oparl"
EXAMPLE_BASE = "https://oparl.example.org"
# one-page invitations of a real council (Erlangen, Stadtteilbeirat Büchenbach): small, with a text layer
DEFAULT_PDFS = tuple(
    SHARED_CORPUS / "erlangen-stadtteilbeirat-buechenbach" / "SBR" / name
    for name in (
        "2020-01-22_Einladung_Einladung_-oeffentlich-.pdf",
        "2022-11-17_Einladung_Einladung_3_Sitzung_Buechenbach.pdf",
        "2023-11-15_Einladung_Einladung_2_Sitzung_Buechenbach.pdf",
        "2024-11-19_Einladung_Einladung_2_Sitzung_Buechenbach.pdf",
    )
)
_DOWNLOAD = re.compile(r"^/bodies/0001/downloadfiles/(?:(a)/)?0*(\d+)\.[A-Za-z0-9]+$")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _file_objects(obj: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every File embedded in a Paper or Meeting (main/aux files, protocols, agenda item files)."""
    for key in ("mainFile", "invitation", "resultsProtocol", "verbatimProtocol"):
        if isinstance(obj.get(key), dict):
            yield obj[key]
    yield from (f for f in obj.get("auxiliaryFile") or [] if isinstance(f, dict))
    for item in obj.get("agendaItem") or []:
        if isinstance(item, dict):
            if isinstance(item.get("resolutionFile"), dict):
                yield item["resolutionFile"]
            yield from (f for f in item.get("auxiliaryFile") or [] if isinstance(f, dict))


def last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client closing its keep-alive connection is normal; anything else is printed as usual
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class OParlStandIn:
    """The stand-in server; use as a context manager (see the module docstring)."""

    def __init__(
        self,
        page_size: int = 5,
        missing_files: Iterable[str] = (),
        pdfs: Iterable[Path] = DEFAULT_PDFS,
        papers: Iterable[str] | None = None,
        meetings: Iterable[str] | None = None,
    ) -> None:
        self.page_size = page_size
        self.only = {
            "papers": None if papers is None else {str(p) for p in papers},
            "meetings": None if meetings is None else {str(m) for m in meetings},
        }
        self.missing_files = {str(f) for f in missing_files}
        self.pdfs = [Path(p).read_bytes() for p in pdfs]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Any]] = {}
        self._lists: dict[str, list[str]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> OParlStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/oparl"
        self._load()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ------------------------------------------------------------ URLs

    @property
    def system_url(self) -> str:
        return f"{self.base_url}/system"

    @property
    def body_url(self) -> str:
        return f"{self.base_url}/bodies/0001"

    def paper_id(self, number: str) -> str:
        return f"{self.body_url}/papers/vo/{number}"

    def meeting_id(self, number: str) -> str:
        return f"{self.body_url}/meetings/{number}"

    def file_id(self, number: str) -> str:
        return f"{self.body_url}/files/{number}"

    def access_url(self, number: str) -> str:
        return f"{self.body_url}/downloadfiles/a/{int(number):08d}.pdf"

    # ------------------------------------------------------------ data

    def _rewrite(self, text: str) -> Any:
        return json.loads(text.replace(KARLSRUHE_BASE, self.base_url))

    def _load(self) -> None:
        texts = {p.stem: p.read_text(encoding="utf-8") for p in (KARLSRUHE / "file-contents").glob("*.txt")}
        body_url = self.body_url
        system = json.loads((SPEC_EXAMPLES / "System-01.json").read_text(encoding="utf-8"))
        system.update(
            id=self.system_url,
            body=f"{self.base_url}/bodies",
            name="OParl-Stand-in mit den Daten der Stadt Karlsruhe",
        )
        system.pop("otherOparlVersions", None)
        body_text = (SPEC_EXAMPLES / "Body-01.json").read_text(encoding="utf-8")
        body = json.loads(
            body_text.replace(f"{EXAMPLE_BASE}/body/0", body_url).replace(EXAMPLE_BASE, self.base_url)
        )
        body.update(
            id=body_url,
            system=self.system_url,
            name="Stadt Karlsruhe",
            shortName="Karlsruhe",
            ags="08212000",
            rgs="082120000000",
            website="https://www.karlsruhe.de/",
            classification="Stadtkreis",
        )
        body.pop("equivalent", None)
        body.pop("location", None)  # the example's location is Cologne's town hall
        for key in ("organization", "person", "meeting", "paper", "agendaItem", "consultation", "file",
                    "locationList", "membership"):  # fmt: skip
            body[key] = f"{body_url}/{key.lower().removesuffix('list')}s"
        objects: dict[str, dict[str, Any]] = {system["id"]: system, body["id"]: body}
        lists: dict[str, list[str]] = {f"{self.base_url}/bodies": [body["id"]]}
        for key in ("person", "agendaItem", "consultation", "locationList", "membership"):
            lists[body[key]] = []
        for kind, folder in (("paper", "papers"), ("meeting", "meetings")):
            ids = []
            only = self.only[folder]
            for path in sorted((KARLSRUHE / folder).glob("*.json")):
                if only is not None and path.stem not in only:
                    continue
                obj = self._rewrite(path.read_text(encoding="utf-8"))
                for file in _file_objects(obj):
                    number = last_segment(file["id"])
                    if number in texts:
                        file["text"] = texts[number]
                    objects.setdefault(file["id"], copy.deepcopy(file))
                objects[obj["id"]] = obj
                ids.append(obj["id"])
            lists[body[kind]] = ids
        organizations = self._rewrite((KARLSRUHE / "organizations.json").read_text(encoding="utf-8"))
        for org in organizations:
            objects[org["id"]] = org
        lists[body["organization"]] = [o["id"] for o in organizations]
        lists[body["file"]] = [i for i, o in objects.items() if o.get("type", "").endswith("/File")]
        self._objects, self._lists = objects, lists

    def modify(self, object_id: str, **changes: Any) -> str:
        """Change an object as the city's staff would; returns its new ``modified``."""
        with self._lock:
            obj = self._objects[object_id]
            obj.update(changes)
            obj["modified"] = _now()
            return str(obj["modified"])

    def delete(self, object_id: str) -> None:
        """Mark an object deleted (it stays in lists with ``modified_since``, as OParl 1.1 says)."""
        with self._lock:
            old = self._objects[object_id]
            self._objects[object_id] = {
                "id": old["id"],
                "type": old["type"],
                "created": old.get("created"),
                "modified": _now(),
                "deleted": True,
            }

    def object(self, object_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._objects[object_id])

    def paths(self, prefix: str = "") -> list[str]:
        """Paths requested so far (below ``/oparl``), optionally only those starting with ``prefix``."""
        with self._lock:
            return [r["path"] for r in self.requests if r["path"].startswith(prefix)]

    # ------------------------------------------------------------ HTTP

    def _list_page(self, url: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        since_text = query.get("modified_since")
        try:
            since = _parse_time(since_text) if since_text else None
            page = int(query.get("page", "1"))
        except ValueError:
            return 400, {"error": "invalid modified_since or page"}
        with self._lock:
            objects = [copy.deepcopy(self._objects[i]) for i in self._lists[url]]
        if since is None:
            objects = [o for o in objects if not o.get("deleted")]
        else:
            objects = [o for o in objects if o.get("modified") and _parse_time(o["modified"]) >= since]
        pages = max(1, math.ceil(len(objects) / self.page_size))
        if page < 1 or page > pages:
            return 404, {"error": "no such page"}
        data = objects[(page - 1) * self.page_size : page * self.page_size]

        def link(n: int) -> str:
            params = {"modified_since": since_text} if since_text else {}
            return f"{url}?{urlencode({**params, 'page': n})}"

        links = {"first": link(1), "last": link(pages)}
        if page > 1:
            links["prev"] = link(page - 1)
        if page < pages:
            links["next"] = link(page + 1)
        return 200, {
            "data": data,
            "pagination": {
                "totalElements": len(objects),
                "elementsPerPage": self.page_size,
                "currentPage": page,
                "totalPages": pages,
            },
            "links": links,
        }

    def _download(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        match = _DOWNLOAD.match(path)
        if not match:
            return 404, b"not found", {"Content-Type": "text/plain"}
        number = match.group(2)
        with self._lock:
            known = self.file_id(number) in self._objects
        if not known or number in self.missing_files:
            return 404, b"Datei nicht gefunden", {"Content-Type": "text/plain; charset=utf-8"}
        data = self.pdfs[int(number) % len(self.pdfs)]
        headers = {"Content-Type": "application/pdf", "Last-Modified": "Tue, 04 Nov 2025 10:01:29 GMT"}
        if not match.group(1):  # downloadUrl: the spec requires an attachment disposition
            headers["Content-Disposition"] = f'attachment; filename="{int(number):08d}.pdf"'
        return 200, data, headers

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data, ensure_ascii=False).encode("utf-8")
                self._send(status, body, {"Content-Type": "application/json; charset=utf-8"})

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                path = parts.path.removeprefix("/oparl") if parts.path.startswith("/oparl/") else None
                with standin._lock:
                    standin.requests.append({"method": "GET", "path": parts.path, "query": query})
                if path is None:
                    self._json(404, {"error": "not found"})
                    return
                if path.startswith("/bodies/0001/downloadfiles/"):
                    self._send(*standin._download(path))
                    return
                url = f"{standin.base_url}{path}"
                if url in standin._lists:
                    self._json(*standin._list_page(url, query))
                    return
                with standin._lock:
                    obj = copy.deepcopy(standin._objects.get(url))
                if obj is None:
                    self._json(404, {"error": "not found"})
                else:  # deleted objects too (with "deleted": true), as OParl 1.1 says
                    self._json(200, obj)

        return Handler
