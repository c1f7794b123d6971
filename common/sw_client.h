/* sw_client: a front-door client (operator tool, device, notifier, bench).
 * One DEALER to intake; a call sends a Request and waits for the Response
 * with the same request_id, re-sending the identical request (same ids, so
 * intake answers "duplicate" for a report it already stored) until answered
 * or the timeout passes: a device retries until acknowledged. */
#ifndef SW_CLIENT_H
#define SW_CLIENT_H

#include "sitewatch.pb-c.h"

#include <czmq.h>

typedef struct sw_client_t sw_client_t;

/* Connects to endpoint (e.g. "tcp://127.0.0.1:7600"). NULL when the endpoint
 * is malformed, or a CURVE certificate cannot be loaded. When the
 * environment names certificates, the connection uses CURVE:
 * SITEWATCH_CURVE_CERT (this client's secret certificate, from
 * `sitewatch keygen`) and SITEWATCH_SERVER_CERT (the server's public
 * certificate). */
sw_client_t *sw_client_new (const char *endpoint);
void sw_client_destroy (sw_client_t **self_p);

/* Sends req (its version and, when empty, request_id are filled in) and waits
 * up to timeout_ms in total, re-sending every resend_ms (0 = never). Returns
 * the Response (free with sitewatch__v1__response__free_unpacked (r, NULL)),
 * or NULL on timeout. */
Sitewatch__V1__Response *sw_client_call (sw_client_t *self, Sitewatch__V1__Request *req,
                                         int timeout_ms, int resend_ms);

/* Sends without waiting (for pipelined load); returns 0 / -1. */
int sw_client_send (sw_client_t *self, Sitewatch__V1__Request *req);
/* Receives the next response, waiting up to timeout_ms; NULL on timeout. */
Sitewatch__V1__Response *sw_client_recv (sw_client_t *self, int timeout_ms);
zsock_t *sw_client_sock (sw_client_t *self);

/* A new time-ordered unique id (ULID-like, 26 chars of Crockford base32):
 * 48 bits of milliseconds, 80 random bits. buf must hold 27 bytes. */
void sw_id_new (char buf[27]);

#endif
