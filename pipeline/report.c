/* report.c: building the JSON report with json-glib (see report.h). */
#include "pipeline/report.h"
#include "filters/decide.h"

#include <json-glib/json-glib.h>
#include <string.h>

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

/* Appends "METRIC VALUE is below the profile's minimum THRESHOLD" (or above its maximum) to WHY. */
static void
append_crossing(GString *why, const char *metric, double value, double threshold)
{
	gboolean below = value < threshold;
	g_string_append_printf(why, "%s %.4g is %s the profile's %s %.4g", metric, value,
			       below ? "below" : "above", below ? "minimum" : "maximum", threshold);
}

/* The decision in words, for explain: which metrics crossed which thresholds, or, for an accepted
 * photo, which one came nearest to its line; and any informative sub-score past its line. Caller
 * frees. */
static char *
decision_text(const LrContext *ctx)
{
	GString *why = g_string_new(NULL);
	if (!ctx->status)
		return g_string_free(why, FALSE);
	if (ctx->reasons->len) {
		g_string_append_printf(why, "%s: ", ctx->status);
		for (guint r = 0; r < ctx->reasons->len; r++) {
			const LrReason *reason = &g_array_index(ctx->reasons, LrReason, r);
			const char *metric = "composite";
			for (guint i = 0; i < ctx->scores->len; i++) {
				const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
				if (s->raw == reason->value && s->threshold == reason->threshold)
					metric = s->name;
			}
			if (r)
				g_string_append(why, "; ");
			append_crossing(why, metric, reason->value, reason->threshold);
			g_string_append_printf(why, " (%s)", reason->code);
			if (!strcmp(reason->code, "blur"))
				g_string_append(why, ctx->metrics.motion >
							     lr_decide_threshold(ctx, "max_motion")
							     ? ", blurred more one way than the other: "
							       "likely a shake"
							     : ", blurred alike every way: likely defocus");
			if (!strcmp(reason->code, "background_uncertain"))
				g_string_append(why, ", so framing and size were not judged");
		}
		g_string_append(why, ". Any reason sends a photo to review whatever the composite.");
	} else {
		const LrScore *nearest = NULL;
		for (guint i = 0; i < ctx->scores->len; i++) {
			const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
			if (!s->informative && (!nearest || s->score < nearest->score))
				nearest = s;
		}
		g_string_append_printf(why, "accepted: every metric is on the good side of its "
					    "threshold and the composite %.3f is above %.3g",
				       ctx->score, lr_decide_threshold(ctx, "min_composite"));
		if (nearest)
			g_string_append_printf(why, "; nearest to its line: %s %.4g (threshold %.4g, "
						    "sub-score %.2f)",
					       nearest->name, nearest->raw, nearest->threshold,
					       nearest->score);
		g_string_append(why, ".");
	}
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		if (!s->informative || s->score >= 0.5)
			continue;
		g_string_append(why, " Shown only, not a reason nor in the composite: ");
		append_crossing(why, s->name, s->raw, s->threshold);
		g_string_append(why, ".");
	}
	return g_string_free(why, FALSE);
}

static void
build_detail(JsonBuilder *b, const LrOutcome *out)
{
	const LrContext *ctx = out->ctx;
	const LrMetrics *m = &ctx->metrics;

	json_builder_set_member_name(b, "metrics");
	json_builder_begin_object(b);
	for (guint i = 0; i < ctx->scores->len; i++) {
		const LrScore *s = &g_array_index(ctx->scores, LrScore, i);
		json_builder_set_member_name(b, s->name);
		json_builder_begin_object(b);
		member_double(b, "value", s->raw);
		member_double(b, "threshold", s->threshold);
		member_double(b, "score", s->score);
		json_builder_set_member_name(b, "in_composite");
		json_builder_add_boolean_value(b, !s->informative);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);

	if (ctx->scores->len) {
		g_autofree char *why = decision_text(ctx);
		member_string(b, "decision", why);
		/* Raw measurements that are not judged on their own (or qualify another). */
		json_builder_set_member_name(b, "measurements");
		json_builder_begin_object(b);
		member_double(b, "motion", m->motion);
		member_double(b, "brightness", m->brightness);
		member_double(b, "product_brightness", m->product_brightness);
		member_double(b, "clipped_shadows", m->clipped_shadows);
		member_double(b, "background_chroma", m->background_chroma);
		member_double(b, "background_lightness", m->background_lightness);
		json_builder_end_object(b);
	}

	if (ctx->mask_small) {
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

	if (ctx->view) {
		/* What normalize did to the light, with the estimate behind it: a curator can see why a
		 * photo's colours moved, or why they did not. */
		const LrLight *l = &ctx->light;
		json_builder_set_member_name(b, "normalize");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "white_balance");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "applied");
		json_builder_add_boolean_value(b, l->wb_applied);
		member_string(b, "note", l->wb_note);
		json_builder_set_member_name(b, "illuminant");
		json_builder_begin_array(b);
		for (int c = 0; c < 3; c++)
			json_builder_add_double_value(b, round(l->illuminant[c] * 10000) / 10000);
		json_builder_end_array(b);
		member_double(b, "cast_kelvin", l->cast_mired > 0 ? round(1e6 / l->cast_mired) : 0);
		member_double(b, "cast_shift_mired", l->cast_shift);
		member_double(b, "cast_angle", l->cast_angle);
		member_double(b, "neutral_share", l->neutral_share);
		member_double(b, "disagreement", l->cast_disagreement);
		json_builder_set_member_name(b, "gains");
		json_builder_begin_array(b);
		for (int c = 0; c < 3; c++)
			json_builder_add_double_value(b, l->wb_gain[c]);
		json_builder_end_array(b);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "exposure");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "gain");
		json_builder_add_double_value(b, l->exposure_gain);
		member_string(b, "note", l->exposure_note);
		json_builder_end_object(b);
		json_builder_end_object(b);
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
