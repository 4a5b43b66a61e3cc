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

/* Colour gradient by central differences: the structure tensor (Di Zenzo) of pixel X of ROW, JXX,
 * JXY, JYY summed over the three channels, with XL and XR its left and right neighbours' columns
 * and UP and DOWN the rows above and below (each repeats X or ROW at the image's edge). */
static inline void
lr_defocus_tensor_at(const float *row, const float *up, const float *down, int xl, int x, int xr,
		     float *jxx, float *jxy, float *jyy)
{
	float a = 0, b = 0, c = 0;

	for (int k = 0; k < 3; k++) {
		float gx = 0.5f * (row[3 * xr + k] - row[3 * xl + k]);
		float gy = 0.5f * (down[3 * x + k] - up[3 * x + k]);

		a += gx * gx;
		b += gx * gy;
		c += gy * gy;
	}
	*jxx = a;
	*jxy = b;
	*jyy = c;
}

/* The structure tensors of row Y of LAB, W x H, into JXX, JXY, JYY (W floats each): the pixels
 * between the first and the last in a plain loop, which the compiler vectorises. */
__attribute__((target_clones("avx2", "default"))) static void
lr_defocus_tensor_row(const float *lab, int w, int h, int y, float *restrict jxx,
		      float *restrict jxy, float *restrict jyy)
{
	const float *row = lab + 3 * (size_t)y * w;
	const float *up = lab + 3 * (size_t)(y > 0 ? y - 1 : y) * w;
	const float *down = lab + 3 * (size_t)(y < h - 1 ? y + 1 : y) * w;

	lr_defocus_tensor_at(row, up, down, 0, 0, w > 1, jxx, jxy, jyy);
	for (int x = 1; x < w - 1; x++)
		lr_defocus_tensor_at(row, up, down, x - 1, x, x + 1, jxx + x, jxy + x, jyy + x);
	if (w > 1)
		lr_defocus_tensor_at(row, up, down, w - 2, w - 1, w - 1, jxx + w - 1, jxy + w - 1,
				     jyy + w - 1);
}

/* Largest eigenvalue of the tensor: the squared gradient magnitude across the edge. */
static float
lr_defocus_strength(float jxx, float jxy, float jyy)
{
	float t = 0.5f * (jxx + jyy), d = 0.5f * (jxx - jyy);

	return t + sqrtf(d * d + jxy * jxy);
}

/* One row of the re-blur's pass along the rows (LrDefocusBlur): ROW and T are W pixels of three
 * channels, K the kernel. The row is one array of 3 W floats in which a pixel's neighbour U columns
 * away is 3 U floats away, so the pixels whose window lies within the row are one plain loop, which
 * the compiler vectorises. */
static inline void
lr_defocus_blur_row(const float *row, float *t, int w, const float *k)
{
	for (int x = 0; x < w; x++) {
		if (x == LR_DEFOCUS_KR && w > 2 * LR_DEFOCUS_KR) {
			for (size_t j = 3 * (size_t)x; j < 3 * (size_t)(w - LR_DEFOCUS_KR); j++) {
				float v = 0;

				for (int u = -LR_DEFOCUS_KR; u <= LR_DEFOCUS_KR; u++)
					v += k[u + LR_DEFOCUS_KR] * row[j + 3 * u];
				t[j] = v;
			}
			x = w - LR_DEFOCUS_KR;
		}
		if (x >= w)
			break;
		for (int c = 0; c < 3; c++) {
			float v = 0;

			for (int u = -LR_DEFOCUS_KR; u <= LR_DEFOCUS_KR; u++) {
				int xx = x + u < 0 ? 0 : x + u >= w ? w - 1 : x + u;

				v += k[u + LR_DEFOCUS_KR] * row[3 * xx + c];
			}
			t[3 * x + c] = v;
		}
	}
}

/* The Gaussian re-blur of an image of three channels (separable, edges clamped), made a row at a
 * time in order. The rows blurred along are kept only while the pass down the columns needs them,
 * in a ring of LR_DEFOCUS_RING rows (row r in slot r % LR_DEFOCUS_RING): an image's worth of either
 * pass would be as many fresh pages to fault in. */
#define LR_DEFOCUS_RING (2 * LR_DEFOCUS_KR + 2)
typedef struct {
	const float *in;
	int w, h;
	float k[2 * LR_DEFOCUS_KR + 1];
	float *ring;
	int along; /* the rows blurred along so far: 0 .. along */
} LrDefocusBlur;

