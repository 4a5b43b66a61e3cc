/* phash.c: the DCT perceptual hash (see phash.h).
 *
 * The photo is reduced to 32x32 luma (an area average, so it is the picture's layout of light and
 * dark that counts, not its texture), transformed with a 2-D DCT-II, and the 8x8 lowest frequencies
 * but the DC term are compared with their median: one bit each. */
#include "pipeline/phash.h"
#include "filters/image.h"
#include "filters/metrics.h"

#include <math.h>

#define N 32

int
lr_phash(VipsImage *image, guint64 *hash)
{
	VipsImage *t[3] = { NULL, NULL, NULL };
	int err = vips_colourspace(image, &t[0], VIPS_INTERPRETATION_B_W, NULL) ||
		  vips_resize(t[0], &t[1], (double)N / t[0]->Xsize, "vscale",
			      (double)N / t[0]->Ysize, "kernel", VIPS_KERNEL_LINEAR, NULL) ||
		  !(t[2] = lr_image_copy_memory(t[1]));
	if (!err && (t[2]->Xsize < N || t[2]->Ysize < N)) {
		vips_error("lr_phash", "reduction gave %dx%d", t[2]->Xsize, t[2]->Ysize);
		err = -1;
	}
	if (!err) {
		double pixel[N][N], cosine[8][N], coef[64];
		for (int y = 0; y < N; y++)
			for (int x = 0; x < N; x++)
				pixel[y][x] = *VIPS_IMAGE_ADDR(t[2], x, y);
		for (int u = 0; u < 8; u++)
			for (int x = 0; x < N; x++)
				cosine[u][x] = cos((2 * x + 1) * u * G_PI / (2 * N));
		for (int v = 0; v < 8; v++)
			for (int u = 0; u < 8; u++) {
				double sum = 0;
				for (int y = 0; y < N; y++)
					for (int x = 0; x < N; x++)
						sum += pixel[y][x] * cosine[u][x] * cosine[v][y];
				coef[v * 8 + u] = sum;
			}
		double sorted[63];
		for (int i = 1; i < 64; i++)
			sorted[i - 1] = coef[i];
		double median = lr_select(sorted, 63, 31);
		guint64 bits = 0;
		for (int i = 1; i < 64; i++)
			if (coef[i] > median)
				bits |= (guint64)1 << i;
		*hash = bits;
	}
	for (int i = 0; i < 3; i++)
		VIPS_UNREF(t[i]);
	return err ? -1 : 0;
}

int
lr_phash_distance(guint64 a, guint64 b)
{
	return __builtin_popcountll(a ^ b);
}
