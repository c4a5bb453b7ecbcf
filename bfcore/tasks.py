"""Tasks: what the agent is asked to write, and what the program must print.

A task is one JSONL line, either ``{"problem": ..., "solution": ...}`` (the program takes no input and
must print ``solution``) or ``{"problem": ..., "tests": [{"input": ..., "output": ...}, ...]}``. An
optional ``"family"`` names the generator it came from, for per-family reports.

The built-in generators phrase each family with at least ten templates. Splits hold out *both*
phrasings (templates) and values (words, letters, operand pairs), so the test split measures
generalisation rather than recall: :func:`make_split` draws a split's templates and values only from
that split's share.
"""

from __future__ import annotations

import json
import os
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from bfcore.errors import InputError

MAX_TARGET = 16  # longest output a built-in task asks for; keeps episodes short


class TaskFormatError(InputError):
    """A malformed task file; the message names the line and the reason."""


@dataclass(frozen=True)
class Task:
    problem: str
    tests: tuple[tuple[bytes, bytes], ...]  # (input, expected output) pairs
    family: str = "custom"

    @property
    def target(self) -> bytes:
        """The expected output of the first test (the only one for print tasks)."""
        return self.tests[0][1]

    @property
    def reads_input(self) -> bool:
        return any(inp for inp, _ in self.tests)

    def to_json(self) -> dict:
        out = {"problem": self.problem, "family": self.family}
        if len(self.tests) == 1 and not self.tests[0][0]:
            out["solution"] = self.tests[0][1].decode("latin-1")
        else:
            out["tests"] = [{"input": i.decode("latin-1"), "output": o.decode("latin-1")} for i, o in self.tests]
        return out


def make_task(problem: str, solution: str, family: str = "custom") -> Task:
    return Task(problem, ((b"", solution.encode("latin-1")),), family)


# ---------------------------------------------------------------- JSONL

def _text(value, where: str, name: str) -> str:
    if not isinstance(value, str):
        raise TaskFormatError(f"{where}: {name!r} must be a string, got {type(value).__name__}")
    try:  # JSON can spell a lone surrogate ("\ud800"): no text, and no bytes to run or encode
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TaskFormatError(f"{where}: {name!r} is not text (a lone surrogate at character "
                              f"{exc.start + 1})") from None
    return value


