/* daemon.c: the watched inbox, the durable queue and the worker pool (see daemon.h).
 *
 * The main thread owns the inbox. It watches every folder of it with inotify and takes a file when
 * its writer closes it (IN_CLOSE_WRITE) or when it is moved in (IN_MOVED_TO), never while it is
 * still being written; files it learns of otherwise (at start-up, after an event-queue overflow, in
 * a folder created before its watch) are taken once they have stayed unchanged for the settle time.
 * Taking a file means: copy it into the store (content-addressed, hashed while copying), enqueue a
 * job in one transaction, and only then remove it from the inbox. A crash in between leaves the file
 * in the inbox; when it is seen again, the store recognises the same file (path and identity) and
 * returns the existing job, so nothing is enqueued twice.
 *
 * Workers claim jobs from SQLite, so the queue, not memory, absorbs a burst: at most one decoded
 * photo per worker is held at a time. A worker prepares a photo's outcome and a recorder thread writes
 * it (see "the workers and the recorder" below). A job's image is recorded in the same transaction
 * that marks the job done; a stop signal lets the photos in hand finish and be recorded; at start-up, jobs claimed by a previous run are queued again, and a job that keeps
 * failing is recorded as quarantined after max_attempts claims instead of looping.
 */
#include "pipeline/daemon.h"
#include "pipeline/http.h"
#include "pipeline/report.h"
#include "pipeline/run.h"
#include "pipeline/sidecar.h"
#include "pipeline/store.h"

#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define INBOX_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE_SELF)
#define TICK_MS 500
#define RESCAN_SECONDS 10
/* A writer that keeps a file open without writing for this long has gone away: take what is there
 * (a truncated file is then quarantined as such, and its original kept). */
#define ABANDONED_SECONDS 600

typedef struct {
	gint64 size, mtime_ns;
	gint64 changed_at; /* monotonic µs when size or mtime last changed */
	gboolean writing;  /* opened for writing and not yet closed, as far as we saw */
} Pending;

typedef struct {
	LrDaemonOptions opts;
	char *inbox;		 /* absolute */
	LrStore *store;
	LrProfile *default_profile;
	GHashTable *profiles;	 /* name -> LrProfile*, under lock */
	GMutex lock;
	GCond wake;		 /* signalled when a job is enqueued or the daemon stops */
	gint stopping;
	GPtrArray *threads;
	int ifd;		 /* inotify */
	GHashTable *wd_dirs;	 /* watch descriptor -> folder relative to the inbox ("" = inbox) */
	GHashTable *pending;	 /* path relative to the inbox -> Pending */
	gboolean rescan;
	gint64 last_rescan, last_summary;
	gint busy;		 /* jobs claimed and not yet recorded or released */
	/* Outcomes the workers have prepared, waiting for the recorder thread (under record_lock). */
	GQueue recording;
	GMutex record_lock;
	GCond record_cond;	 /* signalled when an outcome is queued or taken, and at the end */
	gboolean workers_done;	 /* set once the workers have stopped: the recorder drains and ends */
	GThread *recorder;
	gint done, failed;	 /* photos finished since start, and attempts that did not finish */
	GMainLoop *loop;
	GMutex log_lock;
	LrHttp *http;		 /* the review page and the API (--listen), on the main loop */
} Daemon;

static void
logline(Daemon *d, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
logline(Daemon *d, const char *format, ...)
{
	va_list ap;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	va_start(ap, format);
	g_autofree char *text = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_mutex_lock(&d->log_lock);
	printf("%s  %s\n", stamp, text);
	fflush(stdout);
	g_mutex_unlock(&d->log_lock);
}

/* Names a sync client or an editor uses while a file is incomplete, and everything hidden. */
static gboolean
ignored_name(const char *name)
{
	static const char *const suffixes[] = { ".part", ".partial", ".tmp", ".temp", ".crdownload",
						".download", "~", ".json", ".swp" };
	if (name[0] == '.' || name[0] == '~')
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++)
		if (g_str_has_suffix(name, suffixes[i]))
			return TRUE;
	return FALSE;
}

