/* test_renditions.c: sizes, formats, privacy and resampling of the renditions.
 *
 * Ground truth: a source photo carrying EXIF with GPS coordinates, camera make and model; the renditions
 * must carry none of it (no APP1 segment at all, no EXIF or XMP chunk in WebP) but JPEGs must carry the
 * sRGB profile. A 1-pixel black-and-white stripe pattern halved must average to the linear-light grey
 * (sRGB 188), not the gamma-space 128 that would darken and grey out woven detail. A transparent master
 * keeps its alpha in WebP and is flattened on white in JPEG. The unsharp mask gives the integers worked
 * out by hand on a step and a dot, at the default strength and at one beyond 16-bit arithmetic. WebP
 * keeps two flat colours of an odd-sized master, U and V in their places.
 */
#include "filters/filter.h"
#include "pipeline/load.h"
#include "pipeline/run.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <math.h>
#include <string.h>
#include <webp/mux.h>

static gboolean
contains(const LrRendition *r, const char *needle)
{
	return memmem(r->data, r->length, needle, strlen(needle)) != NULL;
}

/* Whether a JPEG has a segment MARKER (0xE1 APP1: EXIF or XMP; 0xED APP13: IPTC; 0xE2 APP2: ICC),
 * walking the markers up to the scan. */
static gboolean
jpeg_has_segment(const LrRendition *r, guchar marker)
{
	const guchar *p = r->data;
	size_t i = 2;
	while (i + 4 <= r->length && p[i] == 0xFF && p[i + 1] != 0xDA) {
		if (p[i + 1] == marker)
			return TRUE;
		i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
	}
	return FALSE;
}

/* Whether a WebP's container has the chunk FOURCC ("EXIF", "XMP ", "ICCP"). */
static gboolean
webp_has_chunk(const LrRendition *r, const char *fourcc)
{
	WebPData data = { r->data, r->length }, chunk;
	WebPMux *mux = WebPMuxCreate(&data, 0);
	g_assert_nonnull(mux);
	gboolean has = WebPMuxGetChunk(mux, fourcc, &chunk) == WEBP_MUX_OK;
	WebPMuxDelete(mux);
	return has;
}

static void
test_sizes_and_privacy(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "gps.jpg", NULL);
	lr_synth_spec_default(&spec, 4032, 3024);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	g_assert_cmpint(lr_synth_save_jpeg(image, 6, TRUE, 92, path), ==, 0);

	LrContext *ctx = lr_test_run(path, "renditions", FALSE);
	/* 2000, 1000, 500 in JPEG and WebP, largest first. */
	g_assert_cmpint(ctx->renditions->len, ==, 6);
	for (guint i = 0; i < ctx->renditions->len; i++) {
		const LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		int expect = i < 2 ? 2000 : i < 4 ? 1000 : 500;
		g_assert_cmpint(atoi(r->name), ==, expect);
		g_assert_cmpint(MAX(r->width, r->height), ==, expect);
		g_assert_cmpint(r->width, ==, r->height);
		VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
		g_assert_nonnull(back);
		g_assert_cmpint(back->Xsize, ==, r->width);
		g_assert_false(vips_image_get_typeof(back, VIPS_META_EXIF_NAME));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_XMP_NAME));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_IPTC_NAME));
		g_assert_cmpint(vips_image_get_orientation(back), ==, 1);
		if (!strcmp(r->format, "jpeg")) {
			g_assert_false(jpeg_has_segment(r, 0xE1));
			g_assert_false(jpeg_has_segment(r, 0xED));
			g_assert_true(jpeg_has_segment(r, 0xE2));
			g_assert_true(contains(r, "ICC_PROFILE"));
			g_assert_true(vips_image_get_typeof(back, VIPS_META_ICC_NAME));
		} else {
			g_assert_cmpstr(r->format, ==, "webp");
			g_assert_false(webp_has_chunk(r, "EXIF"));
			g_assert_false(webp_has_chunk(r, "XMP "));
		}
		g_object_unref(back);
	}
	lr_context_free(ctx);
	g_object_unref(image);
	g_object_unref(mask);
}

/* Runs only the renditions stage on MASTER with a profile making SIZES in FORMATS, sharpened by
 * SHARPEN (0 = none). */
