"""A fast BLAS from PyPI alone: scipy-openblas32's library under the standard BLAS names.

MLX's Linux CPU wheel binds ``cblas_sgemm`` and friends to a bundled reference BLAS that is ~30x
slower than OpenBLAS. A library loaded first with ``RTLD_GLOBAL`` that exports those names wins, but
no self-contained wheel exports them: ``scipy-openblas32`` (the numpy/scipy team's OpenBLAS build,
DYNAMIC_ARCH, no libgfortran needed) prefixes every symbol with ``scipy_``, and ``cmeel-openblas``
needs the system's libgfortran and raised SIGILL on this project's development CPU.

So :func:`aliased_copy` writes a copy of scipy-openblas32's library whose exported ``scipy_*`` names
lose the prefix. The names are suffixes of the old ones, so each symbol's name offset moves forward
and no string is written. The GNU hash table is keyed on the old names and ties the symbol order to
its buckets, so it is replaced in place by a SysV hash table (order-free; every ELF loader reads it)
built for the new names. Nothing else in the file changes. The copy lives in the user cache, keyed
on the source file, and is written atomically.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from pathlib import Path

from bfcore.atomic import atomic_write

PREFIX = b"scipy_"
_SHT_DYNSYM, _SHT_DYNAMIC, _SHT_HASH, _SHT_GNU_HASH = 11, 6, 5, 0x6FFFFFF6
_DT_HASH, _DT_GNU_HASH = 4, 0x6FFFFEF5


class ElfError(ValueError):
    """The library is not one this patcher understands; the caller falls back."""


def wheel_library() -> Path | None:
    """scipy-openblas32's shared library, if the package is installed (it is never imported)."""
    try:
        spec = importlib.util.find_spec("scipy_openblas32")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "lib" / "libscipy_openblas.so"
    return path if path.is_file() else None


def sysv_hash(name: bytes) -> int:
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def _sections(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """(type, offset, size, link, entsize) of every section header."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ElfError("not a little-endian 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    out = []
    for i in range(shnum):
        _, typ, _, _, off, size, link, _, _, ent = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append((typ, off, size, link, ent))
    return out


def _c_string(data: bytes, at: int) -> bytes:
    return bytes(data[at:data.index(b"\0", at)])


def strip_prefix(data: bytearray, prefix: bytes = PREFIX) -> int:
    """Rename the defined ``prefix*`` dynamic symbols in ``data`` in place; returns how many."""
    secs = _sections(data)
    dynsym = next((s for s in secs if s[0] == _SHT_DYNSYM), None)
    gnu = next((s for s in secs if s[0] == _SHT_GNU_HASH), None)
    dynamic = next((s for s in secs if s[0] == _SHT_DYNAMIC), None)
    if dynsym is None or gnu is None or dynamic is None or any(s[0] == _SHT_HASH for s in secs):
        raise ElfError("expected .dynsym, .dynamic and a GNU hash table only")
    _, sym_off, sym_size, str_index, sym_ent = dynsym
    str_off = secs[str_index][1]
    count = sym_size // sym_ent
    names, renames = [], []
    for i in range(count):
        at = sym_off + i * sym_ent
        st_name, = struct.unpack_from("<I", data, at)
        shndx, = struct.unpack_from("<H", data, at + 6)
        name = _c_string(data, str_off + st_name)
        names.append(name)
        if shndx != 0 and name.startswith(prefix) and len(name) > len(prefix):
            renames.append((i, at, st_name))
    taken = {names[i] for i in range(count)}
    renamed = 0
    for i, at, st_name in renames:
        new = names[i][len(prefix):]
        if new in taken:  # never shadow a name the library already defines
            continue
        struct.pack_into("<I", data, at, st_name + len(prefix))
        names[i] = new
        taken.add(new)
        renamed += 1
    _write_sysv_hash(data, gnu[1], gnu[2], names)
    _retag(data, dynamic[1], dynamic[2])
    _retype_section(data, _SHT_GNU_HASH, _SHT_HASH)
    return renamed


def _write_sysv_hash(data: bytearray, off: int, room: int, names: list[bytes]) -> None:
    nchain = len(names)
    nbucket = min(max(1, nchain // 2), room // 4 - 2 - nchain)
    if nbucket < 1:
        raise ElfError("no room for a SysV hash table")
    bucket, chain = [0] * nbucket, [0] * nchain
    for i in range(1, nchain):  # index 0 is the null symbol
        b = sysv_hash(names[i]) % nbucket
        chain[i], bucket[b] = bucket[b], i
    table = struct.pack(f"<II{nbucket}I{nchain}I", nbucket, nchain, *bucket, *chain)
    data[off:off + room] = table + bytes(room - len(table))


def _retag(data: bytearray, off: int, size: int) -> None:
    for at in range(off, off + size, 16):
        tag, = struct.unpack_from("<q", data, at)
        if tag == _DT_GNU_HASH:
            struct.pack_into("<q", data, at, _DT_HASH)  # same address: the table written above
            return
    raise ElfError("no DT_GNU_HASH entry in .dynamic")


def _retype_section(data: bytearray, old: int, new: int) -> None:
    # Only for tools such as readelf; the loader reads .dynamic, not section headers.
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        at = shoff + i * shentsize + 4
        if struct.unpack_from("<I", data, at)[0] == old:
            struct.pack_into("<I", data, at, new)


def _cache_dir() -> Path:
    from platformdirs import user_cache_dir  # pure Python; the tokenizer cache's root too

    return Path(user_cache_dir("bftui")) / "blas"


def aliased_copy(src: Path, cache: Path | None = None) -> Path:
    """The cached, renamed copy of ``src``, made on first use (atomically, safe to race)."""
    st = src.stat()
    key = hashlib.sha256(f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}|v1".encode()).hexdigest()
    cache = cache or _cache_dir()
    dst = cache / f"libopenblas-aliased-{key[:16]}.so"
    if dst.is_file():
        return dst
    data = bytearray(src.read_bytes())
    strip_prefix(data)
    atomic_write(dst, bytes(data), mode=0o755)
    return dst
