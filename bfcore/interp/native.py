"""The native tier: a program's IR compiled to machine code with llvmlite, for long runs.

``bfcore.interp.fast`` runs a program's IR in plain Python first, then under numba: one executor that
dispatches on each op. Here each op of the same IR becomes straight LLVM code instead, with its
constants in the instructions, the pointer and counters in registers, multiply/copy and clear
loops as closed forms, ``[>]`` / ``[<]`` as ``memchr`` / ``memrchr``, no bounds checks inside
loops that provably stay put (``balanced_loops``: one range check at their ``[``), and LLVM's
code generator over the whole program. It is used only for runs that need no exactness it
cannot give cheaply: no step or output limit and a tape that does not wrap, which is ``bftui
run``'s default.

The function never reports an error itself. Where the executor would stop (the pointer about to
leave the tape), it saves the state as it was before that op and returns BAIL; ``fast`` then
resumes the same state in its own executor, which stops with the exact error, position and step
count. It also returns every ``budget`` loop iterations (BUDGET), so that Python can see Ctrl-C and
write out the output so far, and when the output buffer is full (OUT_FULL); both resume where
they left off.

Compiled objects are cached on disk by a hash of the IR, the EOF mode, the cell width, this
module's source and LLVM's version, so a program is compiled once per machine.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from pathlib import Path

from bfcore.interp.fast import (ADD, BLOCK, BUDGET, CLR, DONE, IN, JNZ, JZ, MOVE, MUL, OUT, OUT_FULL,
                         SCAN, W)

BAIL = 6  # the state is saved before an op the executor must run (it stops the program)
# part of the cache key: a change to the code generated here, or to LLVM, compiles afresh (a
# version number to bump by hand could be forgotten, and a stale object would run wrong code)
SOURCE_KEY = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
CHUNK = 1 << 24  # loop iterations between returns to Python (a few ms to a few tens of ms)
CACHE_FILES = 512  # compiled programs kept on disk, the least recently used dropped first

_SIG = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                        ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                        ctypes.c_int64)
_lock = threading.Lock()
_state: dict = {}


class NativeUnavailable(RuntimeError):
    """llvmlite is missing or cannot build code on this machine."""


def _op(ops, i):
    return ops[i * W:(i + 1) * W]


def balanced_loops(ops, moff) -> dict[int, tuple[int, int, dict[int, int]]]:
    """The outermost loops that provably stay where they start: ``{jz: (lo, hi, where)}``:
    every cell the loop touches is at an offset in ``[lo, hi]`` from the pointer at its ``[``,
    and ``where`` maps each op the loop can run to its pointer offset. Such a loop needs one
    bounds check when it is entered, and none inside."""
    end = len(ops) // W
    found, i = {}, 0
    while i < end:
        if ops[i * W] == JZ:
            jnz = ops[i * W + 1] - 1
            span = _span(ops, moff, i, jnz)
            if span is not None:
                found[i] = span
                i = jnz + 1
                continue
        i += 1
    return found


def _range(moff, d: int) -> tuple[int, int]:
    """The pointer range a BLOCK or closed form needs: the two table entries before its adds."""
    return moff[d - 2], moff[d - 1]


def _span(ops, moff, jz: int, jnz: int) -> tuple[int, int, dict[int, int]] | None:
    """The offsets a loop's body touches on the paths its unchecked code takes (a closed form
    or BLOCK always succeeds there), or None when the pointer's offset is not fixed at every
    op: a scan, or an inner loop that moves the pointer."""
    where = {jz + 1: 0}
    lo = hi = 0

    def reach(k: int, o: int) -> bool:
        return where.setdefault(k, o) == o

    for k in range(jz + 1, jnz + 1):
        if k not in where:
            continue  # only on a path the checks take: a BLOCK's or closed form's plain ops
        o = where[k]
        op, a, _b, c, d, _e, _raw = _op(ops, k)
        if op == SCAN:
            return None
        lo, hi = min(lo, o), max(hi, o)
        if op in (BLOCK, MUL):
            f, g = _range(moff, d)
            lo, hi = min(lo, o + f), max(hi, o + g)
        if op == MOVE:
            ok = reach(k + 1, o + a)
            lo, hi = min(lo, o + a), max(hi, o + a)
        elif op == BLOCK:  # its range holds where it ends
            ok = reach(c, o + a)
        elif op in (CLR, MUL):
            ok = reach(c, o)
        elif op == JZ:
            ok = reach(k + 1, o) and reach(a, o)
        elif op == JNZ:
            ok = where.get(a) == o and (o == 0 if k == jnz else reach(k + 1, o))
        else:  # ADD, OUT, IN
            ok = reach(k + 1, o)
        if not ok:
            return None
    return lo, hi, where


class _IRWriter:
    """Writes one program's LLVM IR. Each op is a few basic blocks named after its index. Inside
    a balanced loop, moves are not checked against the tape's ends (its ``[`` checks the range
    once) and only the ops the loop can run are written."""

    def __init__(self, ops, moff, mcoef, eof_mode: int, bits: int):
        self.ops, self.moff, self.mcoef = ops, moff, mcoef
        self.eof_mode, self.bits, self.C = eof_mode, bits, f"i{bits}"
        self.end = len(ops) // W
        self.lines: list[str] = []
        self.emit = self.lines.append
        self.tmp = iter(range(1 << 62))
        self.loops = balanced_loops(ops, moff)
        self.inside: dict[int, tuple[int, int]] = {}  # op -> (its balanced loop's [, offset)
        self.dead: set[int] = set()  # ops in balanced loops that only a failed check reaches
        for jz, (_lo, _hi, where) in self.loops.items():
            self.inside.update((k, (jz, o)) for k, o in where.items())
            self.dead.update(k for k in range(jz + 1, ops[jz * W + 1]) if k not in where)

    # names
    def t(self) -> str:
        return f"%t{next(self.tmp)}"

    # small pieces
    def load(self, name: str) -> str:
        v = self.t()
        self.emit(f"  {v} = load i64, ptr %{name}")
        return v

    def store(self, name: str, value: str) -> None:
        self.emit(f"  store i64 {value}, ptr %{name}")

    def add_steps(self, n) -> None:
        s, s2 = self.load("steps"), self.t()
        self.emit(f"  {s2} = add i64 {s}, {n}")
        self.store("steps", s2)

    def cell_at(self, p: str) -> str:
        g = self.t()
        self.emit(f"  {g} = getelementptr {self.C}, ptr %tape, i64 {p}")
        return g

    def leave(self, ip: int, code: int) -> None:
        self.emit(f"  store i64 {ip}, ptr %st")
        self.emit(f"  br label %save{code}")

    def in_tape(self, lo: str, hi: str, yes: str, no: str) -> None:
        """Branch to ``yes`` when 0 <= lo and hi < tape_len."""
        a, b, c = self.t(), self.t(), self.t()
        self.emit(f"  {a} = icmp sge i64 {lo}, 0")
        self.emit(f"  {b} = icmp slt i64 {hi}, %tlen")
        self.emit(f"  {c} = and i1 {a}, {b}")
        self.emit(f"  br i1 {c}, label %{yes}, label %{no}")

    def offsets(self, p: str, lo: int, hi: int) -> tuple[str, str]:
        a, b = self.t(), self.t()
        self.emit(f"  {a} = add i64 {p}, {lo}")
        self.emit(f"  {b} = add i64 {p}, {hi}")
        return a, b

    def adds(self, p: str, start: int, count: int, times: str | None) -> None:
        C = self.C
        for k in range(start, start + count):
            q = self.t()
            self.emit(f"  {q} = add i64 {p}, {self.moff[k]}")
            g = self.cell_at(q)
            v, v2 = self.t(), self.t()
            self.emit(f"  {v} = load {C}, ptr {g}")
            if times is None:
                self.emit(f"  {v2} = add {C} {v}, {self.mcoef[k]}")
            else:
                m = self.t()
                self.emit(f"  {m} = mul {C} {times}, {self.mcoef[k]}")
                self.emit(f"  {v2} = add {C} {v}, {m}")
            self.emit(f"  store {C} {v2}, ptr {g}")

    # the function
    def function(self) -> str:
        emit = self.emit
        entries = sorted(({0} | {i for i in range(self.end) if _op(self.ops, i)[0] in (OUT, JNZ)})
                         - self.dead - {self.end})
        emit("declare ptr @memchr(ptr, i32, i64)")
        emit("declare ptr @memrchr(ptr, i32, i64)")
        emit("define i64 @bf(ptr noalias %tape, ptr noalias %st, ptr noalias %out, "
             "ptr noalias %inp, i64 %n_in, i64 %cap, i64 %tlen, i64 %budget0) {")
        emit("entry:")
        for k, name in enumerate(("ip0", "ptr", "steps", "olen", "inpos")):
            emit(f"  %{name} = alloca i64")
            g, v = self.t(), self.t()
            emit(f"  {g} = getelementptr i64, ptr %st, i64 {k}")
            emit(f"  {v} = load i64, ptr {g}")
            self.store(name, v)
        emit("  %budget = alloca i64")
        emit("  store i64 %budget0, ptr %budget")
        ip = self.load("ip0")
        # An ip that is no entry (an op only a failed check reaches, where an earlier tier
        # stopped) goes back to the executor, as does an entry inside a balanced loop whose range
        # is not all on the tape (the earlier tier had not checked that range).
        emit(f"  switch i64 {ip}, label %noentry [i64 {self.end}, label %op{self.end} " +
             " ".join(f"i64 {e}, label %{'re' if e in self.inside else 'op'}{e}"
                      for e in entries) + "]")
        emit("noentry:")
        self.leave(ip, BAIL)
        for e in entries:
            if e in self.inside:
                self.range_check(e, f"op{e}")
        for i in range(self.end):
            if i not in self.dead:
                self.op(i)
        emit(f"op{self.end}:")
        self.leave(self.end, DONE)
        for code in (DONE, OUT_FULL, BUDGET, BAIL):
            emit(f"save{code}:")
            for k, name in ((1, "ptr"), (2, "steps"), (3, "olen"), (4, "inpos")):
                v, g = self.load(name), self.t()
                emit(f"  {g} = getelementptr i64, ptr %st, i64 {k}")
                emit(f"  store i64 {v}, ptr {g}")
            emit(f"  ret i64 {code}")
        emit("}")
        return "\n".join(self.lines) + "\n"

    def range_check(self, i: int, yes: str) -> None:
        """Block ``re{i}``: on to ``yes`` when the range of op ``i``'s balanced loop (the loop
        it opens, or the one it is in) is all on the tape; else back to the executor, state
        unchanged."""
        jz, o = self.inside.get(i, (i, 0))
        lo, hi, _ = self.loops[jz]
        self.emit(f"re{i}:")
        p = self.load("ptr")
        a, b = self.offsets(p, lo - o, hi - o)
        self.in_tape(a, b, yes, f"rebail{i}")
        self.emit(f"rebail{i}:")
        self.leave(i, BAIL)

    def op(self, i: int) -> None:
        """Writes op ``i``."""
        emit, C = self.emit, self.C
        op, a, b, c, d, e, _raw = _op(self.ops, i)
        f, g = _range(self.moff, d) if op in (BLOCK, MUL) else (0, 0)
        checked = i not in self.inside
        emit(f"op{i}:")
        if op == ADD:
            p = self.load("ptr")
            cell = self.cell_at(p)
            v, v2 = self.t(), self.t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {v2} = add {C} {v}, {a}")
            emit(f"  store {C} {v2}, ptr {cell}")
            self.add_steps(b)
            emit(f"  br label %op{i + 1}")
            return
        if op == MOVE:
            p, q = self.load("ptr"), self.t()
            emit(f"  {q} = add i64 {p}, {a}")
            if checked:
                self.in_tape(q, q, f"mv{i}", f"bail{i}")
                emit(f"bail{i}:")
                self.leave(i, BAIL)
                emit(f"mv{i}:")
            self.store("ptr", q)
            self.add_steps(b)
            emit(f"  br label %op{i + 1}")
            return
        if op == BLOCK:
            p = self.load("ptr")
            if checked:
                self.in_tape(*self.offsets(p, f, g), f"blk{i}", f"op{i + 1}")
                emit(f"blk{i}:")
            self.adds(p, d, e, None)
            q = self.t()
            emit(f"  {q} = add i64 {p}, {a}")
            self.store("ptr", q)
            self.add_steps(b)
            emit(f"  br label %op{c}")
            return
        if op in (CLR, MUL, SCAN):
            p = self.load("ptr")
            cell = self.cell_at(p)
            v, z = self.t(), self.t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {z} = icmp eq {C} {v}, 0")
            emit(f"  br i1 {z}, label %skip{i}, label %run{i}")
            emit(f"skip{i}:")
            self.add_steps(1)
            emit(f"  br label %op{c}")
            emit(f"run{i}:")
            if op == SCAN:  # never inside a balanced loop
                _scan(self, i, a, b, c, p, cell)
                return
            k8 = self.t()
            emit(f"  {k8} = mul {C} {v}, {a}")
            if op == MUL:
                if checked:
                    self.in_tape(*self.offsets(p, f, g), f"mul{i}", f"op{i + 1}")
                    emit(f"mul{i}:")
                self.adds(p, d, e, k8)
            emit(f"  store {C} 0, ptr {cell}")
            k, cost = self.t(), self.t()
            emit(f"  {k} = zext {C} {k8} to i64")
            emit(f"  {cost} = mul i64 {k}, {b}")
            self.add_steps(cost)
            self.add_steps(1)
            emit(f"  br label %op{c}")
            return
        if op in (JZ, JNZ):
            if op == JNZ:
                n, n2, z = self.load("budget"), self.t(), self.t()
                emit(f"  {n2} = sub i64 {n}, 1")
                self.store("budget", n2)
                emit(f"  {z} = icmp sle i64 {n2}, 0")
                emit(f"  br i1 {z}, label %pause{i}, label %jmp{i}")
                emit(f"pause{i}:")
                self.leave(i, BUDGET)  # resumed at op i (inside a balanced loop: re{i} first)
                emit(f"jmp{i}:")
            p = self.load("ptr")
            cell = self.cell_at(p)
            v, z = self.t(), self.t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {z} = icmp {'eq' if op == JZ else 'ne'} {C} {v}, 0")
            if op == JZ and i in self.loops:  # entered after one check of its whole range
                emit(f"  br i1 {z}, label %skip{i}, label %re{i}")
                emit(f"skip{i}:")
                self.add_steps(1)
                emit(f"  br label %op{a}")
                self.range_check(i, f"in{i}")
                emit(f"in{i}:")
                self.add_steps(1)
                emit(f"  br label %op{i + 1}")
                return
            self.add_steps(1)
            emit(f"  br i1 {z}, label %op{a}, label %op{i + 1}")
            return
        if op == OUT:
            n, full = self.load("olen"), self.t()
            emit(f"  {full} = icmp sge i64 {n}, %cap")
            emit(f"  br i1 {full}, label %full{i}, label %put{i}")
            emit(f"full{i}:")
            self.leave(i, OUT_FULL)
            emit(f"put{i}:")
            p, v = self.load("ptr"), self.t()
            emit(f"  {v} = load {C}, ptr {self.cell_at(p)}")
            if self.bits != 8:  # '.' writes the low byte
                v8 = self.t()
                emit(f"  {v8} = trunc {C} {v} to i8")
                v = v8
            o, n2 = self.t(), self.t()
            emit(f"  {o} = getelementptr i8, ptr %out, i64 {n}")
            emit(f"  store i8 {v}, ptr {o}")
            emit(f"  {n2} = add i64 {n}, 1")
            self.store("olen", n2)
            self.add_steps(1)
            emit(f"  br label %op{i + 1}")
            return
        if op == IN:
            n, has = self.load("inpos"), self.t()
            p = self.load("ptr")
            cell = self.cell_at(p)
            emit(f"  {has} = icmp slt i64 {n}, %n_in")
            emit(f"  br i1 {has}, label %rd{i}, label %eof{i}")
            emit(f"rd{i}:")
            src, v, n2 = self.t(), self.t(), self.t()
            emit(f"  {src} = getelementptr i8, ptr %inp, i64 {n}")
            emit(f"  {v} = load i8, ptr {src}")
            if self.bits != 8:
                vc = self.t()
                emit(f"  {vc} = zext i8 {v} to {C}")
                v = vc
            emit(f"  store {C} {v}, ptr {cell}")
            emit(f"  {n2} = add i64 {n}, 1")
            self.store("inpos", n2)
            emit(f"  br label %in{i}")
            emit(f"eof{i}:")
            if self.eof_mode in (0, 1):  # 0: store 0, 1: store all ones, 2: leave the cell
                emit(f"  store {C} {0 if self.eof_mode == 0 else -1}, ptr {cell}")
            emit(f"  br label %in{i}")
            emit(f"in{i}:")
            self.add_steps(1)
            emit(f"  br label %op{i + 1}")
            return
        raise ValueError(f"op {op} at {i} has no native form")


def llvm_ir(ops, moff, mcoef, eof_mode: int, bits: int = 8) -> str:
    """The LLVM IR of one program: ``i64 @bf(tape, st, out, inp, n_in, cap, tape_len, budget)``.
    ``st`` is the executor's state (ip, ptr, steps, output length, input position); cells are
    ``bits`` wide."""
    return _IRWriter(ops, moff, mcoef, eof_mode, bits).function()


def _scan(w: _IRWriter, i: int, step: int, cost: int, skip: int, p: str, cell: str) -> None:
    """``[>]`` / ``[<]`` (and longer strides): the next 0 cell; the plain loop if none is found
    before the tape's end (it then stops with the exact error)."""
    emit, t = w.emit, w.t
    if step in (1, -1) and w.C == "i8":  # memchr finds bytes
        if step == 1:
            left, hit = t(), t()
            emit(f"  {left} = sub i64 %tlen, {p}")
            emit(f"  {hit} = call ptr @memchr(ptr {cell}, i32 0, i64 {left})")
        else:
            n, hit = t(), t()
            emit(f"  {n} = add i64 {p}, 1")
            emit(f"  {hit} = call ptr @memrchr(ptr %tape, i32 0, i64 {n})")
        none, q, k, base, q2 = t(), t(), t(), t(), t()
        emit(f"  {none} = icmp eq ptr {hit}, null")
        emit(f"  br i1 {none}, label %op{i + 1}, label %found{i}")
        emit(f"found{i}:")
        emit(f"  {q} = ptrtoint ptr {hit} to i64")
        emit(f"  {base} = ptrtoint ptr %tape to i64")
        emit(f"  {q2} = sub i64 {q}, {base}")
        emit(f"  {k} = sub i64 {q2}, {p}")
        dist = k
        if step == -1:
            dist = t()
            emit(f"  {dist} = sub i64 0, {k}")
        q = q2
    else:
        emit(f"  br label %sl{i}")
        emit(f"sl{i}:")
        q, q2 = t(), t()
        emit(f"  {q} = phi i64 [{p}, %run{i}], [{q2}, %sn{i}]")
        emit(f"  {q2} = add i64 {q}, {step}")
        w.in_tape(q2, q2, f"sn{i}", f"op{i + 1}")
        emit(f"sn{i}:")
        g, v, z = t(), t(), t()
        emit(f"  {g} = getelementptr {w.C}, ptr %tape, i64 {q2}")
        emit(f"  {v} = load {w.C}, ptr {g}")
        emit(f"  {z} = icmp eq {w.C} {v}, 0")
        emit(f"  br i1 {z}, label %found{i}, label %sl{i}")
        emit(f"found{i}:")
        d, dist = t(), t()
        emit(f"  {d} = sub i64 {q2}, {p}")
        emit(f"  {dist} = sdiv i64 {d}, {step}")
        q = q2
    w.store("ptr", q)
    c = t()
    emit(f"  {c} = mul i64 {dist}, {cost}")
    w.add_steps(c)
    w.add_steps(1)
    emit(f"  br label %op{skip}")


