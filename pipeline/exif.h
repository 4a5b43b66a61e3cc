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

/* Frees the strings of SUMMARY and zeroes it. */
void lr_exif_summary_clear(LrExifSummary *summary);

#endif
