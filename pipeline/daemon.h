/* daemon.h: `listready run` — the watched inbox, the durable queue and the worker pool.
 *
 * Photos that arrive in the inbox (also while the daemon was down) are taken into the store and the
 * queue in one transaction before they leave the inbox; N workers claim jobs and record each outcome
 * together with the job's completion. Whatever happens to the process (a signal, a crash, SIGKILL),
 * each photo ends in exactly one terminal state and no original is lost.
 */
#ifndef LR_DAEMON_H
#define LR_DAEMON_H

#include <glib.h>

typedef struct {
	const char *store_dir;
	const char *inbox_dir;
	const char *profile;    /* the store-wide default profile (a sidecar may name another) */
	int workers;            /* worker threads; <= 0 for the number of cores */
	double settle_seconds;  /* how long a file found by a scan, not by a close event, must stay
				   unchanged before it is taken */
	int max_attempts;       /* claims of one job before it is quarantined as failing */
	int summary_seconds;    /* period of the progress summary line; 0 for none */
	gboolean once;          /* take what is in the inbox, process it all, then exit */
	const char *listen;     /* serve the review page and the API on this address, or NULL */
} LrDaemonOptions;

/* Fills OPTIONS with the defaults. */
void lr_daemon_options_init(LrDaemonOptions *options);

/* Runs the daemon until SIGINT or SIGTERM (a second one exits at once), or, with options->once, until
 * the inbox and the queue are empty. Logs one line per photo on stdout and problems on stderr.
 * Returns the process exit status. */
int lr_daemon_run(const LrDaemonOptions *options);

#endif
