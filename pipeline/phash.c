/* phash.c: the DCT perceptual hash (see phash.h).
 *
 * The photo is reduced to 32x32 grey cells (an area average, so it is the picture's layout of light
 * and dark that counts, not its texture), transformed with a 2-D DCT-II, and the 8x8 lowest
 * frequencies but the DC term are compared with their median: one bit each. The cells are worked
 * out here in one pass over the 8-bit pixels (see cells()): vips_colourspace to B_W and vips_resize took 6-9 ms on a 400 px
 * analysis copy, this well under 1 ms (measured). */
#include "pipeline/phash.h"
#include "filters/image.h"
#include "filters/metrics.h"
#include "filters/resample.h"

#include <math.h>

#define N 32

/* The N x N cells of IN (uchar, 1 to 4 bands, memory; at least N x N pixels): the mean grey of their
 * pixels, 0..255. A pixel's grey is its luminance (Rec. 709 weights in linear light) put back on the
 * sRGB curve, as libvips's B_W; GREY_STEPS levels of linear light are plenty for an average. */
#define GREY_STEPS 4096
static float lin[256], grey[GREY_STEPS + 1];

static void
tables_init(void)
{
	static gsize once;
	if (!g_once_init_enter(&once))
		return;
	for (int v = 0; v < 256; v++)
		lin[v] = (float)(lr_srgb_to_linear(v / 255.0) * GREY_STEPS);
	for (int i = 0; i <= GREY_STEPS; i++)
		grey[i] = (float)(255 * lr_linear_to_srgb((double)i / GREY_STEPS));
	g_once_init_leave(&once, 1);
}

static void
cells(VipsImage *in, double cell[N][N])
{
	int w = in->Xsize, h = in->Ysize, bands = in->Bands;
	int colour = bands >= 3;
	tables_init();
	double sum[N][N] = { { 0 } };
	int count[N] = { 0 };
	int *column = g_new(int, w);
	for (int x = 0; x < w; x++)
		column[x] = (int)((gint64)x * N / w);
	for (int y = 0; y < h; y++) {
		const guchar *p = VIPS_IMAGE_ADDR(in, 0, y);
		double *row = sum[(gint64)y * N / h];
		float acc[N] = { 0 };
		for (int x = 0; x < w; x++, p += bands) {
			float l = colour ? 0.2126f * lin[p[0]] + 0.7152f * lin[p[1]] + 0.0722f * lin[p[2]]
					 : lin[p[0]];
			acc[column[x]] += grey[MIN(GREY_STEPS, (int)(l + 0.5f))];
		}
		for (int i = 0; i < N; i++)
			row[i] += acc[i];
	}
	for (int x = 0; x < w; x++)
		count[column[x]]++;
	for (int j = 0; j < N; j++) {
		int rows = (int)(((gint64)(j + 1) * h + N - 1) / N - ((gint64)j * h + N - 1) / N);
		for (int i = 0; i < N; i++)
			cell[j][i] = sum[j][i] / ((double)rows * count[i]);
	}
	g_free(column);
}

int
lr_phash(VipsImage *image, guint64 *hash)
{
	VipsImage *t[4] = { NULL, NULL, NULL, NULL }, *in = image;
	int err = 0;
	/* Anything but 8-bit sRGB or grey (none of the pipeline's own copies) is converted first, and
	 * a photo under N pixels a side (no analysis copy is) repeated up to it. */
	if (in->BandFmt != VIPS_FORMAT_UCHAR || in->Coding != VIPS_CODING_NONE ||
	    (in->Type != VIPS_INTERPRETATION_sRGB && in->Type != VIPS_INTERPRETATION_B_W &&
	     in->Type != VIPS_INTERPRETATION_MULTIBAND)) {
		err = vips_colourspace(in, &t[0], VIPS_INTERPRETATION_sRGB, NULL) ||
		      vips_cast_uchar(t[0], &t[1], NULL);
		in = t[1];
	}
	if (!err && (in->Xsize < N || in->Ysize < N)) {
		err = vips_resize(in, &t[2], (double)N / MIN(in->Xsize, N), "vscale",
				  (double)N / MIN(in->Ysize, N), "kernel", VIPS_KERNEL_NEAREST, NULL);
		in = t[2];
	}
	if (!err && !(t[3] = lr_image_copy_memory(in)))
		err = -1;
	if (!err && (t[3]->Xsize < N || t[3]->Ysize < N)) {
		vips_error("lr_phash", "enlarging gave %dx%d", t[3]->Xsize, t[3]->Ysize);
		err = -1;
	}
	if (!err) {
		double pixel[N][N], cosine[8][N], coef[64];
		cells(t[3], pixel);
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
	for (int i = 0; i < 4; i++)
		VIPS_UNREF(t[i]);
	return err ? -1 : 0;
}

int
lr_phash_distance(guint64 a, guint64 b)
{
	return __builtin_popcountll(a ^ b);
}
