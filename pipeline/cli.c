/* cli.c: `listready process`, `explain` and `profiles` (see the README for the contract).
 *
 * Output discipline: stdout carries only the machine-readable result (one JSON object per photo, one per
 * line) or, with --format table, the human summary; every diagnostic goes to stderr. Exit status 0 means
 * every photo reached a definite outcome, rejections and quarantines included; 1 means at least one did
 * not (unreadable path, store failure); 2 is a usage error.
 */
#include "pipeline/cli.h"
#include "filters/filter.h"
#include "pipeline/daemon.h"
#include "pipeline/report.h"
#include "pipeline/run.h"

#include <stdio.h>
#include <string.h>

/* See cli.h. */
gboolean
lr_cli_parse(const char *usage, const char *summary, GOptionEntry *entries, int *argc, char ***argv)
{
	g_autoptr(GOptionContext) context = g_option_context_new(usage);
	g_autoptr(GError) error = NULL;
	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, argc, argv, &error)) {
		fprintf(stderr, "listready: %s\n", error->message);
		return FALSE;
	}
	return TRUE;
}

/* See cli.h. */
LrStore *
lr_cli_open_store(const char *dir)
{
	g_autoptr(GError) error = NULL;
	LrStore *store = lr_store_open(dir ? dir : LR_DEFAULT_STORE, &error);
	if (!store)
		fprintf(stderr, "listready: %s\n", error->message);
	return store;
}

static LrProfile *
load_profile(const char *name)
{
	g_autoptr(GError) error = NULL;
	LrProfile *profile = lr_profile_load(name ? name : "default", &error);
	if (!profile)
		fprintf(stderr, "listready: %s\n", error->message);
	return profile;
}

static void
print_table_row(const LrOutcome *out)
{
	g_autofree char *reasons = lr_report_reason_codes(out);
	g_autofree char *name = g_path_get_basename(out->file);
	printf("%-28.28s %-13s %5.2f  %s\n", name, out->status, out->ctx->score,
	       *reasons ? reasons : "-");
}

int
lr_cli_process(int argc, char **argv)
{
	char *store_dir = NULL, *profile_name = NULL, *format = NULL;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		  "Marketplace profile: a name (listready profiles) or a .ini path (default: default)",
		  "NAME" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format,
		  "Output: json (one object per photo per line, the default) or table", "FORMAT" },
		{ NULL },
	};
	if (!lr_cli_parse("FILE... - run photos through the pipeline into the store",
		   "Prints one JSON object per photo: file, id, status, reasons, scores, renditions,\n"
		   "orientation, source. Exit status 0 when every photo reached a definite outcome\n"
		   "(accepted, needs_review, quarantined, duplicate).",
		   entries, &argc, &argv))
		return 2;
	gboolean table = format && !strcmp(format, "table");
	if (format && !table && strcmp(format, "json")) {
		fprintf(stderr, "listready: --format must be json or table\n");
		return 2;
	}
	if (argc < 2) {
		fprintf(stderr, "listready process: no FILE given (see listready process --help)\n");
		return 2;
	}
	LrProfile *profile = load_profile(profile_name);
	if (!profile)
		return 2;
	g_autoptr(GError) error = NULL;
	LrStore *store = lr_cli_open_store(store_dir);
	if (!store) {
		lr_profile_free(profile);
		return 1;
	}

	int failures = 0;
	if (table)
		printf("%-28s %-13s %5s  %s\n", "FILE", "STATUS", "SCORE", "REASONS");
	for (int i = 1; i < argc; i++) {
		LrOutcome out;
		if (lr_process_file(store, profile, argv[i], &out)) {
			fprintf(stderr, "listready: %s: %s\n", argv[i], out.ctx->error);
			failures++;
		}
		if (table)
			print_table_row(&out);
		else {
			g_autofree char *json = lr_report_json(&out, FALSE, NULL);
			printf("%s\n", json);
		}
		fflush(stdout);
		lr_outcome_clear(&out);
	}
	if (table)
		printf("\nStore: %s (renditions under %s/renditions, catalog in %s/listready.db)\n",
		       lr_store_dir(store), lr_store_dir(store), lr_store_dir(store));
	lr_store_close(store);
	lr_profile_free(profile);
	g_free(store_dir);
	g_free(profile_name);
	g_free(format);
	return failures ? 1 : 0;
}

