/* export.c: the marketplace export (see export.h).
 *
 * The export walks the same change feed as the catalog API, so `--after` takes the cursor a
 * previous export printed, and an asset accepted again after a reprocess is exported again. A
 * position is the asset's rank among its product's accepted photos by arrival, not by change, so
 * re-exporting a product gives its photos the same names.
 */
#include "pipeline/export.h"
#include "pipeline/fsutil.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* NAME made safe as one file name: letters, digits, '-', '_' and '.'; never "." or "..". */
static char *
safe_name(const char *name)
{
	char *safe = g_strdup(name);
	for (char *c = safe; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
			*c = '_';
	if (safe[0] == '.')
		safe[0] = '_';
	return safe;
}

/* The ids of SKU's accepted assets in arrival order (cached per product in POSITIONS). */
static GArray *
product_ids(LrStore *store, GHashTable *positions, const char *sku, GError **error)
{
	GArray *ids = g_hash_table_lookup(positions, sku);
	if (ids)
		return ids;
	ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	LrFeedQuery q = { .status = "accepted", .sku = sku, .oldest_first = TRUE, .limit = 1000 };
	g_autofree char *page = lr_store_feed_json(store, &q, error);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!page || !json_parser_load_from_data(parser, page, -1, error)) {
		g_array_unref(ids);
		return NULL;
	}
	JsonArray *items =
	    json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "items");
	for (guint i = 0; i < json_array_get_length(items); i++) {
		gint64 id = json_object_get_int_member(json_array_get_object_element(items, i), "id");
		g_array_append_val(ids, id);
	}
	g_hash_table_insert(positions, g_strdup(sku), ids);
	return ids;
}

/* Copies the store file RELATIVE to DEST after checking its bytes against SHA256. */
static int
copy_checked(LrStore *store, const char *relative, const char *sha256, const char *dest,
	     GError **error)
{
	g_autofree char *src = lr_store_path(store, relative);
	g_autofree char *data = NULL;
	gsize length;
	if (!g_file_get_contents(src, &data, &length, error))
		return -1;
	g_autofree char *actual = lr_sha256_hex(data, length);
	if (strcmp(actual, sha256)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s does not match its recorded SHA-256: the store is damaged", src);
		return -1;
	}
	return lr_write_file_atomic(dest, data, length, error);
}

static void
csv_field(GString *out, const char *text, gboolean last)
{
	gboolean quote = text && strpbrk(text, ",\"\n\r");
	if (quote) {
		g_autofree char *escaped = NULL;
		g_auto(GStrv) parts = g_strsplit(text, "\"", -1);
		escaped = g_strjoinv("\"\"", parts);
		g_string_append_printf(out, "\"%s\"", escaped);
	} else if (text)
		g_string_append(out, text);
	g_string_append_c(out, last ? '\n' : ',');
}

