/* segment.c: listready-bench-segment, the segmentation benchmark (issue 5).
 *
 *   build/listready-bench-segment [--width 4000 --height 3000] [--reps 3] [--seed-offset N]
 *                                 [--only TYPE] [--json FILE]
 *
 * Renders phone-like product photos with exact ground-truth masks (samples/synth.c: a plain sheet with
 * uneven light and a soft shadow, a wooden table, a printed bedsheet, a cluttered room, white on white,
 * long fringes, sets of several objects; 49 images; and 7 rooms with another depth of field: a sharp
 * floor under the product, or everything sharp), then runs what the pipeline runs on each: the
 * analysis copy (the photo at 2000 px, then 400 px, as filters/analyse.c makes it), the segmentation
 * (lr_segment_product), the full-size refinement (lr_segment_upsample) and the compose stage with the
 * default profile. It reports per image and per background type:
 *  - IoU of the full-size mask (>= 128) with the truth (>= 128);
 *  - the boundary F-score (F. Perazzi et al., "A Benchmark Dataset and Evaluation Methodology for Video
 *    Object Segmentation", CVPR 2016, after D. Martin et al., TPAMI 2004): precision and recall of the
 *    mask's boundary pixels against the truth's within a tolerance of 0.2% of the image diagonal
 *    (10 px at 12 MP), computed at a quarter of the size with a chamfer distance;
 *  - the confidence and whether the photo would go to review as background_uncertain (confidence below
 *    the default profile's min_confidence), and how many images score IoU < 0.7 without being flagged;
 *  - milliseconds of CPU time (one core: vips_concurrency_set(1)) for segment, refine and compose, each
 *    the best of --reps runs, and the median and worst segment time over the images run.
 * --seed-offset renders the same scenes from other seeds: fresh photos, so that what is tuned on the
 * default ones is checked on photos it has not seen.
 * The segmentation is the one filters/segment.c describes: border-seeded GrabCut with framing and
 * defocus priors, coarse-to-fine graph cuts.
 * Results are printed as a table and as JSON (to --json FILE, or after the table).
 */
#include "filters/filter.h"
#include "filters/resample.h"
#include "filters/segment.h"
#include "pipeline/profile.h"
#include "samples/synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

extern const LrFilter lr_filter_compose;

typedef struct {
	const char *type; /* background type, the unit the targets are stated in */
	LrSynthProduct product;
	LrSynthBackground background;
	double size, cx, cy, warmth, blur;
	unsigned seed;
	int count;
	gboolean white, fringe;
	LrSynthFocus focus;
} BenchScene;

