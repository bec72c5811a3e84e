"""Compiling and reading FINN cppsim programs of bnnforge nodes without Vitis.

A node's program (FINN's docompute template filled by hls_backend) includes ap_int.h,
hls_stream.h and one bnf_*.h template. Parsing those headers is most of a compile (about 1.5 s
of 2 per node at -O1, and a network has tens of nodes), so every program is compiled with a
precompiled header of exactly those headers (g++ -include; built once per header contents
and compiler flags), and a compiled program is kept by the hash of everything it is built
from (the same cache as `bnnforge csim`: BNNFORGE_CACHE, else ~/.cache/bnnforge), so
unchanged nodes are not compiled again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np

from bnnforge.generator.emit.hls import AP_INT_MAX_W_DEFINE, ap_types_dir, hls_dir
from bnnforge.quant.errors import BnnforgeError

FLAGS = ("-std=c++14", "-O1", "-w")
PCH_NAME = "bnf_finn_pch.h"
_PCH_LOCK = threading.Lock()


def _gxx() -> str:
    gxx = shutil.which("g++")
    if gxx is None:
        raise BnnforgeError("g++ not found; `make setup` installs it (see `bnnforge doctor`)")
    return gxx


def _cache_root() -> Path:
    from bnnforge.sim.project_csim import cache_root  # the one cache location of compiled simulations

    return cache_root() / "finn_cppsim"


def _pch_text() -> str:
    headers = "".join(f'#include "{h.name}"\n' for h in sorted(hls_dir().glob("bnf_*.h")))
    return (f"// bnnforge: precompiled header of FINN cppsim programs\n{AP_INT_MAX_W_DEFINE}"
            f"#include <ap_int.h>\n#include <hls_stream.h>\n#include <fstream>\n#include <string>\n{headers}")


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little") + p)
    return h.hexdigest()[:20]


def _headers_digest() -> bytes:
    return b"".join(h.name.encode() + h.read_bytes() for h in sorted(hls_dir().glob("*.h")))


def precompiled_header() -> Path:
    """The header to -include (its .gch beside it), built on first use."""
    gxx = _gxx()
    text = _pch_text()
    key = _digest(text.encode(), _headers_digest(), " ".join(FLAGS).encode(), gxx.encode(), str(ap_types_dir()).encode())
    header = _cache_root() / f"pch-{key}" / PCH_NAME
    gch = header.with_name(PCH_NAME + ".gch")
    with _PCH_LOCK:
        if gch.is_file():
            return header
        header.parent.mkdir(parents=True, exist_ok=True)
        header.write_text(text)
        tmp = header.with_name(f"{PCH_NAME}.{os.getpid()}.gch")
        run = subprocess.run([gxx, *FLAGS, f"-I{ap_types_dir()}", f"-I{hls_dir()}", "-x", "c++-header", str(header),
                              "-o", str(tmp)], capture_output=True, text=True)
        if run.returncode:
            raise BnnforgeError(f"the precompiled header of hw/hls does not compile:\n{run.stderr[-2000:]}")
        tmp.replace(gch)  # appears whole: other processes may be using the cache
    return header


def compile_program(source: Path, exe: Path) -> Path:
    """Compile a node's cppsim program (its directory holds params.h and the headers it
    includes) to `exe`; returns `exe`."""
    source, exe = Path(source), Path(exe)
    pch = precompiled_header()
    files = sorted(p for p in source.parent.iterdir() if p.suffix in (".h", ".cpp") and p.is_file())
    key = _digest(*(p.name.encode() + p.read_bytes() for p in files), str(pch).encode(), source.name.encode())
    cached = _cache_root() / "programs" / key / "node_model"
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"node_model.{os.getpid()}.{threading.get_ident()}")
        # -include: the precompiled header is used in place of its text; the program's own
        # includes of the same headers are then empty (include guards)
        cmd = [_gxx(), *FLAGS, "-include", str(pch), f"-I{source.parent}", f"-I{ap_types_dir()}", str(source),
               "-o", str(tmp)]
        run = subprocess.run(cmd, cwd=source.parent, capture_output=True, text=True)
        if run.returncode:
            raise BnnforgeError(f"cppsim program {source} does not compile:\n{run.stderr[-3000:]}")
        tmp.replace(cached)
    if exe.exists() or exe.is_symlink():
        exe.unlink()
    shutil.copyfile(cached, exe)
    exe.chmod(0o755)
    return exe


def unpack_words(words: list[int], elems: int, bits: int, signed: bool) -> np.ndarray:
    """[len(words) * elems] element values of stream words (element i at bits [i*bits,
    (i+1)*bits), two's complement when signed): the inverse of ports.pack_words."""
    nbytes = max(1, (elems * bits + 7) // 8)
    raw = np.frombuffer(b"".join(w.to_bytes(nbytes, "little") for w in words), dtype=np.uint8)
    bitrows = np.unpackbits(raw.reshape(len(words), nbytes), axis=1, bitorder="little")[:, :elems * bits]
    values = (bitrows.reshape(len(words), elems, bits).astype(np.int64) << np.arange(bits, dtype=np.int64)).sum(-1)
    if signed:
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return values.reshape(-1)
