/* decide.c: stage 5 — accepted, or needs_review with reasons.
 *
 * Each judged metric becomes a named sub-score in 0..1 with a ramp that passes 0.5 exactly at its
 * threshold and reaches 1 at a "good" level beyond it, so a curator can read how far a photo is from the
 * line. A metric on the wrong side of its threshold is a reason, and any reason sends the photo to review
 * whatever the composite: the framing and resolution reasons are hard requirements of the marketplaces,
 * the others are the calibrated quality lines. The composite (geometric mean of the sub-scores that
 * decide) ranks the rest and is thresholded too (min_composite), for a photo that is marginal on
 * many counts at once.
 *
 * Two sub-scores are informative only: shown with their raw value and threshold, never a reason and
 * not in the composite.
 *   contrast        the spread of the product's own tones cannot tell a plain undyed saree or a
 *                   one-glaze bowl from a flat, hazy photo of a patterned one; as a reason it would
 *                   send every plain product to review, and in the composite pull every plain
 *                   product towards low_quality. The flat photos a retake fixes are dark or washed
 *                   out, and underexposed and overexposed already say so; the sub-score shows how
 *                   flat the product reads.
 *   near_duplicate  (lr_decide_near_duplicate, added by the store's look-up) a second view of the
 *                   same product is wanted, not a fault; the score depends on what arrived before
 *                   and cannot be had without a store (explain), so in the composite it would make
 *                   the same photo decide differently by the order it came in. Within the line it
 *                   is a duplicate, a status of its own.
 *
 * Where the numbers come from: a threshold is the profile's [decide] key when the profile sets it (a
 * marketplace's own rule, such as its minimum resolution), else the fitted value in models/scorer.ini
 * (written by listready-fit from a labelled set of generated degradations of known severity, with its
 * provenance; the informative lines are declared priors there, with theirs), else the declared
 * default below, which is only the prior the fit started from. The background threshold is
 * compose's, which acted on it.
 */
#include "filters/decide.h"
#include "filters/filter.h"
#include "pipeline/profile.h"

#include <gio/gio.h>
#include <math.h>
#include <stddef.h>

extern const LrFilter lr_filter_decide;
extern const LrFilter lr_filter_compose;

#define LR_SCORER_RESOURCE "/listready/scorer.ini"

