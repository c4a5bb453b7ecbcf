"""``bftui info [--model M] [--layers K]``: load the encoder and show what is in use and what it cost."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--model", default=None, metavar="M",
                        help="a .gguf file, an mlx-lm model directory or a cached Hugging Face repo "
                             "(default: the embedded SmolLM2-135M-Instruct)")
    parser.add_argument("--layers", type=int, default=4, metavar="K",
                        help="transformer layers to keep (default 4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")


def rss_mb() -> float:
    """Resident set size of this process in MiB (current on Linux, peak elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main(args) -> int:
    import json
    import platform

    from bftui.cli import UserError

    from bfcore.encoder import EncoderError, load_encoder

    try:
        enc = load_encoder(args.model, layers=args.layers, cache=False)
    except EncoderError as exc:
        raise UserError(str(exc)) from None
    info = enc.info()
    info["rss_mb"] = round(rss_mb(), 1)
    info["machine"] = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    from bfcore.runtime import mx

    info["mlx"] = mx.__version__
    if args.json:
        print(json.dumps(info))
        return 0
    rows = [
        ("model", info["model"]),
        ("layers", f"{info['layers']} of {info['total_layers']} (hidden size {info['dim']})"),
        ("dtype", info["dtype"]),
        ("backend", info["backend"]),
        ("BLAS", info["blas"] + (f" ({info['blas_note']})" if info.get("blas_note") else "")),
        ("BLAS library", info.get("blas_path") or "-"),
        ("MLX", info["mlx"]),
        ("load time", f"{info['load_seconds']:.2f} s"),
        ("RSS", f"{info['rss_mb']:.0f} MiB"),
        ("pooling", info["pooling"]),
        ("machine", info["machine"]),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
