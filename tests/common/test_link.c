/* sw_link: the reliable hop over real ZeroMQ sockets and real LMDB: a lost
 * ack makes the sender resend and the receiver apply once; a restarted
 * sender resends what was unacknowledged and nothing is doubled; acked
 * entries are collected and sequence numbers never repeat. */
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

/* The receiver's batch: count each payload's applications, record order. */
static int
s_apply (MDB_txn *txn, void *arg)
{
    s_rig_t *r = arg;
    for (size_t i = 0; i < r->n_batch; i++) {
        zframe_t *payload;
        int rc;
        if (sw_link_in_accept (r->in, txn, r->batch[i], &payload, &rc) != SW_LINK_APPLY) {
            if (rc)
                return rc;
            continue;
        }
        MDB_val k = { zframe_size (payload), zframe_data (payload) }, v;
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
        MDB_val ko = { 8, ok }, vo = { zframe_size (payload), zframe_data (payload) };
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
        uint8_t sb[8];
        sw_u64_be (*q, sb);
        int rc;
        u->got[u->n++] = sw_link_in_accept_parts (u->in, txn, "peer", 4, stream, sizeof stream,
                                                  sb, sizeof sb, &rc);
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
        cmocka_unit_test (test_duplicate_delivery_applied_once),
        cmocka_unit_test (test_sender_restart_resends_unacked),
        cmocka_unit_test (test_acked_entries_collected_sequence_never_repeats),
        cmocka_unit_test (test_undo_takes_back_the_last_apply),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
