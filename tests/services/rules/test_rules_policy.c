/* Table-driven tests of rules_policy: the planned curve, Earned Schedule, the
 * raw-level clauses at their thresholds, legitimate reasons, no_report, the
 * not-started state, the effective level and the configuration parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules_policy.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

#define EXPECT_INT(row, what, got, want)                                                     \
    do {                                                                                     \
        long long got_ = (long long) (got), want_ = (long long) (want);                      \
        if (got_ != want_)                                                                   \
            fail_msg ("%s: %s = %lld, want %lld", (row), (what), got_, want_);               \
    } while (0)

#define EXPECT_DBL(row, what, got, want)                                                     \
    do {                                                                                     \
        double got_ = (got), want_ = (want);                                                 \
        if (fabs (got_ - want_) > 1e-9)                                                      \
            fail_msg ("%s: %s = %.6f, want %.6f", (row), (what), got_, want_);               \
    } while (0)

#define EXPECT_STR(row, what, got, want)                                                     \
    do {                                                                                     \
        const char *got_ = (got), *want_ = (want);                                           \
        if (strcmp (got_, want_) != 0)                                                       \
            fail_msg ("%s: %s = \"%s\", want \"%s\"", (row), (what), got_, want_);           \
    } while (0)

/* A curve with every kind of segment: rising, flat, steep, then to the end.
 * start 1000, end 1100; (1020, 10%), (1050, 10%), (1080, 80%). */
static const rules_milestone_t s_curve_a[] = {{1020, 1000}, {1050, 1000}, {1080, 8000}};

/* "a,b,c" from the reason codes of v. */
static void
s_codes (const rules_verdict_t *v, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < v->n_reasons; i++) {
        if (i > 0)
            strncat (buf, ",", len - strlen (buf) - 1);
        strncat (buf, v->reasons[i].code, len - strlen (buf) - 1);
    }
}

static const rules_reason_t *
s_find (const rules_verdict_t *v, const char *code)
{
    for (size_t i = 0; i < v->n_reasons; i++)
        if (strcmp (v->reasons[i].code, code) == 0)
            return &v->reasons[i];
    return NULL;
}

/* A started project over [start, end) with no milestones and no facts. */
static rules_policy_input_t
s_input (int32_t start, int32_t end)
{
    rules_policy_input_t in;
    memset (&in, 0, sizeof in);
    in.start_day = start;
    in.end_day = end;
    in.reason_state = RULES_REASON_NONE;
    in.period = 7;
    return in;
}

static rules_policy_input_t
s_input_actual (int32_t start, int32_t end, int32_t actual_bp)
{
    rules_policy_input_t in = s_input (start, end);
    in.has_actual = true;
    in.actual_bp = actual_bp;
    return in;
}

/* ------------------------------------------------------------ planned curve */

static void
test_planned_curve (void **state)
{
    (void) state;
    static const rules_milestone_t flat_start[] = {{5, 0}};
    static const rules_milestone_t done_early[] = {{8, 10000}};
    static const struct {
        const char *name;
        int32_t start, end;
        const rules_milestone_t *ms;
        size_t n;
        int32_t day, want;
    } rows[] = {
        {"A: long before start", 1000, 1100, s_curve_a, 3, -5000, 0},
        {"A: day before start", 1000, 1100, s_curve_a, 3, 999, 0},
        {"A: at start", 1000, 1100, s_curve_a, 3, 1000, 0},
        {"A: first segment, day 1", 1000, 1100, s_curve_a, 3, 1001, 50},
        {"A: first segment, middle", 1000, 1100, s_curve_a, 3, 1010, 500},
        {"A: at first milestone", 1000, 1100, s_curve_a, 3, 1020, 1000},
        {"A: flat segment", 1000, 1100, s_curve_a, 3, 1035, 1000},
        {"A: at second milestone (end of flat)", 1000, 1100, s_curve_a, 3, 1050, 1000},
        {"A: steep, 1233.33 rounds down", 1000, 1100, s_curve_a, 3, 1051, 1233},
        {"A: steep, 1466.67 rounds up", 1000, 1100, s_curve_a, 3, 1052, 1467},
        {"A: at third milestone", 1000, 1100, s_curve_a, 3, 1080, 8000},
        {"A: last segment", 1000, 1100, s_curve_a, 3, 1090, 9000},
        {"A: day before end", 1000, 1100, s_curve_a, 3, 1099, 9900},
        {"A: at end", 1000, 1100, s_curve_a, 3, 1100, 10000},
        {"A: after end", 1000, 1100, s_curve_a, 3, 1200, 10000},
        {"no milestones: at start", 0, 100, NULL, 0, 0, 0},
        {"no milestones: middle", 0, 100, NULL, 0, 37, 3700},
        {"no milestones: at end", 0, 100, NULL, 0, 100, 10000},
        {"half bp: 0.5 rounds up", 0, 20000, NULL, 0, 1, 1},
        {"half bp: 1.0", 0, 20000, NULL, 0, 2, 1},
        {"half bp: 1.5 rounds up", 0, 20000, NULL, 0, 3, 2},
        {"third bp: 3333.33 rounds down", 0, 3, NULL, 0, 1, 3333},
        {"third bp: 6666.67 rounds up", 0, 3, NULL, 0, 2, 6667},
        {"days before 1970: before start", -100, 100, NULL, 0, -101, 0},
        {"days before 1970: quarter", -100, 100, NULL, 0, -50, 2500},
        {"days before 1970: middle", -100, 100, NULL, 0, 0, 5000},
        {"flat 0% first segment: inside", 0, 10, flat_start, 1, 3, 0},
        {"flat 0% first segment: after", 0, 10, flat_start, 1, 6, 2000},
        {"100% before end: at milestone", 0, 10, done_early, 1, 8, 10000},
        {"100% before end: flat to end", 0, 10, done_early, 1, 9, 10000},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++)
        EXPECT_INT (rows[i].name, "planned_bp",
                    rules_policy_planned_bp (rows[i].start, rows[i].end, rows[i].ms, rows[i].n,
                                             rows[i].day),
                    rows[i].want);
}

