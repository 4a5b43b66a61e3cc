/* renditions.c: stage 4 — the profile's sizes and formats, from the composed master.
 *
 * Downscaling happens in linear light (scRGB), so a fine woven pattern of dark and light threads keeps
 * its brightness instead of turning darker and greyer as gamma-space averaging would make it, and each
 * size is made from the one above it (2000 -> 1000 -> 500), kept in memory, to share the work. Each
 * size gets a light 3x3 unsharp mask back in sRGB (integer convolution: cheap, and enough to restore the
 * crispness the resampling filter takes off). Encoders run with every metadata chunk stripped: WebP's
 * container is cleaned once more with libwebpmux, since libvips 8.14 writes a minimal EXIF chunk anyway,
 * and JPEGs get the sRGB ICC profile spliced back in as an APP2 segment, because libvips 8.14 cannot
 * strip EXIF while keeping a profile. AVIF (when a profile lists it) goes through libheif's AV1 encoder,
 * 8-bit 4:4:4, stripped. A size larger than the master is skipped: nothing is enlarged.
 */
#include "filters/filter.h"
#include "filters/resample.h"
#include "pipeline/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <webp/mux.h>

extern const LrFilter lr_filter_renditions;

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

/* Removes the EXIF, XMP and ICC chunks that libvips 8.14's webpsave writes even with strip set, with
 * libwebp's own container code. Replaces *DATA (g_malloc'd) on success; leaves it alone on failure. */
static int
webp_strip(void **data, size_t *length)
{
	WebPData in = { *data, *length }, out = { NULL, 0 };
	WebPMux *mux = WebPMuxCreate(&in, 0);
	if (!mux)
		return -1;
	WebPMuxDeleteChunk(mux, "EXIF");
	WebPMuxDeleteChunk(mux, "XMP ");
	WebPMuxDeleteChunk(mux, "ICCP");
	int ok = WebPMuxAssemble(mux, &out) == WEBP_MUX_OK;
	WebPMuxDelete(mux);
	if (!ok)
		return -1;
	g_free(*data);
	*data = g_memdup2(out.bytes, out.size);
	*length = out.size;
	WebPDataClear(&out);
	return 0;
}

static inline guchar
unsharp(int centre, int around, int e)
{
	int v = ((64 + 4 * e) * centre - e * around + 32) >> 6;
	return (guchar)CLAMP(v, 0, 255);
}

/* One row of the 3x3 unsharp mask: centre 64 + 4E, the four edge neighbours -E, over 64. The first and
 * last pixels stand in for their missing neighbours; the loop between has no branch, so the compiler
 * vectorises it: with AVX2 (32-bit multiplies in 8 lanes; SSE2 has none) a 2000 px master's mask takes
 * 5.5 ms instead of 14. COUNT is at least 3 pixels' worth. */
__attribute__((target_clones("avx2", "default"))) static void
sharpen_row(const guchar *restrict up, const guchar *restrict row, const guchar *restrict down,
	    guchar *restrict out, int count, int bands, int e)
{
	for (int i = 0; i < bands; i++) {
		int j = count - bands + i;
		out[i] = unsharp(row[i], up[i] + down[i] + row[i] + row[i + bands], e);
		out[j] = unsharp(row[j], up[j] + down[j] + row[j - bands] + row[j], e);
	}
	for (int i = bands; i < count - bands; i++)
		out[i] = unsharp(row[i], up[i] + down[i] + row[i - bands] + row[i + bands], e);
}

/* A 3x3 unsharp mask of strength AMOUNT (0 = none) on IMAGE (uchar, 3 or 4 bands), on the colour
 * bands only: an alpha band is passed through, since sharpening it would ring a halo into the cut-out's
 * edge. Integer arithmetic in C: libvips's general convolution took 20 ms on a 2000 px master, this a
 * few. *OUT is a new memory image (IN itself when there is nothing to do). */
