/* Table-driven tests of sw_digest: escaping for HTML and Markdown (hostile
 * text, Chinese, invalid UTF-8), the JSON shape, the Markdown document and
 * the self-contained HTML page with its SVG chart (scale, bars, no external
 * assets), with and without the cases section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_calendar.h"
#include "sw_digest.h"
#include "sw_json.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

static size_t
s_count (const char *hay, const char *needle)
{
    size_t n = 0, len = strlen (needle);
    for (const char *p = strstr (hay, needle); p; p = strstr (p + len, needle))
        n++;
    return n;
}

static void
s_expect_has (const char *what, const char *text, const char *needle)
{
    if (!strstr (text, needle))
        fail_msg ("%s: missing \"%s\"", what, needle);
}

static void
s_expect_not (const char *what, const char *text, const char *needle)
{
    if (strstr (text, needle))
        fail_msg ("%s: must not contain \"%s\"", what, needle);
}

/* ------------------------------------------------------------ escaping */

static void
test_html_escape (void **state)
{
    (void) state;
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"plain", "plain"},
        {"a & b", "a &amp; b"},
        {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
        {"江东新区", "江东新区"},
        {"tab\tand\nnewline", "tab\tand\nnewline"},
        {"bell\x07" "del\x7f", "bell del "},
        {"c1\xc2\x85" "x", "c1 x"},
        {"bad\xff", "bad\xef\xbf\xbd"},
        {"overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd"},
        {"surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"cut\xe6\xb1", "cut\xef\xbf\xbd\xef\xbf\xbd"},
        {"emoji \xf0\x9f\x9a\xa7", "emoji \xf0\x9f\x9a\xa7"},
        {"", ""},
        {NULL, ""},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        char *got = sw_digest_html_escape (rows[i].in);
        if (strcmp (got, rows[i].want) != 0)
            fail_msg ("row %zu: \"%s\", want \"%s\"", i, got, rows[i].want);
        free (got);
    }
}

static void
test_md_escape (void **state)
{
    (void) state;
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"plain", "plain"},
        {"a|b", "a\\|b"},
        {"*bold* _it_", "\\*bold\\* \\_it\\_"},
        {"[link](x)", "\\[link\\](x)"},
        {"<b>", "\\<b\\>"},
        {"# title", "\\# title"},
        {"`code` ~x~ \\", "\\`code\\` \\~x\\~ \\\\"},
        {"two\nlines\r", "two lines "},
        {"江东新区 (Jiangdong)", "江东新区 (Jiangdong)"},
        {"bad\xfe", "bad\xef\xbf\xbd"},
        {NULL, ""},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        char *got = sw_digest_md_escape (rows[i].in);
        if (strcmp (got, rows[i].want) != 0)
            fail_msg ("row %zu: \"%s\", want \"%s\"", i, got, rows[i].want);
        free (got);
    }
}

/* ------------------------------------------------------------ a digest */

typedef struct {
    Sitewatch__V1__Digest d;
    Sitewatch__V1__DigestProject p[3], *flagged[2], *projects[3];
    Sitewatch__V1__Reason r[2], *r_p4[2];
    Sitewatch__V1__DigestCommissioner c[2], *cs[2];
    char *c1_projects[2], *c2_projects[1];
    Sitewatch__V1__DigestCase k[2], *ks[2];
    Sitewatch__V1__DigestHistoryPoint h[3], *hs[3];
    char *new_red[1], *new_yellow[1], *cleared[1], *no_report[1];
} s_fixture_t;