/* The fitted scorer parameters, loaded once from the embedded models/scorer.ini; NULL if missing. */
static GKeyFile *
scorer_keys(void)
{
	static GKeyFile *keys;
	static gsize once;

	if (g_once_init_enter(&once)) {
		/* Listing the profiles registers the embedded resources, scorer.ini among them. */
		g_strfreev(lr_profile_names());
		GBytes *bytes = g_resources_lookup_data(LR_SCORER_RESOURCE,
							G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
		if (bytes) {
			gsize size;
			const char *data = g_bytes_get_data(bytes, &size);
			keys = g_key_file_new();
			if (!g_key_file_load_from_data(keys, data, size, G_KEY_FILE_NONE, NULL))
				g_clear_pointer(&keys, g_key_file_free);
			g_bytes_unref(bytes);
		}
		g_once_init_leave(&once, 1);
	}
	return keys;
}

double
lr_decide_threshold(const LrContext *ctx, const char *name)
{
	const LrParam *spec = lr_filter_param_spec(&lr_filter_decide, name);
	g_assert(spec);
	double fallback = spec->def;
	GKeyFile *fitted = scorer_keys();
	if (fitted) {
		GError *error = NULL;
		double v = g_key_file_get_double(fitted, "decide", name, &error);
		if (!error)
			fallback = CLAMP(v, spec->min, spec->max);
		g_clear_error(&error);
	}
	return lr_profile_double(ctx->profile, "decide", name, fallback);
}

/* 0.5 at THRESHOLD, 1 at GOOD, 0 as far on the other side; works whichever way GOOD lies. */
static double
ramp(double raw, double threshold, double good)
{
	if (good == threshold)
		return raw == threshold ? 0.5 : ((good > threshold) == (raw > threshold) ? 1 : 0);
	return CLAMP(0.5 + 0.5 * (raw - threshold) / (good - threshold), 0.0, 1.0);
}

/* One judged metric: where its "good" end of the ramp lies is GOOD_SCALE * threshold + GOOD_OFFSET,
 * capped to GOOD_CAP when that is not 0. These shape only the displayed sub-score, never the decision. */
typedef struct {
	const char *score;     /* sub-score name in the report */
	const char *code;      /* reason code when on the bad side; NULL: informative (see top) */
	const char *threshold; /* [decide] parameter */
	size_t offset;         /* of the raw value in LrMetrics */
	double good_scale, good_offset, good_cap;
	gboolean from_mask;    /* read off the product mask: only a reason when the mask is trusted */
} Judged;

#define METRIC(field) offsetof(LrMetrics, field)

static const Judged judged[] = {
	{ "sharpness", "blur", "min_sharpness", METRIC(sharpness), 1, 0.15, 1, FALSE },
	{ "exposure", "underexposed", "min_highlight", METRIC(highlight), 2, 0, 1, FALSE },
	{ "highlights", "overexposed", "max_clipped_highlights", METRIC(clipped_highlights), 0, 0, 0,
	  FALSE },
	{ "noise", "noisy", "max_noise", METRIC(noise), 0.25, 0, 0, FALSE },
	{ "contrast", NULL, "min_contrast", METRIC(contrast), 2, 0, 1, FALSE },
	{ "colour", "colour_cast", "max_colour_cast", METRIC(colour_cast), 0.25, 0, 0, FALSE },
	/* 0 where it was not measured: a source that is not a JPEG, or one decoded shrunk (the
	 * loader measures it only on the source's own 8x8 grid). */
	{ "blockiness", "jpeg_artifacts", "max_blockiness", METRIC(blockiness), 0, 0, 0, FALSE },
	{ "resolution", "low_resolution", "min_product_pixels", METRIC(product_pixels), 2, 0, 0,
	  FALSE },
	{ "framing", "product_cut_off", "max_edge_contact", METRIC(edge_contact), 0, 0, 0, TRUE },
	{ "size_in_frame", "product_too_small", "min_fill", METRIC(fill), 4, 0, 0, TRUE },
};

/* Appends the sub-score NAME of RAW against threshold T (good end GOOD) to CTX. Returns whether RAW
 * is on the bad side of T. */
static gboolean
add_score(LrContext *ctx, const char *name, double raw, double t, double good, gboolean informative)
{
	LrScore score = { name, ramp(raw, t, good), raw, t, informative };
	g_array_append_val(ctx->scores, score);
	return good > t ? raw < t : raw > t;
}

/* Adds the sub-score of J for CTX, and its reason when the metric is on the bad side. */
static void
judge(LrContext *ctx, const Judged *j, gboolean trusted)
{
	double raw = *(const double *)((const char *)&ctx->metrics + j->offset);
	double t = lr_decide_threshold(ctx, j->threshold);
	double good = j->good_scale * t + j->good_offset;
	if (j->good_cap > 0)
		good = MIN(good, j->good_cap);
	gboolean bad = add_score(ctx, j->score, raw, t, good, !j->code);
	if (!bad || !j->code || (j->from_mask && !trusted))
		return;
	lr_context_add_reason(ctx, j->code, raw, t);
}

int
lr_decide_duplicate_bits(const LrContext *ctx)
{
	/* [dedupe] max_hamming is the key's older name, still honoured when a profile sets it. */
	return (int)lr_profile_double(ctx->profile, "dedupe", "max_hamming",
				      lr_decide_threshold(ctx, "max_duplicate_bits"));
}

void
lr_decide_near_duplicate(LrContext *ctx, int bits)
{
	/* 0 for a copy to the bit, 0.5 at the line (itself a duplicate), 1 from twice the line on:
	 * distinct photos' hashes differ in about half their 64 bits. */
	double t = lr_decide_duplicate_bits(ctx);
	add_score(ctx, "near_duplicate", bits, t, MAX(1.0, 2 * t), TRUE);
}

static int
decide(LrContext *ctx)
{
	const LrMetrics *m = &ctx->metrics;

	/* Framing is read off the mask: when the mask is not trusted, background_uncertain says it
	 * all, and the sub-scores are shown without reasons. A photo whose background a curator chose
	 * to keep (compose's replace_background = 0) is not flagged for it. */
	double t = lr_param(ctx, &lr_filter_compose, "min_confidence");
	gboolean trusted = m->mask_confidence >= t;
	for (guint i = 0; i < G_N_ELEMENTS(judged); i++)
		judge(ctx, &judged[i], trusted);
	add_score(ctx, "background", m->mask_confidence, t, MIN(1.0, t + 0.3), FALSE);
	if (!trusted && lr_param(ctx, &lr_filter_compose, "replace_background") > 0)
		lr_context_add_reason(ctx, "background_uncertain", m->mask_confidence, t);

	double log_sum = 0;
	int n = 0;
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		if (!s->informative) {
			log_sum += log(MAX(1e-3, s->score));
			n++;
		}
	}
	ctx->score = exp(log_sum / n);
	/* Marginal on many counts at once: no single line crossed, yet not a photo to list unseen. */
	t = lr_decide_threshold(ctx, "min_composite");
	if (!ctx->reasons->len && ctx->score < t)
		lr_context_add_reason(ctx, "low_quality", ctx->score, t);
	ctx->status = ctx->reasons->len ? "needs_review" : "accepted";
	return 0;
}

