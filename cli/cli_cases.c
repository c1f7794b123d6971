/*  cli_cases: the supervision ladder on the command line (SPEC sections 5
    and 8): the case list, one case with its timeline and documents, the
    operator's actions on a case, the accountability record per unit, and
    the rendering of case events for subscribe.

    Whether a case can take an action is known only where the case lives
    (escalation); intake acknowledges a case command once it is journaled.
    So an action is asked, then checked: the command carries a new
    command_id (its idempotency key), and after intake accepted it the
    command line reads the case back (the query's barrier makes the answer
    include the command) and finds the timeline entry with that id: the
    action applied, or "refused" with the ladder's code and message, which
    is printed with exit status 1. An unknown case is refused before
    anything is sent. */

#include "cli.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_str (const char *s)
{
    return s ? s : "";
}

static void
s_key_str (sw_json_t *j, const char *key, const char *value)
{
    sw_json_key (j, key);
    sw_json_str (j, s_str (value));
}

static void
s_key_int (sw_json_t *j, const char *key, int64_t value)
{
    sw_json_key (j, key);
    sw_json_int (j, value);
}

/* ------------------------------------------------------------- queries */

/* Asks a query; CLI_OK with *answer holding the body want, else the
   rejection is printed (e.g. "sitewatch: unknown_case: no case 'X'"). raw
   keeps the strings as sent (the caller cleans what it shows). */
static int
s_ask (cli_t *self, Sitewatch__V1__Query *query, Sitewatch__V1__Response__BodyCase want, bool raw,
       cli_response_t **answer)
{
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_QUERY;
    req.query = query;
    bool json = self->json;
    if (raw)
        self->json = true; /* cli_call cleans text answers; we clean ourselves */
    int rc = cli_call (self, &req, false, 0, answer);
    self->json = json;
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (*answer, want);
    if (rc != CLI_OK) {
        sitewatch__v1__response__free_unpacked (*answer, NULL);
        *answer = NULL;
    }
    return rc;
}

static int
s_ask_case (cli_t *self, const char *id, bool raw, cli_response_t **answer)
{
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_CASE;
    query.case_id = (char *)id;
    int rc = s_ask (self, &query, SITEWATCH__V1__RESPONSE__BODY_CASES, raw, answer);
    if (rc == CLI_OK && (*answer)->cases->n_cases != 1) {
        cli_fail ("unknown_case", "no case '%s'", id);
        sitewatch__v1__response__free_unpacked (*answer, NULL);
        *answer = NULL;
        rc = CLI_FAILED;
    }
    return rc;
}

static bool
s_overdue (const cli_t *self, const Sitewatch__V1__Case *c)
{
    return strcmp (s_str (c->status), "open") == 0 && c->due_at && self->clock_now > c->due_at;
}

/* ------------------------------------------------------------- JSON */

/* The case without its timeline and documents (SPEC 8's "cases" shape and
   more). */
static void
s_json_case_fields (sw_json_t *j, const cli_t *self, const Sitewatch__V1__Case *c)
{
    const sw_calendar_t *cal = self->calendar;
    s_key_str (j, "case_id", c->case_id);
    s_key_str (j, "project_id", c->project_id);
    s_key_str (j, "cause", c->cause);
    s_key_str (j, "stage", c->stage);
    s_key_str (j, "status", c->status);
    sw_json_key (j, "due_at");
    cli_json_instant_opt (j, cal, c->due_at);
    s_key_str (j, "severity", c->severity);
    s_key_str (j, "letter", c->sub_state);
    sw_json_key (j, "opened_at");
    cli_json_instant_opt (j, cal, c->opened_at);
    sw_json_key (j, "closed_at");
    cli_json_instant_opt (j, cal, c->closed_at);
    sw_json_key (j, "overdue");
    sw_json_bool (j, s_overdue (self, c));
    s_key_str (j, "problem", c->problem_text);
    s_key_str (j, "responsible_unit", c->responsible_unit);
    s_key_str (j, "responsible_person", c->responsible_person);
    sw_json_key (j, "units");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < c->n_units; i++)
        sw_json_str (j, c->units[i]);
    sw_json_arr_end (j);
    sw_json_key (j, "pending_extension");
    if (c->pending_extension_day) {
        sw_json_obj_begin (j);
        sw_json_key (j, "until");
        cli_json_date (j, c->pending_extension_day);
        s_key_str (j, "reason", c->pending_extension_reason);
        sw_json_obj_end (j);
    } else
        sw_json_null (j);
    s_key_int (j, "extensions_asked", c->extensions_asked);
    s_key_int (j, "extensions_granted", c->extensions_granted);
    sw_json_key (j, "letter_overdue");
    sw_json_bool (j, c->letter_overdue);
    sw_json_key (j, "missed_due_at");
    cli_json_instant_opt (j, cal, c->missed_due_at);
}

