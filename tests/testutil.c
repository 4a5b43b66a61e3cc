/* testutil.c: see testutil.h. */
#include "tests/testutil.h"
#include "pipeline/run.h"
#include "filters/filter.h"
#include "pipeline/fsutil.h"
#include "pipeline/load.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static GPtrArray *tmpdirs;

static void
remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	if (dir) {
		const char *name;
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				remove_tree(child);
			else
				g_unlink(child);
		}
		g_dir_close(dir);
	}
	g_rmdir(path);
}

static void
cleanup(void)
{
	for (guint i = 0; tmpdirs && i < tmpdirs->len; i++)
		if (!g_getenv("LR_KEEP_TMP"))
			remove_tree(g_ptr_array_index(tmpdirs, i));
}

static void
quiet(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

void
lr_test_init(int *argc, char ***argv)
{
	g_test_init(argc, argv, NULL);
	/* g_test's verbose mode shows every GLib info message, and libvips has many. */
	g_log_set_handler("VIPS", G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, quiet, NULL);
	if (lr_load_init((*argv)[0]))
		vips_error_exit("vips");
	atexit(cleanup);
}

const LrProfile *
lr_test_profile(void)
{
	static LrProfile *profile;
	if (!profile) {
		GError *error = NULL;
		profile = lr_profile_load("default", &error);
		g_assert_no_error(error);
	}
	return profile;
}

LrContext *
lr_test_run(const char *path, const char *stage, gboolean allow_fail)
{
	char *data;
	gsize length;
	GError *error = NULL;
	g_assert_true(g_file_get_contents(path, &data, &length, &error));
	LrContext *ctx = lr_context_new(path, lr_test_profile());
	int err = lr_load_bytes(ctx, data, length);
	g_free(data);
	for (int i = 0; !err && lr_filter_order[i]; i++) {
		err = lr_filter_order[i]->process(ctx);
		if (!strcmp(lr_filter_order[i]->name, stage))
			break;
	}
	if (err && !allow_fail)
		g_error("%s: %s: %s", path, ctx->error_code, ctx->error);
	return ctx;
}

LrContext *
lr_test_run_image(VipsImage *image, const char *stage)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "in.jpg", NULL);
	g_assert_cmpint(vips_jpegsave(image, path, "Q", 95, NULL), ==, 0);
	return lr_test_run(path, stage, FALSE);
}

VipsImage *
lr_test_full_mask(LrContext *ctx, VipsImage **normalized)
{
	VipsImage *image, *mask;
	g_assert_cmpint(lr_full_size_images(ctx, &image, &mask), ==, 0);
	g_assert_nonnull(mask);
	if (normalized)
		*normalized = image;
	else
		g_object_unref(image);
	return mask;
}

double
lr_test_mad(VipsImage *a, VipsImage *b)
{
	VipsImage *d, *abs;
	double mean;
	if (a->Xsize != b->Xsize || a->Ysize != b->Ysize)
		return -1;
	g_assert_cmpint(vips_subtract(a, b, &d, NULL), ==, 0);
	g_assert_cmpint(vips_abs(d, &abs, NULL), ==, 0);
	g_assert_cmpint(vips_avg(abs, &mean, NULL), ==, 0);
	g_object_unref(d);
	g_object_unref(abs);
	return mean;
}

double
lr_test_iou(VipsImage *mask, VipsImage *truth)
{
	VipsImage *m, *t, *inter, *uni;
	double a, u;
	g_assert_cmpint(mask->Xsize, ==, truth->Xsize);
	g_assert_cmpint(mask->Ysize, ==, truth->Ysize);
	g_assert_cmpint(vips_moreeq_const1(mask, &m, 128, NULL), ==, 0);
	g_assert_cmpint(vips_moreeq_const1(truth, &t, 128, NULL), ==, 0);
	g_assert_cmpint(vips_andimage(m, t, &inter, NULL), ==, 0);
	g_assert_cmpint(vips_orimage(m, t, &uni, NULL), ==, 0);
	g_assert_cmpint(vips_avg(inter, &a, NULL), ==, 0);
	g_assert_cmpint(vips_avg(uni, &u, NULL), ==, 0);
	g_object_unref(m);
	g_object_unref(t);
	g_object_unref(inter);
	g_object_unref(uni);
	return u > 0 ? a / u : 1.0;
}

char *
lr_test_realworld(const char *relative)
{
	const char *root = g_getenv("LR_REALWORLD");
	char *path = root ? g_build_filename(root, relative, NULL) : NULL;
	/* CI always has ../shared beside the checkout: a missing corpus is a failure, not a skip. */
	if (!path || !g_file_test(path, G_FILE_TEST_EXISTS))
		g_error("real-world file %s not found (LR_REALWORLD=%s)", relative, root);
	return path;
}

char *
lr_test_tmpdir(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("listready-test-XXXXXX", &error);
	g_assert_no_error(error);
	if (!tmpdirs)
		tmpdirs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(tmpdirs, g_strdup(dir));
	return dir;
}

gint64
lr_test_sql_int(void *db, const char *sql)
{
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	gint64 v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

gboolean
lr_test_has_reason(const LrContext *ctx, const char *code)
{
	for (guint i = 0; i < ctx->reasons->len; i++)
		if (!g_strcmp0(g_array_index(ctx->reasons, LrReason, i).code, code))
			return TRUE;
	return FALSE;
}

LrContext *
lr_test_decide(const LrMetrics *metrics, const LrProfile *profile)
{
	LrContext *ctx = lr_context_new("none", profile);
	ctx->metrics = *metrics;
	ctx->background_replaced = TRUE;
	g_assert_cmpint(lr_filter_find("decide")->process(ctx), ==, 0);
	return ctx;
}
