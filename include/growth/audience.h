/**
 * @file audience.h
 * @brief Audience selection: seed-audience expansion in several directions, a PU-learning
 *        target model and top-N selection (the top-N metrics are in metrics.h, the fusion of
 *        several models' scores in rank.h).
 *
 * @defgroup audience Audience selection: expansion, PU target model, top-N selection
 * @{
 *
 * A brand campaign starts from a seed audience (the brand's buyers), expands it in several
 * directions, scores the expanded pool with a target model trained by PU learning (positives =
 * the seed, no known negatives) and keeps the best N users.
 *
 * Data are the caller's arrays; every function is pure (no handle, no global state) and
 * thread-safe. Users are row numbers `0 .. nusers-1`. A sparse user x column matrix (user x
 * attribute, user x brand, user x category, user x feature) is CSR: row `u` holds the columns
 * `indices[indptr[u] .. indptr[u+1])` (`indptr` has nusers + 1 non-decreasing offsets starting
 * at 0; a column repeated in a row counts once). Seeds are lists of user ids: duplicates count
 * once; an empty seed or an id `>= nusers` is ::GROWTH_EINVAL.
 *
 * Directions, each returning user ids (ascending) that are not in the seed unless the option
 * `include_seed=true` is given:
 * - interest (::GROWTH_AUDIENCE_INTEREST): attributes whose TGI (target group index,
 *   100 x share of seed users with the attribute / share of all users with it) and TA
 *   concentration (share of the attribute's users that are seed users) pass thresholds, and
 *   the users holding them: growth_audience_tgi(), growth_audience_interest();
 * - related brands (::GROWTH_AUDIENCE_BRAND): Jaccard similarity of brands over their buyer
 *   sets, top-k per brand without a dense brand x brand matrix, and the buyers of the similar
 *   brands: growth_audience_similar_brands(), growth_audience_brand();
 * - association rules (::GROWTH_AUDIENCE_CATEGORY): rules `A -> B` between categories with
 *   support, confidence and lift, and the users holding an antecedent of a rule into a target
 *   category: growth_audience_rules(), growth_audience_category();
 * - peer (::GROWTH_AUDIENCE_PEER): users nearest the seed by cosine similarity of embeddings,
 *   exact over an embedding matrix (blocked sgemm): growth_audience_peer(), or through a
 *   caller-built vector index (flat: exact; HNSW / IVF: approximate, for large populations):
 *   growth_audience_peer_index();
 * - lost (::GROWTH_AUDIENCE_LOST): users whose last event of a state (e.g. buying the brand)
 *   fell within a window before an inactivity period: growth_audience_lost().
 *
 * growth_audience_union() merges the lists, de-duplicated, with the directions that found each
 * user; growth_audience_pu_score() trains the target model (forest or FTRL, spy technique or
 * class-prior correction) and scores the pool; growth_audience_select() keeps the best N above
 * a threshold, excluding users already converted. growth_metrics_topn_precision(),
 * growth_metrics_topn_recall() and growth_metrics_topn_lift() judge a ranking against buyers
 * observed later; growth_rank_fuse_fit() chooses the weights of several models' scores by
 * top-N precision on a validation set and growth_rank_fuse_scores() applies them.
 *
 * Output buffers follow the library-wide ::GROWTH_EBUFS rule. A function that reports a count
 * in `size_t *out_n` (`out_n_attrs` / `out_n_users` for the two arrays of
 * growth_audience_interest(); each may be NULL) stores the entries written on ::GROWTH_OK. When
 * a buffer is too small it returns ::GROWTH_EBUFS after every other check, stores the exact
 * capacity that suffices in the count and writes nothing into any output buffer (no partial
 * results), so a caller can size the buffers and call again; a call with `cap` = 0 (and NULL
 * buffers) asks for the size only. On any other failure the counts are 0. For results whose
 * length depends on the data (interest, brand, rules, category, lost, union) the count is the
 * result's length; for growth_audience_peer(), growth_audience_peer_index() and
 * growth_audience_select(), which need `cap` >= n, it is n. Functions whose capacity follows
 * from their arguments (growth_audience_tgi(), growth_audience_similar_brands(),
 * growth_audience_pu_score()) have no count and write nothing on ::GROWTH_EBUFS.
 *
 * @code
 * uint32_t attrs[64], users[100000], pool[200000], dirs[200000], top[1000];
 * size_t na, nu, np, nt;
 * if (growth_audience_interest(ip, ix, nusers, nattrs, seed, nseed, "min_tgi=150",
 *                              attrs, 64, &na, users, 100000, &nu) != GROWTH_OK)
 *     fprintf(stderr, "%s\n", growth_last_error());
 * const uint32_t *lists[2] = {users, peers};
 * size_t lens[2] = {nu, npeers};
 * uint32_t kinds[2] = {GROWTH_AUDIENCE_INTEREST, GROWTH_AUDIENCE_PEER};
 * growth_audience_union(lists, lens, kinds, 2, nusers, pool, dirs, 200000, &np);
 * float *s = malloc(np * sizeof *s);
 * growth_audience_pu_score(fip, fix, NULL, nusers, nfeat, seed, nseed, pool, np,
 *                          "learner=forest method=spy", s, np, NULL, NULL);
 * growth_audience_select(pool, s, np, converted, nconv, 0.5f, 1000, top, NULL, 1000, &nt);
 * @endcode
 */
