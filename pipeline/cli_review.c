/* cli_review.c: `listready serve`, `review`, `token` and `export` (see the README for the contract).
 *
 * The review commands make the same calls as the review page (pipeline/review.h), so a decision made
 * in a terminal is recorded exactly like one made in the browser, with the person named in the
 * event log ("curator:NAME", from --as or the login name).
 */
#include "pipeline/cli_review.h"
#include "pipeline/cli.h"
#include "pipeline/export.h"
#include "pipeline/http.h"
#include "pipeline/review.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static gboolean
on_stop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE; /* removed by lr_cli_serve() with the other one */
}

int
lr_cli_serve(int argc, char **argv)
{
	g_autofree char *store_dir = NULL, *listen = NULL;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
		  "Address to listen on (default " LR_HTTP_DEFAULT_LISTEN "; port 0 picks a free one)",
		  "ADDR" },
		{ NULL },
	};
	if (!lr_cli_parse("- serve the review page and the catalog API without watching an inbox",
		   "Prints \"listening on URL\" once it listens. SIGINT or SIGTERM stops it.", entries,
		   &argc, &argv))
		return 2;
	if (argc > 1) {
		fprintf(stderr, "listready serve: unexpected argument \"%s\"\n", argv[1]);
		return 2;
	}
	LrStore *store = lr_cli_open_store(store_dir);
	if (!store)
		return 1;
	g_autoptr(GError) error = NULL;
	LrHttp *http = lr_http_start(store, listen, &error);
	if (!http) {
		fprintf(stderr, "listready: %s\n", error->message);
		lr_store_close(store);
		return 1;
	}
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	guint sigint = g_unix_signal_add(SIGINT, on_stop, loop);
	guint sigterm = g_unix_signal_add(SIGTERM, on_stop, loop);
	printf("listening on %s\n", lr_http_url(http));
	fflush(stdout);
	g_main_loop_run(loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	lr_http_stop(http);
	g_main_loop_unref(loop);
	lr_store_close(store);
	return 0;
}

/* "curator:NAME" for the event log. */
static char *
cli_actor(const char *as)
{
	return g_strdup_printf("curator:%s", as ? as : g_get_user_name());
}

static gint64
parse_id(const char *text)
{
	char *end;
	gint64 id = text ? g_ascii_strtoll(text, &end, 10) : 0;
	return text && !*end && id > 0 ? id : 0;
}

static void
print_json_pretty(const char *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (json_parser_load_from_data(parser, json, -1, NULL)) {
		g_autofree char *pretty = json_to_string(json_parser_get_root(parser), TRUE);
		printf("%s\n", pretty);
	} else
		printf("%s\n", json);
}

static int
review_list(LrStore *store)
{
	LrFeedQuery q = { .status = "needs_review", .oldest_first = TRUE, .limit = 1000 };
	g_autoptr(GError) error = NULL;
	g_autofree char *page = lr_store_feed_json(store, &q, &error);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!page || !json_parser_load_from_data(parser, page, -1, &error)) {
		fprintf(stderr, "listready: %s\n", error->message);
		return 1;
	}
	JsonArray *items =
	    json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "items");
	printf("%-6s %-24s %-5s %-28s %s\n", "ID", "RECEIVED", "SCORE", "FILE", "REASONS");
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *a = json_array_get_object_element(items, i);
		JsonArray *reasons = json_object_get_array_member(a, "reasons");
		GString *codes = g_string_new(NULL);
		for (guint k = 0; k < json_array_get_length(reasons); k++)
			g_string_append_printf(codes, "%s%s", k ? "," : "",
					       json_object_get_string_member(
						   json_array_get_object_element(reasons, k), "code"));
		printf("%-6" G_GINT64_FORMAT " %-24s %5.2f %-28.28s %s\n",
		       json_object_get_int_member(a, "id"),
		       json_object_get_string_member(a, "created_at"),
		       json_object_get_double_member(a, "score"),
		       json_object_get_string_member(a, "original_name"),
		       codes->len ? codes->str : "-");
		g_string_free(codes, TRUE);
	}
	return 0;
}

