"""Writes libgrowth `net` and `dssm` model files from PyTorch modules or numpy arrays.

``export_torch(module, path)`` accepts
  * an ``nn.Sequential`` of ``nn.Linear``, ``nn.ReLU``, ``nn.Tanh``, ``nn.Sigmoid``,
    ``nn.Identity`` and ``nn.Dropout`` (dropped: identity at inference) -> a ``net`` file;
  * a Wide&Deep module with the attributes of ``growth.contrib.torch_nets.WideDeep`` (``dense_dim``,
    ``embeddings`` (``nn.EmbeddingBag`` per field, mode sum or mean), ``deep`` (Sequential),
    optional ``wide`` (``nn.EmbeddingBag`` mode sum) and ``wide_bias``, ``output``) -> ``net``;
  * a two-tower module with ``query_tower`` and ``item_tower`` (each a
    ``growth.contrib.torch_nets.Tower``, or an ``nn.Sequential`` starting with ``nn.Linear(buckets, h)``),
    ``buckets`` and ``seed`` (the word hashing of ``growth.nets.hash_text``) -> a ``dssm`` file.

``write_net`` / ``write_dssm`` do the same from numpy arrays, without torch. The payload is the
protobuf message of ``src/proto/net.proto``, written by hand here, inside the 40-byte envelope
of docs/model-files.md. torch is imported only when a torch module is exported.
"""
from __future__ import annotations

import os
import struct
import tempfile
import time
from typing import Any, Sequence

import numpy as np

from .common import hash64, version
from ._types import ArrayLike, PathLike

MAGIC = b"\x89GRW\r\n\x1a\n"
ENVELOPE_SEED = 0x67726F7774682E31
FORMAT_VERSION = 1
KIND_NET, KIND_DSSM = 4, 5
ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")


# ---- protobuf wire format ------------------------------------------------------------------
def _varint(n):
    out = bytearray()
    n = int(n)
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len(field, payload):
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _uint(field, n):
    return _varint(field << 3) + _varint(n) if n else b""


def _str(field, s):
    return _len(field, s.encode("utf-8")) if s else b""


def _floats(field, a):
    a = np.ascontiguousarray(a, dtype="<f4").ravel()
    return _len(field, a.tobytes()) if a.size else b""


def _meta(config):
    return _str(1, version()) + _str(2, config) + _uint(3, int(time.time()))


def envelope(kind: int, payload: bytes) -> bytes:
    """The 40-byte header + payload of a libgrowth model file."""
    head = MAGIC + struct.pack("<IIQQ", FORMAT_VERSION, kind, len(payload), hash64(payload, ENVELOPE_SEED))
    return head + struct.pack("<Q", hash64(head, ENVELOPE_SEED)) + payload


def _write_atomic(path, data):
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp.", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---- layers ----------------------------------------------------------------------------------
def _norm_layers(layers, in_dim):
    """[("dense", W (out x in), b) | "relu" | ("tanh",) ...] -> (encoded list, description, width)."""
    enc, desc, w = [], [], in_dim
    for k, l in enumerate(layers):
        if isinstance(l, str):
            l = (l,)
        kind = l[0]
        if kind == "dense":
            W = np.asarray(l[1], dtype=np.float32)
            b = np.zeros(W.shape[0], np.float32) if len(l) < 3 or l[2] is None else np.asarray(l[2], np.float32)
            if W.ndim != 2 or b.shape != (W.shape[0],):
                raise ValueError(f"layer {k}: dense weight must be (out, in) with bias (out,)")
            if w is not None and W.shape[1] != w:
                raise ValueError(f"layer {k}: dense layer takes {W.shape[1]} inputs but receives {w}")
            w = W.shape[0]
            enc.append(_str(1, "dense") + _uint(2, W.shape[1]) + _uint(3, W.shape[0]) + _floats(4, W) + _floats(5, b))
            desc.append(f"dense:{W.shape[1]}x{W.shape[0]}")
        elif kind in ACTIVATIONS:
            enc.append(_str(1, kind))
            desc.append(kind)
        else:
            raise ValueError(f"layer {k}: unknown layer type '{kind}'")
    return enc, ",".join(desc), w


def net_bytes(layers: Sequence[Any], dense_dim: int, embeddings: Sequence[tuple[ArrayLike, str]] = (),
              wide: tuple | None = None, output: str = "identity") -> bytes:
    """Model-file bytes of a net (see write_net)."""
    body, emb_desc, in0 = b"", [], dense_dim
    for rows_w, pooling in embeddings:
        E = np.asarray(rows_w, dtype=np.float32)
        if pooling not in ("sum", "mean"):
            raise ValueError(f"embedding pooling must be 'sum' or 'mean', not '{pooling}'")
        body += _len(3, _uint(1, E.shape[0]) + _uint(2, E.shape[1]) + _str(3, pooling) + _floats(4, E))
        emb_desc.append(f"{E.shape[0]}x{E.shape[1]}:{pooling}")
        in0 += E.shape[1]
    enc, ldesc, out_dim = _norm_layers(layers, in0)
    for e in enc:
        body += _len(4, e)
    wdesc = ""
    if wide is not None:
        Ww = np.asarray(wide[0], dtype=np.float32)
        bw = None if len(wide) < 2 or wide[1] is None else np.asarray(wide[1], np.float32)
        body += _len(5, _uint(1, Ww.shape[0]) + _uint(2, Ww.shape[1]) + _floats(3, Ww)
                     + (b"" if bw is None else _floats(4, bw)))
        wdesc = f"{Ww.shape[0]}x{Ww.shape[1]}"
    body += _str(6, output)
    config = (f"dense_dim={dense_dim} embeddings={','.join(emb_desc)} layers={ldesc} wide={wdesc} "
              f"output={output}")
    payload = _len(1, _meta(config)) + _uint(2, dense_dim) + body
    return envelope(KIND_NET, payload)


