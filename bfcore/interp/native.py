"""The native tier: a program's IR compiled to machine code with llvmlite, for long runs.

``bfcore.interp.fast`` runs a program's IR in plain Python first, then under numba: one executor that
dispatches on each op. Here each op of the same IR becomes straight LLVM code instead, with its
constants in the instructions, the pointer and counters in registers, multiply/copy and clear
loops as closed forms, ``[>]`` / ``[<]`` as ``memchr`` / ``memrchr``, and LLVM's optimiser over
the whole program. It is used only for runs that need no exactness it cannot give cheaply: no
step or output limit and a tape that does not wrap, which is ``bftui run``'s default.

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


def llvm_ir(ops, moff, mcoef, eof_mode: int, bits: int = 8) -> str:
    """The LLVM IR of one program: ``i64 @bf(tape, st, out, inp, n_in, cap, tape_len, budget)``.
    ``st`` is the executor's state (ip, ptr, steps, output length, input position); cells are
    ``bits`` wide."""
    C = f"i{bits}"  # the cell type
    end = len(ops) // W
    lines: list[str] = []
    emit = lines.append
    tmp = iter(range(1 << 62))

    def t() -> str:
        return f"%t{next(tmp)}"

    def load(name: str) -> str:
        v = t()
        emit(f"  {v} = load i64, ptr %{name}")
        return v

    def store(name: str, value: str) -> None:
        emit(f"  store i64 {value}, ptr %{name}")

    def add_steps(n) -> None:
        s = load("steps")
        s2 = t()
        emit(f"  {s2} = add i64 {s}, {n}")
        store("steps", s2)

    def cell_at(p: str) -> str:
        g = t()
        emit(f"  {g} = getelementptr {C}, ptr %tape, i64 {p}")
        return g

    def leave(ip: int, code: int) -> None:
        emit(f"  store i64 {ip}, ptr %st")
        emit(f"  br label %save{code}")

    def in_tape(lo: str, hi: str, yes: str, no: str) -> None:
        """Branch to ``yes`` when 0 <= lo and hi < tape_len."""
        a, b, c = t(), t(), t()
        emit(f"  {a} = icmp sge i64 {lo}, 0")
        emit(f"  {b} = icmp slt i64 {hi}, %tlen")
        emit(f"  {c} = and i1 {a}, {b}")
        emit(f"  br i1 {c}, label %{yes}, label %{no}")

    def adds(p: str, start: int, count: int, times: str | None) -> None:
        for k in range(start, start + count):
            q = t()
            emit(f"  {q} = add i64 {p}, {moff[k]}")
            g = cell_at(q)
            v, v2 = t(), t()
            emit(f"  {v} = load {C}, ptr {g}")
            if times is None:
                emit(f"  {v2} = add {C} {v}, {mcoef[k]}")
            else:
                m = t()
                emit(f"  {m} = mul {C} {times}, {mcoef[k]}")
                emit(f"  {v2} = add {C} {v}, {m}")
            emit(f"  store {C} {v2}, ptr {g}")

    entries = sorted({0} | {i for i in range(end) if _op(ops, i)[0] in (OUT, JNZ)})
    emit("declare ptr @memchr(ptr, i32, i64)")
    emit("declare ptr @memrchr(ptr, i32, i64)")
    emit("define i64 @bf(ptr noalias %tape, ptr noalias %st, ptr noalias %out, ptr noalias %inp, "
         "i64 %n_in, i64 %cap, i64 %tlen, i64 %budget0) {")
    emit("entry:")
    for k, name in enumerate(("ip0", "ptr", "steps", "olen", "inpos")):
        emit(f"  %{name} = alloca i64")
        g = t()
        emit(f"  {g} = getelementptr i64, ptr %st, i64 {k}")
        v = t()
        emit(f"  {v} = load i64, ptr {g}")
        emit(f"  store i64 {v}, ptr %{name}")
    emit("  %budget = alloca i64")
    emit("  store i64 %budget0, ptr %budget")
    ip = t()
    emit(f"  {ip} = load i64, ptr %ip0")
    emit(f"  switch i64 {ip}, label %op{end} [" +
         " ".join(f"i64 {e}, label %op{e}" for e in entries) + "]")
    for i in range(end):
        op, a, b, c, d, e, f, g, _raw = _op(ops, i)
        emit(f"op{i}:")
        if op == ADD:
            p = load("ptr")
            cell = cell_at(p)
            v, v2 = t(), t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {v2} = add {C} {v}, {a}")
            emit(f"  store {C} {v2}, ptr {cell}")
            add_steps(b)
            emit(f"  br label %op{i + 1}")
        elif op == MOVE:
            p = load("ptr")
            q = t()
            emit(f"  {q} = add i64 {p}, {a}")
            in_tape(q, q, f"mv{i}", f"bail{i}")
            emit(f"mv{i}:")
            store("ptr", q)
            add_steps(b)
            emit(f"  br label %op{i + 1}")
        elif op == BLOCK:
            p = load("ptr")
            lo, hi = t(), t()
            emit(f"  {lo} = add i64 {p}, {f}")
            emit(f"  {hi} = add i64 {p}, {g}")
            in_tape(lo, hi, f"blk{i}", f"op{i + 1}")
            emit(f"blk{i}:")
            adds(p, d, e, None)
            q = t()
            emit(f"  {q} = add i64 {p}, {a}")
            store("ptr", q)
            add_steps(b)
            emit(f"  br label %op{c}")
        elif op in (CLR, MUL, SCAN):
            p = load("ptr")
            cell = cell_at(p)
            v, z = t(), t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {z} = icmp eq {C} {v}, 0")
            emit(f"  br i1 {z}, label %skip{i}, label %run{i}")
            emit(f"skip{i}:")
            add_steps(1)
            emit(f"  br label %op{c}")
            emit(f"run{i}:")
            if op == SCAN:
                _scan(emit, t, i, a, b, c, p, cell, add_steps, store, in_tape, C)
                continue
            k8 = t()
            emit(f"  {k8} = mul {C} {v}, {a}")
            if op == MUL:
                lo, hi = t(), t()
                emit(f"  {lo} = add i64 {p}, {f}")
                emit(f"  {hi} = add i64 {p}, {g}")
                in_tape(lo, hi, f"mul{i}", f"op{i + 1}")
                emit(f"mul{i}:")
                adds(p, d, e, k8)
            emit(f"  store {C} 0, ptr {cell}")
            k, cost = t(), t()
            emit(f"  {k} = zext {C} {k8} to i64")
            emit(f"  {cost} = mul i64 {k}, {b}")
            add_steps(cost)
            add_steps(1)
            emit(f"  br label %op{c}")
        elif op in (JZ, JNZ):
            if op == JNZ:
                n, n2, z = t(), t(), t()
                emit(f"  {n} = load i64, ptr %budget")
                emit(f"  {n2} = sub i64 {n}, 1")
                emit(f"  store i64 {n2}, ptr %budget")
                emit(f"  {z} = icmp sle i64 {n2}, 0")
                emit(f"  br i1 {z}, label %pause{i}, label %jmp{i}")
                emit(f"pause{i}:")
                leave(i, BUDGET)
                emit(f"jmp{i}:")
            p = load("ptr")
            cell = cell_at(p)
            v, z = t(), t()
            emit(f"  {v} = load {C}, ptr {cell}")
            emit(f"  {z} = icmp {'eq' if op == JZ else 'ne'} {C} {v}, 0")
            add_steps(1)
            emit(f"  br i1 {z}, label %op{a}, label %op{i + 1}")
        elif op == OUT:
            n, full = load("olen"), t()
            emit(f"  {full} = icmp sge i64 {n}, %cap")
            emit(f"  br i1 {full}, label %full{i}, label %put{i}")
            emit(f"full{i}:")
            leave(i, OUT_FULL)
            emit(f"put{i}:")
            p = load("ptr")
            v = t()
            emit(f"  {v} = load {C}, ptr {cell_at(p)}")
            if bits != 8:  # '.' writes the low byte
                v8 = t()
                emit(f"  {v8} = trunc {C} {v} to i8")
                v = v8
            o, n2 = t(), t()
            emit(f"  {o} = getelementptr i8, ptr %out, i64 {n}")
            emit(f"  store i8 {v}, ptr {o}")
            emit(f"  {n2} = add i64 {n}, 1")
            store("olen", n2)
            add_steps(1)
            emit(f"  br label %op{i + 1}")
        elif op == IN:
            n, has = load("inpos"), t()
            p = load("ptr")
            cell = cell_at(p)
            emit(f"  {has} = icmp slt i64 {n}, %n_in")
            emit(f"  br i1 {has}, label %rd{i}, label %eof{i}")
            emit(f"rd{i}:")
            src, v, n2 = t(), t(), t()
            emit(f"  {src} = getelementptr i8, ptr %inp, i64 {n}")
            emit(f"  {v} = load i8, ptr {src}")
            if bits != 8:
                vc = t()
                emit(f"  {vc} = zext i8 {v} to {C}")
                v = vc
            emit(f"  store {C} {v}, ptr {cell}")
            emit(f"  {n2} = add i64 {n}, 1")
            store("inpos", n2)
            emit(f"  br label %in{i}")
            emit(f"eof{i}:")
            if eof_mode in (0, 1):  # 0: store 0, 1: store 255, 2: leave the cell
                emit(f"  store {C} {0 if eof_mode == 0 else -1}, ptr {cell}")
            emit(f"  br label %in{i}")
            emit(f"in{i}:")
            add_steps(1)
            emit(f"  br label %op{i + 1}")
        else:
            raise ValueError(f"op {op} at {i} has no native form")
        if op == MOVE:
            emit(f"bail{i}:")
            leave(i, BAIL)
    emit(f"op{end}:")
    leave(end, DONE)
    for code in (DONE, OUT_FULL, BUDGET, BAIL):
        emit(f"save{code}:")
        for k, name in ((1, "ptr"), (2, "steps"), (3, "olen"), (4, "inpos")):
            v, g = t(), t()
            emit(f"  {v} = load i64, ptr %{name}")
            emit(f"  {g} = getelementptr i64, ptr %st, i64 {k}")
            emit(f"  store i64 {v}, ptr {g}")
        emit(f"  ret i64 {code}")
    emit("}")
    return "\n".join(lines) + "\n"


def _scan(emit, t, i, step, cost, skip, p, cell, add_steps, store, in_tape, C="i8") -> None:
    """``[>]`` / ``[<]`` (and longer strides): the next 0 cell; the plain loop if none is found
    before the tape's end (it then stops with the exact error)."""
    if step in (1, -1) and C == "i8":  # memchr finds bytes
        if step == 1:
            left, hit = t(), t()
            emit(f"  {left} = sub i64 %tlen, {p}")
            emit(f"  {hit} = call ptr @memchr(ptr {cell}, i32 0, i64 {left})")
        else:
            n, hit = t(), t()
            emit(f"  {n} = add i64 {p}, 1")
            emit(f"  {hit} = call ptr @memrchr(ptr %tape, i32 0, i64 {n})")
        none, q, k = t(), t(), t()
        emit(f"  {none} = icmp eq ptr {hit}, null")
        emit(f"  br i1 {none}, label %op{i + 1}, label %found{i}")
        emit(f"found{i}:")
        emit(f"  {q} = ptrtoint ptr {hit} to i64")
        base = t()
        emit(f"  {base} = ptrtoint ptr %tape to i64")
        q2 = t()
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
        in_tape(q2, q2, f"sn{i}", f"op{i + 1}")
        emit(f"sn{i}:")
        g, v, z = t(), t(), t()
        emit(f"  {g} = getelementptr {C}, ptr %tape, i64 {q2}")
        emit(f"  {v} = load {C}, ptr {g}")
        emit(f"  {z} = icmp eq {C} {v}, 0")
        emit(f"  br i1 {z}, label %found{i}, label %sl{i}")
        emit(f"found{i}:")
        d = t()
        emit(f"  {d} = sub i64 {q2}, {p}")
        dist = t()
        emit(f"  {dist} = sdiv i64 {d}, {step}")
        q = q2
    store("ptr", q)
    c = t()
    emit(f"  {c} = mul i64 {dist}, {cost}")
    add_steps(c)
    add_steps(1)
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
