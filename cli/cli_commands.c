/*  cli_commands: the commands that change something (registry import,
    report, check-in, clock, legitimate reasons). Each validates its
    arguments before anything is sent, builds one Request, sends it with
    resends (mutations are idempotent) and prints the answer. */

#include "cli.h"
#include "sw_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- parsing */

int
cli_parse_percent (const char *text, int32_t *bp)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    int64_t whole = 0, frac = 0;
    int nwhole = 0, nfrac = 0;
    for (; *p >= '0' && *p <= '9'; p++, nwhole++)
        if (whole < INT64_C (1000000000))
            whole = whole * 10 + (*p - '0');
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
            if (nfrac == 2)
                return -1;      /* basis points: two decimals at most */
            frac = frac * 10 + (*p - '0');
        }
        if (nfrac == 0)
            return -1;
    }
    if (*p || (nwhole == 0 && nfrac == 0))
        return -1;
    if (nfrac == 1)
        frac *= 10;
    if (whole >= 1000000) { /* clamped to 1e6 %, decimals included */
        whole = 1000000;
        frac = 0;
    }
    int64_t value = whole * 100 + frac;
    *bp = (int32_t) (negative ? -value : value);
    return 0;
}

int
cli_parse_duration (const char *text, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    const char *p = text;
    int64_t total = 0;
    int parts = 0;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (n > INT64_C (100000000000000))
                return -1;
            n = n * 10 + (*p - '0');
        }
        int64_t mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0] && !mult; i++) {
            size_t len = strlen (units[i].unit);
            /* "ms" is tried before "m"; a unit must not run into letters */
            if (strncmp (p, units[i].unit, len) == 0
                && !(p[len] >= 'a' && p[len] <= 'z')) {
                mult = units[i].ms;
                p += len;
            }
        }
        if (!mult || n > (INT64_MAX - total) / mult)
            return -1;
        total += n * mult;
        parts++;
    }
    if (!parts)
        return -1;
    *ms = total;
    return 0;
}

static int
s_parse_source (const char *text, Sitewatch__V1__Source *source)
{
    static const Sitewatch__V1__Source sources[]
        = {SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, SITEWATCH__V1__SOURCE__SOURCE_UNIT,
           SITEWATCH__V1__SOURCE__SOURCE_LOCAL};
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp (text, cli_source_name (sources[i])) == 0) {
            *source = sources[i];
            return 0;
        }
    return -1;
}

/* Sends a mutation whose answer is an acknowledgement and prints it. When
   the acknowledgement names no report, report_id (may be NULL) is shown. */
static int
s_send_for_ack (cli_t *self, cli_request_t *req, const char *report_id)
{
    cli_response_t *answer;
    int rc = cli_call (self, req, true, 0, &answer);
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_ACK);
    if (rc == CLI_OK) {
        Sitewatch__V1__Ack shown = *answer->ack;
        if (report_id && (!shown.report_id || !*shown.report_id))
            shown.report_id = (char *) report_id;
        rc = cli_render_ack (self, &shown);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return rc;
}

/* ------------------------------------------------------------- registry */

/* Reads a whole file of at most max bytes. NULL with errno set on failure
   (EFBIG when too large). */
