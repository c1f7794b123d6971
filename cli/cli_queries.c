/*  cli_queries: the commands that only look (status board, one project, the
    SLA record of leadership reports). Queries are sent once, without
    resends; answers are sorted for people and rendered as text or JSON. */

#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int
s_query (cli_t *self, Sitewatch__V1__Query *query, Sitewatch__V1__Response__BodyCase want,
         cli_response_t **answer)
{
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_QUERY;
    req.query = query;
    int rc = cli_call (self, &req, false, 0, answer);
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (*answer, want);
    if (rc != CLI_OK) {
        sitewatch__v1__response__free_unpacked (*answer, NULL);
        *answer = NULL;
    }
    return rc;
}

static const char *
s_str (const char *s)
{
    return s ? s : "";
}

static int
s_status_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__ProjectStatus *x = *(Sitewatch__V1__ProjectStatus *const *) a;
    const Sitewatch__V1__ProjectStatus *y = *(Sitewatch__V1__ProjectStatus *const *) b;
    int rx = cli_level_rank (x->level), ry = cli_level_rank (y->level);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp (s_str (x->project_id), s_str (y->project_id));
}

/* ------------------------------------------------------------- status */

int
cli_cmd_status (cli_t *self, int argc, char **argv)
{
    const char *level_text = NULL;
    cli_args_t a = cli_args (argc, argv, "status");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--level"))
            level_text = cli_args_value (&a);
        else
            return cli_args_unknown (&a);
    }
    if (a.bad)
        return CLI_USAGE;
    Sitewatch__V1__Level level = SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED;
    if (level_text) {
        level = cli_level_parse (level_text);
        if (level == SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED)
            return cli_usage_error ("status: --level must be green, yellow, red or not_started, "
                                    "not '%s'",
                                    level_text);
    }
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_STATUS;
    query.level = level;
    cli_response_t *answer;
    if ((rc = s_query (self, &query, SITEWATCH__V1__RESPONSE__BODY_STATUS, &answer)) != CLI_OK)
        return rc;

    /* filter here too: the board shows what was asked for, whatever the
       server did with the filter */
    const Sitewatch__V1__StatusAnswer *sa = answer->status;
    size_t n = 0;
    Sitewatch__V1__ProjectStatus **rows = calloc (sa->n_projects + 1, sizeof *rows);
    if (!rows)
        abort ();
    for (size_t i = 0; i < sa->n_projects; i++)
        if (level == SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED || sa->projects[i]->level == level)
            rows[n++] = sa->projects[i];
    if (n > 1)
        qsort (rows, n, sizeof *rows, s_status_cmp);

    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_arr_begin (j);
        for (size_t i = 0; i < n; i++)
            cli_json_status (j, self->calendar, rows[i]);
        sw_json_arr_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    }
    else {
        static const char *const headers[]
            = {"PROJECT", "LEVEL", "LAG(pp)", "PLANNED", "ACTUAL", "SINCE", "REASONS"};
        cli_table_t *table = cli_table_new (7, headers);
        size_t count[5] = {0};
        for (size_t i = 0; i < n; i++) {
            const Sitewatch__V1__ProjectStatus *st = rows[i];
            count[cli_level_rank (st->level)]++;
            char lag[48] = "-", planned[48], actual[48] = "-", since[CLI_INSTANT_LEN] = "-";
            char num[40];
            if (st->has_actual) {
                snprintf (lag, sizeof lag, "%s", cli_num (st->lag_pp, num));
                snprintf (actual, sizeof actual, "%s%%", cli_num (st->actual_pct, num));
            }
            snprintf (planned, sizeof planned, "%s%%", cli_num (st->planned_pct, num));
            if (st->since)
                cli_instant (self->calendar, st->since, since);
            char *reasons = cli_text_reasons_str (st->reasons, st->n_reasons);
            const char *cells[]
                = {s_str (st->project_id), cli_level_name (st->level), lag, planned, actual,
                   since, reasons};
            cli_table_add (table, cells);
            free (reasons);
        }
        if (n)
            cli_table_print (table, stdout);
        cli_table_destroy (&table);
        printf ("%zu project%s: %zu red, %zu yellow, %zu green, %zu not started", n,
                n == 1 ? "" : "s", count[0], count[1], count[2], count[3]);
        if (count[4])
            printf (", %zu unknown", count[4]);
        printf ("\n");
    }
    free (rows);
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}

/* ------------------------------------------------------------- project */

