/* context.c: creation and teardown of the per-image context (see filters/context.h). */
#include "filters/context.h"

#include <stdarg.h>

static void
rendition_free(gpointer data)
{
	LrRendition *r = data;
	g_free(r->name);
	g_free(r->format);
	g_free(r->data);
	g_free(r->path);
	g_free(r);
}

/* The decoded photo and what is made from it at full size (image, normalized, encoded), let go. */
static void
drop_source(LrContext *ctx)
{
	g_clear_object(&ctx->normalized);
	g_clear_object(&ctx->reduced);
	g_clear_object(&ctx->image);
	g_clear_pointer(&ctx->encoded, g_bytes_unref);
}

LrContext *
lr_context_new(const char *path, const LrProfile *profile)
{
	LrContext *ctx = g_new0(LrContext, 1);
	/* An empty image serves as the parent that owns every temporary of this photo. */
	ctx->scope = VIPS_OBJECT(vips_image_new());
	ctx->profile = profile;
	ctx->path = g_strdup(path);
	ctx->orientation = 1;
	ctx->image_scale = 1;
	ctx->renditions = g_ptr_array_new_with_free_func(rendition_free);
	ctx->reasons = g_array_new(FALSE, TRUE, sizeof(LrReason));
	ctx->scores = g_array_new(FALSE, TRUE, sizeof(LrScore));
	return ctx;
}

void
lr_context_free(LrContext *ctx)
{
	if (!ctx)
		return;
	g_ptr_array_unref(ctx->renditions);
	g_array_unref(ctx->reasons);
	g_array_unref(ctx->scores);
	drop_source(ctx);
	g_object_unref(ctx->scope);
	g_free(ctx->path);
	g_free(ctx->format);
	g_free(ctx->icc);
	g_free(ctx->error);
	g_free(ctx);
}

int
lr_context_fail(LrContext *ctx, const char *code, const char *format, ...)
{
	if (!ctx->error) {
		va_list ap;
		va_start(ap, format);
		ctx->error = g_strdup_vprintf(format, ap);
		va_end(ap);
		ctx->error_code = code;
		const char *detail = vips_error_buffer();
		if (detail && *detail)
			g_debug("%s: %s (%s)", ctx->path, ctx->error, detail);
	}
	vips_error_clear();
	return -1;
}

void
lr_context_release_source(LrContext *ctx)
{
	if (!ctx->release_source)
		return;
	drop_source(ctx);
}

void
lr_context_drop_images(LrContext *ctx)
{
	drop_source(ctx);
	/* The rest belong to the scope, which goes whole. */
	ctx->light_lut = ctx->view = ctx->analysis = ctx->mask_small = ctx->mask_guided = NULL;
	ctx->composed = NULL;
	g_object_unref(ctx->scope);
	ctx->scope = VIPS_OBJECT(vips_image_new());
}

VipsImage *
lr_context_own(LrContext *ctx, VipsImage *image)
{
	VipsObject **slot = vips_object_local_array(ctx->scope, 1);
	slot[0] = VIPS_OBJECT(image);
	return image;
}

void
lr_context_add_reason(LrContext *ctx, const char *code, double value, double threshold)
{
	LrReason reason = { code, value, threshold };
	g_array_append_val(ctx->reasons, reason);
}

void
lr_context_time(LrContext *ctx, const char *name, double ms)
{
	if (ctx->n_timings < LR_MAX_TIMINGS) {
		ctx->timing_names[ctx->n_timings] = name;
		ctx->timing_ms[ctx->n_timings] = ms;
		ctx->n_timings++;
	}
}

void
lr_context_lap(LrContext *ctx, const char *name, gint64 *start)
{
	gint64 now = g_get_monotonic_time();
	lr_context_time(ctx, name, (now - *start) / 1000.0);
	*start = now;
}
