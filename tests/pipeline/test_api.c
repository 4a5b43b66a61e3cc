/* test_api.c: the catalog API and the review routes over real HTTP (libsoup client against the
 * server in a thread of this process).
 *
 * Ground truth: the rows the test writes into the store itself and the status changes it makes.
 * /api/feed-exactly-once pages through 1000 assets while another thread approves and rejects them,
 * and checks that every asset is delivered, never twice without a change in between, and that the
 * last delivery of each is its final state. /api/conditional-range checks ETag, If-None-Match,
 * If-Range and Range against known bytes. /api/auth-matrix checks that every route refuses a
 * missing, unknown or wrong-role token with 401 or 403 and lets the right role through.
 */
#include "pipeline/http.h"
#include "pipeline/review.h"
#include "tests/testutil.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

typedef struct {
	LrStore *store;
	LrHttp *http;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	GMutex lock;
	GCond ready;
	char *url;
	char *tokens[3]; /* curator, catalog, admin */
	SoupSession *session;
} Fixture;

enum { CURATOR, CATALOG, ADMIN };
static const char *const roles[] = { "curator", "catalog", "admin" };

static gpointer
server_thread(gpointer data)
{
	Fixture *f = data;
	g_main_context_push_thread_default(f->context);
	GError *error = NULL;
	f->http = lr_http_start(f->store, "127.0.0.1:0", &error);
	g_assert_no_error(error);
	g_mutex_lock(&f->lock);
	f->url = g_strdup(lr_http_url(f->http));
	g_cond_signal(&f->ready);
	g_mutex_unlock(&f->lock);
	g_main_loop_run(f->loop);
	lr_http_stop(f->http);
	g_main_context_pop_thread_default(f->context);
	return NULL;
}

/* A store with N images (the first one with a 1000-byte rendition and a kept original) and a
 * token of each role, served on a free port. */
static void
setup(Fixture *f, int n, char **rendition_sha)
{
	g_autofree char *dir = lr_test_tmpdir();
	GError *error = NULL;
	memset(f, 0, sizeof(*f));
	f->store = lr_store_open(dir, &error);
	g_assert_no_error(error);
	guchar bytes[1000];
	for (int i = 0; i < 1000; i++)
		bytes[i] = (guchar)(i * 7 + 3);
	char *sha = NULL;
	g_autofree char *path =
	    lr_store_put_file(f->store, "renditions", bytes, sizeof(bytes), "jpg", &sha, &error);
	g_assert_no_error(error);
	g_autofree char *original =
	    lr_store_put_file(f->store, "originals", bytes, 500, "jpg", NULL, &error);
	for (int i = 0; i < n; i++) {
		g_autofree char *hash = g_strdup_printf("%064d", i);
		g_autofree char *name = g_strdup_printf("photo%04d.jpg", i);
		LrImageRow row = { .sha256 = hash, .original_name = name, .profile = "default",
				   .pipeline_version = "1", .status = "needs_review",
				   .original_path = i == 0 ? original : NULL,
				   .artisan = i % 2 ? "meena" : "ravi", .sku = "SKU-1",
				   .reasons_json = "[{\"code\":\"blur\",\"message\":\"m\",\"advice\":\"a\"}]",
				   .scores_json = "{\"sharpness\":0.2}" };
		LrRenditionRow r = { "1000", "jpeg", 1000, 1000, 1000, sha, path };
		g_assert_cmpint(lr_store_add_image(f->store, &row, &r, i == 0 ? 1 : 0, &error), >, 0);
		g_assert_no_error(error);
	}
	for (int i = 0; i < 3; i++) {
		f->tokens[i] = lr_token_create(f->store, roles[i], roles[i], &error);
		g_assert_no_error(error);
	}
	*rendition_sha = sha;
	g_mutex_init(&f->lock);
	g_cond_init(&f->ready);
	f->context = g_main_context_new();
	f->loop = g_main_loop_new(f->context, FALSE);
	g_mutex_lock(&f->lock);
	f->thread = g_thread_new("server", server_thread, f);
	while (!f->url)
		g_cond_wait(&f->ready, &f->lock);
	g_mutex_unlock(&f->lock);
	f->session = soup_session_new();
}

