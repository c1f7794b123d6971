/* intake_validate: SPEC §3 checks on reports and check-ins, pure. */
#include "intake_validate.h"

#include <stdio.h>
#include <string.h>

bool
intake_valid_utf8 (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        if ((c & 0xe0) == 0xc0) { n = 1; min = 0x80; c &= 0x1f; }
        else if ((c & 0xf0) == 0xe0) { n = 2; min = 0x800; c &= 0x0f; }
        else if ((c & 0xf8) == 0xf0) { n = 3; min = 0x10000; c &= 0x07; }
        else
            return false;
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (p[i + k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

bool
intake_valid_id (const char *s)
{
    if (!s)
        return false;
    size_t n = strlen (s);
    if (n == 0 || n > INTAKE_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '.' || c == '_' || c == '-' || c == ':' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

static int
s_reject (intake_verdict_t *v, const char *code, const char *fmt, const char *arg)
{
    v->code = code;
    snprintf (v->message, sizeof v->message, fmt, arg ? arg : "");
    return -1;
}

static bool
s_text_ok (const char *s)
{
    if (!s)
        return true;
    size_t n = strlen (s);
    return n <= INTAKE_MAX_TEXT && intake_valid_utf8 (s, n);
}

static int
s_time_checks (int64_t at, const intake_context_t *ctx, intake_verdict_t *v, const char *what)
{
    if (at > ctx->now + ctx->max_skew_ms)
        return s_reject (v, "future_timestamp",
                         "%s is more than the allowed skew in the future of intake's clock", what);
    if (at < ctx->now - ctx->max_age_ms)
        return s_reject (v, "too_old", "%s is older than the allowed age (default 14 days)", what);
    return 0;
}

int
intake_validate_report (const Sitewatch__V1__Report *r, const intake_context_t *ctx,
                        intake_verdict_t *v)
{
    v->code = NULL;
    v->message[0] = 0;
    if (ctx->frame_size > INTAKE_MAX_REPORT_FRAME)
        return s_reject (v, "too_large", "a report frame may not exceed 64 KiB%s", NULL);
    if (!r)
        return s_reject (v, "malformed", "the request carries no report%s", NULL);
    if (!intake_valid_id (r->report_id))
        return s_reject (v, "malformed",
                         "report_id must be 1..128 characters of A-Z a-z 0-9 . _ - : /%s", NULL);
    if (!intake_valid_id (r->project_id))
        return s_reject (v, "malformed", "project_id must be a valid id%s", NULL);
    if (r->reporter_id && *r->reporter_id && !intake_valid_id (r->reporter_id))
        return s_reject (v, "malformed", "reporter_id must be a valid id%s", NULL);
    if (r->source < SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER
        || r->source > SITEWATCH__V1__SOURCE__SOURCE_LOCAL)
        return s_reject (v, "malformed", "source must be commissioner, unit or local%s", NULL);
    if (r->observed_at <= 0)
        return s_reject (v, "malformed", "observed_at is required%s", NULL);
    if (r->n_problems > INTAKE_MAX_PROBLEMS || r->n_resolves > INTAKE_MAX_RESOLVES)
        return s_reject (v, "malformed", "at most 64 problems and 64 resolved problems%s", NULL);
    for (size_t i = 0; i < r->n_problems; i++) {
        const Sitewatch__V1__Problem *p = r->problems[i];
        if (!p || !p->text || !*p->text || !s_text_ok (p->text))
            return s_reject (v, "malformed", "a problem needs text (valid UTF-8, at most 4096 bytes)%s", NULL);
        if (p->severity != SITEWATCH__V1__SEVERITY__SEVERITY_MINOR
            && p->severity != SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR)
            return s_reject (v, "malformed", "a problem's severity must be minor or major%s", NULL);
    }
    for (size_t i = 0; i < r->n_resolves; i++)
        if (!r->resolves[i] || strlen (r->resolves[i]) > 2 * INTAKE_MAX_ID + 8
            || !intake_valid_utf8 (r->resolves[i], strlen (r->resolves[i])) || !*r->resolves[i])
            return s_reject (v, "malformed", "resolves[] must hold problem ids%s", NULL);
    if (!s_text_ok (r->legitimate_reason))
        return s_reject (v, "malformed", "legitimate_reason must be valid UTF-8, at most 4096 bytes%s", NULL);
    if (!ctx->authorized)
        return s_reject (v, "unauthorized", "this key may not report for project %s", r->project_id);
    if (!ctx->project_known)
        return s_reject (v, "unknown_project", "no project %s in the registry", r->project_id);
    if (r->percent_bp < 0 || r->percent_bp > 10000)
        return s_reject (v, "bad_percent", "percent_complete must be within 0..100%s", NULL);
    return s_time_checks (r->observed_at, ctx, v, "observed_at");
}

int
intake_validate_checkin (const Sitewatch__V1__Checkin *c, const intake_context_t *ctx,
                         intake_verdict_t *v)
{
    v->code = NULL;
    v->message[0] = 0;
    if (ctx->frame_size > INTAKE_MAX_REPORT_FRAME)
        return s_reject (v, "too_large", "a check-in frame may not exceed 64 KiB%s", NULL);
    if (!c || !intake_valid_id (c->commissioner_id) || !intake_valid_id (c->project_id))
        return s_reject (v, "malformed", "a check-in needs a commissioner id and a project id%s", NULL);
    if (c->at <= 0)
        return s_reject (v, "malformed", "a check-in needs its instant%s", NULL);
    if (!ctx->authorized)
        return s_reject (v, "unauthorized", "this key may not check in for project %s", c->project_id);
    if (!ctx->project_known)
        return s_reject (v, "unknown_project", "no project %s in the registry", c->project_id);
    return s_time_checks (c->at, ctx, v, "the check-in instant");
}
