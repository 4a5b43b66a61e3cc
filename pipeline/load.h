/* load.h: from bytes to a decoded image, or a quarantine reason.
 *
 * The loader sniffs the type from the bytes (never the name), refuses what is not a photo format we
 * accept, checks the size limits from the header before decoding a single pixel, and decodes with
 * libvips's fail_on=truncated so that a half-uploaded file is caught here and not turned into a
 * grey-bottomed rendition.
 */
#ifndef LR_LOAD_H
#define LR_LOAD_H

#include "filters/context.h"

/* Once per process: libvips settings the loader relies on (untrusted loaders such as ImageMagick's
 * blocked). Call after VIPS_INIT. */
void lr_load_init(void);

/* Decodes LENGTH bytes of DATA into CTX: sets ctx->format, source size, icc, orientation and ctx->image
 * (in memory, so DATA may be freed afterwards). Limits come from the profile's [limits] group. Returns 0,
 * or -1 with lr_context_fail() called with one of the codes unreadable, truncated, too_many_pixels,
 * file_too_large, unsupported_format. */
int lr_load_bytes(LrContext *ctx, const void *data, gsize length);

#endif
