/* run.h: one photo's trip — read, dedupe, keep the original, load, run the stages in order, write the
 * renditions, record the outcome. Used by `process` (with a store) and `explain` (without). */
#ifndef LR_RUN_H
#define LR_RUN_H

#include "filters/context.h"
#include "pipeline/exif.h"
#include "pipeline/profile.h"
#include "pipeline/store.h"

#define LR_PIPELINE_VERSION "1"

typedef struct {
	char *file;           /* the path as given */
	gint64 id;            /* catalog id; 0 without a store */
	gint64 duplicate_of;  /* id of the first copy of these bytes, for duplicates */
	char *sha256;
	gint64 bytes;
	const char *status;   /* accepted, needs_review, quarantined, duplicate */
	LrContext *ctx;       /* the photo's context, never NULL after lr_process_file */
	LrExifSummary exif;
} LrOutcome;

/* Runs CTX (already loaded) through every stage of lr_filter_order, timing each. Returns 0, or -1 with
 * the context's error set by the failing stage. */
int lr_run_stages(LrContext *ctx);

/* Processes the photo at PATH with PROFILE into OUT (clear it with lr_outcome_clear). With a STORE the
 * original is kept, renditions written and the outcome recorded; without one (explain) nothing is
 * written. Returns 0 when the photo reached a definite outcome (accepted, needs_review, quarantined or
 * duplicate), -1 when it did not (the path cannot be opened or read, or the store failed), with the
 * reason in out->ctx->error. */
int lr_process_file(LrStore *store, const LrProfile *profile, const char *path, LrOutcome *out);

/* Frees what OUT holds. */
void lr_outcome_clear(LrOutcome *out);

/* Writes normalized.png, mask.png and final.png of OUT's context into DIR. Returns 0 or -1 with ERROR. */
int lr_dump_stages(const LrOutcome *out, const char *dir, GError **error);

#endif
