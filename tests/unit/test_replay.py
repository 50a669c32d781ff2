"""benchmarks/replay.py: a quality run asks the model only for prompts it has not answered before."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from haystack.dataclasses import ChatMessage

_spec = importlib.util.spec_from_file_location(
    "replay", Path(__file__).parents[2] / "benchmarks" / "replay.py"
)
assert _spec and _spec.loader
replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replay)


class CountingGenerator:
    """Answers with the number of the call, so a kept reply is told from a new one."""

    def __init__(self, threads: int = 2) -> None:
        self.model_path = "model.gguf"
        self.threads = threads
        self.generation_kwargs = {"max_tokens": 40}
        self.calls = 0

    def to_dict(self) -> dict[str, Any]:
        init = {
            "model_path": self.model_path,
            "threads": self.threads,
            "generation_kwargs": self.generation_kwargs,
        }
        return {"type": "CountingGenerator", "init_parameters": init}

    def run(
        self, messages: list[ChatMessage], generation_kwargs: Any = None, *, streaming_callback: Any = None
    ):
        self.calls += 1
        if streaming_callback:
            streaming_callback(type("Chunk", (), {"content": "x"})())
        return {
            "replies": [ChatMessage.from_assistant(f"reply {self.calls}", meta={"model": self.model_path})]
        }


def _prompt(question: str) -> list[ChatMessage]:
    return [ChatMessage.from_system("Antworte kurz."), ChatMessage.from_user(question)]


def test_a_prompt_answered_before_is_replayed_and_a_changed_one_goes_to_the_model(tmp_path: Path) -> None:
    kept = tmp_path / "replies.jsonl"
    model = CountingGenerator()
    first = replay.ReplayGenerator(model, kept)
    assert first.run(_prompt("Wie hoch ist die Hundesteuer?"))["replies"][0].text == "reply 1"
    # a later run (a new process) reads the kept replies
    second = replay.ReplayGenerator(model, kept)
    streamed: list[str] = []
    again = second.run(
        _prompt("Wie hoch ist die Hundesteuer?"), streaming_callback=lambda c: streamed.append(c.content)
    )
    assert again["replies"][0].text == "reply 1" and again["replies"][0].meta["replayed"] is True
    assert streamed == ["reply 1"]  # the first token is still streamed
    # one character more in the prompt is another prompt
    assert second.run(_prompt("Wie hoch ist die Hundesteuer ?"))["replies"][0].text == "reply 2"
    # other generation settings are another prompt too
    assert (
        second.run(_prompt("Wie hoch ist die Hundesteuer?"), {"max_tokens": 80})["replies"][0].text
        == "reply 3"
    )
    assert (model.calls, second.asked, second.replayed) == (3, 2, 1)
    # the same model read with another thread count sums differently: its replies are not replayed
    other = CountingGenerator(threads=4)
    assert (
        replay.ReplayGenerator(other, kept).run(_prompt("Wie hoch ist die Hundesteuer?"))["replies"][0].text
        == "reply 1"
    )
    assert other.calls == 1


def test_without_reuse_every_prompt_goes_to_the_model_and_its_reply_is_kept(tmp_path: Path) -> None:
    kept = tmp_path / "replies.jsonl"
    model = CountingGenerator()
    recording = replay.ReplayGenerator(model, kept, reuse=False)
    recording.run(_prompt("Wann ist das Freibad geöffnet?"))
    assert recording.run(_prompt("Wann ist das Freibad geöffnet?"))["replies"][0].text == "reply 2"
    assert recording.replayed == 0
    # the last reply kept for a prompt is the one replayed
    assert (
        replay.ReplayGenerator(model, kept).run(_prompt("Wann ist das Freibad geöffnet?"))["replies"][0].text
        == "reply 2"
    )
