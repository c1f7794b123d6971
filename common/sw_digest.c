/*  sw_digest: the express report as JSON, Markdown and a self-contained HTML
    page with an inline SVG chart. Text is built in a growable buffer; every
    string that came from outside is escaped for the format it lands in. */

#include "sw_digest.h"
#include "sw_render.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- buffer */

typedef struct {
    char *p;
    size_t n, cap;
} s_buf_t;

static void
s_add (s_buf_t *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc (b->p, cap);
        if (!p)
            abort ();
        b->p = p;
        b->cap = cap;
    }
    memcpy (b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void
s_puts (s_buf_t *b, const char *s)
{
    s_add (b, s, strlen (s));
}

static void s_printf (s_buf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_printf (s_buf_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (small, sizeof small, fmt, ap);
    va_end (ap);
    if (n < 0)
        return;
    if ((size_t) n < sizeof small) {
        s_add (b, small, (size_t) n);
        return;
    }
    char *big = malloc ((size_t) n + 1);
    if (!big)
        abort ();
    va_start (ap, fmt);
    vsnprintf (big, (size_t) n + 1, fmt, ap);
    va_end (ap);
    s_add (b, big, (size_t) n);
    free (big);
}

static char *
s_take (s_buf_t *b)
{
    if (!b->p)
        s_add (b, "", 0);
    return b->p;
}

static const char *
s_str (const char *s)
{
    return s ? s : "";
}

/* ------------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t
s_utf8_len (const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    }
    else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    }
    else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static const char s_replacement[] = "\xEF\xBF\xBD";

/* Walks text: ASCII bytes go to ascii (which escapes as its format wants),
   valid multi-byte sequences pass through except C1 controls (U+0080..
   U+009F, a space), invalid bytes become U+FFFD. */
static void
s_escape (s_buf_t *b, const char *text, void (*ascii) (s_buf_t *b, char c))
{
    const unsigned char *s = (const unsigned char *) s_str (text);
    while (*s) {
        if (*s < 0x80) {
            ascii (b, (char) *s);
            s++;
            continue;
        }
        size_t len = s_utf8_len (s);
        if (len == 0) {
            s_puts (b, s_replacement);
            s++;
        }
        else {
            if (len == 2 && s[0] == 0xC2 && s[1] < 0xA0)
                s_puts (b, " ");
            else
                s_add (b, (const char *) s, len);
            s += len;
        }
    }
}

static void
s_html_ascii (s_buf_t *b, char c)
{
    switch (c) {
    case '&': s_puts (b, "&amp;"); break;
    case '<': s_puts (b, "&lt;"); break;
    case '>': s_puts (b, "&gt;"); break;
    case '"': s_puts (b, "&quot;"); break;
    case '\'': s_puts (b, "&#39;"); break;
    case '\t':
    case '\n': s_add (b, &c, 1); break;
    default:
        if ((unsigned char) c < 0x20 || c == 0x7F)
            s_puts (b, " ");
        else
            s_add (b, &c, 1);
    }
}

static void
s_md_ascii (s_buf_t *b, char c)
{
    if ((unsigned char) c < 0x20 || c == 0x7F) {
        s_puts (b, " ");
        return;
    }
    if (strchr ("\\`*_[]<>|~#", c))
        s_puts (b, "\\");
    s_add (b, &c, 1);
}

static void
s_html (s_buf_t *b, const char *text)
{
    s_escape (b, text, s_html_ascii);
}

static void
s_md (s_buf_t *b, const char *text)
{
    s_escape (b, text, s_md_ascii);
}

char *
sw_digest_html_escape (const char *text)
{
    s_buf_t b = {NULL, 0, 0};
    s_html (&b, text);
    return s_take (&b);
}

char *
sw_digest_md_escape (const char *text)
{
    s_buf_t b = {NULL, 0, 0};
    s_md (&b, text);
    return s_take (&b);
}

/* ------------------------------------------------------------- figures */

static const char *
s_num (double v, char *buf)
{
    return sw_json_num_format (v, buf, 40);
}

static const char *
s_date (int32_t day, char buf[11])
{
    sw_date_format (day, buf);
    return buf;
}

/* An instant in the zone, or in UTC when there is no calendar. */
static const char *
s_instant (const sw_calendar_t *cal, int64_t ms, char buf[48])
{
    if (cal && sw_calendar_format_instant (cal, ms, buf, 48) >= 0)
        return buf;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rest = ms - days * 86400000;
    int y, m, d;
    sw_civil_from_days ((int32_t) days, &y, &m, &d);
    snprintf (buf, 48, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int) (rest / 3600000),
              (int) (rest / 60000 % 60), (int) (rest / 1000 % 60));
    return buf;
}

static const char *
s_level_label (Sitewatch__V1__Level l)
{
    switch (l) {
    case SITEWATCH__V1__LEVEL__LEVEL_GREEN: return "green";
    case SITEWATCH__V1__LEVEL__LEVEL_YELLOW: return "yellow";
    case SITEWATCH__V1__LEVEL__LEVEL_RED: return "red";
    case SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED: return "not started";
    default: return "unknown";
    }
}

/* One reason in words, unescaped. */
static void
s_reason_text (const Sitewatch__V1__Reason *r, char *buf, size_t len)
{
    char a[40], p[40], c[40], day[11];
    const char *code = s_str (r->code);
    if (strcmp (code, "lag") == 0 || strcmp (code, "serious_lag") == 0)
        snprintf (buf, len, "%s %s pp (planned %s%%, actual %s%%)",
                  code[0] == 's' ? "serious lag" : "lag", s_num (r->lag_pp, a),
                  s_num (r->planned_pct, p), s_num (r->actual_pct, c));
    else if (strcmp (code, "forecast_late") == 0) {
        if (r->forecast_finish_day == 0 || r->forecast_finish_day == INT32_MAX)
            snprintf (buf, len, "forecast: never finishes at this pace");
        else
            snprintf (buf, len, "forecast finish %s", s_date (r->forecast_finish_day, day));
    }
    else if (strcmp (code, "no_report") == 0)
        snprintf (buf, len, "no report in period %lld", (long long) r->period);
    else if (strcmp (code, "major_problem") == 0)
        snprintf (buf, len, "major problem %s%s%s", s_str (r->problem_id),
                  r->detail && *r->detail ? ": " : "", s_str (r->detail));
    else if (strcmp (code, "consecutive_yellow") == 0)
        snprintf (buf, len, "second yellow in a row");
    else
        snprintf (buf, len, "%s", code);
}

static const char *
s_name_of (const Sitewatch__V1__Digest *d, const char *id)
{
    for (size_t i = 0; i < d->n_projects; i++)
        if (d->projects[i]->project_id && strcmp (d->projects[i]->project_id, id) == 0)
            return s_str (d->projects[i]->name);
    for (size_t i = 0; i < d->n_flagged; i++)
        if (d->flagged[i]->project_id && strcmp (d->flagged[i]->project_id, id) == 0)
            return s_str (d->flagged[i]->name);
    return "";
}

/* ------------------------------------------------------------- JSON */

static void
s_jstr (sw_json_t *j, const char *key, const char *value)
{
    sw_json_key (j, key);
    sw_json_str (j, s_str (value));
}

static void
s_jint (sw_json_t *j, const char *key, int64_t value)
{
    sw_json_key (j, key);
    sw_json_int (j, value);
}

static void
s_jids (sw_json_t *j, const char *key, char *const *ids, size_t n)
{
    sw_json_key (j, key);
    sw_json_arr_begin (j);
    for (size_t i = 0; i < n; i++)
        sw_json_str (j, s_str (ids[i]));
    sw_json_arr_end (j);
}

static void
s_jproject (sw_json_t *j, const Sitewatch__V1__DigestProject *p, bool reasons)
{
    sw_json_obj_begin (j);
    s_jstr (j, "project_id", p->project_id);
    s_jstr (j, "name", p->name);
    s_jstr (j, "level", sw_render_level_name (p->level));
    s_jstr (j, "prev_level", sw_render_level_name (p->prev_level));
    if (reasons) {
        sw_json_key (j, "reasons");
        sw_render_json_reasons (j, p->reasons, p->n_reasons);
    }
    sw_json_key (j, "lag_pp");
    if (p->has_lag)
        sw_json_num (j, p->lag_pp);
    else
        sw_json_null (j);
    sw_json_key (j, "planned_pct");
    sw_json_num (j, p->planned_pct);
    sw_json_key (j, "actual_pct");
    if (p->has_lag)
        sw_json_num (j, p->actual_pct);
    else
        sw_json_null (j);
    s_jstr (j, "commissioner", p->commissioner);
    sw_json_key (j, "channels");
    sw_json_obj_begin (j);
    sw_json_key (j, "commissioner");
    sw_json_bool (j, p->by_commissioner);
    sw_json_key (j, "unit");
    sw_json_bool (j, p->by_unit);
    sw_json_key (j, "local");
    sw_json_bool (j, p->by_local);
    sw_json_obj_end (j);
    s_jint (j, "reports", p->reports);
    sw_json_obj_end (j);
}

void
sw_digest_json (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__Digest *d)
{
    sw_json_obj_begin (j);
    s_jint (j, "period", d->period);
    sw_json_key (j, "first_day");
    sw_render_json_date (j, d->first_day);
    sw_json_key (j, "last_day");
    sw_render_json_date (j, d->last_day);
    sw_json_key (j, "closed_at");
    sw_render_json_instant (j, cal, d->closed_at);
    s_jstr (j, "zone_name", d->zone_name);
    s_jstr (j, "timezone", d->timezone);
    s_jint (j, "green", d->green);
    s_jint (j, "yellow", d->yellow);
    s_jint (j, "red", d->red);
    s_jint (j, "not_started", d->not_started);
    sw_json_key (j, "flagged");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < d->n_flagged; i++)
        s_jproject (j, d->flagged[i], true);
    sw_json_arr_end (j);
    s_jids (j, "new_yellow", d->new_yellow, d->n_new_yellow);
    s_jids (j, "new_red", d->new_red, d->n_new_red);
    s_jids (j, "cleared", d->cleared, d->n_cleared);
    s_jids (j, "no_report", d->no_report, d->n_no_report);
    sw_json_key (j, "projects");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < d->n_projects; i++)
        s_jproject (j, d->projects[i], false);
    sw_json_arr_end (j);
    s_jint (j, "reports_commissioner", d->reports_commissioner);
    s_jint (j, "reports_unit", d->reports_unit);
    s_jint (j, "reports_local", d->reports_local);
    sw_json_key (j, "commissioners");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < d->n_commissioners; i++) {
        const Sitewatch__V1__DigestCommissioner *c = d->commissioners[i];
        sw_json_obj_begin (j);
        s_jstr (j, "commissioner_id", c->commissioner_id);
        s_jstr (j, "name", c->name);
        s_jids (j, "projects", c->projects, c->n_projects);
        s_jint (j, "reports", c->reports);
        sw_json_key (j, "site_days");
        sw_json_num (j, c->site_days);
        sw_json_key (j, "target_days");
        sw_json_num (j, c->target_days);
        sw_json_key (j, "meets_target");
        sw_json_bool (j, c->meets_target);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_key (j, "cases_available");
    sw_json_bool (j, d->cases_available);
    sw_json_key (j, "open_cases");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < d->n_open_cases; i++) {
        const Sitewatch__V1__DigestCase *c = d->open_cases[i];
        sw_json_obj_begin (j);
        s_jstr (j, "case_id", c->case_id);
        s_jstr (j, "project_id", c->project_id);
        s_jstr (j, "stage", c->stage);
        sw_json_key (j, "due_at");
        if (c->due_at)
            sw_render_json_instant (j, cal, c->due_at);
        else
            sw_json_null (j);
        sw_json_key (j, "overdue");
        sw_json_bool (j, c->overdue);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    s_jint (j, "sla_met", d->sla_met);
    s_jint (j, "sla_missed", d->sla_missed);
    s_jint (j, "sla_pending", d->sla_pending);
    sw_json_key (j, "history");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < d->n_history; i++) {
        const Sitewatch__V1__DigestHistoryPoint *h = d->history[i];
        sw_json_obj_begin (j);
        s_jint (j, "period", h->period);
        s_jint (j, "green", h->green);
        s_jint (j, "yellow", h->yellow);
        s_jint (j, "red", h->red);
        s_jint (j, "not_started", h->not_started);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_obj_end (j);
}

