/* analyse.c: stage 2 — where the product is, and how good the photo of it is.
 *
 * All of it runs on reduced copies, made once from the normalized image:
 *   view      the photo at the size of the largest rendition: noise and the clipping of the product
 *             are judged at the size they are seen (a small copy averages a weave's clipped threads
 *             with the ones between), the product mask carried up to it by nearest neighbour;
 *   analysis  a small copy (analysis_size on the longest side) for the segmentation and the rest of
 *             the exposure: the highlight (99th percentile of each pixel's brightest channel over the
 *             whole photo), brightness, contrast, dark clipping and the colour cast;
 *   product   the product's box resampled to sharpness_size on its longest side, so that the blur
 *             measure sees the product at the same scale whatever the camera's resolution and
 *             however much of the frame the product fills; the blur is measured along four
 *             directions, so that a shake (blur one way) is told from defocus (blur every way).
 * The JPEG blockiness is measured by the loader, at full size on the source's own 8x8 grid.
 * The product box in source pixels comes from the segmentation's small mask; the mask is carried to any
 * area at any scale with a guided filter (lr_mask_area) where an edge is needed: the blur measure here,
 * the cut-out in compose.
 */
#include "filters/area.h"
#include "filters/filter.h"
#include "filters/metrics.h"
#include "filters/resample.h"
#include "filters/segment.h"
#include "pipeline/load.h"
#include "pipeline/profile.h"

#include <math.h>
#include <string.h>

extern const LrFilter lr_filter_analyse;

static double
param(LrContext *ctx, const char *name)
{
	return lr_param(ctx, &lr_filter_analyse, name);
}

/* The product box in upright source pixels: the bounding box of ALPHA >= 128 (the analysis mask, W x H)
 * with each analysis pixel counted whole; the whole frame if the mask is empty. */
static LrRect
mask_box(LrContext *ctx, const guchar *alpha, int w, int h)
{
	int x0 = w, y0 = h, x1 = -1, y1 = -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (alpha[(size_t)y * w + x] >= 128) {
				x0 = MIN(x0, x);
				x1 = MAX(x1, x);
				y0 = MIN(y0, y);
				y1 = MAX(y1, y);
			}
	if (x1 < 0)
		return (LrRect){ 0, 0, ctx->width, ctx->height };
	double kx = (double)ctx->width / w, ky = (double)ctx->height / h;
	int left = (int)floor(x0 * kx), top = (int)floor(y0 * ky);
	int right = MIN(ctx->width, (int)ceil((x1 + 1) * kx));
	int bottom = MIN(ctx->height, (int)ceil((y1 + 1) * ky));
	return (LrRect){ left, top, right - left, bottom - top };
}

int
lr_mask_area(LrContext *ctx, VipsImage *image, const LrPlacement *at, VipsImage **out)
{
	/* Analysis pixels per source pixel. */
	double kx = (double)ctx->analysis->Xsize / ctx->width;
	double ky = (double)ctx->analysis->Ysize / ctx->height;
	if (!ctx->mask_guided) {
		VipsImage *coef;
		if (lr_segment_guided(ctx->analysis, ctx->mask_small, &coef))
			return -1;
		ctx->mask_guided = lr_context_own(ctx, coef);
	}
	return lr_segment_upsample_area(image, ctx->mask_guided, ctx->mask_small, at->left * kx,
					at->top * ky, kx / at->scale_x, ky / at->scale_y, out);
}

static double
luma_of(const guchar *p)
{
	return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
}

/* The luma plane of RGB (memory, uchar, 3 bands; caller frees). */
static guchar *
luma_plane(VipsImage *rgb)
{
	return lr_metric_luma(VIPS_IMAGE_ADDR(rgb, 0, 0), rgb->Xsize, rgb->Ysize,
			      VIPS_IMAGE_SIZEOF_LINE(rgb));
}

/* Lab chroma of the sRGB colour RGB (0..255); its lightness L* into *LIGHTNESS. */
static double
chroma_of(const double rgb[3], double *lightness)
{
	float lin[3], X, Y, Z, L, a, b;
	vips_col_sRGB2scRGB_8(rgb[0], rgb[1], rgb[2], &lin[0], &lin[1], &lin[2]);
	vips_col_scRGB2XYZ(lin[0], lin[1], lin[2], &X, &Y, &Z);
	vips_col_XYZ2Lab(X, Y, Z, &L, &a, &b);
	*lightness = L;
	return sqrt((double)a * a + (double)b * b);
}

/* Exposure (highlight, brightness), dark clipping, contrast and colour cast from the small copy and
 * its mask; the clipping of highlights is measured in the view (measure_clipping). */