/* The declared defaults are the priors the fit started from; the values in use come from
 * models/scorer.ini (see the top of this file). */
static const LrParam params[] = {
	{ "min_sharpness", "sharpness (1 - re-blur ratio) of the product below which it is blur", 0, 1,
	  0.45 },
	{ "max_motion", "spread of the directional re-blur ratios above which a blur is called a "
			"shake rather than defocus (explain only)", 0, 1, 0.2 },
	/* highlight: the 99th percentile over the whole photo (analysis copy) of each pixel's
	 * brightest channel, 0..1: how near the brightest 1% came to the top. 0.5: not even the
	 * brightest 1% (a white sheet, a lit side) reaches mid-level in any channel. */
	{ "min_highlight", "99th percentile of the brightest channel (whole photo) below which the "
			   "photo is underexposed", 0, 1, 0.5 },
	/* clipped_highlights: measured in the view (the photo at the largest rendition's size), where
	 * a weave's clipped threads are not averaged with the ones between them. */
	{ "max_clipped_highlights", "share of the product's pixels at view size with a channel at or "
				    "above analyse's clip_level, above which it is overexposed",
	  0, 1, 0.25 },
	{ "max_noise", "noise sigma (8-bit levels, at view size) above which it is noisy", 0, 64, 12 },
	/* contrast: the standard deviation of the product's luma (analysis copy), 0..1. 0.05 is 13
	 * levels of 255: a product whose shading and pattern hardly show. Informative only. */
	{ "min_contrast", "standard deviation of the product's luma (0..1) below which it reads "
			  "flat (informative: no reason, not in the composite)",
	  0, 1, 0.05 },
	{ "max_colour_cast", "background chroma (Lab) above which it has a colour cast", 0, 100, 30 },
	/* blockiness: the JPEG 8x8 grid's step excess at source size (filters/metrics.h); a clean
	 * photo reads near 0, heavy compression 0.5 and more (metrics.h). */
	{ "max_blockiness", "JPEG block-boundary step excess of the source above which it has "
			    "jpeg_artifacts",
	  0, 10, 0.5 },
	/* 4: a resized, re-encoded copy of a generated photo differs in 0..4 bits, distinct
	 * products laid out alike on the same sheet in as few as 6 (tests/filters/test_scorer.c
	 * checks a copy). */
	{ "max_duplicate_bits", "perceptual-hash bits (of 64) from an earlier photo of the same "
				"artisan and product at or below which a photo is its duplicate",
	  0, 64, 4 },
	{ "min_product_pixels", "product's longest side in source pixels below which it is "
				"low_resolution", 0, 20000, 1000 },
	{ "max_edge_contact", "share of a frame side the product may touch before it is cut off", 0, 1,
	  0.04 },
	{ "min_fill", "product box share of the frame below which the product is too small", 0, 1,
	  0.04 },
	{ "min_composite", "composite score below which a photo with no single reason still needs "
			   "review", 0, 1, 0.5 },
	{ NULL },
};

const LrFilter lr_filter_decide = {
	.name = "decide",
	.summary = "accepted or needs_review, with reasons, sub-scores and a composite",
	.params = params,
	.process = decide,
};
