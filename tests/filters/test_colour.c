/* test_colour.c: colour management and the light correction of the normalize stage.
 *
 * Ground truth: a generated chart of 24 patches (the ColorChecker's published sRGB values) stored in
 * Display P3 (16-bit PNG with the P3 profile an iPhone embeds, taken from the corpus's Example1.heic) and
 * in CMYK (TIFF, with and without libvips's CMYK profile) must come back within a small CIEDE2000 of the
 * sRGB chart. The generator's photo of a cloth on a white sheet under a strong tungsten cast must come out
 * with the sheet as neutral as the same scene rendered in daylight; the daylight scene itself, and a frame
 * filled with a saturated red-and-gold saree, must be left within a small delta-E of themselves.
 */
#include "samples/synth.h"
#include "tests/testutil.h"

#include <math.h>
#include <string.h>

/* The ColorChecker Classic in sRGB (BabelColor's averages), row by row. */
static const guchar patches[24][3] = {
	{ 115, 82, 68 },   { 194, 150, 130 }, { 98, 122, 157 },  { 87, 108, 67 },   { 133, 128, 177 },
	{ 103, 189, 170 }, { 214, 126, 44 },  { 80, 91, 166 },   { 193, 90, 99 },   { 94, 60, 108 },
	{ 157, 188, 64 },  { 224, 163, 46 },  { 56, 61, 150 },   { 70, 148, 73 },   { 175, 54, 60 },
	{ 231, 199, 31 },  { 187, 86, 149 },  { 8, 133, 161 },   { 243, 243, 242 }, { 200, 200, 200 },
	{ 160, 160, 160 }, { 122, 122, 121 }, { 85, 85, 85 },    { 52, 52, 52 },
};

#define PATCH 48

