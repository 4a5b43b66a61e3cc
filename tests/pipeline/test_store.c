/* test_store.c: tests of the catalog store (pipeline/store.c) and the atomic writes under it
 * (pipeline/fsutil.c).
 *
 * The store is checked from outside: every test reads the database back with its own raw sqlite3
 * connection and looks at the files on disk, so a bug in the store's own reading code cannot hide a
 * bug in its writing code. The fault test replays one ingest with each write step failing in turn,
 * as SQLite's own fault tests do, and after each failure demands that nothing partial is left
 * behind.
 */
#include "pipeline/fsutil.h"
#include "pipeline/store.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

static void
rm_rf(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			rm_rf(child);
		}
		g_dir_close(dir);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

/* Counts files named .tmp-* anywhere under PATH. */
static int
count_temps(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	int n = 0;

	if (!dir)
		return 0;
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		n += g_str_has_prefix(name, ".tmp-") ? 1 : count_temps(child);
	}
	g_dir_close(dir);
	return n;
}

static char *
make_dir(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("lr-store-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static sqlite3 *
raw_open(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "listready.db", NULL);
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *
raw_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		g_error("preparing %s: %s", sql, sqlite3_errmsg(db));
	return stmt;
}

static gint64
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = raw_query(db, sql);
	gint64 v;

	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static char *
raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = raw_query(db, sql);
	char *v;

	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	v = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return v;
}

typedef struct {
	gint64 images, renditions, exif, events;
} Counts;

static Counts
count_rows(const char *dir)
{
	sqlite3 *db = raw_open(dir);
	Counts c = {
	    raw_int(db, "SELECT count(*) FROM images"),
	    raw_int(db, "SELECT count(*) FROM renditions"),
	    raw_int(db, "SELECT count(*) FROM exif"),
	    raw_int(db, "SELECT count(*) FROM events"),
	};

	sqlite3_close(db);
	return c;
}

static void
assert_counts(Counts a, Counts b)
{
	g_assert_cmpint(a.images, ==, b.images);
	g_assert_cmpint(a.renditions, ==, b.renditions);
	g_assert_cmpint(a.exif, ==, b.exif);
	g_assert_cmpint(a.events, ==, b.events);
}

static void
assert_integrity(const char *dir)
{
	sqlite3 *db = raw_open(dir);
	g_autofree char *ok = raw_text(db, "PRAGMA integrity_check");

	g_assert_cmpstr(ok, ==, "ok");
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
	sqlite3_close(db);
}

