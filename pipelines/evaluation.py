"""`auskunft eval`: retrieval hit@k and reciprocal rank, answer, citation and refusal correctness, latency."""

from __future__ import annotations

import datetime
import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.values import MONTHS


@dataclass
class EvalCase:
    id: str
    question: str
    expected_sources: list[str]
    answer_contains: list[str]
    answerable: bool
    category: str = ""
    kind: str = ""  # what the question asks for (amount, date, period, provision, …): reported per kind


@dataclass
class CaseResult:
    id: str
    category: str
    answerable: bool
    rank: int | None  # 1-based rank of the first expected source among the hits, None = not found
    # the expected strings stand in one of the top-k chunks (text or its § label): the model could answer
    answer_in_top_k: bool | None = None
    answer_correct: bool | None = None
    citation_correct: bool | None = None
    refusal_correct: bool | None = None
    seconds: float = 0.0
    answer: str | None = None
    kind: str = ""
    # seconds from the question to the first streamed token of the model's reply (None: no reply streamed,
    # e.g. refused before the model)
    first_token_s: float | None = None
    # the answer cites a document of a town the question does not name while it names another one
    other_town: bool | None = None
    # a citation's quote is not in the chunks the model was given
    cited_outside: bool | None = None
    # recorded for benchmarks/recheck.py (the answer checker run again on the same reply, no model): the
    # day the question was asked (it reads "seit 2026" against it), the model's reply as written (None:
    # no reply, refused before the model) and the passages it read (content and metadata)
    asked_on: str | None = None
    reply: str | None = None
    passages: list[dict[str, Any]] | None = None
    # answerable: every expected string stands in the passages the model read (False when refused before
    # the model): tells an answer lost in choosing what to read from one lost in reading it
    answer_shown: bool | None = None


@dataclass
class EvalReport:
    k: int
    cases: list[CaseResult] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        answerable = [c for c in self.cases if c.answerable]
        answered = [c for c in self.cases if c.answer_correct is not None]
        unanswerable = [c for c in answered if not c.answerable]
        cited = [c for c in answered if c.citation_correct is not None]
        times = sorted(c.seconds for c in self.cases)
        firsts = sorted(c.first_token_s for c in self.cases if c.first_token_s is not None)

        def share(items: list[CaseResult], key: Callable[[CaseResult], bool]) -> float | None:
            return round(sum(key(c) for c in items) / len(items), 3) if items else None

        return {
            "questions": len(self.cases),
            f"hit@{self.k}": share(answerable, lambda c: c.rank is not None and c.rank <= self.k),
            "mrr": round(sum(1 / c.rank for c in answerable if c.rank) / len(answerable), 3)
            if answerable
            else None,
            f"answer_in_top{self.k}": share(
                [c for c in answerable if c.answer_in_top_k is not None], lambda c: bool(c.answer_in_top_k)
            ),
            "answer_shown": share(
                [c for c in answerable if c.answer_shown is not None], lambda c: bool(c.answer_shown)
            ),
            # the answerable questions answered right; the unanswerable ones count in refusal_correctness
            "answer_correctness": share(
                [c for c in answered if c.answerable], lambda c: bool(c.answer_correct)
            ),
            "citation_correctness": share(cited, lambda c: bool(c.citation_correct)),
            "refusal_correctness": share(unanswerable, lambda c: bool(c.refusal_correct)),
            "latency_p50_s": round(statistics.median(times), 2) if times else None,
            "latency_p95_s": round(times[int(0.95 * (len(times) - 1))], 2) if times else None,
            "first_token_p50_s": round(statistics.median(firsts), 2) if firsts else None,
            "other_town_answers": sum(bool(c.other_town) for c in answered),
            "citations_outside_given": sum(bool(c.cited_outside) for c in answered),
        }

    def by_category(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for category in sorted({c.category for c in self.cases}):
            sub = EvalReport(self.k, [c for c in self.cases if c.category == category])
            out[category] = sub.totals()
        return out

    def by_kind(self) -> dict[str, dict[str, Any]]:
        """Totals per kind of question (amount, date, period, provision, …) of the answerable questions."""
        out: dict[str, dict[str, Any]] = {}
        for kind in sorted({c.kind for c in self.cases if c.answerable and c.kind}):
            sub = EvalReport(self.k, [c for c in self.cases if c.answerable and c.kind == kind])
            out[kind] = sub.totals()
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "totals": self.totals(),
            "by_category": self.by_category(),
            "by_kind": self.by_kind(),
            "cases": [asdict(c) for c in self.cases],
        }


