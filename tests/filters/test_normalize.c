/* test_normalize.c: the normalize stage brings every photo upright, in sRGB, 8-bit, with no metadata.
 *
 * Ground truth: generated photos stored with each EXIF orientation (their upright pixels are known), and
 * the real-world orientation set, where every Landscape_N must look like Landscape_1 once oriented.
 */
#include "filters/area.h"
#include "pipeline/load.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <math.h>
#include <string.h>

static void
assert_clean_srgb(VipsImage *image)
{
	g_assert_cmpint(image->Bands, ==, 3);
	g_assert_cmpint(image->BandFmt, ==, VIPS_FORMAT_UCHAR);
	g_assert_cmpint(image->Type, ==, VIPS_INTERPRETATION_sRGB);
	g_assert_false(vips_image_get_typeof(image, VIPS_META_EXIF_NAME));
	g_assert_false(vips_image_get_typeof(image, VIPS_META_XMP_NAME));
	g_assert_false(vips_image_get_typeof(image, VIPS_META_ICC_NAME));
	g_assert_false(vips_image_get_typeof(image, VIPS_META_ORIENTATION));
}

/* Every EXIF orientation on a generated photo: stored transformed, normalized back to upright. */
static void
test_generated_orientations(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask;
	g_autofree char *dir = lr_test_tmpdir();

	lr_synth_spec_default(&spec, 480, 320);
	spec.centre_x = 0.4; /* off-centre so that a mirror or a wrong turn shows */
	g_assert_cmpint(lr_synth_render(&spec, &upright, &mask), ==, 0);
	for (int o = 1; o <= 8; o++) {
		g_autofree char *path = g_strdup_printf("%s/o%d.jpg", dir, o);
		g_assert_cmpint(lr_synth_save_jpeg(upright, o, FALSE, 95, path), ==, 0);
		LrContext *ctx = lr_test_run(path, "normalize", FALSE);
		g_assert_cmpint(ctx->orientation, ==, o);
		double mad = lr_test_mad(ctx->normalized, upright);
		g_test_message("orientation %d: mean abs difference %.2f", o, mad);
		g_assert_cmpfloat(mad, >=, 0);
		g_assert_cmpfloat(mad, <, 4);
		assert_clean_srgb(ctx->normalized);
		lr_context_free(ctx);
	}
	g_object_unref(upright);
	g_object_unref(mask);
}

/* A photo larger than the view: the view is reduced from the photo as stored and turned upright after;
 * for every orientation it must match the upright photo reduced to the same size. */
static void
test_view_orientations(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask;
	g_autofree char *dir = lr_test_tmpdir();

	lr_synth_spec_default(&spec, 3000, 2000);
	spec.centre_x = 0.4;
	g_assert_cmpint(lr_synth_render(&spec, &upright, &mask), ==, 0);
	for (int o = 1; o <= 8; o++) {
		g_autofree char *path = g_strdup_printf("%s/v%d.jpg", dir, o);
		g_assert_cmpint(lr_synth_save_jpeg(upright, o, FALSE, 95, path), ==, 0);
		LrContext *ctx = lr_test_run(path, "normalize", FALSE);
		VipsImage *expected;
		g_assert_cmpint(ctx->view->Xsize, ==, 2000);
		g_assert_cmpint(ctx->view->Ysize, ==, 1333);
		g_assert_cmpint(vips_resize(upright, &expected,
					    (double)ctx->view->Xsize / upright->Xsize, "vscale",
					    (double)ctx->view->Ysize / upright->Ysize, NULL),
				==, 0);
		double mad = lr_test_mad(ctx->view, expected);
		g_test_message("orientation %d: view's mean abs difference %.2f", o, mad);
		g_assert_cmpfloat(mad, >=, 0);
		g_assert_cmpfloat(mad, <, 4);
		g_object_unref(expected);
		lr_context_free(ctx);
	}
	g_object_unref(upright);
	g_object_unref(mask);
}

/* Areas of the photo, read for measuring (reduced, then coloured) and for output pixels (linear light),
 * are read where they lie in the photo as stored and turned upright after: for every orientation they
 * must match the same areas of the upright photo, with the same placement. */
