/* bench_run: the scenarios. Throughput and latency: paced phases at fixed
 * offered loads, then a closed-loop saturation phase, with the prober and
 * subscriber running throughout. State: import N projects, close a period
 * (every project without a report turns yellow: N warning events), replay
 * them, kill -9 and restart each service. */
#include "bench_run.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MARKERS 16
#define S_DAY_MS 86400000LL

static int64_t
s_t0 (void)
{
    /* 2026-03-11 10:00 local: day 10 of 40, planned 25 %. */
    return bench_shanghai_ms (2026, 3, 11, 10, 0, 0);
}

static void
s_sample (const bench_servers_t *sv, bench_proc_t *out)
{
    for (int i = 0; i < sv->n; i++)
        if (bench_proc_sample (sv->pid[i], &out[i]) != 0)
            memset (&out[i], 0, sizeof out[i]);
}

/* Keeps the highest heap (anonymous RSS) of each process: the peak RSS the
 * kernel reports counts the LMDB map's file pages (page cache) too. */
static void
s_track_anon (const bench_servers_t *sv, double *peak)
{
    bench_proc_t p[BENCH_MAX_PROCS];
    s_sample (sv, p);
    for (int i = 0; i < sv->n; i++)
        if (p[i].rss_anon_mb > peak[i])
            peak[i] = p[i].rss_anon_mb;
}

/* Imports the registry and waits until rules has applied it (a project query
 * carries a barrier: it is answered once rules has seen the import). */
static int
s_setup (const bench_opts_t *o, bench_servers_t *sv, sw_client_t *c, double *import_s,
         double *applied_s, char *err, size_t errlen)
{
    if (bench_clock_set (c, s_t0 ()) != 0) {
        snprintf (err, errlen, "clock set failed");
        return -1;
    }
    int64_t t = bench_now_us ();
    bench_say ("importing %zu projects", o->projects);
    if (bench_import (c, o->projects, o->chunk, o->small_tail) != 0) {
        snprintf (err, errlen, "registry import failed");
        return -1;
    }
    *import_s = (bench_now_us () - t) / 1e6;
    char last[24];
    bench_project_id (o->projects - 1, last);
    int64_t deadline = bench_now_us () + (int64_t) o->timeout_s * 1000000;
    Sitewatch__V1__Level level;
    while (bench_project_level (c, last, 20000, &level) != 0) {
        const char *dead = bench_servers_dead (sv);
        if (dead || bench_now_us () > deadline || zsys_interrupted) {
            snprintf (err, errlen, "%s", dead ? "a server died applying the registry"
                                              : "rules did not apply the registry in time");
            return -1;
        }
        zclock_sleep (20);
    }
    if (applied_s)
        *applied_s = (bench_now_us () - t) / 1e6;
    bench_say ("registry applied in %.2f s", (bench_now_us () - t) / 1e6);
    return 0;
}

static void
s_fail_dead (bench_servers_t *sv, const char *dead, char *err, size_t errlen)
{
    snprintf (err, errlen, "%s exited during the run (see its log above)", dead);
    for (int i = 0; i < sv->n; i++)
        if (strcmp (sv->names[i], dead) == 0)
            bench_servers_tail_log (sv, i);
}

