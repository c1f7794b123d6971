/*  sw_render: the JSON shapes of warning events and leadership reports
    (SPEC section 8), written once for every program that shows them: the
    command line (subscribe, project history) and the leadership notifier
    (its sink lines). Pure: no sockets, no clock; instants are formatted in
    the calendar's zone with its offset. */

#ifndef SW_RENDER_H_INCLUDED
#define SW_RENDER_H_INCLUDED

#include "sitewatch.pb-c.h"
#include "sw_calendar.h"
#include "sw_json.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "green", "yellow", "red", "not_started"; "unspecified" for anything else.
   Static strings. */
const char *sw_render_level_name (Sitewatch__V1__Level level);

/* An instant as ISO 8601 with the zone's offset
   ("2026-03-15T10:00:00+08:00"); the raw milliseconds as an integer when cal
   is NULL or the instant is outside the calendar's years. */
void sw_render_json_instant (sw_json_t *j, const sw_calendar_t *cal, int64_t ms);

/* A local day number as "YYYY-MM-DD". */
void sw_render_json_date (sw_json_t *j, int32_t day);

/* One reason {"code", ...figures}: lag_pp, planned_pct, actual_pct and
   threshold for the lag clauses (and whenever nonzero), forecast_finish
   (a date, or null for "never") for forecast_late, period for no_report
   and consecutive_yellow (and whenever nonzero), problem_id and detail when
   set. */
void sw_render_json_reason (sw_json_t *j, const Sitewatch__V1__Reason *reason);
/* An array of reasons. */
void sw_render_json_reasons (sw_json_t *j, Sitewatch__V1__Reason *const *reasons, size_t n);

/* A warning event {"event_id", "project_id", "from", "to", "reasons",
   "lag_pp" (null without an actual), "at", "period", "leader_id",
   "commissioner_id", "project_name"}. */
void sw_render_json_warning (sw_json_t *j, const sw_calendar_t *cal,
                             const Sitewatch__V1__WarningEvent *event);

/* A leadership report {"report_id", "project_id", "leader_id", "raised_at",
   "due_at", "attempt", "event" (the warning event, or null), "project_name",
   "leader_name"}. */
void sw_render_json_leadership (sw_json_t *j, const sw_calendar_t *cal,
                                const Sitewatch__V1__LeadershipReport *report);

#ifdef __cplusplus
}
#endif

#endif
