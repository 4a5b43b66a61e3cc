/* export.h: `listready export` — accepted assets as a folder a marketplace bulk-upload tool can take:
 * renditions named by product and position, and a manifest (CSV or JSON) with their checksums. */
#ifndef LR_EXPORT_H
#define LR_EXPORT_H

#include "pipeline/store.h"

typedef struct {
	const char *out_dir;
	const char *profile;  /* only assets processed with this profile, or NULL for all */
	gint64 after;         /* only assets changed after this feed cursor (0 for all) */
	gboolean json;        /* manifest.json instead of manifest.csv */
} LrExportOptions;

/* Exports the accepted assets of STORE chosen by OPTIONS into options->out_dir:
 * OUT/PRODUCT/PRODUCT_POSITION_RENDITION.EXT for each rendition (PRODUCT is the product id made safe
 * for a file name, or "asset-ID" without one; POSITION the asset's place, from 1, among the
 * product's accepted photos in the order they arrived) and OUT/manifest.csv or manifest.json with
 * one entry per file (product, position, asset id, rendition, format, size, bytes, sha256, file).
 * Every copied file is checked against its recorded SHA-256 and written atomically. Sets
 * *NEXT_CURSOR (for the next --after), *ASSETS and *FILES. Returns 0, or -1 with ERROR set. */
int lr_export(LrStore *store, const LrExportOptions *options, gint64 *next_cursor, int *assets,
	      int *files, GError **error);

#endif
