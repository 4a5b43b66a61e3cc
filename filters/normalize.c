/* normalize.c: stage 1 — every photo upright, in sRGB, 8-bit, 3 bands, with no metadata left.
 *
 * Orientation: EXIF 1–8 as libvips reads it (an invalid value counts as 1); HEIF/AVIF come out of
 * libheif already transformed by their irot/imir boxes. Colour: an embedded profile is converted to sRGB
 * through lcms; CMYK without one goes through libvips's default CMYK profile; anything else (grey,
 * 16-bit, palette) through vips_colourspace. Alpha is flattened onto the profile background here, since
 * the composed image is opaque. Every metadata field is then removed so that nothing downstream can
 * rotate it twice or leak it into a rendition.
 */
#include "filters/filter.h"
#include "pipeline/profile.h"

#include <string.h>

/* Removes every metadata field of IMAGE (EXIF, XMP, IPTC, ICC, orientation, ...). */
static void
strip_fields(VipsImage *image)
{
	char **fields = vips_image_get_fields(image);
	for (int i = 0; fields[i]; i++)
		vips_image_remove(image, fields[i]); /* built-in header fields refuse, which is fine */
	g_strfreev(fields);
}

/* IN converted to sRGB, 8-bit; *OUT is a new reference owned by the caller. */
static int
to_srgb(LrContext *ctx, VipsImage *in, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 2);

	if (vips_image_get_typeof(in, VIPS_META_ICC_NAME)) {
		/* The embedded profile wins: it is what the camera (or the editor) meant. */
		if (vips_icc_transform(in, &t[0], "srgb", "embedded", TRUE, "intent",
				       VIPS_INTENT_PERCEPTUAL, "depth", 8, NULL)) {
			/* A broken profile: fall back to the colour space the header declares. */
			vips_error_clear();
			vips_image_remove(in, VIPS_META_ICC_NAME);
			return to_srgb(ctx, in, out);
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

static int
normalize(LrContext *ctx)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx->scope, 6);
	VipsImage *in = ctx->image;

	/* Orientation first: vips_autorot reads the "orientation" field and handles all eight. */
	if (vips_autorot(in, &t[0], NULL) || to_srgb(ctx, t[0], &t[1]))
		return lr_context_fail(ctx, "unreadable", "The colours of this photo could not be "
							  "converted to sRGB.");
	VipsImage *rgb = t[1];

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
		int err = vips_flatten(rgb, &t[2], "background", background, NULL);
		vips_area_unref(VIPS_AREA(background));
		if (err || vips_cast_uchar(t[2], &t[3], NULL))
			return lr_context_fail(ctx, "unreadable", "The transparency of this photo "
								  "could not be flattened.");
		rgb = t[3];
	}
	if (rgb->Bands > 3) {
		if (vips_extract_band(rgb, &t[4], 0, "n", 3, NULL))
			return lr_context_fail(ctx, "unreadable", "Unexpected bands in this photo.");
		rgb = t[4];
	}

	if (!(t[5] = vips_image_copy_memory(rgb)))
		return lr_context_fail(ctx, "unreadable", "The photo could not be normalized.");
	strip_fields(t[5]);
	t[5]->Type = VIPS_INTERPRETATION_sRGB;
	ctx->normalized = t[5];
	return 0;
}

static const LrParam params[] = {
	{ NULL },
};

const LrFilter lr_filter_normalize = {
	.name = "normalize",
	.summary = "orientation, colour profile to sRGB, 8-bit, metadata removed",
	.params = params,
	.process = normalize,
};
