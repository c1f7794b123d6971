/* escalation_ladder: the supervision ladder's states, actions, refusals and
 * deadlines (SPEC §5), pure. Time and working days come from the caller. */
#include "escalation_ladder.h"
#include "sw_calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
escalation_ladder_config_defaults (escalation_ladder_config_t *cfg)
{
    cfg->onsite_days = 2;
    cfg->letter_days = 5;
}

int
escalation_ladder_config_validate (const escalation_ladder_config_t *cfg, char *err, size_t errlen)
{
    const char *key = NULL;
    if (cfg->onsite_days < 1 || cfg->onsite_days > 60)
        key = "onsite_days";
    else if (cfg->letter_days < 1 || cfg->letter_days > 60)
        key = "letter_days";
    if (!key)
        return 0;
    if (err && errlen)
        snprintf (err, errlen, "%s: must be 1..60 working days", key);
    return -1;
}

const char *
escalation_ladder_stage_name (escalation_ladder_stage_t stage)
{
    switch (stage) {
    case ESCALATION_LADDER_ONSITE:
        return "onsite_meeting";
    case ESCALATION_LADDER_LETTER:
        return "supervision_letter";
    case ESCALATION_LADDER_SPECIAL:
        return "special_meeting";
    default:
        return "";
    }
}

escalation_ladder_stage_t
escalation_ladder_stage_parse (const char *name)
{
    for (int s = ESCALATION_LADDER_ONSITE; s <= ESCALATION_LADDER_SPECIAL; s++)
        if (name && strcmp (name, escalation_ladder_stage_name ((escalation_ladder_stage_t)s)) == 0)
            return (escalation_ladder_stage_t)s;
    return ESCALATION_LADDER_NONE;
}

const char *
escalation_ladder_letter_name (escalation_ladder_letter_t letter)
{
    switch (letter) {
    case ESCALATION_LADDER_LETTER_ISSUED:
        return "issued";
    case ESCALATION_LADDER_LETTER_SIGNED:
        return "signed";
    case ESCALATION_LADDER_LETTER_FEEDBACK:
        return "feedback";
    default:
        return "";
    }
}

escalation_ladder_letter_t
escalation_ladder_letter_parse (const char *name)
{
    for (int l = ESCALATION_LADDER_LETTER_ISSUED; l <= ESCALATION_LADDER_LETTER_FEEDBACK; l++)
        if (name
            && strcmp (name, escalation_ladder_letter_name ((escalation_ladder_letter_t)l)) == 0)
            return (escalation_ladder_letter_t)l;
    return ESCALATION_LADDER_LETTER_NONE;
}

const char *
escalation_ladder_op_name (escalation_ladder_op_t op)
{
    switch (op) {
    case ESCALATION_LADDER_OP_MEETING:
        return "meeting";
    case ESCALATION_LADDER_OP_SIGN:
        return "sign";
    case ESCALATION_LADDER_OP_FEEDBACK:
        return "feedback";
    case ESCALATION_LADDER_OP_REVIEW:
        return "review";
    case ESCALATION_LADDER_OP_EXTEND:
        return "extend";
    case ESCALATION_LADDER_OP_GRANT:
        return "grant";
    case ESCALATION_LADDER_OP_REFUSE:
        return "refuse";
    case ESCALATION_LADDER_OP_ESCALATE:
        return "escalate";
    case ESCALATION_LADDER_OP_CLOSE:
        return "close";
    case ESCALATION_LADDER_OP_RESOLVE:
        return "resolve";
    default:
        return "unknown";
    }
}

/* ------------------------------------------------------------- helpers */

/* End of the n-th working day after the local day of at. */
static int64_t
s_due (const escalation_ladder_calendar_t *cal, int64_t at, int n)
{
    int32_t day = cal->add_workdays (cal->ctx, cal->local_day (cal->ctx, at), n);
    return cal->day_end (cal->ctx, day);
}

static void
s_step_init (escalation_ladder_step_t *step, const escalation_ladder_case_t *c, int64_t at)
{
    memset (step, 0, sizeof *step);
    step->at = at;
    if (c) {
        step->from = step->to = c->stage;
        step->due_before = c->due_at;
    }
}

