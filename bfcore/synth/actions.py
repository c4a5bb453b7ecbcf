"""The instruction vocabulary: what one action of the synthesis agent writes.

An action is one BF instruction or a run of one: ``+k`` / ``-k`` for k in RUNS, ``>k`` / ``<k`` for
k in MOVES, ``[``, ``]``, ``,``, ``.``, END, and four *parameter runs* (``+n``, ``-n``, ``+c``,
``-c``) whose length is a fact read from the prompt by plain code (:func:`prompt_params`): the first
number, or the code of a quoted or named letter. A parameter run is still a plain ``+``/``-`` run in
the program text; it only lets the agent say "add the k the user named" in one action. Four more
(``+n/8``, ``+n%8``, ``+c/8``, ``+c%8``) add a fact's quotient or remainder by 8, so that a program
can build a big value with a multiplication loop (``>+8[<+c/8>-]<+c%8`` sets the letter in about
c/8 + 20 characters instead of c) and stay one program for every value: a loop that pays.
One macro, ``.w``, prints the word the request names (:func:`prompt_word`) as the print agent's
token does, but *relative to the cell*: a run to each byte's difference from the one before, and a
``.``. From a cell of 0 it prints the word; after ``+32`` it prints the word in lowercase; inside a
counted loop (``+n[>.w[-]<-]``) it prints the word n times. It holds no loop. Four more
parameter runs read a second number and letter (``+n2``, ``+c2``: "the digits 3 to 8", "the
letters e through x") and the word's first and last letters (``+w0``, ``+w$``), so that one
program serves every range or word of a constant family, as ``+c`` serves every letter.

No action holds a loop: brackets are written one at a time. :class:`Grammar` masks the actions so
that every finished program is valid BF (brackets balanced, END only at depth 0), no longer than
``max_len`` actions, nested at most ``max_depth`` deep, and free of the trivially redundant forms
(``[]``, ``+`` then ``-``, a run followed by a larger or equal one of the same sign, two moves in a
row) that would only make the same program reachable by many action sequences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUNS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20, 24, 32, 48, 64)
MOVES = (1, 2, 3)

END = 0
ACTIONS: list[str] = ["END"]
ACTIONS += [f"+{k}" for k in RUNS] + [f"-{k}" for k in RUNS]
ACTIONS += [f">{k}" for k in MOVES] + [f"<{k}" for k in MOVES]
ACTIONS += ["[", "]", ",", "."]
ACTIONS += ["+n", "-n", "+c", "-c"]
BASE = 8  # of the derived facts: small enough for a short counter, big enough to divide by
ACTIONS += [f"+n/{BASE}", f"+n%{BASE}", f"+c/{BASE}", f"+c%{BASE}"]
ACTIONS += [".w"]
# a second number and letter ("the digits 3 to 8", "the letters e through x"), and the word's
# first and last letters
ACTIONS += ["+n2", "+c2", "+w0", "+w$"]
INDEX = {a: i for i, a in enumerate(ACTIONS)}
N_ACTIONS = len(ACTIONS)
OPEN, CLOSE, READ, WRITE = INDEX["["], INDEX["]"], INDEX[","], INDEX["."]
PARAM_ACTIONS = {INDEX["+n"]: ("+", "n"), INDEX["-n"]: ("-", "n"),
                 INDEX["+c"]: ("+", "c"), INDEX["-c"]: ("-", "c"),
                 INDEX[f"+n/{BASE}"]: ("+", "n_div"), INDEX[f"+n%{BASE}"]: ("+", "n_mod"),
                 INDEX[f"+c/{BASE}"]: ("+", "c_div"), INDEX[f"+c%{BASE}"]: ("+", "c_mod"),
                 INDEX["+n2"]: ("+", "n2"), INDEX["+c2"]: ("+", "c2"),
                 INDEX["+w0"]: ("+", "w_first"), INDEX["+w$"]: ("+", "w_last")}
WORD = INDEX[".w"]
# every action that needs a fact of the prompt, and the fact's name (masked when it is absent)
FACT_OF = {**{a: name for a, (_, name) in PARAM_ACTIONS.items()}, WORD: "w"}
ARITH = frozenset(i for i, a in enumerate(ACTIONS) if a[0] in "+-" and a[1:].isdigit())
MOVE = frozenset(i for i, a in enumerate(ACTIONS) if a[0] in "<>")
_SMALLER = {i: [j for j in sorted(ARITH) if ACTIONS[j][0] == ACTIONS[i][0]
                and int(ACTIONS[j][1:]) < int(ACTIONS[i][1:])] for i in ARITH}

_NUM_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
              "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split()
_NUMBER = re.compile(r"\b(\d{1,3}|" + "|".join(_NUM_WORDS) + r")\b", re.IGNORECASE)
# "one" in an idiom is no count: "one by one" made "output the characters you read, one by one"
# an add-one program (a test phrasing of echo)
_NOT_A_COUNT = re.compile(r"\bone (?:by|after) (?:one|another)\b|\bone at a time\b"
                          r"|\b(?:each|every|no|the last|the first) one\b", re.IGNORECASE)
# a letter the request is about: quoted ('e', "e", `e`), or a single character after "letter",
# "character", "char" or "byte" ("remove the letter e", "count the character x")
# a byte named by its value ("count the value 1", "drop every byte 10"): PQT's letters are numbers
_VALUE = re.compile(r"\b(?:value|byte|code)\s+(\d{1,3})\b", re.IGNORECASE)
_QUOTED = re.compile(r"""['"`‘“](.)['"`’”]""")
_NAMED = re.compile(r"\b(?:letter|character|char|byte|symbol)s?\s+(\S)(?=[\s,.;:!?'’s]|$)", re.I)
# then a letter written before its noun ("the e characters"), standing alone as a word ("remove
# every e"), or in a plural ("how many es", "the e's"); "a" and "I" alone are words, and "as",
# "is", "us" are words too, so those three are not read as plurals
_BEFORE_NOUN = re.compile(r"(?<![\w'’])([A-Za-z])\s+(?:letter|character|char)s?\b", re.I)
# "a" and "i" after a word that can only be followed by the letter: "every a", "drop all is",
# "except i" (alone they are words; 16 of 200 dressed train tasks of remove lost their letter)
_QUANTIFIED = re.compile(r"\b(?:every|each|all|except|any|no)\s+([ai])(?:['’]?s)?(?![\w'’-])",
                         re.I)
