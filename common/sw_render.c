/*  sw_render: JSON shapes of warning events, their reasons and leadership
    reports, shared by the command line and the leadership notifier. */

#include "sw_render.h"

#include <stdint.h>
#include <string.h>

static const char *
s_str (const char *s)
{
    return s ? s : "";
}

static bool
s_is (const char *code, const char *name)
{
    return code && strcmp (code, name) == 0;
}

/* A forecast finish that never comes (ES = 0) travels as day 0 or the
   largest day; neither is a real date. */
static bool
s_finish_never (int32_t day)
{
    return day == 0 || day == INT32_MAX;
}

static void
s_key_str (sw_json_t *j, const char *key, const char *value)
{
    sw_json_key (j, key);
    sw_json_str (j, s_str (value));
}

const char *
sw_render_level_name (Sitewatch__V1__Level level)
{
    switch (level) {
    case SITEWATCH__V1__LEVEL__LEVEL_GREEN: return "green";
    case SITEWATCH__V1__LEVEL__LEVEL_YELLOW: return "yellow";
    case SITEWATCH__V1__LEVEL__LEVEL_RED: return "red";
    case SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED: return "not_started";
    default: return "unspecified";
    }
}

void
sw_render_json_instant (sw_json_t *j, const sw_calendar_t *cal, int64_t ms)
{
    char buf[48];
    if (cal && sw_calendar_format_instant (cal, ms, buf, sizeof buf) >= 0)
        sw_json_str (j, buf);
    else
        sw_json_int (j, ms);    /* beyond the calendar's years: the raw figure */
}

void
sw_render_json_date (sw_json_t *j, int32_t day)
{
    char buf[11];
    sw_date_format (day, buf);
    sw_json_str (j, buf);
}

void
sw_render_json_reason (sw_json_t *j, const Sitewatch__V1__Reason *r)
{
    const char *code = s_str (r->code);
    bool lag = s_is (code, "lag") || s_is (code, "serious_lag");
    bool forecast = s_is (code, "forecast_late");
    bool periodic = s_is (code, "no_report") || s_is (code, "consecutive_yellow");

    sw_json_obj_begin (j);
    sw_json_key (j, "code");
    sw_json_str (j, code);
    if (lag || r->lag_pp != 0) {
        sw_json_key (j, "lag_pp");
        sw_json_num (j, r->lag_pp);
    }
    if (lag || forecast || r->planned_pct != 0) {
        sw_json_key (j, "planned_pct");
        sw_json_num (j, r->planned_pct);
    }
    if (lag || forecast || r->actual_pct != 0) {
        sw_json_key (j, "actual_pct");
        sw_json_num (j, r->actual_pct);
    }
    if (lag || r->threshold != 0) {
        sw_json_key (j, "threshold");
        sw_json_num (j, r->threshold);
    }
    if (forecast || !s_finish_never (r->forecast_finish_day)) {
        sw_json_key (j, "forecast_finish");
        if (s_finish_never (r->forecast_finish_day))
            sw_json_null (j);
        else
            sw_render_json_date (j, r->forecast_finish_day);
    }
    if (periodic || r->period != 0) {
        sw_json_key (j, "period");
        sw_json_int (j, r->period);
    }
    if (r->problem_id && *r->problem_id) {
        sw_json_key (j, "problem_id");
        sw_json_str (j, r->problem_id);
    }
    if (r->detail && *r->detail) {
        sw_json_key (j, "detail");
        sw_json_str (j, r->detail);
    }
    sw_json_obj_end (j);
}

void
sw_render_json_reasons (sw_json_t *j, Sitewatch__V1__Reason *const *reasons, size_t n)
{
    sw_json_arr_begin (j);
    for (size_t i = 0; i < n; i++)
        sw_render_json_reason (j, reasons[i]);
    sw_json_arr_end (j);
}

void
sw_render_json_warning (sw_json_t *j, const sw_calendar_t *cal,
                        const Sitewatch__V1__WarningEvent *ev)
{
    sw_json_obj_begin (j);
    s_key_str (j, "event_id", ev->event_id);
    s_key_str (j, "project_id", ev->project_id);
    s_key_str (j, "from", sw_render_level_name (ev->from));
    s_key_str (j, "to", sw_render_level_name (ev->to));
    sw_json_key (j, "reasons");
    sw_render_json_reasons (j, ev->reasons, ev->n_reasons);
    sw_json_key (j, "lag_pp");
    if (ev->has_lag)
        sw_json_num (j, ev->lag_pp);
    else
        sw_json_null (j);
    sw_json_key (j, "at");
    sw_render_json_instant (j, cal, ev->at);
    sw_json_key (j, "period");
    sw_json_int (j, ev->period);
    s_key_str (j, "leader_id", ev->leader_id);
    s_key_str (j, "commissioner_id", ev->commissioner_id);
    s_key_str (j, "project_name", ev->project_name);
    sw_json_obj_end (j);
}

void
sw_render_json_leadership (sw_json_t *j, const sw_calendar_t *cal,
                           const Sitewatch__V1__LeadershipReport *lr)
{
    sw_json_obj_begin (j);
    s_key_str (j, "report_id", lr->report_id);
    s_key_str (j, "project_id", lr->project_id);
    s_key_str (j, "leader_id", lr->leader_id);
    sw_json_key (j, "raised_at");
    sw_render_json_instant (j, cal, lr->raised_at);
    sw_json_key (j, "due_at");
    sw_render_json_instant (j, cal, lr->due_at);
    sw_json_key (j, "attempt");
    sw_json_int (j, lr->attempt);
    sw_json_key (j, "event");
    if (lr->event)
        sw_render_json_warning (j, cal, lr->event);
    else
        sw_json_null (j);
    s_key_str (j, "project_name", lr->project_name);
    s_key_str (j, "leader_name", lr->leader_name);
    sw_json_obj_end (j);
}
