/* store.c: the embedded backend of the catalog store — one SQLite database and a folder of
 * content-addressed files (see store.h for the layout and the calls).
 *
 * The database is the source of truth: a file may exist without a row (an attempt whose transaction
 * failed; it is simply reused by the next attempt since its name is its hash), but a row never
 * points at a file that was not fully written first. Every change to the database happens in one
 * transaction per call, with values bound to prepared statements, so a failure at any step leaves
 * nothing behind. The schema is versioned with PRAGMA user_version and grows by appending to
 * migrations[], never by editing an entry.
 *
 * Every write step (a file write or a statement that changes the database) goes through
 * fault_hit(), so the tests can make each step fail in turn and check that nothing partial remains.
 */
#include "pipeline/store.h"

#include "pipeline/fsutil.h"

#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Long enough to wait out another process's transaction, short enough to report a wedge. */
#define BUSY_TIMEOUT_MS 10000

struct _LrStore {
	char *dir; /* absolute */
	sqlite3 *db;
	GMutex lock;	/* two threads' transactions must not interleave on one connection */
	int fault_nth;	/* the write step that fails, 0 for none */
	int fault_seen; /* write steps since lr_store_inject_fault() */
};

/* migrations[i] takes the schema from version i to i + 1. Append; never edit a shipped one. */
static const char *const migrations[] = {
    /* 1: the catalog. Timestamps: ISO-8601 UTC text with milliseconds, which sort as they read. */
    "CREATE TABLE images ("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 TEXT NOT NULL,"
    "  original_name TEXT NOT NULL,"
    "  original_path TEXT,"
    "  original_bytes INTEGER NOT NULL DEFAULT 0,"
    "  source_format TEXT,"
    "  source_width INTEGER NOT NULL DEFAULT 0,"
    "  source_height INTEGER NOT NULL DEFAULT 0,"
    "  profile TEXT NOT NULL,"
    "  pipeline_version TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('accepted', 'needs_review', 'rejected', 'quarantined', 'duplicate')),"
    "  duplicate_of INTEGER REFERENCES images (id),"
    "  score REAL NOT NULL DEFAULT 0,"
    "  reasons_json TEXT CHECK (reasons_json IS NULL OR json_valid(reasons_json)),"
    "  scores_json TEXT CHECK (scores_json IS NULL OR json_valid(scores_json)),"
    "  artisan TEXT,"
    "  sku TEXT,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX images_sha256 ON images (sha256);"
    "CREATE INDEX images_status ON images (status);"
    "CREATE TABLE renditions ("
    "  id INTEGER PRIMARY KEY,"
    "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  UNIQUE (image_id, name, format));"
    /* Whether a photo carried GPS, never where: artisans' homes are not catalog data. */
    "CREATE TABLE exif ("
    "  image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,"
    "  capture_time TEXT,"
    "  make TEXT,"
    "  model TEXT,"
    "  has_gps INTEGER NOT NULL DEFAULT 0 CHECK (has_gps IN (0, 1)),"
    "  orientation INTEGER CHECK (orientation BETWEEN 1 AND 8));"
    /* The audit trail: no ON DELETE, so an image with history cannot silently disappear. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  image_id INTEGER REFERENCES images (id),"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  detail_json TEXT CHECK (detail_json IS NULL OR json_valid(detail_json)));"
    "CREATE INDEX events_image ON events (image_id);",
};

#define SCHEMA_VERSION ((int)G_N_ELEMENTS(migrations))

/* See store.h. */
GQuark
lr_store_error_quark(void)
{
	return g_quark_from_static_string("lr-store-error-quark");
}

static void
set_db_error(GError **error, sqlite3 *db, int rc, const char *what)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		code = LR_STORE_ERROR_CONSTRAINT;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = LR_STORE_ERROR_BUSY;
		break;
	default:
		code = LR_STORE_ERROR_DB;
	}
	g_set_error(error, LR_STORE_ERROR, code, "store: %s: %s", what,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int
invalid(GError **error, const char *message)
{
	g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_INVALID, "store: %s", message);
	return -1;
}

/* Counts one write step; returns -1 with ERROR set when it is the step chosen to fail. */
static int
fault_hit(LrStore *store, GError **error)
{
	if (store->fault_nth <= 0 || ++store->fault_seen != store->fault_nth)
		return 0;
	g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_FAULT,
		    "store: injected fault at write step %d", store->fault_nth);
	return -1;
}

