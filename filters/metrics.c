/* metrics.c: blur (overall and by direction), noise, JPEG blockiness, exposure, clipping and
 * frame-contact measures on plain buffers (see metrics.h). */
#include "filters/metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

__attribute__((target_clones("avx2", "default"))) static void
add_row(guint16 *restrict s, const guchar *restrict p, int n)
{
	for (int x = 0; x < n; x++)
		s[x] += p[x];
}

/* Sums, over N pixels, d^2 into *D and d * max(0, 9d - e) into *V for the steps d = |L - LP| above FL
 * (where M, if not NULL, is at least 128), e = |S - SP|. */
__attribute__((target_clones("avx2", "default"))) static void
step_sums(const guchar *restrict l, const guchar *restrict lp, const guint16 *restrict s,
	  const guint16 *restrict sp, const guchar *restrict m, int n, int fl, gint64 *d_sum,
	  gint64 *v_sum)
{
	const int chunk = 2048; /* 2048 * 255 * 2295 fits in 32 bits */
	for (int x0 = 0; x0 < n; x0 += chunk) {
		int x1 = MIN(n, x0 + chunk);
		gint32 d_row = 0, v_row = 0;
		if (m)
			for (int x = x0; x < x1; x++) {
				int d = abs(l[x] - lp[x]), e = abs(s[x] - sp[x]), v = 9 * d - e;
				int keep = -((d > fl) & (m[x] >= 128));
				d_row += d * d & keep;
				v_row += d * (v & ~(v >> 31)) & keep;
			}
		else
			for (int x = x0; x < x1; x++) {
				int d = abs(l[x] - lp[x]), e = abs(s[x] - sp[x]), v = 9 * d - e;
				int keep = -(d > fl);
				d_row += d * d & keep;
				v_row += d * (v & ~(v >> 31)) & keep;
			}
		*d_sum += d_row;
		*v_sum += v_row;
	}
}

/* The sum of the 2R + 1 pixels of LUMA centred on (X, Y) along (DX, DY), clamped at the borders. */
static inline guint16
clamped_sum(const guchar *luma, int width, int height, int x, int y, int dx, int dy, int r)
{
	int sum = 0;
	for (int k = -r; k <= r; k++)
		sum += luma[(size_t)CLAMP(y + k * dy, 0, height - 1) * width +
			    CLAMP(x + k * dx, 0, width - 1)];
	return (guint16)sum;
}

/* The sums of the 9-tap window along (DX, DY) at each pixel of LUMA, clamped at the borders, into SUMS
 * (WIDTH*HEIGHT). Rows whose windows lie inside add nine shifted rows, which the compiler vectorises;
 * only the border pixels take the clamped path. */
static void
window_sums(const guchar *luma, int width, int height, int dx, int dy, guint16 *sums)
{
	const int r = 4;
	int ry = r * abs(dy), rx = r * dx;
	for (int y = 0; y < height; y++) {
		guint16 *s = sums + (size_t)y * width;
		gboolean inside = y >= ry && y < height - ry;
		int x0 = inside ? rx : width, x1 = inside ? width - rx : width;
		for (int x = 0; x < MIN(x0, width); x++)
			s[x] = clamped_sum(luma, width, height, x, y, dx, dy, r);
		if (!inside)
			continue;
		for (int x = x0; x < x1; x++)
			s[x] = 0;
		for (int k = -r; k <= r; k++)
			add_row(s + x0, luma + (size_t)(y + k * dy) * width + k * dx + x0, x1 - x0);
		for (int x = x1; x < width; x++)
			s[x] = clamped_sum(luma, width, height, x, y, dx, dy, r);
	}
}

/* The re-blur ratio along direction (DX, DY): of the neighbour steps along it larger than FLOOR, how much
 * survives a 9-tap box blur along the same direction, each step weighted by its own size (see
 * metrics.h); -1 when no step counts. In integers: with d a step and e the step between the 9-tap sums
 * (nine times the blurred step), sum d * max(0, d - e / 9) over sum d^2 is V / 9D with
 * V = sum d * max(0, 9d - e) and D = sum d^2, both exact. */