/* ------------------------------------------------------------- Markdown */

static const char *
s_mark (bool yes)
{
    return yes ? "✓" : "·";
}

static void
s_md_ids (s_buf_t *b, const Sitewatch__V1__Digest *d, const char *title, char *const *ids,
          size_t n)
{
    s_printf (b, "- **%s** (%zu):", title, n);
    if (!n)
        s_puts (b, " none");
    for (size_t i = 0; i < n; i++) {
        s_puts (b, i ? ", " : " ");
        s_md (b, ids[i]);
        const char *name = s_name_of (d, s_str (ids[i]));
        if (*name) {
            s_puts (b, " ");
            s_md (b, name);
        }
    }
    s_puts (b, "\n");
}

char *
sw_digest_markdown (const Sitewatch__V1__Digest *d, const sw_calendar_t *cal)
{
    s_buf_t b = {NULL, 0, 0};
    char first[11], last[11], closed[48], n1[40], n2[40], n3[40];
    s_puts (&b, "# 项目进度快报 · Progress express report\n\n");
    s_puts (&b, "**");
    s_md (&b, *s_str (d->zone_name) ? d->zone_name : "sitewatch");
    s_printf (&b, "** · period %lld · %s to %s · closed %s (", (long long) d->period,
              s_date (d->first_day, first), s_date (d->last_day, last),
              s_instant (cal, d->closed_at, closed));
    s_md (&b, d->timezone);
    s_puts (&b, ")\n\n");

    s_puts (&b, "## Levels\n\n| red | yellow | green | not started | total |\n"
                "|---:|---:|---:|---:|---:|\n");
    s_printf (&b, "| %u | %u | %u | %u | %u |\n\n", d->red, d->yellow, d->green, d->not_started,
              d->red + d->yellow + d->green + d->not_started);

    s_printf (&b, "## Yellow and red projects (%zu)\n\n", d->n_flagged);
    if (!d->n_flagged)
        s_puts (&b, "None.\n\n");
    else {
        s_puts (&b, "| project | name | level | at the last close | reasons | lag (pp) | planned | "
                    "actual | commissioner |\n|---|---|---|---|---|---:|---:|---:|---|\n");
        for (size_t i = 0; i < d->n_flagged; i++) {
            const Sitewatch__V1__DigestProject *p = d->flagged[i];
            s_puts (&b, "| ");
            s_md (&b, p->project_id);
            s_puts (&b, " | ");
            s_md (&b, p->name);
            s_printf (&b, " | %s | %s | ", s_level_label (p->level), s_level_label (p->prev_level));
            for (size_t r = 0; r < p->n_reasons; r++) {
                char text[512];
                s_reason_text (p->reasons[r], text, sizeof text);
                if (r)
                    s_puts (&b, "; ");
                s_md (&b, text);
            }
            if (!p->n_reasons)
                s_puts (&b, "-");
            if (p->has_lag)
                s_printf (&b, " | %s | %s%% | %s%% | ", s_num (p->lag_pp, n1),
                          s_num (p->planned_pct, n2), s_num (p->actual_pct, n3));
            else
                s_printf (&b, " | - | %s%% | - | ", s_num (p->planned_pct, n2));
            s_md (&b, p->commissioner);
            s_puts (&b, " |\n");
        }
        s_puts (&b, "\n");
    }

    s_puts (&b, "## Changes since the previous period\n\n");
    s_md_ids (&b, d, "New red", d->new_red, d->n_new_red);
    s_md_ids (&b, d, "New yellow", d->new_yellow, d->n_new_yellow);
    s_md_ids (&b, d, "Cleared", d->cleared, d->n_cleared);
    s_puts (&b, "\n## No report in the period\n\n");
    s_md_ids (&b, d, "No report", d->no_report, d->n_no_report);

    s_puts (&b, "\n## Reports by channel\n\n| commissioner | responsible unit | local contact | "
                "total |\n|---:|---:|---:|---:|\n");
    s_printf (&b, "| %u | %u | %u | %u |\n\n", d->reports_commissioner, d->reports_unit,
              d->reports_local, d->reports_commissioner + d->reports_unit + d->reports_local);

    s_printf (&b, "## Channel coverage (%zu projects)\n\n", d->n_projects);
    s_puts (&b, "| project | name | level | commissioner | unit | local | reports |\n"
                "|---|---|---|:-:|:-:|:-:|---:|\n");
    for (size_t i = 0; i < d->n_projects; i++) {
        const Sitewatch__V1__DigestProject *p = d->projects[i];
        s_puts (&b, "| ");
        s_md (&b, p->project_id);
        s_puts (&b, " | ");
        s_md (&b, p->name);
        s_printf (&b, " | %s | %s | %s | %s | %u |\n", s_level_label (p->level),
                  s_mark (p->by_commissioner), s_mark (p->by_unit), s_mark (p->by_local),
                  p->reports);
    }

    s_puts (&b, "\n## Commissioners\n\n| commissioner | name | projects | reports | site days "
                "(7 days) | target | met |\n|---|---|---|---:|---:|---:|:-:|\n");
    for (size_t i = 0; i < d->n_commissioners; i++) {
        const Sitewatch__V1__DigestCommissioner *c = d->commissioners[i];
        s_puts (&b, "| ");
        s_md (&b, c->commissioner_id);
        s_puts (&b, " | ");
        s_md (&b, c->name);
        s_puts (&b, " | ");
        for (size_t p = 0; p < c->n_projects; p++) {
            if (p)
                s_puts (&b, ", ");
            s_md (&b, c->projects[p]);
        }
        s_printf (&b, " | %u | %s | %s | %s |\n", c->reports, s_num (c->site_days, n1),
                  s_num (c->target_days, n2), c->meets_target ? "yes" : "no");
    }

    s_puts (&b, "\n## Open cases\n\n");
    if (!d->cases_available)
        s_puts (&b, "Not available yet: the supervision ladder does not report its open cases to "
                    "the express report.\n");
    else if (!d->n_open_cases)
        s_puts (&b, "None.\n");
    else {
        s_puts (&b, "| case | project | stage | due | overdue |\n|---|---|---|---|:-:|\n");
        for (size_t i = 0; i < d->n_open_cases; i++) {
            const Sitewatch__V1__DigestCase *c = d->open_cases[i];
            s_puts (&b, "| ");
            s_md (&b, c->case_id);
            s_puts (&b, " | ");
            s_md (&b, c->project_id);
            s_puts (&b, " | ");
            s_md (&b, c->stage);
            s_printf (&b, " | %s | %s |\n", c->due_at ? s_instant (cal, c->due_at, closed) : "-",
                      c->overdue ? "**overdue**" : "");
        }
    }

    s_puts (&b, "\n## Same-day leadership reports\n\n");
    s_printf (&b, "Reds of this period reported to the leader in charge: %u met, %u missed, "
                  "%u pending.\n",
              d->sla_met, d->sla_missed, d->sla_pending);

    s_puts (&b, "\n## Levels over recent periods\n\n| period | red | yellow | green | not started "
                "|\n|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < d->n_history; i++) {
        const Sitewatch__V1__DigestHistoryPoint *h = d->history[i];
        s_printf (&b, "| %lld | %u | %u | %u | %u |\n", (long long) h->period, h->red, h->yellow,
                  h->green, h->not_started);
    }
    return s_take (&b);
}