static gboolean
quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void
teardown(Fixture *f)
{
	g_main_context_invoke(f->context, quit_loop, f->loop);
	g_thread_join(f->thread);
	g_main_loop_unref(f->loop);
	g_main_context_unref(f->context);
	g_object_unref(f->session);
	lr_store_close(f->store);
	for (int i = 0; i < 3; i++)
		g_free(f->tokens[i]);
	g_free(f->url);
	g_mutex_clear(&f->lock);
	g_cond_clear(&f->ready);
}

/* Sends METHOD PATH with TOKEN (NULL for none), BODY (JSON or NULL) and an extra header; returns
 * the status, the body in *OUT (may be NULL) and the response headers in *HEADERS (may be NULL). */
static guint
request(Fixture *f, const char *method, const char *path, const char *token, const char *body,
	const char *header, const char *value, GBytes **out, SoupMessageHeaders **headers)
{
	g_autofree char *url = g_strconcat(f->url, path + 1, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	GError *error = NULL;
	g_assert_nonnull(msg);
	SoupMessageHeaders *h = soup_message_get_request_headers(msg);
	if (token) {
		g_autofree char *auth = g_strdup_printf("Bearer %s", token);
		soup_message_headers_replace(h, "Authorization", auth);
	}
	if (header)
		soup_message_headers_replace(h, header, value);
	if (body) {
		g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", b);
	}
	GBytes *reply = soup_session_send_and_read(f->session, msg, NULL, &error);
	g_assert_no_error(error);
	if (out)
		*out = reply;
	else
		g_bytes_unref(reply);
	if (headers)
		*headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	return soup_message_get_status(msg);
}

static JsonObject *
get_json(Fixture *f, const char *path, const char *token, JsonParser *parser)
{
	g_autoptr(GBytes) body = NULL;
	guint status = request(f, "GET", path, token, NULL, NULL, NULL, &body, NULL);
	g_assert_cmpuint(status, ==, 200);
	gsize n;
	const char *data = g_bytes_get_data(body, &n);
	GError *error = NULL;
	g_assert_true(json_parser_load_from_data(parser, data, n, &error));
	g_assert_no_error(error);
	return json_node_get_object(json_parser_get_root(parser));
}

/* ---- the change feed ---- */

#define N_ASSETS 1000

typedef struct {
	Fixture *f;
	gint stop;
	gint changes[N_ASSETS + 1]; /* status changes made to each id */
	gint total;
} Changer;

static gpointer
changer_thread(gpointer data)
{
	Changer *c = data;
	GRand *rand = g_rand_new_with_seed(7);
	while (!g_atomic_int_get(&c->stop)) {
		gint64 id = g_rand_int_range(rand, 1, N_ASSETS + 1);
		gboolean approve = g_rand_boolean(rand);
		GError *error = NULL;
		g_assert_cmpint(lr_review_decide(c->f->store, id, approve, "retake in daylight",
						 "curator:test", &error),
				==, 0);
		g_assert_no_error(error);
		g_atomic_int_inc(&c->changes[id]);
		g_atomic_int_inc(&c->total);
		g_usleep(200);
	}
	g_rand_free(rand);
	return NULL;
}

static char *
db_status(Fixture *f, gint64 id, JsonParser *parser)
{
	GError *error = NULL;
	g_autofree char *json = lr_store_asset_json(f->store, id, FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
	return g_strdup(
	    json_object_get_string_member(json_node_get_object(json_parser_get_root(parser)), "status"));
}

static void
test_feed_exactly_once(void)
{
	Fixture f;
	g_autofree char *sha = NULL;
	setup(&f, N_ASSETS, &sha);
	Changer changer = { .f = &f };
	int seen[N_ASSETS + 1] = { 0 };
	char *last_status[N_ASSETS + 1] = { NULL };
	gint64 cursor = 0, previous_item = 0;
	int pages = 0, deliveries = 0, changes_seen_while_paging = 0;

	GThread *thread = g_thread_new("changer", changer_thread, &changer);
	/* Page through while the changer runs, then once more after it stops to drain. */
	for (int round = 0; round < 2; round++) {
		gboolean more = TRUE;
		while (more) {
			g_autoptr(JsonParser) parser = json_parser_new();
			g_autofree char *path = g_strdup_printf(
			    "/api/v1/assets?after=%" G_GINT64_FORMAT "&limit=37", cursor);
			JsonObject *page = get_json(&f, path, f.tokens[CATALOG], parser);
			JsonArray *items = json_object_get_array_member(page, "items");
			for (guint i = 0; i < json_array_get_length(items); i++) {
				JsonObject *a = json_array_get_object_element(items, i);
				gint64 id = json_object_get_int_member(a, "id");
				gint64 item_cursor = g_ascii_strtoll(
				    json_object_get_string_member(a, "cursor"), NULL, 10);
				/* Stable order: every delivery is further on than the last. */
				g_assert_cmpint(item_cursor, >, previous_item);
				g_assert_cmpint(item_cursor, >, cursor);
				previous_item = item_cursor;
				g_assert_cmpint(id, >=, 1);
				g_assert_cmpint(id, <=, N_ASSETS);
				seen[id]++;
				deliveries++;
				g_free(last_status[id]);
				last_status[id] = g_strdup(json_object_get_string_member(a, "status"));
			}
			cursor = g_ascii_strtoll(json_object_get_string_member(page, "next_cursor"),
						 NULL, 10);
			more = json_object_get_boolean_member(page, "has_more");
			pages++;
		}
		if (round == 0) {
			changes_seen_while_paging = g_atomic_int_get(&changer.total);
			g_atomic_int_set(&changer.stop, 1);
			g_thread_join(thread);
		}
	}

	int once = 0, unchanged = 0;
	for (int id = 1; id <= N_ASSETS; id++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autofree char *status = db_status(&f, id, parser);
		/* Never missed: delivered, and its last delivery is its state now. */
		g_assert_cmpint(seen[id], >=, 1);
		g_assert_cmpstr(last_status[id], ==, status);
		/* Never repeated without a change in between. */
		g_assert_cmpint(seen[id], <=, 1 + changer.changes[id]);
		if (!changer.changes[id]) {
			unchanged++;
			g_assert_cmpint(seen[id], ==, 1);
		}
		once += seen[id] == 1;
		g_free(last_status[id]);
	}
	g_assert_cmpint(changes_seen_while_paging, >, 0);
	printf("# feed: %d assets, %d pages, %d deliveries, %d status changes while paging (%d in "
	       "all), %d delivered exactly once, %d unchanged all exactly once\n",
	       N_ASSETS, pages, deliveries, changes_seen_while_paging, changer.total, once, unchanged);

	/* The accepted feed, now that nothing changes: each accepted asset exactly once. */
	int accepted_db = 0, accepted_feed = 0;
	int hit[N_ASSETS + 1] = { 0 };
	for (int id = 1; id <= N_ASSETS; id++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autofree char *status = db_status(&f, id, parser);
		accepted_db += !strcmp(status, "accepted");
	}
	cursor = 0;
	for (gboolean more = TRUE; more;) {
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autofree char *path = g_strdup_printf(
		    "/api/v1/assets?status=accepted&after=%" G_GINT64_FORMAT "&limit=50", cursor);
		JsonObject *page = get_json(&f, path, f.tokens[CATALOG], parser);
		JsonArray *items = json_object_get_array_member(page, "items");
		for (guint i = 0; i < json_array_get_length(items); i++) {
			JsonObject *a = json_array_get_object_element(items, i);
			g_assert_cmpstr(json_object_get_string_member(a, "status"), ==, "accepted");
			g_assert_cmpint(++hit[json_object_get_int_member(a, "id")], ==, 1);
			accepted_feed++;
		}
		cursor = g_ascii_strtoll(json_object_get_string_member(page, "next_cursor"), NULL, 10);
		more = json_object_get_boolean_member(page, "has_more");
	}
	g_assert_cmpint(accepted_feed, ==, accepted_db);
	g_assert_cmpint(accepted_db, >, 0);
	/* An idle poller at the end gets nothing, and the same cursor back. */
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *path = g_strdup_printf("/api/v1/assets?after=%" G_GINT64_FORMAT, cursor);
	JsonObject *page = get_json(&f, path, f.tokens[CATALOG], parser);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(page, "items")), ==, 0);
	g_assert_cmpint(g_ascii_strtoll(json_object_get_string_member(page, "next_cursor"), NULL, 10),
			==, cursor);
	/* Filters: by artisan and product. */
	g_autoptr(JsonParser) p2 = json_parser_new();
	JsonObject *meena =
	    get_json(&f, "/api/v1/assets?artisan=meena&product=SKU-1&limit=1000", f.tokens[CATALOG], p2);
	JsonArray *mi = json_object_get_array_member(meena, "items");
	g_assert_cmpuint(json_array_get_length(mi), ==, N_ASSETS / 2);
	for (guint i = 0; i < json_array_get_length(mi); i++)
		g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(mi, i),
							      "artisan"),
				==, "meena");
	g_assert_cmpuint(request(&f, "GET", "/api/v1/assets?limit=0", f.tokens[CATALOG], NULL, NULL,
				 NULL, NULL, NULL),
			 ==, 400);
	g_assert_cmpuint(request(&f, "GET", "/api/v1/assets?after=x", f.tokens[CATALOG], NULL, NULL,
				 NULL, NULL, NULL),
			 ==, 400);
	teardown(&f);
}

