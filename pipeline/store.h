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

/* Test hook for fault injection: make the Nth following write step (file write or SQL statement that
 * changes the database) fail, counting from 1; 0 turns injection off. */
void lr_store_inject_fault(LrStore *store, int nth);

#endif