/* A name such as "photo.jpg.Ab12Cd": a photo's name and six letters or digits, the temporary file
 * that GLib's g_file_set_contents, mkstemp-based tools and some sync clients write and close before
 * they rename it to its own name. Taken on its close it would be recorded under that name, and the
 * photo again, as a duplicate, once renamed. */
static gboolean
temporary_name(const char *name)
{
	static const char *const photos[] = { ".jpg", ".jpeg", ".png", ".webp", ".heic",
					      ".heif", ".avif", ".gif", ".tif", ".tiff" };
	size_t n = strlen(name);
	if (n < 8 || name[n - 7] != '.')
		return FALSE;
	for (size_t i = n - 6; i < n; i++)
		if (!g_ascii_isalnum(name[i]))
			return FALSE;
	g_autofree char *stem = g_ascii_strdown(name, (gssize)(n - 7));
	for (guint i = 0; i < G_N_ELEMENTS(photos); i++)
		if (g_str_has_suffix(stem, photos[i]))
			return TRUE;
	return FALSE;
}

/* The profile NAME, loaded once and kept; NULL when there is no such profile. */
static const LrProfile *
find_profile(Daemon *d, const char *name)
{
	g_mutex_lock(&d->lock);
	LrProfile *profile = g_hash_table_lookup(d->profiles, name);
	if (!profile && (profile = lr_profile_load(name, NULL)))
		g_hash_table_insert(d->profiles, g_strdup(name), profile);
	g_mutex_unlock(&d->lock);
	return profile;
}

static const LrProfile *
profile_for(Daemon *d, const char *name)
{
	const LrProfile *profile = name ? find_profile(d, name) : NULL;
	return profile ? profile : d->default_profile;
}

/* ---- the inbox (main thread) ---- */

/* Notes RELATIVE as a file to take once it has settled; WRITING: a writer has it open. */
static Pending *
note_pending(Daemon *d, const char *relative, gboolean writing)
{
	Pending *p = g_hash_table_lookup(d->pending, relative);
	if (!p) {
		p = g_new0(Pending, 1);
		p->size = -1;
		p->changed_at = g_get_monotonic_time();
		g_hash_table_insert(d->pending, g_strdup(relative), p);
	}
	if (writing) {
		p->writing = TRUE;
		p->changed_at = g_get_monotonic_time();
	}
	return p;
}

/* Adds an inotify watch on the folder RELATIVE and everything below it, and notes the files
 * already there (they are taken once they settle: a writer may have started before the watch). */