static LrStore *
open_store(const char *dir)
{
	GError *error = NULL;
	LrStore *store = lr_store_open(dir, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

/* A complete row; tests change the fields they are about. */
static LrImageRow
sample_image(const char *sha256, const char *status)
{
	LrImageRow im = {
	    .sha256 = sha256,
	    .original_name = "saree-red.jpg",
	    .original_path = "originals/ab/abc.jpg",
	    .original_bytes = 123456,
	    .source_format = "jpeg",
	    .source_width = 4032,
	    .source_height = 3024,
	    .profile = "flipkart",
	    .pipeline_version = "0.1.0",
	    .status = status,
	    .score = 0.75,
	    .reasons_json = "[{\"code\":\"blur\",\"message\":\"m\",\"advice\":\"a\"}]",
	    .scores_json = "{\"sharpness\":0.5}",
	    .capture_time = "2024:03:01 10:20:30",
	    .camera_make = "Xiaomi",
	    .camera_model = "Redmi Note 12",
	    .has_gps = TRUE,
	    .orientation = 6,
	    .artisan = "Meena",
	    .sku = "SAR-001",
	};
	return im;
}

static gint64
add_or_fail(LrStore *store, const LrImageRow *im, const LrRenditionRow *r, int n)
{
	GError *error = NULL;
	gint64 id = lr_store_add_image(store, im, r, n, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static void
test_sha256(void)
{
	g_autofree char *abc = lr_sha256_hex("abc", 3);
	g_autofree char *empty = lr_sha256_hex("", 0);

	g_assert_cmpstr(abc, ==,
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	g_assert_cmpstr(empty, ==,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* In steps, across the 64-byte block boundary: FIPS 180-2's two-block message. */
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	LrSha256 sum;
	lr_sha256_init(&sum);
	lr_sha256_update(&sum, msg, 50);
	lr_sha256_update(&sum, msg + 50, strlen(msg) - 50);
	g_autofree char *steps = lr_sha256_finish(&sum);
	g_assert_cmpstr(steps, ==,
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_atomic_write(void)
{
	g_autofree char *dir = make_dir();
	g_autofree char *path = g_build_filename(dir, "a", "b", "file.bin", NULL);
	g_autofree char *blocker = g_build_filename(dir, "blocker", NULL);
	g_autofree char *contents = NULL;
	GError *error = NULL;
	gsize length;

	/* Missing parents are created; a second write replaces the first whole. */
	g_assert_cmpint(lr_write_file_atomic(path, "first version", 13, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(lr_write_file_atomic(path, "second", 6, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
	g_assert_cmpmem(contents, length, "second", 6);

	/* Renaming over a folder fails after the temp file is written: it must be removed. */
	g_assert_cmpint(g_mkdir(blocker, 0755), ==, 0);
	g_assert_cmpint(lr_write_file_atomic(blocker, "data", 4, &error), ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
	g_clear_error(&error);
	g_assert_true(g_file_test(blocker, G_FILE_TEST_IS_DIR));
	g_assert_cmpint(count_temps(dir), ==, 0);

	/* A parent that is a file cannot become a folder. */
	g_autofree char *file_parent = g_build_filename(path, "child.bin", NULL);
	g_assert_cmpint(lr_write_file_atomic(file_parent, "x", 1, &error), ==, -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
	g_assert_cmpint(count_temps(dir), ==, 0);
	rm_rf(dir);
}

static void
test_open_creates(void)
{
	g_autofree char *dir = make_dir();
	g_autofree char *nested = g_build_filename(dir, "not", "yet", NULL);
	g_autofree char *db_path = g_build_filename(nested, "listready.db", NULL);
	LrStore *store = open_store(nested);
	sqlite3 *db;

	g_assert_true(g_file_test(db_path, G_FILE_TEST_IS_REGULAR));
	g_assert_true(g_path_is_absolute(lr_store_dir(store)));
	db = raw_open(nested);
	g_autofree char *mode = raw_text(db, "PRAGMA journal_mode");
	g_assert_cmpstr(mode, ==, "wal");
	g_assert_cmpint(lr_store_schema_version(), >=, 1);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, lr_store_schema_version());
	g_assert_cmpint(
	    raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
			" ('images', 'renditions', 'exif', 'events')"),
	    ==, 4);
	g_assert_cmpint(
	    raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"
			" ('images_sha256', 'images_status')"),
	    ==, 2);
	/* No column may hold coordinates. */
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM pragma_table_info('exif') WHERE name LIKE"
				    " '%lat%' OR name LIKE '%lon%'"),
			==, 0);
	sqlite3_close(db);
	lr_store_close(store);
	lr_store_close(NULL);
	rm_rf(dir);
}

static void
test_reopen(void)
{
	g_autofree char *dir = make_dir();
	LrImageRow im = sample_image("aa11", "accepted");
	LrStore *store = open_store(dir), *second;
	GError *error = NULL;
	gint64 id = add_or_fail(store, &im, NULL, 0), id2;
	sqlite3 *db = raw_open(dir);
	gint64 objects = raw_int(db, "SELECT count(*) FROM sqlite_master");

	lr_store_close(store);
	store = open_store(dir);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, lr_store_schema_version());
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_master"), ==, objects);
	g_assert_cmpint(lr_store_find_sha256(store, "aa11", &error), ==, id);
	g_assert_no_error(error);

	/* Two handles on one folder (two processes, say) both work and never share an id. */
	second = open_store(dir);
	id2 = add_or_fail(second, &im, NULL, 0);
	g_assert_cmpint(id2, !=, id);
	g_assert_cmpint(count_rows(dir).images, ==, 2);
	lr_store_close(second);
	lr_store_close(store);
	sqlite3_close(db);
	rm_rf(dir);
}

static void
test_too_new(void)
{
	g_autofree char *dir = make_dir();
	g_autofree char *set =
	    g_strdup_printf("PRAGMA user_version = %d", lr_store_schema_version() + 1);
	LrStore *store = open_store(dir);
	GError *error = NULL;
	sqlite3 *db;

	lr_store_close(store);
	db = raw_open(dir);
	g_assert_cmpint(sqlite3_exec(db, set, NULL, NULL, NULL), ==, SQLITE_OK);
	store = lr_store_open(dir, &error);
	g_assert_null(store);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_TOO_NEW);
	g_assert_nonnull(strstr(error->message, "newer"));
	g_clear_error(&error);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, lr_store_schema_version() + 1);
	sqlite3_close(db);
	rm_rf(dir);
}

static void
test_put_file(void)
{
	static const char bytes[] = "\xff\xd8\xff\xe0 not really a jpeg \x00 with a NUL \xff\xd9";
	const gsize length = sizeof bytes - 1;
	g_autofree char *dir = make_dir();
	g_autofree char *sha = NULL, *sha_again = NULL,
			*expected_sha = lr_sha256_hex(bytes, length);
	g_autofree char *expected = NULL, *abs = NULL, *contents = NULL, *again = NULL,
			*third = NULL;
	LrStore *store = open_store(dir);
	GError *error = NULL;
	GStatBuf before, after;
	char *bad;
	gsize got;

	g_autofree char *rel =
	    lr_store_put_file(store, "originals", bytes, length, "jpg", &sha, &error);
	g_assert_no_error(error);
	expected = g_strdup_printf("originals/%.2s/%s.jpg", expected_sha, expected_sha);
	g_assert_cmpstr(rel, ==, expected);
	g_assert_cmpstr(sha, ==, expected_sha);
	abs = lr_store_path(store, rel);
	g_assert_true(g_str_has_prefix(abs, lr_store_dir(store)));
	g_assert_true(g_file_get_contents(abs, &contents, &got, NULL));
	g_assert_cmpmem(contents, got, bytes, length);

	/* The same bytes again: no write at all. A write step would trip the injected fault, and a
	 * rewrite would show as a new inode (rename of a fresh temp file). */
	g_assert_cmpint(g_stat(abs, &before), ==, 0);
	lr_store_inject_fault(store, 1);
	again = lr_store_put_file(store, "originals", bytes, length, "jpg", &sha_again, &error);
	g_assert_no_error(error);
	lr_store_inject_fault(store, 0);
	g_assert_cmpstr(again, ==, rel);
	g_assert_cmpstr(sha_again, ==, sha);
	g_assert_cmpint(g_stat(abs, &after), ==, 0);
	g_assert_cmpuint(before.st_ino, ==, after.st_ino);
	g_assert_cmpint(before.st_mtime, ==, after.st_mtime);

	/* A file of the wrong size at the address is not the content: it is replaced. */
	g_assert_cmpint(truncate(abs, 3), ==, 0);
	third = lr_store_put_file(store, "originals", bytes, length, "jpg", NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&contents, g_free);
	g_assert_true(g_file_get_contents(abs, &contents, &got, NULL));
	g_assert_cmpmem(contents, got, bytes, length);

	/* Only the two kinds, and no path tricks in the extension. */
	bad = lr_store_put_file(store, "thumbnails", bytes, length, "jpg", NULL, &error);
	g_assert_null(bad);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_INVALID);
	g_clear_error(&error);
	bad = lr_store_put_file(store, "renditions", bytes, length, "../../x", NULL, &error);
	g_assert_null(bad);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_cmpint(count_temps(dir), ==, 0);
	lr_store_close(store);
	rm_rf(dir);
}

static void
test_round_trip(void)
{
	g_autofree char *dir = make_dir();
	LrStore *store = open_store(dir);
	LrImageRow im = sample_image("5ha", "needs_review");
	LrRenditionRow r[2] = {
	    {"2000", "jpeg", 2000, 1500, 345678, "r1sha", "renditions/r1/r1sha.jpg"},
	    {"500", "webp", 500, 375, 23456, "r2sha", "renditions/r2/r2sha.webp"},
	};
	gint64 id = add_or_fail(store, &im, r, 2);
	sqlite3 *db = raw_open(dir);
	sqlite3_stmt *q;

	q = raw_query(
	    db,
	    "SELECT id, sha256, original_name, original_path, original_bytes, source_format,"
	    " source_width, source_height, profile, pipeline_version, status, duplicate_of,"
	    " score, reasons_json, scores_json, artisan, sku, created_at, updated_at FROM images");
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int64(q, 0), ==, id);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 1), ==, "5ha");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 2), ==, "saree-red.jpg");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 3), ==, "originals/ab/abc.jpg");
	g_assert_cmpint(sqlite3_column_int64(q, 4), ==, 123456);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 5), ==, "jpeg");
	g_assert_cmpint(sqlite3_column_int(q, 6), ==, 4032);
	g_assert_cmpint(sqlite3_column_int(q, 7), ==, 3024);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 8), ==, "flipkart");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 9), ==, "0.1.0");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 10), ==, "needs_review");
	g_assert_cmpint(sqlite3_column_type(q, 11), ==, SQLITE_NULL);
	g_assert_cmpfloat(sqlite3_column_double(q, 12), ==, 0.75);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 13), ==, im.reasons_json);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 14), ==, im.scores_json);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 15), ==, "Meena");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 16), ==, "SAR-001");
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$",
					   (const char *)sqlite3_column_text(q, 17), 0, 0));
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 17), ==,
			(const char *)sqlite3_column_text(q, 18));
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_DONE);
	sqlite3_finalize(q);

	q = raw_query(db, "SELECT image_id, name, format, width, height, bytes, sha256, path"
			  " FROM renditions ORDER BY id");
	for (int i = 0; i < 2; i++) {
		g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
		g_assert_cmpint(sqlite3_column_int64(q, 0), ==, id);
		g_assert_cmpstr((const char *)sqlite3_column_text(q, 1), ==, r[i].name);
		g_assert_cmpstr((const char *)sqlite3_column_text(q, 2), ==, r[i].format);
		g_assert_cmpint(sqlite3_column_int(q, 3), ==, r[i].width);
		g_assert_cmpint(sqlite3_column_int(q, 4), ==, r[i].height);
		g_assert_cmpint(sqlite3_column_int64(q, 5), ==, r[i].bytes);
		g_assert_cmpstr((const char *)sqlite3_column_text(q, 6), ==, r[i].sha256);
		g_assert_cmpstr((const char *)sqlite3_column_text(q, 7), ==, r[i].path);
	}
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_DONE);
	sqlite3_finalize(q);

	q = raw_query(db,
		      "SELECT image_id, capture_time, make, model, has_gps, orientation FROM exif");
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int64(q, 0), ==, id);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 1), ==, "2024:03:01 10:20:30");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 2), ==, "Xiaomi");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 3), ==, "Redmi Note 12");
	g_assert_cmpint(sqlite3_column_int(q, 4), ==, 1);
	g_assert_cmpint(sqlite3_column_int(q, 5), ==, 6);
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_DONE);
	sqlite3_finalize(q);

	q = raw_query(
	    db, "SELECT e.image_id, e.actor, e.kind, e.at = i.created_at,"
		" json_extract(e.detail_json, '$.status'), json_extract(e.detail_json, '$.profile')"
		" FROM events e JOIN images i ON i.id = e.image_id");
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int64(q, 0), ==, id);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 1), ==, "pipeline");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 2), ==, "processed");
	g_assert_cmpint(sqlite3_column_int(q, 3), ==, 1);
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 4), ==, "needs_review");
	g_assert_cmpstr((const char *)sqlite3_column_text(q, 5), ==, "flipkart");
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_DONE);
	sqlite3_finalize(q);

	/* A quarantined photo has no orientation and no renditions; its event says so. */
	im = sample_image("q1", "quarantined");
	im.orientation = 0;
	im.reasons_json = NULL;
	id = add_or_fail(store, &im, NULL, 0);
	g_autofree char *sql =
	    g_strdup_printf("SELECT kind FROM events WHERE image_id = %" G_GINT64_FORMAT, id);
	g_autofree char *kind = raw_text(db, sql);
	g_assert_cmpstr(kind, ==, "quarantined");
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM exif WHERE orientation IS NULL"), ==, 1);

	sqlite3_close(db);
	lr_store_close(store);
	rm_rf(dir);
}

