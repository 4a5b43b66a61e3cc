/* test_realworld.c: every file of the real-world corpus (../shared/realworld/EXPECTED.tsv) through the
 * listready binary, one child process per file, with the outcome EXPECTED.tsv asks for.
 *
 * Ground truth: EXPECTED.tsv's outcome per file, the file's own EXIF orientation read here with libexif,
 * and the file's own pixels decoded by libvips without autorotation. A `process` file must come out
 * upright — normalized.png from `explain --dump` must match a reference made here by applying the
 * orientation to the raw pixels (HEIF/AVIF: libheif has already applied irot/imir, so the decoded pixels
 * are the reference), converted to sRGB, with the light gains the report says were applied — in sRGB,
 * and with no EXIF, XMP or IPTC in any rendition. A `quarantine:<reasons>` file must be quarantined with
 * one of those reasons and a curator's message, within 5 s and with the child's address space limited to
 * 512 MiB (and its peak resident size checked against the same, which also holds under ASan). Nothing may crash, and every original must be kept byte-identical in the store.
 *
 * The corpus is split into four GLib test paths (quarantine, HEIF/AVIF, JPEG, the rest) so that ctest can run
 * them side by side; see tests/CMakeLists.txt.
 */
#include "tests/testutil.h"

#include <json-glib/json-glib.h>
#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <webp/mux.h>

#define QUARANTINE_SECONDS 5.0
#define QUARANTINE_BYTES (512UL << 20)

typedef struct {
	char *file;     /* relative to the corpus */
	char *expected; /* "process", "either", "quarantine:a|b" */
} Entry;

static void
entry_free(gpointer data)
{
	Entry *e = data;
	g_free(e->file);
	g_free(e->expected);
	g_free(e);
}

static GPtrArray *
read_expected(void)
{
	g_autofree char *path = lr_test_realworld("EXPECTED.tsv");
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (int i = 1; lines[i]; i++) { /* line 0 is the header */
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
		if (g_strv_length(f) < 3)
			continue;
		Entry *e = g_new0(Entry, 1);
		e->file = g_strdup(f[0]);
		e->expected = g_strdup(g_strstrip(f[2]));
		g_ptr_array_add(entries, e);
	}
	g_assert_cmpuint(entries->len, >=, 50);
	return entries;
}

/* AddressSanitizer reserves terabytes of address space for its shadow, so under it the address-space
 * limit cannot be set; the children's peak resident size is still checked. */
#if defined(__SANITIZE_ADDRESS__)
#define LIMIT_ADDRESS_SPACE FALSE
#else
#define LIMIT_ADDRESS_SPACE TRUE
#endif

/* In the child, before exec: the address-space limit for quarantine runs. */
static void
limit_memory(gpointer data)
{
	struct rlimit rl = { QUARANTINE_BYTES, QUARANTINE_BYTES };
	if (LIMIT_ADDRESS_SPACE)
		setrlimit(RLIMIT_AS, &rl);
}

/* The largest peak resident size of any child waited for so far, in bytes. */
static double
children_peak_bytes(void)
{
	struct rusage ru;
	g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &ru), ==, 0);
	return ru.ru_maxrss * 1024.0;
}

/* Runs ARGV (limited when LIMITED); returns stdout, the exit status in *STATUS (-signal when killed)
 * and the wall time in *SECONDS. */
static char *
run(const char *const *argv, gboolean limited, int *status, double *seconds)
{
	char *out = NULL, *err = NULL;
	GError *error = NULL;
	int wait;
	gint64 start = g_get_monotonic_time();
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
				   limited ? limit_memory : NULL, NULL, &out, &err, &wait, &error));
	*seconds = (g_get_monotonic_time() - start) / 1e6;
	g_assert_no_error(error);
	g_free(err);
	*status = WIFEXITED(wait) ? WEXITSTATUS(wait) : WIFSIGNALED(wait) ? -WTERMSIG(wait) : -1000;
	return out;
}

static const char *
binary(void)
{
	const char *bin = g_getenv("LR_LISTREADY");
	g_assert_nonnull(bin);
	return bin;
}

static JsonObject *
parse(JsonParser *parser, const char *text)
{
	GError *error = NULL;
	g_assert_nonnull(text);
	g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
	g_assert_no_error(error);
	return json_node_get_object(json_parser_get_root(parser));
}

