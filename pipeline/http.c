/* http.c: the review page, the catalog API and the artisan page over libsoup 3 (see http.h).
 *
 * One handler dispatches on a route table, so that the roles a route allows sit beside it and are
 * checked before anything else about the request, whatever the path's id turns out to be. Handlers
 * run on the main context and only make short store calls, except reprocess: it pauses its message
 * and runs the pipeline in a GTask thread, answering when it is done.
 *
 * Files are served with their SHA-256 as the ETag. Renditions are addressed by that hash, so their
 * URLs never change content and can be cached for a year; If-None-Match answers 304 and a single
 * byte Range 206 (or 416). The browser authenticates with an HttpOnly, SameSite=Strict cookie set by
 * POST /login (so <img> tags work and scripts never hold the token); a request authenticated by the
 * cookie that changes anything must also carry X-Listready-Request, which a cross-site form cannot.
 */
#include "pipeline/http.h"
#include "pipeline/profile.h"
#include "pipeline/review.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

/* The web page's files, compiled in from web/web.gresource.xml. */
extern void lr_web_register_resource(void);

#define MAX_BODY (64 * 1024)
#define TOKEN_COOKIE "lr_token"

struct _LrHttp {
	SoupServer *server;
	LrStore *store;
	char *url;
	gint busy; /* reprocess jobs running */
};

enum { CURATOR = 1, CATALOG = 2, ADMIN = 4, ANY = 7, PUBLIC = 0 };

typedef struct {
	LrHttp *http;
	SoupServerMessage *msg;
	const char *path;
	char *wild[2];       /* the '*' segments of the route, in order */
	GHashTable *query;   /* may be NULL */
	char *role, *name;   /* of the token; NULL on public routes */
	char *actor;         /* "curator:NAME" for the event log */
} Request;

typedef struct {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	int roles;
	void (*handle)(Request *r);
} Route;

static int
role_bit(const char *role)
{
	return !g_strcmp0(role, "curator")   ? CURATOR
	       : !g_strcmp0(role, "catalog") ? CATALOG
	       : !g_strcmp0(role, "admin")   ? ADMIN
					     : 0;
}

/* ---- responses ---- */

static void
respond(Request *r, guint status, const char *type, const char *body)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(r->msg);
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_server_message_set_status(r->msg, status, NULL);
	soup_server_message_set_response(r->msg, type, SOUP_MEMORY_COPY, body, strlen(body));
}

static void
respond_json(Request *r, guint status, const char *json)
{
	respond(r, status, "application/json; charset=utf-8", json);
}

static void
respond_error(Request *r, guint status, const char *message)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, message);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *json = json_to_string(root, FALSE);
	if (status == SOUP_STATUS_UNAUTHORIZED)
		soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
					     "WWW-Authenticate", "Bearer realm=\"listready\"");
	respond_json(r, status, json);
}

/* The HTTP status for a failed call's ERROR. */
static guint
error_status(const GError *error)
{
	if (error->domain == LR_STORE_ERROR && error->code == LR_STORE_ERROR_NOT_FOUND)
		return SOUP_STATUS_NOT_FOUND;
	if (error->domain == LR_STORE_ERROR && error->code == LR_STORE_ERROR_CONFLICT)
		return SOUP_STATUS_CONFLICT;
	if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_INVALID_ARGUMENT)
		return SOUP_STATUS_BAD_REQUEST;
	return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
respond_gerror(Request *r, const GError *error)
{
	respond_error(r, error_status(error), error->message);
}

/* Sends JSON with 200, or, when JSON is NULL, the failure in ERROR (consumed). */
static void
respond_result(Request *r, const char *json, GError *error)
{
	if (!json) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	respond_json(r, SOUP_STATUS_OK, json);
}

/* Whether If-None-Match names ETAG (a quoted hash): then the client's copy is current. */
static gboolean
etag_matches(const char *header, const char *etag)
{
	if (!header)
		return FALSE;
	g_auto(GStrv) tags = g_strsplit(header, ",", -1);
	for (int i = 0; tags[i]; i++) {
		const char *t = g_strstrip(tags[i]);
		if (g_str_has_prefix(t, "W/"))
			t += 2; /* weak comparison, as If-None-Match asks */
		if (!strcmp(t, "*") || !strcmp(t, etag))
			return TRUE;
	}
	return FALSE;
}

/* Parses a single "bytes=A-B", "bytes=A-" or "bytes=-N" against SIZE. Returns 1 with the inclusive
 * range, 0 to ignore the header (absent, several ranges, not bytes: a full 200 is allowed), -1 when
 * it cannot be satisfied. */
