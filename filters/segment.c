/* segment.c: separates the product from the background of a product photo, for the analyse stage.
 *
 * Method (lr_segment_product): GrabCut (C. Rother, V. Kolmogorov and A. Blake, "GrabCut: Interactive
 * Foreground Extraction using Iterated Graph Cuts", SIGGRAPH 2004) with the rectangle replaced by the
 * frame border: the border of a product photo is nearly always background. Colours are CIELAB, lightly
 * smoothed against sensor noise.
 *  - The border strip is the background seed, but a stretch of one side whose colours the other three
 *    sides do not explain (a product cut off by the frame) is left out of the seed, so such a product
 *    is neither modelled as background nor pushed towards it.
 *  - The background model is a Gaussian mixture on the residual of each pixel from a smooth
 *    (quadratic) illumination surface fitted to the background, so a light gradient across a sheet is
 *    absorbed; lightness gets a wider variance than chroma, and a pixel darker than a background
 *    component is judged against that component in shade (a still wider lightness tolerance, and the
 *    chroma dimmed as shade dims it), so soft shadows on the support stay background while a dark
 *    product of another colour does not.
 *  - A defocus prior (lr_segment_defocus_prior()) for the photo taken in a room: when the edges at the
 *    border are clearly softer than the sharpest edges at the centre (a depth of field: the phone
 *    focused on the product, the room behind is blurred), the blur of each edge (S. Zhuo and T. Sim,
 *    "Defocus map estimation from a single image", Pattern Recognition 2011, in defocus.c) becomes a
 *    data term (soft edges: background, edges as sharp as the product's: product), the colours around
 *    soft edges join the first background model, and a cut along a soft edge costs as much as one
 *    across a flat area (the product is in focus, so its outline is sharp). The border's colours alone
 *    cannot describe a room (GrabCut's known failure); focus can, and a photo in focus throughout (a
 *    sheet, a table, a printed bedsheet) does not switch the prior on at all.
 *  - A framing prior: the product is framed, so the log odds of product fall away from the centre.
 *  - The product model is a Gaussian mixture of the pixels that the background model finds unlikely,
 *    less those that fade into the surroundings without a step in colour (a pool of light on the
 *    sheet that the quadratic surface cannot follow; lr_segment_drop_fades()): a product's outline is
 *    a step.
 *  - Graph cut (max-flow of maxflow.c) with data terms the mixture energies and the priors, and
 *    GrabCut's contrast sensitive 8-neighbour smoothness, iterated while re-fitting both models and
 *    the surface. The rounds before the last cut a coarsened grid (blocks of 2 x 2 pixels, whose
 *    data and edge terms are the sums of their pixels', as in H. Lombaert et al., "A multilevel banded
 *    graph cuts method for fast image segmentation", ICCV 2005); the last cuts the full grid in a band
 *    around the boundary they leave. Early rounds, whose models still overlap the background, cost
 *    little on the small grid, each round after the first keeps the flow of the one before (P. Kohli
 *    and P. Torr, "Dynamic Graph Cuts for Efficient Inference in Markov Random Fields", TPAMI 2007),
 *    and the last one touches only the band.
 *  - Post-processing keeps every sizeable component (several objects are one product), drops specks and
 *    small border-touching clutter, fills enclosed holes and softens a 2 px edge band.
 * Confidence is explained at lr_segment_confidence(): a product of the colour models' separation along
 * the boundary, plausibility checks of the mask's extent and framing, the border's complexity, and,
 * where the photo has a depth of field, the agreement of the cut's outline with the sharp edges.
 *
 * Method (lr_segment_upsample): the fast guided filter (K. He and J. Sun, "Fast Guided Filter",
 * arXiv:1505.00996, 2015) with a colour guide (K. He, J. Sun, X. Tang, "Guided Image Filtering", TPAMI
 * 2013): the linear coefficients of mask ~ a . RGB + b are computed at the mask's size, then
 * interpolated bilinearly and applied to the full-size colours only in the band around the boundary,
 * where the result can differ from 0 or 255; the result is stretched from 10..90% to 0..100% so the
 * filter's faint tails do not tint the replaced background.
 */
#include "filters/segment.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/defocus.h"
#include "filters/image.h"
#include "filters/maxflow.h"

#define LR_SEG_K 5		/* mixture components, as in GrabCut */
#define LR_SEG_SAMPLES 4000	/* pixels per mixture fit; more changes little and costs time */
#define LR_SEG_ITERATIONS 4	/* graph-cut / re-fit rounds; stops earlier when labels settle */
/* The rounds before the last cut blocks of 2 x 2 pixels (lr_segment_cut; log2 of the block size).
 * Blocks of 4 cannot follow a round outline closely enough to keep a cut off a plank joint or a fold
 * that runs along the block grid, and they bridge the gaps between the small objects of a set: the
 * wood between three little bowls then entered the product model, and the next round took the whole
 * plank. These rounds must see the whole frame, since the first can be wrong far from its boundary;
 * on one grid from the first round on, every round after it keeps the flow of the one before. The
 * last cuts pixels in a band of LR_SEG_BAND around the boundary they leave. */
#define LR_SEG_COARSE 1
#define LR_SEG_BAND ((1 << LR_SEG_COARSE) + 2) /* a block, and 2 px for the blocks' own error */
#define LR_SEG_GAMMA 50.0f	/* GrabCut's smoothness weight */
#define LR_SEG_BORDER_COST 3.0f /* extra cost, in nats, of calling a border seed pixel product */
#define LR_SEG_SHADOW 0.4f	/* darker-than-background lightness deviations count this much */
#define LR_SEG_MAX_ENERGY 200.0f
#define LR_SEG_CENTRE 4.0f	/* strength of the framing prior, nats */
/* Pixels that the vectorised loops take at a time, gathered in arrays of one channel each that stay
 * in the L1 cache. */
#define LR_SEG_CHUNK 256

/* Covariance added to every component: sensor noise and JPEG error are larger in lightness, and
 * uneven light moves lightness much more than chroma. Units are CIELAB squared. */
static const float lr_segment_reg_bg[3] = {16.0f, 2.0f, 2.0f};
static const float lr_segment_reg_fg[3] = {4.0f, 1.0f, 1.0f};

/* The four forward neighbours of the 8-connected grid, in maxflow.h's order: right, down,
 * down-right, down-left. */
static const int lr_segment_dx[4] = { 1, 0, 1, -1 }, lr_segment_dy[4] = { 0, 1, 1, 1 };

typedef struct {
	int k;
	float mean[LR_SEG_K][3];
	float icov[LR_SEG_K][6]; /* inverse covariance: xx xy xz yy yz zz */
	float cst[LR_SEG_K];	 /* -log weight + log sqrt(det) + log (2 pi)^1.5 */
} LrSegGmm;

/* Surface coefficients per channel for 1, u, v, u^2, uv, v^2 with u, v in -1..1. */
typedef struct {
	float c[3][6];
} LrSegSurface;

typedef struct {
	int width, height, n;
	float *lab;   /* n * 3, smoothed CIELAB */
	float *resid; /* n * 3, lab minus the background illumination surface */
	float *dfg, *dbg;
	uint8_t *seed; /* 1: background seed (border strip, minus cut-off runs) */
	uint8_t *label;
	float *sample; /* LR_SEG_SAMPLES * 3 */
	float *edge;   /* n * 4 pairwise weights */
	float *prior; /* n, framing and defocus priors: cost in nats of calling the pixel product */
	LrGraph *graph;	   /* the last whole-grid cut's graph (lr_segment_cut), or NULL */
	int graph_shift;   /* ... its grid: blocks of 2^graph_shift */
	float *graph_term; /* ... and the data terms it was given, per block */
	uint8_t *dist;	/* n, scratch for distances to the boundary */
	uint8_t *sharp; /* n, 1 at the edges as sharp as the product's (set when depth > 0) */
	float depth;	/* 0..1, how clearly the photo shows a depth of field (lr_segment_defocus_prior) */
	uint32_t rng;
} LrSegState;

#define LR_SEG_RAND_A 1664525u
#define LR_SEG_RAND_C 1013904223u

static uint32_t
lr_segment_rand(uint32_t *state)
{
	*state = *state * LR_SEG_RAND_A + LR_SEG_RAND_C;
	return *state >> 8;
}

/* lr_segment_rand's sequence for a loop that draws once per pixel it considers: four interleaved
 * copies of the generator, each taking every fourth draw (four steps at once: x -> a^4 x + c (a^3 +
 * a^2 + a + 1)), so that a draw does not wait on the multiplication of the one before. */
typedef struct {
	uint32_t next[4]; /* the states of the next four draws */
	uint32_t last;	  /* the state of the last draw taken: the generator's */
	uint32_t a4, c4;  /* four steps */
	unsigned k;	  /* draws taken */
} LrSegDraws;

/* Starts drawing from the generator's STATE; the state after the last draw is then d->last. */
static void
lr_segment_draws_start(LrSegDraws *d, uint32_t state)
{
	d->last = state;
	d->a4 = 1;
	d->c4 = 0;
	for (int j = 0; j < 4; j++) {
		d->next[j] = state = state * LR_SEG_RAND_A + LR_SEG_RAND_C;
		d->c4 = d->c4 * LR_SEG_RAND_A + LR_SEG_RAND_C;
		d->a4 *= LR_SEG_RAND_A;
	}
	d->k = 0;
}

/* The next draw, as lr_segment_rand would return it. */
static inline uint32_t
lr_segment_draw(LrSegDraws *d)
{
	uint32_t v = d->next[d->k & 3];

	d->next[d->k++ & 3] = d->a4 * v + d->c4;
	d->last = v;
	return v >> 8;
}

static float
lr_segment_lab_f(float t)
{
	return t > 0.008856f ? cbrtf(t) : 7.787f * t + 16.0f / 116.0f;
}

/* sRGB bytes to CIELAB (D65). Tables replace the sRGB curve and the cube root, which dominate. */
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_to_lab(const guchar *rgb, int n, float *lab)
{
	enum { FN = 2048 };
	float lin[256], ftab[FN + 2];

	for (int i = 0; i < 256; i++) {
		float c = i / 255.0f;

		lin[i] = c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
	}
	for (int i = 0; i <= FN + 1; i++)
		ftab[i] = lr_segment_lab_f((float)i / FN);
	/* In chunks, XYZ clamped to 0..1 in a first pass and the table lookups in a second: gcc
	 * would move the arithmetic after a clamp into branches, which stop the vectoriser. */
	for (int i0 = 0; i0 < n; i0 += LR_SEG_CHUNK) {
		int m = n - i0 < LR_SEG_CHUNK ? n - i0 : LR_SEG_CHUNK;
		float t[3][LR_SEG_CHUNK];

		for (int j = 0; j < m; j++) {
			const guchar *p = rgb + 3 * (size_t)(i0 + j);
			float r = lin[p[0]], g = lin[p[1]], b = lin[p[2]];
			float xyz[3] = {(0.4124f * r + 0.3576f * g + 0.1805f * b) / 0.95047f,
					0.2126f * r + 0.7152f * g + 0.0722f * b,
					(0.0193f * r + 0.1192f * g + 0.9505f * b) / 1.08883f};

			for (int c = 0; c < 3; c++) {
				float v = xyz[c] < 0 ? 0 : xyz[c];

				t[c][j] = v > 1 ? 1 : v;
			}
		}
		for (int j = 0; j < m; j++) {
			float f[3], *o = lab + 3 * (size_t)(i0 + j);

			for (int c = 0; c < 3; c++) {
				float p = t[c][j] * FN;
				int k = (int)p;

				f[c] = ftab[k] + (ftab[k + 1] - ftab[k]) * (p - k);
			}
			o[0] = 116.0f * f[1] - 16.0f;
			o[1] = 500.0f * (f[0] - f[1]);
			o[2] = 200.0f * (f[1] - f[2]);
		}
	}
}

/* 3x3 binomial smoothing: takes the edge off sensor and JPEG noise without moving edges. TMP holds
 * W * H * 3 floats. */
static void
lr_segment_smooth(float *lab, int w, int h, float *tmp)
{
	/* Along a row, as one array of 3 W floats in which the neighbours are 3 floats away: all
	 * but the first and the last pixel in a plain loop, which the compiler vectorises. */
	for (int y = 0; y < h; y++) {
		const float *row = lab + (size_t)y * w * 3;
		float *t = tmp + (size_t)y * w * 3;

		for (int c = 0; c < 3; c++) {
			t[c] = 0.25f * row[c] + 0.5f * row[c] + 0.25f * row[3 + c];
			t[3 * (w - 1) + c] = 0.25f * row[3 * (w - 2) + c] +
					     0.5f * row[3 * (w - 1) + c] +
					     0.25f * row[3 * (w - 1) + c];
		}
		for (int j = 3; j < 3 * (w - 1); j++)
			t[j] = 0.25f * row[j - 3] + 0.5f * row[j] + 0.25f * row[j + 3];
	}
	for (int y = 0; y < h; y++) {
		int yu = y > 0 ? y - 1 : y, yd = y < h - 1 ? y + 1 : y;

		for (int x = 0; x < w * 3; x++)
			lab[(size_t)y * w * 3 + x] = 0.25f * tmp[(size_t)yu * w * 3 + x] +
						     0.5f * tmp[(size_t)y * w * 3 + x] +
						     0.25f * tmp[(size_t)yd * w * 3 + x];
	}
}

static float
lr_segment_dist2(const float *a, const float *b)
{
	float d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];

	return d0 * d0 + d1 * d1 + d2 * d2;
}