int
bench_run_throughput (const bench_opts_t *o, bench_form_t form, bench_tp_t *out)
{
    memset (out, 0, sizeof *out);
    out->form = form;
    out->projects = o->projects;
    bench_servers_t sv;
    if (bench_servers_init (&sv, form, o->bindir, o->log_level) != 0)
        return -1;
    bench_say ("%s: starting in %s", form == BENCH_FORM_FOUR ? "four processes" : "sitewatchd",
               sv.work);
    out->n_proc = sv.n;
    for (int i = 0; i < sv.n; i++)
        snprintf (out->proc[i].name, sizeof out->proc[i].name, "%s", sv.names[i]);
    sw_client_t *c = NULL;
    bench_watch_t *w = NULL;
    if (bench_servers_start (&sv, 20000) != 0) {
        snprintf (out->error, sizeof out->error, "the servers did not start");
        goto done;
    }
    c = bench_client_new (sv.endpoint);
    if (s_setup (o, &sv, c, &out->import_s, NULL, out->error, sizeof out->error) != 0)
        goto done;
    out->disk_after_import = bench_servers_du (&sv);

    /* Pools: the load's projects, the prober's, the markers'. */
    size_t n = o->projects;
    size_t n_probe = n / 10 < 200 ? n / 10 : 200;
    if (n_probe < 2)
        n_probe = 2;
    size_t n_load = n - n_probe - S_MARKERS;
    int64_t observed_base = s_t0 () - S_DAY_MS;
    w = bench_watch_start (sv.endpoint, n_load, n_probe, n_load + n_probe, S_MARKERS, o->probe_rate,
                           observed_base);

    bench_load_opts_t lo = { 0 };
    lo.endpoint = sv.endpoint;
    lo.first_project = 0;
    lo.n_projects = n_load;
    lo.threads = o->threads;
    lo.devices = o->devices;
    lo.window = o->window;
    lo.slow_log_ms = o->slow_log_ms;
    lo.seconds = o->seconds;
    lo.warmup = o->seconds >= 5 ? 1.0 : o->seconds / 5;
    lo.observed_base = observed_base;
    lo.retry_ms = 2000;
    bench_proc_t self_before, self_after;
    bench_pause_start ();
    out->n_phases = o->n_rates + (o->saturation ? 1 : 0);
    out->reports_per_s = out->intake_per_s = -1;
    for (int k = 0; k < out->n_phases; k++) {
        bool sat = k == o->n_rates;
        lo.rate = sat ? 0 : o->rates[k];
        bench_proc_t before[BENCH_MAX_PROCS], after[BENCH_MAX_PROCS];
        s_sample (&sv, before);
        bench_proc_sample (getpid (), &self_before);
        int64_t t0 = bench_now_us ();
        bench_say ("phase %d: %s", k, sat ? "saturation (closed loop)" : "paced");
        bench_watch_phase (w, k);
        bench_pause_phase (k);
        bench_load_run (&lo, &out->phase[k]);
        bench_pause_phase (-1);
        bench_watch_phase (w, -1);
        int64_t t1 = bench_now_us ();
        bench_load_result_t *r = &out->phase[k];
        out->reports_total += r->accepted_all;
        bench_say ("  accepted %.0f/s, ack p99 %.2f ms, rejected %llu, retry_later %llu", r->accepted_per_s,
                   bench_lat_ms (&r->ack, 0.99), (unsigned long long) r->rejected,
                   (unsigned long long) r->retry_later);
        if (r->first_reject[0])
            bench_say ("  first rejection: %s", r->first_reject);
        const char *dead = bench_servers_dead (&sv);
        if (dead) {
            s_fail_dead (&sv, dead, out->error, sizeof out->error);
            goto done;
        }
        /* Every report acknowledged so far is through the chain when a later
         * report's event reaches the subscriber: each phase starts clean. */
        int64_t at = bench_watch_marker (w, o->timeout_s * 1000);
        if (at <= 0) {
            snprintf (out->error, sizeof out->error, "the chain did not drain within %d s",
                      o->timeout_s);
            goto done;
        }
        out->drain_s[k] = (at - t1) / 1e6;
        /* CPU from the phase's start until its reports are through: what
         * each process spent on them (and on the probes). */
        s_sample (&sv, after);
        bench_proc_sample (getpid (), &self_after);
        double wall = (at - t0) / 1e6;
        for (int i = 0; i < sv.n; i++) {
            double cpu = after[i].cpu_s - before[i].cpu_s;
            out->proc[i].cpu_pct[k] = 100 * cpu / wall;
            out->proc[i].cpu_us_per_report[k] = r->accepted_all ? 1e6 * cpu / r->accepted_all : -1;
        }
        out->bench_cpu_pct[k] = 100 * (self_after.cpu_s - self_before.cpu_s) / wall;
        if (sat) {
            out->intake_per_s = r->accepted_per_s;
            out->reports_per_s = r->accepted_all / ((at - t0) / 1e6);
        }
    }
    zclock_sleep (300);
    for (int k = 0; k < out->n_phases; k++) {
        bench_pause_get (k, &out->pause[k]);
        bench_watch_red (w, k, &out->red[k]);
        out->reds_sent[k] = bench_watch_reds_sent (w, k);
    }
    out->events = bench_watch_events (w);
    out->probe_timeouts = bench_watch_probe_timeouts (w);
    {
        bench_proc_t end[BENCH_MAX_PROCS];
        s_sample (&sv, end);
        for (int i = 0; i < sv.n; i++)
            out->proc[i].end = end[i];
    }
    out->disk_end = bench_servers_du (&sv);
    out->disk_per_report = out->reports_total
                               ? (double) (out->disk_end - out->disk_after_import) / out->reports_total
                               : 0;
    out->ok = !out->error[0];
done:
    bench_pause_stop ();
    bench_watch_stop (&w);
    sw_client_destroy (&c);
    bench_servers_stop (&sv);
    if (!out->ok && !out->error[0])
        snprintf (out->error, sizeof out->error, "failed");
    if (!o->keep)
        bench_rmtree (sv.work);
    else
        bench_say ("kept %s", sv.work);
    return out->ok ? 0 : -1;
}

