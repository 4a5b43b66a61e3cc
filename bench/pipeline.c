/* pipeline.c: the pipeline benchmark — `bench/run` (or `listready-bench --help`).
 *
 * For each size asked for (12 and 48 MP by default) it generates a batch of phone-like JPEGs (a
 * generated product photo, EXIF orientation 1 or 6, quality 95, 4:2:0 chroma as phones write it) and
 * measures, on this machine:
 *   - per-stage median milliseconds, running the stages in this process, one photo at a time;
 *   - throughput of the full pipeline through the daemon's worker pool: `listready run --once`
 *     over an inbox holding the whole batch, timed from start to exit, with its peak RSS; --repeat
 *     times (3), each run followed by the plain renditions program below, and the medians reported
 *     with every run (the machine's speed drifts by 10-20% within minutes);
 *   - latency: median time from a file landing in the inbox of a running, idle daemon to its
 *     image being recorded;
 *   - baselines started the same way: `vipsthumbnail` to 1000 px (one process for the batch); the
 *     plain libvips renditions program the throughput target is set against (each of the profile's
 *     sizes from the file with vips_thumbnail, as JPEG and WebP at libvips's defaults, one process
 *     per worker: this same binary with --plain-renditions); and a full decode (`vips avg`, one
 *     process per photo, as many at once as there are workers) as the floor; and the ratios;
 *   - with --soak N, whether memory grows: N photos fed to a running daemon a few at a time, its
 *     resident memory sampled, the peak printed for each tenth of the run.
 * Results are printed as a table and written as JSON (--json FILE).
 */
#include "filters/filter.h"
#include "pipeline/load.h"
#include "pipeline/profile.h"
#include "samples/synth.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static double
now_s(void)
{
	return g_get_monotonic_time() / 1e6;
}

/* What the generated photos are: a batch made otherwise (an older generator) is made again. */
#define GENERATOR "lr_synth_save_jpeg, quality 95, 4:2:0 chroma\n"

/* Writes COUNT generated photos of about MEGAPIXELS into DIR; returns their paths. Photos already
 * there from the same generator are reused. */
static GPtrArray *
generate(const char *dir, int count, double megapixels)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	int width = (int)(sqrt(megapixels * 1e6 * 4 / 3) + 0.5), height = width * 3 / 4;
	g_autofree char *stamp = g_build_filename(dir, "generator", NULL);
	g_autofree char *made_by = NULL;
	g_mkdir_with_parents(dir, 0755);
	if (!g_file_get_contents(stamp, &made_by, NULL, NULL) || strcmp(made_by, GENERATOR)) {
		GDir *old = g_dir_open(dir, 0, NULL);
		for (const char *name; old && (name = g_dir_read_name(old));)
			if (g_str_has_prefix(name, "photo") && g_str_has_suffix(name, ".jpg")) {
				g_autofree char *path = g_build_filename(dir, name, NULL);
				g_unlink(path);
			}
		if (old)
			g_dir_close(old);
		if (!g_file_set_contents(stamp, GENERATOR, -1, NULL))
			g_printerr("listready-bench: cannot write %s\n", stamp);
	}
	for (int i = 0; i < count; i++) {
		g_autofree char *path = g_strdup_printf("%s/photo%03d.jpg", dir, i);
		if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
			LrSynthSpec spec;
			VipsImage *image, *mask;
			lr_synth_spec_default(&spec, width, height);
			spec.seed = 4242 + i;
			spec.product = i % 2 ? LR_SYNTH_BOWL : LR_SYNTH_TEXTILE;
			spec.background = i % 3 ? LR_SYNTH_SHEET : LR_SYNTH_WOOD;
			if (lr_synth_render(&spec, &image, &mask) ||
			    lr_synth_save_jpeg(image, i % 4 == 3 ? 6 : 1, FALSE, 95, path))
				vips_error_exit("generating %s", path);
			g_object_unref(image);
			g_object_unref(mask);
		}
		g_ptr_array_add(files, g_steal_pointer(&path));
	}
	return files;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of the N values at V (the upper of the middle two for an even N; 0 for none). */
static double
median_of(const double *v, int n)
{
	if (n <= 0)
		return 0;
	double s[n];
	memcpy(s, v, n * sizeof(double));
	qsort(s, n, sizeof(double), compare_double);
	return s[n / 2];
}

static double
median(GArray *values)
{
	return median_of((const double *)(void *)values->data, (int)values->len);
}

