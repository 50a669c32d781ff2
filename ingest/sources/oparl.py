"""OParl 1.x source: mirrors a council information system (papers, meetings, their files) into a folder.

The folder ingest then indexes the mirror like any other folder. Layout of ``mirror_dir``::

    papers/<id>.json            the Paper object as received
    meetings/<id>.json          the Meeting object as received
    files/<id>.txt              a File's ``text`` (when the server provides it)
    files/<id>.<ext>            else the File's download (``accessUrl``, else ``downloadUrl``)
    <any of these>.meta.json    sidecar: metadata for the chunks (source URL, title, doc_type, ...)
    .oparl-state.json           what was mirrored, for the next (delta) sync; and what was forgotten

``<id>`` is the last segment of the object's URL. Every write is atomic (a hidden temp file, then
``os.replace``), and a document's sidecar is written before the document itself, so a killed sync never
leaves a half-written file and an ingest that runs in between never sees a document without its metadata.

Delta sync: the state keeps, per list URL, the time the last complete walk of that list started; the next
sync asks for ``modified_since=<that time>`` only. Objects with ``"deleted": true`` remove their mirrored
documents and the files that belonged only to them; an object whose ``modified`` is unchanged is not
written again, and a File whose ``modified`` is unchanged is not downloaded again. A download that fails is
reported and retried on every later sync. A list walked completely without ``modified_since`` (the first
sync) also removes mirrored objects the server no longer lists.

Forgotten objects and files (``auskunft forget``, :func:`forget_in_mirror`) are listed in the state and never
written to the mirror again, whatever the server says.

Only the configured URL and URLs the server returns are requested.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

logger = logging.getLogger(__name__)

STATE_NAME = ".oparl-state.json"
SIDECAR_SUFFIX = ".meta.json"
STATE_VERSION = 1
USER_AGENT = "Auskunft-OParl-Mirror/1.0"

_MEETING_FILE_ROLES = (
    ("invitation", "Einladung"),
    ("resultsProtocol", "Niederschrift"),
    ("verbatimProtocol", "Niederschrift"),
    ("auxiliaryFile", None),
)
_PAPER_FILE_ROLES = ("mainFile", "auxiliaryFile")

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/markdown": ".md",
    "application/json": ".json",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/rtf": ".rtf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
}
_FILE_NAME_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("Niederschrift", re.compile(r"protokoll|niederschrift", re.I)),
    ("Einladung", re.compile(r"tagesordnung|einladung", re.I)),
    ("Beschlussvorlage", re.compile(r"beschlussvorlage", re.I)),
    ("Satzung", re.compile(r"satzung", re.I)),
    ("Verordnung", re.compile(r"verordnung", re.I)),
]
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MUNICIPALITY_PREFIX = re.compile(
    r"^(?:Stadt|Gemeinde|Markt|Landeshauptstadt|Hansestadt|Universitätsstadt|Große Kreisstadt)\s+"
)
_NON_PUBLIC_NAME = re.compile(r"\(\s*nicht[ -]?öffentlich\s*\)", re.I)


class ForeignHostError(httpx.TransportError):
    """A URL on another host than the configured OParl server (not fetched)."""


class OParlError(Exception):
    """The configured URL could not be read as an OParl System, Body or body list."""


class _ListError(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason


@dataclass
class OParlSyncReport:
    """``fetched``/``deleted``: documents (object JSON and files) written/removed by this sync;
    ``unchanged``: documents in the mirror this sync left as they were; ``failed``: ``{"source", "reason"}``."""

    fetched: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------- helpers


def _kind(obj: dict[str, Any]) -> str:
    return str(obj.get("type", "")).rstrip("/").rsplit("/", 1)[-1]


def _date(value: Any) -> str | None:
    text = str(value or "")[:10]
    return text if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


def _date_in_name(name: str) -> str | None:
    """The date a file's name states ("Protokoll GR 27.01.2026 TOP 4"): the meeting's, where the File's own
    date is often only the day the protocol was signed or uploaded."""
    match = re.search(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)", name)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day).date().isoformat()
    except ValueError:
        return None


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _newer(new: Any, old: Any) -> bool:
    """Whether ``modified`` moved on (unparseable or missing timestamps count as changed when different)."""
    if new == old and new is not None:
        return False
    a, b = _parse_time(new), _parse_time(old)
    if a is not None and b is not None:
        return a > b
    return True


def municipality_from_body(name: Any) -> str | None:
    """``"Stadt Köln, kreisfreie Stadt"`` -> ``"Köln"``."""
    if not name:
        return None
    text = _MUNICIPALITY_PREFIX.sub("", str(name).strip())
    return text.split(",")[0].strip() or None


def paper_doc_type(paper: dict[str, Any]) -> str:
    kind = str(paper.get("paperType") or "").lower()
    if "beschlussvorlage" in kind or kind == "vorlage":
        return "Beschlussvorlage"
    if "antrag" in kind or "anfrage" in kind:
        return "Antrag"
    return "Sonstiges"


def file_doc_type(name: str) -> str | None:
    for doc_type, pattern in _FILE_NAME_TYPES:
        if pattern.search(name):
            return doc_type
    return None


def meeting_is_public(meeting: dict[str, Any]) -> bool:
    if meeting.get("public") is False:
        return False
    return not _NON_PUBLIC_NAME.search(str(meeting.get("name") or ""))


def _segment(url: str) -> str:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "object"
    return _SAFE.sub("_", last).lstrip(".") or "object"


def _extension(file: dict[str, Any], url: str, content_type: str | None = None) -> str:
    for mime in (file.get("mimeType"), content_type):
        mime = str(mime or "").split(";")[0].strip().lower()
        if mime in _EXTENSIONS:
            return _EXTENSIONS[mime]
    for name in (file.get("fileName"), urlsplit(url).path):
        suffix = PurePosixPath(str(name or "")).suffix.lower()
        if suffix and re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
            return suffix
    for mime in (file.get("mimeType"), content_type):
        guessed = mimetypes.guess_extension(str(mime or "").split(";")[0].strip())
        if guessed:
            return guessed
    return ".bin"


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if v is not None and v != ""}


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


# ---------------------------------------------------------------- metadata of objects and files


def _paper_body(paper: dict[str, Any], org_name: Callable[[Any], str | None]) -> str | None:
    consultations = [c for c in paper.get("consultation") or [] if isinstance(c, dict)]
    consultations.sort(key=lambda c: (not c.get("authoritative"), str(c.get("role") or "") != "Entscheidung"))
    for consultation in consultations:
        for org in consultation.get("organization") or []:
            name = org_name(org)
            if name:
                return name
    return None


def paper_meta_and_files(
    paper: dict[str, Any], municipality: str | None, org_name: Callable[[Any], str | None]
) -> tuple[dict[str, Any], list[tuple[Any, dict[str, Any]]]]:
    """A Paper's own metadata, and its File references each with the context its files inherit."""
    doc_type = paper_doc_type(paper)
    body = _paper_body(paper, org_name)
    meta = {
        "source": paper["id"],
        "title": paper.get("name") or paper.get("reference"),
        "doc_type": doc_type,
        "reference": paper.get("reference"),
        "date": _date(paper.get("date")),
        "body": body,
        "municipality": municipality,
        "public": paper.get("public") is not False,
        "oparl_id": paper["id"],
        "oparl_type": "Paper",
    }
    ctx = _clean(
        {
            "owner_type": "Paper",
            "owner_title": paper.get("name"),
            "reference": paper.get("reference"),
            "date": _date(paper.get("date")),
            "body": body,
            "municipality": municipality,
            "public": paper.get("public") is not False,
        }
    )
    # the main file is the paper itself; an attachment ("Anlage 1") is often of another kind (the statute)
    main = _clean({**ctx, "doc_type": doc_type if doc_type != "Sonstiges" else None})
    refs: list[tuple[Any, dict[str, Any]]] = []
    for role in _PAPER_FILE_ROLES:
        for ref in _as_list(paper.get(role)):
            refs.append((ref, main if role == "mainFile" else ctx))
    return meta, refs


