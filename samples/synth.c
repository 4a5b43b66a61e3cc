/* synth.c: renders the phone-like sample photos declared in synth.h.
 *
 * The generator exists so that the demo, the unit tests and the benchmarks have photos whose truth
 * is known: where the product is (the mask is the very coverage it was drawn with), how it is
 * oriented and how it was degraded. The recipe is the same for every scene: the product is drawn
 * upright in its own small canvas (colour + coverage), rotated and placed into the frame with one
 * affine; the background is drawn at full size; both are lit by one smooth scene light; then the
 * camera's faults are applied in order (exposure and colour cast in linear light, defocus, sensor
 * noise).
 *
 * Speed comes from never evaluating anything costly per pixel at 12 MP: smooth things (light,
 * shadows, wrinkles, wood figure, a blurred room) are computed in C at 1/8 size and upscaled;
 * separable things (stripes, outlines, bowl shading) are 1-D arrays stretched by vips_embed; fine
 * texture is a small tile repeated. What remains at full size is a short chain of libvips point
 * operations.
 *
 * Everything random comes from a splitmix64 stream keyed by the spec's seed and a stream number, so
 * a spec renders the same pixels on every run and every machine, and changing one part of a scene
 * (say, the background) does not reshuffle another (the product's shape).
 */
#include "samples/synth.h"

#include <libexif/exif-data.h>
#include <math.h>
#include <string.h>

#define SYNTH_LOWRES 8 /* smooth fields are computed at 1/SYNTH_LOWRES of the frame */

enum {
	SYNTH_STREAM_GEOMETRY = 1,
	SYNTH_STREAM_PRODUCT,
	SYNTH_STREAM_BACKGROUND,
	SYNTH_STREAM_LIGHT,
	SYNTH_STREAM_NOISE
};

typedef struct {
	guint64 state;
} SynthRng;

static void
synth_rng_init(SynthRng *rng, unsigned int seed, int stream)
{
	rng->state =
	    (guint64)seed * 0x9E3779B97F4A7C15ull ^ (guint64)(stream + 1) * 0xD1B54A32D192ED03ull;
}

static guint64
synth_rng_next(SynthRng *rng)
{
	guint64 z = (rng->state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double
synth_uniform(SynthRng *rng)
{
	return (synth_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static double
synth_range(SynthRng *rng, double lo, double hi)
{
	return lo + (hi - lo) * synth_uniform(rng);
}

static int
synth_int(SynthRng *rng, int n)
{
	return (int)(synth_uniform(rng) * n) % n;
}

static double
synth_gauss(SynthRng *rng)
{
	double u1 = 1.0 - synth_uniform(rng);
	double u2 = synth_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

static double
synth_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* ---- small image helpers; every image they make belongs to P ---- */

static VipsImage *
synth_wrap(VipsObject *p, const float *data, int width, int height, int bands)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);

	t[0] = vips_image_new_from_memory_copy(data, sizeof(float) * width * height * bands, width,
					       height, bands, VIPS_FORMAT_FLOAT);
	return t[0];
}

/* A 1-D array along x (WIDTH values of BANDS floats) repeated down HEIGHT rows. */
static int
synth_rows(VipsObject *p, const float *v, int width, int bands, int height, VipsImage **out)
{
	VipsImage *in = synth_wrap(p, v, width, 1, bands);

	return !in || vips_embed(in, out, 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}

/* A 1-D array along y (HEIGHT values) repeated across WIDTH columns. */
static int
synth_cols(VipsObject *p, const float *v, int height, int bands, int width, VipsImage **out)
{
	VipsImage *in = synth_wrap(p, v, 1, height, bands);

	return !in || vips_embed(in, out, 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}

/* A tile repeated to WIDTH x HEIGHT: texture at the cost of a memcpy. */
static int
synth_tile(VipsObject *p, const float *v, int tw, int th, int bands, int width, int height,
	   VipsImage **out)
{
	VipsImage *in = synth_wrap(p, v, tw, th, bands);

	return !in || vips_embed(in, out, 0, 0, width, height, "extend", VIPS_EXTEND_REPEAT, NULL);
}

/* Gaussian N(0,1) noise of BANDS bands as a repeated tile. The tile sides are not multiples of any
 * other period in a scene, so its repeat does not line up with anything the eye could catch. */
static int
synth_noise(VipsObject *p, SynthRng *rng, int bands, int width, int height, VipsImage **out)
{
	int tw = MIN(width, 509), th = MIN(height, 503);
	float *v = g_new(float, (gsize)tw *th *bands);
	int r;

	for (gsize i = 0; i < (gsize)tw * th * bands; i++)
		v[i] = synth_gauss(rng);
	r = synth_tile(p, v, tw, th, bands, width, height, out);
	g_free(v);
	return r;
}

/* Sensor noise of SIGMA 8-bit levels in 3 bands, rounded to whole levels as a camera's would be, as
 * a repeated signed-char tile: added to 8-bit pixels it stays in integer arithmetic. */
static int
synth_sensor_noise(VipsObject *p, SynthRng *rng, double sigma, int width, int height,
		   VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);
	int tw = MIN(width, 509), th = MIN(height, 503);
	signed char *v = g_new(signed char, (gsize)tw *th * 3);

	for (gsize i = 0; i < (gsize)tw * th * 3; i++)
		v[i] = (signed char)lround(synth_clamp(sigma * synth_gauss(rng), -127, 127));
	t[0] = vips_image_new_from_memory_copy(v, (gsize)tw * th * 3, tw, th, 3, VIPS_FORMAT_CHAR);
	g_free(v);
	return !t[0] ||
	       vips_embed(t[0], out, 0, 0, width, height, "extend", VIPS_EXTEND_REPEAT, NULL);
}

/* Upscales a smooth low-resolution float field (LW x LH, BANDS) to exactly WIDTH x HEIGHT. */
static int
synth_upscale(VipsObject *p, const float *v, int lw, int lh, int bands, int width, int height,
	      VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 2);
	VipsImage *small = synth_wrap(p, v, lw, lh, bands);

	if (!small)
		return -1;
	if (vips_resize(small, &t[1], (double)width / lw, "vscale", (double)height / lh, "kernel",
			VIPS_KERNEL_LINEAR, NULL))
		return -1;
	return vips_embed(t[1], out, 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}

/* Coverage 0..255 (uchar) from a signed distance D in pixels, positive inside: one pixel of
 * anti-aliasing ramp, and the cast does the clamping. */
static int
synth_coverage(VipsObject *p, VipsImage *d, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);

	return vips_linear1(d, &t[0], 255.0, 127.5, NULL) ||
	       vips_cast(t[0], out, VIPS_FORMAT_UCHAR, NULL);
}

/* OUT = A + (B - A) * M / 255, M a 1-band uchar coverage: "over" with straight alpha, in one pass.
 */
static int
synth_mix(VipsObject *p, VipsImage *a, VipsImage *b, VipsImage *m, VipsImage **out)
{
	return vips_ifthenelse(m, b, a, out, "blend", TRUE, NULL);
}

/* The frame coverage ALPHA of the product on the low-resolution grid (LW x LH), 0..1, in memory. */
static int
synth_lowres_alpha(VipsObject *p, VipsImage *alpha, int lw, int lh, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 3);

	return vips_shrink(alpha, &t[0], (double)alpha->Xsize / lw, (double)alpha->Ysize / lh,
			   NULL) ||
	       vips_embed(t[0], &t[1], 0, 0, lw, lh, "extend", VIPS_EXTEND_COPY, NULL) ||
	       vips_linear1(t[1], &t[2], 1.0 / 255.0, 0.0, NULL) ||
	       !(*out = vips_image_copy_memory(t[2]));
}

/* SMALL blurred by SIGMA pixels, as a g_malloc'd float array. */
static float *
synth_lowres_blur(VipsObject *p, VipsImage *small, double sigma)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);
	size_t size;

	if (vips_gaussblur(small, &t[0], MAX(sigma, 0.3), "precision", VIPS_PRECISION_FLOAT, NULL))
		return NULL;
	return vips_image_write_to_memory(t[0], &size);
}

/* Bilinear sample of a low-res field with clamping at the edges. */
static double
synth_sample(const float *v, int lw, int lh, double x, double y)
{
	int x0, y0;
	double fx, fy;

	x = synth_clamp(x, 0, lw - 1);
	y = synth_clamp(y, 0, lh - 1);
	x0 = MIN((int)x, lw - 2 < 0 ? 0 : lw - 2);
	y0 = MIN((int)y, lh - 2 < 0 ? 0 : lh - 2);
	fx = lw > 1 ? x - x0 : 0;
	fy = lh > 1 ? y - y0 : 0;
	return (1 - fy) * ((1 - fx) * v[y0 * lw + x0] + fx * v[y0 * lw + MIN(x0 + 1, lw - 1)]) +
	       fy * ((1 - fx) * v[MIN(y0 + 1, lh - 1) * lw + x0] +
		     fx * v[MIN(y0 + 1, lh - 1) * lw + MIN(x0 + 1, lw - 1)]);
}

/* ---- geometry shared by the renderer and lr_synth_product_area() ---- */

typedef struct {
	double length, width; /* cloth rectangle in pixels (textile); bowl: width = 2R */
	double angle;	      /* rotation in the frame, degrees clockwise */
	gboolean fringe;      /* textile: fringe on the right-hand end */
	int nbands;	      /* textile: 1 or 2 zari borders */
	double rim, depth;    /* bowl: rim half-height and body depth, as shares of the radius R */
} SynthGeometry;

static void
synth_geometry(const LrSynthSpec *spec, SynthGeometry *g)
{
	SynthRng rng;
	double longest = spec->product_size * MIN(spec->width, spec->height);

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_GEOMETRY);
	memset(g, 0, sizeof(*g));
	if (spec->product == LR_SYNTH_TEXTILE) {
		g->length = longest;
		g->width = longest * synth_range(&rng, 0.58, 0.72);
		g->angle = synth_range(&rng, 2.0, 9.0) * (synth_uniform(&rng) < 0.5 ? -1 : 1);
		/* A folded cloth lies along the longer side of the frame. */
		if (spec->height > spec->width)
			g->angle += 90.0;
		g->fringe = synth_uniform(&rng) < 0.7 || spec->fringe;
		g->nbands = synth_uniform(&rng) < 0.5 ? 1 : 2;
	} else {
		g->length = longest;
		g->width = longest;
		g->rim = synth_range(&rng, 0.27, 0.35);
		g->depth = synth_range(&rng, 0.68, 0.82);
	}
}

/* ---- the scene light ---- */

typedef struct {
	double lx, ly;	 /* direction towards the window/bulb in the image plane (unit vector) */
	double gradient; /* brightness change across the frame towards the light */
	double vignette; /* darkening in the corners */
} SynthLight;

static void
synth_light(const LrSynthSpec *spec, SynthLight *light)
{
	SynthRng rng;
	double a;

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_LIGHT);
	/* from the upper left, give or take: a window beside the artisan */
	a = synth_range(&rng, 200, 250) * G_PI / 180;
	light->lx = cos(a);
	light->ly = sin(a);
	light->gradient = synth_range(&rng, 0.10, 0.2);
	light->vignette = synth_range(&rng, 0.18, 0.3);
}

