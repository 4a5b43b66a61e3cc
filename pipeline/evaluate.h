/* evaluate.h: running the scorer over a labelled folder and counting how right it is.
 *
 * A labelled folder holds photos and a labels.tsv: a header line, then per photo its file name, the
 * expected status (accepted or needs_review), the expected reason codes (comma-separated, "-" for none)
 * and optionally its kind and severity (as models/labelset.c writes them). Measuring (load, normalize,
 * analyse, compose) is kept apart from deciding, so that a fit can re-decide the same measurements
 * under new thresholds in microseconds.
 */
#ifndef LR_EVALUATE_H
#define LR_EVALUATE_H

#include "filters/context.h"
#include "pipeline/profile.h"

#include <stdio.h>

/* One labelled photo, its measurements and the decision on them. */
typedef struct {
	char *file, *path;
	char *expected_status;
	char **expected;      /* expected reason codes, NULL-terminated (empty for none) */
	char *kind, *severity;
	gboolean measured;    /* FALSE when the photo failed before decide (see error) */
	char *error;
	LrMetrics metrics;
	gboolean background_replaced;
	const char *status;   /* the decision: accepted, needs_review; quarantined on failure */
	char **got;           /* the reason codes decided, NULL-terminated */
	double composite;
} LrEvalItem;

typedef struct {
	GPtrArray *items;     /* of LrEvalItem* */
	char *profile;        /* name of the profile of the last decision */
} LrEvaluation;

/* Reads DIR/labels.tsv and measures every photo in it with PROFILE, on THREADS threads (0: one per
 * processor), then decides them (lr_evaluation_decide). Returns the evaluation, or NULL with ERROR set
 * when the labels cannot be read; a photo that fails counts as quarantined, not as an error. */
LrEvaluation *lr_evaluation_run(const char *dir, const LrProfile *profile, int threads,
				GError **error);

/* Decides every measured item again under PROFILE's thresholds (the decide stage only). */
void lr_evaluation_decide(LrEvaluation *ev, const LrProfile *profile);

/* Recall of reason CODE: the share of the photos expected to get it that got it; -1 if none expected. */
double lr_evaluation_recall(const LrEvaluation *ev, const char *code);

/* Precision of reason CODE: the share of the photos that got it that were expected to; -1 if none got
 * it. */
double lr_evaluation_precision(const LrEvaluation *ev, const char *code);

/* The share of the photos expected accepted that were accepted; -1 if there are none. */
double lr_evaluation_acceptance(const LrEvaluation *ev);

/* The share of the photos whose status came out as expected. */
double lr_evaluation_accuracy(const LrEvaluation *ev);

/* The reason codes expected anywhere in EV, sorted (caller frees with g_strfreev). */
char **lr_evaluation_codes(const LrEvaluation *ev);

/* Prints accuracy, clean acceptance, per-reason precision and recall, the status confusion matrix,
 * a kind-by-reason matrix and every photo the scorer got wrong, to FP. */
void lr_evaluation_print(const LrEvaluation *ev, FILE *fp);

/* Frees EV. Accepts NULL. */
void lr_evaluation_free(LrEvaluation *ev);

#endif
