/* http.h: the embedded HTTP server (libsoup 3) — the curators' review page, the catalog API under
 * /api/v1/ and the artisan feedback page, served by `listready run --listen` and `listready serve`.
 *
 * Every route but the static page and /login needs an API token (`Authorization: Bearer TOKEN`, or
 * the HttpOnly cookie /login sets) of a role the route allows: 401 without a valid token, 403 with
 * a token of another role. The route table is in http.c.
 */
#ifndef LR_HTTP_H
#define LR_HTTP_H

#include "pipeline/store.h"

typedef struct _LrHttp LrHttp;

/* The address `--listen` takes when none is given. */
#define LR_HTTP_DEFAULT_LISTEN "127.0.0.1:8080"

/* Starts serving STORE (borrowed: it must outlive the server) on LISTEN ("HOST:PORT", ":PORT" or
 * "PORT"; HOST an IP address or "localhost", 127.0.0.1 when left out; port 0 picks a free one) in
 * the calling thread's default main context, which must then be run. Returns the server, or NULL
 * with ERROR set. */
LrHttp *lr_http_start(LrStore *store, const char *listen, GError **error);

/* The base URL the server listens on, "http://127.0.0.1:8080/" (owned by HTTP). */
const char *lr_http_url(const LrHttp *http);

/* Stops listening, waits for reprocess jobs still running (iterating the main context), frees HTTP.
 * Accepts NULL. */
void lr_http_stop(LrHttp *http);

#endif
