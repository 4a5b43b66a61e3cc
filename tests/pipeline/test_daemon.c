/* test_daemon.c: `listready run` end to end — the inbox, the queue, crashes.
 *
 * Ground truth: the photos the test itself drops, each with known bytes, name and arrival style
 * (written at once, written slowly in chunks, moved in, duplicated, in artisan/sku folders, with a
 * sidecar, written under a temporary name and renamed). Every one must end in exactly one terminal state, with its original byte-identical in
 * the store, and the inbox empty but for the names the daemon must leave alone.
 *
 * /daemon/kill is the crash test: the daemon is killed with SIGKILL at random moments of a burst
 * and restarted. Its size comes from the environment so that scripts/inbox-soak can run the full
 * 300 photos and 20 kills: LR_SOAK_FILES, LR_SOAK_KILLS, LR_SOAK_SEED.
 */
#include "samples/synth.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	char *name;  /* relative to the inbox */
	GBytes *bytes;
} Photo;

typedef enum { ARRIVE_WRITE, ARRIVE_CHUNKS, ARRIVE_MOVE } Arrival;

/* N distinct small phone-like photos (and DUPLICATES copies of the first few under other names). */
static GPtrArray *
make_photos(int n, int duplicates, const char *prefix)
{
	GPtrArray *photos = g_ptr_array_new();
	for (int i = 0; i < n; i++) {
		LrSynthSpec spec;
		VipsImage *image, *mask;
		lr_synth_spec_default(&spec, 480, 360);
		spec.seed = 1000 + i;
		spec.product = i % 2 ? LR_SYNTH_BOWL : LR_SYNTH_TEXTILE;
		spec.background = i % 3 == 0 ? LR_SYNTH_WOOD : LR_SYNTH_SHEET;
		spec.centre_x = 0.4 + 0.02 * (i % 10);
		g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
		void *buf;
		size_t len;
		g_assert_cmpint(vips_jpegsave_buffer(image, &buf, &len, "Q", 90, NULL), ==, 0);
		Photo *p = g_new0(Photo, 1);
		/* Every fifth photo in an artisan/sku folder. */
		p->name = i % 5 == 0 ? g_strdup_printf("artisan%d/sku%d/%s%03d.jpg", i % 3, i % 4,
						       prefix, i)
				     : g_strdup_printf("%s%03d.jpg", prefix, i);
		p->bytes = g_bytes_new_take(buf, len);
		g_ptr_array_add(photos, p);
		g_object_unref(image);
		g_object_unref(mask);
	}
	for (int i = 0; i < duplicates; i++) {
		Photo *p = g_new0(Photo, 1);
		const Photo *first = g_ptr_array_index(photos, i);
		p->name = g_strdup_printf("%sdup%03d.jpg", prefix, i);
		p->bytes = g_bytes_ref(first->bytes);
		g_ptr_array_add(photos, p);
	}
	return photos;
}

static void
photos_free(GPtrArray *photos)
{
	for (guint i = 0; i < photos->len; i++) {
		Photo *p = g_ptr_array_index(photos, i);
		g_free(p->name);
		g_bytes_unref(p->bytes);
		g_free(p);
	}
	g_ptr_array_free(photos, TRUE);
}

static void
write_all(int fd, const guchar *data, gsize length, gsize chunk, guint pause_us)
{
	for (gsize off = 0; off < length;) {
		gsize n = MIN(chunk, length - off);
		ssize_t w = write(fd, data + off, n);
		g_assert_cmpint(w, >, 0);
		off += w;
		if (pause_us && off < length)
			g_usleep(pause_us);
	}
}

