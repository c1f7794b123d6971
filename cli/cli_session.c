/*  cli_session: one command line session. Calls to the front door (resends
    until answered, the "no answer" report), the server's clock and the zone
    calendar fetched on first need, error printing and argument scanning. */

#include "cli.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *
s_strdup (const char *s)
{
    char *p = strdup (s ? s : "");
    if (!p)
        abort ();
    return p;
}

void
cli_init (cli_t *self, const char *endpoint, bool json, int timeout_ms)
{
    memset (self, 0, sizeof *self);
    self->endpoint = endpoint;
    self->json = json;
    self->timeout_ms = timeout_ms;
}

void
cli_close (cli_t *self)
{
    sw_client_destroy (&self->client);
    sw_calendar_destroy (&self->calendar);
    free (self->clock_mode);
    free (self->clock_tz);
    self->clock_mode = self->clock_tz = NULL;
    self->have_clock = false;
}

void
cli_fail (const char *code, const char *fmt, ...)
{
    /* codes and messages often come from the server: cleaned for the
       terminal */
    va_list ap, again;
    va_start (ap, fmt);
    va_copy (again, ap);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    char *message = malloc (n < 0 ? 1 : (size_t) n + 1);
    char *head = strdup (code);
    if (!message || !head)
        abort ();
    if (n < 0)
        message[0] = 0;
    else
        vsnprintf (message, (size_t) n + 1, fmt, again);
    va_end (again);
    cli_text_clean (head);
    cli_text_clean (message);
    fprintf (stderr, "sitewatch: %s: %s\n", head, message);
    free (head);
    free (message);
}

int
cli_usage_error (const char *fmt, ...)
{
    fputs ("sitewatch: ", stderr);
    va_list ap;
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputs ("\n\n", stderr);
    cli_usage (stderr);
    return CLI_USAGE;
}

/* ------------------------------------------------------------- calls */

static void
s_no_answer (const cli_t *self)
{
    char secs[40];
    fprintf (stderr, "sitewatch: no answer from %s within %s s (is sitewatchd running?)\n",
             self->endpoint, cli_num (self->timeout_ms / 1000.0, secs));
}

int
cli_call (cli_t *self, cli_request_t *req, bool mutating, int extra_ms, cli_response_t **answer)
{
    *answer = NULL;
    if (!self->client) {
        self->client = sw_client_new (self->endpoint);
        if (!self->client)
            return cli_usage_error ("cannot use endpoint '%s' (expected e.g. %s)", self->endpoint,
                                    CLI_DEFAULT_ENDPOINT);
    }
    char *saved_id = req->request_id;
    char id[27];
    int64_t deadline = zclock_mono () + self->timeout_ms + extra_ms;
    int rc = CLI_FAILED;
    for (;;) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0) {
            s_no_answer (self);
            break;
        }
        /* Reads are resent too, less eagerly: a question sent to a server
         * that then stopped is lost, and waiting out the whole timeout for
         * it made a device stall (tests/integration/test_faults_stop.sh). */
        int every = mutating ? CLI_RESEND_MS : 3 * CLI_RESEND_MS;
        int resend = (int) (left < every ? left : every);
        cli_response_t *r = sw_client_call (self->client, req, (int) left, resend);
        if (!r) {
            s_no_answer (self);
            break;
        }
        bool later = r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK
                     && r->ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER;
        if (later && mutating) {
            /* Nothing was done: try again after the advised pause, as a new
               request (the report id, the idempotency key, stays). */
            int64_t pause = r->ack->retry_after_ms ? r->ack->retry_after_ms : CLI_RESEND_MS;
            if (zclock_mono () + pause < deadline) {
                sitewatch__v1__response__free_unpacked (r, NULL);
                zclock_sleep ((int) pause);
                sw_id_new (id);
                req->request_id = id;
                continue;
            }
        }
        if (!self->json)
            cli_text_clean_message (&r->base);
        *answer = r;
        rc = CLI_OK;
        break;
    }
    req->request_id = saved_id;
    return rc;
}

int
cli_expect (const cli_response_t *answer, Sitewatch__V1__Response__BodyCase want)
{
    if (answer->body_case == want)
        return CLI_OK;
    if (answer->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK) {
        const Sitewatch__V1__Ack *ack = answer->ack;
        const char *code = ack->code && *ack->code ? ack->code
                                                   : cli_ack_status_name (ack->status);
        cli_fail (code, "%s", ack->message && *ack->message ? ack->message
                              : "the server refused the request");
        return CLI_FAILED;
    }
    cli_fail ("unexpected_answer", "the server answered with message body %d",
              (int) answer->body_case);
    return CLI_FAILED;
}

/* ------------------------------------------------------------- clock */