static void
test_find_sha256(void)
{
	g_autofree char *dir = make_dir();
	LrStore *store = open_store(dir);
	GError *error = NULL;
	LrImageRow im;
	gint64 a, b, c, d;
	sqlite3 *db;

	g_assert_cmpint(lr_store_find_sha256(store, "xxxx", &error), ==, 0);
	g_assert_no_error(error);

	im = sample_image("xxxx", "needs_review");
	a = add_or_fail(store, &im, NULL, 0);
	im = sample_image("xxxx", "duplicate");
	im.duplicate_of = a;
	b = add_or_fail(store, &im, NULL, 0);
	g_assert_cmpint(lr_store_find_sha256(store, "xxxx", &error), ==, a);

	/* A duplicate row first in id order is skipped; the lowest non-duplicate wins. */
	im = sample_image("yyyy", "duplicate");
	im.duplicate_of = a;
	c = add_or_fail(store, &im, NULL, 0);
	g_assert_cmpint(lr_store_find_sha256(store, "yyyy", &error), ==, 0);
	im = sample_image("yyyy", "accepted");
	d = add_or_fail(store, &im, NULL, 0);
	im = sample_image("yyyy", "rejected");
	add_or_fail(store, &im, NULL, 0);
	g_assert_cmpint(lr_store_find_sha256(store, "yyyy", &error), ==, d);
	g_assert_cmpint(lr_store_find_sha256(store, "xxxx", &error), ==, a);
	g_assert_no_error(error);

	db = raw_open(dir);
	g_autofree char *sql =
	    g_strdup_printf("SELECT duplicate_of FROM images WHERE id = %" G_GINT64_FORMAT, b);
	g_assert_cmpint(raw_int(db, sql), ==, a);
	g_autofree char *sql2 =
	    g_strdup_printf("SELECT kind FROM events WHERE image_id = %" G_GINT64_FORMAT, c);
	g_autofree char *kind = raw_text(db, sql2);
	g_assert_cmpstr(kind, ==, "duplicate");
	sqlite3_close(db);

	g_assert_cmpint(lr_store_find_sha256(store, NULL, &error), ==, -1);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_INVALID);
	g_clear_error(&error);
	lr_store_close(store);
	rm_rf(dir);
}

