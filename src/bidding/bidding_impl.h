/* Private layout of a bidder, shared by bidding.c (handle, bids, pacing, shading, persistence)
 * and sim.c (the auction simulator). */
#ifndef GROWTH_BIDDING_IMPL_H
#define GROWTH_BIDDING_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "growth/bidding.h"
/* this module also implements the unstable interfaces of growth/sys/bidding.h */
#ifndef GROWTH_SYS_UNSTABLE
#define GROWTH_SYS_UNSTABLE
#endif
#include "growth/sys/bidding.h"

enum { BID_MODE_CPA, BID_MODE_ROI };
enum { BID_BILL_CPM, BID_BILL_CPC };
enum { BID_AUCTION_SECOND, BID_AUCTION_FIRST };
enum { BID_PLAN_UNIFORM, BID_PLAN_CURVE };
enum { BID_CTL_PID, BID_CTL_THROTTLE, BID_CTL_NONE };

#define BID_MAX_SLOTS   128 /* a 255-character curve holds at most 128 weights */
#define BID_SHADE_STEPS 64  /* candidate bid / value ratios searched by shading */

typedef struct {
    int mode, billing, auction, plan, controller;
    bool shading;
    int64_t shade_buckets, shade_min_obs;
    double target_cpa, target_roi, bid_floor, bid_cap;
    double shade_min_price, shade_max_price, shade_floor;
    double budget, day_seconds, interval, catchup, kp, ki, kd;
    double initial_multiplier, min_multiplier, max_multiplier, initial_rate, min_rate, max_step;
    char curve[GCFG_STRING_MAX];
    int64_t max_memory; /* bytes the bidder may take, 0 = no cap */
} bid_cfg;

struct growth_bidder {
    bid_cfg cfg;
    int nslots;                      /* plan slots (1 for uniform) */
    double cum[BID_MAX_SLOTS + 1];   /* planned fraction of the budget at slot boundaries */
    int K;                           /* shading grid size */
    double lmin, lstep;              /* grid price k = exp(lmin + k lstep) */
    double shade_r[BID_SHADE_STEPS]; /* candidate bid / value ratios, ascending, last = 1 */
    double shade_x[BID_SHADE_STEPS]; /* their logarithms in grid steps (ln r / lstep) */

    /* read lock-free by the bid path */
    _Atomic double mult, rate, spent_pub;
    atomic_bool exhausted;
    _Atomic double *W; /* K win rates */
    atomic_uint_fast64_t obs;

    /* writer state, under lock */
    pthread_mutex_t lock;
    double spent, interval_spent, err1, err2, last_time;
    uint64_t step, days;
    double *wins, *trials;
    double *scratch; /* 3 K doubles for the isotonic fit */
    double *grid;    /* K grid prices */
};

/* Parses "w0|w1|..." into w (at most cap weights, each finite >= 0, positive sum). */
int bid_parse_curve(const char *who, const char *key, const char *s, double *w, int cap, int *n);

#endif /* GROWTH_BIDDING_IMPL_H */