/* For each of the M points of P (channel after channel: M floats of each), each centre c in [C0,
 * C1) of CENTRE that is nearer than D2[i] makes D2[i] its squared distance and NEAR[i] c. Point by
 * point and branch-free, so the compiler vectorises it: it is most of the mixtures' k-means. */
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_nearer(const float *p, int m, const float (*centre)[3], int c0, int c1,
		  float *restrict d2, int *restrict near)
{
	const float *restrict p0 = p, *restrict p1 = p + m, *restrict p2 = p + 2 * m;

	for (int c = c0; c < c1; c++) {
		const float m0 = centre[c][0], m1 = centre[c][1], m2 = centre[c][2];

		for (int i = 0; i < m; i++) {
			float e0 = p0[i] - m0, e1 = p1[i] - m1, e2 = p2[i] - m2;
			float d = e0 * e0 + e1 * e1 + e2 * e2, old = d2[i];
			/* A mask, not a select: gcc turns "d < old ? c : near[i]" into a masked
			 * store behind a branch per vector. */
			int nearer = -(d < old);

			near[i] = (near[i] & ~nearer) | (c & nearer);
			d2[i] = d < old ? d : old;
		}
	}
}

/* Fits GMM to the M points in PTS: k-means++ seeding (fixed seed), Lloyd iterations, then one
 * Gaussian per cluster as in GrabCut's hard assignment, with REG added to each covariance. */
static void
lr_segment_gmm_fit(LrSegGmm *gmm, const float *pts, int m, const float reg[3], uint32_t *rng)
{
	float centre[LR_SEG_K][3];
	float *d2, *ch;
	int *assign, *near;
	int k = m / 30 < LR_SEG_K ? m / 30 : LR_SEG_K;
	double sum[LR_SEG_K][3], sq[LR_SEG_K][6];
	int count[LR_SEG_K];

	gmm->k = 0;
	if (k < 1)
		k = 1;
	if (m < 3)
		return;
	d2 = malloc((size_t)m * sizeof(float));
	assign = malloc((size_t)m * sizeof(int));
	near = malloc((size_t)m * sizeof(int));
	ch = malloc((size_t)m * 3 * sizeof(float));
	if (!d2 || !assign || !near || !ch) {
		free(d2);
		free(assign);
		free(near);
		free(ch);
		return;
	}
	/* The points channel after channel, for lr_segment_nearer. */
	for (int i = 0; i < m; i++)
		for (int j = 0; j < 3; j++)
			ch[j * m + i] = pts[3 * i + j];

	memcpy(centre[0], pts + 3 * (lr_segment_rand(rng) % m), sizeof(centre[0]));
	for (int i = 0; i < m; i++) {
		d2[i] = FLT_MAX;
		near[i] = 0;
	}
	lr_segment_nearer(ch, m, centre, 0, 1, d2, near);
	for (int c = 1; c < k; c++) {
		double total = 0, pick;
		int chosen = m - 1;

		for (int i = 0; i < m; i++)
			total += d2[i];
		if (total <= 0) {
			k = c;
			break;
		}
		pick = (lr_segment_rand(rng) / (double)(1u << 24)) * total;
		for (int i = 0; i < m; i++) {
			pick -= d2[i];
			if (pick <= 0) {
				chosen = i;
				break;
			}
		}
		memcpy(centre[c], pts + 3 * chosen, sizeof(centre[c]));
		lr_segment_nearer(ch, m, centre, c, c + 1, d2, near);
	}

	for (int it = 0; it < 8; it++) {
		int changed = 0;

		memset(sum, 0, sizeof(sum));
		memset(count, 0, sizeof(count));
		for (int i = 0; i < m; i++) {
			d2[i] = FLT_MAX;
			near[i] = 0;
		}
		lr_segment_nearer(ch, m, centre, 0, k, d2, near);
		for (int i = 0; i < m; i++) {
			int best = near[i];

			if (it == 0 || assign[i] != best)
				changed++;
			assign[i] = best;
			count[best]++;
			for (int j = 0; j < 3; j++)
				sum[best][j] += pts[3 * i + j];
		}
		for (int c = 0; c < k; c++)
			if (count[c])
				for (int j = 0; j < 3; j++)
					centre[c][j] = (float)(sum[c][j] / count[c]);
		if (!changed)
			break;
	}

	memset(sq, 0, sizeof(sq));
	for (int i = 0; i < m; i++) {
		const float *p = pts + 3 * i;
		int c = assign[i];
		float d0 = p[0] - centre[c][0], d1 = p[1] - centre[c][1], d2v = p[2] - centre[c][2];

		sq[c][0] += d0 * d0;
		sq[c][1] += d0 * d1;
		sq[c][2] += d0 * d2v;
		sq[c][3] += d1 * d1;
		sq[c][4] += d1 * d2v;
		sq[c][5] += d2v * d2v;
	}
	for (int c = 0; c < k; c++) {
		double a, b, cc, d, e, f, det, w;
		int o = gmm->k;

		/* Clusters of a handful of pixels give degenerate covariances and add nothing. */
		if (count[c] < 4)
			continue;
		a = sq[c][0] / count[c] + reg[0];
		b = sq[c][1] / count[c];
		cc = sq[c][2] / count[c];
		d = sq[c][3] / count[c] + reg[1];
		e = sq[c][4] / count[c];
		f = sq[c][5] / count[c] + reg[2];
		det = a * (d * f - e * e) - b * (b * f - e * cc) + cc * (b * e - d * cc);
		if (det <= 1e-9)
			continue;
		w = (double)count[c] / m;
		memcpy(gmm->mean[o], centre[c], sizeof(centre[c]));
		gmm->icov[o][0] = (float)((d * f - e * e) / det);
		gmm->icov[o][1] = (float)((cc * e - b * f) / det);
		gmm->icov[o][2] = (float)((b * e - cc * d) / det);
		gmm->icov[o][3] = (float)((a * f - cc * cc) / det);
		gmm->icov[o][4] = (float)((b * cc - a * e) / det);
		gmm->icov[o][5] = (float)((a * d - b * b) / det);
		gmm->cst[o] = (float)(-log(w) + 0.5 * log(det) + 1.5 * log(2 * G_PI));
		gmm->k++;
	}
	free(d2);
	free(assign);
	free(near);
	free(ch);
}

/* A component's energy at the deviation (D0, D1, D2) from its mean: CST plus half the quadratic form
 * of its inverse covariance IC (xx xy xz yy yz zz). */
static inline float
lr_segment_quadratic(const float *ic, float cst, float d0, float d1, float d2)
{
	return cst + 0.5f * (ic[0] * d0 * d0 + ic[3] * d1 * d1 + ic[5] * d2 * d2 +
			     2 * (ic[1] * d0 * d1 + ic[2] * d0 * d2 + ic[4] * d1 * d2));
}

/* Energies (negative log likelihood, nearest component as in GrabCut) of N pixels of FEAT (3 floats
 * a pixel): pixel IDX[j], or j when IDX is NULL, for j < N; each goes to OUT at the pixel's own
 * index. With SHADOW < 1, a pixel darker than the component is taken for the component in shade:
 * its lightness deviation counts only SHADOW as much, and it is compared with the component's
 * chroma dimmed as shade dims it. Shade scales a surface's light (XYZ) by some k; where CIELAB's
 * cube root applies (L above 8) that scales L + 16, a* and b* all by the cube root of k, so a
 * shaded brown is a less saturated brown, and judged against the unshaded one it would look like
 * another colour: the contact shadow of a bowl on wood would seed the product model with the wood's
 * colours. Shade that leaves less than LR_SEG_SHADE_MIN of the light is not dimmed further: a black
 * bowl is not the wood in shadow. And lightness is excused only down to LR_SEG_SHADE_DARK of the
 * light, the deepest a soft shadow on the support gets; what lies darker counts in full: the dark
 * grey inside of a bowl on a white printed sheet had passed for the sheet in shade, and the cut
 * kept only the bowl's outside. The pixels go in chunks of LR_SEG_CHUNK, their colours gathered
 * into one array per channel, with the component loop outside the pixel loop and selects instead of
 * branches: the compiler then vectorises the pixel loop (eight pixels at a time with AVX2), and the
 * energies are most of the segmentation's arithmetic. */
#define LR_SEG_SHADE_MIN 0.4f
#define LR_SEG_SHADE_DARK 0.25f
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_gmm_energies(const LrSegGmm *gmm, const float *feat, const int *idx, int n, float shadow,
			float *out)
{
	/* cbrt(LR_SEG_SHADE_MIN): the least the chroma is scaled by; cbrt(LR_SEG_SHADE_DARK): where
	 * lightness stops being excused. */
	const float rmin = 0.7368f, rdark = 0.6300f;
	float x0[LR_SEG_CHUNK], x1[LR_SEG_CHUNK], x2[LR_SEG_CHUNK], best[LR_SEG_CHUNK];
	float dev[LR_SEG_CHUNK], dim[LR_SEG_CHUNK];

	for (int j0 = 0; j0 < n; j0 += LR_SEG_CHUNK) {
		int m = n - j0 < LR_SEG_CHUNK ? n - j0 : LR_SEG_CHUNK;

		/* A run of pixels (in a loop of its own, which vectorises) or a list. */
		if (idx)
			for (int j = 0; j < m; j++) {
				const float *x = feat + 3 * (size_t)idx[j0 + j];

				x0[j] = x[0];
				x1[j] = x[1];
				x2[j] = x[2];
			}
		else
			for (int j = 0; j < m; j++) {
				const float *x = feat + 3 * (size_t)(j0 + j);

				x0[j] = x[0];
				x1[j] = x[1];
				x2[j] = x[2];
			}
		for (int j = 0; j < m; j++)
			best[j] = LR_SEG_MAX_ENERGY;
		for (int c = 0; c < gmm->k; c++) {
			const float *ic = gmm->icov[c], *mu = gmm->mean[c];
			const float cst = gmm->cst[c];
			/* In shade: the darkest lightness still excused, and where lightness starts
			 * to count in full from there. */
			const float lmin = rdark * (mu[0] + 16.0f) - 16.0f;
			const float excused = shadow * (lmin - mu[0]);

			if (shadow < 1) {
				/* The pixel's lightness deviation and the factor r of the
				 * component's chroma as shade would leave them, in a pass of their
				 * own: the selects are minima and maxima, which compile to vector
				 * instructions, but gcc splits arithmetic that follows a select
				 * into branches, which stop the vectoriser. Darker, the deviation
				 * is SHADOW of itself down to lmin and counts in full from there
				 * (the larger of the two: deep is the smaller above lmin, and both
				 * exceed d0 just when d0 < 0); r is 1 for a pixel not darker than
				 * the component (mean[0] + 16 > 0). */
				for (int j = 0; j < m; j++) {
					float d0 = x0[j] - mu[0], lit = shadow * d0;
					float deep = excused + (x0[j] - lmin);
					float r = (x0[j] + 16.0f) / (mu[0] + 16.0f);

					lit = deep < lit ? deep : lit;
					dev[j] = lit > d0 ? lit : d0;
					r = r < rmin ? rmin : r;
					dim[j] = r > 1.0f ? 1.0f : r;
				}
				for (int j = 0; j < m; j++) {
					float d0 = dev[j], d1 = x1[j] - dim[j] * mu[1],
					      d2 = x2[j] - dim[j] * mu[2];
					float e = lr_segment_quadratic(ic, cst, d0, d1, d2);

					best[j] = e < best[j] ? e : best[j];
				}
			} else
				for (int j = 0; j < m; j++) {
					float d0 = x0[j] - mu[0], d1 = x1[j] - mu[1],
					      d2 = x2[j] - mu[2];
					float e = lr_segment_quadratic(ic, cst, d0, d1, d2);

					best[j] = e < best[j] ? e : best[j];
				}
		}
		if (idx)
			for (int j = 0; j < m; j++)
				out[idx[j0 + j]] = best[j];
		else
			memcpy(out + j0, best, m * sizeof(float));
	}
}

/* Copies the M pixels PICK of FEAT into s->sample, and their positions into XY (2 per sample,
 * -1..1) when it is not NULL. The pixels are picked before they are copied, so that the copies,
 * which miss the cache, overlap. */
static void
lr_segment_take(LrSegState *s, const float *feat, const int *pick, int m, float *xy)
{
	for (int j = 0; j < m; j++) {
		int i = pick[j];

		memcpy(s->sample + 3 * j, feat + 3 * (size_t)i, 3 * sizeof(float));
		if (xy) {
			xy[2 * j] = 2.0f * (i % s->width) / (s->width - 1) - 1.0f;
			xy[2 * j + 1] = 2.0f * (i / s->width) / (s->height - 1) - 1.0f;
		}
	}
}

/* Collects up to LR_SEG_SAMPLES pixels of FEAT where SEL[i] == WANT, picked pseudo-randomly rather
 * than by stride so that a periodic weave cannot alias with the pick. Also returns the positions in
 * XY (2 per sample) when it is not NULL. */
static int
lr_segment_collect(LrSegState *s, const float *feat, const uint8_t *sel, int want, float *xy)
{
	int count = 0, m = 0, pick[LR_SEG_SAMPLES];
	uint32_t thresh;
	LrSegDraws draws;

	for (int i = 0; i < s->n; i++)
		count += sel[i] == want;
	if (count == 0)
		return 0;
	thresh = count <= LR_SEG_SAMPLES ? 1u << 24 : (uint32_t)(((uint64_t)LR_SEG_SAMPLES << 24) / count);
	lr_segment_draws_start(&draws, s->rng);
	for (int i = 0; i < s->n && m < LR_SEG_SAMPLES; i++)
		if (sel[i] == want && lr_segment_draw(&draws) < thresh)
			pick[m++] = i;
	s->rng = draws.last;
	lr_segment_take(s, feat, pick, m, xy);
	return m;
}