/* The scene light at (U, W), the frame position as shares of its size minus 0.5: a gradient towards
 * the light times a phone lens's vignette. Products and backgrounds bake it into their own low-res
 * fields, so it costs nothing at full size. */
static double
synth_light_at(const SynthLight *light, double u, double w)
{
	double r2 = (u * u + w * w) / 0.5;

	return (1 + light->gradient * 2 * (u * light->lx + w * light->ly)) *
	       (1 - light->vignette * (0.8 * r2 * r2 + 0.2 * r2));
}

/* Multiplies the low-res field V (LW x LH, covering the whole frame) by the scene light. */
static void
synth_light_frame(const SynthLight *light, int lw, int lh, float *v)
{
	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++)
			v[y * lw + x] *=
			    synth_light_at(light, (x + 0.5) / lw - 0.5, (y + 0.5) / lh - 0.5);
}

/* Multiplies the low-res field V (LW x LH, covering a CW x CH product canvas) by the scene light
 * where each of its points lands in the frame: the canvas turned by ANGLE about (LCX, LCY), which
 * goes to the spec's centre. */
static void
synth_light_canvas(const LrSynthSpec *spec, const SynthLight *light, double angle, double lcx,
		   double lcy, int cw, int ch, int lw, int lh, float *v)
{
	double s = sin(angle * G_PI / 180), c = cos(angle * G_PI / 180);

	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++) {
			double px = (x + 0.5) * cw / lw - lcx, py = (y + 0.5) * ch / lh - lcy;
			double fx = c * px - s * py + spec->centre_x * spec->width;
			double fy = s * px + c * py + spec->centre_y * spec->height;

			v[y * lw + x] *=
			    synth_light_at(light, fx / spec->width - 0.5, fy / spec->height - 0.5);
		}
}

/* ---- the textile ---- */

typedef struct {
	float r, g, b;
} SynthRgb;

static const SynthRgb synth_textile_palette[] = {
    {112, 22, 38},  /* maroon */
    {158, 28, 34},  /* deep red */
    {206, 150, 34}, /* mustard */
    {38, 42, 100},  /* indigo */
    {22, 88, 58},   /* bottle green */
    {168, 30, 102}, /* rani pink */
    {214, 98, 28},  /* saffron */
    {24, 104, 112}, /* peacock teal */
    {28, 24, 28},   /* black */
    {226, 212, 182} /* undyed cream */
};
static const SynthRgb synth_zari = {204, 164, 78};

/* Fills stripes of colours into V[START..END) (3 floats per entry): wide blocks alternating between
 * A and B, with thin lines of C between them; THREAD is the thread pitch so that a stripe never
 * starts in the middle of a thread. */
static void
synth_stripes(SynthRng *rng, float *v, int start, int end, double scale, SynthRgb a, SynthRgb b,
	      SynthRgb c, gboolean checks)
{
	int pos = start, block = 0;

	while (pos < end) {
		int wide = (int)(scale * synth_range(rng, 0.05, 0.13));
		int thin = MAX(1, (int)(scale * synth_range(rng, 0.004, 0.012)));
		SynthRgb col = (block & 1) && checks ? b : a;

		for (int i = pos; i < end && i < pos + wide; i++)
			v[3 * i] = col.r, v[3 * i + 1] = col.g, v[3 * i + 2] = col.b;
		pos += wide;
		if (synth_uniform(rng) < 0.6) {
			for (int i = pos; i < end && i < pos + thin; i++)
				v[3 * i] = c.r, v[3 * i + 1] = c.g, v[3 * i + 2] = c.b;
			pos += thin;
		}
		block++;
	}
}

/* Per-thread brightness jitter (slubs, uneven dyeing) on colours V[0..N) with thread pitch PITCH.
 */
static void
synth_thread_jitter(SynthRng *rng, float *v, int n, int pitch)
{
	double gain = 1;

	for (int i = 0; i < n; i++) {
		if (i % pitch == 0)
			gain = 1.0 + 0.045 * synth_gauss(rng);
		for (int k = 0; k < 3; k++)
			v[3 * i + k] = synth_clamp(v[3 * i + k] * gain, 0, 255);
	}
}

/* The weave as a tile: band 0 is 1 where the warp (horizontal) thread is on top, band 1 the
 * thread's shading (round threads are darker at their sides and where they dive under). PERIOD
 * threads repeat: 4 for a 2/2 twill, 5 for a warp-faced satin (the zari border). */
static float *
synth_weave_tile(int pitch, int period, int *size)
{
	int n = pitch * period;
	float *v = g_new(float, n *n * 2);

	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int i = x / pitch, j = y / pitch;
			int warp = period == 5 ? (i * 2 + j) % 5 != 0 : (i + j) % 4 < 2;
			int next = period == 5 ? ((i + 1) * 2 + j) % 5 != 0 : (i + 1 + j) % 4 < 2;
			double across = ((warp ? y : x) % pitch + 0.5) / pitch;
			double shade = pitch > 1 ? 0.8 + 0.2 * sin(G_PI * across) : 1.0;

			/* weft floats read a little darker: the same colour still shows the weave
			 */
			if (!warp)
				shade *= 0.9;
			/* the warp darkens where it dives under the next weft */
			if (warp && !next && x % pitch == pitch - 1)
				shade *= 0.88;
			v[2 * (y * n + x)] = warp;
			v[2 * (y * n + x) + 1] = shade;
		}
	*size = n;
	return v;
}

/* Renders the folded cloth upright in its own canvas as 4-band uchar (sRGB + coverage). *CX, *CY is
 * the centre of the cloth rectangle in that canvas. */
