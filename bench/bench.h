/* bench: sitewatch-bench, the benchmark that tells the truth (issue 7).
 * One executable: a synthetic registry generator, a load generator playing
 * field devices against the real ingress (sitewatchd, or the four processes
 * over tcp, started and reaped here), a subscriber timing report -> red, the
 * one-hop baseline, and the period close / restart / replay scenarios.
 * Nothing here fails on a figure: it measures and prints. */
#ifndef BENCH_H
#define BENCH_H

#include "sitewatch.pb-c.h"
#include "sw_client.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ------------------------------------------------------------ registry
 * The synthetic registry of n projects: zone "Bench Zone", Asia/Shanghai,
 * anchor 2026-03-01, BENCH_LEADERS leaders, projects P0000000.. all started
 * 2026-03-01 and due 2026-04-10 with no milestones (planned progress rises
 * 2.5 points a day: 25 % on 2026-03-11). Projects come in cycles of 18 (the
 * last cycle takes the remainder); each cycle is shared by 3 to 5
 * commissioners, each following 5 to 7 projects (n >= 18 guarantees it). */
#define BENCH_LEADERS 8
#define BENCH_CYCLE 18

/* Writes the projects [first, end) of the n-project registry as one valid
 * registry file: every leader, the commissioners of those projects, the
 * projects. first and end must be chunk boundaries (0, n, or values from
 * bench_registry_chunk_end). Returns 0, or -1 on a write error. */
int bench_registry_write (FILE *out, size_t n, size_t first, size_t end);
/* The same into a malloc'd buffer; *len receives its size. */
char *bench_registry_yaml (size_t n, size_t first, size_t end, size_t *len);
/* The first chunk boundary at or after first + want (at most n). */
size_t bench_registry_chunk_end (size_t n, size_t first, size_t want);
/* "P0000042" for project 42; buf holds at least 24 bytes. */
void bench_project_id (size_t i, char *buf);
/* Project index of an id made by bench_project_id, or -1. */
long bench_project_index (const char *id);

/* --------------------------------------------------------- latencies */
typedef struct {
    uint32_t *us;  /* samples in microseconds */
    size_t n, cap;
    bool sorted;
} bench_lat_t;

void bench_lat_add (bench_lat_t *self, int64_t us);
void bench_lat_merge (bench_lat_t *self, const bench_lat_t *other);
/* The q-quantile (0..1) in milliseconds; -1 when there is no sample. */
double bench_lat_ms (bench_lat_t *self, double q);
void bench_lat_clear (bench_lat_t *self);

/* Monotonic clock in microseconds. */
int64_t bench_now_us (void);

/* ----------------------------------------------------------- servers */
typedef enum { BENCH_FORM_SITEWATCHD = 0, BENCH_FORM_FOUR = 1 } bench_form_t;

#define BENCH_MAX_PROCS 4

typedef struct {
    bench_form_t form;
    char bindir[4096];           /* where sitewatchd and sitewatch-<svc> live */
    char work[4096];             /* fresh temp directory: data dirs and logs */
    char log_level[16];
    char endpoint[64], rules[64], escalation[64], notify[64];
    int n;                       /* processes: 1 (sitewatchd) or 4 */
    char names[BENCH_MAX_PROCS][32];
    pid_t pid[BENCH_MAX_PROCS];
    int64_t started_us[BENCH_MAX_PROCS];
} bench_servers_t;

/* Prepares the placement (ports, temp directory) without starting. 0 / -1. */
int bench_servers_init (bench_servers_t *self, bench_form_t form, const char *bindir,
                        const char *log_level);
/* Starts every process (downstream first) and waits until intake answers.
 * 0, or -1 with a message on stderr. */