/* Drops PHOTO into INBOX the way ARRIVAL says; STAGING is a folder on the same file system. */
static void
drop(const char *inbox, const char *staging, const Photo *photo, Arrival arrival)
{
	g_autofree char *path = g_build_filename(inbox, photo->name, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	gsize length;
	const guchar *data = g_bytes_get_data(photo->bytes, &length);
	if (arrival == ARRIVE_MOVE) {
		g_autofree char *base = g_path_get_basename(photo->name);
		g_autofree char *tmp = g_build_filename(staging, base, NULL);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		g_assert_cmpint(fd, >=, 0);
		write_all(fd, data, length, length, 0);
		close(fd);
		g_assert_cmpint(rename(tmp, path), ==, 0);
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	g_assert_cmpint(fd, >=, 0);
	/* A slow phone upload: small chunks with pauses, longer in all than the settle time. */
	if (arrival == ARRIVE_CHUNKS)
		write_all(fd, data, length, 4096, 40000);
	else
		write_all(fd, data, length, length, 0);
	close(fd);
}

typedef struct {
	const char *inbox, *staging;
	GPtrArray *photos;
	guint from, step;
} DropJob;

static gpointer
drop_thread(gpointer data)
{
	DropJob *job = data;
	for (guint i = job->from; i < job->photos->len; i += job->step)
		drop(job->inbox, job->staging, g_ptr_array_index(job->photos, i),
		     (Arrival)(i % 3));
	return NULL;
}

/* Drops every photo, from three threads at once so that arrivals overlap. */
static void
drop_all(const char *inbox, const char *staging, GPtrArray *photos)
{
	DropJob jobs[3];
	GThread *threads[3];
	for (int t = 0; t < 3; t++) {
		jobs[t] = (DropJob){ inbox, staging, photos, t, 3 };
		threads[t] = g_thread_new("drop", drop_thread, &jobs[t]);
	}
	for (int t = 0; t < 3; t++)
		g_thread_join(threads[t]);
}

static GPid
start_daemon(const char *store, const char *inbox, const char *log, gboolean once)
{
	const char *bin = g_getenv("LR_LISTREADY");
	g_assert_nonnull(bin);
	const char *argv[] = { bin, "run", "--store", store, "--inbox", inbox, "--workers", "2",
			       "--settle", "0.5", "--summary", "0", once ? "--once" : NULL, NULL };
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	g_assert_cmpint(fd, >=, 0);
	GPid pid;
	GError *error = NULL;
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, NULL,
					     G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, -1, fd,
					     fd, &error));
	g_assert_no_error(error);
	close(fd);
	return pid;
}

