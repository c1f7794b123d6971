/* sw_store: map growth from a tiny map, batch replay after MDB_MAP_FULL,
 * hooks around every attempt, the lock against a second opener. */
#include "sw_store.h"

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
        char cmd[512];
        snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal (system (cmd), 0);
        free (dir);
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
    char cmd[512];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
    free (dir);
}

typedef struct { int begins, before, committed; } s_hooks_t;
static int s_hb (MDB_txn *t, void *a) { ((s_hooks_t *) a)->begins++; return 0; }
static int s_hbc (MDB_txn *t, void *a) { ((s_hooks_t *) a)->before++; return 0; }
static void s_hc (void *a) { ((s_hooks_t *) a)->committed++; }

static void
test_hooks_run_per_attempt (void **state)
{
    char *dir = s_tmpdir ();
    char err[256];
    sw_store_t *store = sw_store_open (dir, 64 * 1024, err, sizeof err);
    assert_non_null (store);
    s_hooks_t h = { 0 };
    sw_store_hooks_t hooks = { s_hb, s_hbc, s_hc, &h };
    sw_store_attach (store, &hooks);
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
        cmocka_unit_test (test_hooks_run_per_attempt),
        cmocka_unit_test (test_failed_batch_is_fatal),
        cmocka_unit_test (test_second_opener_refused),
        cmocka_unit_test (test_corrupt_file_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