int bench_servers_start (bench_servers_t *self, int timeout_ms);
/* Starts process i again (after bench_servers_kill). 0 / -1. */
int bench_servers_start_one (bench_servers_t *self, int i);
/* Sends sig to process i and reaps it (SIGKILL after 10 s). */
void bench_servers_kill (bench_servers_t *self, int i, int sig);
/* Stops everything (SIGTERM, then SIGKILL after 10 s), reaps; keeps work. */
void bench_servers_stop (bench_servers_t *self);
/* Name of the first process that has exited on its own, or NULL. */
const char *bench_servers_dead (bench_servers_t *self);
/* Total bytes on disk under the data directories (du). */
uint64_t bench_servers_du (const bench_servers_t *self);
/* Prints the last lines of process i's log to stderr. */
void bench_servers_tail_log (const bench_servers_t *self, int i);

typedef struct {
    double cpu_s;        /* utime + stime */
    double rss_mb, rss_anon_mb, rss_file_mb, hwm_mb;
    double anon_peak_mb; /* highest rss_anon_mb seen while sampling (a close) */
} bench_proc_t;

/* Reads /proc/pid/{stat,status}. 0 / -1. */
int bench_proc_sample (pid_t pid, bench_proc_t *out);
/* Bytes allocated on disk under dir (st_blocks * 512, recursive). */
uint64_t bench_du (const char *dir);
/* Removes dir recursively. 0 / -1. */
int bench_rmtree (const char *dir);
/* Makes a fresh directory $TMPDIR/<prefix>.XXXXXX (TMPDIR unset or empty:
   /tmp) into buf. 0 / -1 with errno. The servers' data lives there, so the
   disk under TMPDIR is the disk measured. */
int bench_mkdtemp (char *buf, size_t cap, const char *prefix);
/* Finds a block of 4 free loopback tcp ports; returns the first. */
int bench_free_ports (void);
/* The directory of this executable. */
void bench_self_dir (char *buf, size_t cap);

/* ---------------------------------------------------------- requests */
/* One request/response through the front door with resends; NULL on
 * timeout. Free with sitewatch__v1__response__free_unpacked. */
Sitewatch__V1__Response *bench_call (sw_client_t *client, Sitewatch__V1__Request *req,
                                     int timeout_ms, int resend_ms);
/* A client whose reconnects are fast (restart timings are not rounded up to
 * libzmq's default 100 ms reconnect interval). */
sw_client_t *bench_client_new (const char *endpoint);
/* Sets the manual clock to iso (e.g. "2026-03-11T10:00:00+08:00"). 0 / -1. */
int bench_clock_set (sw_client_t *client, int64_t utc_ms);
/* Imports the n-project registry in chunks of about chunk projects; with
 * small_tail the last cycle (18..35 projects) goes alone, last. (Services
 * keep the last import's people list: rules' digest walks its commissioners
 * against every project.) 0 / -1 (with errors on stderr). */
int bench_import (sw_client_t *client, size_t n, size_t chunk, bool small_tail);
/* First project of the registry's last cycle. */
size_t bench_registry_last_cycle (size_t n);
/* Project query: 0 with *level filled, 1 when unknown, -1 on timeout. */
int bench_project_level (sw_client_t *client, const char *project_id, int timeout_ms,
                         Sitewatch__V1__Level *level);
/* Notify's log head (highest sequence), or -1 on timeout. */
int64_t bench_notify_head (sw_client_t *client, int timeout_ms);

/* UTC ms of a local Asia/Shanghai (UTC+8) date and time. */
int64_t bench_shanghai_ms (int y, int mo, int d, int h, int mi, int s);

/* ----------------------------------------------------------- devices */
typedef struct {
    const char *endpoint;
    size_t first_project, n_projects; /* the projects this load reports on */
    int threads, devices, window;     /* window: requests in flight per device */
    double rate;                      /* offered reports/s (paced); 0 = closed loop */
    double seconds, warmup;
    int64_t observed_base;            /* observed_at = base + ms since start */
    int retry_ms;                     /* resend an unacknowledged report after */
    int slow_log_ms;                  /* print measured acks slower than this (0: none) */
} bench_load_opts_t;

