/* review.h: what curators do to a photo — approve, reject, reprocess with overrides — and the API
 * tokens that say who they are. Shared by the review page (pipeline/http.c) and `listready review`,
 * so that both record the same events.
 */
#ifndef LR_REVIEW_H
#define LR_REVIEW_H

#include "pipeline/store.h"

/* Overrides for a reprocess. */
typedef struct {
	const char *profile;      /* another profile's name, or NULL for the photo's own */
	gboolean keep_background; /* do not replace the background (the photo is only framed) */
	gboolean has_crop;
	double crop[4];           /* left, top, width, height as shares 0..1 of the upright original */
	int rotate;               /* 0, 90, 180 or 270 degrees clockwise, applied after the crop */
} LrReprocess;

/* Approves (APPROVE) or rejects image ID as ACTOR ("curator:NAME"); a rejection needs NOTE, the
 * reason the artisan will see. Returns 0, or -1 with ERROR set (see lr_store_review()). */
int lr_review_decide(LrStore *store, gint64 id, gboolean approve, const char *note,
		     const char *actor, GError **error);

/* Runs image ID's kept original through the pipeline again with OVERRIDES and makes the new outcome
 * (status, scores, reasons, renditions) the image's, logging a "reprocessed" event by ACTOR with the
 * overrides. Slow (a whole pipeline run): call it off the main loop. Returns 0, or -1 with ERROR set
 * (G_IO_ERROR_INVALID_ARGUMENT for bad overrides, the store's errors otherwise). */
int lr_review_reprocess(LrStore *store, gint64 id, const LrReprocess *overrides, const char *actor,
			GError **error);

/* Parses "LEFT,TOP,WIDTH,HEIGHT" (shares 0..1) into OVERRIDES->crop. Returns FALSE if it is not
 * four numbers describing a non-empty box inside the photo. */
gboolean lr_reprocess_parse_crop(const char *text, LrReprocess *overrides);

/* Creates an API token with ROLE ("curator", "catalog", "admin") and NAME, stores its SHA-256 and
 * returns the token (64 hex digits from /dev/urandom; caller frees; shown once, never stored), or
 * NULL with ERROR set. */
char *lr_token_create(LrStore *store, const char *role, const char *name, GError **error);

/* Checks TOKEN: 1 with *ROLE and *NAME (caller frees) when it is a live token, 0 when not, -1 with
 * ERROR set when the store failed. */
int lr_token_check(LrStore *store, const char *token, char **role, char **name, GError **error);

/* The feedback for ARTISAN as a JSON object (caller frees): {"artisan", "photos": [{id, name, sku,
 * status, outcome: {en, hi}, note, reasons: [{code, en: {message, advice}, hi: {...}}], has_result}]},
 * newest first, at most 500. NULL with ERROR set. */
char *lr_review_feedback_json(LrStore *store, const char *artisan, GError **error);

#endif
