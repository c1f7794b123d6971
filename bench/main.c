/* sitewatch-bench: options, scenarios, and the figures as a table or as one
 * JSON object. Our figures are also printed as ratios to the one-hop
 * baseline measured in the same run, so they compare across machines. */
#include "bench_run.h"
#include "sw_config.h"
#include "sw_json.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const sw_option_t s_options[] = {
    { "seconds", "10", "length of each measured phase (throughput: 3 paced + 1 saturation)", false },
    { "json", NULL, "print one JSON object on stdout (progress stays on stderr)", true },
    { "form", "sitewatchd", "sitewatchd | four | both", false },
    { "projects", NULL, "registry size (default 10000 for throughput, 100000 otherwise; 100k, 1M ok)",
      false },
    { "devices", "64", "concurrent device connections", false },
    { "window", "32", "reports in flight per device", false },
    { "threads", "2", "load generator threads", false },
    { "rates", "1000,5000,20000", "paced offered loads, reports/s", false },
    { "saturation", "on", "on | off: the closed-loop phase after the paced ones", false },
    { "probe-rate", "20", "probe reports per second (half turn a project red, half green again)",
      false },
    { "slow-log", "0",
      "print each measured ack slower than this many ms to stderr, with the monotonic time "
      "its report was due (0: none; a diagnosis aid, see bench/README.md)",
      false },
    { "bin", NULL, "directory of sitewatchd and sitewatch-<svc> (default: this program's)", false },
    { "log-level", "warn", "servers' log level", false },
    { "timeout", "300", "seconds any one wait may take", false },
    { "chunk", "18000", "projects per registry import request (frames are capped at 16 MiB)",
      false },
    { "small-tail", NULL,
      "import the registry's last 18..35 projects alone, last (how session 1 ran its 1M close; "
      "no longer needed)",
      true },
    { "keep", NULL, "keep the temp data directories", true },
    { "verbose", NULL, "progress on stderr even with --json", true },
    { NULL, NULL, NULL, false },
};

static void
s_help (const sw_config_t *cfg)
{
    sw_config_usage (cfg, "sitewatch-bench [scenario...]",
                     "sitewatch-bench: a benchmark that tells the truth. It starts the servers "
                     "itself\n(--clock manual, a fresh temp data directory), drives them, prints "
                     "figures. Not a test:\nnothing fails on a figure.");
    printf ("\nscenarios (default: throughput):\n"
            "  throughput  devices (DEALER connections, a window of reports each, resent until\n"
            "              acknowledged, time-ordered ids) against the real ingress: ack latency\n"
            "              p50/p99/p999 at paced offered loads (--rates), then accepted reports/s\n"
            "              sustained (closed loop) and end to end through the chain; report -> red\n"
            "              at a subscriber p50/p99; CPU and RSS per process; bytes on disk per\n"
            "              report; all as ratios to the one-hop baseline measured first\n"
            "  baseline    the one-hop baseline alone: tcp -> protobuf unpack -> synced LMDB\n"
            "              batch per loop turn (append-order keys) -> forward to a sink\n"
            "  close       a period close over --projects N: time to judge all projects and to\n"
            "              publish the N changes (every project turns yellow: no report)\n"
            "  replay      a subscriber replaying the close's N messages from sequence 1\n"
            "  restart     kill -9 and restart each service with N projects: time to serving\n"
            "  state       close, replay and restart on one setup\n"
            "\n"
            "  sitewatch-bench gen-registry N > registry.yaml   the synthetic registry\n"
            "\n"
            "examples:\n"
            "  sitewatch-bench --seconds 10 --json\n"
            "  sitewatch-bench --form both --seconds 20\n"
            "  sitewatch-bench state --projects 100k --form both\n");
}

static int
s_count (const char *s, size_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    double v = strtod (s, &end);
    if (end == s || v < 0)
        return -1;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1e6, end++;
    if (*end)
        return -1;
    *out = (size_t) (v + 0.5);
    return 0;
}

/* --------------------------------------------------------- machine */

