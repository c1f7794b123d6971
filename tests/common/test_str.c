/*  sw_str: the bounded copy against snprintf (dst, cap, "%s", src) over a
    table of lengths around the capacity, and the decimal writer against
    snprintf ("%llu") at the edges of each digit count. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sw_str.h"

typedef struct {
    const char *src;
    size_t cap;
    const char *want;
} copy_case_t;

static const copy_case_t s_copies[] = {
    { "", 1, "" },
    { "abc", 1, "" },
    { "abc", 2, "a" },
    { "abc", 3, "ab" },
    { "abc", 4, "abc" },
    { "abc", 64, "abc" },
    { "no_report", 24, "no_report" },
    { "consecutive_yellow", 19, "consecutive_yellow" },
    { "consecutive_yellow", 18, "consecutive_yello" },
};

static void
test_strlcpy_table (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_copies / sizeof s_copies[0]; i++) {
        const copy_case_t *c = &s_copies[i];
        char got[80], ref[80];
        memset (got, 'x', sizeof got);
        size_t n = sw_strlcpy (got, c->src, c->cap);
        snprintf (ref, c->cap, "%s", c->src);
        assert_string_equal (got, c->want);
        assert_string_equal (got, ref);
        assert_int_equal (n, strlen (c->want));
        assert_int_equal (got[c->cap], 'x'); /* nothing written past cap */
    }
}

static void
test_strlcpy_edges (void **state)
{
    (void) state;
    char buf[4] = "xyz";
    assert_int_equal (sw_strlcpy (buf, "abc", 0), 0);
    assert_string_equal (buf, "xyz"); /* cap 0: nothing written */
    assert_int_equal (sw_strlcpy (buf, NULL, sizeof buf), 0);
    assert_string_equal (buf, "");
}

static void
test_u64_dec_edges (void **state)
{
    (void) state;
    uint64_t p = 1;
    for (int digits = 1; digits <= 20; digits++) {
        uint64_t vals[3] = { p - 1, p, p + 1 };
        for (int j = 0; j < 3; j++) {
            char got[21], ref[32];
            size_t n = sw_u64_dec (got, vals[j]);
            snprintf (ref, sizeof ref, "%llu", (unsigned long long) vals[j]);
            assert_string_equal (got, ref);
            assert_int_equal (n, strlen (ref));
        }
        if (digits < 20)
            p *= 10;
    }
    char got[21];
    assert_int_equal (sw_u64_dec (got, UINT64_MAX), 20);
    assert_string_equal (got, "18446744073709551615");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_strlcpy_table),
        cmocka_unit_test (test_strlcpy_edges),
        cmocka_unit_test (test_u64_dec_edges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
