/*  cli_digest: `sitewatch digest [--period N] [--format json|md|html]`, the
    progress express report of one closed period (the latest by default),
    asked of escalation through the front door and rendered by sw_digest on
    stdout. --json is --format json. */

#include "cli.h"
#include "sw_digest.h"

#include <stdlib.h>
#include <string.h>

typedef enum { S_FORMAT_NONE, S_FORMAT_JSON, S_FORMAT_MD, S_FORMAT_HTML } s_format_t;

static s_format_t
s_format_parse (const char *text)
{
    if (strcmp (text, "json") == 0)
        return S_FORMAT_JSON;
    if (strcmp (text, "md") == 0 || strcmp (text, "markdown") == 0)
        return S_FORMAT_MD;
    if (strcmp (text, "html") == 0)
        return S_FORMAT_HTML;
    return S_FORMAT_NONE;
}

/* A whole signed decimal period number (periods before the anchor are
   negative). 0 / -1. */
static int
s_parse_period (const char *text, int64_t *period)
{
    bool neg = text[0] == '-';
    uint64_t v;
    if (cli_parse_uint (text + neg, neg ? (uint64_t) INT64_MAX + 1 : INT64_MAX, &v) != 0)
        return -1;
    *period = neg ? (int64_t) (0 - v) : (int64_t) v;
    return 0;
}

int
cli_cmd_digest (cli_t *self, int argc, char **argv)
{
    const char *period_text = NULL, *format_text = NULL;
    cli_args_t a = cli_args (argc, argv, "digest");
    while (cli_args_next (&a)) {
        if (cli_args_is (&a, "--period"))
            period_text = cli_args_value (&a);
        else if (cli_args_is (&a, "--format"))
            format_text = cli_args_value (&a);
        else
            return cli_args_unknown (&a);
    }
    if (a.bad)
        return CLI_USAGE;
    int64_t period = 0;
    if (period_text && s_parse_period (period_text, &period) != 0)
        return cli_usage_error ("digest: --period must be a period number, not '%s'", period_text);
    s_format_t format = self->json ? S_FORMAT_JSON : S_FORMAT_MD;
    if (format_text) {
        format = s_format_parse (format_text);
        if (format == S_FORMAT_NONE)
            return cli_usage_error ("digest: --format must be json, md or html, not '%s'",
                                    format_text);
        if (self->json && format != S_FORMAT_JSON)
            return cli_usage_error ("digest: --json and --format %s disagree", format_text);
    }

    int rc = cli_clock (self);
    if (rc != CLI_OK)
        return rc;
    Sitewatch__V1__Query query = SITEWATCH__V1__QUERY__INIT;
    query.kind = SITEWATCH__V1__QUERY__KIND__KIND_DIGEST;
    query.period = period;
    query.has_period = period_text != NULL;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_QUERY;
    req.query = &query;
    cli_response_t *answer;
    if ((rc = cli_call (self, &req, false, 0, &answer)) != CLI_OK)
        return rc;
    rc = cli_expect (answer, SITEWATCH__V1__RESPONSE__BODY_DIGEST);
    if (rc != CLI_OK) {
        sitewatch__v1__response__free_unpacked (answer, NULL);
        return rc;
    }
    const Sitewatch__V1__Digest *d = answer->digest;
    if (format == S_FORMAT_JSON) {
        sw_json_t *j = sw_json_new ();
        sw_digest_json (j, self->calendar, d);
        cli_json_print (j);
        sw_json_destroy (&j);
    }
    else {
        char *text = format == S_FORMAT_HTML ? sw_digest_html (d, self->calendar)
                                             : sw_digest_markdown (d, self->calendar);
        fputs (text, stdout);
        free (text);
    }
    sitewatch__v1__response__free_unpacked (answer, NULL);
    return CLI_OK;
}