/* -------------------------------------------------------- earned schedule */

static void
test_earned_days_table (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        int32_t start, end;
        const rules_milestone_t *ms;
        size_t n;
        int32_t actual, want;
    } rows[] = {
        {"actual 0 is day 0", 1000, 1100, s_curve_a, 3, 0, 0},
        {"actual 0.01% is day 1", 1000, 1100, s_curve_a, 3, 1, 1},
        {"exactly on a day", 1000, 1100, s_curve_a, 3, 500, 10},
        {"between days rounds to the later day", 1000, 1100, s_curve_a, 3, 501, 11},
        {"milestone value: first day of the flat", 1000, 1100, s_curve_a, 3, 1000, 20},
        {"just above the flat: after it", 1000, 1100, s_curve_a, 3, 1001, 51},
        {"100% is the end", 1000, 1100, s_curve_a, 3, 10000, 100},
        {"above 100% never", 1000, 1100, s_curve_a, 3, 10001, -1},
        {"straight line", 0, 1000, NULL, 0, 4540, 454},
        {"half bp rounding: 1 bp at day 1", 0, 20000, NULL, 0, 1, 1},
        {"half bp rounding: 2 bp at day 3", 0, 20000, NULL, 0, 2, 3},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++)
        EXPECT_INT (rows[i].name, "earned_days",
                    rules_policy_earned_days (rows[i].start, rows[i].end, rows[i].ms, rows[i].n,
                                             rows[i].actual),
                    rows[i].want);
}

/* ES is defined through planned: check it against a day-by-day scan for
 * every actual value on several curves. */
static void
test_earned_days_matches_scan (void **state)
{
    (void) state;
    static const rules_milestone_t flat_start[] = {{5, 0}};
    static const rules_milestone_t done_early[] = {{8, 10000}};
    static const rules_milestone_t many[] = {{3, 7}, {40, 2500}, {41, 2600}, {300, 9999}};
    static const struct {
        const char *name;
        int32_t start, end;
        const rules_milestone_t *ms;
        size_t n;
    } curves[] = {
        {"curve A", 1000, 1100, s_curve_a, 3},        {"0.5 bp/day", 0, 20000, NULL, 0},
        {"thirds", 0, 3, NULL, 0},                    {"365 days", 0, 365, NULL, 0},
        {"before 1970", -400, -35, NULL, 0},          {"flat start", 0, 10, flat_start, 1},
        {"done early", 0, 10, done_early, 1},         {"many", 0, 301, many, 4},
    };
    int32_t want[10001]; /* 40 KB on the stack */
    for (size_t c = 0; c < N_ELEM (curves); c++) {
        /* One pass over the days: want[a] = first day offset with planned >= a. */
        int32_t pd = curves[c].end - curves[c].start, reached = 0;
        for (int32_t a = 0; a <= 10000; a++)
            want[a] = a == 0 ? 0 : -1;
        for (int32_t k = 0; k <= pd; k++) {
            int32_t p = rules_policy_planned_bp (curves[c].start, curves[c].end, curves[c].ms,
                                                 curves[c].n, curves[c].start + k);
            for (; reached < p; reached++)
                want[reached + 1] = k;
        }
        for (int32_t a = 0; a <= 10000; a++) {
            int32_t got = rules_policy_earned_days (curves[c].start, curves[c].end, curves[c].ms,
                                                    curves[c].n, a);
            if (got != want[a])
                fail_msg ("%s: earned_days(%d) = %d, scan says %d", curves[c].name, a, got, want[a]);
        }
    }
}

/* ---------------------------------------------------------------- lag */

typedef struct {
    const char *name;
    int32_t actual_bp;
    rules_level_t raw;
    const char *codes;
    double lag_pp;
} s_lag_row_t;

static void
s_run_lag_rows (const rules_policy_config_t *cfg, const s_lag_row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* Straight line 0..100 days: planned 20.00% on day 20; AT 20 < 30, so
         * no forecast. */
        rules_policy_input_t in = s_input_actual (0, 100, rows[i].actual_bp);
        rules_verdict_t v;
        char codes[128];
        rules_policy_evaluate (cfg, &in, 20, &v);
        s_codes (&v, codes, sizeof codes);
        EXPECT_INT (rows[i].name, "raw", v.raw, rows[i].raw);
        EXPECT_STR (rows[i].name, "reasons", codes, rows[i].codes);
        EXPECT_INT (rows[i].name, "has_lag", v.has_lag, 1);
        EXPECT_DBL (rows[i].name, "lag_pp", v.lag_pp, rows[i].lag_pp);
        EXPECT_DBL (rows[i].name, "planned_pct", v.planned_pct, 20.0);
        EXPECT_DBL (rows[i].name, "actual_pct", v.actual_pct, rows[i].actual_bp / 100.0);
        EXPECT_INT (rows[i].name, "has_forecast", v.has_forecast, 0);
        for (size_t r = 0; r < v.n_reasons; r++) {
            EXPECT_DBL (rows[i].name, "reason lag_pp", v.reasons[r].lag_pp, rows[i].lag_pp);
            EXPECT_DBL (rows[i].name, "reason planned_pct", v.reasons[r].planned_pct, 20.0);
            EXPECT_INT (rows[i].name, "reason period", v.reasons[r].period, 7);
            EXPECT_INT (rows[i].name, "reason softened", v.reasons[r].softened, 0);
            EXPECT_DBL (rows[i].name, "reason threshold", v.reasons[r].threshold,
                        strcmp (v.reasons[r].code, "lag") == 0 ? cfg->yellow_lag_pp : cfg->red_lag_pp);
        }
    }
}