static double
blur_along(const guchar *luma, const guchar *mask, int width, int height, double floor, int dx,
	   int dy, guint16 *sums)
{
	/* A step d (an integer) is above FLOOR exactly when it is above FLOOR's integer part. */
	gint64 d_sum = 0, v_sum = 0;

	window_sums(luma, width, height, dx, dy, sums);
	for (int y = MAX(0, dy); y < height + MIN(0, dy); y++) {
		size_t i = (size_t)y * width + dx, j = i - (ptrdiff_t)dy * width - dx;
		step_sums(luma + i, luma + j, sums + i, sums + j, mask ? mask + i : NULL, width - dx,
			  (int)floor, &d_sum, &v_sum);
	}
	return d_sum < 1 ? -1 : 1.0 - (double)v_sum / (9.0 * d_sum);
}

void
lr_metric_blur_directions(const guchar *luma, const guchar *mask, int width, int height,
			  double floor, double out[LR_BLUR_N])
{
	static const int dirs[LR_BLUR_N][2] = { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 1, -1 } };
	const int r = 4;

	if (width < 2 * r + 3 || height < 2 * r + 3) {
		for (int d = 0; d < LR_BLUR_N; d++)
			out[d] = -1;
		return;
	}
	guint16 *sums = g_new(guint16, (size_t)width * height);
	for (int d = 0; d < LR_BLUR_N; d++)
		out[d] = blur_along(luma, mask, width, height, floor, dirs[d][0], dirs[d][1], sums);
	g_free(sums);
}

double
lr_metric_blur(const guchar *luma, const guchar *mask, int width, int height, double floor)
{
	double b[LR_BLUR_N];
	lr_metric_blur_directions(luma, mask, width, height, floor, b);
	/* A direction with no variation at all (a pattern of vertical stripes has none vertically)
	 * says nothing about blur: judge by the other one; a flat region is fully blurred. */
	if (b[LR_BLUR_HORIZONTAL] < 0 && b[LR_BLUR_VERTICAL] < 0)
		return 1.0;
	return MAX(MAX(0.0, b[LR_BLUR_HORIZONTAL]), MAX(0.0, b[LR_BLUR_VERTICAL]));
}

double
lr_select(double *v, int n, int k)
{
	int lo = 0, hi = n - 1;
	g_assert(k >= 0 && k < n);
	while (lo < hi) {
		/* The median of three as the pivot, then Hoare's partition. */
		int mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi];
		double pivot = a < b ? (b < c ? b : MAX(a, c)) : (a < c ? a : MAX(b, c));
		int i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break; /* between j and i everything equals the pivot */
	}
	return v[k];
}

double
lr_metric_noise(const guchar *luma, int width, int height)
{
	const int block = 16;
	int bx = (width - 2) / block, by = (height - 2) / block;
	if (bx < 1 || by < 1)
		return 0.0;
	double *sigmas = g_new(double, (size_t)bx * by);
	int n = 0;
	for (int j = 0; j < by; j++)
		for (int i = 0; i < bx; i++) {
			int sum = 0; /* exact, and the loop vectorises */
			for (int y = 1 + j * block; y < 1 + (j + 1) * block; y++)
				for (int x = 1 + i * block; x < 1 + (i + 1) * block; x++) {
					const guchar *p = luma + (size_t)y * width + x;
					/* The Laplacian-difference mask N = L2 - L1 cancels
					 * smooth image structure up to second order. */
					int v = p[-width - 1] - 2 * p[-width] + p[-width + 1] -
						2 * p[-1] + 4 * p[0] - 2 * p[1] + p[width - 1] -
						2 * p[width] + p[width + 1];
					sum += abs(v);
				}
			sigmas[n++] = sqrt(G_PI / 2.0) * sum / (6.0 * block * block);
		}
	double sigma = lr_select(sigmas, n, n / 10);
	g_free(sigmas);
	return sigma;
}

