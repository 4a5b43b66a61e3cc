/* labelset.h: a labelled set of generated product photos with degradations of known severity.
 *
 * The scorer is fitted and evaluated on it (listready-fit, listready-evaluate, tests/filters/
 * test_scorer.c). Every photo is a scene from samples/synth.h — a textile or a bowl on a sheet or a
 * wooden table, varied deterministically by its index — with one fault of a given kind and strength.
 * Severities are stated at the scale a shopper sees: blur and shake in pixels at a 1024 px view of the
 * product, noise in 8-bit levels as the pipeline reads it at the 2000 px view (the noise added at the
 * frame's own pixels is scaled by a factor measured on the pipeline's reduction to that view), so the
 * same label means the same visible fault whatever the frame's resolution; overexposure as the share of the product clipped at that 2000 px
 * view; heavy JPEG compression as the quality the phone's photo was saved again at. Degradations
 * the generator does not do (shake, strong casts, recompression) are applied to the rendered photo
 * here; samples/synth.c is not changed.
 */
#ifndef LR_LABELSET_H
#define LR_LABELSET_H

#include <glib.h>
#include <vips/vips.h>

/* The kinds of photo in the set, in the order they are written. */
typedef enum {
	LR_LABEL_CLEAN,
	LR_LABEL_BLUR,
	LR_LABEL_MOTION,
	LR_LABEL_DARK,
	LR_LABEL_BRIGHT,
	LR_LABEL_NOISY,
	LR_LABEL_CAST,
	LR_LABEL_LOW_RES,
	LR_LABEL_CUT_OFF,
	LR_LABEL_TINY,
	LR_LABEL_COMPRESSED,
	LR_LABEL_N_KINDS
} LrLabelKind;

/* The name of KIND ("clean", "blur", ...), as written in labels.tsv. */
const char *lr_label_kind_name(LrLabelKind kind);

/* What one photo of the set is and what the scorer should say about it. */
typedef struct {
	char file[64];        /* e.g. "blur-003.jpg" */
	LrLabelKind kind;
	const char *status;   /* "accepted" or "needs_review" */
	char reasons[96];     /* expected reason codes, comma-separated; "-" for none */
	char severity[64];    /* the fault's strength in words, e.g. "defocus 6 px at 1024" */
} LrLabel;

/* Renders photo INDEX of KIND at a 4:3 frame of about MEGAPIXELS, for a profile whose product line is
 * MIN_PRODUCT_PIXELS. *IMAGE (sRGB uchar, new reference) and LABEL are filled; *QUALITY is the JPEG
 * quality to save it at. Deterministic. Returns 0 or -1 with the vips error buffer set. */
int lr_labelset_render(LrLabelKind kind, int index, double megapixels, double min_product_pixels,
		       VipsImage **image, int *quality, LrLabel *label);

/* Writes N_CLEAN clean photos and N_EACH of every other kind into DIR (created if missing) as JPEGs,
 * with DIR/labels.tsv (file, status, reasons, kind, severity). Returns the number of photos written,
 * or -1 with ERROR set. */
int lr_labelset_write(const char *dir, int n_clean, int n_each, double megapixels,
		      double min_product_pixels, GError **error);

/* The same with COUNTS[kind] photos of each kind (0: none of it). */
int lr_labelset_write_kinds(const char *dir, const int counts[LR_LABEL_N_KINDS], double megapixels,
			    double min_product_pixels, GError **error);

#endif