static LrContext *
render_master(VipsImage *master, const char *sizes, const char *formats, double sharpen)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *ini = g_build_filename(dir, "renditions.ini", NULL);
	char amount[G_ASCII_DTOSTR_BUF_SIZE];
	g_autofree char *text =
	    g_strdup_printf("[renditions]\nsizes = %s\nformats = %s\nsharpen = %s\n", sizes,
			    formats, g_ascii_dtostr(amount, sizeof(amount), sharpen));
	g_assert_true(g_file_set_contents(ini, text, -1, NULL));
	GError *error = NULL;
	LrProfile *profile = lr_profile_load(ini, &error);
	g_assert_no_error(error);
	LrContext *ctx = lr_context_new("master", profile);
	ctx->composed = lr_context_own(ctx, master);
	extern const LrFilter lr_filter_renditions;
	g_assert_cmpint(lr_filter_renditions.process(ctx), ==, 0);
	ctx->profile = NULL; /* the profile goes now; the context keeps only its results */
	lr_profile_free(profile);
	return ctx;
}

static void
test_linear_light_stripes(void)
{
	/* 1000x1000 of alternating black and white columns. */
	VipsImage *xy, *x, *odd, *stripes;
	g_assert_cmpint(vips_xyz(&xy, 1000, 1000, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(xy, &x, 0, NULL), ==, 0);
	g_assert_cmpint(vips_remainder_const1(x, &odd, 2, NULL), ==, 0);
	g_assert_cmpint(vips_linear1(odd, &stripes, 255, 0, "uchar", TRUE, NULL), ==, 0);
	VipsImage *three;
	VipsImage *bands[3] = { stripes, stripes, stripes };
	g_assert_cmpint(vips_bandjoin(bands, &three, 3, NULL), ==, 0);
	three->Type = VIPS_INTERPRETATION_sRGB;
	LrContext *ctx = render_master(three, "500", "png", 0);
	g_assert_cmpint(ctx->renditions->len, ==, 1);
	const LrRendition *r = g_ptr_array_index(ctx->renditions, 0);
	VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
	double mean;
	g_assert_cmpint(vips_avg(back, &mean, NULL), ==, 0);
	g_test_message("halved stripes: mean %.1f (linear-light grey is 188, gamma-space 128)", mean);
	g_assert_cmpfloat(mean, >, 180);
	g_assert_cmpfloat(mean, <, 196);
	g_object_unref(back);
	lr_context_free(ctx);
	g_object_unref(xy);
	g_object_unref(x);
	g_object_unref(odd);
	g_object_unref(stripes);
}

/* Nothing is enlarged: an 800 px master gives only the 500 rendition. */
/* The unsharp mask at the master's own size (no resampling), by hand: centre 64 + 4E, the four
 * neighbours -E, over 64, E = 64 x strength, on a step from 100 to 200 and on a dot of 250 on the 100
 * side. Strength 0.125 (E = 8, the default) runs in 16-bit lanes, 0.5 (E = 32) in 32-bit ones, where
 * the dot's (192 x 250 - 32 x 400 + 32) would overflow an int16 and wrap to black. */
static void
test_sharpen(void)
{
	static const struct {
		double strength;
		int dark, bright; /* the pixels either side of the step */
	} cases[] = {
		{ 0.125, 88, 213 }, /* (96 x 100 - 8 x 500 + 32) >> 6, (96 x 200 - 8 x 700 + 32) >> 6 */
		{ 0.5, 50, 250 },   /* (192 x 100 - 32 x 500 + 32) >> 6, (192 x 200 - 32 x 700 + 32) >> 6 */
	};
	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		VipsImage *xy, *x, *step, *levels, *three;
		g_assert_cmpint(vips_xyz(&xy, 64, 64, NULL), ==, 0);
		g_assert_cmpint(vips_extract_band(xy, &x, 0, NULL), ==, 0);
		g_assert_cmpint(vips_moreeq_const1(x, &step, 32, NULL), ==, 0); /* 0 or 255 */
		g_assert_cmpint(vips_linear1(step, &levels, 100.0 / 255, 100, "uchar", TRUE, NULL), ==,
				0);
		VipsImage *bands[3] = { levels, levels, levels };
		g_assert_cmpint(vips_bandjoin(bands, &three, 3, NULL), ==, 0);
		VipsImage *master = vips_image_copy_memory(three);
		master->Type = VIPS_INTERPRETATION_sRGB;
		memset(VIPS_IMAGE_ADDR(master, 10, 10), 250, 3);
		LrContext *ctx = render_master(master, "64", "png", cases[c].strength);
		const LrRendition *r = g_ptr_array_index(ctx->renditions, 0);
		VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
		VipsImage *mem = vips_image_copy_memory(back);
		for (int b = 0; b < 3; b++) {
			g_assert_cmpint(VIPS_IMAGE_ADDR(mem, 10, 10)[b], ==, 255);
			for (int y = 0; y < 64; y += 21) {
				const guchar *row = VIPS_IMAGE_ADDR(mem, 0, y);
				g_assert_cmpint(row[3 * 0 + b], ==, 100);
				g_assert_cmpint(row[3 * 30 + b], ==, 100);
				g_assert_cmpint(row[3 * 31 + b], ==, cases[c].dark);
				g_assert_cmpint(row[3 * 32 + b], ==, cases[c].bright);
				g_assert_cmpint(row[3 * 33 + b], ==, 200);
				g_assert_cmpint(row[3 * 63 + b], ==, 200);
			}
		}
		g_object_unref(mem);
		g_object_unref(back);
		lr_context_free(ctx);
		g_object_unref(three);
		g_object_unref(levels);
		g_object_unref(step);
		g_object_unref(x);
		g_object_unref(xy);
	}
}

