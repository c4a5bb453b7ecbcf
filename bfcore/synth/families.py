"""Task families for the synthesis agent: BF programs that loop and read input, defined as data.

``assets/tasks/synth_families.json`` holds one entry per family: the reference function that
computes its expected output (``fn``), the placeholders its phrasings name (``params``) and the
values they take (``values``), how test inputs are drawn (``inputs``) and at least 14 phrasings
split 8/3/3 into train/val/test. This module checks that file, holds the reference functions and
draws :class:`~bfcore.tasks.Task` lists from it.

Splits hold out phrasings (each phrasing belongs to one split) and values: every combination of a
family's parameter values is ranked by a stable hash, the first 10% go to val, the next 20% to
test, the rest to train, so a split never shows another split's combinations (a family with one
parameter, like ``add``'s k, has its val/test values wholly unseen in train; one with two, like
``copies``, has unseen pairs of values each seen in train). Values a phrasing does not show (``print
the alphabet``) take the family's ``defaults`` in every split. Test inputs are random and not held
out; :func:`fresh_tests` draws new ones for scoring.

Input conventions: BF reads with ``,`` and gets 0 at end of input, so inputs never contain NUL;
they are printable ASCII (what each family draws is in its ``inputs`` entry and ``note``).
Expected outputs are at most :data:`INPUT_CAP` bytes for families that read input and at most
:data:`CONST_CAP` for the constant ones (which get one test with empty input).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import random
import re
import string
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bfcore.errors import InputError
from bfcore.tasks import (DRESS_PREFIXES, DRESS_SUFFIXES, SMALL_NUMBER_WORDS, SPLITS, WORDS, Task,
                          assets_dir, dress, norm_template)

INPUT_CAP = 16  # as bfcore.tasks.MAX_TARGET: keeps episodes short
CONST_CAP = 200
MIN_PHRASINGS = {"train": 8, "val": 3, "test": 3}
HELD_OUT = (("val", 0.1), ("test", 0.2))  # share of each family's value combinations, in rank order
SPELL_RATE = 0.3  # how often a small number in a prompt is written as a word


class FamilyFormatError(InputError):
    """A malformed family file; the message names the family and the field."""


@dataclass(frozen=True)
class Family:
    name: str
    fn: str
    params: tuple[str, ...]
    reads_input: bool
    phrasings: dict[str, tuple[str, ...]]
    inputs: dict
    values: dict = field(default_factory=dict)  # param -> value spec (see _pool)
    defaults: dict = field(default_factory=dict)  # for params a phrasing leaves out
    ordered: tuple[tuple[str, str], ...] = ()  # (a, b): a combination needs value a < value b
    # a constant family whose programs must beat printing: text at most this share of the greedy
    # print compiler's (a loop must pay), None for no cap
    shorter: float | None = None


def families_file() -> Path:
    return assets_dir() / "tasks" / "synth_families.json"


# ---------------------------------------------------------------- reference functions

_REFS: dict[str, Callable[[bytes, dict], bytes]] = {}


def _ref(fn):
    _REFS[fn.__name__] = fn
    return fn


def _b(text: str) -> bytes:
    return text.encode("latin-1")


@_ref
def ref_echo(inp: bytes, p: dict) -> bytes:
    return inp


@_ref
def ref_reverse(inp: bytes, p: dict) -> bytes:
    return inp[::-1]


@_ref
def ref_upper(inp: bytes, p: dict) -> bytes:
    return inp.upper()  # ASCII letters only; spaces and other bytes pass through


@_ref
def ref_lower(inp: bytes, p: dict) -> bytes:
    return inp.lower()


@_ref
def ref_add(inp: bytes, p: dict) -> bytes:
    return bytes((x + p["k"]) % 256 for x in inp)  # a BF cell wraps at 256


@_ref
def ref_twice_each(inp: bytes, p: dict) -> bytes:
    return bytes(x for x in inp for _ in range(2))


@_ref
def ref_twice_all(inp: bytes, p: dict) -> bytes:
    return inp * 2


@_ref
def ref_first(inp: bytes, p: dict) -> bytes:
    return inp[:1]


@_ref
def ref_last(inp: bytes, p: dict) -> bytes:
    return inp[-1:]


@_ref
def ref_drop_first(inp: bytes, p: dict) -> bytes:
    return inp[1:]


@_ref
def ref_length(inp: bytes, p: dict) -> bytes:
    return _b(str(len(inp)))


@_ref
def ref_count(inp: bytes, p: dict) -> bytes:
    return _b(str(inp.count(_b(p["c"]))))


@_ref
def ref_remove(inp: bytes, p: dict) -> bytes:
    return inp.replace(_b(p["c"]), b"")


@_ref
def ref_sum_digits(inp: bytes, p: dict) -> bytes:
    if len(inp) != 2 or not inp.isdigit():
        raise ValueError(f"sum_digits needs two ASCII digits, got {inp!r}")
    return _b(str(inp[0] - 48 + inp[1] - 48))


@_ref
def ref_until_space(inp: bytes, p: dict) -> bytes:
    return inp.split(b" ", 1)[0]


@_ref
def ref_alphabet(inp: bytes, p: dict) -> bytes:
    return bytes(range(ord(p["a"]), ord(p["b"]) + 1))


@_ref
def ref_digits(inp: bytes, p: dict) -> bytes:
    return _b("".join(str(d) for d in range(p["a"], p["b"] + 1)))


@_ref
def ref_repeat_word(inp: bytes, p: dict) -> bytes:
    return _b(p["word"] * p["n"])


@_ref
def ref_copies(inp: bytes, p: dict) -> bytes:
    return _b(p["c"] * p["n"])


@_ref
def ref_first_letter(inp: bytes, p: dict) -> bytes:
    return _b(p["word"][:1])


@_ref
def ref_last_letter(inp: bytes, p: dict) -> bytes:
    return _b(p["word"][-1:])


@_ref
def ref_lower_word(inp: bytes, p: dict) -> bytes:
    return _b(p["word"].lower())


# ---------------------------------------------------------------- input generators

PRINTABLE = "".join(chr(i) for i in range(32, 127))
ALPHABETS = {
    "printable": PRINTABLE,
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "digits": string.digits,
}


def _alphabet(spec: str) -> str:
    """A named alphabet, or the spec itself as the list of characters."""
    return ALPHABETS.get(spec, spec)


def _put_spaces(chars: list[str], rng: random.Random, start: int, end: int, count: int) -> None:
    """Overwrite ``count`` positions in [start, end) with spaces, no two adjacent."""
    free = list(range(start, end))
    for _ in range(count):
        if not free:
            return
        i = rng.choice(free)
        chars[i] = " "
        free = [j for j in free if abs(j - i) > 1]


def _gen_text(spec: dict, vals: dict, rng: random.Random) -> bytes:
    alpha = _alphabet(spec["alphabet"])
    n = rng.randint(*spec["lengths"])
    chars = [rng.choice(alpha) for _ in range(n)]
    spaces = spec.get("spaces", "none")
    if spaces == "some" and n >= 3 and rng.random() < 0.5:
        # inner spaces only: a leading or trailing one reads as a typo, not as text
        _put_spaces(chars, rng, 1, n - 1, 1 + (n >= 6 and rng.random() < 0.3))
    elif spaces == "required":
        # the first space is never at position 0, so the expected output is never empty
        first = rng.randint(1, n - 1)
        chars[first] = " "
        if first + 2 < n and rng.random() < 0.3:
            _put_spaces(chars, rng, first + 2, n, 1)
    return "".join(chars).encode("ascii")


def _gen_with_char(spec: dict, vals: dict, rng: random.Random) -> bytes:
    c = vals[spec["param"]]
    others = [x for x in _alphabet(spec["alphabet"]) if x != c]
    m = rng.randint(*spec["occurrences"])
    lo, hi = spec["lengths"]
    n = rng.randint(max(lo, m + spec.get("min_other", 0), 1), hi)
    chars = [rng.choice(others) for _ in range(n)]
    for i in rng.sample(range(n), m):
        chars[i] = c
    return "".join(chars).encode("ascii")


def _gen_digit_pair(spec: dict, vals: dict, rng: random.Random) -> bytes:
    top = spec.get("max_sum", 18)
    pairs = [(a, b) for a in range(10) for b in range(10) if a + b <= top]
    a, b = rng.choice(pairs)
    return f"{a}{b}".encode("ascii")


_GENS = {"text": _gen_text, "with_char": _gen_with_char, "digit_pair": _gen_digit_pair, "none": None}
_GEN_KEYS = {
    "text": {"gen", "alphabet", "lengths", "spaces"},
    "with_char": {"gen", "alphabet", "lengths", "param", "occurrences", "min_other"},
    "digit_pair": {"gen", "max_sum"},
    "none": {"gen"},
}


# ---------------------------------------------------------------- value pools

def _pool(spec: dict) -> list:
    """The values one parameter can take: ``{"range": [lo, hi]}`` (ints), ``{"chars": "abc"}``,
    ``{"words": {"case": "lower"|"upper", "min_len": m, "max_len": n}}`` (from bfcore.tasks.WORDS)
    or ``{"list": [...]}``."""
    (kind, arg), = spec.items()
    if kind == "range":
        return list(range(arg[0], arg[1] + 1))
    if kind == "chars":
        return list(arg)
    if kind == "words":
        words = [w for w in WORDS if arg.get("min_len", 1) <= len(w) <= arg.get("max_len", 99)]
        return [w.upper() for w in words] if arg.get("case", "lower") == "upper" else words
    return list(arg)


def _is_int_param(fam: Family, name: str) -> bool:
    return "range" in fam.values[name]


# ---------------------------------------------------------------- loading and validation

_FAMILY_KEYS = {"fn", "params", "values", "defaults", "ordered", "inputs", "phrasings", "note",
                "shorter"}


def norm_phrasing(text: str) -> str:
    """The form under which two phrasings count as the same (case, spacing, end punctuation)."""
    return " ".join(text.lower().strip().rstrip("?.!").split())


def _placeholders(template: str) -> list[str]:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad braces in {template!r} ({exc})") from None
    out = []
    for _, name, spec, conv in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise ValueError(f"placeholder {{{name}}} in {template!r} must be a bare name")
        out.append(name)
    return out


def _check_pool(where: str, spec) -> None:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise FamilyFormatError(f"{where}: needs exactly one of range, chars, words, list")
    (kind, arg), = spec.items()
    ok = {
        "range": lambda a: (isinstance(a, list) and len(a) == 2 and all(type(x) is int for x in a)
                            and a[0] <= a[1]),
        "chars": lambda a: isinstance(a, str) and a and all(c in PRINTABLE and c != " " for c in a),
        "words": lambda a: isinstance(a, dict) and set(a) <= {"case", "min_len", "max_len"}
        and a.get("case", "lower") in ("lower", "upper"),
        "list": lambda a: isinstance(a, list) and a and all(isinstance(x, (str, int)) for x in a),
    }
    if kind not in ok:
        raise FamilyFormatError(f"{where}: unknown kind {kind!r}; known: {', '.join(ok)}")
    if not ok[kind](arg):
        raise FamilyFormatError(f"{where}: malformed {kind!r} spec {arg!r}")
    if not _pool(spec):
        raise FamilyFormatError(f"{where}: {kind!r} spec {arg!r} has no values")


def _check_span(where: str, value, lo: int = 0) -> tuple[int, int]:
    if not (isinstance(value, list) and len(value) == 2 and all(type(x) is int for x in value)
            and lo <= value[0] <= value[1]):
        raise FamilyFormatError(f"{where}: needs [lo, hi] with {lo} <= lo <= hi, got {value!r}")
    return value[0], value[1]


def _check_inputs(where: str, spec, params: tuple[str, ...], values: dict) -> None:
    if not isinstance(spec, dict) or spec.get("gen") not in _GENS:
        raise FamilyFormatError(f"{where}: needs 'gen', one of {', '.join(_GENS)}")
    gen = spec["gen"]
    extra = set(spec) - _GEN_KEYS[gen]
    if extra:
        raise FamilyFormatError(f"{where}: unknown key(s) for gen {gen!r}: {', '.join(sorted(extra))}")
    if gen in ("text", "with_char"):
        alpha = spec.get("alphabet")
        if not isinstance(alpha, str) or not alpha:
            names = ", ".join(ALPHABETS)
            raise FamilyFormatError(f"{where}.alphabet: needs a name ({names}) or characters")
        if any(c not in PRINTABLE for c in _alphabet(alpha)):
            raise FamilyFormatError(f"{where}.alphabet: printable ASCII only (no NUL or control bytes)")
        lo, hi = _check_span(f"{where}.lengths", spec.get("lengths"), lo=1)
        if hi > INPUT_CAP:
            raise FamilyFormatError(f"{where}.lengths: inputs longer than {INPUT_CAP} bytes")
    if gen == "text":
        spaces = spec.get("spaces", "none")
        if spaces not in ("none", "some", "required"):
            raise FamilyFormatError(f"{where}.spaces: one of none, some, required, got {spaces!r}")
        if spaces != "none" and " " in _alphabet(spec["alphabet"]):
            raise FamilyFormatError(f"{where}.spaces: the alphabet already holds a space")
        if spaces == "required" and lo < 2:
            raise FamilyFormatError(f"{where}.lengths: a required space needs inputs of 2 or more")
    if gen == "with_char":
        p = spec.get("param")
        if p not in params or "chars" not in values.get(p, {}):
            raise FamilyFormatError(f"{where}.param: must name a 'chars' parameter, got {p!r}")
        if not set(_pool(values[p])) <= set(_alphabet(spec["alphabet"])):
            raise FamilyFormatError(f"{where}.alphabet: must hold every value of {p!r}")
        mlo, mhi = _check_span(f"{where}.occurrences", spec.get("occurrences"))
        other = spec.get("min_other", 0)
        if type(other) is not int or other < 0 or mhi + other > hi:
            raise FamilyFormatError(f"{where}.min_other: occurrences + min_other must fit in {hi}")
    if gen == "digit_pair":
        top = spec.get("max_sum", 18)
        if type(top) is not int or not 0 <= top <= 18:
            raise FamilyFormatError(f"{where}.max_sum: an int in 0..18, got {top!r}")


def _check_phrasings(where: str, ph, params: tuple[str, ...], defaults: dict) -> dict:
    if not isinstance(ph, dict) or set(ph) != set(SPLITS):
        raise FamilyFormatError(f"{where}: needs exactly the keys {', '.join(SPLITS)}")
    seen: dict[str, str] = {}
    out = {}
    for split in SPLITS:
        lst = ph[split]
        if not isinstance(lst, list) or not all(isinstance(t, str) and t.strip() for t in lst):
            raise FamilyFormatError(f"{where}.{split}: needs a list of non-empty strings")
        if len(lst) < MIN_PHRASINGS[split]:
            need = MIN_PHRASINGS[split]
            raise FamilyFormatError(f"{where}.{split}: {len(lst)} phrasings, needs {need}")
        for t in lst:
            try:
                names = _placeholders(t)
            except ValueError as exc:
                raise FamilyFormatError(f"{where}.{split}: {exc}") from None
            unknown = sorted(set(names) - set(params))
            if unknown:
                raise FamilyFormatError(f"{where}.{split}: {t!r} names unknown {{{unknown[0]}}}")
            missing = sorted(set(params) - set(names) - set(defaults))
            if missing:
                raise FamilyFormatError(f"{where}.{split}: {t!r} leaves out {missing[0]!r} (no default)")
            key = norm_phrasing(t)
            if key in seen:
                raise FamilyFormatError(f"{where}.{split}: {t!r} repeats a {seen[key]} phrasing")
            seen[key] = split
        out[split] = tuple(lst)
    return out


def parse_family(name: str, entry, where: str = "synth_families.json") -> Family:
    at = f"{where}: family {name!r}"
    if not isinstance(entry, dict):
        raise FamilyFormatError(f"{at}: expected an object, got {type(entry).__name__}")
    extra = set(entry) - _FAMILY_KEYS
    if extra:
        raise FamilyFormatError(f"{at}: unknown field(s) {', '.join(sorted(extra))}")
    for key in ("fn", "params", "inputs", "phrasings"):
        if key not in entry:
            raise FamilyFormatError(f"{at}: missing field {key!r}")
    fn = entry["fn"]
    if fn not in _REFS:
        raise FamilyFormatError(f"{at}: fn: no reference function {fn!r} in bfcore.synth.families")
    params = entry["params"]
    if not (isinstance(params, list) and all(isinstance(p, str) and p.isidentifier() for p in params)
            and len(set(params)) == len(params)):
        raise FamilyFormatError(f"{at}: params: needs a list of distinct names, got {params!r}")
    params = tuple(params)
    values = entry.get("values", {})
    if not isinstance(values, dict) or set(values) != set(params):
        names = ", ".join(params) or "none"
        raise FamilyFormatError(f"{at}: values: needs one spec per param ({names})")
    for p, spec in values.items():
        _check_pool(f"{at}: values.{p}", spec)
    defaults = entry.get("defaults", {})
    if not isinstance(defaults, dict):
        raise FamilyFormatError(f"{at}: defaults: expected an object")
    for p, v in defaults.items():
        if p not in params or v not in _pool(values[p]):
            raise FamilyFormatError(f"{at}: defaults.{p}: not a param, or {v!r} not one of its values")
    ordered = entry.get("ordered", [])
    if not (isinstance(ordered, list) and all(isinstance(o, list) and len(o) == 2
                                              and all(x in params for x in o) for o in ordered)):
        raise FamilyFormatError(f"{at}: ordered: needs a list of [param, param] pairs")
    ordered = tuple(tuple(o) for o in ordered)
    _check_inputs(f"{at}: inputs", entry["inputs"], params, values)
    phrasings = _check_phrasings(f"{at}: phrasings", entry["phrasings"], params, defaults)
    reads = entry["inputs"]["gen"] != "none"
    shorter = entry.get("shorter")
    if shorter is not None and (isinstance(shorter, bool) or not isinstance(shorter, (int, float))
                                or not 0 < shorter <= 1 or reads):
        raise FamilyFormatError(f"{at}: shorter: needs a number in (0, 1], for a family that "
                                f"reads no input, got {shorter!r}")
    fam = Family(name=name, fn=fn, params=params, reads_input=reads,
                 phrasings=phrasings, inputs=dict(entry["inputs"]), values=dict(values),
                 defaults=dict(defaults), ordered=ordered, shorter=shorter)
    if len(_combos(fam)) == 0:
        raise FamilyFormatError(f"{at}: ordered: no combination of values satisfies it")
    return fam


def parse_families(data, where: str = "synth_families.json") -> dict[str, Family]:
    if not isinstance(data, dict) or not isinstance(data.get("families"), dict) or not data["families"]:
        raise FamilyFormatError(f"{where}: needs a non-empty 'families' object")
    out = {}
    for name, entry in data["families"].items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise FamilyFormatError(f"{where}: family {name!r}: the id must match [a-z][a-z0-9_]*")
        out[name] = parse_family(name, entry, where)
    return out


def load_families(path=None) -> dict[str, Family]:
    path = Path(path) if path else families_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FamilyFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise FamilyFormatError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_families(data, str(path))


# ---------------------------------------------------------------- combinations and splits

def _combos(fam: Family) -> list[dict]:
    names = fam.params
    out = []
    for vals in itertools.product(*(_pool(fam.values[p]) for p in names)):
        v = dict(zip(names, vals))
        if all(v[a] < v[b] for a, b in fam.ordered):
            out.append(v)
    return out


def _key(v: dict) -> str:
    return json.dumps(v, sort_keys=True)


@functools.lru_cache(maxsize=None)
def _value_shares(name: str) -> dict[str, list[dict]]:
    fam = FAMILIES[name]
    combos = _combos(fam)
    if len(combos) < len(SPLITS):
        return {s: combos for s in SPLITS}  # nothing to hold out (no params)
    ranked = sorted(combos, key=lambda v: (zlib.crc32(f"{name}:{_key(v)}".encode()), _key(v)))
    shares, i = {}, 0
    for split, frac in HELD_OUT:
        k = max(1, math.floor(len(ranked) * frac + 0.5))
        shares[split], i = ranked[i:i + k], i + k
    shares["train"] = ranked[i:]
    return shares


def value_share(family: str, split: str) -> list[dict]:
    """The parameter combinations ``split`` draws from (disjoint across splits)."""
    return [dict(v) for v in _value_shares(family)[split]]


# ---------------------------------------------------------------- prompts

def _shown(fam: Family, template: str, vals: dict, rng: random.Random) -> dict:
    """Values as the prompt shows them: small numbers sometimes as words, where the number
    stands as a word of its own (not in "x{n}")."""
    out = dict(vals)
    for p in fam.params:
        if p in out and _is_int_param(fam, p) and 0 <= out[p] < len(SMALL_NUMBER_WORDS) \
                and re.search(r"(^|\s)\{%s\}($|[\s,?'])" % p, template) and rng.random() < SPELL_RATE:
            out[p] = SMALL_NUMBER_WORDS[out[p]]
    return out


_PARAMS: dict[tuple[str, str], dict] = {}  # (family, problem) -> params, for task_params


def _remember(family: str, problem: str, vals: dict) -> None:
    old = _PARAMS.setdefault((family, problem), dict(vals))
    if old != vals:
        raise ValueError(f"{family}: {problem!r} stands for both {old} and {vals} (ambiguous phrasing)")


@functools.lru_cache(maxsize=None)
def _compiled(name: str, template: str) -> re.Pattern:
    fam = FAMILIES[name]
    number = "|".join([r"\d+"] + list(SMALL_NUMBER_WORDS))
    # a train problem may be dressed (bfcore.tasks.dress): a prefix, a suffix, a capital
    pre = "|".join(re.escape(p) for p in DRESS_PREFIXES)
    suf = "|".join(re.escape(x) for x in DRESS_SUFFIXES)
    out, seen = [f"(?:{pre})?"], set()
    for lit, param, _, _ in string.Formatter().parse(template):
        out.append(re.escape(lit))
        if param is None:
            continue
        if param in seen:
            out.append(f"(?P={param})")
            continue
        seen.add(param)
        spec = fam.values[param]
        pat = number if "range" in spec else ("." if "chars" in spec else r"[A-Za-z]+")
        out.append(f"(?P<{param}>{pat})")
    return re.compile("".join(out) + f"(?:{suf})?")


def parse_problem(family: str, problem: str) -> dict | None:
    """The params a problem text states, read back through the family's phrasings (for tasks
    that did not come from this process's :func:`make_tasks`, e.g. a reloaded task file)."""
    fam = FAMILIES[family]
    for split in SPLITS:
        for t in fam.phrasings[split]:
            m = _compiled(family, t).fullmatch(problem) \
                or _compiled(family, t).fullmatch(problem[:1].lower() + problem[1:])
            if not m:
                continue
            vals = dict(fam.defaults)
            for p, s in m.groupdict().items():
                if _is_int_param(fam, p):
                    vals[p] = SMALL_NUMBER_WORDS.index(s) if s in SMALL_NUMBER_WORDS else int(s)
                else:
                    vals[p] = s
            pools = {p: _pool(fam.values[p]) for p in fam.params}
            if all(vals[p] in pools[p] for p in fam.params) \
                    and all(vals[a] < vals[b] for a, b in fam.ordered):
                return {p: vals[p] for p in fam.params}
    return None