static void
test_area_orientations(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask;
	g_autofree char *dir = lr_test_tmpdir();
	const LrRect area = { 700, 300, 1500, 1100 }; /* off-centre: a wrong turn reads elsewhere */
	VipsImage *ref[2] = { NULL, NULL };
	LrPlacement ref_at[2];

	lr_synth_spec_default(&spec, 3000, 2000);
	spec.centre_x = 0.4;
	g_assert_cmpint(lr_synth_render(&spec, &upright, &mask), ==, 0);
	for (int o = 1; o <= 8; o++) {
		g_autofree char *path = g_strdup_printf("%s/a%d.jpg", dir, o);
		g_assert_cmpint(lr_synth_save_jpeg(upright, o, FALSE, 95, path), ==, 0);
		LrContext *ctx = lr_test_run(path, "normalize", FALSE);
		for (int linear = 0; linear < 2; linear++) {
			VipsImage *got;
			LrPlacement at;
			g_assert_cmpint(lr_normalize_area(ctx, &area, 0.6, linear, &got, &at), ==, 0);
			g_assert_cmpint(got->Xsize, ==, 900);
			g_assert_cmpint(got->Ysize, ==, 660);
			if (o == 1) {
				ref[linear] = got;
				ref_at[linear] = at;
				continue;
			}
			double mad = lr_test_mad(got, ref[linear]);
			g_test_message("orientation %d, linear %d: mean abs difference %.2f", o,
				       linear, mad);
			g_assert_cmpfloat(mad, >=, 0);
			g_assert_cmpfloat(mad, <, 1.5);
			g_assert_cmpfloat(fabs(at.left - ref_at[linear].left), <, 1e-9);
			g_assert_cmpfloat(fabs(at.top - ref_at[linear].top), <, 1e-9);
			g_assert_cmpfloat(fabs(at.scale_x - ref_at[linear].scale_x), <, 1e-9);
			g_assert_cmpfloat(fabs(at.scale_y - ref_at[linear].scale_y), <, 1e-9);
			g_object_unref(got);
		}
		lr_context_free(ctx);
	}
	g_object_unref(ref[0]);
	g_object_unref(ref[1]);
	g_object_unref(upright);
	g_object_unref(mask);
}

/* A photo larger than the view with an embedded profile (Display P3, as iPhones write): the view, reduced
 * from the photo as stored, is converted through that profile like every other read, so it matches the
 * sRGB original and not its P3 values read as sRGB. */
static void
test_view_icc(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask, *p3, *stored;
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "p3.jpg", NULL);

	lr_synth_spec_default(&spec, 3000, 2000);
	g_assert_cmpint(lr_synth_render(&spec, &upright, &mask), ==, 0);
	g_assert_cmpint(vips_icc_transform(upright, &p3, "p3", "input_profile", "srgb", "embedded",
					   FALSE, "intent", VIPS_INTENT_RELATIVE, NULL),
			==, 0);
	g_assert_cmpint(lr_synth_unorient(p3, 6, &stored), ==, 0);
	vips_image_set_int(stored, VIPS_META_ORIENTATION, 6);
	g_assert_cmpint(vips_jpegsave(stored, path, "Q", 95, NULL), ==, 0);
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	VipsImage *expected, *unconverted;
	double kx = (double)ctx->view->Xsize / upright->Xsize, ky = (double)ctx->view->Ysize / upright->Ysize;
	g_assert_cmpint(vips_resize(upright, &expected, kx, "vscale", ky, NULL), ==, 0);
	g_assert_cmpint(vips_resize(p3, &unconverted, kx, "vscale", ky, NULL), ==, 0);
	double right = lr_test_mad(ctx->view, expected), wrong = lr_test_mad(ctx->view, unconverted);
	g_test_message("P3 view: against the sRGB original %.2f, against its P3 values %.2f", right,
		       wrong);
	g_assert_cmpfloat(right, >=, 0);
	g_assert_cmpfloat(right, <, 2.5);
	g_assert_cmpfloat(right, <, wrong - 0.5);
	g_object_unref(expected);
	g_object_unref(unconverted);
	g_object_unref(stored);
	g_object_unref(p3);
	g_object_unref(upright);
	g_object_unref(mask);
	lr_context_free(ctx);
}

