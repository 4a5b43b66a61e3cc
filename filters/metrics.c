/* metrics.c: blur, noise and frame-contact measures on plain buffers (see metrics.h). */
#include "filters/metrics.h"

#include <math.h>
#include <stdlib.h>

double
lr_metric_blur(const guchar *luma, const guchar *mask, int width, int height, double floor)
{
	/* Sums of the original's neighbour differences and of the part a 9-tap box blur removes,
	 * vertically and horizontally; the blur estimate is the larger of the two ratios. */
	double d_ver = 0, v_ver = 0, d_hor = 0, v_hor = 0;
	const int r = 4;

	if (width < 2 * r + 3 || height < 2 * r + 3)
		return 1.0;
	double *bh = g_new(double, (size_t)width * height);
	double *bv = g_new(double, (size_t)width * height);
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			int sh = 0, sv = 0;
			for (int k = -r; k <= r; k++) {
				sh += luma[(size_t)y * width + CLAMP(x + k, 0, width - 1)];
				sv += luma[(size_t)CLAMP(y + k, 0, height - 1) * width + x];
			}
			bh[(size_t)y * width + x] = sh / (2.0 * r + 1);
			bv[(size_t)y * width + x] = sv / (2.0 * r + 1);
		}
	for (int y = 1; y < height; y++)
		for (int x = 1; x < width; x++) {
			size_t i = (size_t)y * width + x;
			if (mask && mask[i] < 128)
				continue;
			double df_v = fabs((double)luma[i] - luma[i - width]);
			double db_v = fabs(bv[i] - bv[i - width]);
			double df_h = fabs((double)luma[i] - luma[i - 1]);
			double db_h = fabs(bh[i] - bh[i - 1]);
			/* Steps within the noise floor are grain, not detail: in a blurred photo they
			 * would otherwise be most of what is left, and read as sharp. */
			if (df_v > floor) {
				d_ver += df_v;
				v_ver += MAX(0.0, df_v - db_v);
			}
			if (df_h > floor) {
				d_hor += df_h;
				v_hor += MAX(0.0, df_h - db_h);
			}
		}
	g_free(bh);
	g_free(bv);
	/* A direction with no variation at all (a pattern of vertical stripes has none vertically)
	 * says nothing about blur: judge by the other one. */
	if (d_ver < 1 && d_hor < 1)
		return 1.0;
	double b_ver = d_ver < 1 ? 0 : (d_ver - v_ver) / d_ver;
	double b_hor = d_hor < 1 ? 0 : (d_hor - v_hor) / d_hor;
	return MAX(b_ver, b_hor);
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
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
	qsort(sigmas, n, sizeof(double), compare_double);
	double sigma = sigmas[n / 10];
	g_free(sigmas);
	return sigma;
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
