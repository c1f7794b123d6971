/*  sw_calendar: local days, periods and working days of one IANA zone.
    The zone is read once from its TZif file into a transition table plus the
    footer's POSIX rule; every query after that is a pure function. */

#include "sw_calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ZONEINFO_DIR "/usr/share/zoneinfo/"
#define S_TZ_NAME_MAX 255
#define S_TZIF_MAX (1024 * 1024)   /* real TZif files are a few KiB */
#define S_SECS_PER_DAY 86400
#define S_MS_PER_DAY INT64_C (86400000)

/* A date of a POSIX TZ rule: "Jn" (1..365, Feb 29 never counted), "n"
   (0..365, zero-based) or "Mm.w.d" (week w 1..5 of month m, weekday d with
   0 = Sunday), plus the local time of day of the change. */
typedef struct {
    char kind;          /* 'J', 'N' or 'M' */
    int a, b, c;        /* J/N: a = n; M: a = month, b = week, c = weekday */
    int32_t time_s;     /* seconds after local midnight, may be < 0 or > 1 day */
} s_rule_date_t;

typedef struct {
    int32_t std_off;    /* seconds east of UTC */
    int32_t dst_off;
    bool has_dst;
    s_rule_date_t start, end;
} s_rule_t;

struct sw_calendar_t {
    char *tz;
    size_t n_trans;
    int64_t *trans;         /* UTC seconds, strictly increasing */
    int32_t *trans_off;     /* offset in force from trans[i] on */
    int32_t first_off;      /* before trans[0]: time type 0 */
    bool has_rule;          /* footer rule applies after the last transition */
    s_rule_t rule;
    int32_t anchor;
    int32_t period_days;
    int32_t *holidays;      /* sorted */
    size_t n_holidays;
    int32_t *workdays;      /* sorted */
    size_t n_workdays;
};

/* ------------------------------------------------------------ arithmetic */

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int32_t
s_clamp32 (int64_t v)
{
    if (v > INT32_MAX)
        return INT32_MAX;
    if (v < INT32_MIN)
        return INT32_MIN;
    return (int32_t) v;
}

static bool
s_is_leap (int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
s_days_in_month (int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && s_is_leap (y))
        return 29;
    return days[m - 1];
}

/* Howard Hinnant's days_from_civil / civil_from_days, in 64-bit. */
int32_t
sw_days_from_civil (int y, int m, int d)
{
    int64_t yy = (int64_t) y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t mp = (m > 2) ? m - 3 : m + 9;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t) (era * 146097 + doe - 719468);
}

void
sw_civil_from_days (int32_t day, int *y, int *m, int *d)
{
    int64_t z = (int64_t) day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int) (yy + (mm <= 2));
    *m = (int) mm;
    *d = (int) dd;
}

int
sw_weekday (int32_t day)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    return (int) (((int64_t) day + 3) - 7 * s_floor_div ((int64_t) day + 3, 7));
}

