/* notifier: long-polls "leadership." from the front door, delivers each
 * report to the sink once, confirms it, and keeps its cursor in LMDB. */
#include "notifier.h"
#include "notifier_sink.h"
#include "sw_calendar.h"
#include "sw_client.h"
#include "sw_log.h"
#include "sw_render.h"
#include "sw_store.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

#define NOTIFIER_PREFIX "leadership."
#define NOTIFIER_FETCH_MAX 100
#define NOTIFIER_WAIT_MS 1000       /* long poll: notify holds an empty fetch this long */
#define NOTIFIER_CALL_MS 5000       /* a call without an answer this long: reconnect */
#define NOTIFIER_RESEND_MS 1000     /* a confirmation is re-sent this often meanwhile */
#define NOTIFIER_SINK_TIMEOUT_MS 5000
#define NOTIFIER_BACKOFF_MIN_MS 250
#define NOTIFIER_BACKOFF_MAX_MS 30000
#define NOTIFIER_DEFAULT_TZ "Asia/Shanghai"

typedef struct {
    sw_service_args_t *args;
    zsock_t *pipe;
    char endpoint[256];
    char data_dir[4096];
    sw_store_t *store;
    MDB_dbi meta, delivered, inflight;
    uint64_t cursor;                /* next sequence number to fetch */
    char id[64];                    /* notifier_id in confirmations, kept across restarts */
    notifier_sink_t *sink;
    sw_client_t *client;
    zpoller_t *poller;
    sw_calendar_t *cal;
    char tz[128];
    sw_json_t *json;
    bool stopping;                  /* "$TERM" arrived */
} notifier_t;

/* ------------------------------------------------------------- plumbing */

static void
s_on_pipe (notifier_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return;
    char *cmd = zmsg_popstr (msg);
    if (cmd && strcmp (cmd, "$TERM") == 0)
        self->stopping = true;
    free (cmd);
    zmsg_destroy (&msg);
}

static void
s_connect (notifier_t *self)
{
    if (self->poller && self->client)
        zpoller_remove (self->poller, sw_client_sock (self->client));
    sw_client_destroy (&self->client);
    self->client = sw_client_new (self->endpoint);
    if (self->client)
        zpoller_add (self->poller, sw_client_sock (self->client));
}

/* Drops whatever answers are waiting (to calls given up on). */
static void
s_drain (notifier_t *self)
{
    Sitewatch__V1__Response *r;
    while (self->client && (r = sw_client_recv (self->client, 0)))
        sitewatch__v1__response__free_unpacked (r, NULL);
}

/* Waits ms, or until "$TERM". */
static void
s_sleep (notifier_t *self, int ms)
{
    int64_t until = zclock_mono () + ms;
    while (!self->stopping) {
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            break;
        void *which = zpoller_wait (self->poller, (int) left);
        if (which == self->pipe)
            s_on_pipe (self);
        else if (which)
            s_drain (self);
    }
}

/* Sends req and waits up to timeout_ms for its answer, re-sending every
 * resend_ms (0 = never), staying responsive to "$TERM". Without an answer
 * the connection is made anew (queued requests dropped: a front door that
 * comes back is not flooded). Returns the Response or NULL. */
static Sitewatch__V1__Response *
s_call (notifier_t *self, Sitewatch__V1__Request *req, int timeout_ms, int resend_ms)
{
    if (!self->client)
        s_connect (self);
    if (!self->client)
        return NULL;
    char id[27];
    sw_id_new (id);
    req->request_id = id;
    int64_t deadline = zclock_mono () + timeout_ms, resend_at = 0;
    Sitewatch__V1__Response *answer = NULL;
    while (!answer && !self->stopping) {
        int64_t now = zclock_mono ();
        if (now >= deadline)
            break;
        if (now >= resend_at) {
            sw_client_send (self->client, req);
            resend_at = resend_ms > 0 ? now + resend_ms : deadline;
        }
        int64_t until = resend_at < deadline ? resend_at : deadline;
        void *which = zpoller_wait (self->poller, (int) (until - now > 0 ? until - now : 0));
        if (which == self->pipe)
            s_on_pipe (self);
        else if (which) {
            Sitewatch__V1__Response *r;
            while (!answer && (r = sw_client_recv (self->client, 0))) {
                if (r->request_id && strcmp (r->request_id, id) == 0)
                    answer = r;
                else
                    sitewatch__v1__response__free_unpacked (r, NULL); /* a stale answer */
            }
        }
    }
    req->request_id = NULL;
    if (!answer && !self->stopping)
        s_connect (self);
    return answer;
}