_ALONE = re.compile(r"(?<![\w'’-])([B-HJ-Zb-hj-z])(?![\w'’-])")
# the second letter of a range: alone after the first, "a" too after "to" / "through" / "and"
_SECOND = re.compile(r"(?<![\w'’-])(?:(?<=to )|(?<=through )|(?<=and )|(?<=thru )|(?<=till ))"
                     r"(?:the letter )?([A-Za-z])(?![\w'’-])|(?<![\w'’-])([B-HJ-Zb-hj-z])(?![\w'’-])")
_PLURAL = re.compile(r"(?<![\w'’-])(?:([a-z])['’]s|([b-hj-tv-z])s)(?![\w'’-])")
# a word the request is about: quoted ('ha'), after "word" ("the word moon"), written in capitals
# ("print PIZZA in lowercase"), or else the first word that is not the request's own wording
_QUOTED_WORD = re.compile(r"""['"`‘“]([A-Za-z]{2,16})['"`’”]""")
_AFTER_WORD = re.compile(r"\bword\s+([A-Za-z]{2,16})\b", re.IGNORECASE)
_CAPITALS = re.compile(r"(?<![\w'’-])([A-Z]{2,16})(?![\w'’-])")
_WORDS = re.compile(r"(?<![\w'’-])([A-Za-z]{2,16})(?![\w'’-])")
_NOT_THE_WORD = frozenset("""
a about after again all along also am an and another any are as ask at back be been before begin
begins beginning between bf brainfuck but by can capital capitals capitalised capitalized caps
case char character characters combined copies copy could do does each end every exactly for
from get give go have how in initial initials into is it its joined just last let letter letters
like line little low lower lowercase make me much my need no not of off on once one only opening
or out output outputs over please print printed prints program repeat repeated repeating row say
says script show small so some spaces start starts string suppose that the their them then there
these this three through time times to together too total twice two uncapitalised un upper
uppercase us version want we what which with without word words would write writes writing
written wrote you your zero four five six seven eight nine ten final ending closing beginning
mistake using use ends starting hey ok now quick task next well ahead try job thanks thank
input inputs read reads first second digit digits alphabet type typed text count counts echo
echoes byte bytes remove removes add adds turn turns tally number numbers everything whole sum
sums long stdin double many act convert converts length often inclusive shift drop keep change
strip skip skips increase increases spell decapitalise delete deletes shout ascii ignore duplicate
capitalise plus tell parrot whatever leave leaves reverse reverses chop stop mirror flip send bump
move until space backwards up rest order doubled nothing leaving except has shows around more
followed quit code comes unchanged same itself moved appears leading taken hit minus size stops
occurs places when shouting front reversed stdout did else finishes straight raised steps
eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty
""".split())
_GREETING = re.compile(r"^\s*(?:hi|hey|ok|so|well)\s*[!,:]\s*", re.IGNORECASE)
_A_PLURAL = re.compile(r"[a-z]s", re.IGNORECASE)  # "give me 8 xs": the letter's plural, no word


