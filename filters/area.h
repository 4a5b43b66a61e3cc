/* area.h: reading an area of the photo at a chosen scale, and the product mask over it.
 *
 * No stage holds the whole photo upright and corrected at full size: a 48 MP photo would be 144 MB a
 * copy. Each stage asks for the area it needs at the scale it needs (analyse: the whole photo at the
 * 2000 px view, the product at the blur-measuring scale; compose: the product's frame at the output
 * scale), and the normalization (orientation, colour to sRGB, light correction) runs on that area only,
 * after the reduction where the result allows it.
 */
#ifndef LR_AREA_H
#define LR_AREA_H

#include "filters/context.h"

/* Where an area image lies in the photo: its pixel (x, y) spans the source (upright, full-size) pixels
 * [left + x / scale_x, left + (x + 1) / scale_x) x [top + y / scale_y, top + (y + 1) / scale_y). */
typedef struct {
	double left, top, scale_x, scale_y;
} LrPlacement;

/* AREA (upright source pixels; NULL for the whole photo) of CTX's photo, normalized, at SCALE of the
 * source's size (never above what was decoded: see ctx->image_scale). LINEAR resamples in linear light
 * with Lanczos-3 (for output pixels); otherwise gamma-space and bilinear (for measuring). *OUT is a new
 * memory image, uchar sRGB, 3 bands; *PLACEMENT (may be NULL) says exactly where it lies. Returns 0 or -1
 * (vips error set). Implemented in normalize.c. */
int lr_normalize_area(LrContext *ctx, const LrRect *area, double scale, gboolean linear,
		      VipsImage **out, LrPlacement *placement);

/* Remakes ctx->normalized, the lazy upright corrected image, from ctx->image (after the loader
 * replaced it). Returns 0, or -1 with CTX failed. Implemented in normalize.c. */
int lr_normalize_refresh(LrContext *ctx);

/* The product mask over IMAGE, an area of CTX's photo placed at PLACEMENT (as lr_normalize_area gives
 * it): the analysis mask carried up with the guided filter, IMAGE the guide. *OUT is a new uchar image of
 * IMAGE's size, 255 = product, soft edge. Returns 0 or -1. Implemented in analyse.c. */
int lr_mask_area(LrContext *ctx, VipsImage *image, const LrPlacement *placement, VipsImage **out);

#endif
