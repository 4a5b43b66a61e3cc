/* report.h: the JSON report printed for each photo (the public contract in DESIGN.md). */
#ifndef LR_REPORT_H
#define LR_REPORT_H

#include "pipeline/run.h"

/* The one-line JSON object for OUT: file, id, status, reasons, scores, renditions, orientation, source;
 * with DETAIL also metrics (raw value, threshold, sub-score), the product box, timings and the exif
 * summary (for explain). LANG picks the reason texts' language (NULL = English). Caller frees. */
char *lr_report_json(const LrOutcome *out, gboolean detail, const char *lang);

/* The reasons of OUT as a JSON array (caller frees), as stored in the catalog. */
char *lr_report_reasons_json(const LrOutcome *out, const char *lang);

/* The reasons of OUT in one line for people: codes, "duplicate of #N", or the quarantine message
 * (caller frees; "" when there are none). */
char *lr_report_reason_codes(const LrOutcome *out);

/* The sub-scores of OUT as a JSON object (caller frees), as stored in the catalog. */
char *lr_report_scores_json(const LrOutcome *out);

#endif
