/*  Tests of sw_render: the exact JSON of reasons (which figures each code
    shows), of a warning event and of a leadership report, with instants in
    the zone's offset, and the fallbacks (no calendar, no event). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sw_render.h"

/* 2026-03-11T10:00:00+08:00 */
#define T_RAISED INT64_C (1773194400000)
/* 2026-03-11T23:59:59.999+08:00 */
#define T_DUE INT64_C (1773244799999)

static void
test_levels (void **state)
{
    (void) state;
    assert_string_equal (sw_render_level_name (SITEWATCH__V1__LEVEL__LEVEL_GREEN), "green");
    assert_string_equal (sw_render_level_name (SITEWATCH__V1__LEVEL__LEVEL_YELLOW), "yellow");
    assert_string_equal (sw_render_level_name (SITEWATCH__V1__LEVEL__LEVEL_RED), "red");
    assert_string_equal (sw_render_level_name (SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED),
                         "not_started");
    assert_string_equal (sw_render_level_name (SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED),
                         "unspecified");
    assert_string_equal (sw_render_level_name ((Sitewatch__V1__Level) 99), "unspecified");
}

typedef struct {
    const char *name;
    Sitewatch__V1__Reason reason;
    const char *expect;
} reason_case_t;

static Sitewatch__V1__Reason
s_reason (const char *code, double lag, double planned, double actual, int32_t finish,
          int64_t period, double threshold, const char *problem, const char *detail)
{
    Sitewatch__V1__Reason r = SITEWATCH__V1__REASON__INIT;
    r.code = (char *) code;
    r.lag_pp = lag;
    r.planned_pct = planned;
    r.actual_pct = actual;
    r.forecast_finish_day = finish;
    r.period = period;
    r.threshold = threshold;
    r.problem_id = (char *) problem;
    r.detail = (char *) detail;
    return r;
}

static void
test_reasons (void **state)
{
    (void) state;
    /* day 20543 = 2026-03-31 */
    reason_case_t cases[] = {
        { "lag shows its figures",
          s_reason ("lag", 7, 25, 18, 0, 0, 5, "", ""),
          "{\"code\":\"lag\",\"lag_pp\":7,\"planned_pct\":25,\"actual_pct\":18,\"threshold\":5}" },
        { "serious lag at zero actual still shows actual and lag",
          s_reason ("serious_lag", 15.5, 15.5, 0, 0, 3, 15, "", "softened"),
          "{\"code\":\"serious_lag\",\"lag_pp\":15.5,\"planned_pct\":15.5,\"actual_pct\":0,"
          "\"threshold\":15,\"period\":3,\"detail\":\"softened\"}" },
        { "forecast with a date",
          s_reason ("forecast_late", 0, 40, 20, 20543, 0, 0, "", ""),
          "{\"code\":\"forecast_late\",\"planned_pct\":40,\"actual_pct\":20,"
          "\"forecast_finish\":\"2026-03-31\"}" },
        { "forecast never: null",
          s_reason ("forecast_late", 0, 40, 0, 0, 0, 0, "", ""),
          "{\"code\":\"forecast_late\",\"planned_pct\":40,\"actual_pct\":0,"
          "\"forecast_finish\":null}" },
        { "no_report names its period, even period 0",
          s_reason ("no_report", 0, 0, 0, 0, 0, 0, "", ""),
          "{\"code\":\"no_report\",\"period\":0}" },
        { "consecutive yellow, negative period",
          s_reason ("consecutive_yellow", 0, 0, 0, 0, -2, 0, "", ""),
          "{\"code\":\"consecutive_yellow\",\"period\":-2}" },
        { "major problem names the problem",
          s_reason ("major_problem", 0, 0, 0, 0, 0, 0, "r7/1", "crane down"),
          "{\"code\":\"major_problem\",\"problem_id\":\"r7/1\",\"detail\":\"crane down\"}" },
        { "unset strings are empty",
          s_reason (NULL, 0, 0, 0, 0, 0, 0, NULL, NULL), "{\"code\":\"\"}" },
    };
    sw_json_t *j = sw_json_new ();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_json_reset (j);
        sw_render_json_reason (j, &cases[i].reason);
        if (strcmp (sw_json_text (j), cases[i].expect) != 0)
            fail_msg ("%s:\n  got  %s\n  want %s", cases[i].name, sw_json_text (j), cases[i].expect);
    }
    sw_json_destroy (&j);
}