static void
measure_light(LrContext *ctx, VipsImage *small, const guchar *alpha)
{
	LrMetrics *m = &ctx->metrics;
	int w = small->Xsize, h = small->Ysize;
	double sum = 0, prod_n = 0, prod_sum = 0, prod_sq = 0, clip_lo = 0;
	double bg_n = 0, bg_rgb[3] = { 0, 0, 0 };
	const int clip_level = (int)param(ctx, "clip_level");

	for (int y = 0; y < h; y++) {
		const guchar *row = VIPS_IMAGE_ADDR(small, 0, y);
		for (int x = 0; x < w; x++) {
			const guchar *p = row + 3 * x;
			double l = luma_of(p);
			sum += l;
			if (alpha[(size_t)y * w + x] >= 128) {
				prod_n++;
				prod_sum += l;
				prod_sq += l * l;
				/* Crushed to black: even the brightest channel is at the
				 * bottom (clipping at the top is measured in the view:
				 * measure_clipping). */
				clip_lo += MAX(p[0], MAX(p[1], p[2])) <= 255 - clip_level;
			} else {
				bg_n++;
				for (int c = 0; c < 3; c++)
					bg_rgb[c] += p[c];
			}
		}
	}
	guint total = (guint)w * h;
	m->brightness = sum / total / 255.0;
	/* Exposure: how near the brightest 1% of the photo came to the top, by each pixel's brightest
	 * channel (a well-lit orange table is high in red, low in luma; metrics.h). On the small copy:
	 * the brightest 1% of the frame is an area (a lit sheet, a lit side), not fine detail. */
	m->highlight = lr_metric_highlight(VIPS_IMAGE_ADDR(small, 0, 0), w, h,
					   VIPS_IMAGE_SIZEOF_LINE(small));
	m->clipped_shadows = prod_n ? clip_lo / prod_n : 0;
	if (prod_n) {
		double mean = prod_sum / prod_n;
		m->product_brightness = mean / 255.0;
		m->contrast = sqrt(MAX(0.0, prod_sq / prod_n - mean * mean)) / 255.0;
	}
	/* The colour cast, read on the background where it is light enough to have been meant white
	 * or grey (the sheet artisans are asked to use): there a cast is the light's colour. A wooden
	 * table or a dark cloth is coloured in its own right, and a cast on it cannot be told from the
	 * scene without a neutral reference, so it is not judged (0). */
	m->colour_cast = 0;
	if (bg_n) {
		for (int c = 0; c < 3; c++)
			bg_rgb[c] /= bg_n;
		m->background_chroma = chroma_of(bg_rgb, &m->background_lightness);
		if (m->background_lightness >= param(ctx, "neutral_lightness"))
			m->colour_cast = m->background_chroma;
	}
}

/* Clipping of the product, in the view (the photo at the size people will see it): the 400 px copy
 * averages the clipped threads of a weave with the unclipped ones between them (metrics.h).
 *
 * The view-scale mask is the analysis mask carried up by nearest neighbour (each view pixel takes the
 * analysis pixel it falls in, so the >= 128 test is the analysis mask's own), not lr_mask_area's
 * guided filter: only a share of the product's pixels is wanted here, not an edge to cut along, and
 * the two differ only within half an analysis pixel of the outline. Measured on the generated set at
 * 3 MP (202 photos, 2000 x 1500 view): the guided mask took 18.5 ms, a bilinear upsample through
 * lr_resample 7.8 ms, nearest neighbour 1.2 ms (the count itself 1.5 ms); the share differed from the
 * guided filter's by at most 0.002 on the clean photos and 0.019 on the overexposed ones (mean
 * 0.0005), against a gap of 0.05 (cleanest-looking clipped clean photo) to 0.18 (mildest fault). */
static void
measure_clipping(LrContext *ctx)
{
	VipsImage *view = ctx->view, *small = ctx->mask_small;
	int w = view->Xsize, h = view->Ysize, mw = small->Xsize, mh = small->Ysize;
	guchar *mask = g_malloc((size_t)w * h);
	int *column = g_new(int, w);

	/* The analysis copy is the whole view resampled, so both span the same extent. */
	for (int x = 0; x < w; x++)
		column[x] = MIN(mw - 1, (int)((x + 0.5) * mw / w));
	for (int y = 0; y < h; y++) {
		const guchar *row = VIPS_IMAGE_ADDR(small, 0, MIN(mh - 1, (int)((y + 0.5) * mh / h)));
		guchar *q = mask + (size_t)y * w;
		for (int x = 0; x < w; x++)
			q[x] = row[column[x]];
	}
	ctx->metrics.clipped_highlights =
		lr_metric_clipped(VIPS_IMAGE_ADDR(view, 0, 0), mask, w, h,
				  VIPS_IMAGE_SIZEOF_LINE(view), (int)param(ctx, "clip_level"));
	g_free(column);
	g_free(mask);
}

