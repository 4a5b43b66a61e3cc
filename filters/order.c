/* order.c: the one table that orders the stages, and parameter look-up shared by all of them. */
#include "filters/filter.h"
#include "pipeline/profile.h"

#include <string.h>

extern const LrFilter lr_filter_normalize;
extern const LrFilter lr_filter_analyse;
extern const LrFilter lr_filter_compose;
extern const LrFilter lr_filter_renditions;
extern const LrFilter lr_filter_decide;

const LrFilter *const lr_filter_order[] = {
	&lr_filter_normalize,  /* upright, sRGB, 8-bit */
	&lr_filter_analyse,    /* product mask and quality metrics */
	&lr_filter_compose,    /* background and framing */
	&lr_filter_renditions, /* sizes and formats */
	&lr_filter_decide,     /* accepted or needs_review, with reasons */
	NULL,
};

const LrFilter *
lr_filter_find(const char *name)
{
	for (int i = 0; lr_filter_order[i]; i++)
		if (!strcmp(lr_filter_order[i]->name, name))
			return lr_filter_order[i];
	return NULL;
}

const LrParam *
lr_filter_param_spec(const LrFilter *filter, const char *name)
{
	for (const LrParam *p = filter->params; p && p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

double
lr_param(const LrContext *ctx, const LrFilter *filter, const char *name)
{
	const LrParam *spec = lr_filter_param_spec(filter, name);
	g_assert(spec); /* asking for an undeclared parameter is a bug in the stage */
	return lr_profile_double(ctx->profile, filter->name, name, spec->def);
}
