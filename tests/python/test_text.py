"""growth.TextIndex / hybrid_search / fuse / prerank against references written here: an
independent tokenizer and the BM25 formula, brute-force top-K, hand-computed fusion, numpy."""
import math
import pickle

import numpy as np
import pytest

import growth
from growth import text as gtext


# ---- reference tokenizer (the rules documented in text.h) --------------------------------
def _cls(ch):
    c = ord(ch)
    if c < 0x80:
        return "w" if ch.isascii() and ch.isalnum() else "s"
    if (c in (0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0xFEFF) or 0x2000 <= c <= 0x200A
            or 0x3000 <= c <= 0x303F or 0xFF00 <= c <= 0xFF0F or 0xFF1A <= c <= 0xFF20
            or 0xFF3B <= c <= 0xFF40 or 0xFF5B <= c <= 0xFF65):
        return "s"
    if (0x3040 <= c <= 0x30FF or 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF or 0xAC00 <= c <= 0xD7AF
            or 0xF900 <= c <= 0xFAFF or 0x20000 <= c <= 0x2FFFF):
        return "c"
    return "w"


def ref_tokens(text, ngram=2, lowercase=True):
    out, i = [], 0
    while i < len(text):
        kind = _cls(text[i])
        j = i
        while j < len(text) and _cls(text[j]) == kind:
            j += 1
        run = text[i:j]
        if kind == "w":
            out.append("".join(ch.lower() if ch.isascii() else ch for ch in run) if lowercase else run)
        elif kind == "c":
            if len(run) < ngram:
                out.append(run)
            else:
                out.extend(run[p:p + ngram] for p in range(len(run) - ngram + 1))
        i = j
    return out


def ref_bm25(docs, query, k1=1.2, b=0.75, ngram=2):
    """docs: {id: text} -> {id: score} by the direct formula."""
    toks = {i: ref_tokens(t, ngram) for i, t in docs.items()}
    N = len(toks)
    avgdl = sum(len(t) for t in toks.values()) / N
    q = list(dict.fromkeys(ref_tokens(query, ngram)))
    out = {}
    for i, t in toks.items():
        s = 0.0
        for term in q:
            tf = t.count(term)
            if not tf:
                continue
            df = sum(term in u for u in toks.values())
            idf = math.log(1 + (N - df + 0.5) / (df + 0.5))
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(t) / avgdl))
        out[i] = s
    return out


CORPUS = {
    1: "Red summer DRESS, red!",
    2: "blue dress",
    3: "红色连衣裙 夏季新款",
    4: "iPhone15手机壳 包邮",
    5: "连衣裙，red",
    6: "鞋",
    7: "summer sale: shoes & dress (new)",
    8: "手机【正品】",
    9: "Café crème brûlée",
    10: "女士 夏季 连衣裙 雪纺 连衣裙",
}
QUERIES = ["red dress", "连衣裙", "手机壳", "鞋 summer", "RED red", "夏季连衣裙", "crème", "雪纺 red", "nothing"]


def test_tokenizer_reference_sanity():
    assert ref_tokens("iPhone15手机壳 包邮") == ["iphone15", "手机", "机壳", "包邮"]
    assert ref_tokens("鞋") == ["鞋"]


@pytest.mark.parametrize("k1,b,ngram", [(1.2, 0.75, 2), (2.0, 0.3, 2), (0.9, 1.0, 3), (1.2, 0.5, 1)])
def test_bm25_equals_direct_formula(k1, b, ngram):
    ix = growth.TextIndex(k1=k1, b=b, ngram=ngram)
    ix.add(list(CORPUS), list(CORPUS.values()))
    assert len(ix) == len(CORPUS)
    ids = np.array(list(CORPUS))
    for q in QUERIES:
        ref = ref_bm25(CORPUS, q, k1, b, ngram)
        got = ix.score(q, ids)
        np.testing.assert_allclose(got, [ref[i] for i in ids], rtol=1e-5, atol=1e-6)
        r_ids, r_sc = ix.search(q, k=len(CORPUS))
        expect = sorted(((s, i) for i, s in ref.items() if s > 0), key=lambda p: (-p[0], p[1]))
        assert len(r_ids) == len(expect)
        np.testing.assert_allclose(r_sc, [s for s, _ in expect], rtol=1e-5)
        assert list(r_ids) == [i for _, i in expect]


