/*  sitewatch: the operator command line (SPEC section 8). Separates the
    global options (--endpoint, --json, --timeout; anywhere on the line) from
    the command and its arguments, and hands over to the command. */

#include "cli.h"
#include "sw_config.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

void
cli_usage (FILE *out)
{
    fputs (
        "usage: sitewatch [--endpoint E] [--json] [--timeout MS] COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  registry import FILE          load or update the registry (YAML)\n"
        "  report --project ID --percent P [--id RID] [--source commissioner|unit|local]\n"
        "         [--reporter ID] [--observed-at ISO8601] [--problem TEXT [--major]]...\n"
        "         [--resolves PROBLEM_ID]... [--reason TEXT]\n"
        "                                push one progress report (P: 0..100, two decimals);\n"
        "                                defaults: a new id, source commissioner, the\n"
        "                                project's commissioner, observed now (server clock)\n"
        "  checkin --commissioner ID --project ID [--at ISO8601]\n"
        "                                record site presence (default: now)\n"
        "  clock show | set ISO8601 | advance DURATION\n"
        "                                the manual clock; DURATION like 90m, 3d, 1d12h\n"
        "                                (units ms, s, m, h, d)\n"
        "  status [--level green|yellow|red|not_started]\n"
        "                                the board: every project, level, reasons, lag\n"
        "  project ID                    one project: registry data, status, reports,\n"
        "                                levels over time\n"
        "  reason PROJECT approve|reject [--note TEXT]\n"
        "  reason PROJECT record --text TEXT [--note TEXT]\n"
        "                                decide on, or record, a legitimate reason\n"
        "  sla                           same-day leadership reports, met and missed\n"
        "  cases [--open] [--project ID] the supervision cases (SPEC 5): stage, status, due\n"
        "  case ID                       one case: its timeline and documents (letters,\n"
        "                                special-meeting plans)\n"
        "  case ID meeting --outcome resolved|unresolved [--unit U] [--person P]\n"
        "         [--units A,B,...] [--note TEXT]\n"
        "                                record the on-site meeting (unresolved: name the\n"
        "                                responsible unit and person)\n"
        "  case ID sign|feedback|review --note TEXT\n"
        "                                the unit signs for the letter, reports back; the\n"
        "                                office reviews (closes)\n"
        "  case ID extend --until DATE --reason TEXT\n"
        "                                ask for more time, before the due date\n"
        "  case ID grant|refuse [--note TEXT]\n"
        "                                decide on a request for more time\n"
        "  case ID escalate|close --note TEXT\n"
        "                                move up the ladder, or close, by hand\n"
        "  accountability                per unit: cases, overdue letters, extensions,\n"
        "                                special meetings\n"
        "  digest [--period N] [--format json|md|html]\n"
        "                                the progress express report of a closed period\n"
        "                                (default: the latest; format md; --json = json)\n"
        "  subscribe [--from SEQ] [--no-follow] [--count N] [--idle-ms MS] [TOPIC...]\n"
        "                                stream published messages; TOPICs are prefixes\n"
        "                                (warning.red, leadership.); default from: only\n"
        "                                new messages, or 1 with --no-follow\n"
        "  keygen NAME --out DIR [--role operator|device|subscriber] [--projects \"ID ...\"]\n"
        "                                a CURVE key pair (see README: Security)\n"
        "  help                          this text\n"
        "\n"
        "global options (anywhere on the line):\n"
        "  --endpoint E    the front door (env SITEWATCH_ENDPOINT; default " CLI_DEFAULT_ENDPOINT
        ")\n"
        "  --json          machine output: one JSON document, or JSON lines for streams\n"
        "  --timeout MS    how long to wait for an answer (default 15000)\n"
        "  --help          this text\n"
        "with CURVE: SITEWATCH_CURVE_CERT (this client's secret certificate) and\n"
        "SITEWATCH_SERVER_CERT (the server's public certificate)\n"
        "\n"
        "instants are ISO 8601 (2026-03-15T10:00:00+08:00; without an offset: the\n"
        "registry's zone). exit status: 0 success, 1 rejected or failed (reason on\n"
        "stderr), 2 bad usage.\n",
        out);
}

typedef int (cli_command_fn) (cli_t *self, int argc, char **argv);

