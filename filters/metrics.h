/* metrics.h: the quality measurements the analyse stage takes, on plain 8-bit buffers.
 *
 * Each is a published no-reference measure chosen because it does not depend on the resolution or the
 * content of the photo more than it must; the analyse stage decides at which scale they run.
 */
#ifndef LR_METRICS_H
#define LR_METRICS_H

#include <glib.h>

/* The K-th smallest of the N VALUES (0-based), as VALUES[K] would be after sorting them, found by
 * selection (Hoare's quickselect, linear on average) rather than a sort; VALUES is reordered. */
double lr_select(double *values, int n, int k);

/* Blur of LUMA (WIDTH*HEIGHT) by re-blurring (Crete, Dolmiere, Ladret, Nicolas, "The blur effect:
 * perception and estimation with a new no-reference perceptual blur metric", SPIE 2007): how much of
 * the neighbour-to-neighbour variation survives a further 9-tap box blur. Counts only pixels where MASK
 * (may be NULL) is >= 128, and only steps larger than FLOOR levels (pass about three times the noise
 * sigma, so that grain is not taken for detail). Unlike Crete's plain sums, each step is weighted by
 * its size (sum of d * min(d, d_reblurred) over sum of d^2), so that the strong steps of edges and
 * pattern, where blur is seen, outweigh the many faint ones of texture residue: on the generated set
 * this moved the mildest shakes (10 px at a 1024 px view) from overlapping the smooth glazed bowls to
 * 0.09 below them (models/fit.c --metrics). Returns 0 (sharp) .. 1 (fully blurred); 1 for a flat
 * region. */
double lr_metric_blur(const guchar *luma, const guchar *mask, int width, int height, double floor);

/* The directions lr_metric_blur_directions() measures, in the order of its output. */
enum { LR_BLUR_HORIZONTAL, LR_BLUR_VERTICAL, LR_BLUR_DIAGONAL, LR_BLUR_ANTIDIAGONAL, LR_BLUR_N };

/* The same re-blur ratio measured separately along each of the four directions (neighbour steps and
 * the 9-tap re-blur both taken along that direction), into OUT[LR_BLUR_N]. Defocus blurs every
 * direction alike; a shake (motion blur) blurs along its path and leaves the cross direction sharp, so
 * the spread of the four (largest - smallest) tells the two apart (the directional form of the re-blur
 * measure; cf. Tong, Li, Zhang, Zhang, "Blur detection for digital images using wavelet transform",
 * ICME 2004, on telling motion from out-of-focus blur by direction). A direction with no variation
 * above FLOOR reports -1 (it says nothing). lr_metric_blur() is max(OUT[H], OUT[V]). */
void lr_metric_blur_directions(const guchar *luma, const guchar *mask, int width, int height,
			       double floor, double out[LR_BLUR_N]);

/* JPEG blockiness of the 3-band interleaved RGB image (WIDTH*HEIGHT, rows STRIDE bytes apart), on its
 * luma (as JPEG computes it) at source resolution: for each axis, the mean absolute step across every
 * 8th column (row) at the phase where it is largest, less the median over the 8 phases, over that
 * median plus one level (the 8x8 DCT
 * grid shows as a periodic excess of steps at block boundaries: Wang, Sheikh, Bovik, "No-reference
 * perceptual quality assessment of JPEG compressed images", ICIP 2002). Phase-free, so a flip or
 * rotation of the grid does not matter. Returns the geometric mean of the two axes' relative excess:
 * near 0 for a clean photo, 0.5 and more where blocks show. */
double lr_metric_blockiness(const guchar *rgb, int width, int height, size_t stride);

/* lr_metric_blockiness measured as the rows arrive (from a decoder, a strip at a time), with the same
 * result: lr_blockiness_new, every row in order through lr_blockiness_rows (ROWS rows from RGB, STRIDE
 * bytes apart), then lr_blockiness_end, which frees B. */
typedef struct _LrBlockiness LrBlockiness;
LrBlockiness *lr_blockiness_new(int width);
void lr_blockiness_rows(LrBlockiness *b, const guchar *rgb, int rows, size_t stride);
double lr_blockiness_end(LrBlockiness *b);

/* Noise sigma of LUMA (WIDTH*HEIGHT) in 8-bit levels (Immerkaer, "Fast noise variance estimation",
 * CVIU 1996), measured in blocks of 16x16 and reported for the flattest tenth of the blocks, so that
 * texture and edges are not taken for noise. */
double lr_metric_noise(const guchar *luma, int width, int height);

/* The luma plane (WIDTH*HEIGHT, one byte a pixel; caller frees) of the 3-band interleaved RGB image,
 * rows STRIDE bytes apart: Rec. 709 weights on the sRGB values in 8-bit fixed point. The blur and
 * noise measures need a grey plane, not colourimetry, and this is a tenth of the cost of a conversion
 * through linear light. */
guchar *lr_metric_luma(const guchar *rgb, int width, int height, size_t stride);

/* Exposure of the 3-band interleaved RGB image (WIDTH*HEIGHT, rows STRIDE bytes apart): the 99th
 * percentile of each pixel's brightest channel, 0..1. The brightest channel, not luma, because
 * exposure is about how near the sensor came to its top: a well-lit orange wooden table reaches high
 * in red while its luma stays low, and by luma a dark bowl on it was as "dark" as a grey sheet at a
 * sixth of the light (on the generated set the brightest channel separates them, 0.675 against 0.529;
 * luma overlapped, 0.486 against 0.525). */
double lr_metric_highlight(const guchar *rgb, int width, int height, size_t stride);

/* Clipping of the product: the share of the pixels of RGB (3-band interleaved, WIDTH*HEIGHT, rows
 * STRIDE bytes apart) where MASK (WIDTH*HEIGHT, one byte a pixel) is >= 128 with some channel at or
 * above LEVEL (a washed-out red saree clips in red first, whatever the other two do). 0 for an empty
 * mask. Run it at the scale the photo is seen at: a small copy averages the clipped threads of a
 * weave with the unclipped ones between them and under-reads the fault (at 400 px a product with 28%
 * of its pixels clipped read 4%, as much as the glints on a glazed bowl). */
double lr_metric_clipped(const guchar *rgb, const guchar *mask, int width, int height,
			 size_t stride, int level);

/* How much of the product touches the frame: for each side of MASK (WIDTH*HEIGHT, 255 = product), the
 * share of that side's outermost two pixel lines covered by the product; returns the largest share. */
double lr_metric_edge_contact(const guchar *mask, int width, int height);

#endif