static int
s_report_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__Report *x = *(Sitewatch__V1__Report *const *) a;
    const Sitewatch__V1__Report *y = *(Sitewatch__V1__Report *const *) b;
    if (x->observed_at != y->observed_at)
        return x->observed_at < y->observed_at ? -1 : 1;
    if (x->received_at != y->received_at)
        return x->received_at < y->received_at ? -1 : 1;
    return strcmp (s_str (x->report_id), s_str (y->report_id));
}

static int
s_event_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__WarningEvent *x = *(Sitewatch__V1__WarningEvent *const *) a;
    const Sitewatch__V1__WarningEvent *y = *(Sitewatch__V1__WarningEvent *const *) b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    /* event ids are time-ordered */
    return strcmp (s_str (x->event_id), s_str (y->event_id));
}

static void
s_project_text (const cli_t *self, const Sitewatch__V1__ProjectAnswer *pa)
{
    const sw_calendar_t *cal = self->calendar;
    char num[40], num2[40], at[CLI_INSTANT_LEN];
    const Sitewatch__V1__ProjectDef *def = pa->def;
    if (def) {
        char start[11], end[11];
        sw_date_format (def->start_day, start);
        sw_date_format (def->end_day, end);
        printf ("%s  %s\n", s_str (def->id), s_str (def->name));
        printf ("  kind %s, state %s, %s .. %s\n", s_str (def->kind), s_str (def->state), start,
                end);
        printf ("  commissioner %s, leader %s\n", s_str (def->commissioner), s_str (def->leader));
        printf ("  unit %s, local contact %s\n", s_str (def->unit), s_str (def->local_contact));
        if (def->n_milestones) {
            printf ("  milestones:");
            for (size_t i = 0; i < def->n_milestones; i++) {
                char date[11];
                sw_date_format (def->milestones[i]->day, date);
                printf ("%s %s %s%%", i ? "," : "", date,
                        cli_num (def->milestones[i]->percent_bp / 100.0, num));
            }
            printf ("\n");
        }
    }
    const Sitewatch__V1__ProjectStatus *st = pa->status;
    if (st) {
        printf ("\nstatus: %s", cli_level_name (st->level));
        if (st->since)
            printf (" since %s", cli_instant (cal, st->since, at));
        printf ("\n  planned %s%%", cli_num (st->planned_pct, num));
        if (st->has_actual)
            printf (", actual %s%%, lag %spp", cli_num (st->actual_pct, num),
                    cli_num (st->lag_pp, num2));
        else
            printf (", no report yet");
        printf ("\n  reasons: ");
        cli_text_reasons (stdout, st->reasons, st->n_reasons);
        printf ("\n");
    }

    printf ("\nreports (%zu):\n", pa->n_reports);
    for (size_t i = 0; i < pa->n_reports; i++) {
        const Sitewatch__V1__Report *r = pa->reports[i];
        printf ("  %s  %s  %s%%  %s", cli_instant (cal, r->observed_at, at), s_str (r->report_id),
                cli_num (r->percent_bp / 100.0, num), cli_source_name (r->source));
        if (r->reporter_id && *r->reporter_id)
            printf (" %s", r->reporter_id);
        printf ("\n");
        for (size_t k = 0; k < r->n_problems; k++)
            printf ("      problem %s (%s): %s\n", s_str (r->problems[k]->problem_id),
                    cli_severity_name (r->problems[k]->severity), s_str (r->problems[k]->text));
        for (size_t k = 0; k < r->n_resolves; k++)
            printf ("      resolves %s\n", s_str (r->resolves[k]));
        if (r->legitimate_reason && *r->legitimate_reason)
            printf ("      reason: %s\n", r->legitimate_reason);
    }

    printf ("\nlevel history (%zu):\n", pa->n_history);
    for (size_t i = 0; i < pa->n_history; i++) {
        printf ("  ");
        cli_text_warning (stdout, cal, pa->history[i]);
        printf ("  (period %lld)\n", (long long) pa->history[i]->period);
    }
}

static void
s_project_json (cli_t *self, const Sitewatch__V1__ProjectAnswer *pa)
{
    sw_json_t *j = sw_json_new ();
    sw_json_obj_begin (j);
    sw_json_key (j, "project");
    if (pa->def)
        cli_json_project_def (j, pa->def);
    else
        sw_json_null (j);
    sw_json_key (j, "status");
    if (pa->status)
        cli_json_status (j, self->calendar, pa->status);
    else
        sw_json_null (j);
    sw_json_key (j, "reports");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < pa->n_reports; i++)
        cli_json_report (j, self->calendar, pa->reports[i]);
    sw_json_arr_end (j);
    sw_json_key (j, "history");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < pa->n_history; i++)
        cli_json_warning (j, self->calendar, pa->history[i]);
    sw_json_arr_end (j);
    sw_json_key (j, "cases");
    cli_project_cases (self, pa->def ? pa->def->id : "", j);
    sw_json_obj_end (j);
    cli_json_print (j);
    sw_json_destroy (&j);
}

