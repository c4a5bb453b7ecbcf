"""``load_encoder``: the embedded GGUF default, any llama GGUF file, or any mlx-lm model dir/repo."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bfcore.runtime import mx

from .errors import EncoderError
from .model import Encoder, backend

#: model_type values whose inner model is embed_tokens -> layers(x, mask, cache) -> norm.
SUPPORTED_MLX_LM = {"llama", "mistral", "qwen2", "qwen3"}
#: On CPU, kept layers bigger than this stay quantized instead of being de-quantized to float32.
DEQUANTIZE_LIMIT_BYTES = 4 << 30

_SENTINEL = "\x00BFTUI_PROMPT\x00"


def load_encoder(
    model: str | None = None,
    layers: int = 4,
    lora_layers: int = 0,
    *,
    lora_rank: int = 8,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    dequantize: bool | None = None,
) -> Encoder:
    """Load the first ``layers`` blocks of a model as a frozen encoder.

    ``model``: None (embedded SmolLM2-135M-Instruct GGUF), a ``.gguf`` file, or an mlx-lm model
    directory / Hugging Face repo already in the local cache. ``dequantize``: None = float32 on CPU,
    4-bit on GPU. ``cache``: remember encodings in memory and under ``cache_dir`` (default: the
    platformdirs user cache); always off while LoRA adapters are attached.
    """
    if isinstance(layers, bool) or not isinstance(layers, int):
        raise EncoderError(f"layers must be an integer, got {layers!r}")
    start = time.perf_counter()
    dequantize = backend() == "cpu" if dequantize is None else dequantize
    if model is None or str(model).endswith(".gguf"):
        enc = _load_gguf(model, layers, dequantize)
    else:
        enc = _load_mlx_lm(str(model), layers, dequantize)
    if lora_layers:
        from .lora import attach_lora  # noqa: PLC0415

        attach_lora(enc, lora_layers, rank=lora_rank)
    enc.warm_up()
    if cache and not lora_layers:
        enc.cache = _make_cache(enc.identity, cache_dir)
    enc.load_seconds = time.perf_counter() - start
    return enc


def _make_cache(identity: str, cache_dir):
    from .cache import EncodingCache  # noqa: PLC0415
    from .tokenizer import cache_root  # noqa: PLC0415

    directory = Path(cache_dir) if cache_dir is not None else cache_root() / "encodings"
    return EncodingCache(identity, directory)


# ---- GGUF --------------------------------------------------------------------------------------
def _load_gguf(model: str | None, layers: int, dequantize: bool) -> Encoder:
    from . import gguf  # noqa: PLC0415
    from .tokenizer import CachedLoad, check_metadata, tokenizer_from_gguf  # noqa: PLC0415

    path = gguf.default_path() if model is None else Path(model).expanduser()
    pending = CachedLoad(gguf.file_key(path)) if path.is_file() else None
    weights, meta = gguf.read_gguf(path)
    _args, total = gguf.model_args(meta, None)
    gguf.check_layers(layers, total)
    check_metadata(meta)
    net = gguf.build_model(weights, meta, layers, dequantize)
    tok = tokenizer_from_gguf(meta, gguf.file_key(path), pending)
    source_key = gguf.file_key(path)  # a replaced model file gets a fresh encoding cache
    prefix = _chatml_prefix(str(meta.get("tokenizer.chat_template", "")))
    prefix_ids = tok.encode(prefix).ids if prefix else _bos(meta)
    pad = meta.get("tokenizer.ggml.padding_token_id")
    enc = Encoder(
        net.model,
        lambda text: tok.encode(text).ids,
        prefix_ids,
        spans=lambda text: tok.encode(text).offsets,
        name=path.name if model is None else str(path),
        layers=layers,
        total_layers=total,
        dtype="float32" if dequantize else "4-bit",
        compute_dtype=mx.float32 if dequantize else mx.float16,
        pad_id=int(pad.item()) if pad is not None else 0,
    )
    enc.source_key = source_key
    return enc


def _chatml_prefix(template: str) -> str:
    """The text before the user's message in a ChatML template: default system turn + user header."""
    if "<|im_start|>" not in template:
        return ""
    system = re.search(r"<\|im_start\|>system\n(.*?)<\|im_end\|>", template, re.S)
    head = f"<|im_start|>system\n{system.group(1)}<|im_end|>\n" if system else ""
    return head + "<|im_start|>user\n"


def _bos(meta: dict) -> list[int]:
    bos = meta.get("tokenizer.ggml.bos_token_id")
    return [int(bos.item())] if bos is not None else []


# ---- mlx-lm ------------------------------------------------------------------------------------
def _load_mlx_lm(model: str, layers: int, dequantize: bool) -> Encoder:
    from .mlximport import import_mlx_lm  # noqa: PLC0415

    local = _resolve(model)
    mlx_lm = import_mlx_lm()
    try:
        net, tokenizer = mlx_lm.utils.load(str(local), lazy=True)
    except Exception as exc:  # noqa: BLE001  (HF hub, OSError, ValueError...: all one line)
        raise EncoderError(f"cannot load model {model!r}: {_first_line(exc)}") from None
    kind = getattr(getattr(net, "args", None), "model_type", type(net).__module__)
    inner = getattr(net, "model", None)
    if kind not in SUPPORTED_MLX_LM or not all(
        hasattr(inner, a) for a in ("embed_tokens", "layers", "norm")
    ):
        raise EncoderError(f"unsupported architecture {kind!r} (supported: {sorted(SUPPORTED_MLX_LM)})")
    total = len(inner.layers)
    from .gguf import check_layers  # noqa: PLC0415

    check_layers(layers, total)
    inner.layers = inner.layers[:layers]  # the dropped blocks' lazy arrays are never loaded
    del net
    label, compute = _prepare_layers(inner, dequantize)
    inner.eval()
    mx.eval(inner.parameters())
    enc = Encoder(
        inner,
        lambda text: tokenizer.encode(text, add_special_tokens=False),
        _hf_prefix(tokenizer),
        spans=_hf_spans(tokenizer),
        name=model,
        layers=layers,
        total_layers=total,
        dtype=label,
        compute_dtype=compute,
        pad_id=_pad_id(tokenizer),
    )
    from .gguf import file_key  # noqa: PLC0415

    enc.source_key = f"{local}:{file_key(local / 'config.json')}"  # repo snapshots differ by path
    return enc