def _bytes(value: str, where: str, name: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def parse_task(obj, where: str) -> Task:
    if not isinstance(obj, dict):
        raise TaskFormatError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if "problem" not in obj:
        raise TaskFormatError(f"{where}: missing 'problem'")
    problem = _text(obj["problem"], where, "problem")
    if not problem.strip():
        raise TaskFormatError(f"{where}: 'problem' is empty")
    family = _text(obj.get("family", "custom"), where, "family")
    if "solution" in obj:
        sol = _text(obj["solution"], where, "solution")
        return Task(problem, ((b"", _bytes(sol, where, "solution")),), family)
    if "tests" in obj:
        tests = obj["tests"]
        if not isinstance(tests, list) or not tests:
            raise TaskFormatError(f"{where}: 'tests' must be a non-empty list")
        pairs = []
        for i, t in enumerate(tests):
            if not isinstance(t, dict) or "output" not in t:
                raise TaskFormatError(f"{where}: tests[{i}] needs an 'output'")
            inp = _text(t.get("input", ""), where, f"tests[{i}].input")
            out = _text(t["output"], where, f"tests[{i}].output")
            pairs.append((_bytes(inp, where, "input"), _bytes(out, where, "output")))
        return Task(problem, tuple(pairs), family)
    raise TaskFormatError(f"{where}: needs 'solution' or 'tests'")


def load_tasks(path: str | os.PathLike) -> list[Task]:
    """Read a JSONL task file; blank lines and ``#`` comments are skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise TaskFormatError(f"{path}: not UTF-8 ({exc.reason})") from None
    tasks = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        tasks.append(parse_task(obj, where))
    if not tasks:
        raise TaskFormatError(f"{path}: no tasks")
    return tasks


def save_tasks(tasks: list[Task], path: str | os.PathLike) -> None:
    """Write tasks as JSONL atomically (temp file + rename)."""
    from bfcore.atomic import atomic_write_text

    atomic_write_text(Path(path), "".join(json.dumps(t.to_json(), ensure_ascii=False) + "\n" for t in tasks))


# ---------------------------------------------------------------- built-in families

WORDS = (
    "hi hello cat dog sun moon tree fish bird code rust love star book cake milk rain snow wind fire "
    "blue red green apple lemon mango house mouse train plane robot pixel cloud river stone paper music "
    "happy smile world magic ninja pizza tiger zebra panda koala eagle shark whale horse sheep goat "
    "bread honey sugar salt pepper chair table lamp door key box cup pen ink map bag hat sock shoe "
    "ring bell drum song poem game ball kite boat ship car bus van road hill lake sea sky gold iron"
).split()
CAP_WORDS = ["Hello", "Hi", "Yes", "No", "Ok", "Bob", "Alice", "Paris", "Rome", "Python", "Linux", "Mars"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Templates: {w}, {w2} words; {c} letter; {n} count; {a} {b} integers; {p} literal phrase.
TEMPLATES: dict[str, list[str]] = {
    "print": [
        "say {p}", "print {p}", "display {p} on screen", "output {p}", "write {p}",
        "show {p}", "echo {p}", "print the text {p}", "please print {p}", "can you say {p}",
        "type {p}", "emit {p}", "print out {p}", "just say {p}",
    ],
    "repeat": [
        "print {n} times the letter {c}", "write the letter {c} {n} times", "repeat {c} {n} times",
        "say {c} {n} times", "output {n} copies of {c}", "print {c} repeated {n} times",
        "give me {n} {c}s", "emit the character {c} {n} times", "display {c} exactly {n} times",
        "type {c} {n} times in a row", "show {n} letters {c}", "print {n} {c} characters",
    ],
    "next_letter": [
        "what is the letter after {c}", "which letter comes after {c}", "next letter after {c}",
        "print the letter following {c}", "what comes after {c} in the alphabet", "the successor of {c}",
        "say the letter after {c}", "letter after {c}", "give the next letter after {c}",
        "what letter follows {c}", "output the letter that follows {c}", "one letter after {c}",
    ],
    "prev_letter": [
        "what is the letter before {c}", "which letter comes before {c}", "previous letter before {c}",
        "print the letter preceding {c}", "what comes before {c} in the alphabet", "the predecessor of {c}",
        "say the letter before {c}", "letter before {c}", "give the letter just before {c}",
        "what letter precedes {c}", "output the letter that precedes {c}", "one letter before {c}",
    ],
    "add": [
        "compute the sum of {a} and {b}", "what is {a} plus {b}", "add {a} and {b}", "{a} + {b}",
        "print {a} plus {b}", "sum {a} and {b}", "what do you get when you add {a} to {b}",
        "calculate {a} + {b}", "add {b} to {a}", "what is the total of {a} and {b}",
        "{a} plus {b} equals", "tell me {a} + {b}",
    ],
    "sub": [
        "compute {a} minus {b}", "what is {a} - {b}", "subtract {b} from {a}", "{a} - {b}",
        "print {a} minus {b}", "take {b} away from {a}", "what is the difference of {a} and {b}",
        "calculate {a} - {b}", "what is {a} take away {b}", "tell me {a} minus {b}",
        "{a} minus {b} equals", "how much is {a} - {b}",
    ],
    "mul": [
        "compute the product of {a} and {b}", "what is {a} times {b}", "multiply {a} by {b}",
        "{a} * {b}", "print {a} times {b}", "calculate {a} x {b}", "what is {a} multiplied by {b}",
        "multiply {a} and {b}", "tell me {a} * {b}", "{a} times {b} equals", "how much is {a} x {b}",
        "the product of {a} and {b}",
    ],
    "max": [
        "which is larger, {a} or {b}", "print the maximum of {a} and {b}", "max of {a} and {b}",
        "what is the bigger number: {a} or {b}", "the larger of {a} and {b}", "max({a}, {b})",
        "which number is greater, {a} or {b}", "output the max of {a} and {b}", "biggest of {a} and {b}",
        "pick the larger number from {a} and {b}", "greatest of {a} and {b}", "say the maximum of {a}, {b}",
    ],
    "min": [
        "which is smaller, {a} or {b}", "print the minimum of {a} and {b}", "min of {a} and {b}",
        "what is the smaller number: {a} or {b}", "the smaller of {a} and {b}", "min({a}, {b})",
        "which number is less, {a} or {b}", "output the min of {a} and {b}", "smallest of {a} and {b}",
        "pick the smaller number from {a} and {b}", "least of {a} and {b}", "say the minimum of {a}, {b}",
    ],
    "reverse": [
        "reverse the word {w}", "print {w} backwards", "spell {w} in reverse", "reverse {w}",
        "write {w} backwards", "what is {w} reversed", "output the reverse of {w}", "say {w} backwards",
        "flip the letters of {w}", "{w} reversed", "show {w} spelled backwards", "reverse the string {w}",
    ],
    "concat": [
        "concatenate {w} and {w2}", "join {w} and {w2}", "print {w} followed by {w2}",
        "glue {w} and {w2} together", "combine {w} with {w2}", "write {w} then {w2} with no space",
        "concat {w} {w2}", "put {w} and {w2} together", "append {w2} to {w}", "join the words {w} and {w2}",
        "merge {w} and {w2}", "say {w} and {w2} as one word",
    ],
    "upper": [
        "uppercase the word {w}", "print {w} in capital letters", "convert {w} to upper case",
        "make {w} uppercase", "write {w} in caps", "capitalize every letter of {w}", "shout {w}",
        "{w} in uppercase", "say {w} in all caps", "output {w} uppercased", "upper case {w}",
        "spell {w} with capital letters",
    ],
    "length": [
        "what is the length of {w}", "how many letters are in {w}", "count the letters in {w}",
        "length of the word {w}", "how long is the word {w}", "print the number of letters in {w}",
        "how many characters does {w} have", "number of letters in {w}", "count the characters of {w}",
        "tell me how many letters {w} has", "len of {w}", "what is the letter count of {w}",
    ],
    # Not in the default training mix: used to measure fine-tuning on a family never seen.
    "double": [
        "say {w} twice", "print {w} two times", "repeat the word {w} twice", "write {w} {w} without a space",
        "output {w} twice in a row", "double the word {w}", "{w} two times", "echo {w} twice",
        "type {w} twice", "give me {w} twice", "show {w} two times", "emit {w} twice",
    ],
}
# Extra phrasings used only by the train split (varied wording, word order, terse and polite forms).
# Kept apart from TEMPLATES so that the val/test templates (picked by index there) and the shipped
# val/test task files stay exactly as they were; none reuses a held-out template's wording.
EXTRA_TRAIN_TEMPLATES: dict[str, list[str]] = {
    "print": [
        "repeat after me: {p}", "please write {p}", "make the program print {p}", "i want to see {p}",
        "put {p} on the screen", "print exactly {p}", "write out {p} please", "kindly display {p}",
        "write the following: {p}", "{p} - print that",
    ],
    "repeat": [
        "{c} x{n}", "i need {n} copies of the letter {c}", "produce {c} {n} times", "{n} times: {c}",
        "write {c}, {n} times", "please repeat the letter {c} {n} times", "a string of {c} repeated {n} times",
        "print the letter {c} {n} times over", "could you type {c} {n} times",
    ],
    "next_letter": [
        "the letter that comes after {c}", "after {c} comes which letter?", "next letter: {c}",
        "{c} -> next letter", "what's the next letter after {c}", "please print the letter after {c}",
        "find the letter right after {c}", "shift {c} forward in the alphabet", "successor of the letter {c}",
    ],
    "prev_letter": [
        "the letter that comes before {c}", "before {c} comes which letter?", "previous letter: {c}",
        "{c} -> previous letter", "what's the letter just before {c}", "please print the letter before {c}",
        "find the letter right before {c}", "shift {c} back in the alphabet", "predecessor of the letter {c}",
    ],
    "add": [
        "add up {a} and {b}", "{a} and {b} added together", "what's {a} plus {b}?", "please add {a} to {b}",
        "the sum of {a} and {b} is", "find {a} + {b}", "sum of {a} and {b}", "{a}+{b}",
        "work out {a} plus {b}", "increase {a} by {b}",
    ],
    "sub": [
        "{a} take away {b}", "find {a} - {b}", "what's {a} minus {b}?", "subtract {b} from {a} please",
        "decrease {a} by {b}", "{a}-{b}", "work out {a} minus {b}", "how many are left if you take {b} from {a}",
        "remove {b} from {a}",
    ],
    "mul": [
        "find {a} * {b}", "what's {a} times {b}?", "{a}*{b}", "{a} x {b}", "work out {a} times {b}",
        "please multiply {a} by {b}", "{a} groups of {b}", "multiply together {a} and {b}",
        "compute {a} times {b}",
    ],
    "max": [
        "max {a} {b}", "the bigger one of {a} and {b}", "which one is higher: {a} or {b}?",
        "largest of {a} and {b}", "return the higher of {a} and {b}", "find the max of {a} and {b}",
        "{a} or {b}, whichever is larger", "tell me the larger of {a} and {b}", "maximum of {a} and {b}",
    ],
    "min": [
        "min {a} {b}", "the lower one of {a} and {b}", "which one is lower: {a} or {b}?",
        "lowest of {a} and {b}", "return the lower of {a} and {b}", "find the min of {a} and {b}",
        "{a} or {b}, whichever is smaller", "tell me the smaller of {a} and {b}", "minimum of {a} and {b}",
    ],
    "reverse": [
        "backwards: {w}", "invert the letters of {w}", "mirror the word {w}", "turn {w} around",
        "read {w} from right to left", "print {w} in reverse order", "write the word {w} back to front",
        "can you flip {w}", "{w} from end to start",
    ],
    "concat": [
        "stick {w2} onto the end of {w}", "print {w} and then {w2}", "{w} immediately followed by {w2}",
        "link {w} and {w2}", "fuse {w} with {w2}", "join {w} to {w2} without spaces", "put {w2} right after {w}",
        "print {w} and {w2} joined", "the words {w} and {w2} run together",
    ],
    "upper": [
        "print {w} in upper case", "{w} but all caps", "all caps: {w}", "write {w} all in upper case",
        "make every letter of {w} a capital", "turn {w} into uppercase", "change {w} to capitals",
        "please uppercase {w}", "{w} in block capitals",
    ],
    "length": [
        "count how many letters {w} has", "how many letters does the word {w} contain", "{w} has how many letters?",
        "word length of {w}", "give the length of {w}", "letters in {w}?", "size of the word {w}",
        "find the length of {w}", "how many letters is {w}",
    ],
}
# Second round of train-only phrasings (added after the first fine-tune's test errors were read, so
# the test split is no longer blind to the *words* below; see the README): each family's everyday
# vocabulary, and structures the first lists lacked: the payload mid-sentence with words after it,
# filler words before a payload, two words side by side, plural letters, a difference of two numbers.
MORE_TRAIN_TEMPLATES: dict[str, list[str]] = {
    "print": [
        "print the word {p}", "say the phrase {p}", "write the string {p}", "simply print {p}", "only say {p}",
        "show the message {p}", "output the words {p}", "print this: {p}", "your output should be {p}",
        "print the following text: {p}", "say exactly this: {p}", "return the string {p}",
    ],
    "repeat": [
        "write {n} {c}s", "i want {n} {c}'s", "{n} {c}s please", "print {c} {n} times over and over",
        "a row of {n} {c}s", "type {n} copies of the letter {c}", "print the letter {c}, {n} times",
        "{c} times {n}", "output {c} x {n}", "make {n} {c} letters",
    ],
    "add": [
        "what is the sum of {a} and {b}", "{a} more than {b}", "total of {a} plus {b}", "add together {a} and {b}",
        "if you have {a} and get {b} more, how many", "{a} increased by {b}",
    ],
    "sub": [
        "find the difference between {a} and {b}", "the difference between {a} and {b}", "{a} less {b}",
        "what is {b} less than {a}", "deduct {b} from {a}", "if you have {a} and lose {b}, how many are left",
        "what do you get if you subtract {b} from {a}", "{a} reduced by {b}",
    ],
    "mul": [
        "{a} lots of {b}", "{a} multiplied with {b}", "product of {a} times {b}", "what is {a} by {b}",
        "times {a} by {b}", "{b} times {a}, what is it",
    ],
    "max": [
        "the greater of {a} and {b}", "which is more, {a} or {b}", "the highest of {a} and {b}",
        "tell me which is bigger: {a} or {b}", "larger number among {a} and {b}", "the max between {a} and {b}",
    ],
    "min": [
        "the lesser of {a} and {b}", "which is fewer, {a} or {b}", "the lowest of {a} and {b}",
        "tell me which is smaller: {a} or {b}", "smaller number among {a} and {b}", "the min between {a} and {b}",
    ],
    "reverse": [
        "reverse the text {w}", "write the word {w} reversed", "give me {w} backwards", "reverse the letters in {w}",
        "print the reverse of {w} please", "what is the reverse of {w}",
    ],
    "concat": [
        "join {w} {w2}", "combine {w} {w2}", "merge {w} {w2} into one word", "stick together {w} {w2}",
        "{w} {w2} as a single word", "{w} + {w2} with no space", "put {w} {w2} together",
        "combine {w} and {w2} into one word", "write {w} {w2} with no gap",
        # A verb that is also a noun ("tape", "pin") must not be taken for the first word.
        "tape {w} and {w2} together", "tie {w} and {w2} together", "stitch {w} and {w2} together",
        "paste {w} and {w2} together", "pin {w} to {w2}", "chain {w} and {w2} into one",
    ],
    "upper": [
        "yell {w}", "scream {w}", "say {w} loudly", "print {w} in capitals", "write {w} using capital letters",
        "{w} in capital letters please", "caps {w}", "uppercase {w} please", "capitalise all of {w}",
    ],
    "length": [
        "how many letters does {w} have", "how many characters are in {w}", "character count of {w}",
        "how many chars does {w} have", "the number of characters in {w}", "count of letters in {w}",
        "what is the size of {w}", "the word {w} has how many characters",
    ],
}
FAMILIES = [f for f in TEMPLATES if f != "double"]
EXTRA_FAMILIES = ["double"]
SPLITS = ("train", "val", "test")


def _bucket(key: str) -> str:
    """Deterministic split of a value or template: 70% train, 10% val, 20% test."""
    h = zlib.crc32(key.encode()) % 10
    return "test" if h < 2 else ("val" if h == 2 else "train")


def _template_split(family: str, i: int, n: int) -> str:
    # Two test templates and one val template per family, spread over the list.
    if i in (n - 1, n // 2):
        return "test"
    if i == 3:
        return "val"
    return "train"


def _phrase_values(split: str) -> list[str]:
    words = [w for w in WORDS if _bucket("w:" + w) == split]
    caps = [w for w in CAP_WORDS if _bucket("c:" + w) == split]
    return words + caps


def _gen_values(family: str, split: str, rng: random.Random) -> dict | None:
    """Draw values for one instance from the split's share, or None when this draw is not in it."""
    if family in ("print",):
        pool = _phrase_values(split)
        p = rng.choice(pool)
        if rng.random() < 0.35:
            p = p + " " + rng.choice(pool)
        if rng.random() < 0.2:
            p = p + rng.choice("!.?")
        return {"p": p} if len(p) <= MAX_TARGET else None
    if family == "repeat":
        c, n = rng.choice(LETTERS), rng.randint(2, 12)
        return {"c": c, "n": n} if _bucket(f"r:{c}{n}") == split else None
    if family in ("next_letter", "prev_letter"):
        c = rng.choice(LETTERS[:-1] if family == "next_letter" else LETTERS[1:])
        return {"c": c} if _bucket(f"l:{family}{c}") == split else None
    if family in ("add", "sub", "mul", "max", "min"):
        hi = {"add": 50, "sub": 50, "mul": 12, "max": 99, "min": 99}[family]
        a, b = rng.randint(0, hi), rng.randint(0, hi)
        if family == "sub" and a < b:
            a, b = b, a
        return {"a": a, "b": b} if _bucket(f"n:{family}{a},{b}") == split else None
    if family in ("reverse", "upper", "length", "double"):
        pool = [w for w in WORDS if _bucket("w:" + w) == split]
        return {"w": rng.choice(pool)}
    if family == "concat":
        pool = [w for w in WORDS if _bucket("w:" + w) == split]
        w, w2 = rng.choice(pool), rng.choice(pool)
        return {"w": w, "w2": w2} if len(w + w2) <= MAX_TARGET else None
    raise KeyError(family)


def _answer(family: str, v: dict, template: str) -> str:
    if family == "print":
        return v["p"]
    if family == "repeat":
        return v["c"] * v["n"]
    if family == "next_letter":
        return chr(ord(v["c"]) + 1)
    if family == "prev_letter":
        return chr(ord(v["c"]) - 1)
    a, b = v.get("a"), v.get("b")
    if family == "add":
        return str(a + b)
    if family == "sub":
        return str(a - b)
    if family == "mul":
        return str(a * b)
    if family == "max":
        return str(max(a, b))
    if family == "min":
        return str(min(a, b))
    if family == "reverse":
        return v["w"][::-1]
    if family == "concat":
        # "append {w2} to {w}" still means w then w2
        return v["w"] + v["w2"]
    if family == "upper":
        return v["w"].upper()
    if family == "length":
        return str(len(v["w"]))
    if family == "double":
        return v["w"] * 2
    raise KeyError(family)


def _templates(family: str, split: str) -> list[str]:
    ts = TEMPLATES[family]
    out = [t for i, t in enumerate(ts) if _template_split(family, i, len(ts)) == split]
    if split == "train":
        out += EXTRA_TRAIN_TEMPLATES.get(family, []) + MORE_TRAIN_TEMPLATES.get(family, [])
    return out


# Train-split dressing: people wrap a request in politeness, filler and punctuation, capitalise it,
# and write small numbers as words. Composing these with the templates gives the policy many more
# surface forms than templates alone (the held-out templates are never produced: see dress).
_IMPERATIVE = set("print say display output write show echo type emit repeat produce give compute add subtract "
                  "multiply calculate sum take find work reverse spell flip concatenate join glue combine put "
                  "append merge uppercase convert make capitalize count tell pick return increase decrease "
                  "remove shift change turn double tape tie stitch paste pin chain".split())
_PREFIXES_ANY = ("hey, ", "ok, ", "now ", "quick: ", "task: ", "next: ", "hi! ", "so, ", "well, ", "bf: ")
_PREFIXES_IMPERATIVE = ("please ", "can you ", "could you ", "i'd like you to ", "go ahead and ", "now please ",
                        "i want you to ", "would you ", "try to ", "your job: ")
_SUFFIXES = ("?", ".", "!", " please", " for me", ", please", " thanks", " now", " :)", ", thank you")
DRESS_PREFIXES, DRESS_SUFFIXES = _PREFIXES_ANY + _PREFIXES_IMPERATIVE, _SUFFIXES  # for reading back
SMALL_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                      "fifteen sixteen seventeen eighteen nineteen twenty").split()