static int
parse_range(const char *header, gint64 size, gint64 *start, gint64 *end)
{
	char *e;
	if (!header || !g_str_has_prefix(header, "bytes=") || strchr(header, ','))
		return 0;
	const char *spec = header + 6;
	while (*spec == ' ')
		spec++;
	if (*spec == '-') {
		gint64 n = g_ascii_strtoll(spec + 1, &e, 10);
		if (e == spec + 1 || *e || n < 0)
			return 0;
		if (n == 0 || size == 0)
			return -1;
		*start = MAX(0, size - n);
		*end = size - 1;
		return 1;
	}
	gint64 a = g_ascii_strtoll(spec, &e, 10);
	if (e == spec || *e != '-' || a < 0)
		return 0;
	const char *b = e + 1;
	gint64 z = size - 1;
	if (*b) {
		z = g_ascii_strtoll(b, &e, 10);
		if (e == b || *e || z < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*start = a;
	*end = MIN(z, size - 1);
	return 1;
}

/* Serves the file at PATH as TYPE with the hash ETAG_HEX; IMMUTABLE when the URL names the content. */
static void
serve_file(Request *r, const char *path, const char *type, const char *etag_hex, gboolean immutable)
{
	SoupMessageHeaders *req = soup_server_message_get_request_headers(r->msg);
	SoupMessageHeaders *h = soup_server_message_get_response_headers(r->msg);
	g_autofree char *etag = g_strdup_printf("\"%s\"", etag_hex);
	GError *error = NULL;

	soup_message_headers_replace(h, "ETag", etag);
	soup_message_headers_replace(h, "Cache-Control",
				     immutable ? "private, max-age=31536000, immutable"
					       : "private, no-cache");
	soup_message_headers_replace(h, "Accept-Ranges", "bytes");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	if (etag_matches(soup_message_headers_get_one(req, "If-None-Match"), etag)) {
		soup_server_message_set_status(r->msg, SOUP_STATUS_NOT_MODIFIED, NULL);
		return;
	}
	GMappedFile *file = g_mapped_file_new(path, FALSE, &error);
	if (!file) {
		respond_error(r, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
		g_error_free(error);
		return;
	}
	GBytes *bytes = g_mapped_file_get_bytes(file);
	g_mapped_file_unref(file);
	gint64 size = g_bytes_get_size(bytes), start = 0, end = size - 1;
	const char *range = soup_message_headers_get_one(req, "Range");
	const char *if_range = soup_message_headers_get_one(req, "If-Range");
	/* If-Range with another validator: the client's part is stale, send it all. */
	int ranged = if_range && strcmp(if_range, etag) ? 0 : parse_range(range, size, &start, &end);
	SoupMessageBody *body = soup_server_message_get_response_body(r->msg);
	soup_message_headers_set_content_type(h, type, NULL);
	if (ranged < 0) {
		g_autofree char *cr = g_strdup_printf("bytes */%" G_GINT64_FORMAT, size);
		soup_message_headers_replace(h, "Content-Range", cr);
		soup_server_message_set_status(r->msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
					       NULL);
	} else if (ranged > 0) {
		g_autoptr(GBytes) part = g_bytes_new_from_bytes(bytes, start, end - start + 1);
		g_autofree char *cr = g_strdup_printf("bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
						      "/%" G_GINT64_FORMAT,
						      start, end, size);
		soup_message_headers_replace(h, "Content-Range", cr);
		soup_message_body_append_bytes(body, part);
		soup_server_message_set_status(r->msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
	} else {
		/* libsoup would cut a 200 to the Range itself, If-Range or not: a range this
		 * server chose to ignore must be gone before the answer is written. */
		soup_message_headers_remove(req, "Range");
		soup_message_body_append_bytes(body, bytes);
		soup_server_message_set_status(r->msg, SOUP_STATUS_OK, NULL);
	}
	g_bytes_unref(bytes);
}

static const char *
image_type(const char *name)
{
	static const char *const types[][2] = {
		{ "jpeg", "image/jpeg" }, { "jpg", "image/jpeg" }, { "png", "image/png" },
		{ "webp", "image/webp" }, { "avif", "image/avif" }, { "heic", "image/heic" },
		{ "gif", "image/gif" },   { "tif", "image/tiff" },  { "tiff", "image/tiff" },
	};
	const char *dot = strrchr(name, '.');
	const char *ext = dot ? dot + 1 : name;
	for (guint i = 0; i < G_N_ELEMENTS(types); i++)
		if (!g_ascii_strcasecmp(ext, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

/* ---- request helpers ---- */

static const char *
query(Request *r, const char *key)
{
	return r->query ? g_hash_table_lookup(r->query, key) : NULL;
}

/* Parses a positive id; responds 404 and returns 0 when it is not one. */
static gint64
path_id(Request *r, const char *text)
{
	char *end;
	gint64 id = g_ascii_strtoll(text, &end, 10);
	if (end == text || *end || id <= 0) {
		respond_error(r, SOUP_STATUS_NOT_FOUND, "no such asset");
		return 0;
	}
	return id;
}

/* The request body as a JSON object (an empty body is {}); responds 400 and returns NULL when it is
 * not one. Caller unrefs the parser, which owns the object. */
static JsonObject *
body_object(Request *r, JsonParser **parser)
{
	SoupMessageBody *body = soup_server_message_get_request_body(r->msg);
	GError *error = NULL;
	*parser = json_parser_new();
	if (!body->length)
		json_parser_load_from_data(*parser, "{}", -1, NULL);
	else if (!json_parser_load_from_data(*parser, body->data, body->length, &error)) {
		respond_error(r, SOUP_STATUS_BAD_REQUEST, error->message);
		g_error_free(error);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(*parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		respond_error(r, SOUP_STATUS_BAD_REQUEST, "the body must be a JSON object");
		return NULL;
	}
	return json_node_get_object(root);
}

/* A string member of O, or NULL when absent or not a string. */
static const char *
member_string(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n)
		       : NULL;
}

/* ---- routes: the page and sign-in ---- */

static void
static_file(Request *r)
{
	const char *name = !strcmp(r->path, "/") ? "/review.html" : r->path;
	g_autofree char *resource = g_strconcat("/listready/web", name, NULL);
	g_autoptr(GBytes) bytes =
	    g_resources_lookup_data(resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	if (!bytes) {
		respond_error(r, SOUP_STATUS_NOT_FOUND, "no such page");
		return;
	}
	const char *type = g_str_has_suffix(name, ".html") ? "text/html; charset=utf-8"
			   : g_str_has_suffix(name, ".css") ? "text/css; charset=utf-8"
							     : "text/javascript; charset=utf-8";
	SoupMessageHeaders *h = soup_server_message_get_response_headers(r->msg);
	soup_message_headers_replace(h, "Cache-Control", "no-cache");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(h, "X-Frame-Options", "DENY");
	soup_message_headers_replace(h, "Content-Security-Policy",
				     "default-src 'self'; img-src 'self' data:; object-src 'none'; "
				     "frame-ancestors 'none'");
	soup_message_headers_set_content_type(h, type, NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(r->msg), bytes);
	soup_server_message_set_status(r->msg, SOUP_STATUS_OK, NULL);
}

static void
whoami_json(Request *r, const char *role, const char *name)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "role");
	json_builder_add_string_value(b, role);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *json = json_to_string(root, FALSE);
	respond_json(r, SOUP_STATUS_OK, json);
}

/* POST /login {"token": ...}: checks the token and keeps it in an HttpOnly cookie. */
static void
login(Request *r)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *o = body_object(r, &parser);
	g_autofree char *role = NULL, *name = NULL;
	GError *error = NULL;
	if (!o)
		return;
	const char *token = member_string(o, "token");
	int ok = lr_token_check(r->http->store, token, &role, &name, &error);
	if (ok < 0) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	if (!ok) {
		respond_error(r, SOUP_STATUS_UNAUTHORIZED, "this token is not valid");
		return;
	}
	g_autofree char *cookie = g_strdup_printf(
	    TOKEN_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200", token);
	soup_message_headers_append(soup_server_message_get_response_headers(r->msg), "Set-Cookie",
				    cookie);
	whoami_json(r, role, name);
}

static void
logout(Request *r)
{
	soup_message_headers_append(soup_server_message_get_response_headers(r->msg), "Set-Cookie",
				    TOKEN_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	respond_json(r, SOUP_STATUS_OK, "{}");
}

static void
whoami(Request *r)
{
	whoami_json(r, r->role, r->name);
}

static void
profiles(Request *r)
{
	g_auto(GStrv) names = lr_profile_names();
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_array(b);
	for (int i = 0; names[i]; i++)
		json_builder_add_string_value(b, names[i]);
	json_builder_end_array(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *json = json_to_string(root, FALSE);
	respond_json(r, SOUP_STATUS_OK, json);
}

/* ---- routes: the catalog ---- */

/* GET /api/v1/assets?status=&artisan=&product=&profile=&after=&limit= */
static void
feed(Request *r)
{
	LrFeedQuery q = { .status = query(r, "status"),
			  .artisan = query(r, "artisan"),
			  .sku = query(r, "product") ? query(r, "product") : query(r, "sku"),
			  .profile = query(r, "profile"),
			  .limit = 100 };
	const char *after = query(r, "after"), *limit = query(r, "limit");
	GError *error = NULL;
	char *end;
	if (after && *after) {
		q.after = g_ascii_strtoll(after, &end, 10);
		if (*end || q.after < 0) {
			respond_error(r, SOUP_STATUS_BAD_REQUEST, "after must be a cursor from this feed");
			return;
		}
	}
	if (limit) {
		q.limit = (int)g_ascii_strtoll(limit, &end, 10);
		if (*end || q.limit < 1 || q.limit > 1000) {
			respond_error(r, SOUP_STATUS_BAD_REQUEST, "limit must be 1 to 1000");
			return;
		}
	}
	if (q.status && strcmp(q.status, "accepted") && strcmp(q.status, "needs_review") &&
	    strcmp(q.status, "rejected") && strcmp(q.status, "quarantined") &&
	    strcmp(q.status, "duplicate")) {
		respond_error(r, SOUP_STATUS_BAD_REQUEST, "unknown status");
		return;
	}
	g_autofree char *json = lr_store_feed_json(r->http->store, &q, &error);
	respond_result(r, json, error);
}

static void
asset_common(Request *r, gboolean with_events)
{
	gint64 id = path_id(r, r->wild[0]);
	GError *error = NULL;
	if (!id)
		return;
	g_autofree char *json = lr_store_asset_json(r->http->store, id, with_events, &error);
	respond_result(r, json, error);
}

static void
asset(Request *r)
{
	asset_common(r, FALSE);
}

/* Serves the rendition whose bytes hash to SHA (content-addressed, so cached for a year). */
static void
serve_rendition(Request *r, const char *sha)
{
	g_autofree char *path = NULL, *format = NULL;
	GError *error = NULL;
	gboolean hex = strlen(sha) == 64;
	for (const char *c = sha; hex && *c; c++)
		hex = g_ascii_isxdigit(*c) && !g_ascii_isupper(*c);
	int found = hex ? lr_store_find_rendition(r->http->store, sha, &path, &format, &error) : 0;
	if (found < 0) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	if (!found) {
		respond_error(r, SOUP_STATUS_NOT_FOUND, "no such rendition");
		return;
	}
	g_autofree char *abs = lr_store_path(r->http->store, path);
	serve_file(r, abs, image_type(format), sha, TRUE);
}

static void
rendition(Request *r)
{
	serve_rendition(r, r->wild[0]);
}

/* ---- routes: review ---- */

static void
review_queue(Request *r)
{
	LrFeedQuery q = { .status = "needs_review", .oldest_first = TRUE, .limit = 500 };
	GError *error = NULL;
	g_autofree char *json = lr_store_feed_json(r->http->store, &q, &error);
	respond_result(r, json, error);
}

static void
review_item(Request *r)
{
	asset_common(r, TRUE);
}

static void
review_file(Request *r, gboolean original)
{
	gint64 id = path_id(r, r->wild[0]);
	g_autofree char *path = NULL, *sha = NULL, *result = NULL;
	GError *error = NULL;
	if (!id)
		return;
	int found = lr_store_review_files(r->http->store, id, &path, &sha, &result, &error);
	if (found < 0) {
		respond_gerror(r, error);
		g_error_free(error);
	} else if (!found || (original && !path) || (!original && !*result))
		respond_error(r, SOUP_STATUS_NOT_FOUND, original ? "no kept original" : "no result");
	else if (original) {
		g_autofree char *abs = lr_store_path(r->http->store, path);
		serve_file(r, abs, image_type(path), sha, FALSE);
	} else {
		/* Not immutable: this URL shows whatever the latest run made. */
		g_autofree char *rpath = NULL, *format = NULL;
		if (lr_store_find_rendition(r->http->store, result, &rpath, &format, &error) <= 0) {
			respond_error(r, SOUP_STATUS_NOT_FOUND, "no result");
			g_clear_error(&error);
			return;
		}
		g_autofree char *abs = lr_store_path(r->http->store, rpath);
		serve_file(r, abs, image_type(format), result, FALSE);
	}
}

static void
review_original(Request *r)
{
	review_file(r, TRUE);
}

static void
review_result(Request *r)
{
	review_file(r, FALSE);
}

static void
decide(Request *r, gboolean approve)
{
	g_autoptr(JsonParser) parser = NULL;
	gint64 id = path_id(r, r->wild[0]);
	GError *error = NULL;
	if (!id)
		return;
	JsonObject *o = body_object(r, &parser);
	if (!o)
		return;
	if (lr_review_decide(r->http->store, id, approve, member_string(o, "reason"), r->actor,
			     &error)) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	asset_common(r, TRUE);
}

static void
approve(Request *r)
{
	decide(r, TRUE);
}

static void
reject(Request *r)
{
	decide(r, FALSE);
}

typedef struct {
	LrHttp *http;
	SoupServerMessage *msg;
	gint64 id;
	LrReprocess overrides;
	char *profile;
	char *actor;
} ReprocessJob;

static void
reprocess_job_free(gpointer data)
{
	ReprocessJob *job = data;
	g_object_unref(job->msg);
	g_free(job->profile);
	g_free(job->actor);
	g_free(job);
}

static void
reprocess_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	ReprocessJob *job = data;
	GError *error = NULL;
	if (lr_review_reprocess(job->http->store, job->id, &job->overrides, job->actor, &error))
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

static void
reprocess_done(GObject *source, GAsyncResult *result, gpointer data)
{
	ReprocessJob *job = g_task_get_task_data(G_TASK(result));
	Request r = { .http = job->http, .msg = job->msg };
	GError *error = NULL;
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, job->id);
	if (!g_task_propagate_boolean(G_TASK(result), &error)) {
		respond_gerror(&r, error);
		g_error_free(error);
	} else {
		r.wild[0] = id;
		asset_common(&r, TRUE);
	}
	soup_server_message_unpause(job->msg);
	g_atomic_int_dec_and_test(&job->http->busy);
}

/* POST /api/v1/review/ID/reprocess {profile, keep_background, crop: [l, t, w, h], rotate} */
static void
reprocess(Request *r)
{
	g_autoptr(JsonParser) parser = NULL;
	gint64 id = path_id(r, r->wild[0]);
	if (!id)
		return;
	JsonObject *o = body_object(r, &parser);
	if (!o)
		return;
	ReprocessJob *job = g_new0(ReprocessJob, 1);
	const char *profile = member_string(o, "profile");
	if (profile && *profile) {
		/* Checked here, so a typo is a 400 rather than a failed job. */
		LrProfile *p = lr_profile_load(profile, NULL);
		if (!p || strchr(profile, '/')) {
			lr_profile_free(p);
			g_free(job);
			respond_error(r, SOUP_STATUS_BAD_REQUEST, "unknown profile");
			return;
		}
		lr_profile_free(p);
		job->profile = g_strdup(profile);
	}
	job->overrides.profile = job->profile;
	job->overrides.keep_background =
	    json_object_get_boolean_member_with_default(o, "keep_background", FALSE);
	job->overrides.rotate = (int)json_object_get_int_member_with_default(o, "rotate", 0);
	JsonNode *crop = json_object_get_member(o, "crop");
	if (crop && !JSON_NODE_HOLDS_NULL(crop)) {
		JsonArray *a = JSON_NODE_HOLDS_ARRAY(crop) ? json_node_get_array(crop) : NULL;
		g_autofree char *text =
		    a && json_array_get_length(a) == 4
			? g_strdup_printf("%.6f,%.6f,%.6f,%.6f", json_array_get_double_element(a, 0),
					  json_array_get_double_element(a, 1),
					  json_array_get_double_element(a, 2),
					  json_array_get_double_element(a, 3))
			: NULL;
		if (!text || !lr_reprocess_parse_crop(text, &job->overrides)) {
			g_free(job->profile);
			g_free(job);
			respond_error(r, SOUP_STATUS_BAD_REQUEST,
				      "crop must be [left, top, width, height] as shares of the photo");
			return;
		}
	}
	job->http = r->http;
	job->msg = g_object_ref(r->msg);
	job->id = id;
	job->actor = g_strdup(r->actor);
	g_atomic_int_inc(&r->http->busy);
	soup_server_message_pause(r->msg);
	GTask *task = g_task_new(NULL, NULL, reprocess_done, NULL);
	g_task_set_task_data(task, job, reprocess_job_free);
	g_task_run_in_thread(task, reprocess_thread);
	g_object_unref(task);
}

/* ---- routes: artisan feedback ---- */

static void
artisan_json(Request *r)
{
	GError *error = NULL;
	g_autofree char *json = lr_review_feedback_json(r->http->store, r->wild[0], &error);
	respond_result(r, json, error);
}

static void
append_escaped(GString *out, const char *text)
{
	g_autofree char *escaped = g_markup_escape_text(text ? text : "", -1);
	g_string_append(out, escaped);
}

/* GET /artisan/NAME: the same feedback as a page to show on a phone, English and Hindi. */
static void
artisan_page(Request *r)
{
	GError *error = NULL;
	g_autofree char *json = lr_review_feedback_json(r->http->store, r->wild[0], &error);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json || !json_parser_load_from_data(parser, json, -1, &error)) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	JsonArray *photos = json_object_get_array_member(
	    json_node_get_object(json_parser_get_root(parser)), "photos");
	GString *out = g_string_new(
	    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<link rel=\"stylesheet\" href=\"/review.css\"><title>");
	append_escaped(out, r->wild[0]);
	g_string_append(out, " — listready</title></head><body class=\"artisan\"><h1>");
	append_escaped(out, r->wild[0]);
	g_string_append_printf(out, "</h1><p class=\"muted\">%u photos, newest first</p>",
			       json_array_get_length(photos));
	for (guint i = 0; i < json_array_get_length(photos); i++) {
		JsonObject *p = json_array_get_object_element(photos, i);
		JsonObject *outcome = json_object_get_object_member(p, "outcome");
		const char *status = json_object_get_string_member(p, "status");
		g_string_append_printf(out, "<article class=\"photo %s\">", status);
		if (json_object_get_boolean_member(p, "has_result"))
			g_string_append_printf(out,
					       "<img loading=\"lazy\" alt=\"\" "
					       "src=\"/api/v1/review/%" G_GINT64_FORMAT "/result\">",
					       json_object_get_int_member(p, "id"));
		g_string_append(out, "<div><h2>");
		append_escaped(out, json_object_get_string_member(p, "name"));
		g_string_append_printf(out, " <span class=\"badge %s\">%s</span></h2><p>", status,
				       status);
		append_escaped(out, json_object_get_string_member(outcome, "en"));
		g_string_append(out, "</p><p lang=\"hi\">");
		append_escaped(out, json_object_get_string_member(outcome, "hi"));
		g_string_append(out, "</p>");
		const char *note = json_object_get_string_member_with_default(p, "note", NULL);
		if (note) {
			g_string_append(out, "<p class=\"note\">");
			append_escaped(out, note);
			g_string_append(out, "</p>");
		}
		JsonArray *reasons = json_object_get_array_member(p, "reasons");
		/* Tips for the photos the artisan should take again. */
		for (guint k = 0; strcmp(status, "accepted") && k < json_array_get_length(reasons);
		     k++) {
			JsonObject *reason = json_array_get_object_element(reasons, k);
			JsonObject *en = json_object_get_object_member(reason, "en");
			JsonObject *hi = json_object_get_object_member(reason, "hi");
			g_string_append(out, "<div class=\"tip\"><p><b>");
			append_escaped(out, json_object_get_string_member(en, "message"));
			g_string_append(out, "</b> ");
			append_escaped(out, json_object_get_string_member(en, "advice"));
			g_string_append(out, "</p><p lang=\"hi\"><b>");
			append_escaped(out, json_object_get_string_member(hi, "message"));
			g_string_append(out, "</b> ");
			append_escaped(out, json_object_get_string_member(hi, "advice"));
			g_string_append(out, "</p></div>");
		}
		g_string_append(out, "</div></article>");
	}
	g_string_append(out, "</body></html>");
	respond(r, SOUP_STATUS_OK, "text/html; charset=utf-8", out->str);
	g_string_free(out, TRUE);
}

/* ---- routes: tokens ---- */

/* POST /api/v1/tokens {role, name}: a new token, shown once. */
static void
create_token(Request *r)
{
	g_autoptr(JsonParser) parser = NULL;
	GError *error = NULL;
	JsonObject *o = body_object(r, &parser);
	if (!o)
		return;
	const char *role = member_string(o, "role"), *name = member_string(o, "name");
	if (!role_bit(role)) {
		respond_error(r, SOUP_STATUS_BAD_REQUEST, "role must be curator, catalog or admin");
		return;
	}
	g_autofree char *token = lr_token_create(r->http->store, role, name, &error);
	if (!token) {
		respond_gerror(r, error);
		g_error_free(error);
		return;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "token");
	json_builder_add_string_value(b, token);
	json_builder_set_member_name(b, "role");
	json_builder_add_string_value(b, role);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name ? name : role);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *json = json_to_string(root, FALSE);
	/* The audit trail records who made a token of which role, never the token. */
	g_autoptr(JsonNode) detail = json_node_copy(root);
	json_object_remove_member(json_node_get_object(detail), "token");
	g_autofree char *detail_json = json_to_string(detail, FALSE);
	lr_store_log_event(r->http->store, 0, r->actor, "token_created", detail_json, NULL);
	respond_json(r, SOUP_STATUS_CREATED, json);
}

/* Who may do what. Catalog tools read accepted assets and their bytes; curators review and see
 * originals (which may carry an artisan's GPS, hence not the catalog role); admins do both and
 * create tokens. */
static const Route routes[] = {
	{ "GET", "/", PUBLIC, static_file },
	{ "GET", "/review.html", PUBLIC, static_file },
	{ "GET", "/review.css", PUBLIC, static_file },
	{ "GET", "/review.js", PUBLIC, static_file },
	{ "POST", "/login", PUBLIC, login },
	{ "POST", "/logout", PUBLIC, logout },
	{ "GET", "/api/v1/whoami", ANY, whoami },
	{ "GET", "/api/v1/assets", CATALOG | ADMIN, feed },
	{ "GET", "/api/v1/assets/*", CATALOG | ADMIN, asset },
	{ "GET", "/api/v1/renditions/*", CATALOG | ADMIN, rendition },
	{ "GET", "/api/v1/profiles", CURATOR | ADMIN, profiles },
	{ "GET", "/api/v1/review/queue", CURATOR | ADMIN, review_queue },
	{ "GET", "/api/v1/review/*", CURATOR | ADMIN, review_item },
	{ "GET", "/api/v1/review/*/original", CURATOR | ADMIN, review_original },
	{ "GET", "/api/v1/review/*/result", CURATOR | ADMIN, review_result },
	{ "POST", "/api/v1/review/*/approve", CURATOR | ADMIN, approve },
	{ "POST", "/api/v1/review/*/reject", CURATOR | ADMIN, reject },
	{ "POST", "/api/v1/review/*/reprocess", CURATOR | ADMIN, reprocess },
	{ "GET", "/api/v1/artisans/*", CURATOR | ADMIN, artisan_json },
	{ "GET", "/artisan/*", CURATOR | ADMIN, artisan_page },
	{ "POST", "/api/v1/tokens", ADMIN, create_token },
};

/* Whether PATH matches PATTERN, filling R's wildcards. Exact segments win over '*' because the
 * table lists "/api/v1/review/queue" before "/api/v1/review/ *". */
static gboolean
match(const char *pattern, const char *path, Request *r)
{
	g_auto(GStrv) p = g_strsplit(pattern, "/", -1), s = g_strsplit(path, "/", -1);
	int w = 0;
	if (g_strv_length(p) != g_strv_length(s))
		return FALSE;
	for (int i = 0; p[i]; i++) {
		if (!strcmp(p[i], "*")) {
			if (!*s[i] || w >= 2)
				return FALSE;
			r->wild[w++] = g_strdup(s[i]);
		} else if (strcmp(p[i], s[i]))
			return FALSE;
	}
	return TRUE;
}

/* The token from the Authorization header, else from the cookie (*VIA_COOKIE). Caller frees. */
static char *
request_token(SoupServerMessage *msg, gboolean *via_cookie)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	const char *auth = soup_message_headers_get_one(h, "Authorization");
	*via_cookie = FALSE;
	if (auth && !g_ascii_strncasecmp(auth, "Bearer ", 7))
		return g_strstrip(g_strdup(auth + 7));
	if (auth)
		return g_strdup(""); /* another scheme: not a token we know */
	/* soup_cookies_from_request() takes a client message: parse the header as name=value; ... */
	const char *header = soup_message_headers_get_list(h, "Cookie");
	if (!header)
		return NULL;
	GHashTable *cookies = soup_header_parse_semi_param_list(header);
	const char *value = g_hash_table_lookup(cookies, TOKEN_COOKIE);
	char *token = value ? g_strdup(value) : NULL;
	*via_cookie = token != NULL;
	soup_header_free_param_list(cookies);
	return token;
}

static void
handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *q, gpointer data)
{
	Request r = { .http = data, .msg = msg, .path = path, .query = q };
	const char *method = soup_server_message_get_method(msg);
	const Route *route = NULL;
	gboolean path_known = FALSE;
	if (!strcmp(method, "HEAD"))
		method = "GET";
	for (guint i = 0; i < G_N_ELEMENTS(routes) && !route; i++) {
		g_clear_pointer(&r.wild[0], g_free);
		g_clear_pointer(&r.wild[1], g_free);
		if (!match(routes[i].pattern, path, &r))
			continue;
		path_known = TRUE;
		if (!strcmp(routes[i].method, method))
			route = &routes[i];
	}
	if (!route) {
		respond_error(&r, path_known ? SOUP_STATUS_METHOD_NOT_ALLOWED : SOUP_STATUS_NOT_FOUND,
			      path_known ? "method not allowed" : "not found");
		goto out;
	}
	if (soup_message_headers_get_content_length(soup_server_message_get_request_headers(msg)) >
	    MAX_BODY) {
		respond_error(&r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "the body is too large");
		goto out;
	}
	if (route->roles != PUBLIC) {
		gboolean via_cookie;
		g_autofree char *token = request_token(msg, &via_cookie);
		GError *error = NULL;
		int ok = token ? lr_token_check(r.http->store, token, &r.role, &r.name, &error) : 0;
		if (ok < 0) {
			respond_gerror(&r, error);
			g_error_free(error);
			goto out;
		}
		if (!ok) {
			respond_error(&r, SOUP_STATUS_UNAUTHORIZED,
				      token ? "this token is not valid" : "an API token is needed");
			goto out;
		}
		if (!(role_bit(r.role) & route->roles)) {
			respond_error(&r, SOUP_STATUS_FORBIDDEN, "this token's role may not do this");
			goto out;
		}
		/* A cookie rides along on any request the browser makes; a custom header does
		 * not, unless the page itself sets it. */
		if (via_cookie && strcmp(method, "GET") &&
		    !soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
						  "X-Listready-Request")) {
			respond_error(&r, SOUP_STATUS_FORBIDDEN, "missing X-Listready-Request header");
			goto out;
		}
		r.actor = g_strdup_printf("%s:%s", r.role, r.name);
	}
	route->handle(&r);
out:
	g_free(r.wild[0]);
	g_free(r.wild[1]);
	g_free(r.role);
	g_free(r.name);
	g_free(r.actor);
}

/* Parses LISTEN into an address; see lr_http_start(). */
static GSocketAddress *
listen_address(const char *listen, GError **error)
{
	g_autofree char *host = NULL;
	const char *colon = strrchr(listen, ':');
	const char *port_text = colon ? colon + 1 : listen;
	gboolean digits = *port_text != '\0';
	for (const char *c = port_text; *c; c++)
		digits = digits && g_ascii_isdigit(*c);
	if (!colon && !digits)
		port_text = "8080";
	if (colon || !digits)
		host = colon ? g_strndup(listen, colon - listen) : g_strdup(listen);
	if (host && host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if (!host || !*host || !strcmp(host, "localhost"))
		g_free(host), host = g_strdup("127.0.0.1");
	char *end;
	long port = strtol(port_text, &end, 10);
	GInetAddress *addr = g_inet_address_new_from_string(host);
	if (!addr || *end || port < 0 || port > 65535) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--listen %s: give HOST:PORT with an IP address (default %s)", listen,
			    LR_HTTP_DEFAULT_LISTEN);
		if (addr)
			g_object_unref(addr);
		return NULL;
	}
	GSocketAddress *sa = g_inet_socket_address_new(addr, (guint16)port);
	g_object_unref(addr);
	return sa;
}

/* See http.h. */
LrHttp *
lr_http_start(LrStore *store, const char *listen, GError **error)
{
	static gsize registered;
	if (g_once_init_enter(&registered)) {
		lr_web_register_resource();
		g_once_init_leave(&registered, 1);
	}
	GSocketAddress *address = listen_address(listen ? listen : LR_HTTP_DEFAULT_LISTEN, error);
	if (!address)
		return NULL;
	LrHttp *http = g_new0(LrHttp, 1);
	http->store = store;
	http->server = soup_server_new("server-header", "listready/" LR_VERSION " ", NULL);
	soup_server_add_handler(http->server, NULL, handle, http, NULL);
	if (!soup_server_listen(http->server, address, 0, error)) {
		g_object_unref(address);
		g_object_unref(http->server);
		g_free(http);
		return NULL;
	}
	g_object_unref(address);
	GSList *uris = soup_server_get_uris(http->server);
	http->url = uris ? g_uri_to_string(uris->data) : g_strdup("http://?/");
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return http;
}

/* See http.h. */
const char *
lr_http_url(const LrHttp *http)
{
	return http->url;
}

/* See http.h. */
void
lr_http_stop(LrHttp *http)
{
	if (!http)
		return;
	soup_server_disconnect(http->server);
	/* A reprocess thread uses the store: the caller closes it after this returns. Its answer
	 * comes back on the context the server was started in. */
	GMainContext *context = g_main_context_ref_thread_default();
	while (g_atomic_int_get(&http->busy) > 0)
		g_main_context_iteration(context, TRUE);
	g_main_context_unref(context);
	g_object_unref(http->server);
	g_free(http->url);
	g_free(http);
}
