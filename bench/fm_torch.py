"""PyTorch peers for the FM/FFM bench, implementing fm.h's formulation (LIBFFM's):

* TorchFFM: every slot has one k-vector per field (an nn.Embedding of 2^bits rows x fields*k,
  sparse gradients), margin = b + r * sum_{i<j} <v_{i,f_j}, v_{j,f_i}> x_i x_j with r = 1/sum x^2
  (normalize) — rows here are one entry per field with value 1, so r = 1/fields.
* TorchFM: one k-vector per slot, the O(nk) pairwise identity.
* TorchLR: logistic regression on the same slots (a 1-wide embedding plus a bias).

Training: AdaGrad with initial accumulator 1 (torch.optim.Adagrad(initial_accumulator_value=1,
eps=1e-10): G += q^2, v -= eta q / sqrt(G), as LIBFFM), factors initialised uniform in
[0, 1/sqrt(k)), the L2 term lambda/2 ||v||^2 added once per pair use (LIBFFM's per-pair lambda),
the loss SUMMED over a minibatch (each example's gradient has LIBFFM's scale).

The bias and the linear weights: `linear_opt="ftrl"` (the bench's peer) trains them with
FTRL-Proximal exactly as fm.h / growth_ftrl (alpha, beta, l1, l2; L1 on the bias too) through
FTRLProximal below; `linear_opt="adagrad"` (the peer before 2026-12-06) with AdaGrad at rate
alpha, accumulator from 1, no L1/L2.

Differences from fm.h/LIBFFM that a batched torch step cannot avoid (documented in the bench):
(1) minibatches (default 32) instead of one example at a time: a slot seen in several rows of a
batch takes one step with the summed gradient (and G grows by its square, not by the sum of
squares); (2) pairs are not updated in place one after another within a row: all gradients are
taken at the row's starting parameters. Measured (bench/fmlog.py, 200k rows): batch 1 and batch
32 give the same holdout logloss to 3e-5.
"""
import math

import numpy as np


def _torch():
    import torch
    return torch


def _linear(bits):
    torch = _torch()
    lin = torch.nn.Embedding(1 << bits, 1, sparse=True)
    with torch.no_grad():
        lin.weight.zero_()
    return lin


def make_ffm(bits, fields, k, seed=0, bias=True, linear=True, init_scale=1.0):
    torch = _torch()

    class TorchFFM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(seed)
            self.m, self.k = fields, k
            self.emb = torch.nn.Embedding(1 << bits, fields * k, sparse=True)
            with torch.no_grad():
                self.emb.weight.copy_(torch.rand((1 << bits, fields * k), generator=g) * (init_scale / math.sqrt(k)))
            self.b = torch.nn.Parameter(torch.zeros(1)) if bias else None
            self.lin = _linear(bits) if linear else None
            iu = torch.triu_indices(fields, fields, 1)
            self.register_buffer("ii", iu[0])
            self.register_buffer("jj", iu[1])

        def forward(self, slots, lam=0.0):
            # slots: (B, fields) long, column f has field f, value 1
            B = slots.shape[0]
            E = self.emb(slots).view(B, self.m, self.m, self.k)  # E[b, i, f] = v_{slot_i, f}
            a = E[:, self.ii, self.jj]  # v_{i, f_j}
            c = E[:, self.jj, self.ii]  # v_{j, f_i}
            r = 1.0 / self.m
            margin = r * (a * c).sum(dim=(1, 2))
            if self.b is not None:
                margin = margin + self.b
            if self.lin is not None:
                margin = margin + self.lin(slots).sum(dim=(1, 2))
            reg = 0.5 * lam * ((a * a).sum() + (c * c).sum()) if lam else 0.0
            return margin, reg

    return TorchFFM()


def make_fm(bits, fields, k, seed=0, bias=True, linear=True):
    torch = _torch()

    class TorchFM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(seed)
            self.m, self.k = fields, k
            self.emb = torch.nn.Embedding(1 << bits, k, sparse=True)
            with torch.no_grad():
                self.emb.weight.copy_(torch.rand((1 << bits, k), generator=g) / math.sqrt(k))
            self.b = torch.nn.Parameter(torch.zeros(1)) if bias else None
            self.lin = _linear(bits) if linear else None

        def forward(self, slots, lam=0.0):
            V = self.emb(slots)  # (B, n, k)
            S = V.sum(1)
            margin = (0.5 / self.m) * (S * S - (V * V).sum(1)).sum(1)
            if self.b is not None:
                margin = margin + self.b
            if self.lin is not None:
                margin = margin + self.lin(slots).sum(dim=(1, 2))
            reg = 0.5 * lam * (V * V).sum() if lam else 0.0
            return margin, reg

    return TorchFM()


