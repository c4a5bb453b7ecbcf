"""The one check of configuration values read from files (a run's config.json, a checkpoint's
state.json) or given as flags: each field of a config dataclass must have its default's type and
lie in its bounds, so a bad value is refused in one line before it fails deep in MLX or numpy.

A rule is ``(test, words)``: ``words`` finish "FIELD must be ...". Fields with no rule get the type
check alone. List fields hold names (strings); dict fields map names to numbers.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, fields

from bfcore.errors import InputError


class ConfigError(InputError):
    """A bad config value; ``field`` names it and ``str()`` is "FIELD must be ..., got VALUE"
    (whoever knows the file or flag it came from puts that in front)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def between(lo, hi):
    return (lambda v: lo <= v <= hi), f"from {lo:,} to {hi:,}"


def at_least(lo):
    return (lambda v: v >= lo), f">= {lo}"


def above(lo):
    return (lambda v: v > lo), f"> {lo}"


def one_of(*names):
    return (lambda v: v in names), "one of " + ", ".join(map(repr, names))


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# (test of a value, words for it), by the type of the field's default; bool before int (a subclass)
_TYPES = (
    (bool, lambda v: isinstance(v, bool), "true or false"),
    (int, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    (float, _number, "a number"),
    (str, lambda v: isinstance(v, str), "a string"),
    (list, lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of names"),
    (dict, lambda v: isinstance(v, dict) and all(_number(x) for x in v.values()),
     "an object of names to numbers"),
)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check(config, rules: dict) -> None:
    """Raise ConfigError for the first field of dataclass ``config`` with a bad value."""
    for f in fields(config):
        value = getattr(config, f.name)
        default = f.default if f.default is not MISSING else f.default_factory()
        type_ok, kind = next(((t, k) for cls, t, k in _TYPES if isinstance(default, cls)),
                             (lambda v: True, ""))
        test, words = rules.get(f.name, (None, ""))
        if type_ok(value) and (test is None or test(value)):
            continue
        if kind in ("an integer", "a number"):
            must = f"{kind} {words}".strip()
        else:  # a string's rule names its choices
            must = words or kind
        raise ConfigError(f"{f.name} must be {must}, got {_shown(value)}", f.name)


def encoder_section(state: dict) -> tuple[str | None, int]:
    """(model, layers) of the frozen encoder a checkpoint's state.json names: ``encoder`` must be
    an object; its ``model`` None (the embedded one) or a name or path, ``layers`` a count (the
    model's own count is checked when it loads)."""
    enc = state.get("encoder", {})
    if not isinstance(enc, dict):
        raise ConfigError(f"encoder must be an object, got {_shown(enc)}", "encoder")
    model, layers = enc.get("model"), enc.get("layers", 4)
    if model is not None and not (isinstance(model, str) and model.strip()):
        raise ConfigError(f"encoder.model must be null or a model name or path, got {_shown(model)}",
                          "encoder.model")
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= 1000:
        raise ConfigError(f"encoder.layers must be an integer from 1 to 1,000, got {_shown(layers)}",
                          "encoder.layers")
    return model, layers
