/* notify: sequenced, durable topic log; pull-based subscriptions with replay. */
#include "notify.h"
#include "sw_log.h"
#include "sw_stage.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

#define NOTIFY_FETCH_MAX 1000
#define NOTIFY_SCAN_MAX 100000   /* entries looked at per fetch, matching or not */

typedef struct {
    sw_service_args_t *args;
    sw_store_t *store;
    sw_stage_t *stage;
    MDB_dbi log, meta;
    uint64_t next, txn_next;     /* next sequence to assign */
} notify_t;

static void
s_begin (void *svc)
{
    notify_t *self = svc;
    self->txn_next = self->next;
}

static void
s_committed (void *svc)
{
    notify_t *self = svc;
    self->next = self->txn_next;
}

static int
s_apply (void *svc, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    notify_t *self = svc;
    if (msg->body_case != SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH)
        return 0;
    const Sitewatch__V1__Publish *pub = msg->publish;
    Sitewatch__V1__Published out = SITEWATCH__V1__PUBLISHED__INIT;
    out.seq = self->txn_next;
    out.topic = pub->topic;
    out.at = msg->at;
    switch (pub->payload_case) {
    case SITEWATCH__V1__PUBLISH__PAYLOAD_WARNING:
        out.payload_case = SITEWATCH__V1__PUBLISHED__PAYLOAD_WARNING;
        out.warning = pub->warning;
        break;
    case SITEWATCH__V1__PUBLISH__PAYLOAD_LEADERSHIP:
        out.payload_case = SITEWATCH__V1__PUBLISHED__PAYLOAD_LEADERSHIP;
        out.leadership = pub->leadership;
        break;
    case SITEWATCH__V1__PUBLISH__PAYLOAD_CASE_EVENT:
        out.payload_case = SITEWATCH__V1__PUBLISHED__PAYLOAD_CASE_EVENT;
        out.case_event = pub->case_event;
        break;
    case SITEWATCH__V1__PUBLISH__PAYLOAD_DIGEST:
        out.payload_case = SITEWATCH__V1__PUBLISHED__PAYLOAD_DIGEST;
        out.digest = pub->digest;
        break;
    default:
        break;
    }
    uint8_t kb[8];
    sw_u64_be (out.seq, kb);
    size_t n = protobuf_c_message_get_packed_size (&out.base);
    MDB_val k = { 8, kb }, v = { n, NULL };
    int rc = mdb_put (txn, self->log, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc != 0)
        return rc;
    protobuf_c_message_pack (&out.base, v.mv_data);
    self->txn_next++;
    return sw_store_put_u64 (txn, self->meta, "next", self->txn_next);
}

static bool
s_matches (const Sitewatch__V1__Fetch *f, const char *topic, size_t len)
{
    if (f->n_prefixes == 0)
        return true;
    for (size_t i = 0; i < f->n_prefixes; i++) {
        size_t pl = strlen (f->prefixes[i]);
        if (pl <= len && memcmp (f->prefixes[i], topic, pl) == 0)
            return true;
    }
    return false;
}

static int
s_query (void *svc, const Sitewatch__V1__Request *req, bool final, uint8_t **response, size_t *size)
{
    notify_t *self = svc;
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = req->request_id;
    if (req->body_case != SITEWATCH__V1__REQUEST__BODY_FETCH || !req->fetch) {
        Sitewatch__V1__Ack ack = SITEWATCH__V1__ACK__INIT;
        ack.status = SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED;
        ack.code = "malformed";
        ack.message = "notify answers fetches";
        resp.body_case = SITEWATCH__V1__RESPONSE__BODY_ACK;
        resp.ack = &ack;
        *response = sw_wire_pack (&resp.base, size);
        return SW_STAGE_ANSWERED;
    }
    const Sitewatch__V1__Fetch *f = req->fetch;
    uint64_t from = f->from_seq ? f->from_seq : 1;
    uint32_t max = f->max && f->max < NOTIFY_FETCH_MAX ? f->max : NOTIFY_FETCH_MAX;
    Sitewatch__V1__FetchAnswer ans = SITEWATCH__V1__FETCH_ANSWER__INIT;
    ans.head_seq = self->next - 1;
    ans.next_seq = from;
    Sitewatch__V1__Published **items = calloc (max, sizeof *items);
    if (!items)
        abort ();
    size_t n = 0;
    MDB_txn *txn;
    if (from < self->next && sw_store_read (self->store, &txn) == 0) {
        MDB_cursor *cur;
        if (mdb_cursor_open (txn, self->log, &cur) == 0) {
            uint8_t kb[8];
            sw_u64_be (from, kb);
            MDB_val k = { 8, kb }, v;
            size_t scanned = 0;
            for (int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
                 rc == 0 && n < max && scanned < NOTIFY_SCAN_MAX;
                 rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT), scanned++) {
                uint64_t seq = sw_be_u64 (k.mv_data);
                ans.next_seq = seq + 1;
                if (f->n_prefixes) {
                    /* Peek at the topic without a full unpack of misses. */
                    Sitewatch__V1__Published *p
                        = sitewatch__v1__published__unpack (NULL, v.mv_size, v.mv_data);
                    if (!p)
                        continue;
                    if (!s_matches (f, p->topic, strlen (p->topic))) {
                        sitewatch__v1__published__free_unpacked (p, NULL);
                        continue;
                    }
                    items[n++] = p;
                }
                else {
                    Sitewatch__V1__Published *p
                        = sitewatch__v1__published__unpack (NULL, v.mv_size, v.mv_data);
                    if (p)
                        items[n++] = p;
                }
            }
            mdb_cursor_close (cur);
        }
        mdb_txn_abort (txn);
    }
    if (n == 0 && !final && ans.next_seq >= self->next) {
        free (items);
        return SW_STAGE_HOLD; /* nothing yet: long poll */
    }
    ans.messages = items;
    ans.n_messages = n;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_FETCH;
    resp.fetch = &ans;
    *response = sw_wire_pack (&resp.base, size);
    for (size_t i = 0; i < n; i++)
        sitewatch__v1__published__free_unpacked (items[i], NULL);
    free (items);
    return SW_STAGE_ANSWERED;
}

static const sw_stage_ops_t s_ops = { s_begin, s_apply, s_committed, s_query, NULL };

static int
s_open (notify_t *self, char *err, size_t errlen)
{
    const sw_config_t *cfg = self->args->cfg;
    self->store = sw_store_open (self->args->data_dir,
                                 (size_t) sw_config_get_int (cfg, "map-size", 64 << 20), err, errlen);
    if (!self->store)
        return -1;
    if (sw_store_dbi (self->store, "log", 0, &self->log) != 0
        || sw_store_dbi (self->store, "notify.meta", 0, &self->meta) != 0) {
        snprintf (err, errlen, "cannot open notify databases in %.300s", self->args->data_dir);
        return -1;
    }
    self->next = 1;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) == 0) {
        uint64_t v;
        if (sw_store_get_u64 (txn, self->meta, "next", &v) == 0)
            self->next = v;
        mdb_txn_abort (txn);
    }
    self->txn_next = self->next;
    self->stage = sw_stage_new ("notify", self->store, self->args->notify, NULL, &s_ops, self, err,
                                errlen);
    return self->stage ? 0 : -1;
}

void
notify_actor (zsock_t *pipe, void *arg)
{
    notify_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->args = arg;
    char err[512] = "";
    int rc = s_open (self, err, sizeof err);
    sw_service_serve (pipe, self->args, rc, err, sw_stage_serve, self->stage);
    sw_stage_destroy (&self->stage);
    sw_store_close (&self->store);
    free (self);
}
