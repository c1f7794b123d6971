/*  cli_render: how answers look. Names of enums, JSON renderings (the shapes
    fixed by SPEC section 8: acknowledgements, status entries, warning events
    and their reasons, leadership reports, SLA entries) and the text forms,
    including a plain table. Pure: no sockets, no clock. */

#include "cli.h"
#include "sw_digest.h"
#include "sw_render.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- names */

const char *
cli_level_name (Sitewatch__V1__Level level)
{
    return sw_render_level_name (level);
}

int
cli_level_rank (Sitewatch__V1__Level level)
{
    switch (level) {
    case SITEWATCH__V1__LEVEL__LEVEL_RED: return 0;
    case SITEWATCH__V1__LEVEL__LEVEL_YELLOW: return 1;
    case SITEWATCH__V1__LEVEL__LEVEL_GREEN: return 2;
    case SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED: return 3;
    default: return 4;
    }
}

Sitewatch__V1__Level
cli_level_parse (const char *name)
{
    static const Sitewatch__V1__Level levels[]
        = {SITEWATCH__V1__LEVEL__LEVEL_GREEN, SITEWATCH__V1__LEVEL__LEVEL_YELLOW,
           SITEWATCH__V1__LEVEL__LEVEL_RED, SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp (name, cli_level_name (levels[i])) == 0)
            return levels[i];
    return SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED;
}

const char *
cli_source_name (Sitewatch__V1__Source source)
{
    switch (source) {
    case SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER: return "commissioner";
    case SITEWATCH__V1__SOURCE__SOURCE_UNIT: return "unit";
    case SITEWATCH__V1__SOURCE__SOURCE_LOCAL: return "local";
    default: return "unspecified";
    }
}

const char *
cli_severity_name (Sitewatch__V1__Severity severity)
{
    switch (severity) {
    case SITEWATCH__V1__SEVERITY__SEVERITY_MINOR: return "minor";
    case SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR: return "major";
    default: return "unspecified";
    }
}

const char *
cli_ack_status_name (Sitewatch__V1__Ack__Status status)
{
    switch (status) {
    case SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED: return "accepted";
    case SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE: return "duplicate";
    case SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED: return "rejected";
    case SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER: return "retry_later";
    default: return "unspecified";
    }
}

/* ------------------------------------------------------------- scalars */

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

const char *
cli_instant (const sw_calendar_t *cal, int64_t ms, char *buf)
{
    if (!cal || sw_calendar_format_instant (cal, ms, buf, CLI_INSTANT_LEN) < 0)
        snprintf (buf, CLI_INSTANT_LEN, "@%lld", (long long) ms);
    return buf;
}

const char *
cli_num (double value, char *buf)
{
    return sw_json_num_format (value, buf, 40);
}

void
cli_json_instant (sw_json_t *j, const sw_calendar_t *cal, int64_t ms)
{
    sw_render_json_instant (j, cal, ms);
}

void
cli_json_instant_opt (sw_json_t *j, const sw_calendar_t *cal, int64_t ms)
{
    if (ms == 0)
        sw_json_null (j);
    else
        cli_json_instant (j, cal, ms);
}

void
cli_json_date (sw_json_t *j, int32_t day)
{
    sw_render_json_date (j, day);
}

/* A forecast finish that never comes (ES = 0) travels as day 0 or the
   largest day; neither is a real date. */
static bool
s_finish_never (int32_t day)
{
    return day == 0 || day == INT32_MAX;
}

/* ------------------------------------------------------------- JSON */

/* Warning events, their reasons and leadership reports: the shapes shared
   with the leadership notifier (sw_render). */

void
cli_json_reason (sw_json_t *j, const Sitewatch__V1__Reason *r)
{
    sw_render_json_reason (j, r);
}

void
cli_json_reasons (sw_json_t *j, Sitewatch__V1__Reason *const *reasons, size_t n)
{
    sw_render_json_reasons (j, reasons, n);
}

static void
s_key_str (sw_json_t *j, const char *key, const char *value)
{
    sw_json_key (j, key);
    sw_json_str (j, s_str (value));
}

void
cli_json_warning (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__WarningEvent *ev)
{
    sw_render_json_warning (j, cal, ev);
}

void
cli_json_leadership (sw_json_t *j, const sw_calendar_t *cal,
                     const Sitewatch__V1__LeadershipReport *lr)
{
    sw_render_json_leadership (j, cal, lr);
}

