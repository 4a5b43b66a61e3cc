/* defocus.c: a defocus map from the width of edges, for the segmentation.
 *
 * Method: S. Zhuo and T. Sim, "Defocus map estimation from a single image", Pattern Recognition
 * 44(9), 2011. An edge blurred by a Gaussian of sigma s has a gradient peak proportional to 1 / s;
 * blurred again with a known sigma s0 its peak falls to 1 / sqrt(s^2 + s0^2). The ratio R of the
 * two peaks at the edge therefore gives s = s0 / sqrt(R^2 - 1), independently of the edge's
 * contrast. Edges are the local maxima of the colour gradient across the edge (the direction of the
 * colour structure tensor, S. Di Zenzo, "A note on the gradient of a multi-image", CVGIP 1986),
 * where it is strong enough for the ratio to be read above the noise. Zhuo and Sim spread the
 * sparse estimates with the matting Laplacian; the segmentation only needs a coarse map, so here
 * each pixel takes the mean of the estimates within a box window (two passes of running sums:
 * linear in the pixels).
 */
#include "filters/defocus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The re-blur: sigma 1 px, a kernel of radius 3 (3 sigma). */
#define LR_DEFOCUS_S0 1.0f
#define LR_DEFOCUS_KR 3
/* Gradient (CIELAB units per pixel) below which a pixel is not taken as an edge: a 20 unit step
 * blurred to sigma 3 px still peaks at 20 / (sqrt(2 pi) 3) = 2.7, while sensor noise after the
 * segmentation's 3x3 smoothing stays well under 1. */
#define LR_DEFOCUS_MIN_GRADIENT 2.0f
/* Estimates are capped: beyond a few pixels at the analysis scale the ratio is too close to 1 to
 * tell one large blur from another. */
#define LR_DEFOCUS_MAX_SIGMA 6.0f

/* Colour gradient by central differences: the structure tensor (Di Zenzo) per pixel, JXX, JXY, JYY
 * summed over the three channels. */
static void
lr_defocus_tensor(const float *lab, int w, int h, int x, int y, float *jxx, float *jxy, float *jyy)
{
	int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
	int yu = y > 0 ? y - 1 : y, yd = y < h - 1 ? y + 1 : y;
	float a = 0, b = 0, c = 0;

	for (int k = 0; k < 3; k++) {
		float gx =
		    0.5f * (lab[3 * ((size_t)y * w + xr) + k] - lab[3 * ((size_t)y * w + xl) + k]);
		float gy =
		    0.5f * (lab[3 * ((size_t)yd * w + x) + k] - lab[3 * ((size_t)yu * w + x) + k]);

		a += gx * gx;
		b += gx * gy;
		c += gy * gy;
	}
	*jxx = a;
	*jxy = b;
	*jyy = c;
}

/* Largest eigenvalue of the tensor: the squared gradient magnitude across the edge. */
static float
lr_defocus_strength(float jxx, float jxy, float jyy)
{
	float t = 0.5f * (jxx + jyy), d = 0.5f * (jxx - jyy);

	return t + sqrtf(d * d + jxy * jxy);
}

/* Separable Gaussian blur of the three channels of IN into OUT, edges clamped. */
static int
lr_defocus_blur(const float *in, float *out, int w, int h)
{
	float k[2 * LR_DEFOCUS_KR + 1], sum = 0;
	float *tmp = malloc((size_t)w * h * 3 * sizeof(float));

	if (!tmp)
		return -1;
	for (int i = -LR_DEFOCUS_KR; i <= LR_DEFOCUS_KR; i++)
		sum += k[i + LR_DEFOCUS_KR] = expf(-0.5f * i * i / (LR_DEFOCUS_S0 * LR_DEFOCUS_S0));
	for (int i = 0; i < 2 * LR_DEFOCUS_KR + 1; i++)
		k[i] /= sum;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				float v = 0;

				for (int t = -LR_DEFOCUS_KR; t <= LR_DEFOCUS_KR; t++) {
					int xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;

					v +=
					    k[t + LR_DEFOCUS_KR] * in[3 * ((size_t)y * w + xx) + c];
				}
				tmp[3 * ((size_t)y * w + x) + c] = v;
			}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				float v = 0;

				for (int t = -LR_DEFOCUS_KR; t <= LR_DEFOCUS_KR; t++) {
					int yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;

					v += k[t + LR_DEFOCUS_KR] *
					     tmp[3 * ((size_t)yy * w + x) + c];
				}
				out[3 * ((size_t)y * w + x) + c] = v;
			}
	free(tmp);
	return 0;
}

/* Box sum of radius R over a W x H plane, in place, edges cut (not clamped): running sums per row,
 * then per column. TMP holds W * H doubles. */
