/* intake_validate: every rejection code of SPEC §3, at and around its limit,
 * table-driven. */
#include "intake_validate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define NOW 1773540000000LL /* 2026-03-15T10:00:00+08:00 */
#define MIN 60000LL
#define DAY 86400000LL

typedef struct {
    const char *name;
    const char *report_id;
    const char *project_id;
    int source;
    int64_t observed_at;
    int32_t percent_bp;
    size_t frame_size;
    bool project_known;
    bool authorized;
    const char *problem_text;
    int problem_severity;
    const char *reason;
    const char *want;              /* NULL = accepted */
} s_case_t;

static const s_case_t s_cases[] = {
    { "plain report", "R1", "P1", 1, NOW, 5000, 100, true, true, NULL, 0, NULL, NULL },
    { "0 percent", "R1", "P1", 1, NOW, 0, 100, true, true, NULL, 0, NULL, NULL },
    { "100 percent", "R1", "P1", 1, NOW, 10000, 100, true, true, NULL, 0, NULL, NULL },
    { "100.01 percent", "R1", "P1", 1, NOW, 10001, 100, true, true, NULL, 0, NULL, "bad_percent" },
    { "negative percent", "R1", "P1", 1, NOW, -1, 100, true, true, NULL, 0, NULL, "bad_percent" },
    { "unknown project", "R1", "PX", 1, NOW, 5000, 100, false, true, NULL, 0, NULL, "unknown_project" },
    { "not authorized", "R1", "P1", 1, NOW, 5000, 100, true, false, NULL, 0, NULL, "unauthorized" },
    { "frame at 64 KiB", "R1", "P1", 1, NOW, 5000, 65536, true, true, NULL, 0, NULL, NULL },
    { "frame over 64 KiB", "R1", "P1", 1, NOW, 5000, 65537, true, true, NULL, 0, NULL, "too_large" },
    { "5 min in the future", "R1", "P1", 1, NOW + 5 * MIN, 5000, 100, true, true, NULL, 0, NULL, NULL },
    { "5 min 1 ms in the future", "R1", "P1", 1, NOW + 5 * MIN + 1, 5000, 100, true, true, NULL, 0, NULL, "future_timestamp" },
    { "14 days old", "R1", "P1", 1, NOW - 14 * DAY, 5000, 100, true, true, NULL, 0, NULL, NULL },
    { "14 days 1 ms old", "R1", "P1", 1, NOW - 14 * DAY - 1, 5000, 100, true, true, NULL, 0, NULL, "too_old" },
    { "no report id", "", "P1", 1, NOW, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "report id with space", "R 1", "P1", 1, NOW, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "no project id", "R1", "", 1, NOW, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "no source", "R1", "P1", 0, NOW, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "unknown source", "R1", "P1", 9, NOW, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "no observed_at", "R1", "P1", 1, 0, 5000, 100, true, true, NULL, 0, NULL, "malformed" },
    { "minor problem", "R1", "P1", 2, NOW, 5000, 100, true, true, "crane down", 1, NULL, NULL },
    { "major problem", "R1", "P1", 3, NOW, 5000, 100, true, true, "塔吊倒塌", 2, NULL, NULL },
    { "problem without severity", "R1", "P1", 1, NOW, 5000, 100, true, true, "x", 0, NULL, "malformed" },
    { "problem without text", "R1", "P1", 1, NOW, 5000, 100, true, true, "", 1, NULL, "malformed" },
    { "invalid UTF-8 problem", "R1", "P1", 1, NOW, 5000, 100, true, true, "\xff\xfe", 1, NULL, "malformed" },
    { "overlong UTF-8", "R1", "P1", 1, NOW, 5000, 100, true, true, "\xc0\xaf", 1, NULL, "malformed" },
    { "surrogate in UTF-8", "R1", "P1", 1, NOW, 5000, 100, true, true, "\xed\xa0\x80", 1, NULL, "malformed" },
    { "truncated UTF-8", "R1", "P1", 1, NOW, 5000, 100, true, true, "ok\xe6\x96", 1, NULL, "malformed" },
    { "legitimate reason", "R1", "P1", 1, NOW, 5000, 100, true, true, NULL, 0, "台风停工", NULL },
    { "bad UTF-8 reason", "R1", "P1", 1, NOW, 5000, 100, true, true, NULL, 0, "\x80", "malformed" },
    /* order: malformed before unknown project, too_large before everything */
    { "malformed beats unknown", "", "PX", 1, NOW, 5000, 100, false, true, NULL, 0, NULL, "malformed" },
    { "too_large beats all", "", "PX", 0, 0, -5, 70000, false, false, NULL, 0, NULL, "too_large" },
    { "unknown beats bad percent", "R1", "PX", 1, NOW, 20000, 100, false, true, NULL, 0, NULL, "unknown_project" },
};

