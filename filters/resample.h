/* resample.h: the one resampler every stage uses, separable and in fixed point.
 *
 * Output pixels (the composed master, the renditions) are resampled in linear light: a fine woven
 * pattern of dark and light threads averaged in gamma-encoded sRGB comes out darker and greyer than it
 * looks; averaged in linear light it keeps its brightness. The pixels go through a 256-entry table into
 * 16-bit linear light (exact enough: sRGB level 1 is 20 there) and come back through a 65536-entry table:
 * no float image, and no transfer function computed per pixel. A cut-out (4 bands, straight alpha) is
 * resampled premultiplied, so that the colour of transparent pixels cannot bleed into the product's
 * edge, and un-premultiplied after. Copies made for measuring (the view, the analysis copy) are
 * resampled on the coded values, as libvips would, with a triangle kernel.
 *
 * Why not vips_resize: it resamples 16-bit images without SIMD and through a pipeline of its own per
 * call, which made resampling half the pipeline's time (a 2000 px master to 1000 px took 85 ms). Here
 * the vertical pass comes first, over whole rows, then the horizontal pass on the output's rows only,
 * 16 rows at a time transposed so that each output pixel is a weighted sum of whole columns; the input
 * is read top to bottom through a ring of as many rows as the vertical kernel spans, so a lazy input (an
 * area of the decoded photo through the colour conversion) is never held whole. Both passes, the
 * transposition and the way back to 8 bits of a gamma-coded block have AVX2 versions (two taps per
 * 16-bit multiply-add, pmaddwd, on samples stored less 32768; the division by 257 as a multiply-high)
 * that compute exactly the integers of the plain C ones: the output is the same bit for bit on any
 * machine. A block goes back to 8 bits all 16 rows at once, read in its own order. The kernel is widened by the reduction (antialiased), as vips_reduce does; pixel
 * centres map as (x + 0.5) / scale - 0.5.
 *
 * Measured (CPU time of one thread, 12 MP photo, machine shared, best of 15): the compose read (a
 * 2577 px frame to 2000 px, Lanczos-3, linear light) 45-52 ms before the AVX2 passes, 26-28 ms after;
 * the 2000 px view (4000 x 3000 to 2000 x 1500, triangle) 28-33 ms before, 17-22 ms after, and a
 * median 15.2-16.8 -> 11.2-15.1 ms once blocks went back to 8 bits whole (linear light: 4-7% less).
 */
#ifndef LR_RESAMPLE_H
#define LR_RESAMPLE_H

#include <vips/vips.h>

typedef enum {
	LR_KERNEL_TRIANGLE, /* bilinear: for copies that are measured */
	LR_KERNEL_LANCZOS3, /* for output pixels */
} LrKernel;

/* IN (uchar with 1, 3 or 4 bands; any image, read once from top to bottom) resampled to WIDTH x HEIGHT
 * with KERNEL. LINEAR: in linear light, 3 bands as sRGB, 4 bands as sRGB with straight alpha
 * (premultiplied meanwhile; a fully transparent pixel comes out white); otherwise on the coded values.
 * *OUT is a new uchar image of as many bands, in memory, interpreted as IN is. Returns 0 or -1 (vips
 * error set). */
int lr_resample(VipsImage *in, int width, int height, LrKernel kernel, gboolean linear,
		VipsImage **out);

/* lr_resample to IN's size times SCALE (rounded, at least 1 px; SCALE >= 1 copies IN to memory). Other
 * formats than lr_resample takes (16-bit, grey with alpha) go through vips_resize, on the coded values
 * only. */
int lr_resample_scale(VipsImage *in, double scale, LrKernel kernel, gboolean linear, VipsImage **out);

/* IN (uchar sRGB, 3 bands, or 4 with straight alpha) scaled by SCALE (<= 1) in linear light with
 * Lanczos-3: lr_resample_scale for output pixels. */
int lr_resample_linear(VipsImage *in, double scale, VipsImage **out);

/* The same resampling pushed rather than pulled: rows of the input handed over top to bottom, as a
 * decoder makes them, so that a photo can be reduced while it is decoded, its rows still in the cache.
 * lr_resampler_new takes LIKE's size, bands and metadata (uchar, 1, 3 or 4 bands) and the size
 * lr_resample_scale gives for SCALE (< 1), or NULL (vips error set); lr_resampler_rows takes the next
 * ROWS rows at P, STRIDE bytes apart (rows past the input's height are ignored); lr_resampler_end frees
 * the resampler and returns its result, the image lr_resample_scale makes, or NULL (vips error set)
 * when some rows never came (R NULL: NULL). */
typedef struct _LrResampler LrResampler;
/* The size a side of SIZE px takes at SCALE, as lr_resample_scale and lr_resampler_new make it. */
int lr_resample_size(int size, double scale);
LrResampler *lr_resampler_new(VipsImage *like, double scale, LrKernel kernel, gboolean linear);
void lr_resampler_rows(LrResampler *r, const guchar *p, int rows, size_t stride);
VipsImage *lr_resampler_end(LrResampler *r);

/* The sRGB transfer function (IEC 61966-2-1) on 0..1: the linear light of a coded value, and back. */
double lr_srgb_to_linear(double v);
double lr_linear_to_srgb(double v);

/* Whether lr_resample uses its SIMD passes (AVX2) where the machine has them: TRUE by default. The
 * plain C passes compute exactly the same integers; the tests compare the two by turning this off. */
void lr_resample_set_simd(gboolean on);

/* lr_resample_linear for IN whose codes go through LUT first (a 256-entry, 3-band uchar table as
 * vips_maplut takes, such as ctx->light_lut, for a 3-band IN; NULL for none, which is
 * lr_resample_linear): the table and the conversion to linear light are one lookup, with no pass of
 * their own over the input. */
int lr_resample_linear_lut(VipsImage *in, double scale, VipsImage *lut, VipsImage **out);

#endif
