"""Feedback on answers (helpful / wrong + comment), stored locally as JSONL, exported as `auskunft eval` cases.

>>> store = FeedbackStore(Path("/tmp/auskunft-feedback-doctest"))
>>> record = store.add({"question": "Wie hoch ist die Hundesteuer?", "answer": "120 € [1].", "refused": False,
...     "citations": [{"source": "/srv/KON_Satzung_Hundesteuer.md"}]}, "helpful")
>>> to_eval_case(record)["expected_sources"]
['KON_Satzung_Hundesteuer.md']
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path, PurePath
from typing import Any

RATINGS = ("helpful", "wrong")
FILE_NAME = "feedback.jsonl"
# amounts ("0,20", "1.500,00"), percentages, dates ("01.01.2025"), § numbers: what a correct answer must repeat
_FACT = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{1,3}(?:\.\d{3})*,\d{1,2}|\d+(?:,\d+)?\s?%|§\s?\d+[a-z]?")


def feedback_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "feedback"


class FeedbackStore:
    """One JSON line per rating in ``<folder>/feedback.jsonl`` (append-only; nothing leaves the machine)."""

    def __init__(self, folder: Path, mask: bool = False) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME
        self.mask = mask  # privacy.mask_logs: personal data in the question and comment is masked

    @classmethod
    def for_settings(cls, settings: Any) -> FeedbackStore:
        return cls(feedback_dir(settings), mask=settings.privacy.mask_logs)

    def add(self, message: dict[str, Any], rating: str, comment: str = "") -> dict[str, Any]:
        """Store a rating of one answer; ``message`` is the page's record of the question and answer."""
        if rating not in RATINGS:
            raise ValueError(f"Unknown rating '{rating}'; use one of: {', '.join(RATINGS)}.")
        question = message.get("question", "")
        query = message.get("query") or question
        comment = comment.strip()
        if self.mask:
            from pipelines.components.personal_data_masker import mask_personal_data

            question, query, comment = (mask_personal_data(t)[0] for t in (question, query, comment))
        record = {
            "id": str(message.get("id") or uuid.uuid4().hex),
            "time": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "rating": rating,
            "comment": comment,
            "question": question,
            # what was retrieved and answered: a follow-up is asked together with its topic
            "query": query,
            "answer": message.get("content", message.get("answer", "")),
            "refused": bool(message.get("refused", False)),
            "citations": [
                {k: c.get(k) for k in ("source", "title", "section", "page", "quote")}
                for c in message.get("citations", [])
            ],
            "mode": message.get("mode", "staff"),
            "filters": message.get("filters"),
            "model": message.get("model"),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:  # one write per line: appends do not interleave
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    def records(self) -> list[dict[str, Any]]:
        """All ratings, oldest first; a damaged line (e.g. a crash mid-write) is skipped."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("rating") in RATINGS and data.get("query"):
                out.append(data)
        return out


def _expected_source(source: str) -> str:
    """The file name: `auskunft eval` matches a source by its end, so cases survive a moved corpus."""
    return PurePath(source.replace("\\", "/")).name


def to_eval_case(record: dict[str, Any]) -> dict[str, Any]:
    """One evaluation case in the format of ``benchmarks/eval/questions.jsonl`` (read by ``load_cases``).

    * helpful answer: the cited files are the expected sources, its amounts/dates/§ the expected content;
    * helpful refusal: the question is unanswerable from the documents;
    * wrong: expected source and content are unknown; the case is marked ``needs_review`` with the
      comment in ``note`` so a person completes it before it counts.
    """
    rating, refused = record["rating"], bool(record.get("refused"))
    answer = re.sub(r"\[\d+\]", "", record.get("answer", ""))
    case: dict[str, Any] = {
        "id": f"feedback-{record['id']}",
        "question": record["query"],
        "expected_sources": [],
        "answer_contains": [],
        "answerable": True,
        "category": f"feedback-{rating}",
    }
    note = [f"{record.get('time', '')} {record.get('mode', '')}: rated {rating}".strip()]
    if record.get("comment"):
        note.append(f"comment: {record['comment']}")
    if record.get("filters"):
        note.append(f"filters: {json.dumps(record['filters'], ensure_ascii=False)}")
    if rating == "helpful" and refused:
        case["answerable"] = False
    elif rating == "helpful":
        sources = [_expected_source(c["source"]) for c in record.get("citations", []) if c.get("source")]
        case["expected_sources"] = list(dict.fromkeys(sources))
        case["answer_contains"] = list(dict.fromkeys(_FACT.findall(answer)))[:3]
    else:
        case["needs_review"] = True
        note.append(
            "the answer was "
            + ("a refusal" if refused else f"“{answer.strip()[:200]}”")
            + "; fill in expected_sources and answer_contains (or set answerable false)"
        )
    case["note"] = "; ".join(note)
    return case


def eval_cases(records: list[dict[str, Any]], reviewed_only: bool = False) -> list[dict[str, Any]]:
    """Cases for all ratings, the newest rating of a question winning; ``reviewed_only`` drops ``wrong`` ones."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        latest[" ".join(record["query"].lower().split())] = record
    cases = [to_eval_case(r) for r in latest.values()]
    return [c for c in cases if not c.get("needs_review")] if reviewed_only else cases


def cases_jsonl(cases: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