int
lr_cli_review(int argc, char **argv)
{
	g_autofree char *store_dir = NULL, *as = NULL, *reason = NULL, *profile = NULL;
	g_autofree char *crop = NULL;
	gboolean keep_background = FALSE;
	int rotate = 0;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "as", 0, 0, G_OPTION_ARG_STRING, &as,
		  "Curator name for the event log (default: your login name)", "NAME" },
		{ "reason", 'r', 0, G_OPTION_ARG_STRING, &reason,
		  "reject: the reason the artisan will see (required)", "TEXT" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
		  "reprocess: another profile", "NAME" },
		{ "keep-background", 0, 0, G_OPTION_ARG_NONE, &keep_background,
		  "reprocess: no background removal", NULL },
		{ "crop", 0, 0, G_OPTION_ARG_STRING, &crop,
		  "reprocess: crop LEFT,TOP,WIDTH,HEIGHT as shares 0..1 of the upright photo", "BOX" },
		{ "rotate", 0, 0, G_OPTION_ARG_INT, &rotate,
		  "reprocess: rotate 90, 180 or 270 degrees clockwise (after the crop)", "DEG" },
		{ NULL },
	};
	if (!lr_cli_parse("list|show ID|approve ID|reject ID --reason TEXT|reprocess ID [OVERRIDES]"
		   " - review photos",
		   "list: the photos that need a person, oldest first.\n"
		   "show: one photo with its scores, renditions and history, as JSON.\n"
		   "approve, reject, reprocess: the curator's decisions, recorded in the event log.",
		   entries, &argc, &argv))
		return 2;
	const char *sub = argc > 1 ? argv[1] : NULL;
	gboolean list = !g_strcmp0(sub, "list");
	gint64 id = argc > 2 ? parse_id(argv[2]) : 0;
	if (!sub || (list ? argc != 2 : argc != 3 || !id) ||
	    (!list && strcmp(sub, "show") && strcmp(sub, "approve") && strcmp(sub, "reject") &&
	     strcmp(sub, "reprocess"))) {
		fprintf(stderr, "listready review: give list, or show|approve|reject|reprocess and a "
				"photo id (see listready review --help)\n");
		return 2;
	}
	LrReprocess overrides = { .profile = profile, .keep_background = keep_background,
				  .rotate = rotate };
	if (crop && !lr_reprocess_parse_crop(crop, &overrides)) {
		fprintf(stderr, "listready review: --crop takes LEFT,TOP,WIDTH,HEIGHT as shares 0..1\n");
		return 2;
	}
	if (!strcmp(sub, "reject") && !reason) {
		fprintf(stderr, "listready review reject: --reason TEXT is required\n");
		return 2;
	}
	LrStore *store = lr_cli_open_store(store_dir);
	if (!store)
		return 1;
	g_autoptr(GError) error = NULL;
	g_autofree char *actor = cli_actor(as);
	int status = 0;
	if (list)
		status = review_list(store);
	else {
		int rc = 0;
		if (!strcmp(sub, "approve") || !strcmp(sub, "reject"))
			rc = lr_review_decide(store, id, !strcmp(sub, "approve"), reason, actor,
					      &error);
		else if (!strcmp(sub, "reprocess"))
			rc = lr_review_reprocess(store, id, &overrides, actor, &error);
		g_autofree char *json = rc ? NULL : lr_store_asset_json(store, id, TRUE, &error);
		if (!json) {
			fprintf(stderr, "listready: %s\n", error->message);
			status = 1;
		} else
			print_json_pretty(json);
	}
	lr_store_close(store);
	return status;
}

int
lr_cli_token(int argc, char **argv)
{
	g_autofree char *store_dir = NULL, *role = NULL, *name = NULL;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "role", 'r', 0, G_OPTION_ARG_STRING, &role, "curator, catalog or admin", "ROLE" },
		{ "name", 'n', 0, G_OPTION_ARG_STRING, &name,
		  "Who holds it, for the event log (default: the role)", "NAME" },
		{ NULL },
	};
	if (!lr_cli_parse("create --role ROLE [--name NAME] - create an API token",
		   "Prints the new token on stdout. It is shown this once: the store keeps only\n"
		   "its SHA-256. Use it as `Authorization: Bearer TOKEN` or on the review page.",
		   entries, &argc, &argv))
		return 2;
	if (argc != 2 || strcmp(argv[1], "create") || !role ||
	    (strcmp(role, "curator") && strcmp(role, "catalog") && strcmp(role, "admin"))) {
		fprintf(stderr, "listready token: give create --role curator|catalog|admin\n");
		return 2;
	}
	LrStore *store = lr_cli_open_store(store_dir);
	if (!store)
		return 1;
	g_autoptr(GError) error = NULL;
	g_autofree char *token = lr_token_create(store, role, name, &error);
	if (token) {
		g_autofree char *detail = g_strdup_printf("{\"role\":\"%s\"}", role);
		lr_store_log_event(store, 0, "cli", "token_created", detail, NULL);
		printf("%s\n", token);
		fprintf(stderr, "listready: %s token for %s created; it is not shown again\n", role,
			name ? name : role);
	} else
		fprintf(stderr, "listready: %s\n", error->message);
	lr_store_close(store);
	return token ? 0 : 1;
}

int
lr_cli_export(int argc, char **argv)
{
	g_autofree char *store_dir = NULL, *out = NULL, *profile = NULL, *after = NULL;
	g_autofree char *format = NULL;
	GOptionEntry entries[] = {
		{ "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
		  "Store folder (default ./" LR_DEFAULT_STORE ")", "DIR" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder to write (required)", "DIR" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
		  "Only photos processed with this profile", "NAME" },
		{ "after", 'a', 0, G_OPTION_ARG_STRING, &after,
		  "Only photos accepted after this cursor (printed by the previous export)", "CURSOR" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format,
		  "Manifest format: csv (default) or json", "FORMAT" },
		{ NULL },
	};
	if (!lr_cli_parse("- write accepted photos as a folder for a marketplace bulk upload",
		   "Writes OUT/PRODUCT/PRODUCT_POSITION_RENDITION.EXT for every rendition of every\n"
		   "accepted photo and OUT/manifest.csv (or .json) with their checksums. Prints the\n"
		   "cursor to pass as --after next time.",
		   entries, &argc, &argv))
		return 2;
	char *end = NULL;
	LrExportOptions options = { .out_dir = out, .profile = profile };
	if (after)
		options.after = g_ascii_strtoll(after, &end, 10);
	if (!out || argc > 1 || (after && (*end || options.after < 0)) ||
	    (format && strcmp(format, "csv") && strcmp(format, "json"))) {
		fprintf(stderr, "listready export: --out DIR is required; --after takes a cursor; "
				"--format csv or json\n");
		return 2;
	}
	options.json = format && !strcmp(format, "json");
	LrStore *store = lr_cli_open_store(store_dir);
	if (!store)
		return 1;
	g_autoptr(GError) error = NULL;
	gint64 cursor;
	int assets, files;
	int rc = lr_export(store, &options, &cursor, &assets, &files, &error);
	if (rc)
		fprintf(stderr, "listready: export: %s\n", error->message);
	else
		printf("exported %d photos (%d files) to %s; next cursor %" G_GINT64_FORMAT "\n",
		       assets, files, out, cursor);
	lr_store_close(store);
	return rc ? 1 : 0;
}
