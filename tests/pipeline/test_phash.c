/* test_phash.c: the perceptual hash against what it must tell apart.
 *
 * Ground truth: a generated photo and its copy (reduced to 60%, re-encoded as a JPEG of quality 75,
 * slightly brightened) are the same picture, and must differ in no more bits than the default
 * duplicate line (4); different scenes are different pictures and differ in far more. The same
 * picture as 8-bit grey, as 16-bit RGB, and at 20 x 15 pixels is still hashed, and alike.
 */
#include "pipeline/phash.h"
#include "samples/synth.h"
#include "tests/testutil.h"

/* The pipeline hashes its 400 px analysis copy. */
static VipsImage *
analysis_copy(VipsImage *photo)
{
	VipsImage *t, *out;
	g_assert_cmpint(vips_resize(photo, &t, 400.0 / MAX(photo->Xsize, photo->Ysize), NULL), ==, 0);
	out = vips_image_copy_memory(t);
	g_object_unref(t);
	return out;
}

static guint64
hash_of(VipsImage *image)
{
	guint64 hash = 0;
	g_assert_cmpint(lr_phash(image, &hash), ==, 0);
	return hash;
}

static VipsImage *
scene(LrSynthProduct product, LrSynthBackground background, unsigned seed)
{
	LrSynthSpec spec;
	VipsImage *image, *mask;
	lr_synth_spec_default(&spec, 1200, 900);
	spec.product = product;
	spec.background = background;
	spec.seed = seed;
	g_assert_cmpint(lr_synth_render(&spec, &image, &mask), ==, 0);
	g_object_unref(mask);
	return image;
}

/* PHOTO reduced to 60%, re-encoded at quality 75, brightened by 8% and 4 levels. */
static VipsImage *
copy_of(VipsImage *photo)
{
	VipsImage *small, *decoded, *bright;
	void *buf;
	size_t len;
	g_assert_cmpint(vips_resize(photo, &small, 0.6, NULL), ==, 0);
	g_assert_cmpint(vips_jpegsave_buffer(small, &buf, &len, "Q", 75, NULL), ==, 0);
	decoded = vips_image_new_from_buffer(buf, len, "", NULL);
	g_assert_nonnull(decoded);
	g_assert_cmpint(vips_linear1(decoded, &bright, 1.08, 4, "uchar", TRUE, NULL), ==, 0);
	VipsImage *out = vips_image_copy_memory(bright);
	g_object_unref(small);
	g_object_unref(decoded);
	g_object_unref(bright);
	g_free(buf);
	return out;
}

static void
test_copies_and_others(void)
{
	const struct {
		LrSynthProduct product;
		LrSynthBackground background;
		unsigned seed;
	} scenes[] = {
		{ LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 1 },   { LR_SYNTH_BOWL, LR_SYNTH_WOOD, 2 },
		{ LR_SYNTH_TEXTILE, LR_SYNTH_CLUTTER, 3 }, { LR_SYNTH_BOWL, LR_SYNTH_PATTERN, 4 },
		{ LR_SYNTH_TEXTILE, LR_SYNTH_WOOD, 5 },
	};
	enum { S = G_N_ELEMENTS(scenes) };
	guint64 hash[S];
	for (int i = 0; i < S; i++) {
		VipsImage *photo = scene(scenes[i].product, scenes[i].background, scenes[i].seed);
		VipsImage *copy = copy_of(photo);
		VipsImage *a = analysis_copy(photo), *b = analysis_copy(copy);
		hash[i] = hash_of(a);
		int bits = lr_phash_distance(hash[i], hash_of(b));
		g_test_message("scene %d: its copy differs in %d bits", i, bits);
		g_assert_cmpint(bits, <=, 4);
		g_object_unref(a);
		g_object_unref(b);
		g_object_unref(copy);
		g_object_unref(photo);
	}
	for (int i = 0; i < S; i++)
		for (int j = i + 1; j < S; j++) {
			int bits = lr_phash_distance(hash[i], hash[j]);
			g_test_message("scenes %d and %d differ in %d bits", i, j, bits);
			g_assert_cmpint(bits, >=, 12);
		}
}

static void
test_other_forms(void)
{
	VipsImage *photo = scene(LR_SYNTH_BOWL, LR_SYNTH_WOOD, 7);
	VipsImage *a = analysis_copy(photo);
	guint64 colour = hash_of(a);
	VipsImage *grey, *wide, *tiny;
	g_assert_cmpint(vips_colourspace(a, &grey, VIPS_INTERPRETATION_B_W, NULL), ==, 0);
	g_assert_cmpint(vips_colourspace(a, &wide, VIPS_INTERPRETATION_RGB16, NULL), ==, 0);
	g_assert_cmpint(vips_resize(a, &tiny, 20.0 / a->Xsize, NULL), ==, 0);
	g_assert_cmpint(tiny->Xsize, <, 32);
	g_assert_cmpint(lr_phash_distance(colour, hash_of(grey)), <=, 2);
	g_assert_cmpint(lr_phash_distance(colour, hash_of(wide)), <=, 2);
	g_assert_cmpint(lr_phash_distance(colour, hash_of(tiny)), <=, 12);
	g_object_unref(grey);
	g_object_unref(wide);
	g_object_unref(tiny);
	g_object_unref(a);
	g_object_unref(photo);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/phash/copies-and-others", test_copies_and_others);
	g_test_add_func("/phash/other-forms", test_other_forms);
	return g_test_run();
}