def meeting_meta_and_files(
    meeting: dict[str, Any], municipality: str | None, org_name: Callable[[Any], str | None]
) -> tuple[dict[str, Any], list[tuple[Any, dict[str, Any]]]]:
    """A Meeting's own metadata, and its File references (agenda items' too) with their context."""
    body = None
    for org in meeting.get("organization") or []:
        body = org_name(org)
        if body:
            break
    if not body:
        body = str(meeting.get("name") or "").split("(")[0].strip() or None
    public = meeting_is_public(meeting)
    date = _date(meeting.get("start"))
    meta = {
        "source": meeting["id"],
        "title": meeting.get("name"),
        "doc_type": "Niederschrift"
        if meeting.get("resultsProtocol") or meeting.get("verbatimProtocol")
        else "Einladung",
        "date": date,
        "body": body,
        "municipality": municipality,
        "public": public,
        "oparl_id": meeting["id"],
        "oparl_type": "Meeting",
    }
    base = {
        "owner_type": "Meeting",
        "owner_title": meeting.get("name"),
        "date": date,
        "body": body,
        "municipality": municipality,
        "public": public,
    }
    refs: list[tuple[Any, dict[str, Any]]] = []
    for role, hint in _MEETING_FILE_ROLES:
        for ref in _as_list(meeting.get(role)):
            refs.append((ref, _clean({**base, "doc_type": hint})))
    for item in meeting.get("agendaItem") or []:
        if not isinstance(item, dict):
            continue
        number = str(item.get("number") or "").strip()
        ctx = _clean(
            {
                **base,
                "owner_title": item.get("name") or meeting.get("name"),
                "public": public and item.get("public") is not False,
                "agenda_item": f"TOP {number}" if number else None,
            }
        )
        for role in ("resolutionFile", "auxiliaryFile"):
            for ref in _as_list(item.get(role)):
                refs.append((ref, ctx))
    return meta, refs