static void
s_fixture (s_fixture_t *f)
{
    memset (f, 0, sizeof *f);
    Sitewatch__V1__Digest *d = &f->d;
    sitewatch__v1__digest__init (d);
    d->period = 5;
    d->first_day = sw_days_from_civil (2026, 3, 16);
    d->last_day = sw_days_from_civil (2026, 3, 18);
    d->closed_at = 1773849600000; /* 2026-03-19T00:00:00+08:00 */
    d->zone_name = "江东新区 (Jiangdong New Area)";
    d->timezone = "Asia/Shanghai";
    d->green = 1;
    d->yellow = 1;
    d->red = 1;
    d->not_started = 0;

    for (int i = 0; i < 2; i++)
        sitewatch__v1__reason__init (&f->r[i]);
    f->r[0].code = "major_problem";
    f->r[0].problem_id = "r9/1";
    f->r[0].detail = "塔吊 <倒塌> & \"停工\"";
    f->r[1].code = "serious_lag";
    f->r[1].lag_pp = 18.5;
    f->r[1].planned_pct = 40;
    f->r[1].actual_pct = 21.5;
    f->r_p4[0] = &f->r[0];
    f->r_p4[1] = &f->r[1];

    static const char *ids[] = {"JD004", "JD007", "JD009"};
    static const char *names[] = {"防洪排涝工程<script>alert(1)</script>", "综合管廊8期",
                                  "华信总部|大楼*项目*"};
    static const Sitewatch__V1__Level levels[] = {SITEWATCH__V1__LEVEL__LEVEL_RED,
                                                  SITEWATCH__V1__LEVEL__LEVEL_YELLOW,
                                                  SITEWATCH__V1__LEVEL__LEVEL_GREEN};
    for (int i = 0; i < 3; i++) {
        Sitewatch__V1__DigestProject *p = &f->p[i];
        sitewatch__v1__digest_project__init (p);
        p->project_id = (char *) ids[i];
        p->name = (char *) names[i];
        p->level = levels[i];
        p->prev_level = i == 2 ? SITEWATCH__V1__LEVEL__LEVEL_RED : SITEWATCH__V1__LEVEL__LEVEL_GREEN;
        p->commissioner = i == 1 ? "C02" : "C01";
        p->has_lag = i != 1;
        p->lag_pp = 18.5;
        p->planned_pct = 40;
        p->actual_pct = 21.5;
        p->by_commissioner = i == 0;
        p->by_unit = i == 0 || i == 2;
        p->by_local = i == 2;
        p->reports = i == 0 ? 2 : i == 2 ? 3 : 0;
        f->projects[i] = p;
    }
    f->p[0].reasons = f->r_p4;
    f->p[0].n_reasons = 2;
    f->flagged[0] = &f->p[0];
    f->flagged[1] = &f->p[1];
    d->flagged = f->flagged;
    d->n_flagged = 2;
    d->projects = f->projects;
    d->n_projects = 3;
    f->new_red[0] = "JD004";
    f->new_yellow[0] = "JD007";
    f->cleared[0] = "JD009";
    f->no_report[0] = "JD007";
    d->new_red = f->new_red;
    d->n_new_red = 1;
    d->new_yellow = f->new_yellow;
    d->n_new_yellow = 1;
    d->cleared = f->cleared;
    d->n_cleared = 1;
    d->no_report = f->no_report;
    d->n_no_report = 1;
    d->reports_commissioner = 1;
    d->reports_unit = 2;
    d->reports_local = 2;

    f->c1_projects[0] = "JD004";
    f->c1_projects[1] = "JD009";
    f->c2_projects[0] = "JD007";
    for (int i = 0; i < 2; i++) {
        sitewatch__v1__digest_commissioner__init (&f->c[i]);
        f->cs[i] = &f->c[i];
        f->c[i].target_days = 2.5;
    }
    f->c[0].commissioner_id = "C01";
    f->c[0].name = "孙伟琳";
    f->c[0].projects = f->c1_projects;
    f->c[0].n_projects = 2;
    f->c[0].reports = 5;
    f->c[0].site_days = 3;
    f->c[0].meets_target = true;
    f->c[1].commissioner_id = "C02";
    f->c[1].name = "马伟平";
    f->c[1].projects = f->c2_projects;
    f->c[1].n_projects = 1;
    f->c[1].site_days = 2;
    d->commissioners = f->cs;
    d->n_commissioners = 2;

    d->sla_met = 2;
    d->sla_missed = 1;
    d->sla_pending = 4;

    static const uint32_t hist[3][5] = {{3, 3, 0, 0, 0}, {4, 1, 1, 1, 0}, {5, 1, 1, 1, 0}};
    for (int i = 0; i < 3; i++) {
        sitewatch__v1__digest_history_point__init (&f->h[i]);
        f->h[i].period = hist[i][0];
        f->h[i].green = hist[i][1];
        f->h[i].yellow = hist[i][2];
        f->h[i].red = hist[i][3];
        f->h[i].not_started = hist[i][4];
        f->hs[i] = &f->h[i];
    }
    d->history = f->hs;
    d->n_history = 3;
}

static void
s_with_cases (s_fixture_t *f)
{
    for (int i = 0; i < 2; i++) {
        sitewatch__v1__digest_case__init (&f->k[i]);
        f->ks[i] = &f->k[i];
    }
    f->k[0].case_id = "CASE-2";
    f->k[0].project_id = "JD004";
    f->k[0].stage = "supervision_letter";
    f->k[0].due_at = 1773676799999; /* 2026-03-16T23:59:59.999+08:00 */
    f->k[0].overdue = true;
    f->k[1].case_id = "CASE-7";
    f->k[1].project_id = "JD007";
    f->k[1].stage = "onsite_meeting";
    f->k[1].due_at = 1774022399999;
    f->d.cases_available = true;
    f->d.open_cases = f->ks;
    f->d.n_open_cases = 2;
}

static sw_calendar_t *
s_cal (void)
{
    sw_calendar_t *cal = sw_calendar_new ("Asia/Shanghai", sw_days_from_civil (2026, 3, 1), 3,
                                          NULL, 0, NULL, 0);
    assert_non_null (cal);
    return cal;
}

