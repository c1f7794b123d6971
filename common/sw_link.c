/* sw_link: durable outbox + ack-after-commit + dedup + resend (see sw_link.h). */
#include "sw_link.h"
#include "sw_log.h"
#include "sw_pb.h"

#include <stdlib.h>
#include <string.h>

static int64_t
s_now_ms (void)
{
    return zclock_mono ();
}

/* ------------------------------------------------------------------ sender */

struct sw_link_out_t {
    sw_store_t *store;
    zsock_t *sock;
    void *raw;
    MDB_dbi outbox, meta;
    uint8_t stream[SW_LINK_STREAM_LEN];
    sw_link_opts_t opts;
    uint64_t committed_next; /* next sequence after the last committed append */
    uint64_t txn_next;       /* same, inside the running batch */
    uint64_t acked;          /* highest sequence the receiver has applied */
    uint64_t gc_done;        /* entries <= this are deleted (committed) */
    uint64_t txn_gc;
    uint64_t sent_next;      /* next sequence to put on the wire */
    uint32_t cwnd;           /* messages in flight now: the window; after a
                              * resend timeout one batch, doubling with each
                              * ack that makes progress (TCP's slow start) */
    int64_t last_progress;
    uint32_t rto;
    char name[64];
};

static int
s_out_begin (MDB_txn *txn, void *arg)
{
    sw_link_out_t *self = arg;
    self->txn_next = self->committed_next;
    self->txn_gc = self->gc_done;
    if (self->acked <= self->gc_done)
        return 0;
    /* Sequential keys: one cursor deletes from the oldest on (a step per
     * entry, not a search), each delete touching the same few pages. */
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, self->outbox, &cur);
    if (rc != 0)
        return rc;
    uint8_t kb[8];
    sw_u64_be (self->gc_done + 1, kb);
    MDB_val k = { 8, kb }, v;
    for (rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 8 && sw_be_u64 (k.mv_data) <= self->acked;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
        rc = mdb_cursor_del (cur, 0);
        if (rc != 0)
            break;
    }
    mdb_cursor_close (cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    self->txn_gc = self->acked;
    return 0;
}

static int
s_out_before_commit (MDB_txn *txn, void *arg)
{
    sw_link_out_t *self = arg;
    if (self->txn_next == self->committed_next)
        return 0;
    return sw_store_put_u64 (txn, self->meta, "next", self->txn_next);
}

static void
s_out_committed (void *arg)
{
    sw_link_out_t *self = arg;
    self->committed_next = self->txn_next;
    self->gc_done = self->txn_gc;
}

