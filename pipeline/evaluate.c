/* evaluate.c: the scorer against a labelled folder (see evaluate.h).
 *
 * Each photo runs through the same loader and stages as `listready process`, except renditions, which
 * the decision does not read and which would triple the time. The decision is the decide stage itself,
 * run on a fresh context that carries only the measurements, so that what is evaluated is exactly what
 * ships.
 */
#include "pipeline/evaluate.h"
#include "filters/filter.h"
#include "pipeline/load.h"

#include <string.h>

static void
item_free(gpointer data)
{
	LrEvalItem *it = data;
	g_free(it->file);
	g_free(it->path);
	g_free(it->expected_status);
	g_strfreev(it->expected);
	g_free(it->kind);
	g_free(it->severity);
	g_free(it->error);
	g_strfreev(it->got);
	g_free(it);
}

void
lr_evaluation_free(LrEvaluation *ev)
{
	if (!ev)
		return;
	g_ptr_array_unref(ev->items);
	g_free(ev->profile);
	g_free(ev);
}

/* Measures IT: load and every stage before decide but renditions. Runs on a pool thread. */
static void
measure(gpointer data, gpointer user_data)
{
	LrEvalItem *it = data;
	const LrProfile *profile = user_data;
	char *bytes;
	gsize length;
	GError *error = NULL;

	if (!g_file_get_contents(it->path, &bytes, &length, &error)) {
		it->error = g_strdup(error->message);
		g_error_free(error);
		return;
	}
	LrContext *ctx = lr_context_new(it->path, profile);
	int err = lr_load_bytes(ctx, bytes, length);
	g_free(bytes);
	for (int i = 0; !err && lr_filter_order[i]; i++) {
		const char *name = lr_filter_order[i]->name;
		if (!strcmp(name, "decide"))
			break;
		if (!strcmp(name, "renditions"))
			continue;
		err = lr_filter_order[i]->process(ctx);
	}
	if (err) {
		it->error = g_strdup_printf("%s: %s", ctx->error_code, ctx->error);
	} else {
		it->metrics = ctx->metrics;
		it->background_replaced = ctx->background_replaced;
		it->measured = TRUE;
	}
	lr_context_free(ctx);
}

void
lr_evaluation_decide(LrEvaluation *ev, const LrProfile *profile)
{
	const LrFilter *decide = lr_filter_find("decide");
	g_free(ev->profile);
	ev->profile = g_strdup(profile->name);
	for (guint i = 0; i < ev->items->len; i++) {
		LrEvalItem *it = g_ptr_array_index(ev->items, i);
		g_clear_pointer(&it->got, g_strfreev);
		if (!it->measured) {
			it->status = "quarantined";
			it->got = g_new0(char *, 1);
			continue;
		}
		LrContext *ctx = lr_context_new(it->path, profile);
		ctx->metrics = it->metrics;
		ctx->background_replaced = it->background_replaced;
		decide->process(ctx);
		it->status = ctx->status;
		it->composite = ctx->score;
		it->got = g_new0(char *, ctx->reasons->len + 1);
		for (guint r = 0; r < ctx->reasons->len; r++)
			it->got[r] = g_strdup(g_array_index(ctx->reasons, LrReason, r).code);
		lr_context_free(ctx);
	}
}