static void
test_lag_thresholds_default (void **state)
{
    (void) state;
    static const s_lag_row_t rows[] = {
        {"ahead of plan", 3000, RULES_LEVEL_GREEN, "", -10.0},
        {"on plan", 2000, RULES_LEVEL_GREEN, "", 0.0},
        {"lag 4.99", 1501, RULES_LEVEL_GREEN, "", 4.99},
        {"lag 5.00", 1500, RULES_LEVEL_YELLOW, "lag", 5.0},
        {"lag 5.01", 1499, RULES_LEVEL_YELLOW, "lag", 5.01},
        {"lag 14.99", 501, RULES_LEVEL_YELLOW, "lag", 14.99},
        {"lag 15.00", 500, RULES_LEVEL_RED, "serious_lag", 15.0},
        {"lag 15.01", 499, RULES_LEVEL_RED, "serious_lag", 15.01},
        {"lag 20.00 (nothing done)", 0, RULES_LEVEL_RED, "serious_lag", 20.0},
    };
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    s_run_lag_rows (&cfg, rows, N_ELEM (rows));
}

/* 0.29 * 100 and 0.57 * 100 are not exact in binary (28.999..., 56.999...):
 * the thresholds must still be 29 and 57 basis points. */
static void
test_lag_thresholds_inexact_floats (void **state)
{
    (void) state;
    static const s_lag_row_t rows[] = {
        {"lag 0.28 under 0.29", 1972, RULES_LEVEL_GREEN, "", 0.28},
        {"lag 0.29 at 0.29", 1971, RULES_LEVEL_YELLOW, "lag", 0.29},
        {"lag 0.56 under 0.57", 1944, RULES_LEVEL_YELLOW, "lag", 0.56},
        {"lag 0.57 at 0.57", 1943, RULES_LEVEL_RED, "serious_lag", 0.57},
    };
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    cfg.yellow_lag_pp = 0.29;
    cfg.red_lag_pp = 0.57;
    assert_int_equal (rules_policy_config_validate (&cfg, NULL, 0), 0);
    s_run_lag_rows (&cfg, rows, N_ELEM (rows));
}

/* yellow == red: a lag at the threshold is serious, never plain "lag". */
static void
test_lag_thresholds_equal (void **state)
{
    (void) state;
    static const s_lag_row_t rows[] = {
        {"lag 9.99", 1001, RULES_LEVEL_GREEN, "", 9.99},
        {"lag 10.00", 1000, RULES_LEVEL_RED, "serious_lag", 10.0},
    };
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    cfg.yellow_lag_pp = 10;
    cfg.red_lag_pp = 10;
    s_run_lag_rows (&cfg, rows, N_ELEM (rows));
}

/* ------------------------------------------------------------- forecast */

static void
test_forecast (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        int32_t end;             /* start is 0, no milestones */
        int32_t day;             /* AT */
        int32_t es;              /* actual is planned(es); -1: actual 0 */
        int grace_days;
        double grace_share;
        bool late;
        bool has_forecast;
        int32_t finish;
        double threshold;
    } rows[] = {
        {"AT 29 < 30 with nothing done: not judged", 1000, 29, -1, 15, 0.10, false, false, 0, 0},
        {"AT 30 with nothing done: never, late", 1000, 30, -1, 15, 0.10, true, false, 0, 100},
        {"AT 30 on plan: finish = end", 1000, 30, 30, 15, 0.10, false, true, 1000, 100},
        {"share grace: finish end+100 is on time", 1000, 550, 500, 15, 0.10, false, true, 1100, 100},
        {"share grace: finish end+102 is late", 1000, 500, 454, 15, 0.10, true, true, 1102, 100},
        {"share grace: finish end+99 is on time", 1000, 500, 455, 15, 0.10, false, true, 1099, 100},
        {"finish rounds up: 1100.1 -> 1101, late", 1000, 1099, 999, 15, 0.10, true, true, 1101, 100},
        {"days grace: finish end+15 is on time", 100, 46, 40, 15, 0.10, false, true, 115, 15},
        {"days grace: finish end+16 is late", 100, 58, 50, 15, 0.10, true, true, 116, 15},
        {"days grace: 114 on time", 100, 50, 44, 15, 0.10, false, true, 114, 15},
        {"days grace: 117 late", 100, 50, 43, 15, 0.10, true, true, 117, 15},
        {"share 36.5 days: end+36 on time", 365, 329, 300, 15, 0.10, false, true, 401, 36.5},
        {"share 36.5 days: end+37 late", 365, 330, 300, 15, 0.10, true, true, 402, 36.5},
        {"share 0: days grace alone", 1000, 550, 500, 15, 0.0, true, true, 1100, 15},
        {"no grace at all: end+1 late", 1000, 501, 500, 0, 0.0, true, true, 1002, 0},
        {"no grace at all: end on time", 1000, 500, 500, 0, 0.0, false, true, 1000, 0},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_config_t cfg;
        rules_policy_config_defaults (&cfg);
        cfg.yellow_lag_pp = 90; /* keep the lag clauses out of the way */
        cfg.red_lag_pp = 100;
        cfg.forecast_grace_days = rows[i].grace_days;
        cfg.forecast_grace_share = rows[i].grace_share;
        int32_t actual = rows[i].es < 0 ? 0 : rules_policy_planned_bp (0, rows[i].end, NULL, 0, rows[i].es);
        /* The row's premise: ES really is rows[i].es for that actual. */
        EXPECT_INT (rows[i].name, "ES premise", rules_policy_earned_days (0, rows[i].end, NULL, 0, actual),
                    rows[i].es < 0 ? 0 : rows[i].es);
        rules_policy_input_t in = s_input_actual (0, rows[i].end, actual);
        rules_verdict_t v;
        char codes[128];
        rules_policy_evaluate (&cfg, &in, rows[i].day, &v);
        s_codes (&v, codes, sizeof codes);
        EXPECT_INT (rows[i].name, "raw", v.raw, rows[i].late ? RULES_LEVEL_YELLOW : RULES_LEVEL_GREEN);
        EXPECT_STR (rows[i].name, "reasons", codes, rows[i].late ? "forecast_late" : "");
        EXPECT_INT (rows[i].name, "has_forecast", v.has_forecast, rows[i].has_forecast);
        if (rows[i].has_forecast)
            EXPECT_INT (rows[i].name, "forecast_finish_day", v.forecast_finish_day, rows[i].finish);
        if (rows[i].late) {
            const rules_reason_t *r = &v.reasons[0];
            EXPECT_INT (rows[i].name, "reason has_forecast", r->has_forecast, rows[i].has_forecast);
            EXPECT_INT (rows[i].name, "reason finish", r->forecast_finish_day,
                        rows[i].has_forecast ? rows[i].finish : 0);
            EXPECT_DBL (rows[i].name, "reason threshold (days)", r->threshold, rows[i].threshold);
            EXPECT_DBL (rows[i].name, "reason actual_pct", r->actual_pct, actual / 100.0);
        }
    }
}