/* Adds IM and expects it refused with CODE and nothing recorded. */
static void
assert_refused(LrStore *store, const LrImageRow *im, const LrRenditionRow *r, int n, int code)
{
	const char *dir = lr_store_dir(store);
	Counts before = count_rows(dir);
	GError *error = NULL;

	g_assert_cmpint(lr_store_add_image(store, im, r, n, &error), ==, 0);
	g_assert_error(error, LR_STORE_ERROR, code);
	g_assert_true(g_str_has_prefix(error->message, "store: "));
	g_clear_error(&error);
	assert_counts(before, count_rows(dir));
	assert_integrity(dir);
}

static void
test_refused(void)
{
	g_autofree char *dir = make_dir();
	LrStore *store = open_store(dir);
	LrRenditionRow r[2] = {
	    {"1000", "jpeg", 1000, 750, 100, "s1", "renditions/s1/s1.jpg"},
	    {"1000", "jpeg", 1000, 750, 100, "s1", "renditions/s1/s1.jpg"},
	};
	LrImageRow im = sample_image("ok", "accepted");
	GError *error = NULL;

	add_or_fail(store, &im, NULL, 0);

	im = sample_image("bad", "approved");
	assert_refused(store, &im, NULL, 0, LR_STORE_ERROR_CONSTRAINT);
	/* Refused by the foreign key, which proves foreign_keys is on. */
	im = sample_image("bad", "duplicate");
	im.duplicate_of = 9999;
	assert_refused(store, &im, NULL, 0, LR_STORE_ERROR_CONSTRAINT);
	/* The second rendition breaks UNIQUE after the image, exif and first rendition went in. */
	im = sample_image("bad", "accepted");
	assert_refused(store, &im, r, 2, LR_STORE_ERROR_CONSTRAINT);
	im.reasons_json = "[{\"code\":";
	assert_refused(store, &im, NULL, 0, LR_STORE_ERROR_CONSTRAINT);
	im = sample_image(NULL, "accepted");
	assert_refused(store, &im, NULL, 0, LR_STORE_ERROR_INVALID);
	im = sample_image("bad", "accepted");
	r[1].path = NULL;
	assert_refused(store, &im, r, 2, LR_STORE_ERROR_INVALID);
	g_assert_cmpint(lr_store_find_sha256(store, "bad", &error), ==, 0);
	g_assert_no_error(error);

	lr_store_close(store);
	rm_rf(dir);
}

