/* load.c: type sniffing, limits and decoding (see load.h). */
#include "pipeline/load.h"
#include "filters/area.h"
#include "filters/filter.h"
#include "filters/metrics.h"
#include "pipeline/exif.h"
#include "pipeline/jpeg.h"
#include "pipeline/profile.h"

#include <gmodule.h>
#include <malloc.h>
#include <math.h>
#include <string.h>

extern const LrFilter lr_filter_normalize;

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

/* libvips's module of libheif (HEIC, AVIF), in the folder libvips loads its modules from. */
static char *
heif_module(void)
{
	return g_strdup_printf("%s/vips-modules-%d.%d/vips-heif.so", LR_VIPS_LIBDIR, vips_version(0),
			       vips_version(1));
}

int
lr_load_init(const char *argv0)
{
	/* vips_init loads every module in its folder: ImageMagick, poppler, OpenSlide, JPEG XL and
	 * libheif, 20 of its 25 ms (measured), paid by every command and each daemon start. Only
	 * libheif's reads a format listready takes (ImageMagick's loaders are blocked below anyway).
	 * libvips looks for its modules under $VIPSHOME when that is set, so it is pointed at a folder
	 * with none for the start, and libheif's module is loaded here (6 ms). A VIPSHOME of the
	 * user's own, or a libvips without that module where it was built, is left alone. */
	g_autofree char *heif = heif_module();
	gboolean own = !g_getenv("VIPSHOME") && g_file_test(heif, G_FILE_TEST_IS_REGULAR);
	if (own)
		g_setenv("VIPSHOME", "/nonexistent/listready-loads-its-modules", TRUE);
	int err = VIPS_INIT(argv0);
	if (own) {
		g_unsetenv("VIPSHOME");
		GModule *module = g_module_open(heif, G_MODULE_BIND_LAZY);
		if (module)
			g_module_make_resident(module);
		else
			g_warning("HEIC photos cannot be read: %s", g_module_error());
	}
	if (err)
		return -1;
	/* Loaders libvips marks untrusted (ImageMagick, ...) parse far more than photos. */
	vips_block_untrusted_set(TRUE);
	/* Every photo is new, so the operation cache never hits; it would only keep references to
	 * finished photos (and their full-size buffers) alive. */
	vips_cache_set_max(0);
	/* Every photo allocates and frees the same few large buffers (the decoded photo, the view, the
	 * master). Above glibc's mmap threshold (adaptive, at most 32 MB) each is handed back to the
	 * kernel when freed, and the next photo's is page-faulted and zeroed afresh. Kept in the heap
	 * they are reused (a 12 MP photo's system time went from 89 to 26 ms, measured), and the peak
	 * is still that of the largest photo in flight. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	/* One arena per core, not glibc's eight: each worker and libvips thread would otherwise keep
	 * freed buffers in an arena of its own, and a running daemon's memory crept from 300 to 324 MiB
	 * over 200 photos at 12 MP; with two arenas it stayed at 237-256 MiB (bench/run --soak). */
	mallopt(M_ARENA_MAX, (int)g_get_num_processors());
	return 0;
}

static const char *
sniff(const void *data, gsize length)
{
	const char *loader = vips_foreign_find_load_buffer(data, length);
	vips_error_clear();
	return loader;
}

/* What the decoders' error texts mean, for a curator. libvips passes on the words of libjpeg, libpng,
 * libspng, libwebp, libheif and giflib; the curator needs a reason code and a sentence, not
 * "VipsJpeg: Unsupported JPEG data precision 12". Matched in order, loosely and in lower case, so that
 * the most specific entries come first. %s in a message is the format name. */
static const struct {
	const char *words; /* lower-case substrings, '|'-separated: any one matches */
	const char *code;
	const char *message;
} known_errors[] = {
	{ "data precision 12|data precision 16", "unsupported_format",
	  "12-bit JPEG is not supported: save the photo as a normal 8-bit JPEG." },
	{ "arithmetic", "unsupported_format",
	  "This JPEG uses arithmetic coding, which the installed decoder cannot read." },
	{ "lossless jpeg|unsupported jpeg process", "unsupported_format",
	  "This kind of JPEG (lossless or hierarchical) is not supported." },
	{ "security limit exceeded: image size|exceeds the maximum image size", "too_many_pixels",
	  "The image declares more pixels than the %s decoder's safety limit allows." },
	{ "security limit", "too_many_pixels",
	  "The %s file declares more data than the decoder's safety limits allow." },
	{ "auxiliary image|unsupported feature|unsupported codec|unsupported color conversion|"
	  "no decoding plugin",
	  "unsupported_format",
	  "This %s photo uses a feature (such as an HDR gain map or an unusual codec) that the "
	  "installed decoder cannot read." },
	{ "truncat|premature end|unexpected end|end of file|not enough data|incomplete|short read|"
	  "out of data|read error|end of data",
	  "truncated", "The %s file ends early: it was not completely uploaded." },
	{ "crc", "unreadable", "The %s file is damaged: a checksum inside it does not match." },
	{ "invalid chunk|chunk type|ihdr|unknown critical chunk", "unreadable",
	  "The %s file is damaged: its internal structure is not valid." },
	{ "not a jpeg|starts with|not a png|bad signature|no 'ftyp'|invalid input|not a gif|not a tiff|"
	  "not a webp|bitstream",
	  "unreadable", "The file is not a valid %s file, although it starts like one." },
	{ "out of memory|memory allocation|cannot allocate", "too_many_pixels",
	  "The %s image needs more memory to decode than listready allows." },
	{ "corrupt|bogus|huffman|invalid|damaged|bad ", "unreadable",
	  "The %s data is damaged and could not be decoded." },
};

