/* fsutil.h: durable file writes shared by the store and the CLI.
 *
 * Every file listready writes goes through lr_write_file_atomic(): a temporary file in the destination's
 * folder, fsync, rename over the final name, fsync of the folder. A reader therefore sees either no file
 * or the whole file, whatever happens to the machine in between.
 */
#ifndef LR_FSUTIL_H
#define LR_FSUTIL_H

#include <glib.h>

/* Writes LENGTH bytes of DATA to PATH atomically (temp file in the same folder, fsync, rename, fsync of
 * the folder). Creates missing parent folders. Returns 0, or -1 with ERROR set; on error no temporary
 * file is left behind and an existing PATH is untouched. */
int lr_write_file_atomic(const char *path, const void *data, gsize length, GError **error);

/* Returns the lowercase hex SHA-256 of DATA (caller frees). */
char *lr_sha256_hex(const void *data, gsize length);

#endif