static const struct {
    const char *name;
    cli_command_fn *run;
} s_commands[] = {
    {"registry", cli_cmd_registry}, {"report", cli_cmd_report}, {"checkin", cli_cmd_checkin},
    {"clock", cli_cmd_clock},       {"status", cli_cmd_status}, {"project", cli_cmd_project},
    {"reason", cli_cmd_reason},     {"sla", cli_cmd_sla},       {"subscribe", cli_cmd_subscribe},
    {"digest", cli_cmd_digest},     {"cases", cli_cmd_cases},   {"case", cli_cmd_case},
    {"accountability", cli_cmd_accountability}, {"keygen", cli_cmd_keygen},
};

static const sw_option_t s_options[] = {
    {"endpoint", CLI_DEFAULT_ENDPOINT, "the front door", false},
    {"json", NULL, "machine output", true},
    {"timeout", "15000", "milliseconds to wait for an answer", false},
    {NULL, NULL, NULL, false},
};

static bool
s_is_opt (const char *arg, const char *name)
{
    size_t n = strlen (name);
    return strncmp (arg, name, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

static int
s_run (int argc, char **argv)
{
    /* Split the line: global options (handed to sw_config, which adds the
       environment) and the rest (the command and its own arguments). */
    char **global = calloc ((size_t) argc + 1, sizeof (char *));
    char **rest = calloc ((size_t) argc + 1, sizeof (char *));
    if (!global || !rest)
        abort ();
    int nglobal = 0, nrest = 0;
    bool help = false;
    global[nglobal++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
            help = true;
        else if (s_is_opt (a, "--json"))
            global[nglobal++] = argv[i];
        else if (s_is_opt (a, "--endpoint") || s_is_opt (a, "--timeout")) {
            global[nglobal++] = argv[i];
            if (!strchr (a, '=')) {
                if (i + 1 >= argc) {
                    free (global);
                    free (rest);
                    return cli_usage_error ("option %s needs a value", a);
                }
                global[nglobal++] = argv[++i];
            }
        }
        else
            rest[nrest++] = argv[i];
    }
    if (help) {
        cli_usage (stdout);
        free (global);
        free (rest);
        return CLI_OK;
    }

    sw_config_t *config = sw_config_new (s_options);
    char err[256];
    int rc = sw_config_load (config, nglobal, global, err, sizeof err);
    free (global);
    if (rc < 0) {
        sw_config_destroy (&config);
        free (rest);
        return cli_usage_error ("%s", err);
    }
    const char *endpoint = sw_config_get (config, "endpoint");
    if (!endpoint || !*endpoint)
        endpoint = CLI_DEFAULT_ENDPOINT;
    const char *timeout_text = sw_config_get (config, "timeout");
    uint64_t timeout = 0;
    if (timeout_text && (cli_parse_uint (timeout_text, 86400000, &timeout) != 0 || timeout == 0)) {
        rc = cli_usage_error ("--timeout: '%s' is not a number of milliseconds (1..86400000)",
                              timeout_text);
        sw_config_destroy (&config);
        free (rest);
        return rc;
    }
    if (!timeout_text)
        timeout = CLI_TIMEOUT_MS;

    if (nrest == 0)
        rc = cli_usage_error ("no command given");
    else if (strcmp (rest[0], "help") == 0) {
        cli_usage (stdout);
        rc = CLI_OK;
    }
    else {
        cli_command_fn *run = NULL;
        for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
            if (strcmp (rest[0], s_commands[i].name) == 0)
                run = s_commands[i].run;
        if (run) {
            cli_t cli;
            cli_init (&cli, endpoint, sw_config_get_bool (config, "json"), (int) timeout);
            rc = run (&cli, nrest - 1, rest + 1);
            cli_close (&cli);
        }
        else
            rc = cli_usage_error ("unknown command '%s'", rest[0]);
    }
    sw_config_destroy (&config);
    free (rest);
    return rc;
}

int
main (int argc, char **argv)
{
    /* A command line tool: let Ctrl-C end it at once instead of czmq's
       "interrupted" flag, which would leave a waiting call spinning. */
    zsys_handler_set (NULL);
    int rc = s_run (argc, argv);
    if (fflush (stdout) != 0 && rc == CLI_OK)
        rc = CLI_FAILED;
    return rc;
}
