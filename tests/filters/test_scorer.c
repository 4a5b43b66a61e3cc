/* test_scorer.c: the quality scorer as a whole, against generated photos of known fault and severity.
 *
 * A smaller copy of the labelled set that listready-fit fits on (models/labelset.c) must come out
 * right at the default profile: every rejection reason found in at least 95% of the photos that have
 * it, and at least 95% of the clean photos accepted. The sharpness and noise decisions must not
 * depend on the camera's resolution: the same scene at 12, 8 and 3 MP (noise: 12 and 3 MP) gets the
 * same decision. And the thresholds in use must be the fitted ones, every one of them present in
 * models/scorer.ini.
 *
 * The sub-scores added for the rest of issue 6's metrics, each against known ground truth: a clean
 * photo saved again at JPEG quality 10 gets jpeg_artifacts and a low blockiness sub-score, the same
 * photo at 92 does not; a copy with its contrast flattened scores lower on contrast, which informs
 * but never decides; a slightly altered copy of an earlier photo of the product scores as a
 * near-duplicate (and is one), another photo does not. Real camera photos of ../shared/realworld
 * get neither jpeg_artifacts nor blur.
 */
#include "filters/decide.h"
#include "filters/filter.h"
#include "models/labelset.h"
#include "pipeline/evaluate.h"
#include "pipeline/phash.h"
#include "pipeline/report.h"
#include "pipeline/run.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <gio/gio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The lines of issue 6: recall of every reason, and the share of the clean photos accepted. (The fit
 * weighs a false alarm on a clean photo as several misses, models/fit.c, so a refit that loses clean
 * photos shows here first.) */
#define REQUIRED 0.95
#define REQUIRED_CLEAN 0.95
/* 20 clean photos (so that one may fail) and 5 of each of the 10 faults at about 3 MP: 70 photos. */
#define N_CLEAN 20
#define N_EACH 5
#define MEGAPIXELS 3.0

static void
test_labelled_set(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	GError *error = NULL;
	double min_pixels = lr_profile_double(lr_test_profile(), "decide", "min_product_pixels", 0);
	int n = lr_labelset_write(dir, N_CLEAN, N_EACH, MEGAPIXELS, min_pixels, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, N_CLEAN + N_EACH * (LR_LABEL_N_KINDS - 1));

	LrEvaluation *ev = lr_evaluation_run(dir, lr_test_profile(), 0, &error);
	g_assert_no_error(error);
	char *report = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&report, &size);
	lr_evaluation_print(ev, fp);
	fclose(fp);
	g_test_message("%s", report);
	free(report);

	g_auto(GStrv) codes = lr_evaluation_codes(ev);
	g_assert_cmpint(g_strv_length(codes), >=, 8);
	for (int c = 0; codes[c]; c++) {
		double recall = lr_evaluation_recall(ev, codes[c]);
		g_test_message("recall %s %.3f", codes[c], recall);
		if (recall < REQUIRED)
			g_error("recall of %s is %.3f, under %.2f", codes[c], recall, REQUIRED);
	}
	g_assert_cmpfloat(lr_evaluation_acceptance(ev), >=, REQUIRED_CLEAN);
	lr_evaluation_free(ev);
}

/* The decision on SPEC's scene at WIDTH x HEIGHT, its defocus given at a 1024 px product view. */
static LrContext *
decide_at(int width, int height, double blur_at_view)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	lr_synth_spec_default(&spec, width, height);
	spec.product_size = 0.8;
	spec.seed = 61;
	spec.noise_sigma = 1.5;
	spec.blur_sigma = blur_at_view * MAX(1.0, spec.product_size * height / 1024.0);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	LrContext *ctx = lr_test_run_image(image, "decide");
	g_object_unref(image);
	g_object_unref(mask);
	return ctx;
}

/* The same scene sharp at 12, 8 and 3 MP, and defocused by the same visible amount (4 px at a 1024 px
 * view of the product): one decision per scene. (12 MP is the expensive one: one scene each.) */