static void
lr_segment_basis(float u, float v, float *b)
{
	b[0] = 1;
	b[1] = u;
	b[2] = v;
	b[3] = u * u;
	b[4] = u * v;
	b[5] = v * v;
}

/* Least-squares quadratic surface through the M sampled colours (s->sample) at XY, per channel. A
 * small ridge keeps it flat where the samples (e.g. only the border) leave it undetermined. */
static void
lr_segment_surface_fit(LrSegSurface *surf, const float *pts, const float *xy, int m)
{
	double ata[6][6] = {{0}}, atb[3][6] = {{0}};

	memset(surf, 0, sizeof(*surf));
	if (m < 12)
		return;
	for (int i = 0; i < m; i++) {
		float b[6];

		lr_segment_basis(xy[2 * i], xy[2 * i + 1], b);
		for (int r = 0; r < 6; r++) {
			for (int c = r; c < 6; c++)
				ata[r][c] += b[r] * b[c];
			for (int ch = 0; ch < 3; ch++)
				atb[ch][r] += b[r] * pts[3 * i + ch];
		}
	}
	/* ATA is symmetric: the lower half is the upper's. */
	for (int r = 1; r < 6; r++)
		for (int c = 0; c < r; c++)
			ata[r][c] = ata[c][r];
	for (int r = 1; r < 6; r++)
		ata[r][r] += 1e-3 * m;
	/* Gaussian elimination; ATA is symmetric positive definite after the ridge. */
	for (int p = 0; p < 6; p++) {
		for (int r = p + 1; r < 6; r++) {
			double f = ata[r][p] / ata[p][p];

			for (int c = p; c < 6; c++)
				ata[r][c] -= f * ata[p][c];
			for (int ch = 0; ch < 3; ch++)
				atb[ch][r] -= f * atb[ch][p];
		}
	}
	for (int ch = 0; ch < 3; ch++)
		for (int r = 5; r >= 0; r--) {
			double v = atb[ch][r];

			for (int c = r + 1; c < 6; c++)
				v -= ata[r][c] * surf->c[ch][c];
			surf->c[ch][r] = (float)(v / ata[r][r]);
		}
	/* The constant stays in the residual so the mixture still sees the background's colour. */
	for (int ch = 0; ch < 3; ch++)
		surf->c[ch][0] = 0;
}

/* s->resid: s->lab less the illumination surface SURF, a row at a time (vectorised). */
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_residual(LrSegState *s, const LrSegSurface *surf)
{
	for (int y = 0; y < s->height; y++) {
		float v = 2.0f * y / (s->height - 1) - 1.0f;

		for (int x = 0; x < s->width; x++) {
			size_t i = (size_t)y * s->width + x;
			float b[6];

			lr_segment_basis(2.0f * x / (s->width - 1) - 1.0f, v, b);
			for (int ch = 0; ch < 3; ch++) {
				float z = 0;

				for (int k = 1; k < 6; k++)
					z += surf->c[ch][k] * b[k];
				s->resid[3 * i + ch] = s->lab[3 * i + ch] - z;
			}
		}
	}
}

/* The Q-quantile (0..1) of the M values in A (M > 0), by partial selection (Hoare); A is reordered. */
static float
lr_segment_quantile(float *a, int m, double q)
{
	int k = (int)(m * q);

	if (k >= m)
		k = m - 1;
	for (int lo = 0, hi = m - 1; lo < hi;) {
		float pivot = a[(lo + hi) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				float t = a[i];

				a[i++] = a[j];
				a[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* Border strip seeds. Each side is tested against a mixture fitted to the other three: a stretch
 * whose cross-sections the others do not explain is taken out of the seed (a product cut off by the
 * frame, or a patch of clutter; both are better judged by the cut than forced to background).
 * s->dbg serves as scratch. */
static int
lr_segment_seed_border(LrSegState *s, int strip)
{
	int w = s->width, h = s->height;
	int len[4] = {w, h, w, h};
	uint8_t *flag[4];
	uint8_t *side = malloc(s->n);
	float *score = malloc((size_t)(w > h ? w : h) * sizeof(float));
	int err = 0, perimeter = 2 * (w + h), flagged = 0, nb = 0;
	int *bidx = malloc((size_t)perimeter * strip * sizeof(int));
	int *bpos = malloc((size_t)perimeter * strip * sizeof(int));
	int *list = malloc((size_t)perimeter * strip * sizeof(int)); /* border pixels picked */
	uint8_t *bside = malloc((size_t)perimeter * strip);

	for (int k = 0; k < 4; k++)
		flag[k] = calloc(len[k], 1);
	if (!side || !score || !flag[0] || !flag[1] || !flag[2] || !flag[3] || !bidx || !bpos ||
	    !list || !bside) {
		err = -1;
		goto out;
	}

	/* Side of each border pixel: 0 top, 1 right, 2 bottom, 3 left (corners go to top and bottom);
	 * 4 outside the strip. Position along the side is x for top/bottom, y for left/right. */
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t sd = 4;

			if (y < strip)
				sd = 0;
			else if (y >= h - strip)
				sd = 2;
			else if (x < strip)
				sd = 3;
			else if (x >= w - strip)
				sd = 1;
			side[(size_t)y * w + x] = sd;
			if (sd < 4) {
				bidx[nb] = y * w + x;
				bside[nb] = sd;
				bpos[nb] = sd == 0 || sd == 2 ? x : y;
				nb++;
			}
		}

	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < 4; k++) {
			LrSegGmm gmm;
			int m = 0, np = 0, ne = 0, count = 0;
			float *others, qv, thresh;
			float *oscore;
			uint32_t take;
			LrSegDraws draws;

			/* Pixels of the other sides at unflagged positions form the reference. */
			for (int b = 0; b < nb; b++)
				count += bside[b] != k && !flag[bside[b]][bpos[b]];
			take = count <= LR_SEG_SAMPLES ? 1u << 24
						       : (uint32_t)(((uint64_t)LR_SEG_SAMPLES << 24) / count);
			lr_segment_draws_start(&draws, s->rng);
			for (int b = 0; b < nb && m < LR_SEG_SAMPLES; b++)
				if (bside[b] != k && !flag[bside[b]][bpos[b]] &&
				    lr_segment_draw(&draws) < take)
					list[m++] = bidx[b];
			s->rng = draws.last;
			lr_segment_take(s, s->lab, list, m, NULL);
			lr_segment_gmm_fit(&gmm, s->sample, m, lr_segment_reg_bg, &s->rng);
			if (gmm.k == 0)
				continue;
			/* The energies of the pixels scored below, at once, into s->dbg. */
			for (int b = 0; b < nb; b++)
				if (bside[b] == k || !flag[bside[b]][bpos[b]])
					list[ne++] = bidx[b];
			lr_segment_gmm_energies(&gmm, s->lab, list, ne, LR_SEG_SHADOW, s->dbg);

			/* Mean energy per cross-section, this side and (for the threshold) the others,
			 * shade excused as the background model excuses it: a stretch of the same
			 * surface in shade (the room's floor in the product's shadow, a darker corner
			 * of a sheet) is still background, and taken out of the seed it had let the
			 * cut run into it (a bowl in a room, IoU 0.82, now 0.98). */
			oscore = malloc((size_t)perimeter * sizeof(float));
			others = oscore;
			if (!oscore) {
				err = -1;
				goto out;
			}
			for (int o = 0; o < 4; o++) {
				for (int p = 0; p < len[o]; p++) {
					double e = 0;
					int c = 0;

					if (o != k && flag[o][p])
						continue;
					if ((o == 1 || o == 3) && (p < strip || p >= h - strip))
						continue;
					for (int d = 0; d < strip; d++) {
						int x = o == 0 || o == 2 ? p : o == 3 ? d : w - 1 - d;
						int y = o == 1 || o == 3 ? p : o == 0 ? d : h - 1 - d;

						e += s->dbg[(size_t)y * w + x];
						c++;
					}
					if (o == k)
						score[p] = (float)(e / c);
					else
						others[np++] = (float)(e / c);
				}
			}
			if (np < 8) {
				free(oscore);
				continue;
			}
			/* A high quantile of the reference's own scores, plus a margin for the optimism of
			 * scoring the data the model was fitted to. */
			qv = lr_segment_quantile(others, np, 0.98);
			free(oscore);
			thresh = qv + 3.0f;
			for (int p = 0; p < len[k]; p++) {
				if ((k == 1 || k == 3) && (p < strip || p >= h - strip))
					continue;
				flag[k][p] = score[p] > thresh;
			}
			/* Runs shorter than the strip are noise; a product edge is blurred, so grow runs. */
			{
				uint8_t *f = flag[k];
				int start = -1;

				for (int p = 0; p <= len[k]; p++) {
					int on = p < len[k] && f[p] == 1;

					if (on && start < 0)
						start = p;
					if (!on && start >= 0) {
						if (p - start < strip)
							memset(f + start, 0, p - start);
						else
							for (int q = start - strip; q < p + strip; q++)
								if (q >= 0 && q < len[k] && !f[q])
									f[q] = 2;
						start = -1;
					}
				}
				for (int p = 0; p < len[k]; p++)
					f[p] = f[p] != 0;
			}
		}
	}

	for (int k = 0; k < 4; k++)
		for (int p = 0; p < len[k]; p++)
			flagged += flag[k][p];
	/* When most of the border disagrees with itself there is no majority to trust: use it all. */
	if (flagged > perimeter / 2)
		for (int k = 0; k < 4; k++)
			memset(flag[k], 0, len[k]);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int sd = side[(size_t)y * w + x];

			s->seed[(size_t)y * w + x] =
			    sd < 4 && !flag[sd][sd == 0 || sd == 2 ? x : y];
		}
out:
	for (int k = 0; k < 4; k++)
		free(flag[k]);
	free(side);
	free(score);
	free(bidx);
	free(bpos);
	free(list);
	free(bside);
	return err;
}

/* Fits the illumination surface and the background mixture to pixels labelled SEL == WANT. */
static int
lr_segment_fit_background(LrSegState *s, LrSegGmm *bg, const uint8_t *sel, int want)
{
	LrSegSurface surf;
	float *xy = malloc(LR_SEG_SAMPLES * 2 * sizeof(float));
	int m;

	if (!xy)
		return -1;
	m = lr_segment_collect(s, s->lab, sel, want, xy);
	lr_segment_surface_fit(&surf, s->sample, xy, m);
	free(xy);
	lr_segment_residual(s, &surf);
	m = lr_segment_collect(s, s->resid, sel, want, NULL);
	lr_segment_gmm_fit(bg, s->sample, m, lr_segment_reg_bg, &s->rng);
	return 0;
}

/* Framing prior of pixel (X, Y): a product photo centres the product, so the log odds of product fall with
 * the squared elliptical distance from the centre, +-LR_SEG_CENTRE/2 nats between the centre and the
 * middle of the sides. It only decides where colour does not (busy backgrounds). */
static float
lr_segment_framing(const LrSegState *s, int x, int y)
{
	float u = 2.0f * x / (s->width - 1) - 1.0f, v = 2.0f * y / (s->height - 1) - 1.0f;

	return LR_SEG_CENTRE * (0.5f * (u * u + v * v) - 0.5f);
}

/* Defocus prior: a product photo is focused on the product, so where the photo shows a depth of field
 * (edges near the frame's border clearly softer than the sharpest edges around its centre) a pixel whose
 * nearby edges are much softer than the product's is likely the room behind it, and one whose edges
 * are as sharp as the product's likely the product. The blur of every edge comes from defocus.c; the
 * reference is the sharp end (lower quartile) of the edges in the central ellipse, where the product
 * is framed. The cost of calling a pixel product goes from -LR_SEG_SHARP_SHARE * LR_SEG_DEFOCUS to
 * +LR_SEG_DEFOCUS nats as the mean blur of the edges within LR_SEG_DEFOCUS_RADIUS exceeds the
 * reference by LR_SEG_BLUR_MARGIN to LR_SEG_BLUR_MARGIN + LR_SEG_BLUR_RAMP pixels, scaled by how clearly
 * the border is softer than the centre (0 for a photo in focus throughout: a bedsheet, a table, a photo
 * blurred all over). Pixels with no edge near keep no cost: a flat area says nothing about focus.
 * BLURRED marks, for the first background model, the pixels near soft edges with no sharp edge within
 * LR_SEG_BLURRED_REACH: the colours of the room. SCRATCH holds 3 * n floats; s->dfg and s->dbg are
 * used as scratch too (they are free until the first energies). */
/* nats: half as much again as the framing prior's whole range (LR_SEG_CENTRE), so that where focus
 * and framing disagree (a blurred object in the middle of the frame) focus wins. */
#define LR_SEG_DEFOCUS 6.0f
/* The pull towards product of edges as sharp as the product's, a share of the push of soft ones: half,
 * since what lies in the focal plane beside the product (the floor it stands on) is sharp too, so
 * sharpness is weaker evidence of product than softness is of background. */
#define LR_SEG_SHARP_SHARE 0.5f
#define LR_SEG_DEFOCUS_RADIUS 3 /* px at the analysis scale: the window a blur estimate reaches */
/* A blur 0.4 px (sigma, at 400 px: 2 px at 2000 px) beyond the reference is within the scatter of
 * the estimates at sharp edges; 1 px beyond it (5 px at 2000 px) is plainly visible defocus. */
#define LR_SEG_BLUR_MARGIN 0.4f
#define LR_SEG_BLUR_RAMP 0.6f
/* The depth of field is read from the median edge at the border against the reference: none up to
 * 0.3 px softer (the scatter of the estimates), clear from 0.8 px (4 px at 2000 px) on. */
