/*  sw_registry: the registry YAML (SPEC section 2) parsed and validated at
    the edge into a Sitewatch__V1__Registry. All or nothing: a file either
    yields a complete registry or a list of "line N: field: problem" errors. */

#ifndef SW_REGISTRY_H_INCLUDED
#define SW_REGISTRY_H_INCLUDED

#include <stddef.h>

#include "sitewatch.pb-c.h"
#include "sw_calendar.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable list of malloc'd strings. Start from {NULL, 0}; only grow it
   with sw_strlist_add. */
typedef struct {
    char **items;
    size_t count;
} sw_strlist_t;

/* Appends a printf-style formatted string. Aborts on out of memory. */
void sw_strlist_add (sw_strlist_t *list, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Frees every item and the array; leaves an empty list ({NULL, 0}). */
void sw_strlist_clear (sw_strlist_t *list);

/* Parses and validates len bytes of registry YAML (libyaml; one document;
   anchors and aliases refused).

   Returns 0 and sets *out to a malloc-built registry, to be freed with
   sitewatch__v1__registry__free_unpacked (reg, NULL); every string in it is
   set (possibly ""). Returns -1 and sets *out to NULL when anything is
   wrong; then errors gains one entry per problem, in line order, formatted
   "line N: <field path>: <what is wrong>" (e.g. "line 12: projects[3].end:
   must be after start 2026-05-01"; list indexes count from 0). At most 1000
   problems are listed; beyond that a last entry "line N: registry: M more
   problems not listed" names the first line not shown.

   Warnings never fail the parse and are appended in either case, same
   format: a commissioner following fewer than 5 or more than 7 projects,
   and unknown fields (ignored). errors and warnings may be NULL.

   Defaults: timezone "Asia/Shanghai" (must be a zone sw_calendar_new
   accepts), period_days 3 (1..366), zone "", unit/local_contact/area "".
   Required: period_anchor, leaders, commissioners, projects (lists may be
   empty); leader id+name; commissioner id+name; project id, name, kind
   (social|government), state (started|planned), commissioner, leader,
   start, end. Milestone percents are numbers 0..100 with at most two
   decimals, stored as basis points. Aborts on out of memory. */
int sw_registry_parse (const char *yaml, size_t len, Sitewatch__V1__Registry **out,
                       sw_strlist_t *errors, sw_strlist_t *warnings);

/* The zone calendar of a registry: its zone, period anchor and length
 * (default 3 days), holidays and exchanged working days. NULL when the zone
 * is unknown. Destroy with sw_calendar_destroy. */
sw_calendar_t *sw_registry_calendar (const Sitewatch__V1__Registry *reg);

/* A registry's calendar as a service holds it across write batches that may
 * be replayed: set() inside a batch keeps the new calendar beside the
 * committed one; begin() (start of an attempt) drops what an abandoned
 * attempt set; commit() adopts it. `now` is the calendar to use: the batch's
 * inside a batch, the committed one outside. */
typedef struct {
    sw_calendar_t *committed;
    sw_calendar_t *now;
} sw_registry_clock_t;
void sw_registry_clock_begin (sw_registry_clock_t *self);
void sw_registry_clock_set (sw_registry_clock_t *self, sw_calendar_t **cal_p);
void sw_registry_clock_commit (sw_registry_clock_t *self);
void sw_registry_clock_destroy (sw_registry_clock_t *self);

/* Lookups by id on a parsed registry (linear scans). Return the entry, or
   NULL when reg or id is NULL or no entry has that id. The entry belongs to
   reg. */
const Sitewatch__V1__ProjectDef *sw_registry_project (const Sitewatch__V1__Registry *reg,
                                                      const char *id);
const Sitewatch__V1__Leader *sw_registry_leader (const Sitewatch__V1__Registry *reg, const char *id);
const Sitewatch__V1__Commissioner *sw_registry_commissioner (const Sitewatch__V1__Registry *reg,
                                                             const char *id);

#ifdef __cplusplus
}
#endif

#endif