def _div(fact: int | None) -> int | None:
    return None if fact is None else fact // BASE


def _mod(fact: int | None) -> int | None:
    return None if fact is None else fact % BASE


@dataclass(frozen=True)
class Params:
    """Facts read from a prompt: its first number (1..255, or 0 when a range starts there), a
    letter's code, a word's bytes, a second number and letter; None when absent."""

    n: int | None = None
    c: int | None = None
    w: bytes | None = None
    n2: int | None = None  # the second number, and the letter after the first one
    c2: int | None = None

    # the derived facts; 0 is a value (a remainder of 0 writes nothing), None means no fact
    n_div = property(lambda self: _div(self.n))
    n_mod = property(lambda self: _mod(self.n))
    c_div = property(lambda self: _div(self.c))
    c_mod = property(lambda self: _mod(self.c))
    w_first = property(lambda self: self.w[0] if self.w else None)
    w_last = property(lambda self: self.w[-1] if self.w else None)

    def has(self, name: str) -> bool:
        """Whether the prompt gave the fact a parameter run ``name`` reads."""
        return getattr(self, name) is not None


def prompt_params(prompt: str) -> Params:
    numbers = [int(g) if g.isdigit() else _NUM_WORDS.index(g.lower())
               for g in _NUMBER.findall(_NOT_A_COUNT.sub(" ", prompt))][:2]
    n, n2 = (v if 0 <= v <= 255 else None for v in numbers + [-1] * (2 - len(numbers)))
    if n == 0 and not n2:  # a 0 is no count ("then a 0"); "the digits 0 to 9" is a range
        n = n2 = None
    c = c2 = None
    v = _VALUE.search(prompt)
    if v and 0 < int(v.group(1)) < 256:
        return Params(n, int(v.group(1)), prompt_word(prompt), n2, None)
    for pattern in (_QUOTED, _NAMED, _BEFORE_NOUN, _QUANTIFIED, _ALONE, _PLURAL):
        m = pattern.search(prompt)
        if m:
            letter = next(g for g in m.groups() if g)
            if ord(letter) < 256:
                c = ord(letter)
                m2 = _SECOND.search(prompt, m.end())
                if m2:
                    c2 = ord(next(g for g in m2.groups() if g))
            break
    return Params(n, c, prompt_word(prompt), n2, c2)