static uint8_t *
s_read_file (const char *path, size_t max, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 64 * 1024, n = 0;
    uint8_t *buf = malloc (cap);
    if (!buf)
        abort ();
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc (buf, cap);
            if (!buf)
                abort ();
        }
        size_t got = fread (buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            free (buf);
            fclose (f);
            errno = EFBIG;
            return NULL;
        }
        if (got == 0)
            break;
    }
    int failed = ferror (f);
    fclose (f);
    if (failed) {
        free (buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

static void
s_import_json (const Sitewatch__V1__ImportResult *ir)
{
    sw_json_t *j = sw_json_new ();
    sw_json_obj_begin (j);
    sw_json_key (j, "applied");
    sw_json_bool (j, ir->applied);
    sw_json_key (j, "projects");
    sw_json_int (j, ir->projects);
    sw_json_key (j, "commissioners");
    sw_json_int (j, ir->commissioners);
    sw_json_key (j, "leaders");
    sw_json_int (j, ir->leaders);
    sw_json_key (j, "errors");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < ir->n_errors; i++)
        sw_json_str (j, ir->errors[i]);
    sw_json_arr_end (j);
    sw_json_key (j, "warnings");
    sw_json_arr_begin (j);
    for (size_t i = 0; i < ir->n_warnings; i++)
        sw_json_str (j, ir->warnings[i]);
    sw_json_arr_end (j);
    sw_json_obj_end (j);
    cli_json_print (j);
    sw_json_destroy (&j);
}

int
cli_cmd_registry (cli_t *self, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    cli_args_t a = cli_args (argc, argv, "registry");
    while (cli_args_next (&a)) {
        const char *p = cli_args_positional (&a);
        if (!p || npos == 2)
            return cli_args_unknown (&a);
        pos[npos++] = p;
    }
    if (npos == 0 || strcmp (pos[0], "import") != 0)
        return cli_usage_error ("registry: expected 'registry import FILE'");
    if (npos < 2)
        return cli_usage_error ("registry import: which FILE?");
    const char *path = pos[1];

    size_t len = 0;
    /* leave room in the frame for the request around the file */
    uint8_t *yaml = s_read_file (path, SW_WIRE_MAX_FRAME - 4096, &len);
    if (!yaml) {
        if (errno == EFBIG)
            cli_fail ("too_large", "%s: larger than the front door accepts (16 MiB)", path);
        else
            cli_fail ("unreadable", "%s: %s", path, strerror (errno));
        return CLI_FAILED;
    }
    Sitewatch__V1__RegistryImport ri = SITEWATCH__V1__REGISTRY_IMPORT__INIT;
    ri.yaml.data = yaml;
    ri.yaml.len = len;
    ri.filename = (char *) path;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT;
    req.registry_import = &ri;

    cli_response_t *answer;
    int rc = cli_call (self, &req, true, 0, &answer);
    free (yaml);
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_IMPORT_RESULT);
    if (rc == CLI_OK) {
        const Sitewatch__V1__ImportResult *ir = answer->import_result;
        if (self->json)
            s_import_json (ir);
        else {
            for (size_t i = 0; i < ir->n_warnings; i++)
                fprintf (stderr, "warning: %s\n", ir->warnings[i]);
            for (size_t i = 0; i < ir->n_errors; i++)
                fprintf (stderr, "error: %s\n", ir->errors[i]);
            if (ir->applied)
                printf ("imported %d projects, %d commissioners, %d leaders\n", ir->projects,
                        ir->commissioners, ir->leaders);
        }
        if (!ir->applied) {
            cli_fail ("invalid_registry", "%s not applied (%zu error%s)", path, ir->n_errors,
                      ir->n_errors == 1 ? "" : "s");
            rc = CLI_FAILED;
        }
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return rc;
}

/* ------------------------------------------------------------- report */

int
cli_cmd_report (cli_t *self, int argc, char **argv)
{
    const char *project = NULL, *percent = NULL, *id = NULL, *source_text = NULL;
    const char *reporter = NULL, *observed = NULL, *reason = NULL;
    /* at most one problem or resolve per argument pair */
    size_t cap = (size_t) argc / 2 + 1, nproblems = 0, nresolves = 0;
    Sitewatch__V1__Problem *problems = calloc (cap, sizeof *problems);
    Sitewatch__V1__Problem **problem_ptrs = calloc (cap, sizeof *problem_ptrs);
    char **resolves = calloc (cap, sizeof *resolves);
    if (!problems || !problem_ptrs || !resolves)
        abort ();
    int rc = CLI_OK;

    cli_args_t a = cli_args (argc, argv, "report");
    while (rc == CLI_OK && cli_args_next (&a)) {
        if (cli_args_is (&a, "--project"))
            project = cli_args_value (&a);
        else if (cli_args_is (&a, "--percent"))
            percent = cli_args_value (&a);
        else if (cli_args_is (&a, "--id"))
            id = cli_args_value (&a);
        else if (cli_args_is (&a, "--source"))
            source_text = cli_args_value (&a);
        else if (cli_args_is (&a, "--reporter"))
            reporter = cli_args_value (&a);
        else if (cli_args_is (&a, "--observed-at"))
            observed = cli_args_value (&a);
        else if (cli_args_is (&a, "--reason"))
            reason = cli_args_value (&a);
        else if (cli_args_is (&a, "--problem")) {
            const char *text = cli_args_value (&a);
            if (text) {
                Sitewatch__V1__Problem init = SITEWATCH__V1__PROBLEM__INIT;
                problems[nproblems] = init;
                problems[nproblems].text = (char *) text;
                problems[nproblems].severity = SITEWATCH__V1__SEVERITY__SEVERITY_MINOR;
                problem_ptrs[nproblems] = &problems[nproblems];
                nproblems++;
            }
        }
        else if (strcmp (a.arg, "--major") == 0) {
            if (nproblems == 0)
                rc = cli_usage_error ("report: --major must follow the --problem it marks");
            else
                problems[nproblems - 1].severity = SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR;
        }
        else if (cli_args_is (&a, "--resolves")) {
            const char *pid = cli_args_value (&a);
            if (pid)
                resolves[nresolves++] = (char *) pid;
        }
        else
            rc = cli_args_unknown (&a);
        if (a.bad)
            rc = CLI_USAGE;
    }

    int32_t bp = 0;
    Sitewatch__V1__Source source = SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER;
    if (rc != CLI_OK)
        ;
    else if (!project || !*project)
        rc = cli_usage_error ("report: --project ID is required");
    else if (!percent)
        rc = cli_usage_error ("report: --percent P is required");
    else if (cli_parse_percent (percent, &bp) != 0)
        rc = cli_usage_error ("report: --percent '%s' is not a number with at most two decimals",
                              percent);
    else if (source_text && s_parse_source (source_text, &source) != 0)
        rc = cli_usage_error ("report: --source must be commissioner, unit or local, not '%s'",
                              source_text);
    else if (id && !*id)
        rc = cli_usage_error ("report: --id must not be empty");
    else if (observed)
        rc = cli_check_instant ("report: --observed-at", observed);

    Sitewatch__V1__Report report = SITEWATCH__V1__REPORT__INIT;
    if (rc == CLI_OK)
        rc = cli_clock (self);
    if (rc == CLI_OK) {
        /* observed now by the server's clock, so manual-clock scripts work */
        report.observed_at = self->clock_now;
        if (observed)
            rc = cli_parse_instant (self, "report: --observed-at", observed, &report.observed_at);
    }
    if (rc == CLI_OK) {
        char new_id[27];
        sw_id_new (new_id);
        report.report_id = (char *) (id ? id : new_id);
        report.project_id = (char *) project;
        report.reporter_id = (char *) (reporter ? reporter : "");
        report.source = source;
        report.percent_bp = bp;
        report.n_problems = nproblems;
        report.problems = problem_ptrs;
        report.n_resolves = nresolves;
        report.resolves = resolves;
        report.legitimate_reason = (char *) (reason ? reason : "");
        cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
        req.report = &report;
        rc = s_send_for_ack (self, &req, report.report_id);
    }
    free (problems);
    free (problem_ptrs);
    free (resolves);
    return rc;
}

/* ------------------------------------------------------------- checkin */

int
cli_cmd_checkin (cli_t *self, int argc, char **argv)
{
    const char *commissioner = NULL, *project = NULL, *at = NULL;
    cli_args_t a = cli_args (argc, argv, "checkin");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--commissioner"))
            commissioner = cli_args_value (&a);
        else if (cli_args_is (&a, "--project"))
            project = cli_args_value (&a);
        else if (cli_args_is (&a, "--at"))
            at = cli_args_value (&a);
        else
            return cli_args_unknown (&a);
    }
    if (a.bad)
        return CLI_USAGE;
    if (!commissioner || !*commissioner)
        return cli_usage_error ("checkin: --commissioner ID is required");
    if (!project || !*project)
        return cli_usage_error ("checkin: --project ID is required");
    if (at && cli_check_instant ("checkin: --at", at) != CLI_OK)
        return CLI_USAGE;

    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Checkin checkin = SITEWATCH__V1__CHECKIN__INIT;
    checkin.commissioner_id = (char *) commissioner;
    checkin.project_id = (char *) project;
    checkin.at = self->clock_now;
    if (at && (rc = cli_parse_instant (self, "checkin: --at", at, &checkin.at)) != CLI_OK)
        return rc;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CHECKIN;
    req.checkin = &checkin;
    return s_send_for_ack (self, &req, NULL);
}

