/* resample.c: downscaling in linear light (see resample.h). */
#include "filters/resample.h"

#include <math.h>

static guint16 to_linear[256];
static guchar to_srgb[65536];
static VipsImage *lut_linear, *lut_srgb; /* the same tables as libvips images, for vips_maplut */

static void
tables_init(void)
{
	static gsize once;
	if (!g_once_init_enter(&once))
		return;
	for (int v = 0; v < 256; v++) {
		double c = v / 255.0;
		c = c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
		to_linear[v] = (guint16)lround(65535 * c);
	}
	for (int v = 0; v < 65536; v++) {
		double c = v / 65535.0;
		c = c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055;
		to_srgb[v] = (guchar)lround(255 * CLAMP(c, 0, 1));
	}
	lut_linear = vips_image_new_from_memory(to_linear, sizeof(to_linear), 256, 1, 1,
						VIPS_FORMAT_USHORT);
	lut_srgb = vips_image_new_from_memory(to_srgb, sizeof(to_srgb), 65536, 1, 1,
					      VIPS_FORMAT_UCHAR);
	g_once_init_leave(&once, 1);
}

/* RGB: through the tables around libvips's resize, all lazily, into memory at the end. */
static int
resample_rgb(VipsImage *in, double scale, VipsImage **out)
{
	VipsImage *t[3] = { NULL, NULL, NULL };
	int err = vips_maplut(in, &t[0], lut_linear, NULL) ||
		  vips_resize(t[0], &t[1], scale, "kernel", VIPS_KERNEL_LANCZOS3, NULL) ||
		  vips_maplut(t[1], &t[2], lut_srgb, NULL) || !(*out = vips_image_copy_memory(t[2]));
	for (int i = 0; i < 3; i++)
		VIPS_UNREF(t[i]);
	return err ? -1 : 0;
}

/* RGBA: premultiplied 16-bit linear light, made and undone in C. */
static int
resample_rgba(VipsImage *in, double scale, VipsImage **out)
{
	VipsImage *src = vips_image_copy_memory(in), *wrap = NULL, *small = NULL, *done = NULL;
	int w = in->Xsize, h = in->Ysize, err = -1;
	guint16 *pre = NULL;

	if (!src)
		return -1;
	pre = g_new(guint16, (size_t)w * h * 4);
	for (int y = 0; y < h; y++) {
		const guchar *p = VIPS_IMAGE_ADDR(src, 0, y);
		guint16 *q = pre + (size_t)y * w * 4;
		for (int x = 0; x < w; x++, p += 4, q += 4) {
			for (int c = 0; c < 3; c++)
				q[c] = (guint16)((to_linear[p[c]] * p[3] + 127) / 255);
			q[3] = (guint16)(p[3] * 257);
		}
	}
	wrap = vips_image_new_from_memory(pre, (size_t)w * h * 4 * sizeof(guint16), w, h, 4,
					  VIPS_FORMAT_USHORT);
	if (wrap && !vips_resize(wrap, &small, scale, "kernel", VIPS_KERNEL_LANCZOS3, NULL) &&
	    (done = vips_image_copy_memory(small))) {
		*out = vips_image_new_memory();
		vips_image_init_fields(*out, done->Xsize, done->Ysize, 4, VIPS_FORMAT_UCHAR,
				       VIPS_CODING_NONE, VIPS_INTERPRETATION_sRGB, 1.0, 1.0);
		if (vips_image_write_prepare(*out))
			VIPS_UNREF(*out);
		else {
			for (int y = 0; y < done->Ysize; y++) {
				const guint16 *p = (const guint16 *)VIPS_IMAGE_ADDR(done, 0, y);
				guchar *q = VIPS_IMAGE_ADDR(*out, 0, y);
				for (int x = 0; x < done->Xsize; x++, p += 4, q += 4) {
					guint a = p[3];
					for (int c = 0; c < 3; c++)
						q[c] = a ? to_srgb[MIN(65535u, (p[c] * 65535u + a / 2) / a)]
							 : 255; /* transparent: white, as compose makes it */
					q[3] = (guchar)((a + 128) / 257);
				}
			}
			err = 0;
		}
	}
	VIPS_UNREF(wrap);
	VIPS_UNREF(small);
	VIPS_UNREF(done);
	g_object_unref(src);
	g_free(pre);
	return err;
}

int
lr_resample_linear(VipsImage *in, double scale, VipsImage **out)
{
	*out = NULL;
	if (in->BandFmt != VIPS_FORMAT_UCHAR || (in->Bands != 3 && in->Bands != 4)) {
		vips_error("lr_resample_linear", "expects uchar sRGB with 3 or 4 bands");
		return -1;
	}
	tables_init();
	if (scale >= 1)
		return (*out = vips_image_copy_memory(in)) ? 0 : -1;
	int err = in->Bands == 4 ? resample_rgba(in, scale, out) : resample_rgb(in, scale, out);
	if (!err)
		(*out)->Type = VIPS_INTERPRETATION_sRGB;
	return err;
}