def _random_corpus(n, seed):
    rng = np.random.default_rng(seed)
    vocab = ["手机", "连衣", "衣裙", "夏季", "红色", "包邮", "正品", "女装"] + [f"w{i}" for i in range(52)]
    docs = {}
    for i in range(n):
        words = rng.choice(len(vocab), size=rng.integers(1, 12), p=None)
        docs[int(i * 5 + 1)] = " ".join(vocab[w] for w in words)
    return docs, vocab


def _brute(docs, q, k, keep=lambda i: True):
    ref = ref_bm25(docs, q)
    hits = sorted(((s, i) for i, s in ref.items() if s > 0 and keep(i)), key=lambda p: (-p[0], p[1]))
    return hits[:k]


def test_topk_equals_brute_force_with_filters():
    docs, vocab = _random_corpus(800, 1)
    ix = growth.TextIndex()
    ix.add(list(docs), list(docs.values()))
    rng = np.random.default_rng(2)
    allow = np.array([i for i in docs if i % 3 == 0])
    bitmap = np.zeros(5000, dtype=bool)
    bitmap[::2] = True
    for t in range(25):
        q = " ".join(rng.choice(vocab, size=rng.integers(1, 4), replace=False))
        k = [1, 7, 50][t % 3]
        for kw, keep in [({}, lambda i: True),
                         ({"allow": allow}, lambda i: i % 3 == 0),
                         ({"bitmap": bitmap}, lambda i: i < 5000 and i % 2 == 0),
                         ({"keep": lambda i: i > 2000}, lambda i: i > 2000)]:
            ids, sc = ix.search(q, k, **kw)
            exp = _brute(docs, q, k, keep)
            assert len(ids) == len(exp)
            np.testing.assert_allclose(sc, [s for s, _ in exp], rtol=1e-4)
            # ids agree except within ties
            for r, (s, i) in enumerate(exp):
                tied = sum(abs(s - s2) < 1e-6 * max(1, s) for s2, _ in exp) > 1
                if not tied:
                    assert ids[r] == i


def test_wand_equals_exhaustive_and_brute_force():
    """search='wand' (the default) against search='exhaustive' (identical ids and scores, ties
    included) and against the brute-force reference, before and after removals and a reload."""
    rng = np.random.default_rng(11)
    vocab = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, 401) ** 1.1
    p /= p.sum()
    docs = {int(i): " ".join(rng.choice(vocab, size=rng.integers(1, 15), p=p)) for i in rng.permutation(1200)}
    ix = growth.TextIndex(search="exhaustive")
    assert "search=exhaustive" in ix.config
    ix.add(list(docs), list(docs.values()))
    assert 0 < ix.posting_bytes < ix.memory_bytes

    def compare(index, live, n_queries):
        for t in range(n_queries):
            q = " ".join(rng.choice(vocab[:40] if t % 2 else vocab, size=rng.integers(1, 13)))
            k = [1, 5, 20, 5000][t % 4]
            index.set(search="exhaustive")
            a = index.search(q, k)
            index.set(search="wand")
            b = index.search(q, k)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), q
            exp = _brute(live, q, k, lambda i: True)
            assert len(b[0]) == len(exp)
            np.testing.assert_allclose(b[1], [s for s, _ in exp], rtol=1e-4)

    compare(ix, docs, 16)
    gone = [i for i in docs if i % 4 == 1]
    ix.delete(gone)
    live = {i: t for i, t in docs.items() if i % 4 != 1}
    compare(ix, live, 8)
    ix2 = growth.TextIndex.from_bytes(ix.to_bytes())
    compare(ix2, live, 8)
    with pytest.raises(growth.InvalidArgument):
        ix.set(search="maxscore")


def test_incremental_add_delete_equals_fresh():
    docs, vocab = _random_corpus(600, 3)
    ix = growth.TextIndex()
    keys = list(docs)
    for s in range(0, len(keys), 150):
        ix.add(keys[s:s + 150], [docs[i] for i in keys[s:s + 150]])
    rng = np.random.default_rng(4)
    gone = rng.choice(keys, size=250, replace=False)
    ix.delete(gone[:100])
    ix.delete(gone[100:])
    remaining = {i: t for i, t in docs.items() if i not in set(gone.tolist())}
    remaining[99999] = "w1 手机 brand-new"
    ix.add([99999], ["w1 手机 brand-new"])
    fresh = growth.TextIndex()
    fresh.add(list(remaining), list(remaining.values()))
    assert ix.counts()[:2] == fresh.counts()[:2]
    for q in ["w1", "手机 w2", "连衣裙", "w3 w4 w5", "brand", "夏季 w10"]:
        a, b = ix.search(q, 40), fresh.search(q, 40)
        assert list(a[0]) == list(b[0])
        np.testing.assert_array_equal(a[1], b[1])
        exp = _brute(remaining, q, 40)
        np.testing.assert_allclose(a[1], [s for s, _ in exp], rtol=1e-5)
    ix.compact()
    assert ix.counts() == fresh.counts()