/* ------------------------------------------------------------ JSON */

static void
test_json (void **state)
{
    (void) state;
    s_fixture_t f;
    s_fixture (&f);
    sw_calendar_t *cal = s_cal ();
    sw_json_t *j = sw_json_new ();
    sw_digest_json (j, cal, &f.d);
    assert_true (sw_json_complete (j));
    const char *t = sw_json_text (j);
    static const char *const needles[] = {
        "{\"period\":5,\"first_day\":\"2026-03-16\",\"last_day\":\"2026-03-18\"",
        "\"closed_at\":\"2026-03-19T00:00:00+08:00\"",
        "\"zone_name\":\"江东新区 (Jiangdong New Area)\"",
        "\"green\":1,\"yellow\":1,\"red\":1,\"not_started\":0",
        "\"flagged\":[{\"project_id\":\"JD004\"",
        "\"level\":\"red\",\"prev_level\":\"green\",\"reasons\":[{\"code\":\"major_problem\"",
        "\"lag_pp\":18.5,\"planned_pct\":40,\"actual_pct\":21.5",
        /* a project without an actual: no lag, no actual */
        "\"lag_pp\":null,\"planned_pct\":40,\"actual_pct\":null",
        "\"channels\":{\"commissioner\":true,\"unit\":true,\"local\":false},\"reports\":2",
        "\"new_yellow\":[\"JD007\"],\"new_red\":[\"JD004\"],\"cleared\":[\"JD009\"],"
        "\"no_report\":[\"JD007\"]",
        "\"reports_commissioner\":1,\"reports_unit\":2,\"reports_local\":2",
        "{\"commissioner_id\":\"C01\",\"name\":\"孙伟琳\",\"projects\":[\"JD004\",\"JD009\"],"
        "\"reports\":5,\"site_days\":3,\"target_days\":2.5,\"meets_target\":true}",
        "\"site_days\":2,\"target_days\":2.5,\"meets_target\":false",
        "\"cases_available\":false,\"open_cases\":[]",
        "\"sla_met\":2,\"sla_missed\":1,\"sla_pending\":4",
        "\"history\":[{\"period\":3,\"green\":3,\"yellow\":0,\"red\":0,\"not_started\":0},",
        "<script>", /* JSON carries text as it is (escaped only as JSON needs) */
    };
    for (size_t i = 0; i < N_ELEM (needles); i++)
        s_expect_has ("json", t, needles[i]);
    /* the reasons are only on flagged projects */
    assert_int_equal (s_count (t, "\"reasons\":"), 2);
    assert_int_equal (s_count (t, "\"project_id\":\"JD004\""), 2);

    s_with_cases (&f);
    sw_json_reset (j);
    sw_digest_json (j, cal, &f.d);
    s_expect_has ("json cases", sw_json_text (j),
                  "\"cases_available\":true,\"open_cases\":[{\"case_id\":\"CASE-2\","
                  "\"project_id\":\"JD004\",\"stage\":\"supervision_letter\","
                  "\"due_at\":\"2026-03-16T23:59:59.999+08:00\",\"overdue\":true}");

    /* without a calendar, instants are raw milliseconds */
    sw_json_reset (j);
    sw_digest_json (j, NULL, &f.d);
    s_expect_has ("json no calendar", sw_json_text (j), "\"closed_at\":1773849600000");
    sw_json_destroy (&j);
    sw_calendar_destroy (&cal);
}

/* ------------------------------------------------------------ Markdown */

static void
test_markdown (void **state)
{
    (void) state;
    s_fixture_t f;
    s_fixture (&f);
    sw_calendar_t *cal = s_cal ();
    char *md = sw_digest_markdown (&f.d, cal);
    static const char *const needles[] = {
        "# 项目进度快报 · Progress express report\n",
        "**江东新区 (Jiangdong New Area)** · period 5 · 2026-03-16 to 2026-03-18 · closed "
        "2026-03-19T00:00:00+08:00 (Asia/Shanghai)",
        "| 1 | 1 | 1 | 0 | 3 |",
        "## Yellow and red projects (2)",
        "| JD004 | 防洪排涝工程\\<script\\>alert(1)\\</script\\> | red | green | major problem r9/1: "
        "塔吊 \\<倒塌\\> & \"停工\"; serious lag 18.5 pp (planned 40%, actual 21.5%) | 18.5 | 40% "
        "| 21.5% | C01 |",
        "| JD007 | 综合管廊8期 | yellow | green | - | - | 40% | - | C02 |",
        "- **New red** (1): JD004 防洪排涝工程\\<script\\>",
        "- **New yellow** (1): JD007 综合管廊8期",
        "- **Cleared** (1): JD009 华信总部\\|大楼\\*项目\\*",
        "- **No report** (1): JD007 综合管廊8期",
        "| 1 | 2 | 2 | 5 |",
        "| JD009 | 华信总部\\|大楼\\*项目\\* | green | · | ✓ | ✓ | 3 |",
        "| C01 | 孙伟琳 | JD004, JD009 | 5 | 3 | 2.5 | yes |",
        "| C02 | 马伟平 | JD007 | 0 | 2 | 2.5 | no |",
        "Not available yet",
        "2 met, 1 missed, 4 pending",
        "| 5 | 1 | 1 | 1 | 0 |",
    };
    for (size_t i = 0; i < N_ELEM (needles); i++)
        s_expect_has ("markdown", md, needles[i]);
    s_expect_not ("markdown", md, "<script>");
    free (md);

    s_with_cases (&f);
    md = sw_digest_markdown (&f.d, cal);
    s_expect_has ("markdown cases", md,
                  "| CASE-2 | JD004 | supervision\\_letter | 2026-03-16T23:59:59.999+08:00 | "
                  "**overdue** |");
    s_expect_not ("markdown cases", md, "Not available yet");
    free (md);
    sw_calendar_destroy (&cal);
}

