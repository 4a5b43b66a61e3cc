/* run.c: one photo's trip through listready (see run.h).
 *
 * The order is: read the bytes once (they are what is hashed, kept and decoded, so a file changing
 * underneath cannot make them disagree), look the hash up, decode, keep the original, run the stages,
 * write the renditions, then record everything in one transaction. A photo that fails anywhere before
 * the record is quarantined with the failing step's reason; only a failure of the store itself is an
 * error of the run.
 */
#include "pipeline/run.h"
#include "filters/area.h"
#include "filters/decide.h"
#include "filters/filter.h"
#include "pipeline/fsutil.h"
#include "pipeline/load.h"
#include "pipeline/phash.h"
#include "pipeline/report.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int
lr_run_stages(LrContext *ctx)
{
	for (int i = 0; lr_filter_order[i]; i++) {
		const LrFilter *filter = lr_filter_order[i];
		gint64 start = g_get_monotonic_time();
		int err = filter->process(ctx);
		lr_context_time(ctx, filter->name, (g_get_monotonic_time() - start) / 1000.0);
		if (err)
			return -1;
	}
	return 0;
}

/* Extension for the kept original: from the sniffed format, else from the name. */
static const char *
original_extension(const LrContext *ctx)
{
	static const char *const known[][2] = { { "jpeg", "jpg" }, { "png", "png" },
						{ "webp", "webp" }, { "heif", "heic" },
						{ "avif", "avif" }, { "gif", "gif" },
						{ "tiff", "tif" } };
	for (guint i = 0; ctx->format && i < G_N_ELEMENTS(known); i++)
		if (!strcmp(ctx->format, known[i][0]))
			return known[i][1];
	return "bin";
}

static void
read_exif(LrOutcome *out)
{
	const void *data;
	size_t length;
	VipsImage *image = out->ctx->image;
	if (image && vips_image_get_typeof(image, VIPS_META_EXIF_NAME) &&
	    !vips_image_get_blob(image, VIPS_META_EXIF_NAME, &data, &length))
		lr_exif_summary_parse(data, length, &out->exif);
}

/* Inserts OUT's row with the N rendition ROWS already written. Returns the id, or 0 with ERROR. */
static gint64
insert_row(LrStore *store, const LrOutcome *out, const LrRenditionRow *rows, int n, GError **error)
{
	const LrContext *ctx = out->ctx;
	g_autofree char *reasons = lr_report_reasons_json(out, NULL);
	g_autofree char *scores = lr_report_scores_json(out);
	g_autofree char *name = g_path_get_basename(out->source.name);
	LrImageRow row = {
		.sha256 = out->sha256,
		.original_name = name,
		.original_path = out->original_path,
		.original_bytes = out->bytes,
		.source_format = ctx->format,
		.source_width = ctx->source_width,
		.source_height = ctx->source_height,
		.profile = ctx->profile->name,
		.pipeline_version = LR_PIPELINE_VERSION,
		.status = out->status,
		.duplicate_of = out->duplicate_of,
		.score = ctx->score,
		.reasons_json = reasons,
		.scores_json = scores,
		.capture_time = out->exif.capture_time,
		.camera_make = out->exif.make,
		.camera_model = out->exif.model,
		.has_gps = out->exif.has_gps,
		.orientation = ctx->orientation,
		.artisan = out->source.artisan,
		.sku = out->source.sku,
		.title = out->source.title,
		.phash = out->phash,
		.has_phash = out->has_phash,
		.job_id = out->source.job_id,
	};
	return lr_store_add_image(store, &row, rows, n, error);
}

/* Writes OUT's renditions and records it in STORE; sets out->id. Returns 0 or -1 (ctx->error set). */
static int
record(LrStore *store, LrOutcome *out)
{
	LrContext *ctx = out->ctx;
	GError *error = NULL;
	int n = ctx->renditions->len;
	LrRenditionRow *rows = g_new0(LrRenditionRow, MAX(n, 1));
	char **shas = g_new0(char *, n + 1);
	char **paths = g_new0(char *, n + 1);
	int i;

	for (i = 0; i < n; i++) {
		LrRendition *r = g_ptr_array_index(ctx->renditions, i);
		const char *ext = !strcmp(r->format, "jpeg") ? "jpg" : r->format;
		paths[i] = lr_store_put_file(store, "renditions", r->data, r->length, ext, &shas[i],
					     &error);
		if (!paths[i])
			break;
		r->path = lr_store_path(store, paths[i]);
		rows[i] = (LrRenditionRow){ r->name,  r->format, r->width, r->height,
					    (gint64)r->length, shas[i], paths[i] };
	}
	if (i == n)
		out->id = insert_row(store, out, rows, n, &error);
	if (out->id <= 0) {
		/* A store failure replaces whatever the photo's own outcome was. */
		g_clear_pointer(&ctx->error, g_free);
		lr_context_fail(ctx, "internal", "The store failed: %s",
				error ? error->message : "unknown error");
	}
	g_clear_error(&error);
	g_strfreev(shas);
	g_strfreev(paths);
	g_free(rows);
	return out->id > 0 ? 0 : -1;
}