static void
watch_tree(Daemon *d, const char *relative)
{
	g_autofree char *path = g_build_filename(d->inbox, relative, NULL);
	int wd = inotify_add_watch(d->ifd, path, INBOX_EVENTS | IN_ONLYDIR);
	if (wd < 0) {
		g_printerr("listready: cannot watch %s: %s\n", path, g_strerror(errno));
		return;
	}
	g_hash_table_replace(d->wd_dirs, GINT_TO_POINTER(wd), g_strdup(relative));
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *child = *relative ? g_build_filename(relative, name, NULL)
						   : g_strdup(name);
		g_autofree char *child_path = g_build_filename(d->inbox, child, NULL);
		struct stat st;
		if (name[0] == '.' || lstat(child_path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			watch_tree(d, child);
		else if (S_ISREG(st.st_mode) && !ignored_name(name))
			note_pending(d, child, FALSE);
	}
	if (dir)
		g_dir_close(dir);
}

/* Artisan and sku from inbox/<artisan>/<sku>/photo.jpg. */
static void
names_from_path(const char *relative, char **artisan, char **sku)
{
	g_auto(GStrv) parts = g_strsplit(relative, "/", -1);
	guint n = g_strv_length(parts);
	*artisan = n >= 2 ? g_strdup(parts[0]) : NULL;
	*sku = n >= 3 ? g_strdup(parts[1]) : NULL;
}

static const char *
extension_of(const char *name, char *buf, gsize size)
{
	const char *dot = strrchr(name, '.');
	gsize n = dot ? strlen(dot + 1) : 0;
	if (!dot || n == 0 || n >= size || n > 8)
		return "bin";
	for (gsize i = 0; i < n; i++) {
		if (!g_ascii_isalnum(dot[1 + i]))
			return "bin";
		buf[i] = g_ascii_tolower(dot[1 + i]);
	}
	buf[n] = '\0';
	return buf;
}

/* Takes the inbox file RELATIVE into the store and the queue, then removes it from the inbox.
 * Returns 0 when it is done with the file (taken, or gone), -1 to try again later. */
static int
take(Daemon *d, const char *relative)
{
	g_autofree char *path = g_build_filename(d->inbox, relative, NULL);
	g_autofree char *sidecar_path = g_strconcat(path, ".json", NULL);
	g_autofree char *base = g_path_get_basename(relative);
	struct stat st;
	GError *error = NULL;

	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0; /* gone, or not a plain file: nothing to take */

	LrSidecar sidecar;
	g_autofree char *warning = NULL;
	int has_sidecar = lr_sidecar_read(sidecar_path, &sidecar, &warning);
	if (sidecar.profile && !find_profile(d, sidecar.profile)) {
		g_autofree char *old = warning;
		warning = g_strdup_printf("%s%s%s.json: unknown profile \"%s\"; the default is used",
					  old ? old : "", old ? "; " : "", base, sidecar.profile);
		g_clear_pointer(&sidecar.profile, g_free);
	}

	char ext_buf[16];
	g_autofree char *sha256 = NULL;
	gint64 bytes = 0;
	g_autofree char *original = lr_store_put_path(d->store, "originals", path,
						      extension_of(base, ext_buf, sizeof(ext_buf)),
						      &sha256, &bytes, &error);
	gint64 id = 0;
	if (original) {
		g_autofree char *artisan = NULL, *sku = NULL;
		names_from_path(relative, &artisan, &sku);
		LrJob job = {
			.inbox_path = (char *)relative,
			.original_path = original,
			.sha256 = sha256,
			.bytes = bytes,
			.artisan = sidecar.artisan ? sidecar.artisan : artisan,
			.sku = sidecar.sku ? sidecar.sku : sku,
			.title = sidecar.title,
			.profile = sidecar.profile,
			.warning = warning,
		};
		g_autofree char *file_id =
		    g_strdup_printf("%llu:%llu:%lld:%lld.%09ld", (unsigned long long)st.st_dev,
				    (unsigned long long)st.st_ino, (long long)st.st_size,
				    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		id = lr_store_enqueue(d->store, &job, file_id, &error);
	}
	lr_sidecar_clear(&sidecar);
	if (!id) {
		/* A writer's temporary file renamed away under us is simply gone. */
		gboolean gone = lstat(path, &st) != 0;
		if (!gone)
			g_printerr("listready: cannot take %s yet: %s\n", relative,
				   error ? error->message : "unknown error");
		g_clear_error(&error);
		return gone ? 0 : -1;
	}
	/* The database says the photo is safe: now it may leave the inbox. */
	if (g_unlink(path) && errno != ENOENT)
		g_printerr("listready: %s is queued but cannot be removed from the inbox: %s\n",
			   relative, g_strerror(errno));
	if (has_sidecar)
		g_unlink(sidecar_path);
	g_mutex_lock(&d->lock);
	g_cond_signal(&d->wake);
	g_mutex_unlock(&d->lock);
	return 0;
}

static void
take_now(Daemon *d, const char *relative)
{
	if (take(d, relative) == 0)
		g_hash_table_remove(d->pending, relative);
	else
		note_pending(d, relative, FALSE); /* retried on a later tick */
}

static gboolean
on_inotify(int fd, GIOCondition condition, gpointer data)
{
	Daemon *d = data;
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(fd, buf, sizeof(buf));

	for (char *p = buf; n > 0 && p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;
		p += sizeof(struct inotify_event) + ev->len;
		if (ev->mask & IN_Q_OVERFLOW) {
			d->rescan = TRUE; /* events were lost: look at everything again */
			continue;
		}
		const char *folder = g_hash_table_lookup(d->wd_dirs, GINT_TO_POINTER(ev->wd));
		if (ev->mask & IN_IGNORED) {
			g_hash_table_remove(d->wd_dirs, GINT_TO_POINTER(ev->wd));
			continue;
		}
		if (!folder || !ev->len || ev->name[0] == '.')
			continue;
		g_autofree char *relative = *folder ? g_build_filename(folder, ev->name, NULL)
						    : g_strdup(ev->name);
		if (ev->mask & IN_ISDIR) {
			if (ev->mask & (IN_CREATE | IN_MOVED_TO))
				watch_tree(d, relative);
			continue;
		}
		if (ignored_name(ev->name))
			continue;
		if ((ev->mask & IN_CLOSE_WRITE) && !(ev->mask & IN_MOVED_TO) &&
		    temporary_name(ev->name))
			/* Closed, most likely about to be renamed: taken once settled if it stays. */
			note_pending(d, relative, TRUE)->writing = FALSE;
		else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
			take_now(d, relative);
		else if (ev->mask & (IN_CREATE | IN_MODIFY))
			note_pending(d, relative, TRUE);
	}
	return G_SOURCE_CONTINUE;
}

/* Files not taken on an event: taken once unchanged for the settle time (or, if we saw a writer
 * open them, once it has been silent for ABANDONED_SECONDS). */
static void
check_pending(Daemon *d)
{
	gint64 now = g_get_monotonic_time();
	GPtrArray *ready = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, d->pending);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		Pending *p = value;
		g_autofree char *path = g_build_filename(d->inbox, key, NULL);
		struct stat st;
		if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
			g_hash_table_iter_remove(&iter);
			continue;
		}
		gint64 mtime = (gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		/* The first look is no change: the quiet time counts from when the file was noted, and
		 * with --settle 0 a file already there is taken at start, not a tick later. */
		gboolean seen = p->size >= 0;
		if (!seen || st.st_size != p->size || mtime != p->mtime_ns) {
			p->size = st.st_size;
			p->mtime_ns = mtime;
			if (seen) {
				p->changed_at = now;
				continue;
			}
		}
		double quiet = (now - p->changed_at) / 1e6;
		if (quiet >= (p->writing ? ABANDONED_SECONDS : d->opts.settle_seconds))
			g_ptr_array_add(ready, g_strdup(key));
	}
	for (guint i = 0; i < ready->len; i++)
		take_now(d, g_ptr_array_index(ready, i));
	g_ptr_array_unref(ready);
}

