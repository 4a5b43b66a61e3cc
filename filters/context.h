/* context.h: the per-image context that every stage reads and writes.
 *
 * One LrContext is one photo's trip through the pipeline. It owns every temporary image (they belong to
 * ctx->scope, a VipsObject that unrefs them all when the context is freed), carries the results of each
 * stage to the next, the timings, and the error: a stage that fails calls lr_context_fail() with a reason
 * code and a message and returns -1, and the pipeline records the outcome and goes on to the next photo.
 */
#ifndef LR_CONTEXT_H
#define LR_CONTEXT_H

#include <vips/vips.h>

typedef struct _LrProfile LrProfile;

typedef struct {
	int left, top, width, height;
} LrRect;

/* What the analyse stage measured. Sizes are in normalized (upright, full-size) pixels unless said. */
typedef struct {
	double sharpness;          /* 0 (blurred) .. 1 (sharp), on the product at a fixed analysis scale */
	double brightness;         /* mean luma of the whole photo, 0..1 */
	double highlight;          /* 99th percentile of each pixel's brightest channel over the whole
				      photo, 0..1: how bright the brightest part is */
	double clipped_highlights; /* share of product pixels with a channel at or above clip_level, at
				      the view's size */
	double clipped_shadows;    /* share of product pixels crushed black */
	double noise;              /* estimated noise sigma in 8-bit levels (flat regions) */
	double contrast;           /* standard deviation of luma on the product, 0..1 */
	double colour_cast;        /* chroma (Lab) of a light background's mean colour; 0 on a dark or
				    * coloured one, where a cast cannot be told from the scene */
	double product_pixels;     /* longest side of the product box in source pixels */
	double fill;               /* product box area as a share of the frame */
	double edge_contact;       /* share of the product box's perimeter lying on the frame edge */
	double mask_confidence;    /* the segmentation's confidence, 0..1 */
	double motion;             /* spread of the directional re-blur ratios (largest - smallest), 0..1:
				    * high when the blur runs one way (a shake), low for defocus */
	double product_brightness; /* mean luma of the product, 0..1 */
	double blockiness;         /* JPEG 8x8 block-boundary step excess of the source, relative */
	double background_chroma;  /* chroma (Lab) of the background's mean colour */
	double background_lightness; /* L* of the background's mean colour */
} LrMetrics;

/* One encoded rendition, held in memory until the store writes it. */
typedef struct {
	char *name;   /* "2000" */
	char *format; /* "jpeg", "webp" */
	int width, height;
	void *data;
	size_t length;
	char *path;   /* where it was written, when it was */
} LrRendition;

/* One reason a photo needs a person; message and advice come from the reason texts by code. */
typedef struct {
	const char *code;
	double value;     /* the measured value that triggered it */
	double threshold; /* the profile's threshold it crossed */
} LrReason;

/* One named sub-score for the report. */
typedef struct {
	const char *name;
	double score;     /* 0..1, 1 = good */
	double raw;       /* the measured value */
	double threshold; /* the raw value at which the profile flags it */
	gboolean informative; /* shown only: never a reason, not in the composite (decide.c) */
} LrScore;

/* What normalize did to the light: the white-balance estimate and the gains it applied (or why it left
 * the photo alone), and the exposure gain. Gains are in linear light, per channel R, G, B. */
typedef struct {
	double illuminant[3];   /* estimated colour of the light, linear RGB, G = 1 */
	double cast_mired;      /* estimated colour temperature of the light, in mireds (1e6 / kelvin) */
	double cast_shift;      /* its distance from daylight (D65, 154 mired), in mireds; > 0 = warm */
	double cast_angle;      /* degrees between the cast and the daylight-tungsten line */
	double neutral_share;   /* share of the photo that looks neutral under the estimated light */
	double cast_disagreement; /* log-chromaticity distance to the brightest 3%'s colour (-1: none) */
	gboolean wb_applied;
	const char *wb_note;    /* why it was or was not applied: "small", "colourful", ... */
	double wb_gain[3];      /* white-balance gains applied (1 when not) */
	double exposure_gain;   /* exposure gain applied (1 when not) */
	const char *exposure_note;
} LrLight;

#define LR_MAX_TIMINGS 32

