/* test_jpeg.c: JPEG straight through libjpeg-turbo.
 *
 * Ground truth: libvips's own decode of the same bytes. A generated phone photo (EXIF orientation 6)
 * must decode to the same pixels, size and metadata at every shrink, with the blockiness measured on the
 * way equal to lr_metric_blockiness of libvips's pixels and the reduction made on the way equal to
 * lr_resample_scale's of libvips's pixels (one given too few rows makes none); a progressive, a grey and a
 * truncated file must be left to libvips (no image, no error); a deadline already past must stop the
 * decode; and an encoded JPEG must decode back close to what was encoded, carrying the ICC profile given
 * and no EXIF.
 */
#include "pipeline/jpeg.h"
#include "filters/metrics.h"
#include "samples/synth.h"
#include "tests/testutil.h"

#include <string.h>

static VipsImage *
open_shrunk(const void *data, gsize length, int shrink)
{
	VipsImage *header = vips_image_new_from_buffer(data, length, "", "access",
						       VIPS_ACCESS_SEQUENTIAL, "fail_on",
						       VIPS_FAIL_ON_TRUNCATED, "shrink", shrink, NULL);
	g_assert_nonnull(header);
	return header;
}

/* A generated 2400 x 1800 photo, stored on its side with orientation 6, as a baseline JPEG's bytes. */
static GBytes *
phone_jpeg(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	g_autofree char *dir = lr_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "phone.jpg", NULL);
	lr_synth_spec_default(&spec, 2400, 1800);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	g_assert_cmpint(lr_synth_save_jpeg(image, 6, TRUE, 90, path), ==, 0);
	g_object_unref(image);
	g_object_unref(mask);
	gchar *data;
	gsize length;
	g_assert_true(g_file_get_contents(path, &data, &length, NULL));
	return g_bytes_new_take(data, length);
}

static void
test_decode_same_as_libvips(void)
{
	g_autoptr(GBytes) bytes = phone_jpeg();
	gsize length;
	const void *data = g_bytes_get_data(bytes, &length);
	for (int shrink = 1; shrink <= 8; shrink *= 2) {
		VipsImage *header = open_shrunk(data, length, shrink);
		VipsImage *direct;
		double blockiness = -1;
		/* The reduction made on the way, to 0.37 of the decoded size (odd, as a view's). */
		LrResampler *reduce = lr_resampler_new(header, 0.37, LR_KERNEL_TRIANGLE, FALSE);
		g_assert_nonnull(reduce);
		g_assert_cmpint(lr_jpeg_decode(header, data, length, shrink, G_MAXINT64, &blockiness,
					       reduce, &direct),
				==, 0);
		VipsImage *reduced = lr_resampler_end(reduce);
		g_assert_nonnull(direct);
		VipsImage *again = open_shrunk(data, length, shrink);
		VipsImage *vips = vips_image_copy_memory(again);
		g_assert_nonnull(vips);
		g_assert_cmpint(direct->Xsize, ==, vips->Xsize);
		g_assert_cmpint(direct->Ysize, ==, vips->Ysize);
		g_assert_cmpint(direct->Bands, ==, 3);
		g_assert_cmpint(vips_image_get_orientation(direct), ==, 6);
		g_assert_true(vips_image_get_typeof(direct, VIPS_META_EXIF_NAME));
		g_assert_cmpint(memcmp(VIPS_IMAGE_ADDR(direct, 0, 0), VIPS_IMAGE_ADDR(vips, 0, 0),
				       VIPS_IMAGE_SIZEOF_IMAGE(vips)),
				==, 0);
		g_assert_cmpfloat(blockiness, ==,
				  lr_metric_blockiness(VIPS_IMAGE_ADDR(vips, 0, 0), vips->Xsize,
						       vips->Ysize, VIPS_IMAGE_SIZEOF_LINE(vips)));
		/* The same bytes and metadata as the pull-mode resampler's from libvips's pixels. */
		VipsImage *pulled;
		g_assert_cmpint(lr_resample_scale(vips, 0.37, LR_KERNEL_TRIANGLE, FALSE, &pulled), ==, 0);
		g_assert_nonnull(reduced);
		g_assert_cmpint(reduced->Xsize, ==, pulled->Xsize);
		g_assert_cmpint(reduced->Ysize, ==, pulled->Ysize);
		g_assert_cmpint(vips_image_get_orientation(reduced), ==, 6);
		g_assert_cmpint(memcmp(VIPS_IMAGE_ADDR(reduced, 0, 0), VIPS_IMAGE_ADDR(pulled, 0, 0),
				       VIPS_IMAGE_SIZEOF_IMAGE(pulled)),
				==, 0);
		g_object_unref(pulled);
		g_object_unref(reduced);
		reduce = lr_resampler_new(vips, 0.37, LR_KERNEL_TRIANGLE, FALSE);
		lr_resampler_rows(reduce, VIPS_IMAGE_ADDR(vips, 0, 0), vips->Ysize - 1,
				  VIPS_IMAGE_SIZEOF_LINE(vips));
		g_assert_null(lr_resampler_end(reduce));
		vips_error_clear();
		g_object_unref(vips);
		g_object_unref(again);
		g_object_unref(direct);
		g_object_unref(header);
	}
}