#define LR_SEG_DOF_LO 0.3f
#define LR_SEG_DOF_HI 0.8f
/* px: past the transition of a soft edge (3 sigma of a blur of 2.5 px) into the flat colour beyond. */
#define LR_SEG_BLURRED_REACH 8
static int
lr_segment_defocus_prior(LrSegState *s, int strip, float *scratch, uint8_t *blurred)
{
	int w = s->width, h = s->height, nc = 0, nb = 0;
	float *es = scratch, *sig = scratch + s->n, *wt = scratch + 2 * (size_t)s->n;
	float *cs = s->dfg, *bs = s->dbg;
	float sharp, border, depth, mid;

	memset(blurred, 0, s->n);
	if (lr_defocus_edges(s->lab, w, h, es))
		return -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			float u = 2.0f * x / (w - 1) - 1.0f, v = 2.0f * y / (h - 1) - 1.0f;

			if (es[i] < 0)
				continue;
			if (u * u + v * v < 0.5f) /* the central ellipse, 40% of the frame */
				cs[nc++] = es[i];
			if (x < strip || y < strip || x >= w - strip || y >= h - strip)
				bs[nb++] = es[i];
		}
	/* Too few edges to read a depth of field from (a plain sheet at the border): no prior. 50 edge
	 * pixels are a few edges' worth, enough for the quartiles below to be more than one edge's. */
	if (nc < 50 || nb < 50)
		return 0;
	/* The reference is the lower quartile of the centre, not its median: the product's own shading
	 * and folds give soft edges too. The border's median is its typical edge. */
	sharp = lr_segment_quantile(cs, nc, 0.25);
	border = lr_segment_quantile(bs, nb, 0.5);
	depth = (border - sharp - LR_SEG_DOF_LO) / (LR_SEG_DOF_HI - LR_SEG_DOF_LO);
	if (depth <= 0)
		return 0;
	if (depth > 1)
		depth = 1;
	s->depth = depth;
	for (int i = 0; i < s->n; i++)
		s->sharp[i] = es[i] >= 0 && es[i] < sharp + LR_SEG_BLUR_MARGIN + 0.5f * LR_SEG_BLUR_RAMP;
	if (lr_defocus_spread(es, w, h, LR_SEG_DEFOCUS_RADIUS, 0, FLT_MAX, sig, wt))
		return -1;
	for (int i = 0; i < s->n; i++) {
		float b;

		if (wt[i] <= 0)
			continue;
		b = (sig[i] - sharp - LR_SEG_BLUR_MARGIN) / LR_SEG_BLUR_RAMP;
		b = b < 0 ? 0 : b > 1 ? 1 : b;
		s->prior[i] += LR_SEG_DEFOCUS * depth * (b - LR_SEG_SHARP_SHARE * (1 - b));
		sig[i] = depth * b;
	}
	/* The product is in focus, so its outline is a sharp edge: a cut along a soft edge (between
	 * two things of the blurred room) costs as much as one across a flat area. */
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;

			for (int d = 0; d < 4; d++) {
				int nx = x + lr_segment_dx[d], ny = y + lr_segment_dy[d];
				float soft;

				if (nx < 0 || nx >= w || ny >= h || (wt[i] <= 0 && wt[(size_t)ny * w + nx] <= 0))
					continue;
				soft = wt[i] > 0 ? sig[i] : 0;
				if (wt[(size_t)ny * w + nx] > 0 && sig[(size_t)ny * w + nx] > soft)
					soft = sig[(size_t)ny * w + nx];
				s->edge[4 * i + d] += LR_SEG_GAMMA / (d < 2 ? 1.0f : (float)M_SQRT2) * soft;
			}
		}
	if (depth < 0.5f)
		return 0;
	/* Soft and sharp edges (split at the middle of the ramp) within reach of each pixel. */
	mid = sharp + LR_SEG_BLUR_MARGIN + 0.5f * LR_SEG_BLUR_RAMP;
	if (lr_defocus_spread(es, w, h, LR_SEG_BLURRED_REACH, 0, mid, cs, bs) ||
	    lr_defocus_spread(es, w, h, LR_SEG_BLURRED_REACH, mid, FLT_MAX, sig, wt))
		return -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			float full = lr_segment_framing(s, x, y) + LR_SEG_DEFOCUS;

			blurred[i] = bs[i] == 0 && wt[i] > 0;
			/* Deeper into the soft-edged areas than LR_SEG_DEFOCUS_RADIUS reaches. */
			if (blurred[i] && s->prior[i] < full)
				s->prior[i] = full;
		}
	return 0;
}

/* e^X for X <= 0 in float operations that the compiler vectorises, where expf is a call per value:
 * X = n ln 2 + r with |r| <= ln 2 / 2 (n rounded by adding and taking away 1.5 * 2^23, ln 2 in two
 * parts so that r is exact), e^r by the minimax polynomial of Cephes' expf, and 2^n put into the
 * exponent bits; below about -87.3, where floats turn subnormal, 0. Within an ulp of expf from 0 to
 * -87.3 (it differs in about one value in a thousand). */
static inline float
lr_segment_exp(float x)
{
	const float shift = 12582912.0f;
	float n = (x * 1.44269504f + shift) - shift;
	float r = (x - n * 0.693359375f) - n * -2.12194440e-4f, p = 1.9875691500e-4f;
	int32_t e = (int32_t)n + 127;
	uint32_t bits = (uint32_t)(e > 0 ? e : 0) << 23;
	float scale;

	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	memcpy(&scale, &bits, sizeof(scale));
	return (p * r * r + r + 1.0f) * scale;
}

/* The edge weights from the squared differences in EDGE (N, four per pixel): GAMMA, over sqrt 2 on
 * the diagonals, times e^(-BETA d). */
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_weigh(float *edge, size_t n, float beta)
{
	const float straight = LR_SEG_GAMMA, diagonal = LR_SEG_GAMMA / (float)M_SQRT2;

	for (size_t k = 0; k < 4 * n; k++)
		edge[k] = (k & 2 ? diagonal : straight) * lr_segment_exp(-beta * edge[k]);
}

/* GrabCut's contrast-sensitive smoothness, beta from the mean squared neighbour difference. The
 * squared differences are computed once, kept in s->edge for the weights, and summed per direction
 * (four independent sums, where one would be a chain of 4 n dependent additions). */
static void
lr_segment_edges(LrSegState *s)
{
	int w = s->width, h = s->height;
	size_t ne = 4 * (size_t)s->n;
	double part[4] = {0, 0, 0, 0};
	long count = 0;
	float beta;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int d = 0; d < 4; d++) {
				int nx = x + lr_segment_dx[d], ny = y + lr_segment_dy[d];
				size_t i = (size_t)y * w + x;

				if (nx < 0 || nx >= w || ny >= h) {
					s->edge[4 * i + d] = 0;
					continue;
				}
				s->edge[4 * i + d] = lr_segment_dist2(
				    s->lab + 3 * i, s->lab + 3 * ((size_t)ny * w + nx));
				count++;
			}
	for (size_t k = 0; k < ne; k += 4)
		for (int d = 0; d < 4; d++)
			part[d] += s->edge[k + d];
	beta = part[0] + part[1] + part[2] + part[3] > 0
		   ? (float)(count / (2.0 * (part[0] + part[1] + part[2] + part[3])))
		   : 0;
	lr_segment_weigh(s->edge, s->n, beta);
	/* No edge leads beyond the frame: the last column's right and down-right ones, the first
	 * column's down-left one, the last row's but its right one. */
	for (int y = 0; y < h; y++) {
		s->edge[4 * ((size_t)y * w + w - 1)] = 0;
		s->edge[4 * ((size_t)y * w + w - 1) + 2] = 0;
		s->edge[4 * (size_t)y * w + 3] = 0;
	}
	for (int x = 0; x < w; x++)
		for (int d = 1; d < 4; d++)
			s->edge[4 * ((size_t)(h - 1) * w + x) + d] = 0;
}

/* The data cost of calling pixel I product: the product model's energy and the priors (framing,
 * defocus, border seed). */
static float
lr_segment_cost_fg(const LrSegState *s, size_t i)
{
	return s->dfg[i] + s->prior[i] + (s->seed[i] ? LR_SEG_BORDER_COST : 0);
}

/* The distance to the other label that a pixel (labels L, column X) takes through pixel K of a row
 * (labels LN, distances DN), its own or the one before it in a pass of lr_segment_distance: 1
 * across an edge of the labels, else one more than there (at most 256, which changes no distance).
 * Written as a minimum of loads made either way, so that the row loops vectorise. */
static inline int
lr_segment_distance_via(const uint8_t *l, int x, const uint8_t *ln, const uint8_t *dn, int k)
{
	int c = dn[k] + 1, e = ln[k] != l[x] ? 1 : 255;

	return c < e ? c : e;
}

/* Pixel X of a row (labels L, distances D) in a pass of lr_segment_distance: the least of its
 * distance, the one through column XS of its own row and those through columns XL, X and XR of the
 * row before it in the pass (labels LN, distances DN; none when LN is NULL). A column repeated at
 * the frame's edge changes nothing. */
static inline uint8_t
lr_segment_distance_at(const uint8_t *l, const uint8_t *d, int x, int xs, const uint8_t *ln,
		       const uint8_t *dn, int xl, int xr)
{
	int v = d[x], c = lr_segment_distance_via(l, x, l, d, xs);

	v = c < v ? c : v;
	if (ln) {
		c = lr_segment_distance_via(l, x, ln, dn, xl);
		v = c < v ? c : v;
		c = lr_segment_distance_via(l, x, ln, dn, x);
		v = c < v ? c : v;
		c = lr_segment_distance_via(l, x, ln, dn, xr);
		v = c < v ? c : v;
	}
	return (uint8_t)v;
}

/* Chamfer distance (1, 1 diagonal: chessboard) of each pixel of a W x H grid (W, H > 1) to the
 * nearest pixel of the other label, capped at 255: a pass down, each pixel from the three above it
 * and its right neighbour (which the pass has not reached: only an edge of the labels counts
 * there), then a pass up, each pixel from the three below it and its left neighbour as the pass
 * down left it. A row depends only on the row before it, so the passes are vectorised along the
 * rows. */
__attribute__((target_clones("avx2", "default"))) static void
lr_segment_distance(const uint8_t *label, int w, int h, uint8_t *dist)
{
	memset(dist, 255, (size_t)w * h);
	for (int y = 0; y < h; y++) {
		const uint8_t *l = label + (size_t)y * w, *ln = y > 0 ? l - w : NULL;
		uint8_t *d = dist + (size_t)y * w;
		const uint8_t *dn = d - w;

		d[0] = lr_segment_distance_at(l, d, 0, 1, ln, dn, 0, 1);
		for (int x = 1; x < w - 1; x++)
			d[x] = lr_segment_distance_at(l, d, x, x + 1, ln, dn, x - 1, x + 1);
		d[w - 1] = lr_segment_distance_at(l, d, w - 1, w - 1, ln, dn, w - 2, w - 1);
	}
	for (int y = h - 1; y >= 0; y--) {
		const uint8_t *l = label + (size_t)y * w, *ln = y < h - 1 ? l + w : NULL;
		uint8_t *d = dist + (size_t)y * w;
		const uint8_t *dn = d + w;

		/* Right to left, so the left neighbour still holds what the pass down left. */
		d[w - 1] = lr_segment_distance_at(l, d, w - 1, w - 2, ln, dn, w - 2, w - 1);
		for (int x = w - 2; x > 0; x--)
			d[x] = lr_segment_distance_at(l, d, x, x - 1, ln, dn, x - 1, x + 1);
		d[0] = lr_segment_distance_at(l, d, 0, 0, ln, dn, 0, 1);
	}
}

/* One graph cut with the current energies, on the grid coarsened F = 2^SHIFT times (SHIFT 0: the pixel
 * grid) and, when BAND > 0, only on the blocks within BAND pixels of the current boundary.
 * Coarsening: a block takes the sum of its pixels' data terms and the edge between two blocks the sum
 * of the pixel edges that cross it, so the energy of any labelling constant on blocks is exactly the
 * pixel grid's (H. Lombaert, Y. Sun, L. Grady and C. Xu, "A multilevel banded graph cuts method for fast
 * image segmentation", ICCV 2005, coarsen the same way). GrabCut's early rounds start from rough colour
 * models that overlap the background over wide areas; on the pixel grid their cut routes its flow along
 * paths hundreds of pixels long and can take a second, while on blocks it costs a few milliseconds.
 * Banding (Lombaert et al. again): blocks further from the boundary keep their label; those next to a
 * block in question are tied to their terminal by LR_SEG_FIXED, the rest are left out of the graph (no
 * terminal, no edge), so the search trees never enter them; the graph spans only the bounding box of
 * the others (its memory is as many fresh pages to fault in). BAND must be at least F, so that a block
 * outside the band is all one label. With BAND > 0, s->dist must hold the distance of every pixel to the
 * current boundary (lr_segment_distance of s->label), as lr_segment_energies leaves it.
 * Returns how many pixel labels changed, or -1 if memory ran out. */
/* Larger than all the edges of a block together can carry (8 edges per pixel of the block, each at most
 * 2 LR_SEG_GAMMA with the defocus term): a tied block can never be cut from its terminal. */