def _cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("BFTUI_NATIVE_CACHE") or
                Path(user_cache_dir("bftui")) / "native")


def _engine():
    """One MCJIT engine for the process."""
    if "engine" in _state:
        return _state["engine"]
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        tm = llvm.Target.from_default_triple().create_target_machine(opt=2, jit=True)
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
    except Exception as exc:  # no llvmlite, or no native target: the caller falls back
        raise NativeUnavailable(f"llvmlite cannot build code here: {exc}") from None
    _state.update(engine=engine, tm=tm, llvm=llvm, keep=[], fns={})
    return engine


def _cached(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data[32:]).digest() != data[:32]:
        return None  # damaged: compiled again (loading a bad object would crash)
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return data[32:]


def _store(path: Path, obj: bytes) -> None:
    from bfcore.atomic import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, hashlib.sha256(obj).digest() + obj)
        _prune(path.parent)
    except OSError:
        pass  # a cache that cannot be written only costs a compile next time


def _build(ops, moff, mcoef, eof_mode: int, bits: int, name: str) -> bytes:
    """The object code of one program's function, named ``name``."""
    llvm = _state["llvm"]
    text = llvm_ir(ops, moff, mcoef, eof_mode, bits)
    mod = llvm.parse_assembly(text.replace("@bf(", f"@{name}(", 1))
    mod.name = name
    mod.verify()
    _optimise(llvm, mod, _state["tm"])
    return _state["tm"].emit_object(mod)