/* Blur of the product, at sharpness_size px on the product's longest side. */
static int
measure_sharpness(LrContext *ctx)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 2);
	LrRect b = ctx->box;
	LrPlacement at;
	double size = param(ctx, "sharpness_size");
	double scale = MIN(1.0, size / MAX(b.width, b.height));

	/* The mask at the same scale, cut slightly generously so the product's outline counts: the
	 * edge between product and background is where blur shows first. */
	if (lr_normalize_area(ctx, &b, scale, FALSE, &t[0], &at) || lr_mask_area(ctx, t[0], &at, &t[1]))
		return -1;
	int w = t[0]->Xsize, h = t[0]->Ysize;
	guchar *m = g_malloc((size_t)w * h);
	for (int y = 0; y < h; y++) {
		const guchar *row = VIPS_IMAGE_ADDR(t[1], 0, y);
		for (int x = 0; x < w; x++)
			m[(size_t)y * w + x] = row[x] >= 32 ? 255 : 0;
	}
	guchar *luma = luma_plane(t[0]);
	/* Single-level steps are the 8-bit quantisation of smooth gradients, not detail. */
	double floor = MAX(1.0, 3 * lr_metric_noise(luma, w, h));
	double dir[LR_BLUR_N], lo = 1, hi = 0;
	lr_metric_blur_directions(luma, m, w, h, floor, dir);
	g_free(m);
	g_free(luma);
	/* Overall blur: the worst of the four directions, so that a shake along a diagonal counts as
	 * fully as one along an axis; a flat product, with no step above the floor in any direction,
	 * counts as fully blurred. */
	for (int d = 0; d < LR_BLUR_N; d++)
		if (dir[d] >= 0) {
			lo = MIN(lo, dir[d]);
			hi = MAX(hi, dir[d]);
		}
	ctx->metrics.sharpness = 1.0 - (hi >= lo ? hi : 1.0);
	ctx->metrics.motion = hi > lo ? hi - lo : 0;
	return 0;
}

static int
analyse(LrContext *ctx)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 3);
	LrMetrics *m = &ctx->metrics;

	gint64 start = g_get_monotonic_time();
	/* The analysis copy, from normalize's view (the photo at the largest rendition's size). */
	t[0] = g_object_ref(ctx->view);
	if (lr_resample_scale(t[0], param(ctx, "analysis_size") / MAX(t[0]->Xsize, t[0]->Ysize),
			      LR_KERNEL_TRIANGLE, FALSE, &t[1]))
		return lr_context_fail(ctx, "internal", "The photo could not be resampled.");
	ctx->analysis = t[1];

	lr_context_lap(ctx, "analyse.resample", &start);
	int w = ctx->analysis->Xsize, h = ctx->analysis->Ysize;
	guchar *alpha = g_malloc((size_t)w * h);
	if (lr_segment_product(VIPS_IMAGE_ADDR(ctx->analysis, 0, 0), w, h, alpha,
			       &m->mask_confidence)) {
		g_free(alpha);
		return lr_context_fail(ctx, "internal", "The product could not be segmented.");
	}
	ctx->mask_small = t[2] = vips_image_new_from_memory_copy(alpha, (size_t)w * h, w, h, 1,
								 VIPS_FORMAT_UCHAR);
	lr_context_lap(ctx, "analyse.segment", &start);
	measure_light(ctx, ctx->analysis, alpha);
	m->edge_contact = lr_metric_edge_contact(alpha, w, h);
	ctx->box = mask_box(ctx, alpha, w, h);
	g_free(alpha);
	m->product_pixels = MAX(ctx->box.width, ctx->box.height);
	m->fill = (double)ctx->box.width * ctx->box.height / ((double)ctx->width * ctx->height);

	measure_clipping(ctx);

	/* Noise in the view: luma of the photo at the size people will see it. */
	guchar *luma = luma_plane(t[0]);
	m->noise = lr_metric_noise(luma, t[0]->Xsize, t[0]->Ysize);
	g_free(luma);

	/* Blockiness is measured by the loader, on the decoded JPEG as stored. */

	/* From here on the product's own pixels are needed, at the blur-measuring scale and (compose)
	 * at the largest rendition's: a large JPEG decoded small for the view is decoded again at the
	 * least size that gives both. The frame is never smaller than the product's box, so the box
	 * bounds the scale the renditions need. */
	double need = MAX(param(ctx, "sharpness_size"), lr_profile_largest_size(ctx->profile)) /
		      MAX(ctx->box.width, ctx->box.height);
	if (lr_load_develop(ctx, MIN(1.0, need)))
		return -1;
	if (measure_sharpness(ctx))
		return lr_context_fail(ctx, "internal", "The sharpness could not be measured.");
	lr_context_lap(ctx, "analyse.metrics", &start);
	return 0;
}

static const LrParam params[] = {
	{ "analysis_size", "longest side of the copy the segmentation works on, px", 128, 1024, 400 },
	{ "sharpness_size", "longest side of the product when its blur is measured, px", 256, 4096,
	  1024 },
	/* 250: JPEG ringing and the camera's tone curve keep a truly clipped area a few levels
	 * under 255. */
	{ "clip_level", "8-bit level at or above which a channel counts as clipped", 200, 255, 250 },
	/* L* 60: a white sheet in dim light stays above it; wood, jute and dark cloth are below. */
	{ "neutral_lightness", "background L* from which it is taken as meant neutral, for the cast",
	  0, 100, 60 },
	{ NULL },
};

const LrFilter lr_filter_analyse = {
	.name = "analyse",
	.summary = "product mask, box and quality metrics at fixed analysis scales",
	.params = params,
	.process = analyse,
};