static sqlite3_stmt *
prepare(LrStore *store, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);

	if (rc != SQLITE_OK) {
		set_db_error(error, store->db, rc, "preparing a statement");
		return NULL;
	}
	return stmt;
}

/* Steps STMT once. Returns SQLITE_ROW or SQLITE_DONE, or -1 with ERROR set. */
static int
step(LrStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
	int rc;

	if (!sqlite3_stmt_readonly(stmt) && fault_hit(store, error) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	set_db_error(error, store->db, rc, what);
	return -1;
}

/* Runs fixed SQL (no values in it). WRITE_STEP says whether it counts for fault injection: sqlite3
 * calls BEGIN and COMMIT read-only, but COMMIT is where the data reaches the disk. */
static int
exec(LrStore *store, const char *sql, gboolean write_step, const char *what, GError **error)
{
	int rc;

	if (write_step && fault_hit(store, error) < 0)
		return -1;
	rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		set_db_error(error, store->db, rc, what);
		return -1;
	}
	return 0;
}

static void
rollback(LrStore *store)
{
	/* SQLite has already rolled back after some errors (a full disk, for one). A failing
	 * ROLLBACK leaves the file consistent all the same: the next connection undoes the
	 * transaction from the WAL. */
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
query_int(LrStore *store, const char *sql, int *out, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(store, sql, error);
	int rc = stmt ? step(store, stmt, sql, error) : -1;

	if (rc == SQLITE_DONE)
		return invalid(error, "a pragma returned no row");
	if (rc < 0)
		return -1;
	*out = sqlite3_column_int(stmt, 0);
	return 0;
}

/* NULL is stored as NULL. The strings outlive the statement's step, hence SQLITE_STATIC. */
static int
bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	return text ? sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(stmt, index);
}

static char *
now_utc(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *seconds = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");

	return g_strdup_printf("%s.%03dZ", seconds, g_date_time_get_microsecond(now) / 1000);
}

static int
too_new(LrStore *store, int version, GError **error)
{
	g_set_error(
	    error, LR_STORE_ERROR, LR_STORE_ERROR_TOO_NEW,
	    "store: %s/listready.db has schema version %d but this listready knows only up to %d; "
	    "use a newer listready",
	    store->dir, version, SCHEMA_VERSION);
	return -1;
}

/* Applies the pending migrations in one transaction, so a crash leaves the old schema whole. */
static int
migrate(LrStore *store, GError **error)
{
	int version;

	if (exec(store, "BEGIN IMMEDIATE", FALSE, "starting the migration", error) < 0)
		return -1;
	/* Read again under the write lock: another process may have migrated since we looked. */
	if (query_int(store, "PRAGMA user_version", &version, error) < 0)
		goto fail;
	if (version > SCHEMA_VERSION) {
		too_new(store, version, error);
		goto fail;
	}
	for (int i = version; i < SCHEMA_VERSION; i++) {
		/* PRAGMA takes no bound parameters; this number comes from the code itself. */
		g_autofree char *set_version = g_strdup_printf("PRAGMA user_version = %d", i + 1);
		g_autofree char *what = g_strdup_printf("applying migration %d", i + 1);

		if (exec(store, migrations[i], FALSE, what, error) < 0 ||
		    exec(store, set_version, FALSE, what, error) < 0)
			goto fail;
	}
	if (exec(store, "COMMIT", FALSE, "committing the migration", error) < 0)
		goto fail;
	return 0;

fail:
	rollback(store);
	return -1;
}

static int
configure(LrStore *store, GError **error)
{
	g_autoptr(sqlite3_stmt) wal = NULL;
	int version, rc;

	sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
	/* Refuse a newer schema before changing anything about the file. */
	if (query_int(store, "PRAGMA user_version", &version, error) < 0)
		return -1;
	if (version > SCHEMA_VERSION)
		return too_new(store, version, error);

	/* WAL lets the review page and the API read while a worker writes. The pragma answers with
	 * the mode it got, which is not WAL on file systems that cannot share memory (some network
	 * mounts). */
	wal = prepare(store, "PRAGMA journal_mode = WAL", error);
	rc = wal ? step(store, wal, "setting WAL mode", error) : -1;
	if (rc == SQLITE_DONE)
		return invalid(error, "setting WAL mode returned no row");
	if (rc < 0)
		return -1;
	if (g_ascii_strcasecmp((const char *)sqlite3_column_text(wal, 0), "wal") != 0) {
		g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_DB,
			    "store: %s/listready.db cannot use WAL mode (got \"%s\")", store->dir,
			    (const char *)sqlite3_column_text(wal, 0));
		return -1;
	}
	sqlite3_reset(wal); /* a statement still in progress would block the migration's COMMIT */
	/* NORMAL in WAL mode can lose the last commits on power loss but never corrupts the file;
	 * the files themselves are fsynced before their rows are written. */
	if (exec(store, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", FALSE,
		 "configuring the connection", error) < 0)
		return -1;
	return version < SCHEMA_VERSION ? migrate(store, error) : 0;
}

