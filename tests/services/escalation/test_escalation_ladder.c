/* Table-driven tests of escalation_ladder: every transition and refusal of
 * the supervision ladder, its deadlines, and the working-day arithmetic
 * across the sample calendar (data/jiangdong-registry.yaml: the National Day
 * holidays 2026-10-01..07 with the exchanged workdays 2026-09-27 and
 * 2026-10-10, Qingming 2026-04-06, May Day 2026-05-01..05 with 2026-05-09). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation_ladder.h"
#include "sw_calendar.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

#define EXPECT_INT(row, what, got, want)                                                     \
    do {                                                                                     \
        long long got_ = (long long) (got), want_ = (long long) (want);                      \
        if (got_ != want_)                                                                   \
            fail_msg ("%s: %s = %lld, want %lld", (row), (what), got_, want_);               \
    } while (0)

#define EXPECT_STR(row, what, got, want)                                                     \
    do {                                                                                     \
        const char *got_ = (got) ? (got) : "(null)", *want_ = (want) ? (want) : "(null)";    \
        if (strcmp (got_, want_) != 0)                                                       \
            fail_msg ("%s: %s = \"%s\", want \"%s\"", (row), (what), got_, want_);           \
    } while (0)

/* ------------------------------------------------------------- calendar */

static sw_calendar_t *s_cal;
static escalation_ladder_calendar_t s_lcal;
static escalation_ladder_config_t s_cfg;

static int32_t
s_day (const char *date)
{
    int32_t d = 0;
    if (sw_date_parse (date, &d) != 0)
        fail_msg ("bad date %s", date);
    return d;
}

static int64_t
s_at (const char *iso)
{
    int64_t ms = 0;
    if (sw_calendar_parse_instant (s_cal, iso, &ms) != 0)
        fail_msg ("bad instant %s", iso);
    return ms;
}

static int32_t
s_local_day (const void *ctx, int64_t at)
{
    return sw_calendar_local_day (ctx, at);
}

static int64_t
s_day_end (const void *ctx, int32_t day)
{
    return sw_calendar_day_end (ctx, day);
}

static int32_t
s_add_workdays (const void *ctx, int32_t day, int n)
{
    return sw_calendar_add_workdays (ctx, day, n);
}

static int
s_setup (void **state)
{
    static const char *holidays[] = {"2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05",
                                     "2026-06-19", "2026-10-01", "2026-10-02", "2026-10-05",
                                     "2026-10-06", "2026-10-07"};
    static const char *workdays[] = {"2026-05-09", "2026-09-27", "2026-10-10"};
    int32_t h[N_ELEM (holidays)], w[N_ELEM (workdays)];
    for (size_t i = 0; i < N_ELEM (holidays); i++)
        h[i] = s_day (holidays[i]);
    for (size_t i = 0; i < N_ELEM (workdays); i++)
        w[i] = s_day (workdays[i]);
    s_cal = sw_calendar_new ("Asia/Shanghai", s_day ("2026-03-01"), 3, h, N_ELEM (h), w,
                             N_ELEM (w));
    if (!s_cal)
        return -1;
    s_lcal.local_day = s_local_day;
    s_lcal.day_end = s_day_end;
    s_lcal.add_workdays = s_add_workdays;
    s_lcal.ctx = s_cal;
    escalation_ladder_config_defaults (&s_cfg);
    return 0;
}

static int
s_teardown (void **state)
{
    sw_calendar_destroy (&s_cal);
    return 0;
}

/* End of a local day, as the ladder's deadlines are. */
static int64_t
s_end (const char *date)
{
    return sw_calendar_day_end (s_cal, s_day (date));
}

/* ------------------------------------------------------------- working days */

