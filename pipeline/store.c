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
#include "pipeline/phash.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>
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
    /* 2: the inbox's durable job queue, and what dedupe and the daemon need on images. A job is
     * created in the same transaction that makes it safe to delete the file from the inbox; it
     * is claimed by a worker, and done in the same transaction that records its image, so a
     * crash anywhere leaves either the job to run again or its image, never both or neither. */
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  inbox_path TEXT NOT NULL,"
    "  file_id TEXT NOT NULL,"
    "  original_path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  artisan TEXT,"
    "  sku TEXT,"
    "  title TEXT,"
    "  profile TEXT,"
    "  warning TEXT,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  image_id INTEGER REFERENCES images (id),"
    "  enqueued_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX jobs_state ON jobs (state, id);"
    "CREATE INDEX jobs_sha256 ON jobs (sha256);"
    "CREATE INDEX jobs_inbox ON jobs (inbox_path, file_id);"
    "ALTER TABLE images ADD COLUMN phash INTEGER;"
    "ALTER TABLE images ADD COLUMN title TEXT;"
    "ALTER TABLE images ADD COLUMN job_id INTEGER REFERENCES jobs (id);"
    "CREATE UNIQUE INDEX images_job ON images (job_id);"
    "CREATE INDEX images_created ON images (created_at);",
    /* 3: the catalog API and the review page (issue 7). seq orders the change feed: a trigger
     * gives a row the next number from one global sequence in the same transaction that inserts it
     * or changes its status, outcome or note. SQLite has one writer at a time, so numbers are
     * handed out in commit order and a reader paging with "seq > cursor" can neither miss a change
     * nor see one twice; an asset changed after it was read comes back once more, further on.
     * review_note is the rejecting curator's reason, shown to the artisan. API tokens are kept
     * only as their SHA-256. */
    "ALTER TABLE images ADD COLUMN seq INTEGER;"
    "UPDATE images SET seq = id;"
    "CREATE UNIQUE INDEX images_seq ON images (seq);"
    "ALTER TABLE images ADD COLUMN review_note TEXT;"
    "CREATE INDEX images_artisan ON images (artisan, id);"
    "CREATE TRIGGER images_seq_insert AFTER INSERT ON images BEGIN"
    "  UPDATE images SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM images) WHERE id = NEW.id;"
    " END;"
    "CREATE TRIGGER images_seq_update AFTER UPDATE OF status, profile, score, reasons_json,"
    " scores_json, review_note, updated_at ON images BEGIN"
    "  UPDATE images SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM images) WHERE id = NEW.id;"
    " END;"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('curator', 'catalog', 'admin')),"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL,"
    "  revoked_at TEXT);",
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

