/* report.c: building the JSON report with json-glib (see report.h). */
#include "pipeline/report.h"

#include <json-glib/json-glib.h>

static void
add_reason(JsonBuilder *b, const char *code, const char *specific, const char *lang)
{
	g_autofree char *message = NULL, *advice = NULL;
	lr_reason_texts(code, lang, &message, &advice);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, code);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, specific ? specific : message);
	json_builder_set_member_name(b, "advice");
	json_builder_add_string_value(b, advice);
	json_builder_end_object(b);
}

static void
build_reasons(JsonBuilder *b, const LrOutcome *out, const char *lang)
{
	const LrContext *ctx = out->ctx;
	json_builder_begin_array(b);
	if (!g_strcmp0(out->status, "duplicate"))
		add_reason(b, "duplicate", NULL, lang);
	else if (ctx->error)
		add_reason(b, ctx->error_code, ctx->error, lang);
	else
		for (guint i = 0; i < ctx->reasons->len; i++)
			add_reason(b, g_array_index(ctx->reasons, LrReason, i).code, NULL, lang);
	json_builder_end_array(b);
}

static void
build_scores(JsonBuilder *b, const LrOutcome *out)
{
	const LrContext *ctx = out->ctx;
	json_builder_begin_object(b);
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		json_builder_set_member_name(b, s->name);
		json_builder_add_double_value(b, round(s->score * 1000) / 1000);
	}
	if (ctx->scores->len) {
		json_builder_set_member_name(b, "composite");
		json_builder_add_double_value(b, round(ctx->score * 1000) / 1000);
	}
	json_builder_end_object(b);
}

static char *
to_string(JsonBuilder *b)
{
	JsonNode *root = json_builder_get_root(b);
	char *s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

char *
lr_report_reasons_json(const LrOutcome *out, const char *lang)
{
	JsonBuilder *b = json_builder_new();
	build_reasons(b, out, lang);
	return to_string(b);
}

char *
lr_report_scores_json(const LrOutcome *out)
{
	JsonBuilder *b = json_builder_new();
	build_scores(b, out);
	return to_string(b);
}

static void
member_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void
member_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void
member_double(JsonBuilder *b, const char *name, double value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, round(value * 10000) / 10000);
}

static void
build_detail(JsonBuilder *b, const LrOutcome *out)
{
	const LrContext *ctx = out->ctx;

	json_builder_set_member_name(b, "metrics");
	json_builder_begin_object(b);
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		json_builder_set_member_name(b, s->name);
		json_builder_begin_object(b);
		member_double(b, "value", s->raw);
		member_double(b, "threshold", s->threshold);
		member_double(b, "score", s->score);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);

	if (ctx->mask) {
		json_builder_set_member_name(b, "product_box");
		json_builder_begin_object(b);
		member_int(b, "left", ctx->box.left);
		member_int(b, "top", ctx->box.top);
		member_int(b, "width", ctx->box.width);
		member_int(b, "height", ctx->box.height);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "background_replaced");
		json_builder_add_boolean_value(b, ctx->background_replaced);
	}

	json_builder_set_member_name(b, "exif");
	json_builder_begin_object(b);
	member_string(b, "capture_time", out->exif.capture_time);
	member_string(b, "make", out->exif.make);
	member_string(b, "model", out->exif.model);
	json_builder_set_member_name(b, "has_gps");
	json_builder_add_boolean_value(b, out->exif.has_gps);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "timings_ms");
	json_builder_begin_object(b);
	for (int i = 0; i < ctx->n_timings; i++)
		member_double(b, ctx->timing_names[i], ctx->timing_ms[i]);
	json_builder_end_object(b);
}

char *
lr_report_json(const LrOutcome *out, gboolean detail, const char *lang)
{
	const LrContext *ctx = out->ctx;
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	member_string(b, "file", out->file);
	json_builder_set_member_name(b, "id");
	if (out->id)
		json_builder_add_int_value(b, out->id);
	else
		json_builder_add_null_value(b);
	member_string(b, "status", out->status);
	if (out->duplicate_of)
		member_int(b, "duplicate_of", out->duplicate_of);
	json_builder_set_member_name(b, "reasons");
	build_reasons(b, out, lang);
	json_builder_set_member_name(b, "scores");
	build_scores(b, out);

	json_builder_set_member_name(b, "renditions");
	json_builder_begin_array(b);
	for (guint i = 0; i < ctx->renditions->len; i++) {
		const LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		json_builder_begin_object(b);
		member_string(b, "name", r->name);
		member_string(b, "format", r->format);
		member_int(b, "width", r->width);
		member_int(b, "height", r->height);
		member_int(b, "bytes", (gint64)r->length);
		member_string(b, "path", r->path);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	member_int(b, "orientation", ctx->orientation);
	json_builder_set_member_name(b, "source");
	json_builder_begin_object(b);
	member_string(b, "format", ctx->format);
	member_int(b, "width", ctx->source_width);
	member_int(b, "height", ctx->source_height);
	member_string(b, "icc", ctx->icc);
	member_int(b, "bytes", out->bytes);
	member_string(b, "sha256", out->sha256);
	json_builder_end_object(b);

	if (detail)
		build_detail(b, out);
	json_builder_end_object(b);
	return to_string(b);
}

char *
lr_report_reason_codes(const LrOutcome *out)
{
	const LrContext *ctx = out->ctx;
	GString *codes = g_string_new(NULL);
	if (!g_strcmp0(out->status, "duplicate"))
		g_string_printf(codes, "duplicate of #%" G_GINT64_FORMAT, out->duplicate_of);
	else if (ctx->error)
		g_string_printf(codes, "%s: %s", ctx->error_code, ctx->error);
	else
		for (guint i = 0; i < ctx->reasons->len; i++)
			g_string_append_printf(codes, "%s%s", i ? ", " : "",
					       g_array_index(ctx->reasons, LrReason, i).code);
	return g_string_free(codes, FALSE);
}
