/* sw_client: request/response over a DEALER with resend until answered. */
#include "sw_client.h"
#include "sw_wire.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct sw_client_t {
    zsock_t *sock;
};

sw_client_t *
sw_client_new (const char *endpoint)
{
    sw_client_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->sock, 200);
    zsock_set_sndhwm (self->sock, 100000);
    zsock_set_rcvhwm (self->sock, 100000);
    const char *mine = getenv ("SITEWATCH_CURVE_CERT");
    const char *server = getenv ("SITEWATCH_SERVER_CERT");
    if (mine && *mine && server && *server) {
        zcert_t *cert = zcert_load (mine);
        zcert_t *scert = zcert_load (server);
        if (!cert || !scert) {
            zcert_destroy (&cert);
            zcert_destroy (&scert);
            zsock_destroy (&self->sock);
            free (self);
            return NULL;
        }
        zcert_apply (cert, self->sock);
        zsock_set_curve_serverkey (self->sock, zcert_public_txt (scert));
        zcert_destroy (&cert);
        zcert_destroy (&scert);
    }
    if (zsock_connect (self->sock, "%s", endpoint) < 0) {
        zsock_destroy (&self->sock);
        free (self);
        return NULL;
    }
    return self;
}

void
sw_client_destroy (sw_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->sock);
    free (*self_p);
    *self_p = NULL;
}

zsock_t *
sw_client_sock (sw_client_t *self)
{
    return self->sock;
}

static const char s_b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Random bytes for ids, per thread: one getrandom() fills 25 ids' worth
 * (one call per id was a tenth of the load generator's CPU at 90 k ids/s).
 * At most 256 bytes, which getrandom() returns whole, never cut short by a
 * signal. A forked child empties the pool of the thread that forked (the
 * only one it has), so parent and child never hand out the same bytes. */
#define S_POOL 250
static __thread uint8_t s_pool[S_POOL];
static __thread size_t s_pool_at = S_POOL;
static pthread_once_t s_atfork_once = PTHREAD_ONCE_INIT;

static void
s_pool_forget (void)
{
    memset (s_pool, 0, sizeof s_pool);
    s_pool_at = S_POOL;
}

static void
s_atfork_register (void)
{
    pthread_atfork (NULL, NULL, s_pool_forget);
}

static void
s_random (uint8_t *out, size_t n)
{
    pthread_once (&s_atfork_once, s_atfork_register);
    if (s_pool_at + n > S_POOL) {
        if (getrandom (s_pool, S_POOL, 0) != (ssize_t) S_POOL)
            for (size_t i = 0; i < S_POOL; i++)
                s_pool[i] = (uint8_t) randof (256);
        s_pool_at = 0;
    }
    memcpy (out, s_pool + s_pool_at, n);
    memset (s_pool + s_pool_at, 0, n); /* handed out once */
    s_pool_at += n;
}

void
sw_id_new (char buf[27])
{
    uint8_t rnd[10];
    s_random (rnd, sizeof rnd);
    uint64_t ms = (uint64_t) sw_wire_wall_ms ();
    for (int i = 9; i >= 0; i--) {
        buf[i] = s_b32[ms & 31];
        ms >>= 5;
    }
    /* 80 random bits -> 16 chars */
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 5; i++)
        hi = (hi << 8) | rnd[i];
    for (int i = 5; i < 10; i++)
        lo = (lo << 8) | rnd[i];
    for (int i = 17; i >= 10; i--) {
        buf[i] = s_b32[hi & 31];
        hi >>= 5;
    }
    for (int i = 25; i >= 18; i--) {
        buf[i] = s_b32[lo & 31];
        lo >>= 5;
    }
    buf[26] = 0;
}

int
sw_client_send (sw_client_t *self, Sitewatch__V1__Request *req)
{
    char id[27];
    req->version = SW_WIRE_VERSION;
    if (!req->request_id || !*req->request_id) {
        sw_id_new (id);
        req->request_id = id; /* only for packing below */
    }
    zframe_t *frame = sw_wire_frame (&req->base);
    if (req->request_id == id)
        req->request_id = NULL;
    return zframe_send (&frame, self->sock, 0);
}

Sitewatch__V1__Response *
sw_client_recv (sw_client_t *self, int timeout_ms)
{
    zsock_set_rcvtimeo (self->sock, timeout_ms);
    zframe_t *frame = zframe_recv (self->sock);
    if (!frame)
        return NULL;
    Sitewatch__V1__Response *r
        = sitewatch__v1__response__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zframe_destroy (&frame);
    return r;
}

Sitewatch__V1__Response *
sw_client_call (sw_client_t *self, Sitewatch__V1__Request *req, int timeout_ms, int resend_ms)
{
    char id[27];
    char *saved = req->request_id;
    if (!req->request_id || !*req->request_id) {
        sw_id_new (id);
        req->request_id = id;
    }
    req->version = SW_WIRE_VERSION;
    zframe_t *packed = sw_wire_frame (&req->base);
    char want[128];
    snprintf (want, sizeof want, "%s", req->request_id);
    req->request_id = saved;

    int64_t deadline = zclock_mono () + timeout_ms;
    Sitewatch__V1__Response *answer = NULL;
    while (!answer) {
        zframe_t *copy = zframe_dup (packed);
        if (zframe_send (&copy, self->sock, ZFRAME_DONTWAIT) != 0)
            zframe_destroy (&copy);
        int64_t resend_at = resend_ms > 0 ? zclock_mono () + resend_ms : deadline;
        while (!answer) {
            int64_t now = zclock_mono ();
            int64_t until = resend_at < deadline ? resend_at : deadline;
            if (now >= until)
                break;
            Sitewatch__V1__Response *r = sw_client_recv (self, (int) (until - now));
            if (!r)
                continue;
            if (r->request_id && strcmp (r->request_id, want) == 0)
                answer = r;
            else
                sitewatch__v1__response__free_unpacked (r, NULL); /* stale answer */
        }
        if (zclock_mono () >= deadline)
            break;
    }
    zframe_destroy (&packed);
    return answer;
}