static void
test_deadlines_sample_calendar (void **state)
{
    static const struct {
        const char *name;
        const char *opened;     /* the instant the case opens (or the letter issues) */
        bool letter;            /* false: onsite_days (2); true: letter_days (5) */
        const char *due;        /* the local day whose end is the deadline */
    } rows[] = {
        /* Friday; Saturday off, Sunday 09-27 made a working day */
        {"onsite from Fri 09-25 over the exchanged Sunday", "2026-09-25T10:00", false, "2026-09-28"},
        {"onsite from Sat 09-26 (off)", "2026-09-26T10:00", false, "2026-09-28"},
        {"onsite from Wed 09-30 over National Day", "2026-09-30T10:00", false, "2026-10-09"},
        {"onsite from a holiday (10-01)", "2026-10-01T08:00", false, "2026-10-09"},
        {"onsite from Fri 10-09 over the exchanged Saturday", "2026-10-09T17:00", false, "2026-10-12"},
        {"onsite from the exchanged Saturday 10-10", "2026-10-10T09:00", false, "2026-10-13"},
        {"onsite over Qingming (Mon 04-06 off)", "2026-04-03T09:00", false, "2026-04-08"},
        {"onsite over an ordinary weekend", "2026-03-13T09:00", false, "2026-03-17"},
        {"onsite just before local midnight", "2026-03-10T23:59:59.999", false, "2026-03-12"},
        {"onsite just after local midnight (16:00Z)", "2026-03-09T16:00:00Z", false, "2026-03-12"},
        {"letter from Fri 09-25 across National Day", "2026-09-25T10:00", true, "2026-10-08"},
        {"letter from Tue 09-29", "2026-09-29T00:00", true, "2026-10-12"},
        {"letter over May Day and its exchanged Saturday", "2026-04-30T10:00", true, "2026-05-11"},
        {"letter over Dragon Boat (06-19 off)", "2026-06-17T10:00", true, "2026-06-25"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        escalation_ladder_case_t c;
        escalation_ladder_step_t step;
        int64_t at = s_at (rows[i].opened);
        escalation_ladder_open (&s_cfg, &s_lcal, at, false, &c, &step);
        if (rows[i].letter) {
            /* an unresolved meeting at the same instant issues the letter */
            escalation_ladder_command_t cmd = {0};
            cmd.op = ESCALATION_LADDER_OP_MEETING;
            cmd.outcome = ESCALATION_LADDER_OUTCOME_UNRESOLVED;
            cmd.has_unit = cmd.has_person = true;
            EXPECT_INT (rows[i].name, "rc", escalation_ladder_apply (&s_cfg, &s_lcal, &c, &cmd, at, &step), 0);
            EXPECT_INT (rows[i].name, "stage", c.stage, ESCALATION_LADDER_LETTER);
        }
        EXPECT_INT (rows[i].name, "due_at", c.due_at, s_end (rows[i].due));
    }
}

static void
test_deadlines_configurable (void **state)
{
    escalation_ladder_config_t cfg = {1, 3};
    escalation_ladder_case_t c;
    escalation_ladder_open (&cfg, &s_lcal, s_at ("2026-09-30T10:00"), false, &c, NULL);
    assert_int_equal (c.due_at, s_end ("2026-10-08"));
    escalation_ladder_step_t step;
    assert_int_equal (escalation_ladder_due (&cfg, &s_lcal, &c, s_end ("2026-10-08") + 1, &step), 1);
    /* issued 10-09 00:00: 10-10 (exchanged Saturday), 10-12, 10-13 */
    assert_int_equal (c.due_at, s_end ("2026-10-13"));
}

/* ------------------------------------------------------------- fixtures */

typedef enum {
    FX_UNKNOWN,           /* no case at all */
    FX_ONSITE,            /* minor, opened Fri 2026-09-25 10:00, due 09-28 */
    FX_ONSITE_MAJOR,
    FX_ONSITE_PENDING,    /* minor, a request until 10-09 waiting */
    FX_LETTER,            /* letter issued Fri 09-25 10:00, due 10-08 */
    FX_LETTER_SIGNED,
    FX_LETTER_FEEDBACK,
    FX_SPECIAL,           /* reached by an unresolved major meeting */
    FX_SPECIAL_MISSED,    /* reached by an overdue letter */
    FX_CLOSED,
} s_fixture_t;

#define OPENED "2026-09-25T10:00"

static escalation_ladder_case_t *
s_fixture (s_fixture_t fx, escalation_ladder_case_t *c)
{
    if (fx == FX_UNKNOWN)
        return NULL;
    int64_t at = s_at (OPENED);
    escalation_ladder_open (&s_cfg, &s_lcal, at, fx == FX_ONSITE_MAJOR || fx == FX_SPECIAL, c, NULL);
    escalation_ladder_step_t step;
    escalation_ladder_command_t meet = {0};
    meet.op = ESCALATION_LADDER_OP_MEETING;
    meet.outcome = ESCALATION_LADDER_OUTCOME_UNRESOLVED;
    meet.has_unit = meet.has_person = true;
    escalation_ladder_command_t note = {0};
    note.has_note = true;
    switch (fx) {
    case FX_ONSITE_PENDING:
        c->pending_extension_day = s_day ("2026-10-09");
        c->extensions_asked = 1;
        break;
    case FX_LETTER_FEEDBACK:
    case FX_LETTER_SIGNED:
    case FX_LETTER:
    case FX_SPECIAL:
        assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, c, &meet, at, &step), 0);
        if (fx == FX_LETTER_SIGNED || fx == FX_LETTER_FEEDBACK) {
            note.op = ESCALATION_LADDER_OP_SIGN;
            assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, c, &note, at, &step), 0);
        }
        if (fx == FX_LETTER_FEEDBACK) {
            note.op = ESCALATION_LADDER_OP_FEEDBACK;
            assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, c, &note, at, &step), 0);
        }
        break;
    case FX_SPECIAL_MISSED:
        assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, c, &meet, at, &step), 0);
        assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, c, s_end ("2026-10-08") + 1, &step), 1);
        break;
    case FX_CLOSED:
        note.op = ESCALATION_LADDER_OP_CLOSE;
        assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, c, &note, at, &step), 0);
        break;
    default:
        break;
    }
    return c;
}