static void
summary(Daemon *d)
{
	LrStoreStatus st;
	GError *error = NULL;
	if (lr_store_status(d->store, &st, &error)) {
		g_printerr("listready: status: %s\n", error->message);
		g_error_free(error);
		return;
	}
	logline(d,
		"summary: %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT " processing, %" G_GINT64_FORMAT
		" in the last minute; accepted %" G_GINT64_FORMAT ", needs_review %" G_GINT64_FORMAT
		", quarantined %" G_GINT64_FORMAT ", duplicate %" G_GINT64_FORMAT,
		st.queued, st.processing, st.last_minute, st.accepted, st.needs_review,
		st.quarantined, st.duplicate);
	lr_store_status_clear(&st);
}

/* With --once: stops the main loop when nothing is pending, queued or in hand. */
static void
finish_if_done(Daemon *d)
{
	if (d->opts.once && g_hash_table_size(d->pending) == 0 && !g_atomic_int_get(&d->busy)) {
		LrStoreStatus st;
		if (!lr_store_status(d->store, &st, NULL)) {
			gboolean idle = st.queued == 0 && st.processing == 0;
			lr_store_status_clear(&st);
			if (idle)
				g_main_loop_quit(d->loop);
		}
	}
}

/* Run on the main loop when a worker has finished a photo (--once): the run ends as soon as the last
 * photo is recorded, not at the next tick. */
static gboolean
on_job_done(gpointer data)
{
	finish_if_done(data);
	return G_SOURCE_REMOVE;
}

