/* resample.c: separable fixed-point resampling (see resample.h). */
#include "filters/image.h"
#include "filters/resample.h"

#include <math.h>
#include <string.h>

/* Weights are integers summing to 1 << WEIGHT_BITS. Samples are 16-bit, stored less 32768 (BIAS) as
 * signed 16-bit so that the signed multiply-add of SIMD units (pmaddwd: two 16-bit products summed into
 * 32 bits) takes them: since the weights sum to 1 << WEIGHT_BITS, the bias comes back as a constant,
 * and the sums are exactly those of unsigned samples. With Lanczos-3's lobes (the sum of the weights'
 * magnitudes stays under 1.3, no single weight above 1.1) neither a pair of products nor the int32
 * accumulator can overflow. */
#define WEIGHT_BITS 14
#define BIAS 32768
/* The accumulator's start: rounding, and the bias of the samples given back. */
#define ACC_START ((1 << (WEIGHT_BITS - 1)) + (BIAS << WEIGHT_BITS))
/* Rows of the input asked of libvips at a time. */
#define STRIP 16
/* Output rows resampled together by the horizontal pass. */
#define BLOCK_ROWS 16

static guint16 to_linear[256];
static guchar to_srgb[65536];

double
lr_srgb_to_linear(double v)
{
	return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

double
lr_linear_to_srgb(double v)
{
	return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

static void
tables_init(void)
{
	static gsize once;
	if (!g_once_init_enter(&once))
		return;
	for (int v = 0; v < 256; v++)
		to_linear[v] = (guint16)lround(65535 * lr_srgb_to_linear(v / 255.0));
	for (int v = 0; v < 65536; v++)
		to_srgb[v] = (guchar)lround(255 * CLAMP(lr_linear_to_srgb(v / 65535.0), 0, 1));
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
 * weight + i * stride. Taps are taken in pairs (one multiply-add each), so an odd count is followed by
 * a zero weight: the input after the last tap must be readable (its value does not matter). */
typedef struct {
	int *start, *n, max, stride;
	gint16 *weight;
} Taps;

static void
taps_init(Taps *t, int in, int out, LrKernel kernel)
{
	double step = (double)in / out, widen = MAX(1.0, step);
	double support = (kernel == LR_KERNEL_TRIANGLE ? 1 : 3) * widen;
	t->max = MIN(in, (int)ceil(2 * support) + 1);
	t->stride = t->max + 1;
	t->start = g_new(int, out);
	t->n = g_new(int, out);
	t->weight = g_new0(gint16, (size_t)out * t->stride);
	double *w = g_new(double, t->max);
	/* Lanczos-3's sines are stepped from tap to tap (sin(a + d) from sin a and cos a), four libm
	 * calls an output instead of two a tap: a sixth of a photo's resampling set-up, measured. */
	double d1 = G_PI / widen, d3 = d1 / 3, sd1 = sin(d1), cd1 = cos(d1), sd3 = sin(d3),
	       cd3 = cos(d3);
	for (int i = 0; i < out; i++) {
		double centre = (i + 0.5) * step - 0.5, sum = 0;
		int lo = MAX(0, (int)ceil(centre - support));
		int hi = MIN(in - 1, MIN(lo + t->max - 1, (int)floor(centre + support)));
		if (kernel == LR_KERNEL_TRIANGLE)
			for (int j = lo; j <= hi; j++)
				sum += w[j - lo] = kernel_at(kernel, (j - centre) / widen);
		else {
			double a1 = G_PI * (lo - centre) / widen, s1 = sin(a1), c1 = cos(a1);
			double s3 = sin(a1 / 3), c3 = cos(a1 / 3);
			for (int j = lo; j <= hi; j++) {
				double x = fabs((j - centre) / widen), px = G_PI * x;
				/* sin(pi x) sin(pi x / 3) is even in x: the signed angle's sines serve. */
				w[j - lo] = x < 1e-9 ? 1 : x >= 3 ? 0 : 3 * s1 * s3 / (px * px);
				sum += w[j - lo];
				double n1 = s1 * cd1 + c1 * sd1, n3 = s3 * cd3 + c3 * sd3;
				c1 = c1 * cd1 - s1 * sd1;
				c3 = c3 * cd3 - s3 * sd3;
				s1 = n1;
				s3 = n3;
			}
		}
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
		memcpy(t->weight + (size_t)i * t->stride, q + first, t->n[i] * sizeof(gint16));
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

/* One input row of WIDTH pixels into biased 16-bit working values. LINEAR: through the three per-band
 * tables of LIN (sRGB code to biased linear light, with the light correction when there is one);
 * otherwise the coded value times 257. */
static void
row_in(const guchar *restrict p, gint16 *restrict q, int width, int bands, const gint16 (*lin)[256])
{
	int n = width * bands;
	if (!lin)
		for (int i = 0; i < n; i++)
			q[i] = (gint16)(p[i] * 257 - BIAS);
	else if (bands == 4)
		for (int i = 0; i < n; i += 4) {
			guint a = p[i + 3];
			for (int c = 0; c < 3; c++)
				q[i + c] = (gint16)(((lin[c][p[i + c]] + BIAS) * a + 127) / 255 - BIAS);
			q[i + 3] = (gint16)(a * 257 - BIAS);
		}
	else if (bands == 3)
		for (int i = 0; i < n; i += 3) {
			q[i] = lin[0][p[i]];
			q[i + 1] = lin[1][p[i + 1]];
			q[i + 2] = lin[2][p[i + 2]];
		}
	else
		for (int i = 0; i < n; i++)
			q[i] = lin[0][p[i]];
}

/* F(..., B) with B the constant 1, 3 or 4 that BANDS is, so that F's loops, inlined, are unrolled for
 * it. */
#define WITH_BANDS(bands, f, ...)                                                                   \
	((bands) == 3 ? f(__VA_ARGS__, 3) : (bands) == 4 ? f(__VA_ARGS__, 4) : f(__VA_ARGS__, 1))

/* The ROWS output rows of a horizontal block back to 8 bits, row r at Q + r * STRIDE: value j (pixel
 * j / BANDS, band j % BANDS) of row r is at BLOCK[j * BLOCK_ROWS + r], as the passes leave it. */
static void
block_out_c(const gint16 *restrict block, int rows, guchar *restrict q, size_t stride, int width,
	    int bands, gboolean linear)
{
	int count = width * bands, j = 0;
	if (linear && bands == 4) {
#define U(j) ((guint)(block[(j) * BLOCK_ROWS + r] + BIAS))
		for (int x = 0; x < width; x++, block += 4 * BLOCK_ROWS, q += 4)
			for (int r = 0; r < rows; r++) {
				guchar *restrict o = q + r * stride;
				guint a = U(3);
				for (int c = 0; c < 3; c++) /* transparent: white, as compose makes it */
					o[c] = a ? to_srgb[MIN(65535u, (U(c) * 65535u + a / 2) / a)] : 255;
				o[3] = (guchar)((a + 128) / 257);
			}
#undef U
		return;
	}
	/* Any other value is converted alone, whatever its band. Through the table, the block is read
	 * in its order, 16 values of the 16 rows into a tile written out a row at a time: row by row,
	 * each row reads all the block's cache lines for a sixteenth of them, and the lookups would
	 * wait on them. (Divided, the compiler's vectorised tile is slower than row by row.) */
	if (linear && rows == BLOCK_ROWS)
		for (; j + 16 <= count; j += 16) {
			guchar t[BLOCK_ROWS][16];
			for (int i = 0; i < 16; i++)
				for (int r = 0; r < BLOCK_ROWS; r++)
					t[r][i] = to_srgb[block[(j + i) * BLOCK_ROWS + r] + BIAS];
			for (int r = 0; r < BLOCK_ROWS; r++)
				memcpy(q + r * stride + j, t[r], 16);
		}
	for (int r = 0; r < rows; r++)
#pragma GCC unroll 4 /* the loop's own instructions are as many as the conversion's */
		for (int k = j; k < count; k++) {
			guint u = (guint)(block[k * BLOCK_ROWS + r] + BIAS);
			q[r * stride + k] = linear ? to_srgb[u] : (guchar)((u + 128) / 257);
		}
}

/* An accumulated sum back to a biased sample, clamped to 0..65535 unbiased. */
static inline gint16
settle(gint32 acc)
{
	acc >>= WEIGHT_BITS;
	return (gint16)(CLAMP(acc, 0, 65535) - BIAS);
}

/* The vertical pass for one output row: OUT[x] = the sum over k of W[k] * ROWS[k][x] for COUNT values,
 * in plain C (any machine; the compiler vectorises it), ACC a scratch row. */
static void
vertical_c(const gint16 *const *rows, const gint16 *w, int n, int count, gint32 *restrict acc,
	   gint16 *restrict out)
{
	for (int x = 0; x < count; x++)
		acc[x] = ACC_START;
	for (int k = 0; k < n; k++) {
		const gint16 *restrict row = rows[k];
		gint32 wk = w[k];
		for (int x = 0; x < count; x++)
			acc[x] += wk * row[x];
	}
	for (int x = 0; x < count; x++)
		out[x] = settle(acc[x]);
}

/* The horizontal pass for BLOCK_ROWS rows at once, in plain C. BLOCK stores each input column's
 * BLOCK_ROWS x BANDS values together, so one output pixel's taps are a weighted sum of whole columns:
 * a fixed-length loop, where a single row's taps (3 or 4 values apart) would not vectorise. Output
 * pixel x's column goes to OUT + x * BLOCK_ROWS * BANDS, the same layout. */
static inline __attribute__((always_inline)) void
horizontal_c_bands(const gint16 *restrict block, const Taps *t, int width, gint16 *restrict out,
		   const int bands)
{
	const int column = BLOCK_ROWS * bands;
	for (int x = 0; x < width; x++) {
		const gint16 *restrict w = t->weight + (size_t)x * t->stride;
		const gint16 *restrict p = block + (size_t)t->start[x] * column;
		gint32 acc[BLOCK_ROWS * 4];
		for (int j = 0; j < column; j++)
			acc[j] = ACC_START;
		for (int k = 0; k < t->n[x]; k++, p += column)
			for (int j = 0; j < column; j++)
				acc[j] += w[k] * p[j];
		for (int j = 0; j < column; j++)
			out[(size_t)x * column + j] = settle(acc[j]);
	}
}

static void
horizontal_c(const gint16 *block, const Taps *t, int width, int bands, gint16 *out)
{
	WITH_BANDS(bands, horizontal_c_bands, block, t, width, out);
}

/* BLOCK_ROWS rows of COUNT values (ROWS, one after the other) transposed for the horizontal pass:
 * value j of row r goes to BLOCK[j * BLOCK_ROWS + r], so that a pixel's BLOCK_ROWS x BANDS values lie
 * together (whatever their order within: the horizontal pass treats them alike). */
static void
transpose_c(const gint16 *restrict rows, int count, gint16 *restrict block)
{
	for (int j = 0; j < count; j++)
		for (int r = 0; r < BLOCK_ROWS; r++)
			block[j * BLOCK_ROWS + r] = rows[(size_t)r * count + j];
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* Weights K and K + 1 of W as the pair a multiply-add takes (K + 1 past N: 0). */
static inline gint32
pair_at(const gint16 *w, int k, int n)
{
	return (gint32)((guint16)w[k] | (k + 1 < n ? (guint32)(guint16)w[k + 1] << 16 : 0));
}

/* Two rows of 16 samples interleaved and multiplied by a pair of weights into LO and HI (samples
 * 0-3 and 8-11, 4-7 and 12-15: packs_epi32 puts them back in order). */
__attribute__((target("avx2"))) static inline void
madd_pair(__m256i a, __m256i b, __m256i pair, __m256i *lo, __m256i *hi)
{
	*lo = _mm256_add_epi32(*lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), pair));
	*hi = _mm256_add_epi32(*hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), pair));
}

/* settle() for 16 sums: the bias taken off before packing, so that the packing's saturation is the
 * clamp. */
__attribute__((target("avx2"))) static inline __m256i
settle_avx2(__m256i lo, __m256i hi)
{
	const __m256i bias = _mm256_set1_epi32(BIAS);
	return _mm256_packs_epi32(_mm256_sub_epi32(_mm256_srai_epi32(lo, WEIGHT_BITS), bias),
				  _mm256_sub_epi32(_mm256_srai_epi32(hi, WEIGHT_BITS), bias));
}

/* vertical_c with AVX2, two taps per multiply-add; the same integers exactly. */
__attribute__((target("avx2"))) static void
vertical_avx2(const gint16 *const *rows, const gint16 *w, int n, int count, gint32 *restrict acc,
	      gint16 *restrict out)
{
	const __m256i round = _mm256_set1_epi32(ACC_START);
	gint32 pair[(n + 1) / 2];
	for (int k = 0; k < n; k += 2)
		pair[k / 2] = pair_at(w, k, n);
	int x = 0;
	for (; x + 16 <= count; x += 16) {
		__m256i lo = round, hi = round;
		for (int k = 0; k < n; k += 2) {
			__m256i a = _mm256_loadu_si256((const __m256i *)(rows[k] + x));
			__m256i b = k + 1 < n ? _mm256_loadu_si256((const __m256i *)(rows[k + 1] + x))
					      : a;
			madd_pair(a, b, _mm256_set1_epi32(pair[k / 2]), &lo, &hi);
		}
		_mm256_storeu_si256((__m256i *)(out + x), settle_avx2(lo, hi));
	}
	if (x < count) {
		const gint16 *tail[n];
		for (int k = 0; k < n; k++)
			tail[k] = rows[k] + x;
		vertical_c(tail, w, n, count - x, acc, out + x);
	}
}

/* horizontal_c with AVX2: a column is BANDS vectors of 16 samples; the tap after an odd count has
 * weight 0 and reads the next column (see Taps). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
horizontal_avx2_bands(const gint16 *restrict block, const Taps *t, int width, gint16 *restrict out,
		      const int bands)
{
	const int column = BLOCK_ROWS * bands;
	const __m256i round = _mm256_set1_epi32(ACC_START);
	for (int x = 0; x < width; x++) {
		const gint16 *w = t->weight + (size_t)x * t->stride;
		const gint16 *p = block + (size_t)t->start[x] * column;
		int n = t->n[x];
		__m256i lo[4], hi[4];
		for (int v = 0; v < bands; v++)
			lo[v] = hi[v] = round;
		for (int k = 0; k < n; k += 2, p += 2 * column) {
			__m256i pair = _mm256_set1_epi32(pair_at(w, k, k + 2));
			for (int v = 0; v < bands; v++)
				madd_pair(_mm256_loadu_si256((const __m256i *)(p + 16 * v)),
					  _mm256_loadu_si256((const __m256i *)(p + column + 16 * v)),
					  pair, &lo[v], &hi[v]);
		}
		for (int v = 0; v < bands; v++)
			_mm256_storeu_si256((__m256i *)(out + (size_t)x * column + 16 * v),
					    settle_avx2(lo[v], hi[v]));
	}
}

__attribute__((target("avx2"))) static void
horizontal_avx2(const gint16 *block, const Taps *t, int width, int bands, gint16 *out)
{
	WITH_BANDS(bands, horizontal_avx2_bands, block, t, width, out);
}

/* Eight rows of A (16 values each) transposed within each 128-bit lane: V[j] holds, in its low lane,
 * the eight rows' value j, in its high lane their value j + 8. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
transpose_8x8_lanes(const __m256i *a, __m256i *v)
{
	__m256i t[8], u[8];
	for (int i = 0; i < 4; i++) {
		t[i] = _mm256_unpacklo_epi16(a[2 * i], a[2 * i + 1]);
		t[i + 4] = _mm256_unpackhi_epi16(a[2 * i], a[2 * i + 1]);
	}
	/* t[i]: rows 2i, 2i + 1 at values 0-3; t[i + 4]: at values 4-7. */
	for (int h = 0; h < 2; h++)
		for (int i = 0; i < 2; i++) {
			u[4 * h + 2 * i] = _mm256_unpacklo_epi32(t[4 * h + 2 * i], t[4 * h + 2 * i + 1]);
			u[4 * h + 2 * i + 1] = _mm256_unpackhi_epi32(t[4 * h + 2 * i], t[4 * h + 2 * i + 1]);
		}
	/* u[4h + 2i + e]: rows 4i .. 4i + 3 at values 4h + 2e, 4h + 2e + 1. */
	for (int h = 0; h < 2; h++)
		for (int e = 0; e < 2; e++) {
			v[4 * h + 2 * e] = _mm256_unpacklo_epi64(u[4 * h + e], u[4 * h + 2 + e]);
			v[4 * h + 2 * e + 1] = _mm256_unpackhi_epi64(u[4 * h + e], u[4 * h + 2 + e]);
		}
}

/* Sixteen vectors A of 16 values transposed: V[i] holds value i of each. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void
transpose_16x16(const __m256i *a, __m256i *v)
{
	__m256i top[8], bottom[8];
	transpose_8x8_lanes(a, top);
	transpose_8x8_lanes(a + 8, bottom);
	for (int i = 0; i < 8; i++) {
		v[i] = _mm256_permute2x128_si256(top[i], bottom[i], 0x20);
		v[i + 8] = _mm256_permute2x128_si256(top[i], bottom[i], 0x31);
	}
}

/* transpose_c with AVX2, 16 x 16 values at a time. */
__attribute__((target("avx2"))) static void
transpose_avx2(const gint16 *restrict rows, int count, gint16 *restrict block)
{
	int j = 0;
	for (; j + 16 <= count; j += 16) {
		__m256i a[BLOCK_ROWS], v[16];
		for (int r = 0; r < BLOCK_ROWS; r++)
			a[r] = _mm256_loadu_si256((const __m256i *)(rows + (size_t)r * count + j));
		transpose_16x16(a, v);
		for (int i = 0; i < 16; i++)
			_mm256_storeu_si256((__m256i *)(block + (j + i) * BLOCK_ROWS), v[i]);
	}
	for (; j < count; j++)
		for (int r = 0; r < BLOCK_ROWS; r++)
			block[j * BLOCK_ROWS + r] = rows[(size_t)r * count + j];
}

/* 16 biased samples back to 8 bits (0 .. 255 in 16 bits): divided by 257, as mulhi (x 65281 / 2^16)
 * then a rounding shift does exactly for every 16-bit value. */
__attribute__((target("avx2"))) static inline __m256i
out_avx2(__m256i v)
{
	__m256i u = _mm256_xor_si256(v, _mm256_set1_epi16((short)0x8000));
	return _mm256_srli_epi16(_mm256_add_epi16(_mm256_mulhi_epu16(u, _mm256_set1_epi16((short)65281)),
						  _mm256_set1_epi16(128)),
				 8);
}

/* block_out_c with AVX2 on the coded values of whole blocks: 16 values of the 16 rows at a time,
 * transposed back, then divided; the last 16 values overlap the ones before. In linear light the
 * table lookups are the time, and gathers do them no faster: plain C. */
__attribute__((target("avx2"))) static void
block_out_avx2(const gint16 *block, int rows, guchar *q, size_t stride, int width, int bands,
	       gboolean linear)
{
	int count = width * bands;
	if (linear || rows < BLOCK_ROWS || count < 16) {
		block_out_c(block, rows, q, stride, width, bands, linear);
		return;
	}
	for (int j = 0;; j = MIN(j + 16, count - 16)) {
		__m256i a[16], v[BLOCK_ROWS];
		for (int i = 0; i < 16; i++)
			a[i] = _mm256_loadu_si256((const __m256i *)(block + (j + i) * BLOCK_ROWS));
		transpose_16x16(a, v);
		for (int r = 0; r < BLOCK_ROWS; r += 2) {
			__m256i b = _mm256_permute4x64_epi64(
				_mm256_packus_epi16(out_avx2(v[r]), out_avx2(v[r + 1])), 0xd8);
			_mm_storeu_si128((__m128i *)(q + r * stride + j), _mm256_castsi256_si128(b));
			_mm_storeu_si128((__m128i *)(q + (r + 1) * stride + j),
					 _mm256_extracti128_si256(b, 1));
		}
		if (j == count - 16)
			break;
	}
}
#endif

static gint simd_off;

void
lr_resample_set_simd(gboolean on)
{
	g_atomic_int_set(&simd_off, !on);
}

typedef void (*VerticalFn)(const gint16 *const *, const gint16 *, int, int, gint32 *, gint16 *);
typedef void (*HorizontalFn)(const gint16 *, const Taps *, int, int, gint16 *);
typedef void (*TransposeFn)(const gint16 *, int, gint16 *);
typedef void (*BlockOutFn)(const gint16 *, int, guchar *, size_t, int, int, gboolean);

struct _LrResampler {
	int bands, iw, ih, width, height, span;
	gboolean linear;
	gint16 lin[3][256]; /* the input conversion per band: to linear light, the table first if any */
	VerticalFn vertical;
	HorizontalFn horizontal;
	TransposeFn transpose;
	BlockOutFn block_out;
	Taps tx, ty;
	/* A ring of converted input rows, as many as the vertical kernel spans: the outputs' first rows
	 * never go back, so a row is converted once and dropped when the ring comes round to it. */
	int ring_n;
	gint16 *ring;
	const gint16 **rows;
	gint32 *acc;
	gint16 *columns, *block, *lines;
	int in_y, out_y; /* input rows taken, output rows made by the vertical pass */
	VipsImage *result;
};

/* lr_resampler_new, with LUT (NULL, or a 256-entry, 3-band uchar table as vips_maplut takes) applied
 * to a 3-band input's codes first, in the same lookup as the conversion to linear light. */
static LrResampler *
resampler_new(VipsImage *like, int width, int height, LrKernel kernel, gboolean linear,
	      VipsImage *lut)
{
	int bands = like->Bands, iw = like->Xsize, ih = like->Ysize;
	if (like->BandFmt != VIPS_FORMAT_UCHAR || (bands != 1 && bands != 3 && bands != 4) ||
	    width < 1 || height < 1) {
		vips_error("lr_resample", "expects uchar with 1, 3 or 4 bands and a size of 1 px or more");
		return NULL;
	}
	VipsImage *table = NULL;
	if (lut && (bands != 3 || !linear || lut->Xsize != 256 || lut->Ysize != 1 || lut->Bands != 3 ||
		    lut->BandFmt != VIPS_FORMAT_UCHAR || !(table = lr_image_copy_memory(lut)))) {
		vips_error("lr_resample", "a table goes with linear light, 3 bands, 256 x 3 uchar");
		return NULL;
	}
	/* The input's metadata comes along (its ICC profile above all: the view and the measured
	 * areas are reduced before their colours are converted). */
	VipsImage *result = lr_image_new_unset(like, width, height, bands, VIPS_FORMAT_UCHAR, like->Type);
	if (!result) {
		VIPS_UNREF(table);
		return NULL;
	}
	tables_init();
	LrResampler *r = g_new0(LrResampler, 1);
	*r = (LrResampler){ .bands = bands, .iw = iw, .ih = ih, .width = width, .height = height,
			    .span = iw * bands, .linear = linear, .result = result };
	for (int c = 0; c < 3; c++)
		for (int v = 0; v < 256; v++)
			r->lin[c][v] =
				(gint16)(to_linear[table ? VIPS_IMAGE_ADDR(table, v, 0)[c] : v] - BIAS);
	VIPS_UNREF(table);
	r->vertical = vertical_c;
	r->horizontal = horizontal_c;
	r->transpose = transpose_c;
	r->block_out = block_out_c;
#ifdef HAVE_AVX2_PATH
	if (!g_atomic_int_get(&simd_off) && __builtin_cpu_supports("avx2")) {
		r->vertical = vertical_avx2;
		r->horizontal = horizontal_avx2;
		r->transpose = transpose_avx2;
		r->block_out = block_out_avx2;
	}
#endif
	taps_init(&r->tx, iw, width, kernel);
	taps_init(&r->ty, ih, height, kernel);
	r->ring_n = r->ty.max;
	r->ring = g_new(gint16, (size_t)r->ring_n * r->span);
	r->rows = g_new(const gint16 *, r->ring_n);
	r->acc = g_new(gint32, r->span);
	r->columns = g_new0(gint16, (size_t)r->span * BLOCK_ROWS);
	/* One column more than the input has: the zero-weight tap after an odd count reads it. */
	r->block = g_new0(gint16, (size_t)(r->span + bands) * BLOCK_ROWS);
	r->lines = g_new(gint16, (size_t)width * bands * BLOCK_ROWS);
	return r;
}

int
lr_resample_size(int size, double scale)
{
	return MAX(1, (int)lround(size * scale));
}

LrResampler *
lr_resampler_new(VipsImage *like, double scale, LrKernel kernel, gboolean linear)
{
	return resampler_new(like, lr_resample_size(like->Xsize, scale),
			     lr_resample_size(like->Ysize, scale), kernel, linear, NULL);
}

/* Output rows up to the input row last taken: each one through the vertical pass as soon as its taps
 * are all in the ring, and every BLOCK_ROWS of them (or the last few) through the horizontal pass
 * into the result. */
static void
resampler_drain(LrResampler *r)
{
	while (r->out_y < r->height &&
	       r->ty.start[r->out_y] + r->ty.n[r->out_y] <= r->in_y) {
		int y = r->out_y, n = r->ty.n[y];
		for (int k = 0; k < n; k++)
			r->rows[k] = r->ring + (size_t)((r->ty.start[y] + k) % r->ring_n) * r->span;
		r->vertical(r->rows, r->ty.weight + (size_t)y * r->ty.stride, n, r->span, r->acc,
			    r->columns + (size_t)(y % BLOCK_ROWS) * r->span);
		r->out_y++;
		if (r->out_y % BLOCK_ROWS && r->out_y < r->height)
			continue;
		int y0 = (y / BLOCK_ROWS) * BLOCK_ROWS;
		r->transpose(r->columns, r->span, r->block);
		r->horizontal(r->block, &r->tx, r->width, r->bands, r->lines);
		r->block_out(r->lines, r->out_y - y0, VIPS_IMAGE_ADDR(r->result, 0, y0),
			     VIPS_IMAGE_SIZEOF_LINE(r->result), r->width, r->bands, r->linear);
	}
}

void
lr_resampler_rows(LrResampler *r, const guchar *p, int rows, size_t stride)
{
	/* A pending output row never reaches back more than the ring's length, so the row a new one
	 * replaces is no longer needed (drained before it is overwritten). */
	for (int i = 0; i < rows && r->in_y < r->ih; i++, p += stride) {
		row_in(p, r->ring + (size_t)(r->in_y % r->ring_n) * r->span, r->iw, r->bands,
		       r->linear ? (const gint16(*)[256])r->lin : NULL);
		r->in_y++;
		resampler_drain(r);
	}
}

VipsImage *
lr_resampler_end(LrResampler *r)
{
	if (!r)
		return NULL;
	VipsImage *result = r->in_y == r->ih && r->out_y == r->height ? g_object_ref(r->result) : NULL;
	if (!result)
		vips_error("lr_resample", "%d of %d input rows given", r->in_y, r->ih);
	g_object_unref(r->result);
	taps_clear(&r->tx);
	taps_clear(&r->ty);
	g_free(r->ring);
	g_free(r->rows);
	g_free(r->acc);
	g_free(r->columns);
	g_free(r->block);
	g_free(r->lines);
	g_free(r);
	return result;
}

/* lr_resample, with LUT as resampler_new() takes it: IN read in strips of whole rows into the
 * resampler. */
static int
resample(VipsImage *in, int width, int height, LrKernel kernel, gboolean linear, VipsImage *lut,
	 VipsImage **out)
{
	*out = NULL;
	LrResampler *r = resampler_new(in, width, height, kernel, linear, lut);
	if (!r)
		return -1;
	VipsRegion *region = vips_region_new(in);
	for (int y = 0; y < in->Ysize; y += STRIP) {
		VipsRect want = { 0, y, in->Xsize, MIN(STRIP, in->Ysize - y) };
		if (vips_region_prepare(region, &want))
			break;
		lr_resampler_rows(r, VIPS_REGION_ADDR(region, 0, y), want.height,
				  VIPS_REGION_LSKIP(region));
	}
	g_object_unref(region);
	*out = lr_resampler_end(r);
	return *out ? 0 : -1;
}

int
lr_resample(VipsImage *in, int width, int height, LrKernel kernel, gboolean linear, VipsImage **out)
{
	return resample(in, width, height, kernel, linear, NULL, out);
}

/* lr_resample_scale, with LUT as resample() takes it. */
static int
resample_scale(VipsImage *in, double scale, LrKernel kernel, gboolean linear, VipsImage *lut,
	       VipsImage **out)
{
	*out = NULL;
	if (scale >= 1) {
		VipsImage *mapped = NULL;
		if (lut && vips_maplut(in, &mapped, lut, NULL))
			return -1;
		*out = lr_image_copy_memory(mapped ? mapped : in);
		VIPS_UNREF(mapped);
		return *out ? 0 : -1;
	}
	int width = lr_resample_size(in->Xsize, scale), height = lr_resample_size(in->Ysize, scale);
	if (in->BandFmt == VIPS_FORMAT_UCHAR && (in->Bands == 1 || in->Bands == 3 || in->Bands == 4))
		return resample(in, width, height, kernel, linear, lut, out);
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
	*out = lr_image_copy_memory(t);
	g_object_unref(t);
	return *out ? 0 : -1;
}

int
lr_resample_scale(VipsImage *in, double scale, LrKernel kernel, gboolean linear, VipsImage **out)
{
	return resample_scale(in, scale, kernel, linear, NULL, out);
}

int
lr_resample_linear_lut(VipsImage *in, double scale, VipsImage *lut, VipsImage **out)
{
	if ((in->Bands != 3 && in->Bands != 4) || (lut && in->Bands != 3)) {
		*out = NULL;
		vips_error("lr_resample_linear", "expects uchar sRGB with 3 bands, or 4 without a table");
		return -1;
	}
	if (resample_scale(in, scale, LR_KERNEL_LANCZOS3, TRUE, lut, out))
		return -1;
	(*out)->Type = VIPS_INTERPRETATION_sRGB;
	return 0;
}

int
lr_resample_linear(VipsImage *in, double scale, VipsImage **out)
{
	return lr_resample_linear_lut(in, scale, NULL, out);
}
