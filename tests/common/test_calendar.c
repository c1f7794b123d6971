/*  Table-driven tests of sw_calendar: civil dates, zone offsets and local
    days (Asia/Shanghai, Europe/Berlin DST, America/Havana midnight gap),
    periods, working days of the sample calendar, instant format and parse. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sw_calendar.h"

#define MS_HOUR INT64_C (3600000)
#define MS_DAY INT64_C (86400000)

static int32_t
s_day (const char *date)
{
    int32_t day = 0;
    assert_int_equal (sw_date_parse (date, &day), 0);
    return day;
}

static int64_t
s_instant (const sw_calendar_t *cal, const char *text)
{
    int64_t ms = 0;
    assert_int_equal (sw_calendar_parse_instant (cal, text, &ms), 0);
    return ms;
}

/* ------------------------------------------------------------ civil dates */

static void
test_civil_table (void **state)
{
    (void) state;
    static const struct {
        int y, m, d;
        int32_t day;
        int weekday;
    } cases[] = {
        {1970, 1, 1, 0, 3},          {1969, 12, 31, -1, 2},       {1969, 12, 29, -3, 0},
        {2000, 2, 29, 11016, 1},     {1900, 3, 1, -25508, 3},     {1600, 2, 29, -135081, 1},
        {1, 1, 1, -719162, 0},       {2100, 3, 1, 47541, 0},      {2026, 3, 1, 20513, 6},
        {2026, 10, 1, 20727, 3},     {9999, 12, 31, 2932896, 4},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        int y, m, d;
        assert_int_equal (sw_days_from_civil (cases[i].y, cases[i].m, cases[i].d), cases[i].day);
        sw_civil_from_days (cases[i].day, &y, &m, &d);
        assert_int_equal (y, cases[i].y);
        assert_int_equal (m, cases[i].m);
        assert_int_equal (d, cases[i].d);
        assert_int_equal (sw_weekday (cases[i].day), cases[i].weekday);
    }
}

static void
test_civil_round_trip (void **state)
{
    (void) state;
    /* every day from 0000-01-01 to 9999-12-31: days follow each other,
       format/parse agree, weekdays cycle */
    int32_t first = sw_days_from_civil (0, 1, 1), last = sw_days_from_civil (9999, 12, 31);
    int py = 0, pm = 1, pd = 0;
    for (int32_t day = first; day <= last; day++) {
        int y, m, d;
        sw_civil_from_days (day, &y, &m, &d);
        assert_int_equal (sw_days_from_civil (y, m, d), day);
        if (d != pd + 1) {
            assert_int_equal (d, 1);
            assert_true ((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1));
        }
        else
            assert_true (m == pm && y == py);
        py = y, pm = m, pd = d;
        char buf[11];
        int32_t back = 0;
        sw_date_format (day, buf);
        assert_int_equal (sw_date_parse (buf, &back), 0);
        assert_int_equal (back, day);
        assert_int_equal (sw_weekday (day), (sw_weekday (day - 1) + 1) % 7);
    }
    /* far outside: still a consistent round trip */
    static const int32_t far[] = {INT32_MIN, INT32_MIN + 1, -1000000000, 1000000000, INT32_MAX};
    for (size_t i = 0; i < sizeof (far) / sizeof (far[0]); i++) {
        int y, m, d;
        sw_civil_from_days (far[i], &y, &m, &d);
        assert_int_equal (sw_days_from_civil (y, m, d), far[i]);
        assert_in_range (sw_weekday (far[i]), 0, 6);
    }
    char buf[11];
    sw_date_format (INT32_MAX, buf);
    assert_string_equal (buf, "9999-12-31");
    sw_date_format (INT32_MIN, buf);
    assert_string_equal (buf, "0000-01-01");
}

static void
test_date_parse (void **state)
{
    (void) state;
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"2024-02-29", 0},  {"2026-02-28", 0},  {"0000-01-01", 0},  {"9999-12-31", 0},
        {"2000-02-29", 0},  {"2026-02-29", -1}, {"1900-02-29", -1}, {"2024-02-30", -1},
        {"2026-04-31", -1}, {"2026-13-01", -1}, {"2026-00-10", -1}, {"2026-01-00", -1},
        {"2026-1-01", -1},  {"2026-01-01x", -1}, {"", -1},          {"abcd-ef-gh", -1},
        {"2026/01/01", -1}, {" 2026-01-01", -1}, {"2026-01-0", -1}, {"+026-01-01", -1},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        int32_t day = 12345;
        assert_int_equal (sw_date_parse (cases[i].text, &day), cases[i].rc);
        if (cases[i].rc)
            assert_int_equal (day, 12345);
    }
    assert_int_equal (sw_date_parse (NULL, NULL), -1);
    assert_int_equal (s_day ("2026-03-01"), 20513);
}