def _optimise(llvm, mod, tm) -> None:
    """The counters kept in stack slots become registers (SROA), and that is all: LLVM's O1-O3
    pipelines took 9-13 s on mandelbrot.b's 5,000 ops for code no faster (1.3 s against 1.06 s
    here); the code generator's own optimisation does the rest."""
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=0))
    fpm = llvm.create_new_function_pass_manager()
    fpm.add_sroa_pass()
    for f in mod.functions:
        if not f.is_declaration:
            fpm.run(f, pb)


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.o"), key=lambda p: p.stat().st_mtime)
    for old in files[:max(len(files) - CACHE_FILES, 0)]:
        old.unlink(missing_ok=True)


def function(prog, eof_mode: int, bits: int = 8):
    """The compiled ``bf`` function of a parsed program (built once per program and EOF mode;
    looked up by a hash of its IR in memory, then on disk, before it is compiled)."""
    from bfcore.interp.fast import compiled

    ops, moff, mcoef = compiled(prog, (1 << bits) - 1)
    key = f"native{eof_mode}/{bits}"
    if key in prog._ir:
        return prog._ir[key]
    with _lock:
        engine = _engine()
        h = hashlib.sha256(f"{SOURCE_KEY} {_state['llvm'].llvm_version_info} {eof_mode} {bits} "
                           f"{len(ops)} {len(moff)}".encode())
        for part in (ops, moff, mcoef):
            h.update(memoryview(part).cast("B"))
        digest = h.hexdigest()[:32]
        if digest not in _state["fns"]:
            name, path = f"bf_{digest}", _cache_dir() / f"{digest}.o"
            obj = _cached(path)
            if obj is None:
                obj = _build(ops, moff, mcoef, eof_mode, bits, name)
                _store(path, obj)
            ref = _state["llvm"].ObjectFileRef.from_data(obj)
            engine.add_object_file(ref)
            engine.finalize_object()
            _state["keep"].append(ref)
            _state["fns"][digest] = _SIG(engine.get_function_address(name))
        fn = prog._ir[key] = _state["fns"][digest]
    return fn
