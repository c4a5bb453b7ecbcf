#!/bin/sh
# Reproduce the shipped default agent: train from scratch with the committed config
# (assets/agent/config.json: PPO, all default families, curriculum, 45-minute time limit),
# then copy the final checkpoint's weights and state into assets/agent/.
#   scripts/train_default.sh            # RUN=runs/default by default
#   RUN=runs/try2 scripts/train_default.sh --seed 2
set -e
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/default}
.venv/bin/python -m bftui train --config assets/agent/config.json --run "$RUN" "$@"
cp "$RUN/checkpoint/model.safetensors" "$RUN/checkpoint/state.json" assets/agent/
cp "$RUN/metrics.jsonl" assets/agent/metrics.jsonl
echo "copied $RUN/checkpoint into assets/agent/"
