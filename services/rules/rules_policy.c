/* rules_policy: the warning rule of SPEC §4 (planned curve, Earned Schedule
 * forecast, raw and effective levels) and its configuration. Pure: the only
 * I/O is reading a config file in rules_policy_config_load.
 * Arithmetic is done in integers (basis points, days) so thresholds hold exactly. */
#include "rules_policy.h"
#include "sw_str.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FULL_BP 10000
#define S_PPM 1000000
#define S_MAX_CONFIG_FILE (1024 * 1024)

/* --------------------------------------------------------------- helpers */

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

/* Floor division for a positive divisor (C truncates towards zero). */
static int64_t
s_floor_div (int64_t num, int64_t den)
{
    int64_t q = num / den;
    if ((num % den) != 0 && num < 0)
        q--;
    return q;
}

/* pp -> whole basis points, as thresholds are compared. */
static int32_t
s_pp_to_bp (double pp)
{
    return (int32_t) llround (pp * 100.0);
}

static int32_t
s_clamp32 (int64_t v)
{
    return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t) v;
}

/* ----------------------------------------------------------- configuration */

typedef enum { S_DOUBLE, S_INT } s_kind_t;

typedef struct {
    const char *name;
    s_kind_t kind;
    size_t offset;
} s_field_t;

enum { S_YELLOW, S_RED, S_GRACE_DAYS, S_GRACE_SHARE, S_MIN_DAYS, S_REASON_DAYS, S_NFIELDS };

static const s_field_t s_fields[S_NFIELDS] = {
    [S_YELLOW] = {"yellow_lag_pp", S_DOUBLE, offsetof (rules_policy_config_t, yellow_lag_pp)},
    [S_RED] = {"red_lag_pp", S_DOUBLE, offsetof (rules_policy_config_t, red_lag_pp)},
    [S_GRACE_DAYS] = {"forecast_grace_days", S_INT, offsetof (rules_policy_config_t, forecast_grace_days)},
    [S_GRACE_SHARE] = {"forecast_grace_share", S_DOUBLE,
                       offsetof (rules_policy_config_t, forecast_grace_share)},
    [S_MIN_DAYS] = {"forecast_min_days", S_INT, offsetof (rules_policy_config_t, forecast_min_days)},
    [S_REASON_DAYS] = {"reason_valid_days", S_INT, offsetof (rules_policy_config_t, reason_valid_days)},
};

void
rules_policy_config_defaults (rules_policy_config_t *cfg)
{
    cfg->yellow_lag_pp = 5.0;
    cfg->red_lag_pp = 15.0;
    cfg->forecast_grace_days = 15;
    cfg->forecast_grace_share = 0.10;
    cfg->forecast_min_days = 30;
    cfg->reason_valid_days = 15;
}

/* The range rule of one field on its own. Returns NULL when it holds, else
 * what is wrong (written into buf). */
static const char *
s_field_check (const rules_policy_config_t *cfg, int field, char *buf, size_t buflen)
{
    switch (field) {
    case S_YELLOW:
    case S_RED: {
        double v = field == S_YELLOW ? cfg->yellow_lag_pp : cfg->red_lag_pp;
        if (!isfinite (v) || v <= 0 || v > 100) {
            snprintf (buf, buflen, "must be > 0 and <= 100, got %g", v);
            return buf;
        }
        if (s_pp_to_bp (v) < 1) {
            snprintf (buf, buflen, "must be at least 0.01 (compared in basis points), got %g", v);
            return buf;
        }
        return NULL;
    }
    case S_GRACE_SHARE:
        if (!isfinite (cfg->forecast_grace_share) || cfg->forecast_grace_share < 0
            || cfg->forecast_grace_share > 1) {
            snprintf (buf, buflen, "must be between 0 and 1, got %g", cfg->forecast_grace_share);
            return buf;
        }
        return NULL;
    case S_GRACE_DAYS:
        if (cfg->forecast_grace_days < 0) {
            snprintf (buf, buflen, "must be >= 0, got %d", cfg->forecast_grace_days);
            return buf;
        }
        return NULL;
    case S_MIN_DAYS:
        if (cfg->forecast_min_days < 0) {
            snprintf (buf, buflen, "must be >= 0, got %d", cfg->forecast_min_days);
            return buf;
        }
        return NULL;
    case S_REASON_DAYS:
        if (cfg->reason_valid_days < 1) {
            snprintf (buf, buflen, "must be >= 1, got %d", cfg->reason_valid_days);
            return buf;
        }
        return NULL;
    default:
        return NULL;
    }
}