static void
s_json_case (sw_json_t *j, const cli_t *self, const Sitewatch__V1__Case *c, bool whole)
{
    sw_json_obj_begin (j);
    s_json_case_fields (j, self, c);
    if (whole) {
        sw_json_key (j, "timeline");
        sw_json_arr_begin (j);
        for (size_t i = 0; i < c->n_timeline; i++) {
            const Sitewatch__V1__CaseTimelineEntry *e = c->timeline[i];
            sw_json_obj_begin (j);
            sw_json_key (j, "at");
            cli_json_instant_opt (j, self->calendar, e->at);
            s_key_str (j, "action", e->action);
            s_key_str (j, "stage", e->stage);
            s_key_str (j, "actor", e->actor);
            s_key_str (j, "note", e->note);
            s_key_str (j, "code", e->code);
            s_key_str (j, "command_id", e->command_id);
            sw_json_obj_end (j);
        }
        sw_json_arr_end (j);
        sw_json_key (j, "documents");
        sw_json_arr_begin (j);
        for (size_t i = 0; i < c->n_documents; i++) {
            const Sitewatch__V1__CaseDocument *d = c->documents[i];
            sw_json_obj_begin (j);
            s_key_str (j, "document_id", d->document_id);
            s_key_str (j, "kind", d->kind);
            s_key_int (j, "number", d->number);
            sw_json_key (j, "issued_at");
            cli_json_instant_opt (j, self->calendar, d->issued_at);
            s_key_str (j, "markdown", d->markdown);
            sw_json_obj_end (j);
        }
        sw_json_arr_end (j);
    }
    sw_json_obj_end (j);
}

void
cli_json_case_event (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__CaseEvent *ev)
{
    sw_json_obj_begin (j);
    s_key_str (j, "case_id", ev->case_id);
    s_key_str (j, "project_id", ev->project_id);
    s_key_str (j, "cause", ev->cause);
    s_key_str (j, "from_stage", ev->from_stage);
    s_key_str (j, "to_stage", ev->to_stage);
    s_key_str (j, "status", ev->status);
    s_key_str (j, "action", ev->action);
    sw_json_key (j, "at");
    cli_json_instant_opt (j, cal, ev->at);
    sw_json_key (j, "due_at");
    cli_json_instant_opt (j, cal, ev->due_at);
    sw_json_key (j, "addressees");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < ev->n_addressees; i++)
        sw_json_str (j, ev->addressees[i]);
    sw_json_arr_end (j);
    s_key_str (j, "note", ev->note);
    s_key_str (j, "document_id", ev->document_id);
    sw_json_obj_end (j);
}

void
cli_text_case_event (FILE *out, const sw_calendar_t *cal, const Sitewatch__V1__CaseEvent *ev)
{
    char at[CLI_INSTANT_LEN], due[CLI_INSTANT_LEN];
    fprintf (out, "%s case %s %s %s: %s -> %s, %s", cli_instant (cal, ev->at, at),
             s_str (ev->case_id), s_str (ev->project_id), s_str (ev->action),
             *s_str (ev->from_stage) ? ev->from_stage : "-", s_str (ev->to_stage),
             s_str (ev->status));
    if (ev->due_at)
        fprintf (out, ", due %s", cli_instant (cal, ev->due_at, due));
    if (*s_str (ev->document_id))
        fprintf (out, ", %s", ev->document_id);
    for (size_t i = 0; i < ev->n_addressees; i++)
        fprintf (out, "%s%s", i ? ", " : " to ", ev->addressees[i]);
}

/* ------------------------------------------------------------- text */

static const char *
s_stage_text (const Sitewatch__V1__Case *c, char *buf, size_t cap)
{
    if (strcmp (s_str (c->stage), "supervision_letter") == 0 && *s_str (c->sub_state))
        snprintf (buf, cap, "%s (%s)", c->stage, c->sub_state);
    else
        snprintf (buf, cap, "%s", s_str (c->stage));
    return buf;
}