/* See store.h. */
LrStore *
lr_store_open(const char *dir, GError **error)
{
	g_autofree char *path = NULL;
	LrStore *store;
	int rc;

	if (!dir || !*dir) {
		invalid(error, "no store folder given");
		return NULL;
	}
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		int err = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
			    "store: creating %s: %s", dir, g_strerror(err));
		return NULL;
	}

	store = g_new0(LrStore, 1);
	store->dir = g_canonicalize_filename(dir, NULL);
	g_mutex_init(&store->lock);
	path = g_build_filename(store->dir, "listready.db", NULL);
	/* NOMUTEX: store->lock already serialises every use of the connection. */
	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				 SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		set_db_error(error, store->db, rc, "opening the database");
		lr_store_close(store);
		return NULL;
	}
	if (configure(store, error) < 0) {
		lr_store_close(store);
		return NULL;
	}
	return store;
}

/* See store.h. */
int
lr_store_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* See store.h. */
void
lr_store_close(LrStore *store)
{
	if (!store)
		return;
	/* Every statement is finalised by the call that prepared it, so the close cannot fail. */
	sqlite3_close(store->db);
	g_mutex_clear(&store->lock);
	g_free(store->dir);
	g_free(store);
}

/* See store.h. */
const char *
lr_store_dir(LrStore *store)
{
	return store->dir;
}

/* See store.h. */
char *
lr_store_path(LrStore *store, const char *relative)
{
	return g_build_filename(store->dir, relative, NULL);
}

/* A short run of letters and digits: the extension goes into a path, so "../x" must not pass. */
static gboolean
valid_extension(const char *ext)
{
	gsize n = 0;

	for (; ext && ext[n]; n++)
		if (!g_ascii_isalnum(ext[n]))
			return FALSE;
	return n > 0 && n <= 8;
}

/* See store.h. */
char *
lr_store_put_file(LrStore *store, const char *kind, const void *data, gsize length, const char *ext,
		  char **sha256_out, GError **error)
{
	g_autofree char *sha256 = NULL;
	g_autofree char *relative = NULL;
	g_autofree char *path = NULL;
	GStatBuf st;
	int hit;

	if (g_strcmp0(kind, "originals") != 0 && g_strcmp0(kind, "renditions") != 0) {
		invalid(error, "file kind must be \"originals\" or \"renditions\"");
		return NULL;
	}
	if (!valid_extension(ext)) {
		invalid(error, "file extension must be 1 to 8 letters or digits");
		return NULL;
	}
	if (!data && length > 0) {
		invalid(error, "no data to keep");
		return NULL;
	}

	sha256 = lr_sha256_hex(data, length);
	relative = g_strdup_printf("%s/%.2s/%s.%s", kind, sha256, sha256, ext);
	path = g_build_filename(store->dir, relative, NULL);
	/* The name is the hash of the content, so a regular file of the right size already holds
	 * these bytes: kept by an earlier image, or by an attempt whose transaction failed.
	 * Rewriting it would only cost an fsync. */
	if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size != length) {
		g_mutex_lock(&store->lock);
		hit = fault_hit(store, error);
		g_mutex_unlock(&store->lock);
		if (hit < 0 || lr_write_file_atomic(path, data, length, error) < 0)
			return NULL;
	}
	if (sha256_out)
		*sha256_out = g_steal_pointer(&sha256);
	return g_steal_pointer(&relative);
}

static gint64
find_sha256_locked(LrStore *store, const char *sha256, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
	    prepare(store,
		    "SELECT id FROM images WHERE sha256 = ?1 AND status <> 'duplicate'"
		    " ORDER BY id LIMIT 1",
		    error);
	int rc;

	if (!stmt)
		return -1;
	if (bind_text(stmt, 1, sha256) != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "looking up a sha256");
		return -1;
	}
	rc = step(store, stmt, "looking up a sha256", error);
	if (rc < 0)
		return -1;
	return rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
}

