/* Table-driven tests of rules_digest: counts by level, changes since the
 * previous close, no_report, channel coverage and reports per channel,
 * commissioners' reports and site days (windows across week, month and year
 * boundaries), the history of recent periods, and ownership of the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_digest.h"
#include "sw_calendar.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

#define G RULES_LEVEL_GREEN
#define Y RULES_LEVEL_YELLOW
#define R RULES_LEVEL_RED
#define NS RULES_LEVEL_NOT_STARTED
#define NONE RULES_LEVEL_NONE

#define C RULES_CHANNEL_COMMISSIONER
#define U RULES_CHANNEL_UNIT
#define L RULES_CHANNEL_LOCAL

/* "a,b,c" of a list of ids. */
static void
s_join (char *const *ids, size_t n, char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat (buf, ",", len - strlen (buf) - 1);
        strncat (buf, ids[i], len - strlen (buf) - 1);
    }
}

static void
s_expect_ids (const char *row, const char *what, char *const *ids, size_t n, const char *want)
{
    char got[512];
    s_join (ids, n, got, sizeof got);
    if (strcmp (got, want) != 0)
        fail_msg ("%s: %s = \"%s\", want \"%s\"", row, what, got, want);
}

static rules_digest_input_t
s_input (const rules_digest_project_t *projects, size_t n)
{
    rules_digest_input_t in;
    memset (&in, 0, sizeof in);
    in.period = 5;
    in.first_day = sw_days_from_civil (2026, 3, 16);
    in.last_day = sw_days_from_civil (2026, 3, 18);
    in.closed_at = 1773849600000; /* 2026-03-19T00:00:00+08:00 */
    in.zone_name = "江东新区";
    in.timezone = "Asia/Shanghai";
    in.projects = projects;
    in.n_projects = n;
    return in;
}

/* ------------------------------------------------------------ changes */

static void
test_changes_per_transition (void **state)
{
    (void) state;
    static const struct {
        rules_level_t prev, level;
        const char *want; /* new_yellow | new_red | cleared | "" */
    } rows[] = {
        {G, G, ""},           {G, Y, "new_yellow"},  {G, R, "new_red"},
        {Y, Y, ""},           {Y, R, "new_red"},     {Y, G, "cleared"},
        {R, R, ""},           {R, G, "cleared"},     {R, Y, "new_yellow"},
        {NONE, Y, "new_yellow"}, {NONE, G, ""},      {NONE, R, "new_red"},
        {NS, G, ""},          {NS, NS, ""},          {NS, Y, "new_yellow"},
        {Y, NS, ""},          {G, NS, ""},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        char row[64];
        snprintf (row, sizeof row, "row %zu (%s -> %s)", i, rules_level_name (rows[i].prev),
                  rules_level_name (rows[i].level));
        rules_digest_project_t p = {.project_id = "P", .name = "n", .commissioner = "C1",
                                    .level = rows[i].level, .prev_level = rows[i].prev,
                                    .reported = true};
        rules_digest_input_t in = s_input (&p, 1);
        Sitewatch__V1__Digest *d = rules_digest_compile (&in);
        const char *w = rows[i].want;
        s_expect_ids (row, "new_yellow", d->new_yellow, d->n_new_yellow,
                      strcmp (w, "new_yellow") == 0 ? "P" : "");
        s_expect_ids (row, "new_red", d->new_red, d->n_new_red,
                      strcmp (w, "new_red") == 0 ? "P" : "");
        s_expect_ids (row, "cleared", d->cleared, d->n_cleared,
                      strcmp (w, "cleared") == 0 ? "P" : "");
        /* the previous level travels normalised: no previous close is green */
        Sitewatch__V1__Level want_prev = rows[i].prev == Y || rows[i].prev == R
                                             ? (Sitewatch__V1__Level) rows[i].prev
                                             : SITEWATCH__V1__LEVEL__LEVEL_GREEN;
        if (d->projects[0]->prev_level != want_prev)
            fail_msg ("%s: prev_level %d, want %d", row, d->projects[0]->prev_level, want_prev);
        rules_digest_destroy (&d);
        assert_null (d);
    }
}