#define LR_SEG_FIXED(f) (16.0f * (f) * (f) * LR_SEG_GAMMA)
enum { LR_SEG_OUT, LR_SEG_TIED, LR_SEG_FREE };
static int
lr_segment_cut(LrSegState *s, int shift, int band)
{
	int w = s->width, h = s->height, f = 1 << shift, changed = -1;
	int cw = (w + f - 1) >> shift, ch = (h + f - 1) >> shift;
	size_t cn = (size_t)cw * ch;
	/* The previous round's graph, when it cut the same whole grid: only the data terms differ, and
	 * the flow it found is kept (lr_graph_add_terminals). */
	int reuse = band <= 0 && s->graph && s->graph_shift == shift;
	/* On the pixel grid the edges are the pixels' own. */
	float *term = calloc(cn, sizeof(float));
	float *edge = shift && !reuse ? calloc(cn * 4, sizeof(float)) : s->edge;
	uint8_t *state = malloc(cn), *near = malloc(cn);
	LrGraph *g = reuse ? s->graph : NULL;
	/* The graph's grid: the bounding box of the blocks in the band and those tied to it (every
	 * block without a band). */
	int gx0 = cw, gy0 = ch, gx1 = -1, gy1 = -1;

	if (!term || !edge || !state || !near)
		goto out;
	memset(near, 255, cn);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x, b = (size_t)(y >> shift) * cw + (x >> shift);

			if (band > 0 && s->dist[i] < near[b])
				near[b] = s->dist[i];
			term[b] += s->dbg[i] - lr_segment_cost_fg(s, i);
		}
	/* The blocks' edges, on a new coarse grid: the sums of the pixel edges between blocks. */
	for (int y = 0; y < h && edge != s->edge; y++)
		for (int x = 0; x < w; x++) {
			int bx = x >> shift, by = y >> shift;
			size_t i = (size_t)y * w + x;

			for (int d = 0; d < 4; d++) {
				int nx = x + lr_segment_dx[d], ny = y + lr_segment_dy[d], ex, ey, sx = bx;

				if (nx < 0 || nx >= w || ny >= h)
					continue;
				ex = (nx >> shift) - bx;
				ey = (ny >> shift) - by;
				if (!ex && !ey)
					continue;
				/* Forward directions as the grid has them; (-1, 0) is (1, 0) seen from the
				 * other block. */
				if (ey == 0 && ex < 0) {
					sx = bx - 1;
					ex = 1;
				}
				edge[4 * ((size_t)by * cw + sx) + (ey == 0 ? 0 : ex == 0 ? 1 : ex > 0 ? 2 : 3)] +=
					s->edge[4 * i + d];
			}
		}
	for (size_t b = 0; b < cn; b++)
		state[b] = band <= 0 || near[b] <= band ? LR_SEG_FREE : LR_SEG_OUT;
	for (int by = 0; by < ch && band > 0; by++)
		for (int bx = 0; bx < cw; bx++)
			if (state[(size_t)by * cw + bx] == LR_SEG_FREE)
				for (int dy = -1; dy <= 1; dy++)
					for (int dx = -1; dx <= 1; dx++) {
						int nx = bx + dx, ny = by + dy;

						if (nx >= 0 && nx < cw && ny >= 0 && ny < ch &&
						    state[(size_t)ny * cw + nx] == LR_SEG_OUT)
							state[(size_t)ny * cw + nx] = LR_SEG_TIED;
					}
	for (int by = 0; by < ch; by++)
		for (int bx = 0; bx < cw; bx++)
			if (state[(size_t)by * cw + bx] != LR_SEG_OUT) {
				gx0 = bx < gx0 ? bx : gx0;
				gx1 = bx > gx1 ? bx : gx1;
				gy0 = by < gy0 ? by : gy0;
				gy1 = by > gy1 ? by : gy1;
			}
	if (gx1 < 0) {
		/* No boundary to cut along. */
		changed = 0;
		goto out;
	}
	if (!g && !(g = lr_graph_new(gx1 - gx0 + 1, gy1 - gy0 + 1)))
		goto out;
	for (int by = gy0; by <= gy1; by++)
		for (int bx = gx0; bx <= gx1; bx++) {
			size_t b = (size_t)by * cw + bx;
			/* Source side is product: a node there pays its sink arc, the product energy. */
			float t = term[b];

			if (reuse) {
				lr_graph_add_terminals(g, bx - gx0, by - gy0, t - s->graph_term[b]);
				continue;
			}
			/* A new graph's capacities are 0: a block out of the band needs nothing. */
			if (state[b] == LR_SEG_OUT)
				continue;
			if (state[b] == LR_SEG_TIED)
				t = s->label[(size_t)by * f * w + bx * f] ? LR_SEG_FIXED(f) : -LR_SEG_FIXED(f);
			lr_graph_set_terminals(g, bx - gx0, by - gy0, t > 0 ? t : 0,
					       t < 0 ? -t : 0);
			for (int d = 0; d < 4; d++) {
				int nx = bx + lr_segment_dx[d], ny = by + lr_segment_dy[d];

				if (nx >= 0 && nx < cw && ny < ch &&
				    state[(size_t)ny * cw + nx] != LR_SEG_OUT)
					lr_graph_set_edge(g, bx - gx0, by - gy0, d,
							  edge[4 * b + d]);
			}
		}
	if (lr_graph_maxflow(g) < 0)
		goto out;
	if (band <= 0 && g != s->graph) {
		/* Kept for the next round on the same grid. */
		float *keep = realloc(s->graph_term, cn * sizeof(float));

		if (!keep)
			goto out;
		s->graph_term = keep;
		lr_graph_free(s->graph);
		s->graph = g;
		s->graph_shift = shift;
	}
	if (g == s->graph)
		memcpy(s->graph_term, term, cn * sizeof(float));
	/* The blocks' labels into NEAR (2: the block keeps its pixels'), then the pixels'. */
	for (int by = 0; by < ch; by++)
		for (int bx = 0; bx < cw; bx++) {
			size_t b = (size_t)by * cw + bx;

			near[b] = state[b] == LR_SEG_FREE
				      ? (uint8_t)lr_graph_is_source(g, bx - gx0, by - gy0)
				      : 2;
		}
	changed = 0;
	for (int y = 0; y < h; y++) {
		const uint8_t *l = near + (size_t)(y >> shift) * cw;
		uint8_t *label = s->label + (size_t)y * w;

		for (int x = 0; x < w; x++) {
			uint8_t v = l[x >> shift] == 2 ? label[x] : l[x >> shift];

			changed += v != label[x];
			label[x] = v;
		}
	}
out:
	free(term);
	if (edge != s->edge)
		free(edge);
	free(state);
	free(near);
	if (g != s->graph)
		lr_graph_free(g);
	return changed;
}

/* Both mixtures' energies at every pixel or, with REACH > 0, at the pixels within REACH of the current
 * boundary (the others are set to 0: nothing reads them); then s->dist holds the distance to the
 * boundary, which the banded cut that follows reads too. */
static void
lr_segment_energies(LrSegState *s, const LrSegGmm *fg, const LrSegGmm *bg, int reach)
{
	if (reach <= 0) {
		lr_segment_gmm_energies(bg, s->resid, NULL, s->n, LR_SEG_SHADOW, s->dbg);
		lr_segment_gmm_energies(fg, s->lab, NULL, s->n, 1.0f, s->dfg);
		return;
	}
	lr_segment_distance(s->label, s->width, s->height, s->dist);
	memset(s->dbg, 0, (size_t)s->n * sizeof(float));
	memset(s->dfg, 0, (size_t)s->n * sizeof(float));
	/* The band's pixels, listed a chunk at a time. */
	for (int i = 0; i < s->n;) {
		int band[LR_SEG_CHUNK], m = 0;

		for (; i < s->n && m < LR_SEG_CHUNK; i++)
			if (s->dist[i] <= reach)
				band[m++] = i;
		lr_segment_gmm_energies(bg, s->resid, band, m, LR_SEG_SHADOW, s->dbg);
		lr_segment_gmm_energies(fg, s->lab, band, m, 1.0f, s->dfg);
	}
}

/* Labels 8-connected (CONN8) regions of LABEL == WANT; returns the count, or -1. COMP gets the id
 * (0-based, in raster order of the regions' first pixels) or -1, AREA and TOUCH (touches the frame)
 * are per id, caller frees them. A region is filled run by run (a run: the pixels of one row
 * between two that are not in the region), each run found from the runs above and below it: the
 * rows are read in order, and a pixel is not looked at once per neighbour. */
static int
lr_segment_components(const uint8_t *label, int w, int h, int want, int conn8, int *comp,
		      int **area, uint8_t **touch)
{
	int n = w * h, ncomp = 0, cap = 64;
	/* Runs to visit, as the index of the first pixel and the column of the last. A row holds at
	 * most (w + 1) / 2 runs, and each is queued once. */
	int *queue = malloc(((size_t)h * (w + 1) / 2 + 1) * 2 * sizeof(int));

	*area = malloc(cap * sizeof(int));
	*touch = malloc(cap);
	if (!queue || !*area || !*touch) {
		free(queue);
		return -1;
	}
	for (int i = 0; i < n; i++)
		comp[i] = -1;
	for (int i = 0; i < n; i++) {
		int head = 0, tail = 0, end = i, rowend = i - i % w + w;

		if (label[i] != want || comp[i] >= 0)
			continue;
		if (ncomp == cap) {
			int *a;
			uint8_t *t;

			cap *= 2;
			a = realloc(*area, cap * sizeof(int));
			if (a)
				*area = a;
			t = realloc(*touch, cap);
			if (t)
				*touch = t;
			if (!a || !t) {
				free(queue);
				return -1;
			}
		}
		(*area)[ncomp] = 0;
		(*touch)[ncomp] = 0;
		/* The region's first pixel starts a run (the pixel before it is not in it). */
		while (end + 1 < rowend && label[end + 1] == want)
			end++;
		for (int q = i; q <= end; q++)
			comp[q] = ncomp;
		queue[tail++] = i;
		queue[tail++] = end % w;
		while (head < tail) {
			int p = queue[head++], b = queue[head++], y = p / w, a = p - y * w;

			(*area)[ncomp] += b - a + 1;
			if (a == 0 || y == 0 || b == w - 1 || y == h - 1)
				(*touch)[ncomp] = 1;
			for (int ny = y - 1; ny <= y + 1; ny += 2) {
				const uint8_t *row = label + (size_t)ny * w;
				int *crow = comp + (size_t)ny * w;
				int lo = conn8 && a > 0 ? a - 1 : a,
				    hi = conn8 && b < w - 1 ? b + 1 : b;

				if (ny < 0 || ny >= h)
					continue;
				for (int x = lo; x <= hi; x++) {
					int l = x, r = x;

					if (row[x] != want || crow[x] >= 0)
						continue;
					while (l > 0 && row[l - 1] == want && crow[l - 1] < 0)
						l--;
					while (r < w - 1 && row[r + 1] == want && crow[r + 1] < 0)
						r++;
					for (int q = l; q <= r; q++)
						crow[q] = ncomp;
					queue[tail++] = ny * w + l;
					queue[tail++] = r;
					x = r;
				}
			}
		}
		ncomp++;
	}
	free(queue);
	return ncomp;
}

/* OUT[i] = 1 where the (2 R + 1)^2 square around pixel i lies wholly in LABEL (pixels beyond the frame
 * count as in), else 0: the erosion, separable as a square's minimum is a minimum of minima. OUT
 * must not be LABEL; it holds W * H bytes and is used as scratch on the way. */
static int
lr_segment_erode(const uint8_t *label, int w, int h, int r, uint8_t *out)
{
	uint8_t *tmp = malloc((size_t)w * h);

	if (!tmp)
		return -1;
	/* Each pass ANDs the window's pixels in range (pixels beyond the frame count as in), with
	 * no early exit: the windows within a row, and every row of the pass down the columns, are
	 * plain loops that the compiler vectorises. */
	for (int y = 0; y < h; y++) {
		const uint8_t *row = label + (size_t)y * w;
		uint8_t *t = tmp + (size_t)y * w;

		for (int x = 0; x < w; x++) {
			uint8_t v = 1;

			if (x == r && w > 2 * r)
				for (; x < w - r; x++) {
					v = 1;
					for (int k = -r; k <= r; k++)
						v &= row[x + k] != 0;
					t[x] = v;
				}
			if (x >= w)
				break;
			v = 1;
			for (int k = x - r < 0 ? 0 : x - r; k <= x + r && k < w; k++)
				v &= row[k] != 0;
			t[x] = v;
		}
	}
	for (int y = 0; y < h; y++) {
		int lo = y - r < 0 ? 0 : y - r, hi = y + r >= h ? h - 1 : y + r;

		for (int x = 0; x < w; x++)
			out[(size_t)y * w + x] = 1;
		for (int k = lo; k <= hi; k++)
			for (int x = 0; x < w; x++)
				out[(size_t)y * w + x] &= tmp[(size_t)k * w + x];
	}
	free(tmp);
	return 0;
}

