/* test_synth.c: unit tests of the sample-photo generator (samples/synth.c).
 *
 * The generator is the ground truth that the pipeline's tests lean on, so its own truth is checked
 * here: a spec renders the same pixels every time, the mask is where and how big the product is,
 * each EXIF orientation is undone exactly by vips_autorot, the saved JPEG carries the phone EXIF it
 * claims, and each degradation moves the measure it is meant to move. Images are small so the run
 * takes seconds.
 */
#include "samples/synth.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define W 480
#define H 360

static void
render_ok(const LrSynthSpec *spec, VipsImage **image, VipsImage **mask)
{
	if (lr_synth_render(spec, image, mask))
		g_error("lr_synth_render: %s", vips_error_buffer());
}

static double
image_avg(VipsImage *im)
{
	double v;

	g_assert_cmpint(vips_avg(im, &v, NULL), ==, 0);
	return v;
}

/* Mean of band B. */
static double
band_avg(VipsImage *im, int b)
{
	VipsImage *x;
	double v;

	g_assert_cmpint(vips_extract_band(im, &x, b, NULL), ==, 0);
	v = image_avg(x);
	g_object_unref(x);
	return v;
}

/* Mean absolute Laplacian of the green band: the high-frequency energy a blur detector looks at. */
static double
laplacian_energy(VipsImage *im)
{
	VipsImage *g, *f, *l, *a, *k;
	double v;

	k = vips_image_new_matrixv(3, 3, 0.0, 1.0, 0.0, 1.0, -4.0, 1.0, 0.0, 1.0, 0.0);
	g_assert_cmpint(vips_extract_band(im, &g, 1, NULL), ==, 0);
	g_assert_cmpint(vips_cast(g, &f, VIPS_FORMAT_FLOAT, NULL), ==, 0);
	g_assert_cmpint(vips_conv(f, &l, k, "precision", VIPS_PRECISION_FLOAT, NULL), ==, 0);
	g_assert_cmpint(vips_abs(l, &a, NULL), ==, 0);
	v = image_avg(a);
	g_object_unref(k), g_object_unref(g), g_object_unref(f), g_object_unref(l),
	    g_object_unref(a);
	return v;
}

/* Asserts that A and B have the same size, bands, format and pixels. */
static void
assert_identical(VipsImage *a, VipsImage *b)
{
	size_t na, nb;
	void *pa, *pb;

	g_assert_cmpint(a->Xsize, ==, b->Xsize);
	g_assert_cmpint(a->Ysize, ==, b->Ysize);
	g_assert_cmpint(a->Bands, ==, b->Bands);
	g_assert_cmpint(a->BandFmt, ==, b->BandFmt);
	pa = vips_image_write_to_memory(a, &na);
	pb = vips_image_write_to_memory(b, &nb);
	g_assert_nonnull(pa);
	g_assert_nonnull(pb);
	g_assert_cmpuint(na, ==, nb);
	g_assert_true(memcmp(pa, pb, na) == 0);
	g_free(pa);
	g_free(pb);
}

static void
test_determinism(void)
{
	static const LrSynthProduct products[] = {LR_SYNTH_TEXTILE, LR_SYNTH_BOWL,
						  LR_SYNTH_TEXTILE};
	static const LrSynthBackground backgrounds[] = {LR_SYNTH_SHEET, LR_SYNTH_WOOD,
							LR_SYNTH_CLUTTER};

	for (int i = 0; i < 3; i++) {
		LrSynthSpec spec;
		VipsImage *i1, *m1, *i2, *m2, *i3, *m3;

		lr_synth_spec_default(&spec, W, H);
		spec.product = products[i];
		spec.background = backgrounds[i];
		spec.blur_sigma = 1.5;
		spec.noise_sigma = 2;
		spec.seed = 42 + i;
		render_ok(&spec, &i1, &m1);
		render_ok(&spec, &i2, &m2);
		assert_identical(i1, i2);
		assert_identical(m1, m2);
		/* and the seed matters */
		spec.seed++;
		render_ok(&spec, &i3, &m3);
		g_assert_cmpfloat(fabs(image_avg(i1) - image_avg(i3)) +
				      fabs(image_avg(m1) - image_avg(m3)),
				  >, 0);
		g_object_unref(i1), g_object_unref(m1), g_object_unref(i2), g_object_unref(m2);
		g_object_unref(i3), g_object_unref(m3);
	}
}

