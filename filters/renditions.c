/* renditions.c: stage 4 — the profile's sizes and formats, from the composed master.
 *
 * Downscaling happens in linear light (scRGB), so a fine woven pattern of dark and light threads keeps
 * its brightness instead of turning darker and greyer as gamma-space averaging would make it, and each
 * size is made from the one above it (2000 -> 1000 -> 500), kept in memory, to share the work. Each
 * size gets a light 3x3 unsharp mask back in sRGB (integer convolution: cheap, and enough to restore the
 * crispness the resampling filter takes off). JPEG and WebP go straight to libjpeg-turbo and libwebp
 * from the size in memory, with no metadata but the JPEG's sRGB ICC profile (libvips 8.14's savers
 * cannot strip EXIF while keeping a profile, and write a minimal EXIF chunk into WebP even when told to
 * strip). AVIF (when a profile lists it) goes through libvips and libheif's AV1 encoder, 8-bit 4:4:4,
 * stripped. A size larger than the master is skipped: nothing is enlarged.
 */
#include "filters/filter.h"
#include "filters/image.h"
#include "filters/resample.h"
#include "pipeline/jpeg.h"
#include "pipeline/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <webp/encode.h>

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

/* WebP's luma and chroma with libwebp's own coefficients and rounding (VP8RGBToY, VP8RGBToU/V on the
 * sum of a 2 x 2 block, src/dsp/yuv.h). */
static inline guchar
webp_clip_uv(int sum)
{
	int v = (sum + (1 << 17) + (128 << 18)) >> 18;
	return (guchar)CLAMP(v, 0, 255);
}

__attribute__((target_clones("avx2", "default"))) static void
webp_luma_row(const guchar *restrict rgb, guchar *restrict y, int width)
{
	for (int x = 0; x < width; x++)
		y[x] = (guchar)((16839 * rgb[3 * x] + 33059 * rgb[3 * x + 1] + 6420 * rgb[3 * x + 2] +
				 (16 << 16) + (1 << 15)) >> 16);
}

/* U and V of PAIRS 2 x 2 blocks from rows A and B. The transform is linear, so each pixel's share
 * is summed (SUM: the two rows added, per value; TU, TV: per pixel), three passes the compiler
 * vectorises where one over the blocks would not. */
__attribute__((target_clones("avx2", "default"))) static void
webp_chroma_row(const guchar *restrict a, const guchar *restrict b, guchar *restrict u,
		guchar *restrict v, int pairs, guint16 *restrict sum, int *restrict tu,
		int *restrict tv)
{
	for (int k = 0; k < 6 * pairs; k++)
		sum[k] = (guint16)(a[k] + b[k]);
	for (int x = 0; x < 2 * pairs; x++) {
		int r = sum[3 * x], g = sum[3 * x + 1], bl = sum[3 * x + 2];
		tu[x] = -9719 * r - 19081 * g + 28800 * bl;
		tv[x] = 28800 * r - 24116 * g - 4684 * bl;
	}
	for (int x = 0; x < pairs; x++) {
		u[x] = webp_clip_uv(tu[2 * x] + tu[2 * x + 1]);
		v[x] = webp_clip_uv(tv[2 * x] + tv[2 * x + 1]);
	}
}

/* IMAGE (uchar, 3 bands, in memory) into PICTURE as YUV 4:2:0. libwebp's own import
 * (WebPPictureImportRGB) gives the same luma but averages each block's colours through a gamma
 * table, in scalar code: 9-11 ms of a 2000 px master's ~110, where this takes 4. The plain average
 * changed the decoded result by -0.01 dB PSNR and the bytes by -0.1% (33 masters, measured). An odd
 * last column or row counts twice. */