LrEvaluation *
lr_evaluation_run(const char *dir, const LrProfile *profile, int threads, GError **error)
{
	g_autofree char *labels = g_build_filename(dir, "labels.tsv", NULL);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(labels, &text, NULL, error))
		return NULL;

	LrEvaluation *ev = g_new0(LrEvaluation, 1);
	ev->items = g_ptr_array_new_with_free_func(item_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (int i = 1; lines[i]; i++) { /* line 0 is the header */
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
		guint n = g_strv_length(f);
		if (n == 0 || !*g_strstrip(f[0]))
			continue;
		if (n < 3) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%d: expected file, status, reasons", labels, i + 1);
			lr_evaluation_free(ev);
			return NULL;
		}
		LrEvalItem *it = g_new0(LrEvalItem, 1);
		it->file = g_strdup(f[0]);
		it->path = g_build_filename(dir, f[0], NULL);
		it->expected_status = g_strdup(g_strstrip(f[1]));
		const char *reasons = g_strstrip(f[2]);
		it->expected = !strcmp(reasons, "-") || !*reasons ? g_new0(char *, 1)
								  : g_strsplit(reasons, ",", -1);
		it->kind = g_strdup(n > 3 ? g_strstrip(f[3]) : it->expected_status);
		it->severity = g_strdup(n > 4 ? g_strstrip(f[4]) : "");
		g_ptr_array_add(ev->items, it);
	}

	GThreadPool *pool = g_thread_pool_new(measure, (gpointer)profile,
					      threads > 0 ? threads : (int)g_get_num_processors(),
					      TRUE, NULL);
	for (guint i = 0; i < ev->items->len; i++)
		g_thread_pool_push(pool, g_ptr_array_index(ev->items, i), NULL);
	g_thread_pool_free(pool, FALSE, TRUE);
	lr_evaluation_decide(ev, profile);
	return ev;
}

static gboolean
has(char **codes, const char *code)
{
	return codes && g_strv_contains((const char *const *)codes, code);
}

double
lr_evaluation_recall(const LrEvaluation *ev, const char *code)
{
	int expected = 0, hit = 0;
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (has(it->expected, code)) {
			expected++;
			hit += has(it->got, code);
		}
	}
	return expected ? (double)hit / expected : -1;
}

double
lr_evaluation_precision(const LrEvaluation *ev, const char *code)
{
	int got = 0, right = 0;
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (has(it->got, code)) {
			got++;
			right += has(it->expected, code);
		}
	}
	return got ? (double)right / got : -1;
}

double
lr_evaluation_acceptance(const LrEvaluation *ev)
{
	int clean = 0, accepted = 0;
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (!strcmp(it->expected_status, "accepted")) {
			clean++;
			accepted += !g_strcmp0(it->status, "accepted");
		}
	}
	return clean ? (double)accepted / clean : -1;
}

double
lr_evaluation_accuracy(const LrEvaluation *ev)
{
	int right = 0;
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		right += !g_strcmp0(it->status, it->expected_status);
	}
	return ev->items->len ? (double)right / ev->items->len : 0;
}