def load_cases(path: Path) -> list[EvalCase]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            cases.append(
                EvalCase(
                    id=str(data.get("id", number)),
                    question=data["question"],
                    expected_sources=list(data.get("expected_sources", [])),
                    answer_contains=list(data.get("answer_contains", [])),
                    answerable=bool(data.get("answerable", True)),
                    category=str(data.get("category", "")),
                    kind=str(data.get("kind", "")),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(
                f"{path}, line {number}: not an evaluation case ({exc}); see benchmarks/eval/questions.jsonl"
            ) from exc
    return cases


_MONTH_DATE = re.compile(r"\b(\d{1,2})\.\s*(" + "|".join(MONTHS) + r")\b(?:\s+(\d{4}))?")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})?")


_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eines": 1, "zwei": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "vierzehn": 14, "fünfzehn": 15, "zwanzig": 20, "dreißig": 30,
}  # fmt: skip
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")
# the inflected forms of the units of a period: "zwei Jahren" states "2 Jahre"
_UNIT_FORMS = re.compile(
    r"\b(?:(tag)(?:e|en|es)?|(woche)n?|(monat)(?:e|en|s)?|(jahr)(?:e|en|es)?|(stunde)n?|(minute)n?)\b"
)
_TIME_OF_DAY = re.compile(r"\b(\d{1,2})(?:[:.](\d\d))?\s*uhr\b")
_PERCENT = re.compile(r"\s*(?:prozent\b|vom hundert\b|v\.\s?h\.)")


def _time(m: re.Match[str]) -> str:
    minutes = m[2] if m[2] and m[2] != "00" else ""
    return f"{int(m[1])}{':' + minutes if minutes else ''}uhr"


def _normalise(text: str) -> str:
    """Lower case, no spaces, "1.500" as "1500", a date however written as "01.07.2025", number words as
    digits ("zwei Jahren" = "2 Jahre"), a time of day as "22uhr" ("22:00 Uhr"), "vom Hundert" as "%"."""
    text = text.lower().replace("\u00a0", " ").replace("maerz", "märz")
    text = _MONTH_DATE.sub(lambda m: f"{int(m[1]):02d}.{MONTHS.index(m[2]) + 1:02d}.{m[3] or ''}", text)
    text = _NUMERIC_DATE.sub(lambda m: f"{int(m[1]):02d}.{int(m[2]):02d}.{m[3] or ''}", text)
    text = re.sub(r"(?<=\d)\.(?=\d{3}\b)", "", text)  # 1.500 -> 1500
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m[1]]), text)
    text = _UNIT_FORMS.sub(lambda m: next(g for g in m.groups() if g), text)
    text = _TIME_OF_DAY.sub(_time, text)
    text = _PERCENT.sub("%", text)
    return re.sub(r"\s+", "", text)


_WHOLE_AMOUNT = re.compile(r"(\d+),00")