/* The real-world set: Landscape_0 (invalid value) .. Landscape_8 all match Landscape_1. */
static void
test_realworld_orientations(void)
{
	g_autofree char *ref_path = lr_test_realworld("orientation/Landscape_1.jpg");
	LrContext *ref = lr_test_run(ref_path, "normalize", FALSE);
	g_assert_cmpint(ref->normalized->Xsize, ==, 1800);
	g_assert_cmpint(ref->normalized->Ysize, ==, 1200);
	for (int o = 0; o <= 8; o++) {
		g_autofree char *name = g_strdup_printf("orientation/Landscape_%d.jpg", o);
		g_autofree char *path = lr_test_realworld(name);
		LrContext *ctx = lr_test_run(path, "normalize", FALSE);
		double mad = lr_test_mad(ctx->normalized, ref->normalized);
		g_test_message("Landscape_%d: orientation %d, mean abs difference %.2f", o,
			       ctx->orientation, mad);
		g_assert_cmpint(ctx->orientation, ==, o == 0 ? 1 : o);
		g_assert_cmpfloat(mad, >=, 0);
		g_assert_cmpfloat(mad, <, 4);
		assert_clean_srgb(ctx->normalized);
		lr_context_free(ctx);
	}
	lr_context_free(ref);
}

/* 16-bit, palette, alpha, CMYK and ICC-tagged files all come out 8-bit sRGB with 3 bands. */
static void
test_realworld_colour_formats(void)
{
	static const char *const files[] = {
		"formats/libvips/sample.png",  /* 16-bit RGB */
		"formats/libvips/indexed.png", /* palette */
		"formats/libvips/rgba.png",    /* alpha */
		"formats/pillow/pil_sample_cmyk.jpg",
		"formats/libvips/sample.jpg", /* ICC profile */
	};
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = lr_test_realworld(files[i]);
		LrContext *ctx = lr_test_run(path, "normalize", FALSE);
		g_test_message("%s: %s %dx%d icc=%s", files[i], ctx->format, ctx->source_width,
			       ctx->source_height, ctx->icc ? ctx->icc : "none");
		assert_clean_srgb(ctx->normalized);
		lr_context_free(ctx);
	}
}

/* A profile-tagged file: the ICC conversion really happens (the result differs from ignoring it). */
static void
test_icc_applied(void)
{
	g_autofree char *path = lr_test_realworld("formats/libvips/sample-xyb.jpg");
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	g_assert_nonnull(ctx->icc);
	VipsImage *raw = vips_image_new_from_file(path, NULL);
	g_assert_nonnull(raw);
	VipsImage *raw3;
	g_assert_cmpint(vips_extract_band(raw, &raw3, 0, "n", 3, NULL), ==, 0);
	/* XYB pixels read as if they were sRGB are far off: the conversion must move them a lot. */
	double mad = lr_test_mad(ctx->normalized, raw3);
	g_test_message("XYB vs raw: %.1f", mad);
	g_assert_cmpfloat(mad, >, 10);
	g_object_unref(raw);
	g_object_unref(raw3);
	lr_context_free(ctx);
}

/* A PNG whose orientation (3) is only in ImageMagick's "Raw profile type exif" text chunk comes out
 * upright: the normalized image is the stored pixels turned 180 degrees. */
static void
test_png_text_orientation(void)
{
	g_autofree char *path = lr_test_realworld("formats/pillow/exif_imagemagick_orientation.png");
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	g_assert_cmpint(ctx->orientation, ==, 3);
	VipsImage *raw = vips_image_new_from_file(path, NULL), *turned;
	g_assert_cmpint(vips_rot(raw, &turned, VIPS_ANGLE_D180, NULL), ==, 0);
	double right = lr_test_mad(ctx->normalized, turned), wrong = lr_test_mad(ctx->normalized, raw);
	g_test_message("imagemagick PNG: vs turned %.2f, vs as stored %.2f", right, wrong);
	g_assert_cmpfloat(right, <, 2);
	g_assert_cmpfloat(wrong, >, 10);
	assert_clean_srgb(ctx->normalized);
	g_object_unref(raw);
	g_object_unref(turned);
	lr_context_free(ctx);
}

