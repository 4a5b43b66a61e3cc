/* test_cli.c: end to end through the listready binary, on the generated demo samples.
 *
 * Ground truth: the generator's truth.tsv (expected status, reasons and EXIF orientation of each sample)
 * and its masks. Checks the JSON-lines contract of `process`, the store on disk, duplicate detection,
 * quarantine of a truncated upload, and `explain --dump`.
 */
#include "tests/testutil.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
	char *file;
	int orientation;
	char *status;
	char *reasons;
} Truth;

static char *samples_dir;
static GPtrArray *truths;

/* Runs ARGV; returns stdout (caller frees) and the exit status in *STATUS. */
static char *
run(const char *const *argv, int *status)
{
	char *out = NULL, *err = NULL;
	GError *error = NULL;
	int wait;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
				   &wait, &error));
	g_assert_no_error(error);
	if (err && *err)
		g_test_message("stderr of %s: %s", argv[1], err);
	g_free(err);
	*status = WIFEXITED(wait) ? WEXITSTATUS(wait) : -1;
	return out;
}

static const char *
binary(void)
{
	const char *bin = g_getenv("LR_LISTREADY");
	g_assert_nonnull(bin);
	return bin;
}

/* Generates the samples once for every test. */
static void
ensure_samples(void)
{
	if (samples_dir)
		return;
	g_autofree char *tmp = lr_test_tmpdir();
	samples_dir = g_build_filename(tmp, "samples", NULL);
	const char *gen = g_getenv("LR_SAMPLES");
	g_assert_nonnull(gen);
	const char *argv[] = { gen, "--out", samples_dir, NULL };
	int status;
	g_free(run(argv, &status));
	g_assert_cmpint(status, ==, 0);

	g_autofree char *tsv_path = g_build_filename(samples_dir, "truth.tsv", NULL);
	g_autofree char *tsv = NULL;
	g_assert_true(g_file_get_contents(tsv_path, &tsv, NULL, NULL));
	truths = g_ptr_array_new();
	g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
		if (g_strv_length(f) < 4 || !g_str_has_suffix(f[0], ".jpg"))
			continue; /* header or blank */
		Truth *t = g_new0(Truth, 1);
		t->file = g_build_filename(samples_dir, f[0], NULL);
		t->orientation = atoi(f[1]);
		t->status = g_strdup(f[2]);
		t->reasons = g_strdup(f[3]);
		g_ptr_array_add(truths, t);
	}
	g_assert_cmpuint(truths->len, >=, 8);
}

static gboolean
has_reason(JsonObject *o, const char *code)
{
	JsonArray *reasons = json_object_get_array_member(o, "reasons");
	for (guint i = 0; i < json_array_get_length(reasons); i++) {
		JsonObject *r = json_array_get_object_element(reasons, i);
		if (!strcmp(json_object_get_string_member(r, "code"), code)) {
			g_assert_cmpuint(strlen(json_object_get_string_member(r, "message")), >, 5);
			g_assert_cmpuint(strlen(json_object_get_string_member(r, "advice")), >, 5);
			return TRUE;
		}
	}
	return FALSE;
}

static JsonObject *
parse_line(JsonParser *parser, const char *line)
{
	GError *error = NULL;
	g_assert_true(json_parser_load_from_data(parser, line, -1, &error));
	g_assert_no_error(error);
	return json_node_get_object(json_parser_get_root(parser));
}


