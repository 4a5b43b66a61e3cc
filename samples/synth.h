/* synth.h: phone-like product photos with known ground truth, for the demo, the tests and benchmarks.
 *
 * A scene is a product (a woven textile or a rounded craft object, or a set of several side by side,
 * optionally white) on a background (a plain sheet with uneven light and a soft shadow, a wooden table,
 * a cluttered room -- out of focus, with only its floor near the product sharp, or sharp throughout --,
 * a printed bedsheet, a white sheet), optionally degraded (defocus blur,
 * low exposure, tungsten cast, sensor noise, product cut off by the frame). Everything is deterministic
 * from the spec's seed. The mask is exact: it is the coverage the product was drawn with.
 */
#ifndef LR_SYNTH_H
#define LR_SYNTH_H

#include <vips/vips.h>

typedef enum {
	LR_SYNTH_TEXTILE, /* folded saree/stole: woven stripes and checks, a border band, thread texture */
	LR_SYNTH_BOWL     /* a rounded craft object: a glazed bowl/pot with shading and a painted band */
} LrSynthProduct;

typedef enum {
	LR_SYNTH_SHEET,  /* plain bedsheet, uneven light (vignette + gradient), soft contact shadow */
	LR_SYNTH_WOOD,   /* wooden table top with grain */
	LR_SYNTH_CLUTTER, /* a cluttered room: shapes of many colours, some out of focus */
	LR_SYNTH_PATTERN, /* printed bedsheet: repeating flowers, dots and lines, uneven light, shadow */
	LR_SYNTH_WHITE_SHEET /* a white sheet (for white-on-white), uneven light and a soft shadow */
} LrSynthBackground;

/* Where a cluttered room (LR_SYNTH_CLUTTER) is in focus. */
typedef enum {
	LR_SYNTH_FOCUS_PRODUCT, /* only the product: the whole room behind it evenly out of focus */
	LR_SYNTH_FOCUS_FLOOR,	/* the product and the floor it stands on, which goes out of focus with
				 * its distance from the product's plane; the wall behind is blurred */
	LR_SYNTH_FOCUS_ALL	/* everything sharp: no depth of field (a small sensor, a far shot) */
} LrSynthFocus;

typedef struct {
	int width, height;            /* upright size in pixels */
	LrSynthProduct product;
	LrSynthBackground background;
	double product_size;          /* product's longest side as a share of the frame's shorter side */
	double centre_x, centre_y;    /* product centre as a share of width/height (0.5 = centred) */
	double blur_sigma;            /* defocus blur, Gaussian sigma in pixels at this size (0 = sharp) */
	double exposure;              /* linear-light gain (1 = well exposed, 0.15 = far too dark) */
	double warmth;                /* tungsten colour cast, 0 = daylight, 1 = strong yellow bulb */
	double noise_sigma;           /* sensor noise, in 8-bit levels */
	unsigned int seed;
	/* Added later; 0 keeps every earlier scene rendering exactly as before. */
	int count;                    /* objects in the set, side by side (0 or 1: one) */
	gboolean white;               /* white/off-white product (kasavu cloth with its gold border,
				       * white-glazed bowl): with LR_SYNTH_WHITE_SHEET, white on white */
	gboolean fringe;              /* textile: a long fringe for certain (else the seed decides) */
	LrSynthFocus focus;           /* clutter: what is in focus besides the product */
} LrSynthSpec;

/* Fills SPEC with a sharp, well-exposed, centred textile on a sheet at WIDTH x HEIGHT. */
void lr_synth_spec_default(LrSynthSpec *spec, int width, int height);

/* Nominal area in pixels of SPEC's product before the frame clips it, for checking a mask against:
 * the cloth rectangle of a textile (its wavy outline, rounded corners and fringe are left out; they
 * change the area by a few per cent at most), the rim-and-body silhouette of a bowl; summed over the
 * objects of a set. */
double lr_synth_product_area(const LrSynthSpec *spec);

/* Renders SPEC. *IMAGE: sRGB, uchar, 3 bands, upright. *MASK: uchar, 1 band, same size, 255 where the
 * product is (anti-aliased at its edge). Both are new references owned by the caller, in memory.
 * Returns 0, or -1 with the vips error buffer set. */
int lr_synth_render(const LrSynthSpec *spec, VipsImage **image, VipsImage **mask);

/* Returns a new image whose pixels, once EXIF ORIENTATION (1..8) is applied, look like UPRIGHT: the
 * inverse of the orientation transform. The "orientation" metadata of the result is set to ORIENTATION.
 * Returns 0 or -1. */
int lr_synth_unorient(VipsImage *upright, int orientation, VipsImage **out);

/* Saves UPRIGHT as a JPEG of QUALITY at PATH, stored rotated/flipped with EXIF orientation ORIENTATION
 * (1..8) and phone-like EXIF (make, model, capture time; GPS coordinates when WITH_GPS), so that a
 * viewer that honours the orientation shows it upright. Returns 0 or -1. */
int lr_synth_save_jpeg(VipsImage *upright, int orientation, gboolean with_gps, int quality,
		       const char *path);

#endif
