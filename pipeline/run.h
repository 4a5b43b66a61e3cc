/* run.h: one photo's trip — read, dedupe, keep the original, load, run the stages in order, write the
 * renditions, record the outcome. Used by `process` (with a store) and `explain` (without). */
#ifndef LR_RUN_H
#define LR_RUN_H

#include "filters/context.h"
#include "pipeline/exif.h"
#include "pipeline/profile.h"
#include "pipeline/store.h"

#define LR_PIPELINE_VERSION "1"

/* Where a photo came from, for the record. Strings are borrowed. */
typedef struct {
	const char *name;          /* the file as reported: the path given, or the inbox path */
	const char *original_path; /* the original already kept in the store (inbox jobs), or NULL */
	const char *sha256;        /* its SHA-256, hashed as it was kept (inbox jobs), or NULL */
	const char *artisan, *sku, *title;
	gint64 job_id;             /* the inbox job this finishes, or 0 */
} LrSource;

typedef struct {
	char *file;           /* the path as given */
	gint64 id;            /* catalog id; 0 without a store */
	gint64 duplicate_of;  /* id of the first copy of these bytes, for duplicates */
	char *sha256;
	gint64 bytes;
	const char *status;   /* accepted, needs_review, quarantined, duplicate */
	LrContext *ctx;       /* the photo's context, never NULL after lr_process_file */
	LrExifSummary exif;
	LrSource source;      /* borrowed from the caller */
	char *original_path;  /* the original as kept in the store, or NULL */
	guint64 phash;        /* perceptual hash, when the photo was decoded */
	gboolean has_phash;
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

/* Processes the inbox JOB, whose original is already kept in STORE, with PROFILE, and records the
 * outcome together with the job's completion in one transaction. Same return as lr_process_file(). */
int lr_process_job(LrStore *store, const LrProfile *profile, const LrJob *job, LrOutcome *out);

/* lr_process_job in two halves, for a caller that records on another thread: the first does the
 * work (reads, decodes, runs the stages, takes the perceptual hash) and writes nothing; it returns 0
 * when OUT is to be recorded, -1 as lr_process_job. The second looks for near duplicates and writes
 * the renditions and the record, reading nothing of the pixels but the renditions': the caller may
 * drop the context's images in between (lr_context_drop_images). Same return as lr_process_job(). */
int lr_process_job_prepare(LrStore *store, const LrProfile *profile, const LrJob *job,
			   LrOutcome *out);
int lr_process_record(LrStore *store, LrOutcome *out);

/* Records the inbox JOB, which failed to finish too many times, as quarantined with its last error,
 * finishing the job. Same return as lr_process_file(). */
int lr_record_failed_job(LrStore *store, const LrProfile *profile, const LrJob *job, LrOutcome *out);

/* Frees what OUT holds. */
void lr_outcome_clear(LrOutcome *out);

/* Writes normalized.png, mask.png and final.png of OUT's context into DIR. Returns 0 or -1 with ERROR. */
/* CTX's photo normalized at full size (*NORMALIZED) and its product mask over it (*MASK, NULL when
 * analyse did not run), which the pipeline itself never holds whole: for --dump and tests. New
 * references. Returns 0, or -1 (CTX failed or vips error set). */
int lr_full_size_images(LrContext *ctx, VipsImage **normalized, VipsImage **mask);

int lr_dump_stages(const LrOutcome *out, const char *dir, GError **error);

#endif
