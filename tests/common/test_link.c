/* sw_link: the reliable hop over real ZeroMQ sockets and real LMDB: a lost
 * ack makes the sender resend and the receiver apply once; a restarted
 * sender resends what was unacknowledged and nothing is doubled; acked
 * entries are collected and sequence numbers never repeat; after a resend
 * timeout one batch goes again, then more as acks come (slow start). */
#include "sw_link.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

typedef struct {
    char sdir[64], rdir[64];
    sw_store_t *ss, *rs;
    zsock_t *router, *dealer;
    sw_link_out_t *out;
    sw_link_in_t *in;
    MDB_dbi applied, order;
    zmsg_t *batch[4096];
    size_t n_batch;
    uint64_t next_order;
    size_t batches;      /* "HOPS" messages received */
} s_rig_t;

static const sw_link_opts_t s_opts = { 1000, 40, 160 };

static s_rig_t *
s_rig_new (const char *ep)
{
    s_rig_t *r = calloc (1, sizeof *r);
    strcpy (r->sdir, "/tmp/sw-link-s.XXXXXX");
    strcpy (r->rdir, "/tmp/sw-link-r.XXXXXX");
    assert_non_null (mkdtemp (r->sdir));
    assert_non_null (mkdtemp (r->rdir));
    char err[256];
    r->ss = sw_store_open (r->sdir, 0, err, sizeof err);
    r->rs = sw_store_open (r->rdir, 0, err, sizeof err);
    assert_non_null (r->ss);
    assert_non_null (r->rs);
    r->router = zsock_new (ZMQ_ROUTER);
    assert_true (zsock_bind (r->router, "%s", ep) == 0);
    r->dealer = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (r->dealer, "%s", ep), 0);
    r->out = sw_link_out_new (r->ss, "down", r->dealer, &s_opts);
    r->in = sw_link_in_new (r->rs, "up");
    assert_non_null (r->out);
    assert_non_null (r->in);
    assert_int_equal (sw_store_dbi (r->rs, "applied", 0, &r->applied), 0);
    assert_int_equal (sw_store_dbi (r->rs, "order", 0, &r->order), 0);
    return r;
}

static void
s_rig_destroy (s_rig_t **r_p)
{
    s_rig_t *r = *r_p;
    sw_link_out_destroy (&r->out);
    sw_link_in_destroy (&r->in);
    zsock_destroy (&r->dealer);
    zsock_destroy (&r->router);
    sw_store_close (&r->ss);
    sw_store_close (&r->rs);
    char cmd[200];
    snprintf (cmd, sizeof cmd, "rm -rf %s %s", r->sdir, r->rdir);
    assert_int_equal (system (cmd), 0);
    free (r);
    *r_p = NULL;
}

typedef struct { s_rig_t *r; int from, to; } s_send_t;

static int
s_append (MDB_txn *txn, void *arg)
{
    s_send_t *s = arg;
    for (int i = s->from; i < s->to; i++) {
        char m[32];
        int n = snprintf (m, sizeof m, "m%05d", i);
        int rc = sw_link_out_append (s->r->out, txn, m, (size_t) n);
        if (rc)
            return rc;
    }
    return 0;
}

static void
s_send (s_rig_t *r, int from, int to)
{
    s_send_t s = { r, from, to };
    assert_int_equal (sw_store_write (r->ss, s_append, &s), 0);
    sw_link_out_pump (r->out);
}

static int s_record (s_rig_t *r, MDB_txn *txn, const void *data, size_t size);

/* The receiver's batch: count each payload's applications, record order. */
static int
s_apply (MDB_txn *txn, void *arg)
{
    s_rig_t *r = arg;
    for (size_t i = 0; i < r->n_batch; i++) {
        int rc;
        zframe_t *peer = zmsg_first (r->batch[i]), *cmd = zmsg_next (r->batch[i]);
        zframe_t *stream = zmsg_next (r->batch[i]), *seqf = zmsg_next (r->batch[i]);
        zframe_t *body = zmsg_next (r->batch[i]);
        assert_non_null (body);
        assert_int_equal (zframe_size (seqf), 8);
        bool multi = zframe_streq (cmd, "HOPS");
        if (multi)
            r->batches++;
        else
            assert_true (zframe_streq (cmd, "HOP"));
        uint64_t seq = sw_be_u64 (zframe_data (seqf));
        const uint8_t *p = zframe_data (body), *end = p + zframe_size (body), *data = p;
        size_t size = zframe_size (body);
        bool single = !multi;
        while (multi ? sw_link_batch_next (&p, end, &data, &size) : single) {
            single = false;
            if (sw_link_in_accept_seq (r->in, txn, zframe_data (peer), zframe_size (peer),
                                       zframe_data (stream), zframe_size (stream), seq++, &rc)
                != SW_LINK_APPLY) {
                if (rc)
                    return rc;
                continue;
            }
            if ((rc = s_record (r, txn, data, size)) != 0)
                return rc;
        }
        if (multi)
            assert_true (p == end); /* every message of the batch read */
    }
    return 0;
}

