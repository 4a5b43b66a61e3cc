/* renditions.c: stage 4 — the profile's sizes and formats, from the composed master.
 *
 * Downscaling happens in linear light (scRGB), so a fine woven pattern of dark and light threads keeps
 * its brightness instead of turning darker and greyer as gamma-space averaging would make it, and each
 * size is made from the one above it (2000 -> 1000 -> 500) to share the work. Each size gets a light
 * unsharp mask back in sRGB. Encoders run with every metadata chunk stripped; JPEGs then get the sRGB
 * ICC profile spliced back in as an APP2 segment, because libvips 8.14 cannot strip EXIF while keeping a
 * profile. A size larger than the master is skipped: nothing is ever enlarged.
 */
#include "filters/filter.h"
#include "pipeline/profile.h"

#include <stdlib.h>
#include <string.h>

extern const LrFilter lr_filter_renditions;

static int
compare_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

/* The sRGB ICC profile bytes (libvips's built-in), loaded once. */
static VipsBlob *
srgb_profile(void)
{
	static VipsBlob *blob;
	static gsize once;
	if (g_once_init_enter(&once)) {
		if (vips_profile_load("srgb", &blob, NULL))
			vips_error_clear();
		g_once_init_leave(&once, 1);
	}
	return blob;
}

/* Inserts an APP2 ICC_PROFILE segment after the JPEG's SOI and APP0 markers. Takes ownership of
 * *DATA and replaces it. */
static void
jpeg_add_icc(void **data, size_t *length)
{
	VipsBlob *blob = srgb_profile();
	size_t icc_len;
	const guchar *icc = blob ? vips_blob_get(blob, &icc_len) : NULL;
	guchar *in = *data;
	if (!icc || icc_len > 65519 || *length < 4 || in[0] != 0xFF || in[1] != 0xD8)
		return;
	size_t at = 2;
	if (in[2] == 0xFF && in[3] == 0xE0 && *length > 6)
		at = 4 + ((size_t)in[4] << 8 | in[5]);
	size_t seg = 2 + 14 + icc_len;
	guchar *out = g_malloc(*length + 2 + seg);
	memcpy(out, in, at);
	guchar *p = out + at;
	*p++ = 0xFF;
	*p++ = 0xE2;
	*p++ = seg >> 8;
	*p++ = seg & 0xFF;
	memcpy(p, "ICC_PROFILE", 12);
	p += 12;
	*p++ = 1; /* chunk 1 of 1 */
	*p++ = 1;
	memcpy(p, icc, icc_len);
	p += icc_len;
	memcpy(p, in + at, *length - at);
	*length = *length + 2 + seg;
	g_free(*data);
	*data = out;
}

/* Encodes IMAGE as FORMAT into a new rendition. */
static LrRendition *
encode(LrContext *ctx, VipsImage *image, const char *name, const char *format)
{
	void *buf = NULL;
	size_t len = 0;
	int err;
	VipsImage *opaque = NULL;

	if (!strcmp(format, "jpeg")) {
		if (image->Bands == 4) { /* JPEG has no alpha: flatten on white */
			if (vips_flatten(image, &opaque, "background", vips_array_double_newv(3, 255.0, 255.0, 255.0), NULL))
				return NULL;
			image = opaque;
		}
		err = vips_jpegsave_buffer(image, &buf, &len, "Q",
					   (int)lr_param(ctx, &lr_filter_renditions, "jpeg_quality"),
					   "optimize_coding", TRUE, "interlace", TRUE, "subsample_mode",
					   VIPS_FOREIGN_SUBSAMPLE_OFF, "strip", TRUE, NULL);
		if (!err)
			jpeg_add_icc(&buf, &len);
	} else if (!strcmp(format, "webp"))
		err = vips_webpsave_buffer(image, &buf, &len, "Q",
					   (int)lr_param(ctx, &lr_filter_renditions, "webp_quality"),
					   "effort",
					   (int)lr_param(ctx, &lr_filter_renditions, "webp_effort"),
					   "strip", TRUE, NULL);
	else if (!strcmp(format, "png"))
		err = vips_pngsave_buffer(image, &buf, &len, "strip", TRUE, NULL);
	else {
		vips_error("renditions", "unknown format \"%s\"", format);
		err = -1;
	}
	if (opaque)
		g_object_unref(opaque);
	if (err)
		return NULL;
	LrRendition *r = g_new0(LrRendition, 1);
	r->name = g_strdup(name);
	r->format = g_strdup(format);
	r->width = image->Xsize;
	r->height = image->Ysize;
	r->data = buf;
	r->length = len;
	return r;
}