static int
synth_textile(VipsObject *p, const LrSynthSpec *spec, const SynthGeometry *g,
	      const SynthLight *light, VipsImage **out, double *cx, double *cy)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 40);
	SynthRng rng;
	double L = g->length, S = g->width;
	int pitch = MAX(1, (int)lround(L / 1100.0));
	/* a fringe asked for is a long one: knotted tassels of a stole, the hardest edge to cut */
	double fringe = g->fringe ? (spec->fringe ? 0.09 : 0.035) * L : 0;
	double wave = 0.004 * L, radius = 0.02 * L;
	int margin = (int)ceil(2 * wave) + 4;
	int cw = (int)ceil(L + fringe) + 2 * margin, ch = (int)ceil(S) + 2 * margin;
	double x0 = margin, x1 = margin + L, y0 = margin, y1 = margin + S;
	int bw = MAX(2, (int)(0.09 * S));
	float *warp = g_new0(float, ch * 3), *weft = g_new0(float, cw * 3);
	float *left = g_new(float, ch), *right = g_new(float, ch), *fold_y = g_new(float, ch);
	float *top = g_new(float, cw), *bottom = g_new(float, cw), *fold_x = g_new(float, cw);
	float *xs = g_new(float, cw), *ys = g_new(float, ch);
	float *band_rows = g_new0(float, ch), *fringe_cols = g_new0(float, cw);
	float *twill = NULL, *satin = NULL, *motif = NULL;
	int n = G_N_ELEMENTS(synth_textile_palette), tn4, tn5, mw, mh;
	SynthRgb base, check, accent;
	gboolean checks;
	double wa[4][3];
	int r = -1;

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_PRODUCT);
	base = synth_textile_palette[synth_int(&rng, n)];
	do
		check = synth_textile_palette[synth_int(&rng, n)];
	while (check.r == base.r && check.g == base.g);
	do
		accent = synth_textile_palette[synth_int(&rng, n)];
	while (accent.r == base.r && accent.g == base.g);
	checks = synth_uniform(&rng) < 0.6;
	if (spec->white) {
		/* kasavu: off-white cloth, self-coloured stripes a shade apart, the gold border kept */
		base = (SynthRgb){240, 237, 228};
		check = (SynthRgb){232, 229, 218};
		accent = (SynthRgb){246, 244, 238};
	}

	/* Warp (rows): zari border(s) along the length, stripes between; the weft (columns) carries
	 * the checks and, near the decorated end (pallu), gold crossbands. */
	synth_stripes(&rng, warp, 0, ch, S, base, check, accent, TRUE);
	for (int y = 0; y < ch; y++) {
		double d = y - y0, e = y1 - y;
		gboolean in_band = d < bw || (g->nbands == 2 && e < bw);

		if (in_band) {
			double rel = d < bw ? d / bw : e / bw;
			SynthRgb c = rel > 0.12 && rel < 0.2 ? accent : synth_zari;

			warp[3 * y] = c.r, warp[3 * y + 1] = c.g, warp[3 * y + 2] = c.b;
			band_rows[y] = 255;
		}
	}
	synth_stripes(&rng, weft, 0, cw, L, base, check, accent, checks);
	for (int x = (int)(x1 - 0.16 * L); x < cw; x++) {
		int k = (int)((x - (x1 - 0.16 * L)) / MAX(1.0, 0.012 * L));
		SynthRgb c = k % 3 == 0 ? synth_zari : (k % 3 == 1 ? accent : base);

		weft[3 * x] = c.r, weft[3 * x + 1] = c.g, weft[3 * x + 2] = c.b;
	}
	synth_thread_jitter(&rng, warp, ch, pitch);
	synth_thread_jitter(&rng, weft, cw, pitch);

	/* The outline: four edges, each gently wavy, rounded at the corners of the plain end; the
	 * fringe end carries strands of random length. */
	for (int e = 0; e < 4; e++)
		for (int k = 0; k < 3; k++)
			wa[e][k] = synth_range(&rng, 0, 2 * G_PI);
	for (int x = 0; x < cw; x++) {
		double u = (x - x0) / L, round = 0;
		/* the waves die out at the corners so that the edges meet without a step */
		double env = sin(G_PI * synth_clamp(u, 0, 1));

		if (x < x0 + radius) {
			double dx = x0 + radius - MAX(x, x0);

			round = radius - sqrt(MAX(radius * radius - dx * dx, 0));
		}
		xs[x] = x;
		top[x] = y0 + round +
			 env * wave *
			     (0.6 * sin(2 * G_PI * 1.3 * u + wa[0][0]) +
			      0.4 * sin(2 * G_PI * 3.1 * u + wa[0][1]));
		bottom[x] = y1 - round +
			    env * wave *
				(0.6 * sin(2 * G_PI * 1.1 * u + wa[1][0]) +
				 0.4 * sin(2 * G_PI * 2.7 * u + wa[1][1]));
		fringe_cols[x] = x > x1 ? 255 : 0;
		/* folds across the length: a soft undulation and two creases, each a dark valley
		 * with a lit ridge beside it */
		fold_x[x] = 1.0 + 0.05 * sin(2 * G_PI * u / 0.7 + wa[0][2]);
		for (int c = 0; c < 2; c++) {
			double xc = x0 + L * (c == 0 ? 0.33 : 0.68) + 0.03 * L * sin(wa[c][2]);
			double w = 0.012 * L;
			double d = (x - xc) / w;

			fold_x[x] += -0.16 * exp(-d * d) + 0.07 * exp(-(d - 1.6) * (d - 1.6));
		}
	}
	for (int y = 0; y < ch; y++) {
		double v = (y - y0) / S, dedge = MIN(y - y0, y1 - y), round = 0;
		double env = sin(G_PI * synth_clamp(v, 0, 1));

		if (y < y0 + radius || y > y1 - radius) {
			double dy =
			    y < y0 + radius ? y0 + radius - MAX(y, y0) : MIN(y, y1) - (y1 - radius);

			round = radius - sqrt(MAX(radius * radius - dy * dy, 0));
		}
		ys[y] = y;
		left[y] = x0 + round +
			  env * wave *
			      (0.6 * sin(2 * G_PI * 1.2 * v + wa[2][0]) +
			       0.4 * sin(2 * G_PI * 2.9 * v + wa[2][1]));
		right[y] = x1 + env * wave * 0.5 * sin(2 * G_PI * 1.4 * v + wa[3][0]);
		fold_y[y] = 1.0 + 0.035 * sin(2 * G_PI * v * 1.5 + wa[3][1]) -
			    0.12 * exp(-MAX(dedge, 0) / MAX(1.0, 0.012 * S));
	}
	if (fringe > 0) {
		/* strands: bundles of warp threads a few pixels wide with gaps between them */
		int sw = MAX(1, (int)lround(0.004 * S));
		int y = (int)(y0 + 0.015 * S);

		while (y < y1 - 0.015 * S) {
			double len = fringe * synth_range(&rng, 0.75, 1.0);

			for (int k = 0; k < sw && y + k < ch; k++)
				right[y + k] += len;
			y += sw + MAX(1, (int)lround(sw * synth_range(&rng, 0.6, 1.4)));
		}
	}

	twill = synth_weave_tile(pitch, 4, &tn4);
	satin = synth_weave_tile(pitch, 5, &tn5);

	/* A chain of lozenges woven into the border in the accent colour (a simple buta). */
	mw = MAX(4, (int)(1.1 * bw));
	mh = bw;
	motif = g_new0(float, mw *mh);
	for (int y = 0; y < mh; y++)
		for (int x = 0; x < mw; x++) {
			double dx = fabs(x + 0.5 - mw / 2.0) / (0.32 * mw);
			double dy = fabs(y + 0.5 - 0.6 * mh) / (0.22 * mh);

			motif[y * mw + x] = synth_clamp(0.5 + (1 - dx - dy) * 0.25 * mh, 0, 1);
		}

	if (/* weave: twill in the body, satin in the border rows */
	    synth_tile(p, twill, tn4, tn4, 2, cw, ch, &t[0]) ||
	    synth_tile(p, satin, tn5, tn5, 2, cw, ch, &t[1]) ||
	    synth_cols(p, band_rows, ch, 1, cw, &t[2]) ||
	    vips_ifthenelse(t[2], t[1], t[0], &t[3], NULL) ||
	    vips_extract_band(t[3], &t[4], 0, NULL) || vips_extract_band(t[3], &t[5], 1, NULL) ||
	    /* colour: the thread on top */
	    synth_cols(p, warp, ch, 3, cw, &t[6]) || synth_rows(p, weft, cw, 3, ch, &t[7]) ||
	    vips_ifthenelse(t[4], t[6], t[7], &t[8], NULL) ||
	    /* past the end of the cloth only the warp remains: the fringe */
	    synth_rows(p, fringe_cols, cw, 1, ch, &t[9]) ||
	    vips_ifthenelse(t[9], t[6], t[8], &t[10], NULL))
		goto done;

	/* the lozenges, along the border band(s) */
	{
		VipsImage *mt = synth_wrap(p, motif, mw, mh, 1);
		double mc[3] = {accent.r, accent.g, accent.b};
		double tint[3] = {0.75 * base.r, 0.75 * base.g, 0.75 * base.b};
		int mhy = (int)(y0 + 0.25 * bw);

		if (accent.r == synth_zari.r)
			memcpy(mc, tint, sizeof(mc));
		if (!mt || vips_replicate(mt, &t[11], cw / mw + 1, 1, NULL) ||
		    vips_embed(t[11], &t[12], 0, mhy, cw, ch, NULL))
			goto done;
		if (g->nbands == 2) {
			if (vips_embed(t[11], &t[13], 0, (int)(y1 - 0.25 * bw - mh), cw, ch,
				       NULL) ||
			    vips_add(t[12], t[13], &t[14], NULL))
				goto done;
		} else if (vips_copy(t[12], &t[14], NULL))
			goto done;
		if (vips_linear1(t[14], &t[15], 255.0, 0, "uchar", TRUE, NULL) ||
		    vips_linear(t[14], &t[16], (double[]){0, 0, 0}, mc, 3, NULL) ||
		    synth_mix(p, t[10], t[16], t[15], &t[19]))
			goto done;
	}

	/* light: thread shading x folds x soft unevenness of the cloth x the scene light */
	{
		int lw = MAX(4, cw / SYNTH_LOWRES), lh = MAX(4, ch / SYNTH_LOWRES);
		float *soft = g_new(float, lw *lh);
		double ph[6];

		for (int k = 0; k < 6; k++)
			ph[k] = synth_range(&rng, 0, 2 * G_PI);
		for (int y = 0; y < lh; y++)
			for (int x = 0; x < lw; x++) {
				double u = (double)x / lw, v = (double)y / lh;

				soft[y * lw + x] =
				    1.0 + 0.03 * sin(2 * G_PI * (1.7 * u + 0.6 * v) + ph[0]) +
				    0.025 * sin(2 * G_PI * (0.8 * u - 2.3 * v) + ph[1]) +
				    0.02 * sin(2 * G_PI * (3.1 * u + 1.9 * v) + ph[2]);
			}
		synth_light_canvas(spec, light, g->angle, (x0 + x1) / 2, (y0 + y1) / 2, cw, ch, lw,
				   lh, soft);
		r = synth_upscale(p, soft, lw, lh, 1, cw, ch, &t[20]);
		g_free(soft);
		if (r)
			goto done;
		r = -1;
	}
	if (synth_rows(p, fold_x, cw, 1, ch, &t[21]) || synth_cols(p, fold_y, ch, 1, cw, &t[22]) ||
	    vips_multiply(t[21], t[22], &t[23], NULL) ||
	    vips_multiply(t[23], t[20], &t[24], NULL) || vips_multiply(t[24], t[5], &t[25], NULL) ||
	    vips_multiply(t[19], t[25], &t[26], NULL) ||
	    vips_cast(t[26], &t[27], VIPS_FORMAT_UCHAR, NULL))
		goto done;

	/* coverage: the lowest of the four edge coverages */
	if (synth_rows(p, xs, cw, 1, ch, &t[28]) || synth_cols(p, ys, ch, 1, cw, &t[29]) ||
	    synth_cols(p, left, ch, 1, cw, &t[30]) || synth_cols(p, right, ch, 1, cw, &t[31]) ||
	    synth_rows(p, top, cw, 1, ch, &t[32]) || synth_rows(p, bottom, cw, 1, ch, &t[33]) ||
	    vips_subtract(t[28], t[30], &t[34], NULL) ||
	    vips_subtract(t[31], t[28], &t[35], NULL) ||
	    vips_subtract(t[29], t[32], &t[36], NULL) || vips_subtract(t[33], t[29], &t[37], NULL))
		goto done;
	{
		VipsImage **c = (VipsImage **)vips_object_local_array(p, 6);

		if (synth_coverage(p, t[34], &c[0]) || synth_coverage(p, t[35], &c[1]) ||
		    synth_coverage(p, t[36], &c[2]) || synth_coverage(p, t[37], &c[3]) ||
		    vips_bandrank(c, &c[4], 4, "index", 0, NULL) ||
		    vips_bandjoin2(t[27], c[4], &c[5], NULL) ||
		    !(*out = vips_image_copy_memory(c[5])))
			goto done;
	}
	r = 0;
	*cx = (x0 + x1) / 2;
	*cy = (y0 + y1) / 2;

done:
	g_free(warp), g_free(weft), g_free(left), g_free(right), g_free(fold_y);
	g_free(top), g_free(bottom), g_free(fold_x), g_free(xs), g_free(ys);
	g_free(band_rows), g_free(fringe_cols), g_free(twill), g_free(satin), g_free(motif);
	return r;
}

/* ---- the bowl ---- */

/* Coverage (uchar) of the ellipse X^2/AX^2 + Y^2/AY^2 < 1 (X, Y in units of R, given as 1-D
 * arrays), from the first-order distance to its outline, (1 - e) / |grad e|, in pixels. */
static int
synth_ellipse(VipsObject *p, const float *X, int cw, const float *Y, int ch, double ax, double ay,
	      double R, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 10);
	float *ra = g_new(float, cw), *rb = g_new(float, cw);
	float *ca = g_new(float, ch), *cb = g_new(float, ch);
	int r;

	for (int x = 0; x < cw; x++) {
		ra[x] = X[x] * X[x] / (ax * ax);
		rb[x] = X[x] * X[x] / (ax * ax * ax * ax);
	}
	for (int y = 0; y < ch; y++) {
		ca[y] = Y[y] * Y[y] / (ay * ay);
		cb[y] = Y[y] * Y[y] / (ay * ay * ay * ay);
	}
	r = synth_rows(p, ra, cw, 1, ch, &t[0]) || synth_cols(p, ca, ch, 1, cw, &t[1]) ||
	    synth_rows(p, rb, cw, 1, ch, &t[2]) || synth_cols(p, cb, ch, 1, cw, &t[3]) ||
	    vips_add(t[0], t[1], &t[4], NULL) || vips_add(t[2], t[3], &t[5], NULL) ||
	    vips_pow_const1(t[5], &t[6], 0.5, NULL) || vips_linear1(t[4], &t[7], -R, R, NULL) ||
	    vips_linear1(t[6], &t[8], 2.0, 1e-6, NULL) || vips_divide(t[7], t[8], &t[9], NULL);
	if (!r)
		r = synth_coverage(p, t[9], out);
	g_free(ra), g_free(rb), g_free(ca), g_free(cb);
	return r ? -1 : 0;
}

/* A constant colour image the size of the 1-band float LIKE. */
static int
synth_const(VipsObject *p, VipsImage *like, SynthRgb c, VipsImage **out)
{
	return vips_linear(like, out, (double[]){0, 0, 0}, (double[]){c.r, c.g, c.b}, 3, NULL);
}

typedef struct {
	SynthRgb body, lip, inside, band, edge, pattern;
	double gloss, grain;
} SynthBowlStyle;

static const SynthBowlStyle synth_bowl_styles[] = {
    /* terracotta with a cream band and black brushwork */
    {{176, 92, 52},
     {192, 112, 70},
     {150, 76, 44},
     {226, 208, 170},
     {48, 30, 24},
     {150, 40, 30},
     0.10,
     0.06},
    /* Jaipur-style blue pottery: white glaze inside and on the band, turquoise and cobalt */
    {{34, 72, 146},
     {222, 226, 230},
     {214, 220, 228},
     {226, 230, 234},
     {24, 40, 96},
     {40, 130, 170},
     0.55,
     0.015},
    /* black pottery with a silver band */
    {{40, 37, 38},
     {60, 56, 57},
     {34, 31, 32},
     {182, 184, 190},
     {24, 22, 22},
     {46, 42, 44},
     0.35,
     0.025},
};

