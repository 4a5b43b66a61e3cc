/* test_image.c: memory images computed by the calling thread (filters/image.h).
 *
 * Ground truth: libvips's own vips_image_copy_memory of the same lazy pipeline, byte for byte, for
 * shapes that give one strip, many strips with a short last one, and rows longer than a strip; an
 * image already in memory comes back as itself; a pipeline that fails while computing (a JPEG cut
 * short, read with fail-on-truncated) gives NULL and an error, not a crash.
 */
#include "filters/image.h"
#include "tests/testutil.h"

#include <string.h>

/* A lazy W x H image of BANDS bands in FORMAT whose every value depends on its position and band. */
static VipsImage *
pattern(int w, int h, int bands, VipsBandFormat format)
{
	VipsImage *xyz, *sum, *wide, *out;
	g_assert_cmpint(vips_xyz(&xyz, w, h, NULL), ==, 0);
	double a[2] = { 3, 7 }, b[2] = { 5, 5 };
	g_assert_cmpint(vips_linear(xyz, &sum, a, b, 2, NULL), ==, 0); /* 3x + 5, 7y + 5 */
	VipsImage *bandsv[2];
	g_assert_cmpint(vips_extract_band(sum, &bandsv[0], 0, NULL), ==, 0);
	g_assert_cmpint(vips_extract_band(sum, &bandsv[1], 1, NULL), ==, 0);
	VipsImage *plane;
	g_assert_cmpint(vips_add(bandsv[0], bandsv[1], &plane, NULL), ==, 0);
	VipsImage *list[4];
	for (int i = 0; i < bands; i++)
		g_assert_cmpint(vips_linear1(plane, &list[i], 1, 11.0 * i, NULL), ==, 0);
	g_assert_cmpint(vips_bandjoin(list, &wide, bands, NULL), ==, 0);
	g_assert_cmpint(vips_cast(wide, &out, format, NULL), ==, 0);
	for (int i = 0; i < bands; i++)
		g_object_unref(list[i]);
	g_object_unref(xyz);
	g_object_unref(sum);
	g_object_unref(bandsv[0]);
	g_object_unref(bandsv[1]);
	g_object_unref(plane);
	g_object_unref(wide);
	return out;
}

static void
test_matches_libvips(void)
{
	const struct {
		int w, h, bands;
		VipsBandFormat format;
	} cases[] = {
		{ 1, 1, 1, VIPS_FORMAT_UCHAR },	     /* one pixel */
		{ 2000, 1500, 3, VIPS_FORMAT_UCHAR }, /* a view: 43 rows a strip, a short last one */
		{ 1, 5003, 1, VIPS_FORMAT_UCHAR },    /* tall and thin: one strip of every row */
		{ 90001, 3, 3, VIPS_FORMAT_UCHAR },   /* a row longer than a strip */
		{ 333, 257, 4, VIPS_FORMAT_FLOAT },
	};
	for (int i = 0; i < (int)G_N_ELEMENTS(cases); i++) {
		VipsImage *lazy = pattern(cases[i].w, cases[i].h, cases[i].bands, cases[i].format);
		VipsImage *ours = lr_image_copy_memory(lazy);
		VipsImage *theirs = vips_image_copy_memory(lazy);
		g_assert_nonnull(ours);
		g_assert_nonnull(theirs);
		g_assert_true(ours != lazy);
		g_assert_cmpint(ours->Xsize, ==, cases[i].w);
		g_assert_cmpint(ours->Ysize, ==, cases[i].h);
		g_assert_cmpint(ours->Bands, ==, cases[i].bands);
		g_assert_cmpint(ours->BandFmt, ==, cases[i].format);
		size_t size = VIPS_IMAGE_SIZEOF_IMAGE(ours);
		g_assert_cmpint(size, ==, VIPS_IMAGE_SIZEOF_IMAGE(theirs));
		g_assert_cmpint(memcmp(VIPS_IMAGE_ADDR(ours, 0, 0), VIPS_IMAGE_ADDR(theirs, 0, 0), size),
				==, 0);
		g_object_unref(ours);
		g_object_unref(theirs);
		g_object_unref(lazy);
	}
}

static void
test_memory_is_itself(void)
{
	VipsImage *lazy = pattern(64, 48, 3, VIPS_FORMAT_UCHAR);
	VipsImage *memory = lr_image_copy_memory(lazy);
	VipsImage *again = lr_image_copy_memory(memory);
	g_assert_true(again == memory);
	g_object_unref(again);
	g_object_unref(memory);
	g_object_unref(lazy);
}

static void
test_failure_is_null(void)
{
	VipsImage *lazy = pattern(640, 480, 3, VIPS_FORMAT_UCHAR);
	void *buf;
	size_t len;
	g_assert_cmpint(vips_jpegsave_buffer(lazy, &buf, &len, NULL), ==, 0);
	/* Cut in the middle of the scan: the header reads, the pixels do not. */
	VipsImage *cut = vips_image_new_from_buffer(buf, len / 2, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
						    NULL);
	g_assert_nonnull(cut);
	vips_error_clear();
	/* libvips's tile cache warns of the tile it could not make. */
	g_test_expect_message("VIPS", G_LOG_LEVEL_WARNING, "error in tile*");
	VipsImage *out = lr_image_copy_memory(cut);
	g_test_assert_expected_messages();
	g_assert_null(out);
	g_assert_cmpstr(vips_error_buffer(), !=, "");
	vips_error_clear();
	g_object_unref(cut);
	g_free(buf);
	g_object_unref(lazy);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/image/matches-libvips", test_matches_libvips);
	g_test_add_func("/image/memory-is-itself", test_memory_is_itself);
	g_test_add_func("/image/failure-is-null", test_failure_is_null);
	return g_test_run();
}