def task_params(task: Task) -> dict:
    """The parameter values of a task (those its problem states, defaults filled in)."""
    got = _PARAMS.get((task.family, task.problem))
    if got is None:
        if task.family not in FAMILIES:
            raise KeyError(f"{task.family!r} is not a synthesis family")
        got = parse_problem(task.family, task.problem)
        if got is None:
            raise KeyError(f"{task.family}: {task.problem!r} matches none of the family's phrasings")
    return dict(got)


# ---------------------------------------------------------------- tasks

def reference(family: str, inp: bytes, params: dict) -> bytes:
    """The output a correct program prints for ``inp`` (params not given take the defaults)."""
    fam = FAMILIES[family]
    p = {**fam.defaults, **params}
    missing = [x for x in fam.params if x not in p]
    if missing:
        raise KeyError(f"{family}: missing param {missing[0]!r}")
    return _REFS[fam.fn](inp, p)


def _tests(fam: Family, vals: dict, rng: random.Random, n: int, avoid=()) -> tuple:
    if not fam.reads_input:
        out = reference(fam.name, b"", vals)
        if len(out) > CONST_CAP:
            raise ValueError(f"{fam.name}: {vals} gives {len(out)} bytes, over {CONST_CAP}")
        return ((b"", out),)
    gen = _GENS[fam.inputs["gen"]]
    seen, inputs = set(avoid), []
    for _ in range(50 * n):
        if len(inputs) == n:
            break
        x = gen(fam.inputs, vals, rng)
        if x not in seen:
            seen.add(x)
            inputs.append(x)
    while len(inputs) < n:  # a small input space: repeat rather than come up short
        inputs.append(gen(fam.inputs, vals, rng))
    tests = tuple((x, reference(fam.name, x, vals)) for x in inputs)
    for x, out in tests:
        if len(out) > INPUT_CAP:
            raise ValueError(f"{fam.name}: input {x!r} gives {len(out)} bytes, over {INPUT_CAP}")
    return tests


