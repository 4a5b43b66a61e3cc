/* fit.c: listready-fit, the program that fits the quality scorer's thresholds (models/scorer.ini).
 *
 *   listready-fit [--out DIR] [--clean N] [--each N] [--megapixels MP] [--reuse] [--write FILE]
 *                 [--metrics]
 *
 * It writes the generated labelled set (models/labelset.c: clean photos and degradations of known
 * severity) into DIR, or reuses the one there, measures every photo with the real pipeline stages,
 * and places each threshold where it best separates the photos that should get its reason from those
 * that should not: the cut maximising balanced accuracy ((recall + specificity) / 2), and among equally
 * good cuts the middle of the widest gap, so that photos a little outside what was generated fall on
 * the side they are nearest. It prints the thresholds with the evidence for each, re-decides the set
 * under them and prints the evaluation, and with --write writes the scorer file with its provenance.
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
	const char *also;       /* ... or this (a shake is a blur too); may be NULL */
	size_t offset;          /* of the metric in LrMetrics */
	gboolean high_is_bad;
	const char *among;      /* only photos expecting this code take part (NULL: all) */
	gboolean mask_trusted;  /* only photos whose mask was trusted (framing is read off it) */
	const char *kind;       /* positives are the photos of this kind instead of CODE's */
	gboolean ratio_scale;   /* a scale-free quantity: the cut is the geometric mean of the gap */
} Fitted;

#define METRIC(field) offsetof(LrMetrics, field)

static const Fitted fitted[] = {
	{ "min_sharpness", "blur", NULL, METRIC(sharpness), FALSE, NULL, FALSE, NULL, FALSE },
	{ "max_motion", "blur (shake)", NULL, METRIC(motion), TRUE, "blur", FALSE, "motion_blur",
	  FALSE },
	{ "min_highlight", "underexposed", NULL, METRIC(highlight), FALSE, NULL, FALSE, NULL, FALSE },
	{ "max_clipped_highlights", "overexposed", NULL, METRIC(clipped_highlights), TRUE, NULL,
	  FALSE, NULL, TRUE },
	/* Noise adds: a sigma is not scale-free the way a share is, so the plain middle. */
	{ "max_noise", "noisy", NULL, METRIC(noise), TRUE, NULL, FALSE, NULL, FALSE },
	{ "max_colour_cast", "colour_cast", NULL, METRIC(colour_cast), TRUE, NULL, FALSE, NULL,
	  TRUE },
	{ "max_edge_contact", "product_cut_off", NULL, METRIC(edge_contact), TRUE, NULL, TRUE, NULL,
	  FALSE },
	{ "min_fill", "product_too_small", NULL, METRIC(fill), FALSE, NULL, TRUE, NULL, TRUE },
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
	double threshold, balanced;
	double worst_negative, worst_positive; /* the negatives' and positives' values nearest the line */
	int n_pos, n_neg;
} Fit;