/* The EXIF orientation of PATH as libexif reads it from the raw EXIF block libvips found (1 when
 * none or invalid); and for PNGs the ImageMagick text chunk, which only EXPECTED.tsv's one file uses. */
static int
exif_orientation(VipsImage *raw)
{
	const void *data = NULL;
	size_t length = 0;
	if (vips_image_get_typeof(raw, VIPS_META_EXIF_NAME))
		g_assert_cmpint(vips_image_get_blob(raw, VIPS_META_EXIF_NAME, &data, &length), ==, 0);
	g_autofree guchar *hex = NULL;
	const char *text;
	if (!data &&
	    !vips_image_get_string(raw, "png-comment-0-Raw profile type exif", &text)) {
		/* "\nexif\n<len>\n<hex>": decoded here independently of pipeline/exif.c. */
		const char *p = strchr(text + 1, '\n');
		g_assert_nonnull(p);
		p = strchr(p + 1, '\n');
		g_assert_nonnull(p);
		GString *bytes = g_string_new(NULL);
		for (int high = -1; *p; p++) {
			if (!g_ascii_isxdigit(*p))
				continue;
			if (high < 0)
				high = g_ascii_xdigit_value(*p);
			else {
				g_string_append_c(bytes, (char)(high << 4 | g_ascii_xdigit_value(*p)));
				high = -1;
			}
		}
		if (bytes->len < 6 || memcmp(bytes->str, "Exif", 4))
			g_string_prepend_len(bytes, "Exif\0\0", 6); /* libexif wants the header */
		length = bytes->len;
		hex = (guchar *)g_string_free(bytes, FALSE);
		data = hex;
	}
	if (!data)
		return 1;
	ExifData *ed = exif_data_new_from_data(data, (unsigned int)length);
	int o = 1;
	ExifEntry *entry = ed ? exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION)
			      : NULL;
	if (entry && entry->format == EXIF_FORMAT_SHORT)
		o = exif_get_short(entry->data, exif_data_get_byte_order(ed));
	if (ed)
		exif_data_unref(ed);
	return o >= 1 && o <= 8 ? o : 1;
}

/* RAW (stored pixels) turned upright for EXIF orientation O, by our own transposes and flips. */
static VipsImage *
orient(VipsImage *raw, int o)
{
	VipsImage *a, *b;
	/* 5..8 transpose (a rot90 plus a flip); then 2,3,4 / 5,6,7,8 need what is left. */
	switch (o) {
	case 2:
		g_assert_cmpint(vips_flip(raw, &a, VIPS_DIRECTION_HORIZONTAL, NULL), ==, 0);
		return a;
	case 3:
		g_assert_cmpint(vips_rot(raw, &a, VIPS_ANGLE_D180, NULL), ==, 0);
		return a;
	case 4:
		g_assert_cmpint(vips_flip(raw, &a, VIPS_DIRECTION_VERTICAL, NULL), ==, 0);
		return a;
	case 5: /* transpose */
		g_assert_cmpint(vips_rot(raw, &a, VIPS_ANGLE_D90, NULL), ==, 0);
		g_assert_cmpint(vips_flip(a, &b, VIPS_DIRECTION_HORIZONTAL, NULL), ==, 0);
		g_object_unref(a);
		return b;
	case 6:
		g_assert_cmpint(vips_rot(raw, &a, VIPS_ANGLE_D90, NULL), ==, 0);
		return a;
	case 7: /* transverse */
		g_assert_cmpint(vips_rot(raw, &a, VIPS_ANGLE_D270, NULL), ==, 0);
		g_assert_cmpint(vips_flip(a, &b, VIPS_DIRECTION_HORIZONTAL, NULL), ==, 0);
		g_object_unref(a);
		return b;
	case 8:
		g_assert_cmpint(vips_rot(raw, &a, VIPS_ANGLE_D270, NULL), ==, 0);
		return a;
	default:
		return g_object_ref(raw);
	}
}

/* The reference for PATH: decoded without autorotation, oriented by hand, to 8-bit sRGB (ICC through
 * lcms, CMYK without one through libvips's default), alpha flattened on white, then the reported light
 * gains in linear light. */
