/* load.h: from bytes to a decoded image, or a quarantine reason.
 *
 * The loader sniffs the type from the bytes (never the name), refuses what is not a photo format we
 * accept, checks the size limits from the header before decoding a single pixel, and decodes with
 * libvips's fail_on=truncated so that a half-uploaded file is caught here and not turned into a
 * grey-bottomed rendition. Decoding is also bounded in time ([limits] max_decode_seconds), and a decoder's
 * error text is translated into a reason a curator understands.
 */
#ifndef LR_LOAD_H
#define LR_LOAD_H

#include "filters/context.h"

/* Once per process, instead of VIPS_INIT: starts libvips (ARGV0 as VIPS_INIT takes it) with the one
 * module whose formats listready reads (libheif's), and makes the settings the loader relies on
 * (untrusted loaders such as ImageMagick's blocked). Returns 0, or -1 (vips error set). */
int lr_load_init(const char *argv0);

/* Decodes LENGTH bytes of DATA into CTX: sets ctx->format, source size, icc, orientation and ctx->image
 * (in memory, so DATA may be freed afterwards). A JPEG of more than [limits] full_decode_max_pixels is
 * decoded shrunk on load to the analysis view's size, and a copy of DATA kept for lr_load_develop(). Limits come from the profile's [limits] group: max_file_bytes,
 * max_pixels (checked from the header) and max_decode_seconds. Returns 0,
 * or -1 with lr_context_fail() called with one of the codes unreadable, truncated, too_many_pixels,
 * file_too_large, unsupported_format. */
int lr_load_bytes(LrContext *ctx, const void *data, gsize length);

/* Makes ctx->image at least SCALE of the source's size (upright pixels per source pixel), decoding the
 * kept file again with the least JPEG shrink-on-load that gives it, and remakes ctx->normalized. Does
 * nothing when ctx->image is that large already (every photo but a large JPEG is decoded whole at
 * once). With ctx->release_source the kept file goes after: the pipeline develops once, at the largest
 * scale any later stage needs. Returns 0, or -1 with lr_context_fail() called. */
int lr_load_develop(LrContext *ctx, double scale);

/* Translates DETAIL, the libvips error text of a failed decode of a FORMAT ("jpeg", "png", ...) file,
 * into a quarantine reason code (returned, static) and a message a curator understands (*MESSAGE, caller
 * frees): "12-bit JPEG is not supported", not "VipsJpeg: Unsupported JPEG data precision 12". HEADER says
 * whether the failure came while reading the header. Unknown texts give "unreadable". */
const char *lr_load_explain_error(const char *format, const char *detail, gboolean header,
				  char **message);

#endif