/* Files are kept only as originals or renditions, under a plain extension. */
static int
check_kind(const char *kind, const char *ext, GError **error)
{
	if (g_strcmp0(kind, "originals") != 0 && g_strcmp0(kind, "renditions") != 0)
		return invalid(error, "file kind must be \"originals\" or \"renditions\"");
	if (!valid_extension(ext))
		return invalid(error, "file extension must be 1 to 8 letters or digits");
	return 0;
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

	if (check_kind(kind, ext, error) < 0)
		return NULL;
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
	    " duplicate_of, score, reasons_json, scores_json, artisan, sku, created_at, updated_at,"
	    " phash, title, job_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17, ?17, ?18, ?19, ?20)",
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
	      bind_text(stmt, 16, im->sku) | bind_text(stmt, 17, now) |
	      (im->has_phash ? sqlite3_bind_int64(stmt, 18, (sqlite3_int64)im->phash)
			     : sqlite3_bind_null(stmt, 18)) |
	      bind_text(stmt, 19, im->title) |
	      (im->job_id > 0 ? sqlite3_bind_int64(stmt, 20, im->job_id)
			      : sqlite3_bind_null(stmt, 20));
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

/* Marks job ID done with IMAGE_ID; the job must be claimed (a job already done means its image is
 * recorded: a second one must not be). */
static int
finish_job(LrStore *store, gint64 id, gint64 image_id, const char *now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(store,
					       "UPDATE jobs SET state = 'done', image_id = ?2,"
					       " updated_at = ?3 WHERE id = ?1 AND state = 'claimed'",
					       error);
	if (!stmt)
		return -1;
	if ((sqlite3_bind_int64(stmt, 1, id) | sqlite3_bind_int64(stmt, 2, image_id) |
	     bind_text(stmt, 3, now)) != SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the job");
		return -1;
	}
	if (step(store, stmt, "finishing the job", error) < 0)
		return -1;
	if (sqlite3_changes(store->db) != 1)
		return invalid(error, "the job is not claimed: its image is recorded already");
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
	    (image->job_id > 0 && finish_job(store, image->job_id, id, now, error) < 0) ||
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

/* Copies the columns of a jobs row selected as JOB_COLUMNS into JOB. */
#define JOB_COLUMNS                                                                                \
	"id, inbox_path, original_path, sha256, bytes, artisan, sku, title, profile, warning,"    \
	" attempts, last_error"

static char *
column_dup(sqlite3_stmt *stmt, int i)
{
	const unsigned char *text = sqlite3_column_text(stmt, i);
	return text ? g_strdup((const char *)text) : NULL;
}

static void
read_job(sqlite3_stmt *stmt, LrJob *job)
{
	job->id = sqlite3_column_int64(stmt, 0);
	job->inbox_path = column_dup(stmt, 1);
	job->original_path = column_dup(stmt, 2);
	job->sha256 = column_dup(stmt, 3);
	job->bytes = sqlite3_column_int64(stmt, 4);
	job->artisan = column_dup(stmt, 5);
	job->sku = column_dup(stmt, 6);
	job->title = column_dup(stmt, 7);
	job->profile = column_dup(stmt, 8);
	job->warning = column_dup(stmt, 9);
	job->attempts = sqlite3_column_int(stmt, 10);
	job->last_error = column_dup(stmt, 11);
}

/* See store.h. */
void
lr_job_clear(LrJob *job)
{
	if (!job)
		return;
	g_free(job->inbox_path);
	g_free(job->original_path);
	g_free(job->sha256);
	g_free(job->artisan);
	g_free(job->sku);
	g_free(job->title);
	g_free(job->profile);
	g_free(job->warning);
	g_free(job->last_error);
	memset(job, 0, sizeof(*job));
}

/* See store.h. */
gint64
lr_store_enqueue(LrStore *store, const LrJob *job, const char *file_id, GError **error)
{
	g_autofree char *now = now_utc();
	gint64 id = 0;

	if (!job || !job->inbox_path || !job->original_path || !job->sha256 || !file_id) {
		invalid(error, "a job needs an inbox path, a kept original, a sha256 and a file id");
		return 0;
	}
	g_mutex_lock(&store->lock);
	if (exec(store, "BEGIN IMMEDIATE", TRUE, "starting a transaction", error) < 0)
		goto out;
	{
		/* The same file seen again (a crash after the enqueue, before the inbox file was
		 * removed) is the same job; the same bytes arriving as another file are not. */
		g_autoptr(sqlite3_stmt) find = prepare(
		    store, "SELECT id FROM jobs WHERE inbox_path = ?1 AND file_id = ?2", error);
		int rc = -1;
		if (find && (bind_text(find, 1, job->inbox_path) | bind_text(find, 2, file_id)) ==
				SQLITE_OK)
			rc = step(store, find, "looking up the job", error);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(find, 0);
		else if (rc == SQLITE_DONE) {
			g_autoptr(sqlite3_stmt) insert = prepare(
			    store,
			    "INSERT INTO jobs (inbox_path, file_id, original_path, sha256, bytes,"
			    " artisan, sku, title, profile, warning, enqueued_at, updated_at)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
			    error);
			if (insert &&
			    (bind_text(insert, 1, job->inbox_path) | bind_text(insert, 2, file_id) |
			     bind_text(insert, 3, job->original_path) |
			     bind_text(insert, 4, job->sha256) |
			     sqlite3_bind_int64(insert, 5, job->bytes) |
			     bind_text(insert, 6, job->artisan) | bind_text(insert, 7, job->sku) |
			     bind_text(insert, 8, job->title) | bind_text(insert, 9, job->profile) |
			     bind_text(insert, 10, job->warning) | bind_text(insert, 11, now)) ==
				SQLITE_OK &&
			    step(store, insert, "enqueuing the job", error) == SQLITE_DONE)
				id = sqlite3_last_insert_rowid(store->db);
		}
	}
	if (id <= 0 || exec(store, "COMMIT", TRUE, "committing the job", error) < 0) {
		if (id > 0 || (error && !*error))
			set_db_error(error, store->db, SQLITE_ERROR, "enqueuing the job");
		rollback(store);
		id = 0;
	}
out:
	g_mutex_unlock(&store->lock);
	return id;
}

/* See store.h. */
int
lr_store_claim_job(LrStore *store, LrJob *job, GError **error)
{
	g_autofree char *now = now_utc();
	int found = -1;

	memset(job, 0, sizeof(*job));
	g_mutex_lock(&store->lock);
	{
		/* Oldest first; a job waits while an earlier job with the same bytes is unfinished,
		 * so the second copy is decided against the first one's recorded image. */
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "UPDATE jobs SET state = 'claimed', attempts = attempts + 1, updated_at = ?1"
		    " WHERE id = (SELECT j.id FROM jobs j WHERE j.state = 'queued' AND NOT EXISTS"
		    " (SELECT 1 FROM jobs e WHERE e.sha256 = j.sha256 AND e.id < j.id"
		    " AND e.state <> 'done') ORDER BY j.id LIMIT 1) RETURNING " JOB_COLUMNS,
		    error);
		int rc = -1;
		if (stmt && bind_text(stmt, 1, now) == SQLITE_OK)
			rc = step(store, stmt, "claiming a job", error);
		if (rc == SQLITE_ROW) {
			read_job(stmt, job);
			found = 1;
			/* RETURNING rows are produced before the update is complete: finish it. */
			if (step(store, stmt, "claiming a job", error) < 0) {
				lr_job_clear(job);
				found = -1;
			}
		} else if (rc == SQLITE_DONE)
			found = 0;
	}
	g_mutex_unlock(&store->lock);
	return found;
}

/* Runs one UPDATE of the jobs table with ?1 = now and the given extra text/int binds. */
static int
update_jobs(LrStore *store, const char *sql, const char *text, gint64 id, const char *what,
	    GError **error)
{
	g_autofree char *now = now_utc();
	int changed = -1;

	g_mutex_lock(&store->lock);
	{
		g_autoptr(sqlite3_stmt) stmt = prepare(store, sql, error);
		if (stmt && (bind_text(stmt, 1, now) | bind_text(stmt, 2, text) |
			     (id ? sqlite3_bind_int64(stmt, 3, id) : SQLITE_OK)) == SQLITE_OK &&
		    step(store, stmt, what, error) == SQLITE_DONE)
			changed = sqlite3_changes(store->db);
		else if (error && !*error)
			set_db_error(error, store->db, SQLITE_ERROR, what);
	}
	g_mutex_unlock(&store->lock);
	return changed;
}

/* See store.h. */
int
lr_store_requeue_claimed(LrStore *store, GError **error)
{
	return update_jobs(store,
			   "UPDATE jobs SET state = 'queued', updated_at = ?1,"
			   " last_error = coalesce(?2, last_error) WHERE state = 'claimed'",
			   "interrupted: listready stopped while processing it", 0,
			   "requeuing claimed jobs", error);
}

/* See store.h. */
int
lr_store_release_job(LrStore *store, gint64 id, const char *error_text, GError **error)
{
	int n = update_jobs(store,
			    "UPDATE jobs SET state = 'queued', updated_at = ?1, last_error = ?2"
			    " WHERE id = ?3 AND state = 'claimed'",
			    error_text, id, "releasing a job", error);
	return n < 0 ? -1 : 0;
}

/* See store.h. */
gint64
lr_store_find_similar(LrStore *store, guint64 phash, const char *artisan, const char *sku,
		      int max_bits, int *nearest, GError **error)
{
	gint64 found = 0;
	int least = -1;

	g_mutex_lock(&store->lock);
	{
		/* Scoped to the same product (or artisan) so that two similar-looking products on
		 * the same sheet are not taken for one photo; the Hamming distance is computed
		 * here, SQLite having no popcount. */
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "SELECT id, phash FROM images WHERE phash IS NOT NULL AND status <> 'duplicate'"
		    " AND artisan IS ?1 AND sku IS ?2 ORDER BY id",
		    error);
		int rc = stmt && (bind_text(stmt, 1, artisan) | bind_text(stmt, 2, sku)) == SQLITE_OK
				 ? SQLITE_ROW
				 : -1;
		/* Every row when the nearest is asked for (a product has a handful of photos). */
		while (rc == SQLITE_ROW && (!found || nearest)) {
			rc = step(store, stmt, "looking for similar photos", error);
			if (rc != SQLITE_ROW)
				break;
			int bits = lr_phash_distance((guint64)sqlite3_column_int64(stmt, 1), phash);
			if (least < 0 || bits < least)
				least = bits;
			if (!found && bits <= max_bits)
				found = sqlite3_column_int64(stmt, 0);
		}
		if (rc < 0)
			found = -1;
	}
	g_mutex_unlock(&store->lock);
	if (nearest)
		*nearest = found < 0 ? -1 : least;
	return found;
}