static int s_refuse (escalation_ladder_step_t *step, const char *code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_refuse (escalation_ladder_step_t *step, const char *code, const char *fmt, ...)
{
    step->code = code;
    step->action = "refused";
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (step->message, sizeof step->message, fmt, ap);
    va_end (ap);
    return -1;
}

static void
s_close (escalation_ladder_case_t *c, int64_t at, escalation_ladder_step_t *step)
{
    c->open = false;
    c->closed_at = at;
    c->pending_extension_day = 0;
    step->closed = true;
}

/* One step up the ladder, at instant at: what a missed deadline, an
 * unresolved meeting or an operator's escalate does. */
static void
s_escalate (const escalation_ladder_config_t *cfg, const escalation_ladder_calendar_t *cal,
            escalation_ladder_case_t *c, int64_t at, escalation_ladder_step_t *step)
{
    c->missed_due_at = 0; /* a deadline step sets it again after this */
    if (c->stage == ESCALATION_LADDER_ONSITE && !c->major) {
        c->stage = ESCALATION_LADDER_LETTER;
        c->letter = ESCALATION_LADDER_LETTER_ISSUED;
        c->due_at = s_due (cal, at, cfg->letter_days);
    } else {
        /* A major problem not solved on site, or a letter gone unanswered:
         * the municipal government's special meeting (no deadline of ours). */
        c->stage = ESCALATION_LADDER_SPECIAL;
        c->due_at = 0;
    }
    if (c->pending_extension_day) {
        c->pending_extension_day = 0;
        step->extension_lapsed = true;
    }
    step->to = c->stage;
    step->stage_changed = true;
}

/* ------------------------------------------------------------- the machine */

void
escalation_ladder_open (const escalation_ladder_config_t *cfg,
                        const escalation_ladder_calendar_t *cal, int64_t at, bool major,
                        escalation_ladder_case_t *c, escalation_ladder_step_t *step)
{
    memset (c, 0, sizeof *c);
    c->stage = ESCALATION_LADDER_ONSITE;
    c->open = true;
    c->major = major;
    c->opened_at = at;
    c->due_at = s_due (cal, at, cfg->onsite_days);
    if (step) {
        s_step_init (step, NULL, at);
        step->action = "opened";
        step->from = ESCALATION_LADDER_NONE;
        step->to = ESCALATION_LADDER_ONSITE;
        step->stage_changed = true;
    }
}

static int
s_extend (const escalation_ladder_calendar_t *cal, escalation_ladder_case_t *c,
          const escalation_ladder_command_t *cmd, int64_t now, escalation_ladder_step_t *step)
{
    if (!cmd->has_reason)
        return s_refuse (step, ESCALATION_LADDER_MISSING_REASON,
                         "an extension request needs a reason");
    char date[11];
    if (c->due_at == 0) {
        if (c->missed_due_at) {
            sw_date_format (cal->local_day (cal->ctx, c->missed_due_at), date);
            return s_refuse (step, ESCALATION_LADDER_PAST_DUE,
                             "the due date %s has passed; the case is at %s now", date,
                             escalation_ladder_stage_name (c->stage));
        }
        return s_refuse (step, ESCALATION_LADDER_NO_DEADLINE, "%s has no due date to extend",
                         escalation_ladder_stage_name (c->stage));
    }
    int32_t due_day = cal->local_day (cal->ctx, c->due_at);
    sw_date_format (due_day, date);
    if (now > c->due_at)
        return s_refuse (step, ESCALATION_LADDER_PAST_DUE,
                         "the due date %s has passed: more time must be asked before it", date);
    if (c->pending_extension_day) {
        char until[11];
        sw_date_format (c->pending_extension_day, until);
        return s_refuse (step, ESCALATION_LADDER_EXTENSION_PENDING,
                         "a request for more time (until %s) waits for a decision", until);
    }
    if (cmd->until_day <= due_day)
        return s_refuse (step, ESCALATION_LADDER_BAD_UNTIL,
                         "the new date must be after the current due date %s", date);
    c->pending_extension_day = cmd->until_day;
    c->extensions_asked++;
    step->action = "extension_asked";
    return 0;
}

static int
s_letter_step (escalation_ladder_case_t *c, const escalation_ladder_command_t *cmd, int64_t now,
               escalation_ladder_step_t *step)
{
    const char *name = escalation_ladder_op_name (cmd->op);
    if (c->stage != ESCALATION_LADDER_LETTER)
        return s_refuse (step, ESCALATION_LADDER_WRONG_STAGE,
                         "%s belongs to a supervision letter; the case is at %s", name,
                         escalation_ladder_stage_name (c->stage));
    if (!cmd->has_note)
        return s_refuse (step, ESCALATION_LADDER_MISSING_NOTE, "%s needs a note", name);
    switch (cmd->op) {
    case ESCALATION_LADDER_OP_SIGN:
        if (c->letter != ESCALATION_LADDER_LETTER_ISSUED)
            return s_refuse (step, ESCALATION_LADDER_ALREADY_SIGNED,
                             "the unit has already signed for the letter");
        c->letter = ESCALATION_LADDER_LETTER_SIGNED;
        step->action = "signed";
        return 0;
    case ESCALATION_LADDER_OP_FEEDBACK:
        if (c->letter == ESCALATION_LADDER_LETTER_ISSUED)
            return s_refuse (step, ESCALATION_LADDER_NOT_SIGNED,
                             "the unit must sign for the letter before reporting back");
        if (c->letter == ESCALATION_LADDER_LETTER_FEEDBACK)
            return s_refuse (step, ESCALATION_LADDER_ALREADY_REPORTED,
                             "the unit has already reported back; the office reviews it next");
        c->letter = ESCALATION_LADDER_LETTER_FEEDBACK;
        step->action = "feedback";
        return 0;
    default: /* REVIEW */
        if (c->letter != ESCALATION_LADDER_LETTER_FEEDBACK)
            return s_refuse (step, ESCALATION_LADDER_NO_FEEDBACK,
                             "nothing to review: the unit has not reported back yet");
        step->action = "reviewed";
        s_close (c, now, step);
        return 0;
    }
}

int
escalation_ladder_apply (const escalation_ladder_config_t *cfg,
                         const escalation_ladder_calendar_t *cal, escalation_ladder_case_t *c,
                         const escalation_ladder_command_t *cmd, int64_t now,
                         escalation_ladder_step_t *step)
{
    s_step_init (step, c, now);
    if (!c)
        return s_refuse (step, ESCALATION_LADDER_UNKNOWN_CASE, "no such case");
    bool known = (cmd->op >= ESCALATION_LADDER_OP_MEETING && cmd->op <= ESCALATION_LADDER_OP_CLOSE)
                 || cmd->op == ESCALATION_LADDER_OP_RESOLVE;
    if (!known)
        return s_refuse (step, ESCALATION_LADDER_BAD_ACTION, "unknown action %d", (int)cmd->op);
    if (!c->open) {
        if (cmd->op == ESCALATION_LADDER_OP_CLOSE || cmd->op == ESCALATION_LADDER_OP_RESOLVE)
            return s_refuse (step, ESCALATION_LADDER_ALREADY_CLOSED, "the case is already closed");
        return s_refuse (step, ESCALATION_LADDER_CASE_CLOSED, "the case is closed: no more %s",
                         escalation_ladder_op_name (cmd->op));
    }
    /* Work on a copy: a refusal leaves the case as it was. */
    escalation_ladder_case_t next = *c;
    int rc = 0;
    switch (cmd->op) {
    case ESCALATION_LADDER_OP_MEETING:
        if (next.stage != ESCALATION_LADDER_ONSITE)
            return s_refuse (step, ESCALATION_LADDER_WRONG_STAGE,
                             "the on-site meeting stage is over; the case is at %s",
                             escalation_ladder_stage_name (next.stage));
        if (cmd->outcome == ESCALATION_LADDER_OUTCOME_RESOLVED) {
            step->action = "meeting_resolved";
            s_close (&next, now, step);
        } else if (cmd->outcome == ESCALATION_LADDER_OUTCOME_UNRESOLVED) {
            if (!cmd->has_unit || !cmd->has_person)
                return s_refuse (step, ESCALATION_LADDER_MISSING_RESPONSIBLE,
                                 "an unresolved meeting names the responsible unit and person");
            step->action = "meeting_unresolved";
            s_escalate (cfg, cal, &next, now, step);
        } else
            return s_refuse (step, ESCALATION_LADDER_BAD_OUTCOME,
                             "a meeting's outcome is resolved or unresolved");
        break;
    case ESCALATION_LADDER_OP_SIGN:
    case ESCALATION_LADDER_OP_FEEDBACK:
    case ESCALATION_LADDER_OP_REVIEW:
        rc = s_letter_step (&next, cmd, now, step);
        break;
    case ESCALATION_LADDER_OP_EXTEND:
        rc = s_extend (cal, &next, cmd, now, step);
        break;
    case ESCALATION_LADDER_OP_GRANT:
    case ESCALATION_LADDER_OP_REFUSE:
        if (!next.pending_extension_day)
            return s_refuse (step, ESCALATION_LADDER_NOTHING_PENDING,
                             "no request for more time is waiting");
        if (cmd->op == ESCALATION_LADDER_OP_GRANT) {
            next.due_at = cal->day_end (cal->ctx, next.pending_extension_day);
            next.extensions_granted++;
            step->action = "extension_granted";
        } else
            step->action = "extension_refused";
        next.pending_extension_day = 0;
        break;
    case ESCALATION_LADDER_OP_ESCALATE:
        if (!cmd->has_note)
            return s_refuse (step, ESCALATION_LADDER_MISSING_NOTE, "escalate needs a note");
        if (next.stage == ESCALATION_LADDER_SPECIAL)
            return s_refuse (step, ESCALATION_LADDER_TOP_STAGE,
                             "the case is at the special meeting, the top of the ladder");
        step->action = "escalated";
        s_escalate (cfg, cal, &next, now, step);
        break;
    case ESCALATION_LADDER_OP_CLOSE:
        if (!cmd->has_note)
            return s_refuse (step, ESCALATION_LADDER_MISSING_NOTE, "close needs a note");
        step->action = "closed";
        s_close (&next, now, step);
        break;
    default: /* RESOLVE */
        step->action = "resolved";
        s_close (&next, now, step);
        break;
    }
    if (rc != 0)
        return rc;
    *c = next;
    return 0;
}

int
escalation_ladder_due (const escalation_ladder_config_t *cfg,
                       const escalation_ladder_calendar_t *cal, escalation_ladder_case_t *c,
                       int64_t now, escalation_ladder_step_t *step)
{
    if (!c || !c->open || c->due_at == 0 || now <= c->due_at)
        return 0;
    int64_t at = c->due_at + 1;
    s_step_init (step, c, at);
    step->action = "deadline_passed";
    int64_t missed = c->due_at;
    if (c->stage == ESCALATION_LADDER_LETTER)
        c->letter_overdue = true;
    s_escalate (cfg, cal, c, at, step);
    c->missed_due_at = missed;
    return 1;
}
