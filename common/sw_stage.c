/* sw_stage: receive durably, apply in batches, forward durably, answer queries. */
#include "sw_stage.h"
#include "sw_log.h"
#include "sw_pb.h"
#include "sw_service.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

#define SW_STAGE_BATCH_MAX 4096
#define SW_STAGE_HOP_PARTS 5 /* peer, "HOP", stream, seq, payload (or "HOPS" ... batch) */
#define SW_STAGE_BARRIER_MAX_MS 15000
#define SW_STAGE_MAX_PENDING 4096
/* A batch that sends nothing on still tells downstream how far it got (a
 * tick), but at most this often: downstream then commits once per interval
 * for a stream of reports that change nothing, instead of once per batch,
 * and its disk syncs stop competing with intake's. Anything else goes on
 * at once. Queries at the later stages wait at most this much longer. */
#define SW_STAGE_TICK_MS 50

typedef struct {
    zframe_t *peer;
    zframe_t *client;
    uint64_t barrier;
    int64_t deadline;    /* mono ms: give up waiting for the barrier */
    int64_t poll_ms;     /* long poll: hold this long once the barrier is met */
    int64_t poll_end;    /* 0 until the barrier is met */
    Sitewatch__V1__Request *req;
} s_query_t;

/* A hop message kept as its frames (no czmq message: no allocation or copy
 * per frame on the hot path). */
typedef struct {
    zmq_msg_t part[SW_STAGE_HOP_PARTS];
    bool multi;          /* "HOPS": part 4 is a batch of messages */
} s_hop_t;

struct sw_stage_t {
    char name[32];
    sw_store_t *store;
    const sw_stage_ops_t *ops;
    void *svc;
    zsock_t *router;
    zsock_t *down;
    sw_link_in_t *in;
    sw_link_out_t *out;
    MDB_dbi meta;
    /* stream state, committed and transaction-local */
    int64_t now, txn_now;
    uint64_t watermark, txn_watermark;
    uint64_t forwarded, txn_forwarded;   /* origin of the last message sent on */
    int64_t tick_due;                     /* mono ms: the next tick may go */
    bool txn_ticked;
    s_hop_t batch[SW_STAGE_BATCH_MAX];
    size_t n_batch;
    size_t n_messages;   /* chain messages in the batch (a "HOPS" holds many) */
    size_t consumed;     /* messages of the batch done (the rest wait: AGAIN) */
    uint64_t watermark_before;  /* txn_watermark before the message being applied */
    int commit_window_ms;       /* see sw_stage_set_commit_window */
    size_t commit_window_min;
    uint64_t txn_out_seq;       /* the outbox's next sequence when the batch began */
    s_query_t *pending[SW_STAGE_MAX_PENDING];
    size_t n_pending;
    uint64_t applied_total, duplicates_total;
    uint64_t held_total;        /* batches the commit window kept open */
};

static int
s_stage_begin (MDB_txn *txn, void *arg)
{
    sw_stage_t *self = arg;
    self->txn_now = self->now;
    self->txn_watermark = self->watermark;
    self->txn_forwarded = self->forwarded;
    self->txn_ticked = false;
    self->txn_out_seq = self->out ? sw_link_out_next_seq (self->out) : 0;
    if (self->ops->begin)
        self->ops->begin (self->svc);
    return 0;
}

static int
s_stage_before_commit (MDB_txn *txn, void *arg)
{
    sw_stage_t *self = arg;
    int rc = 0;
    /* Tell downstream how far we got, even when nothing else went on. */
    if (self->out && self->txn_forwarded < self->txn_watermark
        && zclock_mono () >= self->tick_due) {
        Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
        Sitewatch__V1__ClockState tick = SITEWATCH__V1__CLOCK_STATE__INIT;
        tick.now = self->txn_now;
        msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_TICK;
        msg.tick = &tick;
        rc = sw_stage_forward (self, txn, &msg);
        self->txn_ticked = true;
    }
    if (rc == 0 && self->txn_watermark != self->watermark)
        rc = sw_store_put_u64 (txn, self->meta, "watermark", self->txn_watermark);
    if (rc == 0 && self->txn_now != self->now)
        rc = sw_store_put_u64 (txn, self->meta, "now", (uint64_t) self->txn_now);
    if (rc == 0 && self->txn_forwarded != self->forwarded)
        rc = sw_store_put_u64 (txn, self->meta, "forwarded", self->txn_forwarded);
    return rc;
}