/* See store.h. */
int
lr_store_status(LrStore *store, LrStoreStatus *out, GError **error)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM images WHERE status = 'accepted'",
		"SELECT count(*) FROM images WHERE status = 'needs_review'",
		"SELECT count(*) FROM images WHERE status = 'rejected'",
		"SELECT count(*) FROM images WHERE status = 'quarantined'",
		"SELECT count(*) FROM images WHERE status = 'duplicate'",
		"SELECT count(*) FROM jobs WHERE state = 'queued'",
		"SELECT count(*) FROM jobs WHERE state = 'claimed'",
		"SELECT count(*) FROM images WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%fZ',"
		" 'now', '-60 seconds')",
	};
	gint64 *fields[] = { &out->accepted, &out->needs_review, &out->rejected, &out->quarantined,
			     &out->duplicate, &out->queued, &out->processing, &out->last_minute };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	g_mutex_lock(&store->lock);
	for (guint i = 0; i < G_N_ELEMENTS(sql) && !ret; i++) {
		g_autoptr(sqlite3_stmt) stmt = prepare(store, sql[i], error);
		if (!stmt || step(store, stmt, "counting", error) != SQLITE_ROW)
			ret = -1;
		else
			*fields[i] = sqlite3_column_int64(stmt, 0);
	}
	if (!ret) {
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "SELECT inbox_path, enqueued_at FROM jobs WHERE state <> 'done' ORDER BY id LIMIT 1",
		    error);
		int rc = stmt ? step(store, stmt, "finding the oldest job", error) : -1;
		if (rc == SQLITE_ROW) {
			out->oldest_path = column_dup(stmt, 0);
			out->oldest_at = column_dup(stmt, 1);
		} else if (rc < 0)
			ret = -1;
	}
	g_mutex_unlock(&store->lock);
	return ret;
}