#define T LR_SYNTH_TEXTILE
#define B LR_SYNTH_BOWL
#define P LR_SYNTH_FOCUS_PRODUCT
#define F LR_SYNTH_FOCUS_FLOOR
#define A LR_SYNTH_FOCUS_ALL
/* Seeds are arbitrary and fixed; sizes and places spread over what artisans' photos show. */
static const BenchScene scenes[] = {
	{ "plain", T, LR_SYNTH_SHEET, 0.74, 0.5, 0.5, 0, 0, 101, 0, FALSE, FALSE, P },
	{ "plain", B, LR_SYNTH_SHEET, 0.70, 0.5, 0.5, 0, 0, 505, 0, FALSE, FALSE, P },
	{ "plain", T, LR_SYNTH_SHEET, 0.60, 0.45, 0.55, 0.6, 0, 1010, 0, FALSE, FALSE, P },
	{ "plain", B, LR_SYNTH_SHEET, 0.55, 0.55, 0.45, 0.3, 0, 11, 0, FALSE, FALSE, P },
	{ "plain", T, LR_SYNTH_SHEET, 0.85, 0.5, 0.5, 0, 0, 12, 0, FALSE, FALSE, P },
	{ "plain", B, LR_SYNTH_SHEET, 0.80, 0.5, 0.55, 0, 0, 13, 0, FALSE, FALSE, P },
	{ "plain", T, LR_SYNTH_SHEET, 0.50, 0.5, 0.5, 0, 3, 14, 0, FALSE, FALSE, P },
	{ "table", B, LR_SYNTH_WOOD, 0.72, 0.5, 0.52, 0, 0, 202, 0, FALSE, FALSE, P },
	{ "table", T, LR_SYNTH_WOOD, 0.70, 0.5, 0.5, 0, 0, 21, 0, FALSE, FALSE, P },
	{ "table", B, LR_SYNTH_WOOD, 0.60, 0.45, 0.5, 0, 0, 22, 0, FALSE, FALSE, P },
	{ "table", T, LR_SYNTH_WOOD, 0.80, 0.5, 0.5, 0.4, 0, 23, 0, FALSE, FALSE, P },
	{ "table", B, LR_SYNTH_WOOD, 0.50, 0.55, 0.55, 0, 0, 24, 0, FALSE, FALSE, P },
	{ "table", T, LR_SYNTH_WOOD, 0.60, 0.5, 0.45, 0, 0, 25, 0, FALSE, FALSE, P },
	{ "table", B, LR_SYNTH_WOOD, 0.80, 0.5, 0.5, 0, 0, 26, 0, FALSE, FALSE, P },
	{ "pattern", T, LR_SYNTH_PATTERN, 0.70, 0.5, 0.5, 0, 0, 31, 0, FALSE, FALSE, P },
	{ "pattern", B, LR_SYNTH_PATTERN, 0.65, 0.5, 0.5, 0, 0, 32, 0, FALSE, FALSE, P },
	{ "pattern", T, LR_SYNTH_PATTERN, 0.60, 0.45, 0.55, 0, 0, 33, 0, FALSE, FALSE, P },
	{ "pattern", B, LR_SYNTH_PATTERN, 0.55, 0.5, 0.5, 0.3, 0, 34, 0, FALSE, FALSE, P },
	{ "pattern", T, LR_SYNTH_PATTERN, 0.80, 0.5, 0.5, 0, 0, 35, 0, FALSE, FALSE, P },
	{ "pattern", B, LR_SYNTH_PATTERN, 0.75, 0.55, 0.5, 0, 0, 36, 0, FALSE, FALSE, P },
	{ "pattern", T, LR_SYNTH_PATTERN, 0.65, 0.5, 0.5, 0, 0, 37, 0, FALSE, FALSE, P },
	{ "clutter", T, LR_SYNTH_CLUTTER, 0.66, 0.5, 0.55, 0, 0, 303, 0, FALSE, FALSE, P },
	{ "clutter", B, LR_SYNTH_CLUTTER, 0.60, 0.5, 0.55, 0, 0, 41, 0, FALSE, FALSE, P },
	{ "clutter", T, LR_SYNTH_CLUTTER, 0.70, 0.5, 0.55, 0, 0, 42, 0, FALSE, FALSE, P },
	{ "clutter", B, LR_SYNTH_CLUTTER, 0.70, 0.5, 0.5, 0, 0, 43, 0, FALSE, FALSE, P },
	{ "clutter", T, LR_SYNTH_CLUTTER, 0.60, 0.5, 0.55, 0, 0, 44, 0, FALSE, FALSE, P },
	{ "clutter", B, LR_SYNTH_CLUTTER, 0.55, 0.5, 0.55, 0, 0, 45, 0, FALSE, FALSE, P },
	{ "clutter", T, LR_SYNTH_CLUTTER, 0.75, 0.5, 0.5, 0, 0, 46, 0, FALSE, FALSE, P },
	{ "white", T, LR_SYNTH_WHITE_SHEET, 0.70, 0.5, 0.5, 0, 0, 51, 0, TRUE, FALSE, P },
	{ "white", B, LR_SYNTH_WHITE_SHEET, 0.65, 0.5, 0.5, 0, 0, 52, 0, TRUE, FALSE, P },
	{ "white", T, LR_SYNTH_WHITE_SHEET, 0.60, 0.5, 0.5, 0, 0, 53, 0, TRUE, FALSE, P },
	{ "white", B, LR_SYNTH_WHITE_SHEET, 0.75, 0.5, 0.5, 0, 0, 54, 0, TRUE, FALSE, P },
	{ "white", T, LR_SYNTH_WHITE_SHEET, 0.80, 0.5, 0.5, 0.3, 0, 55, 0, TRUE, FALSE, P },
	{ "white", B, LR_SYNTH_WHITE_SHEET, 0.55, 0.5, 0.5, 0, 0, 56, 0, TRUE, FALSE, P },
	{ "white", T, LR_SYNTH_SHEET, 0.70, 0.5, 0.5, 0, 0, 57, 0, TRUE, FALSE, P },
	{ "fringe", T, LR_SYNTH_SHEET, 0.65, 0.45, 0.5, 0, 0, 61, 0, FALSE, TRUE, P },
	{ "fringe", T, LR_SYNTH_WOOD, 0.65, 0.45, 0.5, 0, 0, 62, 0, FALSE, TRUE, P },
	{ "fringe", T, LR_SYNTH_SHEET, 0.60, 0.45, 0.5, 0.4, 0, 63, 0, FALSE, TRUE, P },
	{ "fringe", T, LR_SYNTH_WOOD, 0.70, 0.45, 0.5, 0, 0, 64, 0, FALSE, TRUE, P },
	{ "fringe", T, LR_SYNTH_PATTERN, 0.60, 0.45, 0.5, 0, 0, 65, 0, FALSE, TRUE, P },
	{ "fringe", T, LR_SYNTH_WHITE_SHEET, 0.65, 0.45, 0.5, 0, 0, 66, 0, TRUE, TRUE, P },
	{ "fringe", T, LR_SYNTH_SHEET, 0.75, 0.45, 0.5, 0, 0, 67, 0, FALSE, TRUE, P },
	{ "several", B, LR_SYNTH_SHEET, 0.60, 0.5, 0.5, 0, 0, 71, 3, FALSE, FALSE, P },
	{ "several", B, LR_SYNTH_WOOD, 0.60, 0.5, 0.5, 0, 0, 72, 3, FALSE, FALSE, P },
	{ "several", B, LR_SYNTH_SHEET, 0.65, 0.5, 0.5, 0, 0, 73, 2, FALSE, FALSE, P },
	{ "several", T, LR_SYNTH_SHEET, 0.60, 0.5, 0.5, 0, 0, 74, 2, FALSE, FALSE, P },
	{ "several", B, LR_SYNTH_WOOD, 0.70, 0.5, 0.5, 0, 0, 75, 2, FALSE, FALSE, P },
	{ "several", B, LR_SYNTH_PATTERN, 0.60, 0.5, 0.5, 0, 0, 76, 3, FALSE, FALSE, P },
	{ "several", B, LR_SYNTH_CLUTTER, 0.60, 0.5, 0.55, 0, 0, 77, 3, FALSE, FALSE, P },
	/* Rooms whose depth of field is not the portrait blur of the clutter scenes: the floor the
	 * product stands on sharp near it and softening with distance (the wall blurred), and rooms in
	 * focus throughout, where the defocus prior is off and only colour and framing are left. */
	{ "room", T, LR_SYNTH_CLUTTER, 0.65, 0.5, 0.55, 0, 0, 81, 0, FALSE, FALSE, F },
	{ "room", B, LR_SYNTH_CLUTTER, 0.60, 0.5, 0.55, 0, 0, 82, 0, FALSE, FALSE, F },
	{ "room", T, LR_SYNTH_CLUTTER, 0.70, 0.5, 0.5, 0, 0, 83, 0, FALSE, FALSE, F },
	{ "room", B, LR_SYNTH_CLUTTER, 0.55, 0.5, 0.55, 0, 0, 84, 3, FALSE, FALSE, F },
	{ "room", T, LR_SYNTH_CLUTTER, 0.65, 0.5, 0.55, 0, 0, 85, 0, FALSE, FALSE, A },
	{ "room", B, LR_SYNTH_CLUTTER, 0.60, 0.5, 0.55, 0, 0, 86, 0, FALSE, FALSE, A },
	{ "room", T, LR_SYNTH_CLUTTER, 0.70, 0.5, 0.5, 0, 0, 87, 0, FALSE, FALSE, A },
};
#undef T
#undef B
#undef P
#undef F
#undef A

