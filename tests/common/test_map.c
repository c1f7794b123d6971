/*  sw_map: table-driven cases for put/get/replace/delete/clear, then random
    operations checked against a plain array (deletes in small tables, where
    probe runs wrap around the end, exercise the backward shift), and the
    value destructor's calls counted. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sw_map.h"

static int s_freed;

static void
s_count_free (void *value)
{
    (void) value;
    s_freed++;
}

typedef enum { PUT, GET, DEL, CLEAR, SIZE } op_t;

typedef struct {
    op_t op;
    const char *key;
    intptr_t value; /* PUT: stored; GET: expected (0 = absent); DEL: 1 if there; SIZE: size */
    int freed;      /* destructor calls so far */
} step_t;

static const step_t s_steps[] = {
    { SIZE, NULL, 0, 0 },
    { GET, "JD001", 0, 0 },
    { PUT, "JD001", 11, 0 },
    { GET, "JD001", 11, 0 },
    { GET, "JD002", 0, 0 },
    { PUT, "", 5, 0 }, /* the empty key is a key */
    { GET, "", 5, 0 },
    { PUT, "JD001", 12, 1 }, /* replaced: the old value freed */
    { GET, "JD001", 12, 1 },
    { SIZE, NULL, 2, 1 },
    { DEL, "JD002", 0, 1 },
    { DEL, "JD001", 1, 2 },
    { GET, "JD001", 0, 2 },
    { GET, "", 5, 2 },
    { PUT, "a-rather-long-project-identifier-of-sixty-four-characters-000001", 7, 2 },
    { GET, "a-rather-long-project-identifier-of-sixty-four-characters-000001", 7, 2 },
    { GET, "a-rather-long-project-identifier-of-sixty-four-characters-000002", 0, 2 },
    { SIZE, NULL, 2, 2 },
    /* 23 bytes (the longest kept in the slot) and 24 (the shortest not) */
    { PUT, "twenty-three-characters", 8, 2 },
    { PUT, "twenty-four-characters!!", 9, 2 },
    { GET, "twenty-three-characters", 8, 2 },
    { GET, "twenty-four-characters!!", 9, 2 },
    { GET, "twenty-three-character", 0, 2 },
    { GET, "twenty-four-characters!", 0, 2 },
    { DEL, "twenty-three-characters", 1, 3 },
    { DEL, "twenty-four-characters!!", 1, 4 },
    { SIZE, NULL, 2, 4 },
    { CLEAR, NULL, 0, 6 },
    { SIZE, NULL, 0, 6 },
    { GET, "", 0, 6 },
    { PUT, "JD001", 13, 6 },
    { GET, "JD001", 13, 6 },
};

static void
test_table (void **state)
{
    (void) state;
    s_freed = 0;
    sw_map_t *m = sw_map_new (s_count_free);
    assert_non_null (m);
    for (size_t i = 0; i < sizeof s_steps / sizeof s_steps[0]; i++) {
        const step_t *s = &s_steps[i];
        switch (s->op) {
        case PUT:
            assert_int_equal (sw_map_put (m, s->key, (void *) s->value), 0);
            break;
        case GET:
            assert_int_equal ((intptr_t) sw_map_get (m, s->key), s->value);
            break;
        case DEL:
            assert_int_equal (sw_map_delete (m, s->key), s->value == 1);
            break;
        case CLEAR:
            sw_map_clear (m);
            break;
        case SIZE:
            assert_int_equal (sw_map_size (m), (size_t) s->value);
            break;
        }
        assert_int_equal (s_freed, s->freed);
    }
    sw_map_destroy (&m);
    assert_null (m);
    assert_int_equal (s_freed, 7); /* JD001 = 13 at the end */
}

/* A reference: keys "k<n>" for n < S_KEYS, value 0 = absent. Most keys
 * are padded to 23, 24 or 40 bytes: the map keeps keys shorter than 24 in
 * its slots and longer ones on the heap, and both kinds must move through
 * growth and the backward shift alike. */
#define S_KEYS 300

static void
s_key_of (int k, char *key, size_t cap)
{
    static const int pad[4] = { 0, 23, 24, 40 };
    int n = snprintf (key, cap, "k%d-", k);
    while (n < pad[k % 4] && (size_t) n + 1 < cap)
        key[n++] = 'x';
    key[n] = 0;
}

static void
s_random_run (unsigned seed, int ops, int key_range)
{
    srand (seed);
    intptr_t ref[S_KEYS] = { 0 };
    size_t ref_size = 0;
    sw_map_t *m = sw_map_new (NULL);
    assert_non_null (m);
    char key[48];
    for (int i = 0; i < ops; i++) {
        int k = rand () % key_range, what = rand () % 10;
        s_key_of (k, key, sizeof key);
        if (what < 5) {
            intptr_t v = 1 + rand () % 1000000;
            assert_int_equal (sw_map_put (m, key, (void *) v), 0);
            ref_size += ref[k] == 0;
            ref[k] = v;
        }
        else if (what < 8) {
            assert_int_equal (sw_map_delete (m, key), ref[k] != 0);
            ref_size -= ref[k] != 0;
            ref[k] = 0;
        }
        else
            assert_int_equal ((intptr_t) sw_map_get (m, key), ref[k]);
        if (i % 97 == 0) {
            /* everything agrees, and the walk sees each entry once */
            for (int j = 0; j < key_range; j++) {
                s_key_of (j, key, sizeof key);
                assert_int_equal ((intptr_t) sw_map_get (m, key), ref[j]);
            }
            assert_int_equal (sw_map_size (m), ref_size);
            size_t pos = 0, seen = 0;
            const char *wk;
            void *wv;
            while (sw_map_next (m, &pos, &wk, &wv)) {
                int j = atoi (wk + 1);
                s_key_of (j, key, sizeof key);
                assert_string_equal (wk, key);
                assert_int_equal ((intptr_t) wv, ref[j]);
                seen++;
            }
            assert_int_equal (seen, ref_size);
        }
    }
    sw_map_destroy (&m);
}

static void
test_random_small (void **state)
{
    (void) state;
    /* few keys: the table stays at 16-32 slots, runs wrap around its end */
    for (unsigned seed = 1; seed <= 20; seed++)
        s_random_run (seed, 4000, 12);
}

static void
test_random_large (void **state)
{
    (void) state;
    for (unsigned seed = 100; seed <= 104; seed++)
        s_random_run (seed, 40000, S_KEYS);
}

static void
test_grows_and_keeps_capacity (void **state)
{
    (void) state;
    sw_map_t *m = sw_map_new (free);
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf (key, sizeof key, "P%07d", i);
        char *v = malloc (8);
        assert_non_null (v);
        snprintf (v, 8, "%d", i % 1000);
        assert_int_equal (sw_map_put (m, key, v), 0);
    }
    assert_int_equal (sw_map_size (m), 100000);
    for (int i = 0; i < 100000; i += 7) {
        snprintf (key, sizeof key, "P%07d", i);
        char want[8];
        snprintf (want, sizeof want, "%d", i % 1000);
        assert_string_equal (sw_map_get (m, key), want);
    }
    sw_map_clear (m);
    assert_int_equal (sw_map_size (m), 0);
    assert_null (sw_map_get (m, "P0000001"));
    sw_map_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_random_small),
        cmocka_unit_test (test_random_large),
        cmocka_unit_test (test_grows_and_keeps_capacity),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
