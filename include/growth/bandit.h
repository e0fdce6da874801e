/**
 * @file bandit.h
 * @brief Bandit selection: Beta-Bernoulli Thompson Sampling, epsilon-greedy, UCB1, KL-UCB,
 *        linear Thompson Sampling and LinUCB, with delayed feedback, eligibility, top-k slates,
 *        forgetting and offline policy evaluation (the simulator and the raw Beta sampler are
 *        unstable interfaces in growth/sys/bandit.h).
 *
 * @defgroup bandit Bandits: choose an arm per request, learn from late rewards
 * @{
 *
 * A ::growth_bandit holds a set of arms (coupons, red packets, creatives) and a policy. Every
 * request calls growth_bandit_select() (or growth_bandit_select_k() for a slate), which returns
 * the chosen arm, a **decision id** and the **propensity** of the choice. The reward for a
 * decision (click = 1, no click = 0, or a value in [0, 1]) is passed later, possibly much later,
 * in any order and in batches, with growth_bandit_reward(); a decision that gets no reward is
 * simply never learnt from. Rewards for decisions that are unknown, expired (older than `ttl`
 * decisions or `ttl_seconds`), already rewarded, or whose arm has been removed meanwhile are
 * counted (growth_bandit_stats_get()) and reported with ::GROWTH_ENOTFOUND, never applied twice.
 *
 * Arms are 64-bit ids below 2^63, or names (growth_bandit_add_arm_named(): the id is
 * growth_bandit_name_id(name), which has the top bit set). Arms can be added, removed and
 * replaced at run time (up to `max_arms`). Arms have a dense index 0..n-1 in the order of
 * growth_bandit_arms(); removing an arm moves the last arm into its index.
 *
 * Policies (`policy=`):
 * | policy   | model | choice | propensity |
 * |----------|-------|--------|------------|
 * | thompson | Beta(alpha, beta) per arm | largest posterior draw | Monte Carlo, `propensity_draws` re-draws |
 * | egreedy  | Beta posterior mean | best mean w.p. 1-eps, else uniform | exact |
 * | ucb1     | empirical mean, counts | mean + c sqrt(ln N / n) | exact (1, or 1/ties) |
 * | klucb    | empirical mean, counts | KL-UCB index (Bernoulli KL, log N + klucb_c log log N) | exact |
 * | lints    | ridge regression per arm (dim features) | largest draw of x'theta ~ N(x'theta_hat, v^2 x'A^-1 x) | Monte Carlo |
 * | linucb   | ridge regression per arm | x'theta_hat + alpha sqrt(x'A^-1 x) | exact |
 * | logistic_ts | one logistic model over 2^bits hashed slots, diagonal Gaussian posterior | largest o + x'w, w_i ~ N(m_i, v^2 / q_i) | Monte Carlo, `propensity_draws` re-draws |
 * | logistic_ucb | same | o + x'm + alpha sqrt(sum x_i^2 / q_i) | exact (1, or 1/ties) |
 * | logistic_greedy | same | largest o + x'm w.p. 1-eps, else uniform | exact |
 *
 * **Shared-model contextual policies** (`logistic_*`): Chapelle & Li, "An Empirical Evaluation
 * of Thompson Sampling" (NIPS 2011), Algorithm 3. There are no arms: every request passes its
 * candidates (coupons, rights) as sparse feature rows in CSR form (user features, the
 * candidate's own features and hashed user x candidate crosses, e.g. from the row builder of
 * features.h with the same `bits`) to growth_bandit_select_csr(), which returns the decision id
 * and the chosen row. One logistic model over the 2^bits slots keeps per slot a Gaussian
 * posterior with mean m_i and precision q_i (prior N(0, 1/lambda)), so what one candidate
 * teaches carries over to every candidate that shares its features, and a candidate seen for the
 * first time is scored from its features. The reward of a decision (through
 * growth_bandit_reward() / growth_bandit_reward_batch(), delayed, in any order, with the same
 * ids, `ttl` and counters as the other policies; a value y in [0, 1]) is one online Laplace
 * step on the chosen row x: the margin s solving s = mu - v_x (sigmoid(s) - y), with
 * mu = o + x'm and v_x = sum x_i^2 / q_i, gives the exact MAP m_i -= (sigmoid(s) - y) x_i / q_i,
 * then q_i += x_i^2 p (1 - p) with p = sigmoid(s) (Alg. 3 with batches of one; equal slots in a
 * row are summed). Thompson Sampling draws only the weights the candidates touch, each
 * N(m_i, v^2/q_i) (`v` is the exploration multiplier; the paper's variance multiplier is v^2),
 * the same draw for a slot shared by several candidates (the normals are a function of a
 * per-decision key and the slot, so no table is filled; a slot at the same position as in the
 * previous row, as the user's own features usually are, reuses that row's draw); nothing is
 * allocated per call once the stripe's scratch holds the largest candidate count seen. The
 * propensity of a TS choice is estimated by Monte Carlo: the share of `propensity_draws`
 * further draws of all weights whose best candidate is the chosen one (at least 1/draws; NaN
 * when `propensity_draws` = 0; each draw costs one more scoring pass).
 *
 * Cold start from a model: growth_bandit_select_csr() takes an optional prior rate per
 * candidate (e.g. an FTRL or forest pCTR on the candidate's features) and its id; the
 * candidate's margin gets the offset o = logit(rate) s / (s + n), s = `prior_count`
 * pseudo-observations and n the rewards applied so far to decisions for that id (counted in a
 * table of 2^count_bits entries indexed by a hash of the id, so ids may collide). The model
 * learns the residual over the offset, which hands over to the shared model as feedback arrives.
 *
 * The linear policies keep per arm A = lambda I + sum x x' and b = sum r x with rank-1 BLAS
 * updates of A and of A^-1 (Sherman-Morrison; A^-1 is refactored from A every `refresh`
 * updates). Linear Thompson Sampling draws only the arm's score x'theta, whose posterior is the
 * exact univariate normal above: O(dim^2) per arm, no Cholesky per request.
 *
 * Cold start: an arm's prior can come from a model's predicted rate `r` with a pseudo-count
 * strength `s` (Beta(r s, (1 - r) s)); arms without one get Beta(prior_alpha, prior_beta).
 * Thompson Sampling and egreedy use the prior; UCB1/KL-UCB count an explicit prior as `s`
 * pseudo-observations with mean `r` (arms without one start unplayed, index +inf).
 *
 * Ties between equal indexes (UCB, greedy, never-played arms) are broken uniformly at random
 * and the propensity says so (1 / number of tied arms, or the share of the slots left).
 *
 * Non-stationarity: `decay=g` (0 < g <= 1) multiplies every arm's evidence by g at every
 * applied reward (exponential forgetting, O(1) per reward through a global scale; Beta policies
 * only), or `window=W` keeps only the last W applied rewards (older ones are subtracted again;
 * all policies). Posterior reshaping for Thompson Sampling: `ts_scale` multiplies alpha and beta
 * before drawing (> 1 exploits more, < 1 explores more), `ts_max_count` caps alpha + beta
 * keeping the mean (a floor on exploration).
 *
 * Configuration keys (growth_bandit_create()):
 * | key | default | meaning |
 * |-----|---------|---------|
 * | policy | thompson | thompson, egreedy, ucb1, klucb, lints, linucb, logistic_ts, logistic_ucb, logistic_greedy |
 * | dim | 0 | context width (required, >= 1, by lints/linucb; 0 for the others) |
 * | seed | 0 | seed of the PRNG streams |
 * | stream | 0 | replica index: the streams start 2^128 * streams * stream draws further (independent replicas of one model) |
 * | streams | 4 | PRNG streams / lock stripes (1..256, power of two); decision d uses stream d mod streams |
 * | prior_alpha, prior_beta | 1, 1 | default Beta prior (> 0) |
 * | epsilon | 0.1 | egreedy exploration rate at step 0 |
 * | epsilon_decay | 0 | eps_t = max(epsilon_min, epsilon / (1 + epsilon_decay * t)), t = decisions so far |
 * | epsilon_min | 0 | floor of eps_t |
 * | ucb_c | 1.4142135623730951 | UCB1 exploration multiplier |
 * | klucb_c | 0 | KL-UCB log log N coefficient |
 * | lambda | 1 | ridge prior precision of the linear policies, prior precision of each weight of the logistic policies (> 0) |
 * | alpha | 1 | LinUCB and logistic_ucb width |
 * | v | 1 | linear and logistic Thompson Sampling posterior scale (the exploration multiplier) |
 * | refresh | 256 | refactor A^-1 from A every `refresh` updates of an arm |
 * | ts_scale | 1 | Thompson Sampling posterior reshaping (> 0) |
 * | ts_max_count | 0 | cap on alpha + beta when drawing (0 = none) |
 * | propensity_draws | 0 | Monte Carlo re-draws for the propensity of TS/LinTS choices (0 = not estimated: NaN) |
 * | ttl | 100000 | a decision can be rewarded until `ttl` newer decisions were made (1..2^26) |
 * | ttl_seconds | 0 | also expire decisions older than this many seconds (0 = no time limit) |
 * | decay | 1 | exponential forgetting per applied reward (not with logistic_*) |
 * | window | 0 | sliding window of applied rewards (0 = none; not with logistic_*) |
 * | max_arms | 1000000 | upper bound on the number of arms |
 * | bits | 18 | logistic policies: the model has 2^bits slots (1..30); row indices must be below 2^bits |
 * | nnz | 64 | logistic policies: most entries a candidate row may have (1..4096; pending decisions keep the chosen row) |
 * | count_bits | 16 | logistic policies: 2^count_bits feedback counters for the cold-start priors (1..26) |
 * | prior_count | 20 | logistic policies: pseudo-observations of a candidate's prior rate (0 = priors ignored) |
 * | max_memory | 0 | bytes the handle may take (pending-decision ring, window, stripes, arms with their d x d matrices for lints/linucb), an integer; 0 = no cap beyond the machine's physical memory |
 *
 * Memory limits: growth_bandit_create() (and loading) computes what the configuration implies
 * (e.g. `ttl` x `dim` floats of pending contexts for the linear policies) and refuses with
 * ::GROWTH_ENOMEM naming the bytes, before allocating, when it exceeds physical memory or
 * `max_memory`; growth_bandit_add_arm() refuses the arm that would exceed them (a linear arm
 * holds 2 x dim x dim doubles).
 *
 * Thread-safety: growth_bandit_select(), growth_bandit_select_k(), growth_bandit_select_batch(),
 * growth_bandit_probabilities() and the read-only getters may be called from any number of
 * threads at once; they share a reader lock on the arms, and each decision draws from the PRNG
 * stream (and records itself in the stripe of the pending-decision ring) of its decision id,
 * guarded by a per-stripe mutex. Rewards, arm changes and saves take the lock exclusively
 * (writer-preferring, so rewards are not starved by a stream of selects). A single-threaded
 * sequence of calls is fully determined by the seed; a handle restored from
 * growth_bandit_serialize() makes exactly the same future decisions as the original.
 *
 * Every failing call returns a negative status, sets growth_last_error() and leaves the handle
 * unchanged (except the diagnostic counters of growth_bandit_stats_get()).
 *
 * @code
 * growth_bandit *b;
 * growth_bandit_create(&b, "policy=thompson seed=7 ttl=1000000");
 * for (uint64_t coupon = 1; coupon <= 20; coupon++)
 *     growth_bandit_add_arm(b, coupon, 0.03, 50);       // cold start: pCTR 3%, 50 pseudo-views
 * uint64_t decision, arm;
 * double propensity;
 * uint64_t in_stock[3] = {2, 5, 11};
 * growth_bandit_select(b, NULL, 0, in_stock, 3, &decision, &arm, &propensity);
 * // ... show coupon `arm`; minutes later the redemption arrives:
 * growth_bandit_reward(b, decision, 1.0);
 * growth_bandit_save(b, "coupons.bandit");
 * growth_bandit_free(b);
 * @endcode
 */
