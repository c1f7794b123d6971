/* rules_policy: the red/yellow/green warning rule of SPEC §4 as pure functions
 * over plain structs (no sockets, no store, no clock, no protobuf). The rules
 * service gathers the facts, calls rules_policy_evaluate, then _effective.
 * Units: days are int32 local day numbers (days since 1970-01-01 in the
 * zone's calendar); percentages are int32 basis points (0..10000); lag is
 * reported in percentage points (bp / 100.0). */
#ifndef RULES_POLICY_H
#define RULES_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numeric values equal the proto enum sitewatch.v1.Level. */
typedef enum {
    RULES_LEVEL_NONE = 0,
    RULES_LEVEL_GREEN = 1,
    RULES_LEVEL_YELLOW = 2,
    RULES_LEVEL_RED = 3,
    RULES_LEVEL_NOT_STARTED = 4
} rules_level_t;

/* ------------------------------------------------------------ configuration */

typedef struct {
    double yellow_lag_pp;        /* lag >= this (pp) is yellow            (5)  */
    double red_lag_pp;           /* lag >= this (pp) is serious: red      (15) */
    int forecast_grace_days;     /* forecast slip allowed past end, days  (15) */
    double forecast_grace_share; /* ... or this share of PD if larger   (0.10) */
    int forecast_min_days;       /* forecast judged only once AT >= this  (30) */
    int reason_valid_days;       /* approved reason active this many days (15) */
} rules_policy_config_t;

/* Fills cfg with the SPEC defaults: 5, 15, 15, 0.10, 30, 15. */
void rules_policy_config_defaults (rules_policy_config_t *cfg);

/* Checks the rules: 0 < yellow_lag_pp <= red_lag_pp <= 100 (thresholds are
 * compared in whole basis points, so yellow_lag_pp must be at least 0.01),
 * forecast_grace_days >= 0, 0 <= forecast_grace_share <= 1,
 * forecast_min_days >= 0, reason_valid_days >= 1. Returns 0, or -1 with
 * "key: what is wrong" in err (err may be NULL). */
int rules_policy_config_validate (const rules_policy_config_t *cfg, char *err, size_t errlen);

/* Sets one key (exactly a field name above) from its text value and checks
 * that field's own range (not the yellow <= red pairing, which needs both:
 * see _validate). For a shell that reads settings through another loader.
 * Returns 0, or -1 with "key: what is wrong" in err; cfg is unchanged then. */
int rules_policy_config_set (rules_policy_config_t *cfg, const char *key, const char *value,
                             char *err, size_t errlen);

/* Applies "key = value" lines over the current values of cfg. '#' starts a
 * comment (whole line or after the value); blank lines are skipped; a key may
 * appear once. The result must pass _validate. All or nothing: returns 0 with
 * cfg updated, or -1 with "line N: key: what is wrong" in err and cfg
 * unchanged (an unknown key is an error; a pairing error blames the later of
 * the two lines, or has no line prefix when neither key is in the text). */
int rules_policy_config_parse (rules_policy_config_t *cfg, const char *text, char *err, size_t errlen);

/* Reads the file at path and applies it as _parse does. Returns 0, or -1
 * with the reason in err and cfg unchanged; a missing or unreadable file is
 * -1 too ("PATH: No such file or directory"), the caller decides whether that
 * matters. Files over 1 MiB are refused. */
int rules_policy_config_load (rules_policy_config_t *cfg, const char *path, char *err, size_t errlen);

/* --------------------------------------------------------- planned progress */

typedef struct {
    int32_t day;        /* local day number, start < day < end, increasing */
    int32_t percent_bp; /* 0..10000, non-decreasing */
} rules_milestone_t;

/* Planned progress at local day `day`: straight-line interpolation through
 * (start_day, 0), each milestone and (end_day, 10000); 0 before start_day,
 * 10000 from end_day on. Returns integer basis points, rounded half up.
 * Expects a registry-validated curve (start_day < end_day, milestones as
 * documented above); ms may be NULL when n_ms is 0. */
int32_t rules_policy_planned_bp (int32_t start_day, int32_t end_day, const rules_milestone_t *ms,
                                 size_t n_ms, int32_t day);

/* Earned Schedule: the earliest day offset from start_day at which
 * rules_policy_planned_bp reaches actual_bp. Returns 0 when actual_bp <= 0,
 * the offset (1..end_day - start_day) otherwise, or -1 when planned never
 * reaches it (only for actual_bp > 10000). */
int32_t rules_policy_earned_days (int32_t start_day, int32_t end_day, const rules_milestone_t *ms,
                                  size_t n_ms, int32_t actual_bp);

/* ---------------------------------------------------------------- judgement */

typedef enum {
    RULES_REASON_NONE = 0,   /* no legitimate reason on record */
    RULES_REASON_PENDING,    /* claimed, waiting for an operator */
    RULES_REASON_APPROVED,   /* approved on reason_approved_day */
    RULES_REASON_REJECTED
} rules_reason_state_t;

/* The facts about one project that the policy judges. Pointers are borrowed
 * for the duration of the call. */