static int
sharpen_light(VipsImage *image, VipsImage **out, double amount)
{
	int e = (int)lround(64 * amount), w = image->Xsize, h = image->Ysize, bands = image->Bands;
	VipsImage *in = vips_image_copy_memory(image); /* a reference when it is in memory already */
	if (!in)
		return -1;
	if (e <= 0 || w < 3 || h < 3) {
		*out = in;
		return 0;
	}
	*out = vips_image_new_memory();
	vips_image_init_fields(*out, w, h, bands, VIPS_FORMAT_UCHAR, VIPS_CODING_NONE,
			       VIPS_INTERPRETATION_sRGB, in->Xres, in->Yres);
	if (vips_image_write_prepare(*out)) {
		VIPS_UNREF(*out);
		g_object_unref(in);
		return -1;
	}
	for (int y = 0; y < h; y++) {
		const guchar *row = VIPS_IMAGE_ADDR(in, 0, y);
		guchar *q = VIPS_IMAGE_ADDR(*out, 0, y);
		sharpen_row(VIPS_IMAGE_ADDR(in, 0, MAX(0, y - 1)), row,
			    VIPS_IMAGE_ADDR(in, 0, MIN(h - 1, y + 1)), q, w * bands, bands, e);
		if (bands == 4)
			for (int x = 3; x < 4 * w; x += 4)
				q[x] = row[x];
	}
	g_object_unref(in);
	return 0;
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
			VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
			int flat = vips_flatten(image, &opaque, "background", white, NULL);
			vips_area_unref(VIPS_AREA(white));
			if (flat)
				return NULL;
			image = opaque;
		}
		err = vips_jpegsave_buffer(image, &buf, &len, "Q",
					   (int)lr_param(ctx, &lr_filter_renditions, "jpeg_quality"),
					   "optimize_coding",
					   lr_param(ctx, &lr_filter_renditions, "jpeg_optimize") > 0,
					   "interlace",
					   lr_param(ctx, &lr_filter_renditions, "jpeg_progressive") > 0,
					   "subsample_mode",
					   VIPS_FOREIGN_SUBSAMPLE_OFF, "strip", TRUE, NULL);
		if (!err)
			jpeg_add_icc(&buf, &len);
	} else if (!strcmp(format, "webp")) {
		err = vips_webpsave_buffer(image, &buf, &len, "Q",
					   (int)lr_param(ctx, &lr_filter_renditions, "webp_quality"),
					   "effort",
					   (int)lr_param(ctx, &lr_filter_renditions, "webp_effort"),
					   "strip", TRUE, NULL);
		if (!err && webp_strip(&buf, &len)) {
			vips_error("renditions", "the WebP container could not be cleaned");
			err = -1;
		}
	}
	else if (!strcmp(format, "avif")) {
		/* 8 bits and 4:4:4 like the JPEGs; strip leaves no EXIF or XMP item in the file. No ICC
		 * either: the nclx colour box libheif writes says sRGB. */
		err = vips_heifsave_buffer(image, &buf, &len, "compression",
					   VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "Q",
					   (int)lr_param(ctx, &lr_filter_renditions, "avif_quality"),
					   "effort",
					   (int)lr_param(ctx, &lr_filter_renditions, "avif_effort"),
					   "bitdepth", 8, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF,
					   "strip", TRUE, NULL);
	} else if (!strcmp(format, "png"))
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
	g_auto(GStrv) formats = lr_profile_list(ctx->profile, "renditions", "formats");
	VipsImage *master = ctx->composed;
	int longest = MAX(master->Xsize, master->Ysize);
	double sharpen = lr_param(ctx, &lr_filter_renditions, "sharpen");
	int sizes[16], n = lr_profile_sizes(ctx->profile, sizes, 16);

	if (!n || !formats || !formats[0])
		return lr_context_fail(ctx, "internal", "The profile lists no renditions.");

	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 2 * n);
	VipsImage *from = master; /* each size is made from the one above it */
	int made = 0;
	for (int i = 0; i < n; i++) {
		/* Too large for the master: skip, unless nothing would be made at all. */
		int size = sizes[i];
		if (size > longest) {
			if (i < n - 1 || made)
				continue;
			size = longest;
		}
		gint64 start = g_get_monotonic_time();
		int current = MAX(from->Xsize, from->Ysize);
		VipsImage **s = t + 2 * i;
		if (size < current ? lr_resample_linear(from, (double)size / current, &s[0])
				   : !(s[0] = g_object_ref(from)))
			return lr_context_fail(ctx, "internal", "Resizing failed.");
		VipsImage *out;
		if (sharpen_light(s[0], &out, sharpen))
			return lr_context_fail(ctx, "internal", "Rendition %d could not be made.", size);
		char name[16], step[48];
		g_snprintf(name, sizeof(name), "%d", sizes[i] <= longest ? sizes[i] : size);
		g_snprintf(step, sizeof(step), "renditions.%s.resize", name);
		lr_context_lap(ctx, g_intern_string(step), &start);
		for (int f = 0; formats[f]; f++) {
			LrRendition *r = encode(ctx, out, name, formats[f]);
			if (!r) {
				g_object_unref(out);
				return lr_context_fail(ctx, "internal", "Encoding %s %s failed.", name,
						       formats[f]);
			}
			g_ptr_array_add(ctx->renditions, r);
			g_snprintf(step, sizeof(step), "renditions.%s.%s", name, formats[f]);
			lr_context_lap(ctx, g_intern_string(step), &start);
		}
		g_object_unref(out);
		from = s[0];
		made++;
	}
	return 0;
}

static const LrParam params[] = {
	{ "jpeg_quality", "JPEG quality", 50, 100, 90 },
	{ "webp_quality", "WebP quality", 50, 100, 85 },
	/* Progressive costs 2.5x the encoding time of baseline with optimised Huffman tables (132
	 * against 53 ms for a 2000 px master, measured), for a few per cent fewer bytes and a
	 * gradual display that marketplaces, which re-encode what they are sent, do not use. */
	{ "jpeg_progressive", "1: progressive JPEG; 0: baseline", 0, 1, 0 },
	/* Optimised Huffman tables take a second pass over the coefficients: 50 against 20 ms for a
	 * 2000 px master at 4:4:4, for 4% fewer bytes (nine 2000 px masters, measured). */
	{ "jpeg_optimize", "1: optimised Huffman tables for baseline JPEGs; 0: the standard tables", 0,
	  1, 0 },
	/* Effort 1 is about 2.5x faster than libwebp's default 4 and 1.35x faster than 2, for about
	 * 6% (against 4) and 3% (against 2) more bytes on a 2000 px master (measured). */
	{ "webp_effort", "WebP encoder effort (0 fastest, 6 smallest)", 0, 6, 1 },
	{ "avif_quality", "AVIF quality (when a profile lists avif)", 30, 100, 60 },
	{ "avif_effort", "AVIF encoder effort (0 fastest, 9 smallest)", 0, 9, 2 },
	{ "sharpen", "strength of the 3x3 unsharp mask after downscaling, 0 = none", 0, 1, 0.125 },
	{ NULL },
};

const LrFilter lr_filter_renditions = {
	.name = "renditions",
	.summary = "sizes and formats, resampled in linear light, metadata stripped",
	.params = params,
	.process = renditions,
};