#define LR_SEG_LINE 2		/* px: radius of the neighbourhood lr_segment_clean asks to be product */
#define LR_SEG_LINE_SHARE 0.05	/* a component with fewer such pixels than this share is a line */
/* Keeps sizeable product components, drops specks and small clutter at the frame, fills holes. */
static int
lr_segment_clean(LrSegState *s)
{
	int *comp = malloc((size_t)s->n * sizeof(int));
	int *area = NULL, *wide = NULL, ncomp, largest = 0, lines_only;
	uint8_t *touch = NULL;

	if (!comp)
		return -1;
	ncomp = lr_segment_components(s->label, s->width, s->height, 1, 1, comp, &area, &touch);
	if (ncomp < 0)
		goto fail;
	/* Lines: components with almost no pixel whose whole LR_SEG_LINE neighbourhood is product, i.e.
	 * nowhere wider than about 2 LR_SEG_LINE px. At the analysis scale that is a plank joint, a
	 * crack, a grain line, a cable or the edge of a rug, which the product's model can explain as
	 * well as the background's (a dark joint beside black bowls); a product is wider than that
	 * somewhere, and its own thin parts (a fringe, a handle) belong to its component. When only
	 * lines were found, they are kept and the confidence judges them. */
	wide = calloc((size_t)ncomp + 1, sizeof(int));
	if (!wide)
		goto fail;
	if (lr_segment_erode(s->label, s->width, s->height, LR_SEG_LINE, s->dist))
		goto fail;
	for (int i = 0; i < s->n; i++)
		if (s->dist[i])
			wide[comp[i]]++;
	for (int c = 0; c < ncomp; c++)
		if (wide[c] >= LR_SEG_LINE_SHARE * area[c] && area[c] > largest)
			largest = area[c];
	lines_only = largest == 0;
	for (int c = 0; c < ncomp && lines_only; c++)
		if (area[c] > largest)
			largest = area[c];
	for (int c = 0; c < ncomp; c++) {
		/* A speck: under 0.1% of the frame or under 2% of the main object. Clutter: a smaller
		 * piece cut by the frame, since the product is framed and the clutter is not. */
		int keep = area[c] >= 0.001 * s->n && area[c] >= 0.02 * largest;

		if (touch[c] && area[c] < 0.25 * largest)
			keep = 0;
		if (!lines_only && wide[c] < LR_SEG_LINE_SHARE * area[c])
			keep = 0;
		area[c] = keep;
	}
	free(wide);
	wide = NULL;
	for (int i = 0; i < s->n; i++)
		s->label[i] = comp[i] >= 0 && area[comp[i]];
	free(area);
	free(touch);
	area = NULL;
	touch = NULL;

	/* Holes: background regions that do not reach the frame. */
	ncomp = lr_segment_components(s->label, s->width, s->height, 0, 0, comp, &area, &touch);
	if (ncomp < 0)
		goto fail;
	for (int i = 0; i < s->n; i++)
		if (comp[i] >= 0 && !touch[comp[i]])
			s->label[i] = 1;
	free(area);
	free(touch);
	free(comp);
	return 0;
fail:
	free(area);
	free(touch);
	free(comp);
	free(wide);
	return -1;
}


/* How many distinct colours the frame's border passes through in long stretches: the perimeter one
 * pixel in, lightly smoothed, is cut wherever the colour leaves the running mean of the current stretch
 * by more than LR_SEG_BORDER_DE (slow drifts of light are followed, a new object is not); stretches
 * shorter than 3% of the perimeter (a thread, a plank joint, a printed motif) are ignored, and long
 * ones of nearly the same colour count once. A sheet or a table gives 1 or 2; a room gives many. */
#define LR_SEG_BORDER_DE 20.0f
static int
lr_segment_border_colours(const LrSegState *s)
{
	int w = s->width, h = s->height, L = 2 * (w - 2) + 2 * (h - 2) - 4, nd = 0;
	float *p = malloc((size_t)L * 3 * sizeof(float)), mean[3], distinct[32][3];
	int minlen = L * 3 / 100 > 8 ? L * 3 / 100 : 8, len = 0, k = 0;

	if (!p || w < 4 || h < 4) {
		free(p);
		return 0;
	}
	for (int x = 1; x < w - 1; x++)
		memcpy(p + 3 * k++, s->lab + 3 * ((size_t)1 * w + x), 3 * sizeof(float));
	for (int y = 2; y < h - 1; y++)
		memcpy(p + 3 * k++, s->lab + 3 * ((size_t)y * w + w - 2), 3 * sizeof(float));
	for (int x = w - 3; x >= 1; x--)
		memcpy(p + 3 * k++, s->lab + 3 * ((size_t)(h - 2) * w + x), 3 * sizeof(float));
	for (int y = h - 3; y >= 2 && k < L; y--)
		memcpy(p + 3 * k++, s->lab + 3 * ((size_t)y * w + 1), 3 * sizeof(float));
	L = k;
	for (int i = 0; i <= L; i++) {
		const float *c = p + 3 * (i < L ? i : 0);

		if (i < L && len > 0 && lr_segment_dist2(c, mean) <= LR_SEG_BORDER_DE * LR_SEG_BORDER_DE) {
			int m = len < 20 ? len + 1 : 20;

			for (int j = 0; j < 3; j++)
				mean[j] += (c[j] - mean[j]) / m;
			len++;
			continue;
		}
		if (len >= minlen) {
			int same = 0;

			for (int d = 0; d < nd && !same; d++)
				same = lr_segment_dist2(distinct[d], mean) <=
				       LR_SEG_BORDER_DE * LR_SEG_BORDER_DE;
			if (!same && nd < 32)
				memcpy(distinct[nd++], mean, sizeof(mean));
		}
		memcpy(mean, c, sizeof(mean));
		len = 1;
	}
	free(p);
	return nd;
}

/* The focus agreement (below) that leaves a cut unconfirmed, and the one that confirms it: with
 * 90% of its outline on sharp edges a cut is not running through the room anywhere much; with 70%,
 * a third of the product's outline or a whole object of the room is in doubt. */
#define LR_SEG_FOCUS_LO 0.7
#define LR_SEG_FOCUS_HI 0.9

/* The focus isolation (below) under which focus says nothing about which sharp thing is the product,
 * and the one at which it singles the product out. Where only the product is in focus (a portrait
 * blur) 85 to 97% of the sharp edges are the product's; where the floor it stands on is in focus
 * too, the floor's things bring that to 80% and below. */
#define LR_SEG_ISOLATION_LO 0.7
#define LR_SEG_ISOLATION_HI 0.85

/* Where the photo has a depth of field, how far focus confirms the cut, from two shares:
 *  - *AGREEMENT: of the cut's outline (product pixels next to background, DIST == 1), the share that
 *    lies within 2 px of an edge as sharp as the product's: a right cut runs along the product's sharp
 *    outline, a wrong one through the soft room;
 *  - *ISOLATION: of the edges as sharp as the product's, the share that lies on the product or within
 *    3 px of it (its outline's own edge): when other things are as sharp (the floor the product stands on, and
 *    what stands on that floor beside it), a sharp outline no longer tells the product from them.
 * DIST is the distance to the boundary (lr_segment_distance of s->label). */
static void
lr_segment_focus_agreement(const LrSegState *s, const uint8_t *dist, double *agreement,
			   double *isolation)
{
	int w = s->width, h = s->height;
	long on = 0, total = 0, sharp = 0, near = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			int hit = 0;

			if (s->sharp[i]) {
				sharp++;
				near += s->label[i] || dist[i] <= 3;
			}
			if (!s->label[i] || dist[i] != 1 || x == 0 || y == 0 || x == w - 1 || y == h - 1)
				continue;
			for (int dy = -2; dy <= 2 && !hit; dy++)
				for (int dx = -2; dx <= 2 && !hit; dx++) {
					int nx = x + dx, ny = y + dy;

					hit = nx >= 0 && nx < w && ny >= 0 && ny < h && s->sharp[(size_t)ny * w + nx];
				}
			on += hit;
			total++;
		}
	*agreement = total ? (double)on / total : 0;
	*isolation = sharp ? (double)near / sharp : 0;
}

/* Confidence 0..1, a product of six factors:
 *  - separation: over a band 2..8 px either side of the final boundary, the mean posterior margin
 *    tanh(m / 2) of the final label, m the energy difference of the two colour models (negative
 *    where the colours favour the other label). Near 1 when product and background colours are
 *    distinct along the edge; near 0 when the cut rests on smoothness alone (white on white).
 *  - found: 0 for no product (under 0.2% of the frame) or all product (over 97%), ramping to 1 at
 *    1% and 85%.
 *  - framing: 1 while at most a quarter of the frame's edge is product, falling to 0 at three
 *    quarters, where "product" and "background" may well be swapped.
 *  - sides: a product cut off by the frame usually leaves it on one side, or two at a corner. When
 *    the product reaches three or four sides (over a tenth of each), or two opposite sides (a band
 *    across the frame: far more often a plank or a wall than a product), the border no longer gives
 *    a background sample to trust and the cut has most likely run into the surroundings: halved for
 *    three or opposite sides, quartered for four.
 *  - complexity: the border-seeded colour models can only be trusted when the border shows the
 *    background as a few colours (a sheet, a table, a print that repeats finely); a border that runs
 *    through many differently coloured objects (a room) is GrabCut's known failure, and a confident
 *    colour separation there proves nothing. With C distinct long stretches of colour on the border
 *    (lr_segment_border_colours), the confidence is scaled by (2 / C)^2 once C exceeds 2 (a room in
 *    focus throughout, with only colour and framing to go by, goes to review) -- unless focus vouches
 *    for the cut: where the photo shows a depth of field (lr_segment_defocus_prior), an independent
 *    cue says which side of the outline is in focus, and the factor rises back towards 1 with the
 *    depth of field, the focus agreement and the focus isolation (lr_segment_focus_agreement: the
 *    product must be nearly all of what is sharp; a floor in focus beside it leaves focus unable to
 *    tell the product from the things on the floor). Where focus vouches, it also makes up half of
 *    what the separation lacks: in a room the colours behind the product overlap its own, and the
 *    sharp outline is the better witness.
 *  - focus: where the photo shows a depth of field, the share F of the cut's outline that runs along
 *    edges as sharp as the product's (lr_segment_focus_agreement): a right cut follows the product's
 *    sharp outline, a wrong one runs through the soft room. F maps to 0..1 between LR_SEG_FOCUS_LO and
 *    LR_SEG_FOCUS_HI; a cut that disagrees with focus loses up to half its confidence. No depth of
 *    field, no effect. */
static double
lr_segment_confidence(LrSegState *s, uint8_t *dist)
{
	double sum = 0, area = 0, found, framing, sep;
	long nband = 0, edge_fg = 0, edge_n = 0;
	long side_fg[4] = { 0, 0, 0, 0 }; /* top, bottom, left, right */

	lr_segment_distance(s->label, s->width, s->height, dist);
	for (int y = 0; y < s->height; y++)
		for (int x = 0; x < s->width; x++) {
			size_t i = (size_t)y * s->width + x;

			area += s->label[i];
			if (x == 0 || y == 0 || x == s->width - 1 || y == s->height - 1) {
				edge_fg += s->label[i];
				edge_n++;
				side_fg[0] += y == 0 && s->label[i];
				side_fg[1] += y == s->height - 1 && s->label[i];
				side_fg[2] += x == 0 && s->label[i];
				side_fg[3] += x == s->width - 1 && s->label[i];
			}
			if (dist[i] >= 2 && dist[i] <= 8) {
				float m = s->dbg[i] - s->dfg[i];

				sum += tanh((s->label[i] ? m : -m) / 2.0);
				nband++;
			}
		}
	area /= s->n;
	sep = nband ? sum / nband : 0;
	if (sep < 0)
		sep = 0;
	found = area < 0.002 ? 0 : area < 0.01 ? (area - 0.002) / 0.008 : 1;
	if (area > 0.97)
		found = 0;
	else if (area > 0.85)
		found *= (0.97 - area) / 0.12;
	framing = (double)edge_fg / edge_n;
	framing = framing < 0.25 ? 1 : framing > 0.75 ? 0 : (0.75 - framing) / 0.5;
	int sides = (side_fg[0] > 0.1 * s->width) + (side_fg[1] > 0.1 * s->width) +
		    (side_fg[2] > 0.1 * s->height) + (side_fg[3] > 0.1 * s->height);
	int opposite = (side_fg[0] > 0.1 * s->width && side_fg[1] > 0.1 * s->width) ||
		       (side_fg[2] > 0.1 * s->height && side_fg[3] > 0.1 * s->height);
	double side_factor = sides >= 4 ? 0.25 : sides == 3 || opposite ? 0.5 : 1.0;
	int colours = lr_segment_border_colours(s);
	double complexity = colours <= 2 ? 1.0 : 4.0 / ((double)colours * colours);
	double agreement, isolation, focus, vouch;

	lr_segment_focus_agreement(s, dist, &agreement, &isolation);
	focus = (agreement - LR_SEG_FOCUS_LO) / (LR_SEG_FOCUS_HI - LR_SEG_FOCUS_LO);
	focus = focus < 0 ? 0 : focus > 1 ? 1 : focus;
	isolation = (isolation - LR_SEG_ISOLATION_LO) / (LR_SEG_ISOLATION_HI - LR_SEG_ISOLATION_LO);
	isolation = isolation < 0 ? 0 : isolation > 1 ? 1 : isolation;
	vouch = s->depth * focus * isolation;
	sep += (1 - sep) * 0.5 * vouch;
	complexity += (1 - complexity) * vouch;
	focus = 1 - 0.5 * s->depth * (1 - focus);

	return sep * found * framing * side_factor * complexity * focus;
}

/* Soft edge: 5x5 binomial blur of the binary label. Exact integers, so the interior stays exactly
 * 255, the background further than 2 px exactly 0. */
static void
lr_segment_soften(const uint8_t *label, int w, int h, guchar *alpha, uint16_t *tmp)
{
	static const int k[5] = {1, 4, 6, 4, 1};

	/* Pixels whose window needs no clamping (along a row: all but two at either end; down the
	 * columns: every pixel, the rows being clamped once per row) go in plain loops, which the
	 * compiler vectorises. */
	for (int y = 0; y < h; y++) {
		const uint8_t *row = label + (size_t)y * w;
		uint16_t *t = tmp + (size_t)y * w;

		for (int x = 0; x < w; x++) {
			int v = 0;

			if (x == 2 && w > 4)
				for (; x < w - 2; x++) {
					v = 0;
					for (int u = -2; u <= 2; u++)
						v += k[u + 2] * row[x + u];
					t[x] = (uint16_t)v;
				}
			if (x >= w)
				break;
			v = 0;
			for (int u = -2; u <= 2; u++)
				v += k[u + 2] * row[x + u < 0 ? 0 : x + u >= w ? w - 1 : x + u];
			t[x] = (uint16_t)v;
		}
	}
	for (int y = 0; y < h; y++) {
		const uint16_t *rows[5];

		for (int u = -2; u <= 2; u++) {
			int yy = y + u < 0 ? 0 : y + u >= h ? h - 1 : y + u;

			rows[u + 2] = tmp + (size_t)yy * w;
		}
		for (int x = 0; x < w; x++) {
			int v = 0;

			for (int u = 0; u < 5; u++)
				v += k[u] * rows[u][x];
			alpha[(size_t)y * w + x] = (guchar)((v * 255 + 128) / 256);
		}
	}
}

