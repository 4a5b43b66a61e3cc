/* store.h: the catalog store — one SQLite database plus content-addressed files in one folder.
 *
 * Layout of a store folder DIR:
 *   DIR/listready.db                 SQLite, WAL mode, versioned schema (PRAGMA user_version)
 *   DIR/originals/ab/<sha256>.<ext>  originals, byte-identical to what was dropped
 *   DIR/renditions/ab/<sha256>.<ext> encoded renditions
 * Files are content-addressed, written atomically (lr_write_file_atomic) and never rewritten once there.
 *
 * The interface knows nothing of images or libvips: rows are plain structs of strings and numbers, so a
 * second backend (PostgreSQL + object store) can implement the same calls.
 */
#ifndef LR_STORE_H
#define LR_STORE_H

#include <glib.h>

typedef struct _LrStore LrStore;

/* Errors of the store calls. Failures of the file system itself (from lr_write_file_atomic) keep
 * their G_FILE_ERROR domain. */
#define LR_STORE_ERROR (lr_store_error_quark())
GQuark lr_store_error_quark(void);

typedef enum {
	LR_STORE_ERROR_INVALID,    /* a bad argument: missing field, unknown kind, bad extension */
	LR_STORE_ERROR_DB,         /* SQLite failed (I/O, corruption, full disk, ...) */
	LR_STORE_ERROR_BUSY,       /* another process held the database past the busy timeout */
	LR_STORE_ERROR_CONSTRAINT, /* a row broke the schema (bad status, unknown duplicate_of, ...) */
	LR_STORE_ERROR_TOO_NEW,    /* the database was written by a newer listready */
	LR_STORE_ERROR_FAULT,      /* injected by lr_store_inject_fault() */
	LR_STORE_ERROR_NOT_FOUND,  /* no such image (or token, or rendition) */
	LR_STORE_ERROR_CONFLICT,   /* the image is not in a status that allows the change */
} LrStoreError;

/* One processed (or quarantined, or duplicate) photo. Strings may be NULL unless said otherwise. */
typedef struct {
	const char *sha256;           /* required: hex SHA-256 of the original bytes */
	const char *original_name;    /* required: the file name as it was dropped */
	const char *original_path;    /* path of the kept original, relative to the store folder */
	gint64 original_bytes;
	const char *source_format;    /* "jpeg", "heif", "png", "webp", ... */
	int source_width, source_height;
	const char *profile;          /* required: profile name */
	const char *pipeline_version; /* required */
	const char *status;           /* required: accepted, needs_review, rejected, quarantined, duplicate */
	gint64 duplicate_of;          /* id of the first image with these bytes, or 0 */
	double score;                 /* composite score 0..1 (0 when not scored) */
	const char *reasons_json;     /* JSON array: [{"code":..., "message":..., "advice":...}] */
	const char *scores_json;      /* JSON object of named sub-scores */
	/* EXIF summary: never coordinates, only whether the photo carried them */
	const char *capture_time;     /* "YYYY-MM-DD HH:MM:SS" as the camera wrote it */
	const char *camera_make;
	const char *camera_model;
	gboolean has_gps;
	int orientation;              /* EXIF orientation that was applied, 1..8 */
	const char *artisan;
	const char *sku;
	const char *title;
	guint64 phash;                /* perceptual hash of the photo (see pipeline/phash.h) */
	gboolean has_phash;
	gint64 job_id;                /* the inbox job this image finishes, or 0 (process command) */
} LrImageRow;

/* One rendition file of an image. All fields required. */
typedef struct {
	const char *name;    /* "2000", "1000", "500" */
	const char *format;  /* "jpeg", "webp", "avif", "png" */
	int width, height;
	gint64 bytes;
	const char *sha256;
	const char *path;    /* relative to the store folder */
} LrRenditionRow;

/* Opens the store in DIR, creating DIR, the database and its schema if needed and migrating an older
 * schema to the current one. Returns the store, or NULL with ERROR set (LR_STORE_ERROR_TOO_NEW when
 * the schema is newer than this code knows; the database is then left untouched). One LrStore may be
 * shared by threads: every call holds the store's lock while it uses the database. */
LrStore *lr_store_open(const char *dir, GError **error);

/* The schema version this code creates and migrates to (the database's PRAGMA user_version). */
int lr_store_schema_version(void);

/* Closes the database and frees STORE. Accepts NULL. */
void lr_store_close(LrStore *store);

/* The store's folder (owned by STORE). */
const char *lr_store_dir(LrStore *store);

/* Keeps LENGTH bytes of DATA as a content-addressed file of KIND ("originals" or "renditions") with the
 * extension EXT (no dot, e.g. "jpg"). Writes atomically; if the file is already there nothing is written.
 * Returns the path relative to the store folder (caller frees) and, when SHA256_OUT is not NULL, the hex
 * SHA-256 (caller frees); NULL with ERROR set on failure. */
char *lr_store_put_file(LrStore *store, const char *kind, const void *data, gsize length,
			const char *ext, char **sha256_out, GError **error);