def states(text: str, expected: str) -> bool:
    """``text`` (normalised) states ``expected``: contains it normalised and not as part of a longer figure,
    or, for a whole amount written with cents ("33,00"), the same amount without them before its currency
    ("33 Euro", "33 €")."""
    wanted = _normalise(expected)
    # a figure stands on its own: "0,50" is not stated by "10,50", nor "2 Jahre" by "12 Jahre"
    before = r"(?<!\d)(?<!\d[.,])" if wanted[:1].isdigit() else ""
    after = r"(?![\d])" if wanted[-1:].isdigit() else ""
    if re.search(before + re.escape(wanted) + after, text):
        return True
    whole = _WHOLE_AMOUNT.fullmatch(wanted)
    if whole is None:
        return False
    return re.search(rf"(?<![\d.,]){whole[1]}(?:,-)?(?:€|euro)", text) is not None


def source_matches(source: str, expected: str) -> bool:
    """An expected source is a file name or the end of a path ("bmg/index.md")."""
    return source.replace("\\", "/").endswith(expected) or source.replace("\\", "/").endswith("/" + expected)


def _town_pattern(town: str) -> re.Pattern[str]:
    """``town`` as whole words; an abbreviated word stands for any word it begins ("Zell u.A." for "Zell
    unter Aichelberg", "Neustadt a.d.W." for "Neustadt an der Weinstraße")."""
    words = re.findall(r"[^\W\d_]+\.?|\d+|[^\w\s]", town)
    parts = [re.escape(w[:-1]) + r"\w*\.?" if w.endswith(".") else re.escape(w) for w in words]
    return re.compile(r"(?<!\w)" + r"[\s-]*".join(parts) + r"(?!\w)", re.IGNORECASE)


def towns_named(question: str, towns: set[str]) -> set[str]:
    """The towns of ``towns`` the question names. A town named only inside the name of another one is not:
    "Zell unter Aichelberg" names Zell u.A., not the municipality Aichelberg."""
    spans = {t: [m.span() for m in _town_pattern(t).finditer(question)] for t in towns}
    every = [(t, span) for t, found in spans.items() for span in found]

    def inside_another(town: str, span: tuple[int, int]) -> bool:
        return any(
            other != town and o[0] <= span[0] and span[1] <= o[1] and o[1] - o[0] > span[1] - span[0]
            for other, o in every
        )

    return {t for t, found in spans.items() if any(not inside_another(t, span) for span in found)}


def _counts_as_town(municipality: Any) -> bool:
    """District-wide documents ("Landkreis …") and documents without a municipality belong to no town."""
    return bool(municipality) and not str(municipality).startswith("Landkreis")


def other_town(
    case: EvalCase, cited_sources: set[str], documents: list[Any], towns: set[str] | None = None
) -> bool:
    """The answer cites a document of a municipality the question is not about, while the question names a
    town. The question is about the towns it names and, answerable, about the towns of its expected
    sources (a district named like a town: Büchenbach, a Stadtteil of Erlangen). ``documents``: those the
    answer may cite (and the search hits); ``towns``: every municipality of the index (default: those
    of ``documents``)."""
    known = {
        str(d.meta.get("municipality")) for d in documents if _counts_as_town(d.meta.get("municipality"))
    }
    known |= {t for t in towns or set() if _counts_as_town(t)}
    named = towns_named(case.question, known)
    if not named:
        return False
    expected = {
        str(d.meta.get("municipality"))
        for d in documents
        if any(source_matches(str(d.meta.get("source") or ""), e) for e in case.expected_sources)
    }
    allowed = named | expected
    return any(
        d.meta.get("source") in cited_sources
        and _counts_as_town(d.meta.get("municipality"))
        and str(d.meta.get("municipality")) not in allowed
        for d in documents
    )


def shown(case: EvalCase, passages: list[Any]) -> bool:
    """Every expected string stands in the passages the model read (with their labels: a § asked for
    stands in the label "Hundesteuersatzung, § 5")."""
    text = _normalise(" ".join(f"{p.meta.get('label') or ''} {p.content or ''}" for p in passages))
    return bool(passages) and all(states(text, s) for s in case.answer_contains)


def answer_correct(case: EvalCase, answer: str, refused: bool) -> bool:
    """Answerable: not refused and every expected string stated; unanswerable: refused."""
    if not case.answerable:
        return refused
    text = _normalise(answer)
    return not refused and all(states(text, s) for s in case.answer_contains)