/* ------------------------------------------------------------- clock */

static void
s_clock_print (const cli_t *self)
{
    const char *mode = self->clock_mode && *self->clock_mode ? self->clock_mode : "unknown";
    if (self->json) {
        sw_json_t *j = sw_json_new ();
        sw_json_obj_begin (j);
        sw_json_key (j, "mode");
        sw_json_str (j, mode);
        sw_json_key (j, "now");
        cli_json_instant (j, self->calendar, self->clock_now);
        sw_json_key (j, "timezone");
        sw_json_str (j, self->clock_tz);
        sw_json_obj_end (j);
        cli_json_print (j);
        sw_json_destroy (&j);
    }
    else {
        char now[CLI_INSTANT_LEN];
        printf ("clock %s %s (%s)\n", mode, cli_instant (self->calendar, self->clock_now, now),
                self->clock_tz);
    }
}

int
cli_cmd_clock (cli_t *self, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    cli_args_t a = cli_args (argc, argv, "clock");
    while (cli_args_next (&a)) {
        const char *p = cli_args_positional (&a);
        if (!p || npos == 2)
            return cli_args_unknown (&a);
        pos[npos++] = p;
    }
    const char *op = npos ? pos[0] : "show";
    Sitewatch__V1__ClockCommand cmd = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    int rc;
    if (strcmp (op, "show") == 0) {
        if (npos > 1)
            return cli_usage_error ("clock show: unexpected argument '%s'", pos[1]);
        rc = cli_clock (self);
        if (rc == CLI_OK)
            s_clock_print (self);
        return rc;
    }
    else if (strcmp (op, "set") == 0) {
        if (npos < 2)
            return cli_usage_error ("clock set: which instant? (e.g. 2026-03-15T10:00:00+08:00)");
        if (cli_check_instant ("clock set", pos[1]) != CLI_OK)
            return CLI_USAGE;
        if ((rc = cli_clock (self)) != CLI_OK)
            return rc;
        if ((rc = cli_parse_instant (self, "clock set", pos[1], &cmd.value_ms)) != CLI_OK)
            return rc;
        cmd.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SET;
    }
    else if (strcmp (op, "advance") == 0) {
        if (npos < 2)
            return cli_usage_error ("clock advance: by how much? (e.g. 90m, 3d, 1d12h)");
        if (cli_parse_duration (pos[1], &cmd.value_ms) != 0)
            return cli_usage_error ("clock advance: '%s' is not a duration (e.g. 90m, 3d, 1d12h; "
                                    "units ms, s, m, h, d)",
                                    pos[1]);
        cmd.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_ADVANCE;
    }
    else
        return cli_usage_error ("clock: expected show, set ISO8601 or advance DURATION, not '%s'",
                                op);

    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cmd;
    cli_response_t *answer;
    if ((rc = cli_call (self, &req, true, 0, &answer)) != CLI_OK)
        return rc;
    bool acked = answer->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK
                 && (answer->ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED
                     || answer->ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE);
    if (acked) {
        /* a plain acknowledgement: ask for the clock it left behind */
        self->have_clock = false;
        rc = cli_clock (self);
    }
    else {
        rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_CLOCK);
        if (rc == CLI_OK) {
            cli_clock_adopt (self, answer->clock);
            if (!self->have_clock) {
                cli_fail ("no_zone", "cannot load the zone calendar (is tzdata installed?)");
                rc = CLI_FAILED;
            }
        }
    }
    if (rc == CLI_OK)
        s_clock_print (self);
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return rc;
}