typedef struct _LrContext {
	VipsObject *scope;      /* parent of every temporary image of this photo */
	const LrProfile *profile;

	/* Input, set by the loader. */
	char *path;
	char *format;           /* "jpeg", "heif", "png", "webp", "gif", "tiff" */
	int source_width, source_height; /* as stored, before orientation */
	char *icc;              /* description of the embedded ICC profile, NULL if none */
	int orientation;        /* EXIF orientation found (1..8; invalid values count as 1) */
	int width, height;      /* upright size in source pixels (the stored size, turned) */
	VipsImage *image;       /* decoded image, as stored (not turned), in memory; owned by the
				   context (not its scope). Decoded at image_scale of the source's size:
				   1, or 1/2, 1/4, 1/8 when a large JPEG was decoded with shrink-on-load */
	double image_scale;
	VipsImage *reduced;     /* ctx->image reduced to the view's scale as it was decoded (a JPEG's
				   rows go to the resampler while they are in the cache), or NULL;
				   owned by the context until normalize takes it for the view */
	GBytes *encoded;        /* the file's bytes, kept while a larger decode may still be needed
				   (lr_load_develop); NULL when ctx->image is at full size */

	/* normalize */
	VipsImage *normalized;  /* ctx->image upright, sRGB, uchar, 3 bands, light corrected; a lazy
				   image, computed where read (stages read areas of it through
				   lr_normalize_area()); owned by the context, remade when ctx->image is */
	VipsImage *light_lut;   /* the light correction as a 256-entry, 3-band uchar lookup table, or
				   NULL when there is none */
	VipsImage *view;        /* the whole photo normalized at view_size on its longest side, memory */

	/* analyse */
	VipsImage *analysis;    /* normalized at the analysis scale, in memory */
	VipsImage *mask_small;  /* uchar product mask at the analysis scale, 255 = product */
	VipsImage *mask_guided; /* its guided filter's coefficients (lr_segment_guided), made by the
				   first lr_mask_area, or NULL */
	LrRect box;             /* product box in upright source pixels */
	LrMetrics metrics;

	/* compose */
	VipsImage *composed;    /* the master: framed product on the profile background, at the
				   largest rendition's size (never above the source's resolution) */
	gboolean background_replaced;
	gboolean release_source; /* compose lets the decoded photo go once it has read it: set where
				    nothing later asks for it (the store's path; not explain --dump) */

	/* renditions */
	GPtrArray *renditions;  /* of LrRendition* */

	/* decide */
	const char *status;     /* "accepted", "needs_review", "quarantined" */
	GArray *reasons;        /* of LrReason */
	GArray *scores;         /* of LrScore */
	double score;           /* composite 0..1 */

	/* timings: name and milliseconds of each step run */
	const char *timing_names[LR_MAX_TIMINGS];
	double timing_ms[LR_MAX_TIMINGS];
	int n_timings;

	/* failure */
	const char *error_code; /* a quarantine reason code, or "internal" */
	char *error;            /* a message a curator understands */

	/* normalize: the light correction, for the report */
	LrLight light;
} LrContext;

/* Creates the context for the photo at PATH processed with PROFILE (borrowed, must outlive it). */
LrContext *lr_context_new(const char *path, const LrProfile *profile);

/* Frees CTX and every image it owns. Accepts NULL. */
void lr_context_free(LrContext *ctx);

/* Records a failure: CODE is a reason code ("truncated", "unreadable", ..., or "internal"), FORMAT a
 * printf message. Any libvips error text is appended to the log (not the message) and cleared. Returns -1
 * so that a stage can `return lr_context_fail(...)`. The first failure wins. */
int lr_context_fail(LrContext *ctx, const char *code, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* Lets go of the decoded photo and everything made from it at full size (image, normalized, encoded),
 * when CTX->release_source says nothing will read them again. */
void lr_context_release_source(LrContext *ctx);

/* Drops every image CTX holds (the decoded photo, the view, the analysis copy, the masks, the master
 * and the stages' temporaries), keeping what was measured and decided and the encoded renditions: for
 * an outcome that waits to be recorded. The report then reads as if no stage had made an image. */
void lr_context_drop_images(LrContext *ctx);

/* Makes IMAGE (a new reference) belong to CTX's scope and returns it: it is unreffed with the context. */
VipsImage *lr_context_own(LrContext *ctx, VipsImage *image);

/* Adds a reason to CTX. */
void lr_context_add_reason(LrContext *ctx, const char *code, double value, double threshold);

/* Adds a timing entry. */
void lr_context_time(LrContext *ctx, const char *name, double ms);

/* Adds a timing entry NAME for the time since *START (monotonic microseconds) and restarts the clock:
 * the steps within a stage. */
void lr_context_lap(LrContext *ctx, const char *name, gint64 *start);

#endif
