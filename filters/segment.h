/* segment.h: the product/background segmentation the analyse stage applies.
 *
 * lr_segment_product() works at a small analysis scale on a plain RGB buffer: a background colour model
 * seeded from the image border and a product model, with a framing prior and, when the photo shows a
 * depth of field, a defocus prior (defocus.h: the room behind the product is blurred, the product sharp),
 * refined by graph cuts (GrabCut-style iterations on a coarsened, then the full 8-connected grid, solved
 * with the max-flow in maxflow.h). lr_segment_upsample() carries the small mask back to full resolution
 * with an edge-aware (guided) filter so the edge follows the full-size image.
 */
#ifndef LR_SEGMENT_H
#define LR_SEGMENT_H

#include <vips/vips.h>

/* Segments the product in RGB (WIDTH*HEIGHT*3 bytes, row-major, sRGB, 8-bit).
 * ALPHA receives WIDTH*HEIGHT bytes: 255 product, 0 background, intermediate values only on the boundary.
 * Several separate objects in the middle of the frame are all product. Shadows cast on the supporting
 * surface are background.
 * *CONFIDENCE receives how sure the segmentation is, 0..1 (low when product and background colours
 * overlap, when no clear product was found, when the product fills nearly all the frame, or when the
 * background is a busy scene and focus does not confirm the cut's outline).
 * Returns 0, or -1 if memory ran out. */
int lr_segment_product(const guchar *rgb, int width, int height, guchar *alpha, double *confidence);

/* Carries ALPHA_SMALL (uchar, 1 band) up to the size of GUIDE (the full-size sRGB uchar image) with a
 * guided filter so the boundary follows GUIDE's edges; the result is uchar, 1 band, 255 = product, with
 * a soft anti-aliased edge. *OUT is a new reference owned by the caller. Returns 0 or -1 (vips error). */
int lr_segment_upsample(VipsImage *guide, VipsImage *alpha_small, VipsImage **out);

/* The guided filter's window radius at the mask's size: a few pixels, as far as the analysis mask can
 * be off. The coefficients reach the mask within two radii of a pixel, and the upsampled mask is exactly
 * 0 wherever the small mask is 0 that far around (and one pixel more, for the interpolation). */
#define LR_SEGMENT_GUIDED_RADIUS 2

/* The guided filter's coefficients of ALPHA_SMALL under GUIDE_SMALL (the photo at the mask's size, the
 * image the mask was computed on): *COEF, a 4-band float image of that size, is computed once per photo
 * and carries the mask to any area at any scale (lr_segment_upsample_area). */
int lr_segment_guided(VipsImage *guide_small, VipsImage *alpha_small, VipsImage **coef);

/* lr_segment_upsample for an area of the photo at any scale, with COEF from lr_segment_guided: GUIDE's
 * pixel (x, y) covers the point (X0 + (x + 0.5) * SX, Y0 + (y + 0.5) * SY) of ALPHA_SMALL, in
 * continuous coordinates where small pixel (i, j) spans [i, i + 1) x [j, j + 1). The result has GUIDE's
 * size. */
int lr_segment_upsample_area(VipsImage *guide, VipsImage *coef, VipsImage *alpha_small, double x0,
			     double y0, double sx, double sy, VipsImage **out);

#endif