#ifndef GROWTH_AUDIENCE_H
#define GROWTH_AUDIENCE_H

#include "growth/common.h"
#include "growth/recall.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Expansion directions (bit flags, OR-ed by growth_audience_union()) */
/** @{ */
#define GROWTH_AUDIENCE_INTEREST 0x01u /**< attributes with a high TGI / TA concentration */
#define GROWTH_AUDIENCE_BRAND    0x02u /**< buyers of brands similar by Jaccard */
#define GROWTH_AUDIENCE_CATEGORY 0x04u /**< antecedents of category association rules */
#define GROWTH_AUDIENCE_PEER     0x08u /**< nearest users in embedding space */
#define GROWTH_AUDIENCE_LOST     0x10u /**< users who left a state within a window */
/** @} */

/* ---- interest: TGI and TA concentration -------------------------------------------------- */

/**
 * @brief TGI and TA concentration of every attribute for a seed against the population.
 *
 * For attribute `a` with `s_a` seed users and `p_a` users in all: TGI = 100 (s_a / nseed) /
 * (p_a / nusers), concentration = s_a / p_a; both 0 when p_a = 0.
 * @param indptr, indices user x attribute CSR (nusers rows, columns < nattrs).
 * @param seed, nseed     seed user ids (< nusers; duplicates count once).
 * @param[out] out_tgi, out_concentration, out_seed_count, out_pop_count nattrs values each,
 *             any of them may be NULL; `cap` (>= nattrs) is the length of each.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for an empty seed, out-of-range ids, a bad CSR;
 *         ::GROWTH_EBUFS when cap < nattrs and an output is given (nothing written);
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_tgi(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                   size_t nattrs, const uint32_t *seed, size_t nseed, double *out_tgi,
                                   double *out_concentration, uint64_t *out_seed_count,
                                   uint64_t *out_pop_count, size_t cap);

/**
 * @brief Interest expansion: the attributes passing the thresholds, and the users holding at
 *        least `min_match` of them.
 *
 * Configuration keys:
 * | key               | default | meaning |
 * |-------------------|---------|---------|
 * | min_tgi           | 120     | keep attributes with TGI >= this |
 * | min_concentration | 0       | and TA concentration >= this (0..1) |
 * | min_seed_count    | 1       | and at least this many seed users |
 * | max_attrs         | 0       | keep only this many (best TGI first); 0 = all |
 * | min_match         | 1       | a user needs this many kept attributes |
 * | include_seed      | false   | also return seed users |
 *
 * @param[out] out_attrs   kept attributes, best TGI first (ties: smaller id); `attrs_cap` long
 *                         (may be NULL when attrs_cap = 0).
 * @param[out] out_n_attrs number of kept attributes (may be NULL); on ::GROWTH_EBUFS (either
 *                         array too small) the number the call needs, nothing written.
 * @param[out] out_users   users found, ascending; `users_cap` long (may be NULL when 0).
 * @param[out] out_n_users number of users found (may be NULL); on ::GROWTH_EBUFS the number
 *                         the call needs.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key or value, CSR, seed; a NULL buffer with a
 *         capacity); ::GROWTH_EBUFS when attrs_cap < *out_n_attrs or users_cap < *out_n_users
 *         (neither array is written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_interest(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                        size_t nattrs, const uint32_t *seed, size_t nseed, const char *config,
                                        uint32_t *out_attrs, size_t attrs_cap, size_t *out_n_attrs,
                                        uint32_t *out_users, size_t users_cap, size_t *out_n_users);

/* ---- related brands: Jaccard ------------------------------------------------------------- */

