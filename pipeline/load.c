/* load.c: type sniffing, limits and decoding (see load.h). */
#include "pipeline/load.h"
#include "pipeline/profile.h"

#include <string.h>

/* The loaders we accept, by libvips class name prefix, and the format name we report. */
static const struct {
	const char *loader;
	const char *format;
} accepted[] = {
	{ "VipsForeignLoadJpeg", "jpeg" }, { "VipsForeignLoadPng", "png" },
	{ "VipsForeignLoadWebp", "webp" }, { "VipsForeignLoadHeif", "heif" },
	{ "VipsForeignLoadGif", "gif" },   { "VipsForeignLoadNsgif", "gif" },
	{ "VipsForeignLoadTiff", "tiff" },
};

void
lr_load_init(void)
{
	/* Loaders libvips marks untrusted (ImageMagick, ...) parse far more than photos. */
	vips_block_untrusted_set(TRUE);
}

static const char *
sniff(const void *data, gsize length)
{
	const char *loader = vips_foreign_find_load_buffer(data, length);
	vips_error_clear();
	return loader;
}

/* Whether a libvips error text says the data ended early. The texts come from libjpeg, libpng, libwebp,
 * libheif and giflib through libvips; match their wording loosely. */
static gboolean
error_says_truncated(const char *text)
{
	static const char *const words[] = { "truncat", "premature end", "unexpected end",
					     "end of file", "not enough data", "incomplete",
					     "short read", "out of data", "read error" };
	g_autofree char *lower = g_ascii_strdown(text ? text : "", -1);
	for (guint i = 0; i < G_N_ELEMENTS(words); i++)
		if (strstr(lower, words[i]))
			return TRUE;
	return FALSE;
}

static char *
icc_description(VipsImage *image)
{
	const void *icc;
	size_t length;
	if (!vips_image_get_typeof(image, VIPS_META_ICC_NAME) ||
	    vips_image_get_blob(image, VIPS_META_ICC_NAME, &icc, &length) || length < 132)
		return NULL;
	/* Fall back to the colour space signature at offset 16 when there is no readable desc tag. */
	const guchar *p = icc;
	guint32 count = (guint32)p[128] << 24 | p[129] << 16 | p[130] << 8 | p[131];
	for (guint32 i = 0; i < count && 132 + 12 * (i + 1) <= length; i++) {
		const guchar *t = p + 132 + 12 * i;
		guint32 off = (guint32)t[4] << 24 | t[5] << 16 | t[6] << 8 | t[7];
		guint32 len = (guint32)t[8] << 24 | t[9] << 16 | t[10] << 8 | t[11];
		if (memcmp(t, "desc", 4) || off > length || len > length - off || len < 12)
			continue;
		const guchar *d = p + off;
		GString *s = g_string_new(NULL);
		if (!memcmp(d, "desc", 4)) {
			guint32 n = (guint32)d[8] << 24 | d[9] << 16 | d[10] << 8 | d[11];
			for (guint32 k = 0; k < n && 12 + k < len && d[12 + k]; k++)
				g_string_append_c(s, g_ascii_isprint(d[12 + k]) ? d[12 + k] : '?');
		} else if (!memcmp(d, "mluc", 4) && len >= 28) {
			guint32 slen = (guint32)d[20] << 24 | d[21] << 16 | d[22] << 8 | d[23];
			guint32 soff = (guint32)d[24] << 24 | d[25] << 16 | d[26] << 8 | d[27];
			for (guint32 k = 1; k < slen && soff + k < len; k += 2)
				g_string_append_c(s, g_ascii_isprint(d[soff + k]) ? d[soff + k] : '?');
		}
		if (s->len)
			return g_string_free(s, FALSE);
		g_string_free(s, TRUE);
	}
	return g_strndup((const char *)p + 16, 4);
}

int
lr_load_bytes(LrContext *ctx, const void *data, gsize length)
{
	double max_bytes = lr_profile_double(ctx->profile, "limits", "max_file_bytes", 200 << 20);
	double max_pixels = lr_profile_double(ctx->profile, "limits", "max_pixels", 210e6);

	if (length == 0)
		return lr_context_fail(ctx, "truncated", "The file is empty.");
	if ((double)length > max_bytes)
		return lr_context_fail(ctx, "file_too_large",
				       "The file is %.1f MB; the limit is %.1f MB.", length / 1e6,
				       max_bytes / 1e6);

	const char *loader = sniff(data, length);
	const char *format = NULL;
	for (guint i = 0; loader && i < G_N_ELEMENTS(accepted); i++)
		if (g_str_has_prefix(loader, accepted[i].loader))
			format = accepted[i].format;
	if (!loader)
		return lr_context_fail(ctx, "unreadable",
				       "The file is not an image listready can recognise.");
	if (!format)
		return lr_context_fail(ctx, "unsupported_format",
				       "This file type (%s) is not a supported photo format.",
				       loader + strlen("VipsForeignLoad"));
	ctx->format = g_strdup(format);

	/* Open the header only: nothing is decoded until the pixels are asked for. */
	VipsImage *header = vips_image_new_from_buffer(data, length, "", "fail_on",
						       VIPS_FAIL_ON_TRUNCATED, "access",
						       VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!header)
		return lr_context_fail(ctx, error_says_truncated(vips_error_buffer()) ? "truncated"
										 : "unreadable",
				       "The %s file's header could not be read.", format);
	lr_context_own(ctx, header);

	if (!strcmp(format, "heif")) {
		const char *compression;
		if (!vips_image_get_string(header, "heif-compression", &compression) &&
		    !strcmp(compression, "av1")) {
			g_free(ctx->format);
			ctx->format = g_strdup("avif");
		}
	}
	ctx->source_width = header->Xsize;
	ctx->source_height = header->Ysize;
	if ((double)header->Xsize * header->Ysize > max_pixels)
		return lr_context_fail(ctx, "too_many_pixels",
				       "The image declares %dx%d pixels (%.0f MP); the limit is %.0f MP.",
				       header->Xsize, header->Ysize,
				       (double)header->Xsize * header->Ysize / 1e6, max_pixels / 1e6);
	ctx->icc = icc_description(header);
	ctx->orientation = vips_image_get_orientation(header);

	/* Decode every pixel now, so damage shows here and every stage after reads memory. */
	VipsImage *decoded = vips_image_copy_memory(header);
	if (!decoded) {
		gboolean truncated = error_says_truncated(vips_error_buffer());
		return lr_context_fail(ctx, truncated ? "truncated" : "unreadable",
				       truncated ? "The %s file ends early: it was not completely uploaded."
						 : "The %s file is damaged and could not be decoded.",
				       format);
	}
	ctx->image = lr_context_own(ctx, decoded);
	return 0;
}
