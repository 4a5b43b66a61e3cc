/* fit.c: listready-fit, the program that fits the quality scorer's thresholds (models/scorer.ini).
 *
 *   listready-fit [--out DIR] [--clean N] [--each N] [--megapixels MP] [--source-megapixels MP]
 *                 [--reuse] [--write FILE] [--metrics]
 *
 * It writes the generated labelled set (models/labelset.c: clean photos and degradations of known
 * severity) into DIR, or reuses the one there, measures every photo with the real pipeline stages,
 * and places each threshold between the clean photos and the photos that should get its reason: the
 * cut of least cost, where a false alarm on a clean photo weighs as many misses as there are lines a
 * clean photo must clear, and among equally good cuts the middle of the widest gap, so that photos a
 * little outside what was generated fall on the side they are nearest (fit_one below); where a
 * reason still falls short of issue 6's recall line, the clean photos' 5% allowance is spent on it
 * (fit_all), and the fit flags that metric as one to improve. It prints the
 * thresholds with the evidence for each (the nearest clean photo and the mildest fault, so the margin
 * can be read), re-decides the set under them and prints the evaluation, and with --write writes the
 * scorer file with its provenance. A line read at the source's own resolution rather than at a
 * fixed view (JPEG blockiness) is fitted on a second set of clean and compressed photos at a phone's
 * frame size as well, as the same scene reads differently at each.
 * Anyone can refit and see the effect: change a severity in labelset.c, rerun, diff scorer.ini.
 */
#include "filters/filter.h"
#include "models/labelset.h"
#include "pipeline/evaluate.h"
#include "pipeline/load.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One fitted threshold: the [decide] parameter, the reason it stands for, the metric it reads. */
typedef struct {
	const char *param;
	const char *code;       /* photos expecting this are the positives */
	size_t offset;          /* of the metric in LrMetrics */
	gboolean high_is_bad;
	const char *among;      /* negatives: the photos expecting this code that are not positives,
				 * instead of the clean photos; the line only tells two faults apart */
	gboolean mask_trusted;  /* only photos whose mask was trusted (framing is read off it) */
	const char *kind;       /* positives are the photos of this kind instead of CODE's */
	gboolean ratio_scale;   /* a scale-free quantity: the cut is the geometric mean of the gap */
	gboolean at_source;     /* read at the source's own resolution, not at a fixed view:
				 * fitted on the photos of both frame sizes (--source-megapixels) */
} Fitted;

#define METRIC(field) offsetof(LrMetrics, field)

static const Fitted fitted[] = {
	{ "min_sharpness", "blur", METRIC(sharpness), FALSE, NULL, FALSE, NULL, FALSE, FALSE },
	{ "max_motion", "blur (shake)", METRIC(motion), TRUE, "blur", FALSE, "motion_blur", FALSE,
	  FALSE },
	{ "min_highlight", "underexposed", METRIC(highlight), FALSE, NULL, FALSE, NULL, FALSE,
	  FALSE },
	{ "max_clipped_highlights", "overexposed", METRIC(clipped_highlights), TRUE, NULL, FALSE,
	  NULL, TRUE, FALSE },
	/* Noise adds: a sigma is not scale-free the way a share is, so the plain middle. */
	{ "max_noise", "noisy", METRIC(noise), TRUE, NULL, FALSE, NULL, FALSE, FALSE },
	{ "max_colour_cast", "colour_cast", METRIC(colour_cast), TRUE, NULL, FALSE, NULL, TRUE,
	  FALSE },
	/* A relative excess (filters/metrics.h): scale-free. Measured on the source's own 8x8 grid,
	 * so a smooth scene spans more pixels the larger the frame and reads more blocky: a clean
	 * bowl on the sheet read 0.46 at 12 MP against 0.24 at 3 MP. */
	{ "max_blockiness", "jpeg_artifacts", METRIC(blockiness), TRUE, NULL, FALSE, NULL, TRUE,
	  TRUE },
	{ "max_edge_contact", "product_cut_off", METRIC(edge_contact), TRUE, NULL, TRUE, NULL, FALSE,
	  FALSE },
	{ "min_fill", "product_too_small", METRIC(fill), FALSE, NULL, TRUE, NULL, TRUE, FALSE },
};

