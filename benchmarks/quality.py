"""Answer quality on the project's evaluation set (benchmarks/eval/questions.jsonl) over ../shared/corpus.

Usage:
  .venv/bin/python benchmarks/quality.py [--corpus ../shared/corpus] [--answers N] [--held-out] [--cases FILE]

The first run ingests the corpus into benchmarks/.data/corpus (dense and keyword vectors, so every stage
can be compared on one index); later runs reuse it (an unchanged corpus costs a no-op re-index).

Prints retrieval figures for each stage (dense only; hybrid dense + German keywords; hybrid + municipal
reordering) and, for the full pipeline, answer, citation and refusal correctness and latency on the
N answerable questions spread evenly over the set plus every unanswerable one (--answers -1 = all, 0 = none).
--held-out answers N answerable questions outside that sample instead; `--cases
benchmarks/eval/heldout_unanswerable.jsonl --answers -1` the unanswerable questions written after the
refusal checks were tuned (both measure what tuning on the standard sample did not see).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from config.settings import load_settings  # noqa: E402
from ingest.runner import ingest  # noqa: E402
from pipelines.evaluation import EvalReport, evaluate, load_cases  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402
from pipelines.query import QueryService  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=REPO / "benchmarks" / ".data" / "corpus")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--cases", type=Path, default=REPO / "benchmarks" / "eval" / "questions.jsonl")
    parser.add_argument(
        "--answers",
        type=int,
        default=-1,
        help="answer N answerable questions spread evenly over the set plus every unanswerable one (-1 = all, 0 = none)",
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="answer N answerable questions that are NOT in the standard sample (the checks were tuned on that sample), no unanswerable ones",
    )
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    enforce_offline()
    build = load_settings("embedded", data_dir=args.index, retrieval={"hybrid": True})
    indexed = ingest(build, [str(args.corpus.resolve())])
    print(
        f"index {args.index}: {len(indexed.added)} added, {len(indexed.updated)} updated, "
        f"{len(indexed.unchanged)} unchanged, {len(indexed.failed)} failed, {indexed.seconds:.0f} s"
    )
    cases = load_cases(args.cases)
    print(f"{len(cases)} questions, {sum(c.answerable for c in cases)} answerable")
    stages = [
        ("dense only", {"hybrid": False, "rerank": False}),
        ("dense + municipal reordering", {"hybrid": False, "rerank": True}),
        ("hybrid (dense + German keywords, RRF in Qdrant)", {"hybrid": True, "rerank": False}),
        ("hybrid + municipal reordering", {"hybrid": True, "rerank": True}),
    ]
    for label, retrieval in stages:
        settings = load_settings("embedded", data_dir=args.index, retrieval=retrieval)
        service = QueryService(settings)
        report = evaluate(service, cases, k=args.k, answers=False)
        service.close()
        t = report.totals()
        print(
            f"{label}: hit@{args.k} {t[f'hit@{args.k}']}, MRR {t['mrr']}, "
            f"answer in top {args.k} {t[f'answer_in_top{args.k}']}, search p50 {t['latency_p50_s']} s"
        )
        towns = report.by_category().get("distractor-town", {})
        versions = report.by_category().get("distractor-version", {})
        print(
            f"    distractor-town hit@{args.k} {towns.get(f'hit@{args.k}')}, distractor-version hit@{args.k} {versions.get(f'hit@{args.k}')}"
        )
    if args.answers:
        if args.held_out:
            tuned = {id(c) for c in answer_sample(cases, 25)}
            rest = [c for c in cases if c.answerable and id(c) not in tuned]
            n = len(rest) if args.answers < 0 else min(args.answers, len(rest))
            subset = [rest[int(i * len(rest) / n)] for i in range(n)]
        else:
            subset = cases if args.answers < 0 else answer_sample(cases, args.answers)
        settings = load_settings("embedded", data_dir=args.index)
        service = QueryService(settings)
        # one question at a time, each result appended to a JSONL file at once: a long run that is stopped
        # (65 answers take hours on two cores) keeps what it measured
        partial = REPO / "benchmarks" / ".data" / "quality-answers.jsonl"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text("", encoding="utf-8")
        report = EvalReport(k=args.k)
        started = time.perf_counter()
        for number, case in enumerate(subset, 1):
            result = evaluate(service, [case], k=args.k, answers=True).cases[0]
            report.cases.append(result)
            with partial.open("a", encoding="utf-8") as results_file:
                results_file.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
            print(
                f"answered {number}/{len(subset)} ({time.perf_counter() - started:.0f} s): {result.id} "
                f"answer_correct={result.answer_correct}",
                file=sys.stderr,
                flush=True,
            )
        service.close()
        print(f"full pipeline on {len(subset)} questions: " + json.dumps(report.totals(), ensure_ascii=False))
        for category, totals in report.by_category().items():
            print(
                f"    {category}: answer {totals['answer_correctness']}, refusal {totals['refusal_correctness']}"
            )
        out = REPO / "benchmarks" / ".data" / "quality-last.json"
        out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"per-question results: {out}")


def answer_sample(cases: list, n: int) -> list:
    """N answerable questions spread evenly over the set (all categories) plus every unanswerable one."""
    answerable = [c for c in cases if c.answerable]
    step = max(1, len(answerable) / max(n, 1))
    chosen = {id(answerable[int(i * step)]) for i in range(min(n, len(answerable)))}
    return [c for c in cases if id(c) in chosen or not c.answerable]


if __name__ == "__main__":
    main()
