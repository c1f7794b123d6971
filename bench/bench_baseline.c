/* bench_baseline: the one-hop baseline of issue 7, measured in the same run
 * so our figures can be read as ratios to it (they travel across noisy
 * machines). tcp -> protobuf unpack -> one synced LMDB commit per loop turn
 * (append-order sequence keys) -> forward over tcp to a sink. Plain libzmq,
 * no framework: the least any durable hop on this machine must cost. */
#include "bench.h"
#include "sw_store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH_MAX 4096
#define S_RING 1024

typedef struct {
    void *ctx;
    char hop_ep[128], sink_ep[128];
    const char *dir;
    atomic_bool stop;
    atomic_int sink_ready, hop_ready; /* endpoints published */
    atomic_uint_fast64_t sunk, commits;
    uint64_t hopped;
    int error;
} s_base_t;

static void *
s_sender (void *arg)
{
    s_base_t *b = arg;
    void *push = zmq_socket (b->ctx, ZMQ_PUSH);
    int hwm = 10000, linger = 0;
    zmq_setsockopt (push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    int timeout = 100;
    zmq_setsockopt (push, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_connect (push, b->hop_ep);
    /* A ring of distinct device requests, packed once. */
    uint8_t *frames[S_RING];
    size_t sizes[S_RING];
    for (int i = 0; i < S_RING; i++) {
        char rid[27], pid[24];
        sw_id_new (rid);
        bench_project_id ((size_t) i * 7, pid);
        Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
        rep.report_id = rid;
        rep.project_id = pid;
        rep.reporter_id = "C000001";
        rep.source = SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER;
        rep.observed_at = 1773194400000LL + i;
        rep.percent_bp = 2500 + i;
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.version = 1;
        req.request_id = rid;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
        req.report = &rep;
        sizes[i] = protobuf_c_message_get_packed_size (&req.base);
        frames[i] = malloc (sizes[i]);
        if (!frames[i])
            abort ();
        protobuf_c_message_pack (&req.base, frames[i]);
    }
    for (uint64_t n = 0; !atomic_load (&b->stop); n++)
        zmq_send (push, frames[n % S_RING], sizes[n % S_RING], 0);
    for (int i = 0; i < S_RING; i++)
        free (frames[i]);
    zmq_close (push);
    return NULL;
}

static void *
s_sink (void *arg)
{
    s_base_t *b = arg;
    void *pull = zmq_socket (b->ctx, ZMQ_PULL);
    int timeout = 100, linger = 0;
    zmq_setsockopt (pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_bind (pull, "tcp://127.0.0.1:*");
    char ep[128];
    size_t len = sizeof ep;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len);
    memcpy (b->sink_ep, ep, sizeof ep);
    atomic_store (&b->sink_ready, 1); /* the hop may connect */
    zmq_msg_t m;
    zmq_msg_init (&m);
    while (!atomic_load (&b->stop))
        if (zmq_msg_recv (&m, pull, 0) >= 0)
            atomic_fetch_add (&b->sunk, 1);
    zmq_msg_close (&m);
    zmq_close (pull);
    return NULL;
}

static void *
s_hop (void *arg)
{
    s_base_t *b = arg;
    MDB_env *env = NULL;
    MDB_dbi dbi;
    MDB_txn *txn;
    int rc = mdb_env_create (&env);
    if (rc == 0)
        rc = mdb_env_set_mapsize (env, (size_t) 64 << 30);
    if (rc == 0)
        rc = mdb_env_open (env, b->dir, MDB_NOTLS, 0640); /* full sync: no NOSYNC flags */
    if (rc == 0 && (rc = mdb_txn_begin (env, NULL, 0, &txn)) == 0) {
        rc = mdb_dbi_open (txn, NULL, 0, &dbi);
        rc = rc ? (mdb_txn_abort (txn), rc) : mdb_txn_commit (txn);
    }
    if (rc != 0) {
        fprintf (stderr, "sitewatch-bench: baseline LMDB: %s\n", mdb_strerror (rc));
        b->error = rc;
        if (env)
            mdb_env_close (env);
        atomic_store (&b->hop_ready, -1);
        return NULL;
    }
    void *pull = zmq_socket (b->ctx, ZMQ_PULL);
    void *push = zmq_socket (b->ctx, ZMQ_PUSH);
    int hwm = 10000, timeout = 100, linger = 0;
    zmq_setsockopt (pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (push, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_bind (pull, "tcp://127.0.0.1:*");
    char ep[128];
    size_t len = sizeof ep;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len);
    memcpy (b->hop_ep, ep, sizeof ep);
    zmq_connect (push, b->sink_ep);
    atomic_store (&b->hop_ready, 1);
    static zmq_msg_t batch[S_BATCH_MAX];
    uint64_t seq = 0;
    zmq_pollitem_t item = { pull, 0, ZMQ_POLLIN, 0 };
    while (!atomic_load (&b->stop)) {
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        size_t n = 0;
        while (n < S_BATCH_MAX) {
            zmq_msg_init (&batch[n]);
            if (zmq_msg_recv (&batch[n], pull, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&batch[n]);
                break;
            }
            n++;
        }
        if (!n)
            continue;
        if ((rc = mdb_txn_begin (env, NULL, 0, &txn)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            Sitewatch__V1__Request *req = sitewatch__v1__request__unpack (
                NULL, zmq_msg_size (&batch[i]), zmq_msg_data (&batch[i]));
            if (!req || req->body_case != SITEWATCH__V1__REQUEST__BODY_REPORT)
                abort ();
            sitewatch__v1__request__free_unpacked (req, NULL);
            uint8_t kb[8];
            sw_u64_be (++seq, kb);
            MDB_val k = { 8, kb }, v = { zmq_msg_size (&batch[i]), zmq_msg_data (&batch[i]) };
            rc = mdb_put (txn, dbi, &k, &v, MDB_APPEND);
        }
        if (rc != 0) {
            mdb_txn_abort (txn);
            break;
        }
        if ((rc = mdb_txn_commit (txn)) != 0)
            break;
        atomic_fetch_add (&b->commits, 1);
        /* Persist, then forward (a sink that stopped reading ends the run:
         * no more waiting on it). */
        bool stuck = false;
        for (size_t i = 0; i < n; i++) {
            if (!stuck && zmq_msg_send (&batch[i], push, 0) < 0)
                stuck = true;
            zmq_msg_close (&batch[i]);
        }
        b->hopped += n;
    }
    if (rc != 0) {
        fprintf (stderr, "sitewatch-bench: baseline LMDB: %s\n", mdb_strerror (rc));
        b->error = rc;
    }
    zmq_close (pull);
    zmq_close (push);
    mdb_env_close (env);
    return NULL;
}

int
bench_baseline_run (const char *dir, double seconds, bench_baseline_t *out)
{
    memset (out, 0, sizeof *out);
    s_base_t b;
    memset (&b, 0, sizeof b);
    b.dir = dir;
    b.ctx = zmq_ctx_new ();
    /* The sink binds first, then the hop (each publishes its endpoint),
     * then the sender connects. */
    pthread_t sink, hop, sender;
    pthread_create (&sink, NULL, s_sink, &b);
    for (int i = 0; i < 200 && !atomic_load (&b.sink_ready); i++)
        zclock_sleep (10);
    pthread_create (&hop, NULL, s_hop, &b);
    for (int i = 0; i < 200 && !atomic_load (&b.hop_ready); i++)
        zclock_sleep (10);
    if (atomic_load (&b.hop_ready) != 1) {
        atomic_store (&b.stop, true);
        pthread_join (sink, NULL);
        pthread_join (hop, NULL);
        zmq_ctx_term (b.ctx);
        return -1;
    }
    pthread_create (&sender, NULL, s_sender, &b);
    double warm = seconds > 2 ? 1.0 : seconds / 4;
    zclock_sleep ((int) (warm * 1000));
    uint64_t c0 = atomic_load (&b.commits);
    uint64_t n0 = atomic_load (&b.sunk);
    int64_t t0 = bench_now_us ();
    zclock_sleep ((int) ((seconds - warm) * 1000));
    uint64_t n1 = atomic_load (&b.sunk);
    uint64_t c1 = atomic_load (&b.commits);
    int64_t t1 = bench_now_us ();
    atomic_store (&b.stop, true);
    pthread_join (sender, NULL);
    pthread_join (hop, NULL);
    pthread_join (sink, NULL);
    zmq_ctx_term (b.ctx);
    out->seconds = (t1 - t0) / 1e6;
    out->messages = n1 - n0;
    out->commits = c1 - c0;
    out->per_s = out->seconds > 0 ? out->messages / out->seconds : 0;
    out->avg_batch = out->commits ? (double) out->messages / out->commits : 0;
    return b.error ? -1 : 0;
}