/* See store.h. */
void
lr_store_status_clear(LrStoreStatus *status)
{
	g_free(status->oldest_path);
	g_free(status->oldest_at);
	memset(status, 0, sizeof(*status));
}

/* See store.h. */
int
lr_store_list_quarantined(LrStore *store, GPtrArray *lines, GError **error)
{
	int ret = -1;

	g_mutex_lock(&store->lock);
	{
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "SELECT id, original_name, coalesce(original_path, '-'),"
		    " coalesce(json_extract(reasons_json, '$[0].code'), '-'),"
		    " coalesce(json_extract(reasons_json, '$[0].message'), '-')"
		    " FROM images WHERE status = 'quarantined' ORDER BY id",
		    error);
		int rc = stmt ? SQLITE_ROW : -1;
		while (rc == SQLITE_ROW) {
			rc = step(store, stmt, "listing quarantined photos", error);
			if (rc == SQLITE_ROW)
				g_ptr_array_add(lines,
						g_strdup_printf("#%lld\t%s\t%s\t%s\t%s",
								(long long)sqlite3_column_int64(stmt, 0),
								sqlite3_column_text(stmt, 1),
								sqlite3_column_text(stmt, 3),
								sqlite3_column_text(stmt, 4),
								sqlite3_column_text(stmt, 2)));
		}
		ret = rc == SQLITE_DONE ? 0 : -1;
	}
	g_mutex_unlock(&store->lock);
	return ret;
}

/* Copies SRC into the open file FD while hashing it. Returns the hex SHA-256 and *BYTES, or NULL. */
static char *
copy_hashing(const char *src, int fd, gint64 *bytes, GError **error)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", src,
			    g_strerror(errno));
		return NULL;
	}
	LrSha256 sum;
	lr_sha256_init(&sum);
	guchar *buf = g_malloc(1 << 20);
	gint64 total = 0;
	ssize_t n;
	int ok = 1;
	while (ok && (n = read(in, buf, 1 << 20)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		lr_sha256_update(&sum, buf, n);
		total += n;
		for (ssize_t off = 0; ok && off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w < 0 && errno != EINTR)
				ok = 0;
			else if (w > 0)
				off += w;
		}
	}
	if (!ok)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "copying %s: %s",
			    src, g_strerror(errno));
	close(in);
	g_free(buf);
	char *hex = lr_sha256_finish(&sum);
	if (!ok)
		g_clear_pointer(&hex, g_free);
	*bytes = total;
	return hex;
}