/* The lines a clean photo must clear to be accepted: every fitted one that decides (max_motion only
 * names the kind of blur, for explain). */
#define N_DECIDING ((int)G_N_ELEMENTS(fitted) - 1)

/* The [decide] keys that are declared, not fitted: no fault of the labelled set stands for them.
 * Each is written with its declared value (the decide stage's default) and why; where it reads a
 * metric, with what the set's clean photos read, so that the prior can be checked against them. */
typedef struct {
	const char *param;
	const char *why;
	gssize offset; /* of the metric in LrMetrics, or -1 */
} Declared;

static const Declared declared[] = {
	{ "min_contrast",
	  "# contrast: informative only (no reason, not in the composite; filters/decide.c says why), so\n"
	  "# a declared prior, not fitted: no fault of the set is a flat photo, and a plain product reads\n"
	  "# as flat as a hazy photo of a patterned one. 0.05 (13 levels of 255 of spread in the product's\n"
	  "# luma) is where a product's shading and pattern hardly show.\n",
	  METRIC(contrast) },
	{ "max_duplicate_bits",
	  "# near_duplicate: not fitted, a measured prior: a resized or re-encoded copy of a generated\n"
	  "# photo differed from it in 0..4 of the 64 bits of the perceptual hash, distinct products laid\n"
	  "# out alike on the same sheet in as few as 6 (tests/filters/test_scorer.c checks such a copy).\n"
	  "# At or within it a photo is the duplicate of the earlier one of the same product; the\n"
	  "# sub-score is informative.\n",
	  -1 },
	{ "min_composite",
	  "# Not fitted (a policy, not a measurement): a photo with no single reason whose composite\n"
	  "# (geometric mean of the sub-scores that decide) falls below this still goes to review. Every\n"
	  "# sub-score is 0.5 at its line, so 0.5 means \"as far from good, on average, as sitting on every\n"
	  "# line\" whatever the number of sub-scores.\n",
	  -1 },
};

typedef struct {
	double value;
	gboolean positive;
} Sample;

static int
compare_samples(const void *a, const void *b)
{
	double x = ((const Sample *)a)->value, y = ((const Sample *)b)->value;
	return (x > y) - (x < y);
}

static gboolean
expects(const LrEvalItem *it, const char *code)
{
	return code && g_strv_contains((const char *const *)it->expected, code);
}

/* The outcome of fitting one threshold. */
typedef struct {
	double threshold, cost, weight;
	double worst_negative, worst_positive; /* the values nearest the line of the negatives it passes
						* and the positives it flags */
	int n_pos, n_neg, misses, false_alarms;
	int allowance; /* clean photos' false alarms granted by fit_all's second pass (0: none) */
} Fit;

/* Issue 6's lines: every reason found in this share of the photos that have it, and this share of
 * the clean photos accepted. */
#define REQUIRED_RECALL 0.95
#define REQUIRED_CLEAN 0.95

/* Fits F on EV's measured photos into *OUT. Returns FALSE when there are no positives or negatives.
 *
 * The positives are the photos expecting F's reason; the negatives are the clean photos (for a line
 * that tells two faults apart, the other fault's photos). Other faults' photos take no part: a
 * photo made dark on purpose is no evidence of where the blur line should be, and its own reason
 * sends it to review anyway.
 *
 * The cut minimises misses / positives + WEIGHT * false alarms / negatives. A clean photo is accepted
 * only if it clears every line at once, so the 5% of clean photos issue 6 allows to be sent back is
 * shared among the N_DECIDING lines, while each reason has its own 5% of misses: a false alarm
 * weighs N_DECIDING times a miss (1 for a line that only tells two faults apart). Among the cuts of
 * least cost the one in the widest gap between neighbouring photos is taken, and the threshold put
 * in the middle of that gap (on a log scale for scale-free quantities), so that photos a little
 * outside what was generated fall on the side they are nearest.
 *
 * With MAX_ALARMS >= 0 the cut is instead the one with the fewest misses among those raising at most
 * MAX_ALARMS false alarms (again the widest gap among equals): the second pass of fit_all. */
