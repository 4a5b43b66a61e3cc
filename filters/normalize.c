/* normalize.c: stage 1 — every photo upright, in sRGB, 8-bit, 3 bands, with no metadata left.
 *
 * Orientation: EXIF 1–8 as libvips reads it (an invalid value counts as 1); HEIF/AVIF come out of
 * libheif already transformed by their irot/imir boxes. Colour: an embedded profile is converted to sRGB
 * through lcms; CMYK without one goes through libvips's default CMYK profile; anything else (grey,
 * 16-bit, palette) through vips_colourspace. Alpha is flattened onto the profile background here, since
 * the composed image is opaque. Every metadata field is then removed so that nothing downstream can
 * rotate it twice or leak it into a rendition.
 *
 * Light: a bounded white balance and exposure correction, because artisans photograph indoors under
 * tungsten and LED bulbs that the phone's own white balance only half removes. The colour of the light is
 * estimated on a small copy: shades-of-grey (Finlayson and Trezzi, p = 6) as a start, then refined as
 * the mean of the bright pixels whose chromaticity lies near the estimate — in a product photo that is
 * the sheet or wall behind the product. A von Kries correction (per-channel gains in linear light) then
 * moves it towards daylight, but only when every bound agrees: the cast lies near the daylight–tungsten
 * line (a red saree is not a cast: it is off that line), enough of the photo looks neutral under it (a
 * frame full of colourful cloth does not), it is larger than a just-noticeable shift and not implausibly
 * strong (beyond wb_max_cast it is the subject's colour), and the correction is limited to
 * wb_max_shift mireds and wb_max_gain per channel. Exposure is a single linear gain that lifts the
 * brightest 1% towards exposure_target, limited to exposure_max_gain and to what clips at most 0.2% more
 * pixels; brightness is the brightest channel, so saturated cloth is not mistaken for dull light. Both
 * are applied together as one 256-entry lookup table per channel (exact in 8 bits, and
 * cheap at 48 MP), and recorded in ctx->light for the report.
 */
#include "filters/area.h"
#include "filters/filter.h"
#include "filters/image.h"
#include "filters/metrics.h"
#include "filters/resample.h"
#include "pipeline/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const LrFilter lr_filter_normalize;

