/* exif.h: the EXIF summary kept in the catalog — capture time, make, model, and only whether the photo
 * carried GPS coordinates (never the coordinates themselves). */
#ifndef LR_EXIF_H
#define LR_EXIF_H

#include <glib.h>

typedef struct {
	char *capture_time; /* "YYYY-MM-DD HH:MM:SS", or NULL */
	char *make;
	char *model;
	gboolean has_gps;
} LrExifSummary;

/* Parses the raw EXIF block DATA (LENGTH bytes, with or without the "Exif\0\0" header) into *OUT.
 * Damaged or partial blocks give whatever could be read; never fails. Clear with lr_exif_summary_clear. */
void lr_exif_summary_parse(const void *data, gsize length, LrExifSummary *out);

/* The Orientation tag (IFD0) of the raw EXIF block DATA (LENGTH bytes, with or without the "Exif\0\0"
 * header): 1..8, or 1 when the block has none, cannot be parsed or holds a value outside 1..8. */
int lr_exif_orientation(const void *data, gsize length);

/* Decodes the hex EXIF block that ImageMagick and exiftool write into a PNG text chunk named "Raw profile
 * type exif" (or "... APP1"): TEXT is "\n<type>\n<decimal length>\n<hex digits with newlines>". Returns
 * the bytes (caller frees) and their count in *LENGTH, or NULL when TEXT is not such a block. */
guchar *lr_exif_from_png_text(const char *text, gsize *length);

/* Frees the strings of SUMMARY and zeroes it. */
void lr_exif_summary_clear(LrExifSummary *summary);

#endif