/* ------------------------------------------------------- fixed state */

static Sitewatch__V1__Reason s_reason_lag, s_reason_noreport, s_reason_major;

static void
s_reasons_init (void)
{
    sitewatch__v1__reason__init (&s_reason_lag);
    s_reason_lag.code = "lag";
    s_reason_lag.lag_pp = 7.5;
    s_reason_lag.planned_pct = 40;
    s_reason_lag.actual_pct = 32.5;
    s_reason_lag.threshold = 5;
    sitewatch__v1__reason__init (&s_reason_noreport);
    s_reason_noreport.code = "no_report";
    s_reason_noreport.period = 5;
    sitewatch__v1__reason__init (&s_reason_major);
    s_reason_major.code = "major_problem";
    s_reason_major.problem_id = "r9/1";
    s_reason_major.detail = "塔吊倒塌 <危险>";
}

static void
test_counts_flagged_no_report (void **state)
{
    (void) state;
    s_reasons_init ();
    Sitewatch__V1__Reason *lag[] = {&s_reason_lag};
    Sitewatch__V1__Reason *noreport[] = {&s_reason_noreport};
    Sitewatch__V1__Reason *major_consec[] = {&s_reason_major, &s_reason_lag};
    const rules_digest_project_t projects[] = {
        /* id     name      comm  level prev  reasons ... */
        {"P1", "一号", "C1", G, G, NULL, 0, true, -1, 30, 31, true, C, {1, 0, 0}},
        {"P2", "二号", "C1", Y, G, lag, 1, true, 7.5, 40, 32.5, true, U, {0, 2, 0}},
        {"P3", "三号", "C2", Y, G, noreport, 1, false, 0, 20, 0, false, 0, {0, 0, 0}},
        {"P4", "四号", "C2", R, Y, major_consec, 2, true, 7.5, 40, 32.5, true, C | L, {1, 0, 2}},
        {"P5", "五号", "C2", NS, G, NULL, 0, false, 0, 0, 0, false, 0, {0, 0, 0}},
        {"P6", "六号", "C1", G, R, NULL, 0, true, 0, 50, 50, true, C | U | L, {1, 1, 1}},
        {"P7", "七号", "C1", R, R, noreport, 1, false, 0, 10, 0, false, 0, {0, 0, 0}},
    };
    rules_digest_input_t in = s_input (projects, N_ELEM (projects));
    Sitewatch__V1__Digest *d = rules_digest_compile (&in);
    const char *row = "fixed state";
    assert_int_equal (d->green, 2);
    assert_int_equal (d->yellow, 2);
    assert_int_equal (d->red, 2);
    assert_int_equal (d->not_started, 1);
    assert_int_equal (d->period, 5);
    assert_string_equal (d->zone_name, "江东新区");
    assert_string_equal (d->timezone, "Asia/Shanghai");

    /* flagged: reds first, then yellows, input order within a level */
    char ids[256] = "";
    for (size_t i = 0; i < d->n_flagged; i++) {
        if (i)
            strcat (ids, ",");
        strcat (ids, d->flagged[i]->project_id);
    }
    assert_string_equal (ids, "P4,P7,P2,P3");
    /* a flagged project carries its reasons (copied) and figures */
    const Sitewatch__V1__DigestProject *p4 = d->flagged[0];
    assert_int_equal (p4->n_reasons, 2);
    assert_string_equal (p4->reasons[0]->code, "major_problem");
    assert_string_equal (p4->reasons[0]->problem_id, "r9/1");
    assert_string_equal (p4->reasons[0]->detail, "塔吊倒塌 <危险>");
    assert_ptr_not_equal (p4->reasons[0]->detail, s_reason_major.detail);
    assert_string_equal (p4->reasons[1]->code, "lag");
    assert_true (fabs (p4->reasons[1]->lag_pp - 7.5) < 1e-9);
    assert_true (p4->has_lag);
    assert_true (fabs (p4->planned_pct - 40) < 1e-9);
    assert_true (fabs (p4->actual_pct - 32.5) < 1e-9);
    assert_int_equal (p4->level, SITEWATCH__V1__LEVEL__LEVEL_RED);
    assert_int_equal (p4->prev_level, SITEWATCH__V1__LEVEL__LEVEL_YELLOW);
    /* without an actual the figures are not shown as real */
    assert_false (d->flagged[3]->has_lag);
    assert_true (d->flagged[3]->actual_pct == 0);
    /* the coverage list carries no reasons */
    assert_int_equal (d->projects[1]->n_reasons, 0);

    s_expect_ids (row, "new_yellow", d->new_yellow, d->n_new_yellow, "P2,P3");
    s_expect_ids (row, "new_red", d->new_red, d->n_new_red, "P4");
    s_expect_ids (row, "cleared", d->cleared, d->n_cleared, "P6");
    /* no_report: judged projects without a report; not the one not started */
    s_expect_ids (row, "no_report", d->no_report, d->n_no_report, "P3,P7");
    assert_false (d->cases_available);
    assert_int_equal (d->n_open_cases, 0);
    rules_digest_destroy (&d);
}

