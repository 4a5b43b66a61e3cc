/* review.c: curators' actions and API tokens (see review.h).
 *
 * A reprocess reruns the stages on the kept original without a store (as `explain` does), writes the
 * new renditions, and then replaces the image's outcome in one transaction: the image keeps its id,
 * its original and its history, and the event log says who asked for what and what came of it.
 * Manual crop and rotation are applied to the decoded, upright original, saved losslessly (TIFF
 * keeps CMYK, 16 bits and the ICC profile) and then run like any photo, so every stage sees them.
 * "No background removal" is a profile whose [compose] min_confidence is 1.0: a mask's confidence
 * never exceeds 1, so the stage keeps the background (see the check after the run).
 */
#include "pipeline/review.h"
#include "pipeline/fsutil.h"
#include "pipeline/report.h"
#include "pipeline/run.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* See review.h. */
int
lr_review_decide(LrStore *store, gint64 id, gboolean approve, const char *note, const char *actor,
		 GError **error)
{
	gboolean blank = TRUE;
	for (const char *c = note; c && *c && blank; c++)
		blank = g_ascii_isspace(*c);
	if (!approve && blank) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "a rejection needs a reason the artisan will see");
		return -1;
	}
	return lr_store_review(store, id, approve ? "accepted" : "rejected", approve ? NULL : note,
			       actor, approve ? "approved" : "rejected", error);
}

/* See review.h. */
gboolean
lr_reprocess_parse_crop(const char *text, LrReprocess *o)
{
	g_auto(GStrv) parts = text ? g_strsplit(text, ",", -1) : NULL;
	if (!parts || g_strv_length(parts) != 4)
		return FALSE;
	for (int i = 0; i < 4; i++) {
		char *end;
		o->crop[i] = g_ascii_strtod(parts[i], &end);
		if (end == parts[i] || *end)
			return FALSE;
	}
	o->has_crop = o->crop[0] >= 0 && o->crop[1] >= 0 && o->crop[2] > 0 && o->crop[3] > 0 &&
		      o->crop[0] + o->crop[2] <= 1.0001 && o->crop[1] + o->crop[3] <= 1.0001;
	return o->has_crop;
}

/* Decodes the original at PATH upright, applies O's crop and rotation, and saves it losslessly to a
 * temporary file. Returns its path (caller unlinks and frees) or NULL with ERROR set. */
static char *
edited_original(const char *path, const LrReprocess *o, GError **error)
{
	VipsImage *in = vips_image_new_from_file(path, NULL);
	VipsImage *t[3] = { NULL, NULL, NULL };
	char *tmp = NULL;
	int fd, err;

	if (!in || vips_autorot(in, &t[0], NULL))
		goto fail;
	VipsImage *cur = t[0];
	if (o->has_crop) {
		int w = cur->Xsize, h = cur->Ysize;
		int left = (int)(o->crop[0] * w + 0.5), top = (int)(o->crop[1] * h + 0.5);
		int cw = MIN(w - left, (int)(o->crop[2] * w + 0.5));
		int ch = MIN(h - top, (int)(o->crop[3] * h + 0.5));
		if (cw < 16 || ch < 16) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "the crop is smaller than 16 pixels");
			goto out;
		}
		if (vips_crop(cur, &t[1], left, top, cw, ch, NULL))
			goto fail;
		cur = t[1];
	}
	if (o->rotate) {
		VipsAngle angle = o->rotate == 90	 ? VIPS_ANGLE_D90
				  : o->rotate == 180 ? VIPS_ANGLE_D180
						     : VIPS_ANGLE_D270;
		if (vips_rot(cur, &t[2], angle, NULL))
			goto fail;
		cur = t[2];
	}
	fd = g_file_open_tmp("listready-reprocess-XXXXXX.tif", &tmp, error);
	if (fd < 0)
		goto out;
	close(fd);
	err = vips_tiffsave(cur, tmp, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, NULL);
	if (!err)
		goto out;
	g_unlink(tmp);
	g_clear_pointer(&tmp, g_free);
fail:
	if (error && !*error)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the original cannot be edited: %s",
			    vips_error_buffer());
	vips_error_clear();
out:
	for (int i = 0; i < 3; i++)
		if (t[i])
			g_object_unref(t[i]);
	if (in)
		g_object_unref(in);
	return tmp;
}

/* The profile to rerun with: NAME, with the background kept when KEEP (a copy with [compose]
 * min_confidence = 1.0 under the same name, since the profile is still NAME's). */
static LrProfile *
reprocess_profile(const char *name, gboolean keep, GError **error)
{
	LrProfile *profile = lr_profile_load(name, error);
	if (profile && keep)
		g_key_file_set_double(profile->keys, "compose", "replace_background", 0);
	return profile;
}

