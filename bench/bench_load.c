/* bench_load: many field devices. Each device is one DEALER connection
 * (sw_client) with a window of reports in flight (sw_client_send /
 * sw_client_recv pipelining); a report keeps its time-ordered id (sw_id_new)
 * and is resent, identical, until acknowledged, like a real device; a
 * retry_later answer is honoured. Closed loop (as fast as acknowledgements
 * come) or paced at an offered rate; a paced report's latency runs from its
 * scheduled send time, so a stalled server is not hidden (no coordinated
 * omission). */
#include "bench.h"
#include "sw_str.h"
#include "sw_wire.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char report_id[27];
    char request_id[24];
    uint32_t project;
    int32_t percent_bp;
    int64_t observed_at;
    int64_t first_us;  /* scheduled or first send */
    int64_t due_us;    /* resend when not answered by then */
    uint32_t gen;
    bool busy;
} s_slot_t;

typedef struct {
    sw_client_t *client;
    s_slot_t *slots;
    int busy;
    int next_free;     /* hint */
    bool check;        /* its socket may hold answers: read it */
} s_device_t;

typedef struct {
    const bench_load_opts_t *o;
    int index, n_devices;
    int64_t start_us, measure_us, end_us;
    bench_load_result_t r;
    uint64_t rng;
} s_thread_t;

static uint64_t
s_rand (uint64_t *x)
{
    /* xorshift64* */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

static void
s_send (s_thread_t *t, s_device_t *d, s_slot_t *s)
{
    char pid[24];
    uint8_t frame[256];
    bench_project_id (s->project, pid);
    size_t n = sw_wire_report_encode (frame, sizeof frame, s->request_id, s->report_id, pid,
                                      SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, s->observed_at,
                                      s->percent_bp);
    if (n > sizeof frame)
        abort (); /* ids and numbers of bounded length: about 80 bytes */
    zmq_send (zsock_resolve (sw_client_sock (d->client)), frame, n, 0);
    d->check = true;
    s->due_us = bench_now_us () + (int64_t) t->o->retry_ms * 1000;
}

/* Starts a new report on a free slot of d; false when its window is full. */
static bool
s_start (s_thread_t *t, s_device_t *d, int64_t scheduled_us)
{
    if (d->busy >= t->o->window)
        return false;
    int w = t->o->window, i = d->next_free;
    for (int k = 0; k < w && d->slots[i].busy; k++)
        i = (i + 1) % w;
    s_slot_t *s = &d->slots[i];
    d->next_free = (i + 1) % w;
    s->busy = true;
    d->busy++;
    s->gen++;
    sw_id_new (s->report_id);
    /* "<slot>.<generation>": the answer names its slot */
    size_t at = sw_u64_dec (s->request_id, (uint64_t) i);
    s->request_id[at++] = '.';
    sw_u64_dec (s->request_id + at, s->gen);
    s->project = (uint32_t) (t->o->first_project + s_rand (&t->rng) % t->o->n_projects);
    s->percent_bp = 2500 + (int32_t) (s_rand (&t->rng) % 1000); /* on plan: stays green */
    s->observed_at = t->o->observed_base + (bench_now_us () - t->start_us) / 1000;
    s->first_us = scheduled_us;
    t->r.sent++;
    s_send (t, d, s);
    return true;
}

/* Reads "<slot>.<generation>" (len bytes, not terminated); false when the
 * id is not one of ours. */
static bool
s_parse_request_id (const uint8_t *p, size_t len, uint64_t *slot, uint64_t *gen)
{
    size_t k = 0;
    uint64_t v[2] = { 0, 0 };
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;
        for (; k < len && p[k] >= '0' && p[k] <= '9' && digits < 10; k++, digits++)
            v[part] = v[part] * 10 + (uint64_t) (p[k] - '0');
        if (!digits)
            return false;
        if (part == 0 && (k >= len || p[k++] != '.'))
            return false;
    }
    *slot = v[0];
    *gen = v[1];
    return k == len;
}

/* One answer: the ack read in place (view); raw is the whole frame, unpacked
 * with protobuf-c only to quote a rejection's code and message. */