/* ------------------------------------------------------------- HTML */

static const char s_css[]
    = "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Source Han Sans SC\","
      "\"PingFang SC\",\"Microsoft YaHei\",\"DejaVu Sans\",sans-serif;margin:24px;color:#202124;"
      "background:#fff;line-height:1.45}"
      "h1{font-size:26px;margin:0 0 4px}h1 small{font-size:15px;color:#5f6368;font-weight:normal}"
      "h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dadce0;padding-bottom:4px}"
      ".meta{color:#5f6368;margin:0 0 16px}"
      ".cards{display:flex;gap:12px;flex-wrap:wrap}"
      ".card{min-width:120px;padding:10px 16px;border-radius:8px;color:#fff}"
      ".card b{display:block;font-size:30px}"
      ".c-red{background:#d93025}.c-yellow{background:#f2b600;color:#202124}"
      ".c-green{background:#1e8e3e}.c-ns{background:#9aa0a6}"
      "table{border-collapse:collapse;margin:4px 0 8px;font-size:14px}"
      "th,td{border:1px solid #dadce0;padding:4px 8px;text-align:left;vertical-align:top}"
      "th{background:#f1f3f4}td.n{text-align:right}td.m{text-align:center}"
      ".lv{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:13px}"
      ".lv-red{background:#d93025}.lv-yellow{background:#f2b600;color:#202124}"
      ".lv-green{background:#1e8e3e}.lv-not_started,.lv-unspecified{background:#9aa0a6}"
      ".no{color:#d93025;font-weight:bold}.yes{color:#1e8e3e;font-weight:bold}"
      "ul{margin:4px 0}.note{color:#5f6368}";