/* See store.h. */
gint64
lr_store_find_sha256(LrStore *store, const char *sha256, GError **error)
{
	gint64 id;

	if (!sha256) {
		invalid(error, "no sha256 to look up");
		return -1;
	}
	g_mutex_lock(&store->lock);
	id = find_sha256_locked(store, sha256, error);
	g_mutex_unlock(&store->lock);
	return id;
}

static gint64
insert_image(LrStore *store, const LrImageRow *im, const char *now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
	    store,
	    "INSERT INTO images (sha256, original_name, original_path, original_bytes,"
	    " source_format, source_width, source_height, profile, pipeline_version, status,"
	    " duplicate_of, score, reasons_json, scores_json, artisan, sku, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17, ?17)",
	    error);
	int bad;

	if (!stmt)
		return 0;
	bad = bind_text(stmt, 1, im->sha256) | bind_text(stmt, 2, im->original_name) |
	      bind_text(stmt, 3, im->original_path) |
	      sqlite3_bind_int64(stmt, 4, im->original_bytes) |
	      bind_text(stmt, 5, im->source_format) | sqlite3_bind_int(stmt, 6, im->source_width) |
	      sqlite3_bind_int(stmt, 7, im->source_height) | bind_text(stmt, 8, im->profile) |
	      bind_text(stmt, 9, im->pipeline_version) | bind_text(stmt, 10, im->status) |
	      (im->duplicate_of > 0 ? sqlite3_bind_int64(stmt, 11, im->duplicate_of)
				    : sqlite3_bind_null(stmt, 11)) |
	      sqlite3_bind_double(stmt, 12, im->score) | bind_text(stmt, 13, im->reasons_json) |
	      bind_text(stmt, 14, im->scores_json) | bind_text(stmt, 15, im->artisan) |
	      bind_text(stmt, 16, im->sku) | bind_text(stmt, 17, now);
	if (bad != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the image");
		return 0;
	}
	if (step(store, stmt, "inserting the image", error) < 0)
		return 0;
	return sqlite3_last_insert_rowid(store->db);
}