void
cli_json_status (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__ProjectStatus *st)
{
    sw_json_obj_begin (j);
    s_key_str (j, "project_id", st->project_id);
    s_key_str (j, "level", cli_level_name (st->level));
    sw_json_key (j, "reasons");
    cli_json_reasons (j, st->reasons, st->n_reasons);
    sw_json_key (j, "lag_pp");
    if (st->has_actual)
        sw_json_num (j, st->lag_pp);
    else
        sw_json_null (j);
    sw_json_key (j, "since");
    cli_json_instant_opt (j, cal, st->since);
    s_key_str (j, "name", st->name);
    sw_json_key (j, "planned_pct");
    sw_json_num (j, st->planned_pct);
    sw_json_key (j, "actual_pct");
    if (st->has_actual)
        sw_json_num (j, st->actual_pct);
    else
        sw_json_null (j);
    s_key_str (j, "commissioner", st->commissioner);
    s_key_str (j, "leader", st->leader);
    s_key_str (j, "state", st->state);
    sw_json_key (j, "last_report_at");
    cli_json_instant_opt (j, cal, st->last_report_at);
    sw_json_obj_end (j);
}

void
cli_json_ack (sw_json_t *j, const Sitewatch__V1__Ack *ack)
{
    sw_json_obj_begin (j);
    s_key_str (j, "report_id", ack->report_id);
    s_key_str (j, "status", cli_ack_status_name (ack->status));
    s_key_str (j, "code", ack->code);
    s_key_str (j, "message", ack->message);
    sw_json_obj_end (j);
}

void
cli_json_report (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__Report *r)
{
    sw_json_obj_begin (j);
    s_key_str (j, "report_id", r->report_id);
    s_key_str (j, "project_id", r->project_id);
    s_key_str (j, "reporter_id", r->reporter_id);
    s_key_str (j, "source", cli_source_name (r->source));
    sw_json_key (j, "observed_at");
    cli_json_instant (j, cal, r->observed_at);
    sw_json_key (j, "received_at");
    cli_json_instant_opt (j, cal, r->received_at);
    sw_json_key (j, "percent");
    sw_json_num (j, r->percent_bp / 100.0);
    sw_json_key (j, "problems");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < r->n_problems; i++) {
        const Sitewatch__V1__Problem *p = r->problems[i];
        sw_json_obj_begin (j);
        s_key_str (j, "problem_id", p->problem_id);
        s_key_str (j, "text", p->text);
        s_key_str (j, "severity", cli_severity_name (p->severity));
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_key (j, "resolves");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < r->n_resolves; i++)
        sw_json_str (j, s_str (r->resolves[i]));
    sw_json_arr_end (j);
    sw_json_key (j, "legitimate_reason");
    if (r->legitimate_reason && *r->legitimate_reason)
        sw_json_str (j, r->legitimate_reason);
    else
        sw_json_null (j);
    sw_json_obj_end (j);
}

void
cli_json_project_def (sw_json_t *j, const Sitewatch__V1__ProjectDef *def)
{
    sw_json_obj_begin (j);
    s_key_str (j, "id", def->id);
    s_key_str (j, "name", def->name);
    s_key_str (j, "kind", def->kind);
    s_key_str (j, "state", def->state);
    s_key_str (j, "commissioner", def->commissioner);
    s_key_str (j, "unit", def->unit);
    s_key_str (j, "local_contact", def->local_contact);
    s_key_str (j, "leader", def->leader);
    sw_json_key (j, "start");
    cli_json_date (j, def->start_day);
    sw_json_key (j, "end");
    cli_json_date (j, def->end_day);
    sw_json_key (j, "milestones");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < def->n_milestones; i++) {
        sw_json_obj_begin (j);
        sw_json_key (j, "date");
        cli_json_date (j, def->milestones[i]->day);
        sw_json_key (j, "percent");
        sw_json_num (j, def->milestones[i]->percent_bp / 100.0);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_obj_end (j);
}

void
cli_json_sla_entry (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__SlaEntry *e)
{
    sw_json_obj_begin (j);
    s_key_str (j, "project_id", e->project_id);
    s_key_str (j, "leader_id", e->leader_id);
    s_key_str (j, "report_id", e->report_id);
    sw_json_key (j, "raised_at");
    cli_json_instant (j, cal, e->raised_at);
    sw_json_key (j, "due_at");
    cli_json_instant (j, cal, e->due_at);
    sw_json_key (j, "confirmed_at");
    cli_json_instant_opt (j, cal, e->confirmed_at);
    s_key_str (j, "outcome", e->outcome);
    sw_json_key (j, "attempts");
    sw_json_int (j, e->attempts);
    sw_json_obj_end (j);
}