#ifndef GROWTH_BANDIT_H
#define GROWTH_BANDIT_H

#include "growth/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A bandit over a set of arms with one policy (opaque). */
typedef struct growth_bandit growth_bandit;

/** @brief Creates a bandit without arms from a configuration string (see the table above).
 *  @return ::GROWTH_OK; ::GROWTH_EINVAL naming the bad key; ::GROWTH_ENOMEM when the
 *          configuration needs more than physical memory or `max_memory` (the message names the
 *          bytes; nothing allocated) or memory runs out. @since 1.0 */
GROWTH_API int growth_bandit_create(growth_bandit **out, const char *config);

/** @brief Frees a bandit; NULL is allowed. @since 1.0 */
GROWTH_API void growth_bandit_free(growth_bandit *b);

/**
 * @brief Effective configuration ("policy=thompson dim=0 ...").
 * @param[out] buf  `cap` bytes for the NUL-terminated string (may be NULL to ask for the size).
 * @param[out] out_n may be NULL; on ::GROWTH_OK the bytes written including the NUL, on
 *                  ::GROWTH_EBUFS the capacity needed (nothing is written to `buf`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_EBUFS if `cap` is short.
 * @since 1.0
 */
GROWTH_API int growth_bandit_config(const growth_bandit *b, char *buf, size_t cap, size_t *out_n);