/* A product stands out from the background at its outline, with a step in colour a few pixels wide
 * (its edge, softened by the lens and the reductions). A stretch of the sheet under brighter or
 * dimmer light (the pool of a lamp or a window, which the quadratic light surface cannot follow)
 * stands out from the background model too, but fades into the rest of the sheet over many pixels.
 * Product seeds (S->label 1, the rest 0) that can be reached from the surroundings by steps between
 * 4-neighbours of less than LR_SEG_FADE_DE (CIELAB, on the smoothed colours) are such a fade and are
 * dropped: S->label is left 1 for the seeds kept, 0 elsewhere, and *NFG counts them. Returns 0, or -1
 * when out of memory. Left in, the pool had made a quarter of the frame product seeds, and the cut
 * ran from the frame's top edge down to the stole (IoU 0.53, trusted). At the analysis scale a pool
 * of light changes by a fraction of a unit per pixel, a product's edge by more. The caller runs this
 * only on a photo in focus throughout (no depth of field): behind a product in a blurred room
 * everything fades, and a black bowl's seeds went the way of the black furniture they touch. */
#define LR_SEG_FADE_DE 1.0f
/* The first of pixel I's 4-neighbours that is labelled WANT in S->label and within a fade's step of
 * I's colour (LR_SEG_FADE_DE), or -1 when there is none. */
static long
lr_segment_fade_step(const LrSegState *s, int i, uint8_t want)
{
	static const int ox[4] = {1, -1, 0, 0}, oy[4] = {0, 0, 1, -1};
	int w = s->width, x = i % w, y = i / w;

	for (int k = 0; k < 4; k++) {
		int nx = x + ox[k], ny = y + oy[k];
		size_t j = (size_t)ny * w + nx;

		if (nx < 0 || ny < 0 || nx >= w || ny >= s->height || s->label[j] != want)
			continue;
		if (lr_segment_dist2(s->lab + 3 * (size_t)i, s->lab + 3 * j) <
		    LR_SEG_FADE_DE * LR_SEG_FADE_DE)
			return (long)j;
	}
	return -1;
}
static int
lr_segment_drop_fades(LrSegState *s, int *nfg)
{
	int w = s->width, h = s->height, head = 0, tail = 0, *area = NULL;
	int *queue = malloc((size_t)s->n * sizeof(int));
	uint8_t *touch = NULL;

	/* The surroundings (3): the other pixels connected to the frame's edge. The fade is entered
	 * from them only, not from the product's own pixels that the background model explains (the
	 * highlight on a glazed bowl), whose shading can fade into the rest of the product. The
	 * queue takes the regions' ids first. */
	if (!queue || lr_segment_components(s->label, w, h, 0, 0, queue, &area, &touch) < 0) {
		free(queue);
		free(area);
		free(touch);
		return -1;
	}
	for (int i = 0; i < s->n; i++)
		if (queue[i] >= 0 && touch[queue[i]])
			s->label[i] = 3;
	free(area);
	free(touch);
	/* Seeds next to the surroundings first, then seeds next to those, until none is near (a seed
	 * taken is labelled 2, so the next look from the same pixel finds the next one). */
	for (int i = 0; i < s->n; i++)
		if (s->label[i] == 1 && lr_segment_fade_step(s, i, 3) >= 0) {
			s->label[i] = 2;
			queue[tail++] = i;
		}
	while (head < tail) {
		int i = queue[head++];

		for (long j; (j = lr_segment_fade_step(s, i, 1)) >= 0;) {
			s->label[j] = 2;
			queue[tail++] = (int)j;
		}
	}
	for (int i = 0; i < s->n; i++)
		s->label[i] = s->label[i] == 1;
	*nfg -= tail;
	free(queue);
	return 0;
}

int
lr_segment_product(const guchar *rgb, int width, int height, guchar *alpha, double *confidence)
{
	LrSegState s = {0};
	LrSegGmm fg, bg;
	int strip, err = -1, nfg = 0, settled = 0;
	float thresh;

	*confidence = 0;
	if (width < 8 || height < 8) {
		memset(alpha, 0, (size_t)width * height);
		return 0;
	}
	s.width = width;
	s.height = height;
	s.n = width * height;
	s.rng = 0x5eed1234u;
	s.lab = malloc((size_t)s.n * 3 * sizeof(float));
	s.resid = malloc((size_t)s.n * 3 * sizeof(float));
	s.dfg = malloc((size_t)s.n * sizeof(float));
	s.dbg = malloc((size_t)s.n * sizeof(float));
	s.seed = malloc(s.n);
	s.label = malloc(s.n);
	s.sample = malloc(LR_SEG_SAMPLES * 3 * sizeof(float));
	s.edge = malloc((size_t)s.n * 4 * sizeof(float));
	s.prior = malloc((size_t)s.n * sizeof(float));
	s.sharp = calloc(s.n, 1);
	s.dist = malloc(s.n);
	if (!s.lab || !s.resid || !s.dfg || !s.dbg || !s.seed || !s.label || !s.sample || !s.edge ||
	    !s.prior || !s.sharp || !s.dist)
		goto out;

	lr_segment_to_lab(rgb, s.n, s.lab);
	/* s.resid is free until the first background model; its pages then serve twice. */
	lr_segment_smooth(s.lab, width, height, s.resid);
	lr_segment_edges(&s);
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++)
			s.prior[(size_t)y * width + x] = lr_segment_framing(&s, x, y);

	strip = (int)lrint(0.03 * (width < height ? width : height));
	if (strip < 2)
		strip = 2;
	if (lr_segment_seed_border(&s, strip))
		goto out;
	/* The first background model sees the border seed and the blurred surroundings. */
	if (lr_segment_defocus_prior(&s, strip, s.resid, s.label))
		goto out;
	for (int i = 0; i < s.n; i++)
		s.label[i] = s.label[i] || s.seed[i];
	if (lr_segment_fit_background(&s, &bg, s.label, 1))
		goto out;

	/* Product seeds: pixels off the seed that the background model explains worse than nearly all
	 * of the seed itself. "Nearly all" is 99.9%: the inside of the frame is some eight times the
	 * border strip, so a background whose energies have a long tail (the grain lines and joints of
	 * wood) passes a 99% threshold at about 1% of the frame, as many pixels as a small product
	 * has; those then made most of the first product model (a wood colour), and the first cut took
	 * a plank. 0.1% of the frame stays well below the smallest product the confidence accepts. */
	{
		float *e = s.dfg; /* scratch */
		int m = 0;

		lr_segment_gmm_energies(&bg, s.resid, NULL, s.n, LR_SEG_SHADOW, s.dbg);
		for (int i = 0; i < s.n; i++)
			if (s.seed[i])
				e[m++] = s.dbg[i];
		/* m > 0: the seed is never empty. */
		thresh = lr_segment_quantile(e, m, 0.999) + 2.0f;
	}
	for (int i = 0; i < s.n; i++) {
		s.label[i] = !s.seed[i] && s.dbg[i] > thresh + s.prior[i];
		nfg += s.label[i];
	}
	/* Only a photo in focus throughout tells a fade from an outline (lr_segment_drop_fades). */
	if (s.depth == 0 && lr_segment_drop_fades(&s, &nfg))
		goto out;
	if (nfg < 0.003 * s.n) {
		/* Nothing stands out: assume the product is in the middle, as framing suggests. */
		for (int y = 0; y < height; y++)
			for (int x = 0; x < width; x++)
				s.label[(size_t)y * width + x] = x > width / 3 && x < 2 * width / 3 &&
								 y > height / 3 && y < 2 * height / 3;
	}
	{
		int m = lr_segment_collect(&s, s.lab, s.label, 1, NULL);

		lr_segment_gmm_fit(&fg, s.sample, m, lr_segment_reg_fg, &s.rng);
	}

	/* GrabCut's rounds on the coarse grid, which settles which regions are product, then one cut at
	 * full resolution around the boundary they leave. */
	for (int it = 0;; it++) {
		int changed, m;

		if (it == LR_SEG_ITERATIONS - 1 || settled) {
			/* The last cut reads the band; the confidence, 8 px either side of the boundary
			 * the cut leaves in it (lr_segment_confidence). The cut reads the distances the
			 * energies leave in s.dist. */
			lr_segment_energies(&s, &fg, &bg, LR_SEG_BAND + 8 + 1);
			/* The coarse rounds' graph and the residuals are done with; their memory
			 * serves this cut's graph (fresh pages cost a fault each). */
			lr_graph_free(s.graph);
			s.graph = NULL;
			free(s.resid);
			s.resid = NULL;
			if (lr_segment_cut(&s, 0, LR_SEG_BAND) < 0)
				goto out;
			break;
		}
		lr_segment_energies(&s, &fg, &bg, 0);
		changed = lr_segment_cut(&s, LR_SEG_COARSE, 0);
		if (changed < 0)
			goto out;
		settled = changed < s.n / 1000;
		if (lr_segment_fit_background(&s, &bg, s.label, 0))
			goto out;
		m = lr_segment_collect(&s, s.lab, s.label, 1, NULL);
		if (m < 30) {
			/* No product left to model: the cut at full resolution cannot find one either. */
			break;
		}
		lr_segment_gmm_fit(&fg, s.sample, m, lr_segment_reg_fg, &s.rng);
	}

	if (lr_segment_clean(&s))
		goto out;
	*confidence = lr_segment_confidence(&s, s.dist);
	lr_segment_soften(s.label, width, height, alpha, (uint16_t *)s.dfg);
	err = 0;
out:
	free(s.lab);
	free(s.resid);
	free(s.dfg);
	free(s.dbg);
	free(s.seed);
	free(s.label);
	free(s.sample);
	free(s.edge);
	free(s.prior);
	lr_graph_free(s.graph);
	free(s.graph_term);
	free(s.sharp);
	free(s.dist);
	return err;
}

/* Box mean of radius R over a W x H float plane, edges clamped; IN and OUT may not alias. Interior
 * pixels, whose window needs no clamping, take the same sums in the same order without the clamps, so
 * the compiler vectorises them. */
static void
box_mean(const float *in, float *out, float *tmp, int w, int h, int r)
{
	for (int y = 0; y < h; y++) {
		const float *row = in + (size_t)y * w;
		float *t = tmp + (size_t)y * w;
		for (int x = 0; x < w; x++) {
			if (x == r && w > 2 * r)
				for (; x < w - r; x++) {
					float sum = 0;
					for (int k = -r; k <= r; k++)
						sum += row[x + k];
					t[x] = sum / (2 * r + 1);
				}
			if (x >= w)
				break;
			float sum = 0;
			for (int k = -r; k <= r; k++)
				sum += row[CLAMP(x + k, 0, w - 1)];
			t[x] = sum / (2 * r + 1);
		}
	}
	for (int y = 0; y < h; y++) {
		float *o = out + (size_t)y * w;
		if (y >= r && y < h - r) {
			for (int x = 0; x < w; x++) {
				float sum = 0;
				for (int k = -r; k <= r; k++)
					sum += tmp[(size_t)(y + k) * w + x];
				o[x] = sum / (2 * r + 1);
			}
			continue;
		}
		for (int x = 0; x < w; x++) {
			float sum = 0;
			for (int k = -r; k <= r; k++)
				sum += tmp[(size_t)CLAMP(y + k, 0, h - 1) * w + x];
			o[x] = sum / (2 * r + 1);
		}
	}
}

/* The colour guided filter's coefficients at the mask's size (He, Sun, Tang, TPAMI 2013, eq. 14): for
 * each window, p ~ a . I + b with I the RGB guide in 0..1, a = (Sigma + eps U)^-1 cov(I, p) and
 * b = mean(p) - a . mean(I); then a and b are box-averaged. COEF receives them side by side, 4 floats
 * per pixel: a_r, a_g, a_b, b. A colour guide keeps a brown wood-grain line from passing for a dark-blue
 * bowl, which a luminance guide cannot tell apart. */