static int
webp_import_rgb(WebPPicture *picture, VipsImage *image)
{
	int w = image->Xsize, h = image->Ysize, pairs = w / 2;
	picture->use_argb = 0;
	picture->colorspace = WEBP_YUV420;
	if (!WebPPictureAlloc(picture))
		return 0;
	for (int y = 0; y < h; y++)
		webp_luma_row(VIPS_IMAGE_ADDR(image, 0, y), picture->y + (size_t)y * picture->y_stride,
			      w);
	guint16 *sum = g_new(guint16, 6 * (size_t)(pairs + 1));
	int *tu = g_new(int, 2 * (size_t)(pairs + 1)), *tv = g_new(int, 2 * (size_t)(pairs + 1));
	for (int y = 0; y < (h + 1) / 2; y++) {
		const guchar *a = VIPS_IMAGE_ADDR(image, 0, 2 * y);
		const guchar *b = 2 * y + 1 < h ? VIPS_IMAGE_ADDR(image, 0, 2 * y + 1) : a;
		guchar *u = picture->u + (size_t)y * picture->uv_stride;
		guchar *v = picture->v + (size_t)y * picture->uv_stride;
		webp_chroma_row(a, b, u, v, pairs, sum, tu, tv);
		if (w & 1) {
			guchar last_a[6], last_b[6];
			memcpy(last_a, a + 3 * (w - 1), 3);
			memcpy(last_a + 3, last_a, 3);
			memcpy(last_b, b + 3 * (w - 1), 3);
			memcpy(last_b + 3, last_b, 3);
			webp_chroma_row(last_a, last_b, u + pairs, v + pairs, 1, sum, tu, tv);
		}
	}
	g_free(sum);
	g_free(tu);
	g_free(tv);
	return 1;
}

/* IMAGE (uchar sRGB, 3 or 4 bands, in memory) as a lossy WebP of QUALITY at EFFORT (libwebp's method),
 * alpha kept losslessly: straight through libwebp, whose simple container holds no metadata chunk,
 * about 12% faster than libvips's webpsave, which wraps the same encoder in its pipeline and writes
 * an EXIF chunk even when told to strip. *DATA is g_malloc'd. */
static int
webp_encode(VipsImage *image, int quality, int effort, void **data, size_t *length)
{
	WebPConfig config;
	WebPPicture picture;
	WebPMemoryWriter writer;
	if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT, quality) || !WebPPictureInit(&picture)) {
		vips_error("renditions", "libwebp does not match its headers");
		return -1;
	}
	config.method = effort;
	picture.width = image->Xsize;
	picture.height = image->Ysize;
	WebPMemoryWriterInit(&writer);
	picture.writer = WebPMemoryWrite;
	picture.custom_ptr = &writer;
	/* With alpha, libwebp's import, which weighs each block's colours by their alpha. */
	int ok = (image->Bands == 4 ? WebPPictureImportRGBA(&picture, VIPS_IMAGE_ADDR(image, 0, 0),
							    VIPS_IMAGE_SIZEOF_LINE(image))
				    : webp_import_rgb(&picture, image)) &&
		 WebPEncode(&config, &picture);
	if (ok) {
		*data = g_memdup2(writer.mem, writer.size);
		*length = writer.size;
	} else
		vips_error("renditions", "WebP encoding failed (libwebp error %d)", picture.error_code);
	WebPPictureFree(&picture);
	WebPMemoryWriterClear(&writer);
	return ok ? 0 : -1;
}

static inline guchar
unsharp(int centre, int around, int e)
{
	int v = ((64 + 4 * e) * centre - e * around + 32) >> 6;
	return (guchar)CLAMP(v, 0, 255);
}

/* unsharp() in 16-bit arithmetic, exact while E <= 16 (sharpen <= 0.25): (64 + 4E) x 255 and E x 1020
 * then stay within an int16, so the compiler packs 16 lanes where unsharp() packs 8. */
static inline guchar
unsharp16(gint16 centre, gint16 around, gint16 e)
{
	gint16 v = (gint16)((gint16)((64 + 4 * e) * centre) - (gint16)(e * around) + 32) >> 6;
	return (guchar)CLAMP(v, 0, 255);
}