def test_save_load_bytes_pickle_and_bad_files(tmp_path):
    ix = growth.TextIndex(k1=1.4, b=0.6)
    ix.add(list(CORPUS), list(CORPUS.values()))
    ix.delete([2])
    p = tmp_path / "items.tix"
    ix.save(p)
    assert growth.model_kind(str(p))[0] not in ("unknown", "")
    ix2 = growth.TextIndex.load(p)
    ix3 = growth.TextIndex.from_bytes(ix.to_bytes())
    ix4 = pickle.loads(pickle.dumps(ix))
    assert ix2.config == ix.config and "k1=1.4" in ix.config
    for q in QUERIES:
        r = ix.search(q, 10)
        for other in (ix2, ix3, ix4):
            o = other.search(q, 10)
            assert list(o[0]) == list(r[0])
            np.testing.assert_array_equal(o[1], r[1])
    data = bytearray(p.read_bytes())
    (tmp_path / "cut.tix").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(growth.FormatError):
        growth.TextIndex.load(tmp_path / "cut.tix")
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(growth.FormatError):
        growth.TextIndex.from_bytes(bytes(data))
    m = growth.FTRL(bits=4).partial_fit(np.eye(4), [0, 1, 0, 1])
    m.save(tmp_path / "ftrl.model")
    with pytest.raises(growth.FormatError, match="ftrl"):
        growth.TextIndex.load(tmp_path / "ftrl.model")
    with pytest.raises(growth.IOFailure):
        growth.TextIndex.load(tmp_path / "missing.tix")


def _ref_rrf(lists, k, weights=None, rrf_k=60):
    acc = {}
    for li, ids in enumerate(lists):
        w = 1.0 if weights is None else weights[li]
        seen = set()
        for r, i in enumerate(ids):
            if i in seen:
                continue
            seen.add(i)
            acc[i] = acc.get(i, 0.0) + w / (rrf_k + r + 1)
    return sorted(acc.items(), key=lambda p: (-p[1], p[0]))[:k]


def test_fuse_against_hand_computation():
    a = ([1, 2, 3, 2], [9.0, 5.0, 1.0, 0.5])
    b = ([3, 4, 1], [0.9, 0.8, 0.05])
    ids, sc = gtext.fuse([a, b], k=10)
    exp = _ref_rrf([a[0], b[0]], 10)
    assert list(ids) == [i for i, _ in exp]
    np.testing.assert_allclose(sc, [s for _, s in exp], rtol=1e-6)
    ids, sc = gtext.fuse([a, b], k=2, weights=[1, 2], rrf_k=1)
    assert list(ids) == [3, 1]
    np.testing.assert_allclose(sc, [1.25, 1.0], rtol=1e-6)
    ids, sc = gtext.fuse([a, b], k=10, method="weighted", weights=[1, 2])
    assert list(ids) == [3, 4, 1, 2]
    np.testing.assert_allclose(sc, [0.5 / 8.5 + 2, 2 * 0.75 / 0.85, 1.0, 4.5 / 8.5], rtol=1e-5)
    with pytest.raises(growth.InvalidArgument, match="method"):
        gtext.fuse([a, b], k=3, method="borda")
    with pytest.raises(growth.InvalidArgument):
        gtext.fuse([(a[0], None), b], k=3, method="weighted")


def test_hybrid_search_equals_search_then_fuse():
    docs, vocab = _random_corpus(500, 5)
    ix = growth.TextIndex()
    ix.add(list(docs), list(docs.values()))
    rng = np.random.default_rng(6)
    vec_ids = rng.choice(list(docs), size=50, replace=False)
    vec_sc = np.sort(rng.random(50).astype(np.float32))[::-1]
    q = "手机 w3"
    t_ids, t_sc = ix.search(q, 100)
    for method in ("rrf", "weighted"):
        ids, sc = growth.hybrid_search(ix, q, vec_ids, vec_sc, k=20, method=method, weights=[0.7, 0.3])
        e_ids, e_sc = gtext.fuse([(t_ids, t_sc), (vec_ids, vec_sc)], 20, method=method, weights=[0.7, 0.3])
        assert list(ids) == list(e_ids)
        np.testing.assert_array_equal(sc, e_sc)
        assert len(set(ids.tolist())) == len(ids)
    ids, _ = growth.hybrid_search(ix, q, vec_ids, None, k=20)
    exp = _ref_rrf([list(t_ids), list(vec_ids)], 20)
    assert list(ids) == [i for i, _ in exp]
    # filters apply to the text side
    ids, _ = growth.hybrid_search(ix, q, [], [], k=10, allow=[i for i in docs if i % 2])
    assert all(i % 2 for i in ids)


