"""Trains a DSSM on a toy query-item click log with in-batch softmax and exports it for libgrowth.

    /usr/bin/python3 -m growth.contrib.dssm_train --out toy.dssm [--quick]

The click log: products of a few categories with English and Chinese titles; a query (one or two
keywords of a category, sometimes misspelt) clicks a product of its category. Training
(Huang et al. 2013, with the in-batch negatives of later two-tower recall systems): each batch
of (query, clicked item) pairs scores every query against every item of the batch,
logits = cos(q, i) / temperature, and the loss is the cross-entropy of picking the clicked one.
The exported file serves with growth.DSSM.load(path).encode_queries(...) / .encode_items(...).
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .._types import ArrayLike

if TYPE_CHECKING:
    from .torch_nets import DSSMModel

CATEGORIES = {
    "running shoes": ["running", "shoes", "sneakers", "trainers", "jogging", "跑步鞋", "运动鞋"],
    "wireless earbuds": ["wireless", "earbuds", "bluetooth", "headphones", "noise", "耳机", "蓝牙"],
    "coffee beans": ["coffee", "beans", "espresso", "arabica", "roast", "咖啡", "咖啡豆"],
    "yoga mat": ["yoga", "mat", "fitness", "pilates", "exercise", "瑜伽垫", "健身"],
    "phone case": ["phone", "case", "cover", "iphone", "protective", "手机壳", "保护套"],
    "green tea": ["green", "tea", "matcha", "organic", "leaf", "绿茶", "茶叶"],
    "backpack": ["backpack", "bag", "travel", "laptop", "hiking", "背包", "书包"],
    "lipstick": ["lipstick", "matte", "makeup", "lip", "gloss", "口红", "唇膏"],
}
BRANDS = ["acme", "nova", "zenith", "orbit", "pico", "lumen", "星光", "小米"]
COLORS = ["red", "blue", "black", "white", "pink", "green", "黑色", "白色"]


def make_click_log(n_clicks: int = 4000, items_per_category: int = 30,
                   seed: int = 0) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(items, item_category, queries, clicked_item) of a synthetic click log."""
    rng = np.random.default_rng(seed)
    cats = list(CATEGORIES)
    items, item_cat = [], []
    for c, name in enumerate(cats):
        words = CATEGORIES[name]
        for _ in range(items_per_category):
            kw = rng.choice(words, size=3, replace=False)
            items.append(f"{rng.choice(BRANDS)} {' '.join(kw)} {rng.choice(COLORS)}")
            item_cat.append(c)
    item_cat = np.array(item_cat)
    queries, clicked = [], []
    for _ in range(n_clicks):
        c = int(rng.integers(len(cats)))
        words = CATEGORIES[cats[c]]
        q = " ".join(rng.choice(words, size=int(rng.integers(1, 3)), replace=False))
        if rng.random() < 0.2 and q.isascii() and len(q) > 4:  # a typo: letter trigrams still match
            k = int(rng.integers(1, len(q) - 1))
            q = q[:k] + q[k + 1:]
        queries.append(q)
        clicked.append(int(rng.choice(np.flatnonzero(item_cat == c))))
    return items, item_cat, queries, np.array(clicked)


def train(queries: Sequence[str], item_texts: Sequence[str], buckets: int = 30000,
          dims: Sequence[int] = (300, 300, 128), epochs: int = 3, batch: int = 128, lr: float = 2e-3,
          temperature: float = 0.05, seed: int = 0,
          log: Callable[[str], Any] | None = None) -> DSSMModel:
    """Trains growth.contrib.torch_nets.DSSMModel on (query, clicked item text) pairs; returns it."""
    import torch
    import torch.nn.functional as F

    from .torch_nets import DSSMModel
    torch.manual_seed(seed)
    model = DSSMModel(buckets, dims, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(queries)
    rng = np.random.default_rng(seed)
    for ep in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for s in range(0, n - batch + 1, batch):
            sel = order[s:s + batch]
            q = model.encode([queries[i] for i in sel], "query")
            it = model.encode([item_texts[i] for i in sel], "item")
            loss = F.cross_entropy(q @ it.T / temperature, torch.arange(len(sel)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(sel)
        if log:
            log(f"epoch {ep + 1}: in-batch softmax loss {total / max(n - n % batch, 1):.4f}")
    return model.eval()


def top1_category_accuracy(encode_queries: Callable[[Sequence[str]], Any],
                           encode_items: Callable[[Sequence[str]], Any], queries: Sequence[str],
                           query_cat: ArrayLike, items: Sequence[str], item_cat: np.ndarray) -> float:
    """Share of queries whose most similar item is of the query's category."""
    Q, I = encode_queries(queries), encode_items(items)
    best = np.argmax(np.asarray(Q) @ np.asarray(I).T, axis=1)
    return float(np.mean(item_cat[best] == query_cat))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: trains on the toy click log, exports, compares torch and libgrowth."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="toy.dssm")
    ap.add_argument("--quick", action="store_true", help="small towers (4096 -> 64 -> 32)")
    ap.add_argument("--epochs", type=int, default=3)
    a = ap.parse_args(argv)
    import torch

    import growth
    from growth.export import export_torch
    items, item_cat, queries, clicked = make_click_log(seed=0)
    buckets, dims = (4096, (64, 32)) if a.quick else (30000, (300, 300, 128))
    model = train(queries, [items[i] for i in clicked], buckets, dims, a.epochs, log=print)
    tq, _, tqs, tclick = make_click_log(n_clicks=500, seed=1)
    tcat = item_cat[tclick]
    with torch.no_grad():
        acc_t = top1_category_accuracy(lambda t: model.encode(t, "query").numpy(),
                                       lambda t: model.encode(t, "item").numpy(), tqs, tcat, items, item_cat)
    export_torch(model, a.out)
    with growth.DSSM.load(a.out) as d:
        acc_g = top1_category_accuracy(d.encode_queries, d.encode_items, tqs, tcat, items, item_cat)
        print(f"{a.out}: {d.config}")
    print(f"top-1 category accuracy on held-out queries: torch {acc_t:.3f}, libgrowth {acc_g:.3f} "
          f"(chance {1 / len(CATEGORIES):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