__attribute__((target_clones("avx2", "default"))) static void
luma_row(const guchar *restrict p, guchar *restrict q, int width)
{
	for (int x = 0; x < width; x++)
		q[x] = (guchar)((54 * p[3 * x] + 183 * p[3 * x + 1] + 19 * p[3 * x + 2] + 128) >> 8);
}

guchar *
lr_metric_luma(const guchar *rgb, int width, int height, size_t stride)
{
	guchar *out = g_malloc((size_t)width * height);
	for (int y = 0; y < height; y++)
		luma_row(rgb + (size_t)y * stride, out + (size_t)y * width, width);
	return out;
}

double
lr_metric_highlight(const guchar *rgb, int width, int height, size_t stride)
{
	guint64 hist[256] = { 0 }, total = (guint64)width * height, acc = 0;
	for (int y = 0; y < height; y++) {
		const guchar *p = rgb + (size_t)y * stride;
		for (int x = 0; x < width; x++, p += 3)
			hist[MAX(p[0], MAX(p[1], p[2]))]++;
	}
	for (int i = 0; i < 256; i++) {
		acc += hist[i];
		if (acc >= 0.99 * total)
			return i / 255.0;
	}
	return 1.0;
}

/* One row of lr_metric_clipped: the product's pixels, and those of them clipped, added to *N and
 * *CLIPPED. Counted without a branch, so that it vectorises. */
__attribute__((target_clones("avx2", "default"))) static void
clipped_row(const guchar *restrict p, const guchar *restrict m, int width, int level, gint64 *n,
	    gint64 *clipped)
{
	int in = 0, over = 0;
	for (int x = 0; x < width; x++) {
		int product = m[x] >= 128;
		in += product;
		over += product & (MAX(p[3 * x], MAX(p[3 * x + 1], p[3 * x + 2])) >= level);
	}
	*n += in;
	*clipped += over;
}

double
lr_metric_clipped(const guchar *rgb, const guchar *mask, int width, int height, size_t stride,
		  int level)
{
	gint64 n = 0, clipped = 0;
	for (int y = 0; y < height; y++)
		clipped_row(rgb + (size_t)y * stride, mask + (size_t)y * width, width, level, &n,
			    &clipped);
	return n ? (double)clipped / n : 0;
}

double
lr_metric_edge_contact(const guchar *mask, int width, int height)
{
	int top = 0, bottom = 0, left = 0, right = 0;
	for (int x = 0; x < width; x++) {
		top += mask[x] >= 128 || (height > 1 && mask[width + x] >= 128);
		bottom += mask[(size_t)(height - 1) * width + x] >= 128 ||
			  (height > 1 && mask[(size_t)(height - 2) * width + x] >= 128);
	}
	for (int y = 0; y < height; y++) {
		const guchar *row = mask + (size_t)y * width;
		left += row[0] >= 128 || (width > 1 && row[1] >= 128);
		right += row[width - 1] >= 128 || (width > 1 && row[width - 2] >= 128);
	}
	double h = MAX((double)top, bottom) / width;
	double v = MAX((double)left, right) / height;
	return MAX(h, v);
}

/* Luma as the JPEG encoder computed it (Rec. 601, scaled by 1000): the blocks are in Y; chroma is
 * upsampled over 16 px and would blur the grid. */
static inline int
jpeg_luma(const guchar *p)
{
	return 299 * p[0] + 587 * p[1] + 114 * p[2];
}

/* The excess of the block-boundary phase over the typical one, from the summed steps at each of the 8
 * phases, relative to the typical step plus one level: relative, so that the busy texture of a fine
 * weave does not pass for blocks; plus one level, so that the faint grid of a smooth, well-compressed
 * photo does not either. */