/* ------------------------------------------------------------- actions */

enum { F_NOTE = 1, F_UNIT = 2, F_PERSON = 4, F_REASON = 8 };
#define F_RESP (F_UNIT | F_PERSON)
#define SAME (-2)   /* expected due_at: unchanged */

static void
test_actions (void **state)
{
    static const struct {
        const char *name;
        s_fixture_t fx;
        escalation_ladder_op_t op;
        escalation_ladder_outcome_t outcome;
        int flags;
        const char *until;      /* EXTEND */
        const char *now;        /* NULL: the fixture's opening instant */
        /* expected */
        const char *code;       /* NULL: applied */
        const char *action;
        escalation_ladder_stage_t stage;
        bool open;
        escalation_ladder_letter_t letter;
        const char *due;        /* NULL: no deadline; "=": unchanged */
        const char *pending;    /* NULL: none */
        int asked, granted;
        bool changed, lapsed;
    } rows[] = {
        /* the on-site meeting */
        {"meeting resolved closes", FX_ONSITE, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_RESOLVED, 0, NULL, "2026-09-28T10:00",
         NULL, "meeting_resolved", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        {"meeting unresolved (minor) issues a letter", FX_ONSITE, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_UNRESOLVED, F_RESP, NULL, "2026-09-28T10:00",
         NULL, "meeting_unresolved", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "2026-10-10", NULL, 0, 0, true, false},
        {"meeting unresolved (major) calls the special meeting", FX_ONSITE_MAJOR, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_UNRESOLVED, F_RESP | F_NOTE, NULL, NULL,
         NULL, "meeting_unresolved", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, true, false},
        {"meeting unresolved drops a pending request", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_UNRESOLVED, F_RESP, NULL, NULL,
         NULL, "meeting_unresolved", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "2026-10-08", NULL, 1, 0, true, true},
        {"meeting unresolved without a person", FX_ONSITE, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_UNRESOLVED, F_UNIT, NULL, NULL,
         "missing_responsible", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"meeting unresolved without a unit", FX_ONSITE, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_UNRESOLVED, F_PERSON, NULL, NULL,
         "missing_responsible", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"meeting without an outcome", FX_ONSITE, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_NONE, F_RESP, NULL, NULL,
         "bad_outcome", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"meeting at the letter stage", FX_LETTER, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_RESOLVED, 0, NULL, NULL,
         "wrong_stage", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "=", NULL, 0, 0, false, false},
        {"meeting at the special meeting", FX_SPECIAL, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_RESOLVED, 0, NULL, NULL,
         "wrong_stage", "refused", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, false, false},
        /* the letter: sign, feedback, review */
        {"sign", FX_LETTER, ESCALATION_LADDER_OP_SIGN, 0, F_NOTE, NULL, NULL,
         NULL, "signed", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_SIGNED, "=", NULL, 0, 0, false, false},
        {"sign without a note", FX_LETTER, ESCALATION_LADDER_OP_SIGN, 0, 0, NULL, NULL,
         "missing_note", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "=", NULL, 0, 0, false, false},
        {"sign twice", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_SIGN, 0, F_NOTE, NULL, NULL,
         "already_signed", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_SIGNED, "=", NULL, 0, 0, false, false},
        {"sign on site", FX_ONSITE, ESCALATION_LADDER_OP_SIGN, 0, F_NOTE, NULL, NULL,
         "wrong_stage", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"feedback before signing", FX_LETTER, ESCALATION_LADDER_OP_FEEDBACK, 0, F_NOTE, NULL, NULL,
         "not_signed", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "=", NULL, 0, 0, false, false},
        {"feedback", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_FEEDBACK, 0, F_NOTE, NULL, NULL,
         NULL, "feedback", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_FEEDBACK, "=", NULL, 0, 0, false, false},
        {"feedback without a note", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_FEEDBACK, 0, 0, NULL, NULL,
         "missing_note", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_SIGNED, "=", NULL, 0, 0, false, false},
        {"feedback twice", FX_LETTER_FEEDBACK, ESCALATION_LADDER_OP_FEEDBACK, 0, F_NOTE, NULL, NULL,
         "already_reported", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_FEEDBACK, "=", NULL, 0, 0, false, false},
        {"review before feedback", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_REVIEW, 0, F_NOTE, NULL, NULL,
         "no_feedback", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_SIGNED, "=", NULL, 0, 0, false, false},
        {"review closes", FX_LETTER_FEEDBACK, ESCALATION_LADDER_OP_REVIEW, 0, F_NOTE, NULL, "2026-10-08T12:00",
         NULL, "reviewed", ESCALATION_LADDER_LETTER, false, ESCALATION_LADDER_LETTER_FEEDBACK, "=", NULL, 0, 0, false, false},
        {"review without a note", FX_LETTER_FEEDBACK, ESCALATION_LADDER_OP_REVIEW, 0, 0, NULL, NULL,
         "missing_note", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_FEEDBACK, "=", NULL, 0, 0, false, false},
        {"review at the special meeting", FX_SPECIAL, ESCALATION_LADDER_OP_REVIEW, 0, F_NOTE, NULL, NULL,
         "wrong_stage", "refused", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, false, false},
        /* more time */
        {"extend before the due date", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-09", "2026-09-28T18:00",
         NULL, "extension_asked", ESCALATION_LADDER_ONSITE, true, 0, "=", "2026-10-09", 1, 0, false, false},
        {"extend at the last millisecond", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-09-29", "2026-09-28T23:59:59.999",
         NULL, "extension_asked", ESCALATION_LADDER_ONSITE, true, 0, "=", "2026-09-29", 1, 0, false, false},
        {"extend after the due date", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-09", "2026-09-29T00:00",
         "past_due", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"extend a letter", FX_LETTER, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-16", "2026-10-08T09:00",
         NULL, "extension_asked", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "=", "2026-10-16", 1, 0, false, false},
        {"extend without a reason", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_NOTE, "2026-10-09", NULL,
         "missing_reason", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"extend to the due day itself", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-09-28", NULL,
         "bad_until", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"extend to an earlier day", FX_ONSITE, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-09-27", NULL,
         "bad_until", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"extend while a request waits", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-12", NULL,
         "extension_pending", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", "2026-10-09", 1, 0, false, false},
        {"extend a special meeting", FX_SPECIAL, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-30", NULL,
         "no_deadline", "refused", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, false, false},
        {"extend after the letter's due date passed", FX_SPECIAL_MISSED, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-30", "2026-10-09T09:00",
         "past_due", "refused", ESCALATION_LADDER_SPECIAL, true, ESCALATION_LADDER_LETTER_ISSUED, NULL, NULL, 0, 0, false, false},
        {"grant moves the due date", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_GRANT, 0, 0, NULL, NULL,
         NULL, "extension_granted", ESCALATION_LADDER_ONSITE, true, 0, "2026-10-09", NULL, 1, 1, false, false},
        {"grant with nothing pending", FX_ONSITE, ESCALATION_LADDER_OP_GRANT, 0, F_NOTE, NULL, NULL,
         "nothing_pending", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"refuse keeps the due date", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_REFUSE, 0, F_NOTE, NULL, NULL,
         NULL, "extension_refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 1, 0, false, false},
        {"refuse with nothing pending", FX_LETTER, ESCALATION_LADDER_OP_REFUSE, 0, 0, NULL, NULL,
         "nothing_pending", "refused", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "=", NULL, 0, 0, false, false},
        /* by hand */
        {"escalate on site (minor): letter", FX_ONSITE, ESCALATION_LADDER_OP_ESCALATE, 0, F_NOTE, NULL, "2026-09-28T10:00",
         NULL, "escalated", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "2026-10-10", NULL, 0, 0, true, false},
        {"escalate on site (major): special", FX_ONSITE_MAJOR, ESCALATION_LADDER_OP_ESCALATE, 0, F_NOTE, NULL, NULL,
         NULL, "escalated", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, true, false},
        {"escalate a letter: special, not overdue", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_ESCALATE, 0, F_NOTE, NULL, NULL,
         NULL, "escalated", ESCALATION_LADDER_SPECIAL, true, ESCALATION_LADDER_LETTER_SIGNED, NULL, NULL, 0, 0, true, false},
        {"escalate drops a pending request", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_ESCALATE, 0, F_NOTE, NULL, NULL,
         NULL, "escalated", ESCALATION_LADDER_LETTER, true, ESCALATION_LADDER_LETTER_ISSUED, "2026-10-08", NULL, 1, 0, true, true},
        {"escalate the top", FX_SPECIAL, ESCALATION_LADDER_OP_ESCALATE, 0, F_NOTE, NULL, NULL,
         "top_stage", "refused", ESCALATION_LADDER_SPECIAL, true, 0, NULL, NULL, 0, 0, false, false},
        {"escalate without a note", FX_ONSITE, ESCALATION_LADDER_OP_ESCALATE, 0, 0, NULL, NULL,
         "missing_note", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"close by hand", FX_SPECIAL, ESCALATION_LADDER_OP_CLOSE, 0, F_NOTE, NULL, NULL,
         NULL, "closed", ESCALATION_LADDER_SPECIAL, false, 0, NULL, NULL, 0, 0, false, false},
        {"close drops a pending request", FX_ONSITE_PENDING, ESCALATION_LADDER_OP_CLOSE, 0, F_NOTE, NULL, NULL,
         NULL, "closed", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 1, 0, false, false},
        {"close without a note", FX_ONSITE, ESCALATION_LADDER_OP_CLOSE, 0, 0, NULL, NULL,
         "missing_note", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"close a closed case", FX_CLOSED, ESCALATION_LADDER_OP_CLOSE, 0, F_NOTE, NULL, NULL,
         "already_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        {"sign a closed case", FX_CLOSED, ESCALATION_LADDER_OP_SIGN, 0, F_NOTE, NULL, NULL,
         "case_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        {"extend a closed case", FX_CLOSED, ESCALATION_LADDER_OP_EXTEND, 0, F_REASON, "2026-10-09", NULL,
         "case_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        {"grant on a closed case", FX_CLOSED, ESCALATION_LADDER_OP_GRANT, 0, 0, NULL, NULL,
         "case_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        {"meeting on a closed case", FX_CLOSED, ESCALATION_LADDER_OP_MEETING, ESCALATION_LADDER_OUTCOME_RESOLVED, 0, NULL, NULL,
         "case_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        /* the system's */
        {"resolved by a report", FX_LETTER_SIGNED, ESCALATION_LADDER_OP_RESOLVE, 0, 0, NULL, NULL,
         NULL, "resolved", ESCALATION_LADDER_LETTER, false, ESCALATION_LADDER_LETTER_SIGNED, "=", NULL, 0, 0, false, false},
        {"resolve a closed case", FX_CLOSED, ESCALATION_LADDER_OP_RESOLVE, 0, 0, NULL, NULL,
         "already_closed", "refused", ESCALATION_LADDER_ONSITE, false, 0, "=", NULL, 0, 0, false, false},
        /* no such thing */
        {"an unknown case", FX_UNKNOWN, ESCALATION_LADDER_OP_CLOSE, 0, F_NOTE, NULL, NULL,
         "unknown_case", "refused", 0, false, 0, NULL, NULL, 0, 0, false, false},
        {"an unknown action", FX_ONSITE, (escalation_ladder_op_t) 42, 0, F_NOTE, NULL, NULL,
         "bad_action", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
        {"no action", FX_ONSITE, ESCALATION_LADDER_OP_NONE, 0, F_NOTE, NULL, NULL,
         "bad_action", "refused", ESCALATION_LADDER_ONSITE, true, 0, "=", NULL, 0, 0, false, false},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        const char *name = rows[i].name;
        escalation_ladder_case_t store, *c = s_fixture (rows[i].fx, &store);
        escalation_ladder_case_t before;
        if (c)
            before = *c;
        escalation_ladder_command_t cmd = {0};
        cmd.op = rows[i].op;
        cmd.outcome = rows[i].outcome;
        cmd.has_note = rows[i].flags & F_NOTE;
        cmd.has_unit = rows[i].flags & F_UNIT;
        cmd.has_person = rows[i].flags & F_PERSON;
        cmd.has_reason = rows[i].flags & F_REASON;
        cmd.until_day = rows[i].until ? s_day (rows[i].until) : 0;
        int64_t now = s_at (rows[i].now ? rows[i].now : OPENED);
        escalation_ladder_step_t step;
        int rc = escalation_ladder_apply (&s_cfg, &s_lcal, c, &cmd, now, &step);
        EXPECT_INT (name, "rc", rc, rows[i].code ? -1 : 0);
        EXPECT_STR (name, "code", step.code, rows[i].code);
        EXPECT_STR (name, "action", step.action, rows[i].action);
        if (rows[i].code && !*step.message)
            fail_msg ("%s: a refusal without a message", name);
        if (!c)
            continue;
        if (rc != 0 && memcmp (&before, c, sizeof before) != 0)
            fail_msg ("%s: a refusal changed the case", name);
        EXPECT_INT (name, "stage", c->stage, rows[i].stage);
        EXPECT_INT (name, "open", c->open, rows[i].open);
        EXPECT_INT (name, "letter", c->letter, rows[i].letter);
        int64_t due = !rows[i].due ? 0 : strcmp (rows[i].due, "=") == 0 ? before.due_at : s_end (rows[i].due);
        EXPECT_INT (name, "due_at", c->due_at, due);
        EXPECT_INT (name, "pending", c->pending_extension_day, rows[i].pending ? s_day (rows[i].pending) : 0);
        EXPECT_INT (name, "asked", c->extensions_asked, rows[i].asked);
        EXPECT_INT (name, "granted", c->extensions_granted, rows[i].granted);
        EXPECT_INT (name, "stage_changed", step.stage_changed, rows[i].changed);
        EXPECT_INT (name, "lapsed", step.extension_lapsed, rows[i].lapsed);
        EXPECT_INT (name, "from", step.from, before.stage);
        EXPECT_INT (name, "to", step.to, rc == 0 ? c->stage : before.stage);
        EXPECT_INT (name, "closed", step.closed, rc == 0 && before.open && !c->open);
        EXPECT_INT (name, "closed_at", c->closed_at, c->open ? 0 : rc == 0 ? now : before.closed_at);
        EXPECT_INT (name, "letter_overdue", c->letter_overdue, before.letter_overdue);
    }
}

/* ------------------------------------------------------------- deadlines */

static void
test_due (void **state)
{
    static const struct {
        const char *name;
        s_fixture_t fx;
        const char *now;
        int rc;
        escalation_ladder_stage_t stage;
        const char *due;        /* NULL: none */
        bool overdue, lapsed;
    } rows[] = {
        {"on site, at the deadline itself", FX_ONSITE, "2026-09-28T23:59:59.999", 0, ESCALATION_LADDER_ONSITE, "2026-09-28", false, false},
        {"on site (minor), a millisecond late: letter", FX_ONSITE, "2026-09-29T00:00", 1, ESCALATION_LADDER_LETTER, "2026-10-12", false, false},
        {"on site (minor), long after: letter dated at the deadline", FX_ONSITE, "2026-10-09T15:00", 1, ESCALATION_LADDER_LETTER, "2026-10-12", false, false},
        {"on site (major), late: special meeting", FX_ONSITE_MAJOR, "2026-09-29T08:00", 1, ESCALATION_LADDER_SPECIAL, NULL, false, false},
        {"on site with a request waiting: it lapses", FX_ONSITE_PENDING, "2026-09-29T08:00", 1, ESCALATION_LADDER_LETTER, "2026-10-12", false, true},
        {"a letter before its deadline", FX_LETTER_SIGNED, "2026-10-08T20:00", 0, ESCALATION_LADDER_LETTER, "2026-10-08", false, false},
        {"a letter overdue: special meeting", FX_LETTER_SIGNED, "2026-10-09T00:00", 1, ESCALATION_LADDER_SPECIAL, NULL, true, false},
        {"a special meeting has no deadline", FX_SPECIAL, "2027-01-01T00:00", 0, ESCALATION_LADDER_SPECIAL, NULL, false, false},
        {"a closed case is never due", FX_CLOSED, "2027-01-01T00:00", 0, ESCALATION_LADDER_ONSITE, "2026-09-28", false, false},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        const char *name = rows[i].name;
        escalation_ladder_case_t store, *c = s_fixture (rows[i].fx, &store);
        escalation_ladder_case_t before = *c;
        escalation_ladder_step_t step;
        int rc = escalation_ladder_due (&s_cfg, &s_lcal, c, s_at (rows[i].now), &step);
        EXPECT_INT (name, "rc", rc, rows[i].rc);
        EXPECT_INT (name, "stage", c->stage, rows[i].stage);
        EXPECT_INT (name, "due_at", c->due_at, rows[i].due ? s_end (rows[i].due) : 0);
        EXPECT_INT (name, "letter_overdue", c->letter_overdue, rows[i].overdue);
        if (rc == 0) {
            if (memcmp (&before, c, sizeof before) != 0)
                fail_msg ("%s: nothing due, yet the case changed", name);
            continue;
        }
        EXPECT_STR (name, "action", step.action, "deadline_passed");
        EXPECT_INT (name, "at", step.at, before.due_at + 1);
        EXPECT_INT (name, "missed_due_at", c->missed_due_at, before.due_at);
        EXPECT_INT (name, "from", step.from, before.stage);
        EXPECT_INT (name, "to", step.to, c->stage);
        EXPECT_INT (name, "stage_changed", step.stage_changed, true);
        EXPECT_INT (name, "lapsed", step.extension_lapsed, rows[i].lapsed);
        EXPECT_INT (name, "pending", c->pending_extension_day, 0);
        EXPECT_INT (name, "open", c->open, true);
        /* once moved, nothing more is due at that instant */
        EXPECT_INT (name, "again", escalation_ladder_due (&s_cfg, &s_lcal, c, s_at (rows[i].now), &step), 0);
    }
}

/* Escalation down for weeks: both deadlines pass, each once, in order. */
static void
test_due_long_outage (void **state)
{
    escalation_ladder_case_t c;
    escalation_ladder_step_t step;
    escalation_ladder_open (&s_cfg, &s_lcal, s_at (OPENED), false, &c, &step);
    EXPECT_STR ("open", "action", step.action, "opened");
    EXPECT_INT ("open", "to", step.to, ESCALATION_LADDER_ONSITE);
    int64_t now = s_at ("2026-11-01T10:00");
    assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, &c, now, &step), 1);
    assert_int_equal (step.to, ESCALATION_LADDER_LETTER);
    assert_int_equal (step.at, s_end ("2026-09-28") + 1);
    assert_int_equal (c.due_at, s_end ("2026-10-12"));
    assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, &c, now, &step), 1);
    assert_int_equal (step.from, ESCALATION_LADDER_LETTER);
    assert_int_equal (step.to, ESCALATION_LADDER_SPECIAL);
    assert_int_equal (step.at, s_end ("2026-10-12") + 1);
    assert_true (c.letter_overdue);
    assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, &c, now, &step), 0);
    /* more time is refused: the date passed */
    escalation_ladder_command_t cmd = {0};
    cmd.op = ESCALATION_LADDER_OP_EXTEND;
    cmd.has_reason = true;
    cmd.until_day = s_day ("2026-11-30");
    assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, &c, &cmd, now, &step), -1);
    assert_string_equal (step.code, "past_due");
    assert_non_null (strstr (step.message, "2026-10-12"));
}

