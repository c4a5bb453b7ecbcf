"""What the decoder can point at: the prompt's raw characters plus a few derived segments.

Spelling words from BPE states is unreliable, so the decoder also sees the prompt character by
character and can *point* at a character under a transform (copy, uppercase, next letter, previous
letter) instead of generating a byte. Derived segments append facts a small net cannot compute
reliably from digits: the decimal text of a+b, a-b, b-a, a*b, max, min for the first two numbers in the
prompt (digits or the words zero..twenty), and each word's length. The policy still has to learn *which* segment a phrasing asks for,
where it starts and where it ends; nothing here knows the task.

Everything is numpy, built once per prompt and cached by the trainer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bfcore.tasks import SMALL_NUMBER_WORDS as NUMBER_WORDS  # the words the train split spells numbers with

TRANSFORMS = ("copy", "upper", "next", "prev")
END_K = len(TRANSFORMS)  # the pointer slot that ends the program
K = END_K + 1
SEGMENTS = ("prompt", "sep", "sum", "diff", "rdiff", "prod", "max", "min", "len")
SEP_BYTE = 256  # embedding index for separators (not a real byte)
GEN_BYTES = np.array([10] + list(range(32, 127)), dtype=np.int32)  # generator vocabulary
MAX_PROMPT = 120
MAX_WORDS = 8
NO_NUM = -1000


@dataclass
class Memory:
    byte: np.ndarray      # [M] int32, 0..256
    seg: np.ndarray       # [M] int32 index into SEGMENTS
    wfe: np.ndarray       # [M] word index from the end (0..7), 8 = none
    wfs: np.ndarray       # [M] word index from the start (0..7), 8 = none
    quoted: np.ndarray    # [M] 0/1
    digit: np.ndarray     # [M] digit value 0..9, 10 = not a digit
    pos: np.ndarray       # [M] position inside its letter/digit run or segment (0..15)
    rpos: np.ndarray      # [M] position from the end of that run or segment (0..15), for reversing
    numval: np.ndarray    # [M] value of the prompt number this digit belongs to, NO_NUM otherwise
    table: np.ndarray     # [M, 4] byte each transform prints
    valid: np.ndarray     # [M, K] bool: which (position, transform) actions exist
    src: np.ndarray       # [M] prompt character the row stands for (a word's length: its last
                          # letter), -1 for none; the featurizer maps it to that token's LLM state

    def __len__(self) -> int:
        return len(self.byte)


def _word_index(prompt: str):
    """Whitespace-token index of every character (-1 for spaces) and the token count."""
    idx, n, inside = [], 0, False
    for ch in prompt:
        if ch.isspace():
            idx.append(-1)
            if inside:
                n += 1
            inside = False
        else:
            idx.append(n)
            inside = True
    return idx, n + (1 if inside else 0)


def _quoted(prompt: str) -> list[int]:
    out, inside = [], False
    for ch in prompt:
        if ch in "\"'`":
            inside = not inside
            out.append(0)
        else:
            out.append(int(inside))
    return out


def _transform_table(b: int) -> tuple[list[int], list[bool]]:
    c = chr(b) if b < 256 else ""
    lower, upper_, digit = c.islower() and c.isascii(), c.isupper() and c.isascii(), c.isdigit() and c.isascii()
    table = [b, ord(c.upper()) if lower else b, b + 1, b - 1]
    valid = [
        b < 256,
        lower,
        (lower and c != "z") or (upper_ and c != "Z") or (digit and c != "9"),
        (lower and c != "a") or (upper_ and c != "A") or (digit and c != "0"),
    ]
    table = [t if 0 <= t < 256 else 0 for t in table]
    return table, valid


def _run_positions(prompt: str) -> tuple[list[int], list[int]]:
    """Offsets of each character from the start and the end of its letter/digit run (quotes and
    punctuation are runs of their own), capped at 15."""
    pos, rpos = [0] * len(prompt), [0] * len(prompt)
    for m in re.finditer(r"[A-Za-z0-9]+|.", prompt):
        n = m.end() - m.start()
        for j in range(n):
            pos[m.start() + j], rpos[m.start() + j] = min(j, 15), min(n - 1 - j, 15)
    return pos, rpos


_NUMBER_RE = re.compile(r"\d+|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)


def numbers(prompt: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of every number in the prompt: digit runs and the words zero..twenty
    ("write z five times" counts like "write z 5 times"). Digit runs of six or more are NO_NUM."""
    out = []
    for m in _NUMBER_RE.finditer(prompt):
        g = m.group()
        if g.isdigit():
            out.append((m.start(), m.end(), int(g) if len(g) < 6 else NO_NUM))
        else:
            out.append((m.start(), m.end(), NUMBER_WORDS.index(g.lower())))
    return out


