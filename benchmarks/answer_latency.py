"""How long a user waits for an answer, on questions of the frozen held-out set.

Usage:
  .venv/bin/python benchmarks/answer_latency.py [--questions 20] [--fresh 5]

Over the held-out index (benchmarks/.data/eval, built by benchmarks/quality.py on first use):
- in the page/API process (one QueryService, as the UI keeps it), after the warm-up they run when they
  start (its time is printed, and the first question's): time to the first streamed token and to the
  whole answer, p50 and p95 over --questions answerable held-out questions spread over the set (questions
  refused before the model have no first token and are counted separately), and where the time before
  the model goes: each pipeline component's p50, from Haystack's tracing spans;
- `auskunft ask` in a fresh process (loads the store and the model, answers, exits): wall time p50 over
  --fresh questions.
Prints the machine's load average next to the figures: measure on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from haystack import tracing  # noqa: E402
from haystack.tracing.tracer import NullSpan  # noqa: E402

from config.settings import load_settings  # noqa: E402
from pipelines.evaluation import load_cases  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402
from pipelines.query import QueryService  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / ".data" / "eval"
HELDOUT = REPO / "benchmarks" / "eval" / "heldout.jsonl"


def spread(items: list[str], n: int) -> list[str]:
    step = max(1.0, len(items) / max(n, 1))
    return [items[int(i * step)] for i in range(min(n, len(items)))]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


class ComponentTimes(tracing.Tracer):
    """A Haystack tracer that keeps how long each pipeline component ran and when the model started."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.model_started: float | None = None

    @contextlib.contextmanager
    def trace(
        self, operation_name: str, tags: dict[str, Any] | None = None, parent_span: tracing.Span | None = None
    ) -> Iterator[tracing.Span]:
        name = (tags or {}).get("haystack.component.name")
        start = time.perf_counter()
        if name == "llm":
            self.model_started = start
        try:
            yield NullSpan()
        finally:
            if operation_name == "haystack.component.run" and name:
                self.seconds[str(name)].append(time.perf_counter() - start)

    def current_span(self) -> tracing.Span | None:
        return None


def in_process(questions: list[str]) -> None:
    service = QueryService(load_settings("embedded", data_dir=DATA))
    started = time.perf_counter()
    service.warm_up()  # as the page and the API do when they start (generator.warm_up_at_start)
    print(f"warm-up (store, models, each answer style's prompt start): {time.perf_counter() - started:.1f} s")
    times = ComponentTimes()
    tracing.enable_tracing(times)
    before_model: list[float] = []
    firsts: list[float] = []
    totals: list[float] = []
    refused_before_model = 0
    for question in questions:
        seen: list[float] = []
        times.model_started = None
        start = time.perf_counter()

        def on_token(_chunk: object, seen: list[float] = seen) -> None:
            if not seen:
                seen.append(time.perf_counter())

        service.answer(question, streaming_callback=on_token)
        totals.append(time.perf_counter() - start)
        if seen:
            firsts.append(seen[0] - start)
        else:
            refused_before_model += 1
        if seen and times.model_started is not None:
            before_model.append(times.model_started - start)
    tracing.disable_tracing()
    service.close()
    print(f"first question after the warm-up: first token {firsts[0]:.2f} s, whole answer {totals[0]:.2f} s")
    print(
        f"in process, model loaded, {len(questions)} held-out questions: first token p50 "
        f"{statistics.median(firsts):.2f} s, p95 {p(firsts, 0.95):.2f} s ({len(firsts)} replies); "
        f"whole answer p50 {statistics.median(totals):.2f} s, p95 {p(totals, 0.95):.2f} s; "
        f"{refused_before_model} refused before the model"
    )
    stages = sorted(times.seconds.items(), key=lambda item: -statistics.median(item[1]))
    print(
        f"before the model p50 {statistics.median(before_model):.2f} s; components p50: "
        + ", ".join(f"{name} {statistics.median(values):.2f} s" for name, values in stages)
    )


def fresh_processes(questions: list[str]) -> None:
    env = {**os.environ, "AUSKUNFT_DATA_DIR": str(DATA)}
    walls: list[float] = []
    for question in questions:
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "ui.cli", "ask", question, "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        walls.append(time.perf_counter() - start)
        if run.returncode != 0:
            print(f"auskunft ask failed: {run.stderr.strip()[-300:]}")
    print(
        f"`auskunft ask` in a fresh process, {len(questions)} held-out questions: p50 "
        f"{statistics.median(walls):.2f} s, max {max(walls):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=20, help="held-out questions answered in process")
    parser.add_argument("--fresh", type=int, default=5, help="held-out questions asked in fresh processes")
    args = parser.parse_args()
    enforce_offline()
    if not (DATA / "index").exists():
        sys.exit(
            f"No held-out index in {DATA}; run `benchmarks/quality.py --sets heldout --answers 0` first."
        )
    answerable = [c.question for c in load_cases(HELDOUT) if c.answerable]
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; figures hold only on an idle machine)")
    in_process(spread(answerable, args.questions))
    if args.fresh:
        fresh_processes(spread(answerable[1:], args.fresh))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
