/* filter.h: the one interface every image stage implements, and the table that orders them.
 *
 * A stage is one file in filters/ exporting one const LrFilter: its name, its numeric parameters declared
 * once (name, help, range, default) and a process function over the per-image context. The values of the
 * parameters come from the profile's group named after the stage; a value the profile leaves out takes
 * the declared default, and one outside the declared range makes the profile invalid. Stages never choose
 * their own place: the order is lr_filter_order, in order.c.
 */
#ifndef LR_FILTER_H
#define LR_FILTER_H

#include "filters/context.h"

/* One numeric parameter of a stage. */
typedef struct {
	const char *name;
	const char *help;
	double min, max, def;
} LrParam;

typedef struct {
	const char *name;      /* "normalize", "analyse", ... : also the profile group of its params */
	const char *summary;   /* one line for --help and the report */
	const LrParam *params; /* terminated by an entry whose name is NULL */
	/* Runs the stage on CTX. Returns 0, or -1 with lr_context_fail() called. */
	int (*process)(LrContext *ctx);
} LrFilter;

/* The stages in the order they run, NULL-terminated. */
extern const LrFilter *const lr_filter_order[];

/* The stage called NAME, or NULL. */
const LrFilter *lr_filter_find(const char *name);

/* The declared parameter NAME of FILTER, or NULL. */
const LrParam *lr_filter_param_spec(const LrFilter *filter, const char *name);

/* The value of FILTER's parameter NAME for CTX's profile (the declared default when the profile does not
 * set it). NAME must be declared by FILTER: asking for an undeclared one is a programming error. */
double lr_param(const LrContext *ctx, const LrFilter *filter, const char *name);

#endif