/**
 * @brief Adds an arm.
 * @param id             arm id, below 2^63, not already present.
 * @param prior_rate     cold-start rate in (0, 1) (e.g. a model's pCTR); ignored when
 *                       `prior_strength` is 0.
 * @param prior_strength pseudo-count strength (>= 0); 0 gives the configured default prior.
 *                       Must be 0 for the linear policies.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a bad id/prior or a duplicate; ::GROWTH_ENOMEM when
 *         `max_arms` is reached, the arm would take the handle past physical memory or
 *         `max_memory`, or memory runs out.
 * @since 1.0
 */
GROWTH_API int growth_bandit_add_arm(growth_bandit *b, uint64_t id, double prior_rate, double prior_strength);

/**
 * @brief Adds an arm known by a name (a coupon code, a creative id); its id is
 *        growth_bandit_name_id(name). The name is kept and saved.
 * @param name NUL-terminated name (any bytes; UTF-8 in the bindings).
 * @param prior_rate, prior_strength cold-start prior as in growth_bandit_add_arm().
 * @param[out] out_id may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or name, a bad prior or a name whose
 *         arm exists; ::GROWTH_ENOMEM as growth_bandit_add_arm().
 * @since 1.0
 */
GROWTH_API int growth_bandit_add_arm_named(growth_bandit *b, const char *name, double prior_rate,
                                           double prior_strength, uint64_t *out_id);

