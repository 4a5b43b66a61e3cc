/* decide.h: what the decide stage exposes beyond its LrFilter: its thresholds as it resolves them.
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

#endif