static const char *s_event_json
    = "{\"event_id\":\"P3#1\",\"project_id\":\"P3\",\"from\":\"yellow\",\"to\":\"red\","
      "\"reasons\":[{\"code\":\"lag\",\"lag_pp\":7,\"planned_pct\":32.5,\"actual_pct\":25.5,"
      "\"threshold\":5},{\"code\":\"consecutive_yellow\",\"period\":3}],\"lag_pp\":7,"
      "\"at\":\"2026-03-11T10:00:00+08:00\",\"period\":3,\"leader_id\":\"L1\","
      "\"commissioner_id\":\"C1\",\"project_name\":\"Project \\\"Three\\\"\"}";

static void
s_event (Sitewatch__V1__WarningEvent *ev, Sitewatch__V1__Reason **rs)
{
    sitewatch__v1__warning_event__init (ev);
    ev->event_id = "P3#1";
    ev->project_id = "P3";
    ev->from = SITEWATCH__V1__LEVEL__LEVEL_YELLOW;
    ev->to = SITEWATCH__V1__LEVEL__LEVEL_RED;
    ev->reasons = rs;
    ev->n_reasons = 2;
    ev->lag_pp = 7;
    ev->has_lag = true;
    ev->at = T_RAISED;
    ev->period = 3;
    ev->leader_id = "L1";
    ev->commissioner_id = "C1";
    ev->project_name = "Project \"Three\"";
}

static void
test_warning_and_leadership (void **state)
{
    (void) state;
    sw_calendar_t *cal = sw_calendar_new ("Asia/Shanghai", 0, 1, NULL, 0, NULL, 0);
    if (!cal)
        skip ();   /* no tzdata */
    Sitewatch__V1__Reason r1 = s_reason ("lag", 7, 32.5, 25.5, 0, 0, 5, "", "");
    Sitewatch__V1__Reason r2 = s_reason ("consecutive_yellow", 0, 0, 0, 0, 3, 0, "", "");
    Sitewatch__V1__Reason *rs[] = { &r1, &r2 };
    Sitewatch__V1__WarningEvent ev;
    s_event (&ev, rs);

    sw_json_t *j = sw_json_new ();
    sw_render_json_warning (j, cal, &ev);
    assert_string_equal (sw_json_text (j), s_event_json);

    /* without an actual, lag_pp is null */
    ev.has_lag = false;
    sw_json_reset (j);
    sw_render_json_warning (j, cal, &ev);
    assert_non_null (strstr (sw_json_text (j), "\"lag_pp\":null,\"at\""));
    ev.has_lag = true;

    Sitewatch__V1__LeadershipReport lr = SITEWATCH__V1__LEADERSHIP_REPORT__INIT;
    lr.report_id = "LR-P3.1";
    lr.project_id = "P3";
    lr.leader_id = "L1";
    lr.raised_at = T_RAISED;
    lr.due_at = T_DUE;
    lr.event = &ev;
    lr.attempt = 2;
    lr.project_name = "Project \"Three\"";
    lr.leader_name = "Leader One";
    sw_json_reset (j);
    sw_render_json_leadership (j, cal, &lr);
    char want[2048];
    snprintf (want, sizeof want,
              "{\"report_id\":\"LR-P3.1\",\"project_id\":\"P3\",\"leader_id\":\"L1\","
              "\"raised_at\":\"2026-03-11T10:00:00+08:00\","
              "\"due_at\":\"2026-03-11T23:59:59.999+08:00\",\"attempt\":2,\"event\":%s,"
              "\"project_name\":\"Project \\\"Three\\\"\",\"leader_name\":\"Leader One\"}",
              s_event_json);
    assert_string_equal (sw_json_text (j), want);
    assert_true (sw_json_complete (j));

    /* no event, no calendar: null and raw milliseconds */
    lr.event = NULL;
    sw_json_reset (j);
    sw_render_json_leadership (j, NULL, &lr);
    assert_non_null (strstr (sw_json_text (j), "\"raised_at\":1773194400000,"
                                               "\"due_at\":1773244799999,\"attempt\":2,"
                                               "\"event\":null,"));
    sw_json_destroy (&j);
    sw_calendar_destroy (&cal);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_levels),
        cmocka_unit_test (test_reasons),
        cmocka_unit_test (test_warning_and_leadership),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