static void
test_mask(void)
{
	for (int product = LR_SYNTH_TEXTILE; product <= LR_SYNTH_BOWL; product++) {
		LrSynthSpec spec;
		VipsImage *image, *mask, *corner;
		double area, covered, min;
		int hist_inside;

		lr_synth_spec_default(&spec, W, H);
		spec.product = product;
		spec.seed = 7;
		render_ok(&spec, &image, &mask);
		g_assert_cmpint(mask->Xsize, ==, image->Xsize);
		g_assert_cmpint(mask->Ysize, ==, image->Ysize);
		g_assert_cmpint(mask->Bands, ==, 1);
		g_assert_cmpint(mask->BandFmt, ==, VIPS_FORMAT_UCHAR);
		g_assert_cmpint(image->Bands, ==, 3);
		g_assert_cmpint(image->BandFmt, ==, VIPS_FORMAT_UCHAR);

		/* the area it covers is the product's area, within a few per cent */
		area = lr_synth_product_area(&spec);
		covered = image_avg(mask) / 255 * W * H;
		g_assert_cmpfloat(fabs(covered - area) / area, <, 0.04);

		/* 255 at the centre, 0 in a corner */
		{
			double *v;
			int n;

			g_assert_cmpint(vips_getpoint(mask, &v, &n, W / 2, H / 2, NULL), ==, 0);
			hist_inside = (int)v[0];
			g_free(v);
		}
		g_assert_cmpint(hist_inside, ==, 255);
		g_assert_cmpint(vips_crop(mask, &corner, 0, 0, W / 10, H / 10, NULL), ==, 0);
		g_assert_cmpint(vips_max(corner, &min, NULL), ==, 0);
		g_assert_cmpfloat(min, ==, 0);
		g_object_unref(corner), g_object_unref(image), g_object_unref(mask);
	}

	/* pushed past the right edge: the mask is clipped with the picture */
	{
		LrSynthSpec spec;
		VipsImage *image, *mask, *edge;
		double edge_max;

		lr_synth_spec_default(&spec, W, H);
		spec.product_size = 0.9;
		spec.centre_x = 0.85;
		render_ok(&spec, &image, &mask);
		g_assert_cmpint(vips_crop(mask, &edge, W - 1, 0, 1, H, NULL), ==, 0);
		g_assert_cmpint(vips_max(edge, &edge_max, NULL), ==, 0);
		g_assert_cmpfloat(edge_max, ==, 255);
		g_assert_cmpfloat(image_avg(mask) / 255 * W * H, <,
				  0.9 * lr_synth_product_area(&spec));
		g_object_unref(edge), g_object_unref(image), g_object_unref(mask);
	}
}

/* The scenes added for the segmentation benchmark (issue 5). A set of three bowls covers the three
 * bowls' area, with background between them (the middle of the gap between the first two is 0); a
 * printed bedsheet and a white sheet render, deterministically, and differ from the plain sheet; a
 * white product on the white sheet is within a few levels of it (white on white), and a spec with
 * the new fields left 0 renders exactly as before (checked against the plain spec itself). */
/* Laplacian energy of the area X0..X1, Y0..Y1 (shares of the frame) of IM. */
static double
area_energy(VipsImage *im, double x0, double y0, double x1, double y1)
{
	VipsImage *a;
	double v;

	g_assert_cmpint(vips_extract_area(im, &a, (int)(x0 * im->Xsize), (int)(y0 * im->Ysize),
					  (int)((x1 - x0) * im->Xsize), (int)((y1 - y0) * im->Ysize), NULL),
			==, 0);
	v = laplacian_energy(a);
	g_object_unref(a);
	return v;
}

/* The room's depth of field (spec.focus): evenly blurred by default; with the floor in focus, the
 * floor beside the product (the rows around its centre) is sharp and the floor far below it and the
 * wall are not; with everything in focus, the wall and the far floor are sharp too. The product and
 * its mask do not change. Measured where there is only room (the near floor left of the product),
 * without noise. */