/* See export.h. */
int
lr_export(LrStore *store, const LrExportOptions *o, gint64 *next_cursor, int *assets, int *files,
	  GError **error)
{
	g_autoptr(GHashTable) positions =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
	g_autoptr(JsonBuilder) manifest = json_builder_new();
	GString *csv = g_string_new(
	    "product,position,asset_id,rendition,format,width,height,bytes,sha256,file,title,artisan\n");
	LrFeedQuery q = { .status = "accepted", .profile = o->profile, .after = o->after,
			  .limit = 200 };
	gboolean more = TRUE;
	int ret = -1;

	*assets = *files = 0;
	*next_cursor = o->after;
	if (g_mkdir_with_parents(o->out_dir, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", o->out_dir,
			    g_strerror(errno));
		goto out;
	}
	json_builder_begin_array(manifest);
	while (more) {
		g_autofree char *page = lr_store_feed_json(store, &q, error);
		g_autoptr(JsonParser) parser = json_parser_new();
		if (!page || !json_parser_load_from_data(parser, page, -1, error))
			goto out;
		JsonObject *root = json_node_get_object(json_parser_get_root(parser));
		JsonArray *items = json_object_get_array_member(root, "items");
		more = json_object_get_boolean_member(root, "has_more");
		q.after = g_ascii_strtoll(json_object_get_string_member(root, "next_cursor"), NULL, 10);
		*next_cursor = q.after;
		for (guint i = 0; i < json_array_get_length(items); i++) {
			JsonObject *a = json_array_get_object_element(items, i);
			gint64 id = json_object_get_int_member(a, "id");
			const char *sku = json_object_get_string_member_with_default(a, "sku", NULL);
			const char *title = json_object_get_string_member_with_default(a, "title", NULL);
			const char *artisan =
			    json_object_get_string_member_with_default(a, "artisan", NULL);
			g_autofree char *product =
			    sku ? safe_name(sku) : g_strdup_printf("asset-%" G_GINT64_FORMAT, id);
			int position = 1;
			if (sku) {
				GArray *ids = product_ids(store, positions, sku, error);
				if (!ids)
					goto out;
				for (guint k = 0; k < ids->len; k++)
					if (g_array_index(ids, gint64, k) == id)
						position = k + 1;
			}
			g_autofree char *folder = g_build_filename(o->out_dir, product, NULL);
			if (g_mkdir_with_parents(folder, 0755) < 0) {
				g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
					    "%s: %s", folder, g_strerror(errno));
				goto out;
			}
			JsonArray *renditions = json_object_get_array_member(a, "renditions");
			for (guint k = 0; k < json_array_get_length(renditions); k++) {
				JsonObject *r = json_array_get_object_element(renditions, k);
				const char *sha = json_object_get_string_member(r, "sha256");
				const char *format = json_object_get_string_member(r, "format");
				g_autofree char *name = safe_name(json_object_get_string_member(r, "name"));
				g_autofree char *path = NULL, *stored_format = NULL;
				if (lr_store_find_rendition(store, sha, &path, &stored_format, error) <= 0) {
					if (error && !*error)
						g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
							    "rendition %s is not in the store", sha);
					goto out;
				}
				g_autofree char *file = g_strdup_printf(
				    "%s/%s_%d_%s.%s", product, product, position, name,
				    !strcmp(format, "jpeg") ? "jpg" : format);
				g_autofree char *dest = g_build_filename(o->out_dir, file, NULL);
				if (copy_checked(store, path, sha, dest, error))
					goto out;
				g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, id);
				g_autofree char *pos = g_strdup_printf("%d", position);
				g_autofree char *w = g_strdup_printf(
				    "%" G_GINT64_FORMAT, json_object_get_int_member(r, "width"));
				g_autofree char *h = g_strdup_printf(
				    "%" G_GINT64_FORMAT, json_object_get_int_member(r, "height"));
				g_autofree char *bytes = g_strdup_printf(
				    "%" G_GINT64_FORMAT, json_object_get_int_member(r, "bytes"));
				const char *fields[] = { product, pos, ids, name, format, w, h, bytes,
							 sha, file, title, artisan };
				for (guint f = 0; f < G_N_ELEMENTS(fields); f++)
					csv_field(csv, fields[f], f + 1 == G_N_ELEMENTS(fields));
				json_builder_begin_object(manifest);
				const char *keys[] = { "product", "position", "asset_id", "rendition",
						       "format", "width", "height", "bytes",
						       "sha256", "file", "title", "artisan" };
				for (guint f = 0; f < G_N_ELEMENTS(keys); f++) {
					json_builder_set_member_name(manifest, keys[f]);
					if (f == 1 || f == 2 || (f >= 5 && f <= 7))
						json_builder_add_int_value(
						    manifest, g_ascii_strtoll(fields[f], NULL, 10));
					else
						json_builder_add_string_value(manifest, fields[f]);
				}
				json_builder_end_object(manifest);
				(*files)++;
			}
			(*assets)++;
		}
	}
	json_builder_end_array(manifest);
	{
		g_autofree char *dest = NULL;
		g_autofree char *text = NULL;
		if (o->json) {
			/* The cursor travels with the manifest, for the next incremental export. */
			g_autoptr(JsonNode) items = json_builder_get_root(manifest);
			g_autoptr(JsonBuilder) b = json_builder_new();
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "next_cursor");
			g_autofree char *cursor = g_strdup_printf("%" G_GINT64_FORMAT, *next_cursor);
			json_builder_add_string_value(b, cursor);
			json_builder_set_member_name(b, "files");
			json_builder_add_value(b, g_steal_pointer(&items));
			json_builder_end_object(b);
			g_autoptr(JsonNode) root = json_builder_get_root(b);
			text = json_to_string(root, TRUE);
			dest = g_build_filename(o->out_dir, "manifest.json", NULL);
		} else {
			text = g_strdup(csv->str);
			dest = g_build_filename(o->out_dir, "manifest.csv", NULL);
		}
		ret = lr_write_file_atomic(dest, text, strlen(text), error);
	}
out:
	g_string_free(csv, TRUE);
	return ret;
}