static void
s_cpu_model (char *buf, size_t cap)
{
    snprintf (buf, cap, "unknown");
    FILE *f = fopen ("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets (line, sizeof line, f))
        if (strncmp (line, "model name", 10) == 0) {
            char *colon = strchr (line, ':');
            if (colon) {
                snprintf (buf, cap, "%s", colon + 2);
                buf[strcspn (buf, "\n")] = 0;
            }
            break;
        }
    fclose (f);
}

static void
s_num (sw_json_t *j, const char *key, double v)
{
    sw_json_key (j, key);
    if (v < 0)
        sw_json_null (j);
    else
        sw_json_num (j, v);
}

/* The 1-minute load average: other work on the machine skews every figure. */
static double
s_loadavg (void)
{
    double l = -1;
    FILE *f = fopen ("/proc/loadavg", "r");
    if (f) {
        if (fscanf (f, "%lf", &l) != 1)
            l = -1;
        fclose (f);
    }
    return l;
}

static void
s_json_machine (sw_json_t *j)
{
    struct utsname u;
    uname (&u);
    char model[256];
    s_cpu_model (model, sizeof model);
    sw_json_key (j, "machine");
    sw_json_obj_begin (j);
    sw_json_key (j, "cores");
    sw_json_int (j, sysconf (_SC_NPROCESSORS_ONLN));
    sw_json_key (j, "cpu");
    sw_json_str (j, model);
    sw_json_key (j, "kernel");
    sw_json_str (j, u.release);
    s_num (j, "loadavg_1m_at_start", s_loadavg ());
    sw_json_obj_end (j);
}

static const char *
s_form_name (bench_form_t f)
{
    return f == BENCH_FORM_FOUR ? "four" : "sitewatchd";
}

/* The phase whose offered load is nearest 5 k/s (the target load). */
static int
s_phase_5k (const bench_opts_t *o)
{
    int best = -1;
    for (int k = 0; k < o->n_rates; k++)
        if (best < 0 || (o->rates[k] - 5000) * (o->rates[k] - 5000)
                            < (o->rates[best] - 5000) * (o->rates[best] - 5000))
            best = k;
    return best;
}

static double
s_ratio (double a, double b)
{
    return a > 0 && b > 0 ? a / b : -1;
}

/* ------------------------------------------------------------ JSON */

static void
s_json_tp (sw_json_t *j, const bench_opts_t *o, bench_tp_t *t, double base)
{
    sw_json_obj_begin (j);
    sw_json_key (j, "form");
    sw_json_str (j, s_form_name (t->form));
    sw_json_key (j, "ok");
    sw_json_bool (j, t->ok);
    if (t->error[0]) {
        sw_json_key (j, "error");
        sw_json_str (j, t->error);
    }
    s_num (j, "reports_per_s", t->reports_per_s);
    s_num (j, "ratio_to_baseline", s_ratio (t->reports_per_s, base));
    s_num (j, "intake_accepted_per_s", t->intake_per_s);
    s_num (j, "intake_ratio_to_baseline", s_ratio (t->intake_per_s, base));
    s_num (j, "import_s", t->import_s);
    sw_json_key (j, "phases");
    sw_json_arr_begin (j);
    for (int k = 0; k < t->n_phases; k++) {
        bench_load_result_t *r = &t->phase[k];
        sw_json_obj_begin (j);
        sw_json_key (j, "offered_per_s");
        if (k < o->n_rates)
            sw_json_num (j, o->rates[k]);
        else
            sw_json_str (j, "closed_loop");
        s_num (j, "accepted_per_s", r->accepted_per_s);
        s_num (j, "ack_p50_ms", bench_lat_ms (&r->ack, 0.50));
        s_num (j, "ack_p99_ms", bench_lat_ms (&r->ack, 0.99));
        s_num (j, "ack_p999_ms", bench_lat_ms (&r->ack, 0.999));
        s_num (j, "red_p50_ms", bench_lat_ms (&t->red[k], 0.50));
        s_num (j, "red_p99_ms", bench_lat_ms (&t->red[k], 0.99));
        sw_json_key (j, "red_samples");
        sw_json_int (j, (int64_t) t->red[k].n);
        sw_json_key (j, "red_probes_sent");
        sw_json_int (j, t->reds_sent[k]);
        sw_json_key (j, "sent");
        sw_json_int (j, (int64_t) r->sent);
        sw_json_key (j, "resent");
        sw_json_int (j, (int64_t) r->resent);
        sw_json_key (j, "duplicates");
        sw_json_int (j, (int64_t) r->duplicate);
        sw_json_key (j, "rejected");
        sw_json_int (j, (int64_t) r->rejected);
        sw_json_key (j, "retry_later");
        sw_json_int (j, (int64_t) r->retry_later);
        sw_json_key (j, "unacked_at_end");
        sw_json_int (j, (int64_t) r->unacked);
        s_num (j, "drain_s", t->drain_s[k]);
        s_num (j, "bench_cpu_pct", t->bench_cpu_pct[k]);
        const bench_pause_t *pz = &t->pause[k];
        sw_json_key (j, "machine_pauses");
        sw_json_int (j, (int64_t) pz->pauses);
        s_num (j, "machine_pause_ms_per_s", pz->seconds > 0 ? pz->pause_ms / pz->seconds : 0);
        s_num (j, "machine_pause_max_ms", pz->max_ms);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_key (j, "processes");
    sw_json_arr_begin (j);
    for (int i = 0; i < t->n_proc; i++) {
        bench_procres_t *p = &t->proc[i];
        sw_json_obj_begin (j);
        sw_json_key (j, "name");
        sw_json_str (j, p->name);
        sw_json_key (j, "cpu_pct");        /* per phase, 100 = one core */
        sw_json_arr_begin (j);
        for (int k = 0; k < t->n_phases; k++)
            sw_json_num (j, p->cpu_pct[k]);
        sw_json_arr_end (j);
        sw_json_key (j, "cpu_us_per_report"); /* per phase */
        sw_json_arr_begin (j);
        for (int k = 0; k < t->n_phases; k++)
            sw_json_num (j, p->cpu_us_per_report[k]);
        sw_json_arr_end (j);
        s_num (j, "rss_mb", p->end.rss_mb);
        s_num (j, "rss_anon_mb", p->end.rss_anon_mb);
        s_num (j, "rss_file_mb", p->end.rss_file_mb);
        s_num (j, "rss_peak_mb", p->end.hwm_mb);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
    sw_json_key (j, "reports_total");
    sw_json_int (j, (int64_t) t->reports_total);
    sw_json_key (j, "disk_bytes");
    sw_json_int (j, (int64_t) t->disk_end);
    sw_json_key (j, "disk_bytes_after_import");
    sw_json_int (j, (int64_t) t->disk_after_import);
    s_num (j, "disk_bytes_per_report", t->disk_per_report);
    sw_json_key (j, "warning_events");
    sw_json_int (j, (int64_t) t->events);
    sw_json_key (j, "probe_timeouts");
    sw_json_int (j, (int64_t) t->probe_timeouts);
    sw_json_obj_end (j);
}

static void
s_json_procs (sw_json_t *j, const char *key, const bench_procres_t *p, int n)
{
    sw_json_key (j, key);
    sw_json_arr_begin (j);
    for (int i = 0; i < n; i++) {
        sw_json_obj_begin (j);
        sw_json_key (j, "name");
        sw_json_str (j, p[i].name);
        s_num (j, "rss_mb", p[i].end.rss_mb);
        s_num (j, "rss_anon_mb", p[i].end.rss_anon_mb);
        s_num (j, "rss_peak_mb", p[i].end.hwm_mb);
        if (p[i].end.anon_peak_mb > 0)
            s_num (j, "rss_anon_peak_mb", p[i].end.anon_peak_mb);
        s_num (j, "cpu_s", p[i].end.cpu_s);
        sw_json_obj_end (j);
    }
    sw_json_arr_end (j);
}

static void
s_json_state (sw_json_t *j, const bench_state_t *s)
{
    sw_json_obj_begin (j);
    sw_json_key (j, "form");
    sw_json_str (j, s_form_name (s->form));
    sw_json_key (j, "ok");
    sw_json_bool (j, s->ok);
    if (s->error[0]) {
        sw_json_key (j, "error");
        sw_json_str (j, s->error);
    }
    sw_json_key (j, "projects");
    sw_json_int (j, (int64_t) s->projects);
    s_num (j, "import_s", s->import_s);
    s_num (j, "import_applied_s", s->applied_s);
    s_json_procs (j, "after_import", s->proc_import, s->n_proc);
    if (s->did_close) {
        sw_json_key (j, "close");
        sw_json_obj_begin (j);
        s_num (j, "judged_s", s->judged_s);
        s_num (j, "published_s", s->published_s);
        s_num (j, "digest_s", s->digest_s);
        sw_json_key (j, "events");
        sw_json_int (j, (int64_t) s->close_events);
        s_json_procs (j, "after_close", s->proc_close, s->n_proc);
        sw_json_obj_end (j);
    }
    if (s->did_replay) {
        sw_json_key (j, "replay");
        sw_json_obj_begin (j);
        sw_json_key (j, "messages");
        sw_json_int (j, (int64_t) s->replay_msgs);
        s_num (j, "seconds", s->replay_s);
        s_num (j, "per_s", s->replay_s > 0 ? s->replay_msgs / s->replay_s : -1);
        sw_json_key (j, "all_topics_messages");
        sw_json_int (j, (int64_t) s->replay_all_msgs);
        s_num (j, "all_topics_per_s", s->replay_all_s > 0 ? s->replay_all_msgs / s->replay_all_s : -1);
        sw_json_obj_end (j);
    }
    if (s->did_restart) {
        sw_json_key (j, "restart");
        sw_json_arr_begin (j);
        for (int i = 0; i < s->n_restart; i++) {
            sw_json_obj_begin (j);
            sw_json_key (j, "process");
            sw_json_str (j, s->restart[i].name);
            s_num (j, "serving_s", s->restart[i].serving_s);
            if (s->form == BENCH_FORM_SITEWATCHD) {
                s_num (j, "intake_s", s->restart[i].intake_s);
                s_num (j, "rules_s", s->restart[i].rules_s);
                s_num (j, "escalation_s", s->restart[i].escalation_s);
                s_num (j, "notify_s", s->restart[i].notify_s);
            }
            sw_json_obj_end (j);
        }
        sw_json_arr_end (j);
    }
    sw_json_key (j, "disk_bytes");
    sw_json_int (j, (int64_t) s->disk_end);
    sw_json_obj_end (j);
}

/* ----------------------------------------------------------- table */

static void
s_ms (char *buf, size_t cap, double v)
{
    if (v < 0)
        snprintf (buf, cap, "-");
    else
        snprintf (buf, cap, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
}

static void
s_table_tp (const bench_opts_t *o, bench_tp_t *t, double base)
{
    printf ("\n== throughput and latency: %s%s ==\n",
            t->form == BENCH_FORM_FOUR ? "four processes over tcp" : "sitewatchd (inproc)",
            t->ok ? "" : " (FAILED)");
    if (t->error[0])
        printf ("error: %s\n", t->error);
    printf ("registry: %zu projects imported and applied in %.2f s\n", t->projects, t->import_s);
    printf ("%-12s %10s %11s %8s %8s %8s %8s %8s %6s %8s %7s %6s %9s\n", "phase", "offered/s",
            "accepted/s", "ack p50", "ack p99", "p99.9", "red p50", "red p99", "red n", "retry_l",
            "drain s", "bench%", "pauses");
    for (int k = 0; k < t->n_phases; k++) {
        bench_load_result_t *r = &t->phase[k];
        char off[32], a50[16], a99[16], a999[16], r50[16], r99[16];
        if (k < o->n_rates)
            snprintf (off, sizeof off, "%.0f", o->rates[k]);
        else
            snprintf (off, sizeof off, "closed");
        s_ms (a50, sizeof a50, bench_lat_ms (&r->ack, 0.5));
        s_ms (a99, sizeof a99, bench_lat_ms (&r->ack, 0.99));
        s_ms (a999, sizeof a999, bench_lat_ms (&r->ack, 0.999));
        s_ms (r50, sizeof r50, bench_lat_ms (&t->red[k], 0.5));
        s_ms (r99, sizeof r99, bench_lat_ms (&t->red[k], 0.99));
        char rn[32];
        snprintf (rn, sizeof rn, "%zu/%u", t->red[k].n, t->reds_sent[k]);
        const bench_pause_t *pz = &t->pause[k];
        char pause[32];
        snprintf (pause, sizeof pause, "%.0f/%.1f", pz->seconds > 0 ? pz->pause_ms / pz->seconds : 0,
                  pz->max_ms);
        printf ("%-12s %10s %11.0f %8s %8s %8s %8s %8s %6s %8llu %7.2f %6.0f %9s\n",
                k < o->n_rates ? "paced" : "saturation", off, r->accepted_per_s, a50, a99, a999, r50,
                r99, rn, (unsigned long long) r->retry_later, t->drain_s[k], t->bench_cpu_pct[k],
                pause);
    }
    printf ("(latencies in ms; ack = first send -> acknowledged after the synced commit; red = report\n"
            " -> its warning event at the subscriber; red n = samples/red probes sent; drain = after\n the phase's last ack until a later report's event reached the subscriber; bench%% = the load generator's own CPU;\n"
            " pauses = ms per second by which a 1 ms sleep woke more than 2 ms late (the host pausing this machine,\n or every core busy), / the longest pause in ms)\n");
    if (t->reports_per_s >= 0) {
        printf ("sustained, accepted and through rules, escalation and notify: %.0f reports/s = %.2f x "
                "baseline\n",
                t->reports_per_s, s_ratio (t->reports_per_s, base));
        printf ("front door alone (acks in the window; the journal absorbs the rest): %.0f reports/s = "
                "%.2f x baseline; the chain drained %.2f s after the last ack\n",
                t->intake_per_s, s_ratio (t->intake_per_s, base), t->drain_s[t->n_phases - 1]);
    }
    int k5 = s_phase_5k (o);
    printf ("%-12s %8s %8s %10s %8s %8s %8s %8s\n", "process", "cpu%5k", "cpu%last", "us/report",
            "rss MB", "anon MB", "file MB", "peak MB");
    for (int i = 0; i < t->n_proc; i++) {
        bench_procres_t *p = &t->proc[i];
        int ks = t->n_phases - 1;
        printf ("%-12s %8.0f %8.0f %10.1f %8.1f %8.1f %8.1f %8.1f\n", p->name,
                k5 >= 0 ? p->cpu_pct[k5] : -1, p->cpu_pct[ks], p->cpu_us_per_report[ks],
                p->end.rss_mb, p->end.rss_anon_mb, p->end.rss_file_mb, p->end.hwm_mb);
    }
    printf ("(cpu over a phase until its reports were through; last = the last phase; us/report = "
            "CPU time\n per report accepted in the last phase)\n");
    printf ("disk: %.0f bytes per report (%.1f MB after import, %.1f MB after %llu reports)\n",
            t->disk_per_report, t->disk_after_import / 1e6, t->disk_end / 1e6,
            (unsigned long long) t->reports_total);
    printf ("warning events at the subscriber: %llu (probe timeouts: %llu)\n",
            (unsigned long long) t->events, (unsigned long long) t->probe_timeouts);
}

static void
s_table_state (const bench_state_t *s)
{
    printf ("\n== state scenarios: %s, %zu projects%s ==\n",
            s->form == BENCH_FORM_FOUR ? "four processes over tcp" : "sitewatchd (inproc)",
            s->projects, s->ok ? "" : " (FAILED)");
    if (s->error[0])
        printf ("error: %s\n", s->error);
    printf ("import: %.2f s (answered), applied by rules after %.2f s\n", s->import_s, s->applied_s);
    printf ("%-12s %10s %10s %10s %10s\n", "process", "rss MB", "anon MB", "peak MB", "cpu s");
    for (int i = 0; i < s->n_proc; i++)
        printf ("%-12s %10.1f %10.1f %10.1f %10.1f   (after import)\n", s->proc_import[i].name,
                s->proc_import[i].end.rss_mb, s->proc_import[i].end.rss_anon_mb,
                s->proc_import[i].end.hwm_mb, s->proc_import[i].end.cpu_s);
    if (s->did_close) {
        printf ("period close: %llu changes published (last at the subscriber) after %.2f s, the "
                "express report after %.2f s; rules answered the new level after %.2f s\n",
                (unsigned long long) s->close_events, s->published_s, s->digest_s, s->judged_s);
        for (int i = 0; i < s->n_proc; i++)
            printf ("%-12s %10.1f %10.1f %10.1f %10.1f   (3 s after the close; anon peak "
                    "during it %.1f MB)\n",
                    s->proc_close[i].name, s->proc_close[i].end.rss_mb,
                    s->proc_close[i].end.rss_anon_mb, s->proc_close[i].end.hwm_mb,
                    s->proc_close[i].end.cpu_s, s->proc_close[i].end.anon_peak_mb);
    }
    if (s->did_replay)
        printf ("replay from seq 1: %llu warning messages in %.2f s (%.0f/s); all topics %llu in "
                "%.2f s (%.0f/s)\n",
                (unsigned long long) s->replay_msgs, s->replay_s,
                s->replay_s > 0 ? s->replay_msgs / s->replay_s : 0,
                (unsigned long long) s->replay_all_msgs, s->replay_all_s,
                s->replay_all_s > 0 ? s->replay_all_msgs / s->replay_all_s : 0);
    for (int i = 0; i < s->n_restart; i++) {
        if (s->form == BENCH_FORM_SITEWATCHD)
            printf ("restart (kill -9) %s: serving after %.3f s (intake %.3f, rules %.3f, "
                    "escalation %.3f, notify %.3f)\n",
                    s->restart[i].name, s->restart[i].serving_s, s->restart[i].intake_s,
                    s->restart[i].rules_s, s->restart[i].escalation_s, s->restart[i].notify_s);
        else
            printf ("restart (kill -9) %s: serving after %.3f s\n", s->restart[i].name,
                    s->restart[i].serving_s);
    }
    printf ("disk: %.1f MB\n", s->disk_end / 1e6);
}

/* ------------------------------------------------------------ main */

int
main (int argc, char **argv)
{
    sw_config_t *cfg = sw_config_new (s_options);
    char err[512];
    int rc = sw_config_load (cfg, argc, argv, err, sizeof err);
    if (rc == 1) {
        s_help (cfg);
        sw_config_destroy (&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf (stderr, "sitewatch-bench: %s (try --help)\n", err);
        sw_config_destroy (&cfg);
        return 2;
    }
    const char *first = sw_config_positional (cfg, 0);
    if (first && strcmp (first, "gen-registry") == 0) {
        size_t n;
        if (sw_config_positional_count (cfg) != 2 || s_count (sw_config_positional (cfg, 1), &n) != 0) {
            fprintf (stderr, "usage: sitewatch-bench gen-registry N > registry.yaml\n");
            sw_config_destroy (&cfg);
            return 2;
        }
        rc = bench_registry_write (stdout, n, 0, n) == 0 && fflush (stdout) == 0 ? 0 : 1;
        sw_config_destroy (&cfg);
        return rc;
    }

    bool want_tp = false, want_base = false, want_close = false, want_replay = false,
         want_restart = false;
    size_t npos = sw_config_positional_count (cfg);
    for (size_t i = 0; i < npos; i++) {
        const char *s = sw_config_positional (cfg, i);
        if (strcmp (s, "throughput") == 0)
            want_tp = true;
        else if (strcmp (s, "baseline") == 0)
            want_base = true;
        else if (strcmp (s, "close") == 0)
            want_close = true;
        else if (strcmp (s, "replay") == 0)
            want_replay = true;
        else if (strcmp (s, "restart") == 0)
            want_restart = true;
        else if (strcmp (s, "state") == 0)
            want_close = want_replay = want_restart = true;
        else {
            fprintf (stderr, "sitewatch-bench: unknown scenario '%s' (try --help)\n", s);
            sw_config_destroy (&cfg);
            return 2;
        }
    }
    if (!npos)
        want_tp = true;
    bool want_state = want_close || want_replay || want_restart;

    bench_opts_t o;
    memset (&o, 0, sizeof o);
    bool json = sw_config_get_bool (cfg, "json");
    bench_quiet = json && !sw_config_get_bool (cfg, "verbose");
    o.seconds = strtod (sw_config_get (cfg, "seconds"), NULL);
    o.devices = (int) sw_config_get_int (cfg, "devices", 64);
    o.window = (int) sw_config_get_int (cfg, "window", 32);
    o.threads = (int) sw_config_get_int (cfg, "threads", 2);
    o.probe_rate = strtod (sw_config_get (cfg, "probe-rate"), NULL);
    if (o.probe_rate < 0)
        o.probe_rate = 0;
    o.timeout_s = (int) sw_config_get_int (cfg, "timeout", 300);
    o.slow_log_ms = (int) sw_config_get_int (cfg, "slow-log", 0);
    if (o.slow_log_ms < 0)
        o.slow_log_ms = 0;
    o.saturation = strcmp (sw_config_get (cfg, "saturation"), "off") != 0;
    o.keep = sw_config_get_bool (cfg, "keep");
    o.small_tail = sw_config_get_bool (cfg, "small-tail");
    snprintf (o.log_level, sizeof o.log_level, "%s", sw_config_get (cfg, "log-level"));
    const char *bin = sw_config_get (cfg, "bin");
    if (bin && *bin)
        snprintf (o.bindir, sizeof o.bindir, "%s", bin);
    else
        bench_self_dir (o.bindir, sizeof o.bindir);
    if (s_count (sw_config_get (cfg, "chunk"), &o.chunk) != 0 || o.chunk == 0)
        o.chunk = 18000;
    char rates[256];
    snprintf (rates, sizeof rates, "%s", sw_config_get (cfg, "rates"));
    char *save = NULL;
    for (char *r = strtok_r (rates, ",", &save); r && o.n_rates < BENCH_MAX_RATES;
         r = strtok_r (NULL, ",", &save)) {
        size_t v;
        if (s_count (r, &v) != 0 || v == 0) {
            fprintf (stderr, "sitewatch-bench: --rates: bad rate '%s'\n", r);
            return 2;
        }
        o.rates[o.n_rates++] = (double) v;
    }
    if (!o.saturation && o.n_rates == 0) {
        fprintf (stderr, "sitewatch-bench: --saturation off needs --rates\n");
        return 2;
    }
    const char *form = sw_config_get (cfg, "form");
    bool forms[2] = { strcmp (form, "sitewatchd") == 0 || strcmp (form, "both") == 0,
                      strcmp (form, "four") == 0 || strcmp (form, "both") == 0 };
    if (!forms[0] && !forms[1]) {
        fprintf (stderr, "sitewatch-bench: --form must be sitewatchd, four or both\n");
        return 2;
    }
    if (o.seconds <= 0 || o.devices <= 0 || o.window <= 0 || o.threads <= 0) {
        fprintf (stderr, "sitewatch-bench: --seconds, --devices, --window, --threads must be > 0\n");
        return 2;
    }
    size_t tp_projects = 10000, state_projects = 100000;
    const char *pv = sw_config_get (cfg, "projects");
    if (pv) {
        if (s_count (pv, &tp_projects) != 0 || tp_projects < 36) {
            fprintf (stderr, "sitewatch-bench: --projects must be at least 36\n");
            return 2;
        }
        state_projects = tp_projects;
    }
    zsys_init ();
    zsys_set_logstream (NULL);

    sw_json_t *j = sw_json_new ();
    sw_json_obj_begin (j);
    sw_json_key (j, "bench");
    sw_json_str (j, "sitewatch-bench");
    s_json_machine (j);
    sw_json_key (j, "seconds_per_phase");
    sw_json_num (j, o.seconds);
    sw_json_key (j, "devices");
    sw_json_int (j, o.devices);
    sw_json_key (j, "window");
    sw_json_int (j, o.window);
    int status = 0;
    if (!json) {
        char model[256];
        s_cpu_model (model, sizeof model);
        printf ("machine: %ld cores (%s), load average %.2f at start\n",
                sysconf (_SC_NPROCESSORS_ONLN), model, s_loadavg ());
    }

    double base = -1;
    if (want_tp || want_base) {
        char dir[PATH_MAX];
        bench_baseline_t b;
        double secs = o.seconds < 1 ? 1 : o.seconds > 10 ? 10 : o.seconds;
        bench_say ("one-hop baseline, %.0f s", secs);
        if (bench_mkdtemp (dir, sizeof dir, "sitewatch-bench-hop") == 0
            && bench_baseline_run (dir, secs, &b) == 0) {
            base = b.per_s;
            if (!json)
                printf ("one-hop baseline (tcp -> unpack -> synced LMDB batch -> forward): %.0f msg/s, "
                        "%.0f messages per commit\n",
                        b.per_s, b.avg_batch);
            sw_json_key (j, "baseline");
            sw_json_obj_begin (j);
            s_num (j, "hop_per_s", b.per_s);
            s_num (j, "messages_per_commit", b.avg_batch);
            s_num (j, "commits_per_s", b.seconds > 0 ? b.commits / b.seconds : -1);
            sw_json_obj_end (j);
        }
        else
            status = 1;
        bench_rmtree (dir);
        s_num (j, "baseline_hop_per_s", base);
    }
    if (want_tp) {
        o.projects = tp_projects;
        sw_json_key (j, "projects");
        sw_json_int (j, (int64_t) o.projects);
        bench_tp_t runs[2];
        int n_runs = 0;
        for (int f = 0; f < 2; f++) {
            if (!forms[f] || zsys_interrupted)
                continue;
            bench_tp_t *t = &runs[n_runs++];
            if (bench_run_throughput (&o, (bench_form_t) f, t) != 0)
                status = 1;
            if (!json)
                s_table_tp (&o, t, base);
        }
        /* The headline figures: the first form run (sitewatchd by default). */
        if (n_runs) {
            bench_tp_t *t = &runs[0];
            int k5 = s_phase_5k (&o);
            sw_json_key (j, "form");
            sw_json_str (j, s_form_name (t->form));
            s_num (j, "reports_per_s", t->reports_per_s);
            s_num (j, "ratio_to_baseline", s_ratio (t->reports_per_s, base));
            s_num (j, "intake_accepted_per_s", t->intake_per_s);
            bench_lat_t none = { 0 };
            bench_lat_t *ack = k5 >= 0 ? &t->phase[k5].ack : &none;
            bench_lat_t *red = k5 >= 0 ? &t->red[k5] : &none;
            sw_json_key (j, "at_offered_per_s");
            sw_json_num (j, k5 >= 0 ? o.rates[k5] : 0);
            s_num (j, "ack_p50_ms", bench_lat_ms (ack, 0.5));
            s_num (j, "ack_p99_ms", bench_lat_ms (ack, 0.99));
            s_num (j, "ack_p999_ms", bench_lat_ms (ack, 0.999));
            s_num (j, "red_p50_ms", bench_lat_ms (red, 0.5));
            s_num (j, "red_p99_ms", bench_lat_ms (red, 0.99));
            s_num (j, "disk_bytes_per_report", t->disk_per_report);
        }
        sw_json_key (j, "runs");
        sw_json_arr_begin (j);
        for (int r = 0; r < n_runs; r++) {
            s_json_tp (j, &o, &runs[r], base);
            bench_tp_free (&runs[r]);
        }
        sw_json_arr_end (j);
    }
    if (want_state) {
        o.projects = state_projects;
        sw_json_key (j, "state");
        sw_json_arr_begin (j);
        for (int f = 0; f < 2; f++) {
            if (!forms[f] || zsys_interrupted)
                continue;
            bench_state_t s;
            if (bench_run_state (&o, (bench_form_t) f, want_close || want_replay, want_replay,
                                 want_restart, &s)
                != 0)
                status = 1;
            if (!json)
                s_table_state (&s);
            s_json_state (j, &s);
        }
        sw_json_arr_end (j);
    }
    s_num (j, "loadavg_1m_at_end", s_loadavg ());
    sw_json_key (j, "ok");
    sw_json_bool (j, status == 0);
    sw_json_obj_end (j);
    if (json)
        printf ("%s\n", sw_json_text (j));
    else
        printf ("\nload average %.2f at end\n", s_loadavg ());
    sw_json_destroy (&j);
    sw_config_destroy (&cfg);
    return status;
}