/* White glaze with a faint grey-blue band: the white-on-white case. */
static const SynthBowlStyle synth_bowl_white = {
    {238, 238, 236}, {246, 246, 244}, {228, 228, 226}, {226, 230, 236},
    {214, 214, 212}, {200, 210, 226}, 0.25, 0.01};

/* Renders the bowl upright in its own canvas as 4-band uchar (sRGB + coverage), lit from the left.
 * *CX, *CY is the centre of its bounding box in that canvas. */
static int
synth_bowl(VipsObject *p, const LrSynthSpec *spec, const SynthGeometry *g, const SynthLight *light,
	   VipsImage **out, double *cx, double *cy)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 49);
	SynthRng rng;
	double R = g->width / 2, k = g->rim, h = g->depth;
	int margin = 4;
	int cw = (int)ceil(2 * R) + 2 * margin, ch = (int)ceil((k + h) * R) + 2 * margin;
	double ox = margin + R, oy = margin + k * R;
	float *X = g_new(float, cw), *Y = g_new(float, ch);
	float *body_r = g_new(float, cw), *body_c = g_new(float, ch);
	float *in_r = g_new(float, cw), *in_c = g_new(float, ch), *lip_r = g_new(float, cw);
	float *hl_r = g_new(float, cw), *hl_c = g_new(float, ch), *lower = g_new(float, ch);
	float *q = g_new(float, cw), *pat = g_new(float, cw);
	const SynthBowlStyle *st;
	int npetal;
	double tm, hw, s = (h - k) * R, off = k / (h - k);
	int r = -1;

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_PRODUCT);
	st = &synth_bowl_styles[synth_int(&rng, G_N_ELEMENTS(synth_bowl_styles))];
	if (spec->white)
		st = &synth_bowl_white;
	npetal = 9 + synth_int(&rng, 8);
	tm = synth_range(&rng, 0.26, 0.34);
	hw = synth_range(&rng, 0.09, 0.13);

	for (int x = 0; x < cw; x++) {
		double u = (x + 0.5 - ox) / R, c = MAX(1 - u * u, 0);

		X[x] = u;
		/* Lambert-ish: brighter on the lit (left) side, darkening towards the silhouette */
		body_r[x] = (0.3 + 0.85 * (0.55 - 0.42 * u)) * pow(c, 0.22);
		in_r[x] = 0.55 + 0.3 * u;
		lip_r[x] = 1.02 - 0.18 * u;
		hl_r[x] = exp(-pow((u + 0.42) / 0.13, 2));
		q[x] = 1.0 / ((h - k) * sqrt(MAX(c, 0.02)));
		pat[x] = sin(npetal * asin(synth_clamp(u, -1, 1)));
	}
	for (int y = 0; y < ch; y++) {
		double v = (y + 0.5 - oy) / R;

		Y[y] = v;
		body_c[y] = 1 - 0.3 * synth_clamp(v / h, 0, 1);
		in_c[y] = 0.8 + 0.3 * synth_clamp(v / k, -1, 1);
		hl_c[y] = exp(-pow((v - 0.38 * h) / (0.16 * h), 2));
		lower[y] = v >= 0;
	}

	if (/* silhouette: the rim ellipse and the lower half of the body ellipse */
	    synth_ellipse(p, X, cw, Y, ch, 1, k, R, &t[0]) ||
	    synth_ellipse(p, X, cw, Y, ch, 1, h, R, &t[1]) ||
	    synth_cols(p, lower, ch, 1, cw, &t[2]) || vips_multiply(t[1], t[2], &t[3], NULL) ||
	    vips_cast(t[3], &t[4], VIPS_FORMAT_UCHAR, NULL) ||
	    vips_bandrank((VipsImage *[]){t[0], t[4]}, &t[5], 2, "index", 1, NULL) ||
	    /* the opening, inside the lip */
	    synth_ellipse(p, X, cw, Y, ch, 0.9, 0.9 * k, R, &t[6]))
		goto done;

	/* the painted band: at latitude t between two lines, petals inside; t runs from 0 under the
	 * lip to 1 at the bottom of the silhouette, Y / sqrt(1 - X^2) = k + t (h - k) */
	if (synth_rows(p, q, cw, 1, ch, &t[7]) || synth_cols(p, Y, ch, 1, cw, &t[8]) ||
	    vips_multiply(t[7], t[8], &t[9], NULL) ||
	    /* outer (edge colour) and inner (band colour) intervals of latitude */
	    vips_linear1(t[9], &t[10], s, -(off + tm - hw - 0.035) * s, NULL) ||
	    vips_linear1(t[9], &t[11], -s, (off + tm + hw + 0.035) * s, NULL) ||
	    vips_linear1(t[9], &t[12], s, -(off + tm - hw) * s, NULL) ||
	    vips_linear1(t[9], &t[13], -s, (off + tm + hw) * s, NULL))
		goto done;
	{
		VipsImage **c = (VipsImage **)vips_object_local_array(p, 12);

		if (synth_coverage(p, t[10], &c[0]) || synth_coverage(p, t[11], &c[1]) ||
		    synth_coverage(p, t[12], &c[2]) || synth_coverage(p, t[13], &c[3]) ||
		    vips_bandrank((VipsImage *[]){c[0], c[1], t[4]}, &t[14], 3, "index", 0, NULL) ||
		    vips_bandrank((VipsImage *[]){c[2], c[3], t[4]}, &t[15], 3, "index", 0, NULL) ||
		    /* petals: where the row pattern beats a bowl-shaped falloff across the band */
		    vips_linear1(t[9], &c[4], 1.0 / hw, -(off + tm) / hw, NULL) ||
		    vips_multiply(c[4], c[4], &c[5], NULL) ||
		    synth_rows(p, pat, cw, 1, ch, &c[6]) ||
		    vips_linear1(c[5], &c[7], -1.3, -0.1, NULL) ||
		    vips_add(c[6], c[7], &c[8], NULL) ||
		    vips_linear1(c[8], &c[9], 0.03 * R, 0, NULL) ||
		    synth_coverage(p, c[9], &c[10]) ||
		    vips_bandrank((VipsImage *[]){c[10], t[15]}, &t[16], 2, "index", 0, NULL))
			goto done;
	}

	/* the scene light over the bowl */
	{
		int lw = MAX(4, cw / SYNTH_LOWRES), lh = MAX(4, ch / SYNTH_LOWRES);
		float *lit = g_new(float, lw *lh);

		for (int i = 0; i < lw * lh; i++)
			lit[i] = 1;
		synth_light_canvas(spec, light, g->angle, ox, margin + (k + h) * R / 2, cw, ch, lw,
				   lh, lit);
		r = synth_upscale(p, lit, lw, lh, 1, cw, ch, &t[47]);
		g_free(lit);
		if (r)
			goto done;
		r = -1;
	}

	/* albedo, then shading, then the lip and the inside over it */
	if (synth_rows(p, body_r, cw, 1, ch, &t[17]) || synth_cols(p, body_c, ch, 1, cw, &t[18]) ||
	    vips_multiply(t[17], t[18], &t[19], NULL) || synth_const(p, t[19], st->body, &t[20]) ||
	    synth_const(p, t[19], st->edge, &t[21]) || synth_const(p, t[19], st->band, &t[22]) ||
	    synth_const(p, t[19], st->pattern, &t[23]) ||
	    synth_mix(p, t[20], t[21], t[14], &t[24]) ||
	    synth_mix(p, t[24], t[22], t[15], &t[25]) ||
	    synth_mix(p, t[25], t[23], t[16], &t[26]) ||
	    vips_multiply(t[26], t[19], &t[27], NULL) ||
	    /* lip */
	    synth_rows(p, lip_r, cw, 1, ch, &t[28]) ||
	    vips_linear(t[28], &t[29], (double[]){st->lip.r, st->lip.g, st->lip.b},
			(double[]){0, 0, 0}, 3, NULL) ||
	    synth_mix(p, t[27], t[29], t[0], &t[30]) ||
	    /* inside: the right-hand inner wall catches the light, the far wall is in the rim's
	       shade */
	    synth_rows(p, in_r, cw, 1, ch, &t[31]) ||
	    synth_cols(p, in_c, ch, 1, cw, &t[32]) || vips_multiply(t[31], t[32], &t[33], NULL) ||
	    vips_linear(t[33], &t[34], (double[]){st->inside.r, st->inside.g, st->inside.b},
			(double[]){0, 0, 0}, 3, NULL) ||
	    synth_mix(p, t[30], t[34], t[6], &t[35]) ||
	    /* highlight on the lit shoulder, then the clay's or glaze's grain */
	    synth_rows(p, hl_r, cw, 1, ch, &t[36]) || synth_cols(p, hl_c, ch, 1, cw, &t[37]) ||
	    vips_multiply(t[36], t[37], &t[38], NULL) ||
	    vips_linear1(t[38], &t[39], 255.0 * st->gloss, 0, NULL) ||
	    vips_add(t[35], t[39], &t[40], NULL) || synth_noise(p, &rng, 1, cw, ch, &t[41]) ||
	    vips_linear1(t[41], &t[42], st->grain, 1.0, NULL) ||
	    vips_multiply(t[40], t[42], &t[43], NULL) ||
	    vips_multiply(t[43], t[47], &t[48], NULL) ||
	    vips_cast(t[48], &t[44], VIPS_FORMAT_UCHAR, NULL) ||
	    vips_bandjoin2(t[44], t[5], &t[45], NULL) || !(*out = vips_image_copy_memory(t[45])))
		goto done;

	*cx = ox;
	*cy = margin + (k + h) * R / 2;
	r = 0;

done:
	g_free(X), g_free(Y), g_free(body_r), g_free(body_c), g_free(in_r), g_free(in_c);
	g_free(lip_r), g_free(hl_r), g_free(hl_c), g_free(lower), g_free(q), g_free(pat);
	return r;
}

/* Rotates LOCAL by ANGLE (degrees clockwise) about (LCX, LCY) and puts that point at (FX, FY) of a
 * WIDTH x HEIGHT frame; what falls outside the frame is cut off, exactly as a camera would. */
static int
synth_place(VipsObject *p, VipsImage *local, double lcx, double lcy, double angle, double fx,
	    double fy, int width, int height, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);
	double s = sin(angle * G_PI / 180), c = cos(angle * G_PI / 180);
	VipsArrayInt *area = vips_array_int_newv(4, 0, 0, width, height);
	int r;

	r = vips_affine(local, &t[0], c, -s, s, c, "oarea", area, "odx", fx - (c * lcx - s * lcy),
			"ody", fy - (s * lcx + c * lcy), "interpolate",
			vips_interpolate_bilinear_static(), NULL);
	vips_area_unref(VIPS_AREA(area));
	if (r || !(*out = vips_image_copy_memory(t[0])))
		return -1;
	return 0;
}

/* ---- light and backgrounds ---- */

/* Multiplies the low-res field V by the product's shadow on the ground: a broad soft one and a
 * tight contact one, both pushed away from the light. */