/* ------------------------------------------------------------ zones */

static void
test_zone_unknown (void **state)
{
    (void) state;
    static const char *bad[] = {
        "Mars/Olympus_Mons", "../etc/passwd", "/etc/localtime", "", "Asia/../Asia/Shanghai",
        "Asia",              "zone.tab",      "Asia/Shanghai ", "Asia//",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        assert_null (sw_calendar_new (bad[i], 0, 3, NULL, 0, NULL, 0));
    assert_null (sw_calendar_new (NULL, 0, 3, NULL, 0, NULL, 0));
    assert_null (sw_calendar_new ("Asia/Shanghai", 0, 0, NULL, 0, NULL, 0));
    assert_null (sw_calendar_new ("Asia/Shanghai", 0, 3, NULL, 2, NULL, 0));

    sw_calendar_t *cal = sw_calendar_new ("Asia/Shanghai", 0, 3, NULL, 0, NULL, 0);
    assert_non_null (cal);
    assert_string_equal (sw_calendar_tz (cal), "Asia/Shanghai");
    sw_calendar_destroy (&cal);
    assert_null (cal);
    sw_calendar_destroy (&cal);
    sw_calendar_destroy (NULL);
}

static void
test_shanghai_days (void **state)
{
    (void) state;
    sw_calendar_t *cal = sw_calendar_new ("Asia/Shanghai", s_day ("2026-03-01"), 3, NULL, 0, NULL, 0);
    assert_non_null (cal);
    const int64_t midnight = INT64_C (1772294400000);      /* 2026-02-28T16:00:00Z */
    int32_t day = s_day ("2026-03-01");
    assert_int_equal (sw_calendar_day_start (cal, day), midnight);
    assert_int_equal (sw_calendar_day_end (cal, day), midnight + MS_DAY - 1);
    assert_int_equal (sw_calendar_day_end (cal, day - 1), midnight - 1);
    assert_int_equal (sw_calendar_utc_offset_s (cal, midnight), 8 * 3600);

    static const struct {
        int64_t utc_ms;
        int32_t day;
    } cases[] = {
        {INT64_C (1772294400000) - 1, 20512},   /* 23:59:59.999 on 02-28 */
        {INT64_C (1772294400000), 20513},       /* 00:00 on 03-01 */
        {INT64_C (1772294400000) + 1, 20513},
        {INT64_C (1772294400000) + MS_DAY - 1, 20513},
        {INT64_C (1772294400000) + MS_DAY, 20514},
        {0, 0},                                  /* 08:00 local */
        {-1, 0},
        {-8 * MS_HOUR, 0},                       /* local 1970-01-01 00:00 */
        {-8 * MS_HOUR - 1, -1},
        {-8 * MS_HOUR - MS_DAY, -1},
        {-8 * MS_HOUR - MS_DAY - 1, -2},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
        assert_int_equal (sw_calendar_local_day (cal, cases[i].utc_ms), cases[i].day);
    assert_int_equal (sw_calendar_local_day (cal, INT64_MAX), INT32_MAX);
    assert_int_equal (sw_calendar_local_day (cal, INT64_MIN), INT32_MIN);
    sw_calendar_destroy (&cal);

    /* plain UTC: negative instants floor */
    cal = sw_calendar_new ("Etc/UTC", 0, 1, NULL, 0, NULL, 0);
    assert_non_null (cal);
    assert_int_equal (sw_calendar_local_day (cal, -1), -1);
    assert_int_equal (sw_calendar_local_day (cal, -MS_DAY), -1);
    assert_int_equal (sw_calendar_local_day (cal, -MS_DAY - 1), -2);
    assert_int_equal (sw_calendar_day_start (cal, -1), -MS_DAY);
    sw_calendar_destroy (&cal);
}

static void
test_dst_berlin (void **state)
{
    (void) state;
    sw_calendar_t *cal = sw_calendar_new ("Europe/Berlin", 0, 1, NULL, 0, NULL, 0);
    assert_non_null (cal);
    int32_t day = s_day ("2026-03-29");
    const int64_t change = INT64_C (1774746000000);          /* 2026-03-29T01:00:00Z */
    assert_int_equal (sw_calendar_day_start (cal, day), INT64_C (1774738800000));     /* 03-28T23:00Z */
    assert_int_equal (sw_calendar_day_start (cal, day + 1), INT64_C (1774821600000)); /* 03-29T22:00Z */
    assert_int_equal (sw_calendar_day_end (cal, day), INT64_C (1774821600000) - 1);
    assert_int_equal (sw_calendar_day_end (cal, day) + 1 - sw_calendar_day_start (cal, day), 23 * MS_HOUR);
    assert_int_equal (sw_calendar_utc_offset_s (cal, change - 1), 3600);
    assert_int_equal (sw_calendar_utc_offset_s (cal, change), 7200);

    /* the autumn day has 25 hours */
    int32_t autumn = s_day ("2026-10-25");
    assert_int_equal (sw_calendar_day_start (cal, autumn + 1) - sw_calendar_day_start (cal, autumn),
                      25 * MS_HOUR);

    static const struct {
        const char *text;
        int64_t utc_ms;
    } cases[] = {
        {"2026-03-29T01:59:59", INT64_C (1774745999000)},   /* last CET second */
        {"2026-03-29T02:30", INT64_C (1774747800000)},      /* skipped: later instant, 01:30Z */
        {"2026-03-29T03:00", INT64_C (1774746000000)},      /* first CEST instant */
        {"2026-10-25T02:30", INT64_C (1792888200000)},      /* repeated: earlier (CEST) 00:30Z */
        {"2026-10-25T02:30+01:00", INT64_C (1792891800000)},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
        assert_int_equal (s_instant (cal, cases[i].text), cases[i].utc_ms);

    char buf[40];
    assert_int_equal (sw_calendar_format_instant (cal, change, buf, sizeof (buf)), 25);
    assert_string_equal (buf, "2026-03-29T03:00:00+02:00");
    assert_int_equal (sw_calendar_format_instant (cal, change - 1, buf, sizeof (buf)), 29);
    assert_string_equal (buf, "2026-03-29T01:59:59.999+01:00");
    sw_calendar_destroy (&cal);
}

/* Beyond the file's transitions the footer rule decides (fat or slim data). */
static void
test_dst_rule_far_future (void **state)
{
    (void) state;
    static const struct {
        const char *tz;
        const char *utc;
        int32_t offset;
    } cases[] = {
        {"Europe/Berlin", "2040-07-01T12:00:00Z", 7200},
        {"Europe/Berlin", "2040-01-15T12:00:00Z", 3600},
        {"Europe/Berlin", "2100-03-28T00:59:59Z", 3600},   /* last Sunday of March 2100 */
        {"Europe/Berlin", "2100-03-28T01:00:00Z", 7200},
        {"Australia/Sydney", "2040-01-15T00:00:00Z", 11 * 3600},
        {"Australia/Sydney", "2040-07-15T00:00:00Z", 10 * 3600},
        {"America/New_York", "2040-07-04T12:00:00Z", -4 * 3600},
        {"America/New_York", "2040-12-25T12:00:00Z", -5 * 3600},
        {"Asia/Shanghai", "2200-01-01T00:00:00Z", 8 * 3600},
        {"Asia/Kolkata", "2040-01-01T00:00:00Z", 19800},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        sw_calendar_t *cal = sw_calendar_new (cases[i].tz, 0, 1, NULL, 0, NULL, 0);
        assert_non_null (cal);
        assert_int_equal (sw_calendar_utc_offset_s (cal, s_instant (cal, cases[i].utc)), cases[i].offset);
        sw_calendar_destroy (&cal);
    }
}

/* Havana moves its clocks at local midnight: 03-08 begins at 01:00 CDT,
   11-01 has its first hour twice. */
static void
test_midnight_transitions (void **state)
{
    (void) state;
    sw_calendar_t *cal = sw_calendar_new ("America/Havana", 0, 1, NULL, 0, NULL, 0);
    assert_non_null (cal);
    int32_t spring = s_day ("2026-03-08"), autumn = s_day ("2026-11-01");
    int64_t start = sw_calendar_day_start (cal, spring);
    assert_int_equal (start, s_instant (cal, "2026-03-08T05:00:00Z"));
    assert_int_equal (sw_calendar_local_day (cal, start), spring);
    assert_int_equal (sw_calendar_local_day (cal, start - 1), spring - 1);
    assert_int_equal (sw_calendar_day_end (cal, spring - 1), start - 1);
    assert_int_equal (sw_calendar_day_start (cal, autumn), s_instant (cal, "2026-11-01T04:00:00Z"));
    assert_int_equal (sw_calendar_local_day (cal, sw_calendar_day_start (cal, autumn) - 1), autumn - 1);
    sw_calendar_destroy (&cal);
}

/* ------------------------------------------------------------ periods */

static void
test_periods (void **state)
{
    (void) state;
    int32_t anchor = s_day ("2026-03-01");
    sw_calendar_t *cal = sw_calendar_new ("Asia/Shanghai", anchor, 3, NULL, 0, NULL, 0);
    assert_non_null (cal);
    static const struct {
        const char *date;
        int64_t period;
        const char *first;
        const char *close;         /* UTC */
    } cases[] = {
        {"2026-03-01", 0, "2026-03-01", "2026-03-03T16:00:00Z"},
        {"2026-03-02", 0, "2026-03-01", "2026-03-03T16:00:00Z"},
        {"2026-03-03", 0, "2026-03-01", "2026-03-03T16:00:00Z"},
        {"2026-03-04", 1, "2026-03-04", "2026-03-06T16:00:00Z"},
        {"2026-02-28", -1, "2026-02-26", "2026-02-28T16:00:00Z"},
        {"2026-02-26", -1, "2026-02-26", "2026-02-28T16:00:00Z"},
        {"2026-02-25", -2, "2026-02-23", "2026-02-25T16:00:00Z"},
        {"2026-12-26", 100, "2026-12-26", "2026-12-28T16:00:00Z"},
        {"1970-01-01", -6838, "1969-12-31", "1970-01-02T16:00:00Z"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        int32_t day = s_day (cases[i].date);
        int64_t period = sw_calendar_period_of_day (cal, day);
        assert_int_equal (period, cases[i].period);
        assert_int_equal (sw_calendar_period_first_day (cal, period), s_day (cases[i].first));
        int64_t close = sw_calendar_period_close (cal, period);
        assert_int_equal (close, s_instant (cal, cases[i].close));
        /* judged at the close, "today" is the next period's first day */
        assert_int_equal (sw_calendar_period_of_day (cal, sw_calendar_local_day (cal, close)), period + 1);
        assert_int_equal (sw_calendar_period_of_day (cal, sw_calendar_local_day (cal, close - 1)), period);
    }
    /* absurd periods saturate instead of overflowing */
    assert_int_equal (sw_calendar_period_first_day (cal, INT64_MAX), INT32_MAX);
    assert_int_equal (sw_calendar_period_first_day (cal, INT64_MIN), INT32_MIN);
    sw_calendar_destroy (&cal);

    /* one-day periods */
    cal = sw_calendar_new ("Asia/Shanghai", anchor, 1, NULL, 0, NULL, 0);
    assert_non_null (cal);
    assert_int_equal (sw_calendar_period_of_day (cal, anchor - 5), -5);
    assert_int_equal (sw_calendar_period_close (cal, 0), sw_calendar_day_start (cal, anchor + 1));
    sw_calendar_destroy (&cal);
}

/* ------------------------------------------------------------ working days */

static sw_calendar_t *
s_sample_calendar (void)
{
    static const char *holidays[] = {"2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05",
                                     "2026-06-19", "2026-10-01", "2026-10-02", "2026-10-05",
                                     "2026-10-06", "2026-10-07"};
    static const char *workdays[] = {"2026-05-09", "2026-09-27", "2026-10-10"};
    int32_t h[10], w[3];
    for (size_t i = 0; i < 10; i++)
        h[i] = s_day (holidays[9 - i]);    /* unsorted on purpose */
    for (size_t i = 0; i < 3; i++)
        w[i] = s_day (workdays[i]);
    return sw_calendar_new ("Asia/Shanghai", s_day ("2026-03-01"), 3, h, 10, w, 3);
}

static void
test_workdays (void **state)
{
    (void) state;
    sw_calendar_t *cal = s_sample_calendar ();
    assert_non_null (cal);
    static const struct {
        const char *date;
        bool work;
    } days[] = {
        {"2026-04-30", true},  {"2026-05-01", false}, {"2026-05-02", false}, {"2026-05-03", false},
        {"2026-05-04", false}, {"2026-05-05", false}, {"2026-05-06", true},  {"2026-05-08", true},
        {"2026-05-09", true},  {"2026-05-10", false}, {"2026-09-26", false}, {"2026-09-27", true},
        {"2026-09-28", true},  {"2026-09-30", true},  {"2026-10-01", false}, {"2026-10-02", false},
        {"2026-10-03", false}, {"2026-10-04", false}, {"2026-10-05", false}, {"2026-10-06", false},
        {"2026-10-07", false}, {"2026-10-08", true},  {"2026-10-09", true},  {"2026-10-10", true},
        {"2026-10-11", false}, {"2026-10-12", true},  {"2026-03-07", false}, {"2026-03-09", true},
        {"2026-06-19", false}, {"2026-04-06", false}, {"2026-04-07", true},
    };
    for (size_t i = 0; i < sizeof (days) / sizeof (days[0]); i++)
        assert_int_equal (sw_calendar_is_workday (cal, s_day (days[i].date)), days[i].work);

    static const struct {
        const char *from;
        int n;
        const char *to;
    } adds[] = {
        {"2026-09-30", 0, "2026-09-30"}, {"2026-09-30", 1, "2026-10-08"}, {"2026-09-30", 2, "2026-10-09"},
        {"2026-09-30", 3, "2026-10-10"}, {"2026-09-30", 4, "2026-10-12"}, {"2026-09-25", 1, "2026-09-27"},
        {"2026-09-26", 1, "2026-09-27"}, {"2026-10-01", 1, "2026-10-08"}, {"2026-04-30", 1, "2026-05-06"},
        {"2026-04-30", 3, "2026-05-08"}, {"2026-04-30", 4, "2026-05-09"}, {"2026-04-30", 5, "2026-05-11"},
        {"2026-03-06", 1, "2026-03-09"}, {"2026-03-02", 5, "2026-03-09"}, {"2026-10-08", -1, "2026-09-30"},
        {"2026-05-06", -1, "2026-04-30"}, {"2026-05-11", -2, "2026-05-08"}, {"2026-10-04", 0, "2026-10-04"},
    };
    for (size_t i = 0; i < sizeof (adds) / sizeof (adds[0]); i++)
        assert_int_equal (sw_calendar_add_workdays (cal, s_day (adds[i].from), adds[i].n), s_day (adds[i].to));
    sw_calendar_destroy (&cal);
}

/* ------------------------------------------------------------ instants */

static void
test_instant_format_parse (void **state)
{
    (void) state;
    sw_calendar_t *cal = s_sample_calendar ();
    assert_non_null (cal);
    const int64_t x = INT64_C (1773540000000);      /* 2026-03-15T02:00:00Z */
    static const struct {
        const char *text;
        int64_t delta;
    } good[] = {
        {"2026-03-15T10:00:00+08:00", 0},     {"2026-03-15T02:00:00Z", 0},
        {"2026-03-15T10:00", 0},              {"2026-03-15T10:00:00", 0},
        {"2026-03-15 10:00:00", 0},           {"2026-03-15 10:00", 0},
        {"2026-03-15T04:00:00+02:00", 0},     {"2026-03-14T21:00:00-05:00", 0},
        {"2026-03-15T02:00:00+00:00", 0},     {"2026-03-15T10:00:00.25+08:00", 250},
        {"2026-03-15T10:00:00.250", 250},     {"2026-03-15T10:00:00.001Z", 8 * MS_HOUR + 1},
        {"2026-03-15T10:00:00.5Z", 8 * MS_HOUR + 500},
        {"2026-03-15", -10 * MS_HOUR},        {"2026-03-15T00:00", -10 * MS_HOUR},
        {"2026-03-15T10:05:43+08:05:43", 0},  {"2026-03-15T23:59:59.999", 14 * MS_HOUR - 1},
    };
    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++) {
        int64_t ms = 0;
        assert_int_equal (sw_calendar_parse_instant (cal, good[i].text, &ms), 0);
        assert_int_equal (ms, x + good[i].delta);
    }
    static const char *bad[] = {
        "",                          "2026-03-15T",                "2026-03-15T24:00",
        "2026-03-15T10:60",          "2026-03-15T10:00:60",        "2026-03-15T10",
        "2026-03-15T10:00:00.",      "2026-03-15T10:00:00.1234",   "2026-03-15T10:00:00+8:00",
        "2026-03-15T10:00:00+08",    "2026-03-15T10:00:00Z ",      "2026-02-30",
        "2026-03-15X10:00",          "2026-03-15T10:00:00+24:00",  "2026-03-15T10:00.5",
        "2026-03-15T10:00:00z",      "2026-03-15T1:00",            "2026-03-15T10:00:00+08:60",
        "2026-03-15T10:00:00ZZ",     "2026-03-15T10:00:00+08:00x", "2026-03-15 ",
        "2026-3-15T10:00",           "2026-03-15T10:00:00-",       "2026-03-15T10:00:00.12a",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        int64_t ms = 42;
        assert_int_equal (sw_calendar_parse_instant (cal, bad[i], &ms), -1);
        assert_int_equal (ms, 42);
    }
    assert_int_equal (sw_calendar_parse_instant (cal, NULL, NULL), -1);

    static const struct {
        int64_t utc_ms;
        const char *text;
    } formats[] = {
        {x, "2026-03-15T10:00:00+08:00"},
        {x + 250, "2026-03-15T10:00:00.250+08:00"},
        {x + 1, "2026-03-15T10:00:00.001+08:00"},
        {x - 1, "2026-03-15T09:59:59.999+08:00"},
        {0, "1970-01-01T08:00:00+08:00"},
        {-1, "1970-01-01T07:59:59.999+08:00"},
        {-8 * MS_HOUR, "1970-01-01T00:00:00+08:00"},
        {-8 * MS_HOUR - 1, "1969-12-31T23:59:59.999+08:00"},
    };
    char buf[40];
    for (size_t i = 0; i < sizeof (formats) / sizeof (formats[0]); i++) {
        int n = sw_calendar_format_instant (cal, formats[i].utc_ms, buf, sizeof (buf));
        assert_int_equal (n, (int) strlen (formats[i].text));
        assert_string_equal (buf, formats[i].text);
        int64_t back = 0;
        assert_int_equal (sw_calendar_parse_instant (cal, buf, &back), 0);
        assert_int_equal (back, formats[i].utc_ms);
    }
    /* too small a buffer, and years that do not fit four digits */
    assert_int_equal (sw_calendar_format_instant (cal, x, buf, 25), -1);
    assert_int_equal (sw_calendar_format_instant (cal, x, buf, 26), 25);
    assert_int_equal (sw_calendar_format_instant (cal, x, NULL, 0), -1);
    assert_int_equal (sw_calendar_format_instant (cal, INT64_MAX, buf, sizeof (buf)), -1);
    assert_int_equal (sw_calendar_format_instant (cal, INT64_MIN, buf, sizeof (buf)), -1);

    /* round trip a spread of instants, negative ones included */
    for (int64_t ms = -INT64_C (5000000000000); ms < INT64_C (5000000000000); ms += INT64_C (7777777777)) {
        int64_t back = 0;
        assert_true (sw_calendar_format_instant (cal, ms, buf, sizeof (buf)) > 0);
        assert_int_equal (sw_calendar_parse_instant (cal, buf, &back), 0);
        assert_int_equal (back, ms);
    }
    sw_calendar_destroy (&cal);

    /* historical local mean time has seconds in its offset and still round
       trips: Shanghai before 1901 was UTC+08:05:43 */
    cal = sw_calendar_new ("Asia/Shanghai", 0, 1, NULL, 0, NULL, 0);
    assert_non_null (cal);
    int64_t old = s_instant (cal, "1900-06-01T00:00:00Z");
    assert_int_equal (sw_calendar_format_instant (cal, old, buf, sizeof (buf)), 28);
    assert_string_equal (buf, "1900-06-01T08:05:43+08:05:43");
    int64_t back = 0;
    assert_int_equal (sw_calendar_parse_instant (cal, buf, &back), 0);
    assert_int_equal (back, old);
    sw_calendar_destroy (&cal);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_civil_table),
        cmocka_unit_test (test_civil_round_trip),
        cmocka_unit_test (test_date_parse),
        cmocka_unit_test (test_zone_unknown),
        cmocka_unit_test (test_shanghai_days),
        cmocka_unit_test (test_dst_berlin),
        cmocka_unit_test (test_dst_rule_far_future),
        cmocka_unit_test (test_midnight_transitions),
        cmocka_unit_test (test_periods),
        cmocka_unit_test (test_workdays),
        cmocka_unit_test (test_instant_format_parse),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