/* WebP's colours: a master of odd size (the last column and row pair with themselves) in two flat
 * colours, a warm red and a teal, each of which must decode to itself (lossy: within 3 levels away
 * from the boundary), with U and V in their places; and a single pixel. */
static void
test_webp_colours(void)
{
	static const guchar colours[2][3] = { { 200, 30, 40 }, { 20, 150, 160 } };
	static const int sizes[][2] = { { 101, 61 }, { 1, 1 } };
	for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		guchar *pixels = g_malloc((size_t)w * h * 3);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				memcpy(pixels + 3 * ((size_t)y * w + x), colours[x >= w / 2], 3);
		VipsImage *master = vips_image_new_from_memory_copy(pixels, (size_t)w * h * 3, w, h, 3,
								    VIPS_FORMAT_UCHAR);
		g_free(pixels);
		master->Type = VIPS_INTERPRETATION_sRGB;
		g_autofree char *size = g_strdup_printf("%d", MAX(w, h));
		LrContext *ctx = render_master(master, size, "webp", 0);
		const LrRendition *r = g_ptr_array_index(ctx->renditions, 0);
		VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
		VipsImage *mem = vips_image_copy_memory(back);
		g_assert_cmpint(mem->Xsize, ==, w);
		g_assert_cmpint(mem->Ysize, ==, h);
		g_assert_cmpint(mem->Bands, ==, 3);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				if (abs(x - w / 2) < 6 && w > 1)
					continue;
				const guchar *p = VIPS_IMAGE_ADDR(mem, x, y), *c = colours[x >= w / 2];
				for (int b = 0; b < 3; b++)
					g_assert_cmpint(abs(p[b] - c[b]), <=, 3);
			}
		g_object_unref(mem);
		g_object_unref(back);
		lr_context_free(ctx);
	}
}

static void
test_no_upscale(void)
{
	VipsImage *grey;
	g_assert_cmpint(vips_black(&grey, 800, 800, "bands", 3, NULL), ==, 0);
	grey->Type = VIPS_INTERPRETATION_sRGB;
	LrContext *ctx = render_master(grey, "2000;1000;500", "png", 0);
	g_assert_cmpint(ctx->renditions->len, ==, 1);
	const LrRendition *r = g_ptr_array_index(ctx->renditions, 0);
	g_assert_cmpstr(r->name, ==, "500");
	g_assert_cmpint(r->width, ==, 500);
	lr_context_free(ctx);
}

/* A transparent master (the left half opaque red, the right half transparent black): the WebP keeps
 * its alpha, the JPEG, which has none, is flattened on white, not on the colour under the alpha. */