static int
synth_shadow(VipsObject *p, VipsImage *alpha, const SynthLight *light, double broad, double tight,
	     int lw, int lh, float *v)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);
	double shorter = MIN(lw, lh);
	float *b = NULL, *c = NULL;

	if (synth_lowres_alpha(p, alpha, lw, lh, &t[0]))
		return -1;
	b = synth_lowres_blur(p, t[0], 0.03 * shorter);
	c = b ? synth_lowres_blur(p, t[0], 0.006 * shorter) : NULL;
	if (!b || !c) {
		g_free(b);
		return -1;
	}
	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++) {
			double sb = synth_sample(b, lw, lh, x + 0.02 * shorter * light->lx,
						 y + 0.02 * shorter * light->ly);
			double sc = synth_sample(c, lw, lh, x + 0.004 * shorter * light->lx,
						 y + 0.004 * shorter * light->ly);

			v[y * lw + x] *= 1 - broad * sb - tight * sc;
		}
	g_free(b);
	g_free(c);
	return 0;
}

/* A smooth random field near 0 (amplitude about AMP): a few slanted sinusoids. */
static void
synth_smooth(SynthRng *rng, int lw, int lh, double amp, double fx, double fy, float *v,
	     gboolean add)
{
	double a[5][4];

	for (int k = 0; k < 5; k++) {
		a[k][0] = synth_range(rng, 0.3, 1) * fx * (k + 1) * 0.6;
		a[k][1] = synth_range(rng, -1, 1) * fy * (k + 1) * 0.6;
		a[k][2] = synth_range(rng, 0, 2 * G_PI);
		a[k][3] = amp / (k + 1);
	}
	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++) {
			double u = (double)x / lw, w = (double)y / lh, s = 0;

			for (int k = 0; k < 5; k++)
				s +=
				    a[k][3] * sin(2 * G_PI * (a[k][0] * u + a[k][1] * w) + a[k][2]);
			v[y * lw + x] = add ? v[y * lw + x] + s : s;
		}
}

static const SynthRgb synth_sheet_colours[] = {
    {238, 234, 224}, /* off-white */
    {236, 226, 204}, /* cream */
    {224, 227, 229}, /* pale grey */
    {236, 224, 218}, /* faded pink */
};

static const SynthRgb synth_print_colours[] = {
    {178, 48, 60}, {40, 90, 150}, {220, 150, 40}, {60, 120, 80}, {150, 70, 140}, {30, 30, 60},
};

/* Coverage 0..1 of a disc of radius R at distance D, one pixel of anti-aliasing. */
static double
synth_disc(double d, double r)
{
	return synth_clamp(r - d + 0.5, 0, 1);
}

/* A printed bedsheet's repeat as an N x N tile of 3-band albedo (0..255): a five-petal flower with a
 * dot in its heart, small dots between the flowers and thin lines that make a check, on GROUND. The
 * print colours come from RNG. */
static float *
synth_print_tile(SynthRng *rng, SynthRgb ground, int n)
{
	int np = G_N_ELEMENTS(synth_print_colours);
	SynthRgb a = synth_print_colours[synth_int(rng, np)], b, c;
	float *v = g_new(float, (gsize)n * n * 3);

	do
		b = synth_print_colours[synth_int(rng, np)];
	while (b.r == a.r);
	do
		c = synth_print_colours[synth_int(rng, np)];
	while (c.r == a.r);
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			double u = x + 0.5 - n / 2.0, w = y + 0.5 - n / 2.0;
			double r = hypot(u, w), th = atan2(w, u);
			/* petals: a disc whose radius swells five times around the heart */
			double petal = synth_disc(r, n * (0.18 + 0.1 * cos(5 * th)));
			double heart = synth_disc(r, 0.06 * n);
			double dot = synth_disc(hypot(fabs(u) - n / 2.0, fabs(w) - n / 2.0), 0.06 * n);
			double line = MIN(fabs(x + 0.5 - 0.25 * n), fabs(y + 0.5 - 0.25 * n)) <
					      MAX(0.6, 0.015 * n)
					  ? 1
					  : 0;
			SynthRgb out = ground;
			const SynthRgb *layer[4] = {&c, &a, &b, &b};
			double cover[4] = {line, petal, heart, dot};

			for (int k = 0; k < 4; k++) {
				out.r += (layer[k]->r - out.r) * cover[k];
				out.g += (layer[k]->g - out.g) * cover[k];
				out.b += (layer[k]->b - out.b) * cover[k];
			}
			v[3 * (y * n + x)] = out.r;
			v[3 * (y * n + x) + 1] = out.g;
			v[3 * (y * n + x) + 2] = out.b;
		}
	return v;
}

/* The cotton sheet: base colour (or a print) x plain-weave texture x (unevenness, wrinkles,
 * shadow). */
static int
synth_sheet(VipsObject *p, const LrSynthSpec *spec, VipsImage *alpha, const SynthLight *light,
	    VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 6);
	SynthRng rng;
	int W = spec->width, H = spec->height;
	int lw = MAX(8, W / SYNTH_LOWRES), lh = MAX(8, H / SYNTH_LOWRES);
	float *v = g_new(float, lw *lh), *ridge = g_new0(float, lw *lh);
	int pitch = MAX(1, (int)lround(MIN(W, H) / 1500.0)), tn = 254 * 2;
	float *tex = g_new(float, tn *tn);
	float *rowj = g_new(float, tn), *colj = g_new(float, tn);
	SynthRgb c;
	int nw, r = -1;

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_BACKGROUND);
	c = synth_sheet_colours[synth_int(&rng, G_N_ELEMENTS(synth_sheet_colours))];
	if (spec->background == LR_SYNTH_WHITE_SHEET)
		c = (SynthRgb){246, 245, 242};

	synth_smooth(&rng, lw, lh, 0.035, 2.0, 2.0, v, FALSE);
	/* wrinkles: ridges lit on the side facing the light */
	nw = 4 + synth_int(&rng, 5);
	for (int i = 0; i < nw; i++) {
		double x0 = synth_range(&rng, 0, lw), y0 = synth_range(&rng, 0, lh);
		double a = synth_range(&rng, 0, G_PI), len = synth_range(&rng, 0.2, 0.55) * lw;
		double w = synth_range(&rng, 0.004, 0.012) * MIN(lw, lh) * SYNTH_LOWRES / 4.0 + 0.5;
		double bend = synth_range(&rng, -0.15, 0.15), hgt = synth_range(&rng, 0.5, 1);
		double dx = cos(a), dy = sin(a);

		for (int y = 0; y < lh; y++)
			for (int x = 0; x < lw; x++) {
				double s = (x - x0) * dx + (y - y0) * dy;
				double d = -(x - x0) * dy + (y - y0) * dx;
				double taper;

				if (fabs(s) > len / 2)
					continue;
				d -= bend * s * s / len;
				taper = cos(G_PI * s / len);
				ridge[y * lw + x] += hgt * taper * exp(-d * d / (w * w));
			}
	}
	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++) {
			double hx =
			    (ridge[y * lw + MIN(x + 1, lw - 1)] - ridge[y * lw + MAX(x - 1, 0)]) /
			    2;
			double hy =
			    (ridge[MIN(y + 1, lh - 1) * lw + x] - ridge[MAX(y - 1, 0) * lw + x]) /
			    2;

			v[y * lw + x] =
			    (1 + v[y * lw + x]) * (1 + 0.12 * (hx * light->lx + hy * light->ly) -
						   0.025 * ridge[y * lw + x]);
		}
	if (synth_shadow(p, alpha, light, 0.22, 0.2, lw, lh, v))
		goto done;
	synth_light_frame(light, lw, lh, v);

	/* plain weave: alternate threads up and down, each thread a little different */
	for (int i = 0; i < tn; i++) {
		rowj[i] = (i % pitch == 0) ? 0.005 * synth_gauss(&rng) : rowj[i - 1];
		colj[i] = (i % pitch == 0) ? 0.005 * synth_gauss(&rng) : colj[i - 1];
	}
	for (int y = 0; y < tn; y++)
		for (int x = 0; x < tn; x++)
			tex[y * tn + x] = 1 + (((x / pitch + y / pitch) & 1) ? 0.006 : -0.006) +
					  rowj[y] + colj[x] + 0.01 * synth_gauss(&rng);

	if (synth_upscale(p, v, lw, lh, 1, W, H, &t[0]) ||
	    synth_tile(p, tex, tn, tn, 1, W, H, &t[1]) || vips_multiply(t[0], t[1], &t[2], NULL))
		goto done;
	if (spec->background == LR_SYNTH_PATTERN) {
		int pn = MAX(8, (int)lround(0.07 * MIN(W, H)));
		float *print = synth_print_tile(&rng, c, pn);

		r = synth_tile(p, print, pn, pn, 3, W, H, &t[3]) ||
		    vips_multiply(t[2], t[3], &t[4], NULL) ||
		    vips_cast(t[4], out, VIPS_FORMAT_UCHAR, NULL);
		g_free(print);
		if (r) {
			r = -1;
			goto done;
		}
	} else if (vips_linear(t[2], out, (double[]){c.r, c.g, c.b}, (double[]){0, 0, 0}, 3, "uchar",
			       TRUE, NULL))
		goto done;
	r = 0;

done:
	g_free(v), g_free(ridge), g_free(tex), g_free(rowj), g_free(colj);
	return r;
}

static const SynthRgb synth_wood_colours[][2] = {
    {{176, 124, 74}, {126, 80, 44}}, /* teak */
    {{150, 96, 58}, {100, 58, 34}},  /* sheesham */
    {{112, 72, 48}, {70, 42, 28}},   /* dark walnut stain */
};

/* The table top: planks along x, each with its own tone and figure; grain lines are a sine of a
 * phase that drifts slowly (computed small, upscaled) and jumps at each plank joint. */
