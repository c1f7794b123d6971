/* bench_pause: the pause meter (see bench.h). */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define S_SLEEP_NS 1000000L
#define S_PAUSE_US 2000

static pthread_t s_thread;
static atomic_bool s_running;
static atomic_int s_phase = -1;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static bench_pause_t s_res[BENCH_WATCH_PHASES];

static void *
s_run (void *arg)
{
    (void) arg;
    int64_t last = bench_now_us ();
    while (atomic_load (&s_running)) {
        struct timespec ts = { 0, S_SLEEP_NS };
        int64_t t0 = bench_now_us ();
        clock_nanosleep (CLOCK_MONOTONIC, 0, &ts, NULL);
        int64_t t1 = bench_now_us ();
        int64_t late = t1 - t0 - S_SLEEP_NS / 1000;
        int k = atomic_load (&s_phase);
        if (k < 0 || k >= BENCH_WATCH_PHASES) {
            last = t1;
            continue;
        }
        pthread_mutex_lock (&s_lock);
        bench_pause_t *r = &s_res[k];
        r->seconds += (t1 - last) / 1e6;
        if (late > S_PAUSE_US) {
            r->pauses++;
            r->pause_ms += late / 1e3;
            if (late / 1e3 > r->max_ms)
                r->max_ms = late / 1e3;
        }
        pthread_mutex_unlock (&s_lock);
        last = t1;
    }
    return NULL;
}

void
bench_pause_start (void)
{
    memset (s_res, 0, sizeof s_res);
    atomic_store (&s_phase, -1);
    atomic_store (&s_running, true);
    if (pthread_create (&s_thread, NULL, s_run, NULL) != 0)
        atomic_store (&s_running, false);
}

void
bench_pause_phase (int phase)
{
    atomic_store (&s_phase, phase);
}

void
bench_pause_get (int phase, bench_pause_t *out)
{
    memset (out, 0, sizeof *out);
    if (phase < 0 || phase >= BENCH_WATCH_PHASES)
        return;
    pthread_mutex_lock (&s_lock);
    *out = s_res[phase];
    pthread_mutex_unlock (&s_lock);
}

void
bench_pause_stop (void)
{
    if (!atomic_exchange (&s_running, false))
        return;
    pthread_join (s_thread, NULL);
}
