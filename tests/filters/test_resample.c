/* test_resample.c: the fixed-point resampler against what is known exactly.
 *
 * Ground truth: a flat image stays exactly flat; a linear ramp stays a ramp whose value at each output
 * pixel is the input's at that pixel's centre ((x + 0.5) / scale - 0.5), which checks the geometry every
 * placement downstream relies on; 1-pixel black and white stripes halve to sRGB 128 on the coded values
 * and to 188 (half the light) in linear light; a cut-out's transparent pixels lend no colour to its
 * edge; a lazy input (turned, read through a region) gives the same result as the same pixels in memory;
 * and the result agrees with libvips's own Lanczos-3 on a photo. The SIMD passes give exactly what the
 * plain C ones give, every level survives the trip to linear light and back, and the light
 * correction's table folded into the conversion gives exactly what vips_maplut before it gives.
 */
#include "filters/resample.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <math.h>

/* A W x H image of BANDS bands, every pixel VALUE. */
static VipsImage *
flat(int w, int h, int bands, double value)
{
	VipsImage *black, *out;
	g_assert_cmpint(vips_black(&black, w, h, "bands", bands, NULL), ==, 0);
	g_assert_cmpint(vips_linear1(black, &out, 1, value, "uchar", TRUE, NULL), ==, 0);
	g_object_unref(black);
	return out;
}

static void
test_flat_stays_flat(void)
{
	const int sizes[][2] = { { 1000, 750 }, { 999, 1 }, { 333, 250 }, { 1, 1 }, { 1000, 750 } };
	for (int bands = 1; bands <= 4; bands += bands == 1 ? 2 : 1)
		for (int s = 0; s < (int)G_N_ELEMENTS(sizes); s++)
			for (int kernel = 0; kernel < 2; kernel++)
				for (int linear = 0; linear < 2; linear++) {
					VipsImage *in = flat(1000, 750, bands, 77), *out;
					g_assert_cmpint(lr_resample(in, sizes[s][0], sizes[s][1], kernel,
								    linear, &out), ==, 0);
					g_assert_cmpint(out->Xsize, ==, sizes[s][0]);
					g_assert_cmpint(out->Ysize, ==, sizes[s][1]);
					g_assert_cmpint(out->Bands, ==, bands);
					double lo, hi;
					g_assert_cmpint(vips_min(out, &lo, NULL), ==, 0);
					g_assert_cmpint(vips_max(out, &hi, NULL), ==, 0);
					g_assert_cmpfloat(lo, ==, 77);
					g_assert_cmpfloat(hi, ==, 77);
					g_object_unref(in);
					g_object_unref(out);
				}
}

/* A horizontal ramp, value x at column x (0..255), resampled at several scales on the coded values:
 * away from the edges (where the kernel is cut) each output pixel is the ramp at its centre. */
