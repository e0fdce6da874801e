"""Text recall bench: BM25 indexing and query throughput of growth.TextIndex on a synthetic
e-commerce catalog (mixed Chinese / Latin titles, 1M documents; 100k with --quick), index memory,
exhaustive scoring against block-max pruning (search=wand: MaxScore) for 1-, 2-, 3-, 5- and 8-term
queries (queries/s and an identical-results check), hybrid fusion, save/load; peer: a scipy.sparse BM25 (precomputed term weights, query = column sum,
argpartition top-k) on a subset, the same tokens, one thread."""
import os
import re
import tempfile
import time

import numpy as np

import growth
from growth import text as gtext

_CJK = "红色蓝色黑色白色女装男装连衣裙衬衫外套夏季冬季新款正品包邮手机壳耳机数码运动鞋休闲裤牛仔儿童家居厨房收纳美妆护肤零食茶叶"


def make_catalog(n, seed=0):
    rng = np.random.default_rng(seed)
    chars = np.array(list(dict.fromkeys(_CJK)))
    n_cjk_words, n_latin = 3000, 20000
    cjk_words = ["".join(rng.choice(chars, size=rng.integers(2, 5))) for _ in range(n_cjk_words)]
    latin = [f"b{i}x" if i % 3 == 0 else f"m{i}" for i in range(n_latin)]
    zc = np.minimum(rng.zipf(1.3, size=(n, 3)) - 1, n_cjk_words - 1)
    zl = np.minimum(rng.zipf(1.2, size=(n, 5)) - 1, n_latin - 1)
    nl = rng.integers(1, 6, size=n)
    texts = []
    for i in range(n):
        c = zc[i]
        head = cjk_words[c[0]] + cjk_words[c[1]] + " " + cjk_words[c[2]]
        texts.append(head + " " + " ".join(latin[j] for j in zl[i, :nl[i]]))
    return texts, cjk_words, latin


def make_queries(nq, cjk_words, latin, seed=1):
    rng = np.random.default_rng(seed)
    qs = []
    for i in range(nq):
        c = cjk_words[min(rng.zipf(1.5) - 1, len(cjk_words) - 1)]
        l = latin[min(rng.zipf(1.5) - 1, len(latin) - 1)]
        qs.append([c, c + " " + l, l][i % 3])
    return qs


_TOK = re.compile(r"[0-9A-Za-z]+|[\u4e00-\u9fff]+")


def _peer_tokens(t):
    out = []
    for m in _TOK.findall(t):
        if "\u4e00" <= m[0] <= "\u9fff":
            out.extend(m[i:i + 2] for i in range(len(m) - 1)) if len(m) > 1 else out.append(m)
        else:
            out.append(m.lower())
    return out


def peer_index(texts, k1=1.2, b=0.75):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer
    cv = CountVectorizer(analyzer=_peer_tokens)
    tf = cv.fit_transform(texts).tocsr().astype(np.float64)
    dl = np.asarray(tf.sum(axis=1)).ravel()
    avgdl = dl.mean()
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    N = tf.shape[0]
    idf = np.log(1 + (N - df + 0.5) / (df + 0.5))
    rows = np.repeat(np.arange(N), np.diff(tf.indptr))
    K = k1 * (1 - b + b * dl[rows] / avgdl)
    w = tf.data * (k1 + 1) / (tf.data + K) * idf[tf.indices]
    W = sp.csc_matrix((w, tf.indices, tf.indptr), shape=tf.shape[::-1]).T.tocsc()  # docs x terms, CSC
    return cv.vocabulary_, W


def peer_search(vocab, W, q, k):
    cols = [vocab[t] for t in dict.fromkeys(_peer_tokens(q)) if t in vocab]
    if not cols:
        return np.empty(0, dtype=np.int64), np.empty(0)
    s = np.asarray(W[:, cols].sum(axis=1)).ravel()
    nz = np.flatnonzero(s)
    if nz.size > k:
        nz = nz[np.argpartition(-s[nz], k - 1)[:k]]
    nz = nz[np.lexsort((nz, -s[nz]))]
    return nz, s[nz]