/**
 * @brief Stable id of a named arm:
 *        `growth_hash64(name, strlen(name), 0x62616e646974) | (1 << 63)`, i.e. the hash of the
 *        name's bytes (without the NUL) seeded with 0x62616e646974 (the ASCII bytes of "bandit"),
 *        with the top bit set so that named ids never collide with numeric ids (< 2^63). The
 *        same name gives the same id in every process, version and binding (a file-format
 *        promise: saved bandits store named arms by this id).
 * @return the id; 0 for NULL (never a valid named id, since those have the top bit set).
 * @since 1.0
 */
GROWTH_API uint64_t growth_bandit_name_id(const char *name);

/**
 * @brief Name of a named arm.
 * @param[out] buf  `cap` bytes for the NUL-terminated name (may be NULL to ask for the size).
 * @param[out] out_n may be NULL; on ::GROWTH_OK the bytes written including the NUL, on
 *                  ::GROWTH_EBUFS the capacity needed (nothing is written to `buf`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ENOTFOUND for an unknown arm
 *         or one without a name; ::GROWTH_EBUFS if `cap` is short.
 * @since 1.0
 */
GROWTH_API int growth_bandit_arm_name(const growth_bandit *b, uint64_t id, char *buf, size_t cap,
                                      size_t *out_n);

/**
 * @brief Retires an arm: it is never selected again, and rewards for its pending decisions are
 *        counted as `retired`. The last arm moves into its dense index.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_ENOTFOUND if absent.
 * @since 1.0
 */
GROWTH_API int growth_bandit_remove_arm(growth_bandit *b, uint64_t id);

/**
 * @brief Replaces arm `old_id` by a fresh arm `new_id` (same dense index, new prior) in one step.
 * @param new_id         below 2^63; may equal `old_id` (resets the arm).
 * @param prior_rate, prior_strength cold-start prior as in growth_bandit_add_arm().
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle, a bad id or prior, or a `new_id`
 *         that is another existing arm; ::GROWTH_ENOTFOUND if `old_id` is absent;
 *         ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bandit_replace_arm(growth_bandit *b, uint64_t old_id, uint64_t new_id,
                                         double prior_rate, double prior_strength);

/**
 * @brief Ids of all arms in dense-index order (the order eligibility masks refer to).
 * @param[out] out_ids `cap` entries (may be NULL with `cap` = 0 to ask for the count).
 * @param[out] out_n  may be NULL; on ::GROWTH_OK the number of arms written, on ::GROWTH_EBUFS
 *                    the number of arms (nothing is written to `out_ids`).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle; ::GROWTH_EBUFS if `cap` is short.
 * @since 1.0
 */
GROWTH_API int growth_bandit_arms(const growth_bandit *b, uint64_t *out_ids, size_t cap, size_t *out_n);

/**
 * @brief Statistics of one arm (growth_bandit_arm_stats_get()). Initialise with
 *        ::GROWTH_BANDIT_ARM_STATS_INIT; fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_bandit_arm_stats {
    uint32_t struct_size; /**< sizeof(growth_bandit_arm_stats), set by ::GROWTH_BANDIT_ARM_STATS_INIT */
    uint32_t reserved;    /**< 0 */
    double
        alpha; /**< posterior alpha (Beta policies: prior + evidence after forgetting; linear policies: 0) */
    double beta; /**< posterior beta (Beta policies; 0 for the linear policies) */
    double
        evidence; /**< sum of the applied rewards' weights after forgetting (linear policies: the number of updates) */
    double mean; /**< point estimate of the mean: the posterior mean (NaN for the linear policies) */
} growth_bandit_arm_stats;

/** Initialiser of ::growth_bandit_arm_stats (struct_size set, the rest zero). */
#define GROWTH_BANDIT_ARM_STATS_INIT GROWTH_STRUCT_INIT(growth_bandit_arm_stats)

/**
 * @brief An arm's statistics.
 * @param[in,out] out struct_size set by the caller (::GROWTH_BANDIT_ARM_STATS_INIT); the fields
 *                that fit in it are filled, struct_size is left as it was.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out`, or a `struct_size` below the
 *         1.0 size; ::GROWTH_ENOTFOUND for an unknown arm (`out` untouched).
 * @since 1.0
 */