static int
s_backoff (int ms)
{
    ms *= 2;
    return ms > NOTIFIER_BACKOFF_MAX_MS ? NOTIFIER_BACKOFF_MAX_MS : ms;
}

/* --------------------------------------------------------------- state */

typedef struct {
    notifier_t *self;
    const char *report_id;
    uint64_t cursor;
} s_write_t;

/* Before the sink is asked: the report may reach it from now on. */
static int
s_write_inflight (MDB_txn *txn, void *arg)
{
    s_write_t *w = arg;
    MDB_val k = { strlen (w->report_id), (void *) w->report_id }, v = { 0, "" };
    return mdb_put (txn, w->self->inflight, &k, &v, 0);
}

/* After the sink took it. */
static int
s_write_delivered (MDB_txn *txn, void *arg)
{
    s_write_t *w = arg;
    uint8_t at[8];
    sw_u64_be ((uint64_t) sw_wire_wall_ms (), at);
    MDB_val k = { strlen (w->report_id), (void *) w->report_id }, v = { 8, at };
    int rc = mdb_put (txn, w->self->delivered, &k, &v, 0);
    if (rc == 0) {
        rc = mdb_del (txn, w->self->inflight, &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

static int
s_write_cursor (MDB_txn *txn, void *arg)
{
    s_write_t *w = arg;
    return sw_store_put_u64 (txn, w->self->meta, "cursor", w->cursor);
}

/* 1 when report_id is in dbi, 0 when not, -1 on a store failure. */
static int
s_has (notifier_t *self, MDB_dbi dbi, const char *report_id)
{
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) != 0)
        return -1;
    MDB_val k = { strlen (report_id), (void *) report_id }, v;
    int rc = mdb_get (txn, dbi, &k, &v);
    mdb_txn_abort (txn);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : -1;
}

static int
s_advance (notifier_t *self, uint64_t cursor)
{
    if (cursor <= self->cursor)
        return 0;
    s_write_t w = { self, NULL, cursor };
    if (sw_store_write (self->store, s_write_cursor, &w) != 0)
        return -1;
    self->cursor = cursor;
    return 0;
}

/* ------------------------------------------------------------ delivery */

static sw_calendar_t *
s_calendar (const char *tz)
{
    /* Only instants are formatted: periods and working days do not matter. */
    return sw_calendar_new (tz, 0, 1, NULL, 0, NULL, 0);
}

/* The zone instants are shown in: the server's, from "clock show" (it
 * follows the registry); the SPEC default until the server has told us. */
static void
s_refresh_zone (notifier_t *self)
{
    Sitewatch__V1__ClockCommand cmd = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    cmd.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cmd;
    Sitewatch__V1__Response *r = s_call (self, &req, NOTIFIER_CALL_MS, NOTIFIER_RESEND_MS);
    const char *tz = NULL;
    if (r && r->body_case == SITEWATCH__V1__RESPONSE__BODY_CLOCK && r->clock->timezone
        && *r->clock->timezone)
        tz = r->clock->timezone;
    if (!tz && !self->cal)
        tz = NOTIFIER_DEFAULT_TZ;
    if (tz && strcmp (tz, self->tz) != 0) {
        sw_calendar_t *cal = s_calendar (tz);
        if (cal) {
            sw_calendar_destroy (&self->cal);
            self->cal = cal;
            snprintf (self->tz, sizeof self->tz, "%s", tz);
        }
        else
            sw_warn ("notifier", "unknown_zone", "timezone=%s showing=%s", tz,
                     *self->tz ? self->tz : "utc_ms");
    }
    if (r)
        sitewatch__v1__response__free_unpacked (r, NULL);
}

/* Hands the report to the sink until it takes it. 0, or 1 when stopping. */
static int
s_deliver (notifier_t *self, const Sitewatch__V1__LeadershipReport *lr)
{
    s_refresh_zone (self);
    sw_json_reset (self->json);
    sw_render_json_leadership (self->json, self->cal, lr);
    int wait = NOTIFIER_BACKOFF_MIN_MS;
    for (unsigned tries = 1; !self->stopping; tries++) {
        char err[512] = "";
        if (notifier_sink_deliver (self->sink, sw_json_text (self->json), sw_json_len (self->json),
                                   lr->report_id, err, sizeof err)
            == 0) {
            sw_info ("notifier", "delivered", "report_id=%s project=%s leader=%s attempt=%d sink=%s",
                     lr->report_id, lr->project_id, lr->leader_id, lr->attempt,
                     notifier_sink_name (self->sink));
            return 0;
        }
        sw_warn ("notifier", "sink_failed", "report_id=%s tries=%u retry_in_ms=%d reason=\"%s\"",
                 lr->report_id, tries, wait, err);
        s_sleep (self, wait);
        wait = s_backoff (wait);
    }
    return 1;
}

/* Confirms until intake acknowledges. 0, or 1 when stopping. */
static int
s_confirm (notifier_t *self, const char *report_id)
{
    Sitewatch__V1__LeadershipConfirm c = SITEWATCH__V1__LEADERSHIP_CONFIRM__INIT;
    c.report_id = (char *) report_id;
    c.notifier_id = self->id;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CONFIRM;
    req.confirm = &c;
    int wait = NOTIFIER_BACKOFF_MIN_MS;
    while (!self->stopping) {
        Sitewatch__V1__Response *r = s_call (self, &req, NOTIFIER_CALL_MS, NOTIFIER_RESEND_MS);
        if (!r) {
            if (self->stopping)
                break;
            sw_warn ("notifier", "confirm_unanswered", "report_id=%s endpoint=%s retry_in_ms=%d",
                     report_id, self->endpoint, wait);
            s_sleep (self, wait);
            wait = s_backoff (wait);
            continue;
        }
        const Sitewatch__V1__Ack *ack
            = r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK ? r->ack : NULL;
        int pause = -1;
        if (!ack)
            pause = wait;
        else if (ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER)
            pause = ack->retry_after_ms ? (int) ack->retry_after_ms : wait;
        else if (ack->status == SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED)
            /* Never acceptable (a malformed id): retrying cannot help, and
             * must not block the reports behind it. */
            sw_error ("notifier", "confirm_rejected", "report_id=%s code=%s message=\"%s\"",
                      report_id, ack->code, ack->message);
        else
            sw_info ("notifier", "confirmed", "report_id=%s notifier_id=%s", report_id, self->id);
        sitewatch__v1__response__free_unpacked (r, NULL);
        if (pause < 0)
            return 0;
        sw_warn ("notifier", "confirm_deferred", "report_id=%s retry_in_ms=%d", report_id, pause);
        s_sleep (self, pause);
        wait = s_backoff (wait);
    }
    return 1;
}

/* One leadership report, in log order. 0 done, 1 stopping, -1 store failure. */
static int
s_handle (notifier_t *self, const Sitewatch__V1__LeadershipReport *lr)
{
    if (!lr->report_id || !*lr->report_id)
        return 0;
    int done = s_has (self, self->delivered, lr->report_id);
    int started = done == 0 ? s_has (self, self->inflight, lr->report_id) : 0;
    if (done < 0 || started < 0)
        return -1;
    if (done)
        sw_debug ("notifier", "already_delivered", "report_id=%s attempt=%d", lr->report_id,
                  lr->attempt);
    else {
        s_write_t w = { self, lr->report_id, 0 };
        /* A crash came between the sink and our record of it: a sink that
         * can tell (a file) is asked; the others get it again. */
        int has = started ? notifier_sink_has (self->sink, lr->report_id) : 0;
        if (started)
            sw_warn ("notifier", "recovering", "report_id=%s sink_has=%s", lr->report_id,
                     has > 0 ? "yes" : has == 0 ? "no" : "unknown");
        if (!started && sw_store_write (self->store, s_write_inflight, &w) != 0)
            return -1;
        if (has <= 0 && s_deliver (self, lr) != 0)
            return 1;
        if (sw_store_write (self->store, s_write_delivered, &w) != 0)
            return -1;
    }
    return s_confirm (self, lr->report_id);
}

/* ---------------------------------------------------------------- loop */

/* Fetches and handles until "$TERM". 0 on a clean stop, -1 on a store failure. */
static int
s_run (notifier_t *self)
{
    char *prefixes[] = { NOTIFIER_PREFIX };
    int wait = NOTIFIER_BACKOFF_MIN_MS;
    while (!self->stopping) {
        Sitewatch__V1__Fetch f = SITEWATCH__V1__FETCH__INIT;
        f.from_seq = self->cursor;
        f.prefixes = prefixes;
        f.n_prefixes = 1;
        f.max = NOTIFIER_FETCH_MAX;
        f.wait_ms = NOTIFIER_WAIT_MS;
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH;
        req.fetch = &f;
        Sitewatch__V1__Response *r = s_call (self, &req, NOTIFIER_WAIT_MS + NOTIFIER_CALL_MS, 0);
        if (!r || r->body_case != SITEWATCH__V1__RESPONSE__BODY_FETCH) {
            if (self->stopping) {
                if (r)
                    sitewatch__v1__response__free_unpacked (r, NULL);
                break;
            }
            if (r && r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK)
                sw_warn ("notifier", "fetch_refused", "code=%s message=\"%s\" retry_in_ms=%d",
                         r->ack->code, r->ack->message, wait);
            else
                sw_warn ("notifier", "fetch_unanswered", "endpoint=%s retry_in_ms=%d",
                         self->endpoint, wait);
            if (r)
                sitewatch__v1__response__free_unpacked (r, NULL);
            s_sleep (self, wait);
            wait = s_backoff (wait);
            continue;
        }
        wait = NOTIFIER_BACKOFF_MIN_MS;
        const Sitewatch__V1__FetchAnswer *fa = r->fetch;
        int rc = 0;
        size_t i;
        for (i = 0; i < fa->n_messages && rc == 0; i++) {
            const Sitewatch__V1__Published *p = fa->messages[i];
            if (p->seq < self->cursor)
                continue;           /* cannot happen with a sane log; never go back */
            if (p->payload_case == SITEWATCH__V1__PUBLISHED__PAYLOAD_LEADERSHIP && p->leadership)
                rc = s_handle (self, p->leadership);
            if (rc == 0 && s_advance (self, p->seq + 1) != 0)
                rc = -1;
        }
        if (rc == 0 && fa->next_seq > self->cursor && s_advance (self, fa->next_seq) != 0)
            rc = -1;
        sitewatch__v1__response__free_unpacked (r, NULL);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- setup */

static int
s_init_id (MDB_txn *txn, void *arg)
{
    notifier_t *self = arg;
    MDB_val k = { 2, "id" }, v;
    int rc = mdb_get (txn, self->meta, &k, &v);
    if (rc == 0 && v.mv_size > 0 && v.mv_size < sizeof self->id) {
        memcpy (self->id, v.mv_data, v.mv_size);
        self->id[v.mv_size] = 0;
        return 0;
    }
    char ulid[27];
    sw_id_new (ulid);
    snprintf (self->id, sizeof self->id, "notifier-%s", ulid);
    v.mv_size = strlen (self->id);
    v.mv_data = self->id;
    return mdb_put (txn, self->meta, &k, &v, 0);
}

/* A front door bound on every interface (host "*" or 0.0.0.0) is reached on the
 * loopback from inside the same machine. */
static void
s_endpoint (notifier_t *self, const char *bound)
{
    const char *host = strstr (bound, "://");
    if (host && (strncmp (host + 3, "*:", 2) == 0 || strncmp (host + 3, "0.0.0.0:", 8) == 0)) {
        const char *port = strchr (host + 3, ':');
        snprintf (self->endpoint, sizeof self->endpoint, "%.*s127.0.0.1%s", (int) (host + 3 - bound),
                  bound, port);
    }
    else
        snprintf (self->endpoint, sizeof self->endpoint, "%s", bound);
}

static int
s_open (notifier_t *self, char *err, size_t errlen)
{
    const sw_config_t *cfg = self->args->cfg;
    const char *dir = sw_config_get (cfg, "notifier-data");
    snprintf (self->data_dir, sizeof self->data_dir, "%s",
              dir && *dir ? dir : self->args->data_dir);
    s_endpoint (self, self->args->endpoint);
    self->sink = notifier_sink_new (sw_config_get (cfg, "notifier-sink"), NOTIFIER_SINK_TIMEOUT_MS,
                                    err, errlen);
    if (!self->sink)
        return -1;
    self->store = sw_store_open (self->data_dir,
                                 (size_t) sw_config_get_int (cfg, "map-size", 64 << 20), err, errlen);
    if (!self->store)
        return -1;
    if (sw_store_dbi (self->store, "notifier.meta", 0, &self->meta) != 0
        || sw_store_dbi (self->store, "notifier.delivered", 0, &self->delivered) != 0
        || sw_store_dbi (self->store, "notifier.inflight", 0, &self->inflight) != 0) {
        snprintf (err, errlen, "cannot open notifier databases in %s", self->data_dir);
        return -1;
    }
    if (sw_store_write (self->store, s_init_id, self) != 0) {
        snprintf (err, errlen, "cannot write to the notifier store in %s", self->data_dir);
        return -1;
    }
    self->cursor = 1;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) == 0) {
        uint64_t v;
        if (sw_store_get_u64 (txn, self->meta, "cursor", &v) == 0 && v > 0)
            self->cursor = v;
        mdb_txn_abort (txn);
    }
    self->poller = zpoller_new (self->pipe, NULL);
    s_connect (self);
    if (!self->client) {
        snprintf (err, errlen, "cannot use endpoint '%s'", self->endpoint);
        return -1;
    }
    self->json = sw_json_new ();
    return 0;
}

static int
s_serve (void *ctx, zsock_t *pipe)
{
    notifier_t *self = ctx;
    sw_info ("notifier", "ready", "endpoint=%s sink=%s data=%s cursor=%llu notifier_id=%s",
             self->endpoint, notifier_sink_name (self->sink), self->data_dir,
             (unsigned long long) self->cursor, self->id);
    int rc = s_run (self);
    if (rc != 0)
        sw_error ("notifier", "store_failed", "data=%s action=exit", self->data_dir);
    return rc;
}

void
notifier_actor (zsock_t *pipe, void *arg)
{
    notifier_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->args = arg;
    self->pipe = pipe;
    char err[512] = "";
    int rc = s_open (self, err, sizeof err);
    sw_service_serve (pipe, self->args, rc, err, s_serve, self);
    zpoller_destroy (&self->poller);
    sw_client_destroy (&self->client);
    sw_json_destroy (&self->json);
    sw_calendar_destroy (&self->cal);
    notifier_sink_destroy (&self->sink);
    sw_store_close (&self->store);
    free (self);
}
