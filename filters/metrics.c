/* metrics.c: blur (overall and by direction), noise, JPEG blockiness, exposure, clipping and
 * frame-contact measures on plain buffers (see metrics.h). */
#include "filters/metrics.h"

#include <math.h>
#include <stdlib.h>

/* The re-blur ratio along direction (DX, DY): of the neighbour steps along it larger than FLOOR, how much
 * survives a 9-tap box blur along the same direction, each step weighted by its own size (see
 * metrics.h); -1 when no step counts. */
static double
blur_along(const guchar *luma, const guchar *mask, int width, int height, double floor, int dx,
	   int dy, double *blurred)
{
	const int r = 4;
	double d_sum = 0, v_sum = 0;

	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			int s = 0;
			for (int k = -r; k <= r; k++)
				s += luma[(size_t)CLAMP(y + k * dy, 0, height - 1) * width +
					  CLAMP(x + k * dx, 0, width - 1)];
			blurred[(size_t)y * width + x] = s / (2.0 * r + 1);
		}
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			int px = x - dx, py = y - dy;
			if (px < 0 || px >= width || py < 0 || py >= height)
				continue;
			size_t i = (size_t)y * width + x, j = (size_t)py * width + px;
			if (mask && mask[i] < 128)
				continue;
			double df = fabs((double)luma[i] - luma[j]);
			/* Steps within the noise floor are grain, not detail: in a blurred photo they
			 * would otherwise be most of what is left, and read as sharp. */
			if (df <= floor)
				continue;
			/* Weighted by the step itself: the few strong steps of the product's edges
			 * and pattern decide, not the many small ones of a fine weave's residue or
			 * of grain that passed the floor (a shake leaves those sharp across its
			 * path and so read a shaken photo as sharp; a smooth glazed bowl has
			 * hardly any, so it is judged by its outline and rim). */
			d_sum += df * df;
			v_sum += df * MAX(0.0, df - fabs(blurred[i] - blurred[j]));
		}
	return d_sum < 1 ? -1 : (d_sum - v_sum) / d_sum;
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
	double *blurred = g_new(double, (size_t)width * height);
	for (int d = 0; d < LR_BLUR_N; d++)
		out[d] = blur_along(luma, mask, width, height, floor, dirs[d][0], dirs[d][1],
				    blurred);
	g_free(blurred);
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
			double sum = 0;
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

guchar *
lr_metric_luma(const guchar *rgb, int width, int height, size_t stride)
{
	guchar *out = g_malloc((size_t)width * height);
	for (int y = 0; y < height; y++) {
		const guchar *p = rgb + (size_t)y * stride;
		guchar *q = out + (size_t)y * width;
		for (int x = 0; x < width; x++, p += 3)
			q[x] = (guchar)((54 * p[0] + 183 * p[1] + 19 * p[2] + 128) >> 8);
	}
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

double
lr_metric_clipped(const guchar *rgb, const guchar *mask, int width, int height, size_t stride,
		  int level)
{
	double n = 0, clipped = 0;
	for (int y = 0; y < height; y++) {
		const guchar *p = rgb + (size_t)y * stride, *m = mask + (size_t)y * width;
		for (int x = 0; x < width; x++, p += 3)
			if (m[x] >= 128) {
				n++;
				clipped += MAX(p[0], MAX(p[1], p[2])) >= level;
			}
	}
	return n ? clipped / n : 0;
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

double
lr_metric_blockiness(const guchar *rgb, int width, int height, size_t stride)
{
	if (width < 32 || height < 32)
		return 0.0;
	/* Every 4th line is plenty: the grid is the same on every line of a block. Steps along rows
	 * on every 4th row; steps down columns on every 4th column, between each row and the next,
	 * the photo read row by row (a column walk would miss the cache on every pixel). */
	gint64 hsum[8] = { 0 }, hcount[8] = { 0 }, vsum[8] = { 0 }, vcount[8] = { 0 };
	int columns = (width + 3) / 4;
	int *above = g_new(int, columns), *here = g_new(int, columns);
	for (int y = 0; y < height; y++) {
		const guchar *row = rgb + (size_t)y * stride;
		if (y % 4 == 0)
			for (int x = 0, prev = jpeg_luma(row); x + 1 < width; x++) {
				int next = jpeg_luma(row + 3 * (x + 1));
				hsum[x % 8] += abs(next - prev);
				hcount[x % 8]++;
				prev = next;
			}
		for (int i = 0; i < columns; i++)
			here[i] = jpeg_luma(row + 12 * i);
		if (y > 0) {
			gint64 step = 0;
			for (int i = 0; i < columns; i++)
				step += abs(here[i] - above[i]);
			vsum[(y - 1) % 8] += step;
			vcount[(y - 1) % 8] += columns;
		}
		int *t = above;
		above = here;
		here = t;
	}
	g_free(above);
	g_free(here);
	return sqrt(block_ratio(hsum, hcount) * block_ratio(vsum, vcount));
}
