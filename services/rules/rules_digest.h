/* rules_digest: the progress express report of one period (SPEC §6) as pure
 * functions over plain structs: counts by level, the flagged (yellow and red)
 * projects with their reasons and figures, changes since the previous close,
 * projects without a report, channel coverage, each commissioner's projects,
 * reports and site days, and the levels of recent periods. No store, no
 * clock, no sockets: the rules shell gathers the facts at a period close and
 * forwards the result. The SLA and cases sections belong to escalation and
 * are left empty here (cases_available false). */
#ifndef RULES_DIGEST_H
#define RULES_DIGEST_H

#include "rules_policy.h"
#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define RULES_DIGEST_HISTORY 12       /* periods in the chart, this one included */
#define RULES_DIGEST_WINDOW_DAYS 7    /* site days are counted over this many days */
#define RULES_DIGEST_TARGET_DAYS 2.5  /* half of the week on site */

/* Channel bits of a sources mask (RulesProjectState.sources_mask). */
#define RULES_CHANNEL_COMMISSIONER 1u
#define RULES_CHANNEL_UNIT 2u
#define RULES_CHANNEL_LOCAL 4u

/* The bit of a report's source; 0 for SOURCE_UNSPECIFIED or unknown. */
unsigned rules_digest_channel_bit (Sitewatch__V1__Source source);

/* One project at the close. Pointers are borrowed for the call. */
typedef struct {
    const char *project_id;
    const char *name;
    const char *commissioner;
    rules_level_t level;         /* effective level after the close was judged */
    rules_level_t prev_level;    /* effective level at the previous close; NONE or
                                    NOT_STARTED count as GREEN (SPEC §4) */
    Sitewatch__V1__Reason *const *reasons;   /* why it has its level (copied) */
    size_t n_reasons;
    bool has_lag;                /* the figures below are meaningful */
    double lag_pp;
    double planned_pct;
    double actual_pct;
    bool reported;               /* a report was observed during the period */
    unsigned channels;           /* RULES_CHANNEL_* bits that reported in the period */
    unsigned reports[3];         /* reports observed in the period: commissioner,
                                    unit, local */
} rules_digest_project_t;

/* One commissioner of the registry. */
typedef struct {
    const char *commissioner_id;
    const char *name;
    const int32_t *checkin_days; /* local days with a site check-in; any order,
                                    repeats and days outside the window allowed */
    size_t n_checkin_days;
} rules_digest_commissioner_t;

typedef struct {
    int64_t period;              /* the period that closed */
    int32_t first_day;           /* its first and last local day */
    int32_t last_day;
    int64_t closed_at;           /* UTC ms of the close */
    const char *zone_name;
    const char *timezone;
    const rules_digest_project_t *projects;   /* every project, in report order */
    size_t n_projects;
    const rules_digest_commissioner_t *commissioners;
    size_t n_commissioners;
    /* Points of earlier closes (any order; points of this period or later
     * are ignored). May be NULL when n_history is 0. */
    Sitewatch__V1__DigestHistoryPoint *const *history;
    size_t n_history;
} rules_digest_input_t;

/* Distinct local days among days[0..n) that fall in the window_days days
 * ending with last_day (last_day - window_days + 1 .. last_day). Returned as
 * a double because the target (2.5) is not whole. window_days < 1 gives 0. */
double rules_digest_site_days (const int32_t *days, size_t n, int32_t last_day, int window_days);

/* True when site_days meets the target of RULES_DIGEST_TARGET_DAYS. */
bool rules_digest_meets_target (double site_days);

/* Compiles the digest. Every string and array is newly allocated (the
 * digest owns copies; free it with rules_digest_destroy or
 * sitewatch__v1__digest__free_unpacked (d, NULL)). Contents:
 *   green/yellow/red/not_started  counts by effective level (NONE counts as
 *                                 not_started);
 *   flagged       the red projects, then the yellow ones, each in input order;
 *   new_yellow    level YELLOW and prev_level not YELLOW;
 *   new_red       level RED and prev_level not RED;
 *   cleared       level GREEN and prev_level YELLOW or RED;
 *   no_report     judged projects (not not_started) without a report;
 *   projects      every project with its channels and report count;
 *   reports_*     reports per channel, summed over the projects;
 *   commissioners each commissioner of the input with the ids of the projects
 *                 it follows, the reports observed on them in the period,
 *                 site days over the RULES_DIGEST_WINDOW_DAYS days ending
 *                 with last_day, target RULES_DIGEST_TARGET_DAYS, meets_target;
 *   history       the earlier points plus this period's, ascending by period,
 *                 at most RULES_DIGEST_HISTORY (the latest); the last one is
 *                 this period's.
 * Lists of ids keep input order. Aborts on out of memory, like the rest of
 * the service; never returns NULL. */
Sitewatch__V1__Digest *rules_digest_compile (const rules_digest_input_t *in);

/* The same, incrementally, for a close over many projects: begin with the
 * input's period, days, zone, commissioners and history (in->projects is
 * ignored; what in points to must live until finish), add every project in
 * report order (each is encoded at once: its strings and reasons may be
 * freed after the call), finish. The encoding decodes as
 * rules_digest_compile's result. */
typedef struct rules_digest_builder_t rules_digest_builder_t;

typedef struct {
    const struct iovec *piece;   /* the encoded Digest in n_pieces pieces, */
    size_t n_pieces;             /* valid until rules_digest_builder_free */
    size_t size;                 /* their total */
    Sitewatch__V1__DigestHistoryPoint point;   /* this period's counts */
    size_t n_no_report;
} rules_digest_encoded_t;

rules_digest_builder_t *rules_digest_begin (const rules_digest_input_t *in);
void rules_digest_add (rules_digest_builder_t *b, const rules_digest_project_t *p);
void rules_digest_finish (rules_digest_builder_t *b, rules_digest_encoded_t *out);
void rules_digest_builder_free (rules_digest_builder_t **b_p);

/* Frees a compiled digest and sets *digest_p to NULL; safe on NULL and twice. */
void rules_digest_destroy (Sitewatch__V1__Digest **digest_p);

#endif
