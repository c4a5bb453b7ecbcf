"""Big inputs: time to the first update on a big task file, memory per cached prompt, and why an eval
of a fine-tuned run was slow (cold encoding caches), each against the old path in the same run.

Run: .venv/bin/python bench/bench_bigin.py [--prompts 512] [--eval-tasks 256]

1. Training on a task file of --prompts unique prompts (cold cache): the old trainer encoded all of
   them before step 1 (Featurizer.warm over the file, as Trainer.__init__ did); now the first update
   encodes only what its batch draws. Also the bytes held per prompt: the old featurizer kept views
   into each padded 256-prompt chunk, which kept the whole chunk alive; now each entry owns its
   buffer.
2. Eval: CPU seconds for --eval-tasks test tasks, cold (the LLM encodes every prompt) and warm, for
   the shipped agent and a fresh `--from default` run; then a reinstalled model file (same bytes,
   new mtime, as pip leaves it in every new venv or worktree) with the old mtime cache key and the
   new content key.
CPU seconds (process time) are the figure to read on a shared machine; wall seconds are shown too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def _task_file(path: Path, n: int) -> Path:
    """n unique prompts: the train split's phrasings (real lengths), numbered once they run out."""
    from bfcore.tasks import default_task_file

    base = [json.loads(line) for line in Path(default_task_file("train")).read_text().splitlines()]
    seen, rows = set(), []
    for k in range(n):
        row = dict(base[k % len(base)])
        if k >= len(base):
            row["problem"] = f"{row['problem']} ({k // len(base)})"
        if row["problem"] not in seen:
            seen.add(row["problem"])
            rows.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _old_featurizer_bytes(encoder, prompts) -> tuple[int, int]:
    """What the old Featurizer.warm kept for these prompts: views into each padded 256-prompt chunk
    (its code, less the dict). Returns (bytes kept alive, bytes of the prompts' own rows)."""
    import numpy as np

    held = []
    for s in range(0, len(prompts), 256):
        states, mask, pooled = encoder.encode_batch(prompts[s:s + 256])
        states, mask, pooled = np.array(states, np.float32), np.array(mask), np.array(pooled, np.float32)
        held += [(states[i, : int(mask[i].sum())], pooled[i]) for i in range(len(prompts[s:s + 256]))]
    bases = {id(a.base): a.base.nbytes for row in held for a in row}  # `held` keeps the ids unique
    return sum(bases.values()), sum(a.nbytes for row in held for a in row)


def bench_training(n: int, root: Path) -> None:
    from bfcore.encoder import load_encoder
    from bfcore.train import TrainConfig
    from bfcore.train.loop import Trainer

    tasks = _task_file(root / "big.jsonl", n)
    prompts = [json.loads(line)["problem"] for line in tasks.read_text().splitlines()]
    n = len(prompts)
    cfg = TrainConfig(run_dir=str(root / "run"), tasks=str(tasks), steps=1, curriculum=False)

    # old path: every prompt encoded up front (cold cache), then the first update
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-old")
    start = _clock()
    enc = load_encoder(cache_dir=root / "xdg-old" / "enc")
    kept, own = _old_featurizer_bytes(enc, prompts)
    old_wall, old_cpu = _since(start)
    rate = n / old_wall

    # new path: a Trainer on the same file (cold cache) and its first update
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-new")
    start = _clock()
    tr = Trainer(cfg, root / "run")
    init_wall, _ = _since(start)
    out = tr.update()
    new_wall, new_cpu = _since(start)
    print(f"\n1. training on {n} unique prompts (train-split phrasings), cold cache")
    print(f"   old: encode all {n} before step 1: {old_wall:.1f} s wall, {old_cpu:.1f} s CPU "
          f"({rate:.0f} prompts/s here; 1M lines would take {1e6 / rate / 3600:.1f} h), then the first update")
    print(f"   new: trainer ready in {init_wall:.1f} s (encoder calls: 0), first update done at "
          f"{new_wall:.1f} s wall, {new_cpu:.1f} s CPU, {out['prompts_encoded']} prompts encoded in it "
          f"({out['time/encode']:.1f} s); the update less its encoding {out['seconds']:.1f} s")
    print(f"   time to the end of step 1 (the old: its encode + the same update), old/new: "
          f"{(old_wall + out['seconds']) / new_wall:.1f}x here; it grows with the file, the new one does not")
    print(f"   bytes per prompt, featurizer: old {kept / n / 1024:.1f} KiB kept alive for {own / n / 1024:.1f} "
          f"KiB of its own ({kept / own:.1f}x); new {tr.feat._enc.nbytes / max(len(tr.feat._enc), 1) / 1024:.1f} "
          f"KiB (copies), at most {tr.feat._enc.max_bytes >> 20} MiB in all")
    cache = tr.feat.encoder.cache
    print(f"   encoder cache memory LRU: {cache.nbytes / max(len(cache), 1) / 1024:.1f} KiB per prompt, at most "
          f"{cache._memory.max_bytes >> 20} MiB (was: at most 2048 prompts, whatever their size)")


