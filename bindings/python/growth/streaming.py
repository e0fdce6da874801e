"""Streaming training in-process: ``growth.train(model, batches)`` is ``growth train`` over an
iterator of batches (issue 22, point 5).

A notebook streams a CSV or Parquet file through pandas chunks::

    import pandas as pd, growth
    m = growth.FTRL(alpha=0.1, bits=22)
    chunks = lambda: pd.read_csv("clicks.csv", chunksize=100_000, dtype=str, keep_default_na=False)
    s = growth.train(m, chunks, passes=2, holdout_every=10, checkpoint=1_000_000,
                     model_path="clicks.model", label="label", numeric=["price"])
    print(s.logloss, s.auc, s.holdout_logloss, s.examples_per_s)

A DataFrame chunk is hashed exactly as ``growth train --format csv`` hashes the same file with the
same ``--csv-label`` / ``--csv-weight`` / ``--csv-features`` / ``--csv-numeric`` / ``--fields`` /
``--hash-seed``: a categorical cell is the feature (column, cell text)
(``growth.feature_hash(column, cell, seed, bits)`` with value 1), a numeric column is the feature
(column, "") with the number as value, an empty cell is a missing feature, the entries of a row
are in column order, and the field of a column is its position in ``fields`` (else categorical
columns first, then numeric ones, in column order). The CLI hashes a cell's text: read the file
with ``dtype=str, keep_default_na=False`` so that pandas keeps the text as it is ("007", "1.50");
other cell types are hashed as ``str(value)``.

What the loop does is the CLI's: progressive validation (each trained row is scored before the
model learns it; logloss weighted by importance, AUC from the same 65536-bin histogram),
``holdout_every=N`` scores the N-th, 2N-th ... row of every pass without training on it (VW's
holdout), ``checkpoint=N`` saves ``model_path`` (atomically) after every N trained rows, and
``model_path`` is saved at the end. Only the bindings' public calls are used.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ._arrays import to_csr
from .errors import InvalidArgument
from .features import feature_hash, feature_key
from .fm import _FMBase, _csr as _fm_csr, _stats_of as _fm_stats
from .ftrl import _FTRLBase, _stats_of as _ftrl_stats

__all__ = ["train", "hash_frame", "TrainSummary"]

AUC_BINS = 65536  # the CLI's histogram (cli/train.c)


@dataclass
class TrainSummary:
    """What :func:`train` reports (also passed to a progress callable after every batch).

    ``examples`` counts every row read (trained and held out, over all passes), ``trained`` the
    rows learned, ``held`` the held-out rows; ``logloss`` / ``auc`` are progressive validation
    over the trained rows, ``holdout_logloss`` / ``holdout_auc`` over the held-out rows (NaN
    when there are none); ``checkpoints`` is the number of checkpoint saves; ``canceled`` is True
    when a progress callable stopped the run."""
    examples: int = 0
    trained: int = 0
    held: int = 0
    passes: int = 0
    logloss: float = math.nan
    auc: float = math.nan
    holdout_logloss: float = math.nan
    holdout_auc: float = math.nan
    seconds: float = 0.0
    examples_per_s: float = 0.0
    checkpoints: int = 0
    canceled: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict (for logging or JSON)."""
        return asdict(self)