const char *
lr_load_explain_error(const char *format, const char *detail, gboolean header, char **message)
{
	g_autofree char *lower = g_ascii_strdown(detail ? detail : "", -1);
	/* Curators know the formats by their capitalised names: "JPEG", "HEIF". */
	g_autofree char *upper = g_ascii_strup(format ? format : "image", -1);
	format = upper;
	for (guint i = 0; i < G_N_ELEMENTS(known_errors); i++) {
		g_auto(GStrv) words = g_strsplit(known_errors[i].words, "|", -1);
		for (int w = 0; words[w]; w++)
			if (strstr(lower, words[w])) {
				*message = g_strdup_printf(known_errors[i].message, format);
				return known_errors[i].code;
			}
	}
	*message = header ? g_strdup_printf("The %s file's header could not be read: the file is "
					    "damaged or not really a %s file.",
					    format, format)
			  : g_strdup_printf("The %s file is damaged and could not be decoded.", format);
	return "unreadable";
}

/* Fails CTX with what the libvips error buffer says, translated. */
static int
fail_from_vips(LrContext *ctx, const char *format, gboolean header)
{
	g_autofree char *message = NULL;
	const char *code = lr_load_explain_error(format, vips_error_buffer(), header, &message);
	return lr_context_fail(ctx, code, "%s", message);
}

/* The decode-time limit: libvips emits "eval" on the image being computed, between tiles; once the
 * deadline has passed the computation is killed and fails. A decoder that works in one call (libheif
 * decodes the whole picture at the first tile) is only stopped after that call. */
typedef struct {
	gint64 deadline; /* monotonic microseconds */
	gint expired;
} LrDeadline;

static void
check_deadline(VipsImage *image, VipsProgress *progress, gpointer data)
{
	LrDeadline *d = data;
	if (g_get_monotonic_time() > d->deadline) {
		g_atomic_int_set(&d->expired, 1);
		vips_image_set_kill(image, TRUE);
	}
}

/* For a PNG without EXIF: the orientation ImageMagick and exiftool store as hex in a "Raw profile type
 * exif" (or APP1) text chunk. libvips 8.14 reads the eXIf chunk itself but passes these on as plain
 * comments. Sets the orientation and the EXIF block on IMAGE when one is found. */