/* See store.h. */
char *
lr_store_put_path(LrStore *store, const char *kind, const char *src, const char *ext,
		  char **sha256_out, gint64 *bytes_out, GError **error)
{
	if (check_kind(kind, ext, error) < 0)
		return NULL;
	g_mutex_lock(&store->lock);
	int hit = fault_hit(store, error);
	g_mutex_unlock(&store->lock);
	if (hit < 0)
		return NULL;

	/* One pass: copy into a temporary file of the store while hashing, then rename it to its
	 * content address (the same file system, so the rename is atomic). */
	g_autofree char *folder = g_build_filename(store->dir, kind, NULL);
	g_autofree char *tmp = g_build_filename(folder, ".tmp-XXXXXX", NULL);
	if (g_mkdir_with_parents(folder, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", folder,
			    g_strerror(errno));
		return NULL;
	}
	int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", folder,
			    g_strerror(errno));
		return NULL;
	}
	gint64 bytes = 0;
	g_autofree char *sha256 = copy_hashing(src, fd, &bytes, error);
	if (sha256 && fsync(fd) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "fsync: %s",
			    g_strerror(errno));
		g_clear_pointer(&sha256, g_free);
	}
	close(fd);
	g_autofree char *relative = NULL;
	if (sha256) {
		relative = g_strdup_printf("%s/%.2s/%s.%s", kind, sha256, sha256, ext);
		g_autofree char *path = g_build_filename(store->dir, relative, NULL);
		g_autofree char *dir = g_path_get_dirname(path);
		GStatBuf st;
		if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == bytes)
			; /* these bytes are kept already */
		else if (g_mkdir_with_parents(dir, 0755) < 0 || rename(tmp, path) < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
				    g_strerror(errno));
			g_clear_pointer(&relative, g_free);
		} else {
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		}
	}
	g_unlink(tmp); /* gone already after a successful rename */
	if (relative) {
		if (sha256_out)
			*sha256_out = g_steal_pointer(&sha256);
		if (bytes_out)
			*bytes_out = bytes;
	}
	return g_steal_pointer(&relative);
}

/* Removes the .tmp-* files below FOLDER (recursing one level of fan-out folders). */
static int
sweep_folder(const char *folder, int depth)
{
	int removed = 0;
	GDir *dir = g_dir_open(folder, 0, NULL);
	const char *name;
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(folder, name, NULL);
		if (g_str_has_prefix(name, ".tmp-"))
			removed += g_unlink(path) == 0;
		else if (depth > 0 && g_file_test(path, G_FILE_TEST_IS_DIR))
			removed += sweep_folder(path, depth - 1);
	}
	if (dir)
		g_dir_close(dir);
	return removed;
}

/* See store.h. */
int
lr_store_sweep_temporaries(LrStore *store)
{
	static const char *const kinds[] = { "originals", "renditions" };
	int removed = 0;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree char *folder = g_build_filename(store->dir, kinds[i], NULL);
		removed += sweep_folder(folder, 1);
	}
	return removed;
}

/* See store.h. */
int
lr_store_lock_exclusive(LrStore *store, GError **error)
{
	g_autofree char *path = g_build_filename(store->dir, "daemon.lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_BUSY,
			    "store: %s is in use by another listready run (%s)", store->dir,
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Held until the process exits, however it exits: the kernel drops the lock. */
	return 0;
}

/* ---- the review page, the catalog API and export (issue 7) ---- */

/* See store.h. */
gint64
lr_store_add_token(LrStore *store, const char *name, const char *role, const char *sha256,
		   GError **error)
{
	g_autofree char *now = now_utc();
	gint64 id = 0;

	if (!name || !role || !sha256)
		return invalid(error, "a token needs a name, a role and a hash"), 0;
	g_mutex_lock(&store->lock);
	{
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "INSERT INTO tokens (name, role, sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
		    error);
		if (stmt &&
		    (bind_text(stmt, 1, name) | bind_text(stmt, 2, role) | bind_text(stmt, 3, sha256) |
		     bind_text(stmt, 4, now)) == SQLITE_OK &&
		    step(store, stmt, "adding a token", error) == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(store->db);
	}
	g_mutex_unlock(&store->lock);
	return id;
}

/* Looks up one row with SQL, its ?1 bound to KEY_TEXT (or KEY_ID when KEY_TEXT is NULL), and copies
 * its first N columns into the strings *OUT[0..N-1] (caller frees; NULL when there is no row).
 * Returns 1 for a row, 0 for none, -1 with ERROR set. */
static int
lookup_row(LrStore *store, const char *sql, const char *key_text, gint64 key_id, const char *what,
	   char **out[], int n, GError **error)
{
	int found = -1;

	for (int i = 0; i < n; i++)
		*out[i] = NULL;
	g_mutex_lock(&store->lock);
	{
		g_autoptr(sqlite3_stmt) stmt = prepare(store, sql, error);
		int bound = !stmt ? SQLITE_ERROR
			    : key_text ? bind_text(stmt, 1, key_text)
				       : sqlite3_bind_int64(stmt, 1, key_id);
		int rc = bound == SQLITE_OK ? step(store, stmt, what, error) : -1;
		if (rc == SQLITE_ROW) {
			for (int i = 0; i < n; i++)
				*out[i] = column_dup(stmt, i);
			found = 1;
		} else if (rc == SQLITE_DONE)
			found = 0;
	}
	g_mutex_unlock(&store->lock);
	return found;
}

/* See store.h. */
int
lr_store_find_token(LrStore *store, const char *sha256, char **role, char **name, GError **error)
{
	char **out[] = { role, name };
	return lookup_row(store,
			  "SELECT role, name FROM tokens WHERE sha256 = ?1 AND revoked_at IS NULL",
			  sha256, 0, "looking up a token", out, 2, error);
}

/* Under the lock, in a transaction: image ID's status into *OLD (caller frees), checked to be one
 * a curator may change. Returns 0 or -1 with ERROR set. */
static int
reviewable_status(LrStore *store, gint64 id, char **old, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(store, "SELECT status FROM images WHERE id = ?1", error);
	int rc = stmt && sqlite3_bind_int64(stmt, 1, id) == SQLITE_OK
			 ? step(store, stmt, "reading the status", error)
			 : -1;

	if (rc < 0)
		return -1;
	if (rc == SQLITE_DONE) {
		g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_NOT_FOUND, "store: no image #%lld",
			    (long long)id);
		return -1;
	}
	*old = column_dup(stmt, 0);
	if (g_strcmp0(*old, "needs_review") && g_strcmp0(*old, "accepted") &&
	    g_strcmp0(*old, "rejected")) {
		g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_CONFLICT,
			    "store: image #%lld is %s: only photos that were processed can be "
			    "reviewed",
			    (long long)id, *old);
		return -1;
	}
	return 0;
}