int
lr_cli_explain(int argc, char **argv)
{
	char *profile_name = NULL, *dump = NULL;
	GOptionEntry entries[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile_name,
		  "Marketplace profile (default: default)", "NAME" },
		{ "dump", 'd', 0, G_OPTION_ARG_FILENAME, &dump,
		  "Write normalized.png, mask.png and final.png into DIR", "DIR" },
		{ NULL },
	};
	if (!lr_cli_parse("FILE - analyse one photo without a store",
		   "Prints the JSON report of `process` plus each metric with its threshold and\n"
		   "sub-score, the product box, the EXIF summary and per-stage timings. Nothing is\n"
		   "stored.",
		   entries, &argc, &argv))
		return 2;
	if (argc != 2) {
		fprintf(stderr, "listready explain: give exactly one FILE (see listready explain --help)\n");
		return 2;
	}
	LrProfile *profile = load_profile(profile_name);
	if (!profile)
		return 2;
	LrOutcome out;
	int status = lr_process_file(NULL, profile, argv[1], &out) ? 1 : 0;
	g_autofree char *json = lr_report_json(&out, TRUE, NULL);
	printf("%s\n", json);
	if (dump) {
		g_autoptr(GError) error = NULL;
		if (lr_dump_stages(&out, dump, &error)) {
			fprintf(stderr, "listready: --dump: %s\n", error->message);
			status = 1;
		}
	}
	lr_outcome_clear(&out);
	lr_profile_free(profile);
	g_free(profile_name);
	g_free(dump);
	return status;
}

int
lr_cli_profiles(int argc, char **argv)
{
	GOptionEntry entries[] = { { NULL } };
	if (!lr_cli_parse("- list the marketplace profiles and every stage parameter",
		   "Profiles set stage parameters in groups named after the stage.", entries, &argc,
		   &argv))
		return 2;
	g_auto(GStrv) names = lr_profile_names();
	printf("Profiles:");
	for (int i = 0; names[i]; i++)
		printf(" %s", names[i]);
	printf("\n\nStage parameters ([group] key: range, default):\n");
	for (int i = 0; lr_filter_order[i]; i++) {
		const LrFilter *f = lr_filter_order[i];
		printf("[%s] %s\n", f->name, f->summary);
		for (const LrParam *p = f->params; p->name; p++)
			printf("  %-24s %g..%g, default %g: %s\n", p->name, p->min, p->max, p->def,
			       p->help);
	}
	return 0;
}