static void
s_h_level (s_buf_t *b, Sitewatch__V1__Level l)
{
    s_printf (b, "<span class=\"lv lv-%s\">%s</span>", sw_render_level_name (l), s_level_label (l));
}

static void
s_h_ids (s_buf_t *b, const Sitewatch__V1__Digest *d, const char *title, char *const *ids,
         size_t n)
{
    s_printf (b, "<li><b>%s</b> (%zu):", title, n);
    if (!n)
        s_puts (b, " none");
    for (size_t i = 0; i < n; i++) {
        s_puts (b, i ? ", " : " ");
        s_html (b, ids[i]);
        const char *name = s_name_of (d, s_str (ids[i]));
        if (*name) {
            s_puts (b, " ");
            s_html (b, name);
        }
    }
    s_puts (b, "</li>\n");
}

/* Rounds up to 1, 2 or 5 times a power of ten. */
static unsigned
s_nice (unsigned v)
{
    unsigned p = 1;
    for (;;) {
        if (v <= p)
            return p;
        if (v <= 2 * p)
            return 2 * p;
        if (v <= 5 * p)
            return 5 * p;
        if (p > UINT32_MAX / 10)
            return v;
        p *= 10;
    }
}

/* The stacked bars of the history: red at the bottom, then yellow, green,
   not started. */
