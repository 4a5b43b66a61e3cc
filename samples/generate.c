/* generate.c: listready-samples, the command that writes the standard set of demo photos.
 *
 * Each sample is a phone-like JPEG (with its EXIF orientation and phone EXIF), the upright
 * ground-truth mask of the product as a PNG, and a line in truth.tsv saying what the pipeline
 * should decide about it and why. The set covers the happy paths (plain sheet, wooden table,
 * cluttered room, rotated phones, a tungsten bulb) and one photo per common fault (blur, darkness,
 * cut off, too few pixels), so that the demo, the end-to-end tests and the benchmarks all start
 * from the same known truth.
 */
#include "samples/synth.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	const char *name;
	int width, height; /* upright size at scale 1; 0 = the 12 MP frame of the orientation */
	gboolean portrait;
	gboolean fixed_size; /* ignores --scale */
	LrSynthProduct product;
	LrSynthBackground background;
	double product_size, centre_x, centre_y, blur_sigma, exposure, warmth;
	unsigned int seed;
	int orientation;
	gboolean gps;
	const char *status, *reasons;
} SampleDef;

/* The standard set. Blur is given at 12 MP and scaled with the picture. */
static const SampleDef sample_defs[] = {
    {"textile-sheet", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.74, 0.5, 0.5, 0, 1, 0,
     101, 1, TRUE, "accepted", "-"},
    {"bowl-wood", 0, 0, FALSE, FALSE, LR_SYNTH_BOWL, LR_SYNTH_WOOD, 0.72, 0.5, 0.52, 0, 1, 0, 202,
     1, FALSE, "accepted", "-"},
    /* A cluttered room behind a sharp product: the defocus prior tells the blurred room from the
     * product, so it is cut out like any other (issue 5). */
    {"textile-clutter", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_CLUTTER, 0.66, 0.5, 0.55, 0,
     1, 0, 303, 1, TRUE, "accepted", "-"},
    {"rotated-6", 0, 0, TRUE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.78, 0.5, 0.5, 0, 1, 0, 404,
     6, TRUE, "accepted", "-"},
    {"rotated-3", 0, 0, FALSE, FALSE, LR_SYNTH_BOWL, LR_SYNTH_SHEET, 0.7, 0.5, 0.5, 0, 1, 0, 505, 3,
     FALSE, "accepted", "-"},
    {"blurred", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.72, 0.5, 0.5, 12, 1, 0, 606,
     1, TRUE, "needs_review", "blur"},
    {"dark", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.72, 0.5, 0.5, 0, 0.12, 0, 707,
     1, FALSE, "needs_review", "underexposed"},
    {"cut-off", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.92, 0.84, 0.5, 0, 1, 0, 808,
     1, TRUE, "needs_review", "product_cut_off"},
    {"low-res", 640, 480, FALSE, TRUE, LR_SYNTH_BOWL, LR_SYNTH_SHEET, 0.66, 0.5, 0.5, 0, 1, 0, 909,
     1, FALSE, "needs_review", "low_resolution"},
    {"warm", 0, 0, FALSE, FALSE, LR_SYNTH_TEXTILE, LR_SYNTH_SHEET, 0.72, 0.5, 0.5, 0, 1, 0.6, 1010,
     1, TRUE, "accepted", "-"},
};

static const char *
sample_product_name(LrSynthProduct p)
{
	return p == LR_SYNTH_TEXTILE ? "textile" : "bowl";
}

static const char *
sample_background_name(LrSynthBackground b)
{
	return b == LR_SYNTH_SHEET ? "sheet" : (b == LR_SYNTH_WOOD ? "wood" : "clutter");
}

/* Renders and writes one sample into DIR at SCALE; appends its truth line to TRUTH. Returns 0, or
 * -1 with the vips error buffer set. */
static int
sample_write(const SampleDef *d, const char *dir, double scale, GString *truth)
{
	LrSynthSpec spec;
	VipsImage *image = NULL, *mask = NULL;
	char *jpg = g_strdup_printf("%s/%s.jpg", dir, d->name);
	char *png = g_strdup_printf("%s/%s.mask.png", dir, d->name);
	double s = d->fixed_size ? 1 : scale;
	int w = d->width ? d->width : (d->portrait ? 3024 : 4032);
	int h = d->height ? d->height : (d->portrait ? 4032 : 3024);
	gint64 start = g_get_monotonic_time(), rendered;
	int r = -1;

	lr_synth_spec_default(&spec, (int)lround(w * s), (int)lround(h * s));
	spec.product = d->product;
	spec.background = d->background;
	spec.product_size = d->product_size;
	spec.centre_x = d->centre_x;
	spec.centre_y = d->centre_y;
	spec.blur_sigma = d->blur_sigma * s;
	spec.exposure = d->exposure;
	spec.warmth = d->warmth;
	spec.noise_sigma = 1.5;
	spec.seed = d->seed;

	if (lr_synth_render(&spec, &image, &mask))
		goto done;
	rendered = g_get_monotonic_time();
	if (lr_synth_save_jpeg(image, d->orientation, d->gps, 92, jpg) ||
	    vips_pngsave(mask, png, NULL))
		goto done;
	g_string_append_printf(truth, "%s.jpg\t%d\t%s\t%s\t%s\t%s\n", d->name, d->orientation,
			       d->status, d->reasons, sample_product_name(d->product),
			       sample_background_name(d->background));
	printf("%s\t%dx%d\torientation %d\t%s\trendered in %.2f s, saved in %.2f s\n", jpg,
	       spec.width, spec.height, d->orientation, d->status, (rendered - start) / 1e6,
	       (g_get_monotonic_time() - rendered) / 1e6);
	printf("%s\n", png);
	r = 0;

done:
	VIPS_UNREF(image);
	VIPS_UNREF(mask);
	g_free(jpg);
	g_free(png);
	return r;
}