/* Median milliseconds of each step over FILES, running the stages here. */
static void
stage_medians(GPtrArray *files, const LrProfile *profile, JsonBuilder *b)
{
	GHashTable *by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						    (GDestroyNotify)g_array_unref);
	GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
	for (guint f = 0; f < files->len; f++) {
		char *data;
		gsize length;
		if (!g_file_get_contents(g_ptr_array_index(files, f), &data, &length, NULL))
			continue;
		LrContext *ctx = lr_context_new(g_ptr_array_index(files, f), profile);
		gint64 start = g_get_monotonic_time();
		int err = lr_load_bytes(ctx, data, length);
		lr_context_time(ctx, "load", (g_get_monotonic_time() - start) / 1000.0);
		g_free(data);
		for (int i = 0; !err && lr_filter_order[i]; i++) {
			gint64 t = g_get_monotonic_time();
			err = lr_filter_order[i]->process(ctx);
			lr_context_time(ctx, lr_filter_order[i]->name,
					(g_get_monotonic_time() - t) / 1000.0);
		}
		double total = (g_get_monotonic_time() - start) / 1000.0;
		lr_context_time(ctx, "total", total);
		for (int i = 0; i < ctx->n_timings; i++) {
			GArray *a = g_hash_table_lookup(by_name, ctx->timing_names[i]);
			if (!a) {
				a = g_array_new(FALSE, FALSE, sizeof(double));
				g_hash_table_insert(by_name, g_strdup(ctx->timing_names[i]), a);
				g_ptr_array_add(order, g_strdup(ctx->timing_names[i]));
			}
			g_array_append_val(a, ctx->timing_ms[i]);
		}
		lr_context_free(ctx);
	}
	printf("  per-stage median ms (one photo at a time, this process):\n");
	json_builder_set_member_name(b, "stage_median_ms");
	json_builder_begin_object(b);
	for (guint i = 0; i < order->len; i++) {
		const char *name = g_ptr_array_index(order, i);
		double m = median(g_hash_table_lookup(by_name, name));
		printf("    %-20s %8.1f\n", name, m);
		json_builder_set_member_name(b, name);
		json_builder_add_double_value(b, round(m * 10) / 10);
	}
	json_builder_end_object(b);
	g_ptr_array_unref(order);
	g_hash_table_destroy(by_name);
}

/* Runs ARGV to completion; returns wall seconds and the child's peak RSS in MiB. */
static double
run_timed(char **argv, double *rss_mib, gboolean quiet)
{
	double start = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage usage;
	wait4(pid, &status, 0, &usage);
	if (rss_mib)
		*rss_mib = usage.ru_maxrss / 1024.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "bench: %s exited with status %d\n", argv[0], status);
	return now_s() - start;
}

/* Starts the N commands ARGVS at once, their output to /dev/null, and waits for all of them; returns
 * the seconds from the first start to the last exit. */
static double
run_together(char **const *argvs, int n)
{
	double start = now_s();
	pid_t pids[n];
	for (int i = 0; i < n; i++)
		if ((pids[i] = fork()) == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execvp(argvs[i][0], argvs[i]);
			_exit(127);
		}
	for (int i = 0; i < n; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fprintf(stderr, "bench: %s exited with status %d\n", argvs[i][0], status);
	}
	return now_s() - start;
}

/* The plain libvips program the throughput target is set against, run by --plain-renditions: each of
 * PROFILE's sizes made from each of the N FILES by vips_thumbnail (shrink-on-load), saved as JPEG and
 * WebP at the profile's qualities and libvips's defaults otherwise (WebP effort 4), one photo at a time
 * on one thread (a process per core runs it). Returns 0, or 1 on the first failure. */
static int
plain_renditions(char **files, int n, const LrProfile *profile)
{
	extern const LrFilter lr_filter_renditions;
	vips_concurrency_set(1);
	LrContext *ctx = lr_context_new("plain", profile);
	int jpeg_q = (int)lr_param(ctx, &lr_filter_renditions, "jpeg_quality");
	int webp_q = (int)lr_param(ctx, &lr_filter_renditions, "webp_quality");
	lr_context_free(ctx);
	int sizes[16], count = lr_profile_sizes(profile, sizes, 16);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < count; k++) {
			VipsImage *thumb, *image;
			void *jpeg = NULL, *webp = NULL;
			size_t length;
			if (vips_thumbnail(files[i], &thumb, sizes[k], NULL))
				return 1;
			image = vips_image_copy_memory(thumb);
			g_object_unref(thumb);
			int err = !image ||
				  vips_jpegsave_buffer(image, &jpeg, &length, "Q", jpeg_q, "strip", TRUE,
						       NULL) ||
				  vips_webpsave_buffer(image, &webp, &length, "Q", webp_q, "strip", TRUE,
						       NULL);
			VIPS_UNREF(image);
			g_free(jpeg);
			g_free(webp);
			if (err)
				return 1;
		}
	return 0;
}

