"""Load on the REST API: concurrent clients on loopback, searches and full answers, while re-indexes run.
Throughput, p50/p95 latency, errors, and whether any document was lost (issue 7).

Usage:
  .venv/bin/python benchmarks/load.py [--corpus examples/corpus] [--clients 1,4,16] [--seconds 30]
      [--answer-clients 1,2,4] [--answers-per-client 1] [--writer api|cli] [--skip-answers]
  smoke: .venv/bin/python benchmarks/load.py --seconds 5 --clients 2 --answer-clients 1 --answers-per-client 1

Setup: the corpus is copied to benchmarks/.data/load/corpus (changed during the run, restored at the next start)
and indexed into benchmarks/.data/load/data (the AUSKUNFT_DATA_DIR; later runs reuse it and re-index only what
the last run changed). `auskunft api` runs as a subprocess on a free loopback port: profile embedded, no
sign-in, the shipped model from --models-dir; no AUSKUNFT_* variable of the caller is passed on, so the user's
own data dir is never used.

Retrieval: for each N in --clients, N threads send POST /search (questions from benchmarks/eval/questions.jsonl
about documents in the corpus) back to back for --seconds. Answers: for each M in --answer-clients, M threads
each send --answers-per-client POST /ask?stream=true (NDJSON: time to the first token and to the answer; one
answer is generated at a time, so the others queue) while one more client searches once a second. Before the
answers, one warm-up answer loads the language model (reported, not counted).

Throughout every step a writer loops: append a sentence to --modify text files of the copy, re-index (--writer
api: POST /reindex, which returns when the new index generation is live; --writer cli: `auskunft reindex` in its
own process, as the nightly scheduler and cron run it), pause --reindex-pause seconds, again.

Checked: every request and re-index succeeds; no search comes back empty for a question that found passages
before the load; GET /documents and /health, polled every second throughout, never show fewer documents than
at the start; afterwards /documents lists each of them with chunks > 0, /search finds each changed file's last
appended sentence in that file, every successful search and answer left one audit record, the server log has
no traceback, and (server stopped) the live index holds exactly the manifest's chunks, none twice. Prints the
figures as Markdown tables, then PASS or FAIL ("no errors, no lost documents"); exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from pipelines.offline import enforce_offline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".data" / "load"
# generous: on a busy machine one answer has taken minutes; a client that gives up is counted as an error
TIMEOUT = httpx.Timeout(1800.0, connect=10.0)
# the API signs users in (access.sign_in: local, the default): this run's admin, added to the data dir
AUTH = ("load-admin", secrets.token_urlsafe(15))
# clients that pause between requests open a connection for each: a kept-alive one that the server closes
# after 5 idle seconds (uvicorn's default) can be reset just as the next request goes out
POLLING = httpx.Limits(max_keepalive_connections=0)
TEXT_SUFFIXES = {".md", ".txt"}


@dataclass
class Sample:
    """One request: when it started (perf_counter), how long it took, and what came back."""

    started: float
    seconds: float
    ok: bool
    detail: str = ""
    hits: int = -1  # /search: passages returned
    question: str = ""
    first_token: float | None = None  # /ask: seconds to the first token line
    refused: bool = False


@dataclass
class Round:
    """One re-index by the writer."""

    started: float
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Step:
    kind: str  # "search" or "ask"
    clients: int
    wall: float
    samples: list[Sample]
    rounds: list[Round]
    side: list[Sample] = field(default_factory=list)  # searches during the answers


# -- setup -------------------------------------------------------------------------------------------------
def child_env(data_dir: Path, models_dir: Path) -> dict[str, str]:
    """The caller's environment without any AUSKUNFT_* variable, plus this run's data dir and models."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUSKUNFT_")}
    return env | {
        "AUSKUNFT_DATA_DIR": str(data_dir),
        "AUSKUNFT_MODELS_DIR": str(models_dir),
        "AUSKUNFT_PROFILE": "embedded",
    }


