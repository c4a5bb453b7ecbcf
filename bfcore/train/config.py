"""The one training configuration (CleanRL style: every knob here, with help text and defaults that work)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from bfcore.configcheck import ConfigError, above, at_least, between, check, one_of


def _f(default, help: str, **kw):
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help}, **kw)
    return field(default=default, metadata={"help": help}, **kw)


# Fine-tuning a trained agent (init_from) on a new family at lr 1e-3 gave 73% after 5 minutes, 2e-3
# collapsed to 0%, 5e-4 gave 87% and 88% in two runs (bench/bench_train.py --finetune double, same session): the CLI
# uses this when --from is given without --lr.
FINETUNE_LR = 5e-4

# What every fine-tune starts from (``bftui train --from``, the app's Ctrl+T, the REPL's ``:train``):
# keep the old skills (rehearsal of the built-in train split, a KL penalty to the starting policy)
# and stop once the user's tasks are solved. Measured in docs/experiments/forgetting.md.
# 200 updates: held-out phrasings of the new family 82% and 92%, old test split -0.8 and -3.1 points
# (two seeds). Stopping as soon as the taught phrasings passed 99% lost more (-3.5, -4.2, -5.0): the
# KL term pulls the old skills back as training goes on. So target_success stays off by default.
FINETUNE = {"lr": FINETUNE_LR, "rehearsal": 0.5, "kl_coef": 0.1, "steps": 200, "target_success": 0.0,
            "patience": 100}


# Fields that earlier versions wrote into config.json and that no longer do anything: ignored on load,
# so such a run can still be resumed.
_RETIRED = {"bucket_lengths"}  # length-bucketed minibatches, replaced by bucket_rows


# Bounds of the fields (configcheck adds the type of each default): beyond them a run fails deep
# in MLX or numpy, or runs for ever.
BIG = 10**9
RULES = {
    "seed": between(0, 2**32 - 1), "steps": between(1, BIG), "minutes": between(0, BIG),
    "report_every": between(1, BIG), "save_every": between(1, BIG), "samples_per_report": between(0, 1000),
    "tasks_per_family": between(1, 10**7), "curriculum_threshold": between(0, 1),
    "algo": one_of("ppo", "grpo"), "batch_size": between(1, 1 << 20), "group_size": between(1, 1 << 20),
    "epochs": between(1, 1000), "minibatches": between(1, 1 << 20), "lr": ((lambda v: v >= 0), ">= 0 (0 trains nothing)"),
    "gamma": between(0, 1), "gae_lambda": between(0, 1), "clip": above(0), "vf_coef": at_least(0),
    "ent_coef": at_least(0), "max_grad_norm": above(0), "temperature": above(0), "shaping": at_least(0),
    "hidden": between(1, 4096), "conv_layers": between(0, 64), "max_steps": between(1, 1024),
    "encoder_layers": between(0, 1000),  # the model's own count is checked when it loads
    "token_rows": one_of("all", "facts"), "token_dropout": between(0, 1),
    "rehearsal": ((lambda v: 0 <= v < 1), "from 0 to below 1"), "kl_coef": at_least(0),
    "kl_on": one_of("all", "rehearsal"), "target_success": between(0, 1), "patience": between(0, BIG),
}


@dataclass
class TrainConfig:
    # run
    run_dir: str = _f("", "run directory (empty: runs/<algo>-<time>)")
    seed: int = _f(1, "the one seed: numpy, python and mlx generators all derive from it")
    steps: int = _f(400, "number of updates (each: one batch of rollouts + optimisation)")
    minutes: float = _f(0.0, "stop after this many minutes of training (0: no time limit)")
    resume: bool = _f(False, "continue the run in run_dir from its checkpoint")
    init_from: str = _f("", "start from this checkpoint's weights (fine-tuning); fresh optimiser")
    target_success: float = _f(0.0, "stop once the running success on the tasks being taught reaches this (0: off)")
    patience: int = _f(0, "stop after this many updates without a new best running success (0: off)")
    report_every: int = _f(5, "updates between metrics.jsonl lines / on_report calls")
    save_every: int = _f(25, "updates between checkpoints (also saved at the end and on Ctrl-C)")
    samples_per_report: int = _f(4, "sample programs logged with each report")
    # tasks
    tasks: str = _f("", "JSONL task file (empty: the built-in generators)")
    families: list = _f([], "built-in families to train on (empty: all default families)")
    tasks_per_family: int = _f(400, "built-in tasks generated per family (train split)")
    family_balance: bool = _f(True, "draw families by how badly they go (running success), not uniformly")
    curriculum: bool = _f(True, "short targets first; the level rises when success passes the threshold")
    curriculum_threshold: float = _f(0.6, "running success rate that advances the curriculum")
    rehearsal: float = _f(0.0, "share of each batch drawn from the built-in train split, so fine-tuning keeps "
                               "the old skills (needs init_from)")
    # algorithm
    algo: str = _f("ppo", "ppo (GAE + critic) or grpo (group-relative advantages, no critic)")
    batch_size: int = _f(256, "episodes per update")
    group_size: int = _f(8, "grpo: samples per prompt")
    epochs: int = _f(2, "optimisation passes over each batch")
    minibatches: int = _f(2, "minibatches per epoch")
    lr: float = _f(1e-3, "Adam learning rate")
    gamma: float = _f(1.0, "discount (episodes are short; the shaped rewards telescope exactly at 1.0)")
    gae_lambda: float = _f(0.95, "GAE lambda")
    clip: float = _f(0.2, "PPO ratio clip")
    vf_coef: float = _f(0.5, "value loss weight")
    ent_coef: float = _f(0.01, "entropy bonus weight")
    kl_coef: float = _f(0.0, "weight of a KL penalty to the starting policy (init_from), as RLHF trainers use")
    kl_on: str = _f("all", "episodes the KL penalty covers: 'all', or 'rehearsal' (the old tasks only, so the "
                           "taught ones learn freely)")
    max_grad_norm: float = _f(1.0, "global gradient norm clip")
    bucket_rows: bool = _f(True, "minibatches of prompts with similar pointer-memory sizes (rollout chunks too), each "
                                 "padded only to its own longest")
    norm_adv: bool = _f(True, "normalise advantages per minibatch")
    temperature: float = _f(1.0, "sampling temperature during rollouts")
    # rewards
    reward_weights: dict = _f({"exact": 1.0, "edit": 0.5, "out_dist": 0.1, "length": 0.05, "invalid": 1.0},
                              "weight of each named reward function (bfcore.rewards)")
    shaping: float = _f(0.5, "weight of the dense edit-distance shaping (sums to the program reward)")
    # model
    hidden: int = _f(128, "GRU / memory width")
    conv_layers: int = _f(1, "conv layers over the prompt characters")
    max_steps: int = _f(18, "tokens per program, END included")
    encoder_layers: int = _f(4, "LLM layers kept for the frozen encoder (0: no LLM, characters only)")
    encoder_model: str = _f("", "encoder model (empty: the embedded SmolLM2 GGUF)")
    token_states: bool = _f(False, "each prompt character also sees the LLM state of its token (needs the encoder)")
    token_rows: str = _f("all", "which memory rows get token states: 'all', or 'facts' (the derived rows only, e.g. "
                                "a word's length)")
    token_dropout: float = _f(0.0, "share of training episodes whose prompt goes without token states (so the agent "
                                    "keeps reading characters and positions too)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """A checked config from a dict (a config.json); ConfigError names the bad field."""
        names = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k not in _RETIRED}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown TrainConfig fields: {', '.join(unknown)}", unknown[0])
        cfg = cls(**d)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise ConfigError for the first bad value, including the ones that must agree."""
        from bfcore.rewards import DEFAULT_WEIGHTS

        check(self, RULES)
        if self.algo == "grpo" and self.batch_size % self.group_size:
            raise ConfigError(f"batch_size {self.batch_size} is not a multiple of group_size "
                              f"{self.group_size} (grpo)", "batch_size")
        if self.minibatches > self.batch_size:
            raise ConfigError(f"minibatches ({self.minibatches}) must be at most batch_size "
                              f"({self.batch_size})", "minibatches")
        if self.token_states and not self.encoder_layers:
            raise ConfigError("token_states needs the encoder (encoder_layers > 0)", "token_states")
        unknown = sorted(set(self.reward_weights) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise ConfigError(f"reward_weights: unknown reward {unknown[0]!r} (known: "
                              f"{', '.join(DEFAULT_WEIGHTS)})", "reward_weights")

    @staticmethod
    def help() -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(TrainConfig)}