/* ------------------------------------------------------------- reason */

int
cli_cmd_reason (cli_t *self, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *note = NULL, *text = NULL;
    int npos = 0;
    cli_args_t a = cli_args (argc, argv, "reason");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--note"))
            note = cli_args_value (&a);
        else if (cli_args_is (&a, "--text"))
            text = cli_args_value (&a);
        else if (cli_args_positional (&a) && npos < 2)
            pos[npos++] = a.arg;
        else
            return cli_args_unknown (&a);
    }
    if (a.bad)
        return CLI_USAGE;
    if (npos < 2)
        return cli_usage_error ("reason: expected 'reason PROJECT approve|reject|record'");
    Sitewatch__V1__ReasonCommand cmd = SITEWATCH__V1__REASON_COMMAND__INIT;
    if (strcmp (pos[1], "approve") == 0)
        cmd.op = SITEWATCH__V1__REASON_COMMAND__OP__OP_APPROVE;
    else if (strcmp (pos[1], "reject") == 0)
        cmd.op = SITEWATCH__V1__REASON_COMMAND__OP__OP_REJECT;
    else if (strcmp (pos[1], "record") == 0)
        cmd.op = SITEWATCH__V1__REASON_COMMAND__OP__OP_RECORD;
    else
        return cli_usage_error ("reason: expected approve, reject or record, not '%s'", pos[1]);
    if (cmd.op == SITEWATCH__V1__REASON_COMMAND__OP__OP_RECORD && (!text || !*text))
        return cli_usage_error ("reason record: --text TEXT is required");
    if (cmd.op != SITEWATCH__V1__REASON_COMMAND__OP__OP_RECORD && text)
        return cli_usage_error ("reason %s: --text belongs to record (use --note)", pos[1]);
    cmd.project_id = (char *) pos[0];
    cmd.text = (char *) (text ? text : "");
    cmd.note = (char *) (note ? note : "");
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_REASON;
    req.reason = &cmd;
    return s_send_for_ack (self, &req, NULL);
}