static void
test_forecast_special_cases (void **state)
{
    (void) state;
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    rules_verdict_t v;
    char codes[128];

    /* Defaults, nothing done by day 30 of 100: serious lag and never finishes. */
    rules_policy_input_t in = s_input_actual (0, 100, 0);
    rules_policy_evaluate (&cfg, &in, 30, &v);
    s_codes (&v, codes, sizeof codes);
    EXPECT_INT ("nothing done, day 30", "raw", v.raw, RULES_LEVEL_RED);
    EXPECT_STR ("nothing done, day 30", "reasons", codes, "serious_lag,forecast_late");
    EXPECT_INT ("nothing done, day 30", "has_forecast", v.reasons[1].has_forecast, 0);
    assert_non_null (strstr (v.reasons[1].detail, "never"));

    /* Finished projects are not forecast, however long after the end. */
    in = s_input_actual (0, 100, 10000);
    rules_policy_evaluate (&cfg, &in, 2000, &v);
    EXPECT_INT ("complete, long after end", "raw", v.raw, RULES_LEVEL_GREEN);
    EXPECT_INT ("complete, long after end", "n_reasons", v.n_reasons, 0);
    EXPECT_INT ("complete, long after end", "has_forecast", v.has_forecast, 0);

    /* Without an actual there is no forecast, even with nothing reported. */
    in = s_input (0, 100);
    rules_policy_evaluate (&cfg, &in, 90, &v);
    EXPECT_INT ("no actual, day 90", "raw", v.raw, RULES_LEVEL_GREEN);
    EXPECT_INT ("no actual, day 90", "has_lag", v.has_lag, 0);
    EXPECT_INT ("no actual, day 90", "n_reasons", v.n_reasons, 0);

    /* forecast_min_days is configurable: 10 judges from AT 10 on. */
    cfg.forecast_min_days = 10;
    cfg.yellow_lag_pp = 90;
    cfg.red_lag_pp = 100;
    in = s_input_actual (0, 100, 0);
    rules_policy_evaluate (&cfg, &in, 9, &v);
    EXPECT_INT ("min 10, AT 9", "raw", v.raw, RULES_LEVEL_GREEN);
    rules_policy_evaluate (&cfg, &in, 10, &v);
    EXPECT_INT ("min 10, AT 10", "raw", v.raw, RULES_LEVEL_YELLOW);
}

/* ----------------------------------------------------- legitimate reasons */

static void
test_legitimate_reason (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        rules_reason_state_t reason;
        int32_t approved_day;
        int32_t actual;     /* planned is 20.00% on day 20 */
        bool major;
        rules_level_t raw;
        const char *codes;
        bool softened;      /* of the serious_lag reason, when present */
    } rows[] = {
        {"none", RULES_REASON_NONE, 0, 500, false, RULES_LEVEL_RED, "serious_lag", false},
        {"pending", RULES_REASON_PENDING, 10, 500, false, RULES_LEVEL_RED, "serious_lag", false},
        {"rejected", RULES_REASON_REJECTED, 10, 500, false, RULES_LEVEL_RED, "serious_lag", false},
        {"approved today", RULES_REASON_APPROVED, 20, 500, false, RULES_LEVEL_YELLOW, "serious_lag", true},
        {"approved 10 days ago", RULES_REASON_APPROVED, 10, 500, false, RULES_LEVEL_YELLOW, "serious_lag",
         true},
        {"approved 14 days ago: last active day", RULES_REASON_APPROVED, 6, 500, false, RULES_LEVEL_YELLOW,
         "serious_lag", true},
        {"approved 15 days ago: expired today", RULES_REASON_APPROVED, 5, 500, false, RULES_LEVEL_RED,
         "serious_lag", false},
        {"approved long ago", RULES_REASON_APPROVED, -100, 500, false, RULES_LEVEL_RED, "serious_lag",
         false},
        {"approved tomorrow: not yet active", RULES_REASON_APPROVED, 21, 500, false, RULES_LEVEL_RED,
         "serious_lag", false},
        {"active reason, plain lag stays yellow", RULES_REASON_APPROVED, 10, 1000, false,
         RULES_LEVEL_YELLOW, "lag", false},
        {"active reason, on plan stays green", RULES_REASON_APPROVED, 10, 2000, false, RULES_LEVEL_GREEN,
         "", false},
        {"active reason never softens a major problem", RULES_REASON_APPROVED, 10, 2000, true,
         RULES_LEVEL_RED, "major_problem", false},
        {"major problem and softened serious lag: red", RULES_REASON_APPROVED, 10, 500, true,
         RULES_LEVEL_RED, "major_problem,serious_lag", true},
        {"major problem and serious lag, no reason", RULES_REASON_NONE, 0, 500, true, RULES_LEVEL_RED,
         "major_problem,serious_lag", false},
    };
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_input_t in = s_input_actual (0, 100, rows[i].actual);
        in.reason_state = rows[i].reason;
        in.reason_approved_day = rows[i].approved_day;
        in.major_open = rows[i].major;
        snprintf (in.major_problem_id, sizeof in.major_problem_id, "R-42/1");
        rules_verdict_t v;
        char codes[128];
        rules_policy_evaluate (&cfg, &in, 20, &v);
        s_codes (&v, codes, sizeof codes);
        EXPECT_INT (rows[i].name, "raw", v.raw, rows[i].raw);
        EXPECT_STR (rows[i].name, "reasons", codes, rows[i].codes);
        const rules_reason_t *serious = s_find (&v, "serious_lag");
        if (serious) {
            EXPECT_INT (rows[i].name, "softened", serious->softened, rows[i].softened);
            EXPECT_INT (rows[i].name, "detail empty", serious->detail[0] == '\0', !rows[i].softened);
            EXPECT_DBL (rows[i].name, "threshold", serious->threshold, 15.0);
        }
        const rules_reason_t *major = s_find (&v, "major_problem");
        if (major) {
            EXPECT_STR (rows[i].name, "problem_id", major->problem_id, "R-42/1");
            EXPECT_INT (rows[i].name, "major softened", major->softened, 0);
        }
    }
}