static void
s_text_case (const cli_t *self, const Sitewatch__V1__Case *c)
{
    const sw_calendar_t *cal = self->calendar;
    char at[CLI_INSTANT_LEN], stage[96];
    printf ("%s  %s  %s (%s)\n", s_str (c->case_id), s_str (c->project_id), s_str (c->cause),
            s_str (c->severity));
    printf ("  problem: %s\n", s_str (c->problem_text));
    printf ("  stage %s, %s", s_stage_text (c, stage, sizeof stage), s_str (c->status));
    if (strcmp (s_str (c->status), "open") == 0 && c->due_at)
        printf (", due %s%s", cli_instant (cal, c->due_at, at),
                s_overdue (self, c) ? " (OVERDUE)" : "");
    if (c->closed_at)
        printf (", closed %s", cli_instant (cal, c->closed_at, at));
    printf ("\n  opened %s\n", cli_instant (cal, c->opened_at, at));
    printf ("  responsible: %s / %s\n", *s_str (c->responsible_unit) ? c->responsible_unit : "-",
            *s_str (c->responsible_person) ? c->responsible_person : "-");
    if (c->n_units) {
        printf ("  units present:");
        for (size_t i = 0; i < c->n_units; i++)
            printf ("%s %s", i ? "," : "", c->units[i]);
        printf ("\n");
    }
    printf ("  extensions: %d asked, %d granted", c->extensions_asked, c->extensions_granted);
    if (c->pending_extension_day) {
        char until[11];
        sw_date_format (c->pending_extension_day, until);
        printf ("; pending until %s (%s)", until, s_str (c->pending_extension_reason));
    }
    printf ("\n");
    if (c->letter_overdue)
        printf ("  letter overdue: recorded against %s\n", s_str (c->responsible_unit));

    printf ("\ntimeline (%zu):\n", c->n_timeline);
    for (size_t i = 0; i < c->n_timeline; i++) {
        const Sitewatch__V1__CaseTimelineEntry *e = c->timeline[i];
        printf ("  %s  %-24s %-8s", cli_instant (cal, e->at, at), s_str (e->action),
                s_str (e->actor));
        if (*s_str (e->code))
            printf (" [%s]", e->code);
        if (*s_str (e->note))
            printf (" %s", e->note);
        printf ("\n");
    }
    printf ("\ndocuments (%zu):\n", c->n_documents);
    for (size_t i = 0; i < c->n_documents; i++) {
        const Sitewatch__V1__CaseDocument *d = c->documents[i];
        printf ("\n---- %s (%s, no. %lld, %s)\n\n", s_str (d->document_id), s_str (d->kind),
                (long long)d->number, cli_instant (cal, d->issued_at, at));
        /* line by line, each cleaned for the terminal */
        const char *p = s_str (d->markdown);
        while (*p) {
            const char *nl = strchr (p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen (p);
            char *line = malloc (n + 1);
            if (!line)
                abort ();
            memcpy (line, p, n);
            line[n] = 0;
            cli_text_clean (line);
            printf ("%s\n", line);
            free (line);
            p += n + (nl ? 1 : 0);
        }
    }
}

/* Cleans every string of a case for the terminal, the documents' lines
   excepted (they are cleaned line by line when shown). */
static void
s_clean_case (Sitewatch__V1__Case *c)
{
    char **saved = calloc (c->n_documents + 1, sizeof *saved);
    if (!saved)
        abort ();
    for (size_t i = 0; i < c->n_documents; i++) {
        saved[i] = c->documents[i]->markdown;
        c->documents[i]->markdown = NULL;
    }
    cli_text_clean_message (&c->base);
    for (size_t i = 0; i < c->n_documents; i++)
        c->documents[i]->markdown = saved[i];
    free (saved);
}

/* ------------------------------------------------------------- cases */

static int
s_case_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__Case *x = *(Sitewatch__V1__Case *const *)a;
    const Sitewatch__V1__Case *y = *(Sitewatch__V1__Case *const *)b;
    if (x->opened_at != y->opened_at)
        return x->opened_at < y->opened_at ? -1 : 1;
    return strcmp (s_str (x->case_id), s_str (y->case_id));
}

