/* bench_watch: the subscriber and the prober, in one thread of their own.
 * The subscriber long-polls notify's log (Fetch on "warning.", from the next
 * sequence) and counts warning events. The prober walks a pool of projects:
 * a 5 % report makes a green project red (lag 20 points on 2026-03-11), a
 * 30 % report makes it green again; each report's send time is kept until its
 * event reaches the subscriber, which gives report -> red at the subscriber. */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { S_GREEN = 0, S_RED_SENT, S_RED, S_GREEN_SENT, S_MARK_SENT, S_SPENT };

typedef struct {
    int state;
    int phase;           /* of the report in flight */
    int64_t sent_us;
    int64_t resend_us;
    bool acked;
    char report_id[27];
    char request_id[32];
    int32_t percent_bp;
    int64_t observed_at;
} s_probe_t;

struct bench_watch_t {
    char endpoint[64];
    pthread_t thread;
    atomic_bool stop;
    atomic_int phase;
    atomic_uint_fast64_t events, timeouts;
    size_t first_probe, n_probe, first_marker, n_marker;
    double rate;
    int64_t observed_base, start_us;
    s_probe_t *probes;   /* n_probe + n_marker, indexed from first_probe */
    pthread_mutex_t lock;
    bench_lat_t red[BENCH_WATCH_PHASES];
    atomic_uint reds_sent[BENCH_WATCH_PHASES];
    /* marker handshake */
    atomic_int marker_ask;     /* main: 1 = please send one */
    atomic_int_fast64_t marker_at;  /* thread: arrival, or 0 */
    size_t next_marker;
};

static void
s_send_probe (bench_watch_t *self, sw_client_t *c, size_t index)
{
    s_probe_t *p = &self->probes[index];
    char pid[24];
    bench_project_id (self->first_probe + index, pid);
    Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
    rep.report_id = p->report_id;
    rep.project_id = pid;
    rep.source = SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER;
    rep.observed_at = p->observed_at;
    rep.percent_bp = p->percent_bp;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.request_id = p->request_id;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
    req.report = &rep;
    sw_client_send (c, &req);
}

static void
s_start_probe (bench_watch_t *self, sw_client_t *c, size_t index, int32_t bp, int state)
{
    s_probe_t *p = &self->probes[index];
    sw_id_new (p->report_id);
    snprintf (p->request_id, sizeof p->request_id, "p%zu", index);
    p->percent_bp = bp;
    p->observed_at = self->observed_base + (bench_now_us () - self->start_us) / 1000;
    p->sent_us = bench_now_us ();
    p->phase = atomic_load (&self->phase);
    if (state == S_RED_SENT && p->phase >= 0 && p->phase < BENCH_WATCH_PHASES)
        atomic_fetch_add (&self->reds_sent[p->phase], 1);
    p->acked = false;
    p->state = state;
    p->resend_us = p->sent_us + 2000000;
    s_send_probe (self, c, index);
}

static void
s_fetch (sw_client_t *c, uint64_t from, const char *rid)
{
    char *prefixes[] = { "warning." };
    Sitewatch__V1__Fetch f = SITEWATCH__V1__FETCH__INIT;
    f.from_seq = from;
    f.prefixes = prefixes;
    f.n_prefixes = 1;
    f.max = 1000;
    f.wait_ms = 500;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.request_id = (char *) rid;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH;
    req.fetch = &f;
    sw_client_send (c, &req);
}

static void
s_on_event (bench_watch_t *self, const Sitewatch__V1__WarningEvent *ev, int64_t now)
{
    atomic_fetch_add (&self->events, 1);
    long idx = bench_project_index (ev->project_id);
    if (idx < (long) self->first_probe || idx >= (long) (self->first_probe + self->n_probe + self->n_marker))
        return;
    s_probe_t *p = &self->probes[idx - (long) self->first_probe];
    if (ev->to == SITEWATCH__V1__LEVEL__LEVEL_RED
        && (p->state == S_RED_SENT || p->state == S_MARK_SENT)) {
        if (p->state == S_MARK_SENT) {
            atomic_store (&self->marker_at, now);
            p->state = S_SPENT;
            return;
        }
        p->state = S_RED;
        if (p->phase >= 0 && p->phase < BENCH_WATCH_PHASES) {
            pthread_mutex_lock (&self->lock);
            bench_lat_add (&self->red[p->phase], now - p->sent_us);
            pthread_mutex_unlock (&self->lock);
        }
    }
    else if (ev->to == SITEWATCH__V1__LEVEL__LEVEL_GREEN && p->state == S_GREEN_SENT)
        p->state = S_GREEN;
}