typedef struct {
	double iou, bf, confidence, ms_segment, ms_refine, ms_compose;
	gboolean flagged;
} BenchResult;

/* CPU time of the process in ms: the machine is shared, so wall clock would time the neighbours too;
 * with vips_concurrency_set(1) the steps run on one core. */
static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Chamfer (3-4) distance, in pixels, from every pixel to the nearest pixel with EDGE set. */
static void
chamfer(const guchar *edge, int w, int h, float *d)
{
	for (int i = 0; i < w * h; i++)
		d[i] = edge[i] ? 0 : 1e9f;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			float *p = d + (size_t)y * w + x;

			if (x > 0)
				*p = MIN(*p, p[-1] + 3);
			if (y > 0) {
				*p = MIN(*p, p[-w] + 3);
				if (x > 0)
					*p = MIN(*p, p[-w - 1] + 4);
				if (x < w - 1)
					*p = MIN(*p, p[-w + 1] + 4);
			}
		}
	for (int y = h - 1; y >= 0; y--)
		for (int x = w - 1; x >= 0; x--) {
			float *p = d + (size_t)y * w + x;

			if (x < w - 1)
				*p = MIN(*p, p[1] + 3);
			if (y < h - 1) {
				*p = MIN(*p, p[w] + 3);
				if (x < w - 1)
					*p = MIN(*p, p[w + 1] + 4);
				if (x > 0)
					*p = MIN(*p, p[w - 1] + 4);
			}
		}
	for (int i = 0; i < w * h; i++)
		d[i] /= 3;
}