sw_link_out_t *
sw_link_out_new (sw_store_t *store, const char *name, zsock_t *sock, const sw_link_opts_t *opts)
{
    sw_link_out_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->store = store;
    self->sock = sock;
    self->raw = zsock_resolve (sock);
    snprintf (self->name, sizeof self->name, "%s", name);
    sw_link_out_set_window (self, opts ? opts->window : 0);
    self->opts.rto_ms = opts && opts->rto_ms ? opts->rto_ms : 500;
    self->opts.rto_max_ms = opts && opts->rto_max_ms ? opts->rto_max_ms : 8000;
    self->rto = self->opts.rto_ms;

    char dbname[96];
    snprintf (dbname, sizeof dbname, "%s.outbox", name);
    if (sw_store_dbi (store, dbname, 0, &self->outbox) != 0)
        goto fail;
    snprintf (dbname, sizeof dbname, "%s.meta", name);
    if (sw_store_dbi (store, dbname, 0, &self->meta) != 0)
        goto fail;

    /* Recover: stream id (made once), next sequence, oldest unacked entry. */
    MDB_txn *txn;
    if (mdb_txn_begin (sw_store_env (store), NULL, 0, &txn) != 0)
        goto fail;
    MDB_val k = { 6, "stream" }, v;
    int rc = mdb_get (txn, self->meta, &k, &v);
    if (rc == 0 && v.mv_size == SW_LINK_STREAM_LEN)
        memcpy (self->stream, v.mv_data, SW_LINK_STREAM_LEN);
    else {
        for (int i = 0; i < SW_LINK_STREAM_LEN; i++)
            self->stream[i] = (uint8_t) randof (256);
        uint64_t t = (uint64_t) zclock_time ();
        memcpy (self->stream, &t, sizeof t); /* time + randomness: never repeats */
        v.mv_size = SW_LINK_STREAM_LEN;
        v.mv_data = self->stream;
        rc = mdb_put (txn, self->meta, &k, &v, 0);
        if (rc != 0) {
            mdb_txn_abort (txn);
            goto fail;
        }
    }
    uint64_t next = 1;
    if (sw_store_get_u64 (txn, self->meta, "next", &next) != 0)
        next = 1;
    MDB_cursor *cur;
    uint64_t first = next, last = 0;
    if (mdb_cursor_open (txn, self->outbox, &cur) == 0) {
        if (mdb_cursor_get (cur, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8)
            first = sw_be_u64 (k.mv_data);
        if (mdb_cursor_get (cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
            last = sw_be_u64 (k.mv_data);
        mdb_cursor_close (cur);
    }
    if (last + 1 > next)
        next = last + 1;
    if (mdb_txn_commit (txn) != 0)
        goto fail;
    self->committed_next = self->txn_next = next;
    self->acked = self->gc_done = self->txn_gc = first - 1;
    self->sent_next = first;
    self->last_progress = s_now_ms ();
    sw_link_out_set_window (self, self->opts.window);

    sw_store_hooks_t hooks = { s_out_begin, s_out_before_commit, s_out_committed, self };
    sw_store_attach (store, &hooks);
    return self;
fail:
    sw_error ("link", "open_failed", "name=%s", name);
    free (self);
    return NULL;
}

void
sw_link_out_destroy (sw_link_out_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_store_detach ((*self_p)->store, *self_p);
    free (*self_p);
    *self_p = NULL;
}

uint64_t
sw_link_out_next_seq (const sw_link_out_t *self)
{
    return self->txn_next;
}

/* Appends at the end of the outbox, through the batch's cursor
 * (sw_store_put): it stays on the last page, where mdb_put would search
 * from the root each time (a period close appends 4 096 messages a slice). */
static int
s_out_put (sw_link_out_t *self, MDB_txn *txn, MDB_val *v, unsigned flags)
{
    uint8_t kb[8];
    sw_u64_be (self->txn_next, kb);
    MDB_val k = { 8, kb };
    int rc = sw_store_put (self->store, txn, self->outbox, &k, v, MDB_APPEND | flags);
    if (rc == 0)
        self->txn_next++;
    return rc;
}

int
sw_link_out_append (sw_link_out_t *self, MDB_txn *txn, const void *data, size_t size)
{
    MDB_val v = { size, (void *) data };
    return s_out_put (self, txn, &v, 0);
}

int
sw_link_out_reserve (sw_link_out_t *self, MDB_txn *txn, size_t size, void **data)
{
    MDB_val v = { size, NULL };
    int rc = s_out_put (self, txn, &v, MDB_RESERVE);
    if (rc == 0)
        *data = v.mv_data;
    return rc;
}

/* Puts one message on the wire as "HOP"; false when it cannot go now. */
static bool
s_send_one (sw_link_out_t *self, const MDB_val *k, const MDB_val *v)
{
    if (zmq_send (self->raw, "HOP", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 3)
        return false; /* no peer or queue full: try again later */
    zmq_send (self->raw, self->stream, SW_LINK_STREAM_LEN, ZMQ_SNDMORE);
    zmq_send (self->raw, k->mv_data, 8, ZMQ_SNDMORE);
    zmq_send (self->raw, v->mv_data, v->mv_size, 0);
    return true;
}

/* Puts n consecutive messages from first on the wire as one "HOPS". */
static bool
s_send_batch (sw_link_out_t *self, uint64_t first, const MDB_val *run, size_t n, size_t bytes)
{
    zmq_msg_t batch;
    if (zmq_msg_init_size (&batch, bytes) != 0)
        return false;
    uint8_t *p = zmq_msg_data (&batch);
    for (size_t i = 0; i < n; i++) {
        p += sw_pb_put_varint (p, run[i].mv_size);
        memcpy (p, run[i].mv_data, run[i].mv_size);
        p += run[i].mv_size;
    }
    if (zmq_send (self->raw, "HOPS", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 4) {
        zmq_msg_close (&batch);
        return false;
    }
    uint8_t kb[8];
    sw_u64_be (first, kb);
    zmq_send (self->raw, self->stream, SW_LINK_STREAM_LEN, ZMQ_SNDMORE);
    zmq_send (self->raw, kb, 8, ZMQ_SNDMORE);
    if (zmq_msg_send (&batch, self->raw, 0) < 0)
        zmq_msg_close (&batch);
    return true;
}

/* One batch, or the window if smaller: where a resend starts. */
static uint32_t
s_first_cwnd (const sw_link_out_t *self)
{
    return self->opts.window < SW_LINK_BATCH_MAX ? self->opts.window : SW_LINK_BATCH_MAX;
}

void
sw_link_out_set_window (sw_link_out_t *self, uint32_t window)
{
    self->opts.window = window ? window : SW_LINK_WINDOW_DEFAULT;
    /* A sender that starts with unacknowledged entries resends them: in
     * slow start, as after a timeout (the receiver may be down). */
    self->cwnd = self->acked + 1 < self->committed_next ? s_first_cwnd (self) : self->opts.window;
}

void
sw_link_out_pump (sw_link_out_t *self)
{
    if (self->sent_next >= self->committed_next)
        return;
    if (self->sent_next - self->acked - 1 >= self->cwnd)
        return;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) != 0)
        return;
    MDB_cursor *cur;
    if (mdb_cursor_open (txn, self->outbox, &cur) != 0) {
        mdb_txn_abort (txn);
        return;
    }
    uint8_t kb[8];
    sw_u64_be (self->sent_next, kb);
    MDB_val k = { 8, kb }, v;
    int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    MDB_val first_k;
    MDB_val run[SW_LINK_BATCH_MAX];
    while (rc == 0 && self->sent_next - self->acked - 1 < self->cwnd) {
        uint64_t first = sw_be_u64 (k.mv_data);
        if (first >= self->committed_next)
            break;
        /* A run of consecutive committed entries within the window and
         * the batch limits (the first always goes, whatever its size). */
        size_t n = 0, bytes = 0;
        first_k = k;
        while (rc == 0 && n < SW_LINK_BATCH_MAX) {
            uint64_t seq = sw_be_u64 (k.mv_data);
            size_t add = sw_pb_varint_size (v.mv_size) + v.mv_size;
            if (seq != first + n || seq >= self->committed_next
                || seq - self->acked - 1 >= self->cwnd
                || (n > 0 && bytes + add > SW_LINK_BATCH_BYTES))
                break;
            run[n++] = v;
            bytes += add;
            rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
        }
        if (n == 0)
            break;
        bool sent = n == 1 ? s_send_one (self, &first_k, &run[0])
                           : s_send_batch (self, first, run, n, bytes);
        if (!sent)
            break;
        self->sent_next = first + n;
    }
    mdb_cursor_close (cur);
    mdb_txn_abort (txn);
}

void
sw_link_out_on_ack (sw_link_out_t *self, zmsg_t *msg)
{
    zframe_t *cmd = zmsg_first (msg);
    zframe_t *stream = zmsg_next (msg);
    zframe_t *seqf = zmsg_next (msg);
    if (!cmd || !zframe_streq (cmd, "ACK") || !stream || !seqf
        || zframe_size (stream) != SW_LINK_STREAM_LEN || zframe_size (seqf) != 8
        || memcmp (zframe_data (stream), self->stream, SW_LINK_STREAM_LEN) != 0)
        return;
    uint64_t seq = sw_be_u64 (zframe_data (seqf));
    if (seq >= self->committed_next)
        seq = self->committed_next - 1;
    if (seq > self->acked) {
        self->acked = seq;
        self->last_progress = s_now_ms ();
        self->rto = self->opts.rto_ms;
        if (self->cwnd < self->opts.window)
            self->cwnd = self->cwnd > self->opts.window / 2 ? self->opts.window : self->cwnd * 2;
    }
    if (self->sent_next <= self->acked)
        self->sent_next = self->acked + 1;
}

void
sw_link_out_drain (sw_link_out_t *self)
{
    zmsg_t *msg;
    while (zsock_events (self->sock) & ZMQ_POLLIN) {
        msg = zmsg_recv (self->sock);
        if (!msg)
            break;
        sw_link_out_on_ack (self, msg);
        zmsg_destroy (&msg);
    }
    sw_link_out_pump (self);
}

void
sw_link_out_tick (sw_link_out_t *self)
{
    int64_t now = s_now_ms ();
    if (self->acked + 1 < self->sent_next && now - self->last_progress >= self->rto) {
        sw_debug ("link", "resend", "name=%s from=%llu to=%llu rto=%u", self->name,
                  (unsigned long long) (self->acked + 1),
                  (unsigned long long) (self->sent_next - 1), self->rto);
        self->sent_next = self->acked + 1;
        self->last_progress = now;
        self->rto = self->rto * 2 > self->opts.rto_max_ms ? self->opts.rto_max_ms : self->rto * 2;
        /* Go back with one batch, not the whole window: a receiver that is
         * down would otherwise queue a copy of everything in flight at
         * every timeout (16 MB of a close's changes at 65 536). */
        self->cwnd = s_first_cwnd (self);
    }
    else if (self->acked + 1 >= self->sent_next)
        self->last_progress = now;
    sw_link_out_pump (self);
}

bool
sw_link_out_needs_gc (const sw_link_out_t *self)
{
    return self->acked > self->gc_done;
}

uint64_t
sw_link_out_backlog (const sw_link_out_t *self)
{
    return self->committed_next - 1 - self->acked;
}

uint64_t
sw_link_out_acked (const sw_link_out_t *self)
{
    return self->acked;
}

/* ---------------------------------------------------------------- receiver */

#define SW_LINK_MAX_STREAMS 64
#define SW_LINK_MAX_ACKS 64

typedef struct {
    uint8_t id[SW_LINK_STREAM_LEN];
    uint64_t committed_last;
    uint64_t txn_last;
} s_stream_t;

typedef struct {
    uint8_t peer[255];  /* a ROUTER routing id is 1..255 bytes */
    size_t peer_size;
    size_t stream;
} s_pending_ack_t;

struct sw_link_in_t {
    sw_store_t *store;
    MDB_dbi dbi;
    s_stream_t streams[SW_LINK_MAX_STREAMS];
    size_t n_streams;
    size_t n_committed_streams;
    s_pending_ack_t acks[SW_LINK_MAX_ACKS];
    size_t n_acks;
    size_t last_applied;  /* stream of the last SW_LINK_APPLY */
};

static void
s_in_clear_acks (sw_link_in_t *self)
{
    self->n_acks = 0;
}

static int
s_in_begin (MDB_txn *txn, void *arg)
{
    sw_link_in_t *self = arg;
    self->n_streams = self->n_committed_streams;
    for (size_t i = 0; i < self->n_streams; i++)
        self->streams[i].txn_last = self->streams[i].committed_last;
    s_in_clear_acks (self);
    return 0;
}

/* The highest sequence applied per stream is written once per batch, not
 * once per message: the same value reaches the same commit. */
static int
s_in_before_commit (MDB_txn *txn, void *arg)
{
    sw_link_in_t *self = arg;
    for (size_t i = 0; i < self->n_streams; i++) {
        s_stream_t *st = &self->streams[i];
        if (st->txn_last == st->committed_last)
            continue;
        uint8_t vb[8];
        sw_u64_be (st->txn_last, vb);
        MDB_val k = { SW_LINK_STREAM_LEN, st->id }, v = { 8, vb };
        int rc = mdb_put (txn, self->dbi, &k, &v, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void
s_in_committed (void *arg)
{
    sw_link_in_t *self = arg;
    self->n_committed_streams = self->n_streams;
    for (size_t i = 0; i < self->n_streams; i++)
        self->streams[i].committed_last = self->streams[i].txn_last;
}

sw_link_in_t *
sw_link_in_new (sw_store_t *store, const char *name)
{
    sw_link_in_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->store = store;
    char dbname[96];
    snprintf (dbname, sizeof dbname, "%s.in", name);
    if (sw_store_dbi (store, dbname, 0, &self->dbi) != 0) {
        free (self);
        return NULL;
    }
    sw_store_hooks_t hooks = { s_in_begin, s_in_before_commit, s_in_committed, self };
    sw_store_attach (store, &hooks);
    return self;
}

void
sw_link_in_destroy (sw_link_in_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_store_detach ((*self_p)->store, *self_p);
    s_in_clear_acks (*self_p);
    free (*self_p);
    *self_p = NULL;
}

void
sw_link_in_reset (sw_link_in_t *self)
{
    s_in_clear_acks (self);
}

static void
s_in_schedule_ack (sw_link_in_t *self, const void *peer, size_t peer_size, size_t stream)
{
    for (size_t i = 0; i < self->n_acks; i++)
        if (self->acks[i].stream == stream && self->acks[i].peer_size == peer_size
            && memcmp (self->acks[i].peer, peer, peer_size) == 0)
            return;
    if (self->n_acks == SW_LINK_MAX_ACKS)
        return; /* the sender will resend and be acked next time */
    memcpy (self->acks[self->n_acks].peer, peer, peer_size);
    self->acks[self->n_acks].peer_size = peer_size;
    self->acks[self->n_acks].stream = stream;
    self->n_acks++;
}

sw_link_verdict_t
sw_link_in_accept_seq (sw_link_in_t *self, MDB_txn *txn, const void *peer, size_t peer_size,
                       const void *stream, size_t stream_size, uint64_t seq, int *mdb_rc)
{
    *mdb_rc = 0;
    if (peer_size == 0 || peer_size > sizeof self->acks[0].peer
        || stream_size != SW_LINK_STREAM_LEN)
        return SW_LINK_BAD;
    size_t si;
    for (si = 0; si < self->n_streams; si++)
        if (memcmp (self->streams[si].id, stream, SW_LINK_STREAM_LEN) == 0)
            break;
    if (si == self->n_streams) {
        if (si == SW_LINK_MAX_STREAMS)
            return SW_LINK_BAD;
        MDB_val k = { SW_LINK_STREAM_LEN, (void *) stream }, v;
        uint64_t last = 0;
        int rc = mdb_get (txn, self->dbi, &k, &v);
        if (rc == 0 && v.mv_size == 8)
            last = sw_be_u64 (v.mv_data);
        else if (rc != 0 && rc != MDB_NOTFOUND) {
            *mdb_rc = rc;
            return SW_LINK_BAD;
        }
        memcpy (self->streams[si].id, stream, SW_LINK_STREAM_LEN);
        self->streams[si].committed_last = last;
        self->streams[si].txn_last = last;
        self->n_streams++;
    }
    s_in_schedule_ack (self, peer, peer_size, si);
    s_stream_t *st = &self->streams[si];
    if (seq <= st->txn_last)
        return SW_LINK_DUPLICATE;
    if (seq != st->txn_last + 1)
        return SW_LINK_GAP;
    st->txn_last = seq; /* recorded in the store before commit */
    self->last_applied = si;
    return SW_LINK_APPLY;
}

void
sw_link_in_undo (sw_link_in_t *self)
{
    s_stream_t *st = &self->streams[self->last_applied];
    if (st->txn_last > st->committed_last)
        st->txn_last--;
}

bool
sw_link_batch_next (const uint8_t **p, const uint8_t *end, const uint8_t **payload, size_t *size)
{
    uint64_t len;
    if (*p >= end || !sw_pb_get_varint (p, end, &len) || len > (uint64_t) (end - *p))
        return false;
    *payload = *p;
    *size = (size_t) len;
    *p += len;
    return true;
}

void
sw_link_in_send_acks (sw_link_in_t *self, zsock_t *router)
{
    void *raw = zsock_resolve (router);
    for (size_t i = 0; i < self->n_acks; i++) {
        s_stream_t *st = &self->streams[self->acks[i].stream];
        uint8_t sb[8];
        sw_u64_be (st->committed_last, sb);
        if (zmq_send (raw, self->acks[i].peer, self->acks[i].peer_size, ZMQ_SNDMORE | ZMQ_DONTWAIT)
            < 0)
            continue;
        zmq_send (raw, "ACK", 3, ZMQ_SNDMORE);
        zmq_send (raw, st->id, SW_LINK_STREAM_LEN, ZMQ_SNDMORE);
        zmq_send (raw, sb, 8, 0);
    }
    s_in_clear_acks (self);
}