static gboolean
fit_one(const LrEvaluation *ev, const Fitted *f, int max_alarms, Fit *out)
{
	GArray *s = g_array_new(FALSE, FALSE, sizeof(Sample));
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (!it->measured || (f->mask_trusted && !it->background_replaced))
			continue;
		gboolean positive = f->kind ? !strcmp(it->kind, f->kind) : expects(it, f->code);
		gboolean negative = f->among ? expects(it, f->among) && !positive
					     : !strcmp(it->kind, lr_label_kind_name(LR_LABEL_CLEAN));
		if (!positive && !negative)
			continue;
		double v = *(const double *)((const char *)&it->metrics + f->offset);
		if (f->ratio_scale)
			v = log(MAX(v, 1e-4)); /* a zero (none at all) counts as 1e-4 */
		/* Working as if high were bad always: flip the others. */
		Sample x = { f->high_is_bad ? v : -v, positive };
		g_array_append_val(s, x);
	}
	int n = (int)s->len, pos = 0;
	for (int i = 0; i < n; i++)
		pos += g_array_index(s, Sample, i).positive;
	int neg = n - pos;
	if (!pos || !neg) {
		g_array_free(s, TRUE);
		return FALSE;
	}
	qsort(s->data, n, sizeof(Sample), compare_samples);
	const Sample *x = (const Sample *)s->data;
	double weight = f->among ? 1 : N_DECIDING;

	/* Cut k: the first k samples are called clean, the rest flagged; it lies in the gap between
	 * samples k-1 and k (none at the ends: there the gap is open and counts as none). */
	double best_cost = INFINITY, best_gap = -1;
	int best_k = 0, neg_below = 0, pos_below = 0, best_misses = 0, best_alarms = 0;
	for (int k = 0; k <= n; k++) {
		if (k > 0) {
			neg_below += !x[k - 1].positive;
			pos_below += x[k - 1].positive;
		}
		/* Equal values cannot be split. */
		if (k > 0 && k < n && x[k].value == x[k - 1].value)
			continue;
		int alarms = neg - neg_below;
		if (max_alarms >= 0 && alarms > max_alarms)
			continue;
		double cost = max_alarms >= 0 ? (double)pos_below / pos
					      : (double)pos_below / pos + weight * alarms / neg;
		double gap = k > 0 && k < n ? x[k].value - x[k - 1].value : 0;
		if (cost < best_cost - 1e-12 || (cost < best_cost + 1e-12 && gap > best_gap)) {
			best_cost = cost;
			best_gap = gap;
			best_k = k;
			best_misses = pos_below;
			best_alarms = alarms;
		}
	}
	double t = best_k == 0 ? x[0].value : best_k == n ? x[n - 1].value
				 : (x[best_k - 1].value + x[best_k].value) / 2;
	/* The margin: the nearest photo on either side of the line that the line gets right (the
	 * ones it gets wrong are counted apart). */
	double worst_neg = -INFINITY, worst_pos = INFINITY;
	for (int i = 0; i < n; i++) {
		if (x[i].positive && x[i].value > t)
			worst_pos = MIN(worst_pos, x[i].value);
		else if (!x[i].positive && x[i].value < t)
			worst_neg = MAX(worst_neg, x[i].value);
	}
	double sign = f->high_is_bad ? 1 : -1;
	*out = (Fit){ sign * t, best_cost, weight, sign * worst_neg, sign * worst_pos,
		      pos, neg, best_misses, best_alarms, 0 };
	if (f->ratio_scale) {
		out->threshold = exp(out->threshold);
		out->worst_negative = exp(out->worst_negative);
		out->worst_positive = exp(out->worst_positive);
	}
	g_array_free(s, TRUE);
	return TRUE;
}