def file_record(fobj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the state keeps of a File (enough to retry a failed download and to write its sidecar)."""
    keep = ("id", "name", "fileName", "mimeType", "date", "modified", "accessUrl", "downloadUrl")
    record = {k: fobj[k] for k in keep if fobj.get(k) is not None}
    if previous and _newer(previous.get("modified"), record.get("modified")) and previous.get("modified"):
        record["modified"] = previous["modified"]
    return record


def file_meta(fid: str, file: dict[str, Any], contexts: list[dict[str, Any]]) -> dict[str, Any]:
    """A File's sidecar metadata: its own name, the rest from the objects it belongs to (papers first); its date
    is the one its name states, else its meeting's, else its own, else its paper's. The title names the paper
    or meeting too where the file's name does not ("Beschlussvorlage – Satzung zur Änderung der
    Hundesteuersatzung"): file names are often only a role."""
    contexts = sorted(contexts, key=lambda c: (c.get("owner_type") != "Paper", str(c.get("owner"))))

    def first(key: str) -> Any:
        return next((c[key] for c in contexts if c.get(key) is not None), None)

    name = str(file.get("name") or file.get("fileName") or _segment(fid))
    # "Stellplatzsatzung; Satzungsbeschluss gemäß § 74 Abs. 2, 5 und 6 LBO, § 4 GemO": the subject, not the procedure
    owner = str(first("owner_title") or "").split("; ")[0].strip()
    # a meeting's files (invitation, protocol, resolutions) are dated by the meeting
    meeting_date = next(
        (c["date"] for c in contexts if c.get("owner_type") == "Meeting" and c.get("date")), None
    )
    return {
        "source": file.get("accessUrl") or file.get("downloadUrl") or fid,
        "title": f"{name} – {owner}" if owner and owner.lower() not in name.lower() else name,
        "doc_type": file_doc_type(name) or first("doc_type"),  # else guessed from the text at ingest
        "reference": first("reference"),
        "date": _date_in_name(name) or meeting_date or _date(file.get("date")) or first("date"),
        "body": first("body"),
        "municipality": first("municipality"),
        "public": all(c.get("public", True) is not False for c in contexts),
        "agenda_item": first("agenda_item"),
        "oparl_id": fid,
        "oparl_type": "File",
    }


# ---------------------------------------------------------------- the source


class OParlSource:
    """
    Mirrors an OParl 1.x server (System or Body URL) into ``mirror_dir``; see the module docstring.

    Usage example:
    ```python
    report = OParlSource("https://ris.example-stadt.de/oparl/v1.1/system", Path("mirror")).sync()
    report.fetched, report.deleted, report.unchanged, report.failed
    ```
    """

    def __init__(
        self,
        url: str,
        mirror_dir: Path,
        timeout: float = 30.0,
        max_file_mb: int = 100,
        extra_hosts: list[str] | None = None,
    ) -> None:
        self.url = url
        # only the server's own host (and these) is ever contacted, also after a redirect: a server's JSON
        # cannot make Auskunft fetch other addresses (e.g. internal services)
        self.extra_hosts = list(extra_hosts or [])
        self.mirror_dir = Path(mirror_dir)
        self.timeout = timeout
        self.max_bytes = int(max_file_mb) * 1024 * 1024
        self.max_file_mb = max_file_mb
        self._client: httpx.Client | None = None
        self._state: dict[str, Any] = {}
        self._report = OParlSyncReport()
        self._written: set[str] = set()
        self._files_done: set[str] = set()
        self._orgs: dict[str, str | None] = {}
        self._path_owner: dict[str, str] = {}

    # ------------------------------------------------------------ sync

    def sync(self) -> OParlSyncReport:
        """Bring the mirror up to date. Raises :class:`OParlError` if the configured URL cannot be read."""
        started = time.monotonic()
        since_stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.mirror_dir.mkdir(parents=True, exist_ok=True)
        self._report = OParlSyncReport()
        self._written = set()
        self._files_done = set()
        self._orgs = {}
        self._state = self._load_state()
        self._remove_stale_temp_files()
        with httpx.Client(
            timeout=self.timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            event_hooks={"request": [self._check_host]},
        ) as client:
            self._client = client
            try:
                for body in self._bodies():
                    self._sync_body(body, since_stamp)
                self._remove_orphaned_files()
                self._retry_failed_files()
                self._remove_stray_sidecars()
            finally:
                self._save_state()
                self._client = None
        documents = sum(1 for o in self._state["objects"].values() if o.get("path")) + sum(
            1 for f in self._state["files"].values() if f.get("path")
        )
        self._report.unchanged = max(0, documents - len(self._written))
        self._report.seconds = time.monotonic() - started
        return self._report

    # ------------------------------------------------------------ HTTP

    def allowed_hosts(self) -> set[str]:
        return {(urlsplit(self.url).hostname or "").lower()} | {h.lower() for h in self.extra_hosts}

    def _check_host(self, request: httpx.Request) -> None:
        host = (request.url.host or "").lower()
        if request.url.scheme not in ("http", "https") or host not in self.allowed_hosts():
            raise ForeignHostError(
                f"{host or request.url} is not the OParl server's host; add it to ingest.oparl_hosts to allow it",
                request=request,
            )

    def _get_json(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        assert self._client is not None
        response = self._client.get(url, params=params)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("response is not a JSON object")
        return data

    @staticmethod
    def _reason(exc: Exception) -> str:
        if isinstance(exc, ForeignHostError):
            return f"not fetched: {exc}"
        if isinstance(exc, httpx.HTTPStatusError):
            return f"HTTP {exc.response.status_code} {exc.response.reason_phrase}".strip()
        if isinstance(exc, httpx.TimeoutException):
            return f"timeout ({exc.__class__.__name__})"
        if isinstance(exc, httpx.HTTPError):
            return f"connection failed ({exc.__class__.__name__}: {str(exc)[:120]})"
        if isinstance(exc, ValueError):
            return f"not valid OParl JSON ({str(exc)[:120]})"
        return f"{exc.__class__.__name__}: {str(exc)[:120]}"

    def _pages(self, url: str, since: str | None) -> Iterator[list[dict[str, Any]]]:
        """The objects of an OParl list, page by page (following ``links.next``)."""
        next_url: str | None = _with_query(url, modified_since=since) if since else url
        seen: set[str] = set()
        while next_url and next_url not in seen:
            seen.add(next_url)
            try:
                page = self._get_json(next_url)
            except (httpx.HTTPError, ValueError) as exc:
                raise _ListError(next_url, self._reason(exc)) from exc
            data = page.get("data")
            if not isinstance(data, list):
                raise _ListError(next_url, "not an OParl list (no 'data' array)")
            yield [o for o in data if isinstance(o, dict)]
            links = page.get("links") if isinstance(page.get("links"), dict) else {}
            nxt = links.get("next") if links else None
            next_url = str(nxt) if nxt else None

    def _bodies(self) -> list[dict[str, Any]]:
        try:
            entry = self._get_json(self.url)
        except (httpx.HTTPError, ValueError) as exc:
            raise OParlError(f"{self.url}: {self._reason(exc)}") from exc
        kind = _kind(entry)
        if kind == "Body":
            return [entry]
        if kind == "System" or "body" in entry:
            bodies = entry.get("body")
            if isinstance(bodies, str):
                try:
                    return [b for page in self._pages(bodies, None) for b in page]
                except _ListError as exc:
                    raise OParlError(f"{exc.url}: {exc.reason}") from exc
            if isinstance(bodies, list):
                try:
                    return [b if isinstance(b, dict) else self._get_json(str(b)) for b in bodies]
                except (httpx.HTTPError, ValueError) as exc:
                    raise OParlError(f"{self.url}: a body could not be read: {self._reason(exc)}") from exc
            raise OParlError(f"{self.url}: System without a 'body' list")
        if isinstance(entry.get("data"), list):  # a body list URL
            try:
                return [b for page in self._pages(self.url, None) for b in page]
            except _ListError as exc:
                raise OParlError(f"{exc.url}: {exc.reason}") from exc
        raise OParlError(f"{self.url}: neither an OParl System nor a Body")

    # ------------------------------------------------------------ state

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads((self.mirror_dir / STATE_NAME).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            state = {}
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            state = {}
        state = {
            "version": STATE_VERSION,
            "url": self.url,
            "lists": dict(state.get("lists", {})),
            "objects": dict(state.get("objects", {})),
            "files": dict(state.get("files", {})),
            "forgotten": list(state.get("forgotten", [])),
        }
        self._path_owner = {}
        for oid, entry in [*state["objects"].items(), *state["files"].items()]:
            if entry.get("path"):
                self._path_owner[entry["path"]] = oid
        return state

    def _save_state(self) -> None:
        _atomic_write_bytes(self.mirror_dir / STATE_NAME, _json_bytes(self._state))

    def _remove_stale_temp_files(self) -> None:
        for folder in (self.mirror_dir, *(self.mirror_dir / d for d in ("papers", "meetings", "files"))):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    def _remove_stray_sidecars(self) -> None:
        """A sidecar whose document is missing (a sync killed between the two writes)."""
        for folder in ("papers", "meetings", "files"):
            for sidecar in (self.mirror_dir / folder).glob("*" + SIDECAR_SUFFIX):
                if not sidecar.with_name(sidecar.name.removesuffix(SIDECAR_SUFFIX)).exists():
                    sidecar.unlink(missing_ok=True)

    def _path_for(self, folder: str, oid: str, ext: str, current: str | None) -> str:
        """A mirror path for ``oid`` that no other object uses (usually ``<folder>/<last segment><ext>``)."""
        base = _segment(oid)
        if current and current.startswith(f"{folder}/") and current.endswith(ext):
            return current
        rel = f"{folder}/{base}{ext}"
        if self._path_owner.get(rel, oid) != oid:
            rel = f"{folder}/{base}-{hashlib.sha1(oid.encode()).hexdigest()[:8]}{ext}"
        return rel

    # ------------------------------------------------------------ writing and removing documents

    def _write_sidecar(self, rel: str, meta: dict[str, Any]) -> None:
        sidecar = self.mirror_dir / (rel + SIDECAR_SUFFIX)
        data = _json_bytes(_clean(meta))
        try:
            if sidecar.read_bytes() == data:
                return
        except FileNotFoundError:
            pass
        _atomic_write_bytes(sidecar, data)

    def _write_document(self, rel: str, data: bytes, meta: dict[str, Any], oid: str) -> None:
        self._write_sidecar(rel, meta)
        _atomic_write_bytes(self.mirror_dir / rel, data)
        self._path_owner[rel] = oid
        self._written.add(rel)
        self._report.fetched += 1

    def _remove_document(self, rel: str | None, count: bool = True) -> None:
        if not rel:
            return
        path = self.mirror_dir / rel
        existed = path.exists()
        path.unlink(missing_ok=True)
        (self.mirror_dir / (rel + SIDECAR_SUFFIX)).unlink(missing_ok=True)
        self._path_owner.pop(rel, None)
        self._written.discard(rel)
        if existed and count:
            self._report.deleted += 1

    # ------------------------------------------------------------ bodies and lists

    def _sync_body(self, body: dict[str, Any], since_stamp: str) -> None:
        municipality = municipality_from_body(body.get("name"))
        for kind in ("paper", "meeting"):
            list_url = body.get(kind)
            if not isinstance(list_url, str) or not list_url:
                continue
            since = self._state["lists"].get(list_url)
            seen: set[str] = set()
            try:
                for page in self._pages(list_url, since):
                    for obj in page:
                        if isinstance(obj.get("id"), str):
                            seen.add(obj["id"])
                        try:
                            self._handle_object(kind, obj, list_url, municipality)
                        except OSError:
                            raise
                        except Exception as exc:  # one odd object must not stop the sync
                            logger.warning("OParl object %s skipped", obj.get("id"), exc_info=True)
                            self._fail(
                                str(obj.get("id") or list_url), f"could not be mirrored ({self._reason(exc)})"
                            )
                    self._save_state()
            except _ListError as exc:
                self._fail(exc.url, f"OParl list could not be read: {exc.reason}; the next sync tries again")
                continue
            if since is None:  # a complete list: what it no longer holds is gone on the server
                gone = [
                    oid
                    for oid, entry in self._state["objects"].items()
                    if entry.get("list") == list_url and oid not in seen
                ]
                for oid in gone:
                    self._delete_object(oid)
            self._state["lists"][list_url] = since_stamp
            self._save_state()

    def _fail(self, source: str, reason: str) -> None:
        self._report.failed.append({"source": source, "reason": reason})

    # ------------------------------------------------------------ papers and meetings

    def _handle_object(self, kind: str, obj: dict[str, Any], list_url: str, municipality: str | None) -> None:
        oid = obj.get("id")
        if not isinstance(oid, str) or not oid:
            self._fail(list_url, f"{kind} without an id skipped")
            return
        known = self._state["objects"].get(oid)
        forgotten = oid in self._state["forgotten"]  # its files are still handled (they have their own ids)
        if obj.get("deleted"):
            if known:
                self._delete_object(oid)
            return
        if (
            known
            and known.get("path")
            and not _newer(obj.get("modified"), known.get("modified"))
            and (self.mirror_dir / known["path"]).exists()
        ):
            return
        folder = "papers" if kind == "paper" else "meetings"
        rel = self._path_for(folder, oid, ".json", known.get("path") if known else None)
        if kind == "paper":
            meta, refs = self._paper(obj, municipality)
        else:
            meta, refs = self._meeting(obj, municipality)
        if not forgotten:
            self._write_document(rel, _json_bytes(obj), meta, oid)
        old_files = set(known.get("files", [])) if known else set()
        new_files: list[str] = []
        for ref, ctx in refs:
            fid = self._handle_file(ref, {**ctx, "owner": oid})
            if fid and fid not in new_files:
                new_files.append(fid)
        for fid in old_files - set(new_files):
            self._drop_file_owner(fid, oid)
        self._state["objects"][oid] = {
            "kind": kind,
            "list": list_url,
            "path": None if forgotten else rel,
            "modified": obj.get("modified"),
            "files": new_files,
        }

    def _delete_object(self, oid: str) -> None:
        entry = self._state["objects"].pop(oid, None)
        if not entry:
            return
        self._remove_document(entry.get("path"))
        for fid in entry.get("files", []):
            self._drop_file_owner(fid, oid)

    def _org_name(self, ref: Any) -> str | None:
        if isinstance(ref, dict):
            return str(ref["name"]) if ref.get("name") else None
        if not isinstance(ref, str) or not ref:
            return None
        if ref not in self._orgs:
            try:
                name = self._get_json(ref).get("name")
                self._orgs[ref] = str(name) if name else None
            except (httpx.HTTPError, ValueError):
                logger.info("organization %s could not be read", ref)
                self._orgs[ref] = None
        return self._orgs[ref]

    def _paper(
        self, paper: dict[str, Any], municipality: str | None
    ) -> tuple[dict[str, Any], list[tuple[Any, dict[str, Any]]]]:
        return paper_meta_and_files(paper, municipality, self._org_name)

    def _meeting(
        self, meeting: dict[str, Any], municipality: str | None
    ) -> tuple[dict[str, Any], list[tuple[Any, dict[str, Any]]]]:
        return meeting_meta_and_files(meeting, municipality, self._org_name)

    # ------------------------------------------------------------ files

    def _handle_file(self, ref: Any, ctx: dict[str, Any]) -> str | None:
        """Mirror one File referenced by an object (embedded or by URL); returns its id."""
        if isinstance(ref, dict):
            fobj = ref
        elif isinstance(ref, str) and ref:
            fobj = {"id": ref}
            if ref not in self._files_done:
                try:
                    fobj = self._get_json(ref)
                except (httpx.HTTPError, ValueError) as exc:
                    entry = self._state["files"].setdefault(ref, {"contexts": {}, "path": None})
                    entry["contexts"][ctx["owner"]] = ctx
                    entry.setdefault("file", {"id": ref})
                    self._files_done.add(ref)
                    self._file_failed(ref, ref, f"OParl File could not be read: {self._reason(exc)}")
                    return ref
        else:
            return None
        fid = fobj.get("id") or fobj.get("accessUrl")
        if not isinstance(fid, str) or not fid:
            return None
        entry = self._state["files"].setdefault(fid, {"contexts": {}, "path": None})
        entry["contexts"][ctx["owner"]] = ctx
        if fid in self._state["forgotten"]:
            self._files_done.add(fid)
            return fid
        if fid in self._files_done:  # a File that several objects reference: mirrored once per sync
            record = entry.get("file") or {}
            if fobj.get("modified") and _newer(fobj["modified"], record.get("modified")):
                record["modified"] = fobj["modified"]
            if entry.get("path"):
                self._write_sidecar(entry["path"], self._file_meta(fid))
            return fid
        self._files_done.add(fid)
        has_text = bool(str(fobj.get("text") or "").strip())
        path = entry.get("path")
        stale = (
            not path
            or bool(entry.get("failed"))
            or not (self.mirror_dir / path).exists()
            or _newer(fobj.get("modified"), entry.get("file", {}).get("modified"))
            or has_text != bool(entry.get("from_text"))
        )
        if stale:
            self._fetch_file(fid, fobj)
        else:
            entry["file"] = file_record(fobj, entry.get("file"))
            self._write_sidecar(path, self._file_meta(fid))
        return fid

    def _file_meta(self, fid: str) -> dict[str, Any]:
        entry = self._state["files"][fid]
        return file_meta(fid, entry.get("file") or {}, list(entry.get("contexts", {}).values()))

    def _fetch_file(self, fid: str, fobj: dict[str, Any]) -> None:
        entry = self._state["files"][fid]
        entry["file"] = file_record(fobj)
        old_path = entry.get("path")
        text = str(fobj.get("text") or "")
        if text.strip():
            rel = self._path_for("files", fid, ".txt", old_path)
            if old_path and old_path != rel:
                self._remove_document(old_path, count=False)
            self._write_document(rel, text.encode("utf-8"), self._file_meta(fid), fid)
            entry.update(path=rel, failed=None, from_text=True)
            return
        urls = [u for u in (fobj.get("accessUrl"), fobj.get("downloadUrl")) if isinstance(u, str) and u]
        if not urls:
            self._file_failed(fid, fid, "File without text, accessUrl or downloadUrl")
            return
        error = ""
        for url in urls:
            try:
                self._download(fid, fobj, url, old_path)
                return
            except _DownloadTooLarge as exc:
                self._file_failed(fid, url, str(exc))
                return
            except (httpx.HTTPError, OSError) as exc:
                error = f"download failed: {self._reason(exc) if isinstance(exc, httpx.HTTPError) else exc}"
                logger.info("download of %s failed: %s", url, error)
        self._file_failed(fid, urls[0], error)

    def _file_failed(self, fid: str, source: str, reason: str) -> None:
        entry = self._state["files"][fid]
        entry["failed"] = reason
        if entry.get("path") and (self.mirror_dir / entry["path"]).exists():
            reason += "; the earlier copy is kept"
        else:
            entry["path"] = None
        self._fail(source, reason)

    def _download(self, fid: str, fobj: dict[str, Any], url: str, old_path: str | None) -> None:
        assert self._client is not None
        entry = self._state["files"][fid]
        size = fobj.get("size")
        if isinstance(size, int) and size > self.max_bytes:
            raise _DownloadTooLarge(self.max_file_mb)
        (self.mirror_dir / "files").mkdir(parents=True, exist_ok=True)
        tmp = self.mirror_dir / "files" / f".{_segment(fid)}.{os.getpid()}.{time.time_ns()}.tmp"
        try:
            with self._client.stream("GET", url, headers={"Accept": "*/*"}) as response:
                response.raise_for_status()
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise _DownloadTooLarge(self.max_file_mb)
                received = 0
                with tmp.open("wb") as f:
                    for chunk in response.iter_bytes(1 << 16):
                        received += len(chunk)
                        if received > self.max_bytes:
                            raise _DownloadTooLarge(self.max_file_mb)
                        f.write(chunk)
                    f.flush()
                    os.fsync(f.fileno())
                content_type = response.headers.get("Content-Type")
            if received == 0:
                raise OSError("the server sent an empty file")
            rel = self._path_for("files", fid, _extension(fobj, url, content_type), old_path)
            if old_path and old_path != rel:
                self._remove_document(old_path, count=False)
            self._write_sidecar(rel, self._file_meta(fid))
            os.replace(tmp, self.mirror_dir / rel)
            self._path_owner[rel] = fid
            self._written.add(rel)
            self._report.fetched += 1
            entry.update(path=rel, failed=None, from_text=False)
        finally:
            tmp.unlink(missing_ok=True)

    def _drop_file_owner(self, fid: str, owner: str) -> None:
        """``owner`` no longer references the File; a File nobody references goes at the end of the sync
        (another object may take it over in the same sync, then it is not downloaded again)."""
        entry = self._state["files"].get(fid)
        if not entry:
            return
        entry.get("contexts", {}).pop(owner, None)
        if entry.get("contexts") and entry.get("path"):
            self._write_sidecar(entry["path"], self._file_meta(fid))

    def _remove_orphaned_files(self) -> None:
        for fid, entry in list(self._state["files"].items()):
            if not entry.get("contexts"):
                self._remove_document(entry.get("path"))
                del self._state["files"][fid]

    def _retry_failed_files(self) -> None:
        for fid, entry in list(self._state["files"].items()):
            if fid in self._files_done or not entry.get("failed") or not entry.get("contexts"):
                continue
            if fid in self._state["forgotten"]:
                continue
            self._files_done.add(fid)
            fobj = entry.get("file") or {"id": fid}
            if not (fobj.get("accessUrl") or fobj.get("downloadUrl")):
                try:
                    fobj = self._get_json(fid)
                except (httpx.HTTPError, ValueError) as exc:
                    self._fail(fid, f"OParl File could not be read: {self._reason(exc)}")
                    continue
            self._fetch_file(fid, fobj)
        self._save_state()


def forget_in_mirror(mirror_dir: Path, document: Path) -> str | None:
    """Remove a mirrored document and its sidecar, and list its OParl id as forgotten so that no later sync
    mirrors it again. Returns the id, or ``None`` if the state does not know the document (it is removed anyway).
    """
    rel = document.resolve().relative_to(mirror_dir.resolve()).as_posix()
    state_path = mirror_dir / STATE_NAME
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = {}
    oid = None
    for kind in ("objects", "files"):
        for key, entry in (state.get(kind) or {}).items():
            if isinstance(entry, dict) and entry.get("path") == rel:
                oid, entry["path"] = key, None
    if oid is not None:
        state["forgotten"] = sorted({*state.get("forgotten", []), oid})
        _atomic_write_bytes(state_path, _json_bytes(state))
    (mirror_dir / (rel + SIDECAR_SUFFIX)).unlink(missing_ok=True)
    (mirror_dir / rel).unlink(missing_ok=True)
    return oid


class _DownloadTooLarge(Exception):
    def __init__(self, max_file_mb: int) -> None:
        super().__init__(f"larger than indexing.max_file_mb ({max_file_mb} MB); not downloaded")