static int
synth_wood(VipsObject *p, const LrSynthSpec *spec, VipsImage *alpha, const SynthLight *light,
	   VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 14);
	SynthRng rng;
	int W = spec->width, H = spec->height;
	int lw = MAX(8, W / SYNTH_LOWRES), lh = MAX(8, H / SYNTH_LOWRES);
	float *v = g_new(float, lw *lh), *drift = g_new(float, lw *lh);
	float *both = g_new(float, lw *lh * 2);
	float *phase = g_new(float, H), *tone = g_new(float, H);
	int tw = 512, th = 127;
	float *fibre = g_new(float, tw *th), *rowf = g_new(float, th);
	const SynthRgb *c;
	double period, plank, off = 0, pt = 1, rho;
	int r = -1, gap = MAX(1, (int)lround(0.0025 * MIN(W, H)));

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_BACKGROUND);
	c = synth_wood_colours[synth_int(&rng, G_N_ELEMENTS(synth_wood_colours))];
	period = synth_range(&rng, 0.008, 0.016) * MIN(W, H);
	plank = synth_range(&rng, 0.18, 0.28) * MIN(W, H);

	for (int y = 0; y < H; y++) {
		double inplank = fmod(y + 0.37 * plank, plank);

		if (inplank < 1.0 || y == 0) {
			off = synth_range(&rng, 0, 360);
			pt = synth_range(&rng, 0.86, 1.1);
		}
		phase[y] = y * 360.0 / period + off;
		tone[y] = pt;
		/* the joint: a dark gap with softened shoulders */
		if (inplank < gap)
			tone[y] *= 0.35;
		else if (inplank < 2 * gap || inplank > plank - gap)
			tone[y] *= 0.75;
	}
	/* the figure: slow drifts of the phase, much faster across the grain than along it */
	synth_smooth(&rng, lw, lh, 420, 1.2, 5.0, drift, FALSE);
	for (int i = 0; i < lw * lh; i++)
		v[i] = 1;
	synth_smooth(&rng, lw, lh, 0.04, 1.5, 1.5, v, TRUE);
	if (synth_shadow(p, alpha, light, 0.3, 0.3, lw, lh, v))
		goto done;

	/* fibres: fine streaks along the grain */
	for (int y = 0; y < th; y++)
		rowf[y] = 0.025 * synth_gauss(&rng);
	for (int y = 0; y < th; y++)
		for (int x = 0; x < tw; x++)
			fibre[y * tw + x] = 1 + rowf[y] + 0.012 * synth_gauss(&rng);

	/* drift and light go up together: one upscale instead of two */
	synth_light_frame(light, lw, lh, v);
	for (int i = 0; i < lw * lh; i++)
		both[2 * i] = drift[i], both[2 * i + 1] = v[i];
	/* the dark lines are the light wood darkened by RHO, so the figure is a 1-band brightness
	 * and only the last step makes colour */
	rho = (c[1].r / c[0].r + c[1].g / c[0].g + c[1].b / c[0].b) / 3;
	if (synth_upscale(p, both, lw, lh, 2, W, H, &t[0]) ||
	    vips_extract_band(t[0], &t[1], 0, NULL) || vips_extract_band(t[0], &t[2], 1, NULL) ||
	    synth_cols(p, phase, H, 1, W, &t[3]) || vips_add(t[1], t[3], &t[4], NULL) ||
	    vips_math(t[4], &t[5], VIPS_OPERATION_MATH_SIN, NULL) ||
	    /* dark lines narrower than the light wood between them: ((1 + sin) / 2)^2 */
	    vips_linear1(t[5], &t[6], 0.5, 0.5, NULL) || vips_multiply(t[6], t[6], &t[7], NULL) ||
	    vips_linear1(t[7], &t[8], -(1 - rho), 1, NULL) || synth_cols(p, tone, H, 1, W, &t[9]) ||
	    synth_tile(p, fibre, tw, th, 1, W, H, &t[10]) ||
	    vips_multiply(t[9], t[10], &t[11], NULL) || vips_multiply(t[11], t[2], &t[12], NULL) ||
	    vips_multiply(t[12], t[8], &t[13], NULL) ||
	    vips_linear(t[13], out, (double[]){c[0].r, c[0].g, c[0].b}, (double[]){0, 0, 0}, 3,
			"uchar", TRUE, NULL))
		goto done;
	r = 0;

done:
	g_free(v), g_free(drift), g_free(phase), g_free(tone), g_free(fibre), g_free(rowf),
	    g_free(both);
	return r;
}

static const SynthRgb synth_room_colours[] = {
    {200, 40, 40},   {40, 80, 180},   {150, 150, 156}, {110, 70, 40},  {60, 140, 70},
    {222, 190, 40},  {232, 230, 224}, {30, 30, 32},    {110, 60, 140}, {222, 120, 40},
    {200, 110, 150}, {90, 160, 190},  {160, 130, 90},  {70, 50, 40},   {240, 240, 236},
};

static void
synth_room_rect(float *v, int lw, int lh, double x0, double y0, double x1, double y1, SynthRgb c,
		gboolean stripes, gboolean ellipse)
{
	for (int y = MAX(0, (int)y0); y < MIN(lh, (int)ceil(y1)); y++)
		for (int x = MAX(0, (int)x0); x < MIN(lw, (int)ceil(x1)); x++) {
			double u = (x + 0.5 - x0) / (x1 - x0), w = (y + 0.5 - y0) / (y1 - y0);
			double shade = 1.08 - 0.2 * w;

			if (ellipse && (u - 0.5) * (u - 0.5) + (w - 0.5) * (w - 0.5) > 0.25)
				continue;
			if (ellipse)
				shade *= 1.1 - 0.35 * u;
			if (stripes && ((int)(u * 9) & 1))
				shade *= 0.6;
			v[3 * (y * lw + x)] = c.r * shade;
			v[3 * (y * lw + x) + 1] = c.g * shade;
			v[3 * (y * lw + x) + 2] = c.b * shade;
		}
}

/* A room, out of focus: a wall and a tiled floor, furniture and household things of every colour.
 * Drawn at low resolution, blurred as a phone's portrait blur would, upscaled with a little grain.
 * With SPEC's focus on the floor, the blur of each floor row grows with its distance (in rows) from
 * the product's centre, the plane the phone focused on, reaching the room's full blur a third of the
 * frame away, and the wall is fully blurred; with everything in focus there is no blur. Either way the
 * room is then scaled up without smoothing and given the slight softness of a phone's lens, so that
 * its sharp parts are sharp at full size too.
 */
static int
synth_clutter(VipsObject *p, const LrSynthSpec *spec, VipsImage *alpha, const SynthLight *light,
	      VipsImage **out)
{
	static const SynthRgb walls[] = {
	    {214, 200, 160}, {170, 196, 176}, {176, 190, 210}, {222, 186, 180}};
	static const SynthRgb floors[] = {{150, 140, 132}, {150, 62, 48}, {190, 180, 166}};
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 14);
	SynthRng rng;
	int W = spec->width, H = spec->height;
	int lw = MAX(8, W / SYNTH_LOWRES), lh = MAX(8, H / SYNTH_LOWRES);
	float *v = g_new(float, lw *lh * 3), *shade = g_new(float, lw *lh), *blurred = NULL;
	float *level[3] = {NULL, NULL, NULL}, *rowblur = NULL;
	VipsImage *room;
	double split, tile;
	SynthRgb wall, floor;
	size_t size;
	int r = -1;

	synth_rng_init(&rng, spec->seed, SYNTH_STREAM_BACKGROUND);
	wall = walls[synth_int(&rng, G_N_ELEMENTS(walls))];
	floor = floors[synth_int(&rng, G_N_ELEMENTS(floors))];
	split = synth_range(&rng, 0.28, 0.42) * lh;
	tile = synth_range(&rng, 0.08, 0.14) * lw;
	for (int y = 0; y < lh; y++)
		for (int x = 0; x < lw; x++) {
			SynthRgb c = y < split ? wall : floor;
			double s = 1;

			if (y >= split && (fmod(x, tile) < 1 || fmod(y - split, tile * 0.7) < 1))
				s = 0.8;
			if (y >= split && y < split + 0.02 * lh)
				s = 0.55; /* skirting */
			v[3 * (y * lw + x)] = c.r * s;
			v[3 * (y * lw + x) + 1] = c.g * s;
			v[3 * (y * lw + x) + 2] = c.b * s;
		}
	/* a window, then furniture and things, back to front */
	{
		double wx = synth_range(&rng, 0.05, 0.7) * lw;

		synth_room_rect(v, lw, lh, wx, 0.04 * lh, wx + 0.22 * lw, split - 0.06 * lh,
				(SynthRgb){246, 248, 250}, FALSE, FALSE);
	}
	for (int i = 0; i < 32; i++) {
		SynthRgb c = synth_room_colours[synth_int(&rng, G_N_ELEMENTS(synth_room_colours))];
		double w = synth_range(&rng, 0.03, 0.28) * lw,
		       h = synth_range(&rng, 0.04, 0.45) * lh;
		double x = synth_range(&rng, -0.1, 1.0) * lw;
		double y = i < 8 ? synth_range(&rng, 0, split) : synth_range(&rng, split - h, lh);

		synth_room_rect(v, lw, lh, x, y, x + w, y + h, c, synth_uniform(&rng) < 0.3,
				synth_uniform(&rng) < 0.35);
	}

	for (int i = 0; i < lw * lh; i++)
		shade[i] = 1;
	if (synth_shadow(p, alpha, light, 0.35, 0.25, lw, lh, shade))
		goto done;
	synth_light_frame(light, lw, lh, shade);
	if (spec->focus != LR_SYNTH_FOCUS_PRODUCT) {
		double full = MAX(1.3, 0.008 * MIN(lw, lh)), focus_row = spec->centre_y * lh;

		/* The room at no blur, a third, two thirds and all of its full blur; each row takes
		 * the two levels around its own blur. */
		blurred = g_memdup2(v, sizeof(float) * lw * lh * 3);
		for (int k = 0; k < 3 && spec->focus == LR_SYNTH_FOCUS_FLOOR; k++)
			if (!(room = synth_wrap(p, v, lw, lh, 3)) ||
			    !(level[k] = synth_lowres_blur(p, room, full * (k + 1) / 3.0)))
				goto done;
		for (int y = 0; y < lh && spec->focus == LR_SYNTH_FOCUS_FLOOR; y++) {
			double b = y < split ? 1 : MIN(1, fabs(y - focus_row) / (lh / 3.0)), f;
			int lo = MIN(2, (int)(b * 3));
			const float *a = lo == 0 ? v : level[lo - 1], *c = level[lo];

			f = b * 3 - lo;
			for (int i = y * lw * 3; i < (y + 1) * lw * 3; i++)
				blurred[i] = (float)((1 - f) * a[i] + f * c[i]);
		}
		for (int i = 0; i < lw * lh; i++)
			for (int k = 0; k < 3; k++)
				blurred[3 * i + k] *= shade[i];
		/* Scaled up as blocks where the room is sharp, smoothly where it is blurred (blocks
		 * there would be edges of their own), then softened by the lens: about a pixel at
		 * 12 MP. */
		rowblur = g_new(float, H);
		for (int y = 0; y < H; y++) {
			double ly = (y + 0.5) * lh / H;

			if (spec->focus == LR_SYNTH_FOCUS_ALL)
				rowblur[y] = 0;
			else if (ly < split)
				rowblur[y] = 255;
			else
				rowblur[y] = (float)(255 * MIN(1, fabs(ly - focus_row) / (lh / 3.0)));
		}
		if (!(room = synth_wrap(p, blurred, lw, lh, 3)) ||
		    vips_cast(room, &t[4], VIPS_FORMAT_UCHAR, NULL) ||
		    vips_resize(t[4], &t[5], (double)W / lw, "vscale", (double)H / lh, "kernel",
				VIPS_KERNEL_NEAREST, NULL) ||
		    vips_embed(t[5], &t[6], 0, 0, W, H, "extend", VIPS_EXTEND_COPY, NULL) ||
		    vips_resize(t[4], &t[8], (double)W / lw, "vscale", (double)H / lh, "kernel",
				VIPS_KERNEL_LINEAR, NULL) ||
		    vips_embed(t[8], &t[9], 0, 0, W, H, "extend", VIPS_EXTEND_COPY, NULL) ||
		    synth_cols(p, rowblur, H, 1, W, &t[10]) ||
		    vips_cast(t[10], &t[11], VIPS_FORMAT_UCHAR, NULL) ||
		    synth_mix(p, t[6], t[9], t[11], &t[12]) || !(t[7] = vips_image_copy_memory(t[12])) ||
		    vips_gaussblur(t[7], out, MAX(0.5, MIN(W, H) / 3000.0), NULL))
			goto done;
		r = 0;
		goto done;
	}
	if (!(room = synth_wrap(p, v, lw, lh, 3)) ||
	    vips_gaussblur(room, &t[1], MAX(1.3, 0.008 * MIN(lw, lh)), "precision",
			   VIPS_PRECISION_FLOAT, NULL) ||
	    !(blurred = vips_image_write_to_memory(t[1], &size)))
		goto done;
	for (int i = 0; i < lw * lh; i++)
		for (int k = 0; k < 3; k++)
			blurred[3 * i + k] *= shade[i];
	/* nothing in the room is sharp, so it is scaled up as 8-bit and the camera's noise is its
	 * grain */
	if (!(room = synth_wrap(p, blurred, lw, lh, 3)) ||
	    vips_cast(room, &t[2], VIPS_FORMAT_UCHAR, NULL) ||
	    vips_resize(t[2], &t[3], (double)W / lw, "vscale", (double)H / lh, "kernel",
			VIPS_KERNEL_LINEAR, NULL) ||
	    vips_embed(t[3], out, 0, 0, W, H, "extend", VIPS_EXTEND_COPY, NULL))
		goto done;
	r = 0;

