/* jpeg.h: JPEG straight through libjpeg-turbo, where libvips's wrapping costs time: the decode of a
 * clean baseline photo, and the encoding of renditions. */
#ifndef LR_JPEG_H
#define LR_JPEG_H

#include <vips/vips.h>

#include "filters/resample.h"

/* Decodes DATA (LENGTH bytes, a JPEG whose header libvips has read into HEADER, shrunk on load by
 * SHRINK: 1, 2, 4 or 8) into *OUT, a new memory image carrying HEADER's metadata and the same pixels
 * libvips decodes, unless the monotonic clock passes DEADLINE (checked between strips of rows). With
 * BLOCKINESS (else NULL), lr_metric_blockiness of the decoded pixels goes there, measured on each strip
 * while it is still in the cache: a pass of its own after the decode fetched a 12 MP photo from memory
 * again (decode and measure 66 -> 60 ms). With REDUCE (else NULL), each strip also goes on to that
 * resampler, which makes the view from it in the same pass. Only the common case is taken: a baseline, Huffman-coded,
 * 8-bit YCbCr JPEG that decodes without a single libjpeg warning. Returns 0 when decoded; -1 (*OUT NULL) when the deadline passed; 1 (*OUT NULL, no
 * error) for anything else (progressive, grey, CMYK, damaged, truncated), which the caller decodes
 * through libvips, whose error handling (fail_on) then decides. */
int lr_jpeg_decode(VipsImage *header, const void *data, size_t length, int shrink, gint64 deadline,
		   double *blockiness, LrResampler *reduce, VipsImage **out);

/* Encodes IMAGE (uchar sRGB, 3 bands, in memory) as a baseline (or PROGRESSIVE) 4:4:4 JPEG of
 * QUALITY, with the standard Huffman tables unless OPTIMIZE, carrying a JFIF header and ICC (ICC_LENGTH
 * bytes; none when NULL) and nothing else. *DATA is g_malloc'd. Returns 0, or -1 with a libvips
 * error. */
int lr_jpeg_encode(VipsImage *image, int quality, gboolean optimize, gboolean progressive,
		   const void *icc, size_t icc_length, void **data, size_t *length);

#endif
