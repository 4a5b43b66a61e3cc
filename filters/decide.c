/* decide.c: stage 5 — accepted, or needs_review with reasons.
 *
 * Each metric becomes a named sub-score in 0..1 with a ramp that passes 0.5 exactly at the profile's
 * threshold and reaches 1 at a "good" level beyond it, so a curator can read how far a photo is from
 * the line. Any metric on the wrong side of its threshold is a reason, and any reason sends the photo to
 * review whatever the composite; the composite (geometric mean of the sub-scores) ranks the rest.
 * Thresholds are the profile's [decide] parameters; the background threshold is compose's, which acted
 * on it.
 */
#include "filters/filter.h"

#include <math.h>

extern const LrFilter lr_filter_decide;
extern const LrFilter lr_filter_compose;

/* 0.5 at THRESHOLD, 1 at GOOD, 0 as far on the other side; works whichever way GOOD lies. */
static double
ramp(double raw, double threshold, double good)
{
	return CLAMP(0.5 + 0.5 * (raw - threshold) / (good - threshold), 0.0, 1.0);
}

/* Adds sub-score NAME; when RAW is on the bad side of THRESHOLD, adds reason CODE too. */
static void
judge(LrContext *ctx, const char *name, const char *code, double raw, double threshold, double good)
{
	LrScore score = { name, ramp(raw, threshold, good), raw, threshold };
	g_array_append_val(ctx->scores, score);
	gboolean bad = good > threshold ? raw < threshold : raw > threshold;
	if (bad && code)
		lr_context_add_reason(ctx, code, raw, threshold);
}

static double
param(LrContext *ctx, const char *name)
{
	return lr_param(ctx, &lr_filter_decide, name);
}

static int
decide(LrContext *ctx)
{
	const LrMetrics *m = &ctx->metrics;
	double t;

	t = param(ctx, "min_sharpness");
	judge(ctx, "sharpness", "blur", m->sharpness, t, t + 0.15);
	t = param(ctx, "min_highlight");
	judge(ctx, "exposure", "underexposed", m->highlight, t, MIN(1.0, 2 * t));
	t = param(ctx, "max_clipped_highlights");
	judge(ctx, "highlights", "overexposed", m->clipped_highlights, t, 0);
	t = param(ctx, "max_noise");
	judge(ctx, "noise", "noisy", m->noise, t, t / 4);
	t = param(ctx, "max_colour_cast");
	judge(ctx, "colour", "colour_cast", m->colour_cast, t, t / 4);
	t = param(ctx, "min_product_pixels");
	judge(ctx, "resolution", "low_resolution", m->product_pixels, t, 2 * t);
	/* Framing is read off the mask: when the mask is not trusted, background_uncertain says it
	 * all, and the sub-scores are shown without reasons. */
	gboolean trusted = ctx->background_replaced;
	t = param(ctx, "max_edge_contact");
	judge(ctx, "framing", trusted ? "product_cut_off" : NULL, m->edge_contact, t, 0);
	t = param(ctx, "min_fill");
	judge(ctx, "size_in_frame", trusted ? "product_too_small" : NULL, m->fill, t, 4 * t);
	t = lr_param(ctx, &lr_filter_compose, "min_confidence");
	judge(ctx, "background", NULL, m->mask_confidence, t, MIN(1.0, t + 0.3));
	if (!trusted)
		lr_context_add_reason(ctx, "background_uncertain", m->mask_confidence, t);

	double log_sum = 0;
	for (guint i = 0; i < ctx->scores->len; i++)
		log_sum += log(MAX(1e-3, g_array_index(ctx->scores, LrScore, i).score));
	ctx->score = exp(log_sum / ctx->scores->len);
	ctx->status = ctx->reasons->len ? "needs_review" : "accepted";
	return 0;
}

static const LrParam params[] = {
	{ "min_sharpness", "sharpness (1 - re-blur ratio) of the product below which it is blur", 0, 1,
	  0.45 },
	/* 0.5: not even the brightest 1% of the photo (a white sheet, a highlight) reaches mid-grey. */
	{ "min_highlight", "99th-percentile luma below which the photo is underexposed", 0, 1, 0.5 },
	{ "max_clipped_highlights", "share of clipped product pixels above which it is overexposed",
	  0, 1, 0.25 },
	{ "max_noise", "noise sigma (8-bit levels, at view size) above which it is noisy", 0, 64, 12 },
	{ "max_colour_cast", "background chroma (Lab) above which it has a colour cast", 0, 100, 30 },
	{ "min_product_pixels", "product's longest side in source pixels below which it is "
				"low_resolution", 0, 20000, 1000 },
	{ "max_edge_contact", "share of a frame side the product may touch before it is cut off", 0, 1,
	  0.04 },
	{ "min_fill", "product box share of the frame below which the product is too small", 0, 1,
	  0.04 },
	{ NULL },
};

const LrFilter lr_filter_decide = {
	.name = "decide",
	.summary = "accepted or needs_review, with reasons, sub-scores and a composite",
	.params = params,
	.process = decide,
};
