/**
 * @file text.h
 * @brief Term recall: an inverted index over item texts with BM25 scoring, top-K search with
 *        filters, incremental add/remove, persistence. Fusing its hits with vector recall:
 *        growth_rank_fuse_lists() in rank.h.
 *
 * @defgroup text Text recall: BM25 inverted index
 * @{
 *
 * Tokens. Texts are UTF-8 (an invalid sequence or a NUL byte inside a counted text is
 * ::GROWTH_EINVAL). A text is cut into runs of three character classes:
 * - separators: ASCII characters other than letters and digits, Unicode spaces, CJK and
 *   full-width punctuation (U+3000..U+303F, U+FF00..U+FF0F, U+FF1A..U+FF20, U+FF3B..U+FF40,
 *   U+FF5B..U+FF65), U+FEFF;
 * - CJK characters (Hiragana, Katakana, CJK ideographs incl. extensions A/B+ and
 *   compatibility, Hangul syllables): a run of L such characters gives its L - ngram + 1
 *   character n-grams (`ngram` characters each), or the whole run as one token when
 *   L < ngram (so a single character is still searchable);
 * - everything else is a word character: a maximal run of them is one word token
 *   (ASCII letters lower-cased when `lowercase=true`; no other case folding or stemming).
 *
 * "iPhone15手机壳 包邮" gives the tokens `iphone15`, `手机`, `机壳`, `包邮` with ngram=2.
 * A term is a 64-bit growth_hash64() of its UTF-8 bytes (seeded by its length); two different terms
 * with the same hash would be merged (probability about n^2 / 2^65 for n distinct terms).
 *
 * Scoring (Okapi BM25, Lucene's non-negative idf). For a query Q (its distinct terms: a
 * term repeated in the query counts once) and a live document D of |D| tokens:
 *
 *     score(D, Q) = sum_{t in Q, tf(t, D) > 0} idf(t) * tf (k1 + 1) / (tf + k1 (1 - b + b |D| / avgdl))
 *     idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * with N the number of live documents, df(t) the live documents holding t and avgdl their
 * mean length, all as of the search (removals update them at once). Scores are computed in
 * double precision and returned as floats. Results are ordered by score, then by id ascending.
 * Only documents sharing at least one term with the query are returned.
 *
 * Configuration keys (growth_text_create()):
 * | key       | default | meaning |
 * |-----------|---------|---------|
 * | k1        | 1.2     | term-frequency saturation, 0..100 (changeable with growth_text_set_config()) |
 * | b         | 0.75    | length normalisation, 0..1 (changeable with growth_text_set_config()) |
 * | ngram     | 2       | character n-gram size for CJK runs, 1..4 |
 * | lowercase | true    | lower-case ASCII letters of words |
 * | search    | wand    | top-k algorithm: `wand` (dynamic pruning with block-max bounds: skips postings that cannot reach the k best) or `exhaustive` (scores every posting of every query term); both return the same ids, scores and order (changeable with growth_text_set_config()) |
 * | max_memory | 0      | bytes the index may hold (documents, id and term tables, postings and the forward index), an integer; 0 = no cap beyond the machine's physical memory (changeable with growth_text_set_config()) |
 *
 * Postings and search. Each term's postings (document, tf) are one stream of varints (document
 * gaps, with tf = 1 folded into the gap's low bit; about 2 bytes a posting instead of 8), cut into
 * blocks of 128 postings. Each block keeps its last document, its smallest id and up to four
 * (tf, length) pairs dominating its postings, which bound the term's BM25 contribution to any
 * document of the block for the current N, df, avgdl, k1 and b. With `search=wand` (the key's
 * name; the algorithm is block-max MaxScore) a search first scores the documents of its rarest
 * terms exactly, so the k-th best score (theta) starts near its final value; then
 * only the lists of the terms whose bounds, added to those of the weaker terms, reach theta
 * ("essential") yield candidates, whole blocks are skipped when the bounds of the blocks
 * holding them cannot reach theta (an equal bound counts only when the block holds a smaller id
 * than the k-th hit, since ties go to the smaller id), and the other terms are looked up only
 * while they can still lift a candidate to theta. A scored document gets exactly the exhaustive
 * scorer's score (the same terms summed in the same order), so both algorithms return
 * identical results; pruning is much faster for long queries, for queries with rarer terms and
 * for small k, and gains least when every query term is very common. Adds append to the last
 * block, removals leave the (still valid) bounds
 * until compaction rewrites the blocks; a loaded index rebuilds its blocks from the stored
 * postings (the file format is unchanged). growth_text_stats_get() reports the posting bytes and
 * the memory held.
 *
 * Memory limits: every add computes what the index will hold after it and refuses with
 * ::GROWTH_ENOMEM (the message names the bytes; nothing added) an add that would exceed
 * physical memory or `max_memory`; loading checks the stored sizes and the stored `max_memory`
 * the same way before allocating. Those checks count 10 bytes a posting for the compressed
 * postings (the most a posting can take; an add reserves that much and gives back what it did not
 * use), plus the forward index's 4 bytes and the block headers.
 *
 * Queries: a query without any token (empty, or only separators) is ::GROWTH_EINVAL; a query
 * whose terms are all unknown, or an empty index, gives ::GROWTH_OK with zero results.
 *
 * Output buffers and counts (the library-wide ::GROWTH_EBUFS rule): growth_text_search() fills
 * `cap` entries and reports a count in `size_t *out_n` (which may be NULL): the entries written
 * on ::GROWTH_OK; on ::GROWTH_EBUFS the exact capacity that suffices (k), with nothing written
 * into the output buffers; 0 on any other failure.
 *
 * Thread-safety: search, score, stats, config, save and serialize take a shared reader lock
 * (any number of threads search at once and never wait for one another). Adds tokenise
 * without any lock (adds from several threads tokenise in parallel); publishing an add,
 * remove, compact, set_config and set_progress serialise among themselves and take the
 * exclusive writer lock only to publish their change (writers are preferred, so a stream of
 * searches does not starve them). A search sees the index before or after a whole add or remove call,
 * never part of one. Validation happens before any change: a failed call leaves the index as
 * it was (memory is reserved before the first change).
 *
 * Progress and cancellation: growth_text_set_progress() installs a ::growth_progress_fn that
 * growth_text_add() and growth_text_add_packed() (stage "add": while tokenising, every 1024
 * documents and once with done = 1 before the documents are published) and
 * growth_text_compact() (stage "compact": every 4096 terms and once with done = 1 before the
 * swap) call from the calling thread without holding the reader/writer lock, so the callback
 * may search the index (it must not call a mutating function of the same index). A non-zero
 * return stops the call with ::GROWTH_ECANCELED and the index exactly as before: an add
 * publishes nothing before its last report, and a compaction with a callback builds the
 * compacted postings aside (extra memory: the live postings) and swaps them in after its last
 * report. Without a callback, compaction works in place.
 *
 * @code
 * growth_text_index *ix;
 * growth_text_create(&ix, "k1=1.2 b=0.75 ngram=2");
 * const char *texts[] = {"红色 连衣裙 夏季", "blue summer dress", "男士 运动鞋"};
 * int64_t item_ids[] = {101, 102, 103};
 * growth_text_add(ix, item_ids, texts, 3);
 * int64_t ids[10]; float scores[10]; size_t n;
 * growth_text_search(ix, "连衣裙", 10, NULL, ids, scores, 10, &n);   // any thread
 * growth_text_stats st = GROWTH_TEXT_STATS_INIT;
 * growth_text_stats_get(ix, &st);                                    // st.docs, st.terms ...
 * growth_text_save(ix, "items.tix");
 * growth_text_free(ix);
 * @endcode
 */