/**
 * @brief Top-k brands most similar to each query brand by the Jaccard similarity of their
 *        buyer sets, |U_a ∩ U_b| / |U_a ∪ U_b|, from a user x brand CSR.
 *
 * Only brands sharing a buyer (similarity > 0) are listed, the query brand itself never; the
 * rest of a row is padded with UINT32_MAX and 0. Order: similarity descending, then brand id.
 * Memory is O(nbrands + nnz), never nbrands^2.
 * @param brands, nquery query brand ids (< nbrands).
 * @param k              similar brands per query, >= 1.
 * @param[out] out_brands, out_jaccard nquery x k values (row-major); `cap` >= nquery * k;
 *             out_jaccard may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad CSR, brand id, k = 0, NULL); ::GROWTH_EBUFS when
 *         cap < nquery * k (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_similar_brands(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                              size_t nbrands, const uint32_t *brands, size_t nquery, size_t k,
                                              uint32_t *out_brands, double *out_jaccard, size_t cap);

/**
 * @brief Related-brand expansion: the buyers of the brands most similar to the query brands
 *        (the query brands themselves are never among the similar brands).
 *
 * Configuration keys: `k` (10, similar brands per query brand), `min_jaccard` (0, a similar
 * brand needs a similarity >= this and > 0), `min_brands` (1, a user needs to have bought this
 * many of the similar brands), `include_seed` (false).
 * @param seed, nseed users to leave out (the seed); required, non-empty.
 * @param[out] out_users users found, ascending; `cap` long (may be NULL when cap = 0).
 * @param[out] out_n     their number (may be NULL); on ::GROWTH_EBUFS the number needed.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key, CSR, brand or seed); ::GROWTH_EBUFS when
 *         cap < *out_n (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_brand(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                     size_t nbrands, const uint32_t *brands, size_t nquery,
                                     const uint32_t *seed, size_t nseed, const char *config,
                                     uint32_t *out_users, size_t cap, size_t *out_n);

/* ---- association rules between categories ------------------------------------------------ */