static void
test_resolution_stable(void)
{
	static const int sizes[][2] = { { 4032, 3024 }, { 3264, 2448 }, { 2000, 1500 } };
	static const double blurs[] = { 0, 4 };
	for (guint b = 0; b < G_N_ELEMENTS(blurs); b++) {
		const char *first = NULL;
		for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
			LrContext *ctx = decide_at(sizes[i][0], sizes[i][1], blurs[b]);
			g_test_message("blur %.0f at %dx%d: sharpness %.3f (threshold %.3f), %s%s",
				       blurs[b], sizes[i][0], sizes[i][1], ctx->metrics.sharpness,
				       lr_decide_threshold(ctx, "min_sharpness"), ctx->status,
				       lr_test_has_reason(ctx, "blur") ? " blur" : "");
			g_assert_cmpint(lr_test_has_reason(ctx, "blur"), ==, blurs[b] > 0);
			if (!first)
				first = ctx->status;
			g_assert_cmpstr(ctx->status, ==, first);
			lr_context_free(ctx);
		}
	}
}

/* The decision on photo INDEX of KIND from the labelled set at about MEGAPIXELS, saved as the set
 * saves it (its JPEG quality) and run through decide. */
static LrContext *
decide_label_at(LrLabelKind kind, int index, double megapixels, LrLabel *label)
{
	double min_pixels = lr_profile_double(lr_test_profile(), "decide", "min_product_pixels", 0);
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "in.jpg", NULL);
	VipsImage *image;
	int quality;
	g_assert_cmpint(lr_labelset_render(kind, index, megapixels, min_pixels, &image, &quality, label),
			==, 0);
	g_assert_cmpint(vips_jpegsave(image, path, "Q", quality, NULL), ==, 0);
	g_object_unref(image);
	return lr_test_run(path, "decide", FALSE);
}

/* The same scenes clean and with the mildest noise of the set (16 levels at the 2000 px view) at 3
 * and 12 MP: one noise decision per scene. A 12 MP frame is reduced to the view before the noise is
 * measured, a 3 MP one is not, so this holds only if the set's noise means the same at both (a
 * noisy photo once read 2.99 at 12 MP and 9.76 at 3 MP, and was accepted). Both products, as their
 * flat areas differ. */
static void
test_noise_resolution_stable(void)
{
	static const LrLabelKind kinds[] = { LR_LABEL_CLEAN, LR_LABEL_NOISY };
	static const double megapixels[] = { 12, 3 };
	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
		for (int index = 0; index < 2; index++) {
			const char *first = NULL;
			for (guint i = 0; i < G_N_ELEMENTS(megapixels); i++) {
				LrLabel label;
				LrContext *ctx = decide_label_at(kinds[k], index, megapixels[i], &label);
				gboolean noisy = lr_test_has_reason(ctx, "noisy");
				GString *codes = g_string_new(NULL);
				for (guint r = 0; r < ctx->reasons->len; r++)
					g_string_append_printf(
						codes, " %s",
						g_array_index(ctx->reasons, LrReason, r).code);
				g_test_message("%s %d (%s) at %.0f MP: noise %.2f (threshold %.2f), "
					       "%s%s",
					       lr_label_kind_name(kinds[k]), index, label.severity,
					       megapixels[i], ctx->metrics.noise,
					       lr_decide_threshold(ctx, "max_noise"), ctx->status,
					       codes->str);
				g_string_free(codes, TRUE);
				g_assert_cmpint(noisy, ==, kinds[k] == LR_LABEL_NOISY);
				if (!first)
					first = ctx->status;
				g_assert_cmpstr(ctx->status, ==, first);
				lr_context_free(ctx);
			}
		}
}

/* Every threshold of the decide stage but the marketplace's own (resolution) is fitted, and the
 * value in use without a profile override is the fitted one. */