#ifndef GROWTH_TEXT_H
#define GROWTH_TEXT_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An inverted index of item texts (opaque). */
typedef struct growth_text_index growth_text_index;

/**
 * @brief Sizes of a text index, filled by growth_text_stats_get(). Initialise with
 *        ::GROWTH_TEXT_STATS_INIT; members are only ever appended.
 */
typedef struct growth_text_stats {
    uint32_t struct_size;   /**< sizeof(growth_text_stats) (::GROWTH_TEXT_STATS_INIT sets it) */
    uint32_t reserved;      /**< 0 */
    uint64_t docs;          /**< live documents */
    uint64_t terms;         /**< distinct terms held by at least one live document */
    uint64_t postings;      /**< stored postings, including those of removed documents not yet compacted */
    uint64_t posting_bytes; /**< bytes of the compressed posting streams and their block headers (in use) */
    uint64_t memory_bytes;  /**< bytes the index holds (documents, id and term tables, posting
                                 arrays with their spare capacity, forward index) */
} growth_text_stats;

/** Initialiser of ::growth_text_stats. */
#define GROWTH_TEXT_STATS_INIT GROWTH_STRUCT_INIT(growth_text_stats)

/**
 * @brief Creates an empty index from a configuration string (see the table above).
 * @param[out] out the new handle.
 * @param config   e.g. "k1=1.2 b=0.75 ngram=2" (NULL or "" for the defaults).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL naming an unknown or bad key; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_text_create(growth_text_index **out, const char *config);

/** @brief Frees an index; NULL is allowed. @since 1.0 */
GROWTH_API void growth_text_free(growth_text_index *ix);

