/* test_profiles.c: the marketplace profiles and the reason texts, as shipped in the binary.
 *
 * Every marketplace of issue 6 has a profile that loads and validates by name; a profile's own
 * threshold changes a decision (a photo good enough for the default's 1000 px is short of Etsy's
 * 2000); a value outside a parameter's range is refused; and every reason code has a message and a
 * retake tip in English and in Hindi.
 */
#include "filters/filter.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *const marketplaces[] = { "default", "flipkart", "amazon", "myntra",
					    "ajio",    "etsy",     "shopify" };

static void
test_all_load(void)
{
	g_auto(GStrv) names = lr_profile_names();
	for (guint i = 0; i < G_N_ELEMENTS(marketplaces); i++) {
		g_assert_true(g_strv_contains((const char *const *)names, marketplaces[i]));
		GError *error = NULL;
		LrProfile *p = lr_profile_load(marketplaces[i], &error);
		g_assert_no_error(error);
		g_assert_cmpstr(p->name, ==, marketplaces[i]);
		/* The keys the stages read, each present and well-formed. */
		g_autofree char *bg = lr_profile_string(p, "compose", "background", NULL);
		g_autofree char *aspect = lr_profile_string(p, "compose", "aspect", NULL);
		g_auto(GStrv) sizes = lr_profile_list(p, "renditions", "sizes");
		g_auto(GStrv) formats = lr_profile_list(p, "renditions", "formats");
		g_assert_true(bg && (bg[0] == '#' || !strcmp(bg, "transparent")));
		double w = 0, h = 0;
		g_assert_cmpint(sscanf(aspect, "%lf:%lf", &w, &h), ==, 2);
		g_assert_true(sizes && sizes[0] && formats && formats[0]);
		g_assert_cmpfloat(lr_profile_double(p, "decide", "min_product_pixels", 0), >=, 500);
		lr_profile_free(p);
	}
	/* Myntra asks for light grey with a soft shadow, 3:4. */
	LrProfile *myntra = lr_profile_load("myntra", NULL);
	g_autofree char *aspect = lr_profile_string(myntra, "compose", "aspect", NULL);
	g_assert_cmpstr(aspect, ==, "3:4");
	g_assert_cmpfloat(lr_profile_double(myntra, "compose", "shadow", 0), >, 0);
	lr_profile_free(myntra);
}

static void
test_threshold_changes_decision(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	lr_synth_spec_default(&spec, 2000, 1500);
	spec.product_size = 0.85;
	spec.noise_sigma = 1.5;
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	LrContext *measured = lr_test_run_image(image, "compose");
	g_object_unref(image);
	g_object_unref(mask);
	g_test_message("product %.0f px", measured->metrics.product_pixels);

	LrContext *by_default = lr_test_decide(&measured->metrics, lr_test_profile());
	LrProfile *etsy = lr_profile_load("etsy", NULL);
	LrContext *by_etsy = lr_test_decide(&measured->metrics, etsy);
	g_assert_cmpstr(by_default->status, ==, "accepted");
	g_assert_cmpstr(by_etsy->status, ==, "needs_review");
	g_assert_true(lr_test_has_reason(by_etsy, "low_resolution"));
	lr_context_free(by_default);
	lr_context_free(by_etsy);
	lr_context_free(measured);
	lr_profile_free(etsy);
}

static void
test_out_of_range_refused(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "bad.ini", NULL);
	g_assert_true(g_file_set_contents(path, "[decide]\nmin_sharpness = 3\n", -1, NULL));
	GError *error = NULL;
	g_assert_null(lr_profile_load(path, &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_error_free(error);
}

static void
test_reason_texts(void)
{
	static const char *const codes[] = {
		"blur", "underexposed", "overexposed", "noisy", "colour_cast", "jpeg_artifacts",
		"low_resolution",
		"product_cut_off", "product_too_small", "background_uncertain", "duplicate",
		"low_quality", "unreadable", "truncated", "too_many_pixels",
		"file_too_large", "unsupported_format", "internal",
	};
	for (guint i = 0; i < G_N_ELEMENTS(codes); i++) {
		g_autofree char *en_m = NULL, *en_a = NULL, *hi_m = NULL, *hi_a = NULL;
		lr_reason_texts(codes[i], "en", &en_m, &en_a);
		lr_reason_texts(codes[i], "hi", &hi_m, &hi_a);
		/* Not the generic fallback, and really translated. */
		g_assert_false(g_str_has_prefix(en_m, "Flagged:"));
		g_assert_cmpstr(en_a, !=, "A curator will look at this photo.");
		g_assert_cmpstr(hi_m, !=, en_m);
		g_assert_cmpstr(hi_a, !=, en_a);
		g_assert_true(g_utf8_validate(hi_m, -1, NULL));
	}
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/profiles/all-load", test_all_load);
	g_test_add_func("/profiles/threshold-changes-decision", test_threshold_changes_decision);
	g_test_add_func("/profiles/out-of-range-refused", test_out_of_range_refused);
	g_test_add_func("/profiles/reason-texts", test_reason_texts);
	return g_test_run();
}