static void
test_fitted_parameters(void)
{
	const LrProfile *profile = lr_test_profile(); /* registers the embedded resources */
	GBytes *bytes = g_resources_lookup_data("/listready/scorer.ini", 0, NULL);
	g_assert_nonnull(bytes);
	GKeyFile *keys = g_key_file_new();
	gsize size;
	const char *data = g_bytes_get_data(bytes, &size);
	g_assert_true(g_key_file_load_from_data(keys, data, size, 0, NULL));
	const LrFilter *decide = lr_filter_find("decide");
	LrContext *ctx = lr_context_new("none", profile);
	for (const LrParam *p = decide->params; p->name; p++) {
		if (!strcmp(p->name, "min_product_pixels"))
			continue;
		GError *error = NULL;
		double v = g_key_file_get_double(keys, "decide", p->name, &error);
		g_assert_no_error(error);
		g_assert_cmpfloat(v, >=, p->min);
		g_assert_cmpfloat(v, <=, p->max);
		g_assert_cmpfloat(lr_decide_threshold(ctx, p->name), ==, v);
	}
	lr_context_free(ctx);
	g_key_file_free(keys);
	g_bytes_unref(bytes);
}

/* The sub-score NAME of CTX, or NULL. */
static const LrScore *
score_of(const LrContext *ctx, const char *name)
{
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		if (!strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* S is a sub-score in 0..1 that reports RAW as its raw value. */
static void
assert_score(const LrScore *s, double raw)
{
	g_assert_nonnull(s);
	g_assert_cmpfloat(s->score, >=, 0);
	g_assert_cmpfloat(s->score, <=, 1);
	g_assert_cmpfloat(s->raw, ==, raw);
}

/* Clean photo INDEX of the labelled set as the phone saved it (its JPEG), saved again at QUALITY,
 * into DIR/NAME. */
static char *
save_reencoded(const char *dir, const char *name, int index, int quality)
{
	double min_pixels = lr_profile_double(lr_test_profile(), "decide", "min_product_pixels", 0);
	char *path = g_build_filename(dir, name, NULL);
	VipsImage *image, *phone;
	LrLabel label;
	int phone_quality;
	void *jpeg;
	size_t length;
	g_assert_cmpint(lr_labelset_render(LR_LABEL_CLEAN, index, MEGAPIXELS, min_pixels, &image,
					   &phone_quality, &label),
			==, 0);
	g_assert_cmpint(vips_jpegsave_buffer(image, &jpeg, &length, "Q", phone_quality, NULL), ==,
			0);
	phone = vips_image_new_from_buffer(jpeg, length, "", NULL);
	g_assert_nonnull(phone);
	g_assert_cmpint(vips_jpegsave(phone, path, "Q", quality, NULL), ==, 0);
	g_object_unref(phone);
	g_object_unref(image);
	g_free(jpeg);
	return path;
}

/* A clean photo saved again at quality 10 has jpeg_artifacts, at 92 it has not; the blockiness
 * sub-score says the same, on either side of 0.5. A textile and a bowl, both on the sheet. */
static void
test_jpeg_artifacts(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	for (int index = 0; index < 2; index++) {
		double scores[2];
		static const int qualities[] = { 10, 92 };
		for (int q = 0; q < 2; q++) {
			g_autofree char *path = save_reencoded(dir, "in.jpg", index, qualities[q]);
			LrContext *ctx = lr_test_run(path, "decide", FALSE);
			const LrScore *s = score_of(ctx, "blockiness");
			assert_score(s, ctx->metrics.blockiness);
			g_assert_false(s->informative);
			g_test_message("clean %d at quality %d: blockiness %.3f (threshold %.3f), "
				       "sub-score %.3f%s",
				       index, qualities[q], s->raw, s->threshold, s->score,
				       lr_test_has_reason(ctx, "jpeg_artifacts") ? " jpeg_artifacts"
										 : "");
			gboolean heavy = qualities[q] < 50;
			g_assert_cmpint(lr_test_has_reason(ctx, "jpeg_artifacts"), ==, heavy);
			g_assert_cmpint(s->score < 0.5, ==, heavy);
			scores[q] = s->score;
			lr_context_free(ctx);
		}
		g_assert_cmpfloat(scores[0], <, scores[1]);
	}
}

/* A copy of a clean photo with its tones pulled a third of the way to their mean reads less
 * contrast and scores lower on it; and contrast only informs: a line that puts the photo far on the
 * wrong side changes its sub-score, not its reasons, status or composite. */
static void
test_contrast(void)
{
	double min_pixels = lr_profile_double(lr_test_profile(), "decide", "min_product_pixels", 0);
	VipsImage *image, *flat;
	LrLabel label;
	int quality;
	double mean;
	g_assert_cmpint(lr_labelset_render(LR_LABEL_CLEAN, 0, MEGAPIXELS, min_pixels, &image,
					   &quality, &label),
			==, 0);
	g_assert_cmpint(vips_avg(image, &mean, NULL), ==, 0);
	VipsImage *linear;
	g_assert_cmpint(vips_linear1(image, &linear, 1 / 3.0, mean * 2 / 3.0, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(linear, &flat, NULL), ==, 0);
	g_object_unref(linear);
	LrContext *normal = lr_test_run_image(image, "decide");
	LrContext *flattened = lr_test_run_image(flat, "decide");
	g_object_unref(image);
	g_object_unref(flat);
	const LrScore *a = score_of(normal, "contrast"), *b = score_of(flattened, "contrast");
	assert_score(a, normal->metrics.contrast);
	assert_score(b, flattened->metrics.contrast);
	g_test_message("contrast %.4f (sub-score %.3f), flattened %.4f (sub-score %.3f), line %.3f",
		       a->raw, a->score, b->raw, b->score, a->threshold);
	g_assert_true(a->informative);
	g_assert_cmpfloat(b->raw, <, 0.5 * a->raw);
	g_assert_cmpfloat(b->score, <, a->score);

	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "flat-line.ini", NULL);
	g_assert_true(g_file_set_contents(path, "[decide]\nmin_contrast = 0.9\n", -1, NULL));
	LrProfile *strict = lr_profile_load(path, NULL);
	g_assert_nonnull(strict);
	LrContext *base = lr_test_decide(&flattened->metrics, lr_test_profile());
	LrContext *judged = lr_test_decide(&flattened->metrics, strict);
	g_assert_cmpfloat(score_of(judged, "contrast")->score, <,
			  score_of(base, "contrast")->score);
	g_assert_cmpfloat(score_of(judged, "contrast")->score, <, 0.5);
	g_assert_cmpstr(judged->status, ==, base->status);
	g_assert_cmpuint(judged->reasons->len, ==, base->reasons->len);
	g_assert_cmpfloat(judged->score, ==, base->score);
	lr_context_free(base);
	lr_context_free(judged);
	lr_profile_free(strict);
	lr_context_free(normal);
	lr_context_free(flattened);
}

/* Processes PATH into STORE; returns the outcome (clear it). */
static void
process(LrStore *store, const char *path, LrOutcome *out)
{
	g_assert_cmpint(lr_process_file(store, lr_test_profile(), path, out), ==, 0);
	const LrScore *s = score_of(out->ctx, "near_duplicate");
	if (s)
		g_test_message("%s: %s, near_duplicate %.0f bits (threshold %.0f, sub-score %.3f)",
			       path, out->status, s->raw, s->threshold, s->score);
	else
		g_test_message("%s: %s, no near_duplicate sub-score", path, out->status);
}

/* Near-duplicates, through the store: the first photo of a product has no near_duplicate sub-score;
 * a copy of it resized by 0.9, a little brighter and saved again scores at most 0.5 (it is within
 * the line, and a duplicate of the first); another photo scores above 0.5 and is not. */
static void
test_near_duplicate(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *store_dir = g_build_filename(dir, "store", NULL);
	GError *error = NULL;
	LrStore *store = lr_store_open(store_dir, &error);
	g_assert_no_error(error);

	g_autofree char *first = save_reencoded(dir, "first.jpg", 0, 90);
	g_autofree char *copy = g_build_filename(dir, "copy.jpg", NULL);
	VipsImage *in = vips_image_new_from_file(first, NULL), *small, *bright, *u;
	g_assert_nonnull(in);
	g_assert_cmpint(vips_resize(in, &small, 0.9, NULL), ==, 0);
	g_assert_cmpint(vips_linear1(small, &bright, 1.03, 2, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(bright, &u, NULL), ==, 0);
	g_assert_cmpint(vips_jpegsave(u, copy, "Q", 80, NULL), ==, 0);
	g_object_unref(in);
	g_object_unref(small);
	g_object_unref(bright);
	g_object_unref(u);
	g_autofree char *other = save_reencoded(dir, "other.jpg", 3, 90);

	LrOutcome a, b, c;
	process(store, first, &a);
	g_assert_null(score_of(a.ctx, "near_duplicate"));
	g_assert_cmpstr(a.status, !=, "duplicate");

	process(store, copy, &b);
	const LrScore *s = score_of(b.ctx, "near_duplicate");
	g_assert_true(a.has_phash && b.has_phash);
	assert_score(s, lr_phash_distance(a.phash, b.phash));
	g_assert_true(s->informative);
	g_assert_cmpfloat(s->raw, <=, s->threshold);
	g_assert_cmpfloat(s->score, <=, 0.5);
	g_assert_cmpstr(b.status, ==, "duplicate");
	g_assert_cmpint(b.duplicate_of, ==, a.id);
	/* As recorded in the catalog. */
	g_autofree char *json = lr_report_scores_json(&b);
	g_assert_nonnull(strstr(json, "\"near_duplicate\""));
	/* Not in the composite: the geometric mean of the deciding sub-scores alone. */
	double log_sum = 0;
	int n = 0;
	for (guint i = 0; i < b.ctx->scores->len; i++) {
		const LrScore *t = &g_array_index(b.ctx->scores, LrScore, i);
		if (!t->informative) {
			log_sum += log(MAX(1e-3, t->score));
			n++;
		}
	}
	g_assert_cmpfloat_with_epsilon(b.ctx->score, exp(log_sum / n), 1e-9);

	process(store, other, &c);
	s = score_of(c.ctx, "near_duplicate");
	/* The nearest earlier photo of the product that is not itself a duplicate: the first. */
	assert_score(s, lr_phash_distance(a.phash, c.phash));
	g_assert_cmpfloat(s->raw, >, s->threshold);
	g_assert_cmpfloat(s->score, >, 0.5);
	g_assert_cmpstr(c.status, !=, "duplicate");

	lr_outcome_clear(&a);
	lr_outcome_clear(&b);
	lr_outcome_clear(&c);
	lr_store_close(store);
}

/* Real camera photos of normal JPEG quality (60 to 97) from ../shared/realworld: neither
 * jpeg_artifacts nor blur. */
static void
test_realworld_photos(void)
{
	static const char *const photos[] = {
		"orientation/Landscape_1.jpg",         "orientation/Landscape_6.jpg",
		"formats/libvips/ultra-hdr.jpg",       "formats/pillow/corrupt_exif.jpg",
		"formats/pillow/exif_typeerror.jpg",   "formats/pillow/junk_jpeg_header.jpg",
	};
	/* Their broken headers make libvips warn: expected here, so not fatal. */
	GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	for (guint i = 0; i < G_N_ELEMENTS(photos); i++) {
		g_autofree char *path = lr_test_realworld(photos[i]);
		LrContext *ctx = lr_test_run(path, "decide", FALSE);
		g_test_message("%s: blockiness %.3f (threshold %.3f), sharpness %.3f "
			       "(threshold %.3f)",
			       photos[i], ctx->metrics.blockiness,
			       lr_decide_threshold(ctx, "max_blockiness"), ctx->metrics.sharpness,
			       lr_decide_threshold(ctx, "min_sharpness"));
		g_assert_false(lr_test_has_reason(ctx, "jpeg_artifacts"));
		g_assert_false(lr_test_has_reason(ctx, "blur"));
		lr_context_free(ctx);
	}
	g_log_set_always_fatal(fatal);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/scorer/jpeg-artifacts", test_jpeg_artifacts);
	g_test_add_func("/scorer/contrast", test_contrast);
	g_test_add_func("/scorer/near-duplicate", test_near_duplicate);
	g_test_add_func("/scorer/realworld-photos", test_realworld_photos);
	g_test_add_func("/scorer/fitted-parameters", test_fitted_parameters);
	g_test_add_func("/scorer/resolution-stable", test_resolution_stable);
	g_test_add_func("/scorer/noise-resolution-stable", test_noise_resolution_stable);
	g_test_add_func("/scorer/labelled-set", test_labelled_set);
	return g_test_run();
}