/**
 * @brief Effective configuration ("k1=1.2 b=0.75 ngram=2 lowercase=true search=wand max_memory=0").
 * @param[out] buf   `cap` bytes, NUL-terminated (may be NULL when cap = 0).
 * @param[out] out_n length + 1 (bytes including the NUL), also on ::GROWTH_EBUFS (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, NULL buf with cap > 0); ::GROWTH_EBUFS
 *         when `cap` is below `*out_n` (nothing written).
 * @since 1.0
 */
GROWTH_API int growth_text_config(const growth_text_index *ix, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Changes the query-time BM25 parameters `k1` and/or `b`, the top-k algorithm `search`
 *        (`wand` or `exhaustive`), and/or `max_memory` (a cap
 *        below what the index holds refuses later adds only; 0 removes the cap). Other keys are
 *        ::GROWTH_EINVAL. Takes the writer lock.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, unknown key, bad value; nothing changed).
 * @since 1.0
 */
GROWTH_API int growth_text_set_config(growth_text_index *ix, const char *config);

/**
 * @brief Installs (or with fn = NULL removes) the progress callback of growth_text_add(),
 *        growth_text_add_packed() and growth_text_compact() (see "Progress and cancellation"
 *        above).
 * @param fn   called as fn(stage, done, user); a non-zero return cancels the running call.
 * @param user passed to `fn`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle.
 * @since 1.0
 */
GROWTH_API int growth_text_set_progress(growth_text_index *ix, growth_progress_fn fn, void *user);

/**
 * @brief Adds `n` documents given as NUL-terminated UTF-8 strings. All or nothing.
 * @param ids   n ids >= 0, unique among themselves and the live documents (a duplicate is
 *              ::GROWTH_EINVAL naming it). A removed id may be added again.
 * @param texts n strings; a text without tokens is allowed (it is never returned).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, bad id, invalid UTF-8 naming the text and byte
 *         offset); ::GROWTH_ENOMEM, also when the index would then hold more than physical
 *         memory or `max_memory` (nothing added); ::GROWTH_ECANCELED (the progress callback
 *         stopped it; nothing was added).
 * @since 1.0
 */
GROWTH_API int growth_text_add(growth_text_index *ix, const int64_t *ids, const char *const *texts, size_t n);

/**
 * @brief Adds `n` documents stored back to back in one UTF-8 buffer (no NULs needed):
 *        document i is data[offsets[i] .. offsets[i+1]). All or nothing.
 * @param offsets n + 1 non-decreasing offsets; offsets[n] bytes of `data` are read.
 * @return as growth_text_add(); a NUL byte inside a document is ::GROWTH_EINVAL.
 * @since 1.0
 */
GROWTH_API int growth_text_add_packed(growth_text_index *ix, const int64_t *ids, const char *data,
                                      const uint64_t *offsets, size_t n);