/* One row of the 3x3 unsharp mask: centre 64 + 4E, the four edge neighbours -E, over 64. The first and
 * last pixels stand in for their missing neighbours; the loop between has no branch, so the compiler
 * vectorises it: with AVX2 a 2000 px master's mask takes 5.9 ms in 32-bit lanes (14 without AVX2),
 * 3.7 ms in the 16-bit lanes the default strength allows. COUNT is at least 3 pixels' worth. */
__attribute__((target_clones("avx2", "default"))) static void
sharpen_row(const guchar *restrict up, const guchar *restrict row, const guchar *restrict down,
	    guchar *restrict out, int count, int bands, int e)
{
	for (int i = 0; i < bands; i++) {
		int j = count - bands + i;
		out[i] = unsharp(row[i], up[i] + down[i] + row[i] + row[i + bands], e);
		out[j] = unsharp(row[j], up[j] + down[j] + row[j - bands] + row[j], e);
	}
	if (e <= 16)
		for (int i = bands; i < count - bands; i++)
			out[i] = unsharp16(row[i],
					   (gint16)(up[i] + down[i] + row[i - bands] + row[i + bands]),
					   (gint16)e);
	else
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
	VipsImage *in = lr_image_copy_memory(image); /* a reference when it is in memory already */
	if (!in)
		return -1;
	if (e <= 0 || w < 3 || h < 3) {
		*out = in;
		return 0;
	}
	if (!(*out = lr_image_new_unset(NULL, w, h, bands, VIPS_FORMAT_UCHAR,
					VIPS_INTERPRETATION_sRGB))) {
		g_object_unref(in);
		return -1;
	}
	(*out)->Xres = in->Xres;
	(*out)->Yres = in->Yres;
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

/* Encodes IMAGE (uchar sRGB, 3 or 4 bands, in memory) as FORMAT into a new rendition. */
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
			VipsImage *flat = NULL;
			if (!vips_flatten(image, &flat, "background", white, NULL))
				opaque = lr_image_copy_memory(flat);
			vips_area_unref(VIPS_AREA(white));
			VIPS_UNREF(flat);
			if (!opaque)
				return NULL;
			image = opaque;
		}
		VipsBlob *icc = srgb_profile();
		size_t icc_length = 0;
		const void *icc_data = icc ? vips_blob_get(icc, &icc_length) : NULL;
		err = lr_jpeg_encode(image, (int)lr_param(ctx, &lr_filter_renditions, "jpeg_quality"),
				     lr_param(ctx, &lr_filter_renditions, "jpeg_optimize") > 0,
				     lr_param(ctx, &lr_filter_renditions, "jpeg_progressive") > 0,
				     icc_data, icc_length, &buf, &len);
	} else if (!strcmp(format, "webp")) {
		err = webp_encode(image, (int)lr_param(ctx, &lr_filter_renditions, "webp_quality"),
				  (int)lr_param(ctx, &lr_filter_renditions, "webp_effort"), &buf, &len);
	} else if (!strcmp(format, "avif")) {
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
	/* WebP is a third of a photo's time. Effort 0 takes 25% off effort 1's time, for the same
	 * PSNR and 4.5% more bytes on 12 real photos (11% on 33 generated 2000 px masters, whose
	 * synthetic grain compresses worse): 8% off the whole pipeline's time, the largest step left
	 * towards its throughput target.
	 * Effort 1 is about 2.5x faster than libwebp's default 4 and 1.35x faster than 2, for about
	 * 6% (against 4) and 3% (against 2) more bytes on a 2000 px master (measured). A profile that
	 * weighs bytes more than time sets 1 or 2. */
	{ "webp_effort", "WebP encoder effort (0 fastest, 6 smallest)", 0, 6, 0 },
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
