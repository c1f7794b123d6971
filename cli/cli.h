/*  cli: what the pieces of the operator command line share. A cli_t is one
    session: the options, the connection to the front door and, fetched
    lazily, the server's clock and the zone calendar used for instants. */

#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include "sitewatch.pb-c.h"
#include "sw_calendar.h"
#include "sw_client.h"
#include "sw_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses (SPEC section 8). */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

#define CLI_DEFAULT_ENDPOINT "tcp://127.0.0.1:7600"
#define CLI_DEFAULT_TZ "Asia/Shanghai"
#define CLI_TIMEOUT_MS 15000
/* Mutating requests are re-sent (same request and report ids) this often. */
#define CLI_RESEND_MS 1000

typedef Sitewatch__V1__Request cli_request_t;
typedef Sitewatch__V1__Response cli_response_t;

typedef struct {
    const char *endpoint;
    bool json;
    int timeout_ms;
    sw_client_t *client;      /* connected on the first call */
    /* from "clock show", on the first cli_clock */
    bool have_clock;
    char *clock_mode;
    char *clock_tz;           /* never empty once have_clock */
    int64_t clock_now;
    sw_calendar_t *calendar;
} cli_t;

/* ---- main.c */

/* The usage text. */
void cli_usage (FILE *out);

/* ---- cli_session.c: calls, clock, errors, argument scanning */

void cli_init (cli_t *self, const char *endpoint, bool json, int timeout_ms);
void cli_close (cli_t *self);

/* Sends req and waits up to the session timeout. Mutating requests are
   re-sent every CLI_RESEND_MS and, when answered retry_later, tried again
   after the advised pause while time remains. Returns CLI_OK with *answer
   set (free with sitewatch__v1__response__free_unpacked), CLI_FAILED after
   printing "no answer ..." on stderr, or CLI_USAGE for a malformed
   endpoint. extra_ms lengthens the wait (long polls). */
int cli_call (cli_t *self, cli_request_t *req, bool mutating, int extra_ms,
              cli_response_t **answer);

/* CLI_OK when answer carries the body want; else prints the rejection
   ("sitewatch: code: message") or "unexpected answer" and returns
   CLI_FAILED. */
int cli_expect (const cli_response_t *answer, Sitewatch__V1__Response__BodyCase want);

/* Makes sure the server's clock and the zone calendar are known (one
   "clock show" the first time). CLI_OK or CLI_FAILED (reason printed). */
int cli_clock (cli_t *self);

/* Takes a clock state from an answer as the session's clock (after
   clock set/advance); rebuilds the calendar when the zone changed. */
void cli_clock_adopt (cli_t *self, const Sitewatch__V1__ClockState *state);

/* Parses an ISO 8601 instant given to option opt in the zone (needs
   cli_clock first). CLI_OK, or CLI_USAGE with the complaint printed. */
int cli_parse_instant (cli_t *self, const char *opt, const char *text, int64_t *ms);

/* Syntax check of an instant before anything is sent (the zone does not
   change what parses). CLI_OK or CLI_USAGE with the complaint printed. */
int cli_check_instant (const char *opt, const char *text);