/* One message applied: count it, note its order. */
static int
s_record (s_rig_t *r, MDB_txn *txn, const void *data, size_t size)
{
    int rc;
    {
        /* counted by the "m%05d" each payload starts with */
        MDB_val k = { size < 6 ? size : 6, (void *) data }, v;
        uint64_t count = 0;
        if (mdb_get (txn, r->applied, &k, &v) == 0)
            count = sw_be_u64 (v.mv_data);
        uint8_t b[8];
        sw_u64_be (count + 1, b);
        v.mv_size = 8;
        v.mv_data = b;
        if ((rc = mdb_put (txn, r->applied, &k, &v, 0)) != 0)
            return rc;
        uint8_t ok[8];
        sw_u64_be (r->next_order++, ok);
        MDB_val ko = { 8, ok }, vo = { size, (void *) data };
        if ((rc = mdb_put (txn, r->order, &ko, &vo, MDB_APPEND)) != 0)
            return rc;
    }
    return 0;
}

/* One receiver turn: read what arrived, apply, ack (or lose the acks). */
static void
s_receive (s_rig_t *r, bool ack)
{
    zclock_sleep (20);
    while (zsock_events (r->router) & ZMQ_POLLIN)
        r->batch[r->n_batch++] = zmsg_recv (r->router);
    uint64_t saved = r->next_order;
    if (sw_store_write (r->rs, s_apply, r) != 0)
        r->next_order = saved;
    if (ack)
        sw_link_in_send_acks (r->in, r->router);
    else
        sw_link_in_reset (r->in);
    for (size_t i = 0; i < r->n_batch; i++)
        zmsg_destroy (&r->batch[i]);
    r->n_batch = 0;
    zclock_sleep (20);
    sw_link_out_drain (r->out);
}

static void
s_expect_once_in_order (s_rig_t *r, int n)
{
    MDB_txn *txn;
    assert_int_equal (sw_store_read (r->rs, &txn), 0);
    for (int i = 0; i < n; i++) {
        char m[32];
        int len = snprintf (m, sizeof m, "m%05d", i);
        MDB_val k = { (size_t) len, m }, v;
        assert_int_equal (mdb_get (txn, r->applied, &k, &v), 0);
        assert_int_equal (sw_be_u64 (v.mv_data), 1); /* applied exactly once */
        uint8_t ok[8];
        sw_u64_be ((uint64_t) i, ok);
        MDB_val ko = { 8, ok };
        assert_int_equal (mdb_get (txn, r->order, &ko, &v), 0);
        assert_int_equal (v.mv_size, (size_t) len);
        assert_memory_equal (v.mv_data, m, (size_t) len); /* in order */
    }
    MDB_stat st;
    mdb_stat (txn, r->applied, &st);
    assert_int_equal (st.ms_entries, (size_t) n);
    mdb_txn_abort (txn);
}

static void
test_lost_ack_resend_applied_once (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-1");
    s_send (r, 0, 100);
    s_receive (r, false);                   /* applied, but the acks are lost */
    assert_int_equal (sw_link_out_acked (r->out), 0);
    zclock_sleep (60);
    sw_link_out_tick (r->out);              /* timeout: everything goes again */
    s_receive (r, true);                    /* duplicates: acked, not applied */
    assert_int_equal (sw_link_out_acked (r->out), 100);
    assert_int_equal (sw_link_out_backlog (r->out), 0);
    s_expect_once_in_order (r, 100);
    s_rig_destroy (&r);
}

static void
test_duplicate_delivery_applied_once (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-2");
    s_send (r, 0, 50);
    zclock_sleep (60);
    sw_link_out_tick (r->out);              /* resent before the first was read */
    s_receive (r, true);                    /* both copies in one batch */
    assert_int_equal (sw_link_out_acked (r->out), 50);
    s_expect_once_in_order (r, 50);
    s_rig_destroy (&r);
}

