/* sidecar.h: the optional `photo.jpg.json` next to a photo in the inbox, naming the artisan, the
 * product (sku), a title and a profile. A bad sidecar never stops the photo: it goes through with
 * defaults, and the problem is recorded as a warning. */
#ifndef LR_SIDECAR_H
#define LR_SIDECAR_H

#include <glib.h>

#define LR_SIDECAR_MAX_BYTES 65536

typedef struct {
	char *artisan, *sku, *title, *profile; /* NULL when absent or invalid */
} LrSidecar;

/* Reads the sidecar at PATH into *OUT. Returns 1 when one was read (possibly with a *WARNING for
 * fields it had to ignore), 0 when there is none, -1 when it is unusable (too large, not JSON, not
 * an object) with *WARNING set; in every case *OUT holds only valid fields. The caller frees
 * *WARNING and clears *OUT with lr_sidecar_clear(). */
int lr_sidecar_read(const char *path, LrSidecar *out, char **warning);

/* Frees the strings of SIDECAR and zeroes it. */
void lr_sidecar_clear(LrSidecar *sidecar);

#endif