static void
test_room_focus(void)
{
	LrSynthSpec spec;
	VipsImage *image[3], *mask[3];
	double near[3], far[3], wall[3];

	for (int f = 0; f < 3; f++) {
		lr_synth_spec_default(&spec, W, H);
		spec.background = LR_SYNTH_CLUTTER;
		spec.product_size = 0.3;
		spec.centre_y = 0.55;
		spec.noise_sigma = 0;
		spec.seed = 5;
		spec.focus = (LrSynthFocus)f;
		render_ok(&spec, &image[f], &mask[f]);
		near[f] = area_energy(image[f], 0, 0.5, 0.3, 0.6);
		far[f] = area_energy(image[f], 0, 0.92, 1.0, 1.0);
		wall[f] = area_energy(image[f], 0, 0, 1.0, 0.2);
		g_test_message("focus %d: floor near %.2f far %.2f wall %.2f", f, near[f], far[f], wall[f]);
	}
	assert_identical(mask[LR_SYNTH_FOCUS_FLOOR], mask[LR_SYNTH_FOCUS_PRODUCT]);
	assert_identical(mask[LR_SYNTH_FOCUS_ALL], mask[LR_SYNTH_FOCUS_PRODUCT]);
	/* Floor in focus: sharp beside the product, as blurred as before far from it and on the wall. */
	g_assert_cmpfloat(near[LR_SYNTH_FOCUS_FLOOR], >, 2 * near[LR_SYNTH_FOCUS_PRODUCT]);
	g_assert_cmpfloat(near[LR_SYNTH_FOCUS_FLOOR], >, 2 * far[LR_SYNTH_FOCUS_FLOOR]);
	g_assert_cmpfloat(wall[LR_SYNTH_FOCUS_FLOOR], <, 1.5 * wall[LR_SYNTH_FOCUS_PRODUCT]);
	/* Everything in focus: the far floor and the wall are sharp as well. */
	g_assert_cmpfloat(far[LR_SYNTH_FOCUS_ALL], >, 2 * far[LR_SYNTH_FOCUS_FLOOR]);
	g_assert_cmpfloat(wall[LR_SYNTH_FOCUS_ALL], >, 2 * wall[LR_SYNTH_FOCUS_PRODUCT]);
	for (int f = 0; f < 3; f++)
		g_object_unref(image[f]), g_object_unref(mask[f]);
}

static void
test_new_scenes(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask, *again, *again_mask, *plain, *plain_mask;
	double area, covered, *v;
	int n;

	lr_synth_spec_default(&spec, W, H);
	spec.product = LR_SYNTH_BOWL;
	spec.product_size = 0.6;
	spec.count = 3;
	render_ok(&spec, &image, &mask);
	area = lr_synth_product_area(&spec);
	covered = image_avg(mask) / 255 * W * H;
	g_assert_cmpfloat(fabs(covered - area) / area, <, 0.05);
	/* Gap between the first two bowls: their centres are 1.15 sizes apart. */
	{
		double size = spec.product_size * 1.5 / 3.5 * MIN(W, H), step = 1.15 * size;
		int gx = (int)(W / 2 - step / 2);

		g_assert_cmpint(vips_getpoint(mask, &v, &n, gx, H / 2, NULL), ==, 0);
		g_assert_cmpfloat(v[0], ==, 0);
		g_free(v);
		g_assert_cmpint(vips_getpoint(mask, &v, &n, W / 2, (int)(H / 2 + 0.1 * size), NULL), ==, 0);
		g_assert_cmpfloat(v[0], ==, 255);
		g_free(v);
	}
	g_object_unref(image), g_object_unref(mask);

	lr_synth_spec_default(&spec, W, H);
	render_ok(&spec, &plain, &plain_mask);
	spec.background = LR_SYNTH_PATTERN;
	render_ok(&spec, &image, &mask);
	render_ok(&spec, &again, &again_mask);
	assert_identical(image, again);
	assert_identical(mask, plain_mask); /* the product is the same, only the sheet changed */
	{
		double d;
		VipsImage *diff, *absd;

		g_assert_cmpint(vips_subtract(image, plain, &diff, NULL), ==, 0);
		g_assert_cmpint(vips_abs(diff, &absd, NULL), ==, 0);
		d = image_avg(absd);
		g_assert_cmpfloat(d, >, 5);
		g_object_unref(diff), g_object_unref(absd);
	}
	g_object_unref(image), g_object_unref(mask), g_object_unref(again), g_object_unref(again_mask);

	spec.background = LR_SYNTH_WHITE_SHEET;
	spec.white = TRUE;
	spec.fringe = TRUE;
	render_ok(&spec, &image, &mask);
	/* Off-white cloth on a white sheet: the product's centre within 40 levels of the sheet (a dyed
	 * cloth is 100 or more away in some channel). */
	{
		double *c, *m;

		g_assert_cmpint(vips_getpoint(image, &c, &n, W / 10, H / 2, NULL), ==, 0);
		g_assert_cmpint(vips_getpoint(image, &m, &n, W / 2, H / 2, NULL), ==, 0);
		for (int k = 0; k < 3; k++)
			g_assert_cmpfloat(fabs(c[k] - m[k]), <, 40);
		g_free(c), g_free(m);
	}
	g_object_unref(image), g_object_unref(mask), g_object_unref(plain),
	    g_object_unref(plain_mask);
}