/* Reads and drops what reached the receiver (a receiver that is down):
 * the number of messages, counted inside batches. */
static size_t
s_drop_arrived (s_rig_t *r)
{
    zclock_sleep (20);
    size_t n = 0;
    while (zsock_events (r->router) & ZMQ_POLLIN) {
        zmsg_t *m = zmsg_recv (r->router);
        zmsg_first (m); /* the peer */
        zframe_t *cmd = zmsg_next (m);
        zmsg_next (m);
        zmsg_next (m);
        zframe_t *body = zmsg_next (m);
        if (zframe_streq (cmd, "HOPS")) {
            const uint8_t *p = zframe_data (body), *end = p + zframe_size (body), *data;
            size_t size;
            while (sw_link_batch_next (&p, end, &data, &size))
                n++;
        }
        else
            n++;
        zmsg_destroy (&m);
    }
    return n;
}

static void
test_resend_starts_with_one_batch (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-7");
    s_send (r, 0, 900);                     /* within the window of 1000 */
    assert_int_equal (s_drop_arrived (r), 900);
    for (int round = 0; round < 3; round++) {
        zclock_sleep (200);                 /* past the timeout (at most 160 ms) */
        sw_link_out_tick (r->out);
        /* one batch goes again, not the 900 in flight */
        assert_int_equal (s_drop_arrived (r), SW_LINK_BATCH_MAX);
    }
    /* The receiver is back: 256 acked, then 512 go, then the rest. */
    zclock_sleep (200);
    sw_link_out_tick (r->out);
    for (int turn = 0; turn < 10 && sw_link_out_acked (r->out) < 900; turn++)
        s_receive (r, true);
    assert_int_equal (sw_link_out_acked (r->out), 900);
    assert_int_equal (sw_link_out_backlog (r->out), 0);
    s_expect_once_in_order (r, 900);
    s_rig_destroy (&r);
}

static void
test_sender_restart_resends_unacked (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-3");
    s_send (r, 0, 30);
    s_receive (r, true);
    s_send (r, 30, 60);                     /* these are never acked ... */
    s_receive (r, false);
    sw_link_out_destroy (&r->out);          /* ... and the sender "crashes" */
    r->out = sw_link_out_new (r->ss, "down", r->dealer, &s_opts);
    assert_non_null (r->out);
    assert_int_equal (sw_link_out_backlog (r->out), 30);
    sw_link_out_pump (r->out);
    s_receive (r, true);
    assert_int_equal (sw_link_out_acked (r->out), 60);
    s_expect_once_in_order (r, 60);
    s_rig_destroy (&r);
}

/* A sender restarted with 600 unacknowledged (the receiver down) sends one
 * batch, not all 600; then more as acks come, each applied once. */
static void
test_restart_resends_in_slow_start (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-8");
    s_send (r, 0, 600);
    assert_int_equal (s_drop_arrived (r), 600);
    sw_link_out_destroy (&r->out);
    r->out = sw_link_out_new (r->ss, "down", r->dealer, &s_opts);
    assert_non_null (r->out);
    assert_int_equal (sw_link_out_backlog (r->out), 600);
    sw_link_out_pump (r->out);
    assert_int_equal (s_drop_arrived (r), SW_LINK_BATCH_MAX);
    zclock_sleep (200);
    sw_link_out_tick (r->out);
    for (int turn = 0; turn < 10 && sw_link_out_acked (r->out) < 600; turn++)
        s_receive (r, true);
    assert_int_equal (sw_link_out_acked (r->out), 600);
    s_expect_once_in_order (r, 600);
    s_rig_destroy (&r);
}

/* Appends messages from..to, those in big[] padded to big_size bytes and
 * the one numbered huge to huge_size. */
typedef struct {
    s_rig_t *r;
    int from, to;
    const int *big;
    size_t big_size;
    int huge;
    size_t huge_size;
} s_mixed_t;