int
cli_cmd_cases (cli_t *self, int argc, char **argv)
{
    bool open_only = false;
    const char *project = NULL;
    cli_args_t a = cli_args (argc, argv, "cases");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--open"))
            open_only = true;
        else if (cli_args_is (&a, "--project"))
            project = cli_args_value (&a);
        else
            return cli_args_unknown (&a);
        if (a.bad)
            return CLI_USAGE;
    }
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_CASES;
    query.open_only = open_only;
    query.project_id = (char *)(project ? project : "");
    cli_response_t *answer;
    if ((rc = s_ask (self, &query, SITEWATCH__V1__RESPONSE__BODY_CASES, false, &answer)) != CLI_OK)
        return rc;
    Sitewatch__V1__CasesAnswer *ca = answer->cases;
    if (ca->n_cases > 1)
        qsort (ca->cases, ca->n_cases, sizeof *ca->cases, s_case_cmp);
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_arr_begin (j);
        for (size_t i = 0; i < ca->n_cases; i++)
            s_json_case (j, self, ca->cases[i], false);
        sw_json_arr_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    } else {
        static const char *const headers[]
            = { "CASE", "PROJECT", "CAUSE", "SEVERITY", "STAGE", "STATUS", "DUE", "UNIT" };
        cli_table_t *table = cli_table_new (8, headers);
        size_t open = 0, overdue = 0, by_stage[3] = { 0 };
        for (size_t i = 0; i < ca->n_cases; i++) {
            const Sitewatch__V1__Case *c = ca->cases[i];
            bool is_open = strcmp (s_str (c->status), "open") == 0;
            char due[CLI_INSTANT_LEN + 16] = "-", stage[96];
            if (is_open) {
                open++;
                by_stage[0] += strcmp (s_str (c->stage), "onsite_meeting") == 0;
                by_stage[1] += strcmp (s_str (c->stage), "supervision_letter") == 0;
                by_stage[2] += strcmp (s_str (c->stage), "special_meeting") == 0;
                if (c->due_at) {
                    char at[CLI_INSTANT_LEN];
                    bool late = s_overdue (self, c);
                    overdue += late;
                    snprintf (due, sizeof due, "%s%s", cli_instant (self->calendar, c->due_at, at),
                              late ? " OVERDUE" : "");
                }
            }
            const char *cells[] = { s_str (c->case_id),
                                    s_str (c->project_id),
                                    s_str (c->cause),
                                    s_str (c->severity),
                                    s_stage_text (c, stage, sizeof stage),
                                    s_str (c->status),
                                    due,
                                    s_str (c->responsible_unit) };
            cli_table_add (table, cells);
        }
        if (ca->n_cases)
            cli_table_print (table, stdout);
        cli_table_destroy (&table);
        printf ("%zu case%s: %zu open (%zu on site, %zu letter, %zu special meeting; %zu overdue), "
                "%zu closed\n",
                ca->n_cases, ca->n_cases == 1 ? "" : "s", open, by_stage[0], by_stage[1],
                by_stage[2], overdue, ca->n_cases - open);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}

/* ------------------------------------------------------------- case ID [action] */

static const struct {
    const char *name;
    Sitewatch__V1__CaseCommand__Op op;
} s_actions[] = {
    { "meeting", SITEWATCH__V1__CASE_COMMAND__OP__OP_MEETING },
    { "sign", SITEWATCH__V1__CASE_COMMAND__OP__OP_SIGN },
    { "feedback", SITEWATCH__V1__CASE_COMMAND__OP__OP_FEEDBACK },
    { "review", SITEWATCH__V1__CASE_COMMAND__OP__OP_REVIEW },
    { "extend", SITEWATCH__V1__CASE_COMMAND__OP__OP_EXTEND },
    { "grant", SITEWATCH__V1__CASE_COMMAND__OP__OP_GRANT },
    { "refuse", SITEWATCH__V1__CASE_COMMAND__OP__OP_REFUSE },
    { "escalate", SITEWATCH__V1__CASE_COMMAND__OP__OP_ESCALATE },
    { "close", SITEWATCH__V1__CASE_COMMAND__OP__OP_CLOSE },
};

static int
s_show (cli_t *self, const char *id)
{
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    cli_response_t *answer;
    if ((rc = s_ask_case (self, id, true, &answer)) != CLI_OK)
        return rc;
    Sitewatch__V1__Case *c = answer->cases->cases[0];
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        s_json_case (j, self, c, true);
        cli_json_print (j);
        sw_json_destroy (&j);
    } else {
        s_clean_case (c);
        s_text_case (self, c);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}

