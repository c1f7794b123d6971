/* intake_auth: CURVE server setup, ZAP handler, and the role table. */
#include "intake_auth.h"
#include "sw_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct intake_auth_t {
    zactor_t *zap;
    zcert_t *server;
    zcertstore_t *clients;
};

intake_auth_t *
intake_auth_new (const char *curve_dir, char *err, size_t errlen)
{
    char path[4096], clients[4096];
    snprintf (path, sizeof path, "%s/server.cert_secret", curve_dir);
    snprintf (clients, sizeof clients, "%s/clients", curve_dir);
    intake_auth_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->server = zcert_load (path);
    if (!self->server) {
        snprintf (err, errlen, "--curve-dir: cannot load %.300s (make one with: sitewatch keygen server --out %.300s)",
                  path, curve_dir);
        free (self);
        return NULL;
    }
    if (!zsys_file_exists (clients)) {
        snprintf (err, errlen, "--curve-dir: %.300s does not exist (client certificates go there)",
                  clients);
        zcert_destroy (&self->server);
        free (self);
        return NULL;
    }
    self->zap = zactor_new (zauth, NULL);
    if (!self->zap || zstr_sendx (self->zap, "CURVE", clients, NULL) != 0
        || zsock_wait (self->zap) != 0) {
        snprintf (err, errlen, "cannot start the ZAP handler");
        zactor_destroy (&self->zap);
        zcert_destroy (&self->server);
        free (self);
        return NULL;
    }
    self->clients = zcertstore_new (clients);
    return self;
}

void
intake_auth_destroy (intake_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_auth_t *self = *self_p;
    zactor_destroy (&self->zap);
    zcert_destroy (&self->server);
    zcertstore_destroy (&self->clients);
    free (self);
    *self_p = NULL;
}

void
intake_auth_apply (intake_auth_t *self, zsock_t *sock)
{
    zcert_apply (self->server, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, "sitewatch");
}

intake_role_t
intake_auth_identify (intake_auth_t *self, const char *user, char *projects, size_t cap)
{
    projects[0] = 0;
    if (!self)
        return INTAKE_ROLE_OPERATOR;
    zcert_t *cert = user ? zcertstore_lookup (self->clients, user) : NULL;
    if (!cert)
        return INTAKE_ROLE_NONE;
    const char *role = zcert_meta (cert, "role");
    const char *bound = zcert_meta (cert, "projects");
    snprintf (projects, cap, "%s", bound ? bound : "");
    if (role && strcmp (role, "operator") == 0)
        return INTAKE_ROLE_OPERATOR;
    if (role && strcmp (role, "device") == 0)
        return INTAKE_ROLE_DEVICE;
    if (role && strcmp (role, "subscriber") == 0)
        return INTAKE_ROLE_SUBSCRIBER;
    return INTAKE_ROLE_NONE;
}

bool
intake_auth_bound (const char *projects, const char *project_id)
{
    size_t n = strlen (project_id);
    if (!n)
        return false;
    for (const char *p = projects; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn (p, " ,");
        if (len == n && strncmp (p, project_id, n) == 0)
            return true;
        p += len;
    }
    return false;
}

bool
intake_auth_allows (intake_role_t role, const char *projects, const Sitewatch__V1__Request *req)
{
    if (role == INTAKE_ROLE_OPERATOR)
        return true;
    if (role == INTAKE_ROLE_NONE || !req)
        return false;
    switch (req->body_case) {
    case SITEWATCH__V1__REQUEST__BODY_CLOCK:
        /* everyone may read the clock (devices stamp observations with it) */
        return req->clock && req->clock->op == SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    case SITEWATCH__V1__REQUEST__BODY_REPORT:
        return role == INTAKE_ROLE_DEVICE && req->report
               && intake_auth_bound (projects, req->report->project_id);
    case SITEWATCH__V1__REQUEST__BODY_CHECKIN:
        return role == INTAKE_ROLE_DEVICE && req->checkin
               && intake_auth_bound (projects, req->checkin->project_id);
    case SITEWATCH__V1__REQUEST__BODY_FETCH:
    case SITEWATCH__V1__REQUEST__BODY_CONFIRM:
        return role == INTAKE_ROLE_SUBSCRIBER;
    default:
        return false;
    }
}