int
lr_cli_run(int argc, char **argv)
{
	LrDaemonOptions options;
	char *store_dir = NULL, *inbox = NULL, *profile = NULL, *listen = NULL;
	gboolean once = FALSE;
	lr_daemon_options_init(&options);
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "inbox", 'i', 0, G_OPTION_ARG_FILENAME, &inbox,
		  "Inbox folder to watch (required); inbox/ARTISAN/SKU/photo.jpg names the artisan "
		  "and product, photo.jpg.json may override them",
		  "DIR" },
		{ "workers", 'w', 0, G_OPTION_ARG_INT, &options.workers,
		  "Worker threads (default: the number of cores)", "N" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
		  "Default marketplace profile for the store (a sidecar may name another)", "NAME" },
		{ "settle", 0, 0, G_OPTION_ARG_DOUBLE, &options.settle_seconds,
		  "Seconds a file found by a scan must stay unchanged before it is taken (default 2)",
		  "S" },
		{ "max-attempts", 0, 0, G_OPTION_ARG_INT, &options.max_attempts,
		  "Tries of one photo before it is quarantined as failing (default 3)", "N" },
		{ "summary", 0, 0, G_OPTION_ARG_INT, &options.summary_seconds,
		  "Seconds between progress summaries, 0 for none (default 60)", "S" },
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once,
		  "Take what is in the inbox, process everything queued, then exit", NULL },
		{ "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
		  "Also serve the review page and the catalog API on ADDR (e.g. 127.0.0.1:8080)",
		  "ADDR" },
		{ NULL },
	};
	if (!lr_cli_parse("- watch an inbox and process every photo that arrives",
		   "Each photo is copied into the store and queued in one transaction before it\n"
		   "leaves the inbox; hidden files and names ending in .part, .tmp, ~ (and .json\n"
		   "sidecars) are left alone, and a temporary name such as photo.jpg.Ab12Cd waits\n"
		   "for its rename. One line per photo: time, status, milliseconds, file,\n"
		   "reasons. SIGINT or SIGTERM stops after the photos in hand; a second one exits at\n"
		   "once. After a crash, interrupted photos are processed again on the next start.",
		   entries, &argc, &argv))
		return 2;
	if (!inbox || argc > 1) {
		fprintf(stderr, "listready run: --inbox DIR is required (see listready run --help)\n");
		return 2;
	}
	options.store_dir = store_dir ? store_dir : LR_DEFAULT_STORE;
	options.inbox_dir = inbox;
	if (profile)
		options.profile = profile;
	options.once = once;
	options.listen = listen;
	int status = lr_daemon_run(&options);
	g_free(listen);
	g_free(store_dir);
	g_free(inbox);
	g_free(profile);
	return status;
}

int
lr_cli_status(int argc, char **argv)
{
	char *store_dir = NULL;
	gboolean quarantined = FALSE;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "quarantined", 'q', 0, G_OPTION_ARG_NONE, &quarantined,
		  "Also list every quarantined photo: id, name, reason, message, kept original",
		  NULL },
		{ NULL },
	};
	if (!lr_cli_parse("- what the store holds and what is waiting",
		   "Counts by status, queue depth, photos recorded in the last minute and the\n"
		   "oldest photo still waiting.",
		   entries, &argc, &argv))
		return 2;
	g_autoptr(GError) error = NULL;
	LrStore *store = lr_cli_open_store(store_dir);
	g_free(store_dir);
	if (!store)
		return 1;
	LrStoreStatus st;
	int status = 0;
	if (lr_store_status(store, &st, &error)) {
		fprintf(stderr, "listready: %s\n", error->message);
		lr_store_close(store);
		return 1;
	}
	printf("store        %s\n", lr_store_dir(store));
	printf("accepted     %" G_GINT64_FORMAT "\n", st.accepted);
	printf("needs_review %" G_GINT64_FORMAT "\n", st.needs_review);
	printf("rejected     %" G_GINT64_FORMAT "\n", st.rejected);
	printf("quarantined  %" G_GINT64_FORMAT "\n", st.quarantined);
	printf("duplicate    %" G_GINT64_FORMAT "\n", st.duplicate);
	printf("queued       %" G_GINT64_FORMAT " waiting, %" G_GINT64_FORMAT " processing\n",
	       st.queued, st.processing);
	printf("throughput   %" G_GINT64_FORMAT " photos in the last minute\n", st.last_minute);
	printf("oldest       %s%s%s%s\n", st.oldest_path ? st.oldest_path : "-",
	       st.oldest_at ? " (queued " : "", st.oldest_at ? st.oldest_at : "",
	       st.oldest_at ? ")" : "");
	lr_store_status_clear(&st);
	if (quarantined) {
		GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
		if (lr_store_list_quarantined(store, lines, &error)) {
			fprintf(stderr, "listready: %s\n", error->message);
			status = 1;
		}
		printf("\nquarantined photos (id, name, reason, message, kept original):\n");
		for (guint i = 0; i < lines->len; i++)
			printf("%s\n", (char *)g_ptr_array_index(lines, i));
		g_ptr_array_unref(lines);
	}
	lr_store_close(store);
	return status;
}
