/* sidecar.c: reading and validating inbox sidecars with json-glib (see sidecar.h).
 *
 * Values become catalog columns, folder-like names and HTML later, so they are held to a plain
 * shape: strings of at most 200 bytes of valid UTF-8 without control characters. */
#include "pipeline/sidecar.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#define FIELD_MAX 200

static gboolean
plain_text(const char *s)
{
	if (!s || !*s || strlen(s) > FIELD_MAX || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return FALSE;
	return TRUE;
}

int
lr_sidecar_read(const char *path, LrSidecar *out, char **warning)
{
	static const char *const keys[] = { "artisan", "sku", "title", "profile" };
	char **fields[] = { &out->artisan, &out->sku, &out->title, &out->profile };
	struct stat st;
	GString *problems = g_string_new(NULL);
	int ret = 1;

	memset(out, 0, sizeof(*out));
	*warning = NULL;
	if (stat(path, &st) || !S_ISREG(st.st_mode)) {
		g_string_free(problems, TRUE);
		return 0;
	}
	g_autofree char *name = g_path_get_basename(path);
	g_autofree char *data = NULL;
	gsize length;
	g_autoptr(GError) error = NULL;
	JsonParser *parser = NULL;
	if (st.st_size > LR_SIDECAR_MAX_BYTES) {
		g_string_printf(problems, "%s is %lld bytes, over the %d-byte limit", name,
				(long long)st.st_size, LR_SIDECAR_MAX_BYTES);
		ret = -1;
	} else if (!g_file_get_contents(path, &data, &length, &error)) {
		g_string_printf(problems, "%s cannot be read: %s", name, error->message);
		ret = -1;
	} else {
		parser = json_parser_new();
		if (!json_parser_load_from_data(parser, data, (gssize)length, &error)) {
			g_string_printf(problems, "%s is not valid JSON: %s", name, error->message);
			ret = -1;
		} else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
			g_string_printf(problems, "%s is not a JSON object", name);
			ret = -1;
		}
	}
	if (ret == 1) {
		JsonObject *object = json_node_get_object(json_parser_get_root(parser));
		for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
			JsonNode *node = json_object_get_member(object, keys[i]);
			if (!node || JSON_NODE_HOLDS_NULL(node))
				continue;
			const char *value = JSON_NODE_HOLDS_VALUE(node) &&
						    json_node_get_value_type(node) == G_TYPE_STRING
						? json_node_get_string(node)
						: NULL;
			if (plain_text(value))
				*fields[i] = g_strdup(value);
			else
				g_string_append_printf(problems, "%s%s: \"%s\" must be a string of 1 to %d "
								 "characters; ignored",
						       problems->len ? "; " : "", name, keys[i],
						       FIELD_MAX);
		}
		g_autoptr(GList) members = json_object_get_members(object);
		for (GList *m = members; m; m = m->next) {
			gboolean known = FALSE;
			for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
				known |= !strcmp(m->data, keys[i]);
			if (!known)
				g_string_append_printf(problems, "%s%s: unknown field \"%.40s\" ignored",
						       problems->len ? "; " : "", name,
						       (const char *)m->data);
		}
	}
	if (parser)
		g_object_unref(parser);
	if (problems->len)
		*warning = g_string_free(problems, FALSE);
	else
		g_string_free(problems, TRUE);
	return ret;
}

void
lr_sidecar_clear(LrSidecar *sidecar)
{
	g_free(sidecar->artisan);
	g_free(sidecar->sku);
	g_free(sidecar->title);
	g_free(sidecar->profile);
	memset(sidecar, 0, sizeof(*sidecar));
}