/* Waits for PID to exit; returns its exit status (128 + signal when killed). */
static int
wait_daemon(GPid pid, int timeout_s)
{
	int status;
	for (int i = 0; i < timeout_s * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		g_usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	g_error("the daemon did not exit within %d s", timeout_s);
	return -1;
}


static sqlite3 *
open_db(const char *store)
{
	g_autofree char *path = g_build_filename(store, "listready.db", NULL);
	sqlite3 *db;
	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* Waits until a job of the store is claimed (a worker has a photo in hand), or TIMEOUT_S seconds.
 * Returns whether one was seen. */
static gboolean
wait_claimed(const char *store, int timeout_s)
{
	g_autofree char *path = g_build_filename(store, "listready.db", NULL);
	gint64 end = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
	gboolean claimed = FALSE;
	sqlite3 *db = NULL;
	while (!claimed && g_get_monotonic_time() < end) {
		if (!db && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			sqlite3_close(db);
			db = NULL;
		}
		sqlite3_stmt *st = NULL;
		if (db && sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs WHERE state = 'claimed'",
					     -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			claimed = sqlite3_column_int(st, 0) > 0;
		sqlite3_finalize(st);
		if (!claimed)
			g_usleep(2000);
	}
	sqlite3_close(db);
	return claimed;
}

/* Waits until every one of N photos has an image row, or the timeout. */
static void
wait_images(const char *store, gint64 n, int timeout_s)
{
	g_autofree char *path = g_build_filename(store, "listready.db", NULL);
	for (int i = 0; i < timeout_s * 4; i++) {
		if (g_file_test(path, G_FILE_TEST_EXISTS)) {
			sqlite3 *db = open_db(store);
			gint64 got = lr_test_sql_int(db, "SELECT count(*) FROM images WHERE job_id IS NOT NULL");
			sqlite3_close(db);
			if (got >= n)
				return;
		}
		g_usleep(250000);
	}
	g_error("not every photo was recorded within %d s", timeout_s);
}

/* Regular files below FOLDER whose name starts with PREFIX (NULL: all). */
static guint
count_files(const char *folder, const char *prefix)
{
	guint n = 0;
	GDir *dir = g_dir_open(folder, 0, NULL);
	const char *name;
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(folder, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			continue;
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			n += count_files(path, prefix);
		else if (!prefix || g_str_has_prefix(name, prefix))
			n++;
	}
	if (dir)
		g_dir_close(dir);
	return n;
}

/* The checks every scenario ends with: one terminal image per dropped photo, its original
 * byte-identical, duplicates pointing at the first copy, nothing left in the inbox but what must
 * be left there, no temporary files in the store, an intact database. */
static void
assert_exactly_once(const char *store, const char *inbox, GPtrArray *photos, guint ignored_left)
{
	sqlite3 *db = open_db(store);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images WHERE job_id IS NOT NULL"), ==,
			photos->len);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM jobs WHERE state <> 'done'"), ==, 0);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM jobs"), ==, photos->len);
	GHashTable *first_of = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < photos->len; i++) {
		const Photo *p = g_ptr_array_index(photos, i);
		sqlite3_stmt *st;
		g_assert_cmpint(
		    sqlite3_prepare_v2(db,
				       "SELECT i.id, i.status, i.original_path, i.sha256,"
				       " coalesce(i.duplicate_of, 0), count(*) OVER ()"
				       " FROM images i JOIN jobs j ON j.id = i.job_id"
				       " WHERE j.inbox_path = ?1",
				       -1, &st, NULL),
		    ==, SQLITE_OK);
		sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
		g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
		g_assert_cmpint(sqlite3_column_int64(st, 5), ==, 1); /* exactly one */
		const char *status = (const char *)sqlite3_column_text(st, 1);
		g_assert_true(!strcmp(status, "accepted") || !strcmp(status, "needs_review") ||
			      !strcmp(status, "duplicate") || !strcmp(status, "quarantined"));
		g_autofree char *kept = g_build_filename(store, sqlite3_column_text(st, 2), NULL);
		g_autofree char *data = NULL;
		gsize length;
		g_assert_true(g_file_get_contents(kept, &data, &length, NULL));
		g_assert_cmpmem(data, length, g_bytes_get_data(p->bytes, NULL),
				g_bytes_get_size(p->bytes));
		const char *sha = (const char *)sqlite3_column_text(st, 3);
		gint64 id = sqlite3_column_int64(st, 0), dup = sqlite3_column_int64(st, 4);
		gpointer first = g_hash_table_lookup(first_of, sha);
		if (!strcmp(status, "duplicate"))
			g_assert_cmpint(dup, >, 0);
		else {
			/* Identical bytes: only the first is not a duplicate. */
			g_assert_null(first);
			g_hash_table_insert(first_of, g_strdup(sha), GINT_TO_POINTER((int)id));
		}
		sqlite3_finalize(st);
	}
	/* Every duplicate points at a non-duplicate image with the same bytes. */
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images d JOIN images f ON f.id ="
				  " d.duplicate_of WHERE d.status = 'duplicate' AND"
				  " (f.status = 'duplicate' OR (f.sha256 <> d.sha256 AND"
				  " d.phash IS NULL))"),
			==, 0);
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, first_of);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_free(key);
	g_hash_table_destroy(first_of);
	sqlite3_stmt *ic;
	g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &ic, NULL), ==,
			SQLITE_OK);
	g_assert_cmpint(sqlite3_step(ic), ==, SQLITE_ROW);
	g_assert_cmpstr((const char *)sqlite3_column_text(ic, 0), ==, "ok");
	sqlite3_finalize(ic);
	sqlite3_close(db);

	/* The inbox holds only what the daemon must leave alone; the store no partial file. */
	g_assert_cmpint(count_files(inbox, NULL), ==, ignored_left);
	g_assert_cmpint(count_files(store, ".tmp-"), ==, 0);
	g_assert_cmpint(count_files(store, NULL), >, photos->len); /* the walk does see files */
}

typedef struct {
	char *root, *store, *inbox, *staging, *log;
} Dirs;

static void
dirs_init(Dirs *d)
{
	d->root = lr_test_tmpdir();
	d->store = g_build_filename(d->root, "store", NULL);
	d->inbox = g_build_filename(d->root, "inbox", NULL);
	d->staging = g_build_filename(d->root, "staging", NULL);
	d->log = g_build_filename(d->root, "daemon.log", NULL);
	g_mkdir_with_parents(d->inbox, 0755);
	g_mkdir_with_parents(d->staging, 0755);
}

static void
dirs_clear(Dirs *d)
{
	g_autofree char *log = NULL;
	if (g_file_get_contents(d->log, &log, NULL, NULL))
		g_test_message("daemon log:\n%s", log);
	g_free(d->root);
	g_free(d->store);
	g_free(d->inbox);
	g_free(d->staging);
	g_free(d->log);
}

/* A burst while the daemon runs: written, chunked, moved in, duplicated, in folders; a .part and
 * a hidden file that must stay. Then a clean stop with SIGTERM. */
