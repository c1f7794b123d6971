/* escalation_ladder: the supervision ladder of SPEC §5 as a pure state
 * machine over plain structs (no sockets, no store, no clock, no protobuf).
 * A case climbs onsite_meeting -> supervision_letter -> special_meeting and is
 * open or closed. Operators act on it (escalation_ladder_apply) and deadlines
 * move it (escalation_ladder_due); every refused action leaves the case
 * untouched and says why with a code and a message. Working-day arithmetic
 * comes in through escalation_ladder_calendar_t, so the machine never reads
 * a clock or a zone file itself. The service shell (escalation_cases) keeps
 * the texts (units, persons, notes), the documents and the storage. */
#ifndef ESCALATION_LADDER_H
#define ESCALATION_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ESCALATION_LADDER_NONE = 0,   /* not opened yet */
    ESCALATION_LADDER_ONSITE = 1, /* onsite_meeting */
    ESCALATION_LADDER_LETTER = 2, /* supervision_letter */
    ESCALATION_LADDER_SPECIAL = 3 /* special_meeting */
} escalation_ladder_stage_t;

/* Where a supervision letter stands (stage LETTER only). */
typedef enum {
    ESCALATION_LADDER_LETTER_NONE = 0,
    ESCALATION_LADDER_LETTER_ISSUED = 1,  /* waiting for the unit to sign */
    ESCALATION_LADDER_LETTER_SIGNED = 2,  /* waiting for the unit's feedback */
    ESCALATION_LADDER_LETTER_FEEDBACK = 3 /* waiting for the office's review */
} escalation_ladder_letter_t;

/* Operator actions. 1..9 equal sitewatch.v1.CaseCommand.Op. */
typedef enum {
    ESCALATION_LADDER_OP_NONE = 0,
    ESCALATION_LADDER_OP_MEETING = 1,
    ESCALATION_LADDER_OP_SIGN = 2,
    ESCALATION_LADDER_OP_FEEDBACK = 3,
    ESCALATION_LADDER_OP_REVIEW = 4,
    ESCALATION_LADDER_OP_EXTEND = 5,
    ESCALATION_LADDER_OP_GRANT = 6,
    ESCALATION_LADDER_OP_REFUSE = 7,
    ESCALATION_LADDER_OP_ESCALATE = 8,
    ESCALATION_LADDER_OP_CLOSE = 9,
    /* The system's own: the cause went away (the problem was reported
     * resolved, or the project left RED). Closes an open case. */
    ESCALATION_LADDER_OP_RESOLVE = 100
} escalation_ladder_op_t;

typedef enum {
    ESCALATION_LADDER_OUTCOME_NONE = 0,
    ESCALATION_LADDER_OUTCOME_RESOLVED = 1,
    ESCALATION_LADDER_OUTCOME_UNRESOLVED = 2
} escalation_ladder_outcome_t;

/* Working-day arithmetic, injected. Instants are UTC ms, days local day
 * numbers. local_day: the local day holding an instant; day_end: the last
 * millisecond of a local day; add_workdays: the n-th working day after day
 * (day itself not counted), n >= 1. */
typedef struct {
    int32_t (*local_day) (const void *ctx, int64_t at);
    int64_t (*day_end) (const void *ctx, int32_t day);
    int32_t (*add_workdays) (const void *ctx, int32_t day, int n);
    const void *ctx;
} escalation_ladder_calendar_t;

typedef struct {
    int onsite_days; /* working days to hold the on-site meeting   (2) */
    int letter_days; /* working days the letter gives the unit      (5) */
} escalation_ladder_config_t;

/* One case, as far as the machine is concerned. */
typedef struct {
    escalation_ladder_stage_t stage;
    bool open;
    bool major;                   /* severity major (else minor) */
    int64_t opened_at, closed_at; /* closed_at 0 while open */
    int64_t due_at;               /* the stage's deadline; 0 = none */
    int64_t missed_due_at;        /* the deadline whose passing escalated
                                     the case last; 0 = none */
    escalation_ladder_letter_t letter;
    int32_t pending_extension_day; /* 0 = no request pending */
    int extensions_asked, extensions_granted;
    bool letter_overdue; /* a letter's deadline passed */
} escalation_ladder_case_t;

typedef struct {
    escalation_ladder_op_t op;
    escalation_ladder_outcome_t outcome; /* MEETING */
    bool has_unit, has_person;           /* MEETING unresolved: both needed */
    bool has_note;                       /* SIGN, FEEDBACK, REVIEW, ESCALATE, CLOSE need one */
    bool has_reason;                     /* EXTEND needs one */
    int32_t until_day;                   /* EXTEND: the new due date */
} escalation_ladder_command_t;

/* What one step did (or why it was refused). */
typedef struct {
    const char *code;   /* NULL when applied; else the refusal code */
    char message[192];  /* human reason of a refusal */
    const char *action; /* timeline action of the step itself */
    int64_t at;         /* when it happened (due steps: the
                           millisecond after the deadline) */
    escalation_ladder_stage_t from, to;
    bool stage_changed;    /* from != to: draft the next document */
    bool closed;           /* the case closed in this step */
    bool extension_lapsed; /* a pending request died with the stage */
    int64_t due_before;    /* due_at before the step */
} escalation_ladder_step_t;

