/* resample.c: separable fixed-point resampling (see resample.h). */
#include "filters/resample.h"

#include <math.h>
#include <string.h>

/* Weights are integers summing to 1 << WEIGHT_BITS. With 16-bit samples and Lanczos-3's lobes (the sum
 * of the weights' magnitudes stays under 1.3) an int32 accumulator cannot overflow. */
#define WEIGHT_BITS 14
/* Rows of the input asked of libvips at a time. */
#define STRIP 16
/* Output rows resampled together by the horizontal pass. */
#define BLOCK_ROWS 16

static guint16 to_linear[256];
static guchar to_srgb[65536];

static void
tables_init(void)
{
	static gsize once;
	if (!g_once_init_enter(&once))
		return;
	for (int v = 0; v < 256; v++) {
		double c = v / 255.0;
		c = c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
		to_linear[v] = (guint16)lround(65535 * c);
	}
	for (int v = 0; v < 65536; v++) {
		double c = v / 65535.0;
		c = c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055;
		to_srgb[v] = (guchar)lround(255 * CLAMP(c, 0, 1));
	}
	g_once_init_leave(&once, 1);
}

static double
kernel_at(LrKernel kernel, double x)
{
	x = fabs(x);
	if (kernel == LR_KERNEL_TRIANGLE)
		return x < 1 ? 1 - x : 0;
	if (x < 1e-9)
		return 1;
	if (x >= 3)
		return 0;
	double px = G_PI * x;
	return 3 * sin(px) * sin(px / 3) / (px * px);
}

/* The taps of one axis: output i reads inputs start[i] .. start[i] + n[i] - 1 with the weights at
 * weight + i * max. */
typedef struct {
	int *start, *n, max;
	gint16 *weight;
} Taps;

static void
taps_init(Taps *t, int in, int out, LrKernel kernel)
{
	double step = (double)in / out, widen = MAX(1.0, step);
	double support = (kernel == LR_KERNEL_TRIANGLE ? 1 : 3) * widen;
	t->max = MIN(in, (int)ceil(2 * support) + 1);
	t->start = g_new(int, out);
	t->n = g_new(int, out);
	t->weight = g_new0(gint16, (size_t)out * t->max);
	double *w = g_new(double, t->max);
	for (int i = 0; i < out; i++) {
		double centre = (i + 0.5) * step - 0.5, sum = 0;
		int lo = MAX(0, (int)ceil(centre - support));
		int hi = MIN(in - 1, MIN(lo + t->max - 1, (int)floor(centre + support)));
		for (int j = lo; j <= hi; j++)
			sum += w[j - lo] = kernel_at(kernel, (j - centre) / widen);
		if (hi < lo || sum < 1e-6) { /* nothing under the kernel: the nearest pixel */
			lo = hi = CLAMP((int)lround(centre), 0, in - 1);
			w[0] = sum = 1;
		}
		/* Quantised, the rounding error given to the largest weight, zero taps trimmed off. */
		gint16 q[t->max];
		int total = 0, big = 0, first = 0, last = hi - lo;
		for (int k = 0; k <= hi - lo; k++) {
			q[k] = (gint16)lround(w[k] / sum * (1 << WEIGHT_BITS));
			total += q[k];
			big = q[k] > q[big] ? k : big;
		}
		q[big] += (1 << WEIGHT_BITS) - total;
		while (first < big && !q[first])
			first++;
		while (last > big && !q[last])
			last--;
		t->start[i] = lo + first;
		t->n[i] = last - first + 1;
		memcpy(t->weight + (size_t)i * t->max, q + first, t->n[i] * sizeof(gint16));
	}
	g_free(w);
}

static void
taps_clear(Taps *t)
{
	g_free(t->start);
	g_free(t->n);
	g_free(t->weight);
}

/* One input row of WIDTH pixels into 16-bit working values. */
static void
row_in(const guchar *restrict p, guint16 *restrict q, int width, int bands, gboolean linear)
{
	int n = width * bands;
	if (!linear)
		for (int i = 0; i < n; i++)
			q[i] = (guint16)(p[i] * 257);
	else if (bands == 4)
		for (int i = 0; i < n; i += 4) {
			guint a = p[i + 3];
			for (int c = 0; c < 3; c++)
				q[i + c] = (guint16)((to_linear[p[i + c]] * a + 127) / 255);
			q[i + 3] = (guint16)(a * 257);
		}
	else
		for (int i = 0; i < n; i++)
			q[i] = to_linear[p[i]];
}