void
cli_json_published (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__Published *msg)
{
    sw_json_obj_begin (j);
    sw_json_key (j, "seq");
    sw_json_int (j, msg->seq > INT64_MAX ? INT64_MAX : (int64_t) msg->seq);
    s_key_str (j, "topic", msg->topic);
    sw_json_key (j, "at");
    cli_json_instant_opt (j, cal, msg->at);
    sw_json_key (j, "event");
    if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_WARNING && msg->warning)
        cli_json_warning (j, cal, msg->warning);
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_LEADERSHIP && msg->leadership)
        cli_json_leadership (j, cal, msg->leadership);
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_CASE_EVENT && msg->case_event)
        cli_json_case_event (j, cal, msg->case_event);
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_DIGEST && msg->digest)
        sw_digest_json (j, cal, msg->digest);
    else
        sw_json_null (j);
    sw_json_obj_end (j);
}

void
cli_json_print (const sw_json_t *j)
{
    fwrite (sw_json_text (j), 1, sw_json_len (j), stdout);
    fputc ('\n', stdout);
    fflush (stdout);
}

/* ------------------------------------------------------------- text */

void
cli_text_reason (FILE *out, const Sitewatch__V1__Reason *r)
{
    const char *code = s_str (r->code);
    char num[40];
    fputs (*code ? code : "?", out);
    if (s_is (code, "lag") || s_is (code, "serious_lag"))
        fprintf (out, "(lag %spp)", cli_num (r->lag_pp, num));
    else if (s_is (code, "forecast_late")) {
        if (s_finish_never (r->forecast_finish_day))
            fputs ("(finish never)", out);
        else {
            char date[11];
            sw_date_format (r->forecast_finish_day, date);
            fprintf (out, "(finish %s)", date);
        }
    }
    else if (s_is (code, "no_report") || s_is (code, "consecutive_yellow"))
        fprintf (out, "(period %lld)", (long long) r->period);
    else if (r->problem_id && *r->problem_id) {
        if (r->detail && *r->detail)
            fprintf (out, "(%s: %s)", r->problem_id, r->detail);
        else
            fprintf (out, "(%s)", r->problem_id);
    }
    else if (r->detail && *r->detail)
        fprintf (out, "(%s)", r->detail);
}

void
cli_text_reasons (FILE *out, Sitewatch__V1__Reason *const *reasons, size_t n)
{
    if (n == 0)
        fputs ("-", out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs (", ", out);
        cli_text_reason (out, reasons[i]);
    }
}

char *
cli_text_reasons_str (Sitewatch__V1__Reason *const *reasons, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&text, &len);
    if (!mem)
        abort ();
    cli_text_reasons (mem, reasons, n);
    fclose (mem);
    return text;
}

void
cli_text_warning (FILE *out, const sw_calendar_t *cal, const Sitewatch__V1__WarningEvent *ev)
{
    char at[CLI_INSTANT_LEN];
    fprintf (out, "%s %s->%s ", cli_instant (cal, ev->at, at), cli_level_name (ev->from),
             cli_level_name (ev->to));
    cli_text_reasons (out, ev->reasons, ev->n_reasons);
}

void
cli_text_ack (FILE *out, const Sitewatch__V1__Ack *ack)
{
    fputs (cli_ack_status_name (ack->status), out);
    if (ack->report_id && *ack->report_id)
        fprintf (out, " %s", ack->report_id);
    bool code = ack->code && *ack->code, message = ack->message && *ack->message;
    if (code || message)
        fputc (':', out);
    if (code)
        fprintf (out, " %s%s", ack->code, message ? ":" : "");
    if (message)
        fprintf (out, " %s", ack->message);
}

void
cli_text_published (FILE *out, const sw_calendar_t *cal, const Sitewatch__V1__Published *msg)
{
    char at[CLI_INSTANT_LEN];
    fprintf (out, "seq %llu %s ", (unsigned long long) msg->seq, s_str (msg->topic));
    if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_WARNING && msg->warning)
        cli_text_warning (out, cal, msg->warning);
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_LEADERSHIP && msg->leadership) {
        const Sitewatch__V1__LeadershipReport *lr = msg->leadership;
        char due[CLI_INSTANT_LEN];
        fprintf (out, "%s leadership report %s: %s to %s, due %s, attempt %d",
                 cli_instant (cal, lr->raised_at, at), s_str (lr->report_id),
                 s_str (lr->project_id), s_str (lr->leader_id),
                 cli_instant (cal, lr->due_at, due), lr->attempt);
        if (lr->event) {
            fprintf (out, " (%s->%s ", cli_level_name (lr->event->from),
                     cli_level_name (lr->event->to));
            cli_text_reasons (out, lr->event->reasons, lr->event->n_reasons);
            fputc (')', out);
        }
    }
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_CASE_EVENT && msg->case_event)
        cli_text_case_event (out, cal, msg->case_event);
    else if (msg->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_DIGEST && msg->digest)
        fprintf (out, "%s express report, period %lld: %u red, %u yellow, %u green, %u not started",
                 cli_instant (cal, msg->at, at), (long long) msg->digest->period, msg->digest->red,
                 msg->digest->yellow, msg->digest->green, msg->digest->not_started);
    else
        fprintf (out, "%s (no payload)", cli_instant (cal, msg->at, at));
}