/* Fits every line of FITTED on EV into FITS (OK[i]: FALSE where a line could not be fitted); a line
 * read at the source's resolution on EV_ALL, EV with the photos of the second frame size.
 *
 * First each line on its own (fit_one), which keeps the margin to the clean photos and so raises
 * almost no false alarms on them. Where that leaves a reason under issue 6's recall line, the metric
 * does not separate its fault from some clean photos; the clean photos' allowance (the share issue 6
 * lets be sent to review, over all lines together) is then spent on such lines, the cheapest first,
 * each getting the fewest false alarms that bring it to the line, while the allowance lasts. A line
 * that needs allowance is a metric to improve, and the fit says so. */
static void
fit_all(const LrEvaluation *ev, const LrEvaluation *ev_all, Fit *fits, gboolean *ok)
{
	int n_clean = 0;
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		n_clean += it->measured && !strcmp(it->kind, lr_label_kind_name(LR_LABEL_CLEAN));
	}
	int allowance = (int)floor((1 - REQUIRED_CLEAN) * n_clean + 1e-9);
	for (guint i = 0; i < G_N_ELEMENTS(fitted); i++)
		ok[i] = fit_one(fitted[i].at_source ? ev_all : ev, &fitted[i], -1, &fits[i]);
	for (;;) {
		/* The line under the recall line that the fewest false alarms bring to it. */
		int best = -1, best_need = allowance + 1;
		Fit best_fit;
		for (guint i = 0; i < G_N_ELEMENTS(fitted); i++) {
			const Fit *r = &fits[i];
			if (!ok[i] || fitted[i].among ||
			    1 - (double)r->misses / r->n_pos >= REQUIRED_RECALL - 1e-9)
				continue;
			for (int a = r->false_alarms + 1; a <= allowance && a < best_need; a++) {
				Fit c;
				fit_one(fitted[i].at_source ? ev_all : ev, &fitted[i], a, &c);
				if (1 - (double)c.misses / c.n_pos >= REQUIRED_RECALL - 1e-9) {
					best = (int)i;
					best_need = a;
					best_fit = c;
					break;
				}
			}
		}
		if (best < 0)
			return;
		allowance -= best_need - fits[best].false_alarms;
		best_fit.allowance = best_need;
		fits[best] = best_fit;
	}
}

/* X rounded to 4 significant digits: what the metrics can tell apart, and short in the file. */
static double
round_significant(double x)
{
	if (x == 0 || !isfinite(x))
		return x;
	double unit = pow(10, floor(log10(fabs(x))) - 3);
	return round(x / unit) * unit;
}

/* Writes a profile holding THRESHOLDS over the default's keys, for re-deciding under them. */
static LrProfile *
profile_with(const double *thresholds, const gboolean *ok, const char *dir, GError **error)
{
	GError *local = NULL;
	LrProfile *base = lr_profile_load("default", &local);
	if (!base) {
		g_propagate_error(error, local);
		return NULL;
	}
	for (guint i = 0; i < G_N_ELEMENTS(fitted); i++)
		if (ok[i])
			g_key_file_set_double(base->keys, "decide", fitted[i].param, thresholds[i]);
	g_autofree char *path = g_build_filename(dir, "fitted-profile.ini", NULL);
	gboolean saved = g_key_file_save_to_file(base->keys, path, error);
	lr_profile_free(base);
	return saved ? lr_profile_load(path, error) : NULL;
}

static void
print_metrics(const LrEvaluation *ev)
{
	printf("file\tkind\tseverity\tsharp\tmotion\thighlight\tclip_hi\tnoise\tcast\tpixels\t"
	       "edge\tfill\tconf\tblock\tcontrast\tpbright\tbgchroma\tstatus\treasons\n");
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		const LrMetrics *m = &it->metrics;
		g_autofree char *got = it->got ? g_strjoinv(",", it->got) : g_strdup("");
		printf("%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%.1f\t%.0f\t%.3f\t%.3f\t%.2f\t%.3f\t"
		       "%.3f\t%.3f\t%.1f\t%s\t%s\n",
		       it->file, it->kind, it->severity, m->sharpness, m->motion, m->highlight,
		       m->clipped_highlights, m->noise, m->colour_cast, m->product_pixels,
		       m->edge_contact, m->fill, m->mask_confidence, m->blockiness, m->contrast,
		       m->product_brightness, m->background_chroma, it->status, got);
	}
	printf("\n");
}