static VipsImage *
reference(const char *path, gboolean heif, int *orientation, const double *gains)
{
	VipsImage *raw = vips_image_new_from_file(path, NULL);
	g_assert_nonnull(raw);
	*orientation = heif ? 1 : exif_orientation(raw);
	VipsImage *up = orient(raw, *orientation), *srgb, *flat, *three, *lin, *lit, *out, *u8;
	if (vips_image_get_typeof(up, VIPS_META_ICC_NAME) &&
	    !vips_icc_transform(up, &srgb, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_PERCEPTUAL,
				"depth", 8, NULL))
		; /* a broken profile falls through to the header's colour space, as in normalize */
	else if (up->Type == VIPS_INTERPRETATION_CMYK)
		g_assert_cmpint(vips_icc_transform(up, &srgb, "srgb", "input_profile", "cmyk", "intent",
						   VIPS_INTENT_PERCEPTUAL, "depth", 8, NULL),
				==, 0);
	else {
		vips_error_clear();
		vips_image_remove(up, VIPS_META_ICC_NAME);
		g_assert_cmpint(vips_colourspace(up, &srgb, VIPS_INTERPRETATION_sRGB, NULL), ==, 0);
	}
	if (srgb->Bands == 4 || srgb->Bands == 2) {
		VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		g_assert_cmpint(vips_flatten(srgb, &flat, "background", white, NULL), ==, 0);
		vips_area_unref(VIPS_AREA(white));
	} else
		flat = g_object_ref(srgb);
	if (flat->BandFmt == VIPS_FORMAT_USHORT)
		g_assert_cmpint(vips_linear1(flat, &three, 1 / 257.0, 0, "uchar", TRUE, NULL), ==, 0);
	else
		g_assert_cmpint(vips_cast_uchar(flat, &three, NULL), ==, 0);
	three->Type = VIPS_INTERPRETATION_sRGB;
	/* The light gains, the textbook way: sRGB -> scRGB (linear), multiply, back. */
	g_assert_cmpint(vips_colourspace(three, &lin, VIPS_INTERPRETATION_scRGB, NULL), ==, 0);
	g_assert_cmpint(vips_linear(lin, &lit, (double *)gains, (double[]){ 0, 0, 0 }, 3, NULL), ==,
			0);
	g_assert_cmpint(vips_colourspace(lit, &out, VIPS_INTERPRETATION_sRGB, NULL), ==, 0);
	g_assert_cmpint(vips_cast_uchar(out, &u8, NULL), ==, 0);
	VipsImage *result = vips_image_copy_memory(u8);
	VipsImage *all[] = { raw, up, srgb, flat, three, lin, lit, out, u8 };
	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		g_object_unref(all[i]);
	return result;
}

static gboolean
jpeg_has_segment(const guchar *p, gsize length, guchar marker)
{
	size_t i = 2;
	while (i + 4 <= length && p[i] == 0xFF && p[i + 1] != 0xDA) {
		if (p[i + 1] == marker)
			return TRUE;
		i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
	}
	return FALSE;
}

static gboolean
webp_has_chunk(const guchar *p, gsize length, const char *fourcc)
{
	WebPData data = { p, length }, chunk;
	WebPMux *mux = WebPMuxCreate(&data, 0);
	g_assert_nonnull(mux);
	gboolean has = WebPMuxGetChunk(mux, fourcc, &chunk) == WEBP_MUX_OK;
	WebPMuxDelete(mux);
	return has;
}

