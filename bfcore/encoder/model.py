"""The truncated, frozen LLM encoder: a prompt -> per-token hidden states of layer K + a pooled vector.

Framing and pooling. The first position of a causal LM is an attention sink whose residual state
carries a few huge outlier dimensions, and every state shares a large common direction, so pooling
raw states says little about the prompt. Measured with ``bench/bench_encoder.py --pooling``
(SmolLM2, K=4, cosine between the pooled vectors of 12 unrelated prompts, mean / max, and of 3
paraphrase pairs):

    bare prompt, raw states, mean                0.98 / 0.99   paraphrases 0.99
    bare prompt, RMSNorm, mean                   0.81 / 0.92               0.85
    chat header, RMSNorm, mean over prompt       0.75 / 0.87               0.78
    chat header, RMSNorm - header mean (chosen)  0.31 / 0.61               0.55

So the prompt is wrapped in the model's chat header (its default system turn + the user header,
the same for every prompt), which absorbs the sink; each prompt state goes through the model's final
RMSNorm and has the mean normed state of the header tokens (after the sink) subtracted, removing
the shared direction; ``pooled`` is the mean over the prompt's own tokens, and ``states`` are those
tokens only. Headers shorter than MIN_CENTER_TOKENS are not used for centring.

Speed. The header is identical for every prompt, so its KV cache (mlx-lm ``KVCache``) is computed
once at load and each encode runs only the prompt's tokens on top of it. On CPU the kept layers are
de-quantized to float32 at load (OpenBLAS sgemm beats MLX's CPU quantized matmul ~4x per prompt and
~15-40x batched); on a GPU they stay 4-bit. ``info()`` reports which.

LoRA. With ``lora_layers=N`` adapters on the q/v projections of the last N kept layers are the only
trainable parameters of ``enc.model``; such an encoder runs the header with the prompt (the header's
keys/values depend on the adapters) and never caches results, since they change with every update.
Use ``enc.forward(prompts)`` inside a loss function for gradients; ``encode``/``encode_batch`` stop
gradients.

Threads. MLX arrays and streams belong to the thread that created them (mlx >= 0.31). Build the
encoder in the thread that uses it, or hand it over after ``load_encoder`` returns (it evaluates
every parameter and the header cache first). Calls are serialised by a lock, so ``encode_batch``
may be called from a training thread. A thread that ran MLX work must call ``mx.clear_streams()``
before it ends, or the process may abort at exit ("terminate called without an active exception").
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Callable

from bfcore.runtime import STATE, mx

from .blas import blas_threads
from .errors import EncoderError

#: Prompts longer than this many tokens are truncated (with a warning).
MAX_TOKENS = 256
#: Prompts per forward pass in encode_batch (sorted by length first, to keep padding small).
BATCH_CHUNK = 64

#: Headers with fewer tokens (after the sink) are not used for centring.
MIN_CENTER_TOKENS = 8

POOLING = "chat header; RMSNorm(state) - mean header state; mean over the prompt's own tokens"


@dataclass
class Encoded:
    """One encoded prompt: its token ids, their layer-K states [T, D] and the pooled vector [D]."""

    tokens: list[int]
    states: mx.array
    pooled: mx.array


class _PrefixKV:
    """A per-call view of the shared header cache: appends this call's keys/values to the header's."""

    def __init__(self, keys: mx.array, values: mx.array, batch: int) -> None:
        if batch != keys.shape[0]:
            keys = mx.broadcast_to(keys, (batch, *keys.shape[1:]))
            values = mx.broadcast_to(values, (batch, *values.shape[1:]))
        self.keys, self.values, self.offset = keys, values, keys.shape[2]

    def update_and_fetch(self, keys: mx.array, values: mx.array):
        self.keys = mx.concatenate([self.keys, keys], axis=2)
        self.values = mx.concatenate([self.values, values], axis=2)
        self.offset += keys.shape[2]
        return self.keys, self.values


class Encoder:
    """Built by :func:`bfcore.encoder.load_encoder`; see the module docstring."""

    def __init__(
        self,
        model,
        tokenize: Callable[[str], list[int]],
        prefix: list[int],
        *,
        name: str,
        layers: int,
        total_layers: int,
        dtype: str,
        compute_dtype=None,
        pad_id: int = 0,
        cache=None,
        lora_layers: int = 0,
        spans: Callable[[str], list[tuple[int, int]]] | None = None,
    ) -> None:
        self.model = model  # inner transformer: embed_tokens, layers (K of them), norm
        self._tokenize = tokenize
        self._spans = spans
        self.prefix = list(prefix)
        self.name = name
        self.layers = layers
        self.total_layers = total_layers
        self.dtype = dtype  # label for info(): "float32" (de-quantized) or "4-bit", ...
        self.compute_dtype = compute_dtype or mx.float32
        self.pad_id = pad_id
        self.lora_layers = lora_layers
        self.cache = None if lora_layers else cache
        self.single_thread_blas = True  # see blas.py
        self.reuse_header = True  # False re-runs the header with every prompt (for benchmarks)
        self.source_key = ""  # file size/mtime: a replaced model file gets a fresh cache
        self.model_calls = 0  # forward passes run; lets tests and benches see cache hits
        self.load_seconds = 0.0
        self._lock = threading.RLock()
        self._prefix_kv: list[tuple[mx.array, mx.array]] | None = None
        self._center = mx.array(0.0)
        self.dim = int(model.norm.weight.shape[0])

    # ---- identity and info -------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """Cache key: model + K (+ the LoRA weights' hash when adapters are attached)."""
        base = f"{self.name}|{self.source_key}|K={self.layers}|pool=v2"
        if self.lora_layers:
            from .lora import lora_hash  # noqa: PLC0415

            base += f"|lora={self.lora_layers}:{lora_hash(self.model)}"
        return base

    def info(self) -> dict:
        return {
            "model": self.name,
            "layers": self.layers,
            "total_layers": self.total_layers,
            "dim": self.dim,
            "dtype": self.dtype,
            "backend": backend(),
            "blas": STATE.get("blas"),
            "blas_path": STATE.get("openblas_path"),
            "blas_note": STATE.get("blas_note"),
            "lora_layers": self.lora_layers,
            "pooling": POOLING,
            "max_tokens": MAX_TOKENS,
            "load_seconds": round(self.load_seconds, 3),
        }

    # ---- LoRA --------------------------------------------------------------------------------
    def save_lora(self, path):
        """Save the LoRA adapters (only) to a safetensors file."""
        from .lora import save_lora  # noqa: PLC0415

        return save_lora(self, path)

    def load_lora(self, path) -> None:
        """Load adapters written by :meth:`save_lora` (same model, K and lora_layers)."""
        from .lora import load_lora  # noqa: PLC0415

        load_lora(self, path)

    def trainable_parameters(self):
        """The LoRA adapters' arrays (empty without adapters): what an optimiser should update."""
        return self.model.trainable_parameters()

    # ---- tokenising --------------------------------------------------------------------------
    def tokenize(self, prompt: str) -> list[int]:
        """The prompt's own token ids (no header), truncated to MAX_TOKENS with a warning."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise EncoderError("empty prompt: give the encoder some text")
        ids = list(self._tokenize(prompt))
        if len(ids) > MAX_TOKENS:
            warnings.warn(
                f"prompt has {len(ids)} tokens; truncated to the first {MAX_TOKENS}",
                stacklevel=3,
            )
            ids = ids[:MAX_TOKENS]
        return ids

    def token_spans(self, prompt: str) -> list[tuple[int, int]] | None:
        """(start, end) character offsets of each of :meth:`tokenize`'s tokens in ``prompt``, or None
        when the tokenizer cannot say (then the agent's pointer memory goes without token states)."""
        if self._spans is None:
            return None
        try:
            spans = [(int(a), int(b)) for a, b in self._spans(prompt)]
        except Exception:  # noqa: BLE001  (a slow/odd tokenizer without offsets: no alignment)
            return None
        return spans[:MAX_TOKENS]

    # ---- public encoding ---------------------------------------------------------------------
    def encode(self, prompt: str) -> Encoded:
        tokens = self.tokenize(prompt)
        with self._lock:
            hit = self.cache.get(prompt) if self.cache is not None else None
            if hit is None:
                with blas_threads(1, enabled=self.single_thread_blas):
                    states, _mask, pooled = self._run([tokens])
                    hit = (mx.stop_gradient(states[0]), mx.stop_gradient(pooled[0]))
                    mx.eval(*hit)
                if self.cache is not None:
                    self.cache.put(prompt, *hit)
        return Encoded(tokens, hit[0], hit[1])

    def encode_batch(self, prompts: list[str], progress=None):
        """(states [B, T, D], mask [B, T] bool, pooled [B, D]), T = longest prompt; cached per prompt.
        ``progress(done, total)``: called before the first forward pass and after each, with the
        count of prompts the model ran on (cache misses) out of all it will run on.

        The misses are sorted by length and run BATCH_CHUNK at a time, and a prompt's states differ
        in the last bits with the batch it ran in (~1e-5), so the trainer passes each update's
        prompts in one call: a resumed run then re-runs exactly the chunks a kill lost."""
        if not prompts:
            raise EncoderError("encode_batch needs at least one prompt")
        tokens = [self.tokenize(p) for p in prompts]
        with self._lock:
            found = self._lookup(prompts)
            missing = [i for i, r in enumerate(found) if r is None]
            if missing and progress is not None:
                progress(0, len(missing))
            for start in range(0, len(missing), BATCH_CHUNK):
                self._fill(missing, start, prompts, tokens, found)
                if progress is not None:
                    progress(min(start + BATCH_CHUNK, len(missing)), len(missing))
        return _stack(found)

    def forward(self, prompts: list[str]):
        """Differentiable (states, mask, pooled) for LoRA training: no cache, no stop_gradient."""
        return self._run([self.tokenize(p) for p in prompts])

    # ---- internals ---------------------------------------------------------------------------
    def _lookup(self, prompts: list[str]) -> list:
        if self.cache is None:
            return [None] * len(prompts)
        return [self.cache.get(p) for p in prompts]

    def _fill(self, missing: list[int], start: int, prompts, tokens, found) -> None:
        order = sorted(missing, key=lambda i: len(tokens[i]))
        chunk = order[start : start + BATCH_CHUNK]
        states, _mask, pooled = self._run([tokens[i] for i in chunk])
        states, pooled = mx.stop_gradient(states), mx.stop_gradient(pooled)
        mx.eval(states, pooled)
        items = {}
        for row, i in enumerate(chunk):
            found[i] = items[prompts[i]] = (states[row, : len(tokens[i])], pooled[row])
        if self.cache is not None:
            self.cache.put_many(items)  # a chunk reaches the disk whole (see encode_batch)

    def _run(self, batch: list[list[int]]):
        """Forward the padded batch (right padding: causal attention keeps pads out of real tokens)."""
        self.model_calls += 1
        longest = max(len(t) for t in batch)
        ids = mx.array([t + [self.pad_id] * (longest - len(t)) for t in batch])
        lengths = mx.array([len(t) for t in batch])
        mask = mx.arange(longest)[None, :] < lengths[:, None]
        if self.prefix and (self.lora_layers or not self.reuse_header):
            head = mx.array([self.prefix] * len(batch))
            full = self.model.norm(self._layers(mx.concatenate([head, ids], axis=1), None))
            states = full[:, len(self.prefix) :] - _center_of(full[:, : len(self.prefix)])
        else:
            states = self.model.norm(self._layers(ids, self._caches(len(batch))))
            states = states - self._center
        weights = mask.astype(states.dtype)[..., None]
        states = states * weights  # zero the padding rows
        pooled = states.sum(axis=1) / lengths[:, None].astype(states.dtype)
        return states, mask, pooled

    def _layers(self, ids: mx.array, caches):
        h = self.model.embed_tokens(ids).astype(self.compute_dtype)
        attn_mask = "causal" if ids.shape[1] > 1 else None
        for i, layer in enumerate(self.model.layers):
            h = layer(h, attn_mask, cache=None if caches is None else caches[i])
        return h.astype(mx.float32)

    def _caches(self, batch: int) -> list[_PrefixKV] | None:
        if not self.prefix:
            return None
        if self._prefix_kv is None:
            self._prefix_kv = self.compute_prefix_cache()
        return [_PrefixKV(k, v, batch) for k, v in self._prefix_kv]

    def compute_prefix_cache(self) -> list[tuple[mx.array, mx.array]]:
        """Run the chat header once through mlx-lm KVCaches; returns each layer's (keys, values)
        and sets the centring vector from the header's own states."""
        from .mlximport import import_model_module  # noqa: PLC0415

        kv_cache = import_model_module("cache")
        caches = [kv_cache.KVCache() for _ in self.model.layers]
        header = self.model.norm(self._layers(mx.array([self.prefix]), caches))
        self._center = _center_of(header)[0]
        out = [tuple(mx.array(a) for a in c.keys_and_values()) for c in caches]
        mx.eval(out, self._center)
        return out

    def warm_up(self) -> None:
        """Evaluate every parameter and the header cache now, in the calling thread."""
        mx.eval(self.model.parameters())
        if self.prefix and not self.lora_layers:
            self._prefix_kv = self.compute_prefix_cache()


def _center_of(header: mx.array) -> mx.array:
    """Mean RMS-normed state of the header tokens after the first (the attention sink), [B, 1, D];
    zero for headers shorter than MIN_CENTER_TOKENS, whose mean would be mostly noise."""
    if header.shape[1] - 1 < MIN_CENTER_TOKENS:
        return mx.zeros((header.shape[0], 1, header.shape[2]), header.dtype)
    return header[:, 1:].mean(axis=1, keepdims=True)


def _stack(found: list[tuple[mx.array, mx.array]]):
    longest = max(s.shape[0] for s, _ in found)
    dim = found[0][0].shape[1]
    rows, lengths = [], []
    for states, _ in found:
        pad = longest - states.shape[0]
        rows.append(mx.concatenate([states, mx.zeros((pad, dim), states.dtype)]) if pad else states)
        lengths.append(states.shape[0])
    mask = mx.arange(longest)[None, :] < mx.array(lengths)[:, None]
    return mx.stack(rows), mask, mx.stack([p for _, p in found])


def backend() -> str:
    """'gpu' when MLX's default device is a GPU (Metal or CUDA), else 'cpu'."""
    return "gpu" if mx.default_device().type == mx.DeviceType.gpu else "cpu"