static int
insert_exif(LrStore *store, gint64 id, const LrImageRow *im, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
	    prepare(store,
		    "INSERT INTO exif (image_id, capture_time, make, model,"
		    " has_gps, orientation) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		    error);
	int bad;

	if (!stmt)
		return -1;
	/* 0 means no orientation was read (a quarantined file, say): the column keeps NULL. */
	bad = sqlite3_bind_int64(stmt, 1, id) | bind_text(stmt, 2, im->capture_time) |
	      bind_text(stmt, 3, im->camera_make) | bind_text(stmt, 4, im->camera_model) |
	      sqlite3_bind_int(stmt, 5, im->has_gps ? 1 : 0) |
	      (im->orientation ? sqlite3_bind_int(stmt, 6, im->orientation)
			       : sqlite3_bind_null(stmt, 6));
	if (bad != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the EXIF summary");
		return -1;
	}
	return step(store, stmt, "inserting the EXIF summary", error) < 0 ? -1 : 0;
}

static int
insert_renditions(LrStore *store, gint64 id, const LrRenditionRow *renditions, int n,
		  GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (n == 0)
		return 0;
	stmt = prepare(
	    store,
	    "INSERT INTO renditions (image_id, name, format, width, height, bytes, sha256, path)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    error);
	if (!stmt)
		return -1;
	for (int i = 0; i < n; i++) {
		const LrRenditionRow *r = &renditions[i];
		int bad = sqlite3_bind_int64(stmt, 1, id) | bind_text(stmt, 2, r->name) |
			  bind_text(stmt, 3, r->format) | sqlite3_bind_int(stmt, 4, r->width) |
			  sqlite3_bind_int(stmt, 5, r->height) |
			  sqlite3_bind_int64(stmt, 6, r->bytes) | bind_text(stmt, 7, r->sha256) |
			  bind_text(stmt, 8, r->path);

		if (bad != SQLITE_OK) {
			set_db_error(error, store->db, SQLITE_ERROR, "binding a rendition");
			return -1;
		}
		if (step(store, stmt, "inserting a rendition", error) < 0)
			return -1;
		sqlite3_reset(stmt);
	}
	return 0;
}

/* The event's detail is read back from the row just written, so it records what was stored. */
static int
insert_image_event(LrStore *store, gint64 id, const char *status, const char *now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
	    store,
	    "INSERT INTO events (image_id, at, actor, kind, detail_json)"
	    " SELECT id, ?2, 'pipeline', ?3, json_object('status', status, 'profile', profile,"
	    " 'pipeline_version', pipeline_version) FROM images WHERE id = ?1",
	    error);
	const char *kind = "processed";

	if (!stmt)
		return -1;
	if (g_str_equal(status, "quarantined") || g_str_equal(status, "duplicate"))
		kind = status;
	if ((sqlite3_bind_int64(stmt, 1, id) | bind_text(stmt, 2, now) |
	     bind_text(stmt, 3, kind)) != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the event");
		return -1;
	}
	return step(store, stmt, "inserting the event", error) < 0 ? -1 : 0;
}

static int
check_image(const LrImageRow *im, const LrRenditionRow *renditions, int n, GError **error)
{
	if (!im || !im->sha256 || !im->original_name || !im->profile || !im->pipeline_version ||
	    !im->status)
		return invalid(error, "image row lacks sha256, original_name, profile, "
				      "pipeline_version or status");
	if (n < 0 || (n > 0 && !renditions))
		return invalid(error, "bad rendition list");
	for (int i = 0; i < n; i++) {
		const LrRenditionRow *r = &renditions[i];

		if (!r->name || !r->format || !r->sha256 || !r->path)
			return invalid(error, "rendition row lacks name, format, sha256 or path");
	}
	return 0;
}

/* See store.h. */
gint64
lr_store_add_image(LrStore *store, const LrImageRow *image, const LrRenditionRow *renditions,
		   int n_renditions, GError **error)
{
	g_autofree char *now = now_utc();
	gint64 id = 0;

	if (check_image(image, renditions, n_renditions, error) < 0)
		return 0;

	g_mutex_lock(&store->lock);
	/* IMMEDIATE takes the write lock up front, so the busy timeout applies here and the
	 * transaction cannot fail halfway for want of the lock. */
	if (exec(store, "BEGIN IMMEDIATE", TRUE, "starting a transaction", error) < 0)
		goto out;
	id = insert_image(store, image, now, error);
	if (id <= 0 || insert_exif(store, id, image, error) < 0 ||
	    insert_renditions(store, id, renditions, n_renditions, error) < 0 ||
	    insert_image_event(store, id, image->status, now, error) < 0 ||
	    exec(store, "COMMIT", TRUE, "committing the image", error) < 0) {
		rollback(store);
		id = 0;
	}
out:
	g_mutex_unlock(&store->lock);
	return id;
}

static int
log_event_locked(LrStore *store, gint64 image_id, const char *actor, const char *kind,
		 const char *detail_json, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
	    prepare(store,
		    "INSERT INTO events (image_id, at, actor, kind, detail_json)"
		    " VALUES (?1, ?2, ?3, ?4, ?5)",
		    error);
	g_autofree char *now = now_utc();
	int bad;

	if (!stmt)
		return -1;
	bad = (image_id > 0 ? sqlite3_bind_int64(stmt, 1, image_id) : sqlite3_bind_null(stmt, 1)) |
	      bind_text(stmt, 2, now) | bind_text(stmt, 3, actor) | bind_text(stmt, 4, kind) |
	      bind_text(stmt, 5, detail_json);
	if (bad != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the event");
		return -1;
	}
	return step(store, stmt, "logging an event", error) < 0 ? -1 : 0;
}

/* See store.h. */
int
lr_store_log_event(LrStore *store, gint64 image_id, const char *actor, const char *kind,
		   const char *detail_json, GError **error)
{
	int rc;

	if (!actor || !kind)
		return invalid(error, "an event needs an actor and a kind");
	g_mutex_lock(&store->lock);
	rc = log_event_locked(store, image_id, actor, kind, detail_json, error);
	g_mutex_unlock(&store->lock);
	return rc;
}

/* See store.h. */
void
lr_store_inject_fault(LrStore *store, int nth)
{
	g_mutex_lock(&store->lock);
	store->fault_nth = nth;
	store->fault_seen = 0;
	g_mutex_unlock(&store->lock);
}
