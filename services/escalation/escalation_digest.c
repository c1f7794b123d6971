/* escalation_digest: fills the SLA and cases sections of a period's express
 * report, keeps it by period and publishes it on topic "digest" in the apply
 * transaction; answers `sitewatch digest` queries from what it kept. */
#include "escalation_digest.h"
#include "sw_log.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

struct escalation_digest_t {
    sw_store_t *store;
    MDB_dbi digests, leadership;
};

escalation_digest_t *
escalation_digest_new (sw_store_t *store, MDB_dbi leadership)
{
    escalation_digest_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->store = store;
    self->leadership = leadership;
    if (sw_store_dbi (store, "digests", 0, &self->digests) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

void
escalation_digest_destroy (escalation_digest_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
escalation_digest_sla_outcome (int64_t due_at, int64_t confirmed_at, int64_t at)
{
    if (confirmed_at)
        return confirmed_at <= due_at ? "met" : "missed";
    return at > due_at ? "missed" : "pending";
}

/* Keys that sort like the signed period: sign bit flipped, big-endian. */
static void
s_key (int64_t period, uint8_t out[8])
{
    sw_u64_be ((uint64_t) period ^ (UINT64_C (1) << 63), out);
}

/* Leadership reports of warning events of the digest's period, as of its
 * close. */
static int
s_count_sla (escalation_digest_t *self, MDB_txn *txn, Sitewatch__V1__Digest *d)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, self->leadership, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
        Sitewatch__V1__LeadershipRecord *rec
            = sitewatch__v1__leadership_record__unpack (NULL, v.mv_size, v.mv_data);
        if (!rec)
            continue;
        const Sitewatch__V1__LeadershipReport *r = rec->report;
        if (r && r->event && r->event->period == d->period) {
            const char *o = escalation_digest_sla_outcome (r->due_at, rec->confirmed_at,
                                                           d->closed_at);
            if (strcmp (o, "met") == 0)
                d->sla_met++;
            else if (strcmp (o, "missed") == 0)
                d->sla_missed++;
            else
                d->sla_pending++;
        }
        sitewatch__v1__leadership_record__free_unpacked (rec, NULL);
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
s_publish (sw_stage_t *stage, MDB_txn *txn, Sitewatch__V1__Digest *d, int64_t at)
{
    Sitewatch__V1__Publish pub = SITEWATCH__V1__PUBLISH__INIT;
    pub.topic = ESCALATION_DIGEST_TOPIC;
    pub.payload_case = SITEWATCH__V1__PUBLISH__PAYLOAD_DIGEST;
    pub.digest = d;
    Sitewatch__V1__ChainMsg out = SITEWATCH__V1__CHAIN_MSG__INIT;
    out.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH;
    out.publish = &pub;
    out.at = at;
    return sw_stage_forward (stage, txn, &out);
}

int
escalation_digest_apply (escalation_digest_t *self, escalation_cases_t *cases,
                         sw_stage_t *stage, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    if (!msg->digest)
        return 0;
    uint8_t kb[8];
    s_key (msg->digest->period, kb);
    MDB_val k = { 8, kb }, v;
    int rc = mdb_get (txn, self->digests, &k, &v);
    if (rc == 0) {
        sw_warn ("escalation", "digest_repeat", "period=%lld action=kept_first",
                 (long long) msg->digest->period);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;

    /* A shallow copy: the SLA figures are scalars, the open cases ours. */
    Sitewatch__V1__Digest d = *msg->digest;
    d.sla_met = d.sla_missed = d.sla_pending = 0;
    rc = s_count_sla (self, txn, &d);
    if (rc != 0)
        return rc;
    d.cases_available = false;
    d.n_open_cases = 0;
    d.open_cases = NULL;
    if (cases) {
        rc = escalation_cases_open_list (cases, txn, d.closed_at, &d.open_cases, &d.n_open_cases);
        if (rc != 0)
            return rc;
        d.cases_available = true;
    }

    size_t n = protobuf_c_message_get_packed_size (&d.base);
    v.mv_size = n;
    v.mv_data = NULL;
    rc = mdb_put (txn, self->digests, &k, &v, MDB_RESERVE);
    if (rc == 0)
        protobuf_c_message_pack (&d.base, v.mv_data);
    if (rc == 0)
        rc = s_publish (stage, txn, &d, msg->at);
    sw_info ("escalation", "digest_published",
             "period=%lld green=%u yellow=%u red=%u sla_met=%u sla_missed=%u sla_pending=%u "
             "open_cases=%zu",
             (long long) d.period, d.green, d.yellow, d.red, d.sla_met, d.sla_missed,
             d.sla_pending, d.n_open_cases);
    for (size_t i = 0; i < d.n_open_cases; i++)
        sitewatch__v1__digest_case__free_unpacked (d.open_cases[i], NULL);
    free (d.open_cases);
    return rc;
}

static uint8_t *
s_reject (const Sitewatch__V1__Request *req, const char *code, const char *message, size_t *size)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__Ack ack = SITEWATCH__V1__ACK__INIT;
    ack.status = SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED;
    ack.code = (char *) code;
    ack.message = (char *) message;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = req->request_id;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_ACK;
    resp.ack = &ack;
    return sw_wire_pack (&resp.base, size);
}

uint8_t *
escalation_digest_query (escalation_digest_t *self, const Sitewatch__V1__Request *req,
                         size_t *size)
{
    const Sitewatch__V1__Query *q = req->query;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) != 0)
        return s_reject (req, "unavailable", "escalation cannot read its state", size);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open (txn, self->digests, &cur);
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    if (rc == 0) {
        if (q && q->has_period) {
            s_key (q->period, kb);
            rc = mdb_cursor_get (cur, &k, &v, MDB_SET_KEY);
        }
        else
            rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
    }
    uint8_t *out;
    Sitewatch__V1__Digest *d = NULL;
    /* v points into the map: unpack before the transaction ends. */
    if (rc == 0 && k.mv_size == 8)
        d = sitewatch__v1__digest__unpack (NULL, v.mv_size, v.mv_data);
    if (d) {
        Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
        resp.version = SW_WIRE_VERSION;
        resp.request_id = req->request_id;
        resp.body_case = SITEWATCH__V1__RESPONSE__BODY_DIGEST;
        resp.digest = d;
        out = sw_wire_pack (&resp.base, size);
        sitewatch__v1__digest__free_unpacked (d, NULL);
    }
    else if (q && q->has_period) {
        char msg[128];
        snprintf (msg, sizeof msg, "no express report for period %lld (not closed yet, or "
                                   "before the registry was imported)",
                  (long long) q->period);
        out = s_reject (req, "not_found", msg, size);
    }
    else
        out = s_reject (req, "not_found", "no period has closed yet: no express report", size);
    if (cur)
        mdb_cursor_close (cur);
    mdb_txn_abort (txn);
    return out;
}