static double
block_ratio(const gint64 sum[8], const gint64 count[8])
{
	double sorted[8];
	for (int k = 0; k < 8; k++)
		sorted[k] = count[k] ? sum[k] / 1000.0 / count[k] : 0;
	double median = (lr_select(sorted, 8, 3) + lr_select(sorted, 8, 4)) / 2;
	return (lr_select(sorted, 8, 7) - median) / (median + 1);
}

/* The sums lr_metric_blockiness gathers, row by row. Every 4th line is plenty: the grid is the same on
 * every line of a block. Steps along rows on every 4th row; steps down columns on every 4th column,
 * between each row and the next, the photo read row by row (a column walk would miss the cache on
 * every pixel). */
struct _LrBlockiness {
	int width, columns, y;
	gint64 hsum[8], hcount[8], vsum[8], vcount[8];
	int *above; /* the luma of every 4th column of the last row */
	int *line;  /* the luma of a whole row */
};

LrBlockiness *
lr_blockiness_new(int width)
{
	LrBlockiness *b = g_new0(LrBlockiness, 1);
	b->width = width;
	b->columns = (width + 3) / 4;
	b->above = g_new(int, b->columns + 8);
	b->line = g_new(int, width);
	return b;
}

__attribute__((target_clones("avx2", "default"))) static void
row_luma(const guchar *restrict p, int *restrict luma, int width)
{
	for (int x = 0; x < width; x++)
		luma[x] = jpeg_luma(p + 3 * x);
}

/* The steps along a row (LUMA, WIDTH values) added to SUM at the phase of their left pixel: 8 lanes
 * at a time, in 32 bits (at most 8192 steps of 255000 per lane). */
__attribute__((target_clones("avx2", "default"))) static void
row_steps(const int *restrict luma, int width, gint64 sum[8])
{
	gint32 acc[8] = { 0 };
	int x = 0;
	for (; x + 8 < width; x += 8)
		for (int k = 0; k < 8; k++)
			acc[k] += abs(luma[x + k + 1] - luma[x + k]);
	for (; x + 1 < width; x++)
		acc[x % 8] += abs(luma[x + 1] - luma[x]);
	for (int k = 0; k < 8; k++)
		sum[k] += acc[k];
}

/* The luma of every 4th pixel of ROW from column FROM on, each stepped against ABOVE (then replaced by
 * it): the sum of the absolute steps. */