/* ------------------------------------------------------------ HTML */

static void
test_html_page (void **state)
{
    (void) state;
    s_fixture_t f;
    s_fixture (&f);
    sw_calendar_t *cal = s_cal ();
    char *html = sw_digest_html (&f.d, cal);
    static const char *const needles[] = {
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">",
        "<meta charset=\"utf-8\">",
        "<title>项目进度快报 · 江东新区 (Jiangdong New Area) · period 5</title>",
        "<style>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"",
        "</svg>",
        "防洪排涝工程&lt;script&gt;alert(1)&lt;/script&gt;",
        "major problem r9/1: 塔吊 &lt;倒塌&gt; &amp; &quot;停工&quot;",
        "<td>孙伟琳</td>",
        "Not available yet",
        "</html>\n",
    };
    for (size_t i = 0; i < N_ELEM (needles); i++)
        s_expect_has ("html", html, needles[i]);
    /* self-contained: no scripts, no external assets */
    static const char *const banned[] = {"<script", "src=", "href=", "url(", "@import", "<link",
                                         "https://"};
    for (size_t i = 0; i < N_ELEM (banned); i++)
        s_expect_not ("html", html, banned[i]);
    /* the only "http://" is the SVG namespace */
    assert_int_equal (s_count (html, "http://"), 1);
    /* one bar segment per nonzero figure of the history: 1 + 3 + 3 */
    assert_int_equal (s_count (html, "</title></rect>"), 7);
    s_expect_has ("html", html, "<title>period 3: 3 green</title>");
    s_expect_has ("html", html, "<title>period 5: 1 red</title>");
    free (html);

    s_with_cases (&f);
    html = sw_digest_html (&f.d, cal);
    s_expect_has ("html cases", html, "<td>CASE-2</td>");
    s_expect_has ("html cases", html, "overdue");
    s_expect_not ("html cases", html, "Not available yet");
    free (html);
    sw_calendar_destroy (&cal);
}

static void
test_chart_scale (void **state)
{
    (void) state;
    /* the top gridline is the largest total rounded up to 1, 2 or 5 x 10^n */
    static const struct {
        uint32_t green, red;
        const char *top;
    } rows[] = {
        {0, 0, ">1</text>"},   {1, 0, ">1</text>"},    {2, 1, ">5</text>"},
        {7, 3, ">10</text>"},  {8, 3, ">20</text>"},   {41, 45, ">100</text>"},
        {150, 60, ">500</text>"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        s_fixture_t f;
        s_fixture (&f);
        f.h[0].green = rows[i].green;
        f.h[0].red = rows[i].red;
        f.h[0].yellow = f.h[0].not_started = 0;
        f.d.history = f.hs;
        f.d.n_history = 1;
        char *html = sw_digest_html (&f.d, NULL);
        char want[64];
        snprintf (want, sizeof want, "fill=\"#5f6368\"%s", rows[i].top);
        if (!strstr (html, want))
            fail_msg ("row %zu: top gridline %s missing", i, rows[i].top);
        free (html);
    }
    /* an empty history says so instead of drawing */
    s_fixture_t f;
    s_fixture (&f);
    f.d.n_history = 0;
    char *html = sw_digest_html (&f.d, NULL);
    s_expect_has ("empty chart", html, "no closes yet");
    /* without a calendar the close is written in UTC */
    s_expect_has ("no calendar", html, "closed 2026-03-18T16:00:00Z");
    free (html);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_html_escape), cmocka_unit_test (test_md_escape),
        cmocka_unit_test (test_json),        cmocka_unit_test (test_markdown),
        cmocka_unit_test (test_html_page),   cmocka_unit_test (test_chart_scale),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