static void
test_burst(void)
{
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(30, 6, "burst");
	GPid pid = start_daemon(d.store, d.inbox, d.log, FALSE);
	g_autofree char *part = g_build_filename(d.inbox, "upload.jpg.part", NULL);
	g_autofree char *hidden = g_build_filename(d.inbox, ".DS_Store", NULL);
	g_assert_true(g_file_set_contents(part, "half", -1, NULL));
	g_assert_true(g_file_set_contents(hidden, "x", -1, NULL));
	drop_all(d.inbox, d.staging, photos);
	wait_images(d.store, photos->len, 180);
	kill(pid, SIGTERM);
	g_assert_cmpint(wait_daemon(pid, 60), ==, 0);
	assert_exactly_once(d.store, d.inbox, photos, 2);
	photos_free(photos);
	dirs_clear(&d);
}

/* A photo written under a temporary name ("late.jpg.Ab12Cd", as g_file_set_contents writes) and
 * renamed a moment after its close is recorded once, under its own name; a photo left under such a
 * name is taken once it has settled, not lost. */
static void
test_temporary_names(void)
{
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(2, 0, "temp");
	Photo *late = g_ptr_array_index(photos, 0), *stays = g_ptr_array_index(photos, 1);
	g_free(late->name);
	g_free(stays->name);
	late->name = g_strdup("late.jpg");
	stays->name = g_strdup("stays.jpg.Zz9999");
	GPid pid = start_daemon(d.store, d.inbox, d.log, FALSE);
	/* The one left is recorded first: the daemon is then surely watching. */
	drop(d.inbox, d.staging, stays, ARRIVE_WRITE);
	wait_images(d.store, 1, 60);
	Photo temporary = { "late.jpg.Ab12Cd", late->bytes };
	g_autofree char *tmp = g_build_filename(d.inbox, temporary.name, NULL);
	g_autofree char *final = g_build_filename(d.inbox, late->name, NULL);
	drop(d.inbox, d.staging, &temporary, ARRIVE_WRITE);
	g_usleep(200000); /* long enough for the daemon to read it, within the settle time */
	g_assert_cmpint(rename(tmp, final), ==, 0);
	wait_images(d.store, photos->len, 60);
	kill(pid, SIGTERM);
	g_assert_cmpint(wait_daemon(pid, 60), ==, 0);
	assert_exactly_once(d.store, d.inbox, photos, 0);
	photos_free(photos);
	dirs_clear(&d);
}

/* Photos that arrive while the daemon is stopped are taken when it starts. */
static void
test_offline_arrivals(void)
{
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(8, 1, "offline");
	drop_all(d.inbox, d.staging, photos);
	GPid pid = start_daemon(d.store, d.inbox, d.log, TRUE);
	g_assert_cmpint(wait_daemon(pid, 180), ==, 0);
	assert_exactly_once(d.store, d.inbox, photos, 0);
	photos_free(photos);
	dirs_clear(&d);
}

/* Sidecars: a valid one names the product; a broken one leaves defaults and a recorded warning. */
static void
test_sidecars(void)
{
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(3, 0, "side");
	for (guint i = 0; i < photos->len; i++) {
		Photo *p = g_ptr_array_index(photos, i);
		g_free(p->name);
		p->name = g_strdup_printf("side%u.jpg", i);
	}
	g_autofree char *good = g_build_filename(d.inbox, "side0.jpg.json", NULL);
	g_autofree char *bad = g_build_filename(d.inbox, "side1.jpg.json", NULL);
	g_autofree char *odd = g_build_filename(d.inbox, "side2.jpg.json", NULL);
	g_assert_true(g_file_set_contents(
	    good, "{\"artisan\": \"Meera Devi\", \"sku\": \"SAREE-42\", \"title\": \"Kanjivaram\"}",
	    -1, NULL));
	g_assert_true(g_file_set_contents(bad, "{\"artisan\": \"unterminated", -1, NULL));
	g_assert_true(g_file_set_contents(odd, "{\"sku\": 42, \"profile\": \"no-such-market\"}", -1,
					  NULL));
	drop_all(d.inbox, d.staging, photos);
	GPid pid = start_daemon(d.store, d.inbox, d.log, TRUE);
	g_assert_cmpint(wait_daemon(pid, 120), ==, 0);
	assert_exactly_once(d.store, d.inbox, photos, 0);
	sqlite3 *db = open_db(d.store);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images WHERE original_name = 'side0.jpg'"
				  " AND artisan = 'Meera Devi' AND sku = 'SAREE-42'"
				  " AND title = 'Kanjivaram'"),
			==, 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images WHERE original_name = 'side1.jpg'"
				  " AND artisan IS NULL AND status <> 'quarantined'"),
			==, 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM events e JOIN images i ON i.id ="
				  " e.image_id WHERE e.kind = 'sidecar_warning' AND"
				  " i.original_name = 'side1.jpg' AND"
				  " json_extract(e.detail_json, '$.warning') LIKE '%not valid JSON%'"),
			==, 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM events e JOIN images i ON i.id ="
				  " e.image_id WHERE e.kind = 'sidecar_warning' AND"
				  " i.original_name = 'side2.jpg' AND i.profile = 'default' AND"
				  " json_extract(e.detail_json, '$.warning') LIKE '%no-such-market%'"
				  " AND json_extract(e.detail_json, '$.warning') LIKE '%sku%'"),
			==, 1);
	sqlite3_close(db);
	photos_free(photos);
	dirs_clear(&d);
}