/* Reads exactly n digits; -1 when any is not a digit. */
static int
s_digits (const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parses "YYYY-MM-DD" at the start of s; what follows is the caller's. */
static int
s_date_prefix (const char *s, int32_t *day)
{
    int y, m, d;
    if (s_digits (s, 4, &y) || s[4] != '-' || s_digits (s + 5, 2, &m) || s[7] != '-'
        || s_digits (s + 8, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > s_days_in_month (y, m))
        return -1;
    *day = sw_days_from_civil (y, m, d);
    return 0;
}

int
sw_date_parse (const char *s, int32_t *day)
{
    int32_t v;
    if (!s || s_date_prefix (s, &v) || s[10] != '\0')
        return -1;
    *day = v;
    return 0;
}

void
sw_date_format (int32_t day, char buf[11])
{
    int y, m, d;
    sw_civil_from_days (day, &y, &m, &d);
    if (y < 0) {
        y = 0;
        m = 1;
        d = 1;
    }
    else if (y > 9999) {
        y = 9999;
        m = 12;
        d = 31;
    }
    snprintf (buf, 11, "%04u-%02u-%02u", (unsigned) y % 10000u, (unsigned) m % 100u,
              (unsigned) d % 100u);
}

/* ------------------------------------------------------------ POSIX rule */

static bool
s_isdigit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_isalpha (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Skips a zone abbreviation: 3+ letters, or <...> with letters, digits, +, -. */
static const char *
s_rule_name (const char *p)
{
    const char *q;
    if (*p == '<') {
        q = ++p;
        while (s_isalpha (*p) || s_isdigit (*p) || *p == '+' || *p == '-')
            p++;
        if (*p != '>' || p - q < 3)
            return NULL;
        return p + 1;
    }
    q = p;
    while (s_isalpha (*p))
        p++;
    return p - q < 3 ? NULL : p;
}

/* Reads a small unsigned number of at most max_digits digits. */
static const char *
s_rule_number (const char *p, int max_digits, int *out)
{
    int v = 0, n = 0;
    while (s_isdigit (*p) && n < max_digits) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || s_isdigit (*p))
        return NULL;
    *out = v;
    return p;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h. */
static const char *
s_rule_hms (const char *p, int max_h, int32_t *secs)
{
    int sign = 1, h, mi = 0, s = 0;
    if (*p == '+')
        p++;
    else if (*p == '-') {
        sign = -1;
        p++;
    }
    if (!(p = s_rule_number (p, 3, &h)) || h > max_h)
        return NULL;
    if (*p == ':') {
        if (!(p = s_rule_number (p + 1, 2, &mi)) || mi > 59)
            return NULL;
        if (*p == ':' && (!(p = s_rule_number (p + 1, 2, &s)) || s > 59))
            return NULL;
    }
    *secs = sign * (h * 3600 + mi * 60 + s);
    return p;
}

static const char *
s_rule_date (const char *p, s_rule_date_t *r)
{
    r->b = r->c = 0;
    if (*p == 'J') {
        r->kind = 'J';
        if (!(p = s_rule_number (p + 1, 3, &r->a)) || r->a < 1 || r->a > 365)
            return NULL;
    }
    else if (*p == 'M') {
        r->kind = 'M';
        if (!(p = s_rule_number (p + 1, 2, &r->a)) || r->a < 1 || r->a > 12 || *p != '.')
            return NULL;
        if (!(p = s_rule_number (p + 1, 1, &r->b)) || r->b < 1 || r->b > 5 || *p != '.')
            return NULL;
        if (!(p = s_rule_number (p + 1, 1, &r->c)) || r->c > 6)
            return NULL;
    }
    else {
        r->kind = 'N';
        if (!(p = s_rule_number (p, 3, &r->a)) || r->a > 365)
            return NULL;
    }
    r->time_s = 2 * 3600;
    if (*p == '/')
        p = s_rule_hms (p + 1, 167, &r->time_s);
    return p;
}

/* Parses a TZif footer rule such as "CST-8" or "CET-1CEST,M3.5.0,M10.5.0/3".
   A DST part without explicit dates is refused (the caller falls back). */
static int
s_rule_parse (const char *s, s_rule_t *r)
{
    int32_t off;
    const char *p = s_rule_name (s);
    if (!p || !(p = s_rule_hms (p, 24, &off)))
        return -1;
    r->std_off = -off;          /* POSIX counts hours west */
    r->has_dst = false;
    if (*p == '\0')
        return 0;
    if (!(p = s_rule_name (p)))
        return -1;
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if (!(p = s_rule_hms (p, 24, &off)))
            return -1;
        r->dst_off = -off;
    }
    if (*p != ',' || !(p = s_rule_date (p + 1, &r->start)) || *p != ',')
        return -1;
    if (!(p = s_rule_date (p + 1, &r->end)) || *p != '\0')
        return -1;
    r->has_dst = true;
    return 0;
}

/* Local day number on which the rule date falls in year y. */
static int64_t
s_rule_day (const s_rule_date_t *r, int y)
{
    int64_t jan1 = sw_days_from_civil (y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->a - 1 + (s_is_leap (y) && r->a >= 60);
    if (r->kind == 'N')
        return jan1 + r->a;
    int64_t first = sw_days_from_civil (y, r->a, 1);
    int wd = (sw_weekday ((int32_t) first) + 1) % 7;         /* 0 = Sunday */
    int64_t day = first + (r->c - wd + 7) % 7 + 7 * (r->b - 1);
    while (day >= first + s_days_in_month (y, r->a))
        day -= 7;
    return day;
}

static int32_t
s_rule_offset (const s_rule_t *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int y, m, d;
    sw_civil_from_days (s_clamp32 (s_floor_div (t + r->std_off, S_SECS_PER_DAY)), &y, &m, &d);
    int64_t start = s_rule_day (&r->start, y) * S_SECS_PER_DAY + r->start.time_s - r->std_off;
    int64_t end = s_rule_day (&r->end, y) * S_SECS_PER_DAY + r->end.time_s - r->dst_off;
    if (start < end)
        return (t >= start && t < end) ? r->dst_off : r->std_off;
    /* southern hemisphere: DST spans the new year */
    return (t >= end && t < start) ? r->std_off : r->dst_off;
}

/* ------------------------------------------------------------ TZif */

static uint32_t
s_be32 (const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static int64_t
s_sbe32 (const unsigned char *p)
{
    uint32_t u = s_be32 (p);
    return u >= UINT32_C (0x80000000) ? (int64_t) u - INT64_C (0x100000000) : (int64_t) u;
}

static int64_t
s_sbe64 (const unsigned char *p)
{
    uint64_t u = (uint64_t) s_be32 (p) << 32 | s_be32 (p + 4);
    return u > (uint64_t) INT64_MAX ? -(int64_t) (~u) - 1 : (int64_t) u;
}

/* Size of the data block that follows the header at hdr, or 0 when the
   counts are unreasonable. */
static size_t
s_tzif_block_size (const unsigned char *hdr, size_t time_size)
{
    uint32_t isut = s_be32 (hdr + 20), isstd = s_be32 (hdr + 24), leap = s_be32 (hdr + 28);
    uint32_t timecnt = s_be32 (hdr + 32), typecnt = s_be32 (hdr + 36), charcnt = s_be32 (hdr + 40);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 100000 || charcnt > 100000
        || isut > typecnt || isstd > typecnt)
        return 0;
    return (size_t) timecnt * (time_size + 1) + (size_t) typecnt * 6 + charcnt
           + (size_t) leap * (time_size + 4) + isstd + isut;
}

static int
s_tzif_load (sw_calendar_t *self, const unsigned char *data, size_t len)
{
    size_t time_size = 4, pos = 0, block;
    if (len < 44 || memcmp (data, "TZif", 4) != 0)
        return -1;
    bool v2 = data[4] >= '2';
    if (v2) {
        /* skip the 32-bit section, use the 64-bit one */
        if (!(block = s_tzif_block_size (data, 4)) || len - 44 < block)
            return -1;
        pos = 44 + block;
        if (len - pos < 44 || memcmp (data + pos, "TZif", 4) != 0)
            return -1;
        time_size = 8;
    }
    const unsigned char *hdr = data + pos;
    if (!(block = s_tzif_block_size (hdr, time_size)) || len - pos - 44 < block)
        return -1;
    size_t timecnt = s_be32 (hdr + 32), typecnt = s_be32 (hdr + 36);
    const unsigned char *times = hdr + 44;
    const unsigned char *idx = times + timecnt * time_size;
    const unsigned char *types = idx + timecnt;

    int32_t utoff[256];
    for (size_t i = 0; i < typecnt; i++) {
        int64_t off = s_sbe32 (types + 6 * i);
        if (off < -89999 || off > 93599)    /* RFC 8536 bounds */
            return -1;
        utoff[i] = (int32_t) off;
    }
    self->first_off = utoff[0];
    if (timecnt > 0) {
        self->trans = malloc (timecnt * sizeof (int64_t));
        self->trans_off = malloc (timecnt * sizeof (int32_t));
        if (!self->trans || !self->trans_off)
            return -1;
    }
    for (size_t i = 0; i < timecnt; i++) {
        int64_t t = time_size == 8 ? s_sbe64 (times + 8 * i) : s_sbe32 (times + 4 * i);
        if ((i > 0 && t <= self->trans[i - 1]) || idx[i] >= typecnt)
            return -1;
        self->trans[i] = t;
        self->trans_off[i] = utoff[idx[i]];
    }
    self->n_trans = timecnt;

    /* footer: "\n<POSIX TZ>\n"; a rule we cannot read leaves the last
       transition's offset in force */
    if (v2) {
        size_t foot = pos + 44 + block;
        if (foot < len && data[foot] == '\n') {
            const unsigned char *end = memchr (data + foot + 1, '\n', len - foot - 1);
            size_t n = end ? (size_t) (end - (data + foot + 1)) : 0;
            if (end && n > 0 && n < 128) {
                char rule[128];
                memcpy (rule, data + foot + 1, n);
                rule[n] = '\0';
                if (s_rule_parse (rule, &self->rule) == 0)
                    self->has_rule = true;
            }
        }
    }
    return 0;
}

static bool
s_tz_name_valid (const char *tz)
{
    size_t n = strlen (tz);
    if (n == 0 || n > S_TZ_NAME_MAX || tz[0] == '/' || strstr (tz, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = tz[i];
        if (!(s_isalpha (c) || s_isdigit (c) || c == '/' || c == '_' || c == '+' || c == '-'
              || c == '.'))
            return false;
    }
    return true;
}

/* Reads a whole (small) file; NULL on any error or when over the cap. */
static unsigned char *
s_file_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    unsigned char *buf = malloc (cap);
    while (buf) {
        size_t got = fread (buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror (f)) {
                free (buf);
                buf = NULL;
            }
            break;
        }
        if (cap >= S_TZIF_MAX) {
            free (buf);
            buf = NULL;
            break;
        }
        cap *= 2;
        unsigned char *grown = realloc (buf, cap);
        if (!grown)
            free (buf);
        buf = grown;
    }
    fclose (f);
    *len = n;
    return buf;
}

static int
s_int32_cmp (const void *a, const void *b)
{
    int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
    return (x > y) - (x < y);
}

static int32_t *
s_days_copy (const int32_t *days, size_t n)
{
    int32_t *copy = malloc ((n ? n : 1) * sizeof (int32_t));
    if (copy && n) {
        memcpy (copy, days, n * sizeof (int32_t));
        qsort (copy, n, sizeof (int32_t), s_int32_cmp);
    }
    return copy;
}

/* ------------------------------------------------------------ class */

sw_calendar_t *
sw_calendar_new (const char *tz, int32_t period_anchor_day, int32_t period_days,
                 const int32_t *holidays, size_t n_holidays,
                 const int32_t *workdays, size_t n_workdays)
{
    if (!tz || !s_tz_name_valid (tz) || period_days < 1 || (n_holidays && !holidays)
        || (n_workdays && !workdays))
        return NULL;
    sw_calendar_t *self = calloc (1, sizeof (sw_calendar_t));
    if (!self)
        return NULL;
    self->anchor = period_anchor_day;
    self->period_days = period_days;
    self->tz = strdup (tz);
    self->holidays = s_days_copy (holidays, n_holidays);
    self->n_holidays = n_holidays;
    self->workdays = s_days_copy (workdays, n_workdays);
    self->n_workdays = n_workdays;

    char path[sizeof (S_ZONEINFO_DIR) + S_TZ_NAME_MAX];
    snprintf (path, sizeof (path), "%s%s", S_ZONEINFO_DIR, tz);
    size_t len = 0;
    unsigned char *data = s_file_read (path, &len);
    int rc = (data && self->tz && self->holidays && self->workdays) ? s_tzif_load (self, data, len) : -1;
    free (data);
    if (rc)
        sw_calendar_destroy (&self);
    return self;
}

void
sw_calendar_destroy (sw_calendar_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_calendar_t *self = *self_p;
    free (self->tz);
    free (self->trans);
    free (self->trans_off);
    free (self->holidays);
    free (self->workdays);
    free (self);
    *self_p = NULL;
}

const char *
sw_calendar_tz (const sw_calendar_t *self)
{
    return self->tz;
}

/* Offset in force at UTC second t. */
static int32_t
s_offset_at (const sw_calendar_t *self, int64_t t)
{
    size_t n = self->n_trans;
    if (n == 0)
        return self->has_rule ? s_rule_offset (&self->rule, t) : self->first_off;
    if (t < self->trans[0])
        return self->first_off;
    if (t >= self->trans[n - 1])
        return self->has_rule ? s_rule_offset (&self->rule, t) : self->trans_off[n - 1];
    size_t lo = 0, hi = n - 1;     /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return self->trans_off[lo];
}

int32_t
sw_calendar_utc_offset_s (const sw_calendar_t *self, int64_t utc_ms)
{
    return s_offset_at (self, s_floor_div (utc_ms, 1000));
}

/* Local day and millisecond of day of utc_ms, without overflow. */
static int64_t
s_local_split (const sw_calendar_t *self, int64_t utc_ms, int64_t *ms_of_day)
{
    int64_t day = utc_ms / S_MS_PER_DAY, rem = utc_ms % S_MS_PER_DAY;
    if (rem < 0) {
        rem += S_MS_PER_DAY;
        day--;
    }
    rem += (int64_t) sw_calendar_utc_offset_s (self, utc_ms) * 1000;
    int64_t carry = s_floor_div (rem, S_MS_PER_DAY);
    *ms_of_day = rem - carry * S_MS_PER_DAY;
    return day + carry;
}

int32_t
sw_calendar_local_day (const sw_calendar_t *self, int64_t utc_ms)
{
    int64_t ms;
    return s_clamp32 (s_local_split (self, utc_ms, &ms));
}

/* UTC second of local second L (|L| well inside int64). Tries the offsets in
   force around L; of the consistent answers the earliest wins (a repeated
   local time), and when none is consistent (a skipped local time) the latest
   candidate, L - offset_before. */
static int64_t
s_local_to_utc (const sw_calendar_t *self, int64_t L)
{
    int32_t cand[4];
    cand[0] = s_offset_at (self, L - S_SECS_PER_DAY);
    cand[1] = s_offset_at (self, L + S_SECS_PER_DAY);
    cand[2] = s_offset_at (self, L - cand[0]);
    cand[3] = s_offset_at (self, L - cand[1]);
    bool found = false;
    int64_t best = 0, latest = INT64_MIN;
    for (int i = 0; i < 4; i++) {
        int64_t u = L - cand[i];
        if (u > latest)
            latest = u;
        if (s_offset_at (self, u) == cand[i] && (!found || u < best)) {
            best = u;
            found = true;
        }
    }
    return found ? best : latest;
}

int64_t
sw_calendar_day_start (const sw_calendar_t *self, int32_t day)
{
    return s_local_to_utc (self, (int64_t) day * S_SECS_PER_DAY) * 1000;
}

int64_t
sw_calendar_day_end (const sw_calendar_t *self, int32_t day)
{
    return s_local_to_utc (self, ((int64_t) day + 1) * S_SECS_PER_DAY) * 1000 - 1;
}

int64_t
sw_calendar_period_of_day (const sw_calendar_t *self, int32_t day)
{
    return s_floor_div ((int64_t) day - self->anchor, self->period_days);
}

/* First day of period as int64, period clamped so nothing overflows. */
static int64_t
s_period_first (const sw_calendar_t *self, int64_t period)
{
    if (period > INT32_MAX)
        period = INT32_MAX;
    if (period < INT32_MIN)
        period = INT32_MIN;
    return (int64_t) self->anchor + period * self->period_days;
}

int32_t
sw_calendar_period_first_day (const sw_calendar_t *self, int64_t period)
{
    return s_clamp32 (s_period_first (self, period));
}

int64_t
sw_calendar_period_close (const sw_calendar_t *self, int64_t period)
{
    int64_t next = s_period_first (self, period) + self->period_days;
    return s_local_to_utc (self, (int64_t) s_clamp32 (next) * S_SECS_PER_DAY) * 1000;
}

static bool
s_days_contain (const int32_t *days, size_t n, int32_t day)
{
    return n > 0 && bsearch (&day, days, n, sizeof (int32_t), s_int32_cmp) != NULL;
}

bool
sw_calendar_is_workday (const sw_calendar_t *self, int32_t day)
{
    if (s_days_contain (self->workdays, self->n_workdays, day))
        return true;
    if (sw_weekday (day) >= 5)
        return false;
    return !s_days_contain (self->holidays, self->n_holidays, day);
}

int32_t
sw_calendar_add_workdays (const sw_calendar_t *self, int32_t day, int n)
{
    int step = n < 0 ? -1 : 1;
    int64_t left = n < 0 ? -(int64_t) n : n;
    int64_t d = day;
    while (left > 0 && d > INT32_MIN && d < INT32_MAX) {
        d += step;
        if (sw_calendar_is_workday (self, (int32_t) d))
            left--;
    }
    return (int32_t) d;
}

/* ------------------------------------------------------------ instants */

int
sw_calendar_format_instant (const sw_calendar_t *self, int64_t utc_ms, char *buf, size_t size)
{
    int64_t ms;
    int64_t day = s_local_split (self, utc_ms, &ms);
    if (!buf || day < sw_days_from_civil (0, 1, 1) || day > sw_days_from_civil (9999, 12, 31))
        return -1;
    int y, mo, d;
    sw_civil_from_days ((int32_t) day, &y, &mo, &d);
    int h = (int) (ms / 3600000), mi = (int) (ms / 60000 % 60), s = (int) (ms / 1000 % 60);
    int frac = (int) (ms % 1000);

    int32_t off = sw_calendar_utc_offset_s (self, utc_ms);
    char sign = off < 0 ? '-' : '+';
    int32_t a = off < 0 ? -off : off;
    char fracbuf[8] = "", offbuf[16];
    if (frac)
        snprintf (fracbuf, sizeof (fracbuf), ".%03d", frac);
    if (a % 60)
        snprintf (offbuf, sizeof (offbuf), "%c%02d:%02d:%02d", sign, (int) (a / 3600),
                  (int) (a / 60 % 60), (int) (a % 60));
    else
        snprintf (offbuf, sizeof (offbuf), "%c%02d:%02d", sign, (int) (a / 3600), (int) (a / 60 % 60));
    int n = snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", y, mo, d, h, mi, s, fracbuf,
                      offbuf);
    if (n < 0 || (size_t) n >= size)
        return -1;
    return n;
}

int
sw_calendar_parse_instant (const sw_calendar_t *self, const char *s, int64_t *utc_ms)
{
    int32_t day;
    if (!s || s_date_prefix (s, &day))
        return -1;
    if (s[10] == '\0') {
        *utc_ms = sw_calendar_day_start (self, day);
        return 0;
    }
    if (s[10] != 'T' && s[10] != ' ')
        return -1;
    const char *p = s + 11;
    int h, mi, sec = 0, ms = 0;
    if (s_digits (p, 2, &h) || p[2] != ':' || s_digits (p + 3, 2, &mi) || h > 23 || mi > 59)
        return -1;
    p += 5;
    if (*p == ':') {
        if (s_digits (p + 1, 2, &sec) || sec > 59)
            return -1;
        p += 3;
        if (*p == '.') {
            int n = 0;
            p++;
            while (s_isdigit (*p) && n < 3) {
                ms = ms * 10 + (*p++ - '0');
                n++;
            }
            if (n == 0 || s_isdigit (*p))
                return -1;
            for (; n < 3; n++)
                ms *= 10;
        }
    }
    int64_t local = (int64_t) day * S_SECS_PER_DAY + h * 3600 + mi * 60 + sec;
    if (*p == '\0') {
        *utc_ms = s_local_to_utc (self, local) * 1000 + ms;
        return 0;
    }
    int32_t off = 0;
    if (*p == 'Z')
        p++;
    else if (*p == '+' || *p == '-') {
        int oh, om, os = 0;
        if (s_digits (p + 1, 2, &oh) || p[3] != ':' || s_digits (p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        const char *q = p + 6;
        if (*q == ':') {
            if (s_digits (q + 1, 2, &os) || os > 59)
                return -1;
            q += 3;
        }
        off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60 + os);
        p = q;
    }
    else
        return -1;
    if (*p != '\0')
        return -1;
    *utc_ms = (local - off) * 1000 + ms;
    return 0;
}