static void
lr_defocus_box(float *p, int w, int h, int r, double *tmp)
{
	for (int y = 0; y < h; y++) {
		const float *row = p + (size_t)y * w;
		double acc = 0;

		for (int x = 0; x < r && x < w; x++)
			acc += row[x];
		for (int x = 0; x < w; x++) {
			if (x + r < w)
				acc += row[x + r];
			if (x - r - 1 >= 0)
				acc -= row[x - r - 1];
			tmp[(size_t)y * w + x] = acc;
		}
	}
	for (int x = 0; x < w; x++) {
		double acc = 0;

		for (int y = 0; y < r && y < h; y++)
			acc += tmp[(size_t)y * w + x];
		for (int y = 0; y < h; y++) {
			if (y + r < h)
				acc += tmp[(size_t)(y + r) * w + x];
			if (y - r - 1 >= 0)
				acc -= tmp[(size_t)(y - r - 1) * w + x];
			p[(size_t)y * w + x] = (float)acc;
		}
	}
}

int
lr_defocus_edges(const float *lab, int width, int height, float *edge_sigma)
{
	static const int ddx[4] = {1, 0, 1, 1}, ddy[4] = {0, 1, 1, -1};
	int w = width, h = height;
	size_t n = (size_t)w * h;
	float *reblur = malloc(n * 3 * sizeof(float)), *g1 = malloc(n * sizeof(float));
	uint8_t *dir = malloc(n);
	int err = -1;

	if (!reblur || !g1 || !dir || lr_defocus_blur(lab, reblur, w, h))
		goto out;
	/* Squared gradient across the edge, and its direction quantised to 0: x, 1: y, 2: the
	 * diagonal x = y, 3: the other diagonal, for the non-maximum suppression. */
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			float jxx, jxy, jyy, c, sn;

			lr_defocus_tensor(lab, w, h, x, y, &jxx, &jxy, &jyy);
			g1[(size_t)y * w + x] = lr_defocus_strength(jxx, jxy, jyy);
			/* The edge normal is at angle theta with tan(2 theta) = 2 jxy / (jxx -
			 * jyy); its octant follows from the signs and ratio of cos 2 theta ~ jxx -
			 * jyy and sin 2 theta ~ 2 jxy: |2 theta| < 45 degrees is along x, > 135
			 * along y. */
			c = jxx - jyy;
			sn = 2 * jxy;
			dir[(size_t)y * w + x] = fabsf(sn) <= c	   ? 0
						 : fabsf(sn) <= -c ? 1
						 : sn > 0	   ? 2
								   : 3;
		}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			float g = g1[i], s = -1;
			int d = dir[i], ax = x + ddx[d], ay = y + ddy[d], bx = x - ddx[d],
			    by = y - ddy[d];

			if (g >= LR_DEFOCUS_MIN_GRADIENT * LR_DEFOCUS_MIN_GRADIENT && ax >= 0 &&
			    ax < w && bx >= 0 && bx < w && ay >= 0 && ay < h && by >= 0 && by < h &&
			    g >= g1[(size_t)ay * w + ax] && g > g1[(size_t)by * w + bx]) {
				float jxx, jxy, jyy, g2, r2;

				lr_defocus_tensor(reblur, w, h, x, y, &jxx, &jxy, &jyy);
				g2 = lr_defocus_strength(jxx, jxy, jyy);
				r2 = g / (g2 > 1e-6f ? g2 : 1e-6f); /* R^2 */
				s = r2 > 1.0f + 1e-3f ? LR_DEFOCUS_S0 / sqrtf(r2 - 1.0f)
						      : LR_DEFOCUS_MAX_SIGMA;
				if (s > LR_DEFOCUS_MAX_SIGMA)
					s = LR_DEFOCUS_MAX_SIGMA;
			}
			edge_sigma[i] = s;
		}
	err = 0;
out:
	free(reblur);
	free(g1);
	free(dir);
	return err;
}

int
lr_defocus_spread(const float *edge_sigma, int width, int height, int radius, float lo, float hi,
		  float *sigma, float *weight)
{
	size_t n = (size_t)width * height;
	double *tmp = malloc(n * sizeof(double));

	if (!tmp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int in = edge_sigma[i] >= lo && edge_sigma[i] < hi;

		sigma[i] = in ? edge_sigma[i] : 0;
		weight[i] = in;
	}
	lr_defocus_box(sigma, width, height, radius, tmp);
	lr_defocus_box(weight, width, height, radius, tmp);
	for (size_t i = 0; i < n; i++)
		sigma[i] = weight[i] > 0 ? sigma[i] / weight[i] : 0;
	free(tmp);
	return 0;
}