/* The labelled set in DIR, written first (COUNTS photos of each kind at MEGAPIXELS) unless REUSE,
 * measured with PROFILE; NULL with ERROR set. */
static LrEvaluation *
measure_set(const char *dir, const int counts[LR_LABEL_N_KINDS], double megapixels,
	    double min_pixels, gboolean reuse, const LrProfile *profile, GError **error)
{
	gint64 start = g_get_monotonic_time();
	if (!reuse) {
		int n = lr_labelset_write_kinds(dir, counts, megapixels, min_pixels, error);
		if (n < 0)
			return NULL;
		fprintf(stderr, "wrote %d photos at %.1f MP into %s in %.0f s\n", n, megapixels,
			dir, (g_get_monotonic_time() - start) / 1e6);
	}
	start = g_get_monotonic_time();
	LrEvaluation *ev = lr_evaluation_run(dir, profile, 0, error);
	if (ev)
		fprintf(stderr, "measured %u photos in %.0f s\n", ev->items->len,
			(g_get_monotonic_time() - start) / 1e6);
	return ev;
}

int
main(int argc, char **argv)
{
	char *out = NULL, *write = NULL;
	int n_clean = 40, n_each = 18;
	double megapixels = 5, source_megapixels = 12;
	gboolean reuse = FALSE, show_metrics = FALSE;
	GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "Folder for the labelled set (default: a new temporary folder)", "DIR" },
		{ "clean", 0, 0, G_OPTION_ARG_INT, &n_clean, "Clean photos (default 40)", "N" },
		{ "each", 0, 0, G_OPTION_ARG_INT, &n_each,
		  "Photos of each kind of fault of models/labelset.c (default 18)", "N" },
		{ "megapixels", 'm', 0, G_OPTION_ARG_DOUBLE, &megapixels,
		  "Frame size of the generated photos (default 5)", "MP" },
		{ "source-megapixels", 0, 0, G_OPTION_ARG_DOUBLE, &source_megapixels,
		  "Second frame size, of clean and compressed photos only, for the lines read at "
		  "the source's own resolution (JPEG blockiness; default 12, a phone's; 0: none)",
		  "MP" },
		{ "reuse", 0, 0, G_OPTION_ARG_NONE, &reuse,
		  "Reuse the set already in --out instead of generating it", NULL },
		{ "write", 'w', 0, G_OPTION_ARG_FILENAME, &write,
		  "Write the fitted scorer file (models/scorer.ini) to FILE", "FILE" },
		{ "metrics", 0, 0, G_OPTION_ARG_NONE, &show_metrics,
		  "Print every photo's measurements first", NULL },
		{ NULL },
	};
	GError *error = NULL;

	if (lr_load_init(argv[0]))
		vips_error_exit(NULL);
	GOptionContext *context = g_option_context_new("- fit the quality scorer's thresholds");
	g_option_context_add_main_entries(context, entries, NULL);
	gboolean parsed = g_option_context_parse(context, &argc, &argv, &error);
	g_option_context_free(context);
	if (!parsed) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 2;
	}
	if (!out)
		out = g_dir_make_tmp("listready-fit-XXXXXX", NULL);
	LrProfile *profile = lr_profile_load("default", &error);
	if (!profile) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 1;
	}
	double min_pixels = lr_profile_double(profile, "decide", "min_product_pixels", 1000);
	int per_kind[LR_LABEL_N_KINDS], source_kinds[LR_LABEL_N_KINDS] = { 0 };
	for (int k = 0; k < LR_LABEL_N_KINDS; k++)
		per_kind[k] = k == LR_LABEL_CLEAN ? n_clean : n_each;
	source_kinds[LR_LABEL_CLEAN] = n_clean;
	source_kinds[LR_LABEL_COMPRESSED] = n_each;
	g_autofree char *source_dir = g_strdup_printf("%s/source-%gmp", out, source_megapixels);
	LrEvaluation *ev =
		measure_set(out, per_kind, megapixels, min_pixels, reuse, profile, &error);
	/* The lines read at the source's resolution are fitted on both frame sizes (EV_ALL). */
	LrEvaluation *ev_source = NULL, *ev_all = g_new0(LrEvaluation, 1);
	ev_all->items = g_ptr_array_new();
	if (ev && source_megapixels > 0)
		ev_source = measure_set(source_dir, source_kinds, source_megapixels, min_pixels,
					reuse, profile, &error);
	if (!ev || (source_megapixels > 0 && !ev_source)) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 1;
	}
	g_ptr_array_extend(ev_all->items, ev->items, NULL, NULL);
	if (ev_source)
		g_ptr_array_extend(ev_all->items, ev_source->items, NULL, NULL);
	if (show_metrics)
		print_metrics(ev_all);

	double thresholds[G_N_ELEMENTS(fitted)];
	gboolean ok[G_N_ELEMENTS(fitted)];
	GString *ini = g_string_new(NULL);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *when = g_date_time_format(now, "%Y-%m-%d");
	int counts[LR_LABEL_N_KINDS] = { 0 };
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		for (int k = 0; k < LR_LABEL_N_KINDS; k++)
			counts[k] += !strcmp(it->kind, lr_label_kind_name(k));
	}
	g_string_append_printf(
		ini,
		"# models/scorer.ini: the quality scorer's fitted thresholds, read by the decide stage\n"
		"# (filters/decide.c) for every [decide] key a profile does not set itself.\n#\n"
		"# Provenance: written by listready-fit (models/fit.c) on %s from the generated labelled set\n"
		"# of models/labelset.c at %.1f MP, %u photos:",
		when, megapixels, ev->items->len);
	for (int k = 0; k < LR_LABEL_N_KINDS; k++)
		g_string_append_printf(ini, "%s %d %s", k % 5 ? "," : "\n#  ", counts[k],
				       lr_label_kind_name(k));
	if (ev_source)
		g_string_append_printf(
			ini, ";\n# and, for the lines read at the source's own resolution (max_blockiness),"
			     "\n# %d clean and %d compressed photos at %.1f MP as well",
			source_kinds[LR_LABEL_CLEAN], source_kinds[LR_LABEL_COMPRESSED],
			source_megapixels);
	g_string_append_printf(
		ini,
		".\n# Each threshold is fitted on one metric between the clean photos and the photos labelled\n"
		"# with its reason (other faults take no part): the cut minimising misses/positives +\n"
		"# %d * false alarms/clean photos (a clean photo must clear all %d lines, so each may spend\n"
		"# 1/%d of the clean photos' 5%% allowance), placed in the middle of the widest gap among the\n"
		"# cuts of least cost (for scale-free quantities - shares, chroma - the geometric middle).\n"
		"# Where that leaves a reason under issue 6's recall line (%.2f), the clean photos' allowance\n"
		"# (%.0f%% of them, over all lines) is spent on it, the cheapest line first; such a line says so.\n"
		"# The compressed photos are bowls only: a textile's fine twill hides the JPEG grid from the\n"
		"# blockiness measure (models/labelset.c).\n"
		"# Checked against real camera photos by tests/filters/test_scorer.c (/scorer/realworld-photos):\n"
		"# those of ../shared/realworld, of JPEG quality 60 to 97, get neither blur nor jpeg_artifacts.\n"
		"# Refit: listready-fit --megapixels 3 --clean 40 --each 18 --write models/scorer.ini (then\n"
		"# rebuild; the file is embedded). Do not edit the numbers by hand: change the set and refit.\n\n"
		"[decide]\n",
		N_DECIDING, N_DECIDING, N_DECIDING, REQUIRED_RECALL, 100 * (1 - REQUIRED_CLEAN));
	printf("%-24s %-22s %9s %9s %9s %5s %5s %6s %6s %7s\n", "parameter", "reason", "threshold",
	       "near.pass", "near.flag", "n+", "n-", "missed", "alarms", "cost");
	Fit fits[G_N_ELEMENTS(fitted)];
	fit_all(ev, ev_all, fits, ok);
	for (guint i = 0; i < G_N_ELEMENTS(fitted); i++) {
		const Fitted *f = &fitted[i];
		const Fit *r = &fits[i];
		if (!ok[i]) {
			printf("%-24s %-22s (no positives or negatives: not fitted)\n", f->param,
			       f->code);
			continue;
		}
		const LrParam *spec =
			lr_filter_param_spec(lr_filter_find("decide"), f->param);
		thresholds[i] = CLAMP(round_significant(r->threshold), spec->min, spec->max);
		printf("%-24s %-22s %9.4g %9.4g %9.4g %5d %5d %6d %6d %7.3f%s\n", f->param, f->code,
		       thresholds[i], r->worst_negative, r->worst_positive, r->n_pos, r->n_neg,
		       r->misses, r->false_alarms, r->cost,
		       r->allowance ? "  (clean allowance spent: improve the metric)" : "");
		g_string_append_printf(
			ini,
			"# %s: flag when %s %s; the nearest %s passed %.4g, the mildest fault\n# flagged %.4g (%d with the reason, %d without: %d missed, %d false alarms)\n",
			f->code, f->param + 4, f->high_is_bad ? "is above" : "is below",
			f->among ? "defocus" : "clean photo", r->worst_negative, r->worst_positive,
			r->n_pos, r->n_neg, r->misses, r->false_alarms);
		if (r->allowance)
			g_string_append_printf(
				ini,
				"# The metric does not separate this fault from every clean photo: %d of the\n"
				"# clean photos' allowance spent to reach the recall line (improve the metric).\n",
				r->allowance);
		g_string_append_printf(ini, "%s = %.4g\n", f->param, thresholds[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(declared); i++) {
		const Declared *d = &declared[i];
		g_string_append(ini, d->why);
		if (d->offset >= 0) {
			double lo = INFINITY, hi = -INFINITY;
			for (guint k = 0; k < ev->items->len; k++) {
				const LrEvalItem *it = g_ptr_array_index(ev->items, k);
				if (!it->measured ||
				    strcmp(it->kind, lr_label_kind_name(LR_LABEL_CLEAN)))
					continue;
				const char *metrics = (const char *)&it->metrics;
				double v = *(const double *)(metrics + d->offset);
				lo = MIN(lo, v);
				hi = MAX(hi, v);
			}
			g_string_append_printf(
				ini, "# The clean photos of this set read %.4g to %.4g.\n", lo, hi);
		}
		g_string_append_printf(
			ini, "%s = %.4g\n", d->param,
			lr_filter_param_spec(lr_filter_find("decide"), d->param)->def);
	}

	LrProfile *refit = profile_with(thresholds, ok, out, &error);
	if (!refit) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 1;
	}
	printf("\nthe set re-decided under the fitted thresholds:\n");
	lr_evaluation_decide(ev, refit);
	lr_evaluation_print(ev, stdout);
	if (ev_source) {
		printf("\nthe %.1f MP set re-decided under the fitted thresholds:\n",
		       source_megapixels);
		lr_evaluation_decide(ev_source, refit);
		lr_evaluation_print(ev_source, stdout);
	}

	int status = 0;
	if (write && !g_file_set_contents(write, ini->str, (gssize)ini->len, &error)) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		status = 1;
	} else if (write) {
		fprintf(stderr, "wrote %s\n", write);
	}
	g_string_free(ini, TRUE);
	lr_profile_free(refit);
	lr_evaluation_free(ev_all);
	lr_evaluation_free(ev_source);
	lr_evaluation_free(ev);
	lr_profile_free(profile);
	vips_shutdown();
	return status;
}