/* The overrides as the event's detail (caller frees). */
static char *
overrides_json(const LrReprocess *o, const char *profile)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "overrides");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "profile");
	json_builder_add_string_value(b, profile);
	json_builder_set_member_name(b, "keep_background");
	json_builder_add_boolean_value(b, o->keep_background);
	if (o->has_crop) {
		json_builder_set_member_name(b, "crop");
		json_builder_begin_array(b);
		for (int i = 0; i < 4; i++)
			json_builder_add_double_value(b, o->crop[i]);
		json_builder_end_array(b);
	}
	json_builder_set_member_name(b, "rotate");
	json_builder_add_int_value(b, o->rotate);
	json_builder_end_object(b);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

/* Writes OUT's renditions into STORE and replaces image ID's outcome with OUT's. */
static int
record_outcome(LrStore *store, gint64 id, LrOutcome *out, const char *profile_name,
	       const char *actor, const char *detail, GError **error)
{
	LrContext *ctx = out->ctx;
	int n = ctx->renditions->len, ret = -1, i;
	LrRenditionRow *rows = g_new0(LrRenditionRow, MAX(n, 1));
	char **shas = g_new0(char *, n + 1);
	char **paths = g_new0(char *, n + 1);

	for (i = 0; i < n; i++) {
		LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		const char *ext = !strcmp(r->format, "jpeg") ? "jpg" : r->format;
		paths[i] = lr_store_put_file(store, "renditions", r->data, r->length, ext, &shas[i],
					     error);
		if (!paths[i])
			break;
		rows[i] = (LrRenditionRow){ r->name,  r->format, r->width, r->height,
					    (gint64)r->length, shas[i], paths[i] };
	}
	if (i == n) {
		g_autofree char *reasons = lr_report_reasons_json(out, NULL);
		g_autofree char *scores = lr_report_scores_json(out);
		LrImageRow row = {
			.profile = profile_name,
			.pipeline_version = LR_PIPELINE_VERSION,
			.status = out->status,
			.score = ctx->score,
			.reasons_json = reasons,
			.scores_json = scores,
		};
		ret = lr_store_replace_outcome(store, id, &row, rows, n, actor, detail, error);
	}
	g_strfreev(shas);
	g_strfreev(paths);
	g_free(rows);
	return ret;
}

/* See review.h. */
int
lr_review_reprocess(LrStore *store, gint64 id, const LrReprocess *o, const char *actor,
		    GError **error)
{
	g_autofree char *original = NULL, *sha = NULL, *result = NULL, *asset = NULL;
	g_autofree char *profile_name = NULL, *path = NULL, *edited = NULL, *detail = NULL;
	LrProfile *profile = NULL;
	LrOutcome out;
	int found, ret = -1;

	if (o->rotate != 0 && o->rotate != 90 && o->rotate != 180 && o->rotate != 270) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "rotate must be 0, 90, 180 or 270");
		return -1;
	}
	found = lr_store_review_files(store, id, &original, &sha, &result, error);
	if (found <= 0) {
		if (found == 0)
			g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_NOT_FOUND,
				    "store: no image #%lld", (long long)id);
		return -1;
	}
	if (!original) {
		g_set_error(error, LR_STORE_ERROR, LR_STORE_ERROR_CONFLICT,
			    "image #%lld has no kept original", (long long)id);
		return -1;
	}
	if (o->profile)
		profile_name = g_strdup(o->profile);
	else {
		/* The photo's own profile, as recorded. */
		g_autoptr(JsonParser) parser = json_parser_new();
		if (!(asset = lr_store_asset_json(store, id, FALSE, error)) ||
		    !json_parser_load_from_data(parser, asset, -1, error))
			return -1;
		JsonObject *obj = json_node_get_object(json_parser_get_root(parser));
		profile_name = g_strdup(json_object_get_string_member(obj, "profile"));
	}
	if (!(profile = reprocess_profile(profile_name, o->keep_background, error)))
		return -1;

	path = lr_store_path(store, original);
	if (o->has_crop || o->rotate) {
		if (!(edited = edited_original(path, o, error))) {
			lr_profile_free(profile);
			return -1;
		}
	}
	/* Without a store: nothing is recorded, and the photo is not taken for a duplicate of
	 * itself. */
	if (lr_process_file(NULL, profile, edited ? edited : path, &out) ||
	    !strcmp(out.status, "quarantined")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the photo could not be processed: %s",
			    out.ctx->error ? out.ctx->error : "unknown error");
	} else {
		detail = overrides_json(o, profile_name);
		ret = record_outcome(store, id, &out, profile_name, actor, detail, error);
	}
	if (edited)
		g_unlink(edited);
	lr_outcome_clear(&out);
	lr_profile_free(profile);
	return ret;
}