static int
s_append_mixed (MDB_txn *txn, void *arg)
{
    s_mixed_t *s = arg;
    char *m = calloc (1, s->huge_size + 32);
    assert_non_null (m);
    int rc = 0;
    for (int i = s->from; rc == 0 && i < s->to; i++) {
        size_t n = (size_t) snprintf (m, 32, "m%05d", i), want = n;
        for (const int *b = s->big; *b >= 0; b++)
            if (*b == i)
                want = s->big_size;
        if (i == s->huge)
            want = s->huge_size;
        memset (m + n, 'x', want - n);
        rc = sw_link_out_append (s->r->out, txn, m, want);
    }
    free (m);
    return rc;
}

/* What one pump finds committed goes out in batches ("HOPS") of at most
 * SW_LINK_BATCH_MAX messages and SW_LINK_BATCH_BYTES (a message bigger
 * than that goes alone, as "HOP"); every message is applied once, in
 * order, also when the acks are lost and every batch comes again. */
static void
test_batches_within_limits_applied_once (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-5");
    static const int big[] = { 100, 400, 401, -1 };
    size_t big_size = SW_LINK_BATCH_BYTES / 2 + 1000;   /* two never share a batch */
    size_t huge_size = SW_LINK_BATCH_BYTES + 5000;
    s_mixed_t m = { r, 0, 700, big, big_size, 600, huge_size };
    assert_int_equal (sw_store_write (r->ss, s_append_mixed, &m), 0);
    sw_link_out_pump (r->out);
    zclock_sleep (20);
    while (zsock_events (r->router) & ZMQ_POLLIN)
        r->batch[r->n_batch++] = zmsg_recv (r->router);
    /* 0-255 (the count), 256-400 (401 would pass the bytes), 401-599 (600
     * would), 600 alone, 601-699 */
    static const char *cmds[] = { "HOPS", "HOPS", "HOPS", "HOP", "HOPS" };
    assert_int_equal (r->n_batch, 5);
    for (size_t i = 0; i < r->n_batch; i++) {
        zframe_t *cmd = zmsg_first (r->batch[i]);
        cmd = zmsg_next (r->batch[i]);
        assert_true (zframe_streq (cmd, cmds[i]));
        zframe_t *body = zmsg_last (r->batch[i]);
        assert_true (i == 3 ? zframe_size (body) == huge_size
                            : zframe_size (body) <= SW_LINK_BATCH_BYTES);
    }
    uint64_t saved = r->next_order;
    if (sw_store_write (r->rs, s_apply, r) != 0)
        r->next_order = saved;
    assert_int_equal (r->batches, 4);
    sw_link_in_reset (r->in);               /* the acks are lost */
    for (size_t i = 0; i < r->n_batch; i++)
        zmsg_destroy (&r->batch[i]);
    r->n_batch = 0;
    zclock_sleep (60);
    sw_link_out_tick (r->out);              /* everything again, in batches */
    s_receive (r, true);
    assert_int_equal (sw_link_out_acked (r->out), 700);

    MDB_txn *txn;
    assert_int_equal (sw_store_read (r->rs, &txn), 0);
    MDB_stat st;
    mdb_stat (txn, r->applied, &st);
    assert_int_equal (st.ms_entries, 700);
    for (int i = 0; i < 700; i++) {
        char k6[32];
        snprintf (k6, sizeof k6, "m%05d", i);
        MDB_val k = { 6, k6 }, v;
        assert_int_equal (mdb_get (txn, r->applied, &k, &v), 0);
        assert_int_equal (sw_be_u64 (v.mv_data), 1);
        uint8_t ok[8];
        sw_u64_be ((uint64_t) i, ok);
        MDB_val ko = { 8, ok };
        assert_int_equal (mdb_get (txn, r->order, &ko, &v), 0);
        bool is_big = i == 100 || i == 400 || i == 401;
        assert_int_equal (v.mv_size, i == 600 ? huge_size : is_big ? big_size : 6);
        assert_memory_equal (v.mv_data, k6, 6);
    }
    mdb_txn_abort (txn);
    s_rig_destroy (&r);
}

static int
s_nothing (MDB_txn *txn, void *arg)
{
    return 0;
}

