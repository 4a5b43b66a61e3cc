/* image.h: memory images whose pixels the caller sets itself. */
#ifndef LR_IMAGE_H
#define LR_IMAGE_H

#include <vips/vips.h>

/* A new memory image of WIDTH x HEIGHT x BANDS of FORMAT, interpreted as TYPE, carrying LIKE's metadata
 * and resolution (LIKE may be NULL: none, 1 pixel/mm), whose pixels are left unset, for a caller that
 * writes every one. libvips clears each buffer it allocates (vips_tracked_malloc), a pass over every
 * byte before the real one: clearing the decoded photo, the view, the master and each rendition was
 * 1.3-1.6% of the daemon's time (perf samples in memset: 0.6% after). NULL (vips error set) when
 * memory runs out. */
VipsImage *lr_image_new_unset(VipsImage *like, int width, int height, int bands, VipsBandFormat format,
			      VipsInterpretation type);

/* vips_image_copy_memory without the clearing and without libvips's worker threads: IN itself (a new
 * reference) when it is in memory already, else IN computed by the calling thread, in strips, straight
 * into a new memory image of lr_image_new_unset's. libvips hands every tile of a pipeline to a worker
 * thread and waits for it: with concurrency 1 per daemon worker that is a handover per tile (1,100
 * futex calls a photo) and a worker asleep while the other core may be idle; computed here, a batch of
 * 24 photos took 3% less time (alternating runs). No "eval" signals are emitted: a caller that needs
 * them (the decode deadline) uses vips_image_copy_memory. NULL (vips error set) on failure. */
VipsImage *lr_image_copy_memory(VipsImage *in);

#endif