/* ---- conditional and range requests ---- */

static void
expect_bytes(GBytes *body, gsize offset, gsize length)
{
	gsize n;
	const guchar *data = g_bytes_get_data(body, &n);
	g_assert_cmpuint(n, ==, length);
	for (gsize i = 0; i < n; i++)
		g_assert_cmpuint(data[i], ==, (guchar)((offset + i) * 7 + 3));
}

static void
test_conditional_range(void)
{
	Fixture f;
	g_autofree char *sha = NULL;
	setup(&f, 1, &sha);
	g_autofree char *path = g_strdup_printf("/api/v1/renditions/%s", sha);
	g_autofree char *etag = g_strdup_printf("\"%s\"", sha);
	const char *cat = f.tokens[CATALOG];
	GBytes *body;
	SoupMessageHeaders *h;

	/* Full: the bytes, the hash as ETag, a year of caching. */
	g_assert_cmpuint(request(&f, "GET", path, cat, NULL, NULL, NULL, &body, &h), ==, 200);
	expect_bytes(body, 0, 1000);
	g_assert_cmpstr(soup_message_headers_get_one(h, "ETag"), ==, etag);
	g_assert_nonnull(strstr(soup_message_headers_get_one(h, "Cache-Control"), "max-age=31536000"));
	g_assert_cmpstr(soup_message_headers_get_one(h, "Accept-Ranges"), ==, "bytes");
	g_assert_cmpstr(soup_message_headers_get_content_type(h, NULL), ==, "image/jpeg");
	g_bytes_unref(body);
	soup_message_headers_unref(h);

	/* If-None-Match: 304 without a body for the same tag (strong, weak, in a list, *). */
	const char *same[] = { etag, NULL, NULL, "*" };
	g_autofree char *weak = g_strdup_printf("W/%s", etag);
	g_autofree char *list = g_strdup_printf("\"other\", %s", etag);
	same[1] = weak;
	same[2] = list;
	for (guint i = 0; i < G_N_ELEMENTS(same); i++) {
		g_assert_cmpuint(request(&f, "GET", path, cat, NULL, "If-None-Match", same[i], &body, &h),
				 ==, 304);
		g_assert_cmpuint(g_bytes_get_size(body), ==, 0);
		g_assert_cmpstr(soup_message_headers_get_one(h, "ETag"), ==, etag);
		g_bytes_unref(body);
		soup_message_headers_unref(h);
	}
	g_assert_cmpuint(request(&f, "GET", path, cat, NULL, "If-None-Match", "\"stale\"", &body, NULL),
			 ==, 200);
	expect_bytes(body, 0, 1000);
	g_bytes_unref(body);

	/* Range: one range of bytes, 206 with Content-Range. */
	static const struct {
		const char *range;
		gsize offset, length;
		const char *content_range;
	} ranges[] = {
		{ "bytes=100-199", 100, 100, "bytes 100-199/1000" },
		{ "bytes=0-0", 0, 1, "bytes 0-0/1000" },
		{ "bytes=990-", 990, 10, "bytes 990-999/1000" },
		{ "bytes=-10", 990, 10, "bytes 990-999/1000" },
		{ "bytes=900-5000", 900, 100, "bytes 900-999/1000" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(ranges); i++) {
		g_assert_cmpuint(request(&f, "GET", path, cat, NULL, "Range", ranges[i].range, &body, &h),
				 ==, 206);
		expect_bytes(body, ranges[i].offset, ranges[i].length);
		g_assert_cmpstr(soup_message_headers_get_one(h, "Content-Range"), ==,
				ranges[i].content_range);
		g_bytes_unref(body);
		soup_message_headers_unref(h);
	}
	/* Past the end: 416 with the size. */
	g_assert_cmpuint(request(&f, "GET", path, cat, NULL, "Range", "bytes=1000-", NULL, &h), ==, 416);
	g_assert_cmpstr(soup_message_headers_get_one(h, "Content-Range"), ==, "bytes */1000");
	soup_message_headers_unref(h);
	/* If-Range with another tag: the part would be of other bytes, so all of it. */
	{
		g_autofree char *url = g_strconcat(f.url, path + 1, NULL);
		g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
		SoupMessageHeaders *rh = soup_message_get_request_headers(msg);
		g_autofree char *auth = g_strdup_printf("Bearer %s", cat);
		soup_message_headers_replace(rh, "Authorization", auth);
		soup_message_headers_replace(rh, "Range", "bytes=0-9");
		soup_message_headers_replace(rh, "If-Range", "\"older\"");
		g_autoptr(GBytes) all = soup_session_send_and_read(f.session, msg, NULL, NULL);
		g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
		expect_bytes(all, 0, 1000);
	}
	/* Unknown or malformed hashes are 404, not a file-system walk. */
	guint traversal = request(&f, "GET", "/api/v1/renditions/..%2F..%2Flistready.db", cat, NULL,
				  NULL, NULL, NULL, NULL);
	g_assert_true(traversal == 404 || traversal == 400); /* libsoup itself refuses %2F */
	g_autofree char *zeros = g_strdup_printf("/api/v1/renditions/%064d", 0);
	g_assert_cmpuint(request(&f, "GET", zeros, cat, NULL, NULL, NULL, NULL, NULL), ==, 404);
	/* The original, for curators, with its own hash as ETag. */
	g_assert_cmpuint(request(&f, "GET", "/api/v1/review/1/original", f.tokens[CURATOR], NULL,
				 NULL, NULL, &body, &h),
			 ==, 200);
	expect_bytes(body, 0, 500);
	g_bytes_unref(body);
	soup_message_headers_unref(h);
	teardown(&f);
}

/* ---- roles ---- */

static void
test_auth_matrix(void)
{
	Fixture f;
	g_autofree char *sha = NULL;
	setup(&f, 2, &sha);
	g_autofree char *rendition = g_strdup_printf("/api/v1/renditions/%s", sha);
	const struct {
		const char *method, *path, *body;
		int right, wrong; /* a role allowed, a role refused (-1: every role allowed) */
	} routes[] = {
		{ "GET", "/api/v1/whoami", NULL, CATALOG, -1 },
		{ "GET", "/api/v1/assets", NULL, CATALOG, CURATOR },
		{ "GET", "/api/v1/assets/1", NULL, CATALOG, CURATOR },
		{ "GET", rendition, NULL, CATALOG, CURATOR },
		{ "GET", "/api/v1/profiles", NULL, CURATOR, CATALOG },
		{ "GET", "/api/v1/review/queue", NULL, CURATOR, CATALOG },
		{ "GET", "/api/v1/review/1", NULL, CURATOR, CATALOG },
		{ "GET", "/api/v1/review/1/original", NULL, CURATOR, CATALOG },
		{ "GET", "/api/v1/review/1/result", NULL, CURATOR, CATALOG },
		{ "POST", "/api/v1/review/1/approve", "{}", CURATOR, CATALOG },
		{ "POST", "/api/v1/review/2/reject", "{\"reason\":\"retake\"}", ADMIN, CATALOG },
		{ "POST", "/api/v1/review/2/reprocess", "{}", CURATOR, CATALOG },
		{ "GET", "/api/v1/artisans/meena", NULL, CURATOR, CATALOG },
		{ "GET", "/artisan/meena", NULL, CURATOR, CATALOG },
		{ "POST", "/api/v1/tokens", "{\"role\":\"catalog\"}", ADMIN, CURATOR },
		{ "POST", "/api/v1/tokens", "{\"role\":\"catalog\"}", ADMIN, CATALOG },
	};
	int checks = 0;
	for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
		SoupMessageHeaders *h;
		const char *m = routes[i].method, *p = routes[i].path, *b = routes[i].body;
		g_test_message("%s %s", m, p);
		g_assert_cmpuint(request(&f, m, p, NULL, b, NULL, NULL, NULL, &h), ==, 401);
		g_assert_nonnull(soup_message_headers_get_one(h, "WWW-Authenticate"));
		soup_message_headers_unref(h);
		g_assert_cmpuint(request(&f, m, p, "0123456789abcdef0123456789abcdef0123456789abcdef"
						   "0123456789abcdef",
					 b, NULL, NULL, NULL, NULL),
				 ==, 401);
		g_assert_cmpuint(request(&f, m, p, NULL, b, "Authorization", "Basic Zm9vOmJhcg==", NULL,
					 NULL),
				 ==, 401);
		checks += 3;
		if (routes[i].wrong >= 0) {
			g_assert_cmpuint(request(&f, m, p, f.tokens[routes[i].wrong], b, NULL, NULL,
						 NULL, NULL),
					 ==, 403);
			checks++;
		}
		guint ok = request(&f, m, p, f.tokens[routes[i].right], b, NULL, NULL, NULL, NULL);
		g_assert_cmpuint(ok, !=, 401);
		g_assert_cmpuint(ok, !=, 403);
		/* Admin may do what every other role may. */
		guint admin = request(&f, "GET", p, f.tokens[ADMIN], NULL, NULL, NULL, NULL, NULL);
		if (!strcmp(m, "GET"))
			g_assert_cmpuint(admin, ==, 200);
		checks++;
	}
	printf("# auth matrix: %u routes, %d checks (no token, unknown token, other scheme: 401; "
	       "wrong role: 403; right role: through)\n",
	       (guint)G_N_ELEMENTS(routes), checks);

	/* The approve above went into the event log with who did it. */
	GError *error = NULL;
	g_autofree char *json = lr_store_asset_json(f.store, 1, TRUE, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(json, "\"actor\":\"curator:curator\",\"kind\":\"approved\""));
	g_assert_nonnull(strstr(json, "\"status\":\"accepted\""));
	/* A cookie alone may read, but may not change anything without the page's header. */
	g_autofree char *cookie = g_strdup_printf("lr_token=%s", f.tokens[CURATOR]);
	g_assert_cmpuint(request(&f, "GET", "/api/v1/review/queue", NULL, NULL, "Cookie", cookie,
				 NULL, NULL),
			 ==, 200);
	g_assert_cmpuint(request(&f, "POST", "/api/v1/review/1/reject", NULL, "{\"reason\":\"x\"}",
				 "Cookie", cookie, NULL, NULL),
			 ==, 403);
	/* A rejection needs a reason; unknown ids are 404; a quarantined-like state is 409. */
	g_assert_cmpuint(request(&f, "POST", "/api/v1/review/1/reject", f.tokens[CURATOR], "{}",
				 NULL, NULL, NULL, NULL),
			 ==, 400);
	g_assert_cmpuint(request(&f, "POST", "/api/v1/review/999/approve", f.tokens[CURATOR], "{}",
				 NULL, NULL, NULL, NULL),
			 ==, 404);
	/* Login sets an HttpOnly cookie only for a valid token. */
	SoupMessageHeaders *h;
	g_autofree char *login = g_strdup_printf("{\"token\":\"%s\"}", f.tokens[CURATOR]);
	g_assert_cmpuint(request(&f, "POST", "/login", NULL, "{\"token\":\"nope\"}", NULL, NULL, NULL,
				 NULL),
			 ==, 401);
	g_assert_cmpuint(request(&f, "POST", "/login", NULL, login, NULL, NULL, NULL, &h), ==, 200);
	g_assert_nonnull(strstr(soup_message_headers_get_one(h, "Set-Cookie"), "HttpOnly"));
	soup_message_headers_unref(h);
	/* The page itself is public and embedded. */
	GBytes *page;
	g_assert_cmpuint(request(&f, "GET", "/", NULL, NULL, NULL, NULL, &page, NULL), ==, 200);
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(page, NULL), g_bytes_get_size(page),
				      "review.js"));
	g_bytes_unref(page);
	teardown(&f);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	g_test_add_func("/api/feed-exactly-once", test_feed_exactly_once);
	g_test_add_func("/api/conditional-range", test_conditional_range);
	g_test_add_func("/api/auth-matrix", test_auth_matrix);
	return g_test_run();
}
