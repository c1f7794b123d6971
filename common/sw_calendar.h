/*  sw_calendar: the zone's local calendar (SPEC section 1). Civil dates as day
    numbers, UTC <-> local conversion from the IANA TZif file, reporting
    periods and working days. Pure and thread-safe: no clock, no TZ variable. */

#ifndef SW_CALENDAR_H_INCLUDED
#define SW_CALENDAR_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_calendar_t sw_calendar_t;

/* ---- civil dates, pure: day number = days since 1970-01-01 (proleptic
   Gregorian), negative before 1970. */

/* Day number of year y, month m (1..12), day d (1..31). Does not validate;
   out-of-range d simply counts on from the month's first day. */
int32_t sw_days_from_civil (int y, int m, int d);

/* Inverse of sw_days_from_civil for every int32_t day. */
void sw_civil_from_days (int32_t day, int *y, int *m, int *d);

/* Parses exactly "YYYY-MM-DD" (years 0000..9999, month 1..12, day within the
   month, leap years honoured). Returns 0 and sets *day, or -1 and leaves
   *day untouched. */
int sw_date_parse (const char *s, int32_t *day);

/* Writes "YYYY-MM-DD" and a NUL into buf. Years outside 0000..9999 are
   clamped to 0000-01-01 / 9999-12-31 so the output always fits. */
void sw_date_format (int32_t day, char buf[11]);

/* Day of the week: 0 = Monday .. 6 = Sunday. */
int sw_weekday (int32_t day);

/* ---- a zone's calendar */

/* Creates a calendar for the IANA zone tz, reading /usr/share/zoneinfo/<tz>
   (TZif v1, or the 64-bit v2+ section; instants after the last transition
   follow the footer's POSIX TZ rule when it parses, else the last offset).
   period_anchor_day is the first day of period 0; period_days >= 1.
   holidays/workdays are local day numbers and are copied (NULL is fine when
   the count is 0). Returns NULL on an unknown zone, a bad file, a tz name
   that is empty, absolute, contains "..", or has unusual characters, or on
   period_days < 1. */
sw_calendar_t *sw_calendar_new (const char *tz, int32_t period_anchor_day, int32_t period_days,
                                const int32_t *holidays, size_t n_holidays,
                                const int32_t *workdays, size_t n_workdays);

/* Frees the calendar and sets *self_p to NULL; safe on NULL and twice. */
void sw_calendar_destroy (sw_calendar_t **self_p);

/* The zone name given to sw_calendar_new; owned by the calendar. */
const char *sw_calendar_tz (const sw_calendar_t *self);

/* Offset of local time from UTC in seconds (east positive) at utc_ms. */
int32_t sw_calendar_utc_offset_s (const sw_calendar_t *self, int64_t utc_ms);

/* Local day number containing utc_ms (floor; correct for negative ms).
   Saturates at the int32_t range for absurd instants. */
int32_t sw_calendar_local_day (const sw_calendar_t *self, int64_t utc_ms);

/* UTC ms of local 00:00:00.000 of day. When local midnight repeats (clock
   set back over it) the earlier instant; when it does not exist (clock set
   forward over it) the later candidate, L - offset_before, which is the
   transition instant itself when the gap starts at midnight. */
int64_t sw_calendar_day_start (const sw_calendar_t *self, int32_t day);

/* sw_calendar_day_start (day + 1) - 1, i.e. local 23:59:59.999 of day. */
int64_t sw_calendar_day_end (const sw_calendar_t *self, int32_t day);

/* Period number of day: floor ((day - anchor) / period_days); negative
   before the anchor. */
int64_t sw_calendar_period_of_day (const sw_calendar_t *self, int32_t day);

/* First local day of period: anchor + period * period_days (saturates at
   the int32_t range). */
int32_t sw_calendar_period_first_day (const sw_calendar_t *self, int64_t period);

/* UTC ms at which period closes: local midnight after its last day, which
   is the start of the next period's first day. */
int64_t sw_calendar_period_close (const sw_calendar_t *self, int64_t period);

/* True when day is a working day: listed in workdays, or else neither a
   Saturday/Sunday nor listed in holidays. The workdays list wins when a day
   is in both lists. */
bool sw_calendar_is_workday (const sw_calendar_t *self, int32_t day);

/* The n-th working day after day for n >= 1 (day itself is not counted);
   day itself for n == 0; the |n|-th working day before day for n < 0. */
int32_t sw_calendar_add_workdays (const sw_calendar_t *self, int32_t day, int n);

/* Writes utc_ms as local time with its offset, e.g.
   "2026-03-15T10:00:00+08:00", or "2026-03-15T10:00:00.250+08:00" when the
   milliseconds are nonzero; offsets with seconds (historical local mean
   time) print as "+08:05:43". Returns the number of characters written
   (without the NUL), or -1 when buf is too small (at most 36 bytes are
   needed) or the local year is outside 0000..9999. */
int sw_calendar_format_instant (const sw_calendar_t *self, int64_t utc_ms, char *buf, size_t size);

/* Parses "YYYY-MM-DD" (local midnight, as sw_calendar_day_start),
   "YYYY-MM-DDTHH:MM[:SS[.f{1,3}]]" (local time; gaps and repeats resolved as
   sw_calendar_day_start does), and the same followed by "Z" or
   "+HH:MM" / "-HH:MM" (also "+HH:MM:SS"); a space may replace the 'T'.
   Returns 0 and sets *utc_ms, or -1 on anything else (nothing may follow). */
int sw_calendar_parse_instant (const sw_calendar_t *self, const char *s, int64_t *utc_ms);

#ifdef __cplusplus
}
#endif

#endif