/* Splits "A,B, C" into trimmed, non-empty parts appended to list. */
static void
s_split_units (const char *text, char ***list, size_t *n)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len) {
            char **grown = realloc (*list, (*n + 1) * sizeof **list);
            char *item = malloc (len + 1);
            if (!grown || !item)
                abort ();
            memcpy (item, s, len);
            item[len] = 0;
            *list = grown;
            (*list)[(*n)++] = item;
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen (p);
    }
}

/* The verdict on our command: the timeline entry carrying its id. */
static const Sitewatch__V1__CaseTimelineEntry *
s_verdict (const Sitewatch__V1__Case *c, const char *command_id)
{
    for (size_t i = c->n_timeline; i-- > 0;)
        if (strcmp (s_str (c->timeline[i]->command_id), command_id) == 0)
            return c->timeline[i];
    return NULL;
}

static int
s_act (cli_t *self, const char *id, const char *action, Sitewatch__V1__CaseCommand *cmd)
{
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    /* An unknown case is refused here, before anything is journaled. */
    cli_response_t *before;
    if ((rc = s_ask_case (self, id, false, &before)) != CLI_OK)
        return rc;
    sitewatch__v1__response__free_unpacked (before, NULL);

    char command_id[27];
    sw_id_new (command_id);
    cmd->case_id = (char *)id;
    cmd->command_id = command_id;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CASE_COMMAND;
    req.case_command = cmd;
    cli_response_t *answer;
    if ((rc = cli_call (self, &req, true, 0, &answer)) != CLI_OK)
        return rc;
    if ((rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_ACK)) != CLI_OK) {
        sitewatch__v1__response__free_unpacked (answer, NULL);
        return rc;
    }
    Sitewatch__V1__Ack__Status status = answer->ack->status;
    if (status != SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED
        && status != SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE) {
        rc = cli_render_ack (self, answer->ack);
        sitewatch__v1__response__free_unpacked (answer, NULL);
        return rc;
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);

    /* Journaled; now what the case made of it. */
    cli_response_t *after;
    if ((rc = s_ask_case (self, id, false, &after)) != CLI_OK)
        return rc;
    const Sitewatch__V1__Case *c = after->cases->cases[0];
    const Sitewatch__V1__CaseTimelineEntry *e = s_verdict (c, command_id);
    bool refused = e && strcmp (s_str (e->action), "refused") == 0;
    const char *message = e ? s_str (e->note) : "";
    /* the note of a refusal reads "<action>: <message>" */
    if (refused && strncmp (message, action, strlen (action)) == 0
        && strncmp (message + strlen (action), ": ", 2) == 0)
        message += strlen (action) + 2;
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_obj_begin (j);
        s_key_str (j, "case_id", id);
        s_key_str (j, "command_id", command_id);
        s_key_str (j, "status", refused ? "rejected" : "accepted");
        s_key_str (j, "action", e ? e->action : "pending");
        s_key_str (j, "code", refused ? e->code : "");
        s_key_str (j, "message", refused ? message : e ? e->note : "not applied yet");
        sw_json_key (j, "case");
        s_json_case (j, self, c, false);
        sw_json_obj_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    } else if (refused)
        printf ("refused %s %s\n", id, action);
    else {
        char stage[96], due[CLI_INSTANT_LEN];
        printf ("%s %s: %s, %s", e ? s_str (e->action) : "accepted", id,
                s_stage_text (c, stage, sizeof stage), s_str (c->status));
        if (strcmp (s_str (c->status), "open") == 0 && c->due_at)
            printf (", due %s", cli_instant (self->calendar, c->due_at, due));
        if (!e)
            printf (" (accepted; the case has not applied it yet)");
        printf ("\n");
    }
    if (refused) {
        cli_fail (*s_str (e->code) ? e->code : "refused", "%s", message);
        rc = CLI_FAILED;
    }
    sitewatch__v1__response__free_unpacked (after, NULL);
    return rc;
}