static void
s_answer (s_thread_t *t, s_device_t *d, const sw_wire_ack_view_t *view, const void *raw,
          size_t raw_len, int64_t now)
{
    uint64_t i, gen;
    if (!s_parse_request_id (view->request_id, view->request_id_len, &i, &gen)
        || i >= (uint64_t) t->o->window)
        return;
    s_slot_t *s = &d->slots[i];
    if (!s->busy || s->gen != gen)
        return; /* the answer to an earlier resend, already counted */
    bool in_window = now >= t->measure_us && now <= t->end_us;
    switch (view->status) {
    case SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER:
        t->r.retry_later++;
        s->due_us = now + (int64_t) (view->retry_after_ms ? view->retry_after_ms : 500) * 1000;
        return;
    case SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED:
        t->r.accepted_all++;
        if (in_window)
            t->r.accepted++;
        break;
    case SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE:
        /* A resend of a report stored before: acknowledged all the same. */
        if (in_window)
            t->r.duplicate++;
        break;
    default:
        t->r.rejected++;
        if (!t->r.first_reject[0]) {
            Sitewatch__V1__Response *resp = sitewatch__v1__response__unpack (NULL, raw_len, raw);
            if (resp && resp->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK)
                snprintf (t->r.first_reject, sizeof t->r.first_reject, "%s: %s", resp->ack->code,
                          resp->ack->message);
            else
                snprintf (t->r.first_reject, sizeof t->r.first_reject, "status %d",
                          (int) view->status);
            if (resp)
                sitewatch__v1__response__free_unpacked (resp, NULL);
        }
        break;
    }
    if (in_window && s->first_us >= t->measure_us) {
        bench_lat_add (&t->r.ack, now - s->first_us);
        /* --slow-log: when it was due on CLOCK_MONOTONIC (as the servers'
         * own clocks and perf read it), to line slow acks up with them */
        if (t->o->slow_log_ms && now - s->first_us > (int64_t) t->o->slow_log_ms * 1000)
            fprintf (stderr, "slow-ack due=%.6f ms=%.2f\n", s->first_us / 1e6,
                     (now - s->first_us) / 1e3);
    }
    s->busy = false;
    d->busy--;
}

/* Reads every answer waiting on device d (without waiting): in place, or
 * with protobuf-c what the in-place reader leaves to it. An answer that is
 * not an ack (none is expected) is dropped. */
static void
s_drain (s_thread_t *t, s_device_t *d)
{
    void *sock = zsock_resolve (sw_client_sock (d->client));
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init (&m);
        if (zmq_msg_recv (&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&m);
            return;
        }
        sw_wire_ack_view_t view;
        if (sw_wire_ack_view (zmq_msg_data (&m), zmq_msg_size (&m), &view))
            s_answer (t, d, &view, zmq_msg_data (&m), zmq_msg_size (&m), bench_now_us ());
        else {
            Sitewatch__V1__Response *resp = sitewatch__v1__response__unpack (
                NULL, zmq_msg_size (&m), zmq_msg_data (&m));
            if (resp && resp->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK) {
                view.request_id = (const uint8_t *) resp->request_id;
                view.request_id_len = strlen (resp->request_id);
                view.status = resp->ack->status;
                view.retry_after_ms = resp->ack->retry_after_ms;
                s_answer (t, d, &view, zmq_msg_data (&m), zmq_msg_size (&m), bench_now_us ());
            }
            if (resp)
                sitewatch__v1__response__free_unpacked (resp, NULL);
        }
        zmq_msg_close (&m);
    }
}

/* Sleeps until one of the devices' sockets may have an answer or wait_ns
 * has passed, marking those sockets to be read. The sockets' ZMQ_FDs are in
 * one epoll set: a wake costs one system call, however many devices the
 * thread plays (zmq_poll over 32 sockets checked each one's events with a
 * system call of its own, twice, on every wake: half a core at 5 k/s). The
 * wait is to the nanosecond (epoll_pwait2): a report due in 300 us goes out
 * then, neither early nor a whole millisecond late. */
static void
s_wait (int epfd, s_device_t *dev, int n, int64_t wait_ns)
{
    struct epoll_event ev[64];
    int max = n < 64 ? n : 64;
    if (wait_ns < 0)
        wait_ns = 0;
    struct timespec ts = { (time_t) (wait_ns / 1000000000), (long) (wait_ns % 1000000000) };
    int k = epoll_pwait2 (epfd, ev, max, &ts, NULL);
    if (k < 0 && errno == ENOSYS)
        k = epoll_wait (epfd, ev, max, (int) ((wait_ns + 999999) / 1000000));
    for (int i = 0; i < k; i++)
        if (ev[i].data.u32 < (uint32_t) n)
            dev[ev[i].data.u32].check = true;
}