def _eval_cpu(agent, tasks) -> tuple[float, float, int]:
    from bfcore.agent.evaluate import evaluate

    enc = agent.featurizer.encoder
    calls = enc.model_calls
    start = _clock()
    evaluate(agent, tasks)
    wall, cpu = _since(start)
    return wall, cpu, enc.model_calls - calls


def bench_eval(n: int, root: Path) -> None:
    from bfcore.agent import Agent, default_agent_dir
    from bfcore.encoder import gguf, load_encoder
    from bfcore.tasks import default_task_file, load_tasks
    from bfcore.train import TrainConfig, train

    tasks = load_tasks(default_task_file("test"))[:n]
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-eval")
    run = train(TrainConfig(run_dir=str(root / "ft"), tasks=str(_task_file(root / "ft.jsonl", 32)),
                            init_from=str(default_agent_dir()), steps=2, batch_size=16, curriculum=False))
    print(f"\n2. eval of {n} test tasks (CPU s / wall s / LLM forward passes)")
    rows = [("fine-tuned run, cold cache", Agent.load(run)), ("shipped agent, warm", Agent.load()),
            ("fine-tuned run, warm", Agent.load(run))]
    res = {}
    for name, agent in rows:
        res[name] = _eval_cpu(agent, tasks)
        print(f"   {name:<40} {res[name][1]:6.1f} / {res[name][0]:6.1f} / {res[name][2]}")
    cold, warm = res[rows[0][0]][1], res[rows[2][0]][1]
    print(f"   cold / warm: {cold / warm:.1f}x; shipped warm / run warm: "
          f"{res[rows[1][0]][1] / warm:.2f}x (the run itself costs the same)")

    # a reinstall: same bytes, new mtime
    model = root / "SmolLM2-copy.gguf"
    shutil.copyfile(gguf.default_path(), model)
    new_key = gguf.file_key

    def old_key(path):
        st = os.stat(path)
        return f"{path.name}:{st.st_size}:{int(st.st_mtime)}"

    print("   after a reinstall (same model bytes, new mtime), second eval:")
    for label, key in (("old key (name, size, mtime)", old_key), ("new key (name, size, content)", new_key)):
        gguf.file_key = key
        try:
            cache = root / f"enc-{label[:3]}"
            Agent.load(run, encoder=load_encoder(str(model), cache_dir=cache)).generate_batch(
                [t.problem for t in tasks])
            later = time.time() + 3600
            os.utime(model, (later, later))
            agent = Agent.load(run, encoder=load_encoder(str(model), cache_dir=cache))
            wall, cpu, calls = _eval_cpu(agent, tasks)
        finally:
            gguf.file_key = new_key
        res[label] = cpu
        print(f"   {label:<40} {cpu:6.1f} / {wall:6.1f} / {calls}")
    old, new = res["old key (name, size, mtime)"], res["new key (name, size, content)"]
    print(f"   old / new after a reinstall: {old / new:.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=512, help="unique prompts in the big task file")
    ap.add_argument("--eval-tasks", type=int, default=256, help="test tasks to evaluate")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-eval", action="store_true")
    args = ap.parse_args()
    from bfcore.runtime import STATE

    print(f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, load avg "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    print(f"BLAS: {STATE.get('blas')} ({STATE.get('openblas_path') or 'MLX bundled'})")
    with tempfile.TemporaryDirectory(prefix="bench_bigin") as d:
        if not args.skip_train:
            bench_training(args.prompts, Path(d))
        if not args.skip_eval:
            bench_eval(args.eval_tasks, Path(d))
    print(f"load avg at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
