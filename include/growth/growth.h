/**
 * @file growth.h
 * @brief Umbrella header of libgrowth: include this one.
 *
 * libgrowth is the decision engine of an e-commerce growth team in one C library: CTR/CVR
 * scoring, calibration, bandits, budget solving, recall, bidding, audience selection and the
 * metrics to judge them. See README.md for a tour and docs/ for guides.
 */
#ifndef GROWTH_GROWTH_H
#define GROWTH_GROWTH_H

#include "growth/common.h"
#include "growth/features.h"
#include "growth/ctr.h"
#include "growth/fm.h"
#include "growth/metrics.h"
/* module headers (one line each, in this order): */
#include "growth/calibration.h"
#include "growth/bandit.h"
#include "growth/budget.h"
#include "growth/forest.h"
#include "growth/recall.h"
#include "growth/nets.h"
#include "growth/bidding.h"
#include "growth/audience.h"
#include "growth/text.h"
#include "growth/rank.h"
#include "growth/uplift.h"
#include "growth/delayed.h"

#endif /* GROWTH_GROWTH_H */
