/*  cli_subscribe: the message stream. Long-polls notify's log through the
    front door (Fetch from a sequence number, topic prefixes) and prints each
    published message as it comes, one line each, flushed at once. */

#include "cli.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_MAX 1000
#define FETCH_WAIT_MS 1000

typedef struct {
    char **topics;
    size_t ntopics;
} s_filter_t;

/* One Fetch; CLI_OK with *answer (a FetchAnswer) or the failure. */
static int
s_fetch (cli_t *self, const s_filter_t *filter, uint64_t from, uint32_t max, uint32_t wait_ms,
         cli_response_t **answer)
{
    Sitewatch__V1__Fetch fetch = SITEWATCH__V1__FETCH__INIT;
    fetch.from_seq = from;
    fetch.prefixes = filter->topics;
    fetch.n_prefixes = filter->ntopics;
    fetch.max = max;
    fetch.wait_ms = wait_ms;
    cli_request_t req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH;
    req.fetch = &fetch;
    int rc = cli_call (self, &req, false, (int) wait_ms, answer);
    if (rc != CLI_OK)
        return rc;
    rc = cli_expect (*answer, SITEWATCH__V1__RESPONSE__BODY_FETCH);
    if (rc != CLI_OK) {
        sitewatch__v1__response__free_unpacked (*answer, NULL);
        *answer = NULL;
    }
    return rc;
}

static void
s_print (const cli_t *self, sw_json_t *j, const Sitewatch__V1__Published *msg)
{
    if (j) {
        sw_json_reset (j);
        cli_json_published (j, self->calendar, msg);
        cli_json_print (j);
    }
    else {
        cli_text_published (stdout, self->calendar, msg);
        fputc ('\n', stdout);
        fflush (stdout);
    }
}

int
cli_cmd_subscribe (cli_t *self, int argc, char **argv)
{
    uint64_t from = 0, count = 0, idle_ms = 0;
    bool from_set = false, follow = true, idle_set = false;
    s_filter_t filter = {calloc ((size_t) argc + 1, sizeof (char *)), 0};
    if (!filter.topics)
        abort ();
    int rc = CLI_OK;
    cli_args_t a = cli_args (argc, argv, "subscribe");
    while (rc == CLI_OK && cli_args_next (&a)) {
        const char *v;
        if (cli_args_is (&a, "--from")) {
            if ((v = cli_args_value (&a))
                && (cli_parse_uint (v, UINT64_MAX - 1, &from) != 0 || from == 0))
                rc = cli_usage_error ("subscribe: --from must be a sequence number >= 1, not '%s'",
                                      v);
            from_set = true;
        }
        else if (cli_args_is (&a, "--count")) {
            if ((v = cli_args_value (&a))
                && (cli_parse_uint (v, UINT64_MAX, &count) != 0 || count == 0))
                rc = cli_usage_error ("subscribe: --count must be a number >= 1, not '%s'", v);
        }
        else if (cli_args_is (&a, "--idle-ms")) {
            if ((v = cli_args_value (&a)) && cli_parse_uint (v, INT32_MAX, &idle_ms) != 0)
                rc = cli_usage_error ("subscribe: --idle-ms must be milliseconds, not '%s'", v);
            idle_set = true;
        }
        else if (strcmp (a.arg, "--no-follow") == 0)
            follow = false;
        else if (strcmp (a.arg, "--follow") == 0)
            follow = true;
        else if (cli_args_positional (&a))
            filter.topics[filter.ntopics++] = a.argv[a.i];
        else
            rc = cli_args_unknown (&a);
        if (a.bad)
            rc = CLI_USAGE;
    }
    if (rc == CLI_OK)
        rc = cli_clock (self);

    cli_response_t *answer = NULL;
    if (rc == CLI_OK && !from_set) {
        if (follow) {
            /* only what is published from now on: start after the head */
            rc = s_fetch (self, &filter, 1, 1, 0, &answer);
            if (rc == CLI_OK) {
                from = answer->fetch->head_seq + 1;
                sitewatch__v1__response__free_unpacked (answer, NULL);
            }
        }
        else
            from = 1;
    }

    sw_json_t *j = self->json ? sw_json_new () : NULL;
    uint64_t printed = 0;
    int64_t last_news = zclock_mono ();
    while (rc == CLI_OK) {
        uint32_t wait = follow ? FETCH_WAIT_MS : 0;
        if (idle_set) {
            int64_t quiet = zclock_mono () - last_news;
            if (quiet >= (int64_t) idle_ms)
                break;                          /* nothing new for long enough */
            if ((int64_t) idle_ms - quiet < wait)
                wait = (uint32_t) ((int64_t) idle_ms - quiet);
        }
        uint32_t max = FETCH_MAX;
        if (count && count - printed < max)
            max = (uint32_t) (count - printed);
        int64_t asked = zclock_mono ();
        rc = s_fetch (self, &filter, from, max, wait, &answer);
        if (rc != CLI_OK)
            break;
        const Sitewatch__V1__FetchAnswer *fa = answer->fetch;
        bool done = false;
        for (size_t i = 0; i < fa->n_messages && !done; i++) {
            s_print (self, j, fa->messages[i]);
            if (count && ++printed >= count)
                done = true;
        }
        if (fa->n_messages) {
            last_news = zclock_mono ();
            uint64_t after_last = fa->messages[fa->n_messages - 1]->seq + 1;
            from = fa->next_seq > from ? fa->next_seq : after_last > from ? after_last : from;
        }
        else if (fa->next_seq > from)
            from = fa->next_seq;
        if (!fa->n_messages && !follow)
            done = true;                        /* caught up */
        if (!fa->n_messages && follow) {
            /* a server that does not hold empty polls must not be hammered */
            int64_t took = zclock_mono () - asked;
            if (took < (int64_t) wait)
                zclock_sleep ((int) (wait - took));
        }
        sitewatch__v1__response__free_unpacked (answer, NULL);
        if (done)
            break;
    }
    sw_json_destroy (&j);
    free (filter.topics);
    return rc;
}
