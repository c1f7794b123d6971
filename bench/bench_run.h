/* bench_run: the scenarios, each against servers it starts itself from a
 * fresh data directory, and what they measure. Printing is main.c's job. */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include "bench.h"

#define BENCH_MAX_RATES 8

typedef struct {
    char bindir[4096];
    char log_level[16];
    double seconds;          /* each measured phase */
    size_t projects;
    int devices, window, threads;
    double rates[BENCH_MAX_RATES];
    int n_rates;
    double probe_rate;
    bool saturation;         /* run the closed-loop phase after the paced ones */
    bool keep;
    int timeout_s;
    size_t chunk;            /* projects per registry import request */
    bool small_tail;         /* the last registry cycle imported alone, last */
    int slow_log_ms;         /* print acks slower than this (0: none) */
} bench_opts_t;

typedef struct {
    char name[32];
    bench_proc_t end;
    /* Per phase, from its start until its reports are through the chain. */
    double cpu_pct[BENCH_MAX_RATES + 1];  /* 100 = one core busy */
    double cpu_us_per_report[BENCH_MAX_RATES + 1];
} bench_procres_t;

/* The throughput and latency scenario, one form. */
typedef struct {
    bench_form_t form;
    bool ok;
    char error[512];
    size_t projects;
    double import_s;
    int n_phases;                              /* rates, then saturation */
    bench_load_result_t phase[BENCH_MAX_RATES + 1];
    bench_lat_t red[BENCH_MAX_RATES + 1];
    unsigned reds_sent[BENCH_MAX_RATES + 1];
    /* Saturation: reports_per_s counts reports accepted AND through the
     * whole chain (from the phase's start until a later report's event
     * reached the subscriber): what the system sustains. intake_per_s counts
     * acknowledgements in the window only: the front door can run ahead of
     * the chain for a while (its durable journal absorbs the difference,
     * up to --overload-backlog). */
    double reports_per_s;
    double intake_per_s;
    double drain_s[BENCH_MAX_RATES + 1];       /* after the phase's last ack, until through */
    uint64_t reports_total;                    /* accepted in every phase */
    uint64_t events, probe_timeouts;
    uint64_t disk_after_import, disk_end;
    double disk_per_report;
    bench_procres_t proc[BENCH_MAX_PROCS];
    int n_proc;
    double bench_cpu_pct[BENCH_MAX_RATES + 1];
    bench_pause_t pause[BENCH_MAX_RATES + 1];   /* the pause meter, per phase */
} bench_tp_t;

/* The state scenarios (close, replay, restart), one form. */
typedef struct {
    bench_form_t form;
    bool ok;
    char error[512];
    size_t projects;
    double import_s, applied_s;
    bench_procres_t proc_import[BENCH_MAX_PROCS], proc_close[BENCH_MAX_PROCS];
    int n_proc;
    bool did_close, did_replay, did_restart;
    /* From the clock change. judged_s: a status query of the last project
     * answered yellow; it waits (read-your-writes) until rules has applied
     * the message that crossed the close instant: all projects judged and
     * the express report compiled. */
    double judged_s, published_s;
    double digest_s;                           /* the express report at the subscriber */
    uint64_t close_events;
    uint64_t replay_msgs, replay_all_msgs;
    double replay_s, replay_all_s;
    struct {
        char name[32];
        double serving_s;      /* exec -> the service answers */
        double intake_s, rules_s, escalation_s, notify_s;  /* sitewatchd: each */
        bool ok;
    } restart[BENCH_MAX_PROCS];
    int n_restart;
    uint64_t disk_end;
} bench_state_t;

int bench_run_throughput (const bench_opts_t *opts, bench_form_t form, bench_tp_t *out);
void bench_tp_free (bench_tp_t *tp);
int bench_run_state (const bench_opts_t *opts, bench_form_t form, bool close, bool replay,
                     bool restart, bench_state_t *out);

#endif