static gboolean
on_tick(gpointer data)
{
	Daemon *d = data;
	gint64 now = g_get_monotonic_time();

	if (d->rescan || now - d->last_rescan > RESCAN_SECONDS * G_USEC_PER_SEC) {
		/* A safety net under the events: anything they missed is noted here. */
		d->rescan = FALSE;
		d->last_rescan = now;
		watch_tree(d, "");
	}
	check_pending(d);
	if (d->opts.summary_seconds > 0 &&
	    now - d->last_summary > (gint64)d->opts.summary_seconds * G_USEC_PER_SEC) {
		d->last_summary = now;
		summary(d);
	}
	finish_if_done(d);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_signal(gpointer data)
{
	Daemon *d = data;
	logline(d, "stopping: finishing the photos in hand (signal again to exit at once)");
	/* The next signal takes the default action: the queue and the store are crash-safe, so
	 * exiting in the middle of anything loses nothing. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	g_atomic_int_set(&d->stopping, 1);
	g_mutex_lock(&d->lock);
	g_cond_broadcast(&d->wake);
	g_mutex_unlock(&d->lock);
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

/* ---- the workers and the recorder ----
 *
 * A worker claims a job and prepares its outcome: decode, stages, renditions encoded in memory. The
 * recorder thread writes it: the renditions (each file fsynced, and its folder), the near-duplicate
 * look-up and the record, in the job's transaction. Waiting on the disk (10-30 ms a photo here, with
 * stalls of a quarter of a second) then no longer leaves a core idle: the worker is on its next photo.
 * A prepared outcome has let go of its images (lr_context_drop_images), so it holds its encoded
 * renditions only (1-3 MB); a worker waits when RECORD_QUEUE of them are already waiting. */
#define RECORD_QUEUE 2

typedef struct {
	LrJob job;
	LrOutcome out;
	gint64 start;
} Prepared;

/* Ends P's job when it was not recorded: put back for another attempt (counted at the next claim). */
static void
job_not_finished(Daemon *d, Prepared *p)
{
	GError *error = NULL;
	g_atomic_int_inc(&d->failed);
	g_printerr("listready: %s: attempt %d did not finish: %s\n", p->job.inbox_path,
		   p->job.attempts, p->out.ctx->error);
	if (lr_store_release_job(d->store, p->job.id, p->out.ctx->error, &error)) {
		g_printerr("listready: %s\n", error->message);
		g_clear_error(&error);
	}
}

/* Logs P's recorded outcome. */
static void
job_finished(Daemon *d, Prepared *p)
{
	LrOutcome *out = &p->out;
	const LrJob *job = &p->job;
	GError *error = NULL;
	double ms = (g_get_monotonic_time() - p->start) / 1000.0;
	if (job->warning) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "warning");
		json_builder_add_string_value(b, job->warning);
		json_builder_end_object(b);
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		g_autofree char *detail = json_to_string(root, FALSE);
		if (lr_store_log_event(d->store, out->id, "inbox", "sidecar_warning", detail, &error)) {
			g_printerr("listready: %s\n", error->message);
			g_clear_error(&error);
		}
	}
	g_atomic_int_inc(&d->done);
	g_autofree char *reasons = lr_report_reason_codes(out);
	logline(d, "%-12s %6.0f ms  %s%s%s%s", out->status, ms, job->inbox_path, *reasons ? "  (" : "",
		reasons, *reasons ? ")" : "");
	if (job->warning)
		logline(d, "warning: %s", job->warning);
}

/* The end of P, recorded (RC 0) or not: logged, freed, and no longer busy. */
static void
job_done(Daemon *d, Prepared *p, int rc)
{
	if (rc)
		job_not_finished(d, p);
	else
		job_finished(d, p);
	lr_outcome_clear(&p->out);
	lr_job_clear(&p->job);
	g_free(p);
	g_atomic_int_dec_and_test(&d->busy);
	if (d->opts.once)
		g_idle_add(on_job_done, d);
}