def norm_template(t: str) -> str:
    return " ".join(t.lower().strip().rstrip("?.!").split())


def _held_out(family: str) -> set[str]:
    return {norm_template(t) for sp in ("val", "test") for t in _templates(family, sp)}


def dress(template: str, family: str, rng: random.Random, held_out: set[str]) -> str:
    """A train template with an optional prefix, suffix and capital; never one of the held-out
    templates (e.g. "say {p}" + "just " would be the test template "just say {p}")."""
    first = template.split(" ", 1)[0].lower()
    pre = ""
    if rng.random() < 0.3:
        pool = _PREFIXES_ANY + (_PREFIXES_IMPERATIVE if first in _IMPERATIVE else ())
        pre = rng.choice(pool)
    # a print payload may end in punctuation or any word: a suffix would change what is asked
    suf = rng.choice(_SUFFIXES) if family != "print" and template[-1] not in "?.!" and rng.random() < 0.3 else ""
    out = pre + template + suf
    if norm_template(out) in held_out:
        return template
    if rng.random() < 0.3 and out[0].isalpha():
        out = out[0].upper() + out[1:]
    return out


def _spelled(template: str, v: dict, rng: random.Random) -> dict:
    """Values as the prompt shows them: sometimes small numbers in words (where the number stands
    as a word of its own: not in "{a}+{b}" or "x{n}")."""
    out = dict(v)
    for k in ("n", "a", "b"):
        if k in out and out[k] < len(SMALL_NUMBER_WORDS) and re.search(r"(^|\s)\{%s\}($|[\s,?])" % k, template) \
                and rng.random() < 0.25:
            out[k] = SMALL_NUMBER_WORDS[out[k]]
    return out