/* The yellow <= red pairing, compared as the policy compares them. */
static bool
s_pair_ok (const rules_policy_config_t *cfg)
{
    return s_pp_to_bp (cfg->yellow_lag_pp) <= s_pp_to_bp (cfg->red_lag_pp);
}

/* Full check; lines[f] is the text line that set field f (0: not from text).
 * Returns 0, or -1 with "line N: key: ..." (or "key: ..." for line 0). */
static int
s_validate (const rules_policy_config_t *cfg, const int lines[S_NFIELDS], char *err, size_t errlen)
{
    char what[128];
    for (int f = 0; f < S_NFIELDS; f++) {
        const char *msg = s_field_check (cfg, f, what, sizeof what);
        if (msg) {
            if (lines[f] > 0)
                s_err (err, errlen, "line %d: %s: %s", lines[f], s_fields[f].name, msg);
            else
                s_err (err, errlen, "%s: %s", s_fields[f].name, msg);
            return -1;
        }
    }
    if (!s_pair_ok (cfg)) {
        /* Blame the later of the two settings: that is where the conflict arose. */
        bool blame_red = lines[S_RED] > lines[S_YELLOW];
        int line = blame_red ? lines[S_RED] : lines[S_YELLOW];
        if (blame_red)
            snprintf (what, sizeof what, "must be >= yellow_lag_pp (%g), got %g", cfg->yellow_lag_pp,
                      cfg->red_lag_pp);
        else
            snprintf (what, sizeof what, "must be <= red_lag_pp (%g), got %g", cfg->red_lag_pp,
                      cfg->yellow_lag_pp);
        const char *key = s_fields[blame_red ? S_RED : S_YELLOW].name;
        if (line > 0)
            s_err (err, errlen, "line %d: %s: %s", line, key, what);
        else
            s_err (err, errlen, "%s: %s", key, what);
        return -1;
    }
    return 0;
}

int
rules_policy_config_validate (const rules_policy_config_t *cfg, char *err, size_t errlen)
{
    const int lines[S_NFIELDS] = {0};
    return s_validate (cfg, lines, err, errlen);
}

static int
s_field_find (const char *key, size_t keylen)
{
    for (int f = 0; f < S_NFIELDS; f++)
        if (strlen (s_fields[f].name) == keylen && memcmp (s_fields[f].name, key, keylen) == 0)
            return f;
    return -1;
}

/* Parses value (NUL-terminated, trimmed) into field f of cfg and checks the
 * field's range. Returns NULL, or what is wrong (in buf). */
static const char *
s_field_set (rules_policy_config_t *cfg, int f, const char *value, char *buf, size_t buflen)
{
    if (*value == '\0') {
        snprintf (buf, buflen, "missing value");
        return buf;
    }
    rules_policy_config_t next = *cfg;
    char *end = NULL;
    errno = 0;
    if (s_fields[f].kind == S_DOUBLE) {
        double v = strtod (value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite (v)) {
            snprintf (buf, buflen, "not a number: \"%.40s\"", value);
            return buf;
        }
        memcpy ((char *) &next + s_fields[f].offset, &v, sizeof v);
    }
    else {
        long v = strtol (value, &end, 10);
        if (end == value || *end != '\0') {
            snprintf (buf, buflen, "not a whole number: \"%.40s\"", value);
            return buf;
        }
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX) {
            snprintf (buf, buflen, "out of range: \"%.40s\"", value);
            return buf;
        }
        int iv = (int) v;
        memcpy ((char *) &next + s_fields[f].offset, &iv, sizeof iv);
    }
    const char *msg = s_field_check (&next, f, buf, buflen);
    if (msg)
        return msg;
    *cfg = next;
    return NULL;
}