/* Like lr_store_put_file() for the file at SRC, copied in one streaming pass (hashing as it copies,
 * so memory stays bounded whatever the size). Also returns the size in *BYTES_OUT (may be NULL). */
char *lr_store_put_path(LrStore *store, const char *kind, const char *src, const char *ext,
			char **sha256_out, gint64 *bytes_out, GError **error);

/* Absolute path of a store-relative PATH (caller frees). */
char *lr_store_path(LrStore *store, const char *relative);

/* Returns the id of the first image with this SHA-256 that is not itself a duplicate, 0 when there is
 * none, or -1 with ERROR set. */
gint64 lr_store_find_sha256(LrStore *store, const char *sha256, GError **error);

/* Records IMAGE, its EXIF summary, its N_RENDITIONS RENDITIONS and an event in one transaction. The
 * event has actor "pipeline", kind "processed" (or "quarantined" / "duplicate" for those statuses)
 * and detail {"status", "profile", "pipeline_version"} as stored. Returns the new image id (> 0), or
 * 0 with ERROR set, in which case nothing was recorded. */
gint64 lr_store_add_image(LrStore *store, const LrImageRow *image, const LrRenditionRow *renditions,
			  int n_renditions, GError **error);

/* Appends an event to the log: IMAGE_ID (0 for none), ACTOR ("pipeline", "curator:NAME", ...), KIND
 * ("processed", "duplicate", "quarantined", "approved", ...) and DETAIL_JSON (may be NULL). Returns 0, or
 * -1 with ERROR set. */
int lr_store_log_event(LrStore *store, gint64 image_id, const char *actor, const char *kind,
		       const char *detail_json, GError **error);

/* One job of the durable inbox queue: a photo taken from the inbox, its original already kept. */
typedef struct {
	gint64 id;
	char *inbox_path;    /* where it was found, relative to the inbox */
	char *original_path; /* the kept original, relative to the store */
	char *sha256;
	gint64 bytes;
	char *artisan, *sku, *title; /* from the folder names or the sidecar; may be NULL */
	char *profile;       /* from the sidecar; NULL for the daemon's default */
	char *warning;       /* what was wrong with the sidecar, or NULL */
	int attempts;        /* claims so far, this one included */
	char *last_error;    /* why the previous attempt did not finish, or NULL */
} LrJob;

/* Frees the strings of JOB and zeroes it. Accepts NULL. */
void lr_job_clear(LrJob *job);

/* Enqueues JOB (its id, attempts and last_error are ignored; strings are borrowed) in one
 * transaction. FILE_ID identifies the inbox file (device, inode, size, mtime): if a job with the
 * same inbox path and file id exists, it is returned instead, since the daemon then crashed after
 * enqueuing but before removing the file. Returns the job id, or 0 with ERROR set. */
gint64 lr_store_enqueue(LrStore *store, const LrJob *job, const char *file_id, GError **error);

/* Claims the oldest queued job, counting an attempt. A job whose bytes are also in an earlier
 * unfinished job waits for it, so duplicates are decided after their first copy. Returns 1 with
 * *JOB filled (clear it with lr_job_clear), 0 when no job is ready, -1 with ERROR set. A claimed job
 * is finished by lr_store_add_image() with its job_id, or put back by lr_store_release_job(). */
int lr_store_claim_job(LrStore *store, LrJob *job, GError **error);

/* Puts claimed job ID back in the queue with ERROR_TEXT as its last error. Returns 0 or -1. */
int lr_store_release_job(LrStore *store, gint64 id, const char *error_text, GError **error);

/* At start-up: every claimed job was interrupted by a stop or crash; queue them again. Returns how
 * many were requeued, or -1 with ERROR set. */
int lr_store_requeue_claimed(LrStore *store, GError **error);

/* The first non-duplicate image of the same ARTISAN and SKU (each may be NULL, matched as NULL)
 * whose perceptual hash is within MAX_BITS of PHASH; 0 when none, -1 with ERROR set. *NEAREST (may
 * be NULL) is set to the least distance in bits to any of those images, -1 when there is none. */
gint64 lr_store_find_similar(LrStore *store, guint64 phash, const char *artisan, const char *sku,
			     int max_bits, int *nearest, GError **error);

/* What `listready status` shows. */
typedef struct {
	gint64 accepted, needs_review, rejected, quarantined, duplicate; /* images by status */
	gint64 queued, processing;  /* jobs waiting and claimed */
	gint64 last_minute;         /* images recorded in the last 60 seconds */
	char *oldest_path;          /* the oldest unfinished job's inbox path, or NULL */
	char *oldest_at;            /* and when it was enqueued */
} LrStoreStatus;

/* Fills *OUT (clear with lr_store_status_clear). Returns 0, or -1 with ERROR set. */
int lr_store_status(LrStore *store, LrStoreStatus *out, GError **error);
void lr_store_status_clear(LrStoreStatus *status);