static void
test_alpha(void)
{
	guchar *pixels = g_malloc0(600 * 600 * 4);
	for (int y = 0; y < 600; y++)
		for (int x = 0; x < 300; x++)
			memcpy(pixels + 4 * (600 * y + x), (guchar[]){ 200, 30, 40, 255 }, 4);
	VipsImage *master = vips_image_new_from_memory_copy(pixels, 600 * 600 * 4, 600, 600, 4,
							    VIPS_FORMAT_UCHAR);
	g_free(pixels);
	master->Type = VIPS_INTERPRETATION_sRGB;
	LrContext *ctx = render_master(master, "600", "jpeg;webp", 0);
	g_assert_cmpint(ctx->renditions->len, ==, 2);
	for (guint i = 0; i < 2; i++) {
		const LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		gboolean webp = !strcmp(r->format, "webp");
		VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
		g_assert_nonnull(back);
		g_assert_cmpint(back->Bands, ==, webp ? 4 : 3);
		double *in, *out;
		int n;
		g_assert_cmpint(vips_getpoint(back, &in, &n, 150, 300, NULL), ==, 0);
		g_assert_cmpint(vips_getpoint(back, &out, &n, 450, 300, NULL), ==, 0);
		g_test_message("%s: inside %.0f %.0f %.0f, outside %.0f %.0f %.0f", r->format, in[0],
			       in[1], in[2], out[0], out[1], out[2]);
		g_assert_cmpfloat(fabs(in[0] - 200) + fabs(in[1] - 30) + fabs(in[2] - 40), <, 12);
		if (webp) {
			g_assert_cmpfloat(in[3], ==, 255);
			g_assert_cmpfloat(out[3], ==, 0);
		} else
			g_assert_cmpfloat(MIN(out[0], MIN(out[1], out[2])), >=, 253);
		g_free(in);
		g_free(out);
		g_object_unref(back);
	}
	lr_context_free(ctx);
}

/* A profile listing avif gets AVIF renditions: AV1-coded, the right size, decodable, no EXIF or XMP. */
static void
test_avif(void)
{
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *ini = g_build_filename(dir, "avif.ini", NULL);
	g_assert_true(g_file_set_contents(ini, "[renditions]\nsizes = 600;300\nformats = jpeg;avif\n",
					  -1, NULL));
	GError *error = NULL;
	LrProfile *profile = lr_profile_load(ini, &error);
	g_assert_no_error(error);
	LrSynthSpec spec;
	VipsImage *image, *mask;
	lr_synth_spec_default(&spec, 800, 600);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	LrContext *ctx = lr_context_new("master", profile);
	ctx->composed = lr_context_own(ctx, g_object_ref(image));
	extern const LrFilter lr_filter_renditions;
	g_assert_cmpint(lr_filter_renditions.process(ctx), ==, 0);
	g_assert_cmpint(ctx->renditions->len, ==, 4);
	int avifs = 0;
	/* libvips 8.14's heifload warns that it ignores the nclx colour box libheif writes: expected. */
	GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	for (guint i = 0; i < ctx->renditions->len; i++) {
		const LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		if (strcmp(r->format, "avif"))
			continue;
		avifs++;
		/* The ISO-BMFF brand says AVIF, whatever the encoder library chose to call itself. */
		g_assert_cmpuint(r->length, >, 12);
		g_assert_cmpmem((const char *)r->data + 4, 8, "ftypavif", 8);
		g_assert_false(contains(r, "Exif"));
		g_assert_false(contains(r, "<x:xmpmeta"));
		VipsImage *back = vips_image_new_from_buffer(r->data, r->length, "", NULL);
		g_assert_nonnull(back);
		const char *compression;
		g_assert_cmpint(vips_image_get_string(back, "heif-compression", &compression), ==, 0);
		g_assert_cmpstr(compression, ==, "av1");
		g_assert_cmpint(MAX(back->Xsize, back->Ysize), ==, atoi(r->name));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_EXIF_NAME));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_XMP_NAME));
		/* Looks like its JPEG sibling of the same size (lossy both, so loosely). */
		const LrRendition *jpeg = g_ptr_array_index(ctx->renditions, i - 1);
		g_assert_cmpstr(jpeg->name, ==, r->name);
		VipsImage *jback = vips_image_new_from_buffer(jpeg->data, jpeg->length, "", NULL);
		double mad = lr_test_mad(back, jback);
		g_test_message("avif %s: %zu bytes, mean abs difference to the JPEG %.2f", r->name,
			       r->length, mad);
		g_assert_cmpfloat(mad, >=, 0);
		g_assert_cmpfloat(mad, <, 6);
		g_object_unref(jback);
		g_object_unref(back);
	}
	g_assert_cmpint(avifs, ==, 2);
	g_log_set_always_fatal(fatal);
	ctx->profile = NULL;
	lr_context_free(ctx);
	lr_profile_free(profile);
	g_object_unref(image);
	g_object_unref(mask);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/renditions/sizes-and-privacy", test_sizes_and_privacy);
	g_test_add_func("/renditions/linear-light-stripes", test_linear_light_stripes);
	g_test_add_func("/renditions/sharpen", test_sharpen);
	g_test_add_func("/renditions/webp-colours", test_webp_colours);
	g_test_add_func("/renditions/no-upscale", test_no_upscale);
	g_test_add_func("/renditions/alpha", test_alpha);
	g_test_add_func("/renditions/avif", test_avif);
	return g_test_run();
}