/* Every rendition of report O is on disk, private and sRGB. */
static void
check_renditions(JsonObject *o)
{
	JsonArray *renditions = json_object_get_array_member(o, "renditions");
	g_assert_cmpuint(json_array_get_length(renditions), >=, 1);
	for (guint r = 0; r < json_array_get_length(renditions); r++) {
		JsonObject *ro = json_array_get_object_element(renditions, r);
		const char *format = json_object_get_string_member(ro, "format");
		g_autofree guchar *data = NULL;
		gsize length;
		g_assert_true(g_file_get_contents(json_object_get_string_member(ro, "path"),
						  (char **)&data, &length, NULL));
		g_assert_cmpint(length, ==, json_object_get_int_member(ro, "bytes"));
		if (!strcmp(format, "jpeg")) {
			g_assert_false(jpeg_has_segment(data, length, 0xE1)); /* EXIF, XMP */
			g_assert_false(jpeg_has_segment(data, length, 0xED)); /* IPTC */
			g_assert_true(jpeg_has_segment(data, length, 0xE2));  /* the sRGB profile */
		} else if (!strcmp(format, "webp")) {
			g_assert_false(webp_has_chunk(data, length, "EXIF"));
			g_assert_false(webp_has_chunk(data, length, "XMP "));
		}
		VipsImage *back = vips_image_new_from_buffer(data, length, "", NULL);
		g_assert_nonnull(back);
		g_assert_false(vips_image_get_typeof(back, VIPS_META_EXIF_NAME));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_XMP_NAME));
		g_assert_false(vips_image_get_typeof(back, VIPS_META_IPTC_NAME));
		g_assert_cmpint(vips_image_get_orientation(back), ==, 1);
		g_assert_cmpint(back->Type, ==, VIPS_INTERPRETATION_sRGB);
		g_assert_cmpint(back->Bands, ==, 3);
		if (vips_image_get_typeof(back, VIPS_META_ICC_NAME)) {
			const void *icc;
			size_t icc_len;
			g_assert_cmpint(vips_image_get_blob(back, VIPS_META_ICC_NAME, &icc, &icc_len), ==,
					0);
			g_assert_cmpuint(icc_len, >, 20);
			g_assert_cmpmem((const char *)icc + 16, 4, "RGB ", 4);
		}
		g_object_unref(back);
	}
}

/* The kept original of report O in STORE is byte-identical to PATH. */
static void
check_original(const char *store, JsonObject *o, const char *path)
{
	g_autofree char *db_path = g_build_filename(store, "listready.db", NULL);
	sqlite3 *db;
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_open(db_path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT original_path FROM images WHERE id = ?", -1,
					   &st, NULL),
			==, SQLITE_OK);
	sqlite3_bind_int64(st, 1, json_object_get_int_member(o, "id"));
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_assert_nonnull(sqlite3_column_text(st, 0));
	g_autofree char *kept = g_build_filename(store, sqlite3_column_text(st, 0), NULL);
	sqlite3_finalize(st);
	sqlite3_close(db);
	g_autofree char *a = NULL, *b = NULL;
	gsize la, lb;
	g_assert_true(g_file_get_contents(kept, &a, &la, NULL));
	g_assert_true(g_file_get_contents(path, &b, &lb, NULL));
	g_assert_cmpmem(a, la, b, lb);
}

/* `explain --dump`: normalized.png matches the hand-made reference. */
static void
check_upright(const char *path, const char *format)
{
	g_autofree char *dump = lr_test_tmpdir();
	const char *argv[] = { binary(), "explain", path, "--dump", dump, NULL };
	int status;
	double seconds;
	g_autofree char *out = run(argv, FALSE, &status, &seconds);
	g_assert_cmpint(status, ==, 0);
	JsonParser *parser = json_parser_new();
	JsonObject *o = parse(parser, out);
	JsonObject *norm = json_object_get_object_member(o, "normalize");
	g_assert_nonnull(norm);
	JsonArray *wb = json_object_get_array_member(
		json_object_get_object_member(norm, "white_balance"), "gains");
	double exposure = json_object_get_double_member(
		json_object_get_object_member(norm, "exposure"), "gain");
	double gains[3];
	for (int c = 0; c < 3; c++)
		gains[c] = json_array_get_double_element(wb, c) * exposure;

	gboolean heif = !strcmp(format, "heif") || !strcmp(format, "avif");
	int orientation;
	VipsImage *ref = reference(path, heif, &orientation, gains);
	g_autofree char *norm_path = g_build_filename(dump, "normalized.png", NULL);
	VipsImage *normalized = vips_image_new_from_file(norm_path, NULL);
	g_assert_nonnull(normalized);
	g_assert_cmpint(normalized->Bands, ==, 3);
	g_assert_cmpint(normalized->BandFmt, ==, VIPS_FORMAT_UCHAR);
	g_assert_cmpint(json_object_get_int_member(o, "orientation"), ==, orientation);
	double mad = lr_test_mad(normalized, ref);
	g_test_message("  orientation %d, %dx%d, gains %.3f %.3f %.3f, mean abs difference %.2f",
		       orientation, normalized->Xsize, normalized->Ysize, gains[0], gains[1], gains[2],
		       mad);
	g_assert_cmpfloat(mad, >=, 0); /* -1: sizes differ, so not upright */
	g_assert_cmpfloat(mad, <, 2);
	g_object_unref(ref);
	g_object_unref(normalized);
	g_object_unref(parser);
}

