/* sw_store: map growth from a tiny map, batch replay after MDB_MAP_FULL,
 * hooks around every attempt, batches on the writer thread, the lock
 * against a second opener. */
#include "sw_store.h"

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

typedef struct {
    MDB_dbi dbi;
    int count;        /* entries to write */
    int size;         /* bytes per value */
    int attempts;     /* how many times the body ran */
    int first;        /* the first key */
} s_batch_t;

static int
s_fill (MDB_txn *txn, void *arg)
{
    s_batch_t *b = arg;
    b->attempts++;
    char value[4096];
    memset (value, 'x', sizeof value);
    for (int i = 0; i < b->count; i++) {
        uint8_t key[8];
        sw_u64_be ((uint64_t) (b->first + i), key);
        MDB_val k = { 8, key }, v = { (size_t) b->size, value };
        int rc = mdb_put (txn, b->dbi, &k, &v, MDB_APPEND);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static size_t
s_entries (sw_store_t *store, MDB_dbi dbi)
{
    MDB_txn *txn;
    assert_int_equal (sw_store_read (store, &txn), 0);
    MDB_stat st;
    assert_int_equal (mdb_stat (txn, dbi, &st), 0);
    mdb_txn_abort (txn);
    return st.ms_entries;
}

static char *
s_tmpdir (void)
{
    char tmpl[] = "/tmp/sw-test-store.XXXXXX";
    char *d = mkdtemp (tmpl);
    assert_non_null (d);
    return strdup (d);
}

/* Removes a test directory and frees its name. */
static void
s_rmdir (char *dir)
{
    char cmd[512];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
    free (dir);
}

/* Table: (entries, value size) that overflow a 64 KiB map to various
 * degrees, with pages copied on the heap (0) and written in the map. */
static void
test_growth_and_replay (void **state)
{
    static const struct { int count, size; unsigned min_growths; unsigned flags; } cases[] = {
        { 10, 100, 0, 0 },        /* fits: no growth, one attempt */
        { 2000, 100, 1, 0 },      /* ~200 KB: grows */
        { 5000, 1000, 3, 0 },     /* ~5 MB: grows several times */
        { 10, 100, 0, SW_STORE_WRITEMAP },
        { 2000, 100, 1, SW_STORE_WRITEMAP },
        { 5000, 1000, 3, SW_STORE_WRITEMAP },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *dir = s_tmpdir ();
        char err[256];
        sw_store_t *store = sw_store_open_ex (dir, 64 * 1024, cases[c].flags, err, sizeof err);
        assert_non_null (store);
        s_batch_t b = { 0, cases[c].count, cases[c].size, 0, 0 };
        assert_int_equal (sw_store_dbi (store, "t", 0, &b.dbi), 0);
        assert_int_equal (sw_store_write (store, s_fill, &b), 0);
        assert_true (sw_store_growths (store) >= cases[c].min_growths);
        /* replayed once per growth after MDB_MAP_FULL, and the data is
         * there exactly once */
        assert_int_equal (b.attempts,
                          (int) (sw_store_growths (store) - sw_store_grown_ahead (store)) + 1);
        assert_int_equal (s_entries (store, b.dbi), (size_t) cases[c].count);
        sw_store_close (&store);
        /* reopening keeps the grown map and the data */
        store = sw_store_open_ex (dir, 64 * 1024, cases[c].flags, err, sizeof err);
        assert_non_null (store);
        assert_int_equal (sw_store_dbi (store, "t", 0, &b.dbi), 0);
        assert_int_equal (s_entries (store, b.dbi), (size_t) cases[c].count);
        sw_store_close (&store);
        s_rmdir (dir);
    }
}

/* A map more than half full is doubled before the next batch, which then
 * runs once: no MDB_MAP_FULL, no replay. */
static void
test_grows_ahead_of_a_batch (void **state)
{
    (void) state;
    char *dir = s_tmpdir ();
    char err[256];
    sw_store_t *store = sw_store_open (dir, 1024 * 1024, err, sizeof err);
    assert_non_null (store);
    s_batch_t b = { 0, 700, 1000, 0, 0 }; /* ~700 KB of a 1 MiB map */
    assert_int_equal (sw_store_dbi (store, "t", 0, &b.dbi), 0);
    assert_int_equal (sw_store_write (store, s_fill, &b), 0);
    assert_int_equal (sw_store_grown_ahead (store), 0);
    assert_int_equal (sw_store_map_size (store), 1024 * 1024);
    unsigned growths = sw_store_growths (store);
    /* 400 KB more would not fit in what is left */
    s_batch_t more = { 0, 400, 1000, 0, 700 };
    more.dbi = b.dbi;
    assert_int_equal (sw_store_write (store, s_fill, &more), 0);
    assert_int_equal (sw_store_grown_ahead (store), 1);
    assert_int_equal (sw_store_growths (store), growths + 1);
    assert_int_equal (sw_store_map_size (store), 2 * 1024 * 1024);
    assert_int_equal (more.attempts, 1);
    assert_int_equal (s_entries (store, b.dbi), 1100);
    sw_store_close (&store);
    s_rmdir (dir);
}

/* A batch announced as big (sw_store_expect) grows the map ahead as often
 * as needed and runs once; the hint is for that batch only. */
static void
test_grows_ahead_for_what_is_expected (void **state)
{
    (void) state;
    char *dir = s_tmpdir ();
    char err[256];
    sw_store_t *store = sw_store_open (dir, 1024 * 1024, err, sizeof err);
    assert_non_null (store);
    s_batch_t b = { 0, 3000, 1000, 0, 0 }; /* ~3.3 MB into a 1 MiB map */
    assert_int_equal (sw_store_dbi (store, "t", 0, &b.dbi), 0);
    sw_store_expect (store, 2 * 3000 * 1000);
    assert_int_equal (sw_store_write (store, s_fill, &b), 0);
    assert_int_equal (b.attempts, 1);
    assert_true (sw_store_grown_ahead (store) >= 3); /* 1 -> 2 -> 4 -> 8 -> 16 MiB */
    assert_int_equal (sw_store_growths (store), sw_store_grown_ahead (store));
    assert_true (sw_store_map_size (store) >= (size_t) 2 * (6000000 + 4096));
    /* the next batch, small, grows nothing */
    unsigned growths = sw_store_growths (store);
    s_batch_t small = { b.dbi, 10, 100, 0, 5000 };
    assert_int_equal (sw_store_write (store, s_fill, &small), 0);
    assert_int_equal (sw_store_growths (store), growths);
    assert_int_equal (s_entries (store, b.dbi), 3010);
    sw_store_close (&store);
    s_rmdir (dir);
}

/* sw_store_put: a batch puts keys through its cursors in every way the
 * services do: appends (ascending), reserved appends, keys out of order,
 * a duplicate refused (MDB_NOOVERWRITE answers with the stored value),
 * plain mdb_put mixed in on the same database (intake's case-command
 * keys), in two databases. Run in a 64 KiB map it overflows and is
 * replayed, so the cursors of an aborted attempt must not be used again,
 * nor a batch's in the next (LMDB frees them with their transaction; a
 * stale one makes the plain build fail here; liblmdb itself is not built
 * with ASan). Each attempt opens one cursor per database, no more: they
 * are kept for the batch, and put through. */
typedef struct {
    sw_store_t *store;
    MDB_dbi a, b;
    int base, count, attempts;
    int keyexist;   /* MDB_NOOVERWRITE refusals seen in the last attempt */
} s_put_t;

static int
s_put_batch (MDB_txn *txn, void *arg)
{
    s_put_t *p = arg;
    p->attempts++;
    p->keyexist = 0;
    char value[200];
    memset (value, 'v', sizeof value);
    for (int i = 0; i < p->count; i++) {
        uint8_t key[8];
        sw_u64_be ((uint64_t) (p->base + i), key);
        MDB_val k = { 8, key }, v = { sizeof value, value };
        int rc = i % 2 ? sw_store_put (p->store, txn, p->a, &k, &v, MDB_APPEND)
                       : sw_store_put (p->store, txn, p->a, &k, &v, MDB_APPEND | MDB_RESERVE);
        if (rc != 0)
            return rc;
        if (!(i % 2))
            memset (v.mv_data, 'r', v.mv_size);
        /* the other database, keys out of order */
        sw_u64_be ((uint64_t) ((p->base + i) * 7919 % 100003), key);
        MDB_val k2 = { 8, key }, v2 = { 4, "b-v1" };
        if ((rc = sw_store_put (p->store, txn, p->b, &k2, &v2, 0)) != 0)
            return rc;
        /* a duplicate: refused, with the stored value */
        MDB_val v3 = { 4, "b-v2" };
        rc = sw_store_put (p->store, txn, p->b, &k2, &v3, MDB_NOOVERWRITE);
        if (rc != MDB_KEYEXIST || v3.mv_size != 4 || memcmp (v3.mv_data, "b-v1", 4) != 0)
            return rc ? rc : -1;
        p->keyexist++;
        /* plain mdb_put on the same database, between cursor puts */
        if (i % 100 == 0) {
            sw_u64_be ((uint64_t) (200000 + p->base + i), key);
            MDB_val k4 = { 8, key }, v4 = { 4, "mdbp" };
            if ((rc = mdb_put (txn, p->b, &k4, &v4, 0)) != 0)
                return rc;
        }
    }
    /* appending a key not past the last one is refused, as by mdb_put */
    uint8_t key[8];
    sw_u64_be (0, key);
    MDB_val k = { 8, key }, v = { 1, "x" };
    if (p->base > 0 && sw_store_put (p->store, txn, p->a, &k, &v, MDB_APPEND) != MDB_KEYEXIST)
        return -1;
    return 0;
}

static int
s_drop_batch (MDB_txn *txn, void *arg)
{
    s_put_t *p = arg;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 10; i++) {
            uint8_t key[8];
            sw_u64_be ((uint64_t) (500000 + round * 10 + i), key);
            MDB_val k = { 8, key }, v = { 3, "drp" };
            int rc = sw_store_put (p->store, txn, p->b, &k, &v, MDB_APPEND);
            if (rc != 0)
                return rc;
        }
        if (round == 0) {
            int rc = mdb_drop (txn, p->b, 0);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static void
test_put_through_batch_cursors (void **state)
{
    (void) state;
    char *dir = s_tmpdir ();
    char err[256];
    sw_store_t *store = sw_store_open (dir, 64 * 1024, err, sizeof err);
    assert_non_null (store);
    s_put_t p = { store, 0, 0, 1, 1500, 0, 0 };
    assert_int_equal (sw_store_dbi (store, "a", 0, &p.a), 0);
    assert_int_equal (sw_store_dbi (store, "b", 0, &p.b), 0);
    unsigned long opened = sw_store_cursors_opened (store);
    assert_int_equal (sw_store_write (store, s_put_batch, &p), 0);
    assert_true (p.attempts > 1); /* replayed after MDB_MAP_FULL */
    assert_int_equal (p.keyexist, 1500);
    assert_int_equal (sw_store_cursors_opened (store) - opened, 2 * (unsigned long) p.attempts);
    /* a second batch, then a third: fresh cursors each time */
    for (int round = 1; round <= 2; round++) {
        p.attempts = 0;
        p.base = 1 + round * 1500;
        opened = sw_store_cursors_opened (store);
        assert_int_equal (sw_store_write (store, s_put_batch, &p), 0);
        assert_int_equal (p.keyexist, 1500);
        assert_int_equal (sw_store_cursors_opened (store) - opened,
                          2 * (unsigned long) p.attempts);
    }
    assert_int_equal (s_entries (store, p.a), 4500);
    assert_int_equal (s_entries (store, p.b), 4500 + 45); /* and 15 plain puts a batch */
    /* every value as written: reserved ones filled in, in key order */
    MDB_txn *txn;
    assert_int_equal (sw_store_read (store, &txn), 0);
    MDB_cursor *cur;
    assert_int_equal (mdb_cursor_open (txn, p.a, &cur), 0);
    MDB_val k, v;
    int n = 0;
    for (int rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT), n++) {
        uint64_t key = sw_be_u64 (k.mv_data);
        assert_int_equal (key, (uint64_t) (n + 1));
        int i = (int) ((key - 1) % 1500);
        assert_int_equal (v.mv_size, 200);
        assert_int_equal (((const char *) v.mv_data)[199], i % 2 ? 'v' : 'r');
    }
    assert_int_equal (n, 4500);
    mdb_cursor_close (cur);
    mdb_txn_abort (txn);
    /* a database emptied (mdb_drop, as rules' checkpoint does) while its
     * batch cursor is open, then put into again through it */
    opened = sw_store_cursors_opened (store);
    assert_int_equal (sw_store_write (store, s_drop_batch, &p), 0);
    assert_int_equal (s_entries (store, p.b), 10);
    assert_int_equal (sw_store_cursors_opened (store) - opened, 1);
    /* outside a batch it is mdb_put */
    assert_int_equal (mdb_txn_begin (sw_store_env (store), NULL, 0, &txn), 0);
    uint8_t key[8];
    sw_u64_be (100000, key);
    MDB_val k1 = { 8, key }, v1 = { 1, "z" };
    assert_int_equal (sw_store_put (store, txn, p.a, &k1, &v1, MDB_APPEND), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    assert_int_equal (s_entries (store, p.a), 4501);
    sw_store_close (&store);
    s_rmdir (dir);
}

typedef struct { int begins, before, committed; } s_hooks_t;
static int s_hb (MDB_txn *t, void *a) { ((s_hooks_t *) a)->begins++; return 0; }
static int s_hbc (MDB_txn *t, void *a) { ((s_hooks_t *) a)->before++; return 0; }
static void s_hc (void *a) { ((s_hooks_t *) a)->committed++; }

/* A store in dir with a 64 KiB map and the counting hooks on h. */
static sw_store_t *
s_open_counted (const char *dir, s_hooks_t *h)
{
    char err[256];
    sw_store_t *store = sw_store_open (dir, 64 * 1024, err, sizeof err);
    assert_non_null (store);
    sw_store_hooks_t hooks = { s_hb, s_hbc, s_hc, h };
    sw_store_attach (store, &hooks);
    return store;
}

static void
test_hooks_run_per_attempt (void **state)
{
    char *dir = s_tmpdir ();
    s_hooks_t h = { 0 };
    sw_store_t *store = s_open_counted (dir, &h);
    s_batch_t b = { 0, 3000, 200, 0, 0 };
    assert_int_equal (sw_store_dbi (store, "t", 0, &b.dbi), 0);
    assert_int_equal (sw_store_write (store, s_fill, &b), 0);
    assert_true (b.attempts > 1);
    assert_int_equal (h.begins, b.attempts);     /* begin on every attempt */
    assert_int_equal (h.committed, 1);           /* committed exactly once */
    sw_store_close (&store);
    free (dir);
}

static int
s_fail (MDB_txn *txn, void *arg)
{
    return -1;
}

static void
test_failed_batch_is_fatal (void **state)
{
    char *dir = s_tmpdir ();
    char err[256];
    sw_store_t *store = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (sw_store_write (store, s_fail, NULL), -1);
    /* the store refuses further use rather than limping on */
    s_batch_t b = { 0, 1, 10, 0, 0 };
    assert_int_equal (sw_store_write (store, s_fill, &b), -1);
    assert_int_equal (b.attempts, 0);
    sw_store_close (&store);
    sw_store_close (&store); /* safe twice */
    free (dir);
}

/* A batch that records the thread it ran on and waits, inside its
 * transaction, until the test lets it go (a commit under way). */
typedef struct {
    s_batch_t b;
    pthread_t ran_on;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool go;
} s_gate_t;

static int
s_gated (MDB_txn *txn, void *arg)
{
    s_gate_t *g = arg;
    g->ran_on = pthread_self ();
    pthread_mutex_lock (&g->mutex);
    while (!g->go)
        pthread_cond_wait (&g->cond, &g->mutex);
    pthread_mutex_unlock (&g->mutex);
    return s_fill (txn, &g->b);
}

static void
s_open_gate (s_gate_t *g)
{
    pthread_mutex_lock (&g->mutex);
    g->go = true;
    pthread_cond_broadcast (&g->cond);
    pthread_mutex_unlock (&g->mutex);
}

static bool
s_readable (int fd, int timeout_ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll (&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* sw_store_write_start: the batch runs on the store's writer thread while
 * the caller goes on; the done fd says when it is over; finish returns
 * sw_store_write's result, with the hooks and MDB_MAP_FULL replays as in
 * sw_store_write; one batch at a time; a failure is fatal. */
static void
test_write_in_the_background (void **state)
{
    char *dir = s_tmpdir ();
    char err[256];
    s_hooks_t h = { 0 };
    sw_store_t *store = s_open_counted (dir, &h);
    assert_int_equal (sw_store_write_fd (store), -1);
    assert_false (sw_store_writing (store));
    assert_int_equal (sw_store_write_finish (store), -1); /* nothing started */

    /* 3000 x 200 bytes overflow the 64 KiB map: replays on the writer */
    s_gate_t g = { .b = { 0, 3000, 200, 0, 0 } };
    pthread_mutex_init (&g.mutex, NULL);
    pthread_cond_init (&g.cond, NULL);
    assert_int_equal (sw_store_dbi (store, "t", 0, &g.b.dbi), 0);
    assert_int_equal (sw_store_write_start (store, s_gated, &g), 0);
    int fd = sw_store_write_fd (store);
    assert_true (fd >= 0);
    assert_true (sw_store_writing (store));
    /* held inside its transaction: not done, the fd quiet, no second start */
    assert_false (s_readable (fd, 50));
    assert_false (sw_store_write_done (store));
    assert_int_equal (sw_store_write_start (store, s_fill, &g.b), -1);
    s_open_gate (&g);
    assert_true (s_readable (fd, 10000));
    assert_true (sw_store_write_done (store));
    assert_int_equal (sw_store_write_finish (store), 0);
    assert_false (sw_store_writing (store));
    assert_false (s_readable (fd, 0)); /* finish cleared it */
    assert_false (pthread_equal (g.ran_on, pthread_self ()));
    assert_true (g.b.attempts > 1);
    assert_int_equal (h.begins, g.b.attempts);
    assert_int_equal (h.committed, 1);
    assert_int_equal (s_entries (store, g.b.dbi), 3000);

    /* the next batch on the same thread and fd; finish waits for it */
    s_batch_t b2 = { g.b.dbi, 10, 10, 0, 3000 };
    assert_int_equal (sw_store_write_start (store, s_fill, &b2), 0);
    assert_int_equal (sw_store_write_fd (store), fd);
    assert_int_equal (sw_store_write_finish (store), 0);
    assert_int_equal (b2.attempts, 1);
    assert_int_equal (s_entries (store, g.b.dbi), 3010);

    /* a failed batch is fatal, as with sw_store_write */
    assert_int_equal (sw_store_write_start (store, s_fail, NULL), 0);
    assert_int_equal (sw_store_write_finish (store), -1);
    assert_int_equal (h.committed, 2);
    assert_int_equal (sw_store_write (store, s_fill, &b2), -1);
    sw_store_close (&store);

    /* closing while a batch is under way waits for it: it is committed */
    store = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (sw_store_dbi (store, "t", 0, &g.b.dbi), 0);
    g.go = false;
    g.b.attempts = 0;
    g.b.count = 5;
    g.b.first = 5000;
    assert_int_equal (sw_store_write_start (store, s_gated, &g), 0);
    s_open_gate (&g);
    sw_store_close (&store);
    assert_int_equal (g.b.attempts, 1);
    store = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (sw_store_dbi (store, "t", 0, &g.b.dbi), 0);
    assert_int_equal (s_entries (store, g.b.dbi), 3015);
    sw_store_close (&store);
    pthread_mutex_destroy (&g.mutex);
    pthread_cond_destroy (&g.cond);
    s_rmdir (dir);
}

static void
test_second_opener_refused (void **state)
{
    char *dir = s_tmpdir ();
    char err[512] = "";
    sw_store_t *a = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (a);
    sw_store_t *b = sw_store_open (dir, 0, err, sizeof err);
    assert_null (b);
    assert_non_null (strstr (err, "in use by another sitewatch process"));
    sw_store_close (&a);
    b = sw_store_open (dir, 0, err, sizeof err);
    assert_non_null (b);
    sw_store_close (&b);
    free (dir);
}

static void
test_corrupt_file_refused (void **state)
{
    char *dir = s_tmpdir ();
    char path[512];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    for (int i = 0; i < 100000; i++)
        fputc ('z', f);
    fclose (f);
    char err[512] = "";
    sw_store_t *s = sw_store_open (dir, 0, err, sizeof err);
    assert_null (s);
    assert_non_null (strstr (err, "cannot open LMDB environment"));
    free (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_growth_and_replay),
        cmocka_unit_test (test_grows_ahead_of_a_batch),
        cmocka_unit_test (test_grows_ahead_for_what_is_expected),
        cmocka_unit_test (test_put_through_batch_cursors),
        cmocka_unit_test (test_hooks_run_per_attempt),
        cmocka_unit_test (test_failed_batch_is_fatal),
        cmocka_unit_test (test_write_in_the_background),
        cmocka_unit_test (test_second_opener_refused),
        cmocka_unit_test (test_corrupt_file_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