static void
test_orientation(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask;

	lr_synth_spec_default(&spec, 96, 64);
	spec.product_size = 0.6;
	render_ok(&spec, &upright, &mask);
	for (int o = 1; o <= 8; o++) {
		VipsImage *stored, *back;

		g_assert_cmpint(lr_synth_unorient(upright, o, &stored), ==, 0);
		g_assert_cmpint(vips_image_get_orientation(stored), ==, o);
		if (o >= 5) {
			g_assert_cmpint(stored->Xsize, ==, upright->Ysize);
			g_assert_cmpint(stored->Ysize, ==, upright->Xsize);
		} else {
			g_assert_cmpint(stored->Xsize, ==, upright->Xsize);
			g_assert_cmpint(stored->Ysize, ==, upright->Ysize);
		}
		/* not an identity in disguise */
		if (o > 1 && stored->Xsize == upright->Xsize) {
			VipsImage *d, *a;
			double diff;

			g_assert_cmpint(vips_subtract(stored, upright, &d, NULL), ==, 0);
			g_assert_cmpint(vips_abs(d, &a, NULL), ==, 0);
			diff = image_avg(a);
			g_assert_cmpfloat(diff, >, 1);
			g_object_unref(d), g_object_unref(a);
		}
		g_assert_cmpint(vips_autorot(stored, &back, NULL), ==, 0);
		assert_identical(back, upright);
		g_object_unref(stored), g_object_unref(back);
	}
	{
		VipsImage *x = NULL;

		g_assert_cmpint(lr_synth_unorient(upright, 9, &x), ==, -1);
		g_assert_null(x);
		vips_error_clear();
	}
	g_object_unref(upright), g_object_unref(mask);
}

static void
test_save_jpeg(void)
{
	LrSynthSpec spec;
	VipsImage *upright, *mask;
	char *dir = g_dir_make_tmp("lr-synth-XXXXXX", NULL);

	g_assert_nonnull(dir);
	lr_synth_spec_default(&spec, 320, 240);
	render_ok(&spec, &upright, &mask);
	for (int o = 1; o <= 8; o++) {
		gboolean gps = o % 2 == 0;
		char *path = g_strdup_printf("%s/o%d.jpg", dir, o);
		VipsImage *in, *shown, *d, *a;
		const char *s;

		g_assert_cmpint(lr_synth_save_jpeg(upright, o, gps, 92, path), ==, 0);
		in = vips_image_new_from_file(path, NULL);
		g_assert_nonnull(in);
		g_assert_cmpint(vips_image_get_orientation(in), ==, o);
		g_assert_cmpint(vips_image_get_string(in, "exif-ifd0-Make", &s), ==, 0);
		g_assert_true(g_str_has_prefix(s, "Xiaomi"));
		g_assert_cmpint(vips_image_get_string(in, "exif-ifd0-Model", &s), ==, 0);
		g_assert_true(g_str_has_prefix(s, "Redmi"));
		g_assert_cmpint(vips_image_get_string(in, "exif-ifd2-DateTimeOriginal", &s), ==, 0);
		g_assert_true(g_str_has_prefix(s, "2024:"));
		g_assert_cmpint(vips_image_get_typeof(in, "exif-ifd3-GPSLatitude") != 0, ==, gps);
		g_assert_cmpint(vips_image_get_typeof(in, "exif-ifd3-GPSLongitude") != 0, ==, gps);
		if (gps) {
			g_assert_cmpint(vips_image_get_string(in, "exif-ifd3-GPSLatitudeRef", &s),
					==, 0);
			g_assert_true(g_str_has_prefix(s, "N"));
		}

		/* a viewer that honours the orientation sees the upright picture */
		g_assert_cmpint(vips_autorot(in, &shown, NULL), ==, 0);
		g_assert_cmpint(shown->Xsize, ==, upright->Xsize);
		g_assert_cmpint(shown->Ysize, ==, upright->Ysize);
		g_assert_cmpint(vips_subtract(shown, upright, &d, NULL), ==, 0);
		g_assert_cmpint(vips_abs(d, &a, NULL), ==, 0);
		/* JPEG's loss, with chroma at half resolution (4:2:0), is 4 levels on average here; a
		 * wrong turn or flip is tens. */
		g_assert_cmpfloat(image_avg(a), <, 6);

		g_object_unref(in), g_object_unref(shown), g_object_unref(d), g_object_unref(a);
		g_unlink(path);
		g_free(path);
	}
	g_rmdir(dir);
	g_free(dir);
	g_object_unref(upright), g_object_unref(mask);
}