def derived_segments(prompt: str) -> list[tuple[str, str, int, int, int]]:
    """(segment name, text, wfe, wfs, src) for the facts appended after the prompt; src is the
    prompt character a fact is about (a word's last letter), -1 for none."""
    out = []
    found = numbers(prompt)
    digits = [v for s, _, v in found if prompt[s].isdigit() and v != NO_NUM]
    # digits win when there are two: "which one is higher: 25 or 85" is about 25 and 85, not 1
    nums = digits[:2] if len(digits) >= 2 else [v for _, _, v in found if v != NO_NUM][:2]
    if len(nums) == 2:
        a, b = nums
        for name, v in (("sum", a + b), ("diff", a - b), ("rdiff", b - a), ("prod", a * b),
                        ("max", max(a, b)), ("min", min(a, b))):
            out.append((name, str(v), 8, 8, -1))
    widx, nw = _word_index(prompt)
    for m in list(re.finditer(r"[A-Za-z]+", prompt))[-MAX_WORDS:]:
        w = widx[m.start()]
        out.append(("len", str(len(m.group())), min(nw - 1 - w, 7), min(w, 7), m.end() - 1))
    return out


def build_memory(prompt: str) -> Memory:
    prompt = prompt[:MAX_PROMPT]
    data = prompt.encode("latin-1", "replace")
    widx, nw = _word_index(prompt)
    quoted = _quoted(prompt)
    nums = {}
    for start, end, value in numbers(prompt):
        for i in range(start, end):
            nums[i] = value
    pos, rpos = _run_positions(prompt)
    rows = []  # (byte, seg, wfe, wfs, quoted, pos, numval, rpos, src)
    for i, b in enumerate(data):
        w = widx[i]
        wfe = 8 if w < 0 else min(nw - 1 - w, 7)
        wfs = 8 if w < 0 else min(w, 7)
        rows.append((b, 0, wfe, wfs, quoted[i], pos[i], nums.get(i, NO_NUM), rpos[i], i))
    rows.append((SEP_BYTE, 1, 8, 8, 0, 0, NO_NUM, 0, -1))
    for name, text, wfe, wfs, src in derived_segments(prompt):
        seg = SEGMENTS.index(name)
        for j, ch in enumerate(text):
            rows.append((ord(ch), seg, wfe, wfs, 0, min(j, 15), NO_NUM, min(len(text) - 1 - j, 15), src))
        rows.append((SEP_BYTE, 1, 8, 8, 0, 0, NO_NUM, 0, -1))
    arr = np.array(rows, dtype=np.int32)
    byte = arr[:, 0]
    table = np.zeros((len(rows), 4), np.int32)
    valid = np.zeros((len(rows), K), bool)
    for i, b in enumerate(byte):
        t, v = _transform_table(int(b))
        table[i], valid[i, :4] = t, v
    valid[:, END_K] = True
    digit = np.where((byte >= 48) & (byte <= 57), byte - 48, 10).astype(np.int32)
    return Memory(byte, arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], digit, arr[:, 5], arr[:, 7], arr[:, 6], table,
                  valid, arr[:, 8])


FIELDS = ("byte", "seg", "wfe", "wfs", "quoted", "digit", "pos", "rpos", "numval", "src")


def pad_batch(mems: list[Memory]) -> dict[str, np.ndarray]:
    """Stack memories into [B, M] arrays; padding positions have every action invalid."""
    B, M = len(mems), max(len(m) for m in mems)
    out = {f: np.zeros((B, M), np.int32) for f in FIELDS}
    out["numval"][:] = NO_NUM
    out["src"][:] = -1
    out["byte"][:] = SEP_BYTE
    out["table"] = np.zeros((B, M, 4), np.int32)
    out["valid"] = np.zeros((B, M, K), bool)
    out["mask"] = np.zeros((B, M), bool)
    for i, m in enumerate(mems):
        n = len(m)
        for f in FIELDS:
            out[f][i, :n] = getattr(m, f)
        out["table"][i, :n] = m.table
        out["valid"][i, :n] = m.valid
        out["mask"][i, :n] = True
    return out