/* ------------------------------------------------------- channels */

static void
test_channel_coverage (void **state)
{
    (void) state;
    static const struct {
        unsigned channels;
        unsigned reports[3];
        bool c, u, l;
        unsigned total;
    } rows[] = {
        {0, {0, 0, 0}, false, false, false, 0},
        {C, {1, 0, 0}, true, false, false, 1},
        {U, {0, 3, 0}, false, true, false, 3},
        {L, {0, 0, 1}, false, false, true, 1},
        {C | U, {2, 1, 0}, true, true, false, 3},
        {C | L, {1, 0, 4}, true, false, true, 5},
        {U | L, {0, 1, 1}, false, true, true, 2},
        {C | U | L, {1, 1, 1}, true, true, true, 3},
    };
    rules_digest_project_t projects[N_ELEM (rows)];
    char names[N_ELEM (rows)][8];
    unsigned sums[3] = {0, 0, 0};
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        snprintf (names[i], sizeof names[i], "P%zu", i);
        projects[i] = (rules_digest_project_t){.project_id = names[i], .name = names[i],
                                               .commissioner = "C1", .level = G, .prev_level = G,
                                               .reported = rows[i].total > 0,
                                               .channels = rows[i].channels};
        memcpy (projects[i].reports, rows[i].reports, sizeof rows[i].reports);
        for (int s = 0; s < 3; s++)
            sums[s] += rows[i].reports[s];
    }
    rules_digest_input_t in = s_input (projects, N_ELEM (rows));
    Sitewatch__V1__Digest *d = rules_digest_compile (&in);
    assert_int_equal (d->n_projects, N_ELEM (rows));
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        const Sitewatch__V1__DigestProject *p = d->projects[i];
        if (p->by_commissioner != rows[i].c || p->by_unit != rows[i].u || p->by_local != rows[i].l
            || p->reports != rows[i].total)
            fail_msg ("row %zu: channels c%d u%d l%d reports %u, want c%d u%d l%d %u", i,
                      p->by_commissioner, p->by_unit, p->by_local, p->reports, rows[i].c,
                      rows[i].u, rows[i].l, rows[i].total);
    }
    assert_int_equal (d->reports_commissioner, sums[0]);
    assert_int_equal (d->reports_unit, sums[1]);
    assert_int_equal (d->reports_local, sums[2]);
    assert_int_equal (sums[0] + sums[1] + sums[2], 18);
    s_expect_ids ("channels", "no_report", d->no_report, d->n_no_report, "P0");
    rules_digest_destroy (&d);

    assert_int_equal (rules_digest_channel_bit (SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER), C);
    assert_int_equal (rules_digest_channel_bit (SITEWATCH__V1__SOURCE__SOURCE_UNIT), U);
    assert_int_equal (rules_digest_channel_bit (SITEWATCH__V1__SOURCE__SOURCE_LOCAL), L);
    assert_int_equal (rules_digest_channel_bit (SITEWATCH__V1__SOURCE__SOURCE_UNSPECIFIED), 0);
    assert_int_equal (rules_digest_channel_bit ((Sitewatch__V1__Source) 99), 0);
}

