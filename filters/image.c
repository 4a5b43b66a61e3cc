/* image.c: memory images whose pixels the caller sets itself (see image.h). */
#include "filters/image.h"

static void
free_pixels(VipsImage *image, gpointer pixels)
{
	(void)image;
	g_free(pixels);
}

VipsImage *
lr_image_new_unset(VipsImage *like, int width, int height, int bands, VipsBandFormat format,
		   VipsInterpretation type)
{
	size_t size = (size_t)width * height * bands * vips_format_sizeof(format);
	void *pixels = g_try_malloc(MAX(size, 1));
	if (!pixels) {
		vips_error("lr_image_new_unset", "out of memory for %d x %d x %d", width, height, bands);
		return NULL;
	}
	VipsImage *image = vips_image_new_from_memory(pixels, size, width, height, bands, format);
	if (!image) {
		g_free(pixels);
		return NULL;
	}
	g_signal_connect(image, "postclose", G_CALLBACK(free_pixels), pixels);
	if (like && vips_image_pipelinev(image, VIPS_DEMAND_STYLE_ANY, like, NULL)) {
		g_object_unref(image);
		return NULL;
	}
	vips_image_init_fields(image, width, height, bands, format, VIPS_CODING_NONE, type,
			       like ? like->Xres : 1.0, like ? like->Yres : 1.0);
	return image;
}

/* IN's pixels computed into OUT (a memory image of IN's size and pixel) by the calling thread, in
 * strips of full rows about STRIP_BYTES each, each computed straight into OUT's memory. */
#define STRIP_BYTES (256 * 1024)
static int
compute_into(VipsImage *in, VipsImage *out)
{
	VipsRegion *from = vips_region_new(in), *to = vips_region_new(out);
	size_t line = VIPS_IMAGE_SIZEOF_LINE(in);
	int rows = (int)MAX(1, STRIP_BYTES / MAX(line, 1));
	int err = 0;
	for (int y = 0; !err && y < in->Ysize; y += rows) {
		VipsRect strip = { 0, y, in->Xsize, MIN(rows, in->Ysize - y) };
		err = vips_region_image(to, &strip) || vips_region_prepare_to(from, to, &strip, 0, y);
	}
	g_object_unref(from);
	g_object_unref(to);
	return err ? -1 : 0;
}

VipsImage *
lr_image_copy_memory(VipsImage *in)
{
	if (in->dtype == VIPS_IMAGE_SETBUF || in->dtype == VIPS_IMAGE_SETBUF_FOREIGN ||
	    in->dtype == VIPS_IMAGE_MMAPIN || in->dtype == VIPS_IMAGE_MMAPINRW ||
	    in->Coding != VIPS_CODING_NONE)
		return vips_image_copy_memory(in);
	VipsImage *out = lr_image_new_unset(in, in->Xsize, in->Ysize, in->Bands, in->BandFmt, in->Type);
	if (out && compute_into(in, out))
		g_clear_object(&out);
	return out;
}
