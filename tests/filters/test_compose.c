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
#include "filters/filter.h"

#include <math.h>
#include <string.h>

static LrContext *
compose_scene(LrSynthBackground background, int width, int height, VipsImage **truth)
{
	LrSynthSpec spec;
	VipsImage *image;
	lr_synth_spec_default(&spec, width, height);
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
	LrContext *ctx = compose_scene(LR_SYNTH_SHEET, 2400, 1800, &truth);
	VipsImage *mask = lr_test_full_mask(ctx, NULL);
	double iou = lr_test_iou(mask, truth);
	g_object_unref(mask);
	g_test_message("IoU on a plain sheet: %.4f (confidence %.2f)", iou,
		       ctx->metrics.mask_confidence);
	g_assert_cmpfloat(iou, >=, 0.9);
	g_object_unref(truth);
	lr_context_free(ctx);
}

/* Pure white background, exact; product spanning 85% of the frame, centred within 2%; the master at
 * the largest rendition's size (2000 px for the default profile) or the source's own when smaller. */
static void
check_white_background_and_framing(int width, int height)
{
	VipsImage *truth;
	LrContext *ctx = compose_scene(LR_SYNTH_SHEET, width, height, &truth);
	VipsImage *master = ctx->composed;
	g_assert_true(ctx->background_replaced);
	g_assert_cmpint(master->Xsize, ==, master->Ysize); /* default profile: square */
	/* The frame in source pixels, as compose makes it, and the master's scale. */
	int side = (int)ceil(MAX(ctx->box.width, ctx->box.height) / 0.85);
	double scale = (double)master->Xsize / side;
	g_test_message("%dx%d: frame %d px in the source, master %d px", width, height, side,
		       master->Xsize);
	g_assert_cmpint(abs(master->Xsize - MIN(side, 2000)), <=, 1);

	/* Where the truth mask is background, away from the product, the master must be exactly
	 * white. "Away" is beyond 1.5% of the product's size: the mask is cut at ~400 px, so its edge
	 * is known to a few analysis pixels, about 1% of the product here. Map the truth into the
	 * frame the same way compose placed the photo (at the master's scale). */
	int fw = master->Xsize, fh = master->Ysize;
	int left = (int)lround((ctx->box.left - (side - ctx->box.width) / 2) * scale);
	int top = (int)lround((ctx->box.top - (side - ctx->box.height) / 2) * scale);
	int r = (int)ceil(0.015 * MAX(ctx->box.width, ctx->box.height) * scale) + 1, d = 2 * r + 1;
	VipsImage *scaled, *grown, *framed, *far_bg, *not_white, *bad;
	VipsImage *disc = vips_image_new_matrix(d, d);
	for (int y = 0; y < d; y++)
		for (int x = 0; x < d; x++)
			*VIPS_MATRIX(disc, x, y) = (x - r) * (x - r) + (y - r) * (y - r) <= r * r ? 255 : 128;
	/* Any coverage at all counts as product once scaled: the dilation starts from it. */
	g_assert_cmpint(vips_resize(truth, &scaled, scale, "kernel", VIPS_KERNEL_LINEAR, NULL), ==, 0);
	VipsImage *covered;
	g_assert_cmpint(vips_moreeq_const1(scaled, &covered, 1, NULL), ==, 0);
	g_assert_cmpint(vips_morph(covered, &grown, disc, VIPS_OPERATION_MORPHOLOGY_DILATE, NULL), ==,
			0);
	g_assert_cmpint(vips_embed(grown, &framed, -left, -top, fw, fh, NULL), ==, 0);
	VIPS_UNREF(scaled);
	VIPS_UNREF(covered);
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

static void
test_white_background_and_framing(void)
{
	check_white_background_and_framing(2400, 1800);
}

/* A 12 MP photo: the master is made at 2000 px from the frame's area, not at the source's size. */
static void
test_white_background_and_framing_scaled(void)
{
	check_white_background_and_framing(4000, 3000);
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
	g_assert_true(lr_test_has_reason(ctx, "background_uncertain"));
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

/* Runs SPEC through the stages up to compose with the profile whose key file text is INI; *SCALE (if
 * not NULL) receives the scale of the decoded photo compose starts from. */
static LrContext *
compose_with(const LrSynthSpec *spec, const char *ini_text, VipsImage **truth, LrProfile **out,
	     double *scale)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *ini = g_build_filename(dir, "p.ini", NULL);
	g_assert_true(g_file_set_contents(ini, ini_text, -1, NULL));
	GError *error = NULL;
	LrProfile *profile = lr_profile_load(ini, &error);
	g_assert_no_error(error);
	VipsImage *image;
	g_assert_cmpint(lr_synth_render(spec, &image, truth), ==, 0);
	g_autofree char *path = g_build_filename(dir, "in.jpg", NULL);
	g_assert_cmpint(vips_jpegsave(image, path, "Q", 95, NULL), ==, 0);
	g_object_unref(image);
	char *data;
	gsize length;
	g_assert_true(g_file_get_contents(path, &data, &length, NULL));
	LrContext *ctx = lr_context_new(path, profile);
	g_assert_cmpint(lr_load_bytes(ctx, data, length), ==, 0);
	g_free(data);
	for (int i = 0; lr_filter_order[i]; i++) {
		gboolean last = !strcmp(lr_filter_order[i]->name, "compose");
		if (last && scale)
			*scale = ctx->image_scale;
		g_assert_cmpint(lr_filter_order[i]->process(ctx), ==, 0);
		if (last)
			break;
	}
	*out = profile; /* it must outlive the context: the caller frees it after */
	return ctx;
}

/* Mean colour of IMAGE (3 bands, memory) over the pixels within R of (X, Y) where MASK is WANT. */
static gboolean
local_mean(VipsImage *image, VipsImage *mask, int x, int y, int r, gboolean want, double *c)
{
	double n = 0;
	c[0] = c[1] = c[2] = 0;
	for (int yy = MAX(0, y - r); yy <= MIN(image->Ysize - 1, y + r); yy += 2)
		for (int xx = MAX(0, x - r); xx <= MIN(image->Xsize - 1, x + r); xx += 2) {
			int m = *VIPS_IMAGE_ADDR(mask, xx, yy);
			if (want ? m != 255 : m != 0)
				continue;
			const guchar *p = VIPS_IMAGE_ADDR(image, xx, yy);
			for (int k = 0; k < 3; k++)
				c[k] += p[k];
			n++;
		}
	for (int k = 0; k < 3; k++)
		c[k] /= MAX(n, 1);
	return n > 0;
}

/* No halo: a dark bowl on a wooden table (grain lines as dark as the bowl beside its edge). In the soft
 * edge band of the master, the colour that was blended onto the white, F = (out - (1 - a) 255) / a, must
 * be closer to the bowl's colour nearby than to the old wood's, at nearly every band pixel. The same
 * measure on a naive blend of the photo's own colours fails, which is what makes this test able to. */
static void
test_no_halo(void)
{
	LrSynthSpec spec;
	VipsImage *truth;
	LrProfile *profile;
	lr_synth_spec_default(&spec, 2000, 1500);
	spec.product = LR_SYNTH_BOWL;
	spec.background = LR_SYNTH_WOOD;
	spec.product_size = 0.72;
	spec.centre_y = 0.52;
	spec.seed = 202;
	LrContext *ctx = compose_with(&spec,
				      "[profile]\nname = t\n[renditions]\nsizes = 2000\nformats = jpeg\n",
				      &truth, &profile, NULL);
	g_assert_true(ctx->background_replaced);
	VipsImage *in, *mask = lr_test_full_mask(ctx, &in), *master = ctx->composed;
	VipsImage *tm = vips_image_copy_memory(truth);
	int fw = master->Xsize, fh = master->Ysize;
	int left = ctx->box.left - (fw - ctx->box.width) / 2;
	int top = ctx->box.top - (fh - ctx->box.height) / 2;
	long n = 0, good = 0, naive_good = 0;
	for (int y = 0; y < in->Ysize; y += 3)
		for (int x = 0; x < in->Xsize; x += 3) {
			int a = *VIPS_IMAGE_ADDR(mask, x, y);
			int fx = x - left, fy = y - top;
			double pc[3], bc[3];
			if (a < 64 || a > 224 || fx < 0 || fy < 0 || fx >= fw || fy >= fh)
				continue;
			if (!local_mean(in, tm, x, y, 24, TRUE, pc) ||
			    !local_mean(in, tm, x, y, 24, FALSE, bc))
				continue;
			const guchar *o = VIPS_IMAGE_ADDR(master, fx, fy);
			const guchar *p = VIPS_IMAGE_ADDR(in, x, y);
			double dp = 0, db = 0, np = 0, nb = 0;
			for (int k = 0; k < 3; k++) {
				double f = (o[k] - (1 - a / 255.0) * 255) / (a / 255.0);
				dp += (f - pc[k]) * (f - pc[k]);
				db += (f - bc[k]) * (f - bc[k]);
				np += (p[k] - pc[k]) * (p[k] - pc[k]);
				nb += (p[k] - bc[k]) * (p[k] - bc[k]);
			}
			n++;
			good += dp < db;
			naive_good += np < nb;
		}
	g_test_message("edge band: %ld px, product-coloured %.3f (naive blend %.3f)", n,
		       (double)good / n, (double)naive_good / n);
	g_assert_cmpint(n, >, 100);
	g_assert_cmpfloat((double)good / n, >=, 0.85);
	g_object_unref(in);
	g_object_unref(mask);
	g_object_unref(tm);
	g_object_unref(truth);
	lr_context_free(ctx);
	lr_profile_free(profile);
}

/* A grey 3:4 profile with a shadow (as Myntra's): the frame is 3:4, the product spans the profile's
 * fill within 2% and is centred, the background far from the product is exactly the profile's grey, and
 * just under the product it is darker (the shadow). */
static void
test_grey_shadow_aspect(void)
{
	LrSynthSpec spec;
	VipsImage *truth;
	LrProfile *profile;
	lr_synth_spec_default(&spec, 1600, 1200);
	spec.product = LR_SYNTH_BOWL;
	spec.product_size = 0.6;
	LrContext *ctx = compose_with(&spec,
				      "[profile]\nname = grey\n[compose]\nbackground = #F2F2F2\n"
				      "aspect = 3:4\nfill = 0.8\nshadow = 0.8\n"
				      "[renditions]\nsizes = 2000\nformats = jpeg\n",
				      &truth, &profile, NULL);
	g_assert_true(ctx->background_replaced);
	VipsImage *m = ctx->composed;
	g_assert_cmpint(m->Bands, ==, 3);
	g_assert_cmpfloat(fabs((double)m->Xsize / m->Ysize - 0.75), <, 0.01);
	/* Fill and centring: the product box placed in the frame. */
	int left = ctx->box.left - (m->Xsize - ctx->box.width) / 2;
	int top = ctx->box.top - (m->Ysize - ctx->box.height) / 2;
	double fill = MAX((double)ctx->box.width / m->Xsize, (double)ctx->box.height / m->Ysize);
	double cx = (ctx->box.left - left + ctx->box.width / 2.0) / m->Xsize;
	double cy = (ctx->box.top - top + ctx->box.height / 2.0) / m->Ysize;
	g_test_message("fill %.3f centre %.3f %.3f", fill, cx, cy);
	g_assert_cmpfloat(fabs(fill - 0.8), <=, 0.02);
	g_assert_cmpfloat(fabs(cx - 0.5), <=, 0.02);
	g_assert_cmpfloat(fabs(cy - 0.5), <=, 0.02);
	/* The corners: exactly the profile's grey. */
	for (int c = 0; c < 4; c++) {
		const guchar *p = VIPS_IMAGE_ADDR(m, c & 1 ? m->Xsize - 1 : 0, c & 2 ? m->Ysize - 1 : 0);
		g_assert_cmpint(p[0], ==, 0xF2);
		g_assert_cmpint(p[1], ==, 0xF2);
		g_assert_cmpint(p[2], ==, 0xF2);
	}
	/* Under the product's bottom centre, a little below its edge: shadowed. */
	int bx = ctx->box.left - left + ctx->box.width / 2;
	int by = ctx->box.top - top + ctx->box.height + (int)(0.02 * ctx->box.height);
	g_assert_cmpint(by, <, m->Ysize);
	const guchar *p = VIPS_IMAGE_ADDR(m, bx, by);
	g_test_message("under the product: %d %d %d", p[0], p[1], p[2]);
	g_assert_cmpint(p[1], <, 0xF2 - 8);
	g_object_unref(truth);
	lr_context_free(ctx);
	lr_profile_free(profile);
}

/* Transparent: RGBA, alpha 0 far from the product, 255 inside it, and the colour where alpha is 0 is
 * white (a viewer that drops alpha shows white). */
static void
test_transparent(void)
{
	LrSynthSpec spec;
	VipsImage *truth;
	LrProfile *profile;
	lr_synth_spec_default(&spec, 1600, 1200);
	spec.product = LR_SYNTH_BOWL;
	LrContext *ctx = compose_with(&spec,
				      "[profile]\nname = cut\n[compose]\nbackground = transparent\n"
				      "[renditions]\nsizes = 2000\nformats = jpeg\n",
				      &truth, &profile, NULL);
	g_assert_true(ctx->background_replaced);
	VipsImage *m = ctx->composed;
	g_assert_cmpint(m->Bands, ==, 4);
	const guchar *corner = VIPS_IMAGE_ADDR(m, 0, 0);
	g_assert_cmpint(corner[3], ==, 0);
	g_assert_cmpint(corner[0], ==, 255);
	int left = ctx->box.left - (m->Xsize - ctx->box.width) / 2;
	int top = ctx->box.top - (m->Ysize - ctx->box.height) / 2;
	/* The bowl's body, below its middle, is opaque. */
	const guchar *inside = VIPS_IMAGE_ADDR(m, ctx->box.left - left + ctx->box.width / 2,
					       ctx->box.top - top + 3 * ctx->box.height / 4);
	g_assert_cmpint(inside[3], ==, 255);
	g_object_unref(truth);
	lr_context_free(ctx);
	lr_profile_free(profile);
}

/* A large JPEG is decoded shrunk, one step finer than its view needs when that fits the limit, and
 * then a product spanning enough of the photo is framed from that one decode, with the same master
 * as a full decode gives. Here the view is 1000 px and the limit 8 MP, so a 12 MP photo takes the
 * path a 48 MP one takes by default: decoded at half size (the view alone would need a quarter). */
static void
test_shrunk_decode(void)
{
	LrSynthSpec spec;
	VipsImage *truth;
	LrProfile *p_shrunk, *p_full;
	const char *common = "[normalize]\nview_size = 1000\n[renditions]\nsizes = 1000;500\n"
			     "formats = jpeg\n";
	g_autofree char *shrunk = g_strconcat(common, "[limits]\nfull_decode_max_pixels = 8000000\n",
					      NULL);
	g_autofree char *full = g_strconcat(common, "[limits]\nfull_decode_max_pixels = 50000000\n",
					    NULL);
	double scale_shrunk, scale_full;

	lr_synth_spec_default(&spec, 4000, 3000);
	spec.product = LR_SYNTH_BOWL; /* smooth: libjpeg's scaled decode averages fine weave in gamma */
	/* A large product is framed from the half-size decode; a small one (a fifth of the photo)
	 * needs the photo decoded again, whole. */
	const double sizes[] = { 0.8, 0.2 }, expected[] = { 0.5, 1.0 };
	for (int i = 0; i < 2; i++) {
		spec.product_size = sizes[i];
		LrContext *a = compose_with(&spec, shrunk, &truth, &p_shrunk, &scale_shrunk);
		g_object_unref(truth);
		LrContext *b = compose_with(&spec, full, &truth, &p_full, &scale_full);
		g_object_unref(truth);
		g_assert_cmpfloat(scale_shrunk, ==, expected[i]);
		g_assert_cmpfloat(scale_full, ==, 1.0);
		double mad = lr_test_mad(a->composed, b->composed);
		g_test_message("product %.1f: decoded at %.1f, master %dx%d, mean abs difference "
			       "against a full decode %.2f",
			       sizes[i], scale_shrunk, a->composed->Xsize, a->composed->Ysize, mad);
		g_assert_cmpint(a->composed->Xsize, ==, b->composed->Xsize);
		g_assert_cmpint(a->composed->Ysize, ==, b->composed->Ysize);
		g_assert_cmpfloat(mad, >=, 0);
		g_assert_cmpfloat(mad, <, 1.5);
		lr_context_free(a);
		lr_context_free(b);
		lr_profile_free(p_shrunk);
		lr_profile_free(p_full);
	}
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/compose/mask-iou-plain", test_mask_iou_plain);
	g_test_add_func("/compose/shrunk-decode", test_shrunk_decode);
	g_test_add_func("/compose/white-background-and-framing", test_white_background_and_framing);
	g_test_add_func("/compose/white-background-and-framing-scaled",
			test_white_background_and_framing_scaled);
	g_test_add_func("/compose/background-uncertain", test_background_uncertain);
	g_test_add_func("/compose/no-halo", test_no_halo);
	g_test_add_func("/compose/grey-shadow-aspect", test_grey_shadow_aspect);
	g_test_add_func("/compose/transparent", test_transparent);
	return g_test_run();
}