static void
test_log_event(void)
{
	g_autofree char *dir = make_dir();
	LrStore *store = open_store(dir);
	LrImageRow im = sample_image("e", "needs_review");
	gint64 id = add_or_fail(store, &im, NULL, 0);
	GError *error = NULL;
	sqlite3 *db;

	g_assert_cmpint(lr_store_log_event(store, id, "curator:asha", "approved",
					   "{\"note\":\"fine\"}", &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(lr_store_log_event(store, 0, "daemon", "started", NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(lr_store_log_event(store, 0, "daemon", "x", "not json", &error), ==, -1);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);
	g_assert_cmpint(lr_store_log_event(store, 0, NULL, "x", NULL, &error), ==, -1);
	g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_INVALID);
	g_clear_error(&error);

	db = raw_open(dir);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM events"), ==, 3);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM events WHERE kind = 'started'"
				    " AND image_id IS NULL AND detail_json IS NULL"),
			==, 1);
	g_autofree char *note =
	    raw_text(db, "SELECT json_extract(detail_json, '$.note') FROM events"
			 " WHERE actor = 'curator:asha'");
	g_assert_cmpstr(note, ==, "fine");
	sqlite3_close(db);
	lr_store_close(store);
	rm_rf(dir);
}

/* One ingest as the pipeline does it: keep the original, keep two renditions, record the lot. */
static gint64
ingest(LrStore *store, GError **error)
{
	static const char original[] = "the original bytes of a handloom saree photo";
	static const char big[] = "rendition 2000 bytes";
	static const char small[] = "rendition 500 bytes";
	g_autofree char *sha = NULL, *path = NULL, *sha1 = NULL, *path1 = NULL, *sha2 = NULL,
			*path2 = NULL;
	LrImageRow im;

	path = lr_store_put_file(store, "originals", original, sizeof original - 1, "jpg", &sha,
				 error);
	if (!path)
		return 0;
	path1 = lr_store_put_file(store, "renditions", big, sizeof big - 1, "jpg", &sha1, error);
	if (!path1)
		return 0;
	path2 =
	    lr_store_put_file(store, "renditions", small, sizeof small - 1, "webp", &sha2, error);
	if (!path2)
		return 0;

	LrRenditionRow r[2] = {
	    {"2000", "jpeg", 2000, 1500, sizeof big - 1, sha1, path1},
	    {"500", "webp", 500, 375, sizeof small - 1, sha2, path2},
	};
	im = sample_image(sha, "accepted");
	im.original_path = path;
	return lr_store_add_image(store, &im, r, 2, error);
}

