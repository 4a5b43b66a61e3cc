/* compose.c: stage 3 — the product on the profile's background, framed.
 *
 * The background becomes the profile's colour (exactly that colour wherever the mask is 0, so automated
 * marketplace checks for pure white pass) or transparency, blended through the soft mask at the edge.
 * The frame is then cut around the product box and padded to the profile's aspect so that the product
 * spans the profile's fill share of the frame in its tighter dimension, centred. Nothing is enlarged:
 * the master keeps the source's pixels, and a product too small for the renditions is reported by
 * decide as low_resolution. When the segmentation is not confident the original background is kept
 * (the photo goes to review as background_uncertain) rather than shipping a bad cut-out.
 */
#include "filters/filter.h"
#include "pipeline/profile.h"

#include <math.h>
#include <stdio.h>

extern const LrFilter lr_filter_compose;

/* Frame size for a WIDTH x HEIGHT product at FILL in a frame of aspect AW:AH. */
static void
frame_size(int width, int height, double fill, double aw, double ah, int *fw, int *fh)
{
	double w = MAX(width / fill, height / fill * aw / ah);
	*fw = (int)ceil(w);
	*fh = (int)ceil(w * ah / aw);
}

static int
compose(LrContext *ctx)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 5);
	VipsImage *in = ctx->normalized;
	LrRect b = ctx->box;
	double fill = lr_param(ctx, &lr_filter_compose, "fill");
	double min_confidence = lr_param(ctx, &lr_filter_compose, "min_confidence");
	g_autofree char *colour = lr_profile_string(ctx->profile, "compose", "background", "#FFFFFF");
	g_autofree char *aspect = lr_profile_string(ctx->profile, "compose", "aspect", "1:1");
	gboolean transparent = !g_ascii_strcasecmp(colour, "transparent");
	unsigned r = 255, g = 255, bl = 255;
	double aw = 1, ah = 1;

	if (!transparent && sscanf(colour, "#%02x%02x%02x", &r, &g, &bl) != 3)
		return lr_context_fail(ctx, "internal", "Profile background \"%s\" is not #RRGGBB.",
				       colour);
	if (sscanf(aspect, "%lf:%lf", &aw, &ah) != 2 || aw <= 0 || ah <= 0)
		return lr_context_fail(ctx, "internal", "Profile aspect \"%s\" is not W:H.", aspect);
	double bg[4] = { r, g, bl, 0 };

	ctx->background_replaced = ctx->metrics.mask_confidence >= min_confidence;
	VipsImage *subject;
	if (!ctx->background_replaced) {
		/* An unsure mask gives an unsure box too: keep the whole photo, padded to the aspect. */
		subject = in;
		transparent = FALSE;
		b = (LrRect){ 0, 0, in->Xsize, in->Ysize };
		fill = 1.0;
	} else if (transparent) {
		if (vips_bandjoin2(in, ctx->mask, &t[0], NULL))
			return lr_context_fail(ctx, "internal", "The cut-out could not be made.");
		subject = t[0];
	} else {
		/* A constant image of the background colour; blend through the mask. */
		VipsImage *flat = vips_image_new_from_image(in, bg, 3);
		int err = !flat || vips_ifthenelse(ctx->mask, in, flat, &t[0], "blend", TRUE, NULL);
		if (flat)
			g_object_unref(flat);
		if (err)
			return lr_context_fail(ctx, "internal", "The background could not be replaced.");
		subject = t[0];
	}

	int fw, fh;
	frame_size(b.width, b.height, fill, aw, ah, &fw, &fh);
	int left = b.left - (fw - b.width) / 2;
	int top = b.top - (fh - b.height) / 2;
	/* The frame in subject coordinates may run past the photo; the part inside is cut out and the
	 * rest is the background colour. */
	int x0 = MAX(0, left), y0 = MAX(0, top);
	int x1 = MIN(in->Xsize, left + fw), y1 = MIN(in->Ysize, top + fh);
	if (vips_extract_area(subject, &t[1], x0, y0, x1 - x0, y1 - y0, NULL))
		return lr_context_fail(ctx, "internal", "The product could not be framed.");
	VipsArrayDouble *background = vips_array_double_new(bg, transparent ? 4 : 3);
	int err = vips_embed(t[1], &t[2], x0 - left, y0 - top, fw, fh, "extend",
			     VIPS_EXTEND_BACKGROUND, "background", background, NULL);
	vips_area_unref(VIPS_AREA(background));
	if (err || !(t[3] = vips_image_copy_memory(t[2])))
		return lr_context_fail(ctx, "internal", "The product could not be framed.");
	t[3]->Type = VIPS_INTERPRETATION_sRGB;
	ctx->composed = t[3];
	return 0;
}

static const LrParam params[] = {
	{ "fill", "share of the frame the product spans in its tighter dimension", 0.3, 1.0, 0.85 },
	{ "min_confidence", "segmentation confidence below which the background is kept", 0, 1,
	  0.5 },
	{ NULL },
};

const LrFilter lr_filter_compose = {
	.name = "compose",
	.summary = "background replaced, product framed to the profile's aspect and fill",
	.params = params,
	.process = compose,
};
