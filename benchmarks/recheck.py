"""Runs today's answer checker again on the replies a `benchmarks/quality.py` run recorded — no model.

Every question of a quality run records the model's reply as written and the passages it read
(benchmarks/.data/quality-<set>.jsonl). This script reads the question again with today's question
analyzer (over the same index), checks the recorded reply with today's AnswerChecker and grades the
result as quality.py does. So a change to the checks after the model (pipelines/components/
answer_checker.py, pipelines/values.py) is measured on a whole set, held-out included, in a minute
instead of an hour and a half. It cannot measure a change to anything before the model (retrieval,
gate, passage selection, prompt): that needs quality.py.

    .venv/bin/python benchmarks/recheck.py --sets heldout,tuning
    .venv/bin/python benchmarks/recheck.py --sets dev --show      # lists the questions that changed

``--show`` names changed questions only for the tuning and dev sets: the held-out set is read as totals
(docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.append(str(Path(__file__).resolve().parent))  # after the packages: for quality.py only

import quality  # noqa: E402  (this folder; it then keeps its ingest.py from shadowing the package)
from haystack import Document  # noqa: E402

from config.settings import load_settings  # noqa: E402
from pipelines.evaluation import answer_correct, checked_again, load_cases, other_town  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402
from pipelines.query import QueryService  # noqa: E402


def recheck(name: str, show: bool) -> dict[str, dict[str, int]]:
    cases_file, index_name, _ = quality.SETS[name]
    record = quality.DATA / f"quality-{name}.jsonl"
    if not record.exists():
        raise SystemExit(f"No recorded run for '{name}': run benchmarks/quality.py --sets {name} first.")
    cases = {c.id: c for c in load_cases(cases_file)}
    service = QueryService(load_settings("embedded", data_dir=quality.DATA / index_name))
    # per group (answerable: answered right; unanswerable: refused): questions, right before and after
    counts = {g: {"questions": 0, "before": 0, "after": 0} for g in ("answerable", "unanswerable")}
    towns = service.municipalities()
    rechecked, gained, lost = 0, 0, 0
    # answers citing another town's document: as recorded, and by today's measure on today's answers (the
    # documents an answer may cite are the passages recorded; the live run also knows the search hits)
    other_before, other_after = 0, 0
    changed: list[str] = []
    for line in record.read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        case = cases.get(result["id"])
        if case is None or result.get("answer_correct") is None:
            continue
        before = bool(result["answer_correct"])
        asked_on = datetime.date.fromisoformat(result.get("asked_on") or datetime.date.today().isoformat())
        answer = checked_again(result, service.understand(case.question, asked_on))
        # None: refused before the model, nothing to check
        after = before if answer is None else answer_correct(case, answer["answer"], answer["refused"])
        other_before += bool(result.get("other_town"))
        if answer is not None and not answer["refused"]:
            passages = [Document(content=p["content"], meta=p["meta"]) for p in result["passages"]]
            other_after += other_town(case, {c["source"] for c in answer["citations"]}, passages, towns)
        rechecked += answer is not None
        group = counts["answerable" if case.answerable else "unanswerable"]
        group["questions"] += 1
        group["before"] += before
        group["after"] += after
        gained += after and not before
        lost += before and not after
        if after != before:
            changed.append(f"  {'gained' if after else 'lost'}: {case.id}")
    service.close()
    a, u = counts["answerable"], counts["unanswerable"]
    print(
        f"{name}: answerable right {a['after']} of {a['questions']} (recorded run: {a['before']}), "
        f"unanswerable refused {u['after']} of {u['questions']} ({u['before']}); {gained} gained, {lost} "
        f"lost; {rechecked} replies checked again; answers citing another town's document {other_after} "
        f"(recorded run: {other_before})"
    )
    if show and not name.startswith("heldout"):
        print("\n".join(changed))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default="tuning,heldout", help="comma-separated: tuning, heldout, dev, heldout2"
    )
    parser.add_argument(
        "--show", action="store_true", help="list changed questions (not for the held-out sets)"
    )
    args = parser.parse_args()
    enforce_offline()
    for name in args.sets.split(","):
        recheck(name, args.show)


if __name__ == "__main__":
    main()