int
main(int argc, char **argv)
{
	char *out = NULL;
	double scale = 1;
	char **only = NULL;
	GOptionEntry entries[] = {
	    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
	     "Write the samples into DIR (created if missing)", "DIR"},
	    {"scale", 's', 0, G_OPTION_ARG_DOUBLE, &scale,
	     "Scale the 4032x3024 (12 MP) frame by S, e.g. 0.25 for quick tests (default 1)", "S"},
	    {"only", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only,
	     "Write only the sample NAME (may be repeated); truth.tsv then lists only those",
	     "NAME"},
	    {NULL}};
	GOptionContext *context;
	GError *error = NULL;
	GString *summary, *truth;
	char *truth_path = NULL;
	int status = 1, written = 0;

	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);

	context = g_option_context_new("- write listready's sample phone photos");
	summary = g_string_new(
	    "Writes the standard demo set: for each sample NAME, DIR/NAME.jpg (a phone-like "
	    "photo with EXIF\norientation, Make, Model, capture time and sometimes GPS), "
	    "DIR/NAME.mask.png (the upright\nground-truth product mask, 255 = product) and a line "
	    "of DIR/truth.tsv:\nfile, orientation, expected_status, expected_reasons (comma-separated; "
	    "\"-\" none,\n\"*\" any), product, background.\n\nSamples:");
	for (size_t i = 0; i < G_N_ELEMENTS(sample_defs); i++)
		g_string_append_printf(
		    summary, "\n  %-16s %s on %s, orientation %d: %s%s%s", sample_defs[i].name,
		    sample_product_name(sample_defs[i].product),
		    sample_background_name(sample_defs[i].background), sample_defs[i].orientation,
		    sample_defs[i].status, strcmp(sample_defs[i].reasons, "-") ? " " : "",
		    strcmp(sample_defs[i].reasons, "-") ? sample_defs[i].reasons : "");
	g_option_context_set_summary(context, summary->str);
	g_string_free(summary, TRUE);
	g_option_context_set_description(
	    context, "Everything is deterministic: the same options write the same pixels.\n"
		     "Exit status 0 when every sample was written, 1 otherwise.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "listready-samples: %s (try --help)\n", error->message);
		g_error_free(error);
		goto out;
	}
	if (!out || argc > 1) {
		fprintf(stderr, "listready-samples: %s (try --help)\n",
			!out ? "--out DIR is required" : "unexpected arguments");
		goto out;
	}
	if (!(scale > 0.01 && scale <= 4)) {
		fprintf(stderr, "listready-samples: --scale %g is out of range (0.01 .. 4)\n",
			scale);
		goto out;
	}
	for (char **o = only; o && *o; o++) {
		size_t i;

		for (i = 0; i < G_N_ELEMENTS(sample_defs) && strcmp(*o, sample_defs[i].name); i++)
			;
		if (i == G_N_ELEMENTS(sample_defs)) {
			fprintf(stderr, "listready-samples: no sample called '%s' (see --help)\n",
				*o);
			goto out;
		}
	}
	if (g_mkdir_with_parents(out, 0755)) {
		fprintf(stderr, "listready-samples: cannot create %s: %s\n", out,
			g_strerror(errno));
		goto out;
	}

	truth = g_string_new(
	    "file\torientation\texpected_status\texpected_reasons\tproduct\tbackground\n");
	status = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(sample_defs); i++) {
		if (only && !g_strv_contains((const char *const *)only, sample_defs[i].name))
			continue;
		if (sample_write(&sample_defs[i], out, scale, truth)) {
			fprintf(stderr, "listready-samples: %s: %s", sample_defs[i].name,
				vips_error_buffer());
			vips_error_clear();
			status = 1;
			continue;
		}
		written++;
	}
	truth_path = g_build_filename(out, "truth.tsv", NULL);
	if (written && !g_file_set_contents(truth_path, truth->str, truth->len, &error)) {
		fprintf(stderr, "listready-samples: %s\n", error->message);
		g_error_free(error);
		status = 1;
	} else if (written)
		printf("%s\n", truth_path);
	g_string_free(truth, TRUE);

out:
	g_free(truth_path);
	g_free(out);
	g_strfreev(only);
	g_option_context_free(context);
	vips_shutdown();
	return status;
}