void
bench_tp_free (bench_tp_t *tp)
{
    for (int k = 0; k < tp->n_phases; k++) {
        bench_load_result_free (&tp->phase[k]);
        bench_lat_clear (&tp->red[k]);
    }
}

/* ------------------------------------------------------------ state */

/* A subscriber reading notify's log from a sequence number until it has
 * seen target messages (or the log's head, when target is 0). */
typedef struct {
    const char *endpoint;
    uint64_t from, target;
    const char *prefix;       /* NULL: every topic */
    uint32_t wait_ms;
    int64_t deadline_us;
    uint64_t seen;
    int64_t last_us;
    atomic_bool stop, done;
} s_reader_t;

static void *
s_reader (void *arg)
{
    s_reader_t *r = arg;
    sw_client_t *c = bench_client_new (r->endpoint);
    uint64_t next = r->from;
    char *prefixes[1] = { (char *) r->prefix };
    while (!atomic_load (&r->stop) && !zsys_interrupted && bench_now_us () < r->deadline_us) {
        Sitewatch__V1__Fetch f = SITEWATCH__V1__FETCH__INIT;
        f.from_seq = next;
        f.prefixes = prefixes;
        f.n_prefixes = r->prefix ? 1 : 0;
        f.max = 1000;
        f.wait_ms = r->wait_ms;
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH;
        req.fetch = &f;
        Sitewatch__V1__Response *resp = bench_call (c, &req, 10000, 5000);
        if (!resp || resp->body_case != SITEWATCH__V1__RESPONSE__BODY_FETCH) {
            if (resp)
                sitewatch__v1__response__free_unpacked (resp, NULL);
            continue;
        }
        const Sitewatch__V1__FetchAnswer *a = resp->fetch;
        if (a->n_messages) {
            r->seen += a->n_messages;
            r->last_us = bench_now_us ();
        }
        if (a->next_seq > next)
            next = a->next_seq;
        bool done = r->target ? r->seen >= r->target : next > a->head_seq;
        sitewatch__v1__response__free_unpacked (resp, NULL);
        if (done)
            break;
    }
    sw_client_destroy (&c);
    atomic_store (&r->done, true);
    return NULL;
}

static int
s_sla (sw_client_t *c, int timeout_ms)
{
    Sitewatch__V1__Query q = SITEWATCH__V1__QUERY__INIT;
    q.kind = SITEWATCH__V1__QUERY__KIND__KIND_SLA;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_QUERY;
    req.query = &q;
    Sitewatch__V1__Response *r = bench_call (c, &req, timeout_ms, 20);
    if (!r)
        return -1;
    int rc = r->body_case == SITEWATCH__V1__RESPONSE__BODY_SLA ? 0 : -1;
    sitewatch__v1__response__free_unpacked (r, NULL);
    return rc;
}

static int
s_clock_show (sw_client_t *c, int timeout_ms)
{
    Sitewatch__V1__ClockCommand cc = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    cc.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cc;
    Sitewatch__V1__Response *r = bench_call (c, &req, timeout_ms, 20);
    if (!r)
        return -1;
    sitewatch__v1__response__free_unpacked (r, NULL);
    return 0;
}

/* Waits until one service answers; seconds since t0, or -1. */
static double
s_until_serving (sw_client_t *c, const char *svc, const char *project, int64_t t0, int timeout_s)
{
    int64_t deadline = t0 + (int64_t) timeout_s * 1000000;
    while (bench_now_us () < deadline && !zsys_interrupted) {
        int rc;
        Sitewatch__V1__Level level;
        if (strcmp (svc, "intake") == 0)
            rc = s_clock_show (c, 1000);
        else if (strcmp (svc, "rules") == 0)
            rc = bench_project_level (c, project, 1000, &level) == 0 ? 0 : -1;
        else if (strcmp (svc, "escalation") == 0)
            rc = s_sla (c, 1000);
        else
            rc = bench_notify_head (c, 1000) >= 0 ? 0 : -1;
        if (rc == 0)
            return (bench_now_us () - t0) / 1e6;
    }
    return -1;
}