int
rules_policy_config_set (rules_policy_config_t *cfg, const char *key, const char *value,
                         char *err, size_t errlen)
{
    int f = s_field_find (key, strlen (key));
    if (f < 0) {
        s_err (err, errlen, "%.64s: unknown key", key);
        return -1;
    }
    /* Trim the value as the file parser does. */
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strlen (value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r'
                       || value[len - 1] == '\n'))
        len--;
    char copy[128];
    if (len >= sizeof copy) {
        s_err (err, errlen, "%s: value too long", key);
        return -1;
    }
    memcpy (copy, value, len);
    copy[len] = '\0';
    char what[128];
    const char *msg = s_field_set (cfg, f, copy, what, sizeof what);
    if (msg) {
        s_err (err, errlen, "%s: %s", s_fields[f].name, msg);
        return -1;
    }
    return 0;
}

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int
rules_policy_config_parse (rules_policy_config_t *cfg, const char *text, char *err, size_t errlen)
{
    rules_policy_config_t next = *cfg;
    int lines[S_NFIELDS] = {0};
    int lineno = 0;
    const char *p = text;
    char what[128];

    while (*p) {
        lineno++;
        const char *eol = strchr (p, '\n');
        const char *stop = eol ? eol : p + strlen (p);
        /* The line without its comment and surrounding blanks. */
        const char *hash = memchr (p, '#', (size_t) (stop - p));
        const char *b = p, *e = hash ? hash : stop;
        while (b < e && s_blank (*b))
            b++;
        while (e > b && s_blank (e[-1]))
            e--;
        p = eol ? eol + 1 : stop;
        if (b == e)
            continue;

        const char *eq = memchr (b, '=', (size_t) (e - b));
        if (!eq) {
            s_err (err, errlen, "line %d: %.*s: expected \"key = value\"", lineno,
                   (int) (e - b > 64 ? 64 : e - b), b);
            return -1;
        }
        const char *ke = eq;
        while (ke > b && s_blank (ke[-1]))
            ke--;
        if (ke == b) {
            s_err (err, errlen, "line %d: missing key before '='", lineno);
            return -1;
        }
        int f = s_field_find (b, (size_t) (ke - b));
        if (f < 0) {
            s_err (err, errlen, "line %d: %.*s: unknown key", lineno,
                   (int) (ke - b > 64 ? 64 : ke - b), b);
            return -1;
        }
        if (lines[f] > 0) {
            s_err (err, errlen, "line %d: %s: set twice (first on line %d)", lineno,
                   s_fields[f].name, lines[f]);
            return -1;
        }
        const char *vb = eq + 1;
        while (vb < e && s_blank (*vb))
            vb++;
        char value[128];
        if ((size_t) (e - vb) >= sizeof value) {
            s_err (err, errlen, "line %d: %s: value too long", lineno, s_fields[f].name);
            return -1;
        }
        memcpy (value, vb, (size_t) (e - vb));
        value[e - vb] = '\0';
        const char *msg = s_field_set (&next, f, value, what, sizeof what);
        if (msg) {
            s_err (err, errlen, "line %d: %s: %s", lineno, s_fields[f].name, msg);
            return -1;
        }
        lines[f] = lineno;
    }
    if (s_validate (&next, lines, err, errlen) != 0)
        return -1;
    *cfg = next;
    return 0;
}