/* ------------------------------------------------------- site days */

#define D(y, m, d) sw_days_from_civil ((y), (m), (d))

static void
test_site_days (void **state)
{
    (void) state;
    /* 2026-03-16 is a Monday: windows ending on it span two ISO weeks. */
    assert_int_equal (sw_weekday (D (2026, 3, 16)), 0);
    const struct {
        const char *name;
        int32_t days[8];
        size_t n;
        int32_t last_day;
        int window;
        double want;
        bool meets;
    } rows[] = {
        {"empty", {0}, 0, 0, 7, 0, false},
        {"across a Monday", {D (2026, 3, 9), D (2026, 3, 10), D (2026, 3, 15), D (2026, 3, 16),
                             D (2026, 3, 17)}, 5, D (2026, 3, 16), 7, 3, true},
        {"first day of the window counts", {D (2026, 3, 10)}, 1, D (2026, 3, 16), 7, 1, false},
        {"day before the window does not", {D (2026, 3, 9)}, 1, D (2026, 3, 16), 7, 0, false},
        {"day after the close does not", {D (2026, 3, 17)}, 1, D (2026, 3, 16), 7, 0, false},
        {"repeats count once", {D (2026, 3, 12), D (2026, 3, 12), D (2026, 3, 12), D (2026, 3, 13)},
         4, D (2026, 3, 18), 7, 2, false},
        {"unsorted", {D (2026, 3, 18), D (2026, 3, 12), D (2026, 3, 15), D (2026, 3, 12)}, 4,
         D (2026, 3, 18), 7, 3, true},
        {"across a year", {D (2025, 12, 26), D (2025, 12, 27), D (2025, 12, 31), D (2026, 1, 1),
                           D (2026, 1, 2), D (2026, 1, 3)}, 6, D (2026, 1, 2), 7, 4, true},
        {"across February (leap)", {D (2028, 2, 28), D (2028, 2, 29), D (2028, 3, 1)}, 3,
         D (2028, 3, 2), 7, 3, true},
        {"before 1970", {-8, -7, -4, -1, 0}, 5, -1, 7, 3, true},
        {"every day", {D (2026, 3, 10), D (2026, 3, 11), D (2026, 3, 12), D (2026, 3, 13),
                       D (2026, 3, 14), D (2026, 3, 15), D (2026, 3, 16)}, 7, D (2026, 3, 16), 7,
         7, true},
        {"window 0", {D (2026, 3, 16)}, 1, D (2026, 3, 16), 0, 0, false},
        {"window 1", {D (2026, 3, 15), D (2026, 3, 16)}, 2, D (2026, 3, 16), 1, 1, false},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        double got = rules_digest_site_days (rows[i].days, rows[i].n, rows[i].last_day,
                                             rows[i].window);
        if (fabs (got - rows[i].want) > 1e-9)
            fail_msg ("%s: site days %.1f, want %.1f", rows[i].name, got, rows[i].want);
        if (rules_digest_meets_target (got) != rows[i].meets)
            fail_msg ("%s: meets_target %d", rows[i].name, !rows[i].meets);
    }
    /* the target is 2.5 days in 7: two days miss it, three meet it */
    assert_false (rules_digest_meets_target (2));
    assert_true (rules_digest_meets_target (2.5));
    assert_true (rules_digest_meets_target (3));
}