GROWTH_API int growth_bandit_arm_stats_get(const growth_bandit *b, uint64_t id, growth_bandit_arm_stats *out);

/**
 * @brief Chooses one arm.
 * @param context   `dim` floats (finite) for the linear policies; NULL with dim = 0 otherwise.
 * @param eligible  ids of the arms allowed for this request, or NULL for all arms. An empty
 *                  list (n_eligible = 0, eligible not NULL) gives ::GROWTH_ENOTFOUND.
 * @param[out] out_decision id to pass to growth_bandit_reward() (>= 1, increasing).
 * @param[out] out_arm      chosen arm id.
 * @param[out] out_propensity probability that the policy makes this choice in this state (NaN
 *                  for TS/LinTS when propensity_draws = 0); may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (bad context width, NaN, duplicate ids);
 *         ::GROWTH_ENOTFOUND (an unknown eligible id, or nothing eligible); ::GROWTH_ESTATE
 *         (no arms).
 * @since 1.0
 */
GROWTH_API int growth_bandit_select(growth_bandit *b, const float *context, size_t dim,
                                    const uint64_t *eligible, size_t n_eligible, uint64_t *out_decision,
                                    uint64_t *out_arm, double *out_propensity);

/**
 * @brief Chooses k distinct arms (a slate), best first. Each chosen arm gets its own decision id
 *        (consecutive) and is rewarded separately; its propensity is the probability that the
 *        arm is in the slate.
 * @param eligible, n_eligible  list of ids as in growth_bandit_select(), or NULL.
 * @param mask, n_mask  alternatively a mask over the dense arm index (n_mask = arm count;
 *                      non-zero = eligible), or NULL. At most one of eligible and mask.
 * @param k             1 <= k <= number of eligible arms, else ::GROWTH_EINVAL.
 * @param[out] out_decisions, out_arms, out_propensities  `cap` >= k entries each
 *                      (out_propensities may be NULL); ::GROWTH_EBUFS if short.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or outputs, a bad k, context or
 *         eligibility); ::GROWTH_ENOTFOUND (an unknown eligible id); ::GROWTH_ESTATE (no arms);
 *         ::GROWTH_EBUFS (`cap` < k).
 * @since 1.0
 */
GROWTH_API int growth_bandit_select_k(growth_bandit *b, const float *context, size_t dim,
                                      const uint64_t *eligible, size_t n_eligible, const uint8_t *mask,
                                      size_t n_mask, size_t k, uint64_t *out_decisions, uint64_t *out_arms,
                                      double *out_propensities, size_t cap);

/**
 * @brief `n` independent single-arm decisions in one call (same eligibility for all), e.g. for
 *        a batch of requests. `contexts` is n x dim, row-major (NULL when dim = 0).
 * @param[out] out_decisions, out_arms, out_propensities  `cap` >= n entries each
 *                      (out_propensities may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or outputs, bad contexts or eligibility);
 *         ::GROWTH_ENOTFOUND (an unknown eligible id); ::GROWTH_ESTATE (no arms);
 *         ::GROWTH_EBUFS (`cap` < n).
 * @since 1.0
 */
GROWTH_API int growth_bandit_select_batch(growth_bandit *b, const float *contexts, size_t dim, size_t n,
                                          const uint64_t *eligible, size_t n_eligible,
                                          uint64_t *out_decisions, uint64_t *out_arms,
                                          double *out_propensities, size_t cap);

/**
 * @brief Probability that a single-arm select in the current state picks each eligible arm:
 *        exact for egreedy/UCB/LinUCB, Monte Carlo with `draws` re-draws (>= 1) for TS/LinTS
 *        from a PRNG seeded with `seed` (the handle's streams are not touched, future decisions
 *        do not change). out[i] belongs to eligible[i], or to dense index i when eligible is
 *        NULL; `cap` >= that count. The values sum to 1.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or `out`, draws = 0 for TS/LinTS, a bad
 *         context or eligibility); ::GROWTH_ENOTFOUND (an unknown eligible id);
 *         ::GROWTH_ESTATE (no arms); ::GROWTH_EBUFS (`cap` short).
 * @since 1.0
 */
GROWTH_API int growth_bandit_probabilities(const growth_bandit *b, const float *context, size_t dim,
                                           const uint64_t *eligible, size_t n_eligible, size_t draws,
                                           uint64_t seed, double *out, size_t cap);