def prompt_word(prompt: str) -> bytes | None:
    """The word a request names (``moon`` in "repeat the word moon 3 times"), or None."""
    m = _QUOTED_WORD.search(prompt)
    if m:
        return m.group(1).encode()
    for pattern in (_AFTER_WORD, _CAPITALS):
        for m in pattern.finditer(prompt):
            if m.group(1).lower() not in _NOT_THE_WORD and m.group(1) != "BF":
                return m.group(1).encode()
    # "hi" is a word one may ask for, and a greeting before a request
    for m in _WORDS.finditer(_GREETING.sub("", prompt)):
        word = m.group(1)
        if word.lower() not in _NOT_THE_WORD and not _A_PLURAL.fullmatch(word):
            return word.encode()
    return None


def word_text(word: bytes) -> str:
    """The text of ``.w``: each byte as a run from the one before (the first from the cell's own
    value) and a ``.``, as the print agent's compiler writes it."""
    from bfcore.agent.compile import compile_bytes

    return compile_bytes(word)[0]


def action_text(a: int, params: Params) -> str:
    """The BF text of one action (END writes nothing)."""
    if a in PARAM_ACTIONS:
        sign, name = PARAM_ACTIONS[a]
        return sign * (getattr(params, name) or 0)
    if a == WORD:
        return word_text(params.w or b"")
    s = ACTIONS[a]
    if s == "END":
        return ""
    if s[1:].isdigit():
        return s[0] * int(s[1:])
    return s


def to_program(actions, params: Params) -> tuple[str, list[tuple[int, int]]]:
    """(BF text, source span of each action) for actions up to the first END."""
    parts, spans, pos = [], [], 0
    for a in actions:
        a = int(a)
        if a == END:
            break
        t = action_text(a, params)
        parts.append(t)
        spans.append((pos, pos + len(t)))
        pos += len(t)
    return "".join(parts), spans


def tokenize(program: str, params: Params = Params()) -> list[int] | None:
    """The action sequence that writes ``program`` (runs split greedily into RUNS), or None if it
    cannot be written (characters other than the 8 instructions are ignored). For showing and
    re-scoring programs only: the agent's own programs come from its actions."""
    code = [ch for ch in program if ch in "+-<>[],."]
    out, i = [], 0
    while i < len(code):
        ch, j = code[i], i
        while j < len(code) and code[j] == ch and ch in "+-<>":
            j += 1
        if ch in "+-<>":
            n = j - i
            sizes = RUNS if ch in "+-" else MOVES
            while n:
                k = max(s for s in sizes if s <= n)
                out.append(INDEX[f"{ch}{k}"])
                n -= k
            i = j
        else:
            out.append(INDEX[ch])
            i += 1
    out.append(END)
    return out


class Grammar:
    """The action mask, advanced one action at a time; one per program being written."""

    def __init__(self, params: Params, max_len: int = 32, max_depth: int = 3):
        self.params, self.max_len, self.max_depth = params, max_len, max_depth
        self.depth, self.length, self.prev, self.done = 0, 0, END, False
        self._allowed_params = [a for a, name in FACT_OF.items() if params.has(name)]
        self._nonzero_params = [a for a in self._allowed_params if getattr(params, FACT_OF[a])]

    def allowed(self) -> list[int]:
        if self.done:
            return [END]
        left = self.max_len - self.length  # actions still allowed, closing brackets included
        if left <= self.depth:  # only the closing brackets fit
            return [CLOSE] if self.depth else [END]
        out = [] if self.depth else [END]
        if self.depth and self.prev != OPEN:
            out.append(CLOSE)
        if self.depth < self.max_depth and left >= self.depth + 3:  # room for a body
            out.append(OPEN)
        out += [READ, WRITE]
        if self.prev not in ARITH:
            out += sorted(ARITH)
        else:  # a longer run is written largest part first ("+64 +48 +8"), each part smaller
            out += _SMALLER[self.prev]
        if self.prev not in MOVE:
            out += sorted(MOVE)
        # a fact of 0 writes nothing, so as a body's first action it could leave "[]" in the text
        out += self._allowed_params if self.prev != OPEN else self._nonzero_params
        return out

    def push(self, a: int) -> None:
        if a == END:
            self.done = True
            return
        self.depth += (a == OPEN) - (a == CLOSE)
        self.length += 1
        self.prev = a