/* A stop signal while photos are in hand: each one claimed is finished and recorded before the daemon
 * exits (none left claimed), the rest stay queued, and the next run takes them. */
static void
test_stop(void)
{
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(16, 0, "stop");
	drop_all(d.inbox, d.staging, photos);
	GPid pid = start_daemon(d.store, d.inbox, d.log, FALSE);
	g_assert_true(wait_claimed(d.store, 60));
	kill(pid, SIGTERM);
	g_assert_cmpint(wait_daemon(pid, 60), ==, 0);
	sqlite3 *db = open_db(d.store);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM jobs WHERE state = 'claimed'"), ==, 0);
	gint64 recorded = lr_test_sql_int(db, "SELECT count(*) FROM images");
	g_assert_cmpint(recorded, >=, 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), ==,
			recorded);
	sqlite3_close(db);
	g_test_message("%" G_GINT64_FORMAT " of %u photos recorded before the stop", recorded,
		       photos->len);
	pid = start_daemon(d.store, d.inbox, d.log, TRUE);
	g_assert_cmpint(wait_daemon(pid, 180), ==, 0);
	assert_exactly_once(d.store, d.inbox, photos, 0);
	photos_free(photos);
	dirs_clear(&d);
}

static int
env_int(const char *name, int def)
{
	const char *v = g_getenv(name);
	return v ? atoi(v) : def;
}

/* SIGKILL at random moments of a burst, restarting each time; then a last run drains the queue. */
static void
test_kill(void)
{
	int files = env_int("LR_SOAK_FILES", 48), kills = env_int("LR_SOAK_KILLS", 6);
	GRand *rand = g_rand_new_with_seed(env_int("LR_SOAK_SEED", 7));
	Dirs d;
	dirs_init(&d);
	GPtrArray *photos = make_photos(files - files / 10, files / 10, "kill");
	DropJob job = { d.inbox, d.staging, photos, 0, 1 };
	GThread *dropper = g_thread_new("drop", drop_thread, &job);
	for (int k = 0; k < kills; k++) {
		GPid pid = start_daemon(d.store, d.inbox, d.log, FALSE);
		/* Every other kill anywhere from start-up to well into processing; the others while a
		 * photo is in hand, whatever the machine's speed (a fast run can drain the inbox before
		 * a timed kill). */
		if (k % 2 == 0 || !wait_claimed(d.store, 10))
			g_usleep(g_rand_int_range(rand, 50, 2500) * 1000);
		else
			g_usleep(g_rand_int_range(rand, 0, 60) * 1000);
		kill(pid, SIGKILL);
		g_assert_cmpint(wait_daemon(pid, 30), ==, 128 + SIGKILL);
	}
	g_thread_join(dropper);
	GPid pid = start_daemon(d.store, d.inbox, d.log, TRUE);
	g_assert_cmpint(wait_daemon(pid, 600), ==, 0);
	g_test_message("%u photos, %d kills", photos->len, kills);
	assert_exactly_once(d.store, d.inbox, photos, 0);
	/* The kills must have hit work in progress, or this test proves nothing. */
	g_autofree char *log = NULL;
	g_assert_true(g_file_get_contents(d.log, &log, NULL, NULL));
	int interrupted = 0;
	for (const char *p = log; (p = strstr(p, "recovered from the last stop: ")); p++)
		interrupted += atoi(p + strlen("recovered from the last stop: ")) > 0;
	g_test_message("%d restarts found interrupted jobs", interrupted);
	g_assert_cmpint(interrupted, >=, MIN(kills, 2));
	photos_free(photos);
	g_rand_free(rand);
	dirs_clear(&d);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/daemon/burst", test_burst);
	g_test_add_func("/daemon/temporary-names", test_temporary_names);
	g_test_add_func("/daemon/offline-arrivals", test_offline_arrivals);
	g_test_add_func("/daemon/sidecars", test_sidecars);
	g_test_add_func("/daemon/stop", test_stop);
	g_test_add_func("/daemon/kill", test_kill);
	return g_test_run();
}