done:
	g_free(v), g_free(shade), g_free(blurred);
	for (int k = 0; k < 3; k++)
		g_free(level[k]);
	g_free(rowblur);
	return r;
}

/* ---- the camera ---- */

static double
synth_to_linear(double v)
{
	return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double
synth_to_srgb(double v)
{
	return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* Exposure and tungsten cast are per-channel gains in linear light, so on 8-bit sRGB they are
 * exactly a 256-entry lookup table per band: as cheap as it gets at 12 MP. */
static int
synth_expose(VipsObject *p, VipsImage *in, double exposure, double warmth, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 1);
	double gain[3] = {exposure * (1 + 0.3 * warmth), exposure * (1 + 0.02 * warmth),
			  exposure * (1 - 0.55 * warmth)};
	unsigned char lut[256 * 3];

	for (int i = 0; i < 256; i++)
		for (int k = 0; k < 3; k++) {
			double l = synth_to_linear(i / 255.0) * gain[k];

			lut[3 * i + k] =
			    (unsigned char)lround(255 * synth_to_srgb(synth_clamp(l, 0, 1)));
		}
	if (!(t[0] =
		  vips_image_new_from_memory_copy(lut, sizeof(lut), 256, 1, 3, VIPS_FORMAT_UCHAR)))
		return -1;
	return vips_maplut(in, out, t[0], NULL);
}

/* Defocus. A wide Gaussian is applied at a reduced size and scaled back: the same picture for a
 * fraction of the work, since nothing finer than sigma survives it anyway. */
static int
synth_defocus(VipsObject *p, VipsImage *in, double sigma, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(p, 4);
	int f = (int)(sigma / 3);

	if (f < 2)
		return vips_gaussblur(in, out, sigma, NULL);
	/* a box shrink is enough: the Gaussian that follows is far wider than the box */
	return vips_shrink(in, &t[0], f, f, NULL) || !(t[3] = vips_image_copy_memory(t[0])) ||
	       vips_gaussblur(t[3], &t[1], sigma / f, NULL) ||
	       vips_resize(t[1], &t[2], (double)in->Xsize / t[1]->Xsize, "vscale",
			   (double)in->Ysize / t[1]->Ysize, "kernel", VIPS_KERNEL_LINEAR, NULL) ||
	       vips_embed(t[2], out, 0, 0, in->Xsize, in->Ysize, "extend", VIPS_EXTEND_COPY, NULL);
}

/* Fills SPEC with a sharp, well-exposed, centred textile on a sheet at WIDTH x HEIGHT, with the
 * faint sensor noise (1 level) of a phone in daylight. */
void
lr_synth_spec_default(LrSynthSpec *spec, int width, int height)
{
	memset(spec, 0, sizeof(*spec));
	spec->width = width;
	spec->height = height;
	spec->product = LR_SYNTH_TEXTILE;
	spec->background = LR_SYNTH_SHEET;
	spec->product_size = 0.7;
	spec->centre_x = 0.5;
	spec->centre_y = 0.5;
	spec->blur_sigma = 0;
	spec->exposure = 1;
	spec->warmth = 0;
	spec->noise_sigma = 1;
	spec->seed = 1;
}

/* Nominal area in pixels of SPEC's product before the frame clips it: the cloth rectangle of a
 * textile (its wavy outline, rounded corners and fringe are left out, a few per cent at most), the
 * silhouette of a bowl. */
/* The K-th object of SPEC's set as a spec of its own: a smaller object, its own seed, in a row across
 * the frame with a little stagger, as a set of bowls is laid out for a photo. */
static void
synth_member(const LrSynthSpec *spec, int k, LrSynthSpec *out)
{
	int n = MAX(1, spec->count);
	double step;

	*out = *spec;
	out->count = 1;
	if (n == 1)
		return;
	out->product_size = spec->product_size * 1.5 / (n + 0.5);
	step = 1.15 * out->product_size * MIN(spec->width, spec->height);
	out->centre_x = spec->centre_x + (k - (n - 1) / 2.0) * step / spec->width;
	out->centre_y = spec->centre_y + ((k & 1) ? 0.04 : -0.02);
	out->seed = spec->seed + 7919u * (unsigned)k;
}

double
lr_synth_product_area(const LrSynthSpec *spec)
{
	double area = 0;

	for (int k = 0; k < MAX(1, spec->count); k++) {
		LrSynthSpec sk;
		SynthGeometry g;

		synth_member(spec, k, &sk);
		synth_geometry(&sk, &g);
		if (spec->product == LR_SYNTH_TEXTILE)
			area += g.length * g.width;
		else
			area += G_PI * (g.width / 2) * (g.width / 2) * (g.rim + g.depth) / 2;
	}
	return area;
}

/* Renders SPEC into *IMAGE (sRGB uchar, 3 bands) and *MASK (uchar, 1 band), both upright, in memory
 * and owned by the caller. Returns 0, or -1 with the vips error buffer set. */
int
lr_synth_render(const LrSynthSpec *spec, VipsImage **image, VipsImage **mask)
{
	VipsObject *p;
	VipsImage **t;
	SynthGeometry g;
	SynthLight light;
	VipsImage *colour = NULL, *cover = NULL; /* the product layer, owned by P */
	double lcx = 0, lcy = 0;
	int W = spec->width, H = spec->height, r = -1;

	*image = NULL;
	*mask = NULL;
	if (W < 16 || H < 16 || W > 30000 || H > 30000 || !(spec->product_size > 0.01) ||
	    spec->product_size > 4 || !(spec->exposure > 0) || spec->warmth < 0 ||
	    spec->warmth > 1 || spec->blur_sigma < 0 || spec->noise_sigma < 0 ||
	    (spec->product != LR_SYNTH_TEXTILE && spec->product != LR_SYNTH_BOWL) ||
	    spec->background < LR_SYNTH_SHEET || spec->background > LR_SYNTH_WHITE_SHEET ||
	    spec->count < 0 || spec->count > 8 || spec->focus < LR_SYNTH_FOCUS_PRODUCT ||
	    spec->focus > LR_SYNTH_FOCUS_ALL) {
		vips_error("lr_synth_render", "%s", "invalid spec");
		return -1;
	}
	p = VIPS_OBJECT(vips_image_new());
	t = (VipsImage **)vips_object_local_array(p, 17);
	synth_light(spec, &light);

	/* Each object of the set is drawn and placed on its own, then laid over the others (colour
	 * through its coverage, coverage the larger of the two). A single object is the set's only
	 * member, with SPEC's own values, so it renders as it always has. */
	for (int k = 0; k < MAX(1, spec->count); k++) {
		VipsImage **u = (VipsImage **)vips_object_local_array(p, 6);
		LrSynthSpec sk;

		synth_member(spec, k, &sk);
		synth_geometry(&sk, &g);
		if ((sk.product == LR_SYNTH_TEXTILE
			 ? synth_textile(p, &sk, &g, &light, &u[0], &lcx, &lcy)
			 : synth_bowl(p, &sk, &g, &light, &u[0], &lcx, &lcy)) ||
		    synth_place(p, u[0], lcx, lcy, g.angle, sk.centre_x * W, sk.centre_y * H, W, H,
				&u[1]) ||
		    vips_extract_band(u[1], &u[2], 0, "n", 3, NULL) ||
		    vips_extract_band(u[1], &u[3], 3, NULL))
			goto done;
		if (k == 0) {
			colour = u[2];
			cover = u[3];
			continue;
		}
		if (synth_mix(p, colour, u[2], u[3], &u[4]) ||
		    vips_bandrank((VipsImage *[]){cover, u[3]}, &u[5], 2, "index", 1, NULL))
			goto done;
		colour = u[4];
		cover = u[5];
	}

	switch (spec->background) {
	case LR_SYNTH_SHEET:
	case LR_SYNTH_PATTERN:
	case LR_SYNTH_WHITE_SHEET:
		r = synth_sheet(p, spec, cover, &light, &t[4]);
		break;
	case LR_SYNTH_WOOD:
		r = synth_wood(p, spec, cover, &light, &t[4]);
		break;
	default:
		r = synth_clutter(p, spec, cover, &light, &t[4]);
		break;
	}
	if (r)
		goto done;
	r = -1;

	/* Both layers already carry the scene light. The photo is made once, in memory, so that the
	 * camera's steps (a blur above all) read pixels instead of re-running the scene per tile.
	 */
	if (synth_mix(p, t[4], colour, cover, &t[5]) || !(t[8] = vips_image_copy_memory(t[5])))
		goto done;

	/* the camera's faults, in the order light meets them */
	if (spec->exposure != 1 || spec->warmth != 0) {
		if (synth_expose(p, t[8], spec->exposure, spec->warmth, &t[9]))
			goto done;
	} else if (vips_copy(t[8], &t[9], NULL))
		goto done;
	if (spec->blur_sigma > 0.01) {
		if (synth_defocus(p, t[9], spec->blur_sigma, &t[10]))
			goto done;
	} else if (vips_copy(t[9], &t[10], NULL))
		goto done;
	if (spec->noise_sigma > 0) {
		SynthRng rng;

		synth_rng_init(&rng, spec->seed, SYNTH_STREAM_NOISE);
		if (synth_sensor_noise(p, &rng, spec->noise_sigma, W, H, &t[11]) ||
		    vips_add(t[10], t[11], &t[13], NULL) ||
		    vips_cast(t[13], &t[14], VIPS_FORMAT_UCHAR, NULL))
			goto done;
	} else if (vips_copy(t[10], &t[14], NULL))
		goto done;

	/* the chain began with 1-band fields; say what the result is, or savers will make it grey
	 */
	if (vips_copy(t[14], &t[15], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) ||
	    vips_copy(cover, &t[16], "interpretation", VIPS_INTERPRETATION_B_W, NULL))
		goto done;
	if (!(*image = vips_image_copy_memory(t[15])))
		goto done;
	if (!(*mask = vips_image_copy_memory(t[16]))) {
		VIPS_UNREF(*image);
		goto done;
	}
	r = 0;

done:
	g_object_unref(p);
	return r;
}

/* Returns in *OUT UPRIGHT stored as a camera with EXIF ORIENTATION (1..8) would store it, with the
 * "orientation" metadata set; applying the orientation (vips_autorot) gives back UPRIGHT exactly.
 * Returns 0 or -1. */
int
lr_synth_unorient(VipsImage *upright, int orientation, VipsImage **out)
{
	VipsObject *p;
	VipsImage **t;
	int r = -1;

	*out = NULL;
	if (orientation < 1 || orientation > 8) {
		vips_error("lr_synth_unorient", "orientation %d is not 1..8", orientation);
		return -1;
	}
	p = VIPS_OBJECT(vips_image_new());
	t = (VipsImage **)vips_object_local_array(p, 3);
	/* Each case is the inverse of what the viewer does: 6 means "rotate 90 clockwise to view",
	 * so the camera stored it turned 90 counter-clockwise; 5 (transpose) and 7 (transverse) are
	 * their own inverses. */
	switch (orientation) {
	case 1:
		r = vips_copy(upright, &t[0], NULL);
		break;
	case 2:
		r = vips_flip(upright, &t[0], VIPS_DIRECTION_HORIZONTAL, NULL);
		break;
	case 3:
		r = vips_rot(upright, &t[0], VIPS_ANGLE_D180, NULL);
		break;
	case 4:
		r = vips_flip(upright, &t[0], VIPS_DIRECTION_VERTICAL, NULL);
		break;
	case 5:
		r = vips_rot(upright, &t[1], VIPS_ANGLE_D90, NULL) ||
		    vips_flip(t[1], &t[0], VIPS_DIRECTION_HORIZONTAL, NULL);
		break;
	case 6:
		r = vips_rot(upright, &t[0], VIPS_ANGLE_D270, NULL);
		break;
	case 7:
		r = vips_rot(upright, &t[1], VIPS_ANGLE_D90, NULL) ||
		    vips_flip(t[1], &t[0], VIPS_DIRECTION_VERTICAL, NULL);
		break;
	case 8:
		r = vips_rot(upright, &t[0], VIPS_ANGLE_D90, NULL);
		break;
	}
	if (!r && vips_copy(t[0], &t[2], NULL))
		r = -1;
	if (!r) {
		vips_image_set_int(t[2], VIPS_META_ORIENTATION, orientation);
		*out = t[2];
		g_object_ref(*out);
	}
	g_object_unref(p);
	return r ? -1 : 0;
}

/* ---- EXIF ---- */

/* Adds (replacing any) an entry of COMPONENTS x FORMAT to IFD of ED; returns it, owned by ED. */
static ExifEntry *
synth_exif_entry(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifFormat format,
		 unsigned long components)
{
	ExifMem *mem = exif_mem_new_default();
	ExifEntry *old = exif_content_get_entry(ed->ifd[ifd], tag);
	ExifEntry *e;

	if (old)
		exif_content_remove_entry(ed->ifd[ifd], old);
	e = exif_entry_new_mem(mem);
	e->size = exif_format_get_size(format) * components;
	e->data = exif_mem_alloc(mem, e->size);
	e->tag = tag;
	e->format = format;
	e->components = components;
	exif_content_add_entry(ed->ifd[ifd], e);
	exif_mem_unref(mem);
	exif_entry_unref(e);
	return e;
}

static void
synth_exif_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *s)
{
	ExifEntry *e = synth_exif_entry(ed, ifd, tag, EXIF_FORMAT_ASCII, strlen(s) + 1);

	memcpy(e->data, s, strlen(s) + 1);
}