/**
 * @brief Association rules `A -> B` between single categories over users' category sets.
 *
 * support = n_AB / nusers, confidence = n_AB / n_A, lift = confidence / (n_B / nusers).
 * Configuration keys: `min_support` (0.01), `min_confidence` (0.1), `min_lift` (1), each rule
 * must reach all three.
 * @param consequents, ncons only rules into these categories; NULL (with ncons 0) for all.
 * @param[out] out_antecedent, out_consequent, out_support, out_confidence, out_lift rules in
 *             ascending (antecedent, consequent) order; `cap` long each; the double arrays may
 *             be NULL (all may be NULL when cap = 0).
 * @param[out] out_n number of rules (may be NULL); on ::GROWTH_EBUFS the number needed.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key, CSR, consequent); ::GROWTH_EBUFS when
 *         cap < *out_n (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_rules(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                     size_t ncats, const uint32_t *consequents, size_t ncons,
                                     const char *config, uint32_t *out_antecedent, uint32_t *out_consequent,
                                     double *out_support, double *out_confidence, double *out_lift,
                                     size_t cap, size_t *out_n);

/**
 * @brief Category expansion: users holding the antecedent of at least `min_rules` rules
 *        `A -> t` into a target category t (thresholds as growth_audience_rules()).
 *
 * Configuration keys: `min_support`, `min_confidence`, `min_lift` (as growth_audience_rules()),
 * `min_rules` (1), `include_seed` (false).
 * @param targets, ntargets the campaign's categories (non-empty).
 * @param[out] out_users users found, ascending; `cap` long (may be NULL when cap = 0).
 * @param[out] out_n     their number (may be NULL); on ::GROWTH_EBUFS the number needed.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key, CSR, target or seed); ::GROWTH_EBUFS when
 *         cap < *out_n (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_category(const uint64_t *indptr, const uint32_t *indices, size_t nusers,
                                        size_t ncats, const uint32_t *targets, size_t ntargets,
                                        const uint32_t *seed, size_t nseed, const char *config,
                                        uint32_t *out_users, size_t cap, size_t *out_n);

/* ---- peer audience ----------------------------------------------------------------------- */

/**
 * @brief Peer expansion: the `n` users most similar to the seed by cosine similarity of their
 *        embeddings (exact search, blocked cblas_sgemm; zero vectors have similarity 0).
 *
 * Configuration keys: `mode` (`max`: a user's similarity is the highest to any seed user;
 * `centroid`: the similarity to the normalised mean of the normalised seed vectors),
 * `min_similarity` (-1), `include_seed` (false). OpenBLAS uses its own thread setting
 * (OPENBLAS_NUM_THREADS).
 * @param emb   nusers x dim floats, row-major, finite.
 * @param n     users wanted: 1 .. size of the pool (nusers minus the seed unless include_seed).
 * @param[out] out_users users, most similar first (ties: smaller id); `cap` >= n (may be NULL
 *             when cap = 0).
 * @param[out] out_sim   their similarities (may be NULL).
 * @param[out] out_n     users written, fewer than n when min_similarity removes some (may be
 *                       NULL); on ::GROWTH_EBUFS: n, nothing written.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key, dim, NaN/Inf, seed, n = 0 or larger than the
 *         pool); ::GROWTH_EBUFS if cap < n; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_peer(const float *emb, size_t nusers, size_t dim, const uint32_t *seed,
                                    size_t nseed, size_t n, const char *config, uint32_t *out_users,
                                    float *out_sim, size_t cap, size_t *out_n);

/**
 * @brief Peer expansion through a vector index: the `n` users most similar to the seed, found
 *        by searching `idx` (see recall.h), which holds the users' embeddings under their user
 *        ids.
 *
 * Same configuration keys and results as growth_audience_peer(): `mode` (`max`: each distinct
 * seed user's vector is searched for its n nearest users and a user keeps its highest
 * similarity; `centroid`: one search for the normalised mean of the normalised seed vectors),
 * `min_similarity` (-1), `include_seed` (false; seed users are excluded by a search filter).
 * With a `kind=flat metric=cosine` index over the same embeddings the users equal
 * growth_audience_peer()'s (ties aside; similarities within float rounding); with `hnsw` or
 * `ivf` they are approximate (the index's `ef` / `nprobe` trade speed for recall) and there may
 * be fewer than n when the index finds fewer matches. `metric=ip` scores the inner product of a
 * user's vector with the unit-length query (cosine when the stored vectors are unit-length);
 * `metric=l2` is ::GROWTH_EINVAL. The seed vectors are read from the index
 * (growth_index_get()). mode=max costs one k = n search per distinct seed user (batched with
 * growth_index_search_batch(), which follows the index's `threads`).
 *
 * Read-only on `idx`: safe beside other searches of the same index.
 * @param idx   an index whose ids are user ids below 2^32 - 1 (a larger id among the results is
 *              ::GROWTH_EINVAL).
 * @param seed  seed user ids (duplicates count once); one missing from the index is
 *              ::GROWTH_EINVAL.
 * @param n     users wanted: 1 .. the pool (live vectors in the index minus the seed unless
 *              include_seed).
 * @param[out] out_users users, most similar first (ties: smaller id); `cap` >= n (may be NULL
 *             when cap = 0).
 * @param[out] out_sim   their similarities (may be NULL).
 * @param[out] out_n     users written (may be NULL); on ::GROWTH_EBUFS: n, nothing written.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL; ::GROWTH_EBUFS if cap < n (checked after the seed
 *         vectors are read); ::GROWTH_ESTATE if the index is empty; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_peer_index(const growth_index *idx, const uint32_t *seed, size_t nseed,
                                          size_t n, const char *config, uint32_t *out_users, float *out_sim,
                                          size_t cap, size_t *out_n);

/* ---- lost audience ----------------------------------------------------------------------- */