/* Drops DATA (LENGTH bytes, then TRAILER if not NULL) into INBOX as NAME the way an uploader that
 * means well does: written under a hidden name and renamed into place, so the daemon sees only whole
 * files (g_file_set_contents's own temporary, NAME.XXXXXX, is visible and can be taken on its close,
 * before the rename). */
static void
drop_into(const char *inbox, const char *name, const void *data, gsize length, const char *trailer)
{
	g_autofree char *dest = g_build_filename(inbox, name, NULL);
	g_autofree char *hidden_name = g_strconcat(".", name, ".part", NULL);
	g_autofree char *hidden = g_build_filename(inbox, hidden_name, NULL);
	FILE *f = fopen(hidden, "wb");
	if (!f || fwrite(data, 1, length, f) != length || (trailer && fputs(trailer, f) < 0) ||
	    fclose(f) || g_rename(hidden, dest))
		g_error("cannot drop %s into %s", name, inbox);
}

/* Copies FILES into INBOX with drop_into(). */
static void
copy_into(const char *inbox, GPtrArray *files)
{
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *base = g_path_get_basename(g_ptr_array_index(files, i));
		g_autofree char *data = NULL;
		gsize length;
		if (!g_file_get_contents(g_ptr_array_index(files, i), &data, &length, NULL))
			g_error("cannot read %s", (char *)g_ptr_array_index(files, i));
		drop_into(inbox, base, data, length, NULL);
	}
}

