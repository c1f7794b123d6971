/* notify: sequenced, durable topic log; pull-based subscriptions with replay. */
#include "notify.h"
#include "sw_log.h"
#include "sw_pb.h"
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

/* A Publish is filed as it came: Published numbers its payload as Publish
 * does, so the payload's bytes (a warning event, or an express report of
 * every project) are copied, never unpacked. Published { seq, topic, at,
 * payload }. */
static int
s_apply_raw (void *svc, MDB_txn *txn, const sw_stage_raw_t *msg)
{
    notify_t *self = svc;
    if (msg->body != SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH)
        return 0;
    sw_pb_reader_t r;
    sw_pb_field_t f, topic = { 0 };
    size_t rest = 0;
    sw_pb_reader (&r, msg->body_data, msg->body_size);
    while (sw_pb_next (&r, &f)) {
        if (f.number == 1 && f.wire == SW_PB_LEN)
            topic = f;
        else if (f.number != 1)
            rest += f.total;
    }
    if (r.bad) {
        sw_error ("notify", "bad_publish", "size=%zu action=skipped", msg->body_size);
        return 0;
    }
    uint8_t head[3 * 15];
    size_t hl = sw_pb_put_varint_field (head, 1, self->txn_next);
    hl += sw_pb_put_len_head (head + hl, 2, topic.size);
    uint8_t at[15];
    size_t al = msg->at ? sw_pb_put_varint_field (at, 3, (uint64_t) msg->at) : 0;
    uint8_t kb[8];
    sw_u64_be (self->txn_next, kb);
    MDB_val k = { 8, kb }, v = { hl + topic.size + al + rest, NULL };
    int rc = mdb_put (txn, self->log, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc != 0)
        return rc;
    uint8_t *out = v.mv_data;
    memcpy (out, head, hl);
    out += hl;
    if (topic.size)
        memcpy (out, topic.data, topic.size);
    out += topic.size;
    memcpy (out, at, al);
    out += al;
    sw_pb_reader (&r, msg->body_data, msg->body_size);
    while (sw_pb_next (&r, &f))
        if (f.number != 1) {
            memcpy (out, f.start, f.total);
            out += f.total;
        }
    self->txn_next++;
    return sw_store_put_u64 (txn, self->meta, "next", self->txn_next);
}

/* A message whose head the stage did not read as bytes (never one of ours:
 * a second body, a repeated field), unpacked: its Publish packed again and
 * filed the same way. */
static int
s_apply (void *svc, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    if (msg->body_case != SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH)
        return 0;
    sw_stage_raw_t raw = { msg->origin_seq, msg->at, SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH, NULL, 0 };
    uint8_t *body = sw_wire_pack (&msg->publish->base, &raw.body_size);
    raw.body_data = body;
    int rc = s_apply_raw (svc, txn, &raw);
    free (body);
    return rc;
}

/* The topic of a stored Published (field 2), without unpacking it. */
static bool
s_topic (const MDB_val *v, const uint8_t **topic, size_t *len)
{
    sw_pb_reader_t r;
    sw_pb_field_t f;
    sw_pb_reader (&r, v->mv_data, v->mv_size);
    while (sw_pb_next (&r, &f))
        if (f.number == 2 && f.wire == SW_PB_LEN) {
            *topic = f.data;
            *len = f.size;
            return true;
        }
    *topic = (const uint8_t *) "";
    *len = 0;
    return !r.bad;
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
    uint64_t next_seq = from;
    /* FetchAnswer { messages: the stored encodings as they are, head_seq,
     * next_seq }, built as bytes: nothing is unpacked or packed again. */
    sw_pb_buf_t items = { NULL, 0, 0 };
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
                next_seq = sw_be_u64 (k.mv_data) + 1;
                const uint8_t *topic;
                size_t tl;
                if (!s_topic (&v, &topic, &tl)
                    || (f->n_prefixes && !s_matches (f, (const char *) topic, tl)))
                    continue;
                sw_pb_buf_bytes (&items, 1, v.mv_data, v.mv_size);
                n++;
            }
            mdb_cursor_close (cur);
        }
        mdb_txn_abort (txn);
    }
    if (n == 0 && !final && next_seq >= self->next) {
        sw_pb_buf_free (&items);
        return SW_STAGE_HOLD; /* nothing yet: long poll */
    }
    uint8_t tail[2 * 15];
    size_t tl = 0;
    if (self->next > 1)
        tl += sw_pb_put_varint_field (tail, 2, self->next - 1);
    tl += sw_pb_put_varint_field (tail + tl, 3, next_seq);
    size_t hs;
    uint8_t *head = sw_wire_pack (&resp.base, &hs);
    uint8_t lh[15];
    size_t ll = sw_pb_put_len_head (lh, SITEWATCH__V1__RESPONSE__BODY_FETCH, items.len + tl);
    *size = hs + ll + items.len + tl;
    uint8_t *out = malloc (*size);
    if (!out)
        abort ();
    struct iovec piece[4] = { { head, hs }, { lh, ll }, { items.data, items.len }, { tail, tl } };
    sw_pb_iov_copy (out, piece, 4);
    free (head);
    sw_pb_buf_free (&items);
    *response = out;
    return SW_STAGE_ANSWERED;
}

static const sw_stage_ops_t s_ops = { s_begin, s_apply, s_committed, s_query, NULL, s_apply_raw };

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