int
rules_policy_config_load (rules_policy_config_t *cfg, const char *path, char *err, size_t errlen)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        s_err (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *text = malloc (S_MAX_CONFIG_FILE + 1);
    if (!text) {
        fclose (file);
        s_err (err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread (text, 1, S_MAX_CONFIG_FILE + 1, file);
    int failed = ferror (file);
    int saved = errno;
    fclose (file);
    int rc = -1;
    if (failed)
        s_err (err, errlen, "%s: %s", path, strerror (saved));
    else if (len > S_MAX_CONFIG_FILE)
        s_err (err, errlen, "%s: larger than %d bytes", path, S_MAX_CONFIG_FILE);
    else if (memchr (text, '\0', len))
        s_err (err, errlen, "%s: not a text file (contains NUL)", path);
    else {
        text[len] = '\0';
        char inner[256];
        rc = rules_policy_config_parse (cfg, text, inner, sizeof inner);
        if (rc != 0)
            s_err (err, errlen, "%s: %s", path, inner);
    }
    free (text);
    return rc;
}

/* -------------------------------------------------------- planned progress */

/* Point i of the curve: 0 is (start, 0), 1..n the milestones, n+1 (end, 10000). */
static void
s_point (int32_t start_day, int32_t end_day, const rules_milestone_t *ms, size_t n_ms, size_t i,
         int64_t *day, int64_t *bp)
{
    if (i == 0) {
        *day = start_day;
        *bp = 0;
    }
    else if (i <= n_ms) {
        *day = ms[i - 1].day;
        *bp = ms[i - 1].percent_bp;
    }
    else {
        *day = end_day;
        *bp = S_FULL_BP;
    }
}

int32_t
rules_policy_planned_bp (int32_t start_day, int32_t end_day, const rules_milestone_t *ms,
                         size_t n_ms, int32_t day)
{
    if (day < start_day)
        return 0;
    if (day >= end_day)
        return S_FULL_BP;
    int64_t d0, p0, d1, p1;
    s_point (start_day, end_day, ms, n_ms, 0, &d0, &p0);
    for (size_t i = 1; i <= n_ms + 1; i++) {
        s_point (start_day, end_day, ms, n_ms, i, &d1, &p1);
        if (day < d1 && d1 > d0) {
            /* p0 + (p1 - p0) * x / L, rounded half up: floor((2*(p1-p0)*x + L) / 2L). */
            int64_t len = d1 - d0, x = day - d0;
            return s_clamp32 (p0 + s_floor_div (2 * (p1 - p0) * x + len, 2 * len));
        }
        d0 = d1;
        p0 = p1;
    }
    return S_FULL_BP; /* only reached with milestones beyond end (not validated input) */
}

int32_t
rules_policy_earned_days (int32_t start_day, int32_t end_day, const rules_milestone_t *ms,
                          size_t n_ms, int32_t actual_bp)
{
    if (actual_bp <= 0)
        return 0;
    if (actual_bp > S_FULL_BP)
        return -1;
    int64_t a = actual_bp;
    int64_t d0, p0, d1, p1;
    s_point (start_day, end_day, ms, n_ms, 0, &d0, &p0);
    for (size_t i = 1; i <= n_ms + 1; i++) {
        s_point (start_day, end_day, ms, n_ms, i, &d1, &p1);
        if (d1 > d0 && p1 >= a) {
            if (p0 >= a)
                return s_clamp32 (d0 - start_day);
            /* Smallest x with floor((2*p0*L + 2*(p1-p0)*x + L) / 2L) >= a, i.e.
             * x >= L * (2*(a - p0) - 1) / (2*(p1 - p0)); p1 > p0 here. */
            int64_t len = d1 - d0;
            int64_t num = len * (2 * (a - p0) - 1), den = 2 * (p1 - p0);
            int64_t x = (num + den - 1) / den;
            return s_clamp32 (d0 + x - start_day);
        }
        if (d1 > d0) {
            d0 = d1;
            p0 = p1;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------- judgement */

bool
rules_policy_reason_active (const rules_policy_config_t *cfg, const rules_policy_input_t *in,
                            int32_t day)
{
    if (in->reason_state != RULES_REASON_APPROVED)
        return false;
    int64_t from = in->reason_approved_day;
    return day >= from && (int64_t) day < from + cfg->reason_valid_days;
}

/* Appends a reason with the verdict's figures; returns it, or NULL when full. */
static rules_reason_t *
s_reason_add (rules_verdict_t *v, const char *code, double threshold)
{
    if (v->n_reasons >= RULES_MAX_REASONS)
        return NULL;
    rules_reason_t *r = &v->reasons[v->n_reasons++];
    memset (r, 0, sizeof *r);
    sw_strlcpy (r->code, code, sizeof r->code);
    if (v->has_lag) {
        r->lag_pp = v->lag_pp;
        r->planned_pct = v->planned_pct;
        r->actual_pct = v->actual_pct;
    }
    r->has_forecast = v->has_forecast;
    r->forecast_finish_day = v->has_forecast ? v->forecast_finish_day : 0;
    r->period = v->period;
    r->threshold = threshold;
    return r;
}

static rules_level_t
s_max_level (rules_level_t a, rules_level_t b)
{
    return a > b ? a : b;
}

void
rules_policy_evaluate (const rules_policy_config_t *cfg, const rules_policy_input_t *in,
                       int32_t day, rules_verdict_t *out)
{
    memset (out, 0, sizeof *out);
    out->period = in->period;
    if (in->planned_state && day < in->start_day) {
        out->raw = RULES_LEVEL_NOT_STARTED;
        return;
    }
    out->raw = RULES_LEVEL_GREEN;

    /* Figures first, so that every reason can carry them. */
    bool forecast_late = false;
    bool forecast_never = false;
    int64_t pd = (int64_t) in->end_day - in->start_day;
    int64_t at = (int64_t) day - in->start_day;
    int64_t allowed = 0; /* whole days of slip allowed past end */
    double allowed_days = 0;
    if (in->has_actual) {
        int32_t actual = in->actual_bp < 0 ? 0 : in->actual_bp > S_FULL_BP ? S_FULL_BP : in->actual_bp;
        int32_t planned = rules_policy_planned_bp (in->start_day, in->end_day, in->milestones,
                                                   in->n_milestones, day);
        out->has_lag = true;
        out->planned_bp = planned;
        out->actual_bp = actual;
        out->lag_bp = planned - actual;
        out->planned_pct = planned / 100.0;
        out->actual_pct = actual / 100.0;
        out->lag_pp = out->lag_bp / 100.0;

        /* Earned Schedule forecast; a finished project is not forecast. */
        if (at >= cfg->forecast_min_days && actual < S_FULL_BP && pd > 0) {
            /* Slip allowed = max(grace_days, share * PD); finish - end is whole
             * days, so "> share*PD" is "> floor(share*PD)", done in ppm. */
            int64_t share_ppm = llround (cfg->forecast_grace_share * S_PPM);
            int64_t share_days = pd * share_ppm / S_PPM;
            allowed = share_days > cfg->forecast_grace_days ? share_days : cfg->forecast_grace_days;
            double share_exact = (double) pd * (double) share_ppm / S_PPM;
            allowed_days = share_exact > cfg->forecast_grace_days ? share_exact
                                                                  : (double) cfg->forecast_grace_days;
            int32_t es = rules_policy_earned_days (in->start_day, in->end_day, in->milestones,
                                                   in->n_milestones, actual);
            if (es <= 0) {
                forecast_late = true;
                forecast_never = true;
            }
            else {
                int64_t finish = in->start_day + (pd * at + es - 1) / es;
                out->has_forecast = true;
                out->forecast_finish_day = s_clamp32 (finish);
                forecast_late = finish - in->end_day > allowed;
            }
        }
    }

    if (in->major_open) {
        rules_reason_t *r = s_reason_add (out, "major_problem", 0);
        if (r) {
            sw_strlcpy (r->problem_id, in->major_problem_id, sizeof r->problem_id);
            sw_strlcpy (r->detail, "open major problem", sizeof r->detail);
        }
        out->raw = RULES_LEVEL_RED;
    }
    if (out->has_lag) {
        int32_t red_bp = s_pp_to_bp (cfg->red_lag_pp);
        int32_t yellow_bp = s_pp_to_bp (cfg->yellow_lag_pp);
        if (out->lag_bp >= red_bp) {
            bool softened = rules_policy_reason_active (cfg, in, day);
            rules_reason_t *r = s_reason_add (out, "serious_lag", cfg->red_lag_pp);
            if (r && softened) {
                r->softened = true;
                snprintf (r->detail, sizeof r->detail,
                          "softened to yellow: legitimate reason approved, active");
            }
            out->raw = s_max_level (out->raw, softened ? RULES_LEVEL_YELLOW : RULES_LEVEL_RED);
        }
        else if (out->lag_bp >= yellow_bp) {
            s_reason_add (out, "lag", cfg->yellow_lag_pp);
            out->raw = s_max_level (out->raw, RULES_LEVEL_YELLOW);
        }
    }
    if (forecast_late) {
        rules_reason_t *r = s_reason_add (out, "forecast_late", allowed_days);
        if (r)
            sw_strlcpy (r->detail,
                        forecast_never ? "no progress: forecast finish never"
                                       : "forecast finish after end + grace",
                        sizeof r->detail);
        out->raw = s_max_level (out->raw, RULES_LEVEL_YELLOW);
    }
    if (in->at_period_close && !in->reported_in_period) {
        rules_reason_t *r = s_reason_add (out, "no_report", 0);
        if (r)
            sw_strlcpy (r->detail, "no progress report during the period", sizeof r->detail);
        out->raw = s_max_level (out->raw, RULES_LEVEL_YELLOW);
    }
}

rules_level_t
rules_policy_effective (rules_level_t prev_close, rules_level_t raw, bool *consecutive_yellow)
{
    bool consecutive = false;
    rules_level_t level = raw;
    if (raw == RULES_LEVEL_YELLOW
        && (prev_close == RULES_LEVEL_YELLOW || prev_close == RULES_LEVEL_RED)) {
        level = RULES_LEVEL_RED;
        consecutive = true;
    }
    if (consecutive_yellow)
        *consecutive_yellow = consecutive;
    return level;
}

int
rules_policy_add_consecutive_yellow (rules_verdict_t *v, rules_level_t prev_close)
{
    rules_reason_t *r = s_reason_add (v, "consecutive_yellow", 0);
    if (!r)
        return -1;
    snprintf (r->detail, sizeof r->detail, "yellow again after %s at the previous close",
              rules_level_name (prev_close));
    return 0;
}

const char *
rules_level_name (rules_level_t level)
{
    switch (level) {
    case RULES_LEVEL_NONE:
        return "none";
    case RULES_LEVEL_GREEN:
        return "green";
    case RULES_LEVEL_YELLOW:
        return "yellow";
    case RULES_LEVEL_RED:
        return "red";
    case RULES_LEVEL_NOT_STARTED:
        return "not_started";
    }
    return "unknown";
}