static gint64
column_steps_c(const guchar *row, int *above, int from, int columns)
{
	gint64 step = 0;
	for (int i = from; i < columns; i++) {
		int l = jpeg_luma(row + 12 * i);
		step += abs(l - above[i]);
		above[i] = l;
	}
	return step;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* column_steps_c from 0, 8 columns at a time. Each 16-byte load holds two of the columns' pixels
 * (bytes 0-2 and 12-14); byte shuffles spread them into 16-bit (r, g) and (b, 0) pairs, one pixel to a
 * 32-bit lane, which one multiply-add each weighs. An AVX2 gather did the same in 4 times the time (it
 * is microcoded on some processors). The last load reads a byte past the 8th pixel, which lies before
 * the next column's pixel: the last 8 columns, which have no next one, go through the plain loop. */
__attribute__((target("avx2"))) static gint64
column_steps_avx2(const guchar *row, int *above, int columns)
{
	/* Pixels at bytes 0 and 12 of each 128-bit half to 32-bit lanes 0 and 1 (LANE 0) or 2 and 3
	 * (LANE 2) of that half, bytes A, B of the first and C, D of the second as 16-bit pairs. */
#define SPREAD(lane, a, b, c, d) _mm256_setr_epi8(SPREAD_##lane(a, b, c, d), SPREAD_##lane(a, b, c, d))
#define SPREAD_0(a, b, c, d) a, -1, b, -1, c, -1, d, -1, -1, -1, -1, -1, -1, -1, -1, -1
#define SPREAD_2(a, b, c, d) -1, -1, -1, -1, -1, -1, -1, -1, a, -1, b, -1, c, -1, d, -1
	const __m256i rg01 = SPREAD(0, 0, 1, 12, 13), b01 = SPREAD(0, 2, -1, 14, -1);
	const __m256i rg23 = SPREAD(2, 0, 1, 12, 13), b23 = SPREAD(2, 2, -1, 14, -1);
#undef SPREAD
#undef SPREAD_0
#undef SPREAD_2
	const __m256i krg = _mm256_set1_epi32(299 | 587 << 16), kb = _mm256_set1_epi32(114);
	__m256i acc = _mm256_setzero_si256(); /* 32-bit lanes: at most 2048 steps of 255000 each */
	int i = 0;
	for (; i + 8 < columns; i += 8) {
		const guchar *p = row + 12 * i;
		/* Columns 0, 1 | 4, 5 and 2, 3 | 6, 7: the shuffles put them back in order. */
		__m256i c0145 = _mm256_loadu2_m128i((const __m128i *)(p + 48), (const __m128i *)p);
		__m256i c2367 = _mm256_loadu2_m128i((const __m128i *)(p + 72), (const __m128i *)(p + 24));
		__m256i rg = _mm256_or_si256(_mm256_shuffle_epi8(c0145, rg01),
					     _mm256_shuffle_epi8(c2367, rg23));
		__m256i b = _mm256_or_si256(_mm256_shuffle_epi8(c0145, b01),
					    _mm256_shuffle_epi8(c2367, b23));
		__m256i l = _mm256_add_epi32(_mm256_madd_epi16(rg, krg), _mm256_madd_epi16(b, kb));
		__m256i a = _mm256_loadu_si256((const __m256i *)(above + i));
		acc = _mm256_add_epi32(acc, _mm256_abs_epi32(_mm256_sub_epi32(l, a)));
		_mm256_storeu_si256((__m256i *)(above + i), l);
	}
	gint32 lanes[8];
	_mm256_storeu_si256((__m256i *)lanes, acc);
	gint64 step = 0;
	for (int k = 0; k < 8; k++)
		step += lanes[k];
	return step + column_steps_c(row, above, i, columns);
}
#endif

void
lr_blockiness_rows(LrBlockiness *b, const guchar *rgb, int rows, size_t stride)
{
	for (int r = 0; r < rows; r++, b->y++) {
		const guchar *row = rgb + (size_t)r * stride;
		if (b->y % 4 == 0) {
			row_luma(row, b->line, b->width);
			row_steps(b->line, b->width, b->hsum);
			for (int k = 0; k < 8 && k < b->width - 1; k++)
				b->hcount[k] += (b->width - 1 - k + 7) / 8;
		}
		if (b->y == 0) {
			for (int i = 0; i < b->columns; i++)
				b->above[i] = jpeg_luma(row + 12 * i);
			continue;
		}
		gint64 step;
#if defined(__x86_64__) || defined(__i386__)
		if (__builtin_cpu_supports("avx2"))
			step = column_steps_avx2(row, b->above, b->columns);
		else
#endif
			step = column_steps_c(row, b->above, 0, b->columns);
		b->vsum[(b->y - 1) % 8] += step;
		b->vcount[(b->y - 1) % 8] += b->columns;
	}
}

double
lr_blockiness_end(LrBlockiness *b)
{
	double value = b->width < 32 || b->y < 32
			   ? 0.0
			   : sqrt(block_ratio(b->hsum, b->hcount) * block_ratio(b->vsum, b->vcount));
	g_free(b->above);
	g_free(b->line);
	g_free(b);
	return value;
}

double
lr_metric_blockiness(const guchar *rgb, int width, int height, size_t stride)
{
	LrBlockiness *b = lr_blockiness_new(width);
	if (width >= 32 && height >= 32)
		lr_blockiness_rows(b, rgb, height, stride);
	return lr_blockiness_end(b);
}
