/* exif.c: reading the catalog's EXIF summary with libexif.
 *
 * Uploads carry every kind of broken EXIF (zero denominators, offsets outside the segment, wrong tag
 * types); libexif skips what it cannot parse, and we read only a few ASCII tags, sanitised to printable
 * UTF-8, so nothing here can fail the photo.
 */
#include "pipeline/exif.h"

#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>
#include <string.h>

static char *
ascii_tag(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
	ExifEntry *entry = exif_content_get_entry(ed->ifd[ifd], tag);
	if (!entry || entry->format != EXIF_FORMAT_ASCII || !entry->data || !entry->size)
		return NULL;
	char *s = g_strndup((const char *)entry->data, MIN(entry->size, 256));
	g_strstrip(s);
	/* Keep only printable ASCII: the value ends up in JSON and HTML. */
	for (char *p = s; *p; p++)
		if (!g_ascii_isprint(*p))
			*p = '?';
	if (!*s) {
		g_free(s);
		return NULL;
	}
	return s;
}

void
lr_exif_summary_parse(const void *data, gsize length, LrExifSummary *out)
{
	memset(out, 0, sizeof(*out));
	if (!data || length < 8 || length > G_MAXUINT)
		return;
	ExifData *ed = exif_data_new();
	if (!ed)
		return;
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, data, (unsigned int)length);

	out->capture_time = ascii_tag(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL);
	if (!out->capture_time)
		out->capture_time = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME);
	if (out->capture_time && strlen(out->capture_time) >= 10) {
		/* EXIF writes "YYYY:MM:DD HH:MM:SS"; the catalog keeps ISO-style dashes. */
		out->capture_time[4] = '-';
		out->capture_time[7] = '-';
	}
	out->make = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_MAKE);
	out->model = ascii_tag(ed, EXIF_IFD_0, EXIF_TAG_MODEL);
	ExifContent *gps = ed->ifd[EXIF_IFD_GPS];
	out->has_gps = gps && (exif_content_get_entry(gps, EXIF_TAG_GPS_LATITUDE) ||
			       exif_content_get_entry(gps, EXIF_TAG_GPS_LONGITUDE));
	exif_data_unref(ed);
}

int
lr_exif_orientation(const void *data, gsize length)
{
	if (!data || length < 8 || length > G_MAXUINT)
		return 1;
	ExifData *ed = exif_data_new();
	if (!ed)
		return 1;
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, data, (unsigned int)length);
	int orientation = 1;
	ExifEntry *entry = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
	if (entry && entry->format == EXIF_FORMAT_SHORT && entry->components >= 1 && entry->size >= 2) {
		int v = exif_get_short(entry->data, exif_data_get_byte_order(ed));
		if (v >= 1 && v <= 8) /* anything else is not an orientation: treat it as upright */
			orientation = v;
	}
	exif_data_unref(ed);
	return orientation;
}

guchar *
lr_exif_from_png_text(const char *text, gsize *length)
{
	*length = 0;
	if (!text)
		return NULL;
	/* Skip the blank line and the type line, then read the declared length. */
	const char *p = text;
	while (*p == '\n' || *p == '\r')
		p++;
	p = strchr(p, '\n');
	if (!p)
		return NULL;
	char *end;
	guint64 declared = g_ascii_strtoull(p + 1, &end, 10);
	if (end == p + 1 || declared < 8 || declared > 1 << 20)
		return NULL;
	guchar *out = g_malloc(declared);
	gsize n = 0;
	int high = -1;
	for (p = end; *p && n < declared; p++) {
		if (g_ascii_isspace(*p))
			continue;
		int v = g_ascii_xdigit_value(*p);
		if (v < 0)
			break;
		if (high < 0)
			high = v;
		else {
			out[n++] = (guchar)(high << 4 | v);
			high = -1;
		}
	}
	if (n != declared) {
		g_free(out);
		return NULL;
	}
	*length = n;
	return out;
}

void
lr_exif_summary_clear(LrExifSummary *summary)
{
	g_free(summary->capture_time);
	g_free(summary->make);
	g_free(summary->model);
	memset(summary, 0, sizeof(*summary));
}