/* One output row back to 8 bits. */
static void
row_out(const guint16 *restrict p, guchar *restrict q, int width, int bands, gboolean linear)
{
	int n = width * bands;
	if (!linear)
		for (int i = 0; i < n; i++)
			q[i] = (guchar)((p[i] + 128) / 257);
	else if (bands == 4)
		for (int i = 0; i < n; i += 4) {
			guint a = p[i + 3];
			for (int c = 0; c < 3; c++) /* transparent: white, as compose makes it */
				q[i + c] = a ? to_srgb[MIN(65535u, (p[i + c] * 65535u + a / 2) / a)] : 255;
			q[i + 3] = (guchar)((a + 128) / 257);
		}
	else
		for (int i = 0; i < n; i++)
			q[i] = to_srgb[p[i]];
}

static inline guint16
settle(gint32 acc)
{
	acc >>= WEIGHT_BITS;
	acc = MAX(acc, 0);
	return (guint16)MIN(acc, 65535);
}

static inline __attribute__((always_inline)) void
accumulate(gint32 *restrict acc, const guint16 *restrict row, gint32 w, int count)
{
	for (int x = 0; x < count; x++)
		acc[x] += w * row[x];
}

/* The vertical pass for one output row: OUT[x] = the sum over k of W[k] * ROWS[k][x], over whole rows,
 * which the compiler vectorises (with AVX2 where the machine has it). */
__attribute__((target_clones("avx2", "default"))) static void
vertical(const guint16 *const *rows, const gint16 *w, int n, int count, gint32 *restrict acc,
	 guint16 *restrict out)
{
	for (int x = 0; x < count; x++)
		acc[x] = 1 << (WEIGHT_BITS - 1);
	for (int k = 0; k < n; k++)
		accumulate(acc, rows[k], w[k], count);
	for (int x = 0; x < count; x++)
		out[x] = settle(acc[x]);
}

/* BLOCK_ROWS rows of WIDTH pixels (ROWS, one after the other) rearranged column by column for the
 * horizontal pass: pixel x of row r goes to BLOCK + (x * BLOCK_ROWS + r) * BANDS. */
static inline __attribute__((always_inline)) void
transpose_bands(const guint16 *restrict rows, int width, guint16 *restrict block, const int bands)
{
	for (int x = 0; x < width; x++)
		for (int r = 0; r < BLOCK_ROWS; r++)
			for (int c = 0; c < bands; c++)
				block[(x * BLOCK_ROWS + r) * bands + c] =
					rows[((size_t)r * width + x) * bands + c];
}

static void
transpose(const guint16 *rows, int width, int bands, guint16 *block)
{
	if (bands == 3)
		transpose_bands(rows, width, block, 3);
	else if (bands == 4)
		transpose_bands(rows, width, block, 4);
	else
		transpose_bands(rows, width, block, 1);
}

/* The horizontal pass for BLOCK_ROWS rows at once. BLOCK stores each input column's BLOCK_ROWS x BANDS
 * values together, so one output pixel's taps are a weighted sum of whole columns: a fixed-length loop
 * the compiler vectorises, where a single row's taps (3 or 4 values apart) would not be. Row r of the
 * result goes to OUT + r * WIDTH * BANDS. BANDS is known when inlined. */
static inline __attribute__((always_inline)) void
horizontal_bands(const guint16 *restrict block, const Taps *t, int width, guint16 *restrict out,
		 const int bands)
{
	const int *restrict start = t->start, *restrict taps = t->n, max = t->max;
	const gint16 *restrict weight = t->weight;
	const int column = BLOCK_ROWS * bands;
	for (int x = 0; x < width; x++) {
		const gint16 *restrict w = weight + (size_t)x * max;
		const guint16 *restrict p = block + (size_t)start[x] * column;
		gint32 acc[BLOCK_ROWS * 4];
		for (int j = 0; j < column; j++)
			acc[j] = 1 << (WEIGHT_BITS - 1);
		for (int k = 0; k < taps[x]; k++, p += column)
			for (int j = 0; j < column; j++)
				acc[j] += w[k] * p[j];
		for (int r = 0; r < BLOCK_ROWS; r++)
			for (int c = 0; c < bands; c++)
				out[((size_t)r * width + x) * bands + c] = settle(acc[r * bands + c]);
	}
}

__attribute__((target_clones("avx2", "default"))) static void
horizontal(const guint16 *block, const Taps *t, int width, int bands, guint16 *out)
{
	if (bands == 3)
		horizontal_bands(block, t, width, out, 3);
	else if (bands == 4)
		horizontal_bands(block, t, width, out, 4);
	else
		horizontal_bands(block, t, width, out, 1);
}