/* Refusal codes (escalation_ladder_step_t.code). */
#define ESCALATION_LADDER_UNKNOWN_CASE "unknown_case"
#define ESCALATION_LADDER_BAD_ACTION "bad_action"
#define ESCALATION_LADDER_CASE_CLOSED "case_closed"
#define ESCALATION_LADDER_ALREADY_CLOSED "already_closed"
#define ESCALATION_LADDER_WRONG_STAGE "wrong_stage"
#define ESCALATION_LADDER_BAD_OUTCOME "bad_outcome"
#define ESCALATION_LADDER_MISSING_RESPONSIBLE "missing_responsible"
#define ESCALATION_LADDER_MISSING_NOTE "missing_note"
#define ESCALATION_LADDER_MISSING_REASON "missing_reason"
#define ESCALATION_LADDER_ALREADY_SIGNED "already_signed"
#define ESCALATION_LADDER_NOT_SIGNED "not_signed"
#define ESCALATION_LADDER_ALREADY_REPORTED "already_reported"
#define ESCALATION_LADDER_NO_FEEDBACK "no_feedback"
#define ESCALATION_LADDER_PAST_DUE "past_due"
#define ESCALATION_LADDER_NO_DEADLINE "no_deadline"
#define ESCALATION_LADDER_EXTENSION_PENDING "extension_pending"
#define ESCALATION_LADDER_BAD_UNTIL "bad_until"
#define ESCALATION_LADDER_NOTHING_PENDING "nothing_pending"
#define ESCALATION_LADDER_TOP_STAGE "top_stage"

/* SPEC defaults: 2 and 5 working days. */
void escalation_ladder_config_defaults (escalation_ladder_config_t *cfg);
/* 0 when 1 <= onsite_days, letter_days <= 60; else -1 with "key: what" in err. */
int escalation_ladder_config_validate (const escalation_ladder_config_t *cfg, char *err,
                                       size_t errlen);

/* Opens a case at instant at: stage onsite_meeting, due at the end of the
 * onsite_days-th working day after the local day of at. *c is overwritten;
 * step (may be NULL) reports action "opened", from NONE to ONSITE. */
void escalation_ladder_open (const escalation_ladder_config_t *cfg,
                             const escalation_ladder_calendar_t *cal, int64_t at, bool major,
                             escalation_ladder_case_t *c, escalation_ladder_step_t *step);

/* Applies an action at instant now. c NULL means the case is unknown.
 * The shell must call escalation_ladder_due until it returns 0 before
 * applying an action, so that deadlines that passed have moved the case.
 *
 * Returns 0 when applied (c updated, step describes it) or -1 when refused
 * (c untouched; step->code and step->message say why). Rules:
 *   any action on an unknown case: unknown_case; op not known: bad_action;
 *   CLOSE on a closed case: already_closed; any other on a closed case:
 *   case_closed;
 *   MEETING (onsite_meeting only, else wrong_stage): outcome resolved closes
 *   the case; unresolved needs the responsible unit and person
 *   (missing_responsible) and escalates: a major case to special_meeting, a
 *   minor one to supervision_letter (due in letter_days working days from
 *   now); no outcome: bad_outcome;
 *   SIGN, FEEDBACK, REVIEW (supervision_letter only, else wrong_stage; each
 *   needs a note: missing_note): issued -> signed -> feedback -> closed;
 *   out of order: already_signed, not_signed, already_reported, no_feedback;
 *   EXTEND (needs a reason: missing_reason): refused past_due when now is
 *   after the due date, or when the case has no deadline left because one
 *   was missed; no_deadline when it never had one at this stage;
 *   extension_pending when a request waits; bad_until when until_day is not
 *   after the current due date's day. Records the request (asked + 1);
 *   GRANT / REFUSE: nothing_pending without a request; grant moves the due
 *   date to the end of until_day (granted + 1), refuse drops the request;
 *   ESCALATE (needs a note): what the deadline would do, now; top_stage at
 *   special_meeting;
 *   CLOSE (needs a note) and RESOLVE: close the case. */
int escalation_ladder_apply (const escalation_ladder_config_t *cfg,
                             const escalation_ladder_calendar_t *cal, escalation_ladder_case_t *c,
                             const escalation_ladder_command_t *cmd, int64_t now,
                             escalation_ladder_step_t *step);

/* Time: when c is open, has a deadline and now is past it, moves the case
 * as the deadline says, at the millisecond after the deadline: an on-site
 * meeting not held escalates (major: special_meeting; minor:
 * supervision_letter, due letter_days working days from that instant); an
 * overdue letter marks letter_overdue and escalates to special_meeting. A
 * pending extension request lapses. Returns 1 when it moved the case (step
 * filled, action "deadline_passed"), 0 when nothing was due. Call it again
 * until it returns 0: a long outage may pass two deadlines. */
int escalation_ladder_due (const escalation_ladder_config_t *cfg,
                           const escalation_ladder_calendar_t *cal, escalation_ladder_case_t *c,
                           int64_t now, escalation_ladder_step_t *step);

/* "onsite_meeting", "supervision_letter", "special_meeting" ("" for NONE). */
const char *escalation_ladder_stage_name (escalation_ladder_stage_t stage);
/* The stage of a name; NONE when unknown. */
escalation_ladder_stage_t escalation_ladder_stage_parse (const char *name);
/* "issued", "signed", "feedback" ("" for NONE). */
const char *escalation_ladder_letter_name (escalation_ladder_letter_t letter);
escalation_ladder_letter_t escalation_ladder_letter_parse (const char *name);
/* "meeting", "sign", ... "close", "resolve"; "unknown" otherwise. */
const char *escalation_ladder_op_name (escalation_ladder_op_t op);

#endif