static void *
s_thread (void *arg)
{
    s_thread_t *t = arg;
    const bench_load_opts_t *o = t->o;
    s_device_t *dev = calloc ((size_t) t->n_devices, sizeof *dev);
    int epfd = epoll_create1 (EPOLL_CLOEXEC);
    if (!dev || epfd < 0)
        abort ();
    for (int i = 0; i < t->n_devices; i++) {
        dev[i].client = bench_client_new (o->endpoint);
        dev[i].slots = calloc ((size_t) o->window, sizeof (s_slot_t));
        if (!dev[i].slots)
            abort ();
        /* ZMQ_FD signals that the socket's state may have changed, after
         * which ZMQ_EVENTS must be read (a recv does that) until nothing is
         * left: every send also marks its socket (s_send), since a send may
         * take in the signal of an answer that arrived meanwhile. */
        int fd;
        size_t fdlen = sizeof fd;
        if (zmq_getsockopt (zsock_resolve (sw_client_sock (dev[i].client)), ZMQ_FD, &fd, &fdlen)
            != 0)
            abort ();
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t) i };
        if (epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
            abort ();
        dev[i].check = true;
    }
    double rate = o->rate > 0 ? o->rate / o->threads : 0;
    int64_t interval_ns = rate > 0 ? (int64_t) (1e9 / rate) : 0;
    int64_t next_ns = t->start_us * 1000 + (int64_t) t->index * interval_ns / o->threads;
    int rr = 0;
    int64_t next_scan = 0, drain_until = t->end_us + 10LL * 1000000;
    for (;;) {
        int64_t now = bench_now_us ();
        if (zsys_interrupted)
            break;
        bool sending = now < t->end_us;
        int busy = 0;
        for (int i = 0; i < t->n_devices; i++)
            busy += dev[i].busy;
        if (!sending && (busy == 0 || now >= drain_until))
            break;
        if (sending && rate <= 0) {
            for (int i = 0; i < t->n_devices; i++)
                while (s_start (t, &dev[i], bench_now_us ()))
                    ;
        }
        else if (sending) {
            while (next_ns / 1000 <= now) {
                bool started = false;
                for (int k = 0; k < t->n_devices && !started; k++) {
                    rr = (rr + 1) % t->n_devices;
                    started = s_start (t, &dev[rr], next_ns / 1000);
                }
                if (!started) {
                    t->r.behind++; /* every window full: the server is behind */
                    break;
                }
                next_ns += interval_ns;
            }
        }
        if (now >= next_scan) {
            for (int i = 0; i < t->n_devices; i++)
                for (int k = 0; k < o->window; k++) {
                    s_slot_t *s = &dev[i].slots[k];
                    if (s->busy && now >= s->due_us) {
                        t->r.resent++;
                        s_send (t, &dev[i], s);
                    }
                }
            next_scan = now + 10000;
        }
        /* Answers first (sends marked their sockets), then sleep. */
        bool any = false;
        for (int i = 0; i < t->n_devices; i++)
            if (dev[i].check) {
                dev[i].check = false;
                s_drain (t, &dev[i]);
                any = true;
            }
        if (any)
            continue; /* answers free window slots: start what is due first */
        int64_t wait_ns = 5000000;
        if (sending && rate > 0) {
            int64_t due = next_ns - bench_now_us () * 1000;
            wait_ns = due < wait_ns ? due : wait_ns;
        }
        s_wait (epfd, dev, t->n_devices, wait_ns);
    }
    for (int i = 0; i < t->n_devices; i++) {
        t->r.unacked += (uint64_t) dev[i].busy;
        sw_client_destroy (&dev[i].client);
        free (dev[i].slots);
    }
    close (epfd);
    free (dev);
    return NULL;
}

int
bench_load_run (const bench_load_opts_t *o, bench_load_result_t *result)
{
    memset (result, 0, sizeof *result);
    result->offered = o->rate;
    if (o->n_projects == 0 || o->devices <= 0 || o->window <= 0 || o->threads <= 0)
        return -1;
    int threads = o->threads < o->devices ? o->threads : o->devices;
    bench_load_opts_t copy = *o;
    copy.threads = threads;
    s_thread_t *ts = calloc ((size_t) threads, sizeof *ts);
    pthread_t *ids = calloc ((size_t) threads, sizeof *ids);
    if (!ts || !ids)
        abort ();
    int64_t start = bench_now_us () + 20000; /* connections first */
    for (int i = 0; i < threads; i++) {
        ts[i].o = &copy;
        ts[i].index = i;
        ts[i].n_devices = copy.devices / threads + (i < copy.devices % threads);
        ts[i].start_us = start;
        ts[i].measure_us = start + (int64_t) (copy.warmup * 1e6);
        ts[i].end_us = start + (int64_t) (copy.seconds * 1e6);
        ts[i].rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t) (i + 1) * 0xBF58476D1CE4E5B9ULL
                    ^ (uint64_t) start;
        if (pthread_create (&ids[i], NULL, s_thread, &ts[i]) != 0)
            abort ();
    }
    for (int i = 0; i < threads; i++) {
        pthread_join (ids[i], NULL);
        bench_load_result_t *r = &ts[i].r;
        result->sent += r->sent;
        result->resent += r->resent;
        result->accepted += r->accepted;
        result->accepted_all += r->accepted_all;
        result->duplicate += r->duplicate;
        result->rejected += r->rejected;
        result->retry_later += r->retry_later;
        result->behind += r->behind;
        result->unacked += r->unacked;
        if (!result->first_reject[0] && r->first_reject[0])
            memcpy (result->first_reject, r->first_reject, sizeof result->first_reject);
        bench_lat_merge (&result->ack, &r->ack);
        bench_lat_clear (&r->ack);
    }
    result->window_s = copy.seconds - copy.warmup;
    result->accepted_per_s = result->window_s > 0 ? result->accepted / result->window_s : 0;
    free (ts);
    free (ids);
    return result->sent ? 0 : -1;
}

void
bench_load_result_free (bench_load_result_t *result)
{
    bench_lat_clear (&result->ack);
}
