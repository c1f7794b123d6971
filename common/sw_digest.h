/*  sw_digest: renders a progress express report (sitewatch.v1.Digest, SPEC
    section 6) three ways: JSON (the field names of the wire contract), a
    Markdown document, and one self-contained HTML page (inline CSS, an
    inline SVG stacked-bar chart of levels over the recent periods, no
    external assets, UTF-8). Pure: no sockets, no clock, no files; instants
    are written in the calendar's zone with its offset. */

#ifndef SW_DIGEST_H_INCLUDED
#define SW_DIGEST_H_INCLUDED

#include "sitewatch.pb-c.h"
#include "sw_calendar.h"
#include "sw_json.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the digest as one JSON object: "period", "first_day" and
   "last_day" (dates), "closed_at" (instant), "zone_name", "timezone",
   "green", "yellow", "red", "not_started", "flagged" (projects with
   "project_id", "name", "level", "prev_level", "reasons", "lag_pp",
   "planned_pct", "actual_pct" (null without an actual), "commissioner",
   "channels" {"commissioner", "unit", "local"} and "reports"), "new_yellow",
   "new_red", "cleared", "no_report" (ids), "projects" (the same shape
   without reasons), "reports_commissioner", "reports_unit",
   "reports_local", "commissioners" ("commissioner_id", "name", "projects",
   "reports", "site_days", "target_days", "meets_target"),
   "cases_available", "open_cases" ("case_id", "project_id", "stage",
   "due_at", "overdue"), "sla_met", "sla_missed", "sla_pending", "history"
   ("period", "green", "yellow", "red", "not_started"). cal may be NULL
   (instants are then raw milliseconds). */
void sw_digest_json (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__Digest *d);

/* The digest as a Markdown document. Text from the registry and reports is
   escaped so it cannot change the document's structure. malloc'd, never
   NULL (aborts on OOM). */
char *sw_digest_markdown (const Sitewatch__V1__Digest *d, const sw_calendar_t *cal);

/* The digest as one HTML5 page: <meta charset="utf-8">, inline style, an
   inline SVG chart of the history (stacked red, yellow, green, not started
   per period), every text HTML-escaped; no scripts, no external URLs.
   malloc'd, never NULL. */
char *sw_digest_html (const Sitewatch__V1__Digest *d, const sw_calendar_t *cal);

/* Escapes text for HTML (& < > " ' become entities), replaces control
   characters (C0 other than tab and newline, DEL, C1) with a space and each
   byte of an invalid UTF-8 sequence with U+FFFD. NULL is the empty string.
   malloc'd. */
char *sw_digest_html_escape (const char *text);

/* Escapes text for Markdown: a backslash before \ ` * _ [ ] < > | ~ #,
   control characters (newlines too) as spaces, invalid UTF-8 as U+FFFD.
   malloc'd. */
char *sw_digest_md_escape (const char *text);

#ifdef __cplusplus
}
#endif

#endif