/* 32 bytes from the kernel's CSPRNG: GLib's g_random is not meant for secrets. */
static gboolean
random_bytes(guchar *buf, gsize n, GError **error)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	gsize got = 0;
	while (fd >= 0 && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	if (fd >= 0)
		close(fd);
	if (got == n)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read /dev/urandom: %s",
		    g_strerror(errno));
	return FALSE;
}

/* See review.h. */
char *
lr_token_create(LrStore *store, const char *role, const char *name, GError **error)
{
	guchar raw[32];
	char token[65];

	if (!random_bytes(raw, sizeof(raw), error))
		return NULL;
	for (int i = 0; i < 32; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	g_autofree char *hash = lr_sha256_hex(token, 64);
	if (!lr_store_add_token(store, name ? name : role, role, hash, error))
		return NULL;
	return g_strdup(token);
}

/* See review.h. */
int
lr_token_check(LrStore *store, const char *token, char **role, char **name, GError **error)
{
	*role = *name = NULL;
	if (!token || strlen(token) != 64)
		return 0;
	g_autofree char *hash = lr_sha256_hex(token, 64);
	return lr_store_find_token(store, hash, role, name, error);
}

static void
add_texts(JsonBuilder *b, const char *code, const char *lang)
{
	g_autofree char *message = NULL, *advice = NULL;
	lr_reason_texts(code, lang, &message, &advice);
	json_builder_set_member_name(b, lang);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, message);
	json_builder_set_member_name(b, "advice");
	json_builder_add_string_value(b, advice);
	json_builder_end_object(b);
}

/* What happened to a photo, in words for the artisan. */
static const char *
outcome_text(const char *status, const char *lang)
{
	static const char *const texts[][3] = {
		{ "accepted", "Ready for the catalog.", "कैटलॉग के लिए तैयार।" },
		{ "needs_review", "A curator will look at this photo.", "एक क्यूरेटर इस फ़ोटो को देखेंगे।" },
		{ "rejected", "Please take this photo again.", "कृपया यह फ़ोटो फिर से लें।" },
		{ "quarantined", "This file could not be opened. Please send it again.",
		  "यह फ़ाइल खुल नहीं सकी। कृपया इसे फिर से भेजें।" },
		{ "duplicate", "This photo was sent before.", "यह फ़ोटो पहले भेजी जा चुकी है।" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
		if (!g_strcmp0(status, texts[i][0]))
			return texts[i][!g_strcmp0(lang, "hi") ? 2 : 1];
	return status;
}

/* See review.h. */
char *
lr_review_feedback_json(LrStore *store, const char *artisan, GError **error)
{
	LrFeedQuery q = { .artisan = artisan, .limit = 1000 };
	g_autofree char *page = lr_store_feed_json(store, &q, error);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!page || !json_parser_load_from_data(parser, page, -1, error))
		return NULL;
	JsonArray *items =
	    json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "items");
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "artisan");
	json_builder_add_string_value(b, artisan);
	json_builder_set_member_name(b, "photos");
	json_builder_begin_array(b);
	/* Newest first: what the artisan just sent is what they ask about. */
	for (int k = (int)json_array_get_length(items) - 1, shown = 0; k >= 0 && shown < 500;
	     k--, shown++) {
		JsonObject *a = json_array_get_object_element(items, k);
		const char *status = json_object_get_string_member(a, "status");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, json_object_get_int_member(a, "id"));
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, json_object_get_string_member(a, "original_name"));
		json_builder_set_member_name(b, "sku");
		json_builder_add_string_value(b,
					      json_object_get_string_member_with_default(a, "sku", NULL));
		json_builder_set_member_name(b, "status");
		json_builder_add_string_value(b, status);
		json_builder_set_member_name(b, "outcome");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "en");
		json_builder_add_string_value(b, outcome_text(status, "en"));
		json_builder_set_member_name(b, "hi");
		json_builder_add_string_value(b, outcome_text(status, "hi"));
		json_builder_end_object(b);
		json_builder_set_member_name(b, "note");
		json_builder_add_string_value(
		    b, json_object_get_string_member_with_default(a, "review_note", NULL));
		/* Retake tips for the photos that need one: rejected, or waiting with reasons. */
		json_builder_set_member_name(b, "reasons");
		json_builder_begin_array(b);
		JsonArray *reasons = json_object_get_array_member(a, "reasons");
		for (guint r = 0; reasons && r < json_array_get_length(reasons); r++) {
			JsonObject *reason = json_array_get_object_element(reasons, r);
			const char *code = json_object_get_string_member(reason, "code");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "code");
			json_builder_add_string_value(b, code);
			add_texts(b, code, "en");
			add_texts(b, code, "hi");
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		JsonArray *renditions = json_object_get_array_member(a, "renditions");
		json_builder_set_member_name(b, "has_result");
		json_builder_add_boolean_value(b, renditions && json_array_get_length(renditions));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}