static void
s_stage_committed (void *arg)
{
    sw_stage_t *self = arg;
    self->now = self->txn_now;
    self->watermark = self->txn_watermark;
    self->forwarded = self->txn_forwarded;
    if (self->txn_ticked)
        self->tick_due = zclock_mono () + SW_STAGE_TICK_MS;
    if (self->ops->committed)
        self->ops->committed (self->svc);
}

sw_stage_t *
sw_stage_new (const char *name, sw_store_t *store, const char *listen, const char *downstream,
              const sw_stage_ops_t *ops, void *svc, char *err, size_t errlen)
{
    sw_stage_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    snprintf (self->name, sizeof self->name, "%s", name);
    self->store = store;
    self->ops = ops;
    self->svc = svc;
    if (sw_store_dbi (store, "stage.meta", 0, &self->meta) != 0) {
        snprintf (err, errlen, "%s: cannot open stage metadata", name);
        goto fail;
    }
    MDB_txn *txn;
    if (sw_store_read (store, &txn) == 0) {
        uint64_t v;
        if (sw_store_get_u64 (txn, self->meta, "now", &v) == 0)
            self->now = (int64_t) v;
        if (sw_store_get_u64 (txn, self->meta, "watermark", &v) == 0)
            self->watermark = v;
        if (sw_store_get_u64 (txn, self->meta, "forwarded", &v) == 0)
            self->forwarded = v;
        mdb_txn_abort (txn);
    }
    self->router = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvhwm (self->router, 100000);
    zsock_set_sndhwm (self->router, 100000);
    zsock_set_linger (self->router, 1000);
    if (zsock_bind (self->router, "%s", listen) < 0) {
        snprintf (err, errlen, "%s: cannot bind %s: %s", name, listen, zmq_strerror (zmq_errno ()));
        goto fail;
    }
    /* The stage's hooks run before the links': its before_commit may append
     * a tick to the outbox, and the outbox's before_commit must come after
     * that to persist the sequence the tick took (else, once the outbox is
     * emptied by acks, a restart would hand the tick's sequence to the next
     * message and the receiver would drop it as a duplicate). */
    sw_store_hooks_t hooks = { s_stage_begin, s_stage_before_commit, s_stage_committed, self };
    sw_store_attach (store, &hooks);
    self->in = sw_link_in_new (store, "up");
    if (!self->in) {
        snprintf (err, errlen, "%s: cannot open the inbound link", name);
        goto fail;
    }
    if (downstream) {
        self->down = zsock_new (ZMQ_DEALER);
        zsock_set_sndhwm (self->down, 100000);
        zsock_set_rcvhwm (self->down, 100000);
        zsock_set_linger (self->down, 0); /* the outbox keeps everything unacked */
        if (zsock_connect (self->down, "%s", downstream) < 0) {
            snprintf (err, errlen, "%s: cannot connect %s", name, downstream);
            goto fail;
        }
        self->out = sw_link_out_new (store, "down", self->down, NULL);
        if (!self->out) {
            snprintf (err, errlen, "%s: cannot open the outbound link", name);
            goto fail;
        }
    }
    return self;
fail:
    sw_stage_destroy (&self);
    return NULL;
}

static void
s_query_destroy (s_query_t **q_p)
{
    s_query_t *q = *q_p;
    if (!q)
        return;
    zframe_destroy (&q->peer);
    zframe_destroy (&q->client);
    if (q->req)
        sitewatch__v1__request__free_unpacked (q->req, NULL);
    free (q);
    *q_p = NULL;
}

static size_t s_batch_count (zmq_msg_t *batch);

static void
s_clear_batch (sw_stage_t *self)
{
    for (size_t i = 0; i < self->n_batch; i++)
        for (int p = 0; p < SW_STAGE_HOP_PARTS; p++)
            zmq_msg_close (&self->batch[i].part[p]);
    self->n_batch = 0;
    self->n_messages = 0;
}