static void *
s_thread (void *arg)
{
    bench_watch_t *self = arg;
    sw_client_t *sub = bench_client_new (self->endpoint);
    sw_client_t *prober = bench_client_new (self->endpoint);
    zmq_pollitem_t items[2] = {
        { zsock_resolve (sw_client_sock (sub)), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (sw_client_sock (prober)), 0, ZMQ_POLLIN, 0 },
    };
    uint64_t next_seq = 1, fetch_no = 0;
    char fetch_id[32] = "";
    int64_t fetch_sent = 0;
    bool fetching = false;
    int64_t interval = self->rate > 0 ? (int64_t) (1e6 / self->rate) : 0;
    int64_t next_probe = bench_now_us () + interval;
    size_t cursor = 0;
    while (!atomic_load (&self->stop) && !zsys_interrupted) {
        int64_t now = bench_now_us ();
        /* A long-poll fetch is answered as soon as notify has a message from
         * next_seq, or after its wait_ms: only a fetch unanswered for 30 s is
         * taken as lost. */
        if (!fetching || now - fetch_sent > 30000000) {
            snprintf (fetch_id, sizeof fetch_id, "f%llu", (unsigned long long) ++fetch_no);
            s_fetch (sub, next_seq, fetch_id);
            fetching = true;
            fetch_sent = now;
        }
        if (atomic_load (&self->marker_ask) == 1) {
            atomic_store (&self->marker_ask, 0);
            if (self->next_marker < self->n_marker)
                s_start_probe (self, prober, self->n_probe + self->next_marker++, 500, S_MARK_SENT);
        }
        if (interval && self->n_probe && now >= next_probe) {
            /* A project whose red arrived goes green again first; else the
             * next green one goes red: reds and greens alternate, so every
             * phase gets its share of red samples. */
            size_t pick = self->n_probe;
            for (size_t i = 0; i < self->n_probe && pick == self->n_probe; i++)
                if (self->probes[i].state == S_RED)
                    pick = i;
            for (size_t k = 0; k < self->n_probe && pick == self->n_probe; k++) {
                size_t i = (cursor + k) % self->n_probe;
                s_probe_t *p = &self->probes[i];
                if (p->state == S_GREEN) {
                    pick = i;
                    cursor = i + 1;
                }
                else if ((p->state == S_RED_SENT || p->state == S_GREEN_SENT)
                         && now - p->sent_us > 60000000) {
                    /* its event never came within 60 s: count it, start over */
                    atomic_fetch_add (&self->timeouts, 1);
                    p->state = S_RED;
                }
            }
            if (pick < self->n_probe) {
                s_probe_t *p = &self->probes[pick];
                bool to_red = p->state == S_GREEN;
                s_start_probe (self, prober, pick, to_red ? 500 : 3000,
                               to_red ? S_RED_SENT : S_GREEN_SENT);
            }
            next_probe += interval;
            if (next_probe < now)
                next_probe = now + interval;
        }
        /* Resend unacknowledged probes (a device retries until acknowledged). */
        for (size_t i = 0; i < self->n_probe + self->n_marker; i++) {
            s_probe_t *p = &self->probes[i];
            if ((p->state == S_RED_SENT || p->state == S_GREEN_SENT || p->state == S_MARK_SENT)
                && !p->acked && now >= p->resend_us) {
                p->resend_us = now + 2000000;
                s_send_probe (self, prober, i);
            }
        }
        long wait = 10;
        if (interval) {
            int64_t w = (next_probe - bench_now_us ()) / 1000;
            wait = w < 0 ? 0 : w < 10 ? w : 10;
        }
        if (zmq_poll (items, 2, wait) < 0)
            continue;
        now = bench_now_us ();
        if (items[0].revents & ZMQ_POLLIN) {
            Sitewatch__V1__Response *r;
            while ((r = sw_client_recv (sub, 0))) {
                if (r->request_id && strcmp (r->request_id, fetch_id) == 0
                    && r->body_case == SITEWATCH__V1__RESPONSE__BODY_FETCH) {
                    const Sitewatch__V1__FetchAnswer *a = r->fetch;
                    for (size_t i = 0; i < a->n_messages; i++)
                        if (a->messages[i]->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_WARNING)
                            s_on_event (self, a->messages[i]->warning, now);
                    if (a->next_seq > next_seq)
                        next_seq = a->next_seq;
                    fetching = false;
                }
                sitewatch__v1__response__free_unpacked (r, NULL);
            }
        }
        if (items[1].revents & ZMQ_POLLIN) {
            Sitewatch__V1__Response *r;
            while ((r = sw_client_recv (prober, 0))) {
                long i = r->request_id && r->request_id[0] == 'p' ? strtol (r->request_id + 1, NULL, 10)
                                                                  : -1;
                if (i >= 0 && (size_t) i < self->n_probe + self->n_marker
                    && r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK) {
                    self->probes[i].acked = true;
                    if (r->ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED)
                        fprintf (stderr, "sitewatch-bench: probe rejected: %s: %s\n", r->ack->code,
                                 r->ack->message);
                    else if (r->ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER) {
                        self->probes[i].acked = false;
                        self->probes[i].resend_us = now + 500000;
                    }
                }
                sitewatch__v1__response__free_unpacked (r, NULL);
            }
        }
    }
    sw_client_destroy (&sub);
    sw_client_destroy (&prober);
    return NULL;
}