static void
test_acked_entries_collected_sequence_never_repeats (void **state)
{
    s_rig_t *r = s_rig_new ("inproc://link-4");
    s_send (r, 0, 20);
    s_receive (r, true);
    assert_true (sw_link_out_needs_gc (r->out));
    assert_int_equal (sw_store_write (r->ss, s_nothing, NULL), 0); /* any batch collects */
    assert_false (sw_link_out_needs_gc (r->out));
    MDB_dbi outbox;
    assert_int_equal (sw_store_dbi (r->ss, "down.outbox", 0, &outbox), 0);
    MDB_txn *txn;
    assert_int_equal (sw_store_read (r->ss, &txn), 0);
    MDB_stat st;
    assert_int_equal (mdb_stat (txn, outbox, &st), 0);
    assert_int_equal (st.ms_entries, 0); /* every acknowledged entry deleted */
    mdb_txn_abort (txn);
    /* a restart after the outbox emptied keeps counting from 21 */
    sw_link_out_destroy (&r->out);
    r->out = sw_link_out_new (r->ss, "down", r->dealer, &s_opts);
    assert_int_equal (sw_link_out_next_seq (r->out), 21);
    s_send (r, 20, 40);
    s_receive (r, true);
    assert_int_equal (sw_link_out_acked (r->out), 40);
    s_expect_once_in_order (r, 40);
    s_rig_destroy (&r);
}

/* sw_link_in_undo: a message taken back (its stage holds it for a later
 * batch) is applied when it comes again, not dropped as a duplicate, and
 * the sequence stored at commit is the one before it. Table: the verdicts
 * of each batch, then after a restart. */
typedef struct {
    sw_link_in_t *in;
    const uint64_t *seqs;   /* 0 ends; UINT64_MAX means "undo the last" */
    sw_link_verdict_t got[8];
    size_t n;
} s_undo_t;

static int
s_undo_batch (MDB_txn *txn, void *arg)
{
    s_undo_t *u = arg;
    static const uint8_t stream[SW_LINK_STREAM_LEN] = "stream-of-test!";
    u->n = 0;
    for (const uint64_t *q = u->seqs; *q; q++) {
        if (*q == UINT64_MAX) {
            sw_link_in_undo (u->in);
            continue;
        }
        int rc;
        u->got[u->n++]
            = sw_link_in_accept_seq (u->in, txn, "peer", 4, stream, sizeof stream, *q, &rc);
        if (rc)
            return rc;
    }
    return 0;
}

static void
test_undo_takes_back_the_last_apply (void **state)
{
    static const uint64_t b1[] = { 1, 2, UINT64_MAX, 0 };  /* 2 held back */
    static const uint64_t b2[] = { 2, 3, 0 };              /* 2 again: applied */
    static const uint64_t b3[] = { 2, 3, 4, UINT64_MAX, 0 };
    static const uint64_t b4[] = { 3, 4, 0 };              /* after a restart */
    static const struct {
        const uint64_t *seqs;
        bool restart_before;
        sw_link_verdict_t want[4];
        size_t n;
    } cases[] = {
        { b1, false, { SW_LINK_APPLY, SW_LINK_APPLY }, 2 },
        { b2, false, { SW_LINK_APPLY, SW_LINK_APPLY }, 2 },
        { b3, false, { SW_LINK_DUPLICATE, SW_LINK_DUPLICATE, SW_LINK_APPLY }, 3 },
        { b4, true, { SW_LINK_DUPLICATE, SW_LINK_APPLY }, 2 },
    };
    char dir[] = "/tmp/sw-link-u.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char err[256];
    sw_store_t *st = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (st);
    s_undo_t u = { sw_link_in_new (st, "up"), NULL, { 0 }, 0 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (cases[c].restart_before) {
            sw_link_in_destroy (&u.in);
            sw_store_close (&st);
            st = sw_store_open (dir, 0, err, sizeof err);
            assert_non_null (st);
            u.in = sw_link_in_new (st, "up");
        }
        u.seqs = cases[c].seqs;
        assert_int_equal (sw_store_write (st, s_undo_batch, &u), 0);
        assert_int_equal (u.n, cases[c].n);
        for (size_t i = 0; i < u.n; i++)
            assert_int_equal (u.got[i], cases[c].want[i]);
    }
    sw_link_in_destroy (&u.in);
    sw_store_close (&st);
    char cmd[200];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lost_ack_resend_applied_once),
        cmocka_unit_test (test_resend_starts_with_one_batch),
        cmocka_unit_test (test_restart_resends_in_slow_start),
        cmocka_unit_test (test_duplicate_delivery_applied_once),
        cmocka_unit_test (test_sender_restart_resends_unacked),
        cmocka_unit_test (test_acked_entries_collected_sequence_never_repeats),
        cmocka_unit_test (test_undo_takes_back_the_last_apply),
        cmocka_unit_test (test_batches_within_limits_applied_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