def write_net(path: PathLike, layers: Sequence[Any], dense_dim: int,
              embeddings: Sequence[tuple[ArrayLike, str]] = (), wide: tuple | None = None,
              output: str = "identity") -> None:
    """Writes a `net` file from numpy arrays.

    layers: ``("dense", W, b)`` with W of shape (out, in) like ``nn.Linear.weight``, or an
    activation name. embeddings: ``(E, "sum"|"mean")`` per categorical field, E (rows, dim).
    wide: ``(W, b)`` with W (slots, out_dim), b (out_dim,) or None. output: activation after the
    wide part is added.
    """
    _write_atomic(path, net_bytes(layers, dense_dim, embeddings, wide, output))


def dssm_bytes(query_layers: Sequence[Any], item_layers: Sequence[Any], buckets: int,
               seed: int = 0) -> bytes:
    """Model-file bytes of a DSSM (see write_dssm)."""
    q, qd, qo = _norm_layers(query_layers, buckets)
    it, idesc, io = _norm_layers(item_layers, buckets)
    if qo != io:
        raise ValueError(f"query tower gives {qo} dimensions, item tower {io}")
    config = f"buckets={buckets} seed={seed} query={qd} item={idesc}"
    payload = _len(1, _meta(config)) + _uint(2, buckets) + _uint(3, seed)
    payload += b"".join(_len(4, e) for e in q) + b"".join(_len(5, e) for e in it)
    return envelope(KIND_DSSM, payload)


def write_dssm(path: PathLike, query_layers: Sequence[Any], item_layers: Sequence[Any], buckets: int,
               seed: int = 0) -> None:
    """Writes a `dssm` file: towers as for write_net; each starts with ("dense", W (h, buckets), b)."""
    _write_atomic(path, dssm_bytes(query_layers, item_layers, buckets, seed))


# ---- PyTorch ---------------------------------------------------------------------------------
def _np(t):
    return t.detach().cpu().to(dtype=__import__("torch").float32).numpy()


def torch_layers(seq: Any) -> list[Any]:
    """Layer list of write_net from an nn.Sequential (nested Sequentials are flattened)."""
    import torch.nn as nn
    out = []
    for m in seq.children() if isinstance(seq, nn.Sequential) else [seq]:
        if isinstance(m, nn.Sequential):
            out += torch_layers(m)
        elif isinstance(m, nn.Linear):
            out.append(("dense", _np(m.weight), None if m.bias is None else _np(m.bias)))
        elif hasattr(m, "bag") and hasattr(m, "bias") and isinstance(m.bag, nn.EmbeddingBag):
            out.append(("dense", _np(m.bag.weight).T, _np(m.bias)))  # growth.contrib.torch_nets.HashedLinear
        elif isinstance(m, nn.ReLU):
            out.append("relu")
        elif isinstance(m, nn.Tanh):
            out.append("tanh")
        elif isinstance(m, nn.Sigmoid):
            out.append("sigmoid")
        elif isinstance(m, (nn.Identity, nn.Dropout)):
            continue
        else:
            raise ValueError(f"export_torch: unsupported layer type {type(m).__name__}")
    return out


def _tower_layers(t):
    import torch.nn as nn
    if isinstance(t, nn.Sequential):
        return torch_layers(t)
    return torch_layers(t.first) + torch_layers(t.rest)


def export_torch(module: Any, path: PathLike) -> str:
    """Exports a PyTorch module (see the module docstring) to `path`; returns the kind written."""
    import torch.nn as nn
    if hasattr(module, "query_tower") and hasattr(module, "item_tower"):
        write_dssm(path, _tower_layers(module.query_tower), _tower_layers(module.item_tower),
                   int(module.buckets), int(getattr(module, "seed", 0)))
        return "dssm"
    if isinstance(module, nn.Sequential):
        first = next((m for m in module.modules() if isinstance(m, nn.Linear)), None)
        if first is None:
            raise ValueError("export_torch: the Sequential has no nn.Linear layer")
        write_net(path, torch_layers(module), first.in_features)
        return "net"
    if hasattr(module, "deep"):
        embs = []
        for e in getattr(module, "embeddings", []) or []:
            if e.mode not in ("sum", "mean"):
                raise ValueError(f"export_torch: EmbeddingBag mode '{e.mode}' is not sum or mean")
            embs.append((_np(e.weight), e.mode))
        wide = None
        if getattr(module, "wide", None) is not None:
            b = getattr(module, "wide_bias", None)
            wide = (_np(module.wide.weight), None if b is None else _np(b))
        write_net(path, torch_layers(module.deep), int(module.dense_dim), embs, wide,
                  getattr(module, "output", "identity"))
        return "net"
    raise ValueError(f"export_torch: cannot export a {type(module).__name__} (see growth.export)")