static gint64
images_recorded(const char *store)
{
	g_autofree char *path = g_build_filename(store, "listready.db", NULL);
	sqlite3 *db;
	gint64 n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *st;
		sqlite3_busy_timeout(db, 2000);
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM images", -1, &st, NULL) ==
			SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

/* Median seconds from a file landing in the inbox of a running idle daemon to its image row. */
static double
latency(const char *listready, const char *root, GPtrArray *files, int workers, int samples)
{
	g_autofree char *store = g_build_filename(root, "latency-store", NULL);
	g_autofree char *inbox = g_build_filename(root, "latency-inbox", NULL);
	g_autofree char *w = g_strdup_printf("%d", workers);
	g_mkdir_with_parents(inbox, 0755);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execlp(listready, listready, "run", "--store", store, "--inbox", inbox, "--workers", w,
		       "--summary", "0", (char *)NULL);
		_exit(127);
	}
	g_usleep(1500000); /* started and idle */
	GArray *times = g_array_new(FALSE, FALSE, sizeof(double));
	for (int i = 0; i < samples && i < (int)files->len; i++) {
		gint64 before = MAX(0, images_recorded(store));
		GPtrArray *one = g_ptr_array_new();
		g_ptr_array_add(one, g_ptr_array_index(files, i));
		double start = now_s();
		copy_into(inbox, one);
		g_ptr_array_free(one, TRUE);
		while (images_recorded(store) <= before && now_s() - start < 60)
			g_usleep(5000);
		double t = now_s() - start;
		g_array_append_val(times, t);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	double m = median(times);
	g_array_unref(times);
	return m;
}

/* Resident memory of process PID in MiB, or 0. */
static double
resident_mib(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	const char *line = strstr(text, "VmRSS:");
	return line ? g_ascii_strtod(line + 6, NULL) / 1024.0 : 0;
}

/* Feeds N photos to a running daemon, never more than two per worker waiting, and samples its resident
 * memory; prints and records the peak over each tenth of the photos. The photos are FILES over and
 * over, each made unique by a different trailer after the JPEG's end (decoders stop at the end marker;
 * the store's checksum does not), so none is skipped as a copy already stored. */
static void
soak(const char *listready, const char *root, GPtrArray *files, int workers, int n, JsonBuilder *b)
{
	g_autofree char *store = g_build_filename(root, "soak-store", NULL);
	g_autofree char *inbox = g_build_filename(root, "soak-inbox", NULL);
	g_autofree char *w = g_strdup_printf("%d", workers);
	g_mkdir_with_parents(inbox, 0755);
	GPtrArray *bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (guint i = 0; i < files->len; i++) {
		char *data;
		gsize length;
		if (g_file_get_contents(g_ptr_array_index(files, i), &data, &length, NULL))
			g_ptr_array_add(bytes, g_bytes_new_take(data, length));
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp(listready, listready, "run", "--store", store, "--inbox", inbox, "--workers", w,
		       "--summary", "0", "--settle", "0", (char *)NULL);
		_exit(127);
	}
	double peak[10] = { 0 }, last_progress = now_s(), start = now_s();
	gint64 done = 0;
	int fed = 0;
	while (done < n && bytes->len) {
		gint64 now_done = MAX(0, images_recorded(store));
		if (now_done > done)
			last_progress = now_s();
		done = now_done;
		for (; fed < n && fed - done < 2 * workers; fed++) {
			GBytes *one = g_ptr_array_index(bytes, fed % bytes->len);
			gsize length;
			const char *data = g_bytes_get_data(one, &length);
			g_autofree char *trailer = g_strdup_printf("listready-soak %d", fed);
			g_autofree char *name = g_strdup_printf("soak%05d.jpg", fed);
			drop_into(inbox, name, data, length, trailer);
		}
		double rss = resident_mib(pid);
		int tenth = (int)MIN(9, done * 10 / n);
		peak[tenth] = MAX(peak[tenth], rss);
		if (now_s() - last_progress > 120) {
			fprintf(stderr, "bench: the daemon made no progress for 2 minutes\n");
			break;
		}
		g_usleep(20000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_ptr_array_unref(bytes);
	printf("  soak: %" G_GINT64_FORMAT " photos through a running daemon in %.0f s; peak resident MiB "
	       "by tenth of the photos:",
	       done, now_s() - start);
	json_builder_set_member_name(b, "soak_photos");
	json_builder_add_int_value(b, done);
	json_builder_set_member_name(b, "soak_peak_rss_mib_by_tenth");
	json_builder_begin_array(b);
	for (int i = 0; i < 10; i++) {
		printf(" %.0f", peak[i]);
		json_builder_add_double_value(b, round(peak[i]));
	}
	json_builder_end_array(b);
	printf("\n  soak: growth from the first tenth to the last: %+.0f MiB\n", peak[9] - peak[0]);
}

/* The plain renditions program over FILES: one process per worker, the batch dealt out between them.
 * Returns the wall seconds. */
static double
plain_run(const char *self, GPtrArray *files, int workers)
{
	char **plain[workers];
	for (int k = 0; k < workers; k++) {
		GPtrArray *a = g_ptr_array_new();
		g_ptr_array_add(a, (char *)self);
		g_ptr_array_add(a, "--plain-renditions");
		for (guint i = k; i < files->len; i += workers)
			g_ptr_array_add(a, g_ptr_array_index(files, i));
		g_ptr_array_add(a, NULL);
		plain[k] = (char **)g_ptr_array_free(a, FALSE);
	}
	double seconds = run_together(plain, workers);
	for (int k = 0; k < workers; k++)
		g_free(plain[k]);
	return seconds;
}

/* VALUES (N) printed, comma-separated, and added to B under NAME as an array rounded to hundredths. */
static void
runs_out(JsonBuilder *b, const char *name, const double *values, int n)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (int i = 0; i < n; i++) {
		printf("%s%.2f", i ? ", " : "", values[i]);
		json_builder_add_double_value(b, round(values[i] * 100) / 100);
	}
	json_builder_end_array(b);
}

static void
bench_size(const char *self, const char *listready, const char *root, double megapixels, int count,
	   int workers, int repeat, gboolean baselines, int soak_count, const LrProfile *profile,
	   JsonBuilder *b)
{
	g_autofree char *dir = g_strdup_printf("%s/batch-%.0fmp", root, megapixels);
	printf("%.0f MP: generating %d photos in %s ...\n", megapixels, count, dir);
	GPtrArray *files = generate(dir, count, megapixels);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "megapixels");
	json_builder_add_double_value(b, megapixels);
	json_builder_set_member_name(b, "photos");
	json_builder_add_int_value(b, count);
	json_builder_set_member_name(b, "workers");
	json_builder_add_int_value(b, workers);

	stage_medians(files, profile, b);

	/* The full pipeline through the worker pool, REPEAT times, each on a store of its own (a
	 * store that has seen these photos would find them all duplicates), each followed by the
	 * plain renditions program: the machine's speed drifts by 10-20% within minutes, so each
	 * ratio compares runs made moments apart, and the medians stand for the whole. */
	g_autofree char *run_dir = g_strdup_printf("%s/run-XXXXXX", root);
	if (!g_mkdtemp(run_dir))
		g_error("cannot make a folder in %s", root);
	g_autofree char *w = g_strdup_printf("%d", workers);
	double rates[repeat], plain_rates[repeat], ratios[repeat], rss = 0;
	for (int r = 0; r < repeat; r++) {
		g_autofree char *store = g_strdup_printf("%s/store-%.0fmp-%d", run_dir, megapixels, r);
		g_autofree char *inbox = g_strdup_printf("%s/inbox-%.0fmp-%d", run_dir, megapixels, r);
		g_mkdir_with_parents(inbox, 0755);
		copy_into(inbox, files);
		char *argv[] = { (char *)listready, "run", "--store", store, "--inbox", inbox,
				 "--workers", w, "--once", "--summary", "0", "--settle", "0", NULL };
		double run_rss;
		rates[r] = count / run_timed(argv, &run_rss, TRUE);
		rss = MAX(rss, run_rss);
		if (baselines) {
			plain_rates[r] = count / plain_run(self, files, workers);
			ratios[r] = rates[r] / plain_rates[r];
		}
	}
	double rate = median_of(rates, repeat);
	printf("  pipeline via `listready run --once --workers %d`: %.2f photos/s (median of %d runs: ",
	       workers, rate, repeat);
	runs_out(b, "pipeline_runs_photos_per_s", rates, repeat);
	printf("), peak RSS %.0f MiB\n", rss);
	json_builder_set_member_name(b, "pipeline_photos_per_s");
	json_builder_add_double_value(b, round(rate * 100) / 100);
	json_builder_set_member_name(b, "pipeline_peak_rss_mib");
	json_builder_add_double_value(b, round(rss));

	double lat = latency(listready, run_dir, files, workers, MIN(count, 7));
	printf("  median latency, landing in the inbox -> recorded: %.2f s\n", lat);
	json_builder_set_member_name(b, "median_latency_s");
	json_builder_add_double_value(b, round(lat * 100) / 100);

	if (soak_count > 0)
		soak(listready, run_dir, files, workers, soak_count, b);

	if (baselines) {
		/* vipsthumbnail to 1000 px, one process for the batch. */
		g_autofree char *thumbs = g_strdup_printf("%s/thumbs-%.0fmp", run_dir, megapixels);
		g_mkdir_with_parents(thumbs, 0755);
		g_autofree char *pattern = g_strdup_printf("%s/%%s.jpg", thumbs);
		GPtrArray *args = g_ptr_array_new();
		g_ptr_array_add(args, "vipsthumbnail");
		g_ptr_array_add(args, "-s");
		g_ptr_array_add(args, "1000");
		g_ptr_array_add(args, "-o");
		g_ptr_array_add(args, pattern);
		for (guint i = 0; i < files->len; i++)
			g_ptr_array_add(args, g_ptr_array_index(files, i));
		g_ptr_array_add(args, NULL);
		double t_thumb = run_timed((char **)args->pdata, NULL, TRUE);
		g_ptr_array_free(args, TRUE);
		/* Full decode, the floor: WORKERS processes at a time. */
		double t_decode = 0;
		for (guint i = 0; i < files->len; i += workers) {
			char *avg[workers][4];
			char **decode[workers];
			int n = 0;
			for (guint j = i; j < files->len && n < workers; j++, n++) {
				avg[n][0] = "vips";
				avg[n][1] = "avg";
				avg[n][2] = g_ptr_array_index(files, j);
				avg[n][3] = NULL;
				decode[n] = avg[n];
			}
			t_decode += run_together(decode, n);
		}
		printf("  baseline vipsthumbnail -s 1000: %.2f photos/s (pipeline is %.2fx)\n",
		       count / t_thumb, rate / (count / t_thumb));
		double plain_rate = median_of(plain_rates, repeat), ratio = median_of(ratios, repeat);
		printf("  plain libvips renditions (vips_thumbnail per size, JPEG+WebP at libvips's "
		       "defaults, %d at a time): %.2f photos/s (median; runs: ",
		       workers, plain_rate);
		runs_out(b, "plain_renditions_runs_photos_per_s", plain_rates, repeat);
		printf(")\n  pipeline against the plain program, run by run: ");
		runs_out(b, "pipeline_over_plain_runs", ratios, repeat);
		printf(" (median %.2fx)\n", ratio);
		json_builder_set_member_name(b, "pipeline_over_plain");
		json_builder_add_double_value(b, round(ratio * 100) / 100);
		printf("  floor, full decode (vips avg, %d at a time): %.2f photos/s (pipeline is %.2fx)\n",
		       workers, count / t_decode, rate / (count / t_decode));
		json_builder_set_member_name(b, "vipsthumbnail_photos_per_s");
		json_builder_add_double_value(b, round(count / t_thumb * 100) / 100);
		json_builder_set_member_name(b, "plain_renditions_photos_per_s");
		json_builder_add_double_value(b, round(plain_rate * 100) / 100);
		json_builder_set_member_name(b, "decode_photos_per_s");
		json_builder_add_double_value(b, round(count / t_decode * 100) / 100);
	}
	json_builder_end_object(b);
	g_ptr_array_unref(files);
	/* The runs' stores (5-13 GB a size with --soak); the batch itself stays for the next run. */
	char *rm[] = { "rm", "-rf", run_dir, NULL };
	if (!g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL))
		g_printerr("listready-bench: cannot remove %s\n", run_dir);
}