bench_watch_t *
bench_watch_start (const char *endpoint, size_t first_probe, size_t n_probe, size_t first_marker,
                   size_t n_marker, double probe_rate, int64_t observed_base)
{
    bench_watch_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    /* Markers sit right after the probes: one pool, one index. */
    if (first_marker != first_probe + n_probe)
        n_marker = 0;
    self->first_probe = first_probe;
    self->n_probe = n_probe;
    self->first_marker = first_marker;
    self->n_marker = n_marker;
    self->rate = probe_rate;
    self->observed_base = observed_base;
    self->start_us = bench_now_us ();
    self->probes = calloc (n_probe + n_marker + 1, sizeof *self->probes);
    if (!self->probes)
        abort ();
    atomic_store (&self->phase, -1);
    pthread_mutex_init (&self->lock, NULL);
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0)
        abort ();
    return self;
}

void
bench_watch_phase (bench_watch_t *self, int phase)
{
    atomic_store (&self->phase, phase);
}

void
bench_watch_red (bench_watch_t *self, int phase, bench_lat_t *out)
{
    if (phase < 0 || phase >= BENCH_WATCH_PHASES)
        return;
    pthread_mutex_lock (&self->lock);
    bench_lat_merge (out, &self->red[phase]);
    pthread_mutex_unlock (&self->lock);
}

unsigned
bench_watch_reds_sent (bench_watch_t *self, int phase)
{
    return phase >= 0 && phase < BENCH_WATCH_PHASES ? atomic_load (&self->reds_sent[phase]) : 0;
}

uint64_t
bench_watch_events (bench_watch_t *self)
{
    return atomic_load (&self->events);
}

uint64_t
bench_watch_probe_timeouts (bench_watch_t *self)
{
    return atomic_load (&self->timeouts);
}

int64_t
bench_watch_marker (bench_watch_t *self, int timeout_ms)
{
    atomic_store (&self->marker_at, 0);
    atomic_store (&self->marker_ask, 1);
    int64_t deadline = bench_now_us () + (int64_t) timeout_ms * 1000;
    while (bench_now_us () < deadline && !zsys_interrupted) {
        int64_t at = atomic_load (&self->marker_at);
        if (at)
            return at;
        zclock_sleep (2);
    }
    return -1;
}

void
bench_watch_stop (bench_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_watch_t *self = *self_p;
    atomic_store (&self->stop, true);
    pthread_join (self->thread, NULL);
    for (int i = 0; i < BENCH_WATCH_PHASES; i++)
        bench_lat_clear (&self->red[i]);
    pthread_mutex_destroy (&self->lock);
    free (self->probes);
    free (self);
    *self_p = NULL;
}