def test_prerank_against_numpy():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1000, 16)).astype(np.float32)
    w = rng.normal(size=16).astype(np.float32)
    ids = rng.permutation(1000).astype(np.int64) + 10_000
    got_ids, got_sc = gtext.prerank(x, w, bias=0.25, top_n=50, ids=ids)
    ref = x.astype(np.float64) @ w.astype(np.float64) + 0.25
    order = np.argsort(-ref, kind="stable")[:50]
    np.testing.assert_array_equal(got_ids, ids[order])
    np.testing.assert_allclose(got_sc, ref[order], rtol=1e-5, atol=1e-5)
    rows, _ = gtext.prerank(x[:5], w, top_n=10)
    assert sorted(rows.tolist()) == list(range(5))
    with pytest.raises(growth.InvalidArgument):
        gtext.prerank(np.full((2, 16), np.nan, dtype=np.float32), w)


def test_bad_input():
    ix = growth.TextIndex()
    ix.add([1, 2], ["red dress", "连衣裙"])
    for q in ["", "  ,.！。 "]:
        with pytest.raises(growth.InvalidArgument, match="no terms"):
            ix.search(q)
    assert len(ix.search("unknownterm")[0]) == 0
    with pytest.raises(growth.InvalidArgument, match="UTF-8"):
        ix.search(b"\xff\xfe")
    with pytest.raises(growth.InvalidArgument, match="UTF-8"):
        ix.add([3, 4], [b"fine", b"\xe6\x89"])
    with pytest.raises(growth.InvalidArgument, match="already"):
        ix.add([1], ["again"])
    with pytest.raises(growth.InvalidArgument, match="twice"):
        ix.add([5, 5], ["a", "b"])
    assert ix.remove([42, 42, -1]) == 0  # absent ids are skipped, not an error
    with pytest.raises(growth.InvalidArgument, match="k1"):
        growth.TextIndex(k1=-1)
    with pytest.raises(growth.InvalidArgument, match="stem"):
        growth.TextIndex(config="stem=porter")
    with pytest.raises(growth.InvalidArgument):
        ix.search("red", k=0)
    assert ix.counts()[0] == 2
    assert list(ix.search("red")[0]) == [1]
    ix.close()
    with pytest.raises(ValueError):
        ix.search("red")


def test_remove_counts_absent_and_duplicate_ids():
    ix = growth.TextIndex()
    ix.add([1, 2, 3], ["red shoes", "blue shoes", "red hat"])
    docs, terms, postings = ix.counts()
    assert (docs, len(ix)) == (3, 3) and terms == 4 and postings == 6
    assert ix.remove([2, 2, 99]) == 1  # 2 listed twice is removed once, 99 is absent
    assert ix.remove([2]) == 0
    assert ix.counts()[:2] == (2, 3)
    assert list(ix.search("shoes")[0]) == [1]
    assert ix.delete([1]) is ix and len(ix) == 1
    assert list(ix.search("red")[0]) == [3]
    ix.add([2], ["blue shoes"])  # a removed id may come back
    assert list(ix.search("shoes")[0]) == [2]


def test_progress_cancel_leaves_text_index_unchanged():
    ix = growth.TextIndex()
    ix.add(list(range(100)), [f"item {i} red" for i in range(100)])
    before = ix.counts()
    stages = []
    ix.set_progress(lambda stage, done: stages.append((stage, done)) or True)
    with pytest.raises(growth.Canceled):
        ix.add(list(range(100, 3000)), ["blue shoes"] * 2900)
    assert stages == [("add", 1024 / 2900)] and ix.counts() == before
    ix.remove(list(range(50)))
    before = ix.counts()
    with pytest.raises(growth.Canceled):
        ix.compact()
    assert stages[-1] == ("compact", 1.0) and ix.counts() == before
    ix.set_progress(None)
    ix.compact()
    assert ix.counts()[2] < before[2] and len(ix.search("red", 100)[0]) == 50