/* Logs KIND by ACTOR on image ID with DETAIL_JSON (an object, may be NULL) merged with {from, to}
 * (to read back from the row). */
static int
log_transition(LrStore *store, gint64 id, const char *actor, const char *kind, const char *old,
	       const char *detail_json, const char *now, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
	    store,
	    "INSERT INTO events (image_id, at, actor, kind, detail_json)"
	    " SELECT id, ?2, ?3, ?4, json_patch(coalesce(?6, '{}'), json_object('from', ?5, 'to',"
	    " status, 'profile', profile, 'note', review_note)) FROM images WHERE id = ?1",
	    error);

	if (!stmt)
		return -1;
	if ((sqlite3_bind_int64(stmt, 1, id) | bind_text(stmt, 2, now) | bind_text(stmt, 3, actor) |
	     bind_text(stmt, 4, kind) | bind_text(stmt, 5, old) | bind_text(stmt, 6, detail_json)) !=
	    SQLITE_OK) {
		set_db_error(error, store->db, SQLITE_ERROR, "binding the event");
		return -1;
	}
	return step(store, stmt, "logging the decision", error) < 0 ? -1 : 0;
}

/* See store.h. */
int
lr_store_review(LrStore *store, gint64 id, const char *status, const char *note, const char *actor,
		const char *kind, GError **error)
{
	g_autofree char *now = now_utc();
	g_autofree char *old = NULL;
	int ret = -1;

	if (g_strcmp0(status, "accepted") && g_strcmp0(status, "rejected"))
		return invalid(error, "a curator accepts or rejects");
	if (!actor || !kind)
		return invalid(error, "a decision needs an actor and a kind");
	g_mutex_lock(&store->lock);
	if (exec(store, "BEGIN IMMEDIATE", TRUE, "starting a transaction", error) < 0)
		goto out;
	if (reviewable_status(store, id, &old, error) == 0) {
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    "UPDATE images SET status = ?2, review_note = ?3, updated_at = ?4 WHERE id = ?1",
		    error);
		if (stmt &&
		    (sqlite3_bind_int64(stmt, 1, id) | bind_text(stmt, 2, status) |
		     bind_text(stmt, 3, note) | bind_text(stmt, 4, now)) == SQLITE_OK &&
		    step(store, stmt, "recording the decision", error) == SQLITE_DONE &&
		    log_transition(store, id, actor, kind, old, NULL, now, error) == 0 &&
		    exec(store, "COMMIT", TRUE, "committing the decision", error) == 0)
			ret = 0;
	}
	if (ret < 0)
		rollback(store);
out:
	g_mutex_unlock(&store->lock);
	return ret;
}