/**
 * @brief Chooses one of `n_candidates` candidate rows with a shared-model contextual policy
 *        (`policy=logistic_ts|logistic_ucb|logistic_greedy`; see the section above).
 * @param indptr  n_candidates + 1 non-decreasing offsets into indices/values; candidate j is
 *                indices[indptr[j] .. indptr[j+1]) (indptr[0] need not be 0), at most `nnz`
 *                entries.
 * @param indices slots below 2^bits (NULL only when all rows are empty).
 * @param values  finite feature values, or NULL (all ones).
 * @param candidate_ids n ids (e.g. the rights' ids), or NULL; needed for cold-start priors,
 *                whose pseudo-count decays with the feedback to each id. No registration: any id.
 * @param prior_rates   n prior rates (0 = no prior for that candidate, else in (0, 1)), or NULL.
 * @param[out] out_decision  id to pass to growth_bandit_reward() (>= 1, increasing).
 * @param[out] out_candidate index of the chosen row, below n_candidates.
 * @param[out] out_propensity probability of this choice (exact for logistic_ucb/greedy; a Monte
 *                Carlo estimate for logistic_ts with `propensity_draws` > 0, else NaN); may be NULL.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, indptr or outputs, a decreasing indptr, a
 *         row longer than `nnz`, a slot >= 2^bits, a non-finite value, a bad prior rate, prior
 *         rates without ids); ::GROWTH_ENOTFOUND (n_candidates = 0); ::GROWTH_ESTATE (the policy
 *         is not logistic_*); ::GROWTH_ENOMEM (growing the scratch to a new largest K).
 * @since 1.0
 */
GROWTH_API int growth_bandit_select_csr(growth_bandit *b, const uint64_t *indptr, const uint32_t *indices,
                                        const float *values, size_t n_candidates,
                                        const uint64_t *candidate_ids, const double *prior_rates,
                                        uint64_t *out_decision, size_t *out_candidate,
                                        double *out_propensity);

/**
 * @brief Posterior of weights of the shared logistic model (policy=logistic_*): mean m_i and
 *        precision q_i of each requested slot (q_i = lambda for a slot never updated).
 * @param slots n slots below 2^bits.
 * @param[out] out_mean, out_precision `cap` >= n doubles each; either may be NULL, not both.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle, slots or both outputs, a slot >= 2^bits);
 *         ::GROWTH_ESTATE (not a logistic policy); ::GROWTH_EBUFS (`cap` < n).
 * @since 1.0
 */
GROWTH_API int growth_bandit_weights(const growth_bandit *b, const uint32_t *slots, size_t n,
                                     double *out_mean, double *out_precision, size_t cap);

/**
 * @brief Applies the reward of a decision.
 * @param value finite; in [0, 1] for the Beta policies (thompson, egreedy, ucb1, klucb:
 *              alpha += value, beta += 1 - value) and the logistic policies.
 * @return ::GROWTH_OK when applied; ::GROWTH_EINVAL for a bad value; ::GROWTH_ENOTFOUND (and a
 *         counter in growth_bandit_stats_get()) when the decision is unknown, expired, already
 *         rewarded or its arm was removed.
 * @since 1.0
 */
GROWTH_API int growth_bandit_reward(growth_bandit *b, uint64_t decision, double value);

/**
 * @brief Applies many rewards under one lock, in order. All values are validated first (one
 *        bad value: ::GROWTH_EINVAL, nothing applied). Unknown/expired decisions are counted,
 *        not errors.
 * @param[out] out_status if not NULL, n statuses (::GROWTH_OK or ::GROWTH_ENOTFOUND).
 * @param[out] out_applied if not NULL, the number applied.
 * @return ::GROWTH_OK (also when some decisions were not applied); ::GROWTH_EINVAL (NULL
 *         handle or arrays, a bad value; nothing applied).
 * @since 1.0
 */
GROWTH_API int growth_bandit_reward_batch(growth_bandit *b, const uint64_t *decisions, const double *values,
                                          size_t n, int *out_status, size_t *out_applied);

/**
 * @brief Counters of a bandit (growth_bandit_stats_get()). Initialise with
 *        ::GROWTH_BANDIT_STATS_INIT; fields are only ever appended.
 * @since 1.0
 */
typedef struct growth_bandit_stats {
    uint32_t struct_size; /**< sizeof(growth_bandit_stats), set by ::GROWTH_BANDIT_STATS_INIT */
    uint32_t reserved;    /**< 0 */
    uint64_t decisions;   /**< decisions made */
    uint64_t applied;     /**< rewards applied */
    uint64_t unknown;     /**< rewards for ids never issued */
    uint64_t expired;     /**< rewards for decisions past ttl / ttl_seconds */
    uint64_t duplicate;   /**< second rewards for a decision */
    uint64_t retired;     /**< rewards for decisions whose arm was removed */
    uint64_t pending;     /**< decisions within ttl and not yet rewarded */
    uint64_t arms;        /**< current number of arms */
} growth_bandit_stats;

/** Initialiser of ::growth_bandit_stats (struct_size set, the rest zero). */
#define GROWTH_BANDIT_STATS_INIT GROWTH_STRUCT_INIT(growth_bandit_stats)