static void
test_fault_replay(void)
{
	/* At least: 3 file writes, then image, exif, 2 renditions and the event. */
	const int min_steps = 3 + 1 + 1 + 2 + 1;
	int nth;

	for (nth = 1;; nth++) {
		g_autofree char *dir = make_dir();
		LrStore *store = open_store(dir);
		LrImageRow earlier = sample_image("0000", "accepted");
		GError *error = NULL;
		Counts before;
		gint64 id;

		/* A row already there, so "unchanged" is checked against a store that is not empty.
		 */
		add_or_fail(store, &earlier, NULL, 0);
		before = count_rows(dir);

		lr_store_inject_fault(store, nth);
		id = ingest(store, &error);
		lr_store_inject_fault(store, 0);
		if (id > 0) {
			Counts after = count_rows(dir);

			g_assert_no_error(error);
			g_assert_cmpint(after.images, ==, before.images + 1);
			g_assert_cmpint(after.renditions, ==, before.renditions + 2);
			g_assert_cmpint(after.exif, ==, before.exif + 1);
			g_assert_cmpint(after.events, ==, before.events + 1);
			assert_integrity(dir);
			g_assert_cmpint(count_temps(dir), ==, 0);
			lr_store_close(store);
			rm_rf(dir);
			break;
		}
		g_assert_cmpint(id, ==, 0);
		g_assert_error(error, LR_STORE_ERROR, LR_STORE_ERROR_FAULT);
		g_assert_nonnull(strstr(error->message, "injected fault"));
		g_clear_error(&error);
		assert_counts(before, count_rows(dir));
		assert_integrity(dir);
		g_assert_cmpint(count_temps(dir), ==, 0);

		/* The store is still usable: the same ingest, retried, goes through whole. */
		id = ingest(store, &error);
		g_assert_no_error(error);
		g_assert_cmpint(id, >, 0);
		g_assert_cmpint(count_rows(dir).renditions, ==, before.renditions + 2);
		lr_store_close(store);
		rm_rf(dir);
	}
	g_test_message("ingest succeeded once the fault was past its %d write steps", nth - 1);
	g_assert_cmpint(nth - 1, >=, min_steps);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fsutil/sha256", test_sha256);
	g_test_add_func("/fsutil/atomic-write", test_atomic_write);
	g_test_add_func("/store/open/creates", test_open_creates);
	g_test_add_func("/store/open/reopen", test_reopen);
	g_test_add_func("/store/open/too-new", test_too_new);
	g_test_add_func("/store/put-file", test_put_file);
	g_test_add_func("/store/add-image/round-trip", test_round_trip);
	g_test_add_func("/store/add-image/refused", test_refused);
	g_test_add_func("/store/find-sha256", test_find_sha256);
	g_test_add_func("/store/log-event", test_log_event);
	g_test_add_func("/store/fault-replay", test_fault_replay);
	return g_test_run();
}
