/* decide.h: what the decide stage exposes beyond its LrFilter: its thresholds as it resolves them,
 * and the near-duplicate sub-score, which only the store can measure.
 *
 * A [decide] threshold comes from the profile when it sets it, else from the fitted scorer parameters
 * (models/scorer.ini, embedded), else from the parameter's declared prior; the report uses the same
 * resolution to explain a decision.
 */
#ifndef LR_DECIDE_H
#define LR_DECIDE_H

#include "filters/context.h"

/* The value of the decide stage's parameter NAME for CTX's profile. NAME must be declared by the
 * decide stage. */
double lr_decide_threshold(const LrContext *ctx, const char *name);

/* The near-duplicate line of CTX's profile: a photo whose perceptual hash (pipeline/phash.h) is
 * within this many bits of an earlier photo of the same artisan and product is that photo's
 * duplicate ([decide] max_duplicate_bits; [dedupe] max_hamming, its older name, when a profile sets
 * that). */
int lr_decide_duplicate_bits(const LrContext *ctx);

/* Adds to CTX the informative sub-score near_duplicate for a photo whose perceptual hash is BITS
 * from the nearest earlier photo of the same artisan and product: 0.5 at the duplicate line, lower
 * nearer a copy. Not part of the composite (decide.c says why); called by the store's look-up after
 * the stages, as only the store knows the earlier photos. */
void lr_decide_near_duplicate(LrContext *ctx, int bits);

#endif