/* Boundary pixels of M >= 128 (4-neighbour label change), not counting the frame's edge. */
static void
boundary(const guchar *m, int w, int h, guchar *edge)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			int v = m[i] >= 128;

			edge[i] = (x + 1 < w && (m[i + 1] >= 128) != v) ||
				  (y + 1 < h && (m[i + w] >= 128) != v);
		}
}

/* Boundary F-score of MASK against TRUTH (same size, uchar) within TOL pixels. */
static double
boundary_f(const guchar *mask, const guchar *truth, int w, int h, double tol)
{
	size_t n = (size_t)w * h;
	guchar *em = g_malloc(n), *et = g_malloc(n);
	float *dm = g_new(float, n), *dt = g_new(float, n);
	long nm = 0, nt = 0, hit_m = 0, hit_t = 0;

	boundary(mask, w, h, em);
	boundary(truth, w, h, et);
	chamfer(em, w, h, dm);
	chamfer(et, w, h, dt);
	for (size_t i = 0; i < n; i++) {
		nm += em[i];
		nt += et[i];
		hit_m += em[i] && dt[i] <= tol;
		hit_t += et[i] && dm[i] <= tol;
	}
	g_free(em), g_free(et), g_free(dm), g_free(dt);
	if (!nm && !nt)
		return 1;
	double p = nm ? (double)hit_m / nm : 0, r = nt ? (double)hit_t / nt : 0;
	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/* IN at SCALE of its size, in memory, reduced as the pipeline reduces (filters/resample.c's triangle
 * kernel); the bench's helper for the analysis copy and the BF scale. */
static VipsImage *
shrunk(VipsImage *in, double scale)
{
	VipsImage *m;
	return lr_resample_scale(in, scale, LR_KERNEL_TRIANGLE, FALSE, &m) ? NULL : m;
}

static int
bench_one(const BenchScene *sc, unsigned seed, int width, int height, int reps,
	  const LrProfile *profile, double min_confidence, BenchResult *res)
{
	LrSynthSpec spec;
	VipsImage *image, *truth, *view, *small, *mask = NULL;
	double conf = 0;

	lr_synth_spec_default(&spec, width, height);
	spec.product = sc->product;
	spec.background = sc->background;
	spec.product_size = sc->size;
	spec.centre_x = sc->cx;
	spec.centre_y = sc->cy;
	spec.warmth = sc->warmth;
	spec.blur_sigma = sc->blur * width / 4000.0;
	spec.noise_sigma = 1.5;
	spec.seed = seed;
	spec.count = sc->count;
	spec.white = sc->white;
	spec.fringe = sc->fringe;
	spec.focus = sc->focus;
	if (lr_synth_render(&spec, &image, &truth))
		return -1;
	/* As analyse.c: the view at 2000 px, the analysis copy at 400 px from it. */
	view = shrunk(image, MIN(1.0, 2000.0 / MAX(width, height)));
	small = view ? shrunk(view, MIN(1.0, 400.0 / MAX(view->Xsize, view->Ysize))) : NULL;
	if (!small)
		return -1;
	int w = small->Xsize, h = small->Ysize;
	guchar *alpha = g_malloc((size_t)w * h);

	res->ms_segment = res->ms_refine = res->ms_compose = 1e9;
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();

		if (lr_segment_product(VIPS_IMAGE_ADDR(small, 0, 0), w, h, alpha, &conf))
			return -1;
		res->ms_segment = MIN(res->ms_segment, now_ms() - t0);
	}
	VipsImage *small_mask = vips_image_new_from_memory_copy(alpha, (size_t)w * h, w, h, 1,
								VIPS_FORMAT_UCHAR);
	if (g_getenv("LR_BENCH_DUMP")) {
		/* The analysis copy beside its mask, for looking at a failure. */
		g_autofree char *path = g_strdup_printf("%s/%s-%u.png", g_getenv("LR_BENCH_DUMP"),
							sc->type, seed);
		VipsImage *m3, *both;

		if (!vips_bandjoin((VipsImage *[]){ small_mask, small_mask, small_mask }, &m3, 3,
				   NULL)) {
			if (!vips_join(small, m3, &both, VIPS_DIRECTION_HORIZONTAL, NULL)) {
				vips_pngsave(both, path, NULL);
				g_object_unref(both);
			}
			g_object_unref(m3);
		}
	}
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();

		VIPS_UNREF(mask);
		if (lr_segment_upsample(image, small_mask, &mask))
			return -1;
		res->ms_refine = MIN(res->ms_refine, now_ms() - t0);
	}
	/* compose, as the pipeline runs it, on a context holding what analyse leaves. */
	for (int r = 0; r < reps; r++) {
		LrContext *ctx = lr_context_new("bench", profile);
		int x0 = width, y0 = height, x1 = -1, y1 = -1;

		for (int y = 0; y < height; y++) {
			const guchar *row = VIPS_IMAGE_ADDR(mask, 0, y);

			for (int x = 0; x < width; x++)
				if (row[x] >= 128) {
					x0 = MIN(x0, x), x1 = MAX(x1, x);
					y0 = MIN(y0, y), y1 = y;
				}
		}
		ctx->image = g_object_ref(image);
		ctx->width = width;
		ctx->height = height;
		ctx->mask_small = lr_context_own(ctx, g_object_ref(small_mask));
		ctx->analysis = lr_context_own(ctx, g_object_ref(small));
		ctx->box = x1 < 0 ? (LrRect){ 0, 0, width, height }
				  : (LrRect){ x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
		ctx->metrics.mask_confidence = conf;
		double t0 = now_ms();
		int err = lr_filter_compose.process(ctx);
		double ms = now_ms() - t0;
		lr_context_free(ctx);
		if (err)
			return -1;
		res->ms_compose = MIN(res->ms_compose, ms);
	}
	res->confidence = conf;
	res->flagged = conf < min_confidence;

	/* IoU at full size. */
	{
		long inter = 0, uni = 0;

		for (int y = 0; y < height; y++) {
			const guchar *a = VIPS_IMAGE_ADDR(mask, 0, y), *b = VIPS_IMAGE_ADDR(truth, 0, y);

			for (int x = 0; x < width; x++) {
				int p = a[x] >= 128, q = b[x] >= 128;

				inter += p && q;
				uni += p || q;
			}
		}
		res->iou = uni ? (double)inter / uni : 1;
	}
	/* Boundary F at a quarter of the size (nearest-neighbour, so the masks stay binary). */
	{
		VipsImage *qm, *qt;
		int f = 4;

		if (vips_subsample(mask, &qm, f, f, NULL) || vips_subsample(truth, &qt, f, f, NULL))
			return -1;
		VipsImage *mm = vips_image_copy_memory(qm), *mt = vips_image_copy_memory(qt);
		double tol = 0.002 * hypot(width, height) / f;

		res->bf = boundary_f(VIPS_IMAGE_ADDR(mm, 0, 0), VIPS_IMAGE_ADDR(mt, 0, 0), mm->Xsize,
				     mm->Ysize, tol);
		g_object_unref(qm), g_object_unref(qt), g_object_unref(mm), g_object_unref(mt);
	}
	g_free(alpha);
	g_object_unref(small_mask);
	g_object_unref(mask);
	g_object_unref(small);
	g_object_unref(view);
	g_object_unref(image);
	g_object_unref(truth);
	return 0;
}

