/* intake_auth: who may do what at the front door (SPEC §9).
 * With --curve-dir DIR, the front door is a CURVE server (DIR/server.cert
 * and DIR/server.cert_secret) and only clients whose public certificates
 * are in DIR/clients/ may connect; a czmq zauth handler is started BEFORE the
 * socket binds (without one, libzmq 4.3.4 accepts any client: fail-closed
 * matters). A client is identified by the ZAP User-Id (its public key), never
 * by anything it writes in a message, and its certificate's metadata says
 * what it may do: role = operator | device | subscriber, and for a device
 * projects = "JD001 JD002" (the projects its key is bound to).
 * Without --curve-dir every client is an operator (a local, trusted setup). */
#ifndef INTAKE_AUTH_H
#define INTAKE_AUTH_H

#include "sitewatch.pb-c.h"

#include <czmq.h>
#include <stdbool.h>

typedef enum {
    INTAKE_ROLE_NONE = 0,
    INTAKE_ROLE_SUBSCRIBER = 1,
    INTAKE_ROLE_DEVICE = 2,
    INTAKE_ROLE_OPERATOR = 3,
} intake_role_t;

typedef struct intake_auth_t intake_auth_t;

/* Loads DIR's server certificate and client store and starts the ZAP
 * handler. NULL with a reason in err. */
intake_auth_t *intake_auth_new (const char *curve_dir, char *err, size_t errlen);
void intake_auth_destroy (intake_auth_t **self_p);
/* Makes sock a CURVE server under the handler; call before binding. */
void intake_auth_apply (intake_auth_t *self, zsock_t *sock);
/* The role and bound projects (space-separated, may be "") of the client
 * whose ZAP User-Id (the "User-Id" property of a message it sent; NULL when
 * none) is user_id. self NULL (no CURVE) means operator. */
intake_role_t intake_auth_identify (intake_auth_t *self, const char *user_id, char *projects,
                                    size_t cap);

/* Pure: may a client with this role and these bound projects send req?
 * Operators: anything. Devices: reports and check-ins for their bound
 * projects. Subscribers: fetch and confirm. Everyone: clock show. */
bool intake_auth_allows (intake_role_t role, const char *projects,
                         const Sitewatch__V1__Request *req);
/* Pure: is project_id in the space-separated list? */
bool intake_auth_bound (const char *projects, const char *project_id);

#endif
