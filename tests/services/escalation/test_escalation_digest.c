/* Table-driven test of the express report's same-day leadership rule
 * (escalation_digest_sla_outcome): met, missed and pending as a close sees
 * a leadership report, at and around its due time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "escalation_digest.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

static void
test_sla_outcome (void **state)
{
    (void) state;
    const int64_t due = 1773417599999; /* 2026-03-13T23:59:59.999+08:00 */
    static const struct {
        const char *name;
        int64_t confirmed, at;
        const char *want;
    } rows[] = {
        {"confirmed early", -3600000, 0, "met"},
        {"confirmed at the last millisecond", 0, 1, "met"},
        {"confirmed one millisecond late", 1, 2, "missed"},
        {"confirmed late, seen before due (clock order)", 1, -5, "missed"},
        {"unconfirmed, before due", -1, -1, "pending"},
        {"unconfirmed, at due", -1, 0, "pending"},
        {"unconfirmed, after due", -1, 1, "missed"},
        {"unconfirmed, at the close after the day", -1, 1, "missed"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        int64_t confirmed = rows[i].confirmed == -1 ? 0 : due + rows[i].confirmed;
        const char *got = escalation_digest_sla_outcome (due, confirmed, due + rows[i].at);
        if (strcmp (got, rows[i].want) != 0)
            fail_msg ("%s: %s, want %s", rows[i].name, got, rows[i].want);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sla_outcome),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