static gpointer
recorder(gpointer data)
{
	Daemon *d = data;
	for (;;) {
		g_mutex_lock(&d->record_lock);
		while (g_queue_is_empty(&d->recording) && !d->workers_done)
			g_cond_wait(&d->record_cond, &d->record_lock);
		Prepared *p = g_queue_pop_head(&d->recording);
		g_cond_broadcast(&d->record_cond); /* room for a worker's next outcome */
		g_mutex_unlock(&d->record_lock);
		if (!p)
			return NULL; /* the workers have stopped and everything is recorded */
		job_done(d, p, lr_process_record(d->store, &p->out));
	}
}

/* Runs the claimed JOB (its contents now P's) up to its record, then hands it to the recorder. */
static void
run_job(Daemon *d, Prepared *p)
{
	const LrJob *job = &p->job;
	const LrProfile *profile = profile_for(d, job->profile);
	p->start = g_get_monotonic_time();
	if (job->attempts > d->opts.max_attempts) {
		/* Rare, and nothing to encode: recorded here. */
		job_done(d, p, lr_record_failed_job(d->store, profile, job, &p->out));
		return;
	}
	if (lr_process_job_prepare(d->store, profile, job, &p->out)) {
		job_done(d, p, -1);
		return;
	}
	lr_context_drop_images(p->out.ctx);
	g_mutex_lock(&d->record_lock);
	while (g_queue_get_length(&d->recording) >= RECORD_QUEUE)
		g_cond_wait(&d->record_cond, &d->record_lock);
	g_queue_push_tail(&d->recording, p);
	g_cond_broadcast(&d->record_cond);
	g_mutex_unlock(&d->record_lock);
}

static gpointer
worker(gpointer data)
{
	Daemon *d = data;
	while (!g_atomic_int_get(&d->stopping)) {
		Prepared *p = g_new0(Prepared, 1);
		GError *error = NULL;
		int rc = lr_store_claim_job(d->store, &p->job, &error);
		if (rc == 1) {
			g_atomic_int_inc(&d->busy);
			run_job(d, p);
			continue;
		}
		g_free(p);
		if (rc < 0) {
			g_printerr("listready: claiming a job: %s\n", error->message);
			g_clear_error(&error);
		}
		g_mutex_lock(&d->lock);
		if (!g_atomic_int_get(&d->stopping))
			g_cond_wait_until(&d->wake, &d->lock,
					  g_get_monotonic_time() + G_USEC_PER_SEC);
		g_mutex_unlock(&d->lock);
	}
	return NULL;
}

void
lr_daemon_options_init(LrDaemonOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->profile = "default";
	options->settle_seconds = 2;
	options->max_attempts = 3;
	options->summary_seconds = 60;
}