int
cli_render_ack (const cli_t *self, const Sitewatch__V1__Ack *ack)
{
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        cli_json_ack (j, ack);
        cli_json_print (j);
        sw_json_destroy (&j);
    }
    else {
        cli_text_ack (stdout, ack);
        fputc ('\n', stdout);
        fflush (stdout);
    }
    switch (ack->status) {
    case SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED:
    case SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE:
        return CLI_OK;
    case SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER:
        cli_fail ("retry_later", "%s", ack->message && *ack->message
                                           ? ack->message
                                           : "the server is busy; nothing was done, try again later");
        return CLI_FAILED;
    default:
        cli_fail (ack->code && *ack->code ? ack->code : cli_ack_status_name (ack->status), "%s",
                  ack->message && *ack->message ? ack->message : "the server refused the request");
        return CLI_FAILED;
    }
}

/* ------------------------------------------------------------- hostile text */

void
cli_text_clean (char *s)
{
    for (unsigned char *p = (unsigned char *) s; *p; p++) {
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
        else if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
            /* U+0080..U+009F, the C1 controls (CSI among them) */
            p[0] = p[1] = '?';
            p++;
        }
    }
}

static void
s_clean_field (void *where, const ProtobufCFieldDescriptor *f)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *str = *(char **) where;
        if (str)
            cli_text_clean (str);
    }
    else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *sub = *(ProtobufCMessage **) where;
        if (sub)
            cli_text_clean_message (sub);
    }
}

void
cli_text_clean_message (ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *base = (char *) msg;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(uint32_t *) (base + f->quantifier_offset) != f->id)
                continue;       /* another member of the oneof is set */
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *) (base + f->quantifier_offset);
            char *items = *(char **) (base + f->offset);
            size_t size = f->type == PROTOBUF_C_TYPE_STRING ? sizeof (char *)
                                                            : sizeof (ProtobufCMessage *);
            for (size_t k = 0; k < n && items; k++)
                s_clean_field (items + k * size, f);
        }
        else
            s_clean_field (base + f->offset, f);
    }
}

/* ------------------------------------------------------------- table */

struct cli_table_t {
    size_t ncols;
    size_t nrows;           /* header included */
    char **cells;           /* nrows * ncols */
};

static char *
s_dup (const char *s)
{
    char *p = strdup (s ? s : "-");
    if (!p)
        abort ();
    return p;
}

/* Display width: UTF-8 code points (wide CJK glyphs count as one). */
static size_t
s_width (const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char) *s & 0xC0) != 0x80)
            w++;
    return w;
}

cli_table_t *
cli_table_new (size_t ncols, const char *const *headers)
{
    cli_table_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->ncols = ncols;
    cli_table_add (self, headers);
    return self;
}

void
cli_table_destroy (cli_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cli_table_t *self = *self_p;
    for (size_t i = 0; i < self->nrows * self->ncols; i++)
        free (self->cells[i]);
    free (self->cells);
    free (self);
    *self_p = NULL;
}

void
cli_table_add (cli_table_t *self, const char *const *cells)
{
    self->cells = realloc (self->cells, (self->nrows + 1) * self->ncols * sizeof (char *));
    if (!self->cells)
        abort ();
    for (size_t c = 0; c < self->ncols; c++)
        self->cells[self->nrows * self->ncols + c] = s_dup (cells[c]);
    self->nrows++;
}

void
cli_table_print (const cli_table_t *self, FILE *out)
{
    size_t *width = calloc (self->ncols ? self->ncols : 1, sizeof (size_t));
    if (!width)
        abort ();
    for (size_t r = 0; r < self->nrows; r++)
        for (size_t c = 0; c < self->ncols; c++) {
            size_t w = s_width (self->cells[r * self->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < self->nrows; r++) {
        for (size_t c = 0; c < self->ncols; c++) {
            const char *cell = self->cells[r * self->ncols + c];
            fputs (cell, out);
            if (c + 1 < self->ncols)
                fprintf (out, "%*s", (int) (width[c] - s_width (cell) + 2), "");
        }
        fputc ('\n', out);
    }
    free (width);
}