typedef struct {
    int32_t start_day;
    int32_t end_day;
    const rules_milestone_t *milestones;
    size_t n_milestones;
    bool planned_state;          /* registry state "planned": not judged before start_day */
    bool has_actual;             /* a report exists ... */
    int32_t actual_bp;           /* ... and this is the latest by observed_at */
    bool major_open;             /* an open problem of severity major exists */
    char major_problem_id[128];  /* one such problem, "<report_id>/<n>" */
    rules_reason_state_t reason_state;
    int32_t reason_approved_day; /* local day of approval; active while
                                    approved <= day < approved + reason_valid_days */
    bool at_period_close;        /* judging at a period's close */
    bool reported_in_period;     /* a report for the project was observed during the closing period */
    int64_t period;              /* the period being closed, or the current period; copied into reasons */
} rules_policy_input_t;

#define RULES_MAX_REASONS 8

/* One clause that fired, with its figures (all figures are filled whenever
 * they are known, whatever the code). */
typedef struct {
    char code[24];               /* lag, serious_lag, forecast_late, no_report,
                                    major_problem, consecutive_yellow */
    double lag_pp;               /* planned - actual, pp (0 without an actual) */
    double planned_pct;
    double actual_pct;
    int32_t forecast_finish_day; /* valid when has_forecast */
    bool has_forecast;           /* false on forecast_late means "never finishes" */
    int64_t period;
    double threshold;            /* lag: yellow_lag_pp; serious_lag: red_lag_pp;
                                    forecast_late: slip allowed past end, days
                                    (max(grace_days, grace_share * PD)); else 0 */
    char problem_id[128];        /* major_problem only */
    bool softened;               /* serious_lag judged yellow: a reason is active */
    char detail[96];             /* short human text, may be empty */
} rules_reason_t;

typedef struct {
    rules_level_t raw;           /* the raw level of SPEC §4 */
    rules_reason_t reasons[RULES_MAX_REASONS];
    size_t n_reasons;            /* every clause that fired, most serious first */
    bool has_lag;                /* judged and has an actual: the figures below are set */
    double lag_pp;
    double planned_pct;
    double actual_pct;
    int32_t lag_bp;              /* the same figures, exact */
    int32_t planned_bp;
    int32_t actual_bp;
    bool has_forecast;           /* forecast computed (AT >= min days, 0 < actual < 100%) */
    int32_t forecast_finish_day;
    int64_t period;              /* copied from the input */
} rules_verdict_t;

/* True when an approved legitimate reason is active on `day`:
 * reason_approved_day <= day < reason_approved_day + cfg->reason_valid_days.
 * Pending, rejected and expired reasons are not active. */
bool rules_policy_reason_active (const rules_policy_config_t *cfg, const rules_policy_input_t *in,
                                 int32_t day);

/* Judges the project at local day `day` and fills out (always completely).
 * out->raw is RULES_LEVEL_NOT_STARTED, with no reasons, when planned_state and
 * day < start_day. Otherwise it is the raw level of SPEC §4, and out->reasons
 * lists every clause that fired, in this order:
 *   major_problem  (red)    an open major problem; never softened
 *   serious_lag    (red)    lag >= red_lag and no active reason, or
 *                  (yellow) the same with an active reason: softened = true
 *   lag            (yellow) yellow_lag <= lag < red_lag
 *   forecast_late  (yellow) AT >= forecast_min_days, actual below 100%, and
 *                           the Earned Schedule finish start + ceil(PD*AT/ES)
 *                           is after end + max(grace_days, grace_share * PD),
 *                           or ES = 0 (no progress: never finishes)
 *   no_report      (yellow) at_period_close and !reported_in_period
 * Lag thresholds are compared in whole basis points (pp * 100, rounded).
 * Without has_actual, lag and forecast clauses do not apply; actual_bp is
 * clamped to 0..10000. A completed project (actual >= 100%) has no forecast:
 * it is finished, not late.
 * cfg must pass rules_policy_config_validate. */
void rules_policy_evaluate (const rules_policy_config_t *cfg, const rules_policy_input_t *in,
                            int32_t day, rules_verdict_t *out);

/* The effective (published) level from the raw one, with prev_close = the
 * effective level at the close of the previous period (GREEN when none):
 * RED if raw is RED, or raw is YELLOW and prev_close is YELLOW or RED;
 * YELLOW if raw is YELLOW; GREEN if raw is GREEN; NOT_STARTED and NONE pass
 * through. Returns that level. *consecutive_yellow (may be NULL) is set true
 * exactly when the result is RED only because of the previous close: the
 * caller then adds the reason (rules_policy_add_consecutive_yellow). */
rules_level_t rules_policy_effective (rules_level_t prev_close, rules_level_t raw,
                                      bool *consecutive_yellow);

/* Appends reason "consecutive_yellow" to v, with v's figures and period and
 * a detail naming prev_close. Returns 0, or -1 when v has no room left. */
int rules_policy_add_consecutive_yellow (rules_verdict_t *v, rules_level_t prev_close);

/* Returns "green", "yellow", "red", "not_started", "none" (static strings);
 * "unknown" for a value outside the enum. */
const char *rules_level_name (rules_level_t level);

#endif