class _Acc:
    """Weighted logloss and the AUC histogram, as cli/train.c's acc_add / acc_auc."""

    def __init__(self) -> None:
        self.loss = 0.0
        self.wsum = 0.0
        self.n = 0
        self.pos = np.zeros(AUC_BINS)
        self.neg = np.zeros(AUC_BINS)

    def add(self, p: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        if p.size == 0:
            return
        p = np.asarray(p, dtype=np.float32)
        q = np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
        pos = y > 0.5
        self.loss += float(np.sum(w * np.where(pos, -np.log(q), -np.log1p(-q))))
        self.wsum += float(np.sum(w))
        self.n += p.size
        b = np.minimum((p * np.float32(AUC_BINS)).astype(np.int64), AUC_BINS - 1)
        b = np.maximum(b, 0)
        self.pos += np.bincount(b[pos], weights=w[pos], minlength=AUC_BINS)
        self.neg += np.bincount(b[~pos], weights=w[~pos], minlength=AUC_BINS)

    def logloss(self) -> float:
        return self.loss / self.wsum if self.wsum > 0 else math.nan

    def auc(self) -> float:
        P, N = self.pos.sum(), self.neg.sum()
        if P <= 0 or N <= 0:
            return math.nan
        below = np.cumsum(self.neg) - self.neg  # negatives in lower bins
        return float(np.sum(self.pos * (below + 0.5 * self.neg)) / (P * N))


# ---- DataFrame chunks -> hashed CSR, as `growth train --format csv` ------------------------------

def _label01(v: np.ndarray, name: str) -> np.ndarray:
    bad = ~((v == 1) | (v == 0) | (v == -1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidArgument(f"label {name!r}: row {i} holds {v[i]!r}, outside the logistic loss's "
                              "domain {1, 0, -1}")
    return (v == 1).astype(np.float32)


def _numbers(col: Any, name: str, what: str) -> np.ndarray:
    """A column as float64; empty cells (and NaN) are NaN."""
    import pandas as pd
    s = col.replace("", np.nan) if col.dtype == object else col
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError) as e:
        raise InvalidArgument(f"{what} column '{name}': {e}") from None


def hash_frame(df: Any, *, bits: int, seed: int = 0, label: str | None = "label", weight: str | None = None,
               features: Sequence[str] | None = None, numeric: Sequence[str] = (),
               fields: Sequence[str] | None = None, field_aware: bool = False, keys: bool = False) -> dict[str, Any]:
    """Hashes a pandas DataFrame as ``growth train --format csv`` hashes a CSV file with the same
    header: returns ``{"X": (indptr, indices, values), "y", "sample_weight", "fields"}`` (``y``
    None without a label column, ``sample_weight`` None without a weight column; ``fields``: the
    uint8 field of every entry). Columns: ``label`` (1 -> 1, 0 or -1 -> 0), ``weight`` (finite,
    >= 0), ``numeric`` (the column name's slot, the number as value), ``features`` (categorical:
    the slot of (column, cell text)); ``features=None`` makes every other column categorical.
    With ``field_aware`` (an FFM model) every feature column must be in ``fields``. With ``keys``
    (a ``table='exact'`` model) the indices are the features' full 64-bit keys (uint64,
    :func:`growth.feature_key`, whose top ``bits`` bits are the slots), as ``growth train`` feeds
    an exact model."""
    cols = [str(c) for c in df.columns]
    if len(set(cols)) != len(cols):
        raise InvalidArgument("the DataFrame has repeated column names")
    role = {c: 0 for c in cols}
    for name, r, opt in ((label, 3, "label"), (weight, 4, "weight")):
        if name is None:
            continue
        if name not in role:
            raise InvalidArgument(f"no column '{name}' ({opt}); columns: {cols}")
        role[name] = r
    for lst, r, opt in ((features or (), 1, "features"), (numeric, 2, "numeric")):
        for name in lst:
            if name not in role:
                raise InvalidArgument(f"no column '{name}' ({opt}); columns: {cols}")
            role[name] = r
    if features is None:
        for c in cols:
            if role[c] == 0:
                role[c] = 1
    n = len(df)
    # default field ids: categorical columns, then numeric ones, in column order (as the CLI)
    field_of: dict[str, int] = {}
    nxt = 0
    for r in (1, 2):
        for c in cols:
            if role[c] != r:
                continue
            f = nxt
            nxt += 1
            if fields is not None:
                if c in fields:
                    f = list(fields).index(c)
                elif field_aware:
                    raise InvalidArgument(f"column '{c}' is not in fields")
                else:
                    f = 0
            field_of[c] = f if f < 256 else 0
    slot_cols, val_cols, ok_cols, fld_cols = [], [], [], []
    for c in cols:  # the entries of a row are in column order
        r = role[c]
        if r == 1:
            import pandas as pd
            codes, uniques = pd.factorize(df[c], use_na_sentinel=True)
            text = [u if isinstance(u, str) else (u.decode() if isinstance(u, bytes) else str(u)) for u in uniques]
            slots = np.array([(feature_key(c, t, seed) if keys else feature_hash(c, t, seed, bits)) if t != "" else 0
                              for t in text] or [0], dtype=np.uint64 if keys else np.uint32)
            empty = np.array([t == "" for t in text] or [True])
            ok = codes >= 0
            ok[ok] = ~empty[codes[ok]]
            slot_cols.append(slots[np.maximum(codes, 0)])
            val_cols.append(np.ones(n, np.float32))
            ok_cols.append(ok)
        elif r == 2:
            v = _numbers(df[c], c, "numeric")
            if np.isinf(v).any() or (np.isfinite(v) & ~np.isfinite(v.astype(np.float32))).any():
                i = int(np.flatnonzero(np.isinf(v) | ~np.isfinite(np.where(np.isnan(v), 0, v).astype(np.float32)))[0])
                raise InvalidArgument(f"numeric column '{c}': row {i} holds {v[i]!r}, not a finite number")
            slot_cols.append(np.full(n, feature_key(c, "", seed) if keys else feature_hash(c, "", seed, bits),
                                     np.uint64 if keys else np.uint32))
            val_cols.append(v.astype(np.float32))
            ok_cols.append(~np.isnan(v))
        else:
            continue
        fld_cols.append(np.full(n, field_of[c], np.uint8))
    if slot_cols:
        S, V, OK, F = (np.column_stack(a) for a in (slot_cols, val_cols, ok_cols, fld_cols))
        indptr = np.zeros(n + 1, np.uint64)
        np.cumsum(OK.sum(axis=1), out=indptr[1:])
        idx, val, fld = S[OK], V[OK], F[OK]  # row-major: each row's entries in column order
    else:
        indptr = np.zeros(n + 1, np.uint64)
        idx, val, fld = np.zeros(0, np.uint64 if keys else np.uint32), np.zeros(0, np.float32), np.zeros(0, np.uint8)
    y = w = None
    if label is not None:
        lv = _numbers(df[label], label, "label")
        if np.isnan(lv).any():
            raise InvalidArgument(f"label column '{label}': row {int(np.flatnonzero(np.isnan(lv))[0])} has no label")
        y = _label01(lv, label)
    if weight is not None:
        wv = _numbers(df[weight], weight, "weight")
        bad = ~(np.isfinite(wv) & (wv >= 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidArgument(f"weight column '{weight}': row {i} holds {wv[i]!r}, not a finite number >= 0")
        w = wv.astype(np.float32)
    return {"X": (indptr, np.ascontiguousarray(idx), np.ascontiguousarray(val)), "y": y,
            "sample_weight": w, "fields": np.ascontiguousarray(fld)}


# ---- the trainer ---------------------------------------------------------------------------------

def _model_kind(model: Any) -> str:
    if isinstance(model, _FTRLBase):
        return "ftrl"
    if isinstance(model, _FMBase):
        return model._model  # "fm" or "ffm"
    raise InvalidArgument(f"growth.train trains growth.FTRL, FTRLClassifier, FM or FFM, not {type(model).__name__}")


def _is_frame(b: Any) -> bool:
    return type(b).__name__ == "DataFrame" and hasattr(b, "columns")


class _Batch:
    """One batch as CSR arrays in the model's entry order, labels, weights, fields. For a
    ``table='exact'`` model (``exact``) the indices are uint64 keys: a DataFrame's features'
    full 64-bit keys, the indices of an (X, y) batch as they are."""

    def __init__(self, b: Any, kind: str, bits: int, frame_opts: dict[str, Any], exact: bool = False) -> None:
        fields = None
        if _is_frame(b):
            d = hash_frame(b, bits=bits, field_aware=kind == "ffm", keys=exact, **frame_opts)
            if d["y"] is None:
                raise InvalidArgument("a DataFrame batch needs its label column (label=)")
            X, y, w, fields = d["X"], d["y"], d["sample_weight"], d["fields"]
        elif isinstance(b, dict):
            unknown = set(b) - {"X", "y", "sample_weight", "weight", "fields"}
            if unknown or "X" not in b or "y" not in b:
                raise InvalidArgument(f"a dict batch has keys X, y and optionally sample_weight, fields (got {sorted(b)})")
            X, y = b["X"], b["y"]
            w = b.get("sample_weight", b.get("weight"))
            fields = b.get("fields")
        elif isinstance(b, (tuple, list)) and 2 <= len(b) <= 4:
            X, y = b[0], b[1]
            w = b[2] if len(b) > 2 else None
            fields = b[3] if len(b) > 3 else None
        else:
            raise InvalidArgument("a batch is a pandas DataFrame, an (X, y[, sample_weight[, fields]]) tuple or a "
                                  f"dict with X and y (got {type(b).__name__})")
        if kind == "ftrl" and fields is not None and not _is_frame(b):
            raise InvalidArgument("an FTRL model takes no fields")
        if exact and isinstance(X, tuple):  # (indptr, keys[, values]): 64-bit keys as they are
            self.indptr, self.idx, self.val, self.n = _FTRLBase._key_rows(X)
        elif isinstance(X, tuple) or kind == "ftrl" or not hasattr(X, "tocsr"):
            self.indptr, self.idx, self.val, self.n = to_csr(X)  # FTRL sorts a scipy matrix's indices, as its calls do
        else:
            self.indptr, self.idx, self.val, self.n = _fm_csr(X)  # FM keeps the stored order (fields align)
        if kind != "ffm":
            fields = None  # as the CLI: only a field-aware model reads the fields
        elif fields is None:
            raise InvalidArgument("an FFM model needs the field of every entry (fields)")
        if exact:
            self.idx = np.ascontiguousarray(self.idx, dtype=np.uint64)
        self.fld = None if fields is None else np.ascontiguousarray(fields, dtype=np.uint8)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or y.shape[0] != self.n:
            raise InvalidArgument(f"y must be 1-D with one label per row ({self.n}), got shape {y.shape}")
        self.y = _label01(y, "y")  # 1 -> 1, 0 or -1 -> 0, as the CLI reads labels
        self.w = None if w is None else np.ascontiguousarray(w, dtype=np.float32)
        if self.w is not None and self.w.shape != (self.n,):
            raise InvalidArgument(f"sample_weight must have one entry per row ({self.n}), got shape {self.w.shape}")

    def rows(self, a: int, e: int) -> tuple[Any, Any, Any, Any]:
        """(X, y, w, fields) of rows [a, e) as a CSR tuple."""
        lo, hi = int(self.indptr[a]), int(self.indptr[e])
        X = (self.indptr[a:e + 1] - np.uint64(lo), self.idx[lo:hi], None if self.val is None else self.val[lo:hi])
        return (X, self.y[a:e], None if self.w is None else self.w[a:e],
                None if self.fld is None else self.fld[lo:hi])


def _bar(s: TrainSummary, total: int | None) -> str:
    line = f"growth train: {s.examples} examples"
    if total:
        frac = min(1.0, s.examples / total)
        k = int(round(frac * 30))
        line = f"[{'#' * k}{'.' * (30 - k)}] {100 * frac:5.1f}% " + line + f"/{total}"
    line += f", {s.examples_per_s:.0f} examples/s, progressive logloss {s.logloss:.6f} AUC {s.auc:.5f}"
    if s.held:
        line += f", holdout logloss {s.holdout_logloss:.6f} AUC {s.holdout_auc:.5f} ({s.held})"
    return line


def train(model: Any, batches: Iterable[Any] | Callable[[], Iterable[Any]], *, passes: int = 1,
          holdout_every: int = 0, checkpoint: int = 0, model_path: str | None = None,
          progress: bool | Callable[[TrainSummary], Any] = True, progress_interval: float = 1.0,
          total: int | None = None, label: str | None = "label", weight: str | None = None,
          features: Sequence[str] | None = None, numeric: Sequence[str] = (),
          fields: Sequence[str] | None = None, hash_seed: int = 0) -> TrainSummary:
    """Trains ``model`` (:class:`growth.FTRL`, :class:`growth.FTRLClassifier`, :class:`growth.FM`
    or :class:`growth.FFM`, one head; created from its parameters if not fitted yet, continued
    otherwise) on a stream of batches in order, as ``growth train`` does on a file.

    ``batches`` is an iterable of batches, or a callable returning a fresh iterable (needed for
    ``passes > 1`` unless the iterable can be iterated again, e.g. a list). A batch is a pandas
    DataFrame (hashed by :func:`hash_frame` with ``label``, ``weight``, ``features``,
    ``numeric``, ``fields`` and ``hash_seed`` at the model's ``bits``: the slots of
    ``growth train --format csv``; for a ``table='exact'`` model the features' full 64-bit keys,
    as the CLI feeds it), an ``(X, y[, sample_weight[, fields]])`` tuple or a dict
    with those keys (X: scipy.sparse, a CSR tuple or a dense 2-D array; y: 0/1; fields: the
    field of every entry, for FFM; for a ``table='exact'`` model the indices are its keys, and a
    CSR tuple may carry uint64 keys).

    ``holdout_every=N`` (N >= 2) holds out the N-th, 2N-th ... row of every pass (scored, never
    trained on); ``checkpoint=N`` saves the model to ``model_path`` atomically after every N
    trained rows; ``model_path`` is also saved at the end. ``progress=True`` writes a progress
    line (with a bar when ``total`` rows per pass are given) to stderr at most every
    ``progress_interval`` seconds and at the end; a callable is called with the
    :class:`TrainSummary` so far after every batch, and a true return value stops the run
    (``canceled``: the model keeps what it learnt). Returns the :class:`TrainSummary`."""
    kind = _model_kind(model)
    passes, holdout_every, checkpoint = int(passes), int(holdout_every), int(checkpoint)
    if passes < 1:
        raise InvalidArgument(f"passes={passes}: at least 1")
    if holdout_every < 0 or holdout_every == 1:
        raise InvalidArgument(f"holdout_every={holdout_every}: 0 (none) or at least 2")
    if checkpoint < 0:
        raise InvalidArgument(f"checkpoint={checkpoint}: 0 (none) or a number of rows")
    if checkpoint and model_path is None:
        raise InvalidArgument("checkpoint needs model_path")
    if not (callable(progress) or isinstance(progress, bool) or progress is None):
        raise InvalidArgument("progress is True, False or a callable")
    if callable(batches) and not hasattr(batches, "__iter__"):
        source = batches
    else:
        if passes > 1 and iter(batches) is batches:
            raise InvalidArgument("passes > 1 needs batches that can be iterated again (a list) or a callable "
                                  "returning a fresh iterable")
        source = (lambda: batches)
    model._ensure()  # the C model, created from the parameters on the first call
    h = model._handle()
    st = _ftrl_stats(h) if kind == "ftrl" else _fm_stats(h)
    if int(st.heads) != 1:
        raise InvalidArgument(f"growth.train trains a one-head model; this one has {int(st.heads)} heads")
    if kind == "ftrl" and getattr(model, "classes_", None) is None and hasattr(model, "_two_classes"):
        model.classes_ = np.array([0, 1])  # an FTRLClassifier learns 0/1 labels here
    bits = int(st.bits)
    # as `growth train`: an exact model is fed the features' full 64-bit keys (key calls)
    exact = "table=exact" in model.config.split()
    del h
    frame_opts = dict(seed=int(hash_seed), label=label, weight=weight, features=features, numeric=numeric,
                      fields=fields)
    prog, hold = _Acc(), _Acc()
    s = TrainSummary()
    t0 = time.perf_counter()
    last_print = [t0]
    text = progress is True
    total = None if total is None else int(total) * passes  # rows per pass -> rows of the run

    def snapshot() -> TrainSummary:
        s.seconds = time.perf_counter() - t0
        s.examples_per_s = s.examples / s.seconds if s.seconds > 0 else 0.0
        s.logloss, s.auc = prog.logloss(), prog.auc()
        s.holdout_logloss, s.holdout_auc = hold.logloss(), hold.auc()
        return s

    def fit_rows(B: _Batch, a: int, e: int) -> None:
        X, y, w, f = B.rows(a, e)
        if exact:
            p = model.update_keys(X, y, sample_weight=w) if kind == "ftrl" else \
                model.update_keys(X, y, fields=f, sample_weight=w)
        else:
            p = model.predict_update(X, y, sample_weight=w) if kind == "ftrl" else \
                model.predict_update(X, y, f, sample_weight=w)
        prog.add(np.asarray(p, np.float32).reshape(-1), y, np.ones(e - a, np.float32) if w is None else w)

    def hold_row(B: _Batch, r: int) -> None:
        X, y, w, f = B.rows(r, r + 1)
        if exact:
            p = model.predict_keys(X) if kind == "ftrl" else model.predict_keys(X, fields=f)
        else:
            p = model.predict_proba(X) if kind == "ftrl" else model.predict_proba(X, f)
        p = np.asarray(p, np.float32).reshape(-1)[-1:]  # FTRLClassifier: (1, 2)
        hold.add(p, y, np.ones(1, np.float32) if w is None else w)

    try:
        for ps in range(passes):
            pos = 0  # position in the pass, 1-based like the CLI's
            for raw in source():
                B = _Batch(raw, kind, bits, frame_opts, exact)
                r = 0
                while r < B.n:
                    if holdout_every and (pos + r + 1) % holdout_every == 0:
                        hold_row(B, r)
                        s.held += 1
                        r += 1
                        continue
                    e = B.n if not holdout_every else min(B.n, r + holdout_every - 1 - (pos + r) % holdout_every)
                    if checkpoint:
                        e = min(e, r + checkpoint - s.trained % checkpoint)
                    fit_rows(B, r, e)
                    s.trained += e - r
                    r = e
                    if checkpoint and s.trained % checkpoint == 0:
                        model.save(model_path)
                        s.checkpoints += 1
                pos += B.n
                s.examples += B.n
                if callable(progress):
                    if progress(snapshot()):
                        s.canceled = True
                        return snapshot()
                elif text and time.perf_counter() - last_print[0] >= progress_interval:
                    last_print[0] = time.perf_counter()
                    print("\r" + _bar(snapshot(), total), end="", file=sys.stderr, flush=True)
            s.passes = ps + 1
        if model_path is not None:
            model.save(model_path)
        return snapshot()
    finally:
        if text:
            print("\r" + _bar(snapshot(), total), file=sys.stderr, flush=True)