/**
 * @brief Lost audience: users whose last event (of a state such as "buys the brand") lies in
 *        `[now - window, now - inactive)`: they were in the state and left it within the window.
 *
 * Configuration keys (times in the caller's unit, e.g. seconds): `now` (default: the latest
 * event time; events after `now` are ignored), `inactive` (2592000, > 0: no event for this
 * long means the user left), `window` (7776000, > inactive), `min_events` (1, events a user
 * needs up to `now`).
 * @param users, times nevents events (user id < nusers, timestamp), any order.
 * @param[out] out_users users, ascending; `cap` long (may be NULL when cap = 0).
 * @param[out] out_last  their last event time (may be NULL).
 * @param[out] out_n     their number (may be NULL); on ::GROWTH_EBUFS the number needed.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key, window <= inactive, no events, user id out of
 *         range); ::GROWTH_EBUFS when cap < *out_n (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_lost(const uint32_t *users, const int64_t *times, size_t nevents,
                                    size_t nusers, const char *config, uint32_t *out_users, int64_t *out_last,
                                    size_t cap, size_t *out_n);

/* ---- union ------------------------------------------------------------------------------- */

/**
 * @brief Union of several directions' user lists with de-duplication.
 * @param lists, lens, dirs nlists lists of user ids (< nusers), their lengths and their
 *                          direction flags (GROWTH_AUDIENCE_*; any non-zero bits).
 * @param[out] out_users users, ascending, each once; `cap` long (may be NULL when cap = 0).
 * @param[out] out_dirs  the OR of the flags of the lists holding the user (may be NULL).
 * @param[out] out_n     their number (may be NULL); on ::GROWTH_EBUFS the number needed.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, nlists = 0, a flag 0, an id out of range);
 *         ::GROWTH_EBUFS when cap < *out_n (nothing written); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_union(const uint32_t *const *lists, const size_t *lens, const uint32_t *dirs,
                                     size_t nlists, size_t nusers, uint32_t *out_users, uint32_t *out_dirs,
                                     size_t cap, size_t *out_n);

/* ---- PU-learning target model ------------------------------------------------------------ */