/* Applies the answer of a duplicate look-up: FIRST < 0 is a store failure (ERROR set, consumed),
 * FIRST > 0 the image this photo duplicates. Returns -1, 1 for a duplicate, 0 otherwise. */
static int
apply_duplicate(LrOutcome *out, gint64 first, GError *error)
{
	if (first < 0) {
		lr_context_fail(out->ctx, "internal", "The store failed: %s", error->message);
		g_error_free(error);
		return -1;
	}
	if (first == 0)
		return 0;
	out->status = "duplicate";
	out->duplicate_of = first;
	g_ptr_array_set_size(out->ctx->renditions, 0);
	return 1;
}

/* OUT's perceptual hash, of the analysis copy: taken with the stages, while the copy is at hand, and
 * looked up when the outcome is recorded. */
static void
hash_outcome(LrOutcome *out)
{
	if (!out->ctx->analysis || lr_phash(out->ctx->analysis, &out->phash)) {
		vips_error_clear();
		return; /* no hash, no near-duplicate check: not a reason to fail the photo */
	}
	out->has_phash = TRUE;
}

/* Near-identical to an earlier photo of the same product: then it is a duplicate of that one. The
 * distance to the nearest earlier photo of the product is its near_duplicate sub-score. */
static int
check_near_duplicate(LrStore *store, LrOutcome *out)
{
	LrContext *ctx = out->ctx;
	GError *error = NULL;
	if (!out->has_phash)
		return 0;
	int nearest;
	gint64 first = lr_store_find_similar(store, out->phash, out->source.artisan,
					     out->source.sku, lr_decide_duplicate_bits(ctx),
					     &nearest, &error);
	if (nearest >= 0)
		lr_decide_near_duplicate(ctx, nearest);
	return apply_duplicate(out, first, error) < 0 ? -1 : 0;
}

/* The common path of lr_process_file() and lr_process_job() up to what the store is told: PATH holds
 * the bytes. Returns 1 when OUT is to be recorded (lr_process_record), 0 when it is complete without
 * a store (explain), -1 when the photo reached no definite outcome. */
static int
prepare(LrStore *store, const LrProfile *profile, const LrSource *source, const char *path,
	LrOutcome *out)
{
	memset(out, 0, sizeof(*out));
	out->source = *source;
	out->file = g_strdup(source->name);
	out->original_path = g_strdup(source->original_path);
	out->ctx = lr_context_new(path, profile);
	LrContext *ctx = out->ctx;
	ctx->release_source = store != NULL; /* explain (no store) may still --dump the source */
	g_autofree char *data = NULL;
	gsize length = 0;
	GError *error = NULL;
	struct stat st;
	gint64 start = g_get_monotonic_time();
	double max_bytes = lr_profile_double(profile, "limits", "max_file_bytes", 200 << 20);

	out->status = "quarantined";
	if (stat(path, &st) || !S_ISREG(st.st_mode)) {
		/* Nothing to keep, so no definite outcome: the caller reports a failure. */
		lr_context_fail(ctx, "unreadable", "The file cannot be opened: %s.",
				errno ? g_strerror(errno) : "not a regular file");
		return -1;
	}
	out->bytes = st.st_size;
	if (st.st_size > max_bytes) {
		lr_context_fail(ctx, "file_too_large", "The file is %.1f MB; the limit is %.1f MB.",
				st.st_size / 1e6, max_bytes / 1e6);
		return store ? 1 : 0;
	}
	if (!g_file_get_contents(path, &data, &length, &error)) {
		lr_context_fail(ctx, "unreadable", "The file cannot be read: %s.", error->message);
		g_error_free(error);
		return -1;
	}
	out->bytes = length;
	/* An inbox job's original was hashed as the daemon kept it, and is kept under that hash. */
	out->sha256 = source->sha256 ? g_strdup(source->sha256) : lr_sha256_hex(data, length);

	if (store) {
		int dup = apply_duplicate(out, lr_store_find_sha256(store, out->sha256, &error), error);
		if (dup)
			return dup < 0 ? -1 : 1;
	}

	int loaded = lr_load_bytes(ctx, data, length);
	lr_context_time(ctx, "load", (g_get_monotonic_time() - start) / 1000.0);
	read_exif(out);
	if (store && !out->original_path) {
		/* The original is kept whatever happens next, byte-identical. */
		out->original_path = lr_store_put_file(store, "originals", data, length,
						       original_extension(ctx), NULL, &error);
		if (!out->original_path) {
			lr_context_fail(ctx, "internal", "The store failed: %s", error->message);
			g_error_free(error);
			return -1;
		}
	}
	g_clear_pointer(&data, g_free);

	if (!loaded && !lr_run_stages(ctx))
		out->status = ctx->status;
	else
		out->status = "quarantined";
	if (!store)
		return 0;
	if (!strcmp(out->status, "quarantined"))
		g_ptr_array_set_size(ctx->renditions, 0); /* no half-made renditions */
	else
		hash_outcome(out);
	return 1;
}

