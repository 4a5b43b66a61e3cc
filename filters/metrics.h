/* metrics.h: the quality measurements the analyse stage takes, on plain 8-bit buffers.
 *
 * Each is a published no-reference measure chosen because it does not depend on the resolution or the
 * content of the photo more than it must; the analyse stage decides at which scale they run.
 */
#ifndef LR_METRICS_H
#define LR_METRICS_H

#include <glib.h>

/* Blur of LUMA (WIDTH*HEIGHT) by re-blurring (Crete, Dolmiere, Ladret, Nicolas, "The blur effect:
 * perception and estimation with a new no-reference perceptual blur metric", SPIE 2007): how much of
 * the neighbour-to-neighbour variation survives a further 9-tap box blur. Counts only pixels where MASK
 * (may be NULL) is >= 128, and only steps larger than FLOOR levels (pass about three times the noise
 * sigma, so that grain is not taken for detail). Returns 0 (sharp) .. 1 (fully blurred); 1 for a flat
 * region. */
double lr_metric_blur(const guchar *luma, const guchar *mask, int width, int height, double floor);

/* Noise sigma of LUMA (WIDTH*HEIGHT) in 8-bit levels (Immerkaer, "Fast noise variance estimation",
 * CVIU 1996), measured in blocks of 16x16 and reported for the flattest tenth of the blocks, so that
 * texture and edges are not taken for noise. */
double lr_metric_noise(const guchar *luma, int width, int height);

/* How much of the product touches the frame: for each side of MASK (WIDTH*HEIGHT, 255 = product), the
 * share of that side's outermost two pixel lines covered by the product; returns the largest share. */
double lr_metric_edge_contact(const guchar *mask, int width, int height);

#endif