static VipsImage *
chart(void)
{
	int w = 6 * PATCH, h = 4 * PATCH;
	guchar *buf = g_malloc(w * h * 3);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			memcpy(buf + 3 * (y * w + x), patches[(y / PATCH) * 6 + x / PATCH], 3);
	VipsImage *im = vips_image_new_from_memory_copy(buf, w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
	g_free(buf);
	im->Type = VIPS_INTERPRETATION_sRGB;
	return im;
}

/* Mean and maximum CIEDE2000 between two sRGB images of the same size. */
static void
delta_e(VipsImage *a, VipsImage *b, double *mean, double *max)
{
	VipsImage *la, *lb, *d;
	g_assert_cmpint(a->Xsize, ==, b->Xsize);
	g_assert_cmpint(a->Ysize, ==, b->Ysize);
	g_assert_cmpint(vips_colourspace(a, &la, VIPS_INTERPRETATION_LAB, "source_space",
					 VIPS_INTERPRETATION_sRGB, NULL),
			==, 0);
	g_assert_cmpint(vips_colourspace(b, &lb, VIPS_INTERPRETATION_LAB, "source_space",
					 VIPS_INTERPRETATION_sRGB, NULL),
			==, 0);
	g_assert_cmpint(vips_dE00(la, lb, &d, NULL), ==, 0);
	g_assert_cmpint(vips_avg(d, mean, NULL), ==, 0);
	g_assert_cmpint(vips_max(d, max, NULL), ==, 0);
	g_object_unref(la);
	g_object_unref(lb);
	g_object_unref(d);
}

/* The Display P3 profile of an iPhone photo in the corpus, written to a file in DIR. */
static char *
p3_profile(const char *dir)
{
	g_autofree char *heic = lr_test_realworld("formats/libvips/Example1.heic");
	VipsImage *im = vips_image_new_from_file(heic, NULL);
	g_assert_nonnull(im);
	const void *icc;
	size_t length;
	g_assert_cmpint(vips_image_get_blob(im, VIPS_META_ICC_NAME, &icc, &length), ==, 0);
	char *path = g_build_filename(dir, "p3.icc", NULL);
	g_assert_true(g_file_set_contents(path, icc, length, NULL));
	g_object_unref(im);
	return path;
}

static void
check_chart(const char *path, const char *what, double max_mean, double max_max)
{
	VipsImage *ref = chart();
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	g_assert_nonnull(ctx->icc || strstr(what, "no profile"));
	double mean, max;
	delta_e(ctx->normalized, ref, &mean, &max);
	g_test_message("%s: icc %s, white balance %s (%s), dE00 mean %.2f max %.2f", what,
		       ctx->icc ? ctx->icc : "none", ctx->light.wb_applied ? "applied" : "not applied",
		       ctx->light.wb_note, mean, max);
	g_assert_cmpfloat(mean, <, max_mean);
	g_assert_cmpfloat(max, <, max_max);
	lr_context_free(ctx);
	g_object_unref(ref);
}

/* The chart in Display P3, 16-bit: the profile must be applied (ignoring it is far off). */
static void
test_display_p3(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *icc = p3_profile(dir);
	g_autofree char *path = g_build_filename(dir, "p3.png", NULL);
	VipsImage *ref = chart(), *p3;
	g_assert_cmpint(vips_icc_transform(ref, &p3, icc, "input_profile", "srgb", "intent",
					   VIPS_INTENT_RELATIVE, "depth", 16, "embedded", FALSE, NULL),
			==, 0);
	g_assert_true(vips_image_get_typeof(p3, VIPS_META_ICC_NAME));
	g_assert_cmpint(vips_pngsave(p3, path, NULL), ==, 0);

	/* The P3 numbers read as if they were sRGB are visibly off: the test can fail. */
	VipsImage *naive8;
	g_assert_cmpint(vips_linear1(p3, &naive8, 1 / 257.0, 0, "uchar", TRUE, NULL), ==, 0);
	naive8->Type = VIPS_INTERPRETATION_sRGB;
	double mean, max;
	delta_e(naive8, ref, &mean, &max);
	g_test_message("P3 numbers taken as sRGB: dE00 mean %.2f max %.2f", mean, max);
	g_assert_cmpfloat(mean, >, 1.5);
	g_assert_cmpfloat(max, >, 3);

	check_chart(path, "Display P3 16-bit PNG", 1.0, 3.0);
	g_object_unref(naive8);
	g_object_unref(p3);
	g_object_unref(ref);
}

/* The chart in CMYK, with libvips's CMYK profile embedded, and without any profile (the default CMYK
 * profile must then be assumed). */
static void
test_cmyk(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *with = g_build_filename(dir, "cmyk-icc.tif", NULL);
	g_autofree char *without = g_build_filename(dir, "cmyk.tif", NULL);
	VipsImage *ref = chart(), *cmyk;
	g_assert_cmpint(vips_icc_transform(ref, &cmyk, "cmyk", "input_profile", "srgb", "intent",
					   VIPS_INTENT_PERCEPTUAL, NULL),
			==, 0);
	g_assert_cmpint(cmyk->Bands, ==, 4);
	g_assert_cmpint(vips_tiffsave(cmyk, with, NULL), ==, 0);
	g_assert_cmpint(vips_tiffsave(cmyk, without, "strip", TRUE, NULL), ==, 0);
	/* Perceptual both ways through a LUT profile is not an identity: ~1.9 mean is the round trip. */
	check_chart(with, "CMYK TIFF with profile", 2.5, 6.0);
	check_chart(without, "CMYK TIFF, no profile", 2.5, 6.0);
	g_object_unref(cmyk);
	g_object_unref(ref);
}

/* Renders the generator's cloth on a white sheet with WARMTH into a lossless PNG in DIR. */
static char *
render_scene(const char *dir, double warmth, VipsImage **image, VipsImage **mask)
{
	LrSynthSpec spec;
	lr_synth_spec_default(&spec, 1200, 900);
	spec.background = LR_SYNTH_WHITE_SHEET;
	spec.warmth = warmth;
	spec.seed = 4242;
	g_assert_cmpint(lr_synth_render(&spec, image, mask), ==, 0);
	char *path = g_strdup_printf("%s/scene-%.2f.png", dir, warmth);
	g_assert_cmpint(vips_pngsave(*image, path, NULL), ==, 0);
	return path;
}

/* Mean Lab of IMAGE where MASK < 128 (the background). */
static void
background_lab(VipsImage *image, VipsImage *mask, double lab[3])
{
	VipsImage *l, *bg, *sel;
	g_assert_cmpint(vips_colourspace(image, &l, VIPS_INTERPRETATION_LAB, "source_space",
					 VIPS_INTERPRETATION_sRGB, NULL),
			==, 0);
	g_assert_cmpint(vips_less_const1(mask, &bg, 128, NULL), ==, 0);
	double n;
	g_assert_cmpint(vips_avg(bg, &n, NULL), ==, 0); /* 0..255 share of background */
	g_assert_cmpfloat(n, >, 255 * 0.2);
	for (int c = 0; c < 3; c++) {
		VipsImage *band, *zero;
		g_assert_cmpint(vips_extract_band(l, &band, c, NULL), ==, 0);
		g_assert_cmpint(vips_ifthenelse(bg, band, (zero = vips_image_new_from_image1(band, 0)),
						&sel, NULL),
				==, 0);
		double sum;
		g_assert_cmpint(vips_avg(sel, &sum, NULL), ==, 0);
		lab[c] = sum * 255 / n;
		g_object_unref(band);
		g_object_unref(zero);
		g_object_unref(sel);
	}
	g_object_unref(l);
	g_object_unref(bg);
}

/* A strong tungsten cast: the sheet ends as neutral as in the daylight rendering, and the report says
 * what was done. The daylight rendering itself is left alone. */
static void
test_white_balance(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	VipsImage *day, *day_mask, *warm, *warm_mask;
	g_autofree char *day_path = render_scene(dir, 0, &day, &day_mask);
	g_autofree char *warm_path = render_scene(dir, 1, &warm, &warm_mask);
	double lab_day[3], lab_warm[3], lab_fixed[3];
	background_lab(day, day_mask, lab_day);
	background_lab(warm, warm_mask, lab_warm);

	LrContext *d = lr_test_run(day_path, "normalize", FALSE);
	double mean, max;
	delta_e(d->normalized, day, &mean, &max);
	g_test_message("daylight scene: wb %s (%s, %.0f mired), exposure %.3f; dE00 to itself mean %.2f",
		       d->light.wb_applied ? "applied" : "not applied", d->light.wb_note,
		       d->light.cast_shift, d->light.exposure_gain, mean);
	g_assert_false(d->light.wb_applied);
	g_assert_cmpfloat(mean, <, 1.0);

	LrContext *w = lr_test_run(warm_path, "normalize", FALSE);
	background_lab(w->normalized, warm_mask, lab_fixed);
	double chroma_day = hypot(lab_day[1], lab_day[2]), chroma_warm = hypot(lab_warm[1], lab_warm[2]),
	       chroma_fixed = hypot(lab_fixed[1], lab_fixed[2]);
	double de = sqrt(pow(lab_fixed[0] - lab_day[0], 2) + pow(lab_fixed[1] - lab_day[1], 2) +
			 pow(lab_fixed[2] - lab_day[2], 2));
	g_test_message("warm scene: cast %.0f K (%.0f mired from daylight, %.1f deg off the line, "
		       "neutral share %.2f), gains %.3f %.3f %.3f, exposure %.3f (%s)",
		       1e6 / w->light.cast_mired, w->light.cast_shift, w->light.cast_angle,
		       w->light.neutral_share, w->light.wb_gain[0], w->light.wb_gain[1],
		       w->light.wb_gain[2], w->light.exposure_gain, w->light.exposure_note);
	g_test_message("sheet chroma: daylight %.1f, warm %.1f, corrected %.1f; corrected vs daylight "
		       "sheet dE76 %.1f",
		       chroma_day, chroma_warm, chroma_fixed, de);
	g_assert_true(w->light.wb_applied);
	g_assert_cmpfloat(w->light.cast_shift, >, 40);	 /* warm */
	g_assert_cmpfloat(chroma_warm, >, 15);	 /* the cast was real */
	g_assert_cmpfloat(chroma_fixed, <, chroma_day + 3); /* and is gone */
	g_assert_cmpfloat(de, <, 6);
	for (int c = 0; c < 3; c++) /* within the declared bound */
		g_assert_cmpfloat(fabs(log(w->light.wb_gain[c])), <=, log(2.5) + 1e-6);
	lr_context_free(d);
	lr_context_free(w);
	g_object_unref(day);
	g_object_unref(day_mask);
	g_object_unref(warm);
	g_object_unref(warm_mask);
}

/* A frame filled with a red saree with gold stripes and checks: colourful content, not a cast. */
static void
test_saree_left_alone(void)
{
	int w = 900, h = 1200;
	guchar *buf = g_malloc(w * h * 3);
	static const guchar red[3] = { 178, 24, 38 }, maroon[3] = { 110, 12, 30 },
			    gold[3] = { 214, 164, 52 };
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			/* Body red with a maroon check, a wide gold border at the bottom, and the
			 * over-under of the weave as a +-6 level texture. */
			const guchar *c = y > h * 0.8 ? gold : ((x / 40 + y / 40) % 5 == 0 ? maroon : red);
			int weave = ((x + y) & 1) ? 6 : -6;
			for (int k = 0; k < 3; k++)
				buf[3 * (y * w + x) + k] = (guchar)CLAMP(c[k] + weave, 0, 255);
		}
	VipsImage *saree = vips_image_new_from_memory_copy(buf, w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
	g_free(buf);
	saree->Type = VIPS_INTERPRETATION_sRGB;
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "saree.png", NULL);
	g_assert_cmpint(vips_pngsave(saree, path, NULL), ==, 0);
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	double mean, max;
	delta_e(ctx->normalized, saree, &mean, &max);
	g_test_message("saree: wb %s (%s; cast %.0f mired, %.1f deg, neutral share %.2f), exposure "
		       "%.3f; dE00 to itself mean %.2f max %.2f",
		       ctx->light.wb_applied ? "applied" : "not applied", ctx->light.wb_note,
		       ctx->light.cast_shift, ctx->light.cast_angle, ctx->light.neutral_share,
		       ctx->light.exposure_gain, mean, max);
	g_assert_false(ctx->light.wb_applied);
	g_assert_cmpfloat(ctx->light.exposure_gain, <, 1.04);
	g_assert_cmpfloat(mean, <, 1.0);
	lr_context_free(ctx);
	g_object_unref(saree);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/colour/display-p3", test_display_p3);
	g_test_add_func("/colour/cmyk", test_cmyk);
	g_test_add_func("/colour/white-balance", test_white_balance);
	g_test_add_func("/colour/saree-left-alone", test_saree_left_alone);
	return g_test_run();
}