static int
renditions(LrContext *ctx)
{
	g_auto(GStrv) size_list = lr_profile_list(ctx->profile, "renditions", "sizes");
	g_auto(GStrv) formats = lr_profile_list(ctx->profile, "renditions", "formats");
	VipsImage *master = ctx->composed;
	int longest = MAX(master->Xsize, master->Ysize);
	double sharpen = lr_param(ctx, &lr_filter_renditions, "sharpen_sigma");
	int sizes[16], n = 0;

	for (int i = 0; size_list && size_list[i] && n < 16; i++)
		if (atoi(size_list[i]) > 0)
			sizes[n++] = atoi(size_list[i]);
	if (!n || !formats || !formats[0])
		return lr_context_fail(ctx, "internal", "The profile lists no renditions.");
	qsort(sizes, n, sizeof(int), compare_desc);

	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 2 + 3 * n);
	/* Linear light for resampling; scRGB keeps alpha as a plain band. */
	if (vips_colourspace(master, &t[0], VIPS_INTERPRETATION_scRGB, NULL))
		return lr_context_fail(ctx, "internal", "The master could not be linearised.");
	VipsImage *linear = t[0];
	int made = 0;
	for (int i = 0; i < n; i++) {
		/* Too large for the master: skip, unless nothing would be made at all. */
		int size = sizes[i];
		if (size > longest) {
			if (i < n - 1 || made)
				continue;
			size = longest;
		}
		int from = MAX(linear->Xsize, linear->Ysize);
		VipsImage **s = t + 2 + 3 * i;
		if (size < from) {
			if (vips_resize(linear, &s[0], (double)size / from, "kernel",
					VIPS_KERNEL_LANCZOS3, NULL))
				return lr_context_fail(ctx, "internal", "Resizing failed.");
		} else
			s[0] = g_object_ref(linear);
		if (vips_colourspace(s[0], &s[1], VIPS_INTERPRETATION_sRGB, NULL) ||
		    (sharpen > 0 ? vips_sharpen(s[1], &s[2], "sigma", sharpen, NULL)
				 : vips_copy(s[1], &s[2], NULL)))
			return lr_context_fail(ctx, "internal", "Rendition %d could not be made.", size);
		VipsImage *out = vips_image_copy_memory(s[2]);
		if (!out)
			return lr_context_fail(ctx, "internal", "Rendition %d could not be made.", size);
		char name[16];
		g_snprintf(name, sizeof(name), "%d", sizes[i] <= longest ? sizes[i] : size);
		for (int f = 0; formats[f]; f++) {
			LrRendition *r = encode(ctx, out, name, formats[f]);
			if (!r) {
				g_object_unref(out);
				return lr_context_fail(ctx, "internal", "Encoding %s %s failed.", name,
						       formats[f]);
			}
			g_ptr_array_add(ctx->renditions, r);
		}
		g_object_unref(out);
		linear = s[0]; /* the next size is made from this one */
		made++;
	}
	return 0;
}

static const LrParam params[] = {
	{ "jpeg_quality", "JPEG quality", 50, 100, 90 },
	{ "webp_quality", "WebP quality", 50, 100, 85 },
	{ "webp_effort", "WebP encoder effort (0 fastest, 6 smallest)", 0, 6, 4 },
	{ "sharpen_sigma", "sigma of the light unsharp mask after downscaling, 0 = none", 0, 2, 0.5 },
	{ NULL },
};

const LrFilter lr_filter_renditions = {
	.name = "renditions",
	.summary = "sizes and formats, resampled in linear light, metadata stripped",
	.params = params,
	.process = renditions,
};