static void
test_commissioners (void **state)
{
    (void) state;
    const rules_digest_project_t projects[] = {
        {"P1", "一", "C1", G, G, NULL, 0, true, 0, 0, 0, false, C, {2, 0, 0}},
        {"P2", "二", "C2", G, G, NULL, 0, true, 0, 0, 0, false, U | L, {0, 1, 1}},
        {"P3", "三", "C1", Y, G, NULL, 0, false, 0, 0, 0, false, 0, {0, 0, 0}},
        {"P4", "四", "C1", G, G, NULL, 0, true, 0, 0, 0, false, U, {0, 3, 0}},
    };
    /* the period is 2026-03-16..18: the window is 2026-03-12..18 */
    const int32_t c1_days[] = {D (2026, 3, 11), D (2026, 3, 12), D (2026, 3, 16), D (2026, 3, 16)};
    const int32_t c2_days[] = {D (2026, 3, 13), D (2026, 3, 14), D (2026, 3, 18), D (2026, 3, 19)};
    const rules_digest_commissioner_t comms[] = {
        {"C1", "孙伟琳", c1_days, N_ELEM (c1_days)},
        {"C2", "马伟平", c2_days, N_ELEM (c2_days)},
        {"C3", "孙勇", NULL, 0},
    };
    static const struct {
        const char *id, *projects;
        unsigned reports;
        double site_days;
        bool meets;
    } want[] = {
        {"C1", "P1,P3,P4", 5, 2, false},
        {"C2", "P2", 2, 3, true},
        {"C3", "", 0, 0, false},
    };
    rules_digest_input_t in = s_input (projects, N_ELEM (projects));
    in.commissioners = comms;
    in.n_commissioners = N_ELEM (comms);
    Sitewatch__V1__Digest *d = rules_digest_compile (&in);
    assert_int_equal (d->n_commissioners, N_ELEM (want));
    for (size_t i = 0; i < N_ELEM (want); i++) {
        const Sitewatch__V1__DigestCommissioner *c = d->commissioners[i];
        assert_string_equal (c->commissioner_id, want[i].id);
        s_expect_ids (want[i].id, "projects", c->projects, c->n_projects, want[i].projects);
        if (c->reports != want[i].reports || fabs (c->site_days - want[i].site_days) > 1e-9
            || c->meets_target != want[i].meets || fabs (c->target_days - 2.5) > 1e-9)
            fail_msg ("%s: reports %u site days %.1f/%.1f meets %d", want[i].id, c->reports,
                      c->site_days, c->target_days, c->meets_target);
    }
    assert_string_equal (d->commissioners[0]->name, "孙伟琳");
    rules_digest_destroy (&d);
}

/* ------------------------------------------------------- history */