static void
guided_coefficients(const guchar *rgb, const guchar *mask, int w, int h, int r, float eps,
		    float *coef)
{
	size_t n = (size_t)w * h;
	/* Planes: I (3), p, I*p (3), I*I^T (6 unique); then their box means. */
	float *in = g_new(float, 13 * n), *mean = g_new(float, 13 * n), *tmp = g_new(float, n);
	for (size_t i = 0; i < n; i++) {
		float c[3] = { rgb[3 * i] / 255.0f, rgb[3 * i + 1] / 255.0f, rgb[3 * i + 2] / 255.0f };
		/* The filter's target is the cut itself, not its softened edge: a soft target makes
		 * every window near the edge ambiguous, and the filter then spreads it along the
		 * guide's darker or lighter streaks. */
		float p = mask[i] >= 128 ? 1.0f : 0.0f;
		for (int k = 0; k < 3; k++) {
			in[k * n + i] = c[k];
			in[(4 + k) * n + i] = c[k] * p;
		}
		in[3 * n + i] = p;
		in[7 * n + i] = c[0] * c[0];
		in[8 * n + i] = c[0] * c[1];
		in[9 * n + i] = c[0] * c[2];
		in[10 * n + i] = c[1] * c[1];
		in[11 * n + i] = c[1] * c[2];
		in[12 * n + i] = c[2] * c[2];
	}
	for (int k = 0; k < 13; k++)
		box_mean(in + k * n, mean + k * n, tmp, w, h, r);
	for (size_t i = 0; i < n; i++) {
		float mi[3] = { mean[i], mean[n + i], mean[2 * n + i] }, mp = mean[3 * n + i];
		float cov[3], s[6];
		for (int k = 0; k < 3; k++)
			cov[k] = mean[(4 + k) * n + i] - mi[k] * mp;
		s[0] = mean[7 * n + i] - mi[0] * mi[0] + eps;
		s[1] = mean[8 * n + i] - mi[0] * mi[1];
		s[2] = mean[9 * n + i] - mi[0] * mi[2];
		s[3] = mean[10 * n + i] - mi[1] * mi[1] + eps;
		s[4] = mean[11 * n + i] - mi[1] * mi[2];
		s[5] = mean[12 * n + i] - mi[2] * mi[2] + eps;
		/* Inverse of the symmetric [s0 s1 s2; s1 s3 s4; s2 s4 s5] by cofactors; eps keeps it
		 * well conditioned. */
		float c00 = s[3] * s[5] - s[4] * s[4], c01 = s[2] * s[4] - s[1] * s[5];
		float c02 = s[1] * s[4] - s[2] * s[3], c11 = s[0] * s[5] - s[2] * s[2];
		float c12 = s[1] * s[2] - s[0] * s[4], c22 = s[0] * s[3] - s[1] * s[1];
		float det = s[0] * c00 + s[1] * c01 + s[2] * c02;
		float a[3] = { (c00 * cov[0] + c01 * cov[1] + c02 * cov[2]) / det,
			       (c01 * cov[0] + c11 * cov[1] + c12 * cov[2]) / det,
			       (c02 * cov[0] + c12 * cov[1] + c22 * cov[2]) / det };
		for (int k = 0; k < 3; k++)
			in[k * n + i] = a[k];
		in[3 * n + i] = mp - a[0] * mi[0] - a[1] * mi[1] - a[2] * mi[2];
	}
	for (int k = 0; k < 4; k++) {
		box_mean(in + k * n, mean, tmp, w, h, r);
		for (size_t i = 0; i < n; i++)
			coef[4 * i + k] = mean[i];
	}
	g_free(in);
	g_free(mean);
	g_free(tmp);
}

/* Writes q = a . I + b into OUT (uchar, guide size) with the coefficients COEF (mask size, 4 per pixel)
 * interpolated bilinearly, stretched from 10..90% to 0..100% so the filter's faint tails become exact
 * background and the interior exact product. Far from the mask's boundary the small mask is uniformly 0
 * or 255 and so is q (the filter's window cannot reach an edge there), so only pixels whose
 * neighbourhood in MASK (within REACH) is mixed are computed: a thin band, instead of every pixel of a
 * 12 MP photo. */
static void
apply_coefficients(VipsImage *guide, const guchar *mask, int mw, int mh, const float *coef,
		   int reach, double x0, double y0, double sx, double sy, VipsImage *out)
{
	int W = guide->Xsize, H = guide->Ysize;
	size_t n = (size_t)mw * mh;
	/* A window holds a value other than its centre's exactly when its minimum and maximum differ:
	 * both are separable, a pass along rows and one down columns, each as 2 REACH + 1 shifted
	 * copies taken in turn (loops the compiler vectorises). */
	guchar *lo = g_malloc(n), *hi = g_malloc(n), *mixed = g_malloc(n);
	memcpy(lo, mask, n);
	memcpy(hi, mask, n);
	for (int j = 0; j < mh; j++) {
		const guchar *m = mask + (size_t)j * mw;
		guchar *l = lo + (size_t)j * mw, *u = hi + (size_t)j * mw;
		for (int d = 1; d <= reach && d < mw; d++) {
			for (int i = 0; i < mw - d; i++) {
				l[i] = MIN(l[i], m[i + d]);
				u[i] = MAX(u[i], m[i + d]);
			}
			for (int i = d; i < mw; i++) {
				l[i] = MIN(l[i], m[i - d]);
				u[i] = MAX(u[i], m[i - d]);
			}
		}
	}
	guchar *a = g_malloc(mw), *b = g_malloc(mw);
	for (int j = 0; j < mh; j++) {
		guchar *o = mixed + (size_t)j * mw;
		memset(a, 255, mw);
		memset(b, 0, mw);
		for (int dj = MAX(0, j - reach); dj <= MIN(mh - 1, j + reach); dj++) {
			const guchar *la = lo + (size_t)dj * mw, *hb = hi + (size_t)dj * mw;
			for (int i = 0; i < mw; i++) {
				a[i] = MIN(a[i], la[i]);
				b[i] = MAX(b[i], hb[i]);
			}
		}
		for (int i = 0; i < mw; i++)
			o[i] = a[i] != b[i];
	}
	g_free(a);
	g_free(b);
	g_free(lo);
	g_free(hi);
	/* Guide columns [xs[i], xs[i + 1]) fall in small column i: settled stretches of a row are
	 * then filled whole, and only the band is computed pixel by pixel. */
	int *xs = g_new(int, mw + 1);
	for (int i = 0, x = 0; i <= mw; i++) {
		while (x < W && CLAMP((int)floor((x + 0.5) * sx + x0), 0, mw - 1) < i)
			x++;
		xs[i] = i == mw ? W : x;
	}
	/* Each guide column's two small columns and weight, and per row the four planes interpolated
	 * down the column once, side by side (a row of the band then only interpolates across, from
	 * two groups of four), with the guide's scale and the stretch folded in: q = a . g + b. */
	int *c0 = g_new(int, W), *c1 = g_new(int, W);
	float *cw = g_new(float, W), *line = g_new(float, 4 * (size_t)mw);
	for (int x = 0; x < W; x++) {
		double fx = CLAMP((x + 0.5) * sx + x0 - 0.5, 0, mw - 1);
		c0[x] = (int)fx;
		c1[x] = MIN(c0[x] + 1, mw - 1);
		cw[x] = (float)(fx - c0[x]);
	}
	const float ka = 1.0f / (255.0f * 0.8f), kb = 1.0f / 0.8f;
	int line_row = -1;
	for (int y = 0; y < H; y++) {
		guchar *row = VIPS_IMAGE_ADDR(out, 0, y);
		const guchar *g = VIPS_IMAGE_ADDR(guide, 0, y);
		double fy = CLAMP((y + 0.5) * sy + y0 - 0.5, 0, mh - 1);
		int j0 = (int)fy, j1 = MIN(j0 + 1, mh - 1);
		float wy = (float)(fy - j0);
		int jn = CLAMP((int)floor((y + 0.5) * sy + y0), 0, mh - 1);
		for (int i = 0; i < mw; i++) {
			size_t k = (size_t)jn * mw + i;
			if (!mixed[k]) {
				/* A settled stretch: to the next mixed column or change of side. */
				const guchar *m = mask + (size_t)jn * mw, *mx = mixed + (size_t)jn * mw;
				int side = m[i] >= 128, e = i + 1;
				while (e < mw && !mx[e] && (m[e] >= 128) == side)
					e++;
				memset(row + xs[i], side ? 255 : 0, xs[e] - xs[i]);
				i = e - 1;
				continue;
			}
			if (line_row != y) {
				const float *p0 = coef + 4 * (size_t)j0 * mw;
				const float *p1 = coef + 4 * (size_t)j1 * mw;
				for (int u = 0; u < 4 * mw; u++) {
					float v = (1 - wy) * p0[u] + wy * p1[u];
					line[u] = u % 4 < 3 ? v * ka : (v - 0.1f) * kb;
				}
				line_row = y;
			}
			for (int x = xs[i]; x < xs[i + 1]; x++) {
				const float *p = line + 4 * c0[x], *r = line + 4 * c1[x];
				float wx = cw[x], v[4];
				for (int c = 0; c < 4; c++)
					v[c] = p[c] + wx * (r[c] - p[c]);
				float q = 255.0f * (v[0] * g[3 * x] + v[1] * g[3 * x + 1] +
						    v[2] * g[3 * x + 2] + v[3]) + 0.5f;
				row[x] = (guchar)(q >= 255.0f ? 255.0f : q <= 0.0f ? 0.0f : q);
			}
		}
	}
	g_free(c0);
	g_free(c1);
	g_free(cw);
	g_free(line);
	g_free(xs);
	g_free(mixed);
}

/* The guide and the mask at the mask's size, and its checks. */
static gboolean
guided_inputs_ok(VipsImage *guide_small, VipsImage *alpha_small)
{
	if (guide_small->Bands != 3 || guide_small->BandFmt != VIPS_FORMAT_UCHAR ||
	    alpha_small->Bands != 1 || alpha_small->BandFmt != VIPS_FORMAT_UCHAR ||
	    guide_small->Xsize != alpha_small->Xsize || guide_small->Ysize != alpha_small->Ysize) {
		vips_error("lr_segment_guided",
			   "the guide must be 8-bit RGB and the mask 8-bit, 1 band, of the same size");
		return FALSE;
	}
	return TRUE;
}

int
lr_segment_guided(VipsImage *guide_small, VipsImage *alpha_small, VipsImage **coef)
{
	/* eps in (0..1)^2 per channel: colour edges weaker than about 0.05 are smoothed over. */
	const int r = LR_SEGMENT_GUIDED_RADIUS;
	const float eps = 0.05f * 0.05f;
	int mw = alpha_small->Xsize, mh = alpha_small->Ysize;
	VipsImage *small = NULL, *mask = NULL;

	*coef = NULL;
	if (!guided_inputs_ok(guide_small, alpha_small))
		return -1;
	if (!(small = lr_image_copy_memory(guide_small)) ||
	    !(mask = lr_image_copy_memory(alpha_small))) {
		VIPS_UNREF(small);
		return -1;
	}
	*coef = vips_image_new_memory();
	vips_image_init_fields(*coef, mw, mh, 4, VIPS_FORMAT_FLOAT, VIPS_CODING_NONE,
			       VIPS_INTERPRETATION_MULTIBAND, 1.0, 1.0);
	int err = vips_image_write_prepare(*coef);
	if (!err)
		guided_coefficients(VIPS_IMAGE_ADDR(small, 0, 0), VIPS_IMAGE_ADDR(mask, 0, 0), mw, mh,
				    r, eps, (float *)VIPS_IMAGE_ADDR(*coef, 0, 0));
	else
		VIPS_UNREF(*coef);
	g_object_unref(small);
	g_object_unref(mask);
	return err ? -1 : 0;
}

int
lr_segment_upsample_area(VipsImage *guide, VipsImage *coef, VipsImage *alpha_small, double x0,
			 double y0, double sx, double sy, VipsImage **out)
{
	int mw = alpha_small->Xsize, mh = alpha_small->Ysize;
	VipsImage *c = NULL, *mask = NULL, *full = NULL;

	*out = NULL;
	if (guide->Bands != 3 || guide->BandFmt != VIPS_FORMAT_UCHAR || alpha_small->Bands != 1 ||
	    alpha_small->BandFmt != VIPS_FORMAT_UCHAR || coef->Xsize != mw || coef->Ysize != mh ||
	    coef->Bands != 4 || coef->BandFmt != VIPS_FORMAT_FLOAT) {
		vips_error("lr_segment_upsample",
			   "the guide must be 8-bit RGB, the mask 8-bit, 1 band, and the coefficients "
			   "lr_segment_guided's of that mask");
		return -1;
	}
	int err = !(c = lr_image_copy_memory(coef)) ||
		  !(mask = lr_image_copy_memory(alpha_small)) ||
		  !(full = lr_image_copy_memory(guide));
	if (!err) {
		if (!(*out = lr_image_new_unset(NULL, guide->Xsize, guide->Ysize, 1,
						VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_B_W)))
			err = -1;
		else
			apply_coefficients(full, VIPS_IMAGE_ADDR(mask, 0, 0), mw, mh,
					   (const float *)VIPS_IMAGE_ADDR(c, 0, 0),
					   2 * LR_SEGMENT_GUIDED_RADIUS, x0, y0, sx, sy, *out);
	}
	VIPS_UNREF(c);
	VIPS_UNREF(mask);
	VIPS_UNREF(full);
	return err ? -1 : 0;
}

int
lr_segment_upsample(VipsImage *guide, VipsImage *alpha_small, VipsImage **out)
{
	int mw = alpha_small->Xsize, mh = alpha_small->Ysize;
	VipsImage *t[3] = { NULL, NULL, NULL }, *coef = NULL;

	/* The guide at exactly the mask's size (vips_resize may round a row or column away). */
	*out = NULL;
	int err = vips_resize(guide, &t[0], (double)mw / guide->Xsize, "vscale",
			      (double)mh / guide->Ysize, "kernel", VIPS_KERNEL_LINEAR, NULL) ||
		  vips_embed(t[0], &t[1], 0, 0, mw, mh, "extend", VIPS_EXTEND_COPY, NULL) ||
		  !(t[2] = lr_image_copy_memory(t[1])) ||
		  lr_segment_guided(t[2], alpha_small, &coef) ||
		  lr_segment_upsample_area(guide, coef, alpha_small, 0, 0, (double)mw / guide->Xsize,
					   (double)mh / guide->Ysize, out);
	for (int i = 0; i < 3; i++)
		VIPS_UNREF(t[i]);
	VIPS_UNREF(coef);
	return err ? -1 : 0;
}