typedef struct {
    double offered;                   /* reports/s offered (0 = closed loop) */
    double window_s;                  /* measured window */
    uint64_t sent, resent, accepted, duplicate, rejected, retry_later, behind, unacked;
    uint64_t accepted_all;            /* accepted at any time, warm-up and drain included */
    double accepted_per_s;
    bench_lat_t ack;                  /* first send (or scheduled send) -> ack */
    char first_reject[160];
} bench_load_result_t;

/* Plays opts->devices devices for opts->seconds, then waits (bounded) for
 * what is still in flight. 0, or -1 when nothing could be sent. */
int bench_load_run (const bench_load_opts_t *opts, bench_load_result_t *result);
void bench_load_result_free (bench_load_result_t *result);

/* -------------------------------------------------------- subscriber
 * A Fetch long-poll loop on "warning." that counts warning events, and a
 * prober that toggles a pool of projects red (5 %) and green (30 %) and times
 * each report until its event reaches the subscriber. */
typedef struct bench_watch_t bench_watch_t;

#define BENCH_WATCH_PHASES 16

bench_watch_t *bench_watch_start (const char *endpoint, size_t first_probe, size_t n_probe,
                                  size_t first_marker, size_t n_marker, double probe_rate,
                                  int64_t observed_base);
/* Probes sent from now on count for phase (0..BENCH_WATCH_PHASES-1; -1 =
 * none). */
void bench_watch_phase (bench_watch_t *self, int phase);
/* Copies the report -> red latencies of phase into out. */
void bench_watch_red (bench_watch_t *self, int phase, bench_lat_t *out);
/* Red probes sent during phase (each should give one red sample). */
unsigned bench_watch_reds_sent (bench_watch_t *self, int phase);
uint64_t bench_watch_events (bench_watch_t *self);
uint64_t bench_watch_probe_timeouts (bench_watch_t *self);
/* Sends a marker report (red on a fresh project) and returns the monotonic
 * µs at which its event reached the subscriber, or -1 after timeout_ms. Every
 * report acknowledged before the call is through the whole chain by then. */
int64_t bench_watch_marker (bench_watch_t *self, int timeout_ms);
void bench_watch_stop (bench_watch_t **self_p);

/* ------------------------------------------------------- pause meter
 * A thread that sleeps 1 ms at a time and counts how much later than asked
 * it woke (as jHiccup does): a pause > 2 ms means the machine ran none of
 * its threads for that long (or every core was busy with others: then it
 * measures the contention), whatever the servers do. On a virtual
 * machine whose host caps its CPU (the vCPUs and the host's work for its
 * disk together), every thread stops for 5-15 ms about every 100 ms once
 * the cap is reached: those pauses are in every latency figure of the
 * phase, the servers' and the load generator's alike. */
typedef struct {
    uint64_t pauses;     /* wakes later than 2 ms */
    double pause_ms;     /* their lateness, summed */
    double max_ms;
    double seconds;      /* how long the phase was watched */
} bench_pause_t;

void bench_pause_start (void);
/* Pauses from now on count for phase (0..BENCH_WATCH_PHASES-1; -1: none). */
void bench_pause_phase (int phase);
void bench_pause_get (int phase, bench_pause_t *out);
void bench_pause_stop (void);

/* ---------------------------------------------------------- baseline
 * The one-hop baseline: a sender pushes packed device Requests over tcp; the
 * hop unpacks each, appends every message read in one loop turn to LMDB
 * (sequence keys, MDB_APPEND) and commits with full sync, then forwards the
 * batch over tcp to a sink that counts. */
typedef struct {
    double per_s;
    uint64_t messages, commits;
    double seconds;
    double avg_batch;
} bench_baseline_t;

int bench_baseline_run (const char *dir, double seconds, bench_baseline_t *out);

/* --------------------------------------------------------- reporting */
/* stderr progress lines (quiet when --json, unless verbose). */
void bench_say (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
extern bool bench_quiet;

#endif