static void
test_history (void **state)
{
    (void) state;
    static const struct {
        const char *name;
        int64_t have[20];
        size_t n;
        int64_t period;
        const char *want;
    } rows[] = {
        {"first close", {0}, 0, 5, "5"},
        {"a few, unsorted", {3, 1, 4, 2}, 4, 5, "1,2,3,4,5"},
        {"more than twelve: the latest", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, 14, 15,
         "4,5,6,7,8,9,10,11,12,13,14,15"},
        {"this period or later ignored", {2, 3, 5, 6}, 4, 5, "2,3,5"},
        {"repeats once", {3, 3, 4}, 3, 5, "3,4,5"},
        {"negative periods", {-3, -1, -2}, 3, 0, "-3,-2,-1,0"},
    };
    const rules_digest_project_t projects[] = {
        {"P1", "一", "C1", G, G, NULL, 0, true, 0, 0, 0, false, C, {1, 0, 0}},
        {"P2", "二", "C1", R, G, NULL, 0, true, 0, 0, 0, false, C, {1, 0, 0}},
        {"P3", "三", "C1", NS, G, NULL, 0, false, 0, 0, 0, false, 0, {0, 0, 0}},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        Sitewatch__V1__DigestHistoryPoint pts[20], *ptrs[20];
        for (size_t k = 0; k < rows[i].n; k++) {
            sitewatch__v1__digest_history_point__init (&pts[k]);
            pts[k].period = rows[i].have[k];
            pts[k].green = (uint32_t) (100 + rows[i].have[k]);
            pts[k].yellow = 1;
            ptrs[k] = &pts[k];
        }
        rules_digest_input_t in = s_input (projects, N_ELEM (projects));
        in.period = rows[i].period;
        in.history = ptrs;
        in.n_history = rows[i].n;
        Sitewatch__V1__Digest *d = rules_digest_compile (&in);
        char got[256] = "";
        for (size_t k = 0; k < d->n_history; k++) {
            char num[32];
            snprintf (num, sizeof num, "%s%lld", k ? "," : "", (long long) d->history[k]->period);
            strcat (got, num);
        }
        if (strcmp (got, rows[i].want) != 0)
            fail_msg ("%s: history %s, want %s", rows[i].name, got, rows[i].want);
        /* the last point is this close's counts; earlier ones are copied */
        const Sitewatch__V1__DigestHistoryPoint *last = d->history[d->n_history - 1];
        assert_int_equal (last->period, rows[i].period);
        assert_int_equal (last->green, 1);
        assert_int_equal (last->yellow, 0);
        assert_int_equal (last->red, 1);
        assert_int_equal (last->not_started, 1);
        if (d->n_history > 1)
            assert_int_equal (d->history[0]->green, 100 + d->history[0]->period);
        rules_digest_destroy (&d);
    }
}

/* ------------------------------------------------------- ownership */

static void
test_empty_and_round_trip (void **state)
{
    (void) state;
    rules_digest_input_t in = s_input (NULL, 0);
    Sitewatch__V1__Digest *d = rules_digest_compile (&in);
    assert_int_equal (d->green + d->yellow + d->red + d->not_started, 0);
    assert_int_equal (d->n_projects, 0);
    assert_int_equal (d->n_history, 1);
    rules_digest_destroy (&d);
    rules_digest_destroy (&d); /* safe twice */
    rules_digest_destroy (NULL);

    /* a full digest packs and unpacks to the same figures */
    s_reasons_init ();
    Sitewatch__V1__Reason *lag[] = {&s_reason_lag};
    const rules_digest_project_t projects[] = {
        {"P1", "一号", "C1", Y, G, lag, 1, true, 7.5, 40, 32.5, true, C | U, {1, 1, 0}},
    };
    const int32_t days[] = {D (2026, 3, 17)};
    const rules_digest_commissioner_t comms[] = {{"C1", "孙伟琳", days, 1}};
    in = s_input (projects, 1);
    in.commissioners = comms;
    in.n_commissioners = 1;
    d = rules_digest_compile (&in);
    size_t n = sitewatch__v1__digest__get_packed_size (d);
    uint8_t *buf = malloc (n);
    assert_non_null (buf);
    sitewatch__v1__digest__pack (d, buf);
    Sitewatch__V1__Digest *back = sitewatch__v1__digest__unpack (NULL, n, buf);
    assert_non_null (back);
    assert_int_equal (back->yellow, 1);
    assert_string_equal (back->flagged[0]->reasons[0]->code, "lag");
    assert_string_equal (back->commissioners[0]->name, "孙伟琳");
    assert_string_equal (back->new_yellow[0], "P1");
    assert_true (back->commissioners[0]->site_days == 1);
    sitewatch__v1__digest__free_unpacked (back, NULL);
    free (buf);
    rules_digest_destroy (&d);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_changes_per_transition),
        cmocka_unit_test (test_counts_flagged_no_report),
        cmocka_unit_test (test_channel_coverage),
        cmocka_unit_test (test_site_days),
        cmocka_unit_test (test_commissioners),
        cmocka_unit_test (test_history),
        cmocka_unit_test (test_empty_and_round_trip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
