/* sw_clock: wall monotonic, manual moves only by hand, first set free. */
#include "sw_clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void
test_wall (void **state)
{
    sw_clock_t c = { false, false, 0 };
    assert_int_equal (sw_clock_now (&c, 1000), 1000);
    assert_int_equal (sw_clock_now (&c, 900), 1000);   /* stepped back: hold */
    assert_int_equal (sw_clock_now (&c, 1500), 1500);
    assert_int_equal (sw_clock_set (&c, 5), SW_CLOCK_WALL);
    assert_int_equal (sw_clock_advance (&c, 5), SW_CLOCK_WALL);
    assert_string_equal (sw_clock_code (SW_CLOCK_WALL), "clock_wall");
}

static void
test_manual_table (void **state)
{
    /* op: 's' set, 'a' advance; want result and resulting now */
    static const struct { char op; int64_t v; sw_clock_result_t want; int64_t now; } t[] = {
        { 's', 500, SW_CLOCK_OK, 500 },          /* fresh clock: anywhere, even the past */
        { 's', 400, SW_CLOCK_BACKWARDS, 500 },   /* then never back */
        { 's', 500, SW_CLOCK_OK, 500 },          /* same instant is fine */
        { 'a', 0, SW_CLOCK_OK, 500 },
        { 'a', 250, SW_CLOCK_OK, 750 },
        { 'a', -1, SW_CLOCK_BACKWARDS, 750 },
        { 's', 10000, SW_CLOCK_OK, 10000 },
    };
    sw_clock_t c = { true, false, 99999 };       /* started at the wall time */
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sw_clock_result_t r = t[i].op == 's' ? sw_clock_set (&c, t[i].v) : sw_clock_advance (&c, t[i].v);
        assert_int_equal (r, t[i].want);
        assert_int_equal (sw_clock_now (&c, 123456789), t[i].now); /* wall ignored */
    }
    assert_string_equal (sw_clock_code (SW_CLOCK_BACKWARDS), "clock_backwards");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_wall),
        cmocka_unit_test (test_manual_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
