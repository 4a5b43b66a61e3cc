/* test_compose.c: the mask against the generator's ground truth, and the composed master.
 *
 * Ground truth: a generated photo of a product on a plain sheet, whose exact mask the generator gives.
 * The master must have every background pixel exactly 255,255,255, the product spanning 85% of the
 * square frame, centred; a photo whose segmentation is unsure keeps its background and is flagged.
 */
#include "samples/synth.h"
#include "pipeline/load.h"
#include "pipeline/run.h"
#include "tests/testutil.h"

#include <math.h>

static LrContext *
compose_scene(LrSynthBackground background, VipsImage **truth)
{
	LrSynthSpec spec;
	VipsImage *image;
	lr_synth_spec_default(&spec, 2400, 1800);
	spec.background = background;
	spec.centre_x = 0.45;
	g_assert_cmpint(lr_synth_render(&spec, &image, truth), ==, 0);
	LrContext *ctx = lr_test_run_image(image, "compose");
	g_object_unref(image);
	return ctx;
}

static void
test_mask_iou_plain(void)
{
	VipsImage *truth;
	LrContext *ctx = compose_scene(LR_SYNTH_SHEET, &truth);
	double iou = lr_test_iou(ctx->mask, truth);
	g_test_message("IoU on a plain sheet: %.4f (confidence %.2f)", iou,
		       ctx->metrics.mask_confidence);
	g_assert_cmpfloat(iou, >=, 0.9);
	g_object_unref(truth);
	lr_context_free(ctx);
}

/* Pure white background, exact; product spanning 85% of the frame, centred within 2%. */
static void
test_white_background_and_framing(void)
{
	VipsImage *truth;
	LrContext *ctx = compose_scene(LR_SYNTH_SHEET, &truth);
	VipsImage *master = ctx->composed;
	g_assert_true(ctx->background_replaced);
	g_assert_cmpint(master->Xsize, ==, master->Ysize); /* default profile: square */

	/* Where the truth mask is background, away from the product, the master must be exactly
	 * white. "Away" is beyond 1.5% of the product's size: the mask is cut at ~400 px, so its edge
	 * is known to a few analysis pixels, about 1% of the product here. Map the truth into the
	 * frame the same way compose placed the photo. */
	int fw = master->Xsize, fh = master->Ysize;
	int left = ctx->box.left - (fw - ctx->box.width) / 2;
	int top = ctx->box.top - (fh - ctx->box.height) / 2;
	int r = (int)ceil(0.015 * MAX(ctx->box.width, ctx->box.height)), d = 2 * r + 1;
	VipsImage *grown, *framed, *far_bg, *not_white, *bad;
	VipsImage *disc = vips_image_new_matrix(d, d);
	for (int y = 0; y < d; y++)
		for (int x = 0; x < d; x++)
			*VIPS_MATRIX(disc, x, y) = (x - r) * (x - r) + (y - r) * (y - r) <= r * r ? 255 : 128;
	g_assert_cmpint(vips_morph(truth, &grown, disc, VIPS_OPERATION_MORPHOLOGY_DILATE, NULL), ==,
			0);
	g_assert_cmpint(vips_embed(grown, &framed, -left, -top, fw, fh, NULL), ==, 0);
	g_assert_cmpint(vips_equal_const1(framed, &far_bg, 0, NULL), ==, 0);
	g_assert_cmpint(vips_notequal_const1(master, &not_white, 255, NULL), ==, 0);
	VipsImage *any;
	g_assert_cmpint(vips_bandor(not_white, &any, NULL), ==, 0);
	g_assert_cmpint(vips_andimage(any, far_bg, &bad, NULL), ==, 0);
	double max;
	g_assert_cmpint(vips_max(bad, &max, NULL), ==, 0);
	double far_share;
	g_assert_cmpint(vips_avg(far_bg, &far_share, NULL), ==, 0);
	g_test_message("background beyond %d px: %.2f of the frame", r, far_share / 255);
	g_assert_cmpfloat(far_share / 255, >, 0.2); /* the check covered a real area */
	g_assert_cmpfloat(max, ==, 0);

	/* Fill and centring from the master itself: the box of non-white pixels. */
	int l, t, w, h;
	VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
	g_assert_cmpint(vips_find_trim(master, &l, &t, &w, &h, "background", white, "threshold", 0.5,
				       NULL),
			==, 0);
	vips_area_unref(VIPS_AREA(white));
	double fill = (double)MAX(w, h) / fw;
	double dx = fabs(l + w / 2.0 - fw / 2.0) / fw, dy = fabs(t + h / 2.0 - fh / 2.0) / fh;
	g_test_message("fill %.3f, centre offset %.3f, %.3f", fill, dx, dy);
	g_assert_cmpfloat(fabs(fill - 0.85), <=, 0.02);
	g_assert_cmpfloat(dx, <=, 0.02);
	g_assert_cmpfloat(dy, <=, 0.02);

	VIPS_UNREF(disc);
	VIPS_UNREF(grown);
	VIPS_UNREF(framed);
	VIPS_UNREF(far_bg);
	VIPS_UNREF(not_white);
	VIPS_UNREF(any);
	VIPS_UNREF(bad);
	g_object_unref(truth);
	lr_context_free(ctx);
}

