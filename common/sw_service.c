/* sw_service: option table, placement and main() shared by every server. */
#include "sw_service.h"
#include "sw_link.h"
#include "sw_log.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

const sw_option_t sw_service_options[] = {
    { "data", "./sitewatch-data", "data directory (LMDB state)", false },
    { "clock", "wall", "clock mode: wall (system clock) or manual (sitewatch clock)", false },
    { "endpoint", SW_DEFAULT_ENDPOINT, "front door: devices, operators, subscribers", false },
    { "rules-endpoint", SW_DEFAULT_RULES, "rules service endpoint (four-process form)", false },
    { "escalation-endpoint", SW_DEFAULT_ESCALATION, "escalation service endpoint", false },
    { "notify-endpoint", SW_DEFAULT_NOTIFY, "notify service endpoint", false },
    { "curve-dir", NULL, "CURVE keys: DIR/server.cert_secret and DIR/clients/*.cert (off when unset)", false },
    { "map-size", "64M", "initial LMDB map size (grows on demand)", false },
    { "log-level", "info", "debug | info | warn | error", false },
    { "policy", NULL, "warning policy file (key = value; see deploy/policy.conf)", false },
    { "max-skew", "300000", "ms a report may be observed in the future", false },
    { "max-age", "1209600000", "ms a report may be observed in the past (14 days)", false },
    { "leader-retry", "300000", "ms between re-sends of an unconfirmed leadership report", false },
    { "onsite-days", "2", "working days to hold a case's on-site meeting", false },
    { "letter-days", "5", "working days a supervision letter gives the unit", false },
    { "overload-backlog", "200000", "journal backlog at which devices get retry_later", false },
    { "commit-interval", "2", "ms intake waits after a batch began before the next begins (0: at once)", false },
    { "pipeline-min", "256", "requests in a batch for intake to commit it on a writer thread while it reads the next (0: never)", false },
    { "link-window", "65536", "messages a service sends downstream before an acknowledgement", false },
    { "close-slice", "4096", "projects rules judges per transaction at a period close", false },
    { "commit-window", "10", "ms rules may hold a batch open that forwards nothing (0: off)", false },
    { "commit-window-min", "1", "messages a batch needs before rules holds it open", false },
    { "state-checkpoint", "2000", "ms after which rules moves its logged states into \"states\"", false },
    { "state-checkpoint-max", "16384", "projects rules logs before it moves their states", false },
    { "notifier", "off", "sitewatchd only: run the leadership notifier inside (on|off)", false },
    { "notifier-sink", "stdout", "notifier sink: stdout | file:PATH | http(s)://URL", false },
    { "notifier-data", NULL, "notifier state directory (default <data>/notifier)", false },
    { NULL, NULL, NULL, false },
};

int
sw_service_link_window (const sw_config_t *cfg, uint32_t *window, char *err, size_t errlen)
{
    int64_t n = sw_config_get_int (cfg, "link-window", SW_LINK_WINDOW_DEFAULT);
    if (n < 1 || n > SW_LINK_WINDOW_MAX) {
        snprintf (err, errlen, "--link-window must be 1..%u messages, not %lld", SW_LINK_WINDOW_MAX,
                  (long long) n);
        return -1;
    }
    *window = (uint32_t) n;
    return 0;
}

void
sw_service_apply_logging (const sw_config_t *cfg)
{
    int level = sw_log_level_parse (sw_config_get (cfg, "log-level"));
    if (level >= 0)
        sw_log_set_level (level);
}

void
sw_service_args_init (sw_service_args_t *args, const sw_config_t *cfg, const char *name,
                      bool embedded)
{
    memset (args, 0, sizeof *args);
    args->cfg = cfg;
    snprintf (args->name, sizeof args->name, "%s", name);
    const char *data = sw_config_get (cfg, "data");
    if (embedded)
        snprintf (args->data_dir, sizeof args->data_dir, "%s/%s", data, name);
    else
        snprintf (args->data_dir, sizeof args->data_dir, "%s", data);
    snprintf (args->endpoint, sizeof args->endpoint, "%s", sw_config_get (cfg, "endpoint"));
    if (embedded) {
        snprintf (args->rules, sizeof args->rules, "inproc://sw-rules");
        snprintf (args->escalation, sizeof args->escalation, "inproc://sw-escalation");
        snprintf (args->notify, sizeof args->notify, "inproc://sw-notify");
    }
    else {
        snprintf (args->rules, sizeof args->rules, "%s", sw_config_get (cfg, "rules-endpoint"));
        snprintf (args->escalation, sizeof args->escalation, "%s",
                  sw_config_get (cfg, "escalation-endpoint"));
        snprintf (args->notify, sizeof args->notify, "%s", sw_config_get (cfg, "notify-endpoint"));
    }
}

void
sw_service_serve (zsock_t *pipe, sw_service_args_t *args, int open_rc, const char *err,
                  sw_service_run_fn *run, void *ctx)
{
    if (open_rc != 0) {
        sw_error (args->name, "start_failed", "reason=\"%s\"", err);
        fprintf (stderr, "sitewatch-%s: %s\n", args->name, err);
    }
    args->status = open_rc;
    zsock_signal (pipe, 0);
    if (open_rc == 0 && run (ctx, pipe) != 0) {
        args->status = -1;
        zstr_send (pipe, "$FAIL");
    }
}

int
sw_service_main (int argc, char **argv, const char *name, const char *summary, zactor_fn *actor)
{
    sw_config_t *cfg = sw_config_new (sw_service_options);
    char err[512];
    int rc = sw_config_load (cfg, argc, argv, err, sizeof err);
    if (rc == 0)
        rc = sw_config_check_ints (cfg, err, sizeof err);
    if (rc == 1) {
        char prog[64];
        snprintf (prog, sizeof prog, "sitewatch-%s", name);
        sw_config_usage (cfg, prog, summary);
        sw_config_destroy (&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf (stderr, "sitewatch-%s: %s (try --help)\n", name, err);
        sw_config_destroy (&cfg);
        return 2;
    }
    sw_service_apply_logging (cfg);
    sw_service_tune_memory ();
    zsys_init ();
    sw_service_args_t args;
    sw_service_args_init (&args, cfg, name, false);
    zactor_t *a = zactor_new (actor, &args);
    int status = args.status;
    if (a && status == 0) {
        /* Wait for a signal or for the actor to end on its own (fatal). */
        zsock_t *pipe = zactor_sock (a);
        while (!zsys_interrupted) {
            zmsg_t *m = zmsg_recv (pipe); /* the actor says "$FAIL" when it dies */
            if (m) {
                zmsg_destroy (&m);
                break;
            }
        }
    }
    zactor_destroy (&a);
    status = args.status;
    sw_config_destroy (&cfg);
    return status == 0 ? 0 : 1;
}

void
sw_service_trim (int64_t *last_ms, bool *busy)
{
    int64_t now = zclock_mono ();
    if (!*busy || now - *last_ms < 2000)
        return;
    malloc_trim (0);
    *last_ms = now;
    *busy = false;
}

void
sw_service_tune_memory (void)
{
    /* A fixed threshold: glibc otherwise raises it (up to 32 MB) after the
     * first large free, and a close's 10 MB express report then stays in
     * the heap after it is freed. */
    mallopt (M_MMAP_THRESHOLD, 256 * 1024);
}