/**
 * @brief The bandit's counters and arm count, read in one consistent snapshot.
 * @param[in,out] out struct_size set by the caller (::GROWTH_BANDIT_STATS_INIT); the fields that
 *                fit in it are filled, struct_size is left as it was.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a NULL handle or `out`, or a `struct_size` below the
 *         1.0 size.
 * @since 1.0
 */
GROWTH_API int growth_bandit_stats_get(const growth_bandit *b, growth_bandit_stats *out);

/**
 * @brief Saves the complete state (arms, statistics, PRNG streams, pending decisions) atomically
 *        (model kind ::GROWTH_KIND_BANDIT).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or path); ::GROWTH_EIO; ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bandit_save(const growth_bandit *b, const char *path);

/**
 * @brief Loads a bandit saved by growth_bandit_save(). Pending decisions keep their age against
 *        ttl_seconds.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL out or path); ::GROWTH_EIO; ::GROWTH_EFORMAT for a
 *         corrupted, truncated or other-kind file; ::GROWTH_ENOMEM, also when the stored
 *         configuration and arms need more than physical memory or the stored `max_memory`
 *         (checked before allocating, as growth_bandit_create()).
 * @since 1.0
 */
GROWTH_API int growth_bandit_load(growth_bandit **out, const char *path);

/**
 * @brief Serialises the complete state into a malloc'ed buffer (release with
 *        growth_buffer_free()).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL argument); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bandit_serialize(const growth_bandit *b, uint8_t **out_buf, size_t *out_len);

/**
 * @brief Rebuilds a bandit from growth_bandit_serialize() bytes.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL out or buf); ::GROWTH_EFORMAT for bytes that are
 *         corrupted, truncated or of another kind; ::GROWTH_ENOMEM (as growth_bandit_load()).
 * @since 1.0
 */
GROWTH_API int growth_bandit_deserialize(growth_bandit **out, const uint8_t *buf, size_t len);

/**
 * @brief Estimates the value of a target policy from a log of (context, action, reward,
 *        propensity) events.
 *
 * The estimators are Open Bandit Pipeline's (Saito, Aihara, Matsutani, Narita, "Open Bandit
 * Dataset and Pipeline: Towards Realistic and Reproducible Off-Policy Evaluation", NeurIPS 2021
 * Datasets and Benchmarks; `obp.ope.estimators`), each the mean of per-event round rewards (the
 * self-normalised ones a weighted mean). Notation: pi(a|x) is the target policy's probability of
 * action a in context x, w_i = pi(a_i|x_i) / p_i the importance weight of event i,
 * q(x, a) a reward model's prediction, q_pi(x) = sum_a pi(a|x) q(x, a), and `lambda` (config
 * key, default DBL_MAX = none) the estimator's hyperparameter as OBP names it:
 * | estimator | value | OBP class |
 * |-----------|-------|-----------|
 * | replay | sum pi(a_i|x_i) r_i / sum pi(a_i|x_i) (Li et al.'s replay; needs no propensities) | ReplayMethod |
 * | dm | mean of q_pi(x_i) (direct method; needs q_hat, no propensities) | DirectMethod |
 * | ips | mean of min(w_i, lambda) r_i (IPS with clipping) | InverseProbabilityWeighting |
 * | snips | sum min(w_i, lambda) r_i / sum min(w_i, lambda) (self-normalised) | SelfNormalizedInverseProbabilityWeighting |
 * | dr | mean of q_pi(x_i) + min(w_i, lambda) (r_i - q(x_i, a_i)) | DoublyRobust |
 * | switch_dr | mean of q_pi(x_i) + 1{w_i <= lambda} w_i (r_i - q(x_i, a_i)) (Wang et al. 2017) | SwitchDoublyRobust |
 * | dros | mean of q_pi(x_i) + lambda w_i / (w_i^2 + lambda) (r_i - q(x_i, a_i)) (optimistic shrinkage, Su et al. 2020; lambda = 0 is DM, the default is DR) | DoublyRobustWithShrinkage |
 *
 * q_hat NULL counts as 0 for dr, switch_dr and dros (they are then IPS-like). `lambda` (>= 0)
 * applies to ips, snips, dr, switch_dr and dros. Standard errors: delta method for the ratio
 * estimators (replay, snips), the sample standard error of the round rewards for the others.
 * Without `lambda`, ips, snips, dr and replay give what they gave before these keys existed.
 *
 * **The bandit's log**: each decision of growth_bandit_select_csr() (or of a single-arm select)
 * is one event: the decision id (to join the reward), the chosen candidate's index as the action,
 * the returned propensity and the reward later passed to growth_bandit_reward(). When the
 * candidate set changes from decision to decision, use n_actions = the largest candidate count
 * and give the target probability (and q_hat) 0 in the columns a decision did not have. For
 * unbiased estimates the propensities must be exact: logistic_ucb / logistic_greedy and the
 * exact policies give them; logistic_ts gives a Monte Carlo estimate (`propensity_draws`).
 *
 * @param n, n_actions events and actions (>= 1 each).
 * @param actions      n logged actions, each < n_actions.
 * @param rewards      n finite rewards.
 * @param propensities n logging probabilities of the logged actions, in (0, 1] (NULL allowed
 *                     for `estimator=replay` and `estimator=dm` only).
 * @param target       n x n_actions probabilities of the target policy (rows sum to 1 within
 *                     1e-6), row-major.
 * @param q_hat        n x n_actions reward model predictions (required by dm; NULL = 0 for dr,
 *                     switch_dr, dros; ignored by the others).
 * @param config       "estimator=replay|dm|ips|snips|dr|switch_dr|dros [lambda=L]".
 * @param[out] out_value estimate.
 * @param[out] out_stderr its standard error (may be NULL; NaN when n = 1 for the mean estimators).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL for a missing or bad `estimator`, `lambda` with replay or
 *         dm (the message names the key), an unknown key, NULL arrays (q_hat for dm) or bad
 *         values; ::GROWTH_ESTATE when the target policy gives the logged actions zero total
 *         weight (replay, snips).
 * @since 1.0
 */