/* Starts the re-blur of IN, W x H: 0, or -1 if memory ran out. lr_defocus_blur_end frees it. */
static int
lr_defocus_blur_start(LrDefocusBlur *b, const float *in, int w, int h)
{
	float sum = 0;

	b->in = in;
	b->w = w;
	b->h = h;
	b->along = -1;
	for (int i = -LR_DEFOCUS_KR; i <= LR_DEFOCUS_KR; i++)
		sum += b->k[i + LR_DEFOCUS_KR] =
		    expf(-0.5f * i * i / (LR_DEFOCUS_S0 * LR_DEFOCUS_S0));
	for (int i = 0; i < 2 * LR_DEFOCUS_KR + 1; i++)
		b->k[i] /= sum;
	b->ring = malloc(LR_DEFOCUS_RING * 3 * (size_t)w * sizeof(float));
	return b->ring ? 0 : -1;
}

/* Frees what lr_defocus_blur_start allocated (nothing, if it was not called: B zeroed). */
static void
lr_defocus_blur_end(LrDefocusBlur *b)
{
	free(b->ring);
}

/* Row Y of the re-blur into OUT (3 W floats); rows are asked for in order. Each pass adds the taps
 * in the same order for every pixel; the pass down is a plain loop per row (its clamping is per
 * row), which the compiler vectorises. */
__attribute__((target_clones("avx2", "default"))) static void
lr_defocus_blur_down(LrDefocusBlur *b, int y, float *restrict out)
{
	size_t stride = 3 * (size_t)b->w;
	const float *rows[2 * LR_DEFOCUS_KR + 1];
	float k[2 * LR_DEFOCUS_KR + 1];

	memcpy(k, b->k, sizeof(k));
	while (b->along < y + LR_DEFOCUS_KR && b->along < b->h - 1) {
		b->along++;
		lr_defocus_blur_row(b->in + b->along * stride,
				    b->ring + b->along % LR_DEFOCUS_RING * stride, b->w, k);
	}
	for (int u = -LR_DEFOCUS_KR; u <= LR_DEFOCUS_KR; u++) {
		int yy = y + u < 0 ? 0 : y + u >= b->h ? b->h - 1 : y + u;

		rows[u + LR_DEFOCUS_KR] = b->ring + yy % LR_DEFOCUS_RING * stride;
	}
	for (size_t j = 0; j < stride; j++) {
		float v = 0;

		for (int u = 0; u < 2 * LR_DEFOCUS_KR + 1; u++)
			v += k[u] * rows[u][j];
		out[j] = v;
	}
}

/* Box sum of radius R over a W x H plane, in place, edges cut (not clamped): running sums per row,
 * then per column. TMP holds W * H doubles; ACC, W more. A running sum is a chain of dependent
 * additions, so the sums advance together: those of LR_DEFOCUS_ROWS rows a column at a time, then
 * those of all columns a row at a time (which also reads rows rather than columns). */
#define LR_DEFOCUS_ROWS 8
static void
lr_defocus_box(float *p, int w, int h, int r, double *tmp, double *acc)
{
	for (int y0 = 0; y0 < h; y0 += LR_DEFOCUS_ROWS) {
		int nr = h - y0 < LR_DEFOCUS_ROWS ? h - y0 : LR_DEFOCUS_ROWS;
		const float *rows = p + (size_t)y0 * w;
		double *t = tmp + (size_t)y0 * w, a[LR_DEFOCUS_ROWS] = {0};

		for (int x = 0; x < r && x < w; x++)
			for (int k = 0; k < nr; k++)
				a[k] += rows[(size_t)k * w + x];
		for (int x = 0; x < w; x++) {
			if (x + r < w)
				for (int k = 0; k < nr; k++)
					a[k] += rows[(size_t)k * w + x + r];
			if (x - r - 1 >= 0)
				for (int k = 0; k < nr; k++)
					a[k] -= rows[(size_t)k * w + x - r - 1];
			for (int k = 0; k < nr; k++)
				t[(size_t)k * w + x] = a[k];
		}
	}
	for (int x = 0; x < w; x++)
		acc[x] = 0;
	for (int y = 0; y < r && y < h; y++)
		for (int x = 0; x < w; x++)
			acc[x] += tmp[(size_t)y * w + x];
	for (int y = 0; y < h; y++) {
		if (y + r < h)
			for (int x = 0; x < w; x++)
				acc[x] += tmp[(size_t)(y + r) * w + x];
		if (y - r - 1 >= 0)
			for (int x = 0; x < w; x++)
				acc[x] -= tmp[(size_t)(y - r - 1) * w + x];
		for (int x = 0; x < w; x++)
			p[(size_t)y * w + x] = (float)acc[x];
	}
}