/* Decoder texts become a curator's reasons. */
static void
test_error_messages(void)
{
	static const struct {
		const char *format, *detail, *code, *words;
	} cases[] = {
		{ "jpeg", "VipsJpeg: Unsupported JPEG data precision 12", "unsupported_format",
		  "12-bit JPEG is not supported" },
		{ "jpeg", "VipsJpeg: Premature end of input file", "truncated", "ends early" },
		{ "heif",
		  "heif: Memory allocation error: Security limit exceeded: Image size 17000x17000 "
		  "exceeds the maximum image size 16384x16384",
		  "too_many_pixels", "safety limit" },
		{ "heif", "heif: Invalid input: Unspecified: Too many auxiliary image references",
		  "unsupported_format", "cannot read" },
		{ "png", "vipspng: IHDR: CRC error", "unreadable", "checksum" },
		{ "png", "pngload: libpng read error", "truncated", "ends early" },
		{ "jpeg", "VipsJpeg: Not a JPEG file: starts with 0x89 0x50", "unreadable", "not a valid" },
		{ "gif", "something nobody has seen", "unreadable", "damaged" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *message = NULL;
		const char *code = lr_load_explain_error(cases[i].format, cases[i].detail, FALSE,
							 &message);
		g_test_message("%s -> %s: %s", cases[i].detail, code, message);
		g_assert_cmpstr(code, ==, cases[i].code);
		g_assert_nonnull(strstr(message, cases[i].words));
		g_assert_null(strstr(message, "Vips"));
	}
}

/* The decode-time limit: a large PNG (slow to inflate) with a limit far below its decode time is
 * quarantined with a message naming the limit; the same file decodes without the limit. */
static void
test_decode_time_limit(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *png = g_build_filename(dir, "big.png", NULL);
	g_autofree char *ini = g_build_filename(dir, "slow.ini", NULL);
	VipsImage *noise;
	g_assert_cmpint(vips_gaussnoise(&noise, 3000, 3000, "mean", 128.0, "sigma", 40.0, NULL), ==,
			0);
	VipsImage *u8;
	g_assert_cmpint(vips_cast_uchar(noise, &u8, NULL), ==, 0);
	g_assert_cmpint(vips_pngsave(u8, png, "compression", 1, NULL), ==, 0);
	g_assert_true(g_file_set_contents(ini, "[limits]\nmax_decode_seconds = 0.000001\n", -1, NULL));
	GError *error = NULL;
	LrProfile *slow = lr_profile_load(ini, &error);
	g_assert_no_error(error);
	g_autofree char *data = NULL;
	gsize length;
	g_assert_true(g_file_get_contents(png, &data, &length, NULL));
	LrContext *ctx = lr_context_new(png, slow);
	g_assert_cmpint(lr_load_bytes(ctx, data, length), ==, -1);
	g_test_message("%s: %s", ctx->error_code, ctx->error);
	g_assert_cmpstr(ctx->error_code, ==, "unreadable");
	g_assert_nonnull(strstr(ctx->error, "longer than"));
	lr_context_free(ctx);
	ctx = lr_context_new(png, lr_test_profile());
	g_assert_cmpint(lr_load_bytes(ctx, data, length), ==, 0);
	lr_context_free(ctx);
	lr_profile_free(slow);
	g_object_unref(noise);
	g_object_unref(u8);
}

/* A correctly balanced real photo whose subject is warm (a man in a golden field) is not "corrected":
 * a golden scene is not a tungsten cast. */
static void
test_warm_subject_left_alone(void)
{
	g_autofree char *path = lr_test_realworld("formats/libvips/sample.jpg");
	LrContext *ctx = lr_test_run(path, "normalize", FALSE);
	g_test_message("white balance: %s", ctx->light.wb_note);
	g_assert_false(ctx->light.wb_applied);
	lr_context_free(ctx);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/normalize/generated-orientations", test_generated_orientations);
	g_test_add_func("/normalize/view-orientations", test_view_orientations);
	g_test_add_func("/normalize/view-icc", test_view_icc);
	g_test_add_func("/normalize/area-orientations", test_area_orientations);
	g_test_add_func("/normalize/realworld-orientations", test_realworld_orientations);
	g_test_add_func("/normalize/realworld-colour-formats", test_realworld_colour_formats);
	g_test_add_func("/normalize/icc-applied", test_icc_applied);
	g_test_add_func("/normalize/png-text-orientation", test_png_text_orientation);
	g_test_add_func("/normalize/error-messages", test_error_messages);
	g_test_add_func("/normalize/decode-time-limit", test_decode_time_limit);
	g_test_add_func("/normalize/warm-subject-left-alone", test_warm_subject_left_alone);
	return g_test_run();
}
