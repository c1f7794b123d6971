/* sitewatchd: the embedded default. All four services in one process, as
 * czmq actors joined by inproc:// hops, one data directory with a
 * subdirectory per service. Same code as the four separate binaries. */
#include "escalation.h"
#include "intake.h"
#include "notifier.h"
#include "notify.h"
#include "rules.h"
#include "sw_log.h"
#include "sw_service.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    zactor_fn *fn;
} s_service_t;

/* Downstream first, so each hop finds its peer bound. The leadership
 * notifier (--notifier on) is a client of the front door: it starts after
 * intake and, stopping in reverse order, is the first to stop. */
static const s_service_t s_services[] = {
    { "notify", notify_actor },
    { "escalation", escalation_actor },
    { "rules", rules_actor },
    { "intake", intake_actor },
    { "notifier", notifier_actor },
};
#define N_SERVICES (sizeof s_services / sizeof s_services[0])

/* --notifier: on | off. 0 / -1 for anything else. */
static int
s_notifier_on (const sw_config_t *cfg, bool *on)
{
    const char *v = sw_config_get (cfg, "notifier");
    *on = v && strcmp (v, "on") == 0;
    return *on || (v && strcmp (v, "off") == 0) ? 0 : -1;
}

int
main (int argc, char **argv)
{
    sw_config_t *cfg = sw_config_new (sw_service_options);
    char err[512];
    int rc = sw_config_load (cfg, argc, argv, err, sizeof err);
    if (rc == 0)
        rc = sw_config_check_ints (cfg, err, sizeof err);
    if (rc == 1) {
        sw_config_usage (cfg, "sitewatchd",
                         "sitewatchd: intake, rules, escalation and notify in one process "
                         "(the embedded default), one data directory.");
        sw_config_destroy (&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf (stderr, "sitewatchd: %s (try --help)\n", err);
        sw_config_destroy (&cfg);
        return 2;
    }
    bool with_notifier;
    if (s_notifier_on (cfg, &with_notifier) != 0) {
        fprintf (stderr, "sitewatchd: --notifier must be on or off, not '%s'\n",
                 sw_config_get (cfg, "notifier"));
        sw_config_destroy (&cfg);
        return 2;
    }
    sw_service_apply_logging (cfg);
    sw_service_tune_memory ();
    zsys_init ();
    static sw_service_args_t args[N_SERVICES];
    zactor_t *actors[N_SERVICES] = { 0 };
    zpoller_t *poller = zpoller_new (NULL);
    int status = 0;
    for (size_t i = 0; i < N_SERVICES; i++) {
        if (s_services[i].fn == notifier_actor && !with_notifier)
            continue;
        sw_service_args_init (&args[i], cfg, s_services[i].name, true);
        actors[i] = zactor_new (s_services[i].fn, &args[i]);
        if (!actors[i] || args[i].status != 0) {
            status = 1;
            break;
        }
        zpoller_add (poller, zactor_sock (actors[i]));
    }
    if (status == 0) {
        sw_info ("sitewatchd", "ready", "endpoint=%s data=%s clock=%s",
                 sw_config_get (cfg, "endpoint"), sw_config_get (cfg, "data"),
                 sw_config_get (cfg, "clock"));
        /* Until a signal, or until one service fails (crash-only: exit
         * non-zero and let the supervisor restart the process). */
        while (!zsys_interrupted) {
            void *which = zpoller_wait (poller, -1);
            if (which) {
                zmsg_t *m = zmsg_recv (which);
                zmsg_destroy (&m);
                sw_error ("sitewatchd", "service_failed", "action=exit");
                status = 1;
                break;
            }
            if (zpoller_terminated (poller))
                break;
        }
    }
    zpoller_destroy (&poller);
    /* Stop the front door first, then the rest downstream of it. */
    for (size_t i = N_SERVICES; i-- > 0;)
        zactor_destroy (&actors[i]);
    sw_config_destroy (&cfg);
    return status;
}