/* "sitewatch: code: message" on stderr. */
void cli_fail (const char *code, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* "sitewatch: message" and the usage on stderr; returns CLI_USAGE. */
int cli_usage_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Scanning a command's arguments: options as "--name value" or
   "--name=value", positionals anywhere.
       cli_args_t a = cli_args (argc, argv, "report");
       while (cli_args_next (&a)) {
           if (cli_args_is (&a, "--project")) project = cli_args_value (&a);
           else if (cli_args_positional (&a)) ...
           else return cli_args_unknown (&a);
           if (a.bad) return CLI_USAGE;
       }                                                                    */
typedef struct {
    int argc;
    char **argv;
    int i;
    const char *cmd;
    const char *arg;        /* the current argument */
    bool bad;               /* a value was missing (message printed) */
} cli_args_t;

cli_args_t cli_args (int argc, char **argv, const char *cmd);
bool cli_args_next (cli_args_t *a);
/* True when the current argument is option name, alone or as name=value. */
bool cli_args_is (cli_args_t *a, const char *name);
/* The option's value (after '=' or the next argument); NULL and a.bad set,
   with a message, when there is none. */
const char *cli_args_value (cli_args_t *a);
/* The current argument when it is not an option ("-" and negative numbers
   count as positionals), else NULL. */
const char *cli_args_positional (const cli_args_t *a);
/* Complains about the current argument; returns CLI_USAGE. */
int cli_args_unknown (const cli_args_t *a);

/* Parses a whole non-negative decimal integer (no sign, no suffix) no
   larger than max. 0 / -1. */
int cli_parse_uint (const char *text, uint64_t max, uint64_t *value);

/* ---- cli_render.c: names, JSON and text renderings of answers */

const char *cli_level_name (Sitewatch__V1__Level level);
/* Sort rank for the board: red, yellow, green, not_started, others. */
int cli_level_rank (Sitewatch__V1__Level level);
/* Level by name; LEVEL_UNSPECIFIED when unknown. */
Sitewatch__V1__Level cli_level_parse (const char *name);
const char *cli_source_name (Sitewatch__V1__Source source);
const char *cli_severity_name (Sitewatch__V1__Severity severity);
const char *cli_ack_status_name (Sitewatch__V1__Ack__Status status);

/* An instant as ISO 8601 with the zone offset, or "@<ms>" when it cannot
   be formatted. buf holds at least CLI_INSTANT_LEN bytes. */
#define CLI_INSTANT_LEN 48
const char *cli_instant (const sw_calendar_t *cal, int64_t ms, char *buf);
/* A number as JSON shows it (at most two decimals). buf >= 40 bytes. */
const char *cli_num (double value, char *buf);

void cli_json_instant (sw_json_t *j, const sw_calendar_t *cal, int64_t ms);
/* null when ms is 0 (not set) */
void cli_json_instant_opt (sw_json_t *j, const sw_calendar_t *cal, int64_t ms);
void cli_json_date (sw_json_t *j, int32_t day);

void cli_json_reason (sw_json_t *j, const Sitewatch__V1__Reason *reason);
void cli_json_reasons (sw_json_t *j, Sitewatch__V1__Reason *const *reasons, size_t n);
void cli_json_warning (sw_json_t *j, const sw_calendar_t *cal,
                       const Sitewatch__V1__WarningEvent *event);
void cli_json_leadership (sw_json_t *j, const sw_calendar_t *cal,
                          const Sitewatch__V1__LeadershipReport *lr);
void cli_json_status (sw_json_t *j, const sw_calendar_t *cal,
                      const Sitewatch__V1__ProjectStatus *st);
void cli_json_ack (sw_json_t *j, const Sitewatch__V1__Ack *ack);
void cli_json_report (sw_json_t *j, const sw_calendar_t *cal, const Sitewatch__V1__Report *r);
void cli_json_project_def (sw_json_t *j, const Sitewatch__V1__ProjectDef *def);
void cli_json_sla_entry (sw_json_t *j, const sw_calendar_t *cal,
                         const Sitewatch__V1__SlaEntry *e);
/* The published message as one JSON line {"seq","topic","at","event"}. */
void cli_json_published (sw_json_t *j, const sw_calendar_t *cal,
                         const Sitewatch__V1__Published *msg);

/* Prints the document and a newline on stdout, then flushes. */
void cli_json_print (const sw_json_t *j);

/* "serious_lag(lag 18.5pp)" */
void cli_text_reason (FILE *out, const Sitewatch__V1__Reason *reason);
/* Reasons separated by ", "; "-" when there are none. */
void cli_text_reasons (FILE *out, Sitewatch__V1__Reason *const *reasons, size_t n);
/* The same as a malloc'd string (never NULL). */
char *cli_text_reasons_str (Sitewatch__V1__Reason *const *reasons, size_t n);
/* "2026-03-04T00:00:00+08:00 yellow->red serious_lag(lag 18.5pp)" */
void cli_text_warning (FILE *out, const sw_calendar_t *cal,
                       const Sitewatch__V1__WarningEvent *event);
/* "accepted R1", "rejected R1: bad_percent: ..." */
void cli_text_ack (FILE *out, const Sitewatch__V1__Ack *ack);
/* "seq 12 warning.red.JD001 <at> yellow->red serious_lag(...)" */
void cli_text_published (FILE *out, const sw_calendar_t *cal,
                         const Sitewatch__V1__Published *msg);

/* Prints an acknowledgement (text or JSON) on stdout and, when rejected or
   still retry_later, the reason on stderr. Returns the exit status. */
int cli_render_ack (const cli_t *self, const Sitewatch__V1__Ack *ack);

/* Text output must not let a hostile string drive the terminal: control
   characters (C0, DEL, C1) become '?' (tabs and newlines a space), in
   place. cli_text_clean_message does that to every string of a message,
   recursively; used on answers that are shown as text. */
void cli_text_clean (char *s);
void cli_text_clean_message (ProtobufCMessage *msg);

/* A plain text table: columns padded to their widest cell (in characters),
   the last column unpadded. */
typedef struct cli_table_t cli_table_t;
cli_table_t *cli_table_new (size_t ncols, const char *const *headers);
void cli_table_destroy (cli_table_t **self_p);
/* Copies the ncols cells of one row (NULL cells print as "-"). */
void cli_table_add (cli_table_t *self, const char *const *cells);
void cli_table_print (const cli_table_t *self, FILE *out);

/* ---- the commands: each takes the arguments after its name and returns
   the exit status. cli_commands.c: mutations; cli_queries.c: the board,
   one project, the SLA record; cli_subscribe.c: the message stream. */

int cli_cmd_registry (cli_t *self, int argc, char **argv);
int cli_cmd_report (cli_t *self, int argc, char **argv);
int cli_cmd_checkin (cli_t *self, int argc, char **argv);
int cli_cmd_clock (cli_t *self, int argc, char **argv);
int cli_cmd_reason (cli_t *self, int argc, char **argv);
int cli_cmd_status (cli_t *self, int argc, char **argv);
int cli_cmd_project (cli_t *self, int argc, char **argv);
int cli_cmd_sla (cli_t *self, int argc, char **argv);
int cli_cmd_subscribe (cli_t *self, int argc, char **argv);
/* cli_digest.c: the progress express report of a closed period. */
int cli_cmd_digest (cli_t *self, int argc, char **argv);
/* cli_cases.c: the supervision ladder: the case list, one case (timeline
   and documents), operators' actions on a case, accountability per unit. */
int cli_cmd_cases (cli_t *self, int argc, char **argv);
int cli_cmd_case (cli_t *self, int argc, char **argv);
int cli_cmd_accountability (cli_t *self, int argc, char **argv);
int cli_cmd_keygen (cli_t *self, int argc, char **argv);
/* The project's supervision cases, appended to j as a JSON array, or
 * printed as text when j is NULL (for `sitewatch project`). */
int cli_project_cases (cli_t *self, const char *project, sw_json_t *j);
/* A case event as JSON {"case_id", "project_id", "cause", "from_stage",
   "to_stage", "status", "action", "at", "due_at", "addressees", "note",
   "document_id"}, and as one line of text (for subscribe). */
void cli_json_case_event (sw_json_t *j, const sw_calendar_t *cal,
                          const Sitewatch__V1__CaseEvent *event);
void cli_text_case_event (FILE *out, const sw_calendar_t *cal,
                          const Sitewatch__V1__CaseEvent *event);

/* Parses "90m", "3d", "1d12h", "500ms" (units ms s m h d, at least one
   part, no sign) into milliseconds. 0 / -1. Exposed for the clock command
   and its checks. */
int cli_parse_duration (const char *text, int64_t *ms);

/* Parses a percentage with at most two decimals ("45", "45.5", "-3",
   "120.25") into basis points; values beyond +-1e6 are clamped (the server
   rejects them anyway). 0 / -1. */
int cli_parse_percent (const char *text, int32_t *bp);

#endif
