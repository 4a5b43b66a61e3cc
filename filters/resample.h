/* resample.h: downscaling in linear light, shared by the stages that make output pixels.
 *
 * A fine woven pattern of dark and light threads averaged in gamma-encoded sRGB comes out darker and
 * greyer than it looks; averaged in linear light it keeps its brightness. The pixels go through a
 * 256-entry table into 16-bit linear light (exact enough: sRGB level 1 is 20 there), are resampled by
 * libvips in 16 bits, and come back through a 65536-entry table: no float image, and no transfer function
 * computed per pixel. A cut-out (4 bands, straight alpha) is resampled premultiplied, so that the colour
 * of transparent pixels cannot bleed into the product's edge, and un-premultiplied after.
 */
#ifndef LR_RESAMPLE_H
#define LR_RESAMPLE_H

#include <vips/vips.h>

/* IN (uchar sRGB, 3 bands, or 4 with straight alpha) scaled by SCALE (<= 1) in linear light with a
 * Lanczos-3 kernel. *OUT is a new uchar image of as many bands, in memory. Returns 0 or -1. */
int lr_resample_linear(VipsImage *in, double scale, VipsImage **out);

#endif
