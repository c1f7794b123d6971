/* escalation_digest: fills the SLA and cases sections of a period's express
 * report, keeps it by period and publishes it on topic "digest" in the apply
 * transaction; answers `sitewatch digest` queries from what it kept. */
#include "escalation_digest.h"
#include "sw_log.h"
#include "sw_pb.h"
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

/* Rules' report as escalation needs it: the period, the close instant and
 * the level counts; whether it carries fields escalation fills (21-25: rules
 * leaves them empty, so normally not). False when it does not decode. */
typedef struct {
    int64_t period, closed_at;
    uint32_t green, yellow, red;
    bool ours;
} s_head_t;

static bool
s_read_head (const uint8_t *data, size_t size, s_head_t *h)
{
    memset (h, 0, sizeof *h);
    sw_pb_reader_t r;
    sw_pb_field_t f;
    sw_pb_reader (&r, data, size);
    while (sw_pb_next (&r, &f)) {
        if (f.number >= 21 && f.number <= 25)
            h->ours = true;
        if (f.wire != SW_PB_VARINT)
            continue;
        if (f.number == 1)
            h->period = (int64_t) f.value;
        else if (f.number == 4)
            h->closed_at = (int64_t) f.value;
        else if (f.number == 7)
            h->green = (uint32_t) f.value;
        else if (f.number == 8)
            h->yellow = (uint32_t) f.value;
        else if (f.number == 9)
            h->red = (uint32_t) f.value;
    }
    return !r.bad;
}

/* Rules' report without fields 21-25, in a new buffer. */
static uint8_t *
s_without_ours (const uint8_t *data, size_t size, size_t *out_size)
{
    uint8_t *out = malloc (size ? size : 1);
    if (!out)
        abort ();
    size_t n = 0;
    sw_pb_reader_t r;
    sw_pb_field_t f;
    sw_pb_reader (&r, data, size);
    while (sw_pb_next (&r, &f))
        if (f.number < 21 || f.number > 25) {
            memcpy (out + n, f.start, f.total);
            n += f.total;
        }
    *out_size = n;
    return out;
}

int
escalation_digest_apply (escalation_digest_t *self, escalation_cases_t *cases,
                         sw_stage_t *stage, MDB_txn *txn, const uint8_t *report, size_t size,
                         int64_t at)
{
    s_head_t h;
    if (!s_read_head (report, size, &h)) {
        sw_error ("escalation", "bad_digest", "size=%zu action=skipped", size);
        return 0;
    }
    uint8_t kb[8];
    s_key (h.period, kb);
    MDB_val k = { 8, kb }, v;
    int rc = mdb_get (txn, self->digests, &k, &v);
    if (rc == 0) {
        sw_warn ("escalation", "digest_repeat", "period=%lld action=kept_first",
                 (long long) h.period);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;

    /* Escalation's part alone: the SLA figures and the open cases. Appended
     * to rules' encoding it decodes as one report (protobuf merges
     * concatenated encodings), so the report itself, every project in it,
     * is never unpacked here. */
    Sitewatch__V1__Digest d = SITEWATCH__V1__DIGEST__INIT;
    d.period = h.period;
    d.closed_at = h.closed_at;
    rc = s_count_sla (self, txn, &d);
    if (rc != 0)
        return rc;
    if (cases) {
        rc = escalation_cases_open_list (cases, txn, d.closed_at, &d.open_cases, &d.n_open_cases);
        if (rc != 0)
            return rc;
        d.cases_available = true;
    }
    Sitewatch__V1__Digest part = SITEWATCH__V1__DIGEST__INIT;
    part.sla_met = d.sla_met;
    part.sla_missed = d.sla_missed;
    part.sla_pending = d.sla_pending;
    part.cases_available = d.cases_available;
    part.open_cases = d.open_cases;
    part.n_open_cases = d.n_open_cases;
    size_t part_size;
    uint8_t *part_bytes = sw_wire_pack (&part.base, &part_size);

    size_t base_size = size;
    uint8_t *filtered = h.ours ? s_without_ours (report, size, &base_size) : NULL;
    const uint8_t *base = filtered ? filtered : report;
    struct iovec whole[2] = { { (void *) base, base_size }, { part_bytes, part_size } };
    size_t total = base_size + part_size;
    v.mv_size = total;
    v.mv_data = NULL;
    rc = mdb_put (txn, self->digests, &k, &v, MDB_RESERVE);
    if (rc == 0)
        sw_pb_iov_copy (v.mv_data, whole, 2);
    if (rc == 0) {
        /* Publish { topic = "digest", digest = the whole report } */
        uint8_t head[2 * 15 + sizeof ESCALATION_DIGEST_TOPIC];
        size_t tl = strlen (ESCALATION_DIGEST_TOPIC);
        size_t hl = sw_pb_put_len_head (head, 1, tl);
        memcpy (head + hl, ESCALATION_DIGEST_TOPIC, tl);
        hl += tl;
        hl += sw_pb_put_len_head (head + hl, 13, total);
        struct iovec pub[3] = { { head, hl }, whole[0], whole[1] };
        rc = sw_stage_forward_raw (stage, txn, at, SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH, pub, 3);
    }
    sw_info ("escalation", "digest_published",
             "period=%lld green=%u yellow=%u red=%u sla_met=%u sla_missed=%u sla_pending=%u "
             "open_cases=%zu",
             (long long) h.period, h.green, h.yellow, h.red, d.sla_met, d.sla_missed,
             d.sla_pending, d.n_open_cases);
    free (filtered);
    free (part_bytes);
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
    if (rc == 0 && k.mv_size == 8) {
        /* Response { version, request_id, digest = the stored bytes }: v
         * points into the map, copied before the transaction ends. */
        Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
        resp.version = SW_WIRE_VERSION;
        resp.request_id = req->request_id;
        size_t hs;
        uint8_t *head = sw_wire_pack (&resp.base, &hs);
        uint8_t lh[15];
        size_t ll = sw_pb_put_len_head (lh, 19, v.mv_size);
        *size = hs + ll + v.mv_size;
        out = malloc (*size);
        if (!out)
            abort ();
        memcpy (out, head, hs);
        memcpy (out + hs, lh, ll);
        memcpy (out + hs + ll, v.mv_data, v.mv_size);
        free (head);
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