/* See store.h. */
int
lr_store_replace_outcome(LrStore *store, gint64 id, const LrImageRow *im,
			 const LrRenditionRow *renditions, int n, const char *actor,
			 const char *detail_json, GError **error)
{
	g_autofree char *now = now_utc();
	g_autofree char *old = NULL;
	int ret = -1;

	if (!im || !im->profile || !im->pipeline_version || !im->status || !actor)
		return invalid(error, "a new outcome needs a profile, a pipeline version, a status "
				      "and an actor");
	if (n < 0 || (n > 0 && !renditions))
		return invalid(error, "bad rendition list");
	g_mutex_lock(&store->lock);
	if (exec(store, "BEGIN IMMEDIATE", TRUE, "starting a transaction", error) < 0)
		goto out;
	if (reviewable_status(store, id, &old, error) == 0) {
		g_autoptr(sqlite3_stmt) update = prepare(
		    store,
		    "UPDATE images SET profile = ?2, pipeline_version = ?3, status = ?4, score = ?5,"
		    " reasons_json = ?6, scores_json = ?7, review_note = NULL, updated_at = ?8"
		    " WHERE id = ?1",
		    error);
		g_autoptr(sqlite3_stmt) drop =
		    prepare(store, "DELETE FROM renditions WHERE image_id = ?1", error);
		if (update && drop &&
		    (sqlite3_bind_int64(update, 1, id) | bind_text(update, 2, im->profile) |
		     bind_text(update, 3, im->pipeline_version) | bind_text(update, 4, im->status) |
		     sqlite3_bind_double(update, 5, im->score) |
		     bind_text(update, 6, im->reasons_json) | bind_text(update, 7, im->scores_json) |
		     bind_text(update, 8, now) | sqlite3_bind_int64(drop, 1, id)) == SQLITE_OK &&
		    step(store, update, "recording the new outcome", error) == SQLITE_DONE &&
		    step(store, drop, "replacing the renditions", error) == SQLITE_DONE &&
		    insert_renditions(store, id, renditions, n, error) == 0 &&
		    log_transition(store, id, actor, "reprocessed", old, detail_json, now, error) == 0 &&
		    exec(store, "COMMIT", TRUE, "committing the new outcome", error) == 0)
			ret = 0;
	}
	if (ret < 0)
		rollback(store);
out:
	g_mutex_unlock(&store->lock);
	return ret;
}

/* The JSON object of one asset, from images aliased i; ?9 says whether to add its events. */
#define ASSET_JSON                                                                                 \
	"json_object('id', i.id, 'cursor', CAST(i.seq AS TEXT), 'status', i.status,"             \
	" 'sha256', i.sha256, 'original_name', i.original_name, 'artisan', i.artisan,"            \
	" 'sku', i.sku, 'title', i.title, 'profile', i.profile,"                                  \
	" 'pipeline_version', i.pipeline_version, 'score', i.score,"                              \
	" 'scores', json(coalesce(i.scores_json, '{}')),"                                         \
	" 'reasons', json(coalesce(i.reasons_json, '[]')), 'review_note', i.review_note,"         \
	" 'duplicate_of', i.duplicate_of,"                                                        \
	" 'source', json_object('format', i.source_format, 'width', i.source_width,"              \
	"  'height', i.source_height, 'bytes', i.original_bytes),"                                \
	" 'exif', (SELECT json_object('capture_time', x.capture_time, 'make', x.make,"            \
	"  'model', x.model, 'has_gps', json(CASE x.has_gps WHEN 1 THEN 'true' ELSE 'false' END),"\
	"  'orientation', x.orientation) FROM exif x WHERE x.image_id = i.id),"                   \
	" 'renditions', (SELECT json_group_array(json_object('name', r.name, 'format', r.format," \
	"  'width', r.width, 'height', r.height, 'bytes', r.bytes, 'sha256', r.sha256,"           \
	"  'url', '/api/v1/renditions/' || r.sha256)) FROM (SELECT * FROM renditions"             \
	"  WHERE image_id = i.id ORDER BY width DESC, format, id) r),"                            \
	" 'events', CASE WHEN ?9 THEN (SELECT json_group_array(json_object('at', e.at,"            \
	"  'actor', e.actor, 'kind', e.kind, 'detail', json(e.detail_json))) FROM (SELECT * FROM" \
	"  events WHERE image_id = i.id ORDER BY id) e) END,"                                     \
	" 'created_at', i.created_at, 'updated_at', i.updated_at)"

/* See store.h. */
char *
lr_store_asset_json(LrStore *store, gint64 id, gboolean with_events, GError **error)
{
	char *json = NULL;

	g_mutex_lock(&store->lock);
	{
		g_autoptr(sqlite3_stmt) stmt =
		    prepare(store, "SELECT " ASSET_JSON " FROM images i WHERE i.id = ?1", error);
		int rc = stmt && (sqlite3_bind_int64(stmt, 1, id) |
				  sqlite3_bind_int(stmt, 9, with_events)) == SQLITE_OK
				 ? step(store, stmt, "reading an asset", error)
				 : -1;
		if (rc == SQLITE_ROW)
			json = column_dup(stmt, 0);
		else if (rc == SQLITE_DONE)
			g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_NOT_FOUND,
				    "store: no image #%lld", (long long)id);
	}
	g_mutex_unlock(&store->lock);
	return json;
}