static sw_calendar_t *
s_calendar (const char *tz)
{
    /* Only formatting and parsing instants is needed: period and working
       day settings do not matter here. */
    return sw_calendar_new (tz, 0, 1, NULL, 0, NULL, 0);
}

void
cli_clock_adopt (cli_t *self, const Sitewatch__V1__ClockState *state)
{
    const char *tz = state->timezone && *state->timezone ? state->timezone : CLI_DEFAULT_TZ;
    free (self->clock_mode);
    self->clock_mode = s_strdup (state->mode);
    self->clock_now = state->now;
    if (self->calendar && self->clock_tz && strcmp (self->clock_tz, tz) == 0) {
        self->have_clock = true;
        return;
    }
    sw_calendar_t *cal = s_calendar (tz);
    if (!cal) {
        /* An unknown zone on the server: still show instants, in the
           default zone, and say so. */
        fprintf (stderr, "sitewatch: warning: unknown time zone '%s', showing %s\n", tz,
                 CLI_DEFAULT_TZ);
        cal = s_calendar (CLI_DEFAULT_TZ);
        if (!cal)
            cal = s_calendar ("UTC");
    }
    if (cal) {
        sw_calendar_destroy (&self->calendar);
        self->calendar = cal;
    }
    free (self->clock_tz);
    self->clock_tz = s_strdup (tz);
    self->have_clock = self->calendar != NULL;
}

int
cli_clock (cli_t *self)
{
    if (self->have_clock)
        return CLI_OK;
    Sitewatch__V1__ClockCommand cmd = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    cmd.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cmd;
    cli_response_t *answer;
    int rc = cli_call (self, &req, false, 0, &answer);
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_CLOCK);
    if (rc == CLI_OK) {
        cli_clock_adopt (self, answer->clock);
        if (!self->have_clock) {
            cli_fail ("no_zone", "cannot load the zone calendar (is tzdata installed?)");
            rc = CLI_FAILED;
        }
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return rc;
}

int
cli_parse_instant (cli_t *self, const char *opt, const char *text, int64_t *ms)
{
    if (sw_calendar_parse_instant (self->calendar, text, ms) == 0)
        return CLI_OK;
    return cli_usage_error ("%s: '%s' is not an ISO 8601 instant (e.g. 2026-03-15T10:00:00+08:00)",
                            opt, text);
}

int
cli_check_instant (const char *opt, const char *text)
{
    sw_calendar_t *cal = s_calendar ("UTC");
    if (!cal)
        return CLI_OK;      /* no zone files: the later parse will judge */
    int64_t ms;
    int ok = sw_calendar_parse_instant (cal, text, &ms);
    sw_calendar_destroy (&cal);
    if (ok == 0)
        return CLI_OK;
    return cli_usage_error ("%s: '%s' is not an ISO 8601 instant (e.g. 2026-03-15T10:00:00+08:00)",
                            opt, text);
}

/* ------------------------------------------------------------- arguments */

cli_args_t
cli_args (int argc, char **argv, const char *cmd)
{
    cli_args_t a = {argc, argv, -1, cmd, NULL, false};
    return a;
}

bool
cli_args_next (cli_args_t *a)
{
    if (a->bad || ++a->i >= a->argc)
        return false;
    a->arg = a->argv[a->i];
    return true;
}

bool
cli_args_is (cli_args_t *a, const char *name)
{
    size_t n = strlen (name);
    return strncmp (a->arg, name, n) == 0 && (a->arg[n] == 0 || a->arg[n] == '=');
}

const char *
cli_args_value (cli_args_t *a)
{
    const char *eq = strchr (a->arg, '=');
    if (eq && strncmp (a->arg, "--", 2) == 0)
        return eq + 1;
    if (a->i + 1 < a->argc) {
        a->i++;
        return a->argv[a->i];
    }
    a->bad = true;
    cli_usage_error ("%s: option %s needs a value", a->cmd, a->arg);
    return NULL;
}

const char *
cli_args_positional (const cli_args_t *a)
{
    const char *s = a->arg;
    if (s[0] != '-' || s[1] == 0 || (s[1] >= '0' && s[1] <= '9'))
        return s;
    return NULL;
}

int
cli_args_unknown (const cli_args_t *a)
{
    if (cli_args_positional (a))
        return cli_usage_error ("%s: unexpected argument '%s'", a->cmd, a->arg);
    return cli_usage_error ("%s: unknown option %s", a->cmd, a->arg);
}

int
cli_parse_uint (const char *text, uint64_t max, uint64_t *value)
{
    if (!text || !*text)
        return -1;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned) (*p - '0');
        if (d > max || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *value = v;
    return 0;
}