static void
test_process_samples(void)
{
	ensure_samples();
	g_autofree char *tmp = lr_test_tmpdir();
	g_autofree char *store = g_build_filename(tmp, "store", NULL);
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (char *)binary());
	g_ptr_array_add(argv, "process");
	g_ptr_array_add(argv, "--store");
	g_ptr_array_add(argv, store);
	for (guint i = 0; i < truths->len; i++)
		g_ptr_array_add(argv, ((Truth *)g_ptr_array_index(truths, i))->file);
	g_ptr_array_add(argv, NULL);
	int status;
	g_autofree char *out = run((const char *const *)argv->pdata, &status);
	g_ptr_array_free(argv, TRUE);
	g_assert_cmpint(status, ==, 0);

	g_auto(GStrv) lines = g_strsplit(g_strstrip(out), "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, truths->len);
	JsonParser *parser = json_parser_new();
	gint64 first_id = 0;
	for (guint i = 0; i < truths->len; i++) {
		const Truth *t = g_ptr_array_index(truths, i);
		JsonObject *o = parse_line(parser, lines[i]);
		const char *got = json_object_get_string_member(o, "status");
		g_test_message("%s: %s (expected %s %s)", t->file, got, t->status, t->reasons);
		g_assert_cmpstr(json_object_get_string_member(o, "file"), ==, t->file);
		g_assert_cmpstr(got, ==, t->status);
		if (!strcmp(t->reasons, "*"))
			; /* status pinned, reason not yet (see samples/generate.c) */
		else if (strcmp(t->reasons, "-")) {
			g_auto(GStrv) codes = g_strsplit(t->reasons, ",", -1);
			for (int c = 0; codes[c]; c++)
				g_assert_true(has_reason(o, codes[c]));
		} else
			g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "reasons")), ==, 0);
		g_assert_cmpint(json_object_get_int_member(o, "orientation"), ==, t->orientation);
		gint64 id = json_object_get_int_member(o, "id");
		g_assert_cmpint(id, >, 0);
		if (!first_id)
			first_id = id;
		JsonObject *source = json_object_get_object_member(o, "source");
		g_assert_cmpstr(json_object_get_string_member(source, "format"), ==, "jpeg");
		JsonObject *scores = json_object_get_object_member(o, "scores");
		double composite = json_object_get_double_member(scores, "composite");
		g_assert_cmpfloat(composite, >=, 0);
		g_assert_cmpfloat(composite, <=, 1);
		JsonArray *renditions = json_object_get_array_member(o, "renditions");
		g_assert_cmpuint(json_array_get_length(renditions), >=, 2);
		for (guint r = 0; r < json_array_get_length(renditions); r++) {
			JsonObject *ro = json_array_get_object_element(renditions, r);
			const char *path = json_object_get_string_member(ro, "path");
			GStatBuf st;
			g_assert_cmpint(g_stat(path, &st), ==, 0);
			g_assert_cmpint(st.st_size, ==, json_object_get_int_member(ro, "bytes"));
		}
	}

	/* The same bytes again: duplicate of the first, and no second original. */
	const char *again[] = { binary(), "process", "--store", store,
				((Truth *)g_ptr_array_index(truths, 0))->file, NULL };
	g_autofree char *dup = run(again, &status);
	g_assert_cmpint(status, ==, 0);
	JsonObject *o = parse_line(parser, dup);
	g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "duplicate");
	g_assert_cmpint(json_object_get_int_member(o, "duplicate_of"), ==, first_id);
	g_assert_true(has_reason(o, "duplicate"));

	/* The catalog: one row per run, originals kept once, byte-identical. */
	g_autofree char *db_path = g_build_filename(store, "listready.db", NULL);
	sqlite3 *db;
	g_assert_cmpint(sqlite3_open(db_path, &db), ==, SQLITE_OK);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images"), ==, truths->len + 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM images WHERE status = 'duplicate'"), ==, 1);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(DISTINCT original_path) FROM images "
				   "WHERE original_path IS NOT NULL"),
			==, truths->len);
	g_assert_cmpint(lr_test_sql_int(db, "SELECT count(*) FROM exif WHERE make IS NOT NULL"), >=,
			truths->len);
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT original_path, original_name FROM images "
					       "WHERE original_path IS NOT NULL",
					   -1, &st, NULL),
			==, SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		g_autofree char *kept = g_build_filename(store, sqlite3_column_text(st, 0), NULL);
		g_autofree char *orig = g_build_filename(samples_dir, sqlite3_column_text(st, 1), NULL);
		g_autofree char *a = NULL, *b = NULL;
		gsize la, lb;
		g_assert_true(g_file_get_contents(kept, &a, &la, NULL));
		g_assert_true(g_file_get_contents(orig, &b, &lb, NULL));
		g_assert_cmpmem(a, la, b, lb);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	g_object_unref(parser);
}