static double
luma(const double *rgb)
{
	return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

/* The white of a black body at MIRED (1e6 / kelvin) in linear sRGB, normalised so that D65 is (1,1,1),
 * as the log-chromaticities (log R/G, log B/G). Kim et al.'s cubic fit of the Planckian locus in CIE xy
 * (valid 1667 K .. 25000 K). */
static void
locus(double mired, double *lr, double *lb)
{
	double t = 1e6 / CLAMP(mired, 40, 600), x, y;
	if (t <= 4000)
		x = -0.2661239e9 / (t * t * t) - 0.2343589e6 / (t * t) + 0.8776956e3 / t + 0.179910;
	else
		x = -3.0258469e9 / (t * t * t) + 2.1070379e6 / (t * t) + 0.2226347e3 / t + 0.240390;
	if (t <= 2222)
		y = -1.1063814 * x * x * x - 1.34811020 * x * x + 2.18555832 * x - 0.20219683;
	else if (t <= 4000)
		y = -0.9549476 * x * x * x - 1.37418593 * x * x + 2.09137015 * x - 0.16748867;
	else
		y = 3.0817580 * x * x * x - 5.87338670 * x * x + 3.75112997 * x - 0.37001483;
	double X = x / y, Z = (1 - x - y) / y;
	double r = 3.2406 * X - 1.5372 - 0.4986 * Z;
	double g = -0.9689 * X + 1.8758 + 0.0415 * Z;
	double b = 0.0557 * X - 0.2040 + 1.0570 * Z;
	/* D65 through the same matrix, so that daylight is exactly neutral. */
	static const double d65[3] = { 1.04231, 0.98390, 1.03553 };
	*lr = log(MAX(r, 1e-4) / d65[0]) - log(g / d65[1]);
	*lb = log(MAX(b, 1e-4) / d65[2]) - log(g / d65[1]);
}

#define D65_MIRED (1e6 / 6504.0)

/* Estimates the light and chooses the gains on the N linear pixels PX (3 doubles each), into *LIGHT.
 * PARAM reads the normalize parameters. */
static void
estimate_light(const LrContext *ctx, const double *px, int n, LrLight *light)
{
#define P(name) lr_param(ctx, &lr_filter_normalize, name)
	/* Unclipped, not black: clipped pixels say nothing about the light's colour, and dark ones are
	 * mostly noise. */
	const double clip = lr_srgb_to_linear(250 / 255.0), dark = lr_srgb_to_linear(20 / 255.0);
	double sum6[3] = { 0 }, e[3];
	int candidates = 0;
	for (int i = 0; i < n; i++) {
		const double *p = px + 3 * i;
		if (MAX(p[0], MAX(p[1], p[2])) >= clip || luma(p) < dark)
			continue;
		for (int c = 0; c < 3; c++) {
			double p3 = p[c] * p[c] * p[c];
			sum6[c] += p3 * p3;
		}
		candidates++;
	}
	light->wb_gain[0] = light->wb_gain[1] = light->wb_gain[2] = 1;
	light->exposure_gain = 1;
	if (candidates < 100) {
		light->wb_note = "too few usable pixels";
		return;
	}
	for (int c = 0; c < 3; c++)
		e[c] = pow(sum6[c] / candidates, 1 / 6.0);

	/* Refine: the mean of the pixels of at least median brightness whose chromaticity is within 0.15
	 * (about 15% in each ratio) of the estimate — the neutral surfaces under this light. */
	double *lumas = g_new(double, n);
	for (int i = 0; i < n; i++)
		lumas[i] = luma(px + 3 * i);
	double median = lr_select(lumas, n, n / 2);
	g_free(lumas);
	/* Each usable pixel's chromaticity (log red/green, log blue/green), taken once for the rounds. */
	double *chroma = g_new(double, 2 * (size_t)n);
	gboolean *usable = g_new(gboolean, n);
	for (int i = 0; i < n; i++) {
		const double *p = px + 3 * i;
		usable[i] = MAX(p[0], MAX(p[1], p[2])) < clip && luma(p) >= dark && p[1] > 0 &&
			    p[0] > 0 && p[2] > 0;
		if (usable[i]) {
			chroma[2 * i] = log(p[0] / p[1]);
			chroma[2 * i + 1] = log(p[2] / p[1]);
		}
	}
	int near = 0;
	for (int iter = 0; iter < 4; iter++) {
		double lr = log(e[0] / e[1]), lb = log(e[2] / e[1]), sum[3] = { 0 };
		int bright = 0;
		near = 0;
		for (int i = 0; i < n; i++) {
			const double *p = px + 3 * i;
			if (!usable[i])
				continue;
			double dr = chroma[2 * i] - lr, db = chroma[2 * i + 1] - lb;
			if (dr * dr + db * db > 0.15 * 0.15)
				continue;
			near++;
			if (luma(p) >= median) {
				for (int c = 0; c < 3; c++)
					sum[c] += p[c];
				bright++;
			}
		}
		if (bright < 50)
			break;
		for (int c = 0; c < 3; c++)
			e[c] = sum[c] / bright;
	}
	g_free(chroma);
	g_free(usable);
	light->neutral_share = (double)near / candidates;
	for (int c = 0; c < 3; c++)
		light->illuminant[c] = e[c] / e[1];
	if (MIN(e[0], MIN(e[1], e[2])) < 0.02 * MAX(e[0], MAX(e[1], e[2]))) {
		/* A channel all but missing: saturated colour everywhere, no light is that pure. */
		light->wb_note = "colourful content, not a cast of the light";
		goto exposure;
	}

	/* A second witness: the brightest unclipped 3% (white-patch). A white sheet under a warm bulb is
	 * also the brightest thing in the photo, so both agree; golden straw around a white-haired man
	 * does not, and then the light is not known well enough to change it. */
	double *order = g_new(double, n), bright_sum[3] = { 0 };
	int nt = 0, nb = 0;
	for (int i = 0; i < n; i++) {
		const double *p = px + 3 * i;
		if (MAX(p[0], MAX(p[1], p[2])) < clip && luma(p) >= dark)
			order[nt++] = luma(p);
	}
	double threshold = nt ? lr_select(order, nt, (int)(0.97 * (nt - 1))) : 0;
	g_free(order);
	for (int i = 0; i < n; i++) {
		const double *p = px + 3 * i;
		if (MAX(p[0], MAX(p[1], p[2])) < clip && luma(p) >= threshold) {
			for (int c = 0; c < 3; c++)
				bright_sum[c] += p[c];
			nb++;
		}
	}
	double disagree = nb && bright_sum[0] > 0 && bright_sum[1] > 0 && bright_sum[2] > 0
				  ? hypot(log(bright_sum[0] / bright_sum[1]) - log(e[0] / e[1]),
					  log(bright_sum[2] / bright_sum[1]) - log(e[2] / e[1]))
				  : G_MAXDOUBLE;

	/* Where on the daylight-tungsten line the estimate lies, and how far off it. */
	double vr = log(e[0] / e[1]), vb = log(e[2] / e[1]), best = G_MAXDOUBLE, mired = D65_MIRED;
	for (double mi = 40; mi <= 600; mi += 1) {
		double lr, lb;
		locus(mi, &lr, &lb);
		double d = (vr - lr) * (vr - lr) + (vb - lb) * (vb - lb);
		if (d < best) {
			best = d;
			mired = mi;
		}
	}
	light->cast_mired = mired;
	light->cast_shift = mired - D65_MIRED;
	double lr, lb;
	locus(mired, &lr, &lb);
	double norm_v = hypot(vr, vb), norm_l = hypot(lr, lb);
	light->cast_angle = norm_v > 1e-6 && norm_l > 1e-6
				    ? acos(CLAMP((vr * lr + vb * lb) / (norm_v * norm_l), -1, 1)) * 180 / G_PI
				    : 0;
	light->cast_disagreement = disagree < G_MAXDOUBLE ? disagree : -1;

	if (fabs(light->cast_shift) < P("wb_min_shift"))
		light->wb_note = "cast too small to correct";
	else if (light->cast_angle > P("wb_max_angle"))
		light->wb_note = "colourful content, not a cast of the light";
	else if (light->neutral_share < P("wb_min_neutral"))
		light->wb_note = "too little neutral surface to judge the light";
	else if (fabs(light->cast_shift) > P("wb_max_cast"))
		light->wb_note = "too strong to be the light: the subject's own colour";
	else if (disagree > P("wb_max_disagree"))
		light->wb_note = "the brightest parts disagree about the light";
	else {
		/* The share s of the cast to remove: all of it (times strength) up to wb_max_shift mireds,
		 * and less when a channel's gain would pass wb_max_gain. */
		double s = P("wb_strength") * MIN(1.0, P("wb_max_shift") / fabs(light->cast_shift));
		double max_gain = P("wb_max_gain"), g[3];
		for (int tries = 0; tries < 30; tries++) {
			g[0] = exp(-s * vr);
			g[1] = 1;
			g[2] = exp(-s * vb);
			/* Keep the light's luminance: white balance changes colour, not brightness. */
			double k = luma(e) / (g[0] * e[0] * 0.2126 + g[1] * e[1] * 0.7152 +
					      g[2] * e[2] * 0.0722);
			for (int c = 0; c < 3; c++)
				g[c] *= k;
			double worst = MAX(MAX(g[0], 1 / g[0]), MAX(MAX(g[1], 1 / g[1]), MAX(g[2], 1 / g[2])));
			if (worst <= max_gain + 1e-9)
				break;
			s *= 0.9;
		}
		memcpy(light->wb_gain, g, sizeof(g));
		light->wb_applied = TRUE;
		light->wb_note = s < P("wb_strength") - 1e-9 ? "corrected, limited by the bounds"
							   : "corrected";
	}

exposure:
	/* Exposure, on the white-balanced values: lift the 99th percentile of the brightest channel
	 * towards the target. */
	double *y = g_new(double, n), *hi = g_new(double, n);
	int nhi = 0;
	const double clip_out = lr_srgb_to_linear(250 / 255.0);
	for (int i = 0; i < n; i++) {
		double q[3];
		for (int c = 0; c < 3; c++)
			q[c] = px[3 * i + c] * light->wb_gain[c];
		/* The brightest channel, not luma: a saturated gold thread is as bright as it can be
		 * while its luma is low, and must not be pushed towards white. */
		double top = MAX(q[0], MAX(q[1], q[2]));
		y[i] = top;
		if (top < clip_out)
			hi[nhi++] = top;
	}
	double p99 = lr_select(y, n, (int)(0.99 * (n - 1)));
	/* The largest gain that clips at most 0.2% of the pixels that are not clipped already. */
	int allowed = (int)(0.002 * n);
	double k_clip =
		nhi > allowed ? clip_out / MAX(lr_select(hi, nhi, nhi - 1 - allowed), 1e-6) : 1;
	/* Exposure only brightens; it goes below 1 only to take back what the white-balance gains would
	 * clip. */
	double k = p99 > 0 ? MAX(1.0, lr_srgb_to_linear(P("exposure_target")) / p99) : 1;
	k = MIN(MIN(k, P("exposure_max_gain")), k_clip);
	k = MAX(k, 1 / P("exposure_max_gain"));
	g_free(y);
	g_free(hi);
	if (fabs(k - 1) < P("exposure_min"))
		light->exposure_note = "left as it was";
	else {
		light->exposure_gain = k;
		light->exposure_note = k < 1			    ? "lowered to keep the highlights"
				       : k == P("exposure_max_gain") ? "brightened, limited by the bound"
				       : k == k_clip		    ? "brightened, limited by the highlights"
								    : "brightened";
	}
#undef P
}

/* The light correction estimated on SMALL (memory, uchar sRGB, 3 bands, about 256 px), recorded in
 * ctx->light and made into ctx->light_lut (NULL when nothing is to be corrected). Returns 0 or -1. */
static int
estimate_correction(LrContext *ctx, VipsImage *small)
{
	LrLight *light = &ctx->light;
	int w = small->Xsize, h = small->Ysize, n = w * h;
	double decode[256], *px = g_new(double, 3 * (size_t)n);

	memset(light, 0, sizeof(*light));
	for (int v = 0; v < 256; v++)
		decode[v] = lr_srgb_to_linear(v / 255.0);
	for (int y = 0; y < h; y++) {
		const guchar *row = VIPS_IMAGE_ADDR(small, 0, y);
		for (int i = 0; i < 3 * w; i++)
			px[3 * (size_t)y * w + i] = decode[row[i]];
	}
	estimate_light(ctx, px, n, light);
	g_free(px);

	ctx->light_lut = NULL;
	if (!light->wb_applied && light->exposure_gain == 1)
		return 0;
	/* Both corrections as one table per channel: exact in 8 bits, and one lookup per pixel. */
	guchar table[256][3];
	for (int v = 0; v < 256; v++)
		for (int c = 0; c < 3; c++) {
			double lin = decode[v] * light->wb_gain[c] * light->exposure_gain;
			table[v][c] = (guchar)lround(255 * lr_linear_to_srgb(CLAMP(lin, 0, 1)));
		}
	ctx->light_lut = vips_image_new_from_memory_copy(table, sizeof(table), 256, 1, 3,
							 VIPS_FORMAT_UCHAR);
	if (!ctx->light_lut)
		return -1;
	lr_context_own(ctx, ctx->light_lut);
	return 0;
}

/* Removes every metadata field of IMAGE (EXIF, XMP, IPTC, ICC, orientation, ...). */
static void
strip_fields(VipsImage *image)
{
	char **fields = vips_image_get_fields(image);
	for (int i = 0; fields[i]; i++)
		vips_image_remove(image, fields[i]); /* built-in header fields refuse, which is fine */
	g_strfreev(fields);
}

/* IN converted to sRGB, 8-bit; *OUT is a new reference owned by the caller; temporaries go to SCOPE. */
static int
to_srgb(VipsObject *scope, VipsImage *in, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(scope, 2);

	if (vips_image_get_typeof(in, VIPS_META_ICC_NAME)) {
		/* The embedded profile wins: it is what the camera (or the editor) meant. */
		if (vips_icc_transform(in, &t[0], "srgb", "embedded", TRUE, "intent",
				       VIPS_INTENT_PERCEPTUAL, "depth", 8, NULL)) {
			/* A broken profile: fall back to the colour space the header declares. */
			vips_error_clear();
			vips_image_remove(in, VIPS_META_ICC_NAME);
			return to_srgb(scope, in, out);
		}
	} else if (in->Type == VIPS_INTERPRETATION_CMYK) {
		if (vips_icc_transform(in, &t[0], "srgb", "input_profile", "cmyk", "intent",
				       VIPS_INTENT_PERCEPTUAL, "depth", 8, NULL))
			return -1;
	} else if (vips_colourspace(in, &t[0], VIPS_INTERPRETATION_sRGB, NULL))
		return -1;
	/* icc_transform leaves 8 bits; colourspace from 16-bit types gives ushort or float. */
	if (t[0]->BandFmt != VIPS_FORMAT_UCHAR) {
		double scale = t[0]->BandFmt == VIPS_FORMAT_USHORT ? 1.0 / 257.0 : 1.0;
		if (vips_linear1(t[0], &t[1], scale, 0.0, "uchar", TRUE, NULL))
			return -1;
	} else
		t[1] = g_object_ref(t[0]);
	*out = g_object_ref(t[1]); /* a reference of the caller's own: t[] goes with the scope */
	return 0;
}

/* The colour part of normalization on IN, an upright image at any scale: to sRGB 8-bit, alpha
 * flattened onto the profile's background (the composed image is opaque), 3 bands, the light
 * correction when LIGHT, no metadata left (nothing downstream can rotate it twice or leak it into a
 * rendition). *OUT is a new reference to a lazy image. Returns 0, or -1 with CTX failed. */
static int
colour(LrContext *ctx, VipsImage *in, gboolean light, VipsImage **out)
{
	VipsObject *scope = VIPS_OBJECT(vips_image_new());
	VipsImage **t = (VipsImage **)vips_object_local_array(scope, 6);
	VipsImage *rgb;
	int err = -1;

	if (to_srgb(scope, in, &t[0])) {
		lr_context_fail(ctx, "unreadable", "The colours of this photo could not be converted "
						   "to sRGB.");
		goto done;
	}
	rgb = t[0];
	/* Alpha (after colourspace, sRGB with alpha has 4 bands): flatten on the profile background. */
	if (rgb->Bands == 4 || rgb->Bands == 2) {
		double bg[3] = { 255, 255, 255 };
		g_autofree char *colour = lr_profile_string(ctx->profile, "compose", "background",
							    "#FFFFFF");
		unsigned r, g, b;
		if (sscanf(colour, "#%02x%02x%02x", &r, &g, &b) == 3) {
			bg[0] = r;
			bg[1] = g;
			bg[2] = b;
		}
		VipsArrayDouble *background = vips_array_double_new(bg, 3);
		int flat = vips_flatten(rgb, &t[1], "background", background, NULL);
		vips_area_unref(VIPS_AREA(background));
		if (flat || vips_cast_uchar(t[1], &t[2], NULL)) {
			lr_context_fail(ctx, "unreadable", "The transparency of this photo could not "
							   "be flattened.");
			goto done;
		}
		rgb = t[2];
	}
	if (rgb->Bands > 3) {
		if (vips_extract_band(rgb, &t[3], 0, "n", 3, NULL)) {
			lr_context_fail(ctx, "unreadable", "Unexpected bands in this photo.");
			goto done;
		}
		rgb = t[3];
	}
	if (rgb->Bands != 3) {
		lr_context_fail(ctx, "unreadable", "Unexpected bands in this photo.");
		goto done;
	}
	if (light && ctx->light_lut) {
		if (vips_maplut(rgb, &t[4], ctx->light_lut, NULL)) {
			lr_context_fail(ctx, "internal", "The light correction could not be applied.");
			goto done;
		}
		rgb = t[4];
	}
	/* A header of its own, so that stripping it leaves the images upstream alone. */
	if (vips_copy(rgb, &t[5], NULL)) {
		lr_context_fail(ctx, "internal", "The photo could not be normalized.");
		goto done;
	}
	strip_fields(t[5]);
	t[5]->Type = VIPS_INTERPRETATION_sRGB;
	*out = g_object_ref(t[5]);
	err = 0;
done:
	g_object_unref(scope);
	return err;
}

/* Where the pixel (U, V) of the upright photo (UW x UH) lies in the photo as stored with ORIENTATION:
 * the inverse of the turn or mirror the EXIF value asks for. */
static void
stored_point(int orientation, int uw, int uh, int u, int v, int *x, int *y)
{
	switch (orientation) {
	case 2: *x = uw - 1 - u; *y = v; break;
	case 3: *x = uw - 1 - u; *y = uh - 1 - v; break;
	case 4: *x = u; *y = uh - 1 - v; break;
	case 5: *x = v; *y = u; break;
	case 6: *x = v; *y = uw - 1 - u; break;
	case 7: *x = uh - 1 - v; *y = uw - 1 - u; break;
	case 8: *x = uh - 1 - v; *y = u; break;
	default: *x = u; *y = v; break;
	}
}

/* IN, a reduced copy (or part) of the photo as stored, turned upright as ORIENTATION (EXIF, 1..8)
 * says, into *OUT (memory, with IN's metadata less the orientation). Each upright pixel is read where
 * stored_point() says it lies, so one table of the eight orientations serves the pixels and the
 * coordinates (stored_rect()) alike. Turning the photo whole costs by the pixel (vips_autorot: 65 ms
 * for a 12 MP photo on its side, 15 even upright, measured), so the pipeline reduces first and turns
 * the few pixels left, here in blocks of 64 x 64 so that a quarter turn walks down the stored rows
 * within the cache: 7 ms for a 2000 x 1500 view on its side, where vips_autorot took 15-18. */
static int
upright(int orientation, VipsImage *in, VipsImage **out)
{
	if (orientation <= 1 || orientation > 8)
		return vips_copy(in, out, NULL);
	VipsImage *src = lr_image_copy_memory(in);
	if (!src)
		return -1;
	int sw = src->Xsize, sh = src->Ysize, quarter = orientation >= 5;
	int uw = quarter ? sh : sw, uh = quarter ? sw : sh;
	size_t pel = VIPS_IMAGE_SIZEOF_PEL(src);
	if (!(*out = lr_image_new_unset(src, uw, uh, src->Bands, src->BandFmt, src->Type))) {
		g_object_unref(src);
		return -1;
	}
	(*out)->Xres = quarter ? src->Yres : src->Xres;
	(*out)->Yres = quarter ? src->Xres : src->Yres;
	vips_image_remove(*out, VIPS_META_ORIENTATION);
	/* The stored position of the upright pixel (u, v) moves by DU bytes per step in u and by DV
	 * per step in v. */
	int x0, y0, x1, y1, x2, y2;
	stored_point(orientation, uw, uh, 0, 0, &x0, &y0);
	stored_point(orientation, uw, uh, 1, 0, &x1, &y1);
	stored_point(orientation, uw, uh, 0, 1, &x2, &y2);
	ptrdiff_t line = (ptrdiff_t)VIPS_IMAGE_SIZEOF_LINE(src);
	ptrdiff_t du = (x1 - x0) * (ptrdiff_t)pel + (y1 - y0) * line;
	ptrdiff_t dv = (x2 - x0) * (ptrdiff_t)pel + (y2 - y0) * line;
	const guchar *origin = VIPS_IMAGE_ADDR(src, x0, y0);
	const int block = 64;
	for (int v0 = 0; v0 < uh; v0 += block)
		for (int u0 = 0; u0 < uw; u0 += block) {
			int u1 = MIN(uw, u0 + block);
			for (int v = v0; v < MIN(uh, v0 + block); v++) {
				guchar *q = VIPS_IMAGE_ADDR(*out, u0, v);
				const guchar *p = origin + u0 * du + v * dv;
				if (pel == 3)
					for (int u = u0; u < u1; u++, q += 3, p += du) {
						q[0] = p[0];
						q[1] = p[1];
						q[2] = p[2];
					}
				else
					for (int u = u0; u < u1; u++, q += pel, p += du)
						memcpy(q, p, pel);
			}
		}
	g_object_unref(src);
	return 0;
}

/* The rectangle R of the upright photo (UW x UH) in the photo as stored with ORIENTATION. */
static LrRect
stored_rect(int orientation, int uw, int uh, LrRect r)
{
	int ax, ay, bx, by;
	stored_point(orientation, uw, uh, r.left, r.top, &ax, &ay);
	stored_point(orientation, uw, uh, r.left + r.width - 1, r.top + r.height - 1, &bx, &by);
	return (LrRect){ MIN(ax, bx), MIN(ay, by), abs(bx - ax) + 1, abs(by - ay) + 1 };
}

int
lr_normalize_refresh(LrContext *ctx)
{
	VipsImage *up;
	g_clear_object(&ctx->normalized);
	if (vips_autorot(ctx->image, &up, NULL))
		return lr_context_fail(ctx, "unreadable", "The photo could not be turned upright.");
	int err = colour(ctx, up, TRUE, &ctx->normalized);
	g_object_unref(up);
	return err;
}

int
lr_normalize_area(LrContext *ctx, const LrRect *area, double scale, gboolean linear,
		  VipsImage **out, LrPlacement *placement)
{
	LrRect r = area ? *area : (LrRect){ 0, 0, ctx->width, ctx->height };
	VipsObject *scope = VIPS_OBJECT(vips_image_new());
	VipsImage **t = (VipsImage **)vips_object_local_array(scope, 5);
	int err = -1;

	*out = NULL;
	/* Measuring at half the view's scale or less reads the view: normalized already, and small.
	 * Closer to the view's scale it would be resampled twice, and a reduction by less than 2
	 * blurs what a blur measure is looking for. */
	gboolean from_view = !linear && ctx->view &&
			     scale <= 0.5 * ctx->view->Xsize / ctx->width + 1e-9;
	VipsImage *source = from_view ? ctx->view : ctx->image;
	double k = from_view ? (double)ctx->view->Xsize / ctx->width : ctx->image_scale;
	double rest = MIN(1.0, scale / k);
	/* The area in the upright source's pixels, rounded outwards, then where it lies in the source
	 * as stored: it is read and reduced there and turned upright after (see upright()). */
	int o = from_view ? 1 : ctx->orientation;
	int uw = o >= 5 && o <= 8 ? source->Ysize : source->Xsize;
	int uh = o >= 5 && o <= 8 ? source->Xsize : source->Ysize;
	int x0 = CLAMP((int)floor(r.left * k), 0, uw - 1);
	int y0 = CLAMP((int)floor(r.top * k), 0, uh - 1);
	int x1 = CLAMP((int)ceil((r.left + r.width) * k), x0 + 1, uw);
	int y1 = CLAMP((int)ceil((r.top + r.height) * k), y0 + 1, uh);
	LrRect stored = stored_rect(o, uw, uh, (LrRect){ x0, y0, x1 - x0, y1 - y0 });
	if (vips_extract_area(source, &t[0], stored.left, stored.top, stored.width, stored.height,
			      NULL))
		goto done;
	if (linear) {
		/* Output pixels: colour first, then the reduction in linear light, the light
		 * correction's table folded into the resampler's own conversion to linear light (one
		 * lookup per value instead of a vips_maplut pass before it). */
		if (colour(ctx, t[0], FALSE, &t[1]) ||
		    lr_resample_linear_lut(t[1], rest, ctx->light_lut, &t[2]))
			goto done;
	} else {
		/* Measuring: reduce first, so the colour conversion runs on the few pixels left. */
		if (rest < 1 && lr_resample_scale(t[0], rest, LR_KERNEL_TRIANGLE, FALSE, &t[3]))
			goto done;
		VipsImage *reduced = rest < 1 ? t[3] : t[0];
		if (from_view)
			t[2] = g_object_ref(reduced);
		else if (colour(ctx, reduced, TRUE, &t[2]))
			goto done;
	}
	if (upright(o, t[2], &t[4]) || !(*out = lr_image_copy_memory(t[4])))
		goto done;
	if (placement)
		*placement = (LrPlacement){ x0 / k, y0 / k, (*out)->Xsize * k / (x1 - x0),
					    (*out)->Ysize * k / (y1 - y0) };
	err = 0;
done:
	g_object_unref(scope);
	if (err)
		VIPS_UNREF(*out);
	return err;
}


/* IMAGE (memory, uchar, 3 bands, of the caller's own) through LUT (256 x 1, 3 bands, uchar, memory),
 * as vips_maplut would map it into a new image. */
static void
map_in_place(VipsImage *image, VipsImage *lut)
{
	const guchar *table = VIPS_IMAGE_ADDR(lut, 0, 0);
	for (int y = 0; y < image->Ysize; y++) {
		guchar *p = VIPS_IMAGE_ADDR(image, 0, y);
		for (int x = 0; x < image->Xsize; x++, p += 3) {
			p[0] = table[3 * p[0]];
			p[1] = table[3 * p[1] + 1];
			p[2] = table[3 * p[2] + 2];
		}
	}
}

/* The view (the whole photo at view_size, in memory) is made first, without the light correction; the
 * light is estimated on a 256 px copy of it (plenty for a light, and cheap at any size), and the
 * correction then applied to the view with the table every later area read uses. Temporaries go into a
 * scope of this stage's own. */
static int
normalize(LrContext *ctx)
{
	VipsObject *scope = VIPS_OBJECT(vips_image_new());
	VipsImage **t = (VipsImage **)vips_object_local_array(scope, 8);
	int err = -1;

	/* Orientation: vips_autorot reads the "orientation" field and handles all eight. Here it gives
	 * the upright size; the view is reduced first and turned upright after (upright()). */
	if (vips_autorot(ctx->image, &t[0], NULL)) {
		lr_context_fail(ctx, "unreadable", "The photo could not be turned upright.");
		goto done;
	}
	ctx->width = (int)lround(t[0]->Xsize / ctx->image_scale);
	ctx->height = (int)lround(t[0]->Ysize / ctx->image_scale);
	double view = lr_param(ctx, &lr_filter_normalize, "view_size");
	double rest = MIN(1.0, view / MAX(t[0]->Xsize, t[0]->Ysize));
	gint64 start = g_get_monotonic_time();
	/* Reduced already when the decoder passed its rows on to the resampler (load). */
	VipsImage *early = g_steal_pointer(&ctx->reduced); /* this stage's own: freed with t[] */
	if (early && (rest >= 1 ||
		      early->Xsize != lr_resample_size(ctx->image->Xsize, rest) ||
		      early->Ysize != lr_resample_size(ctx->image->Ysize, rest)))
		g_clear_object(&early);
	if (rest < 1 && ((early ? !(t[7] = early)
				: lr_resample_scale(ctx->image, rest, LR_KERNEL_TRIANGLE, FALSE,
						    &t[7])) ||
			 upright(ctx->orientation, t[7], &t[1]))) {
		lr_context_fail(ctx, "unreadable", "The photo could not be normalized.");
		goto done;
	}
	/* The view in memory, a copy of this stage's own: the light is estimated on it, then it is
	 * corrected in place. The reduced photo (resample's, or upright's when it turned it) is that
	 * copy already when colour() would leave its pixels as they are: 8-bit sRGB, 3 bands, no
	 * profile, as most phone JPEGs come. */
	VipsImage *reduced = rest < 1 ? (ctx->orientation > 1 && ctx->orientation <= 8 ? t[1] : t[7])
				      : NULL;
	if (reduced && reduced->Bands == 3 && reduced->BandFmt == VIPS_FORMAT_UCHAR &&
	    reduced->Type == VIPS_INTERPRETATION_sRGB &&
	    !vips_image_get_typeof(reduced, VIPS_META_ICC_NAME)) {
		strip_fields(reduced);
		t[3] = g_object_ref(reduced);
	} else if (colour(ctx, rest < 1 ? t[1] : t[0], FALSE, &t[2]))
		goto done;
	if ((!t[3] && !(t[3] = lr_image_copy_memory(t[2]))) ||
	    lr_resample_scale(t[3], 256.0 / MAX(t[3]->Xsize, t[3]->Ysize), LR_KERNEL_TRIANGLE, FALSE,
			      &t[5])) {
		lr_context_fail(ctx, "unreadable", "The photo could not be normalized.");
		goto done;
	}
	lr_context_lap(ctx, "normalize.view", &start);
	if (estimate_correction(ctx, t[5])) {
		lr_context_fail(ctx, "internal", "The light of this photo could not be measured.");
		goto done;
	}
	/* The correction through the same table as every area read later (colour()). */
	if (ctx->light_lut)
		map_in_place(t[3], ctx->light_lut);
	ctx->view = lr_context_own(ctx, g_object_ref(t[3]));
	err = lr_normalize_refresh(ctx);
done:
	g_object_unref(scope);
	return err;
}

/* Bounds of the light correction. Mireds (1e6 / kelvin) because equal steps in them look equally large:
 * daylight (D65) is 154, a tungsten bulb 350, a warm-white LED 370. A cream cotton sheet in daylight
 * reads as a cast of about 35 mireds, hence the 40 below which nothing is done. */
static const LrParam params[] = {
	{ "wb_strength", "share of the estimated colour cast that white balance removes (0 = off)", 0, 1,
	  1 },
	{ "wb_min_shift", "casts smaller than this many mireds from daylight are left alone", 0, 200, 40 },
	{ "wb_max_shift", "largest colour-temperature correction, in mireds", 0, 400, 200 },
	{ "wb_max_cast", "estimated casts beyond this many mireds are the subject's colour, not the light",
	  0, 600, 300 },
	{ "wb_max_gain", "largest white-balance gain on any one channel", 1, 4, 2.5 },
	{ "wb_max_angle", "degrees the cast may lie off the daylight-tungsten line (a red cloth is off it)",
	  0, 90, 25 },
	{ "wb_max_disagree", "how far (log-chromaticity) the brightest 3% may differ from the estimate",
	  0, 2, 0.15 },
	/* 0.3: a product photographed under a bulb shows its support (a sheet, a wall) over much of the
	 * frame; a real photo of a golden field passed 0.2 with 21% and was wrongly "corrected". */
	{ "wb_min_neutral", "share of the photo that must look neutral under the estimated light", 0, 1,
	  0.3 },
	{ "exposure_target", "sRGB level (0..1) the brightest 1% (brightest channel) is lifted towards", 0.5,
	  1, 0.82 },
	{ "exposure_max_gain", "largest exposure gain in linear light (1 = off)", 1, 4, 1.4 },
	{ "exposure_min", "gains closer to 1 than this are not applied", 0, 0.5, 0.04 },
	/* 2000: the largest rendition of most profiles, where noise is judged (analyse). */
	{ "view_size", "longest side of the view the analysis works on, px", 500, 8000, 2000 },
	{ NULL },
};

const LrFilter lr_filter_normalize = {
	.name = "normalize",
	.summary = "orientation, colour profile to sRGB, 8-bit, bounded white balance and exposure, metadata removed",
	.params = params,
	.process = normalize,
};