int
cli_cmd_case (cli_t *self, int argc, char **argv)
{
    const char *pos[2] = { NULL, NULL };
    const char *outcome = NULL, *unit = NULL, *person = NULL, *note = NULL, *until = NULL,
               *reason = NULL;
    char **units = NULL;
    size_t n_units = 0;
    int npos = 0, rc = CLI_OK;
    enum {
        O_OUTCOME = 1,
        O_UNIT = 2,
        O_PERSON = 4,
        O_UNITS = 8,
        O_NOTE = 16,
        O_UNTIL = 32,
        O_REASON = 64
    };
    int given = 0;
    cli_args_t a = cli_args (argc, argv, "case");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--outcome"))
            outcome = cli_args_value (&a), given |= O_OUTCOME;
        else if (cli_args_is (&a, "--unit"))
            unit = cli_args_value (&a), given |= O_UNIT;
        else if (cli_args_is (&a, "--person"))
            person = cli_args_value (&a), given |= O_PERSON;
        else if (cli_args_is (&a, "--units")) {
            const char *v = cli_args_value (&a);
            if (v)
                s_split_units (v, &units, &n_units);
            given |= O_UNITS;
        } else if (cli_args_is (&a, "--note"))
            note = cli_args_value (&a), given |= O_NOTE;
        else if (cli_args_is (&a, "--until"))
            until = cli_args_value (&a), given |= O_UNTIL;
        else if (cli_args_is (&a, "--reason"))
            reason = cli_args_value (&a), given |= O_REASON;
        else if (cli_args_positional (&a) && npos < 2)
            pos[npos++] = a.arg;
        else {
            rc = cli_args_unknown (&a);
            goto done;
        }
        if (a.bad) {
            rc = CLI_USAGE;
            goto done;
        }
    }
    if (npos < 1 || !*pos[0]) {
        rc = cli_usage_error ("case: which case ID?");
        goto done;
    }
    if (npos == 1) {
        if (given) {
            rc = cli_usage_error ("case %s: options need an action (meeting, sign, ...)", pos[0]);
            goto done;
        }
        rc = s_show (self, pos[0]);
        goto done;
    }
    const char *action = pos[1];
    Sitewatch__V1__CaseCommand cmd = SITEWATCH__V1__CASE_COMMAND__INIT;
    for (size_t i = 0; i < sizeof s_actions / sizeof s_actions[0]; i++)
        if (strcmp (action, s_actions[i].name) == 0)
            cmd.op = s_actions[i].op;
    int allowed = O_NOTE, needed = 0;
    switch (cmd.op) {
    case SITEWATCH__V1__CASE_COMMAND__OP__OP_MEETING:
        allowed |= O_OUTCOME | O_UNIT | O_PERSON | O_UNITS;
        needed = O_OUTCOME;
        break;
    case SITEWATCH__V1__CASE_COMMAND__OP__OP_EXTEND:
        allowed |= O_UNTIL | O_REASON;
        needed = O_UNTIL | O_REASON;
        break;
    case SITEWATCH__V1__CASE_COMMAND__OP__OP_GRANT:
    case SITEWATCH__V1__CASE_COMMAND__OP__OP_REFUSE:
        break;
    case SITEWATCH__V1__CASE_COMMAND__OP__OP_UNSPECIFIED:
        rc = cli_usage_error ("case: expected meeting, sign, feedback, review, extend, grant, "
                              "refuse, escalate or close, not '%s'",
                              action);
        goto done;
    default: /* sign, feedback, review, escalate, close */
        needed = O_NOTE;
        break;
    }
    if (given & ~allowed) {
        rc = cli_usage_error ("case %s: an option given does not belong to %s", action, action);
        goto done;
    }
    if ((given & needed) != needed || (note && !*note && (needed & O_NOTE))
        || (reason && !*reason)) {
        rc = cli_usage_error ("case %s: needs %s", action,
                              cmd.op == SITEWATCH__V1__CASE_COMMAND__OP__OP_MEETING
                                  ? "--outcome resolved|unresolved"
                              : cmd.op == SITEWATCH__V1__CASE_COMMAND__OP__OP_EXTEND
                                  ? "--until DATE and --reason TEXT"
                                  : "--note TEXT");
        goto done;
    }
    if (outcome && strcmp (outcome, "resolved") != 0 && strcmp (outcome, "unresolved") != 0) {
        rc = cli_usage_error ("case meeting: --outcome must be resolved or unresolved, not '%s'",
                              outcome);
        goto done;
    }
    if (until && sw_date_parse (until, &cmd.until_day) != 0) {
        rc = cli_usage_error ("case extend: --until '%s' is not a date (YYYY-MM-DD)", until);
        goto done;
    }
    cmd.outcome = (char *)(outcome ? outcome : "");
    cmd.unit = (char *)(unit ? unit : "");
    cmd.person = (char *)(person ? person : "");
    cmd.note = (char *)(note ? note : "");
    cmd.reason = (char *)(reason ? reason : "");
    cmd.units = units;
    cmd.n_units = n_units;
    rc = s_act (self, pos[0], action, &cmd);