int
lr_process_record(LrStore *store, LrOutcome *out)
{
	gboolean judged = !strcmp(out->status, "accepted") || !strcmp(out->status, "needs_review");
	if (judged && check_near_duplicate(store, out))
		return -1;
	return record(store, out);
}

/* prepare(), then the record when there is one to make. */
static int
process_path(LrStore *store, const LrProfile *profile, const LrSource *source, const char *path,
	     LrOutcome *out)
{
	int prepared = prepare(store, profile, source, path, out);
	return prepared > 0 ? lr_process_record(store, out) : prepared;
}

int
lr_process_file(LrStore *store, const LrProfile *profile, const char *path, LrOutcome *out)
{
	LrSource source = { .name = path };
	return process_path(store, profile, &source, path, out);
}

/* The source of an inbox JOB. */
static LrSource
job_source(const LrJob *job)
{
	return (LrSource){ .name = job->inbox_path,
			   .original_path = job->original_path,
			   .sha256 = job->sha256,
			   .artisan = job->artisan,
			   .sku = job->sku,
			   .title = job->title,
			   .job_id = job->id };
}

int
lr_process_job_prepare(LrStore *store, const LrProfile *profile, const LrJob *job, LrOutcome *out)
{
	LrSource source = job_source(job);
	g_autofree char *path = lr_store_path(store, job->original_path);
	return prepare(store, profile, &source, path, out) > 0 ? 0 : -1;
}

int
lr_process_job(LrStore *store, const LrProfile *profile, const LrJob *job, LrOutcome *out)
{
	return lr_process_job_prepare(store, profile, job, out) ? -1 : lr_process_record(store, out);
}

int
lr_record_failed_job(LrStore *store, const LrProfile *profile, const LrJob *job, LrOutcome *out)
{
	memset(out, 0, sizeof(*out));
	out->source = job_source(job);
	out->file = g_strdup(job->inbox_path);
	out->original_path = g_strdup(job->original_path);
	out->ctx = lr_context_new(job->inbox_path, profile);
	out->sha256 = g_strdup(job->sha256);
	out->bytes = job->bytes;
	out->status = "quarantined";
	/* A file that stops the pipeline every time (a decoder crash, say) is unreadable to us. */
	lr_context_fail(out->ctx, "unreadable",
			"listready stopped %d times while processing this file (last: %s).",
			job->attempts - 1, job->last_error ? job->last_error : "unknown");
	return record(store, out);
}

void
lr_outcome_clear(LrOutcome *out)
{
	lr_context_free(out->ctx);
	lr_exif_summary_clear(&out->exif);
	g_free(out->file);
	g_free(out->sha256);
	g_free(out->original_path);
	memset(out, 0, sizeof(*out));
}

static int
dump_png(VipsImage *image, const char *dir, const char *name, GError **error)
{
	void *buf;
	size_t len;
	if (!image) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no %s image: the stage did not run",
			    name);
		return -1;
	}
	if (vips_pngsave_buffer(image, &buf, &len, "compression", 3, "strip", TRUE, NULL)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", name,
			    vips_error_buffer());
		vips_error_clear();
		return -1;
	}
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int err = lr_write_file_atomic(path, buf, len, error);
	g_free(buf);
	return err;
}

int
lr_full_size_images(LrContext *ctx, VipsImage **normalized, VipsImage **mask)
{
	LrPlacement at;
	*normalized = *mask = NULL;
	if (lr_load_develop(ctx, 1.0) ||
	    lr_normalize_area(ctx, NULL, 1.0, FALSE, normalized, &at) ||
	    (ctx->mask_small && lr_mask_area(ctx, *normalized, &at, mask))) {
		VIPS_UNREF(*normalized);
		return -1;
	}
	return 0;
}

int
lr_dump_stages(const LrOutcome *out, const char *dir, GError **error)
{
	LrContext *ctx = out->ctx;
	VipsImage *normalized = NULL, *mask = NULL;
	int err = -1;
	if (g_mkdir_with_parents(dir, 0755)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dir,
			    g_strerror(errno));
		return -1;
	}
	if (ctx->normalized && lr_full_size_images(ctx, &normalized, &mask)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the stage images: %s",
			    ctx->error ? ctx->error : vips_error_buffer());
		vips_error_clear();
	} else if (!dump_png(normalized, dir, "normalized.png", error) &&
		   !dump_png(mask, dir, "mask.png", error) &&
		   !dump_png(ctx->composed, dir, "final.png", error))
		err = 0;
	VIPS_UNREF(normalized);
	VIPS_UNREF(mask);
	return err;
}