def make_term_queries(nq, nterms, cjk_words, latin, seed=2):
    """Queries of exactly `nterms` distinct tokens: Latin words and two-character CJK words (one
    bigram each), drawn with Zipf weights like the titles (frequent "stop-like" and rare terms)."""
    rng = np.random.default_rng(seed + nterms)
    cjk2 = [w for w in cjk_words if len(w) == 2] or cjk_words
    qs = []
    for _ in range(nq):
        words = []
        while len(words) < nterms:
            if rng.random() < 0.4:
                w = cjk2[min(rng.zipf(1.3) - 1, len(cjk2) - 1)]
            else:
                w = latin[min(rng.zipf(1.2) - 1, len(latin) - 1)]
            if w not in words:
                words.append(w)
        qs.append(" ".join(words))
    return qs


def bm25_modes(ix, cjk_words, latin, budget, nq=200, report=None):
    """Exhaustive scoring (every posting of every query term) against block-max pruning on the same
    index: queries/s for 1-, 2-, 3-, 5- and 8-term queries, and whether both give identical top-k."""
    out = {}
    for nterms in (1, 2, 3, 5, 8):
        qs = make_term_queries(nq, nterms, cjk_words, latin)
        same = 0
        for q in qs:
            r = {}
            for mode in ("exhaustive", "wand"):
                ix.set(search=mode)
                r[mode] = [ix.search(q, k) for k in (10, 100)]
            same += all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                        for a, b in zip(r["exhaustive"], r["wand"]))
        qps = {}
        for mode in ("exhaustive", "wand"):
            ix.set(search=mode)
            qps[mode] = _qps(lambda q: ix.search(q, 10), qs, budget)
        ix.set(search="wand")
        print(f"  bm25 {nterms}-term k=10  exhaustive {qps['exhaustive']:8.0f} q/s  wand {qps['wand']:8.0f} q/s  "
              f"speed-up {qps['wand'] / qps['exhaustive']:5.1f}x  (identical top-10/top-100 on {same}/{nq})")
        out[nterms] = dict(exhaustive_qps=qps["exhaustive"], wand_qps=qps["wand"], identical=same / nq)
    return out


def _qps(fn, queries, budget_s):
    t0, n = time.perf_counter(), 0
    while True:
        for q in queries:
            fn(q)
            n += 1
        if time.perf_counter() - t0 > budget_s:
            break
    return n / (time.perf_counter() - t0)