int
lr_defocus_edges(const float *lab, int width, int height, float *edge_sigma)
{
	static const int ddx[4] = {1, 0, 1, 1}, ddy[4] = {0, 1, 1, -1};
	int w = width, h = height, done = -1, err = -1;
	/* What the non-maximum suppression of a row reads, for the rows around it: rings of three
	 * rows (row r in slot r % 3) of the re-blur, the squared gradient and its direction. */
	float *reblur = malloc(3 * 3 * (size_t)w * sizeof(float));
	float *g1 = malloc(3 * (size_t)w * sizeof(float));
	float *tensor = malloc(3 * (size_t)w * sizeof(float));
	uint8_t *dir = malloc(3 * (size_t)w);
	LrDefocusBlur blur = {.ring = NULL};

	if (!reblur || !g1 || !tensor || !dir || lr_defocus_blur_start(&blur, lab, w, h))
		goto out;
	for (int y = 0; y < h; y++) {
		/* Squared gradient across the edge, and its direction quantised to 0: x, 1: y, 2:
		 * the diagonal x = y, 3: the other diagonal, up to the row after this one. */
		while (done < y + 1 && done < h - 1) {
			done++;
			lr_defocus_blur_down(&blur, done, reblur + done % 3 * 3 * (size_t)w);
			lr_defocus_tensor_row(lab, w, h, done, tensor, tensor + w, tensor + 2 * w);
			for (int x = 0; x < w; x++) {
				float jxx = tensor[x], jxy = tensor[w + x], jyy = tensor[2 * w + x];
				/* The edge normal is at angle theta with tan(2 theta) = 2 jxy /
				 * (jxx - jyy); its octant follows from the signs and ratio of cos 2
				 * theta ~ jxx - jyy and sin 2 theta ~ 2 jxy: |2 theta| < 45 degrees
				 * is along x, > 135 along y. */
				float c = jxx - jyy, sn = 2 * jxy;

				g1[done % 3 * w + x] = lr_defocus_strength(jxx, jxy, jyy);
				dir[done % 3 * w + x] = fabsf(sn) <= c	  ? 0
							: fabsf(sn) <= -c ? 1
							: sn > 0	  ? 2
									  : 3;
			}
		}
		for (int x = 0; x < w; x++) {
			float g = g1[y % 3 * w + x], s = -1;
			int d = dir[y % 3 * w + x], ax = x + ddx[d], ay = y + ddy[d],
			    bx = x - ddx[d], by = y - ddy[d];

			if (g >= LR_DEFOCUS_MIN_GRADIENT * LR_DEFOCUS_MIN_GRADIENT && ax >= 0 &&
			    ax < w && bx >= 0 && bx < w && ay >= 0 && ay < h && by >= 0 && by < h &&
			    g >= g1[ay % 3 * w + ax] && g > g1[by % 3 * w + bx]) {
				const float *row = reblur + y % 3 * 3 * (size_t)w;
				const float *up = reblur + (y > 0 ? y - 1 : y) % 3 * 3 * (size_t)w;
				const float *down =
				    reblur + (y < h - 1 ? y + 1 : y) % 3 * 3 * (size_t)w;
				float jxx, jxy, jyy, g2, r2;

				lr_defocus_tensor_at(row, up, down, x > 0 ? x - 1 : x, x,
						     x < w - 1 ? x + 1 : x, &jxx, &jxy, &jyy);
				g2 = lr_defocus_strength(jxx, jxy, jyy);
				r2 = g / (g2 > 1e-6f ? g2 : 1e-6f); /* R^2 */
				s = r2 > 1.0f + 1e-3f ? LR_DEFOCUS_S0 / sqrtf(r2 - 1.0f)
						      : LR_DEFOCUS_MAX_SIGMA;
				if (s > LR_DEFOCUS_MAX_SIGMA)
					s = LR_DEFOCUS_MAX_SIGMA;
			}
			edge_sigma[(size_t)y * w + x] = s;
		}
	}
	err = 0;
out:
	lr_defocus_blur_end(&blur);
	free(reblur);
	free(g1);
	free(tensor);
	free(dir);
	return err;
}

int
lr_defocus_spread(const float *edge_sigma, int width, int height, int radius, float lo, float hi,
		  float *sigma, float *weight)
{
	size_t n = (size_t)width * height;
	double *tmp = malloc((n + width) * sizeof(double));

	if (!tmp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int in = edge_sigma[i] >= lo && edge_sigma[i] < hi;

		sigma[i] = in ? edge_sigma[i] : 0;
		weight[i] = in;
	}
	lr_defocus_box(sigma, width, height, radius, tmp, tmp + n);
	lr_defocus_box(weight, width, height, radius, tmp, tmp + n);
	for (size_t i = 0; i < n; i++)
		sigma[i] = weight[i] > 0 ? sigma[i] / weight[i] : 0;
	free(tmp);
	return 0;
}