/* A half-uploaded photo is quarantined as truncated, with its original kept; exit status 0. */
static void
test_truncated_quarantined(void)
{
	ensure_samples();
	g_autofree char *tmp = lr_test_tmpdir();
	g_autofree char *store = g_build_filename(tmp, "store", NULL);
	g_autofree char *half = g_build_filename(tmp, "half.jpg", NULL);
	g_autofree char *data = NULL;
	gsize length;
	g_assert_true(g_file_get_contents(((Truth *)g_ptr_array_index(truths, 0))->file, &data,
					  &length, NULL));
	g_assert_true(g_file_set_contents(half, data, length / 2, NULL));
	const char *argv[] = { binary(), "process", "--store", store, half, NULL };
	int status;
	g_autofree char *out = run(argv, &status);
	g_assert_cmpint(status, ==, 0);
	JsonParser *parser = json_parser_new();
	JsonObject *o = parse_line(parser, out);
	g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "quarantined");
	g_assert_true(has_reason(o, "truncated"));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "renditions")), ==, 0);
	g_object_unref(parser);
}

/* explain --dump: upright normalized image, a same-size 8-bit mask matching the truth, a final. */
static void
test_explain_dump(void)
{
	ensure_samples();
	const Truth *rotated = NULL;
	for (guint i = 0; i < truths->len; i++) {
		const Truth *t = g_ptr_array_index(truths, i);
		if (t->orientation == 6 && !strcmp(t->status, "accepted"))
			rotated = t;
	}
	g_assert_nonnull(rotated);
	g_autofree char *dump = lr_test_tmpdir();
	const char *argv[] = { binary(), "explain", rotated->file, "--dump", dump, NULL };
	int status;
	g_autofree char *out = run(argv, &status);
	g_assert_cmpint(status, ==, 0);
	JsonParser *parser = json_parser_new();
	JsonObject *o = parse_line(parser, out);
	g_assert_true(json_object_has_member(o, "timings_ms"));
	g_assert_true(json_object_has_member(o, "metrics"));
	g_assert_true(json_node_is_null(json_object_get_member(o, "id")));

	g_autofree char *truth_path = g_strdup_printf("%.*s.mask.png", (int)strlen(rotated->file) - 4,
						      rotated->file);
	g_autofree char *norm_path = g_build_filename(dump, "normalized.png", NULL);
	g_autofree char *mask_path = g_build_filename(dump, "mask.png", NULL);
	g_autofree char *final_path = g_build_filename(dump, "final.png", NULL);
	VipsImage *truth = vips_image_new_from_file(truth_path, NULL);
	VipsImage *norm = vips_image_new_from_file(norm_path, NULL);
	VipsImage *mask = vips_image_new_from_file(mask_path, NULL);
	VipsImage *final = vips_image_new_from_file(final_path, NULL);
	g_assert_nonnull(truth);
	g_assert_nonnull(norm);
	g_assert_nonnull(mask);
	g_assert_nonnull(final);
	/* Upright: the truth mask is stored upright, so sizes agree only if orientation was applied. */
	g_assert_cmpint(norm->Xsize, ==, truth->Xsize);
	g_assert_cmpint(norm->Ysize, ==, truth->Ysize);
	g_assert_cmpint(norm->Ysize, >, norm->Xsize);
	g_assert_cmpint(mask->Bands, ==, 1);
	g_assert_cmpint(mask->BandFmt, ==, VIPS_FORMAT_UCHAR);
	double iou = lr_test_iou(mask, truth);
	g_test_message("explain mask IoU %.3f", iou);
	g_assert_cmpfloat(iou, >=, 0.9);
	g_assert_cmpint(final->Xsize, ==, final->Ysize);
	g_object_unref(truth);
	g_object_unref(norm);
	g_object_unref(mask);
	g_object_unref(final);
	g_object_unref(parser);
}

static void
test_help_and_usage(void)
{
	int status;
	const char *help[] = { binary(), "--help", NULL };
	g_autofree char *out = run(help, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "process"));
	g_assert_nonnull(strstr(out, "explain"));
	const char *sub[] = { binary(), "process", "--help", NULL };
	g_autofree char *out2 = run(sub, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out2, "--store"));
	const char *bad[] = { binary(), "frobnicate", NULL };
	g_free(run(bad, &status));
	g_assert_cmpint(status, ==, 2);
	const char *missing[] = { binary(), "explain", "/nonexistent/photo.jpg", NULL };
	g_free(run(missing, &status));
	g_assert_cmpint(status, ==, 1);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/cli/help-and-usage", test_help_and_usage);
	g_test_add_func("/cli/process-samples", test_process_samples);
	g_test_add_func("/cli/truncated-quarantined", test_truncated_quarantined);
	g_test_add_func("/cli/explain-dump", test_explain_dump);
	return g_test_run();
}
