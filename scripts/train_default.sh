#!/bin/sh
# Reproduce the shipped default agent in three stages, then copy it into assets/agent/.
#  1. from scratch: assets/agent/stage1.json (PPO, all default families, curriculum), stopped at
#     update 840 as the shipped stage-1 agent was (--steps 840);
#  2. fine-tune on the dressed, more varied train phrasings: assets/agent/stage2.json (init from
#     stage 1, no curriculum, lr 5e-4, token states grown from 0), 25 training minutes in 2.5-minute
#     segments, keeping the checkpoint with the best mean per-family success on the val split
#     (scripts/train_select.py);
#  3. a corrective fine-tune: assets/agent/config.json (init from stage 2's best, lr 1e-4) on the
#     same train split plus 300 repeat tasks of 9 bytes (scripts/count_mix.py: the curriculum had
#     taught stage 1 to stop single-digit counts at 8), 5 minutes in 2.5-minute segments, best on val.
#   scripts/train_default.sh            # RUN=runs/default by default
#   RUN=runs/try2 scripts/train_default.sh --seed 2
set -e
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/default}
.venv/bin/python -m bftui train --config assets/agent/stage1.json --run "$RUN" --steps 840 "$@"
sed "s#\"init_from\": \"[^\"]*\"#\"init_from\": \"$RUN/checkpoint\"#" assets/agent/stage2.json > "$RUN.stage2.json"
.venv/bin/python scripts/train_select.py --config "$RUN.stage2.json" --run "$RUN-ft" --segment 2.5 --minutes 25
.venv/bin/python scripts/count_mix.py --out "$RUN.mix9.jsonl"
sed -e "s#\"init_from\": \"[^\"]*\"#\"init_from\": \"$RUN-ft/best\"#" -e "s#\"tasks\": \"[^\"]*\"#\"tasks\": \"$RUN.mix9.jsonl\"#" \
    assets/agent/config.json > "$RUN.stage3.json"
.venv/bin/python scripts/train_select.py --config "$RUN.stage3.json" --run "$RUN-fix9" --segment 2.5 --minutes 5
cp "$RUN-fix9/best/model.safetensors" "$RUN-fix9/best/state.json" assets/agent/
cp "$RUN/metrics.jsonl" assets/agent/metrics_stage1.jsonl
cp "$RUN-ft/metrics.jsonl" assets/agent/metrics_stage2.jsonl
cp "$RUN-ft/selection.jsonl" assets/agent/selection_stage2.jsonl
cp "$RUN-fix9/metrics.jsonl" assets/agent/metrics.jsonl
cp "$RUN-fix9/selection.jsonl" assets/agent/selection.jsonl
echo "copied $RUN-fix9/best into assets/agent/"
