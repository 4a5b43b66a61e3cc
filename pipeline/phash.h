/* phash.h: a perceptual hash for near-duplicate photos (the DCT hash of Zauner, "Implementation and
 * Benchmarking of Perceptual Image Hash Functions", 2010): resampling, re-encoding and small light
 * changes move few of its 64 bits; another photo moves about half. */
#ifndef LR_PHASH_H
#define LR_PHASH_H

#include <vips/vips.h>

/* The 64-bit DCT hash of IMAGE (sRGB, any size). Returns 0 and sets *HASH, or -1 (vips error). */
int lr_phash(VipsImage *image, guint64 *hash);

/* Number of differing bits. */
int lr_phash_distance(guint64 a, guint64 b);

#endif
