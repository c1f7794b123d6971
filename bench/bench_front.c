/* bench_front: the few front-door conversations the scenarios need (clock,
 * registry import, project level, notify's head), over sw_client. */
#include "bench.h"
#include "sw_calendar.h"

#include <stdlib.h>
#include <string.h>

sw_client_t *
bench_client_new (const char *endpoint)
{
    sw_client_t *c = sw_client_new (endpoint);
    if (!c) {
        fprintf (stderr, "sitewatch-bench: bad endpoint %s\n", endpoint);
        exit (2);
    }
    zsock_set_reconnect_ivl (sw_client_sock (c), 5);
    zsock_set_reconnect_ivl_max (sw_client_sock (c), 50);
    return c;
}

Sitewatch__V1__Response *
bench_call (sw_client_t *client, Sitewatch__V1__Request *req, int timeout_ms, int resend_ms)
{
    return sw_client_call (client, req, timeout_ms, resend_ms);
}

int64_t
bench_shanghai_ms (int y, int mo, int d, int h, int mi, int s)
{
    int64_t day = sw_days_from_civil (y, mo, d);
    return ((day * 24 + h - 8) * 60 + mi) * 60000LL + s * 1000LL;
}

int
bench_clock_set (sw_client_t *client, int64_t utc_ms)
{
    Sitewatch__V1__ClockCommand cc = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    cc.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SET;
    cc.value_ms = utc_ms;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cc;
    Sitewatch__V1__Response *r = bench_call (client, &req, 30000, 0);
    if (!r) {
        fprintf (stderr, "sitewatch-bench: clock set: no answer\n");
        return -1;
    }
    int rc = r->body_case == SITEWATCH__V1__RESPONSE__BODY_CLOCK && r->clock->now == utc_ms ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "sitewatch-bench: clock set refused: %s\n",
                 r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK ? r->ack->message : "?");
    sitewatch__v1__response__free_unpacked (r, NULL);
    return rc;
}

int
bench_import (sw_client_t *client, size_t n, size_t chunk, bool small_tail)
{
    size_t tail = small_tail ? bench_registry_last_cycle (n) : n;
    for (size_t first = 0; first < n || (n == 0 && first == 0);) {
        size_t end = bench_registry_chunk_end (n, first, chunk);
        if (first < tail && end > tail)
            end = tail; /* a cycle boundary */
        size_t len = 0;
        char *yaml = bench_registry_yaml (n, first, end, &len);
        if (!yaml)
            return -1;
        Sitewatch__V1__RegistryImport ri = SITEWATCH__V1__REGISTRY_IMPORT__INIT;
        ri.yaml.data = (uint8_t *) yaml;
        ri.yaml.len = len;
        ri.filename = "bench.yaml";
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT;
        req.registry_import = &ri;
        /* An import is not resent: a second copy would be applied again. */
        Sitewatch__V1__Response *r = bench_call (client, &req, 600000, 0);
        free (yaml);
        if (!r) {
            fprintf (stderr, "sitewatch-bench: registry import (projects %zu..%zu): no answer\n",
                     first, end);
            return -1;
        }
        int rc = 0;
        if (r->body_case != SITEWATCH__V1__RESPONSE__BODY_IMPORT_RESULT || !r->import_result->applied) {
            fprintf (stderr, "sitewatch-bench: registry import (projects %zu..%zu) refused\n", first,
                     end);
            if (r->body_case == SITEWATCH__V1__RESPONSE__BODY_IMPORT_RESULT)
                for (size_t i = 0; i < r->import_result->n_errors && i < 10; i++)
                    fprintf (stderr, "  %s\n", r->import_result->errors[i]);
            else if (r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK)
                fprintf (stderr, "  %s: %s\n", r->ack->code, r->ack->message);
            rc = -1;
        }
        sitewatch__v1__response__free_unpacked (r, NULL);
        if (rc != 0)
            return -1;
        if (end == first)
            break;
        first = end;
    }
    return 0;
}

int
bench_project_level (sw_client_t *client, const char *project_id, int timeout_ms,
                     Sitewatch__V1__Level *level)
{
    Sitewatch__V1__Query q = SITEWATCH__V1__QUERY__INIT;
    q.kind = SITEWATCH__V1__QUERY__KIND__KIND_PROJECT;
    q.project_id = (char *) project_id;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_QUERY;
    req.query = &q;
    Sitewatch__V1__Response *r = bench_call (client, &req, timeout_ms, 1000);
    if (!r)
        return -1;
    int rc = 1;
    if (r->body_case == SITEWATCH__V1__RESPONSE__BODY_PROJECT && r->project->status) {
        *level = r->project->status->level;
        rc = 0;
    }
    sitewatch__v1__response__free_unpacked (r, NULL);
    return rc;
}

int64_t
bench_notify_head (sw_client_t *client, int timeout_ms)
{
    Sitewatch__V1__Fetch f = SITEWATCH__V1__FETCH__INIT;
    f.from_seq = UINT64_MAX / 2; /* nothing to read: only the head */
    f.max = 1;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH;
    req.fetch = &f;
    Sitewatch__V1__Response *r = bench_call (client, &req, timeout_ms, 1000);
    if (!r)
        return -1;
    int64_t head = r->body_case == SITEWATCH__V1__RESPONSE__BODY_FETCH ? (int64_t) r->fetch->head_seq
                                                                       : -1;
    sitewatch__v1__response__free_unpacked (r, NULL);
    return head;
}