/**
 * @brief Removes documents by id; they stop being returned and counted (N, df, avgdl) at once.
 *
 * Absent ids (never added, already removed, negative) are not an error; an id listed twice is
 * removed once. When the postings of removed documents outnumber the live ones, the call
 * compacts in place (no progress report, no allocation).
 * @param ids n ids (may be NULL when n = 0).
 * @param[out] out_removed how many documents were removed (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, NULL ids with n > 0).
 * @since 1.0
 */
GROWTH_API int growth_text_remove(growth_text_index *ix, const int64_t *ids, size_t n, size_t *out_removed);

/**
 * @brief Drops the postings of removed documents and frees their memory (searches skip them
 *        anyway; compacting only makes them faster and the index smaller).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ENOMEM (with a progress
 *         callback, which builds aside); ::GROWTH_ECANCELED (the index is as before).
 * @since 1.0
 */
GROWTH_API int growth_text_compact(growth_text_index *ix);

/**
 * @brief Sizes of the index (see ::growth_text_stats).
 * @param[out] out a struct initialised with ::GROWTH_TEXT_STATS_INIT; a caller built against an
 *                 older header (smaller struct_size, at least the 1.0 size) gets the members it
 *                 knows; `struct_size` is left as the caller set it.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or `out`, struct_size below the 1.0 size).
 * @since 1.0
 */
GROWTH_API int growth_text_stats_get(const growth_text_index *ix, growth_text_stats *out);

/**
 * @brief The `k` best documents for a query by BM25 (block-max pruning or every posting, per the
 *        `search` key; the same results either way).
 * @param query  UTF-8, NUL-terminated; without tokens it is ::GROWTH_EINVAL.
 * @param k      >= 1; fewer results when fewer documents match (see `out_n`).
 * @param filter NULL or a filter (see ::growth_id_filter).
 * @param[out] out_ids    best first; `cap` >= k entries.
 * @param[out] out_scores same order (may be NULL).
 * @param cap    length of `out_ids` (and `out_scores`): at least k.
 * @param[out] out_n number of results written (<= k; may be NULL); on ::GROWTH_EBUFS: k, the
 *                   capacity the call needs (nothing is written then); 0 on other failures.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, k = 0, bad filter, a query without tokens or not
 *         UTF-8); ::GROWTH_EBUFS if cap < k (checked last); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_text_search(const growth_text_index *ix, const char *query, size_t k,
                                  const growth_id_filter *filter, int64_t *out_ids, float *out_scores,
                                  size_t cap, size_t *out_n);

/**
 * @brief BM25 scores of given documents for a query (0 for a document without query terms).
 * @param ids n live document ids; an unknown one is ::GROWTH_ENOTFOUND naming it.
 * @param[out] out n scores; `cap` >= n.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, a query without tokens); ::GROWTH_EBUFS if
 *         cap < n; ::GROWTH_ENOTFOUND.
 * @since 1.0
 */
GROWTH_API int growth_text_score(const growth_text_index *ix, const char *query, const int64_t *ids, size_t n,
                                 float *out, size_t cap);

/**
 * @brief Saves the index atomically (model kind ::GROWTH_KIND_TEXT_INDEX). Removed documents
 *        are not written.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EIO; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_text_save(const growth_text_index *ix, const char *path);

/**
 * @brief Loads an index saved by growth_text_save().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EIO; ::GROWTH_EFORMAT for a corrupted
 *         or truncated file or a file of another kind; ::GROWTH_ENOMEM, also when the stored index
 *         exceeds physical memory or its stored `max_memory` (checked before allocating).
 * @since 1.0
 */
GROWTH_API int growth_text_load(growth_text_index **out, const char *path);

/**
 * @brief Serialises the index into a malloc'ed buffer (release with growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_text_serialize(const growth_text_index *ix, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds an index from growth_text_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL); ::GROWTH_EFORMAT; ::GROWTH_ENOMEM (as
 *         growth_text_load()).
 * @since 1.0
 */
GROWTH_API int growth_text_deserialize(growth_text_index **out, const uint8_t *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_TEXT_H */