static void
test_reason_active_window (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        rules_reason_state_t reason;
        int valid_days;
        int32_t day;
        bool active;
    } rows[] = {
        {"approved day 6, day 5", RULES_REASON_APPROVED, 15, 5, false},
        {"approved day 6, day 6", RULES_REASON_APPROVED, 15, 6, true},
        {"approved day 6, day 20", RULES_REASON_APPROVED, 15, 20, true},
        {"approved day 6, day 21", RULES_REASON_APPROVED, 15, 21, false},
        {"valid 1 day: day 6", RULES_REASON_APPROVED, 1, 6, true},
        {"valid 1 day: day 7", RULES_REASON_APPROVED, 1, 7, false},
        {"valid for ever-ish", RULES_REASON_APPROVED, 2147483647, 2147483647, true},
        {"pending", RULES_REASON_PENDING, 15, 10, false},
        {"rejected", RULES_REASON_REJECTED, 15, 10, false},
        {"none", RULES_REASON_NONE, 15, 10, false},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_config_t cfg;
        rules_policy_config_defaults (&cfg);
        cfg.reason_valid_days = rows[i].valid_days;
        rules_policy_input_t in = s_input (0, 100);
        in.reason_state = rows[i].reason;
        in.reason_approved_day = 6;
        EXPECT_INT (rows[i].name, "active", rules_policy_reason_active (&cfg, &in, rows[i].day),
                    rows[i].active);
    }
}

/* -------------------------------------------- no_report, major, not started */

static void
test_no_report_and_not_started (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        bool planned_state;
        int32_t day;         /* start is 50, end 150 */
        bool has_actual;     /* actual is planned(day): no lag */
        bool at_close, reported, major;
        rules_level_t raw;
        const char *codes;
    } rows[] = {
        {"mid-period, no report yet", false, 60, true, false, false, false, RULES_LEVEL_GREEN, ""},
        {"at close, reported", false, 60, true, true, true, false, RULES_LEVEL_GREEN, ""},
        {"at close, not reported", false, 60, true, true, false, false, RULES_LEVEL_YELLOW, "no_report"},
        {"at close, never reported at all", false, 60, false, true, false, false, RULES_LEVEL_YELLOW,
         "no_report"},
        {"no actual, mid-period", false, 140, false, false, false, false, RULES_LEVEL_GREEN, ""},
        {"no actual, major problem", false, 140, false, false, false, true, RULES_LEVEL_RED,
         "major_problem"},
        {"major problem and no report at close", false, 60, true, true, false, true, RULES_LEVEL_RED,
         "major_problem,no_report"},
        {"planned, day before start, everything wrong", true, 49, true, true, false, true,
         RULES_LEVEL_NOT_STARTED, ""},
        {"planned, long before start", true, -1000, false, false, false, false, RULES_LEVEL_NOT_STARTED,
         ""},
        {"planned, on start day: judged", true, 50, false, false, false, false, RULES_LEVEL_GREEN, ""},
        {"planned, on start day at close: judged", true, 50, false, true, false, false,
         RULES_LEVEL_YELLOW, "no_report"},
        {"planned, after start, major: judged", true, 70, true, false, false, true, RULES_LEVEL_RED,
         "major_problem"},
        {"started state before start day: judged", false, 49, false, false, false, true, RULES_LEVEL_RED,
         "major_problem"},
    };
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_input_t in = s_input (50, 150);
        in.planned_state = rows[i].planned_state;
        in.has_actual = rows[i].has_actual;
        in.actual_bp = rules_policy_planned_bp (50, 150, NULL, 0, rows[i].day);
        in.at_period_close = rows[i].at_close;
        in.reported_in_period = rows[i].reported;
        in.major_open = rows[i].major;
        snprintf (in.major_problem_id, sizeof in.major_problem_id, "R-7/2");
        rules_verdict_t v;
        char codes[128];
        rules_policy_evaluate (&cfg, &in, rows[i].day, &v);
        s_codes (&v, codes, sizeof codes);
        EXPECT_INT (rows[i].name, "raw", v.raw, rows[i].raw);
        EXPECT_STR (rows[i].name, "reasons", codes, rows[i].codes);
        EXPECT_INT (rows[i].name, "period", v.period, 7);
        EXPECT_INT (rows[i].name, "has_lag", v.has_lag,
                    rows[i].has_actual && rows[i].raw != RULES_LEVEL_NOT_STARTED);
        const rules_reason_t *nr = s_find (&v, "no_report");
        if (nr) {
            EXPECT_INT (rows[i].name, "no_report period", nr->period, 7);
            EXPECT_DBL (rows[i].name, "no_report lag", nr->lag_pp, 0.0);
        }
    }
}

