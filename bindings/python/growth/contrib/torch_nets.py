"""PyTorch reference modules whose weights growth.export writes and libgrowth serves exactly:
Wide&Deep, the hashed first layer of a DSSM tower, and the DSSM two-tower model. Needs torch."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .._types import ArrayLike
from ..nets import hash_texts

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(sizes: Sequence[int], act: str = "relu", last: str | None = None) -> nn.Sequential:
    """nn.Sequential of Linear layers with `act` between them and `last` after the last one."""
    mods = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1]))
        a = act if k < len(sizes) - 2 else last
        if a:
            mods.append(_ACT[a]())
    return nn.Sequential(*mods)


class WideDeep(nn.Module):
    """output(deep(concat(x, pooled embeddings)) + wide(sparse) + wide_bias).

    forward(x, cats, wide): cats is one (ids, offsets) pair per field (EmbeddingBag input); wide is
    (idx, offsets, values or None) or None."""

    def __init__(self, dense_dim: int, fields: Sequence[tuple[int, int, str]] = (), hidden: Sequence[int] = (64,),
                 out_dim: int = 1, wide_rows: int = 0, output: str = "sigmoid") -> None:
        super().__init__()
        self.dense_dim, self.output = dense_dim, output
        self.embeddings = nn.ModuleList(nn.EmbeddingBag(r, d, mode=p) for r, d, p in fields)
        in0 = dense_dim + sum(d for _, d, _ in fields)
        self.deep = mlp([in0, *hidden, out_dim])
        self.wide = nn.EmbeddingBag(wide_rows, out_dim, mode="sum") if wide_rows else None
        self.wide_bias = nn.Parameter(torch.zeros(out_dim)) if wide_rows else None

    def forward(self, x: torch.Tensor, cats: Sequence[tuple[torch.Tensor, torch.Tensor]] = (),
                wide: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None = None) -> torch.Tensor:
        """The outputs of a batch (see the class docstring for the inputs)."""
        parts = [x] + [e(ids, off) for e, (ids, off) in zip(self.embeddings, cats)]
        y = self.deep(torch.cat(parts, 1))
        if self.wide is not None:
            if wide is not None:
                idx, off, val = wide
                y = y + self.wide(idx, off, per_sample_weights=val)
            y = y + self.wide_bias
        return y if self.output == "identity" else getattr(torch, self.output)(y)


class HashedLinear(nn.Module):
    """nn.Linear(buckets, out) over word-hashed sparse counts (an EmbeddingBag of the transposed
    weight plus a bias): the first layer of a DSSM tower."""

    def __init__(self, buckets: int, out: int) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(buckets, out, mode="sum")
        self.bias = nn.Parameter(torch.zeros(out))
        bound = 1.0 / math.sqrt(64)  # fan-in of a typical text: ~64 active n-grams
        nn.init.uniform_(self.bag.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, idx: torch.Tensor, offsets: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """Linear layer over the CSR rows (idx, offsets, counts) of word-hashed texts."""
        return self.bag(idx, offsets, per_sample_weights=counts) + self.bias


class Tower(nn.Module):
    """buckets -> dims[0] -> ... -> dims[-1], tanh after every layer (Huang et al. 2013)."""

    def __init__(self, buckets: int, dims: Sequence[int]) -> None:
        super().__init__()
        self.first = HashedLinear(buckets, dims[0])
        mods = [nn.Tanh()]
        for a, b in zip(dims[:-1], dims[1:]):
            mods += [nn.Linear(a, b), nn.Tanh()]
        self.rest = nn.Sequential(*mods)

    def forward(self, idx: torch.Tensor, offsets: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """The tower's output for the CSR rows (idx, offsets, counts) of word-hashed texts."""
        return self.rest(self.first(idx, offsets, counts))


class DSSMModel(nn.Module):
    """Query and item towers over growth's word hashing; encode() gives L2-normalised vectors."""

    def __init__(self, buckets: int = 30000, dims: Sequence[int] = (300, 300, 128), seed: int = 0) -> None:
        super().__init__()
        self.buckets, self.seed = int(buckets), int(seed)
        self.query_tower = Tower(buckets, dims)
        self.item_tower = Tower(buckets, dims)

    def features(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The word-hashed features of texts as EmbeddingBag input (idx, offsets, counts)."""
        indptr, idx, val = hash_texts(texts, self.buckets, self.seed)
        return torch.from_numpy(idx), torch.from_numpy(indptr[:-1].copy()), torch.from_numpy(val)

    def encode(self, texts: Sequence[str], tower: str = "query") -> torch.Tensor:
        """L2-normalised embeddings of texts by the query or item tower."""
        t = self.query_tower if tower == "query" else self.item_tower
        return F.normalize(t(*self.features(texts)), dim=1)


def to_bags(indptr: ArrayLike, ids: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """CSR (indptr, ids) -> EmbeddingBag (ids int64, offsets int64) tensors."""
    indptr = np.asarray(indptr, np.int64)
    return torch.from_numpy(np.asarray(ids, np.int64).copy()), torch.from_numpy(indptr[:-1].copy())