static void
test_report_table (void **state)
{
    char long_id[200];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        Sitewatch__V1__Report r = SITEWATCH__V1__REPORT__INIT;
        Sitewatch__V1__Problem p = SITEWATCH__V1__PROBLEM__INIT;
        Sitewatch__V1__Problem *pp[1] = { &p };
        r.report_id = (char *) c->report_id;
        r.project_id = (char *) c->project_id;
        r.source = c->source;
        r.observed_at = c->observed_at;
        r.percent_bp = c->percent_bp;
        if (c->problem_text) {
            p.text = (char *) c->problem_text;
            p.severity = c->problem_severity;
            r.problems = pp;
            r.n_problems = 1;
        }
        if (c->reason)
            r.legitimate_reason = (char *) c->reason;
        intake_context_t ctx = { NOW, 5 * MIN, 14 * DAY, c->frame_size, c->project_known,
                                 c->authorized };
        intake_verdict_t v;
        int rc = intake_validate_report (&r, &ctx, &v);
        if (c->want == NULL) {
            if (rc != 0)
                fail_msg ("%s: rejected %s (%s)", c->name, v.code, v.message);
        }
        else {
            if (rc != -1 || !v.code || strcmp (v.code, c->want) != 0)
                fail_msg ("%s: want %s, got %s", c->name, c->want, v.code ? v.code : "accepted");
            assert_true (strlen (v.message) > 0); /* a human message with every code */
        }
    }
    /* ids longer than 128 bytes */
    Sitewatch__V1__Report r = SITEWATCH__V1__REPORT__INIT;
    r.report_id = long_id;
    r.project_id = "P1";
    r.source = 1;
    r.observed_at = NOW;
    intake_context_t ctx = { NOW, 5 * MIN, 14 * DAY, 100, true, true };
    intake_verdict_t v;
    assert_int_equal (intake_validate_report (&r, &ctx, &v), -1);
    assert_string_equal (v.code, "malformed");
    assert_int_equal (intake_validate_report (NULL, &ctx, &v), -1);
    assert_string_equal (v.code, "malformed");
}

static void
test_checkin_table (void **state)
{
    static const struct { const char *c, *p; int64_t at; bool known, auth; const char *want; } t[] = {
        { "C1", "P1", NOW, true, true, NULL },
        { "C1", "PX", NOW, false, true, "unknown_project" },
        { "", "P1", NOW, true, true, "malformed" },
        { "C1", "P1", 0, true, true, "malformed" },
        { "C1", "P1", NOW + 6 * MIN, true, true, "future_timestamp" },
        { "C1", "P1", NOW - 15 * DAY, true, true, "too_old" },
        { "C1", "P1", NOW, true, false, "unauthorized" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        Sitewatch__V1__Checkin c = SITEWATCH__V1__CHECKIN__INIT;
        c.commissioner_id = (char *) t[i].c;
        c.project_id = (char *) t[i].p;
        c.at = t[i].at;
        intake_context_t ctx = { NOW, 5 * MIN, 14 * DAY, 50, t[i].known, t[i].auth };
        intake_verdict_t v;
        int rc = intake_validate_checkin (&c, &ctx, &v);
        if (t[i].want)
            assert_string_equal (v.code, t[i].want);
        else
            assert_int_equal (rc, 0);
    }
}

static void
test_utf8_and_ids (void **state)
{
    static const struct { const char *s; size_t n; bool ok; } u[] = {
        { "", 0, true }, { "abc", 3, true }, { "江东", 6, true }, { "\xf0\x9f\x98\x80", 4, true },
        { "a\0b", 3, false }, { "\xf4\x90\x80\x80", 4, false }, { "\xe0\x80\x80", 3, false },
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        assert_int_equal (intake_valid_utf8 (u[i].s, u[i].n), u[i].ok);
    assert_true (intake_valid_id ("JD001"));
    assert_true (intake_valid_id ("01J9Z3/1"));
    assert_false (intake_valid_id (""));
    assert_false (intake_valid_id ("a b"));
    assert_false (intake_valid_id ("江东"));
    assert_false (intake_valid_id (NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_report_table),
        cmocka_unit_test (test_checkin_table),
        cmocka_unit_test (test_utf8_and_ids),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