def make_lr(bits, fields):
    torch = _torch()

    class TorchLR(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = None
            self.lin = _linear(bits)
            self.b = torch.nn.Parameter(torch.zeros(1))

        def forward(self, slots, lam=0.0):
            return self.lin(slots).sum(dim=(1, 2)) + self.b, 0.0

    return TorchLR()


class FTRLProximal:
    """FTRL-Proximal (McMahan et al. 2013) on a parameter, written from ctr.h / fm.h: per
    coordinate, with gradient g and the weight w in force, s' = sqrt(s^2 + g^2),
    z += g - (s' - s) / alpha * w, s = s', and the weight w = 0 if |z| <= l1, else
    (sign(z) l1 - z) / ((beta + s) / alpha + l2). Rows of a sparse gradient (an nn.Embedding
    with sparse=True) or a dense parameter (the bias). Weights start at 0 (z = s = 0)."""

    def __init__(self, param, alpha, beta, l1, l2):
        torch = _torch()
        self.p, self.alpha, self.beta, self.l1, self.l2 = param, alpha, beta, l1, l2
        self.z = torch.zeros_like(param.data)
        self.s = torch.zeros_like(param.data)

    def zero_grad(self, set_to_none=True):
        self.p.grad = None

    def step(self):
        torch = _torch()
        g = self.p.grad
        if g is None:
            return
        with torch.no_grad():
            if g.is_sparse:
                g = g.coalesce()
                ix, gv = g.indices()[0], g.values()
            else:
                ix, gv = torch.arange(self.p.shape[0]), g
            w, s, z = self.p.data[ix], self.s[ix], self.z[ix]
            s2 = torch.sqrt(s * s + gv * gv)
            z = z + gv - (s2 - s) / self.alpha * w
            shrunk = z - torch.sign(z) * self.l1
            wn = torch.where(z.abs() <= self.l1, torch.zeros_like(z),
                             -shrunk / ((self.beta + s2) / self.alpha + self.l2))
            self.z[ix], self.s[ix], self.p.data[ix] = z, s2, wn


def train(model, slots, y, eta=0.2, lam=2e-5, alpha=0.05, batch=32, epochs=1, shuffle=True, seed=0, clock=None,
          linear_opt="adagrad", beta=1.0, l1=0.0, l2=0.0):
    """AdaGrad (accumulator from 1) on the summed logloss + lambda terms for the factors (rate
    eta); the linear weights and the bias with `linear_opt`: "ftrl" (FTRLProximal with alpha,
    beta, l1, l2: fm.h's rule) or "adagrad" (rate alpha, accumulator from 1, no L1/L2). Returns
    seconds of `clock` (default time.perf_counter; the bench passes time.thread_time for CPU
    seconds)."""
    import time
    torch = _torch()
    opts = []
    if model.emb is not None:
        opts.append(torch.optim.Adagrad([model.emb.weight], lr=eta, initial_accumulator_value=1.0, eps=1e-10))
    lin = [p for p in ((model.lin.weight if model.lin is not None else None), model.b) if p is not None]
    for p in lin:
        if linear_opt == "ftrl":
            opts.append(FTRLProximal(p, alpha, beta, l1, l2))
        elif linear_opt == "adagrad":
            opts.append(torch.optim.Adagrad([p], lr=alpha, initial_accumulator_value=1.0, eps=1e-10))
        else:
            raise ValueError("linear_opt is ftrl or adagrad")
    S = torch.from_numpy(slots.astype(np.int64))
    Y = torch.from_numpy(y.astype(np.float32))
    n = S.shape[0]
    rng = np.random.default_rng(seed)
    bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
    clock = clock or time.perf_counter
    t = clock()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(n)) if shuffle else torch.arange(n)
        for s in range(0, n, batch):
            ix = order[s:s + batch]
            margin, reg = model(S[ix], lam)
            loss = bce(margin, Y[ix]) + reg
            for o in opts:
                o.zero_grad(set_to_none=True)
            loss.backward()
            for o in opts:
                o.step()
    return clock() - t


def predict(model, slots, batch=65536):
    torch = _torch()
    S = torch.from_numpy(slots.astype(np.int64))
    out = []
    with torch.inference_mode():
        for s in range(0, S.shape[0], batch):
            out.append(torch.sigmoid(model(S[s:s + batch])[0]))
    return torch.cat(out).numpy().astype(np.float64)


def logloss(y, p):
    p = np.clip(np.asarray(p, np.float64), 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def check_generator(n=1_000_000, bits=20, batch=32, alpha=0.2):
    """The data check behind fm_bench: on fmlog's click log, one pass of the PyTorch FFM (with
    linear part) beats a PyTorch logistic regression by more than 1% holdout logloss.
    Run: /usr/bin/python3 bench/fm_torch.py [rows]."""
    import time
    import torch
    import fmlog
    torch.set_num_threads(1)
    d = fmlog.make(n, bits=bits, seed=0)
    S, y, cut = d["slots"], d["y"], int(0.8 * n)
    out = {}
    for name, model in (("lr", make_lr(bits, fmlog.FIELDS)), ("ffm", make_ffm(bits, fmlog.FIELDS, 4))):
        s = train(model, S[:cut], y[:cut], eta=0.2, lam=2e-5, alpha=alpha, batch=batch)
        t = time.perf_counter()
        p = predict(model, S[cut:])
        out[name] = (logloss(y[cut:], p), cut / s, (n - cut) / (time.perf_counter() - t))
        print(f"torch {name}: holdout logloss {out[name][0]:.4f}, train {out[name][1]:,.0f} rows/s, "
              f"predict {out[name][2]:,.0f} rows/s")
    print(f"true model {logloss(y[cut:], d['p_true'][cut:]):.4f}; ffm / lr logloss {out['ffm'][0] / out['lr'][0]:.4f}")
    assert out["ffm"][0] < 0.99 * out["lr"][0], out
    return out


if __name__ == "__main__":
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    sys.path.insert(0, os.path.join(os.path.dirname(here), "bindings", "python"))
    check_generator(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