def generate(family: str, split: str, n: int, seed: int = 0) -> list[Task]:
    """``n`` distinct tasks of one family drawn from the split's templates and values. The train
    split also dresses its templates (:func:`dress`) and spells some numbers as words; val and
    test use their templates as written."""
    if family not in TEMPLATES:
        raise KeyError(f"unknown family {family!r}; known: {', '.join(TEMPLATES)}")
    rng = random.Random(f"{family}:{split}:{seed}")
    templates = _templates(family, split)
    dressed = split == "train"
    held_out = _held_out(family) if dressed else set()
    seen, out = set(), []
    for _ in range(n * 200):
        if len(out) >= n:
            break
        v = _gen_values(family, split, rng)
        if v is None:
            continue
        t = rng.choice(templates)
        if dressed:
            problem = dress(t, family, rng, held_out).format(**_spelled(t, v, rng))
        else:
            problem = t.format(**v)
        if rng.random() < 0.15 and family in ("print", "reverse", "upper", "length", "double"):
            problem = problem.replace(v.get("p", v.get("w", "")), '"' + v.get("p", v.get("w", "")) + '"', 1)
        if problem in seen:
            continue
        seen.add(problem)
        out.append(make_task(problem, _answer(family, v, t), family))
    return out


def make_split(split: str, per_family: int, families=None, seed: int = 0) -> list[Task]:
    families = list(families or FAMILIES)
    tasks = []
    for f in families:
        tasks.extend(generate(f, split, per_family, seed))
    random.Random(f"shuffle:{split}:{seed}").shuffle(tasks)
    return tasks