def _resolve(model: str) -> Path:
    """A local model directory: the path itself, or a repo id's snapshot in the Hugging Face cache
    (never downloaded: bftui works offline)."""
    path = Path(model).expanduser()
    looks_like_path = path.is_absolute() or model.startswith(".") or path.exists()
    if looks_like_path or model.count("/") != 1:
        if not path.exists():
            raise EncoderError(f"model not found: {model} (no such file or directory)")
        if not (path / "config.json").is_file():
            raise EncoderError(f"not an mlx-lm model directory (no config.json): {model}")
        return path
    try:
        from huggingface_hub import snapshot_download  # noqa: PLC0415

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # noqa: BLE001  (not cached, bad id, hub missing: all the same to the user)
        raise EncoderError(
            f"model {model!r} is not in the local Hugging Face cache "
            f"(download it first: huggingface-cli download {model})"
        ) from None


def _prepare_layers(inner, dequantize: bool):
    """De-quantize / up-cast the kept blocks to float32 on CPU when they fit DEQUANTIZE_LIMIT_BYTES."""
    from mlx import nn  # noqa: PLC0415
    from mlx.utils import tree_flatten  # noqa: PLC0415

    linears = [
        (layer, path, mod)
        for layer in inner.layers
        for path, mod in layer.named_modules()
        if isinstance(mod, nn.QuantizedLinear)
    ]
    params = sum(v.size for layer in inner.layers for _, v in tree_flatten(layer.parameters()))
    weight_dtype = inner.norm.weight.dtype
    if linears:
        elems = sum(m.weight.shape[0] * m.weight.shape[1] * 32 // m.bits for _, _, m in linears)
        if not dequantize or elems * 4 > DEQUANTIZE_LIMIT_BYTES:
            return f"{linears[0][2].bits}-bit", mx.float16
        for layer, path, mod in linears:
            _replace(layer, path, _dequantized_linear(mod))
        _cast(inner, mx.float32)
        return "float32", mx.float32
    if dequantize and params * 4 <= DEQUANTIZE_LIMIT_BYTES:
        _cast(inner, mx.float32)
        return "float32", mx.float32
    return str(weight_dtype).replace("mlx.core.", ""), weight_dtype


def _dequantized_linear(q):
    from mlx import nn  # noqa: PLC0415

    from .gguf import dequantize_fast  # noqa: PLC0415

    if getattr(q, "mode", "affine") == "affine":
        w = dequantize_fast(q.weight, q.scales, q.biases, q.group_size, q.bits)
    else:  # mxfp4 and friends: no biases, MLX knows the format
        w = mx.dequantize(q.weight, q.scales, group_size=q.group_size, bits=q.bits, mode=q.mode)
    has_bias = "bias" in q
    lin = nn.Linear(w.shape[1], w.shape[0], bias=has_bias)
    lin.weight = w.astype(mx.float32)
    if has_bias:
        lin.bias = q.bias.astype(mx.float32)
    return lin


def _replace(root, path: str, new) -> None:
    *parents, leaf = path.split(".")
    obj = root
    for name in parents:
        obj = obj[int(name)] if isinstance(obj, list) else getattr(obj, name)
    setattr(obj, leaf, new)


def _cast(inner, dtype) -> None:
    from mlx.utils import tree_map  # noqa: PLC0415

    for layer in inner.layers:
        layer.update(tree_map(lambda a: a.astype(dtype) if mx.issubdtype(a.dtype, mx.floating) else a,
                              layer.parameters()))
    inner.norm.update(tree_map(lambda a: a.astype(dtype), inner.norm.parameters()))


def _hf_prefix(tokenizer) -> list[int]:
    """Token ids of the chat template up to the user's message, or just BOS without a template."""
    hf = getattr(tokenizer, "_tokenizer", tokenizer)
    if getattr(hf, "chat_template", None):
        try:
            text = hf.apply_chat_template(
                [{"role": "user", "content": _SENTINEL}], tokenize=False, add_generation_prompt=False
            )
            head = text.split(_SENTINEL)[0]
            if head:
                return list(hf.encode(head, add_special_tokens=False))
        except Exception:  # noqa: BLE001  (odd templates fall back to BOS)
            pass
    bos = getattr(hf, "bos_token_id", None)
    return [bos] if bos is not None else []


def _hf_spans(tokenizer):
    """Character offsets from a fast (Rust) Hugging Face tokenizer; None for slow ones."""
    hf = getattr(tokenizer, "_tokenizer", tokenizer)
    if not getattr(hf, "is_fast", False):
        return None
    return lambda text: hf(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]


def _pad_id(tokenizer) -> int:
    for attr in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
