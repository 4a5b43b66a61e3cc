/* test_segment.c: tests of the product segmentation (filters/segment.c) on scenes generated in code.
 *
 * Each scene is a product (a checked/striped rectangle like a folded stole, a shaded disc like a pot)
 * on a background that phone photos really have: a plain sheet under a light gradient with a soft
 * shadow, wood, a busy pattern, plus framing cases. The ground truth is known exactly, so the tests
 * assert IoU, confidence ordering and the exactness the compose stage needs. Noise comes from a
 * fixed-seed generator: every run sees the same images. Timings are printed, not asserted.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "filters/resample.h"
#include "filters/segment.h"
#include "samples/synth.h"

enum { SCENE_PLAIN, SCENE_WOOD, SCENE_BUSY, SCENE_TWO, SCENE_CUT, SCENE_WHITE };

typedef struct {
	int kind;
	double cx[2], cy[2], r[2]; /* discs; r 0 = none */
	double rx0, ry0, rx1, ry1; /* rectangle; rx1 <= rx0 = none */
} Scene;

static uint32_t
scene_rand(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/* Noise in -A..A. */
static double
scene_noise(uint32_t *state, double a)
{
	return ((scene_rand(state) & 0xffff) / 65535.0 * 2 - 1) * a;
}

static Scene
scene_get(int kind)
{
	/* Coordinates in a 400 x 300 frame; renderers scale them. */
	Scene s = {kind, {290, 0}, {150, 0}, {70, 0}, 60, 80, 180, 230};

	if (kind == SCENE_TWO) {
		s.cx[0] = 120;
		s.cx[1] = 290;
		s.cy[1] = 150;
		s.r[0] = s.r[1] = 60;
		s.rx1 = s.rx0;
	} else if (kind == SCENE_CUT) {
		s.rx0 = -60;
		s.rx1 = 140;
		s.ry0 = 70;
		s.ry1 = 220;
		s.r[0] = 0;
	} else if (kind == SCENE_WHITE) {
		s.rx1 = s.rx0;
		s.cx[0] = 200;
		s.r[0] = 85;
	}
	return s;
}

/* Signed distance (units of the 400 frame) to the product boundary: > 0 inside. */
static double
scene_sdist(const Scene *s, double x, double y)
{
	double best = -1e9;

	for (int k = 0; k < 2; k++)
		if (s->r[k] > 0) {
			double d = s->r[k] - hypot(x - s->cx[k], y - s->cy[k]);

			if (d > best)
				best = d;
		}
	if (s->rx1 > s->rx0) {
		double dx = fmin(x - s->rx0, s->rx1 - x), dy = fmin(y - s->ry0, s->ry1 - y);
		double d = dx >= 0 && dy >= 0 ? fmin(dx, dy)
					       : -hypot(dx < 0 ? dx : 0, dy < 0 ? dy : 0);

		if (d > best)
			best = d;
	}
	return best;
}

typedef struct {
	double x, y, r;
	double c[3];
} Blob;

/* Renders scene S at W x H into RGB and the true mask into MASK (255/0, may be NULL). */
static void
scene_render(const Scene *s, int w, int h, guchar *rgb, guchar *mask)
{
	double k = 400.0 / w;
	uint32_t st = 99 + s->kind;
	Blob blobs[70];

	for (int i = 0; i < 70; i++) {
		blobs[i].x = scene_rand(&st) % 400;
		blobs[i].y = scene_rand(&st) % 300;
		blobs[i].r = 8 + scene_rand(&st) % 25;
		for (int c = 0; c < 3; c++)
			blobs[i].c[c] = 30 + scene_rand(&st) % 200;
	}
	st = 1234;
	for (int py = 0; py < h; py++)
		for (int px = 0; px < w; px++) {
			double x = (px + 0.5) * k, y = (py + 0.5) * k, c[3];
			double sd = scene_sdist(s, x, y);
			size_t i = (size_t)py * w + px;
			int in_disc = -1;

			for (int d = 0; d < 2; d++)
				if (s->r[d] > 0 && hypot(x - s->cx[d], y - s->cy[d]) < s->r[d])
					in_disc = d;
			if (sd > 0 && in_disc >= 0) {
				/* A pot: terracotta or blue glaze, lit from the top left. */
				double l = hypot(x - s->cx[in_disc] + 0.35 * s->r[in_disc],
						 y - s->cy[in_disc] + 0.35 * s->r[in_disc]) / s->r[in_disc];
				double f = 1.15 - 0.55 * l;
				static const double terra[3] = {185, 95, 55}, blue[3] = {40, 80, 160},
						    white[3] = {251, 250, 248};
				const double *base = s->kind == SCENE_WHITE ? white
						     : in_disc == 1	    ? blue
									    : terra;

				if (s->kind == SCENE_WHITE)
					f = 1.0 - 0.04 * l;
				for (int ch = 0; ch < 3; ch++)
					c[ch] = base[ch] * f;
			} else if (sd > 0) {
				/* A woven stole: maroon ground, gold stripes both ways, green border band. */
				int gx = (int)floor(x / 12) , gy = (int)floor(y / 12);
				double fx = x - gx * 12, fy = y - gy * 12;
				static const double maroon[3] = {140, 22, 45}, gold[3] = {215, 165, 45},
						    green[3] = {20, 90, 50};
				const double *base = maroon;

				if (fx < 3 || fy < 3)
					base = gold;
				if (y > s->ry1 - 18)
					base = green;
				for (int ch = 0; ch < 3; ch++)
					c[ch] = base[ch] * (0.92 + 0.08 * ((gx + gy) & 1));
			} else if (s->kind == SCENE_WOOD) {
				/* Wood: brown, grain along x from a few sinusoids, darker streaks. */
				double g = 0.85 + 0.1 * sin(y * 0.35 + 3 * sin(x * 0.02)) +
					   0.06 * sin(y * 1.7 + x * 0.05);
				static const double wood[3] = {165, 112, 70};

				for (int ch = 0; ch < 3; ch++)
					c[ch] = wood[ch] * g;
			} else if (s->kind == SCENE_BUSY) {
				c[0] = 120;
				c[1] = 130;
				c[2] = 110;
				for (int b = 0; b < 70; b++)
					if (hypot(x - blobs[b].x, y - blobs[b].y) < blobs[b].r)
						memcpy(c, blobs[b].c, sizeof(c));
			} else {
				/* A sheet under warm light falling off to the left, with a soft shadow
				 * to the right of the objects. */
				static const double sheet[3] = {236, 230, 214}, white_sheet[3] = {240, 239,
												   234};
				const double *base = s->kind == SCENE_WHITE ? white_sheet : sheet;
				double g = 0.78 + 0.25 * (x / 400.0);
				double sh = 0;

				for (int d = 0; d < 2; d++)
					if (s->r[d] > 0) {
						double dd = hypot(x - s->cx[d] - 18, y - s->cy[d] - 12) -
							    s->r[d];

						sh = fmax(sh, dd < 0 ? 1 : dd > 25 ? 0 : 1 - dd / 25);
					}
				if (s->rx1 > s->rx0) {
					double dx = fmax(fmax(s->rx0 + 14 - x, x - s->rx1 - 14), 0);
					double dy = fmax(fmax(s->ry0 + 10 - y, y - s->ry1 - 10), 0);
					double dd = hypot(dx, dy);

					sh = fmax(sh, dd > 25 ? 0 : 1 - dd / 25);
				}
				g *= 1 - 0.28 * sh;
				c[0] = base[0] * g;
				c[1] = base[1] * g;
				c[2] = base[2] * g * (s->kind == SCENE_WHITE ? 1 : 0.97);
			}
			for (int ch = 0; ch < 3; ch++) {
				double v = c[ch] + scene_noise(&st, 4);

				rgb[3 * i + ch] = (guchar)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
			}
			if (mask)
				mask[i] = sd > 0 ? 255 : 0;
		}
}

static double
iou(const guchar *alpha, const guchar *mask, size_t n)
{
	size_t inter = 0, uni = 0;

	for (size_t i = 0; i < n; i++) {
		int a = alpha[i] >= 128, b = mask[i] >= 128;

		inter += a && b;
		uni += a || b;
	}
	return uni ? (double)inter / uni : 1.0;
}

static const char *scene_names[] = {"plain", "wood", "busy", "two", "cut", "white"};

/* Runs the segmentation on scene KIND at 400 x 300; returns IoU, CONFIDENCE, and ALPHA if wanted. */
static double
run_scene(int kind, double *confidence, guchar **alpha_out)
{
	const int w = 400, h = 300;
	Scene s = scene_get(kind);
	guchar *rgb = g_malloc((size_t)w * h * 3), *mask = g_malloc((size_t)w * h);
	guchar *alpha = g_malloc((size_t)w * h);
	gint64 t0;
	double ms, v;
	int mid = 0;

	scene_render(&s, w, h, rgb, mask);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(lr_segment_product(rgb, w, h, alpha, confidence), ==, 0);
	ms = (g_get_monotonic_time() - t0) / 1000.0;
	/* Again, warm: the pipeline segments image after image in the same worker. */
	for (int r = 0; r < 3; r++) {
		double c2, ms2;

		t0 = g_get_monotonic_time();
		lr_segment_product(rgb, w, h, alpha, &c2);
		ms2 = (g_get_monotonic_time() - t0) / 1000.0;
		if (ms2 < ms)
			ms = ms2;
		g_assert_cmpfloat(c2, ==, *confidence); /* deterministic */
	}
	v = iou(alpha, mask, (size_t)w * h);
	for (int i = 0; i < w * h; i++)
		mid += alpha[i] > 0 && alpha[i] < 255;
	if (g_getenv("LR_TEST_DUMP")) {
		/* Side by side: the scene and the mask, for looking at failures. */
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.ppm", g_getenv("LR_TEST_DUMP"), scene_names[kind]);
		if ((f = fopen(path, "wb"))) {
			fprintf(f, "P6 %d %d 255\n", 2 * w, h);
			for (int y = 0; y < h; y++) {
				fwrite(rgb + (size_t)y * w * 3, 1, (size_t)w * 3, f);
				for (int x = 0; x < w; x++)
					for (int c = 0; c < 3; c++)
						fputc(alpha[y * w + x], f);
			}
			fclose(f);
		}
	}
	printf("# scene %-6s IoU %.4f confidence %.3f  %.1f ms  (%d soft px)\n", scene_names[kind], v,
	       *confidence, ms, mid);
	g_free(rgb);
	g_free(mask);
	if (alpha_out)
		*alpha_out = alpha;
	else
		g_free(alpha);
	return v;
}

static void
test_plain(void)
{
	double conf;

	g_assert_cmpfloat(run_scene(SCENE_PLAIN, &conf, NULL), >=, 0.95);
	g_assert_cmpfloat(conf, >, 0.5);
}

static void
test_wood(void)
{
	double conf;

	g_assert_cmpfloat(run_scene(SCENE_WOOD, &conf, NULL), >=, 0.95);
}

/* A busy background of many coloured blobs, all in focus: the hardest case, since neither the border's
 * colours nor focus tell the product from the blobs (/segment/room has the defocused room that phone
 * photos show). The cut here is at the mercy of small changes (it reached 0.73 once and 0.39 after
 * the seed and shade changes of issue 5 that fixed sets on wood), so its IoU is not what is
 * asserted. What is required: a mask that poor is not trusted. The confidence must fall below
 * compose's default min_confidence (0.5), so the photo goes to review as background_uncertain; the
 * plain scene, whose border shows one colour, stays confident. */
static void
test_busy(void)
{
	double conf, conf_plain, v;

	v = run_scene(SCENE_BUSY, &conf, NULL);
	if (v < 0.85)
		g_assert_cmpfloat(conf, <, 0.5);
	run_scene(SCENE_PLAIN, &conf_plain, NULL);
	g_assert_cmpfloat(conf_plain, >, 0.9);
}

static void
test_two(void)
{
	double conf;
	guchar *alpha;

	g_assert_cmpfloat(run_scene(SCENE_TWO, &conf, &alpha), >=, 0.95);
	/* Both discs are product: the centres are fully inside. */
	g_assert_cmpint(alpha[150 * 400 + 120], ==, 255);
	g_assert_cmpint(alpha[150 * 400 + 290], ==, 255);
	g_free(alpha);
}

static void
test_cut(void)
{
	double conf;
	guchar *alpha;
	int reach = 0;

	g_assert_cmpfloat(run_scene(SCENE_CUT, &conf, &alpha), >=, 0.95);
	/* The mask must reach the frame where the stole is cut off (rows 70..220), and only there. */
	for (int y = 80; y < 210; y++)
		reach += alpha[y * 400] >= 128;
	g_assert_cmpint(reach, >=, 125);
	g_assert_cmpint(alpha[20 * 400], ==, 0);
	g_assert_cmpint(alpha[280 * 400], ==, 0);
	g_free(alpha);
}

static void
test_white(void)
{
	double conf_white, conf_plain;

	run_scene(SCENE_WHITE, &conf_white, NULL);
	run_scene(SCENE_PLAIN, &conf_plain, NULL);
	g_assert_cmpfloat(conf_white, <, conf_plain);
}

/* The reduction the pipeline itself makes (filters/resample.c's triangle kernel: normalize's 2000 px view,
 * then analyse's 400 px copy), as a KERNEL value for run_synth_kernel. */
#define PIPELINE_REDUCTION VIPS_KERNEL_LAST

/* IN reduced by SCALE: with libvips's vips_resize and KERNEL, or as the pipeline does. */
static int
reduce(VipsImage *in, double scale, VipsKernel kernel, VipsImage **out)
{
	if (kernel == PIPELINE_REDUCTION)
		return lr_resample_scale(in, scale, LR_KERNEL_TRIANGLE, FALSE, out);
	return vips_resize(in, out, scale, "kernel", kernel, NULL);
}

/* Renders the generator's scene SPEC (samples/synth.c; 4000 x 3000) as a phone takes it, reduces it to 2000 px
 * and then 400 px (the first step with Lanczos 3, the last with KERNEL; PIPELINE_REDUCTION does both as
 * normalize and analyse do) and segments the analysis copy; returns the IoU against the generator's
 * exact mask reduced the same way, and the confidence. */
static double
run_synth_spec(const LrSynthSpec *spec, VipsKernel kernel, double *confidence)
{
	VipsImage *image, *truth, *t[4] = { NULL, NULL, NULL, NULL }, *small, *tsmall;
	guchar *alpha, *a;
	double v;
	gint64 t0;

	VipsKernel first = kernel == PIPELINE_REDUCTION ? PIPELINE_REDUCTION : VIPS_KERNEL_LANCZOS3;
	if (lr_synth_render(spec, &image, &truth) || reduce(image, 0.5, first, &t[0]) ||
	    reduce(t[0], 0.2, kernel, &t[1]) || reduce(truth, 0.5, first, &t[2]) ||
	    reduce(t[2], 0.2, kernel, &t[3]))
		g_error("%s", vips_error_buffer());
	small = vips_image_copy_memory(t[1]);
	tsmall = vips_image_copy_memory(t[3]);
	g_assert_cmpint(small->Xsize, ==, 400);
	g_assert_cmpint(small->Ysize, ==, 300);
	alpha = g_malloc(400 * 300);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(lr_segment_product(VIPS_IMAGE_ADDR(small, 0, 0), 400, 300, alpha, confidence),
			==, 0);
	a = VIPS_IMAGE_ADDR(tsmall, 0, 0);
	v = iou(alpha, a, 400 * 300);
	printf("# synth background %d seed %u: IoU %.4f confidence %.3f  %.1f ms\n", spec->background,
	       spec->seed, v, *confidence, (g_get_monotonic_time() - t0) / 1000.0);
	g_free(alpha);
	for (int i = 0; i < 4; i++)
		g_object_unref(t[i]);
	g_object_unref(small);
	g_object_unref(tsmall);
	g_object_unref(image);
	g_object_unref(truth);
	return v;
}

/* The same for PRODUCT on BACKGROUND, SIZE of the frame, centred horizontally and at CY of the height,
 * COUNT objects, SEED and FOCUS, the rest as the generator's default at 12 MP. */
static double
run_synth_focus(LrSynthProduct product, LrSynthBackground background, double size, double cy,
		int count, unsigned seed, LrSynthFocus focus, VipsKernel kernel, double *confidence)
{
	LrSynthSpec spec;

	lr_synth_spec_default(&spec, 4000, 3000);
	spec.product = product;
	spec.background = background;
	spec.product_size = size;
	spec.centre_y = cy;
	spec.noise_sigma = 1.5;
	spec.seed = seed;
	spec.count = count;
	spec.focus = focus;
	return run_synth_spec(&spec, kernel, confidence);
}

/* The same for a room in focus behind the product only (the generator's default). */
static double
run_synth_kernel(LrSynthProduct product, LrSynthBackground background, double size, double cy,
		 int count, unsigned seed, VipsKernel kernel, double *confidence)
{
	return run_synth_focus(product, background, size, cy, count, seed, LR_SYNTH_FOCUS_PRODUCT,
			       kernel, confidence);
}

/* The same with vips_resize's default kernel (Lanczos 3) for both steps, as the tests below were
 * written with; the pipeline reduces with its own triangle kernel (PIPELINE_REDUCTION). */
static double
run_synth(LrSynthProduct product, LrSynthBackground background, double size, double cy, int count,
	  unsigned seed, double *confidence)
{
	return run_synth_kernel(product, background, size, cy, count, seed, VIPS_KERNEL_LANCZOS3,
				confidence);
}

/* A stole and a bowl held up in a cluttered room, the room out of focus behind them (the generator's
 * clutter scene, issue 5). GrabCut seeded from the border failed here (IoU 0.4 and less): the border
 * runs through a dozen colours. The defocus prior finds the room by its soft edges; the cut must then
 * be right and, being right, trusted. */
static void
test_room(void)
{
	double conf, v;

	v = run_synth(LR_SYNTH_TEXTILE, LR_SYNTH_CLUTTER, 0.70, 0.55, 0, 42, &conf);
	g_assert_cmpfloat(v, >=, 0.9);
	g_assert_cmpfloat(conf, >=, 0.5);
	v = run_synth(LR_SYNTH_BOWL, LR_SYNTH_CLUTTER, 0.60, 0.55, 0, 41, &conf);
	g_assert_cmpfloat(v, >=, 0.9);
	g_assert_cmpfloat(conf, >=, 0.5);
}

/* Three small bowls in the same kind of room, one of them black beside black furniture: either the
 * mask is right or the photo goes to review (it once came out at IoU 0.10 with confidence 0.52). */
static void
test_room_set(void)
{
	double conf, v;

	v = run_synth(LR_SYNTH_BOWL, LR_SYNTH_CLUTTER, 0.60, 0.55, 3, 77, &conf);
	if (v < 0.7)
		g_assert_cmpfloat(conf, <, 0.5);
}

/* Sets of bowls on a wooden table (issue 5). Three black bowls: the first product model took the wood
 * of their contact shadows and of the plank joints, and the cut took a whole plank band with them
 * (IoU 0.21). Three little bowls, a fifth of the frame: the wood's own grain and joints outnumbered
 * the bowls among the product seeds, and the mask was most of the table (IoU 0.02). Both must now be
 * right and trusted, however the photo was reduced. */
static void
test_wood_set(void)
{
	double conf, v;

	const VipsKernel kernels[] = { PIPELINE_REDUCTION, VIPS_KERNEL_LINEAR, VIPS_KERNEL_LANCZOS3 };
	for (guint k = 0; k < G_N_ELEMENTS(kernels); k++) {
		VipsKernel kernel = kernels[k];

		v = run_synth_kernel(LR_SYNTH_BOWL, LR_SYNTH_WOOD, 0.60, 0.5, 3, 72, kernel, &conf);
		g_assert_cmpfloat(v, >=, 0.9);
		g_assert_cmpfloat(conf, >=, 0.5);
		v = run_synth_kernel(LR_SYNTH_BOWL, LR_SYNTH_WOOD, 0.27, 0.5, 3, 309, kernel, &conf);
		g_assert_cmpfloat(v, >=, 0.85);
		g_assert_cmpfloat(conf, >=, 0.5);
	}
}

/* A black bowl in a room with black furniture (the clutter scene, seed 43): the contact shadow's
 * darkened floor colours had seeded the product model and the cut ran into the room (IoU 0.78,
 * flagged). The benchmark's copy of it (both reductions linear) now comes out right (0.99) and
 * trusted, but the result still depends on how the photo was reduced (0.83 and 0.0 with libvips's
 * kernels here, both flagged), so what is asserted, for the pipeline's own reduction too, is the
 * requirement: right, or sent to review. */
static void
test_room_black(void)
{
	const VipsKernel kernels[] = { PIPELINE_REDUCTION, VIPS_KERNEL_LINEAR, VIPS_KERNEL_LANCZOS3 };
	for (guint k = 0; k < G_N_ELEMENTS(kernels); k++) {
		double conf, v;

		v = run_synth_kernel(LR_SYNTH_BOWL, LR_SYNTH_CLUTTER, 0.70, 0.5, 0, 43, kernels[k], &conf);
		if (v < 0.9)
			g_assert_cmpfloat(conf, <, 0.5);
	}
}

/* A blue bowl on a printed white sheet (the benchmark's pattern scene 32 with seed 632): its dark grey
 * inside passed for the sheet in deep shade, and the cut kept only the bowl's outside (IoU 0.46,
 * trusted). Shade is now excused only down to a quarter of the light. */
static void
test_bowl_on_print(void)
{
	double conf, v;

	v = run_synth_kernel(LR_SYNTH_BOWL, LR_SYNTH_PATTERN, 0.65, 0.5, 0, 632, PIPELINE_REDUCTION,
			     &conf);
	g_assert_cmpfloat(v, >=, 0.85);
	g_assert_cmpfloat(conf, >=, 0.5);
}

/* Rooms with the floor the product stands on in focus: the things on that floor beside the product
 * are as sharp as it is, and the cut took some of them in (IoU 0.62 and 0.36, trusted). Focus can no
 * longer single the product out there, so it does not vouch for the cut: right, or sent to review.
 * And a stole in a room blurred behind it (clutter seed 44), right (0.96) but sent to review for its
 * colours' overlap with the room's, is trusted now that focus confirms its outline. */
static void
test_room_floor(void)
{
	const unsigned seeds[] = { 82, 84, 684 };
	double conf, v;

	for (guint k = 0; k < G_N_ELEMENTS(seeds); k++) {
		/* The benchmark's room scenes: one bowl, and a set of three at 0.55. */
		v = run_synth_focus(LR_SYNTH_BOWL, LR_SYNTH_CLUTTER, k ? 0.55 : 0.60, 0.55, k ? 3 : 0,
				    seeds[k], LR_SYNTH_FOCUS_FLOOR, PIPELINE_REDUCTION, &conf);
		if (v < 0.7)
			g_assert_cmpfloat(conf, <, 0.5);
	}
	v = run_synth_kernel(LR_SYNTH_TEXTILE, LR_SYNTH_CLUTTER, 0.60, 0.55, 0, 44, PIPELINE_REDUCTION,
			     &conf);
	g_assert_cmpfloat(v, >=, 0.9);
	g_assert_cmpfloat(conf, >=, 0.5);
}

/* A room in focus throughout: nothing but colour and framing is left to find the product by, and
 * a border through many colours says colour cannot be trusted: right, or sent to review. */
static void
test_room_sharp(void)
{
	const unsigned seeds[] = { 85, 86, 1085 };
	double conf, v;

	for (guint k = 0; k < G_N_ELEMENTS(seeds); k++) {
		v = run_synth_focus(k == 1 ? LR_SYNTH_BOWL : LR_SYNTH_TEXTILE, LR_SYNTH_CLUTTER,
				    k == 1 ? 0.60 : 0.65, 0.55, 0, seeds[k], LR_SYNTH_FOCUS_ALL,
				    PIPELINE_REDUCTION, &conf);
		if (v < 0.7)
			g_assert_cmpfloat(conf, <, 0.5);
	}
}

/* Stoles on a plain sheet lit by a warm lamp whose pool of light reaches the top of the frame (the
 * benchmark's plain scene 1010 and fringe scene 63 with seeds 2010 and 1063): the quadratic light
 * surface cannot follow the pool, a quarter of the frame became product seeds, and the cut ran from
 * the top edge down to the stole (IoU 0.53, trusted). The pool fades into the sheet without a step
 * and is no longer seeded as product: right, and trusted. */
static void
test_sheet_pool(void)
{
	LrSynthSpec spec;
	double conf, v;

	for (int k = 0; k < 2; k++) {
		lr_synth_spec_default(&spec, 4000, 3000);
		spec.product = LR_SYNTH_TEXTILE;
		spec.background = LR_SYNTH_SHEET;
		spec.product_size = 0.60;
		spec.centre_x = 0.45;
		spec.centre_y = k ? 0.5 : 0.55;
		spec.warmth = k ? 0.4 : 0.6;
		spec.fringe = k == 1;
		spec.noise_sigma = 1.5;
		spec.seed = k ? 1063 : 2010;
		v = run_synth_spec(&spec, PIPELINE_REDUCTION, &conf);
		g_assert_cmpfloat(v, >=, 0.85);
		g_assert_cmpfloat(conf, >=, 0.5);
	}
}

/* 12 MP guide: segment at 400 x 300 (not an exact divisor on purpose: 4000 x 3000 -> 401 x 301
 * would be; we use 400 x 300 from 4001 x 3001), upsample, check at full resolution. */
static void
test_upsample(void)
{
	const int W = 4001, H = 3001;
	Scene s = scene_get(SCENE_PLAIN);
	guchar *rgb = g_malloc((size_t)W * H * 3), *mask = g_malloc((size_t)W * H);
	VipsImage *guide, *small, *alpha_img, *up;
	guchar *small_rgb, *alpha, *full;
	size_t len;
	double conf, v, k = 400.0 / W;
	gint64 t0;
	long inside_bad = 0, outside_bad = 0, mid_far = 0, mid = 0;

	scene_render(&s, W, H, rgb, mask);
	guide = vips_image_new_from_memory(rgb, (size_t)W * H * 3, W, H, 3, VIPS_FORMAT_UCHAR);
	g_assert_nonnull(guide);
	if (vips_resize(guide, &small, 400.0 / W, "vscale", 300.0 / H, NULL))
		g_error("%s", vips_error_buffer());
	small_rgb = vips_image_write_to_memory(small, &len);
	g_assert_cmpint(small->Xsize, ==, 400);
	g_assert_cmpint(small->Ysize, ==, 300);
	alpha = g_malloc(400 * 300);
	g_assert_cmpint(lr_segment_product(small_rgb, 400, 300, alpha, &conf), ==, 0);
	alpha_img = vips_image_new_from_memory(alpha, 400 * 300, 400, 300, 1, VIPS_FORMAT_UCHAR);
	t0 = g_get_monotonic_time();
	if (lr_segment_upsample(guide, alpha_img, &up))
		g_error("%s", vips_error_buffer());
	g_assert_cmpint(up->Xsize, ==, W);
	g_assert_cmpint(up->Ysize, ==, H);
	g_assert_cmpint(up->Bands, ==, 1);
	g_assert_cmpint(up->BandFmt, ==, VIPS_FORMAT_UCHAR);
	full = vips_image_write_to_memory(up, &len);
	printf("# upsample to %dx%d: %.1f ms\n", W, H, (g_get_monotonic_time() - t0) / 1000.0);
	v = iou(full, mask, (size_t)W * H);
	for (int y = 0; y < H; y += 1)
		for (int x = 0; x < W; x += 1) {
			size_t i = (size_t)y * W + x;
			/* Distance to the true boundary in full-size pixels. */
			double sd = scene_sdist(&s, (x + 0.5) * k, (y + 0.5) * k) / k;
			int a = full[i];

			if (sd > 80 && a != 255 && inside_bad++ < 3)
				printf("# inside not 255 at %d,%d: %d\n", x, y, a);
			if (sd < -80 && a != 0)
				outside_bad++;
			if (a > 0 && a < 255) {
				mid++;
				if (fabs(sd) > 80)
					mid_far++;
			}
		}
	printf("# upsample IoU %.4f, soft px %ld (far from edge %ld), inside not 255 %ld, outside not "
	       "0 %ld\n",
	       v, mid, mid_far, inside_bad, outside_bad);
	g_assert_cmpfloat(v, >=, 0.95);
	g_assert_cmpint(inside_bad, ==, 0);
	g_assert_cmpint(outside_bad, ==, 0);
	g_assert_cmpint(mid, >, 0);
	g_assert_cmpint(mid_far, ==, 0);
	g_object_unref(up);
	g_object_unref(alpha_img);
	g_object_unref(small);
	g_object_unref(guide);
	g_free(full);
	g_free(small_rgb);
	g_free(alpha);
	g_free(rgb);
	g_free(mask);
}

int
main(int argc, char **argv)
{
	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/segment/plain", test_plain);
	g_test_add_func("/segment/wood", test_wood);
	g_test_add_func("/segment/busy", test_busy);
	g_test_add_func("/segment/two", test_two);
	g_test_add_func("/segment/cut", test_cut);
	g_test_add_func("/segment/white", test_white);
	g_test_add_func("/segment/room", test_room);
	g_test_add_func("/segment/room-set", test_room_set);
	g_test_add_func("/segment/wood-set", test_wood_set);
	g_test_add_func("/segment/room-black", test_room_black);
	g_test_add_func("/segment/bowl-on-print", test_bowl_on_print);
	g_test_add_func("/segment/room-floor", test_room_floor);
	g_test_add_func("/segment/room-sharp", test_room_sharp);
	g_test_add_func("/segment/sheet-pool", test_sheet_pool);
	g_test_add_func("/segment/upsample", test_upsample);
	return g_test_run();
}