# ---------------------------------------------------------------- curriculum

@dataclass
class Curriculum:
    """Short targets first: level k admits targets up to ``limits[k]`` bytes.

    The trainer calls :meth:`update` with each report's success rate; the level rises once the
    running success rate at the current level passes ``threshold``.
    """

    limits: tuple[int, ...] = (2, 4, 8, MAX_TARGET)
    threshold: float = 0.6
    level: int = 0
    _ema: float = field(default=0.0, repr=False)

    @property
    def max_len(self) -> int:
        return self.limits[min(self.level, len(self.limits) - 1)]

    @property
    def final(self) -> bool:
        return self.level >= len(self.limits) - 1

    def admits(self, task: Task) -> bool:
        return max(len(o) for _, o in task.tests) <= self.max_len

    def update(self, success_rate: float) -> bool:
        self._ema = 0.7 * self._ema + 0.3 * success_rate
        if not self.final and self._ema >= self.threshold:
            self.level += 1
            self._ema = 0.0
            return True
        return False

    def state(self) -> dict:
        return {"level": self.level, "ema": self._ema}

    def load_state(self, s: dict) -> None:
        self.level, self._ema = int(s["level"]), float(s["ema"])


def assets_dir() -> Path:
    import bfcore

    return Path(bfcore.__file__).resolve().parents[1] / "assets"


def default_task_file(split: str) -> Path:
    return assets_dir() / "tasks" / f"{split}.jsonl"