/* A profile that trusts no segmentation: the background is kept and the photo flagged. */
static void
test_background_uncertain(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *ini = g_build_filename(dir, "strict.ini", NULL);
	g_assert_true(g_file_set_contents(ini,
					  "[profile]\nname = strict\n"
					  "[compose]\nmin_confidence = 1.0\n"
					  "[renditions]\nsizes = 500\nformats = jpeg\n",
					  -1, NULL));
	GError *error = NULL;
	LrProfile *strict = lr_profile_load(ini, &error);
	g_assert_no_error(error);

	LrSynthSpec spec;
	VipsImage *image, *truth;
	lr_synth_spec_default(&spec, 1600, 1200);
	g_assert_cmpint(lr_synth_render(&spec, &image, &truth), ==, 0);
	g_autofree char *path = g_build_filename(dir, "in.jpg", NULL);
	g_assert_cmpint(vips_jpegsave(image, path, "Q", 95, NULL), ==, 0);

	/* Run the stages by hand with the strict profile. */
	char *data;
	gsize length;
	g_assert_true(g_file_get_contents(path, &data, &length, NULL));
	LrContext *ctx = lr_context_new(path, strict);
	g_assert_cmpint(lr_load_bytes(ctx, data, length), ==, 0);
	g_free(data);
	g_assert_cmpint(lr_run_stages(ctx), ==, 0);
	g_assert_false(ctx->background_replaced);
	g_assert_cmpstr(ctx->status, ==, "needs_review");
	gboolean flagged = FALSE;
	for (guint i = 0; i < ctx->reasons->len; i++)
		flagged |= !g_strcmp0(g_array_index(ctx->reasons, LrReason, i).code,
				      "background_uncertain");
	g_assert_true(flagged);
	/* The whole photo is kept: the sheet at the middle of the left edge is not pure white. */
	double corner[3] = { 0 };
	double *pixel;
	int n;
	g_assert_cmpint(vips_getpoint(ctx->composed, &pixel, &n, 2, ctx->composed->Ysize / 2, NULL), ==, 0);
	for (int i = 0; i < n && i < 3; i++)
		corner[i] = pixel[i];
	g_free(pixel);
	g_assert_true(corner[0] < 255 || corner[1] < 255 || corner[2] < 255);

	lr_context_free(ctx);
	lr_profile_free(strict);
	g_object_unref(image);
	g_object_unref(truth);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/compose/mask-iou-plain", test_mask_iou_plain);
	g_test_add_func("/compose/white-background-and-framing", test_white_background_and_framing);
	g_test_add_func("/compose/background-uncertain", test_background_uncertain);
	return g_test_run();
}