int
main(int argc, char **argv)
{
	int width = 4000, height = 3000, reps = 3, seed_offset = 0;
	char *json_path = NULL, *only = NULL;
	GOptionEntry entries[] = {
		{ "width", 0, 0, G_OPTION_ARG_INT, &width, "frame width (default 4000)", "PX" },
		{ "height", 0, 0, G_OPTION_ARG_INT, &height, "frame height (default 3000)", "PX" },
		{ "reps", 0, 0, G_OPTION_ARG_INT, &reps, "timed runs per step, best kept (3)", "N" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "write the JSON here", "FILE" },
		{ "only", 0, 0, G_OPTION_ARG_STRING, &only, "only this background type", "TYPE" },
		{ "seed-offset", 0, 0, G_OPTION_ARG_INT, &seed_offset,
		  "add N to every scene's seed: the same scenes, fresh photos (0)", "N" },
		{ NULL }
	};
	GError *error = NULL;
	GOptionContext *oc = g_option_context_new("- segmentation benchmark");

	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error) || reps < 1 || width < 64 ||
	    height < 64) {
		fprintf(stderr, "%s\n", error ? error->message : "bad arguments");
		return 2;
	}
	g_option_context_free(oc);
	vips_concurrency_set(1); /* one core, as the budget is stated */
	LrProfile *profile = lr_profile_load("default", &error);
	if (!profile) {
		fprintf(stderr, "%s\n", error->message);
		return 1;
	}
	double min_confidence = lr_profile_double(profile, "compose", "min_confidence", 0.5);

	int n = G_N_ELEMENTS(scenes);
	BenchResult *res = g_new0(BenchResult, n);
	gboolean *done = g_new0(gboolean, n);
	printf("%-8s %5s %7s %6s %6s %5s %8s %8s %8s\n", "type", "seed", "IoU", "BF", "conf",
	       "flag", "seg_ms", "ref_ms", "cmp_ms");
	for (int i = 0; i < n; i++) {
		if (only && strcmp(only, scenes[i].type))
			continue;
		if (bench_one(&scenes[i], scenes[i].seed + seed_offset, width, height, reps, profile,
			      min_confidence, &res[i])) {
			fprintf(stderr, "scene %d: %s\n", i, vips_error_buffer());
			return 1;
		}
		done[i] = TRUE;
		printf("%-8s %5u %7.4f %6.3f %6.3f %5s %8.1f %8.1f %8.1f\n", scenes[i].type,
		       scenes[i].seed + seed_offset, res[i].iou, res[i].bf, res[i].confidence,
		       res[i].flagged ? "yes" : "-", res[i].ms_segment, res[i].ms_refine,
		       res[i].ms_compose);
		fflush(stdout);
	}

	static const char *types[] = { "plain",	 "table",   "pattern", "clutter",
				       "white",	 "fringe",  "several", "room" };
	double load[3] = { 0, 0, 0 };
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (fscanf(lf, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = -1;
		fclose(lf);
	}
	GString *js = g_string_new("{\"frame\":[");
	g_string_append_printf(js,
			       "%d,%d],\"reps\":%d,\"seed_offset\":%d,\"loadavg\":[%.2f,%.2f,%.2f],"
			       "\"types\":[",
			       width, height, reps, seed_offset, load[0], load[1], load[2]);
	printf("\n%-8s %3s %8s %8s %6s %5s %7s %8s %8s %8s %8s\n", "type", "n", "meanIoU", "worstIoU",
	       "BF", "flag", "bad<0.7", "seg_ms", "ref_ms", "cmp_ms", "total");
	int total_bad = 0;
	for (size_t k = 0; k < G_N_ELEMENTS(types); k++) {
		int m = 0, flagged = 0, bad = 0;
		double sum = 0, worst = 1, bf = 0, seg = 0, ref = 0, cmp = 0;

		for (int i = 0; i < n; i++) {
			if (!done[i] || strcmp(scenes[i].type, types[k]))
				continue;
			m++;
			sum += res[i].iou;
			worst = MIN(worst, res[i].iou);
			bf += res[i].bf;
			flagged += res[i].flagged;
			bad += res[i].iou < 0.7 && !res[i].flagged;
			seg += res[i].ms_segment;
			ref += res[i].ms_refine;
			cmp += res[i].ms_compose;
		}
		if (!m)
			continue;
		total_bad += bad;
		printf("%-8s %3d %8.4f %8.4f %6.3f %5d %7d %8.1f %8.1f %8.1f %8.1f\n", types[k], m,
		       sum / m, worst, bf / m, flagged, bad, seg / m, ref / m, cmp / m,
		       (seg + ref + cmp) / m);
		g_string_append_printf(js,
				       "%s{\"type\":\"%s\",\"n\":%d,\"mean_iou\":%.4f,\"worst_iou\":%.4f,"
				       "\"boundary_f\":%.4f,\"flagged\":%d,\"unflagged_below_0_7\":%d,"
				       "\"ms_segment\":%.1f,\"ms_refine\":%.1f,\"ms_compose\":%.1f}",
				       js->str[js->len - 1] == '[' ? "" : ",", types[k], m, sum / m,
				       worst, bf / m, flagged, bad, seg / m, ref / m, cmp / m);
	}
	g_string_append(js, "],\"images\":[");
	for (int i = 0; i < n; i++)
		if (done[i])
			g_string_append_printf(js,
					       "%s{\"type\":\"%s\",\"seed\":%u,\"iou\":%.4f,\"boundary_f\":%.4f,"
					       "\"confidence\":%.3f,\"flagged\":%s,\"ms_segment\":%.1f,"
					       "\"ms_refine\":%.1f,\"ms_compose\":%.1f}",
					       js->str[js->len - 1] == '[' ? "" : ",", scenes[i].type,
					       scenes[i].seed + seed_offset, res[i].iou, res[i].bf, res[i].confidence,
					       res[i].flagged ? "true" : "false", res[i].ms_segment,
					       res[i].ms_refine, res[i].ms_compose);
	/* Median and worst segment time over the images run: the budget is stated per image. */
	double *seg_ms = g_new(double, n), seg_median = 0, seg_worst = 0;
	int nseg = 0;
	for (int i = 0; i < n; i++)
		if (done[i])
			seg_ms[nseg++] = res[i].ms_segment;
	for (int i = 1; i < nseg; i++)
		for (int j = i; j > 0 && seg_ms[j - 1] > seg_ms[j]; j--) {
			double t = seg_ms[j];

			seg_ms[j] = seg_ms[j - 1];
			seg_ms[j - 1] = t;
		}
	if (nseg) {
		seg_median = seg_ms[nseg / 2];
		seg_worst = seg_ms[nseg - 1];
	}
	g_free(seg_ms);
	g_string_append_printf(js, "],\"ms_segment_median\":%.1f,\"ms_segment_worst\":%.1f}\n",
			       seg_median, seg_worst);
	printf("segment ms: median %.1f, worst %.1f\n", seg_median, seg_worst);
	printf("load average %.2f %.2f %.2f; unflagged images below IoU 0.7: %d\n", load[0], load[1],
	       load[2], total_bad);
	if (json_path) {
		if (!g_file_set_contents(json_path, js->str, js->len, &error)) {
			fprintf(stderr, "%s\n", error->message);
			return 1;
		}
	} else
		fputs(js->str, stdout);
	g_string_free(js, TRUE);
	g_free(res);
	g_free(done);
	lr_profile_free(profile);
	return 0;
}