/* A granted extension moves the deadline the timer watches. */
static void
test_grant_moves_deadline (void **state)
{
    escalation_ladder_case_t c;
    escalation_ladder_step_t step;
    escalation_ladder_open (&s_cfg, &s_lcal, s_at (OPENED), false, &c, &step);
    escalation_ladder_command_t cmd = {0};
    cmd.op = ESCALATION_LADDER_OP_EXTEND;
    cmd.has_reason = true;
    cmd.until_day = s_day ("2026-10-09");
    assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, &c, &cmd, s_at ("2026-09-28T09:00"), &step), 0);
    cmd.op = ESCALATION_LADDER_OP_GRANT;
    assert_int_equal (escalation_ladder_apply (&s_cfg, &s_lcal, &c, &cmd, s_at ("2026-09-28T10:00"), &step), 0);
    assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, &c, s_at ("2026-10-09T23:00"), &step), 0);
    assert_int_equal (escalation_ladder_due (&s_cfg, &s_lcal, &c, s_at ("2026-10-10T00:00"), &step), 1);
    /* letter issued 10-10 00:00 (an exchanged Saturday): 10-12 .. 10-16 */
    assert_int_equal (c.due_at, s_end ("2026-10-16"));
    assert_int_equal (c.extensions_asked, 1);
    assert_int_equal (c.extensions_granted, 1);
}

