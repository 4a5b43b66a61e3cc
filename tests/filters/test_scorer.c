/* test_scorer.c: the quality scorer as a whole, against generated photos of known fault and severity.
 *
 * A smaller copy of the labelled set that listready-fit fits on (models/labelset.c) must come out
 * right at the default profile: every rejection reason found in at least 95% of the photos that have
 * it, and at least 95% of the clean photos accepted. The sharpness and noise decisions must not
 * depend on the camera's resolution: the same scene at 12, 8 and 3 MP (noise: 12 and 3 MP) gets the
 * same decision. And the thresholds in use must be the fitted ones, every one of them present in
 * models/scorer.ini.
 */
#include "filters/decide.h"
#include "filters/filter.h"
#include "models/labelset.h"
#include "pipeline/evaluate.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

/* The lines of issue 6: recall of every reason, and the share of the clean photos accepted. (The fit
 * weighs a false alarm on a clean photo as several misses, models/fit.c, so a refit that loses clean
 * photos shows here first.) */
#define REQUIRED 0.95
#define REQUIRED_CLEAN 0.95
/* 20 clean photos (so that one may fail) and 5 of each of the 9 faults at about 3 MP: 65 photos. */
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
				g_test_message("%s %d (%s) at %.0f MP: noise %.2f (threshold %.2f)%s",
					       lr_label_kind_name(kinds[k]), index, label.severity,
					       megapixels[i], ctx->metrics.noise,
					       lr_decide_threshold(ctx, "max_noise"),
					       noisy ? " noisy" : "");
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

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/scorer/fitted-parameters", test_fitted_parameters);
	g_test_add_func("/scorer/resolution-stable", test_resolution_stable);
	g_test_add_func("/scorer/noise-resolution-stable", test_noise_resolution_stable);
	g_test_add_func("/scorer/labelled-set", test_labelled_set);
	return g_test_run();
}