def make_tasks(split: str, per_family: int, seed: int = 0, families=None,
               n_tests: int = 6) -> list[Task]:
    """``per_family`` tasks of each family (all by default), phrased and valued from ``split``'s
    share, each with ``n_tests`` random inputs (one empty-input test for constant families).
    Problems are distinct within a family while the split's phrasings and values allow."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    names = list(families or FAMILIES)
    unknown = [f for f in names if f not in FAMILIES]
    if unknown:
        raise KeyError(f"unknown family {unknown[0]!r}; known: {', '.join(FAMILIES)}")
    tasks = []
    for name in names:
        fam = FAMILIES[name]
        rng = random.Random(f"synth:{name}:{split}:{seed}")
        share = _value_shares(name)[split]
        seen: set[str] = set()
        made = misses = 0
        while made < per_family:
            template = rng.choice(fam.phrasings[split])
            shown_names = set(_placeholders(template))
            vals = dict(rng.choice(share))
            vals.update({p: v for p, v in fam.defaults.items() if p not in shown_names})
            if not all(vals[a] < vals[b] for a, b in fam.ordered):
                continue
            # the train split dresses its phrasings ("could you ...", "... please", a capital),
            # never into a held-out one, so a new phrasing's wrapping is not new
            shown = dress(template, name, rng, _held_out(name)) if split == "train" else template
            problem = shown.format(**_shown(fam, template, vals, rng))
            # a split with few phrasings and values runs out of new problems: then repeat some
            if problem in seen and misses < 200:
                misses += 1
                continue
            misses = 0 if problem not in seen else misses
            seen.add(problem)
            _remember(name, problem, vals)
            tasks.append(Task(problem, _tests(fam, vals, rng, n_tests), name))
            made += 1
    random.Random(f"synth:shuffle:{split}:{seed}").shuffle(tasks)
    return tasks


@functools.lru_cache(maxsize=None)
def _held_out(name: str) -> frozenset[str]:
    return frozenset(norm_template(t) for sp in ("val", "test") for t in FAMILIES[name].phrasings[sp])


def text_cap(family: str, tests) -> int | None:
    """The most characters a program for these tests may have: the family's ``shorter`` share of
    the greedy print compiler's program for the (constant) output; None for a family without a
    cap, or a task of the person's own."""
    fam = FAMILIES.get(family)
    if fam is None or fam.shorter is None or not tests:
        return None
    from bfcore.agent.compile import compile_bytes

    return int(fam.shorter * len(compile_bytes(tests[0][1])[0]))


def fresh_tests(task: Task, seed: int, n: int = 6) -> tuple[tuple[bytes, bytes], ...]:
    """``n`` new tests for the same task (same params), avoiding its own inputs where possible, so
    a program is scored on inputs it was never trained on."""
    fam = FAMILIES[task.family]
    rng = random.Random(f"synth:fresh:{task.family}:{task.problem}:{seed}")
    return _tests(fam, task_params(task), rng, n, avoid={inp for inp, _ in task.tests})


FAMILIES: dict[str, Family] = load_families()
INPUT_FAMILIES: tuple[str, ...] = tuple(f for f, fam in FAMILIES.items() if fam.reads_input)
CONST_FAMILIES: tuple[str, ...] = tuple(f for f, fam in FAMILIES.items() if not fam.reads_input)