/* ------------------------------------------------------ effective level */

static void
test_effective_level (void **state)
{
    (void) state;
    static const rules_level_t levels[] = {RULES_LEVEL_NONE, RULES_LEVEL_GREEN, RULES_LEVEL_YELLOW,
                                           RULES_LEVEL_RED, RULES_LEVEL_NOT_STARTED};
    /* want[prev][raw], indexed by the enum values. */
    static const struct {
        rules_level_t level;
        bool consecutive;
    } want[5][5] = {
        /* prev NONE */
        {{RULES_LEVEL_NONE, false},
         {RULES_LEVEL_GREEN, false},
         {RULES_LEVEL_YELLOW, false},
         {RULES_LEVEL_RED, false},
         {RULES_LEVEL_NOT_STARTED, false}},
        /* prev GREEN */
        {{RULES_LEVEL_NONE, false},
         {RULES_LEVEL_GREEN, false},
         {RULES_LEVEL_YELLOW, false},
         {RULES_LEVEL_RED, false},
         {RULES_LEVEL_NOT_STARTED, false}},
        /* prev YELLOW */
        {{RULES_LEVEL_NONE, false},
         {RULES_LEVEL_GREEN, false},
         {RULES_LEVEL_RED, true},
         {RULES_LEVEL_RED, false},
         {RULES_LEVEL_NOT_STARTED, false}},
        /* prev RED */
        {{RULES_LEVEL_NONE, false},
         {RULES_LEVEL_GREEN, false},
         {RULES_LEVEL_RED, true},
         {RULES_LEVEL_RED, false},
         {RULES_LEVEL_NOT_STARTED, false}},
        /* prev NOT_STARTED */
        {{RULES_LEVEL_NONE, false},
         {RULES_LEVEL_GREEN, false},
         {RULES_LEVEL_YELLOW, false},
         {RULES_LEVEL_RED, false},
         {RULES_LEVEL_NOT_STARTED, false}},
    };
    for (size_t p = 0; p < N_ELEM (levels); p++)
        for (size_t r = 0; r < N_ELEM (levels); r++) {
            char name[64];
            snprintf (name, sizeof name, "prev %s, raw %s", rules_level_name (levels[p]),
                      rules_level_name (levels[r]));
            bool consecutive = !want[p][r].consecutive; /* must be overwritten */
            rules_level_t got = rules_policy_effective (levels[p], levels[r], &consecutive);
            EXPECT_STR (name, "level", rules_level_name (got), rules_level_name (want[p][r].level));
            EXPECT_INT (name, "consecutive_yellow", consecutive, want[p][r].consecutive);
            EXPECT_INT (name, "level (NULL flag)", rules_policy_effective (levels[p], levels[r], NULL),
                        want[p][r].level);
        }
}

static void
test_consecutive_yellow_reason (void **state)
{
    (void) state;
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    rules_policy_input_t in = s_input_actual (0, 100, 1000); /* lag 10 on day 20 */
    rules_verdict_t v;
    rules_policy_evaluate (&cfg, &in, 20, &v);
    bool consecutive = false;
    assert_int_equal (rules_policy_effective (RULES_LEVEL_YELLOW, v.raw, &consecutive), RULES_LEVEL_RED);
    assert_true (consecutive);
    assert_int_equal (rules_policy_add_consecutive_yellow (&v, RULES_LEVEL_YELLOW), 0);
    char codes[128];
    s_codes (&v, codes, sizeof codes);
    assert_string_equal (codes, "lag,consecutive_yellow");
    EXPECT_DBL ("consecutive_yellow", "lag_pp", v.reasons[1].lag_pp, 10.0);
    EXPECT_INT ("consecutive_yellow", "period", v.reasons[1].period, 7);
    assert_non_null (strstr (v.reasons[1].detail, "yellow"));
    while (v.n_reasons < RULES_MAX_REASONS)
        assert_int_equal (rules_policy_add_consecutive_yellow (&v, RULES_LEVEL_RED), 0);
    assert_int_equal (rules_policy_add_consecutive_yellow (&v, RULES_LEVEL_RED), -1);
    assert_int_equal (v.n_reasons, RULES_MAX_REASONS);
}

static void
test_level_names (void **state)
{
    (void) state;
    assert_string_equal (rules_level_name (RULES_LEVEL_NONE), "none");
    assert_string_equal (rules_level_name (RULES_LEVEL_GREEN), "green");
    assert_string_equal (rules_level_name (RULES_LEVEL_YELLOW), "yellow");
    assert_string_equal (rules_level_name (RULES_LEVEL_RED), "red");
    assert_string_equal (rules_level_name (RULES_LEVEL_NOT_STARTED), "not_started");
    assert_string_equal (rules_level_name ((rules_level_t) 99), "unknown");
    /* The enum mirrors sitewatch.v1.Level. */
    assert_int_equal (RULES_LEVEL_NONE, 0);
    assert_int_equal (RULES_LEVEL_GREEN, 1);
    assert_int_equal (RULES_LEVEL_YELLOW, 2);
    assert_int_equal (RULES_LEVEL_RED, 3);
    assert_int_equal (RULES_LEVEL_NOT_STARTED, 4);
}

/* ---------------------------------------------------------- configuration */

static void
s_expect_cfg (const char *row, const rules_policy_config_t *got, const rules_policy_config_t *want)
{
    EXPECT_DBL (row, "yellow_lag_pp", got->yellow_lag_pp, want->yellow_lag_pp);
    EXPECT_DBL (row, "red_lag_pp", got->red_lag_pp, want->red_lag_pp);
    EXPECT_INT (row, "forecast_grace_days", got->forecast_grace_days, want->forecast_grace_days);
    EXPECT_DBL (row, "forecast_grace_share", got->forecast_grace_share, want->forecast_grace_share);
    EXPECT_INT (row, "forecast_min_days", got->forecast_min_days, want->forecast_min_days);
    EXPECT_INT (row, "reason_valid_days", got->reason_valid_days, want->reason_valid_days);
}