int
lr_resample(VipsImage *in, int width, int height, LrKernel kernel, gboolean linear, VipsImage **out)
{
	int bands = in->Bands, iw = in->Xsize, ih = in->Ysize, span = iw * bands, err = -1;

	*out = NULL;
	if (in->BandFmt != VIPS_FORMAT_UCHAR || (bands != 1 && bands != 3 && bands != 4) || width < 1 ||
	    height < 1) {
		vips_error("lr_resample", "expects uchar with 1, 3 or 4 bands and a size of 1 px or more");
		return -1;
	}
	tables_init();
	Taps tx, ty;
	taps_init(&tx, iw, width, kernel);
	taps_init(&ty, ih, height, kernel);
	/* A ring of converted input rows, as many as the vertical kernel spans: the outputs' first rows
	 * never go back, so a row is read once and dropped when the ring comes round to it. */
	int ring_n = ty.max;
	guint16 *ring = g_new(guint16, (size_t)ring_n * span);
	int *ring_row = g_new(int, ring_n);
	for (int i = 0; i < ring_n; i++)
		ring_row[i] = -1;
	const guint16 **rows = g_new(const guint16 *, ring_n);
	gint32 *acc = g_new(gint32, span);
	guint16 *columns = g_new0(guint16, (size_t)span * BLOCK_ROWS);
	guint16 *block = g_new(guint16, (size_t)span * BLOCK_ROWS);
	guint16 *lines = g_new(guint16, (size_t)width * bands * BLOCK_ROWS);
	VipsRegion *region = vips_region_new(in);
	VipsImage *result = vips_image_new_memory();
	vips_image_init_fields(result, width, height, bands, VIPS_FORMAT_UCHAR, VIPS_CODING_NONE,
			       in->Type, in->Xres, in->Yres);
	if (vips_image_write_prepare(result))
		goto done;
	for (int y0 = 0; y0 < height; y0 += BLOCK_ROWS) {
		int block_rows = MIN(BLOCK_ROWS, height - y0);
		for (int r = 0; r < block_rows; r++) {
			int y = y0 + r;
			for (int k = 0; k < ty.n[y]; k++) {
				int row = ty.start[y] + k, slot = row % ring_n;
				if (ring_row[slot] != row) {
					VipsRect *have = &region->valid;
					if (row < have->top || row >= VIPS_RECT_BOTTOM(have) ||
					    have->width < iw) {
						VipsRect want = { 0, row, iw, MIN(STRIP, ih - row) };
						if (vips_region_prepare(region, &want))
							goto done;
					}
					row_in(VIPS_REGION_ADDR(region, 0, row),
					       ring + (size_t)slot * span, iw, bands, linear);
					ring_row[slot] = row;
				}
				rows[k] = ring + (size_t)slot * span;
			}
			vertical(rows, ty.weight + (size_t)y * ty.max, ty.n[y], span, acc,
				 columns + (size_t)r * span);
		}
		transpose(columns, iw, bands, block);
		horizontal(block, &tx, width, bands, lines);
		for (int r = 0; r < block_rows; r++)
			row_out(lines + (size_t)r * width * bands, VIPS_IMAGE_ADDR(result, 0, y0 + r),
				width, bands, linear);
	}
	*out = result;
	result = NULL;
	err = 0;
done:
	VIPS_UNREF(result);
	g_object_unref(region);
	taps_clear(&tx);
	taps_clear(&ty);
	g_free(ring);
	g_free(ring_row);
	g_free(rows);
	g_free(acc);
	g_free(columns);
	g_free(block);
	g_free(lines);
	return err;
}

int
lr_resample_scale(VipsImage *in, double scale, LrKernel kernel, gboolean linear, VipsImage **out)
{
	*out = NULL;
	if (scale >= 1)
		return (*out = vips_image_copy_memory(in)) ? 0 : -1;
	int width = MAX(1, (int)lround(in->Xsize * scale));
	int height = MAX(1, (int)lround(in->Ysize * scale));
	if (in->BandFmt == VIPS_FORMAT_UCHAR && (in->Bands == 1 || in->Bands == 3 || in->Bands == 4))
		return lr_resample(in, width, height, kernel, linear, out);
	if (linear) {
		vips_error("lr_resample_scale", "linear light needs uchar with 1, 3 or 4 bands");
		return -1;
	}
	/* Anything else a photo can decode to (16-bit, grey with alpha, float) is rare enough for
	 * libvips's own resampler. */
	VipsImage *t;
	if (vips_resize(in, &t, (double)width / in->Xsize, "vscale", (double)height / in->Ysize,
			"kernel", kernel == LR_KERNEL_TRIANGLE ? VIPS_KERNEL_LINEAR : VIPS_KERNEL_LANCZOS3,
			NULL))
		return -1;
	*out = vips_image_copy_memory(t);
	g_object_unref(t);
	return *out ? 0 : -1;
}

int
lr_resample_linear(VipsImage *in, double scale, VipsImage **out)
{
	if (in->Bands != 3 && in->Bands != 4) {
		*out = NULL;
		vips_error("lr_resample_linear", "expects uchar sRGB with 3 or 4 bands");
		return -1;
	}
	if (lr_resample_scale(in, scale, LR_KERNEL_LANCZOS3, TRUE, out))
		return -1;
	(*out)->Type = VIPS_INTERPRETATION_sRGB;
	return 0;
}
