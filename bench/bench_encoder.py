"""Encoder benchmark: load time, RSS, per-prompt latency, batched throughput, pooling separation.

    .venv/bin/python bench/bench_encoder.py              # everything (about a minute)
    .venv/bin/python bench/bench_encoder.py --pooling    # only the pooling comparison

Every speed figure comes with a baseline measured in the same run on the same machine:
the 4-bit quantized path (MLX's quantized matmul) for the default de-quantized float32 path,
the header re-run with every prompt for the cached-header path, the full 30-layer model for K=4,
and one-by-one encoding for the batched path. Targets (default model, K=4): load < 1 s,
p50 encode < 20 ms for a ~10-token prompt, 256 training prompts batched < 2 s, RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ["hi", "hello", "cat", "dog", "yes", "no", "ok", "bye", "sun", "moon", "tree", "fish",
         "red", "blue", "up", "down", "abc", "xyz", "Bob", "Alice"]
TEMPLATES = [
    "say {w}", "print the word {w}", "output {w} followed by a newline",
    "write {w} {n} times", "print the letter {c} {n} times", "echo the input back",
    "print {w} in capital letters", "output the number {n}", "reverse the input",
    "print {w} and then {w2}", "count from 1 to {n}", "print {n} exclamation marks",
    "print the word {w} three times, separated by commas",
    "read a line of input and print it back reversed",
    "output the letter {c} exactly {n} times and then stop",
    "print {w} on one line and {w2} on the next line",
]


def training_prompts(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        t = rng.choice(TEMPLATES)
        out.append(t.format(w=rng.choice(WORDS), w2=rng.choice(WORDS), n=rng.randint(2, 9),
                            c=rng.choice("ABCXYZ")))
    return out


def machine() -> str:
    from bfcore.runtime import STATE, mx

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from bfcore.encoder.model import backend

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores "
            f"(load average {load}), "
            f"Python {platform.python_version()}, MLX {mx.__version__}, BLAS {STATE['blas']}, "
            f"backend {backend()}")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def fresh_process_load(layers: int, dequantize: bool | None, repeats: int = 3) -> dict:
    """Load time and RSS in a new interpreter (mlx already imported, as in `bftui info`)."""
    code = (
        "import json, sys, time; sys.path.insert(0, %r)\n"
        "from bftui.commands.info import rss_mb\n"
        "from bfcore.runtime import mx\n"
        "t0 = time.perf_counter(); from bfcore.encoder import load_encoder\n"
        "enc = load_encoder(layers=%d, cache=False, dequantize=%r)\n"
        "t1 = time.perf_counter(); enc.encode('say hi')\n"
        "print(json.dumps({'load': t1 - t0, 'rss': rss_mb()}))\n"
    ) % (str(ROOT), layers, dequantize)
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"load": statistics.median(r["load"] for r in runs),
            "rss": statistics.median(r["rss"] for r in runs)}


def latency(enc, prompts: list[str]) -> tuple[float, float, float]:
    """Wall-clock p50, p90 and CPU-time p50 (less sensitive to other processes) per encode."""
    enc.encode(prompts[0])  # warm-up: first call sizes buffers
    wall, cpu = [], []
    for p in prompts:
        t, c = time.perf_counter(), time.process_time()
        enc.encode(p)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return (*percentiles(wall), statistics.median(cpu))


def bench_speed(n_prompts: int) -> None:
    from bfcore.encoder import load_encoder

    print(f"machine: {machine()}")
    probe = load_encoder(cache=False)
    pool = training_prompts(20 * n_prompts, seed=1)
    prompts = [p for p in pool if 9 <= len(probe.tokenize(p)) <= 11][:n_prompts]
    mean_tokens = statistics.mean(len(probe.tokenize(p)) for p in prompts)
    print(f"latency prompts: {len(prompts)} synthetic requests of 9-11 tokens (mean {mean_tokens:.1f}; "
          f"the slower baselines use the first quarter), header {len(probe.prefix)} tokens\n")

    print("load (fresh process, median of 3)         load s   RSS MiB")
    loads = {}
    for label, k, deq in (("K=4 float32 (default)", 4, None), ("K=4 4-bit", 4, False),
                          ("K=30 float32", 30, None)):
        loads[label] = fresh_process_load(k, deq)
        print(f"  {label:<38} {loads[label]['load']:7.3f}   {loads[label]['rss']:7.0f}")

    print("\nencode one prompt (cache off)              p50 ms   p90 ms   p50 vs default   CPU ms p50")
    configs = [
        ("K=4 float32 + cached header (default)", dict(layers=4), True),
        ("  same, OpenBLAS with all its threads", dict(layers=4, _threads=True), True),
        ("K=4 4-bit (quantized matmul) + header", dict(layers=4, dequantize=False), True),
        ("K=4 float32, header re-run per prompt", dict(layers=4), False),
        ("K=30 float32 + cached header", dict(layers=30), True),
    ]
    base = None
    for label, kwargs, reuse in configs:
        all_threads = kwargs.pop("_threads", False)
        enc = load_encoder(cache=False, **kwargs)
        enc.reuse_header = reuse
        enc.single_thread_blas = not all_threads
        slow = kwargs.get("layers") == 30 or kwargs.get("dequantize") is False or not reuse
        p50, p90, cpu = latency(enc, prompts[: max(20, len(prompts) // 4)] if slow else prompts)
        base = base or p50
        print(f"  {label:<38} {p50 * 1e3:7.2f}  {p90 * 1e3:7.2f}   x{p50 / base:5.2f}"
              f"          {cpu * 1e3:7.2f}")
        del enc

    train = training_prompts(256, seed=2)
    print("\n256 training prompts (cache off)          seconds   vs batched")
    enc = load_encoder(cache=False)
    enc.encode_batch(train[:8])
    t = time.perf_counter()
    enc.encode_batch(train)
    batched = time.perf_counter() - t
    t = time.perf_counter()
    for p in train:
        enc.encode(p)
    single = time.perf_counter() - t
    quant = load_encoder(cache=False, dequantize=False)
    quant.encode_batch(train[:8])
    t = time.perf_counter()
    quant.encode_batch(train)
    quant_batched = time.perf_counter() - t
    print(f"  {'encode_batch, K=4 float32 (default)':<38} {batched:8.3f}   x1.00")
    print(f"  {'encode_batch, K=4 4-bit':<38} {quant_batched:8.3f}   x{quant_batched / batched:.2f}")
    print(f"  {'encode() one by one, K=4 float32':<38} {single:8.3f}   x{single / batched:.2f}")

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cached = load_encoder(cache_dir=tmp)
        cached.encode_batch(train)
        t = time.perf_counter()
        cached.encode_batch(train)
        memory = time.perf_counter() - t
        again = load_encoder(cache_dir=tmp)
        t = time.perf_counter()
        again.encode_batch(train)
        disk = time.perf_counter() - t
    print(f"  {'cached in memory (2nd call)':<38} {memory:8.3f}   x{memory / batched:.3f}")
    print(f"  {'cached on disk (new encoder)':<38} {disk:8.3f}   x{disk / batched:.3f}")

    d = loads["K=4 float32 (default)"]
    print(f"\ntargets: load {d['load']:.2f} s (< 1), RSS {d['rss']:.0f} MiB (< 400), "
          f"batch {batched:.2f} s (< 2); p50 above (< 20 ms)")


UNRELATED = ["say hi", "print the numbers from 1 to 5", "output the letter A three times",
             "what is the weather in Paris", "reverse the input string", "write a poem about the sea",
             "add two digits", "echo every byte you read", "count down from ten",
             "print HELLO WORLD in capitals", "the cat sat on the mat", "uppercase the input"]
PARAPHRASES = [("say hi", "print hi"), ("reverse the input string", "output the input backwards"),
               ("print the letter A three times", "output AAA")]


def bench_pooling() -> None:
    """Cosine between pooled vectors of unrelated prompts (lower = better separated) for each option."""
    import numpy as np

    from bfcore.encoder import load_encoder
    from bfcore.runtime import mx

    enc = load_encoder(cache=False)
    header = np.array(enc.model.norm(enc._layers(mx.array([enc.prefix]), None))[0, 1:])

    def states(prompt, use_header, norm):
        tokens = enc.tokenize(prompt)
        ids = (enc.prefix if use_header else []) + tokens
        h = enc._layers(mx.array([ids]), None)[0]
        h = enc.model.norm(h) if norm else h
        return np.array(h[len(ids) - len(tokens):])

    options = {
        "bare prompt, raw states, mean": lambda p: states(p, False, False).mean(0),
        "bare prompt, RMSNorm, mean": lambda p: states(p, False, True).mean(0),
        "bare prompt, raw, mean w/o 1st token": lambda p: states(p, False, False)[1:].mean(0),
        "chat header, raw, mean over prompt": lambda p: states(p, True, False).mean(0),
        "chat header, RMSNorm, mean over prompt": lambda p: states(p, True, True).mean(0),
        "header, RMSNorm - header mean (chosen)": lambda p: (states(p, True, True) - header.mean(0)).mean(0),
    }

    def cos(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    print(f"machine: {machine()}")
    print(f"pooling, K={enc.layers}: cosine between {len(UNRELATED)} unrelated prompts "
          f"({len(UNRELATED) * (len(UNRELATED) - 1) // 2} pairs) and {len(PARAPHRASES)} paraphrase pairs")
    print(f"  {'option':<40} unrelated mean   max   paraphrase mean")
    for name, pool in options.items():
        vecs = [pool(p) for p in UNRELATED]
        pairs = [cos(vecs[i], vecs[j]) for i in range(len(vecs)) for j in range(i + 1, len(vecs))]
        para = [cos(pool(a), pool(b)) for a, b in PARAPHRASES]
        print(f"  {name:<40} {np.mean(pairs):14.3f} {np.max(pairs):5.3f} {np.mean(para):17.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pooling", action="store_true", help="only the pooling comparison")
    parser.add_argument("--prompts", type=int, default=200, help="prompts for the latency runs")
    args = parser.parse_args()
    if args.pooling:
        bench_pooling()
        return
    bench_speed(args.prompts)
    print()
    bench_pooling()


if __name__ == "__main__":
    main()