static void
test_config_defaults (void **state)
{
    (void) state;
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    const rules_policy_config_t want = {5.0, 15.0, 15, 0.10, 30, 15};
    s_expect_cfg ("defaults", &cfg, &want);
    char err[128] = "";
    assert_int_equal (rules_policy_config_validate (&cfg, err, sizeof err), 0);
}

static void
test_config_parse_good (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        const char *text;
        rules_policy_config_t want;
    } rows[] = {
        {"empty text", "", {5, 15, 15, 0.10, 30, 15}},
        {"comments and blanks only", "# policy\n\n   \n\t# more\n", {5, 15, 15, 0.10, 30, 15}},
        {"every key",
         "yellow_lag_pp = 4.5\nred_lag_pp = 20\nforecast_grace_days = 10\n"
         "forecast_grace_share = 0.25\nforecast_min_days = 0\nreason_valid_days = 1\n",
         {4.5, 20, 10, 0.25, 0, 1}},
        {"blanks, tabs, CRLF, inline comment, no final newline",
         "  yellow_lag_pp\t=\t3   # softer\r\nred_lag_pp=12\r\n# end", {3, 12, 15, 0.10, 30, 15}},
        {"yellow equal to red", "yellow_lag_pp = 15", {15, 15, 15, 0.10, 30, 15}},
        {"red at 100", "red_lag_pp = 100", {5, 100, 15, 0.10, 30, 15}},
        {"yellow and red raised together (order free)", "red_lag_pp = 30\nyellow_lag_pp = 20",
         {20, 30, 15, 0.10, 30, 15}},
        {"share bounds", "forecast_grace_share = 1", {5, 15, 15, 1, 30, 15}},
        {"exponent form", "forecast_grace_share = 5e-2", {5, 15, 15, 0.05, 30, 15}},
        {"smallest threshold", "yellow_lag_pp = 0.01", {0.01, 15, 15, 0.10, 30, 15}},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_config_t cfg;
        rules_policy_config_defaults (&cfg);
        char err[256] = "";
        int rc = rules_policy_config_parse (&cfg, rows[i].text, err, sizeof err);
        if (rc != 0)
            fail_msg ("%s: parse failed: %s", rows[i].name, err);
        s_expect_cfg (rows[i].name, &cfg, &rows[i].want);
    }
    /* Values apply over the current ones, not over the defaults. */
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    cfg.forecast_min_days = 45;
    assert_int_equal (rules_policy_config_parse (&cfg, "reason_valid_days = 20\n", NULL, 0), 0);
    assert_int_equal (cfg.forecast_min_days, 45);
    assert_int_equal (cfg.reason_valid_days, 20);
}