static void
synth_exif_short(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
	exif_set_short(synth_exif_entry(ed, ifd, tag, EXIF_FORMAT_SHORT, 1)->data,
		       exif_data_get_byte_order(ed), v);
}

static void
synth_exif_long(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
	exif_set_long(synth_exif_entry(ed, ifd, tag, EXIF_FORMAT_LONG, 1)->data,
		      exif_data_get_byte_order(ed), v);
}

static void
synth_exif_rationals(ExifData *ed, ExifIfd ifd, ExifTag tag, int n, const ExifRational *v)
{
	ExifEntry *e = synth_exif_entry(ed, ifd, tag, EXIF_FORMAT_RATIONAL, n);

	for (int i = 0; i < n; i++)
		exif_set_rational(e->data + 8 * i, exif_data_get_byte_order(ed), v[i]);
}

/* Degrees as the three rationals (degrees, minutes, seconds x 100) that GPS tags want. */
static void
synth_exif_dms(double deg, ExifRational *v)
{
	double m = (deg - floor(deg)) * 60;

	v[0] = (ExifRational){(ExifLong)floor(deg), 1};
	v[1] = (ExifRational){(ExifLong)floor(m), 1};
	v[2] = (ExifRational){(ExifLong)lround((m - floor(m)) * 60 * 100), 100};
}

/* A phone's EXIF block ("Exif\0\0" + TIFF) for a stored image of WIDTH x HEIGHT, as a malloc'd
 * buffer. KEY varies the capture time and place a little from file to file, deterministically. */
static int
synth_exif_blob(int width, int height, int orientation, gboolean with_gps, guint key,
		unsigned char **data, unsigned int *size)
{
	ExifData *ed = exif_data_new();
	char when[32];
	ExifRational r[3];

	if (!ed)
		return -1;
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
	exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	g_snprintf(when, sizeof(when), "2024:11:%02u %02u:%02u:%02u", 4 + key % 20,
		   9 + (key >> 5) % 8, (key >> 8) % 60, (key >> 14) % 60);

	synth_exif_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "Xiaomi");
	synth_exif_ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "Redmi Note 12");
	synth_exif_short(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, orientation);
	synth_exif_rationals(ed, EXIF_IFD_0, EXIF_TAG_X_RESOLUTION, 1, &(ExifRational){72, 1});
	synth_exif_rationals(ed, EXIF_IFD_0, EXIF_TAG_Y_RESOLUTION, 1, &(ExifRational){72, 1});
	synth_exif_short(ed, EXIF_IFD_0, EXIF_TAG_RESOLUTION_UNIT, 2);
	synth_exif_ascii(ed, EXIF_IFD_0, EXIF_TAG_SOFTWARE, "listready-samples");
	synth_exif_ascii(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME, when);
	synth_exif_short(ed, EXIF_IFD_0, EXIF_TAG_YCBCR_POSITIONING, 1);

	memcpy(synth_exif_entry(ed, EXIF_IFD_EXIF, EXIF_TAG_EXIF_VERSION, EXIF_FORMAT_UNDEFINED, 4)
		   ->data,
	       "0232", 4);
	synth_exif_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, when);
	synth_exif_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_DIGITIZED, when);
	synth_exif_rationals(ed, EXIF_IFD_EXIF, EXIF_TAG_EXPOSURE_TIME, 1, &(ExifRational){1, 50});
	synth_exif_rationals(ed, EXIF_IFD_EXIF, EXIF_TAG_FNUMBER, 1, &(ExifRational){18, 10});
	synth_exif_short(ed, EXIF_IFD_EXIF, EXIF_TAG_ISO_SPEED_RATINGS, 200);
	synth_exif_rationals(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH, 1,
			     &(ExifRational){547, 100});
	synth_exif_short(ed, EXIF_IFD_EXIF, EXIF_TAG_COLOR_SPACE, 1);
	synth_exif_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION, width);
	synth_exif_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION, height);

	if (with_gps) {
		ExifEntry *v = synth_exif_entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_VERSION_ID,
						EXIF_FORMAT_BYTE, 4);

		/* a weavers' lane in Varanasi, give or take a street */
		memcpy(v->data, (unsigned char[]){2, 2, 0, 0}, 4);
		synth_exif_ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE_REF, "N");
		synth_exif_dms(25.3176 + (key % 97) * 1e-4, r);
		synth_exif_rationals(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE, 3, r);
		synth_exif_ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE_REF, "E");
		synth_exif_dms(82.9739 + (key % 89) * 1e-4, r);
		synth_exif_rationals(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE, 3, r);
	}

	*data = NULL;
	exif_data_save_data(ed, data, size);
	exif_data_unref(ed);
	return *data ? 0 : -1;
}

/* Saves UPRIGHT as a JPEG of QUALITY at PATH, stored with EXIF ORIENTATION (1..8) and a phone's
 * EXIF (Make, Model, capture time; GPS when WITH_GPS). The file is written whole or not at all.
 * Returns 0, or -1 with the vips error buffer set. */
int
lr_synth_save_jpeg(VipsImage *upright, int orientation, gboolean with_gps, int quality,
		   const char *path)
{
	VipsImage *stored = NULL;
	void *jpeg = NULL;
	size_t len = 0, at = 2;
	unsigned char *exif = NULL, *u;
	unsigned int exif_len = 0;
	GByteArray *file = NULL;
	GError *error = NULL;
	char *base;
	int r = -1;

	if (quality < 1 || quality > 100) {
		vips_error("lr_synth_save_jpeg", "quality %d is not 1..100", quality);
		return -1;
	}
	if (lr_synth_unorient(upright, orientation, &stored))
		return -1;
	/* vips would rewrite (and, for tags it has no field for, drop) an EXIF block it was given,
	 * so it writes a bare JPEG and the block libexif made goes in as the APP1 segment. Chroma at
	 * half resolution both ways (4:2:0), as phones write it (every camera JPEG of the real-world
	 * corpus is 4:2:0; libvips alone would keep full chroma at quality 90 and up). */
	if (vips_jpegsave_buffer(stored, &jpeg, &len, "Q", quality, "strip", TRUE, "subsample_mode",
				 VIPS_FOREIGN_SUBSAMPLE_ON, NULL))
		goto done;
	base = g_path_get_basename(path);
	r = synth_exif_blob(stored->Xsize, stored->Ysize, orientation, with_gps, g_str_hash(base),
			    &exif, &exif_len);
	g_free(base);
	if (r || exif_len + 2 > 0xffff) {
		vips_error("lr_synth_save_jpeg", "%s", "cannot make the EXIF block");
		r = -1;
		goto done;
	}
	r = -1;
	u = jpeg;
	if (len < 4 || u[0] != 0xff || u[1] != 0xd8) {
		vips_error("lr_synth_save_jpeg", "%s", "jpegsave made no JPEG");
		goto done;
	}
	/* after the JFIF APP0 if there is one, as a camera does */
	if (u[2] == 0xff && u[3] == 0xe0 && len > 6)
		at = 4 + (u[4] << 8 | u[5]);
	file = g_byte_array_sized_new(len + exif_len + 4);
	g_byte_array_append(file, u, at);
	g_byte_array_append(file,
			    (guint8[]){0xff, 0xe1, (exif_len + 2) >> 8, (exif_len + 2) & 0xff}, 4);
	g_byte_array_append(file, exif, exif_len);
	g_byte_array_append(file, u + at, len - at);
	if (!g_file_set_contents(path, (const char *)file->data, file->len, &error)) {
		vips_error("lr_synth_save_jpeg", "%s", error->message);
		g_error_free(error);
		goto done;
	}
	r = 0;

done:
	if (file)
		g_byte_array_unref(file);
	free(exif);
	g_free(jpeg);
	g_object_unref(stored);
	return r;
}
