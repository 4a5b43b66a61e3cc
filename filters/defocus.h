/* defocus.h: how out of focus each part of a small image is, from the width of its edges.
 *
 * Used by the segmentation (segment.c): a product photo focuses on the product, so a region whose
 * edges are all much softer than the sharpest edges of the frame is far more likely background (a
 * room behind the product, blurred by the lens or the phone's portrait mode).
 */
#ifndef LR_DEFOCUS_H
#define LR_DEFOCUS_H

/* Estimates the defocus blur at the edges of LAB (WIDTH*HEIGHT*3 floats, CIELAB, row-major).
 * EDGE_SIGMA receives, at each edge pixel, the blur in pixels (the Gaussian sigma of the edge's
 * profile, including whatever smoothing LAB has had), and -1 at every other pixel.
 * Returns 0, or -1 if memory ran out. */
int lr_defocus_edges(const float *lab, int width, int height, float *edge_sigma);

/* Spreads the edge estimates of EDGE_SIGMA (as lr_defocus_edges() leaves them) that lie in [LO, HI)
 * to the pixels around them: SIGMA receives the mean of those within the (2 RADIUS + 1)^2 window of
 * each pixel, WEIGHT how many there are (0: none near, and SIGMA is 0 there).
 * Returns 0, or -1 if memory ran out. */
int lr_defocus_spread(const float *edge_sigma, int width, int height, int radius, float lo,
		      float hi, float *sigma, float *weight);

#endif
