/* jpeg.h: JPEG straight through libjpeg-turbo, where libvips's wrapping costs time: the decode of a
 * clean baseline photo, and the encoding of renditions. */
#ifndef LR_JPEG_H
#define LR_JPEG_H

#include <vips/vips.h>

/* Decodes DATA (LENGTH bytes, a JPEG whose header libvips has read into HEADER, shrunk on load by
 * SHRINK: 1, 2, 4 or 8) into a new memory image carrying HEADER's metadata, the same pixels libvips
 * decodes. Only the common case is taken: a baseline, Huffman-coded, 8-bit YCbCr JPEG that decodes
 * without a single libjpeg warning. Anything else (progressive, grey, CMYK, damaged, truncated) gives
 * NULL and no error, and the caller decodes through libvips, whose error handling (fail_on) then
 * decides. */
VipsImage *lr_jpeg_decode(VipsImage *header, const void *data, size_t length, int shrink);

/* Encodes IMAGE (uchar sRGB, 3 bands, in memory) as a baseline (or PROGRESSIVE) 4:4:4 JPEG of
 * QUALITY, with the standard Huffman tables unless OPTIMIZE, carrying a JFIF header and ICC (ICC_LENGTH
 * bytes; none when NULL) and nothing else. *DATA is g_malloc'd. Returns 0, or -1 with a libvips
 * error. */
int lr_jpeg_encode(VipsImage *image, int quality, gboolean optimize, gboolean progressive,
		   const void *icc, size_t icc_length, void **data, size_t *length);

#endif
