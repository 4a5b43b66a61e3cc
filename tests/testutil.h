/* testutil.h: helpers shared by the test programs — running stages on a file, comparing images, and
 * finding the real-world corpus. */
#ifndef LR_TESTUTIL_H
#define LR_TESTUTIL_H

#include "filters/context.h"
#include "pipeline/profile.h"

/* Starts libvips and the test framework; call first in main. */
void lr_test_init(int *argc, char ***argv);

/* The default profile, loaded once. */
const LrProfile *lr_test_profile(void);

/* Loads PATH and runs the stages up to and including STAGE ("normalize", ..., "decide"). Returns the
 * context (caller frees); a failure is a test failure unless ALLOW_FAIL, when the failed context is
 * returned. */
LrContext *lr_test_run(const char *path, const char *stage, gboolean allow_fail);

/* Same for an in-memory image saved as a JPEG of quality 95 first. */
LrContext *lr_test_run_image(VipsImage *image, const char *stage);

/* CTX's photo normalized at full size (*NORMALIZED, may be NULL) and its product mask over it (returned),
 * as `explain --dump` writes them: the pipeline itself never holds either whole. New references. */
VipsImage *lr_test_full_mask(LrContext *ctx, VipsImage **normalized);

/* Mean absolute difference per band value between two images of the same size (-1 if sizes differ). */
double lr_test_mad(VipsImage *a, VipsImage *b);

/* Intersection over union of MASK >= 128 and TRUTH >= 128 (same size). */
double lr_test_iou(VipsImage *mask, VipsImage *truth);

/* Path of RELATIVE in the real-world corpus (caller frees); the test fails if it is missing. */
char *lr_test_realworld(const char *relative);

/* The single integer SQL returns from DB (a sqlite3 *); a failure is a test failure. */
gint64 lr_test_sql_int(void *db, const char *sql);

/* Runs the decide stage alone on METRICS (as measured, with a trusted mask) under PROFILE. */
LrContext *lr_test_decide(const LrMetrics *metrics, const LrProfile *profile);

/* Whether CTX's decision includes the reason CODE. */
gboolean lr_test_has_reason(const LrContext *ctx, const char *code);

/* A fresh temporary folder, removed at exit (caller frees the name). */
char *lr_test_tmpdir(void);

#endif