int
cli_cmd_project (cli_t *self, int argc, char **argv)
{
    const char *id = NULL;
    cli_args_t a = cli_args (argc, argv, "project");
    while (cli_args_next (&a)) {
        if (cli_args_positional (&a) && !id)
            id = a.arg;
        else
            return cli_args_unknown (&a);
    }
    if (!id || !*id)
        return cli_usage_error ("project: which project ID?");
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_PROJECT;
    query.project_id = (char *) id;
    cli_response_t *answer;
    if ((rc = s_query (self, &query, SITEWATCH__V1__RESPONSE__BODY_PROJECT, &answer)) != CLI_OK)
        return rc;
    Sitewatch__V1__ProjectAnswer *pa = answer->project;
    /* newest last; the answer is ours to reorder */
    if (pa->n_reports > 1)
        qsort (pa->reports, pa->n_reports, sizeof *pa->reports, s_report_cmp);
    if (pa->n_history > 1)
        qsort (pa->history, pa->n_history, sizeof *pa->history, s_event_cmp);
    if (self->json)
        s_project_json (self, pa);
    else {
        s_project_text (self, pa);
        cli_project_cases (self, id, NULL);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}

/* ------------------------------------------------------------- sla */

static int
s_sla_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__SlaEntry *x = *(Sitewatch__V1__SlaEntry *const *) a;
    const Sitewatch__V1__SlaEntry *y = *(Sitewatch__V1__SlaEntry *const *) b;
    if (x->raised_at != y->raised_at)
        return x->raised_at < y->raised_at ? -1 : 1;
    return strcmp (s_str (x->report_id), s_str (y->report_id));
}

int
cli_cmd_sla (cli_t *self, int argc, char **argv)
{
    cli_args_t a = cli_args (argc, argv, "sla");
    if (cli_args_next (&a))
        return cli_args_unknown (&a);
    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_SLA;
    cli_response_t *answer;
    if ((rc = s_query (self, &query, SITEWATCH__V1__RESPONSE__BODY_SLA, &answer)) != CLI_OK)
        return rc;
    Sitewatch__V1__SlaAnswer *sla = answer->sla;
    if (sla->n_entries > 1)
        qsort (sla->entries, sla->n_entries, sizeof *sla->entries, s_sla_cmp);
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_arr_begin (j);
        for (size_t i = 0; i < sla->n_entries; i++)
            cli_json_sla_entry (j, self->calendar, sla->entries[i]);
        sw_json_arr_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    }
    else {
        static const char *const headers[] = {"PROJECT", "LEADER",    "RAISED",   "DUE",
                                              "CONFIRMED", "OUTCOME", "ATTEMPTS", "REPORT"};
        cli_table_t *table = cli_table_new (8, headers);
        size_t met = 0, missed = 0, pending = 0;
        for (size_t i = 0; i < sla->n_entries; i++) {
            const Sitewatch__V1__SlaEntry *e = sla->entries[i];
            char raised[CLI_INSTANT_LEN], due[CLI_INSTANT_LEN], confirmed[CLI_INSTANT_LEN] = "-";
            char attempts[16];
            if (e->confirmed_at)
                cli_instant (self->calendar, e->confirmed_at, confirmed);
            snprintf (attempts, sizeof attempts, "%d", e->attempts);
            const char *outcome = s_str (e->outcome);
            met += strcmp (outcome, "met") == 0;
            missed += strcmp (outcome, "missed") == 0;
            pending += strcmp (outcome, "pending") == 0;
            const char *cells[] = {s_str (e->project_id),
                                   s_str (e->leader_id),
                                   cli_instant (self->calendar, e->raised_at, raised),
                                   cli_instant (self->calendar, e->due_at, due),
                                   confirmed,
                                   outcome,
                                   attempts,
                                   s_str (e->report_id)};
            cli_table_add (table, cells);
        }
        if (sla->n_entries)
            cli_table_print (table, stdout);
        cli_table_destroy (&table);
        printf ("%zu leadership report%s: %zu met, %zu missed, %zu pending\n", sla->n_entries,
                sla->n_entries == 1 ? "" : "s", met, missed, pending);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}