static void
test_config_parse_bad (void **state)
{
    (void) state;
    static const struct {
        const char *text;
        const char *err;
    } rows[] = {
        {"yellow_lag_pp 5", "line 1: yellow_lag_pp 5: expected \"key = value\""},
        {"# header\n\nbogus = 1", "line 3: bogus: unknown key"},
        {"Yellow_lag_pp = 5", "line 1: Yellow_lag_pp: unknown key"},
        {"yellow_lag_pps = 5", "line 1: yellow_lag_pps: unknown key"},
        {"= 5", "line 1: missing key before '='"},
        {"yellow_lag_pp =", "line 1: yellow_lag_pp: missing value"},
        {"yellow_lag_pp = # nothing", "line 1: yellow_lag_pp: missing value"},
        {"yellow_lag_pp = abc", "line 1: yellow_lag_pp: not a number: \"abc\""},
        {"yellow_lag_pp = 5pp", "line 1: yellow_lag_pp: not a number: \"5pp\""},
        {"yellow_lag_pp = nan", "line 1: yellow_lag_pp: not a number: \"nan\""},
        {"yellow_lag_pp = 1e999", "line 1: yellow_lag_pp: not a number: \"1e999\""},
        {"yellow_lag_pp = 0", "line 1: yellow_lag_pp: must be > 0 and <= 100, got 0"},
        {"yellow_lag_pp = -5", "line 1: yellow_lag_pp: must be > 0 and <= 100, got -5"},
        {"yellow_lag_pp = 0.001",
         "line 1: yellow_lag_pp: must be at least 0.01 (compared in basis points), got 0.001"},
        {"red_lag_pp = 100.5", "line 1: red_lag_pp: must be > 0 and <= 100, got 100.5"},
        {"yellow_lag_pp = 20", "line 1: yellow_lag_pp: must be <= red_lag_pp (15), got 20"},
        {"red_lag_pp = 4", "line 1: red_lag_pp: must be >= yellow_lag_pp (5), got 4"},
        {"yellow_lag_pp = 10\nred_lag_pp = 8", "line 2: red_lag_pp: must be >= yellow_lag_pp (10), got 8"},
        {"red_lag_pp = 8\n\nyellow_lag_pp = 10",
         "line 3: yellow_lag_pp: must be <= red_lag_pp (8), got 10"},
        {"yellow_lag_pp = 5\nyellow_lag_pp = 6", "line 2: yellow_lag_pp: set twice (first on line 1)"},
        {"forecast_grace_days = -1", "line 1: forecast_grace_days: must be >= 0, got -1"},
        {"forecast_grace_days = 1.5", "line 1: forecast_grace_days: not a whole number: \"1.5\""},
        {"forecast_grace_days = 99999999999", "line 1: forecast_grace_days: out of range: \"99999999999\""},
        {"forecast_grace_share = 1.1", "line 1: forecast_grace_share: must be between 0 and 1, got 1.1"},
        {"forecast_grace_share = -0.1", "line 1: forecast_grace_share: must be between 0 and 1, got -0.1"},
        {"forecast_min_days = -3", "line 1: forecast_min_days: must be >= 0, got -3"},
        {"reason_valid_days = 0", "line 1: reason_valid_days: must be >= 1, got 0"},
        {"reason_valid_days = 15 days", "line 1: reason_valid_days: not a whole number: \"15 days\""},
        {"red_lag_pp = 20\nbogus = 1", "line 2: bogus: unknown key"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        rules_policy_config_t cfg, before;
        rules_policy_config_defaults (&cfg);
        before = cfg;
        char err[256] = "";
        int rc = rules_policy_config_parse (&cfg, rows[i].text, err, sizeof err);
        EXPECT_INT (rows[i].text, "rc", rc, -1);
        EXPECT_STR (rows[i].text, "err", err, rows[i].err);
        s_expect_cfg (rows[i].text, &cfg, &before); /* all or nothing */
    }
    /* A too small error buffer truncates, and NULL is fine. */
    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    char small[8];
    assert_int_equal (rules_policy_config_parse (&cfg, "bogus = 1", small, sizeof small), -1);
    assert_string_equal (small, "line 1:");
    assert_int_equal (rules_policy_config_parse (&cfg, "bogus = 1", NULL, 0), -1);
}

static void
test_config_validate_and_set (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        rules_policy_config_t cfg;
        const char *err; /* NULL: valid */
    } rows[] = {
        {"defaults", {5, 15, 15, 0.10, 30, 15}, NULL},
        {"yellow above red", {16, 15, 15, 0.10, 30, 15}, "yellow_lag_pp: must be <= red_lag_pp (15), got 16"},
        {"red zero", {5, 0, 15, 0.10, 30, 15}, "red_lag_pp: must be > 0 and <= 100, got 0"},
        {"negative grace", {5, 15, -1, 0.10, 30, 15}, "forecast_grace_days: must be >= 0, got -1"},
        {"share NaN", {5, 15, 15, NAN, 30, 15}, "forecast_grace_share: must be between 0 and 1, got nan"},
        {"reason 0 days", {5, 15, 15, 0.10, 30, 0}, "reason_valid_days: must be >= 1, got 0"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        char err[256] = "";
        int rc = rules_policy_config_validate (&rows[i].cfg, err, sizeof err);
        EXPECT_INT (rows[i].name, "rc", rc, rows[i].err ? -1 : 0);
        if (rows[i].err)
            EXPECT_STR (rows[i].name, "err", err, rows[i].err);
    }

    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    char err[256] = "";
    assert_int_equal (rules_policy_config_set (&cfg, "red_lag_pp", " 25 ", err, sizeof err), 0);
    assert_true (cfg.red_lag_pp == 25.0);
    assert_int_equal (rules_policy_config_set (&cfg, "forecast_min_days", "7\n", err, sizeof err), 0);
    assert_int_equal (cfg.forecast_min_days, 7);
    assert_int_equal (rules_policy_config_set (&cfg, "colour", "red", err, sizeof err), -1);
    assert_string_equal (err, "colour: unknown key");
    assert_int_equal (rules_policy_config_set (&cfg, "reason_valid_days", "0", err, sizeof err), -1);
    assert_string_equal (err, "reason_valid_days: must be >= 1, got 0");
    assert_int_equal (cfg.reason_valid_days, 15); /* unchanged on error */
}

static void
test_config_load (void **state)
{
    (void) state;
    char path[] = "/tmp/test_rules_policy_XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    FILE *file = fdopen (fd, "w");
    assert_non_null (file);
    fputs ("# rules policy\nyellow_lag_pp = 6\nred_lag_pp = 18\n", file);
    fclose (file);

    rules_policy_config_t cfg;
    rules_policy_config_defaults (&cfg);
    char err[512] = "";
    assert_int_equal (rules_policy_config_load (&cfg, path, err, sizeof err), 0);
    assert_true (cfg.yellow_lag_pp == 6.0 && cfg.red_lag_pp == 18.0);

    file = fopen (path, "w");
    assert_non_null (file);
    fputs ("yellow_lag_pp = 6\nred_lag_pp = eighteen\n", file);
    fclose (file);
    rules_policy_config_defaults (&cfg);
    assert_int_equal (rules_policy_config_load (&cfg, path, err, sizeof err), -1);
    char want[512];
    snprintf (want, sizeof want, "%s: line 2: red_lag_pp: not a number: \"eighteen\"", path);
    assert_string_equal (err, want);
    assert_true (cfg.yellow_lag_pp == 5.0); /* all or nothing */

    unlink (path);
    assert_int_equal (rules_policy_config_load (&cfg, path, err, sizeof err), -1);
    snprintf (want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal (err, want);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_planned_curve),
        cmocka_unit_test (test_earned_days_table),
        cmocka_unit_test (test_earned_days_matches_scan),
        cmocka_unit_test (test_lag_thresholds_default),
        cmocka_unit_test (test_lag_thresholds_inexact_floats),
        cmocka_unit_test (test_lag_thresholds_equal),
        cmocka_unit_test (test_forecast),
        cmocka_unit_test (test_forecast_special_cases),
        cmocka_unit_test (test_legitimate_reason),
        cmocka_unit_test (test_reason_active_window),
        cmocka_unit_test (test_no_report_and_not_started),
        cmocka_unit_test (test_effective_level),
        cmocka_unit_test (test_consecutive_yellow_reason),
        cmocka_unit_test (test_level_names),
        cmocka_unit_test (test_config_defaults),
        cmocka_unit_test (test_config_parse_good),
        cmocka_unit_test (test_config_parse_bad),
        cmocka_unit_test (test_config_validate_and_set),
        cmocka_unit_test (test_config_load),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