def run(quick=False, report=None):
    n = 100_000 if quick else 1_000_000
    n_peer = 50_000 if quick else 200_000
    t = time.perf_counter()
    texts, cjk_words, latin = make_catalog(n)
    t_gen = time.perf_counter() - t
    ids = np.arange(n, dtype=np.int64)
    print(f"text: synthetic catalog n = {n} titles (mixed Chinese/Latin, ~{np.mean([len(x) for x in texts[:10000]]):.0f} "
          f"chars), generated in {t_gen:.1f}s, 1 thread")

    ix = growth.TextIndex()
    enc = [x.encode() for x in texts]
    mb = sum(len(x) for x in enc) / 1e6
    t = time.perf_counter()
    for s in range(0, n, 100_000):
        ix.add(ids[s:s + 100_000], enc[s:s + 100_000])
    t_idx = time.perf_counter() - t
    docs, terms, postings = ix.counts()
    print(f"  index    ours {t_idx:7.2f} s  {n / t_idx / 1e3:8.0f} k docs/s  {mb / t_idx:6.1f} MB/s  "
          f"({terms} terms, {postings} postings)")
    mem, pbytes = ix.memory_bytes, ix.posting_bytes
    print(f"  memory   {mem / 1e6:.1f} MB in all ({mem / n:.0f} B/doc); postings {pbytes / 1e6:.1f} MB compressed "
          f"({pbytes / postings:.2f} B/posting with block headers; uncompressed (doc, tf) pairs: 8 B)")

    queries = make_queries(300, cjk_words, latin)
    budget = 1.0 if quick else 3.0
    res = {}
    for k in (10, 100):
        res[k] = _qps(lambda q: ix.search(q, k), queries, budget)
        print(f"  search   ours k={k:<4d} {res[k]:9.0f} queries/s  ({1e6 / res[k]:.0f} us/query)")
    modes = bm25_modes(ix, cjk_words, latin, budget / 2)
    rng = np.random.default_rng(3)
    vec_ids = rng.choice(n, size=200, replace=False)
    vec_sc = np.sort(rng.random(200).astype(np.float32))[::-1]
    q_h = _qps(lambda q: growth.hybrid_search(ix, q, vec_ids, vec_sc, k=50), queries, budget)
    print(f"  hybrid   ours (BM25 top-100 + 200 vector candidates, RRF, k=50) {q_h:9.0f} queries/s")
    feats = rng.normal(size=(2000, 32)).astype(np.float32)
    w = rng.normal(size=32).astype(np.float32)
    q_p = _qps(lambda q: gtext.prerank(feats, w, 0.0, 200), [0] * 50, budget / 2)
    print(f"  prerank  ours 2000 candidates x 32 features -> 200: {1e6 / q_p:.0f} us/call")

    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "catalog.tix")
        t = time.perf_counter()
        ix.save(p)
        t_save = time.perf_counter() - t
        size = os.path.getsize(p)
        t = time.perf_counter()
        ix2 = growth.TextIndex.load(p)
        t_load = time.perf_counter() - t
        assert list(ix2.search(queries[0], 10)[0]) == list(ix.search(queries[0], 10)[0])
        ix2.close()
    print(f"  save {t_save:.2f} s, load {t_load:.2f} s, file {size / 1e6:.0f} MB")
    t = time.perf_counter()
    ix.delete(ids[: n // 10])
    t_del = time.perf_counter() - t
    print(f"  delete 10% of documents: {t_del:.2f} s")
    ix.close()

    # peer on a subset: scipy.sparse BM25 with the same tokens
    sub, sub_ids = texts[:n_peer], ids[:n_peer]
    t = time.perf_counter()
    vocab, W = peer_index(sub)
    t_pidx = time.perf_counter() - t
    ixs = growth.TextIndex()
    t = time.perf_counter()
    ixs.add(sub_ids, [x.encode() for x in sub])
    t_oidx = time.perf_counter() - t
    agree = 0
    for q in queries[:50]:
        a = ixs.search(q, 10)[1]
        bb = peer_search(vocab, W, q, 10)[1]
        agree += len(a) == len(bb) and np.allclose(a, bb, rtol=1e-4)
    q_ours = _qps(lambda q: ixs.search(q, 10), queries, budget)
    q_peer = _qps(lambda q: peer_search(vocab, W, q, 10), queries[:100], budget)
    print(f"  subset n = {n_peer}: index ours {t_oidx:6.2f} s  peer(sklearn+scipy) {t_pidx:6.2f} s  ratio {t_pidx / t_oidx:5.1f}x")
    print(f"                    search k=10 ours {q_ours:8.0f} q/s  peer {q_peer:8.0f} q/s  ratio {q_ours / q_peer:5.1f}x "
          f"(top-10 scores equal on {agree}/50 queries)")
    ixs.close()
    if report is not None:
        report["text"] = dict(docs=n, terms=terms, postings=postings, threads=1, index_s=t_idx,
                              index_docs_per_s=n / t_idx, index_mb_per_s=mb / t_idx,
                              search_qps_k10=res[10], search_qps_k100=res[100], hybrid_qps=q_h,
                              prerank_us=1e6 / q_p, save_s=t_save, load_s=t_load, file_bytes=size,
                              delete_10pct_s=t_del, peer_docs=n_peer, peer_index_s=t_pidx,
                              ours_subset_index_s=t_oidx, peer_qps=q_peer, ours_subset_qps=q_ours,
                              top10_scores_equal=agree / 50, memory_bytes=mem, posting_bytes=pbytes,
                              bm25_modes=modes)


if __name__ == "__main__":
    import sys
    run(quick="--quick" in sys.argv)
