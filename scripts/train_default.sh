#!/bin/sh
# Reproduce the shipped default agent in two stages, then copy it into assets/agent/.
#  1. from scratch: assets/agent/stage1.json (PPO, all default families, curriculum), stopped at
#     update 840 as the shipped stage-1 agent was (--steps 840);
#  2. fine-tune on the dressed, more varied train phrasings: assets/agent/config.json (init from
#     stage 1, no curriculum, lr 5e-4, token states grown from 0), 25 training minutes in 2.5-minute
#     segments, keeping the checkpoint with the best mean per-family success on the val split
#     (scripts/train_select.py).
#   scripts/train_default.sh            # RUN=runs/default by default
#   RUN=runs/try2 scripts/train_default.sh --seed 2
set -e
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/default}
.venv/bin/python -m bftui train --config assets/agent/stage1.json --run "$RUN" --steps 840 "$@"
sed "s#\"init_from\": \"[^\"]*\"#\"init_from\": \"$RUN/checkpoint\"#" assets/agent/config.json > "$RUN.finetune.json"
.venv/bin/python scripts/train_select.py --config "$RUN.finetune.json" --run "$RUN-ft" --segment 2.5 --minutes 25
cp "$RUN-ft/best/model.safetensors" "$RUN-ft/best/state.json" assets/agent/
cp "$RUN/metrics.jsonl" assets/agent/metrics_stage1.jsonl
cp "$RUN-ft/metrics.jsonl" assets/agent/metrics.jsonl
cp "$RUN-ft/selection.jsonl" assets/agent/selection.jsonl
echo "copied $RUN-ft/best into assets/agent/"