int
main(int argc, char **argv)
{
	int count = 16, workers = 2, soak_count = 0, repeat = 3;
	char *sizes = NULL, *json_path = NULL, *dir = NULL, *listready = NULL;
	gboolean no_baselines = FALSE, plain = FALSE;
	GOptionEntry entries[] = {
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Photos per batch (default 16)", "N" },
		{ "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes,
		  "Comma-separated megapixels (default 12,48)", "LIST" },
		{ "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Daemon workers (default 2)", "N" },
		{ "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
		  "Pipeline runs, each followed by the plain renditions program; medians are reported "
		  "(default 3)",
		  "N" },
		{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir,
		  "Working folder; batches there are reused (default: a new temporary one)", "DIR" },
		{ "json", 'j', 0, G_OPTION_ARG_FILENAME, &json_path, "Write the results as JSON", "FILE" },
		{ "listready", 0, 0, G_OPTION_ARG_FILENAME, &listready,
		  "The listready binary (default: next to this one)", "PATH" },
		{ "no-baselines", 0, 0, G_OPTION_ARG_NONE, &no_baselines,
		  "Skip the baselines (vipsthumbnail, plain renditions, the decode floor)", NULL },
		{ "soak", 0, 0, G_OPTION_ARG_INT, &soak_count,
		  "Also feed N photos to a running daemon and report its memory over the run", "N" },
		{ "plain-renditions", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &plain,
		  "Run the plain renditions baseline on the FILEs given, and exit", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- benchmark the pipeline");
	g_option_context_add_main_entries(context, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "listready-bench: %s\n", error->message);
		return 2;
	}
	if (lr_load_init(argv[0]))
		vips_error_exit(NULL);
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	if (!listready) {
		g_autofree char *here = g_path_get_dirname(self);
		listready = g_build_filename(here, "listready", NULL);
	}
	if (!dir)
		dir = g_dir_make_tmp("listready-bench-XXXXXX", NULL);
	LrProfile *profile = lr_profile_load("default", &error);
	if (!profile) {
		fprintf(stderr, "listready-bench: %s\n", error->message);
		return 1;
	}
	if (plain)
		return plain_renditions(argv + 1, argc - 1, profile);
	g_auto(GStrv) list = g_strsplit(sizes ? sizes : "12,48", ",", -1);
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cores");
	json_builder_add_int_value(b, g_get_num_processors());
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	printf("listready benchmark on %u cores, working in %s\n", g_get_num_processors(), dir);
	for (int i = 0; list[i]; i++)
		bench_size(self, listready, dir, g_ascii_strtod(list[i], NULL), count, workers,
			   MAX(1, repeat), !no_baselines, soak_count, profile, b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	if (json_path) {
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		g_autofree char *text = json_to_string(root, TRUE);
		if (!g_file_set_contents(json_path, text, -1, &error)) {
			fprintf(stderr, "listready-bench: %s\n", error->message);
			return 1;
		}
		printf("results written to %s\n", json_path);
	}
	lr_profile_free(profile);
	return 0;
}