def recheck(case: EvalCase, recorded: dict[str, Any], question: Any) -> bool | None:
    """Whether today's answer checker, given the reply and passages a run recorded for ``case``
    (:class:`CaseResult` as a dict), answers it right; no model is asked. ``question``: the case's
    :class:`pipelines.question.Question`. None: nothing recorded after the model (refused before it, or
    a run from before replies were recorded) — the recorded result stands."""
    answer = checked_again(recorded, question)
    return None if answer is None else answer_correct(case, answer["answer"], answer["refused"])


def checked_again(recorded: dict[str, Any], question: Any) -> dict[str, Any] | None:
    """Today's answer checker on a recorded reply and its passages (the checker's answer dict), or None
    when nothing was recorded after the model."""
    from haystack import Document
    from haystack.dataclasses import ChatMessage

    from pipelines.components.answer_checker import AnswerChecker

    if recorded.get("reply") is None or recorded.get("passages") is None:
        return None
    passages = [Document(content=p["content"], meta=p["meta"]) for p in recorded["passages"]]
    return AnswerChecker().run(
        question=question, replies=[ChatMessage.from_assistant(recorded["reply"])], passages=passages
    )["answer"]


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` as JSON can hold it (dates and other objects as their text)."""
    return json.loads(json.dumps(meta, default=str, ensure_ascii=False))


def evaluate(
    service: Any,
    cases: list[EvalCase],
    k: int = 5,
    answers: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Run every case through retrieval (and, with ``answers``, the full answer path)."""
    report = EvalReport(k=k)
    for i, case in enumerate(cases):
        started = time.perf_counter()
        hits = service.search(case.question, top_k=k)
        rank = next(
            (
                r
                for r, h in enumerate(hits, 1)
                if any(source_matches(h.meta.get("source", ""), e) for e in case.expected_sources)
            ),
            None,
        )
        result = CaseResult(
            id=case.id, category=case.category, answerable=case.answerable, rank=rank, kind=case.kind
        )
        if case.answerable and case.answer_contains:
            result.answer_in_top_k = any(
                all(
                    states(_normalise(f"{h.content or ''} {h.meta.get('section') or ''}"), s)
                    for s in case.answer_contains
                )
                for h in hits
            )
        if answers:
            asked = time.perf_counter()
            first: list[float] = []

            def on_token(_chunk: Any, first: list[float] = first) -> None:
                if not first:
                    first.append(time.perf_counter())

            answer = service.answer(case.question, streaming_callback=on_token)
            result.first_token_s = round(first[0] - asked, 2) if first else None
            result.answer = answer.answer
            if not answer.refused:
                result.other_town = other_town(
                    case,
                    {c["source"] for c in answer.citations},
                    [*answer.documents, *hits],
                    towns=getattr(service, "municipalities", lambda: set())(),
                )
                result.cited_outside = not all(
                    any(c["quote"] in (d.content or "") for d in answer.documents) for c in answer.citations
                )
            result.answer_correct = answer_correct(case, answer.answer, answer.refused)
            result.asked_on = datetime.date.today().isoformat()
            result.reply = answer.reply or None
            result.passages = [{"content": p.content, "meta": _plain(p.meta)} for p in answer.passages]
            if case.answerable and case.answer_contains:
                result.answer_shown = shown(case, answer.passages)
            if case.answerable:
                result.citation_correct = any(
                    source_matches(c["source"], e) for c in answer.citations for e in case.expected_sources
                ) and all(
                    any(c["quote"] in (d.content or "") for d in answer.documents) for c in answer.citations
                )
            result.refusal_correct = answer.refused == (not case.answerable)
        result.seconds = round(time.perf_counter() - started, 2)
        report.cases.append(result)
        if progress:
            progress(i + 1, len(cases))
    return report