/* The phone JPEG re-encoded by libvips's saver as VARIANT: "interlace" (progressive) or "grey". */
static GBytes *
saved_as(GBytes *bytes, const char *variant)
{
	gsize length;
	const void *data = g_bytes_get_data(bytes, &length);
	VipsImage *image = vips_image_new_from_buffer(data, length, "", NULL), *grey = NULL;
	g_assert_nonnull(image);
	void *out;
	size_t out_length;
	if (!strcmp(variant, "grey")) {
		g_assert_cmpint(vips_colourspace(image, &grey, VIPS_INTERPRETATION_B_W, NULL), ==, 0);
		g_assert_cmpint(vips_jpegsave_buffer(grey, &out, &out_length, NULL), ==, 0);
		g_object_unref(grey);
	} else
		g_assert_cmpint(vips_jpegsave_buffer(image, &out, &out_length, "interlace", TRUE, NULL),
				==, 0);
	g_object_unref(image);
	return g_bytes_new_take(out, out_length);
}

/* What the fast path does not take comes back NULL, without an error, for libvips to decode. */
static void
test_left_to_libvips(void)
{
	g_autoptr(GBytes) bytes = phone_jpeg();
	g_autoptr(GBytes) progressive = saved_as(bytes, "interlace");
	g_autoptr(GBytes) grey = saved_as(bytes, "grey");
	gsize length;
	const guchar *data = g_bytes_get_data(bytes, &length);
	/* Truncated: the first 60% of the file. Its header still reads. */
	g_autoptr(GBytes) truncated = g_bytes_new(data, length * 6 / 10);
	GBytes *cases[] = { progressive, grey, truncated };
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize n;
		const void *d = g_bytes_get_data(cases[i], &n);
		VipsImage *header = open_shrunk(d, n, 1);
		VipsImage *image;
		g_assert_cmpint(lr_jpeg_decode(header, d, n, 1, G_MAXINT64, NULL, NULL, &image), ==, 1);
		g_assert_null(image);
		g_assert_cmpstr(vips_error_buffer(), ==, "");
		g_object_unref(header);
	}
}

/* The decode-time limit holds on this path too: a deadline already past stops it, with no image. */
static void
test_deadline(void)
{
	g_autoptr(GBytes) bytes = phone_jpeg();
	gsize length;
	const void *data = g_bytes_get_data(bytes, &length);
	VipsImage *header = open_shrunk(data, length, 1), *image;
	g_assert_cmpint(lr_jpeg_decode(header, data, length, 1, g_get_monotonic_time() - 1, NULL, NULL, &image),
			==, -1);
	g_assert_null(image);
	g_object_unref(header);
}

static void
test_encode(void)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	lr_synth_spec_default(&spec, 800, 600);
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	VipsImage *memory = vips_image_copy_memory(image);
	const guchar icc[] = "not a real profile, but carried as given";
	void *data;
	size_t length;
	g_assert_cmpint(lr_jpeg_encode(memory, 92, FALSE, FALSE, icc, sizeof(icc), &data, &length), ==,
			0);
	VipsImage *back = vips_image_new_from_buffer(data, length, "", NULL);
	g_assert_nonnull(back);
	g_assert_cmpint(back->Xsize, ==, 800);
	g_assert_false(vips_image_get_typeof(back, VIPS_META_EXIF_NAME));
	const void *got;
	size_t got_length;
	g_assert_cmpint(vips_image_get_blob(back, VIPS_META_ICC_NAME, &got, &got_length), ==, 0);
	g_assert_cmpmem(got, got_length, icc, sizeof(icc));
	double mad = lr_test_mad(memory, back);
	g_test_message("quality 92: %zu bytes, mean abs difference %.2f", length, mad);
	g_assert_cmpfloat(mad, <, 4); /* the synthetic sensor noise is what JPEG drops */
	g_object_unref(back);
	g_free(data);
	g_object_unref(memory);
	g_object_unref(image);
	g_object_unref(mask);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/jpeg/decode-same-as-libvips", test_decode_same_as_libvips);
	g_test_add_func("/jpeg/left-to-libvips", test_left_to_libvips);
	g_test_add_func("/jpeg/deadline", test_deadline);
	g_test_add_func("/jpeg/encode", test_encode);
	return g_test_run();
}