/* Runs the entries of GROUP: "quarantine", "heif" (other files decoded by libheif), "jpeg" or "other". */
static void
walk(gconstpointer data)
{
	const char *group = data;
	GPtrArray *entries = read_expected();
	g_autofree char *tmp = lr_test_tmpdir();
	JsonParser *parser = json_parser_new();
	int n = 0;

	for (guint i = 0; i < entries->len; i++) {
		const Entry *e = g_ptr_array_index(entries, i);
		gboolean quarantine = g_str_has_prefix(e->expected, "quarantine:");
		gboolean heif = g_str_has_suffix(e->file, ".heic") || g_str_has_suffix(e->file, ".avif");
		gboolean jpeg = g_str_has_suffix(e->file, ".jpg");
		if (strcmp(group, quarantine ? "quarantine" : heif ? "heif" : jpeg ? "jpeg" : "other"))
			continue;
		n++;
		g_autofree char *path = lr_test_realworld(e->file);
		g_autofree char *store = g_strdup_printf("%s/store%u", tmp, i);
		const char *argv[] = { binary(), "process", "--store", store, path, NULL };
		int status;
		double seconds;
		g_autofree char *out = run(argv, quarantine, &status, &seconds);
		g_assert_cmpint(status, ==, 0); /* no crash, no killed child, a definite outcome */
		JsonObject *o = parse(parser, out);
		const char *got = json_object_get_string_member(o, "status");
		JsonArray *reasons = json_object_get_array_member(o, "reasons");
		JsonObject *source = json_object_get_object_member(o, "source");
		const char *code = json_array_get_length(reasons)
					   ? json_object_get_string_member(
						     json_array_get_object_element(reasons, 0), "code")
					   : "-";
		const char *message = json_array_get_length(reasons)
					      ? json_object_get_string_member(
							json_array_get_object_element(reasons, 0), "message")
					      : "";
		g_test_message("%s: expected %s, got %s (%s: %s) in %.2f s", e->file, e->expected, got,
			       code, message, seconds);
		g_assert_cmpint(json_object_get_int_member(o, "id"), >, 0);
		check_original(store, o, path);

		if (quarantine) {
			g_assert_cmpstr(got, ==, "quarantined");
			g_auto(GStrv) allowed =
				g_strsplit(e->expected + strlen("quarantine:"), "|", -1);
			g_assert_true(g_strv_contains((const char *const *)allowed, code));
			g_assert_cmpuint(strlen(message), >, 15);
			/* A curator's sentence, not a decoder's: no library prefixes. */
			g_assert_null(strstr(message, "Vips"));
			g_assert_null(strstr(message, "heif:"));
			g_assert_null(strstr(message, "libpng"));
			g_assert_cmpfloat(seconds, <, QUARANTINE_SECONDS);
			/* Only quarantine files have run in this process, so this peak is theirs. */
			g_test_message("  peak resident size of the children so far: %.0f MiB",
				       children_peak_bytes() / (1 << 20));
			g_assert_cmpfloat(children_peak_bytes(), <, QUARANTINE_BYTES);
			g_assert_cmpuint(json_array_get_length(
						 json_object_get_array_member(o, "renditions")),
					 ==, 0);
		} else if (!strcmp(e->expected, "process")) {
			g_assert_true(!strcmp(got, "accepted") || !strcmp(got, "needs_review"));
			check_renditions(o);
			check_upright(path, json_object_get_string_member(source, "format"));
		} else /* either: any definite outcome */
			g_assert_true(!strcmp(got, "accepted") || !strcmp(got, "needs_review") ||
				      !strcmp(got, "quarantined"));
	}
	g_assert_cmpint(n, >, 0);
	g_object_unref(parser);
	g_ptr_array_free(entries, TRUE);
}

int
main(int argc, char **argv)
{
	lr_test_init(&argc, &argv);
	/* Broken files make libvips warn ("corrupt profile"): expected here, so not fatal. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_test_add_data_func("/realworld/quarantine", "quarantine", walk);
	g_test_add_data_func("/realworld/heif", "heif", walk);
	g_test_add_data_func("/realworld/jpeg", "jpeg", walk);
	g_test_add_data_func("/realworld/other", "other", walk);
	return g_test_run();
}