static void
test_ramp_geometry(void)
{
	VipsImage *xy, *x, *ramp;
	g_assert_cmpint(vips_xyz(&xy, 256, 64, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(xy, &x, 0, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(x, &ramp, NULL), ==, 0);
	const int widths[] = { 128, 100, 77, 200, 256 };
	for (int i = 0; i < (int)G_N_ELEMENTS(widths); i++)
		for (int kernel = 0; kernel < 2; kernel++) {
			VipsImage *out;
			int w = widths[i];
			double step = 256.0 / w;
			g_assert_cmpint(lr_resample(ramp, w, 32, kernel, FALSE, &out), ==, 0);
			double worst = 0;
			int margin = (int)ceil(4 / step) + 1;
			for (int ox = margin; ox < w - margin; ox++) {
				double want = (ox + 0.5) * step - 0.5;
				double got = VIPS_IMAGE_ADDR(out, ox, 16)[0];
				worst = MAX(worst, fabs(got - want));
			}
			g_test_message("ramp to %d px, kernel %d: worst error %.2f levels", w, kernel,
				       worst);
			g_assert_cmpfloat(worst, <=, 0.75);
			g_object_unref(out);
		}
	g_object_unref(xy);
	g_object_unref(x);
	g_object_unref(ramp);
}

static void
test_stripes_light(void)
{
	VipsImage *xy, *x, *odd, *stripes, *three;
	g_assert_cmpint(vips_xyz(&xy, 400, 300, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(xy, &x, 0, NULL), ==, 0);
	g_assert_cmpint(vips_remainder_const1(x, &odd, 2, NULL), ==, 0);
	g_assert_cmpint(vips_linear1(odd, &stripes, 255, 0, "uchar", TRUE, NULL), ==, 0);
	VipsImage *bands[3] = { stripes, stripes, stripes };
	g_assert_cmpint(vips_bandjoin(bands, &three, 3, NULL), ==, 0);
	for (int linear = 0; linear < 2; linear++) {
		VipsImage *out, *inner;
		g_assert_cmpint(lr_resample(three, 200, 150, LR_KERNEL_LANCZOS3, linear, &out), ==, 0);
		g_assert_cmpint(vips_extract_area(out, &inner, 8, 8, 184, 134, NULL), ==, 0);
		double lo, hi;
		g_assert_cmpint(vips_min(inner, &lo, NULL), ==, 0);
		g_assert_cmpint(vips_max(inner, &hi, NULL), ==, 0);
		g_test_message("halved stripes, linear %d: %g..%g", linear, lo, hi);
		double want = linear ? 188 : 128;
		g_assert_cmpfloat(fabs(lo - want), <=, 1);
		g_assert_cmpfloat(fabs(hi - want), <=, 1);
		g_object_unref(out);
		g_object_unref(inner);
	}
	g_object_unref(xy);
	g_object_unref(x);
	g_object_unref(odd);
	g_object_unref(stripes);
	g_object_unref(three);
}

/* Left half opaque red, right half transparent green: no green reaches any visible pixel, and the
 * fully transparent ones come out white. */
static void
test_cutout_no_bleed(void)
{
	VipsImage *in = vips_image_new_memory();
	vips_image_init_fields(in, 300, 200, 4, VIPS_FORMAT_UCHAR, VIPS_CODING_NONE,
			       VIPS_INTERPRETATION_sRGB, 1, 1);
	g_assert_cmpint(vips_image_write_prepare(in), ==, 0);
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++) {
			guchar *p = VIPS_IMAGE_ADDR(in, x, y);
			gboolean product = x < 150;
			p[0] = product ? 255 : 0;
			p[1] = product ? 0 : 255;
			p[2] = 0;
			p[3] = product ? 255 : 0;
		}
	VipsImage *out;
	g_assert_cmpint(lr_resample(in, 111, 74, LR_KERNEL_LANCZOS3, TRUE, &out), ==, 0);
	int edge = 0;
	for (int y = 0; y < out->Ysize; y++)
		for (int x = 0; x < out->Xsize; x++) {
			const guchar *p = VIPS_IMAGE_ADDR(out, x, y);
			if (p[3] == 0) {
				g_assert_cmpint(p[0], ==, 255);
				g_assert_cmpint(p[1], ==, 255);
				g_assert_cmpint(p[2], ==, 255);
				continue;
			}
			edge += p[3] < 255;
			g_assert_cmpint(p[1], <=, 1);
			g_assert_cmpint(p[0], >=, 250);
		}
	g_assert_cmpint(edge, >, 0); /* the edge is soft, and was looked at */
	g_object_unref(in);
	g_object_unref(out);
}

/* A lazy input (rotated by libvips, read through a region in strips) gives exactly what the same pixels
 * in memory give; and a photo comes out close to libvips's own Lanczos-3 on the coded values. */
static void
test_lazy_and_photo(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask, *turned, *memory, *a, *b, *theirs;
	lr_synth_spec_default(&spec, 1200, 900);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	g_assert_cmpint(vips_rot(image, &turned, VIPS_ANGLE_D90, NULL), ==, 0);
	memory = vips_image_copy_memory(turned);
	g_assert_cmpint(lr_resample(turned, 400, 533, LR_KERNEL_LANCZOS3, TRUE, &a), ==, 0);
	g_assert_cmpint(lr_resample(memory, 400, 533, LR_KERNEL_LANCZOS3, TRUE, &b), ==, 0);
	g_assert_cmpfloat(lr_test_mad(a, b), ==, 0);
	g_object_unref(a);
	g_object_unref(b);

	g_assert_cmpint(lr_resample(memory, 450, 600, LR_KERNEL_LANCZOS3, FALSE, &a), ==, 0);
	g_assert_cmpint(vips_resize(memory, &theirs, 0.5, "kernel", VIPS_KERNEL_LANCZOS3, NULL), ==, 0);
	double mad = lr_test_mad(a, theirs);
	g_test_message("against vips_resize: mean abs difference %.3f", mad);
	g_assert_cmpfloat(mad, <, 1.0);
	g_object_unref(a);
	g_object_unref(theirs);
	g_object_unref(memory);
	g_object_unref(turned);
	g_object_unref(image);
	g_object_unref(mask);
}

/* The SIMD passes against the plain C ones, bit for bit: every band count, both kernels, linear or not,
 * reductions with odd and even tap counts, and an enlargement. */
static void
test_simd_matches_c(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask, *rgba, *grey;
	lr_synth_spec_default(&spec, 640, 480);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	g_assert_cmpint(vips_bandjoin2(image, mask, &rgba, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(image, &grey, 1, NULL), ==, 0);
	VipsImage *inputs[] = { image, rgba, grey };
	const int sizes[][2] = { { 320, 240 }, { 211, 157 }, { 97, 480 }, { 700, 500 } };
	for (int i = 0; i < (int)G_N_ELEMENTS(inputs); i++)
		for (int s = 0; s < (int)G_N_ELEMENTS(sizes); s++)
			for (int kernel = 0; kernel < 2; kernel++)
				for (int linear = 0; linear < 2; linear++) {
					VipsImage *simd, *plain;
					lr_resample_set_simd(TRUE);
					g_assert_cmpint(lr_resample(inputs[i], sizes[s][0], sizes[s][1],
								    kernel, linear, &simd), ==, 0);
					lr_resample_set_simd(FALSE);
					g_assert_cmpint(lr_resample(inputs[i], sizes[s][0], sizes[s][1],
								    kernel, linear, &plain), ==, 0);
					lr_resample_set_simd(TRUE);
					g_assert_cmpfloat(lr_test_mad(simd, plain), ==, 0);
					g_object_unref(simd);
					g_object_unref(plain);
				}
	g_object_unref(image);
	g_object_unref(mask);
	g_object_unref(rgba);
	g_object_unref(grey);
}

/* Every sRGB level 0..255, resampled to its own size (one tap of weight 1) through linear light, comes
 * back exactly: the tables and the samples' bias lose nothing. */
static void
test_levels_round_trip(void)
{
	VipsImage *xy, *x, *levels, *three, *out;
	g_assert_cmpint(vips_xyz(&xy, 256, 8, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(xy, &x, 0, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(x, &levels, NULL), ==, 0);
	VipsImage *bands[3] = { levels, levels, levels };
	g_assert_cmpint(vips_bandjoin(bands, &three, 3, NULL), ==, 0);
	for (int linear = 0; linear < 2; linear++) {
		g_assert_cmpint(lr_resample(three, 256, 8, LR_KERNEL_LANCZOS3, linear, &out), ==, 0);
		g_assert_cmpfloat(lr_test_mad(out, three), ==, 0);
		g_object_unref(out);
	}
	g_object_unref(xy);
	g_object_unref(x);
	g_object_unref(levels);
	g_object_unref(three);
}

/* A light correction's table (warming red, cooling blue, as a white balance does) folded into the
 * resampler gives exactly what vips_maplut then the resampler gives, reduced or not. */
static void
test_light_table(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask, *lut, *mapped, *want, *got;
	lr_synth_spec_default(&spec, 800, 600);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	guchar table[256][3];
	for (int v = 0; v < 256; v++) {
		table[v][0] = (guchar)MIN(255, v * 1.2);
		table[v][1] = (guchar)v;
		table[v][2] = (guchar)(v * 0.8);
	}
	lut = vips_image_new_from_memory_copy(table, sizeof(table), 256, 1, 3, VIPS_FORMAT_UCHAR);
	g_assert_cmpint(vips_maplut(image, &mapped, lut, NULL), ==, 0);
	const double scales[] = { 0.37, 0.5, 1.0 };
	for (int i = 0; i < (int)G_N_ELEMENTS(scales); i++) {
		g_assert_cmpint(lr_resample_linear(mapped, scales[i], &want), ==, 0);
		g_assert_cmpint(lr_resample_linear_lut(image, scales[i], lut, &got), ==, 0);
		g_assert_cmpint(got->Xsize, ==, want->Xsize);
		g_assert_cmpfloat(lr_test_mad(got, want), ==, 0);
		g_object_unref(want);
		g_object_unref(got);
	}
	g_object_unref(image);
	g_object_unref(mask);
	g_object_unref(lut);
	g_object_unref(mapped);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/resample/flat-stays-flat", test_flat_stays_flat);
	g_test_add_func("/resample/ramp-geometry", test_ramp_geometry);
	g_test_add_func("/resample/stripes-light", test_stripes_light);
	g_test_add_func("/resample/cutout-no-bleed", test_cutout_no_bleed);
	g_test_add_func("/resample/lazy-and-photo", test_lazy_and_photo);
	g_test_add_func("/resample/simd-matches-c", test_simd_matches_c);
	g_test_add_func("/resample/levels-round-trip", test_levels_round_trip);
	g_test_add_func("/resample/light-table", test_light_table);
	return g_test_run();
}