static void
s_h_chart (s_buf_t *b, const Sitewatch__V1__Digest *d)
{
    const double W = 760, H = 280, left = 48, right = 16, top = 16, bottom = 56;
    const double pw = W - left - right, ph = H - top - bottom;
    size_t n = d->n_history;
    unsigned max = 1;
    for (size_t i = 0; i < n; i++) {
        const Sitewatch__V1__DigestHistoryPoint *h = d->history[i];
        unsigned total = h->red + h->yellow + h->green + h->not_started;
        if (total > max)
            max = total;
    }
    max = s_nice (max);
    s_printf (b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"levels over recent "
                 "periods\">\n<title>Levels over recent periods</title>\n",
              W, H, W, H);
    s_printf (b, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\"/>\n", W, H);
    for (int g = 0; g <= 4; g++) {
        double y = top + ph - ph * g / 4.0;
        s_printf (b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dadce0\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
                     "fill=\"#5f6368\">%g</text>\n",
                  left, y, W - right, y, left - 6, y + 4, max * g / 4.0);
    }
    static const struct {
        const char *name, *color;
    } series[] = {{"red", "#d93025"}, {"yellow", "#f2b600"}, {"green", "#1e8e3e"},
                  {"not started", "#bdc1c6"}};
    double slot = pw / (double) (n ? n : 1), bw = slot * 0.6;
    for (size_t i = 0; i < n; i++) {
        const Sitewatch__V1__DigestHistoryPoint *h = d->history[i];
        unsigned v[4] = {h->red, h->yellow, h->green, h->not_started};
        double x = left + slot * (double) i + (slot - bw) / 2, y = top + ph;
        for (int s = 0; s < 4; s++) {
            if (!v[s])
                continue;
            double hh = ph * v[s] / max;
            y -= hh;
            s_printf (b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                         "fill=\"%s\"><title>period %lld: %u %s</title></rect>\n",
                      x, y, bw, hh, series[s].color, (long long) h->period, v[s], series[s].name);
        }
        s_printf (b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                     "fill=\"#202124\">%lld</text>\n",
                  x + bw / 2, top + ph + 16, (long long) h->period);
    }
    if (!n)
        s_printf (b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no closes yet</text>\n",
                  W / 2, H / 2);
    s_printf (b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#5f6368\">period</text>\n",
              left, top + ph + 32);
    double lx = left + 60;
    for (int s = 0; s < 4; s++) {
        s_printf (b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
                  lx, H - 18, series[s].color, lx + 16, H - 8, series[s].name);
        lx += 110;
    }
    s_puts (b, "</svg>\n");
}