GROWTH_API int growth_bandit_ope(size_t n, size_t n_actions, const uint32_t *actions, const double *rewards,
                                 const double *propensities, const double *target, const double *q_hat,
                                 const char *config, double *out_value, double *out_stderr);

/**
 * @brief growth_bandit_ope() with a seeded bootstrap confidence interval, as Open Bandit
 *        Pipeline's `estimate_interval` (nonparametric bootstrap, percentile interval).
 *
 * Each of `resamples` resamples draws n events uniformly with replacement (one xoshiro256**
 * stream seeded with `seed` through splitmix64, indices by Lemire's bounded integers, resample
 * after resample, event after event) and applies the estimator to them: the mean of the
 * resampled round rewards (what OBP bootstraps), or for replay/snips the resampled ratio
 * (a resample of zero total weight is left out). The interval is the (1 - confidence)/2 and
 * (1 + confidence)/2 percentiles of the resampled estimates, interpolated linearly between
 * order statistics as NumPy's `percentile` does by default. The same inputs and seed give the
 * same interval. Cost O(resamples x n).
 *
 * @param n, n_actions, actions, rewards, propensities, target, q_hat as growth_bandit_ope().
 * @param config "estimator=... [lambda=L] [resamples=1000] [confidence=0.95] [seed=0]":
 *               resamples 1..10^7, confidence in (0, 1), seed 0..2^53.
 * @param[out] out_value the estimate on all events (as growth_bandit_ope()).
 * @param[out] out_lower, out_upper the interval.
 * @return ::GROWTH_OK; ::GROWTH_EINVAL as growth_bandit_ope() and for a NULL output or a bad
 *         resamples/confidence/seed; ::GROWTH_ESTATE (zero total weight, as growth_bandit_ope(),
 *         or in every resample); ::GROWTH_ENOMEM.
 * @since 1.0
 */
GROWTH_API int growth_bandit_ope_interval(size_t n, size_t n_actions, const uint32_t *actions,
                                          const double *rewards, const double *propensities,
                                          const double *target, const double *q_hat, const char *config,
                                          double *out_value, double *out_lower, double *out_upper);

/**
 * @brief Replay evaluation of a learning bandit on a log collected by a uniformly random policy
 *        (Li et al., WSDM 2011): for each event the bandit selects among `eligible` (NULL: all
 *        its arms); when it picks the logged arm, the event's reward is applied at once and
 *        counted, otherwise the event is skipped. The bandit learns from the matched events.
 * @param contexts n x dim (NULL when dim = 0).
 * @param arms     n logged arm ids.
 * @param rewards  n finite rewards (in [0, 1] for the Beta policies).
 * @param eligible, n_eligible ids the bandit chooses among, as in growth_bandit_select().
 * @param[out] out_value mean reward over matched events (NaN if none).
 * @param[out] out_matched number of matched events (may be NULL).
 * @return ::GROWTH_OK; ::GROWTH_EINVAL (NULL handle or arrays, bad contexts or rewards);
 *         ::GROWTH_ENOTFOUND / ::GROWTH_ESTATE as growth_bandit_select() (checked at the first
 *         event, before the bandit learns anything).
 * @since 1.0
 */
GROWTH_API int growth_bandit_replay(growth_bandit *b, const float *contexts, size_t dim, const uint64_t *arms,
                                    const double *rewards, size_t n, const uint64_t *eligible,
                                    size_t n_eligible, double *out_value, size_t *out_matched);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GROWTH_BANDIT_H */