/* Drops the first n messages of the batch; those after them move to the
 * front, to be applied first in the next batch. */
static void
s_consume_batch (sw_stage_t *self, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < SW_STAGE_HOP_PARTS; p++)
            zmq_msg_close (&self->batch[i].part[p]);
    for (size_t i = n; i < self->n_batch; i++) {
        for (int p = 0; p < SW_STAGE_HOP_PARTS; p++) {
            zmq_msg_init (&self->batch[i - n].part[p]);
            zmq_msg_move (&self->batch[i - n].part[p], &self->batch[i].part[p]);
            zmq_msg_close (&self->batch[i].part[p]);
        }
        self->batch[i - n].multi = self->batch[i].multi;
    }
    self->n_batch -= n;
    self->n_messages = 0;
    for (size_t i = 0; i < self->n_batch; i++)
        self->n_messages += self->batch[i].multi ? s_batch_count (&self->batch[i].part[4]) : 1;
}

void
sw_stage_destroy (sw_stage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_stage_t *self = *self_p;
    s_clear_batch (self);
    for (size_t i = 0; i < self->n_pending; i++)
        s_query_destroy (&self->pending[i]);
    sw_store_detach (self->store, self);
    sw_link_in_destroy (&self->in);
    sw_link_out_destroy (&self->out);
    zsock_destroy (&self->router);
    zsock_destroy (&self->down);
    free (self);
    *self_p = NULL;
}

int
sw_stage_forward (sw_stage_t *self, MDB_txn *txn, Sitewatch__V1__ChainMsg *msg)
{
    if (!self->out)
        return 0;
    if (!msg->origin_seq)
        msg->origin_seq = self->txn_watermark;
    if (!msg->at)
        msg->at = self->txn_now;
    uint8_t stackbuf[4096];
    size_t n = protobuf_c_message_get_packed_size (&msg->base);
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : malloc (n);
    if (!buf)
        abort ();
    protobuf_c_message_pack (&msg->base, buf);
    int rc = sw_link_out_append (self->out, txn, buf, n);
    if (buf != stackbuf)
        free (buf);
    if (rc == 0 && msg->origin_seq > self->txn_forwarded)
        self->txn_forwarded = msg->origin_seq;
    return rc;
}

int
sw_stage_forward_raw (sw_stage_t *self, MDB_txn *txn, int64_t at, uint32_t body,
                      const struct iovec *piece, size_t n)
{
    if (!self->out)
        return 0;
    uint64_t origin = self->txn_watermark;
    if (!at)
        at = self->txn_now;
    size_t body_size = sw_pb_iov_size (piece, n);
    uint8_t head[3 * 15];
    size_t hl = 0;
    if (origin)
        hl += sw_pb_put_varint_field (head + hl, 1, origin);
    if (at)
        hl += sw_pb_put_varint_field (head + hl, 2, (uint64_t) at);
    hl += sw_pb_put_len_head (head + hl, body, body_size);
    void *data;
    int rc = sw_link_out_reserve (self->out, txn, hl + body_size, &data);
    if (rc != 0)
        return rc;
    memcpy (data, head, hl);
    sw_pb_iov_copy ((uint8_t *) data + hl, piece, n);
    if (origin > self->txn_forwarded)
        self->txn_forwarded = origin;
    return 0;
}