/* Fits F on EV's measured photos into *OUT. Returns FALSE when there are no positives or negatives. */
static gboolean
fit_one(const LrEvaluation *ev, const Fitted *f, Fit *out)
{
	GArray *s = g_array_new(FALSE, FALSE, sizeof(Sample));
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (!it->measured || (f->mask_trusted && !it->background_replaced))
			continue;
		if (f->among && !expects(it, f->among) && !expects(it, f->code))
			continue;
		double v = *(const double *)((const char *)&it->metrics + f->offset);
		/* Working as if high were bad always: flip the others. */
		if (f->ratio_scale)
			v = log(MAX(v, 1e-4)); /* a zero (none at all) counts as 1e-4 */
		gboolean positive = f->kind ? !strcmp(it->kind, f->kind)
					    : expects(it, f->code) || expects(it, f->also);
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
	/* Cut k: the first k samples are called clean, the rest flagged. */
	double best = -1;
	int best_lo = 0, best_hi = 0, neg_below = 0, pos_below = 0;
	for (int k = 0; k <= n; k++) {
		if (k > 0) {
			const Sample *prev = &g_array_index(s, Sample, k - 1);
			neg_below += !prev->positive;
			pos_below += prev->positive;
		}
		/* Equal values cannot be split. */
		if (k > 0 && k < n &&
		    g_array_index(s, Sample, k).value == g_array_index(s, Sample, k - 1).value)
			continue;
		double ba = 0.5 * ((double)neg_below / neg + (double)(pos - pos_below) / pos);
		if (ba > best + 1e-12) {
			best = ba;
			best_lo = best_hi = k;
		} else if (ba > best - 1e-12 && best_hi == k - 1) {
			best_hi = k; /* extends the run of equally good cuts; a run elsewhere is
				      * ignored, the first one kept */
		}
	}
	/* The run of cuts best_lo..best_hi spans the gap between these two values. */
	double lo = best_lo > 0 ? g_array_index(s, Sample, best_lo - 1).value
				: g_array_index(s, Sample, 0).value;
	double hi = best_hi < n ? g_array_index(s, Sample, best_hi).value
				: g_array_index(s, Sample, n - 1).value;
	double t = (lo + hi) / 2;
	double worst_neg = -INFINITY, worst_pos = INFINITY;
	for (int i = 0; i < n; i++) {
		const Sample *x = &g_array_index(s, Sample, i);
		if (x->positive)
			worst_pos = MIN(worst_pos, x->value);
		else
			worst_neg = MAX(worst_neg, x->value);
	}
	double sign = f->high_is_bad ? 1 : -1;
	*out = (Fit){ sign * t, best, sign * worst_neg, sign * worst_pos, pos, neg };
	if (f->ratio_scale) {
		out->threshold = exp(out->threshold);
		out->worst_negative = exp(out->worst_negative);
		out->worst_positive = exp(out->worst_positive);
	}
	g_array_free(s, TRUE);
	return TRUE;
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
	       "edge\tfill\tconf\tblock\tpbright\tbgchroma\tstatus\treasons\n");
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		const LrMetrics *m = &it->metrics;
		g_autofree char *got = it->got ? g_strjoinv(",", it->got) : g_strdup("");
		printf("%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%.1f\t%.0f\t%.3f\t%.3f\t%.2f\t%.3f\t"
		       "%.3f\t%.1f\t%s\t%s\n",
		       it->file, it->kind, it->severity, m->sharpness, m->motion, m->highlight,
		       m->clipped_highlights, m->noise, m->colour_cast, m->product_pixels,
		       m->edge_contact, m->fill, m->mask_confidence, m->blockiness,
		       m->product_brightness, m->background_chroma, it->status, got);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	char *out = NULL, *write = NULL;
	int n_clean = 40, n_each = 18;
	double megapixels = 5;
	gboolean reuse = FALSE, show_metrics = FALSE;
	GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "Folder for the labelled set (default: a new temporary folder)", "DIR" },
		{ "clean", 0, 0, G_OPTION_ARG_INT, &n_clean, "Clean photos (default 40)", "N" },
		{ "each", 0, 0, G_OPTION_ARG_INT, &n_each,
		  "Photos of each degradation (default 18; 9 kinds)", "N" },
		{ "megapixels", 'm', 0, G_OPTION_ARG_DOUBLE, &megapixels,
		  "Frame size of the generated photos (default 5)", "MP" },
		{ "reuse", 0, 0, G_OPTION_ARG_NONE, &reuse,
		  "Reuse the set already in --out instead of generating it", NULL },
		{ "write", 'w', 0, G_OPTION_ARG_FILENAME, &write,
		  "Write the fitted scorer file (models/scorer.ini) to FILE", "FILE" },
		{ "metrics", 0, 0, G_OPTION_ARG_NONE, &show_metrics,
		  "Print every photo's measurements first", NULL },
		{ NULL },
	};
	GError *error = NULL;

	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	lr_load_init();
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
	gint64 start = g_get_monotonic_time();
	if (!reuse) {
		int n = lr_labelset_write(out, n_clean, n_each, megapixels, min_pixels, &error);
		if (n < 0) {
			fprintf(stderr, "listready-fit: %s\n", error->message);
			return 1;
		}
		fprintf(stderr, "wrote %d photos at %.1f MP into %s in %.0f s\n", n, megapixels, out,
			(g_get_monotonic_time() - start) / 1e6);
	}
	start = g_get_monotonic_time();
	LrEvaluation *ev = lr_evaluation_run(out, profile, 0, &error);
	if (!ev) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 1;
	}
	fprintf(stderr, "measured %u photos in %.0f s\n", ev->items->len,
		(g_get_monotonic_time() - start) / 1e6);
	if (show_metrics)
		print_metrics(ev);

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
	g_string_append(
		ini,
		".\n# Each threshold is the cut on its metric that maximises balanced accuracy between the\n"
		"# photos labelled with its reason and the rest, placed in the middle of the widest gap (for\n"
		"# scale-free quantities - shares, chroma - the geometric middle).\n"
		"# Sanity-checked by hand against real phone photos (../shared/realworld/orientation and\n"
		"# formats/): none of the sharp ones falls under min_sharpness.\n"
		"# Refit: listready-fit --megapixels 3 --clean 40 --each 18 --write models/scorer.ini (then\n"
		"# rebuild; the file is embedded). Do not edit the numbers by hand: change the set and refit.\n\n"
		"[decide]\n");
	printf("%-24s %-22s %9s %9s %9s %5s %5s %9s\n", "parameter", "reason", "threshold",
	       "negatives", "positives", "n+", "n-", "bal.acc");
	for (guint i = 0; i < G_N_ELEMENTS(fitted); i++) {
		const Fitted *f = &fitted[i];
		Fit r;
		ok[i] = fit_one(ev, f, &r);
		if (!ok[i]) {
			printf("%-24s %-22s (no positives or negatives: not fitted)\n", f->param,
			       f->code);
			continue;
		}
		const LrParam *spec =
			lr_filter_param_spec(lr_filter_find("decide"), f->param);
		/* Rounded to what the metric can tell apart, and inside the declared range. */
		thresholds[i] = CLAMP(round(r.threshold * 1000) / 1000, spec->min, spec->max);
		printf("%-24s %-22s %9.3f %9.3f %9.3f %5d %5d %9.3f\n", f->param, f->code,
		       thresholds[i], r.worst_negative, r.worst_positive, r.n_pos, r.n_neg,
		       r.balanced);
		g_string_append_printf(
			ini,
			"# %s: flag when %s %s; the most extreme photo without the reason %.3f, the\n# mildest with it %.3f (%d with, %d without), balanced accuracy %.3f\n%s = %.3f\n",
			f->code, f->param + 4, f->high_is_bad ? "is above" : "is below",
			r.worst_negative, r.worst_positive, r.n_pos, r.n_neg, r.balanced, f->param,
			thresholds[i]);
	}
	g_string_append_printf(
		ini, "# Not fitted (a policy, not a measurement): a photo with no single reason whose\n"
		     "# composite (geometric mean of the sub-scores) falls below this still goes to review.\n"
		     "min_composite = %.3f\n",
		lr_filter_param_spec(lr_filter_find("decide"), "min_composite")->def);

	LrProfile *refit = profile_with(thresholds, ok, out, &error);
	if (!refit) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		return 1;
	}
	printf("\nthe set re-decided under the fitted thresholds:\n");
	lr_evaluation_decide(ev, refit);
	lr_evaluation_print(ev, stdout);

	int status = 0;
	if (write && !g_file_set_contents(write, ini->str, (gssize)ini->len, &error)) {
		fprintf(stderr, "listready-fit: %s\n", error->message);
		status = 1;
	} else if (write) {
		fprintf(stderr, "wrote %s\n", write);
	}
	g_string_free(ini, TRUE);
	lr_profile_free(refit);
	lr_evaluation_free(ev);
	lr_profile_free(profile);
	vips_shutdown();
	return status;
}