/* ------------------------------------------------------------- the rest */

static void
test_config (void **state)
{
    escalation_ladder_config_t cfg;
    escalation_ladder_config_defaults (&cfg);
    assert_int_equal (cfg.onsite_days, 2);
    assert_int_equal (cfg.letter_days, 5);
    char err[128];
    assert_int_equal (escalation_ladder_config_validate (&cfg, err, sizeof err), 0);
    static const struct {
        int onsite, letter;
        const char *err;
    } rows[] = {
        {0, 5, "onsite_days"}, {61, 5, "onsite_days"}, {2, 0, "letter_days"},
        {2, 61, "letter_days"}, {-1, -1, "onsite_days"},
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        cfg.onsite_days = rows[i].onsite;
        cfg.letter_days = rows[i].letter;
        assert_int_equal (escalation_ladder_config_validate (&cfg, err, sizeof err), -1);
        assert_non_null (strstr (err, rows[i].err));
    }
    cfg.onsite_days = 60;
    cfg.letter_days = 1;
    assert_int_equal (escalation_ladder_config_validate (&cfg, NULL, 0), 0);
}

static void
test_names (void **state)
{
    for (int s = ESCALATION_LADDER_ONSITE; s <= ESCALATION_LADDER_SPECIAL; s++)
        assert_int_equal (escalation_ladder_stage_parse (escalation_ladder_stage_name (s)), s);
    assert_string_equal (escalation_ladder_stage_name (ESCALATION_LADDER_LETTER), "supervision_letter");
    assert_int_equal (escalation_ladder_stage_parse ("bogus"), ESCALATION_LADDER_NONE);
    assert_int_equal (escalation_ladder_stage_parse (NULL), ESCALATION_LADDER_NONE);
    for (int l = ESCALATION_LADDER_LETTER_ISSUED; l <= ESCALATION_LADDER_LETTER_FEEDBACK; l++)
        assert_int_equal (escalation_ladder_letter_parse (escalation_ladder_letter_name (l)), l);
    assert_int_equal (escalation_ladder_letter_parse (""), ESCALATION_LADDER_LETTER_NONE);
    assert_string_equal (escalation_ladder_op_name (ESCALATION_LADDER_OP_GRANT), "grant");
    assert_string_equal (escalation_ladder_op_name ((escalation_ladder_op_t) 77), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_deadlines_sample_calendar),
        cmocka_unit_test (test_deadlines_configurable),
        cmocka_unit_test (test_actions),
        cmocka_unit_test (test_due),
        cmocka_unit_test (test_due_long_outage),
        cmocka_unit_test (test_grant_moves_deadline),
        cmocka_unit_test (test_config),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