static void
test_degradations(void)
{
	LrSynthSpec base;
	VipsImage *sharp, *m0, *dark, *m1, *blurred, *m2, *warm, *m3;
	double r0, r3;

	lr_synth_spec_default(&base, W, H);
	base.noise_sigma = 0;
	render_ok(&base, &sharp, &m0);
	{
		LrSynthSpec s = base;

		s.exposure = 0.12;
		render_ok(&s, &dark, &m1);
	}
	{
		LrSynthSpec s = base;

		s.blur_sigma = 3;
		render_ok(&s, &blurred, &m2);
	}
	{
		LrSynthSpec s = base;

		s.warmth = 0.6;
		render_ok(&s, &warm, &m3);
	}
	/* the degradations leave the truth alone */
	assert_identical(m0, m1);
	assert_identical(m0, m2);
	assert_identical(m0, m3);

	g_assert_cmpfloat(image_avg(dark), <, 0.5 * image_avg(sharp));
	g_assert_cmpfloat(laplacian_energy(blurred), <, 0.3 * laplacian_energy(sharp));
	r0 = band_avg(sharp, 0) / band_avg(sharp, 2);
	r3 = band_avg(warm, 0) / band_avg(warm, 2);
	g_assert_cmpfloat(r3, >, 1.2 * r0);

	/* noise adds high frequencies */
	{
		LrSynthSpec s = base;
		VipsImage *noisy, *m4;

		VipsImage *c0, *c4;

		/* measured on the plain sheet in a corner, where the weave does not drown it */
		s.noise_sigma = 8;
		render_ok(&s, &noisy, &m4);
		g_assert_cmpint(vips_crop(sharp, &c0, 0, 0, W / 5, H / 5, NULL), ==, 0);
		g_assert_cmpint(vips_crop(noisy, &c4, 0, 0, W / 5, H / 5, NULL), ==, 0);
		g_assert_cmpfloat(laplacian_energy(c4), >, 1.5 * laplacian_energy(c0));
		g_object_unref(noisy), g_object_unref(m4), g_object_unref(c0), g_object_unref(c4);
	}
	g_object_unref(sharp), g_object_unref(m0), g_object_unref(dark), g_object_unref(m1);
	g_object_unref(blurred), g_object_unref(m2), g_object_unref(warm), g_object_unref(m3);
}

static void
test_bad_spec(void)
{
	LrSynthSpec spec;
	VipsImage *image = NULL, *mask = NULL;

	lr_synth_spec_default(&spec, 8, 8);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, -1);
	g_assert_null(image);
	g_assert_null(mask);
	vips_error_clear();
}

static void
quiet(const char *domain, GLogLevelFlags level, const char *message, gpointer user)
{
}

int
main(int argc, char **argv)
{
	int r;

	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	g_test_init(&argc, &argv, NULL);
	/* g_test shows info messages; libvips's chatter about its kernels is not test output */
	g_log_set_handler("VIPS", G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, quiet, NULL);
	g_test_add_func("/samples/synth/determinism", test_determinism);
	g_test_add_func("/samples/synth/mask", test_mask);
	g_test_add_func("/samples/synth/orientation", test_orientation);
	g_test_add_func("/samples/synth/save_jpeg", test_save_jpeg);
	g_test_add_func("/samples/synth/degradations", test_degradations);
	g_test_add_func("/samples/synth/bad_spec", test_bad_spec);
	g_test_add_func("/samples/synth/new_scenes", test_new_scenes);
	g_test_add_func("/samples/synth/room_focus", test_room_focus);
	r = g_test_run();
	vips_shutdown();
	return r;
}