int
bench_run_state (const bench_opts_t *o, bench_form_t form, bool close, bool replay, bool restart,
                 bench_state_t *out)
{
    memset (out, 0, sizeof *out);
    out->form = form;
    out->projects = o->projects;
    bench_servers_t sv;
    if (bench_servers_init (&sv, form, o->bindir, o->log_level) != 0)
        return -1;
    out->n_proc = sv.n;
    for (int i = 0; i < sv.n; i++) {
        snprintf (out->proc_import[i].name, sizeof out->proc_import[i].name, "%s", sv.names[i]);
        snprintf (out->proc_close[i].name, sizeof out->proc_close[i].name, "%s", sv.names[i]);
    }
    bench_say ("%s: starting in %s", form == BENCH_FORM_FOUR ? "four processes" : "sitewatchd",
               sv.work);
    sw_client_t *c = NULL;
    if (bench_servers_start (&sv, 20000) != 0) {
        snprintf (out->error, sizeof out->error, "the servers did not start");
        goto done;
    }
    c = bench_client_new (sv.endpoint);
    if (s_setup (o, &sv, c, &out->import_s, &out->applied_s, out->error, sizeof out->error) != 0)
        goto done;
    {
        bench_proc_t p[BENCH_MAX_PROCS];
        s_sample (&sv, p);
        for (int i = 0; i < sv.n; i++)
            out->proc_import[i].end = p[i];
    }
    char last[24];
    bench_project_id (o->projects - 1, last);
    int64_t head = 0;
    if (close || replay) {
        /* Period 3 (2026-03-10..12) closes at 2026-03-13 00:00 local; no
         * project has a report in it: each turns yellow (no_report). */
        head = bench_notify_head (c, 30000);
        if (head < 0) {
            snprintf (out->error, sizeof out->error, "notify did not answer");
            goto done;
        }
        s_reader_t rd = { 0 };
        rd.endpoint = sv.endpoint;
        rd.from = (uint64_t) head + 1;
        rd.target = o->projects;
        rd.prefix = "warning.";
        rd.wait_ms = 500;
        rd.deadline_us = bench_now_us () + (int64_t) o->timeout_s * 1000000;
        pthread_t th;
        pthread_create (&th, NULL, s_reader, &rd);
        bench_say ("closing a period over %zu projects", o->projects);
        int64_t t0 = bench_now_us ();
        if (bench_clock_set (c, bench_shanghai_ms (2026, 3, 13, 0, 0, 1)) != 0) {
            atomic_store (&rd.stop, true);
            pthread_join (th, NULL);
            snprintf (out->error, sizeof out->error, "clock set failed");
            goto done;
        }
        out->judged_s = -1;
        double anon_peak[BENCH_MAX_PROCS] = { 0 };
        while (bench_now_us () < rd.deadline_us && !zsys_interrupted) {
            s_track_anon (&sv, anon_peak);
            Sitewatch__V1__Level level = SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED;
            if (bench_project_level (c, last, 20000, &level) == 0
                && level == SITEWATCH__V1__LEVEL__LEVEL_YELLOW) {
                out->judged_s = (bench_now_us () - t0) / 1e6;
                break;
            }
            if (bench_servers_dead (&sv))
                break;
            zclock_sleep (5);
        }
        bench_say ("  rules answered the new level after %.2f s; waiting for the subscriber",
                   out->judged_s);
        while (!atomic_load (&rd.done)) {
            if (bench_now_us () > rd.deadline_us || zsys_interrupted)
                break;
            const char *dead = bench_servers_dead (&sv);
            if (dead) {
                s_fail_dead (&sv, dead, out->error, sizeof out->error);
                break;
            }
            s_track_anon (&sv, anon_peak);
            zclock_sleep (20);
        }
        atomic_store (&rd.stop, true);
        pthread_join (th, NULL);
        out->close_events = rd.seen;
        out->published_s = rd.seen >= rd.target ? (rd.last_us - t0) / 1e6 : -1;
        out->did_close = true;
        bench_say ("  %llu warning events at the subscriber, last after %.2f s",
                   (unsigned long long) rd.seen, out->published_s);
        if (out->error[0])
            goto done;
        /* The express report (topic digest) comes after the period's
         * warnings: the close is published when it is there too. */
        if (rd.seen >= rd.target) {
            s_reader_t dg = { 0 };
            dg.endpoint = sv.endpoint;
            dg.from = (uint64_t) head + rd.seen + 1;
            dg.target = 1;
            dg.prefix = "digest";
            dg.wait_ms = 500;
            dg.deadline_us = rd.deadline_us;
            s_reader (&dg);
            out->digest_s = dg.seen ? (dg.last_us - t0) / 1e6 : -1;
            bench_say ("  the express report (digest) after %.2f s", out->digest_s);
        }
        /* Memory once the close has settled (the services give freed memory
         * back when idle); the peak column keeps the high-water mark. */
        zclock_sleep (3000);
        bench_proc_t p[BENCH_MAX_PROCS];
        s_sample (&sv, p);
        for (int i = 0; i < sv.n; i++) {
            out->proc_close[i].end = p[i];
            out->proc_close[i].end.anon_peak_mb
                = anon_peak[i] > p[i].rss_anon_mb ? anon_peak[i] : p[i].rss_anon_mb;
        }
        if (rd.seen < rd.target)
            snprintf (out->error, sizeof out->error,
                      "the subscriber saw %llu of %zu warning events within %d s",
                      (unsigned long long) rd.seen, o->projects, o->timeout_s);
    }
    if (replay && out->did_close) {
        for (int pass = 0; pass < 2; pass++) {
            s_reader_t rd = { 0 };
            rd.endpoint = sv.endpoint;
            rd.from = 1;
            rd.prefix = pass == 0 ? "warning." : NULL;
            rd.wait_ms = 0;
            rd.deadline_us = bench_now_us () + (int64_t) o->timeout_s * 1000000;
            int64_t t0 = bench_now_us ();
            s_reader (&rd);
            double s = (bench_now_us () - t0) / 1e6;
            if (pass == 0) {
                out->replay_msgs = rd.seen;
                out->replay_s = s;
            }
            else {
                out->replay_all_msgs = rd.seen;
                out->replay_all_s = s;
            }
            bench_say ("replay (%s): %llu messages in %.2f s", rd.prefix ? rd.prefix : "all topics",
                       (unsigned long long) rd.seen, s);
        }
        out->did_replay = true;
    }
    if (restart) {
        static const char *svcs[] = { "intake", "rules", "escalation", "notify" };
        for (int i = 0; i < sv.n; i++) {
            bench_say ("restart: kill -9 %s", sv.names[i]);
            bench_servers_kill (&sv, i, SIGKILL);
            /* A fresh client each time: no answer from before the kill. */
            sw_client_destroy (&c);
            c = bench_client_new (sv.endpoint);
            if (bench_servers_start_one (&sv, i) != 0)
                break;
            int64_t t0 = sv.started_us[i];
            int r = out->n_restart++;
            snprintf (out->restart[r].name, sizeof out->restart[r].name, "%s", sv.names[i]);
            if (form == BENCH_FORM_SITEWATCHD) {
                out->restart[r].intake_s = s_until_serving (c, "intake", last, t0, o->timeout_s);
                out->restart[r].rules_s = s_until_serving (c, "rules", last, t0, o->timeout_s);
                out->restart[r].escalation_s = s_until_serving (c, "escalation", last, t0, o->timeout_s);
                out->restart[r].notify_s = s_until_serving (c, "notify", last, t0, o->timeout_s);
                double m = out->restart[r].intake_s;
                double all[] = { out->restart[r].rules_s, out->restart[r].escalation_s,
                                 out->restart[r].notify_s };
                out->restart[r].ok = m >= 0;
                for (int k = 0; k < 3; k++) {
                    out->restart[r].ok = out->restart[r].ok && all[k] >= 0;
                    if (all[k] > m)
                        m = all[k];
                }
                out->restart[r].serving_s = m;
            }
            else {
                const char *svc = svcs[0];
                for (int k = 0; k < 4; k++)
                    if (strcmp (svcs[k], sv.names[i]) == 0)
                        svc = svcs[k];
                out->restart[r].serving_s = s_until_serving (c, svc, last, t0, o->timeout_s);
                out->restart[r].ok = out->restart[r].serving_s >= 0;
            }
            bench_say ("  %s serving after %.3f s", sv.names[i], out->restart[r].serving_s);
        }
        out->did_restart = true;
    }
    out->disk_end = bench_servers_du (&sv);
    out->ok = !out->error[0];
done:
    sw_client_destroy (&c);
    bench_servers_stop (&sv);
    if (!o->keep)
        bench_rmtree (sv.work);
    else
        bench_say ("kept %s", sv.work);
    return out->ok ? 0 : -1;
}