/* See store.h. */
char *
lr_store_feed_json(LrStore *store, const LrFeedQuery *q, GError **error)
{
	GString *out = NULL;
	gint64 last = q->after, newest = 0;
	int n = 0, limit = CLAMP(q->limit, 1, 1000);
	gboolean more = FALSE;

	g_mutex_lock(&store->lock);
	/* One read transaction: the page and the newest change come from the same snapshot, so a
	 * change committed in between is after the cursor returned, never under it. */
	if (exec(store, "BEGIN", FALSE, "starting a read", error) < 0)
		goto out;
	{
		g_autoptr(sqlite3_stmt) stmt = prepare(
		    store,
		    q->oldest_first
			? "SELECT i.seq, " ASSET_JSON " FROM images i WHERE i.seq > ?1"
			  " AND (?2 IS NULL OR i.status = ?2) AND (?3 IS NULL OR i.artisan = ?3)"
			  " AND (?4 IS NULL OR i.sku = ?4) AND (?5 IS NULL OR i.profile = ?5)"
			  " ORDER BY i.created_at, i.id LIMIT ?6"
			: "SELECT i.seq, " ASSET_JSON " FROM images i WHERE i.seq > ?1"
			  " AND (?2 IS NULL OR i.status = ?2) AND (?3 IS NULL OR i.artisan = ?3)"
			  " AND (?4 IS NULL OR i.sku = ?4) AND (?5 IS NULL OR i.profile = ?5)"
			  " ORDER BY i.seq LIMIT ?6",
		    error);
		g_autoptr(sqlite3_stmt) max =
		    prepare(store, "SELECT coalesce(max(seq), 0) FROM images", error);
		int rc = stmt && max &&
				 (sqlite3_bind_int64(stmt, 1, q->after) | bind_text(stmt, 2, q->status) |
				  bind_text(stmt, 3, q->artisan) | bind_text(stmt, 4, q->sku) |
				  bind_text(stmt, 5, q->profile) |
				  sqlite3_bind_int(stmt, 6, limit + 1) |
				  sqlite3_bind_int(stmt, 9, 0)) == SQLITE_OK
			     ? SQLITE_ROW
			     : -1;
		out = g_string_new("{\"items\":[");
		while (rc == SQLITE_ROW) {
			rc = step(store, stmt, "reading the feed", error);
			if (rc != SQLITE_ROW)
				break;
			if (n == limit) {
				more = TRUE;
				break;
			}
			if (n++)
				g_string_append_c(out, ',');
			g_string_append(out, (const char *)sqlite3_column_text(stmt, 1));
			last = MAX(last, sqlite3_column_int64(stmt, 0));
		}
		if (rc >= 0 && step(store, max, "reading the newest change", error) == SQLITE_ROW)
			newest = sqlite3_column_int64(max, 0);
		else
			rc = -1;
		if (rc < 0)
			g_string_free(g_steal_pointer(&out), TRUE);
	}
	exec(store, "COMMIT", FALSE, "ending a read", NULL);
	if (out) {
		/* The review queue's order is not the change order: its cursor is not resumable. */
		if (!more && !q->oldest_first)
			last = MAX(last, newest);
		g_string_append_printf(out, "],\"next_cursor\":\"%" G_GINT64_FORMAT "\",\"has_more\":%s}",
				       last, more ? "true" : "false");
	}
out:
	g_mutex_unlock(&store->lock);
	return out ? g_string_free(out, FALSE) : NULL;
}

/* See store.h. */
int
lr_store_find_rendition(LrStore *store, const char *sha256, char **path, char **format,
			GError **error)
{
	char **out[] = { path, format };
	return lookup_row(store, "SELECT path, format FROM renditions WHERE sha256 = ?1 LIMIT 1",
			  sha256, 0, "looking up a rendition", out, 2, error);
}

/* See store.h. */
int
lr_store_review_files(LrStore *store, gint64 id, char **original_path, char **original_sha256,
		      char **result_sha256, GError **error)
{
	char **out[] = { original_path, original_sha256, result_sha256 };
	return lookup_row(store,
			  "SELECT original_path, sha256, coalesce((SELECT r.sha256 FROM renditions r"
			  " WHERE r.image_id = i.id AND r.format = 'jpeg' ORDER BY r.width DESC"
			  " LIMIT 1), '') FROM images i WHERE id = ?1",
			  NULL, id, "looking up the review files", out, 3, error);
}
