"""Audit log: who asked what, when, and which documents were shown; pseudonymised, expiring, exportable.

One JSON line per question in ``<data_dir>/audit/<YYYY-MM-DD>.jsonl``. The user is stored as a
pseudonym: an HMAC-SHA256 of the user name with a random secret that never leaves
``<data_dir>/audit/.secret``; ``auskunft audit pseudonym NAME`` computes it again, e.g. to answer a data
subject's request. Day files older than ``audit.retention_days`` are deleted whenever the log is written
and by the nightly re-index. ``auskunft audit export FILE`` writes the records for the data protection officer.
With ``privacy.mask_logs`` the question is stored with personal data masked ("[Name]", "[Telefon]" …,
see ``pipelines.components.personal_data_masker``).

>>> log = AuditLog(Path("/tmp/auskunft-audit-doctest"), retention_days=90)
>>> record = log.record("m.mueller", "staff", "cli", "search", "Hundesteuer?", ["/srv/satzung.md"])
>>> record["user"] == log.pseudonym("m.mueller") != "m.mueller"
True
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
SECRET_NAME = ".secret"


class AuditLog:
    def __init__(
        self, folder: Path, retention_days: int = 90, enabled: bool = True, mask: bool = False
    ) -> None:
        self.folder = folder
        self.retention_days = retention_days
        self.enabled = enabled
        self.mask = mask

    @classmethod
    def for_settings(cls, settings: Any) -> AuditLog:
        return cls(
            Path(settings.data_dir) / "audit",
            settings.audit.retention_days,
            enabled=settings.audit.enabled,
            mask=settings.privacy.mask_logs,
        )

    # -- pseudonyms ------------------------------------------------------------------------
    def _secret(self) -> bytes:
        """The key of the pseudonyms, made on first use. It appears whole or not at all (written to a
        temporary file, then hard-linked into place), so requests that arrive together on a fresh data dir
        all use the one key that was kept, never an empty or a discarded one."""
        path = self.folder / SECRET_NAME
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{SECRET_NAME}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another request was first: its key counts
            except OSError:  # a file system without hard links: still whole when it appears
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_bytes()

    def pseudonym(self, user: str) -> str:
        return hmac.new(self._secret(), user.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    # -- writing ---------------------------------------------------------------------------
    def record(
        self,
        user: str,
        role: str,
        channel: str,
        action: str,
        question: str,
        documents: list[str],
        refused: bool | None = None,
        now: datetime.datetime | None = None,
    ) -> dict[str, Any]:
        """Append one record (the documents shown, in order, without duplicates); returns it."""
        now = now or datetime.datetime.now().astimezone()
        if self.mask:
            from pipelines.components.personal_data_masker import mask_personal_data

            question = mask_personal_data(question)[0]
        record = {
            "time": now.isoformat(timespec="seconds"),
            "user": self.pseudonym(user),
            "role": role,
            "channel": channel,
            "action": action,
            "question": question,
            "documents": list(dict.fromkeys(documents)),
            "refused": refused,
        }
        if not self.enabled:
            return record
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        fd = os.open(
            self.folder / f"{now.date().isoformat()}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        with os.fdopen(
            fd, "a", encoding="utf-8"
        ) as f:  # one write per line: concurrent writers do not interleave
            f.write(line)
        self.expire(now.date())
        return record

    def expire(self, today: datetime.date | None = None) -> int:
        """Delete day files older than the retention period; returns how many."""
        today = today or datetime.date.today()
        oldest = today - datetime.timedelta(days=self.retention_days)
        removed = 0
        for day, path in self._days():
            if day < oldest:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    # -- reading ---------------------------------------------------------------------------
    def _days(self) -> list[tuple[datetime.date, Path]]:
        days = []
        for path in sorted(self.folder.glob("*.jsonl")):
            try:
                days.append((datetime.date.fromisoformat(path.stem), path))
            except ValueError:
                continue
        return days

    def records(
        self, since: datetime.date | None = None, until: datetime.date | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for day, path in self._days():
            if (since and day < since) or (until and day > until):
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    logger.warning("unreadable audit line in %s skipped", path)
        return out


def current_user() -> str:
    """The operating-system account running the command (the CLI's user)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