/**
 * @brief Trains a target model by PU learning and scores the pool.
 *
 * Positives are the seed users; negatives are sampled at random from the population outside
 * the seed (`unlabeled=population`) or from the pool (`unlabeled=pool`). `method=spy` (Liu et
 * al. 2002): a fraction of the positives is hidden among the sampled users, a first model
 * finds the sampled users scoring below almost all of those spies (reliable negatives), and the
 * final model learns positives against them. `method=prior` (Elkan & Noto 2008): positives
 * against the sample, then scores divided by c = the mean score of held-out positives (an
 * estimate of p(labelled | positive)); these estimates of p(positive | x) are not clipped and
 * may exceed 1 where the model is sure (clipping would tie the best users). `method=naive`:
 * positives against the sample. Scores of `spy` and `naive` are probabilities in [0, 1].
 *
 * | key            | default    | meaning |
 * |----------------|------------|---------|
 * | learner        | forest     | `forest` (growth_forest_train, binary:logistic) or `ftrl` |
 * | method         | spy        | `spy`, `prior` or `naive` |
 * | unlabeled      | population | where negatives are sampled: `population` or `pool` |
 * | negatives      | 2          | sampled negatives per positive (> 0; at most all candidates) |
 * | spy_fraction   | 0.15       | spies (spy) or held-out positives (prior), 0 < f < 1 |
 * | spy_quantile   | 0.05       | reliable negatives score below this quantile of the spies |
 * | rounds         | 100        | forest: boosting rounds |
 * | max_depth      | 4          | forest: tree depth |
 * | eta            | 0.1        | forest: learning rate |
 * | epochs         | 5          | ftrl: passes over the (shuffled) training rows |
 * | alpha, l1, l2  | 0.1, 0.1, 1 | ftrl: learning rate and regularisation |
 * | threads        | 1          | forest: xgboost threads |
 * | seed           | 0          | sampling seed |
 *
 * @param indptr, indices, values user x feature CSR (values NULL = all ones, else finite).
 * @param pool, npool users to score (< nusers).
 * @param[out] out_scores npool scores; `cap` >= npool (written only on ::GROWTH_OK).
 * @param progress      NULL, or called from the calling thread as progress("fit", done,
 *                      progress_user) before each learner fit (one for naive and prior, two
 *                      for spy), after each FTRL epoch, and once with done = 1 before the
 *                      scores are written; a non-zero return stops the call with
 *                      ::GROWTH_ECANCELED and `out_scores` untouched.
 * @param progress_user passed to `progress`.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad key or value, CSR, NaN/Inf, seed, pool; also when
 *         there are no candidates for negatives); ::GROWTH_EBUFS if cap < npool (nothing
 *         written); ::GROWTH_EDEP when the learner fails; ::GROWTH_ENOMEM;
 *         ::GROWTH_ECANCELED.
 * @since 1.0
 */
GROWTH_API int growth_audience_pu_score(const uint64_t *indptr, const uint32_t *indices, const float *values,
                                        size_t nusers, size_t nfeat, const uint32_t *seed, size_t nseed,
                                        const uint32_t *pool, size_t npool, const char *config,
                                        float *out_scores, size_t cap, growth_progress_fn progress,
                                        void *progress_user);

/**
 * @brief Keeps the best `n` users of a scored pool: drops scores below `threshold` and the
 *        users in `exclude` (e.g. already converted), sorts by score descending (ties: smaller
 *        id) and keeps at most n.
 * @param users, scores npool distinct user ids and finite scores.
 * @param exclude, nexclude users to leave out (may be NULL with 0).
 * @param n     1 .. npool (::GROWTH_EINVAL when larger than the pool).
 * @param[out] out_users, out_scores up to n entries (out_scores may be NULL); `cap` >= n
 *             (out_users may be NULL when cap = 0).
 * @param[out] out_n count kept (may be NULL); on ::GROWTH_EBUFS: n, nothing written.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL, empty or duplicate pool, NaN, n = 0 or larger
 *         than the pool); ::GROWTH_EBUFS if cap < n; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_audience_select(const uint32_t *users, const float *scores, size_t npool,
                                      const uint32_t *exclude, size_t nexclude, float threshold, size_t n,
                                      uint32_t *out_users, float *out_scores, size_t cap, size_t *out_n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_AUDIENCE_H */