def cli(env: dict[str, str], *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def prepare(corpus: Path, env: dict[str, str]) -> Path:
    """Restore the working copy of ``corpus`` and bring the index up to date with it; returns the copy."""
    copy, data_dir, origin = WORK / "corpus", WORK / "data", WORK / "origin.txt"
    if origin.exists() and origin.read_text().strip() != str(corpus):
        shutil.rmtree(copy, ignore_errors=True)  # another corpus: start over
        shutil.rmtree(data_dir, ignore_errors=True)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(corpus, copy)
    origin.parent.mkdir(parents=True, exist_ok=True)
    origin.write_text(str(corpus))
    started = time.perf_counter()
    result = cli(env, "ingest", str(copy), "--json")
    if result.returncode not in (0, 3):  # 3 = finished, some files failed (listed below)
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        sys.exit(f"Error: indexing {copy} failed ({last}).")
    report = json.loads(result.stdout)
    print(
        f"index {data_dir}: {len(report['added'])} added, {len(report['updated'])} updated, "
        f"{len(report['unchanged'])} unchanged, {len(report['deleted'])} deleted, {len(report['failed'])} failed, "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for item in report["failed"]:
        print(f"  not indexed (not counted as lost): {item['source']}: {item['reason']}", flush=True)
    return copy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def api_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`auskunft api` on a free loopback port (as tests/api/conftest.py); stopped in every case."""
    from ui.users import UserStore

    UserStore(Path(env["AUSKUNFT_DATA_DIR"]) / "users.json").add(AUTH[0], AUTH[1], "admin")
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "api", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                sys.exit(f"Error: auskunft api ended with {process.returncode}; see {log}.")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(auth=AUTH, url=f"{url}/health", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                sys.exit(f"Error: auskunft api did not answer /health within 300 s; see {log}.")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_questions(path: Path, names: set[str]) -> tuple[list[str], list[str]]:
    """Questions about documents in the corpus (all of them if none is): for /search, and answerable ones
    for /ask."""
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    here = [c for c in cases if set(c.get("expected_sources") or []) & names] or cases
    answerable = [c["question"] for c in here if c.get("answerable")] or [c["question"] for c in cases]
    return [c["question"] for c in here], answerable


# -- clients -----------------------------------------------------------------------------------------------
def search_once(client: httpx.Client, question: str, top_k: int = 5) -> Sample:
    started = time.perf_counter()
    try:
        response = client.post("/search", json={"question": question, "top_k": top_k})
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            return Sample(started, seconds, False, f"{response.status_code} {response.text[:200]}")
        hits = response.json()
        return Sample(started, seconds, True, hits=len(hits), question=question)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none ends the run
        return Sample(started, time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")


def ask_once(client: httpx.Client, question: str) -> Sample:
    """POST /ask?stream=true: NDJSON token lines, then the answer (or a ``detail`` line on failure)."""
    started = time.perf_counter()
    first_token = None
    last: dict[str, Any] = {}
    try:
        with client.stream("POST", "/ask", params={"stream": "true"}, json={"question": question}) as r:
            if r.status_code != 200:
                r.read()
                return Sample(
                    started, time.perf_counter() - started, False, f"{r.status_code} {r.text[:200]}"
                )
            for line in r.iter_lines():
                if not line.strip():
                    continue
                last = json.loads(line)
                if "token" in last and first_token is None:
                    first_token = time.perf_counter() - started
        seconds = time.perf_counter() - started
        if "answer" not in last:
            return Sample(started, seconds, False, f"stream ended without an answer: {last}")
        return Sample(
            started, seconds, True, question=question, first_token=first_token, refused=bool(last["refused"])
        )
    except Exception as exc:  # noqa: BLE001
        return Sample(started, time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")


def searcher(
    url: str, questions: list[str], offset: int, stop: threading.Event, pause: float, out: list[Sample]
) -> None:
    """Searches until ``stop`` is set, back to back or ``pause`` seconds apart."""
    limits = POLLING if pause else httpx.Limits()
    with httpx.Client(auth=AUTH, base_url=url, timeout=TIMEOUT, limits=limits) as client:
        i = offset
        while not stop.is_set():
            out.append(search_once(client, questions[i % len(questions)]))
            i += 1
            stop.wait(pause)


def asker(url: str, questions: list[str], offset: int, count: int, out: list[Sample]) -> None:
    with httpx.Client(auth=AUTH, base_url=url, timeout=TIMEOUT) as client:
        for i in range(count):
            out.append(ask_once(client, questions[(offset + i) % len(questions)]))


class Writer(threading.Thread):
    """Changes files of the working copy and re-indexes, again and again, until stopped."""

    def __init__(
        self,
        url: str,
        env: dict[str, str],
        files: list[Path],
        per_round: int,
        pause: float,
        mode: str,
        markers: dict[Path, str],
        counter: Iterator[int],
    ) -> None:
        super().__init__(name="writer", daemon=True)
        self.url, self.env, self.files, self.per_round = url, env, files, per_round
        self.pause, self.mode, self.markers, self.counter = pause, mode, markers, counter
        self.rounds: list[Round] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.rounds.append(self.one_round(next(self.counter)))
            self.stop.wait(self.pause)

    def change(self, number: int) -> list[Path]:
        if not self.files:
            return []
        chosen = [self.files[(number * self.per_round + i) % len(self.files)] for i in range(self.per_round)]
        for i, path in enumerate(dict.fromkeys(chosen)):
            tag = f"Lastprobe{uuid.uuid4().hex[:6]}r{number}n{i}"
            with path.open("a", encoding="utf-8") as f:
                f.write(f"\n\nNachtrag {tag}: Die Verwaltung vermerkt hierzu die Prüfkennung {tag}.\n")
            self.markers[path] = tag
        return list(dict.fromkeys(chosen))

    def one_round(self, number: int) -> Round:
        changed = self.change(number)
        started = time.perf_counter()
        try:
            if self.mode == "api":
                response = httpx.post(f"{self.url}/reindex", json={}, auth=AUTH, timeout=TIMEOUT)
                seconds = time.perf_counter() - started
                if response.status_code != 200:
                    return Round(started, seconds, False, f"{response.status_code} {response.text[:200]}")
                report = response.json()
            else:
                result = cli(self.env, "reindex", "--json", timeout=1800)
                seconds = time.perf_counter() - started
                if result.returncode not in (0, 3):
                    return Round(started, seconds, False, f"exit {result.returncode}: {result.stderr[-300:]}")
                report = json.loads(result.stdout)
        except Exception as exc:  # noqa: BLE001
            return Round(started, time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}")
        updated = {str(Path(s).resolve()) for s in report["updated"]}
        missing = [p.name for p in changed if str(p.resolve()) not in updated]
        if report["failed"] or missing:
            return Round(started, seconds, False, f"failed {report['failed']}, not updated {missing}")
        return Round(started, seconds, True)


# -- figures -----------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


def sec(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def during_reindex(sample: Sample, rounds: list[Round]) -> bool:
    end = sample.started + sample.seconds
    return any(r.started < end and sample.started < r.started + r.seconds for r in rounds)


def rounds_cell(rounds: list[Round]) -> str:
    if not rounds:
        return "0"
    good = [r.seconds for r in rounds if r.ok]
    mean = sum(good) / len(good) if good else None
    failed = len(rounds) - len(good)
    return f"{len(rounds)} ({sec(mean)} / {sec(max(good, default=None))} s)" + (
        f", {failed} failed" if failed else ""
    )


def empty_results(step: Step, baseline: dict[str, int]) -> int:
    """Searches that came back empty for a question that found passages before the load began."""
    return sum(
        1 for s in step.samples + step.side if s.ok and s.hits == 0 and baseline.get(s.question, 0) > 0
    )


def search_row(step: Step, baseline: dict[str, int]) -> str:
    times = [s.seconds for s in step.samples if s.ok]
    during = [s.seconds for s in step.samples if s.ok and during_reindex(s, step.rounds)]
    errors = sum(not s.ok for s in step.samples)
    return (
        f"| {step.clients} | {len(step.samples)} | {len(step.samples) / step.wall:.1f} | {ms(percentile(times, 50))} "
        f"| {ms(percentile(times, 95))} | {ms(max(times, default=None))} | {ms(percentile(during, 95))} "
        f"({100 * len(during) / max(1, len(times)):.0f} %) | {errors} | {empty_results(step, baseline)} "
        f"| {rounds_cell(step.rounds)} |"
    )


def ask_row(step: Step, baseline: dict[str, int]) -> str:
    done = [s for s in step.samples if s.ok]
    totals = [s.seconds for s in done]
    firsts = [s.first_token for s in done if s.first_token is not None]
    side = [s.seconds for s in step.side if s.ok]
    errors = sum(not s.ok for s in step.samples + step.side)
    return (
        f"| {step.clients} | {len(step.samples)} | {60 * len(done) / step.wall:.2f} "
        f"| {sec(percentile(firsts, 50))} / {sec(percentile(firsts, 95))} "
        f"| {sec(percentile(totals, 50))} / {sec(percentile(totals, 95))} | {sum(s.refused for s in done)} "
        f"| {errors} | {len(side)}: {ms(percentile(side, 50))} / {ms(percentile(side, 95))} "
        f"| {rounds_cell(step.rounds)} |"
    )


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cores} cores ({model or platform.processor() or 'unknown CPU'}), {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}; load average at the start {load}"
    )


# -- checks ------------------------------------------------------------------------------------------------
def documents(url: str) -> dict[str, int]:
    response = httpx.get(auth=AUTH, url=f"{url}/documents", timeout=TIMEOUT)
    response.raise_for_status()
    return {d["source"]: int(d["chunks"]) for d in response.json()}


def final_checks(url: str, expected: dict[str, int], markers: dict[Path, str]) -> list[str]:
    problems = []
    now = documents(url)
    lost = sorted(set(expected) - set(now))
    problems += [f"lost: {Path(s).name} is no longer listed by /documents" for s in lost]
    problems += [f"{Path(s).name} has no chunks" for s, n in now.items() if s in expected and n <= 0]
    health = httpx.get(auth=AUTH, url=f"{url}/health", timeout=TIMEOUT).json()
    if health["documents"] != len(now) or health["chunks"] != sum(now.values()):
        problems.append(
            f"/health counts {health['documents']} documents, {health['chunks']} chunks; /documents lists "
            f"{len(now)}, {sum(now.values())}"
        )
    with httpx.Client(auth=AUTH, base_url=url, timeout=TIMEOUT) as client:
        for path, tag in sorted(markers.items()):
            hits = client.post("/search", json={"question": f"Prüfkennung {tag}", "top_k": 10}).json()
            if not any(tag in h["text"] and Path(h["source"]).resolve() == path.resolve() for h in hits):
                problems.append(f"the sentence last appended to {path.name} ({tag}) is not found by /search")
    print(
        f"after the run: {len(now)} documents, {sum(now.values())} chunks ({len(expected)} at the start); "
        f"{len(markers)} changed files checked for their last appended sentence",
        flush=True,
    )
    return problems


def index_consistency(data_dir: Path) -> list[str]:
    """The live embedded index (read after the server stopped) holds the manifest's chunks, none twice."""
    from config.settings import load_settings
    from ingest.manifest import Manifest
    from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store

    settings = load_settings("embedded", data_dir=data_dir)
    index = EmbeddedIndex(settings.index_dir)
    raw = index.manifest()
    manifest = Manifest.from_dict(raw)
    snapshot = index.snapshot()
    store = create_document_store(settings, path=snapshot.path, keywords="+" in str(raw.get("embedder", "")))
    try:
        chunks = Counter((d.meta["source_id"], d.meta["split_id"]) for d in store.filter_documents())
    finally:
        close_document_store(store)
        snapshot.close()
    problems = []
    twice = sum(1 for n in chunks.values() if n > 1)
    if twice:
        problems.append(f"{twice} chunks are in the index more than once")
    per_source = Counter(sid for sid, _ in chunks)
    wanted = Counter({sid: e["chunks"] for sid, e in manifest.entries.items()})
    if per_source != wanted:
        differ = sorted(set(per_source) ^ set(wanted) | {s for s in wanted if per_source[s] != wanted[s]})
        problems.append(
            f"index and manifest disagree for {len(differ)} documents, e.g. {Path(differ[0]).name}: "
            f"{per_source[differ[0]]} chunks stored, {wanted[differ[0]]} in the manifest"
        )
    print(
        f"index check: {sum(chunks.values())} chunks stored, {sum(wanted.values())} in the manifest",
        flush=True,
    )
    return problems


def log_problems(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    if "Traceback" not in text:
        return []
    lines = text.splitlines()
    last = next((line for line in reversed(lines) if line and not line.startswith(" ")), "")
    return [f"the server log has {text.count('Traceback')} traceback(s), the last: {last[:200]} (see {log})"]


# -- the run -----------------------------------------------------------------------------------------------
class Monitor(threading.Thread):
    """Polls GET /documents and /health every ``every`` seconds during the load: a document that vanishes
    even for a moment (e.g. between two index generations) or a failing health check is a problem."""

    def __init__(self, url: str, expected: int, every: float = 1.0) -> None:
        super().__init__(name="monitor", daemon=True)
        self.url, self.expected, self.every = url, expected, every
        self.polls = 0
        self.problems: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(auth=AUTH, base_url=self.url, timeout=TIMEOUT, limits=POLLING) as client:
            while not self.stop.wait(self.every):
                try:
                    listed = client.get("/documents")
                    health = client.get("/health")
                except Exception as exc:  # noqa: BLE001
                    self.problems.append(f"monitor: {type(exc).__name__}: {exc}")
                    continue
                self.polls += 1
                if listed.status_code != 200 or health.status_code != 200:
                    self.problems.append(
                        f"monitor: /documents {listed.status_code}, /health {health.status_code}"
                    )
                elif len(listed.json()) < self.expected or health.json()["documents"] < self.expected:
                    self.problems.append(
                        f"monitor: /documents listed {len(listed.json())}, /health counted "
                        f"{health.json()['documents']} of {self.expected} documents for a moment"
                    )


def audit_lines(data_dir: Path) -> list[str]:
    return [line for f in sorted((data_dir / "audit").glob("*.jsonl")) for line in f.read_text().splitlines()]


def audit_problems(before: int, lines: list[str], answered: int) -> list[str]:
    """Every search and answer that got a 200 left exactly one whole audit line (channel api)."""
    new = lines[before:]
    broken = 0
    for line in new:
        try:
            if json.loads(line)["channel"] != "api":
                broken += 1
        except (ValueError, KeyError):
            broken += 1
    problems = [f"{broken} audit lines are not whole records of the API"] if broken else []
    if len(new) != answered:
        problems.append(
            f"{answered} searches and answers succeeded, but {len(new)} audit records were written"
        )
    print(f"audit log: {len(new)} records for {answered} successful searches and answers", flush=True)
    return problems


def run_step(
    args: argparse.Namespace,
    url: str,
    make_writer: Any,
    kind: str,
    clients: int,
    questions: list[str],
    side_questions: list[str],
) -> Step:
    """``clients`` threads searching for --seconds, or each asking --answers-per-client questions (with one
    more client searching once a second), while the writer re-indexes."""
    writer = make_writer()
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    side: list[Sample] = []
    stop = threading.Event()
    if kind == "search":
        threads = [
            threading.Thread(target=searcher, args=(url, questions, i * 7, stop, 0.0, samples[i]))
            for i in range(clients)
        ]
        extra = []
    else:
        n = args.answers_per_client
        threads = [
            threading.Thread(target=asker, args=(url, questions, 1 + i * n, n, samples[i]))
            for i in range(clients)
        ]
        extra = [threading.Thread(target=searcher, args=(url, side_questions, 3, stop, 1.0, side))]
    started = time.perf_counter()
    writer.start()
    for t in threads + extra:
        t.start()
    if kind == "search":
        time.sleep(args.seconds)
        stop.set()  # requests under way are finished and counted
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    stop.set()
    for t in extra:
        t.join()
    writer.stop.set()
    writer.join()  # a re-index under way is finished and counted
    return Step(kind, clients, wall, [s for per in samples for s in per], writer.rounds, side)


def counts(value: str) -> list[int]:
    return [int(x) for x in value.split(",") if x.strip()]


def step_problems(step: Step, baseline: dict[str, int]) -> list[str]:
    where = f"{step.kind}, clients {step.clients}"
    failed = [s for s in step.samples + step.side if not s.ok]
    problems = [f"{where}: {s.detail}" for s in failed[:5]]
    if len(failed) > 5:
        problems.append(f"{where}: {len(failed) - 5} more failed requests")
    problems += [f"{where}: re-index failed: {r.detail}" for r in step.rounds if not r.ok]
    if empty := empty_results(step, baseline):
        problems.append(f"{where}: {empty} searches came back empty")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "examples" / "corpus")
    parser.add_argument("--cases", type=Path, default=REPO / "benchmarks" / "eval" / "questions.jsonl")
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=Path(os.environ.get("AUSKUNFT_MODELS_DIR") or REPO / ".models"),
        help="where the shipped language model is (assembled there on first use)",
    )
    parser.add_argument(
        "--clients", type=counts, default=[1, 4, 16], help="search clients per step, e.g. 1,4,16"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each search step")
    parser.add_argument("--answer-clients", type=counts, default=[1, 2, 4], help="answer clients per step")
    parser.add_argument("--answers-per-client", type=int, default=1)
    parser.add_argument("--skip-answers", action="store_true")
    parser.add_argument(
        "--writer",
        choices=["api", "cli"],
        default="api",
        help="api: POST /reindex; cli: `auskunft reindex` in its own process (as the nightly scheduler)",
    )
    parser.add_argument("--modify", type=int, default=3, help="text files changed before each re-index")
    parser.add_argument("--reindex-pause", type=float, default=2.0, help="seconds between re-indexes")
    args = parser.parse_args()
    enforce_offline()
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"Error: {corpus} is not a folder; give the corpus with --corpus.")
    data_dir = WORK / "data"
    env = child_env(data_dir, args.models_dir.resolve())
    for key in [k for k in os.environ if k.startswith("AUSKUNFT_")]:
        del os.environ[key]  # the index check below reads settings too: not the caller's

    host = machine()
    print(f"machine: {host}", flush=True)
    copy = prepare(corpus, env)
    search_questions, answer_questions = load_questions(args.cases, {p.name for p in copy.rglob("*")})
    log = WORK / "server.log"
    steps: list[Step] = []
    problems: list[str] = []
    markers: dict[Path, str] = {}
    numbers = iter(range(1_000_000))
    audit_before = len(audit_lines(data_dir))
    answered = 0  # requests that must have left an audit record
    with api_server(env, log) as url:
        expected = documents(url)
        health = httpx.get(auth=AUTH, url=f"{url}/health", timeout=TIMEOUT).json()
        text_files = sorted(
            Path(s) for s in expected if Path(s).suffix in TEXT_SUFFIXES and Path(s).is_file()
        )
        print(
            f"corpus {args.corpus}: {len(expected)} documents, {sum(expected.values())} chunks, "
            f"generation {health['generation']}; {len(search_questions)} search questions, "
            f"{len(answer_questions)} answer questions; writer: "
            + ("POST /reindex" if args.writer == "api" else "`auskunft reindex` (own process)")
            + f", {min(args.modify, len(text_files))} of {len(text_files)} text files changed per round, "
            f"pause {args.reindex_pause:g} s",
            flush=True,
        )
        baseline: dict[str, int] = {}
        started = time.perf_counter()
        with httpx.Client(auth=AUTH, base_url=url, timeout=TIMEOUT) as client:
            for question in search_questions:  # also loads the embedding model
                sample = search_once(client, question)
                if not sample.ok:
                    problems.append(f"baseline search failed: {sample.detail}")
                baseline[question] = sample.hits
                answered += sample.ok
        print(
            f"baseline: every question searched once without load, {time.perf_counter() - started:.1f} s "
            "(incl. loading the embedding model)",
            flush=True,
        )

        def make_writer() -> Writer:
            return Writer(
                url, env, text_files, args.modify, args.reindex_pause, args.writer, markers, numbers
            )

        monitor = Monitor(url, len(expected))
        monitor.start()
        try:
            for n in args.clients:
                step = run_step(args, url, make_writer, "search", n, search_questions, search_questions)
                steps.append(step)
                print(f"search, clients {n}: " + search_row(step, baseline), flush=True)
            if not args.skip_answers:
                with httpx.Client(auth=AUTH, base_url=url, timeout=TIMEOUT) as client:
                    warm = ask_once(client, answer_questions[0])
                answered += warm.ok
                if not warm.ok:
                    problems.append(f"warm-up answer failed: {warm.detail}")
                print(
                    f"warm-up answer (loads the language model): {warm.seconds:.1f} s, first token "
                    f"{sec(warm.first_token)} s",
                    flush=True,
                )
                for m in args.answer_clients:
                    step = run_step(args, url, make_writer, "ask", m, answer_questions, search_questions)
                    steps.append(step)
                    print(f"answers, clients {m}: " + ask_row(step, baseline), flush=True)
        finally:
            monitor.stop.set()
            monitor.join()
        print(f"monitor: {monitor.polls} polls of /documents and /health during the load", flush=True)
        problems += monitor.problems[:5]
        for step in steps:
            problems += step_problems(step, baseline)
            answered += sum(s.ok for s in step.samples + step.side)
        problems += final_checks(url, expected, markers)
        answered += len(markers)
    problems += audit_problems(audit_before, audit_lines(data_dir), answered)
    problems += log_problems(log)
    problems += index_consistency(data_dir)
    report(args, host, steps, baseline, problems)


def report(
    args: argparse.Namespace, host: str, steps: list[Step], baseline: dict[str, int], problems: list[str]
) -> None:
    writer = "POST /reindex" if args.writer == "api" else "`auskunft reindex` in its own process"
    print()
    print(f"machine: {host}")
    print(
        f"command: python benchmarks/load.py {' '.join(sys.argv[1:])}".rstrip()
        + f"; re-index throughout: {writer}, {args.modify} text files changed per round"
    )
    searches = [s for s in steps if s.kind == "search"]
    if searches:
        print(f"\nPOST /search (top_k 5), {args.seconds:g} s per row, clients back to back:\n")
        print(
            "| clients | requests | req/s | p50 ms | p95 ms | max ms | p95 ms during a re-index (share) "
            "| errors | empty | re-indexes (mean / max) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for step in searches:
            print(search_row(step, baseline))
    answers = [s for s in steps if s.kind == "ask"]
    if answers:
        print(
            f"\nPOST /ask?stream=true, {args.answers_per_client} answer(s) per client, one generated at a time "
            "(the rest queue), plus one client searching once a second:\n"
        )
        print(
            "| clients | answers | answers/min | first token p50 / p95 s | total p50 / p95 s | refused "
            "| errors | searches meanwhile: n: p50 / p95 ms | re-indexes (mean / max) |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for step in answers:
            print(ask_row(step, baseline))
    print()
    for problem in problems:
        print(f"  problem: {problem}")
    if problems:
        print(f"FAIL: no errors, no lost documents: {len(problems)} problem(s) above")
        sys.exit(1)
    print("PASS: no errors, no lost documents")


if __name__ == "__main__":
    main()