done:
    for (size_t i = 0; i < n_units; i++)
        free (units[i]);
    free (units);
    return rc;
}

/* ------------------------------------------------------------- accountability */

int
cli_cmd_accountability (cli_t *self, int argc, char **argv)
{
    cli_args_t a = cli_args (argc, argv, "accountability");
    if (cli_args_next (&a))
        return cli_args_unknown (&a);
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_ACCOUNTABILITY;
    cli_response_t *answer;
    int rc = s_ask (self, &query, SITEWATCH__V1__RESPONSE__BODY_ACCOUNTABILITY, false, &answer);
    if (rc != CLI_OK)
        return rc;
    const Sitewatch__V1__AccountabilityAnswer *acc = answer->accountability;
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_arr_begin (j);
        for (size_t i = 0; i < acc->n_units; i++) {
            const Sitewatch__V1__AccountabilityEntry *e = acc->units[i];
            sw_json_obj_begin (j);
            s_key_str (j, "unit", e->unit);
            s_key_int (j, "cases", e->cases);
            s_key_int (j, "overdue_letters", e->overdue_letters);
            s_key_int (j, "extensions_asked", e->extensions_asked);
            s_key_int (j, "extensions_granted", e->extensions_granted);
            s_key_int (j, "special_meetings", e->special_meetings);
            sw_json_obj_end (j);
        }
        sw_json_arr_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    } else {
        static const char *const headers[] = { "UNIT",      "CASES",       "OVERDUE LETTERS",
                                               "EXT ASKED", "EXT GRANTED", "SPECIAL MEETINGS" };
        cli_table_t *table = cli_table_new (6, headers);
        for (size_t i = 0; i < acc->n_units; i++) {
            const Sitewatch__V1__AccountabilityEntry *e = acc->units[i];
            char n[5][16];
            snprintf (n[0], sizeof n[0], "%u", e->cases);
            snprintf (n[1], sizeof n[1], "%u", e->overdue_letters);
            snprintf (n[2], sizeof n[2], "%u", e->extensions_asked);
            snprintf (n[3], sizeof n[3], "%u", e->extensions_granted);
            snprintf (n[4], sizeof n[4], "%u", e->special_meetings);
            const char *cells[] = { s_str (e->unit), n[0], n[1], n[2], n[3], n[4] };
            cli_table_add (table, cells);
        }
        if (acc->n_units)
            cli_table_print (table, stdout);
        cli_table_destroy (&table);
        printf ("%zu unit%s\n", acc->n_units, acc->n_units == 1 ? "" : "s");
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}

/* ------------------------------------------------------- for `project` */

int
cli_project_cases (cli_t *self, const char *project, sw_json_t *j)
{
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_CASES;
    query.project_id = (char *) project;
    cli_response_t *answer;
    int rc = s_ask (self, &query, SITEWATCH__V1__RESPONSE__BODY_CASES, false, &answer);
    if (rc != CLI_OK) {
        if (j)
            sw_json_null (j);
        return rc;
    }
    Sitewatch__V1__CasesAnswer *ca = answer->cases;
    if (ca->n_cases > 1)
        qsort (ca->cases, ca->n_cases, sizeof *ca->cases, s_case_cmp);
    if (j) {
        sw_json_arr_begin (j);
        for (size_t i = 0; i < ca->n_cases; i++)
            s_json_case (j, self, ca->cases[i], false);
        sw_json_arr_end (j);
    }
    else {
        printf ("\ncases (%zu):\n", ca->n_cases);
        for (size_t i = 0; i < ca->n_cases; i++) {
            const Sitewatch__V1__Case *c = ca->cases[i];
            char due[CLI_INSTANT_LEN], stage[96];
            printf ("  %s  %s  %s  %s  due %s\n", s_str (c->case_id), s_str (c->cause),
                    s_stage_text (c, stage, sizeof stage), s_str (c->status),
                    c->due_at ? cli_instant (self->calendar, c->due_at, due) : "-");
        }
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}