static void
png_text_exif(VipsImage *image)
{
	if (vips_image_get_typeof(image, VIPS_META_EXIF_NAME))
		return;
	char **fields = vips_image_get_fields(image);
	for (int i = 0; fields[i]; i++) {
		const char *value;
		if (!g_str_has_prefix(fields[i], "png-comment-") ||
		    !(g_str_has_suffix(fields[i], "Raw profile type exif") ||
		      g_str_has_suffix(fields[i], "Raw profile type APP1")) ||
		    vips_image_get_string(image, fields[i], &value))
			continue;
		gsize length;
		guchar *exif = lr_exif_from_png_text(value, &length);
		if (!exif)
			continue;
		/* Not every writer puts the "Exif\0\0" header in: libexif wants it. */
		if (length < 6 || memcmp(exif, "Exif\0\0", 6)) {
			guchar *with = g_malloc(length + 6);
			memcpy(with, "Exif\0\0", 6);
			memcpy(with + 6, exif, length);
			g_free(exif);
			exif = with;
			length += 6;
		}
		vips_image_set_int(image, VIPS_META_ORIENTATION, lr_exif_orientation(exif, length));
		vips_image_set_blob_copy(image, VIPS_META_EXIF_NAME, exif, length);
		g_free(exif);
		break;
	}
	g_strfreev(fields);
	vips_error_clear();
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

/* Opens DATA's header (FORMAT, already sniffed), shrunk on load by SHRINK (1, 2, 4, 8: JPEG only):
 * nothing is decoded until the pixels are asked for. The header belongs to CTX and lives as long as the
 * image decoded from it: releasing libvips 8.14's heifload header right after decoding turned a Display
 * P3 HEIC's colours wrong on a clean Debian 12 (2.4 levels off on average, as if its ICC profile had
 * been read from freed memory), though not on every machine. Returns it, or NULL with CTX failed. */
static VipsImage *
open_header(LrContext *ctx, const void *data, gsize length, const char *format, int shrink)
{
	VipsImage *header;
	if (shrink > 1)
		header = vips_image_new_from_buffer(data, length, "", "fail_on",
						    VIPS_FAIL_ON_TRUNCATED, "access",
						    VIPS_ACCESS_SEQUENTIAL, "shrink", shrink, NULL);
	else
		header = vips_image_new_from_buffer(data, length, "", "fail_on",
						    VIPS_FAIL_ON_TRUNCATED, "access",
						    VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!header) {
		fail_from_vips(ctx, format, TRUE);
		return NULL;
	}
	return lr_context_own(ctx, header);
}

/* Decodes every pixel of HEADER (opened from DATA, LENGTH bytes, shrunk on load by SHRINK) into memory
 * now, so damage shows here and every stage after reads memory, within the decode-time limit counted
 * from START; *DECODED is a new reference. A clean baseline JPEG goes straight through libjpeg-turbo
 * (lr_jpeg_decode), which measures a full-size one's blockiness on the way into *BLOCKINESS (NAN when
 * not measured) and, with REDUCED (else NULL), reduces it to the view's scale as normalize would, in the
 * same pass, into *REDUCED (left NULL when it did not, or the view needs no reduction); everything else
 * through libvips. Returns 0, or -1 with CTX failed. */
static int
decode(LrContext *ctx, VipsImage *header, const void *data, gsize length, int shrink,
       const char *format, gint64 start, VipsImage **decoded, double *blockiness,
       VipsImage **reduced)
{
	/* A 200 MP JPEG decodes in about 4 s on one core; nothing a phone makes comes near 60 s. */
	double max_seconds = lr_profile_double(ctx->profile, "limits", "max_decode_seconds", 60);
	LrDeadline deadline = { start + (gint64)(max_seconds * 1e6), 0 };
	VipsImage *image = NULL;

	*decoded = NULL;
	*blockiness = NAN;
	LrResampler *reduce = NULL;
	if (reduced) {
		*reduced = NULL;
		double scale = lr_param(ctx, &lr_filter_normalize, "view_size") /
			       MAX(header->Xsize, header->Ysize);
		if (!strcmp(format, "jpeg") && scale < 1 &&
		    !(reduce = lr_resampler_new(header, scale, LR_KERNEL_TRIANGLE, FALSE)))
			vips_error_clear(); /* not a kind it takes: normalize reduces the photo */
	}
	int direct = strcmp(format, "jpeg") ? 1
					    : lr_jpeg_decode(header, data, length, shrink,
							     deadline.deadline,
							     shrink == 1 ? blockiness : NULL, reduce,
							     &image);
	if (reduce) {
		/* Unfinished (libvips decodes the file after all): normalize reduces the photo. */
		VipsImage *view = lr_resampler_end(reduce);
		if (view && !direct)
			*reduced = view;
		else if (view)
			g_object_unref(view);
		vips_error_clear();
	}
	if (direct < 0)
		deadline.expired = 1;
	else if (direct > 0) {
		vips_image_set_progress(header, TRUE);
		gulong handler = g_signal_connect(header, "eval", G_CALLBACK(check_deadline),
						  &deadline);
		image = vips_image_copy_memory(header);
		g_signal_handler_disconnect(header, handler);
		vips_image_set_progress(header, FALSE);
		if (image && g_get_monotonic_time() > deadline.deadline)
			deadline.expired = 1; /* a one-call decoder (libheif) ran past it */
	}
	if (g_atomic_int_get(&deadline.expired)) {
		if (image)
			g_object_unref(image);
		g_autofree char *upper = g_ascii_strup(format, -1);
		return lr_context_fail(ctx, "unreadable",
				       "Decoding this %s file took longer than the %g s limit: the file "
				       "is damaged or built to overload the server.",
				       upper, max_seconds);
	}
	if (!image)
		return fail_from_vips(ctx, format, FALSE);
	*decoded = image;
	return 0;
}

/* Makes DECODED (a new reference, SHRINK times smaller than the source) ctx->image; BLOCKINESS is
 * its blockiness when the decoder measured it already, else NAN. */
static void
set_image(LrContext *ctx, VipsImage *decoded, int shrink, double blockiness)
{
	g_clear_object(&ctx->image);
	ctx->image = decoded;
	ctx->image_scale = (double)decoded->Xsize / ctx->source_width;
	ctx->orientation = vips_image_get_orientation(decoded);
	/* Blockiness on the decoded JPEG as stored, on its own 8x8 grid, before normalize's gains can
	 * lift the blocks of a dark photo into view or any resampling blur them away; a JPEG shrunk on
	 * load has lost its grid, and the measure waits for a full-size decode. */
	if (shrink == 1 && !strcmp(ctx->format, "jpeg") && decoded->BandFmt == VIPS_FORMAT_UCHAR &&
	    decoded->Bands == 3)
		ctx->metrics.blockiness =
		    !isnan(blockiness)
			? blockiness
			: lr_metric_blockiness(VIPS_IMAGE_ADDR(decoded, 0, 0), decoded->Xsize,
					       decoded->Ysize, VIPS_IMAGE_SIZEOF_LINE(decoded));
}

int
lr_load_bytes(LrContext *ctx, const void *data, gsize length)
{
	double max_bytes = lr_profile_double(ctx->profile, "limits", "max_file_bytes", 200 << 20);
	double max_pixels = lr_profile_double(ctx->profile, "limits", "max_pixels", 210e6);
	double full_pixels = lr_profile_double(ctx->profile, "limits", "full_decode_max_pixels", 24e6);
	gint64 start = g_get_monotonic_time();

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

	VipsImage *header = open_header(ctx, data, length, format, 1);
	if (!header)
		return -1;
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

	/* A large JPEG is decoded shrunk (libjpeg scales in the DCT, and still reads, and checks,
	 * every byte): at the scale the 2000 px view needs, or one step finer when that step holds no
	 * more than half the full-decode limit (a 48 MP photo at half size, 12 MP). A product that
	 * spans half the photo or more, as most do, then gets its renditions from this one decode:
	 * the second pass through the entropy decoder, which costs nearly as much at any scale, is
	 * saved. A smaller product needs the pixels later, at the scale its size asks for
	 * (lr_load_develop). Everything else is decoded whole, once. */
	int shrink = 1;
	if (!strcmp(ctx->format, "jpeg") && (double)header->Xsize * header->Ysize > full_pixels) {
		double view = lr_param(ctx, &lr_filter_normalize, "view_size");
		while (shrink < 8 && MAX(header->Xsize, header->Ysize) / (2.0 * shrink) >= view)
			shrink *= 2;
		if (shrink > 1 &&
		    (double)header->Xsize * header->Ysize * 4 / (shrink * shrink) <= full_pixels / 2)
			shrink /= 2;
	}
	VipsImage *decoded;
	double blockiness;
	if (shrink > 1 && !(header = open_header(ctx, data, length, format, shrink)))
		return -1;
	VipsImage *reduced;
	if (decode(ctx, header, data, length, shrink, format, start, &decoded, &blockiness, &reduced))
		return -1;
	ctx->reduced = reduced;
	if (!strcmp(format, "png"))
		png_text_exif(decoded);
	set_image(ctx, decoded, shrink, blockiness);
	if (shrink > 1)
		ctx->encoded = g_bytes_new(data, length);
	return 0;
}

/* Decodes the kept file again at the least JPEG shrink that gives SCALE. */
static int
develop(LrContext *ctx, double scale)
{
	int shrink = 8;
	while (shrink > 1 && 1.0 / shrink < scale)
		shrink /= 2;
	gsize length;
	const void *data = g_bytes_get_data(ctx->encoded, &length);
	/* The smaller decode goes first: it and a full-size 48 MP decode (144 MB) need not be held
	 * together. Nothing reads it again: the stages before kept what they measured. */
	g_clear_object(&ctx->normalized);
	g_clear_object(&ctx->image);
	VipsImage *header = open_header(ctx, data, length, ctx->format, shrink), *decoded;
	double blockiness;
	if (!header || decode(ctx, header, data, length, shrink, ctx->format, g_get_monotonic_time(),
			      &decoded, &blockiness, NULL))
		return -1;
	set_image(ctx, decoded, shrink, blockiness);
	if (shrink == 1)
		g_clear_pointer(&ctx->encoded, g_bytes_unref);
	return lr_normalize_refresh(ctx);
}

int
lr_load_develop(LrContext *ctx, double scale)
{
	int err = ctx->encoded && ctx->image_scale < scale ? develop(ctx, scale) : 0;
	if (ctx->release_source)
		g_clear_pointer(&ctx->encoded, g_bytes_unref);
	return err;
}