static void
s_reply (sw_stage_t *self, s_query_t *q, const uint8_t *data, size_t size)
{
    void *raw = zsock_resolve (self->router);
    if (zmq_send (raw, zframe_data (q->peer), zframe_size (q->peer), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send (raw, "R", 1, ZMQ_SNDMORE);
    zmq_send (raw, zframe_data (q->client), zframe_size (q->client), ZMQ_SNDMORE);
    zmq_send (raw, data, size, 0);
}

/* Answers what can be answered; keeps the rest. Returns how many were
 * answered. */
static size_t
s_serve_queries (sw_stage_t *self)
{
    size_t answered = 0;
    int64_t mono = zclock_mono ();
    size_t keep = 0;
    for (size_t i = 0; i < self->n_pending; i++) {
        s_query_t *q = self->pending[i];
        bool ready = self->watermark >= q->barrier;
        /* The long poll starts when the barrier is met, never before: an
         * answer must not miss what was acknowledged before the question. */
        if (ready && !q->poll_end)
            q->poll_end = mono + q->poll_ms;
        bool final = ready ? mono >= q->poll_end : mono >= q->deadline;
        if (!ready && !final) {
            self->pending[keep++] = q;
            continue;
        }
        if (!ready)
            sw_warn (self->name, "barrier_timeout", "barrier=%llu watermark=%llu",
                     (unsigned long long) q->barrier, (unsigned long long) self->watermark);
        uint8_t *resp = NULL;
        size_t size = 0;
        int rc = self->ops->query (self->svc, q->req, final, &resp, &size);
        if (rc == SW_STAGE_HOLD && !final) {
            self->pending[keep++] = q;
            continue;
        }
        if (resp) {
            s_reply (self, q, resp, size);
            free (resp);
        }
        s_query_destroy (&q);
        answered++;
    }
    self->n_pending = keep;
    return answered;
}

static void
s_take_query (sw_stage_t *self, zmsg_t *msg)
{
    zframe_t *peer = zmsg_pop (msg);
    zframe_t *cmd = zmsg_pop (msg);
    zframe_t *client = zmsg_pop (msg);
    zframe_t *barrier = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    s_query_t *q = NULL;
    if (!body || zmsg_size (msg) || zframe_size (barrier) != 8
        || self->n_pending == SW_STAGE_MAX_PENDING)
        goto done;
    Sitewatch__V1__Request *req
        = sitewatch__v1__request__unpack (NULL, zframe_size (body), zframe_data (body));
    if (!req)
        goto done;
    q = calloc (1, sizeof *q);
    if (!q)
        abort ();
    q->peer = peer;
    q->client = client;
    peer = client = NULL;
    q->barrier = sw_be_u64 (zframe_data (barrier));
    q->req = req;
    q->poll_ms = 0;
    if (req->body_case == SITEWATCH__V1__REQUEST__BODY_FETCH && req->fetch)
        q->poll_ms = req->fetch->wait_ms < SW_STAGE_BARRIER_MAX_MS ? req->fetch->wait_ms
                                                                   : SW_STAGE_BARRIER_MAX_MS;
    q->deadline = zclock_mono () + SW_STAGE_BARRIER_MAX_MS;
    self->pending[self->n_pending++] = q;
done:
    zframe_destroy (&peer);
    zframe_destroy (&cmd);
    zframe_destroy (&client);
    zframe_destroy (&barrier);
    zframe_destroy (&body);
}

/* Messages in a "HOPS" batch. */
static size_t
s_batch_count (zmq_msg_t *batch)
{
    const uint8_t *p = zmq_msg_data (batch), *end = p + zmq_msg_size (batch), *payload;
    size_t size, n = 0;
    while (sw_link_batch_next (&p, end, &payload, &size))
        n++;
    return n;
}

/* Reads one message from the router without waiting: a well-formed hop
 * joins the batch as its frames, a query is taken, anything else is
 * dropped. Returns false when nothing was waiting. */
static bool
s_recv (sw_stage_t *self)
{
    zmq_msg_t *part = self->batch[self->n_batch].part;
    size_t n = sw_wire_recv_parts (zsock_resolve (self->router), part, SW_STAGE_HOP_PARTS);
    if (n == 0)
        return false;
    size_t kept = n < SW_STAGE_HOP_PARTS ? n : SW_STAGE_HOP_PARTS;
    const char *cmd = kept > 1 ? zmq_msg_data (&part[1]) : NULL;
    size_t cmd_size = kept > 1 ? zmq_msg_size (&part[1]) : 0;
    bool multi = cmd_size == 4 && memcmp (cmd, "HOPS", 4) == 0;
    if ((cmd_size == 3 && memcmp (cmd, "HOP", 3) == 0) || multi) {
        if (n == SW_STAGE_HOP_PARTS) {
            self->batch[self->n_batch].multi = multi;
            self->n_batch++;
            /* a batch counts as its messages towards the batch limit */
            self->n_messages += multi ? s_batch_count (&part[4]) : 1;
            return true;
        }
        /* a malformed hop: never applied, never acknowledged */
    }
    else if (cmd_size == 1 && cmd[0] == 'Q') {
        if (n == SW_STAGE_HOP_PARTS) {
            zmsg_t *msg = zmsg_new ();
            for (size_t i = 0; i < kept; i++)
                zmsg_addmem (msg, zmq_msg_data (&part[i]), zmq_msg_size (&part[i]));
            s_take_query (self, msg);
            zmsg_destroy (&msg);
        }
    }
    else
        sw_warn (self->name, "bad_frame", "frames=%zu", n);
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close (&part[i]);
    return true;
}

/* Reads a ChainMsg's head (origin_seq, at, its one body) without unpacking
 * it; false when it is malformed or not that simple (then it is unpacked). */
static bool
s_raw_head (const void *data, size_t size, sw_stage_raw_t *raw)
{
    memset (raw, 0, sizeof *raw);
    sw_pb_reader_t r;
    sw_pb_field_t f;
    sw_pb_reader (&r, data, size);
    while (sw_pb_next (&r, &f)) {
        if (f.number == 1 && f.wire == SW_PB_VARINT)
            raw->origin_seq = f.value;
        else if (f.number == 2 && f.wire == SW_PB_VARINT)
            raw->at = (int64_t) f.value;
        else if (f.number >= 10 && f.wire == SW_PB_LEN && !raw->body) {
            raw->body = f.number;
            raw->body_data = f.data;
            raw->body_size = f.size;
        }
        else
            return false; /* a second body, or what protobuf-c should judge */
    }
    return !r.bad && raw->body;
}

static Sitewatch__V1__ChainMsg *
s_unpack (sw_stage_t *self, const uint8_t *data, size_t size)
{
    Sitewatch__V1__ChainMsg *msg = sitewatch__v1__chain_msg__unpack (NULL, size, data);
    if (!msg)
        sw_error (self->name, "bad_chain_message", "size=%zu", size);
    return msg;
}

/* Applies one chain message the link accepted. SW_STAGE_AGAIN: not applied
 * (taken back from the link), to be applied again later. */
static int
s_apply_one (sw_stage_t *self, MDB_txn *txn, const uint8_t *data, size_t size)
{
    sw_stage_raw_t raw;
    Sitewatch__V1__ChainMsg *msg = NULL;
    bool use_raw = self->ops->apply_raw && s_raw_head (data, size, &raw);
    if (!use_raw && !(msg = s_unpack (self, data, size)))
        return 0;
    if (msg) {
        raw.origin_seq = msg->origin_seq;
        raw.at = msg->at;
    }
    int64_t now_before = self->txn_now;
    self->watermark_before = self->txn_watermark;
    if (raw.at > self->txn_now)
        self->txn_now = raw.at;
    if (raw.origin_seq > self->txn_watermark)
        self->txn_watermark = raw.origin_seq;
    uint64_t origin = raw.origin_seq;
    int rc = use_raw ? self->ops->apply_raw (self->svc, txn, &raw) : SW_STAGE_UNPACK;
    if (rc == SW_STAGE_UNPACK && !msg && !(msg = s_unpack (self, data, size))) {
        self->txn_now = now_before;
        self->txn_watermark = self->watermark_before;
        return 0;
    }
    if (rc == SW_STAGE_UNPACK)
        rc = self->ops->apply (self->svc, txn, msg);
    if (msg)
        sitewatch__v1__chain_msg__free_unpacked (msg, NULL);
    if (rc == SW_STAGE_AGAIN) {
        self->txn_now = now_before;
        self->txn_watermark = self->watermark_before;
        sw_link_in_undo (self->in);
        return rc;
    }
    if (rc == 0 && origin > self->txn_watermark) /* after sw_stage_defer_watermark */
        self->txn_watermark = origin;
    return rc;
}

/* Applies messages from..n_batch of the batch. SW_STAGE_AGAIN: stopped at
 * a message to be applied again later (self->consumed says where). */
static int
s_apply_from (sw_stage_t *self, MDB_txn *txn, size_t from)
{
    for (size_t i = from; i < self->n_batch; i++) {
        zmq_msg_t *part = self->batch[i].part;
        if (zmq_msg_size (&part[3]) != 8)
            continue;
        uint64_t seq = sw_be_u64 (zmq_msg_data (&part[3]));
        const uint8_t *p = zmq_msg_data (&part[4]), *end = p + zmq_msg_size (&part[4]);
        const uint8_t *payload = p;
        size_t size = zmq_msg_size (&part[4]);
        bool multi = self->batch[i].multi, single = !multi;
        /* "HOP": one message; "HOPS": seq, seq + 1, ... */
        while (multi ? sw_link_batch_next (&p, end, &payload, &size) : single) {
            single = false;
            int rc = 0;
            sw_link_verdict_t v = sw_link_in_accept_seq (
                self->in, txn, zmq_msg_data (&part[0]), zmq_msg_size (&part[0]),
                zmq_msg_data (&part[2]), zmq_msg_size (&part[2]), seq++, &rc);
            if (rc != 0)
                return rc;
            if (v != SW_LINK_APPLY)
                continue;
            rc = s_apply_one (self, txn, payload, size);
            if (rc == SW_STAGE_AGAIN) {
                /* Commit the part done; this message (not applied yet: it
                 * is neither acknowledged nor counted) and the rest wait
                 * (those of its batch before it come back as duplicates). */
                self->consumed = i;
                return rc;
            }
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* The commit window: keeps the batch open for more messages while it has
 * sent nothing on, nobody waits for an answer, and the window since start
 * (mono ms) is not over. True when more messages joined the batch. */
static bool
s_window_more (sw_stage_t *self, int64_t start)
{
    if (self->commit_window_ms <= 0 || self->n_pending || self->n_messages < self->commit_window_min
        || (self->out && sw_link_out_next_seq (self->out) != self->txn_out_seq))
        return false;
    size_t before = self->n_batch;
    while (self->n_batch < SW_STAGE_BATCH_MAX && self->n_messages < SW_STAGE_BATCH_MAX
           && !self->n_pending) {
        if (s_recv (self)) {
            /* What came is applied at once (the caller comes back while
             * the window lasts): a red report that joins a held batch
             * goes on now, not when the window is over. */
            while (self->n_batch < SW_STAGE_BATCH_MAX && self->n_messages < SW_STAGE_BATCH_MAX
                   && s_recv (self))
                ;
            break;
        }
        int64_t left = start + self->commit_window_ms - zclock_mono ();
        if (left <= 0)
            break;
        zmq_pollitem_t item = { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) left) <= 0)
            break; /* the window is over (or interrupted) */
    }
    return self->n_batch > before;
}

static int
s_apply_batch (MDB_txn *txn, void *arg)
{
    sw_stage_t *self = arg;
    int64_t start = zclock_mono ();
    size_t from = 0;
    for (bool held = false;; held = true) {
        int rc = s_apply_from (self, txn, from);
        if (rc == SW_STAGE_AGAIN)
            return 0;
        if (rc != 0)
            return rc;
        from = self->n_batch;
        self->consumed = self->n_batch;
        if (!s_window_more (self, start)) {
            self->held_total += held;
            return 0;
        }
    }
}

static int
s_noop_batch (MDB_txn *txn, void *arg)
{
    return 0;
}

int
sw_stage_write (sw_stage_t *self, sw_store_batch_fn *fn, void *arg)
{
    if (sw_store_write (self->store, fn, arg) != 0)
        return -1;
    if (self->out)
        sw_link_out_pump (self->out);
    return 0;
}

int
sw_stage_run (sw_stage_t *self, zsock_t *pipe)
{
    zpoller_t *poller = zpoller_new (self->router, NULL);
    if (pipe)
        zpoller_add (poller, pipe);
    if (self->down)
        zpoller_add (poller, self->down);
    int64_t next_timer = zclock_mono () + 100;
    uint64_t timer_turns = 0;
    int64_t last_trim = 0;
    bool worked = false;
    int result = 0;
    sw_info (self->name, "started", "watermark=%llu", (unsigned long long) self->watermark);
    while (!zsys_interrupted) {
        /* A tick held back (see SW_STAGE_TICK_MS) is due before the timer. */
        bool tick_waits = self->out && self->forwarded < self->watermark;
        int64_t wake = tick_waits && self->tick_due < next_timer ? self->tick_due : next_timer;
        int64_t wait = self->n_batch ? 0 : wake - zclock_mono (); /* held messages go on */
        void *which = zpoller_wait (poller, wait < 0 ? 0 : (int) wait);
        if (pipe && which == pipe) {
            zmsg_t *cmd = zmsg_recv (pipe);
            char *verb = cmd ? zmsg_popstr (cmd) : NULL;
            bool term = !verb || streq (verb, "$TERM");
            free (verb);
            zmsg_destroy (&cmd);
            if (term)
                break;
        }
        if (zpoller_terminated (poller))
            break;
        /* Drain every ready message into one batch. */
        while (self->n_batch < SW_STAGE_BATCH_MAX && self->n_messages < SW_STAGE_BATCH_MAX
               && s_recv (self))
            ;
        bool gc = self->out && sw_link_out_needs_gc (self->out);
        bool tick = self->out && self->forwarded < self->watermark
                    && zclock_mono () >= self->tick_due;
        if (self->n_batch || tick || (gc && zclock_mono () >= next_timer)) {
            /* The map is grown ahead for what the batch brings (an express
             * report of 190 MB at 1 M projects), so it is not replayed. */
            size_t bytes = 0;
            for (size_t i = 0; i < self->n_batch; i++)
                bytes += zmq_msg_size (&self->batch[i].part[SW_STAGE_HOP_PARTS - 1]);
            sw_store_expect (self->store, 2 * bytes);
            int rc = sw_store_write (self->store, self->n_batch ? s_apply_batch : s_noop_batch, self);
            if (rc != 0) {
                sw_error (self->name, "fatal_storage_error", "action=exit");
                result = -1;
                break;
            }
            sw_link_in_send_acks (self->in, self->router);
            s_consume_batch (self, self->n_batch ? self->consumed : 0);
            worked = true;
            if (self->out)
                sw_link_out_pump (self->out);
        }
        if (self->out)
            sw_link_out_drain (self->out);
        if (zclock_mono () >= next_timer) {
            if (self->out)
                sw_link_out_tick (self->out);
            if (self->ops->timer)
                self->ops->timer (self->svc);
            sw_service_trim (&last_trim, &worked);
            /* Reader slots of dead processes (an mdb_copy killed mid-way)
             * would pin old pages and grow the file: clear them now and then. */
            if (++timer_turns % 600 == 0) {
                int dead = sw_store_reader_check (self->store);
                if (dead)
                    sw_warn (self->name, "stale_readers_cleared", "count=%d", dead);
            }
            next_timer = zclock_mono () + 100;
        }
        if (self->n_pending && s_serve_queries (self))
            worked = true; /* an answer (a fetch of an express report) can be large */
    }
    zpoller_destroy (&poller);
    sw_info (self->name, "stopped", "watermark=%llu held=%llu", (unsigned long long) self->watermark,
             (unsigned long long) self->held_total);
    return result;
}

int
sw_stage_serve (void *stage, zsock_t *pipe)
{
    return sw_stage_run (stage, pipe);
}

void
sw_stage_set_link_window (sw_stage_t *self, uint32_t window)
{
    if (self->out)
        sw_link_out_set_window (self->out, window);
}

void
sw_stage_set_commit_window (sw_stage_t *self, int ms, size_t min_messages)
{
    self->commit_window_ms = ms > 0 ? ms : 0;
    self->commit_window_min = min_messages;
}

void
sw_stage_defer_watermark (sw_stage_t *self)
{
    self->txn_watermark = self->watermark_before;
}

int64_t
sw_stage_now (const sw_stage_t *self)
{
    return self->txn_now;
}

uint64_t
sw_stage_watermark (const sw_stage_t *self)
{
    return self->watermark;
}

sw_store_t *
sw_stage_store (sw_stage_t *self)
{
    return self->store;
}

const char *
sw_stage_name (const sw_stage_t *self)
{
    return self->name;
}