int
lr_daemon_run(const LrDaemonOptions *options)
{
	Daemon daemon = { .opts = *options }, *d = &daemon;
	GError *error = NULL;
	int status = 1;

	g_mutex_init(&d->lock);
	g_mutex_init(&d->log_lock);
	g_cond_init(&d->wake);
	g_mutex_init(&d->record_lock);
	g_cond_init(&d->record_cond);
	g_queue_init(&d->recording);
	if (d->opts.workers <= 0)
		d->opts.workers = (int)g_get_num_processors();
	d->inbox = g_canonicalize_filename(options->inbox_dir, NULL);
	d->profiles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)lr_profile_free);
	d->wd_dirs = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	d->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	d->ifd = -1;

	if (g_mkdir_with_parents(d->inbox, 0755)) {
		g_printerr("listready: %s: %s\n", d->inbox, g_strerror(errno));
		goto out;
	}
	if (!(d->default_profile = lr_profile_load(options->profile, &error)) ||
	    !(d->store = lr_store_open(options->store_dir, &error))) {
		g_printerr("listready: %s\n", error->message);
		goto out;
	}
	if (lr_store_lock_exclusive(d->store, &error)) {
		g_printerr("listready: %s\n", error->message);
		goto out;
	}
	int swept = lr_store_sweep_temporaries(d->store);
	int requeued = lr_store_requeue_claimed(d->store, &error);
	if (requeued < 0) {
		g_printerr("listready: %s\n", error->message);
		goto out;
	}
	if ((d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		g_printerr("listready: inotify: %s\n", g_strerror(errno));
		goto out;
	}
	/* Each worker runs whole photos; libvips's own threads share what is left of the cores. */
	vips_concurrency_set(MAX(1, (int)g_get_num_processors() / d->opts.workers));

	/* The server answers on this thread's main loop, beside the inbox. */
	if (options->listen && !(d->http = lr_http_start(d->store, options->listen, &error))) {
		g_printerr("listready: --listen: %s\n", error->message);
		goto out;
	}
	d->loop = g_main_loop_new(NULL, FALSE);
	watch_tree(d, "");
	d->last_rescan = d->last_summary = g_get_monotonic_time();
	guint io = g_unix_fd_add(d->ifd, G_IO_IN, on_inotify, d);
	guint tick = g_timeout_add(TICK_MS, on_tick, d);
	guint sigint = g_unix_signal_add(SIGINT, on_signal, d);
	guint sigterm = g_unix_signal_add(SIGTERM, on_signal, d);
	logline(d, "listready %s watching %s, store %s, %d workers, profile %s", LR_VERSION,
		d->inbox, lr_store_dir(d->store), d->opts.workers, d->default_profile->name);
	if (d->http)
		logline(d, "listening on %s", lr_http_url(d->http));
	if (requeued || swept)
		logline(d, "recovered from the last stop: %d interrupted jobs queued again, %d partial "
			   "files removed", requeued, swept);

	d->threads = g_ptr_array_new();
	d->recorder = g_thread_new("recorder", recorder, d);
	for (int i = 0; i < d->opts.workers; i++)
		g_ptr_array_add(d->threads, g_thread_new("worker", worker, d));
	/* Files already settled (--settle 0) are taken now, not at the first tick; with --once an
	 * inbox with nothing in it ends the run as soon as the loop starts. */
	check_pending(d);
	if (d->opts.once)
		g_idle_add(on_job_done, d);
	g_main_loop_run(d->loop);

	g_atomic_int_set(&d->stopping, 1);
	g_mutex_lock(&d->lock);
	g_cond_broadcast(&d->wake);
	g_mutex_unlock(&d->lock);
	for (guint i = 0; i < d->threads->len; i++)
		g_thread_join(g_ptr_array_index(d->threads, i));
	g_ptr_array_free(d->threads, TRUE);
	/* The photos in hand are prepared: the recorder writes them all, then ends. */
	g_mutex_lock(&d->record_lock);
	d->workers_done = TRUE;
	g_cond_broadcast(&d->record_cond);
	g_mutex_unlock(&d->record_lock);
	g_thread_join(d->recorder);
	/* A worker's "photo done" that the loop did not run must not outlive this daemon. */
	while (g_idle_remove_by_data(d))
		;
	g_source_remove(io);
	g_source_remove(tick);
	if (g_main_context_find_source_by_id(NULL, sigint))
		g_source_remove(sigint);
	if (g_main_context_find_source_by_id(NULL, sigterm))
		g_source_remove(sigterm);
	summary(d);
	logline(d, "stopped: %d photos finished this run", g_atomic_int_get(&d->done));
	status = 0;
out:
	g_clear_error(&error);
	lr_http_stop(d->http); /* before the store closes: a reprocess may still be using it */
	if (d->ifd >= 0)
		close(d->ifd);
	if (d->loop)
		g_main_loop_unref(d->loop);
	lr_store_close(d->store);
	lr_profile_free(d->default_profile);
	g_hash_table_destroy(d->profiles);
	g_hash_table_destroy(d->wd_dirs);
	g_hash_table_destroy(d->pending);
	g_free(d->inbox);
	g_mutex_clear(&d->lock);
	g_mutex_clear(&d->log_lock);
	g_cond_clear(&d->wake);
	g_mutex_clear(&d->record_lock);
	g_cond_clear(&d->record_cond);
	return status;
}