/* Appends to LINES one tab-separated line per quarantined image (id, name, reason code, message,
 * kept original), oldest first. Returns 0 or -1 with ERROR set. */
int lr_store_list_quarantined(LrStore *store, GPtrArray *lines, GError **error);

/* Takes the store's daemon lock (an flock on DIR/daemon.lock, released when the process exits,
 * however it exits). Returns 0, or -1 with ERROR set (LR_STORE_ERROR_BUSY) when another process
 * holds it. */
int lr_store_lock_exclusive(LrStore *store, GError **error);

/* Removes temporary files left by writes that a crash interrupted. Only for the holder of the daemon
 * lock at start-up: a `process` run writing at that moment would lose its file (and report it).
 * Returns how many were removed. */
int lr_store_sweep_temporaries(LrStore *store);

/* Test hook for fault injection: make the Nth following write step (file write or SQL statement that
 * changes the database) fail, counting from 1; 0 turns injection off. */
void lr_store_inject_fault(LrStore *store, int nth);

/* ---- the review page, the catalog API and export (issue 7) ---- */

/* Keeps an API token: its SHA256 (hex of the token's SHA-256; the token itself is never stored), a
 * ROLE ("curator", "catalog" or "admin") and a NAME for the audit trail. Returns the token id, or 0
 * with ERROR set (LR_STORE_ERROR_CONSTRAINT for an unknown role). */
gint64 lr_store_add_token(LrStore *store, const char *name, const char *role, const char *sha256,
			  GError **error);

/* Looks up the token whose SHA-256 is SHA256. Returns 1 with *ROLE and *NAME set (caller frees),
 * 0 when there is no such token (or it was revoked), -1 with ERROR set. */
int lr_store_find_token(LrStore *store, const char *sha256, char **role, char **name,
			GError **error);

/* A curator's decision on image ID: sets its status to STATUS ("accepted" or "rejected") and its
 * review note to NOTE (may be NULL), and logs an event of KIND by ACTOR with detail {from, to, note}
 * in one transaction. Only needs_review, accepted and rejected images can be decided (quarantined
 * and duplicate ones have no renditions). Returns 0, or -1 with ERROR set: LR_STORE_ERROR_NOT_FOUND,
 * LR_STORE_ERROR_CONFLICT for another status. */
int lr_store_review(LrStore *store, gint64 id, const char *status, const char *note,
		    const char *actor, const char *kind, GError **error);

/* Replaces the outcome of image ID with a new run's: IMAGE's profile, pipeline_version, status,
 * score, reasons_json and scores_json (its other fields are ignored: the photo and its history stay),
 * its N_RENDITIONS RENDITIONS instead of the old ones (whose files stay: they are content-addressed
 * and may be shared), and an event "reprocessed" by ACTOR whose detail is DETAIL_JSON (an object)
 * plus {from, to}; all in one transaction, which also clears the review note. Same statuses and
 * errors as lr_store_review(). */
int lr_store_replace_outcome(LrStore *store, gint64 id, const LrImageRow *image,
			     const LrRenditionRow *renditions, int n_renditions, const char *actor,
			     const char *detail_json, GError **error);

/* One asset as a JSON object (caller frees): id, cursor, status, names, profile, score, scores,
 * reasons, review_note, source, exif, renditions (each with a content-addressed url under
 * /api/v1/renditions/) and times; with WITH_EVENTS also its event log, oldest first. NULL with
 * ERROR set (LR_STORE_ERROR_NOT_FOUND when there is no image ID). */
char *lr_store_asset_json(LrStore *store, gint64 id, gboolean with_events, GError **error);

/* What a page of the change feed selects. NULL strings do not filter. */
typedef struct {
	const char *status, *artisan, *sku, *profile;
	gint64 after;  /* the cursor: only changes after it */
	int limit;     /* 1..1000 */
	gboolean oldest_first; /* order by creation instead of by change (the review queue) */
} LrFeedQuery;

/* A page of the change feed as a JSON object (caller frees): {"items": [assets...],
 * "next_cursor": "N", "has_more": bool}. Items are in change order; an asset changed after it was
 * read appears again after the cursor, with its new state. next_cursor is the last item's cursor,
 * or, when the page is not full, the newest change of all, so an idle poller does not rescan what
 * the filters skip. Read in one snapshot. NULL with ERROR set. */
char *lr_store_feed_json(LrStore *store, const LrFeedQuery *query, GError **error);

/* The store-relative path and the format of the rendition whose bytes have SHA256 (caller frees
 * both). Returns 1, 0 when no rendition has these bytes, -1 with ERROR set. */
int lr_store_find_rendition(LrStore *store, const char *sha256, char **path, char **format,
			    GError **error);

/* For the review page: image ID's kept original (store-relative path, caller frees), its sha256
 * and the sha256 of its largest JPEG rendition ("" when none; caller frees both). Returns 1, 0 when there
 * is no image ID, -1 with ERROR set. */
int lr_store_review_files(LrStore *store, gint64 id, char **original_path, char **original_sha256,
			  char **result_sha256, GError **error);

#endif
