"""Answer quality on the tuning set and the frozen held-out set, side by side.

Usage:
  .venv/bin/python benchmarks/quality.py [--sets tuning,heldout] [--answers N] [--stages]

Sets (benchmarks/eval/):
  tuning   questions.jsonl (149): the questions the answer rules of version 1 were tuned on, over an index
           of ../shared/corpus
  heldout  heldout.jsonl (295, frozen: tests/unit/test_evaluation.py pins its checksum): written from
           statutes of ../shared/corpus-extra before the answer path of issue 28 was built, never used to
           change code; over an index of ../shared/corpus plus the 265 local statutes of corpus-extra
           (Lkr_GP, Lkr_KON, Lkr_LB)
  dev      dev.jsonl (85): written like the held-out set from other corpus-extra statutes, for looking at
           failures while building; over the same index as heldout
  heldout2 heldout2.jsonl (frozen like heldout): written on 2026-12-07 from the 82 statutes of the same
           index that no other question used, after ~40 decisions had been taken on heldout; for confirming
           a change heldout accepted, read as totals only; over the same index as heldout

Each index is built on first use under benchmarks/.data/ and reused (an unchanged corpus costs a no-op
re-index). Prints retrieval figures (hit@5, MRR, answer in the top 5 chunks) and, with --answers, answer
correctness of the answerable questions (every expected fact stated, not refused) and whether the facts
stood in the passages the model read (answer_shown: choosing what to read vs reading it), refusal of the
unanswerable ones, citation correctness, latency, per kind of question; at the end one table with the
sets side by side. --answers N answers N answerable questions spread over the set plus every
unanswerable one (-1 = all, 0 = none). --stages also compares retrieval without keywords and reordering.
Per-question results: benchmarks/.data/quality-<set>.json. --replay runs the model only for prompts it has
not answered in an earlier run (benchmarks/replay.py): a change before the model is measured on a whole
set in the time its changed prompts take; every reply is kept, with or without --replay.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from config.settings import load_settings  # noqa: E402
from ingest.runner import ingest  # noqa: E402
from pipelines.evaluation import EvalCase, EvalReport, evaluate, load_cases  # noqa: E402
from pipelines.generators import build_generator  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402
from pipelines.query import QueryService  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parent))  # after the packages: for replay.py only
from replay import ReplayGenerator  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXTRA = SHARED / "corpus-extra" / "ragsource" / "Laender_und_Kommunen" / "bw"
EVAL = REPO / "benchmarks" / "eval"
DATA = REPO / "benchmarks" / ".data"
REPLIES = DATA / "replies.jsonl"  # every prompt's reply, for --replay
# set -> (cases file, index name, folders indexed)
SETS: dict[str, tuple[Path, str, list[Path]]] = {
    "tuning": (EVAL / "questions.jsonl", "corpus", [SHARED / "corpus"]),
    "heldout": (
        EVAL / "heldout.jsonl",
        "eval",
        [SHARED / "corpus", EXTRA / "Lkr_GP", EXTRA / "Lkr_KON", EXTRA / "Lkr_LB"],
    ),
    "dev": (
        EVAL / "dev.jsonl",
        "eval",
        [SHARED / "corpus", EXTRA / "Lkr_GP", EXTRA / "Lkr_KON", EXTRA / "Lkr_LB"],
    ),
    "heldout2": (
        EVAL / "heldout2.jsonl",
        "eval",
        [SHARED / "corpus", EXTRA / "Lkr_GP", EXTRA / "Lkr_KON", EXTRA / "Lkr_LB"],
    ),
}


def build_index(name: str, folders: list[Path]) -> Path:
    data_dir = DATA / name
    settings = load_settings("embedded", data_dir=data_dir, retrieval={"hybrid": True})
    report = ingest(settings, [str(f.resolve()) for f in folders])
    print(
        f"index {name}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} "
        f"unchanged, {len(report.failed)} failed, {report.seconds:.0f} s"
    )
    return data_dir


def sample(cases: list[EvalCase], n: int) -> list[EvalCase]:
    """N answerable questions spread evenly over the set plus every unanswerable one (n < 0: all)."""
    if n < 0:
        return cases
    answerable = [c for c in cases if c.answerable]
    step = max(1, len(answerable) / max(n, 1))
    chosen = {id(answerable[int(i * step)]) for i in range(min(n, len(answerable)))}
    return [c for c in cases if id(c) in chosen or not c.answerable]


def retrieval_stages(data_dir: Path, cases: list[EvalCase], k: int) -> None:
    for label, retrieval in [
        ("dense only", {"hybrid": False, "rerank": False}),
        ("hybrid (dense + German keywords)", {"hybrid": True, "rerank": False}),
        ("hybrid + municipal reordering", {"hybrid": True, "rerank": True}),
    ]:
        service = QueryService(load_settings("embedded", data_dir=data_dir, retrieval=retrieval))
        t = evaluate(service, cases, k=k, answers=False).totals()
        service.close()
        print(
            f"  {label}: hit@{k} {t[f'hit@{k}']}, MRR {t['mrr']}, answer in top {k} {t[f'answer_in_top{k}']}"
        )


def answer_run(
    name: str, data_dir: Path, cases: list[EvalCase], k: int, replay: bool = False
) -> tuple[EvalReport, set[str]]:
    """Every case answered, one line per question written to quality-<name>.jsonl as it comes; with
    ``replay`` the model runs only for prompts not answered before (benchmarks/replay.py). Returns the
    report and the ids of the replayed questions."""
    settings = load_settings("embedded", data_dir=data_dir)
    generator = ReplayGenerator(build_generator(settings), REPLIES, reuse=replay)
    service = QueryService(settings, generator=generator)
    report = EvalReport(k=k)
    replayed: set[str] = set()
    out = DATA / f"quality-{name}.jsonl"
    out.write_text("", encoding="utf-8")  # one line per question at once: a stopped run keeps its results
    started = time.perf_counter()
    for number, case in enumerate(cases, 1):
        before = generator.replayed
        result = evaluate(service, [case], k=k, answers=True).cases[0]
        report.cases.append(result)
        if generator.replayed > before:
            replayed.add(result.id)
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
        print(
            f"{name} {number}/{len(cases)} ({time.perf_counter() - started:.0f} s): {result.id} "
            f"correct={result.answer_correct}{' (replayed)' if result.id in replayed else ''}",
            file=sys.stderr,
            flush=True,
        )
    service.close()
    if replay:
        print(
            f"{name}: {generator.asked} replies from the model, {len(replayed)} replayed from {REPLIES.name} "
            "(latency: over the questions the model read in this run)"
        )
    (DATA / f"quality-{name}.json").write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return report, replayed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default="tuning,heldout", help="comma-separated: tuning, heldout, dev, heldout2"
    )
    parser.add_argument(
        "--answers", type=int, default=-1, help="answerable questions per set (-1 = all, 0 = none)"
    )
    parser.add_argument("--stages", action="store_true", help="also compare retrieval stages")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument(
        "--replay",
        action="store_true",
        help="run the model only for prompts it has not answered before (benchmarks/.data/replies.jsonl)",
    )
    args = parser.parse_args()
    enforce_offline()
    totals: dict[str, dict[str, Any]] = {}
    kinds: dict[str, dict[str, Any]] = {}
    for name in args.sets.split(","):
        cases_file, index_name, folders = SETS[name]
        data_dir = build_index(index_name, folders)
        cases = load_cases(cases_file)
        print(
            f"{name}: {len(cases)} questions, {sum(c.answerable for c in cases)} answerable ({cases_file.name})"
        )
        if args.stages:
            retrieval_stages(data_dir, cases, args.k)
        replayed: set[str] = set()
        if args.answers:
            report, replayed = answer_run(name, data_dir, sample(cases, args.answers), args.k, args.replay)
        else:
            service = QueryService(load_settings("embedded", data_dir=data_dir))
            report = evaluate(service, cases, k=args.k, answers=False)
            service.close()
        totals[name] = report.totals()
        # latency only over the questions the model read in this run (a replayed reply took none)
        if replayed:
            read = [c for c in report.cases if c.id not in replayed and c.first_token_s is not None]
            timed = EvalReport(k=args.k, cases=read).totals()
            totals[name].update(
                {key: timed[key] for key in totals[name] if "latency" in key or "first" in key}
            )
        kinds[name] = report.by_kind() or report.by_category()
        print(f"{name}: " + json.dumps(totals[name], ensure_ascii=False))
    keys = [f"hit@{args.k}", "mrr", f"answer_in_top{args.k}", "answer_shown", "answer_correctness",
            "refusal_correctness", "citation_correctness", "other_town_answers", "citations_outside_given",
            "latency_p50_s", "latency_p95_s", "first_token_p50_s"]  # fmt: skip
    names = list(totals)
    print("\n| figure | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(totals[n].get(key)) for n in names) + " |")
    if args.answers:
        print("\nanswer correctness by kind of question (answerable questions):")
        for n in names:
            print(
                f"  {n}: "
                + ", ".join(
                    f"{kind} {t['answer_correctness']} ({t['questions']})"
                    for kind, t in kinds[n].items()
                    if t["answer_correctness"] is not None  # a category of unanswerable questions only
                )
            )


if __name__ == "__main__":
    main()