/* Adds the strings of CODES missing from SET. */
static void
collect(GPtrArray *set, char **codes)
{
	for (int c = 0; codes && codes[c]; c++)
		if (!g_ptr_array_find_with_equal_func(set, codes[c], g_str_equal, NULL))
			g_ptr_array_add(set, g_strdup(codes[c]));
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The codes expected anywhere (ALSO_GOT: or decided anywhere), sorted, NULL-terminated. */
static char **
codes_of(const LrEvaluation *ev, gboolean also_got)
{
	GPtrArray *set = g_ptr_array_new();
	for (guint i = 0; i < ev->items->len; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		collect(set, it->expected);
		if (also_got)
			collect(set, it->got);
	}
	g_ptr_array_sort(set, compare_strings);
	g_ptr_array_add(set, NULL);
	return (char **)g_ptr_array_free(set, FALSE);
}

char **
lr_evaluation_codes(const LrEvaluation *ev)
{
	return codes_of(ev, FALSE);
}

void
lr_evaluation_print(const LrEvaluation *ev, FILE *fp)
{
	static const char *const statuses[] = { "accepted", "needs_review", "quarantined" };
	guint n = ev->items->len;

	fprintf(fp, "profile %s, %u photos\n", ev->profile, n);
	fprintf(fp, "accuracy (status) %.3f, clean photos accepted %.3f\n\n",
		lr_evaluation_accuracy(ev), lr_evaluation_acceptance(ev));

	g_auto(GStrv) all = codes_of(ev, TRUE);
	fprintf(fp, "%-22s %9s %9s %9s %9s\n", "reason", "expected", "flagged", "precision",
		"recall");
	for (int c = 0; all[c]; c++) {
		int expected = 0, got = 0;
		for (guint i = 0; i < n; i++) {
			const LrEvalItem *it = g_ptr_array_index(ev->items, i);
			expected += has(it->expected, all[c]);
			got += has(it->got, all[c]);
		}
		double p = lr_evaluation_precision(ev, all[c]), r = lr_evaluation_recall(ev, all[c]);
		char ps[16] = "-", rs[16] = "-";
		if (p >= 0)
			g_snprintf(ps, sizeof(ps), "%.3f", p);
		if (r >= 0)
			g_snprintf(rs, sizeof(rs), "%.3f", r);
		fprintf(fp, "%-22s %9d %9d %9s %9s\n", all[c], expected, got, ps, rs);
	}

	fprintf(fp, "\nconfusion matrix (rows: expected status, columns: decided)\n%-14s", "");
	for (guint s = 0; s < G_N_ELEMENTS(statuses); s++)
		fprintf(fp, " %13s", statuses[s]);
	fprintf(fp, "\n");
	for (guint e = 0; e < 2; e++) {
		fprintf(fp, "%-14s", statuses[e]);
		for (guint s = 0; s < G_N_ELEMENTS(statuses); s++) {
			int count = 0;
			for (guint i = 0; i < n; i++) {
				const LrEvalItem *it = g_ptr_array_index(ev->items, i);
				count += !strcmp(it->expected_status, statuses[e]) &&
					 !g_strcmp0(it->status, statuses[s]);
			}
			fprintf(fp, " %13d", count);
		}
		fprintf(fp, "\n");
	}

	/* Which reasons each kind of photo drew: the diagonal is the intended one, the rest is what
	 * else the scorer saw (often rightly: a tiny product is also short of pixels). */
	GPtrArray *kinds = g_ptr_array_new();
	for (guint i = 0; i < n; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		if (!g_ptr_array_find_with_equal_func(kinds, it->kind, g_str_equal, NULL))
			g_ptr_array_add(kinds, it->kind);
	}
	fprintf(fp, "\nreasons by kind of photo (rows: kind, count; columns: photos that got the "
		    "reason; \"ok\": accepted)\n%-16s %5s %5s", "", "n", "ok");
	for (int c = 0; all[c]; c++)
		fprintf(fp, " %5.5s", all[c]);
	fprintf(fp, "\n");
	for (guint k = 0; k < kinds->len; k++) {
		const char *kind = g_ptr_array_index(kinds, k);
		int count = 0, ok = 0;
		for (guint i = 0; i < n; i++) {
			const LrEvalItem *it = g_ptr_array_index(ev->items, i);
			if (!strcmp(it->kind, kind)) {
				count++;
				ok += !g_strcmp0(it->status, "accepted");
			}
		}
		fprintf(fp, "%-16s %5d %5d", kind, count, ok);
		for (int c = 0; all[c]; c++) {
			int got = 0;
			for (guint i = 0; i < n; i++) {
				const LrEvalItem *it = g_ptr_array_index(ev->items, i);
				got += !strcmp(it->kind, kind) && has(it->got, all[c]);
			}
			fprintf(fp, " %5d", got);
		}
		fprintf(fp, "\n");
	}
	g_ptr_array_free(kinds, TRUE);

	fprintf(fp, "\nmisjudged photos\n");
	for (guint i = 0; i < n; i++) {
		const LrEvalItem *it = g_ptr_array_index(ev->items, i);
		gboolean wrong = g_strcmp0(it->status, it->expected_status) != 0;
		for (int c = 0; it->expected[c]; c++)
			wrong |= !has(it->got, it->expected[c]);
		if (!wrong)
			continue;
		g_autofree char *expected = g_strjoinv(",", it->expected);
		g_autofree char *got = g_strjoinv(",", it->got);
		fprintf(fp, "  %-22s %-12s want %s [%s] got %s [%s]%s%s\n", it->file, it->severity,
			it->expected_status, expected, it->status, got, it->error ? " " : "",
			it->error ? it->error : "");
	}
}