char *
sw_digest_html (const Sitewatch__V1__Digest *d, const sw_calendar_t *cal)
{
    s_buf_t b = {NULL, 0, 0};
    char first[11], last[11], closed[48], n1[40], n2[40], n3[40];
    const char *zone = *s_str (d->zone_name) ? d->zone_name : "sitewatch";
    s_puts (&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>项目进度快报 · ");
    s_html (&b, zone);
    s_printf (&b, " · period %lld</title>\n<style>%s</style>\n</head>\n<body>\n",
              (long long) d->period, s_css);
    s_puts (&b, "<h1>项目进度快报 <small>Progress express report</small></h1>\n<p class=\"meta\">");
    s_html (&b, zone);
    s_printf (&b, " · period %lld · %s to %s · closed %s (", (long long) d->period,
              s_date (d->first_day, first), s_date (d->last_day, last),
              s_instant (cal, d->closed_at, closed));
    s_html (&b, d->timezone);
    s_puts (&b, ")</p>\n");

    s_printf (&b, "<div class=\"cards\">"
                  "<div class=\"card c-red\"><b>%u</b>red</div>"
                  "<div class=\"card c-yellow\"><b>%u</b>yellow</div>"
                  "<div class=\"card c-green\"><b>%u</b>green</div>"
                  "<div class=\"card c-ns\"><b>%u</b>not started</div></div>\n",
              d->red, d->yellow, d->green, d->not_started);

    s_puts (&b, "<h2>Levels over recent periods</h2>\n");
    s_h_chart (&b, d);

    s_printf (&b, "<h2>Yellow and red projects (%zu)</h2>\n", d->n_flagged);
    if (!d->n_flagged)
        s_puts (&b, "<p>None.</p>\n");
    else {
        s_puts (&b, "<table>\n<tr><th>project</th><th>name</th><th>level</th><th>at the last "
                    "close</th><th>reasons</th><th>lag (pp)</th><th>planned</th><th>actual</th>"
                    "<th>commissioner</th></tr>\n");
        for (size_t i = 0; i < d->n_flagged; i++) {
            const Sitewatch__V1__DigestProject *p = d->flagged[i];
            s_puts (&b, "<tr><td>");
            s_html (&b, p->project_id);
            s_puts (&b, "</td><td>");
            s_html (&b, p->name);
            s_puts (&b, "</td><td>");
            s_h_level (&b, p->level);
            s_puts (&b, "</td><td>");
            s_h_level (&b, p->prev_level);
            s_puts (&b, "</td><td>");
            for (size_t r = 0; r < p->n_reasons; r++) {
                char text[512];
                s_reason_text (p->reasons[r], text, sizeof text);
                if (r)
                    s_puts (&b, "<br>");
                s_html (&b, text);
            }
            if (p->has_lag)
                s_printf (&b, "</td><td class=\"n\">%s</td><td class=\"n\">%s%%</td>"
                              "<td class=\"n\">%s%%</td><td>",
                          s_num (p->lag_pp, n1), s_num (p->planned_pct, n2),
                          s_num (p->actual_pct, n3));
            else
                s_printf (&b, "</td><td class=\"n\">-</td><td class=\"n\">%s%%</td>"
                              "<td class=\"n\">-</td><td>",
                          s_num (p->planned_pct, n2));
            s_html (&b, p->commissioner);
            s_puts (&b, "</td></tr>\n");
        }
        s_puts (&b, "</table>\n");
    }

    s_puts (&b, "<h2>Changes since the previous period</h2>\n<ul>\n");
    s_h_ids (&b, d, "New red", d->new_red, d->n_new_red);
    s_h_ids (&b, d, "New yellow", d->new_yellow, d->n_new_yellow);
    s_h_ids (&b, d, "Cleared", d->cleared, d->n_cleared);
    s_puts (&b, "</ul>\n<h2>No report in the period</h2>\n<ul>\n");
    s_h_ids (&b, d, "No report", d->no_report, d->n_no_report);
    s_puts (&b, "</ul>\n");

    s_printf (&b, "<h2>Reports by channel</h2>\n<table>\n<tr><th>commissioner</th>"
                  "<th>responsible unit</th><th>local contact</th><th>total</th></tr>\n"
                  "<tr><td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%u</td>"
                  "<td class=\"n\">%u</td></tr>\n</table>\n",
              d->reports_commissioner, d->reports_unit, d->reports_local,
              d->reports_commissioner + d->reports_unit + d->reports_local);

    s_printf (&b, "<h2>Commissioners</h2>\n<table>\n<tr><th>commissioner</th><th>name</th>"
                  "<th>projects</th><th>reports</th><th>site days (7 days)</th><th>target</th>"
                  "<th>met</th></tr>\n");
    for (size_t i = 0; i < d->n_commissioners; i++) {
        const Sitewatch__V1__DigestCommissioner *c = d->commissioners[i];
        s_puts (&b, "<tr><td>");
        s_html (&b, c->commissioner_id);
        s_puts (&b, "</td><td>");
        s_html (&b, c->name);
        s_puts (&b, "</td><td>");
        for (size_t p = 0; p < c->n_projects; p++) {
            if (p)
                s_puts (&b, ", ");
            s_html (&b, c->projects[p]);
        }
        s_printf (&b, "</td><td class=\"n\">%u</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                      "<td class=\"m %s\">%s</td></tr>\n",
                  c->reports, s_num (c->site_days, n1), s_num (c->target_days, n2),
                  c->meets_target ? "yes" : "no", c->meets_target ? "yes" : "no");
    }
    s_puts (&b, "</table>\n");

    s_puts (&b, "<h2>Open cases</h2>\n");
    if (!d->cases_available)
        s_puts (&b, "<p class=\"note\">Not available yet: the supervision ladder does not report "
                    "its open cases to the express report.</p>\n");
    else if (!d->n_open_cases)
        s_puts (&b, "<p>None.</p>\n");
    else {
        s_puts (&b, "<table>\n<tr><th>case</th><th>project</th><th>stage</th><th>due</th>"
                    "<th>overdue</th></tr>\n");
        for (size_t i = 0; i < d->n_open_cases; i++) {
            const Sitewatch__V1__DigestCase *c = d->open_cases[i];
            s_puts (&b, "<tr><td>");
            s_html (&b, c->case_id);
            s_puts (&b, "</td><td>");
            s_html (&b, c->project_id);
            s_puts (&b, "</td><td>");
            s_html (&b, c->stage);
            s_printf (&b, "</td><td>%s</td><td class=\"m\">%s</td></tr>\n",
                      c->due_at ? s_instant (cal, c->due_at, closed) : "-",
                      c->overdue ? "<span class=\"no\">overdue</span>" : "");
        }
        s_puts (&b, "</table>\n");
    }

    s_printf (&b, "<h2>Same-day leadership reports</h2>\n<p>Reds of this period reported to the "
                  "leader in charge: <span class=\"yes\">%u met</span>, <span class=\"no\">%u "
                  "missed</span>, %u pending.</p>\n",
              d->sla_met, d->sla_missed, d->sla_pending);

    s_printf (&b, "<h2>Channel coverage (%zu projects)</h2>\n<table>\n<tr><th>project</th>"
                  "<th>name</th><th>level</th><th>commissioner</th><th>unit</th><th>local</th>"
                  "<th>reports</th></tr>\n",
              d->n_projects);
    for (size_t i = 0; i < d->n_projects; i++) {
        const Sitewatch__V1__DigestProject *p = d->projects[i];
        s_puts (&b, "<tr><td>");
        s_html (&b, p->project_id);
        s_puts (&b, "</td><td>");
        s_html (&b, p->name);
        s_puts (&b, "</td><td>");
        s_h_level (&b, p->level);
        s_printf (&b, "</td><td class=\"m\">%s</td><td class=\"m\">%s</td><td class=\"m\">%s</td>"
                      "<td class=\"n\">%u</td></tr>\n",
                  s_mark (p->by_commissioner), s_mark (p->by_unit), s_mark (p->by_local),
                  p->reports);
    }
    s_puts (&b, "</table>\n</body>\n</html>\n");
    return s_take (&b);
}
