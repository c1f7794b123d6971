/* intake: validate, deduplicate, journal durably, then acknowledge. */
#include "intake.h"
#include "intake_auth.h"
#include "intake_request.h"
#include "intake_validate.h"
#include "sw_clock.h"
#include "sw_link.h"
#include "sw_log.h"
#include "sw_map.h"
#include "sw_pb.h"
#include "sw_registry.h"
#include "sw_store.h"
#include "sw_wire.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define INTAKE_BATCH_MAX 2048
/* Project ids kept in memory (about 80 bytes each); past this, emptied. */
#define INTAKE_KNOWN_MAX 65536
/* s_journal_report's answer for a report it leaves to protobuf-c. */
#define INTAKE_PACK_IT (-2)

typedef enum { ITEM_REPLY, ITEM_TXN, ITEM_CLOCK_SHOW, ITEM_PROXY } s_kind_t;

#define INTAKE_RESP_INLINE 256

typedef struct {
    uint8_t peer[255];          /* the client's ROUTER routing id */
    size_t peer_size;
    Sitewatch__V1__Request *req;
    size_t size;
    s_kind_t kind;
    intake_role_t role;         /* who sent it (ZAP User-Id) */
    char *projects;             /* a device's bound projects */
    Sitewatch__V1__Registry *registry;
    sw_strlist_t warnings;
    uint8_t *resp;              /* the answer: resp_inline or the heap */
    size_t resp_size;
    uint8_t resp_inline[INTAKE_RESP_INLINE];
    zmq_msg_t body;             /* a report's request as it came (has_body) */
    bool has_body;
    /* A report request read in place (intake_request_view): req points into
     * it and nothing is freed; else req is protobuf-c's. */
    intake_request_view_t view;
    bool is_view;
} s_item_t;

typedef struct {
    sw_service_args_t *args;
    const char *name;
    sw_store_t *store;
    zsock_t *front, *hop, *q_rules, *q_escalation, *q_notify;
    sw_link_out_t *out;
    MDB_dbi dedup, projects, meta;
    /* Known projects (id -> commissioner) as read from "projects": found
     * here, a report costs no lookup in the tree. Emptied by a registry
     * import (it rewrites "projects") and when full. */
    sw_map_t *known;
    sw_clock_t clock, txn_clock;   /* committed, and inside the batch */
    intake_auth_t *auth;           /* NULL: no CURVE, every client an operator */
    int64_t max_skew, max_age;
    uint64_t overload;
    int64_t commit_interval_us;    /* --commit-interval: see s_loop */
    /* --pipeline-min: a batch this big commits on the store's writer
     * thread while intake reads the next (s_loop); a smaller one on
     * intake's own thread: at a few thousand reports a second the batches
     * are a dozen reports, there is nothing to overlap, and the hand-over's
     * two wakes per commit only add CPU and latency (A/B at 5 k/s,
     * bench/README.md). 0: never. */
    size_t pipeline_min;
    char tz[64], txn_tz[64];
    /* Two batches: the one being read off the wire (items) and the one
     * being journaled and committed (flight), by the store's writer thread
     * while intake reads the next (see s_loop). */
    s_item_t slots[2][INTAKE_BATCH_MAX];
    s_item_t *items, *flight;
    size_t n_items, n_flight;
    bool tick_due;
    uint64_t accepted, duplicates, rejected;
    uint64_t batches, held; /* commits; those held back first (--commit-interval) */
    uint64_t pipelined;     /* commits on the writer thread (--pipeline-min) */
    uint64_t full;          /* batches that began full (INTAKE_BATCH_MAX requests) */
    /* The last sequence journaled and committed: a query's barrier. Read
     * while the next batch commits (the link's own counter moves then). */
    uint64_t journaled;
    /* The loop's clock ticks (intake's thread only): when the last tick
     * was journaled, and whether the batch in flight journals one. */
    int64_t last_tick, flight_mono;
    bool flight_tick;
} intake_t;

/* ------------------------------------------------------------- responses */

static void
s_free_resp (s_item_t *item)
{
    if (item->resp != item->resp_inline)
        free (item->resp);
    item->resp = NULL;
}

/* Packs the answer; an ack fits the item's own buffer (no allocation). */
static void
s_set_resp (s_item_t *item, Sitewatch__V1__Response *resp)
{
    s_free_resp (item);
    resp->version = SW_WIRE_VERSION;
    resp->request_id = item->req && item->req->request_id ? item->req->request_id : "";
    size_t n = protobuf_c_message_get_packed_size (&resp->base);
    if (n <= sizeof item->resp_inline) {
        item->resp = item->resp_inline;
        item->resp_size = protobuf_c_message_pack (&resp->base, item->resp);
    }
    else
        item->resp = sw_wire_pack (&resp->base, &item->resp_size);
}

/* An Ack answer, encoded by hand (sw_wire_ack_encode: one per report, no
 * protobuf-c size pass and pack), in the item's own buffer when it fits. */
static void
s_set_ack (s_item_t *item, const char *report_id, Sitewatch__V1__Ack__Status status,
           const char *code, const char *message)
{
    s_free_resp (item);
    const char *rq = item->req && item->req->request_id ? item->req->request_id : "";
    uint32_t retry = status == SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER ? 500 : 0;
    item->resp = item->resp_inline;
    item->resp_size = sw_wire_ack_encode (item->resp, sizeof item->resp_inline, rq, report_id,
                                          status, code, message, retry);
    if (item->resp_size > sizeof item->resp_inline) {
        item->resp = malloc (item->resp_size);
        if (!item->resp)
            abort ();
        sw_wire_ack_encode (item->resp, item->resp_size, rq, report_id, status, code, message,
                            retry);
    }
}

static void
s_set_clock (intake_t *self, s_item_t *item, int64_t now, const char *tz)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__ClockState cs = SITEWATCH__V1__CLOCK_STATE__INIT;
    cs.mode = self->clock.manual ? "manual" : "wall";
    cs.now = now;
    cs.timezone = (char *) tz;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_CLOCK;
    resp.clock = &cs;
    s_set_resp (item, &resp);
}

/* The instant stamped on what this batch journals. */
static int64_t
s_clock (intake_t *self)
{
    return sw_clock_now (&self->txn_clock, sw_wire_wall_ms ());
}

/* --------------------------------------------------------------- journal */

static int
s_journal (intake_t *self, MDB_txn *txn, Sitewatch__V1__ChainMsg *msg)
{
    msg->origin_seq = sw_link_out_next_seq (self->out);
    msg->at = self->txn_clock.now;
    /* Packed on the stack (a report is a few hundred bytes): no allocation
     * per journaled message; a registry goes to the heap. */
    uint8_t stackbuf[4096];
    size_t n = protobuf_c_message_get_packed_size (&msg->base);
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : malloc (n);
    if (!buf)
        abort ();
    protobuf_c_message_pack (&msg->base, buf);
    int rc = sw_link_out_append (self->out, txn, buf, n);
    if (buf != stackbuf)
        free (buf);
    return rc;
}

/* Journals a report from the bytes it came in (no pack): the ChainMsg head,
 * then the Report's encoding as the device sent it followed by the fields
 * intake sets (reporter_id when it was empty, received_at); encodings
 * concatenate, a later field winning. INTAKE_PACK_IT: the request does not
 * hold exactly one report field (then s_journal packs it). */
static int
s_journal_report (intake_t *self, MDB_txn *txn, s_item_t *item, const char *reporter,
                  int64_t received_at)
{
    const uint8_t *report = NULL;
    size_t report_size = 0;
    int found = 0;
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, zmq_msg_data (&item->body), zmq_msg_size (&item->body));
    while (sw_pb_next (&rd, &f))
        if (f.number == SITEWATCH__V1__REQUEST__BODY_REPORT && f.wire == SW_PB_LEN) {
            report = f.data;
            report_size = f.size;
            found++;
        }
    if (rd.bad || found != 1)
        return INTAKE_PACK_IT;
    uint8_t extra[15 + 15 + 256];
    size_t el = 0;
    if (reporter) {
        size_t rl = strlen (reporter);
        if (rl > 240)
            return INTAKE_PACK_IT;
        el += sw_pb_put_len_head (extra + el, 3, rl);
        memcpy (extra + el, reporter, rl);
        el += rl;
    }
    el += sw_pb_put_varint_field (extra + el, 10, (uint64_t) received_at);
    uint8_t head[3 * 15];
    size_t hl = 0;
    hl += sw_pb_put_varint_field (head + hl, 1, sw_link_out_next_seq (self->out));
    if (self->txn_clock.now)
        hl += sw_pb_put_varint_field (head + hl, 2, (uint64_t) self->txn_clock.now);
    hl += sw_pb_put_len_head (head + hl, SITEWATCH__V1__CHAIN_MSG__BODY_REPORT, report_size + el);
    void *data;
    int rc = sw_link_out_reserve (self->out, txn, hl + report_size + el, &data);
    if (rc != 0)
        return rc;
    memcpy (data, head, hl);
    memcpy ((uint8_t *) data + hl, report, report_size);
    memcpy ((uint8_t *) data + hl + report_size, extra, el);
    return 0;
}

static int
s_journal_tick (intake_t *self, MDB_txn *txn)
{
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    Sitewatch__V1__ClockState tick = SITEWATCH__V1__CLOCK_STATE__INIT;
    tick.mode = self->clock.manual ? "manual" : "wall";
    tick.now = self->txn_clock.now;
    tick.timezone = self->txn_tz;
    msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_TICK;
    msg.tick = &tick;
    return s_journal (self, txn, &msg);
}

static int
s_project_known (intake_t *self, MDB_txn *txn, const char *id, char *commissioner, size_t cap)
{
    const char *c = sw_map_get (self->known, id);
    MDB_val v;
    int rc = 0;
    if (c) {
        v.mv_size = strlen (c);
        v.mv_data = (void *) c;
    }
    else {
        MDB_val k = { strlen (id), (void *) id };
        rc = mdb_get (txn, self->projects, &k, &v);
        if (rc == 0) {
            char *copy = malloc (v.mv_size + 1);
            if (!copy)
                abort ();
            memcpy (copy, v.mv_data, v.mv_size);
            copy[v.mv_size] = 0;
            if (sw_map_size (self->known) >= INTAKE_KNOWN_MAX)
                sw_map_clear (self->known);
            if (sw_map_put (self->known, id, copy) != 0)
                abort ();
        }
    }
    if (rc == 0 && commissioner) {
        size_t n = v.mv_size < cap - 1 ? v.mv_size : cap - 1;
        memcpy (commissioner, v.mv_data, n);
        commissioner[n] = 0;
    }
    return rc;
}

/* ----------------------------------------------------------- the batch */

static int
s_do_report (intake_t *self, MDB_txn *txn, s_item_t *item)
{
    Sitewatch__V1__Report *r = item->req->report;
    char commissioner[256] = "";
    int known = r && intake_valid_id (r->project_id)
                    ? s_project_known (self, txn, r->project_id, commissioner, sizeof commissioner)
                    : MDB_NOTFOUND;
    if (known != 0 && known != MDB_NOTFOUND)
        return known;
    intake_context_t ctx = { s_clock (self), self->max_skew, self->max_age, item->size,
                             known == 0,
                             intake_auth_allows (item->role, item->projects, item->req) };
    intake_verdict_t v;
    if (intake_validate_report (r, &ctx, &v) != 0) {
        self->rejected++;
        s_set_ack (item, r ? r->report_id : "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, v.code,
                   v.message);
        return 0;
    }
    MDB_val k = { strlen (r->report_id), r->report_id }, val;
    uint8_t seqb[8];
    sw_u64_be (sw_link_out_next_seq (self->out), seqb);
    val.mv_size = 8;
    val.mv_data = seqb;
    bool overloaded = sw_link_out_backlog (self->out) > self->overload;
    /* The put itself finds a duplicate, through the batch's cursor: report
     * ids are time-ordered, so most land on the page it is on, or past the
     * last key, and LMDB skips the search from the root. When overloaded,
     * only look (a duplicate still answers "duplicate"). */
    int rc = overloaded
                 ? mdb_get (txn, self->dedup, &k, &val)
                 : sw_store_put (self->store, txn, self->dedup, &k, &val, MDB_NOOVERWRITE);
    if (rc == (overloaded ? 0 : MDB_KEYEXIST)) {
        self->duplicates++;
        s_set_ack (item, r->report_id, SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE, "duplicate",
                   "this report_id was accepted before; it has no second effect");
        return 0;
    }
    if (rc != (overloaded ? MDB_NOTFOUND : 0))
        return rc;
    if (overloaded) {
        s_set_ack (item, r->report_id, SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER, "overloaded",
                   "intake is behind its downstream; retry after the hint");
        return 0;
    }
    bool no_reporter = !r->reporter_id || !*r->reporter_id;
    rc = item->has_body
             ? s_journal_report (self, txn, item, no_reporter ? commissioner : NULL, ctx.now)
             : INTAKE_PACK_IT;
    if (rc == INTAKE_PACK_IT) {
        char *given = r->reporter_id;
        if (no_reporter && item->is_view)
            r->reporter_id = commissioner; /* the view's strings are not ours to free */
        else if (no_reporter) {
            if (r->reporter_id && r->reporter_id != protobuf_c_empty_string)
                free (r->reporter_id);
            r->reporter_id = strdup (commissioner);
            if (!r->reporter_id)
                abort ();
        }
        r->received_at = ctx.now;
        Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
        msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_REPORT;
        msg.report = r;
        rc = s_journal (self, txn, &msg);
        if (item->is_view)
            r->reporter_id = given;
    }
    if (rc != 0)
        return rc;
    self->accepted++;
    s_set_ack (item, r->report_id, SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "");
    return 0;
}

static int
s_do_checkin (intake_t *self, MDB_txn *txn, s_item_t *item)
{
    Sitewatch__V1__Checkin *c = item->req->checkin;
    int known = c && intake_valid_id (c->project_id)
                    ? s_project_known (self, txn, c->project_id, NULL, 0)
                    : MDB_NOTFOUND;
    if (known != 0 && known != MDB_NOTFOUND)
        return known;
    intake_context_t ctx = { s_clock (self), self->max_skew, self->max_age, item->size,
                             known == 0,
                             intake_auth_allows (item->role, item->projects, item->req) };
    intake_verdict_t v;
    if (intake_validate_checkin (c, &ctx, &v) != 0) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, v.code, v.message);
        return 0;
    }
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_CHECKIN;
    msg.checkin = c;
    int rc = s_journal (self, txn, &msg);
    if (rc == 0)
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "");
    return rc;
}

static int
s_do_clock (intake_t *self, MDB_txn *txn, s_item_t *item)
{
    Sitewatch__V1__ClockCommand *c = item->req->clock;
    sw_clock_result_t r = c->op == SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SET
                              ? sw_clock_set (&self->txn_clock, c->value_ms)
                              : sw_clock_advance (&self->txn_clock, c->value_ms);
    if (r != SW_CLOCK_OK) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, sw_clock_code (r),
                   sw_clock_message (r));
        return 0;
    }
    int64_t next = self->txn_clock.now;
    int rc = sw_store_put_u64 (txn, self->meta, "now", (uint64_t) next);
    if (rc == 0)
        rc = s_journal_tick (self, txn);
    if (rc == 0)
        s_set_clock (self, item, next, self->txn_tz);
    return rc;
}

static int
s_do_registry (intake_t *self, MDB_txn *txn, s_item_t *item)
{
    Sitewatch__V1__Registry *reg = item->registry;
    /* Lookups after this see the new projects, maybe not committed: a batch
     * that fails to commit ends the process (a replay imports again). */
    sw_map_clear (self->known);
    for (size_t i = 0; i < reg->n_projects; i++) {
        const Sitewatch__V1__ProjectDef *p = reg->projects[i];
        MDB_val k = { strlen (p->id), p->id }, v = { strlen (p->commissioner), p->commissioner };
        int rc = mdb_put (txn, self->projects, &k, &v, 0);
        if (rc != 0)
            return rc;
    }
    snprintf (self->txn_tz, sizeof self->txn_tz, "%s", reg->timezone);
    MDB_val k = { 2, "tz" }, v = { strlen (self->txn_tz), self->txn_tz };
    int rc = mdb_put (txn, self->meta, &k, &v, 0);
    if (rc != 0)
        return rc;
    s_clock (self);
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_REGISTRY;
    msg.registry = reg;
    rc = s_journal (self, txn, &msg);
    if (rc != 0)
        return rc;
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__ImportResult ir = SITEWATCH__V1__IMPORT_RESULT__INIT;
    ir.applied = true;
    ir.projects = (int32_t) reg->n_projects;
    ir.commissioners = (int32_t) reg->n_commissioners;
    ir.leaders = (int32_t) reg->n_leaders;
    ir.warnings = item->warnings.items;
    ir.n_warnings = item->warnings.count;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_IMPORT_RESULT;
    resp.import_result = &ir;
    s_set_resp (item, &resp);
    return 0;
}

static bool
s_text_ok (const char *s)
{
    size_t n = s ? strlen (s) : 0;
    return n <= INTAKE_MAX_TEXT && (!s || intake_valid_utf8 (s, n));
}

/* A case command as the door can judge it: ids, an action, texts. Whether
 * the case can take it is the ladder's to say, in escalation. */
static bool
s_case_command_ok (const Sitewatch__V1__CaseCommand *c)
{
    if (!c || !intake_valid_id (c->case_id)
        || c->op < SITEWATCH__V1__CASE_COMMAND__OP__OP_MEETING
        || c->op > SITEWATCH__V1__CASE_COMMAND__OP__OP_CLOSE
        || (c->command_id && *c->command_id && !intake_valid_id (c->command_id))
        || (c->outcome && *c->outcome && strcmp (c->outcome, "resolved") != 0
            && strcmp (c->outcome, "unresolved") != 0)
        || !s_text_ok (c->unit) || !s_text_ok (c->person) || !s_text_ok (c->note)
        || !s_text_ok (c->reason) || c->n_units > 32)
        return false;
    for (size_t i = 0; i < c->n_units; i++)
        if (!s_text_ok (c->units[i]))
            return false;
    return true;
}

/* Confirmations, reason decisions and case commands travel the chain to
 * their owner. */
static int
s_do_forward (intake_t *self, MDB_txn *txn, s_item_t *item)
{
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    const char *id = "";
    if (item->req->body_case == SITEWATCH__V1__REQUEST__BODY_CONFIRM) {
        if (!item->req->confirm || !intake_valid_id (item->req->confirm->report_id)) {
            s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                       "a confirmation needs a leadership report id");
            return 0;
        }
        msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_CONFIRM;
        msg.confirm = item->req->confirm;
        id = item->req->confirm->report_id;
    }
    else if (item->req->body_case == SITEWATCH__V1__REQUEST__BODY_CASE_COMMAND) {
        Sitewatch__V1__CaseCommand *cc = item->req->case_command;
        if (!s_case_command_ok (cc)) {
            s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                       "a case command needs a case id, an action (meeting, sign, feedback, "
                       "review, extend, grant, refuse, escalate, close), an outcome resolved or "
                       "unresolved if any, at most 32 units and UTF-8 texts of at most 4096 bytes");
            return 0;
        }
        id = cc->command_id ? cc->command_id : "";
        if (*id) {
            /* The command id is its idempotency key (a resent command has no
             * second effect); '#' keeps these keys apart from report ids. */
            char key[160];
            snprintf (key, sizeof key, "#case/%s", id);
            MDB_val k = { strlen (key), key }, v;
            int rc = mdb_get (txn, self->dedup, &k, &v);
            if (rc == 0) {
                s_set_ack (item, id, SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE, "duplicate",
                           "this command_id was accepted before; it has no second effect");
                return 0;
            }
            if (rc != MDB_NOTFOUND)
                return rc;
            uint8_t seqb[8];
            sw_u64_be (sw_link_out_next_seq (self->out), seqb);
            v.mv_size = 8;
            v.mv_data = seqb;
            if ((rc = mdb_put (txn, self->dedup, &k, &v, 0)) != 0)
                return rc;
        }
        msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_CASE_COMMAND;
        msg.case_command = cc;
    }
    else {
        Sitewatch__V1__ReasonCommand *rc_ = item->req->reason;
        if (!rc_ || !intake_valid_id (rc_->project_id)
            || rc_->op < SITEWATCH__V1__REASON_COMMAND__OP__OP_APPROVE
            || rc_->op > SITEWATCH__V1__REASON_COMMAND__OP__OP_RECORD
            || (rc_->text && !intake_valid_utf8 (rc_->text, strlen (rc_->text)))
            || (rc_->note && !intake_valid_utf8 (rc_->note, strlen (rc_->note)))) {
            s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                       "a reason decision needs a project id and approve, reject or record");
            return 0;
        }
        int known = s_project_known (self, txn, rc_->project_id, NULL, 0);
        if (known == MDB_NOTFOUND) {
            s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "unknown_project",
                       "no such project in the registry");
            return 0;
        }
        if (known != 0)
            return known;
        msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_REASON;
        msg.reason = rc_;
    }
    s_clock (self);
    int rc = s_journal (self, txn, &msg);
    if (rc == 0)
        s_set_ack (item, id, SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "");
    return rc;
}

static int
s_batch (MDB_txn *txn, void *arg)
{
    intake_t *self = arg;
    self->txn_clock = self->clock;
    memcpy (self->txn_tz, self->tz, sizeof self->tz);
    for (size_t i = 0; i < self->n_flight; i++) {
        s_item_t *item = &self->flight[i];
        if (item->kind != ITEM_TXN)
            continue;
        int rc = 0;
        switch (item->req->body_case) {
        case SITEWATCH__V1__REQUEST__BODY_REPORT: rc = s_do_report (self, txn, item); break;
        case SITEWATCH__V1__REQUEST__BODY_CHECKIN: rc = s_do_checkin (self, txn, item); break;
        case SITEWATCH__V1__REQUEST__BODY_CLOCK: rc = s_do_clock (self, txn, item); break;
        case SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT: rc = s_do_registry (self, txn, item); break;
        default: rc = s_do_forward (self, txn, item); break;
        }
        if (rc != 0)
            return rc;
    }
    if (self->tick_due) {
        s_clock (self);
        int rc = s_journal_tick (self, txn);
        if (rc != 0)
            return rc;
    }
    if (!self->clock.manual && self->txn_clock.now != self->clock.now)
        return sw_store_put_u64 (txn, self->meta, "now", (uint64_t) self->txn_clock.now);
    return 0;
}

/* ------------------------------------------------------------ classify */

static void
s_item_clear (s_item_t *item)
{
    if (item->req && !item->is_view)
        sitewatch__v1__request__free_unpacked (item->req, NULL);
    item->is_view = false;
    if (item->registry)
        sitewatch__v1__registry__free_unpacked (item->registry, NULL);
    sw_strlist_clear (&item->warnings);
    s_free_resp (item);
    free (item->projects);
    if (item->has_body)
        zmq_msg_close (&item->body);
    item->has_body = false;
    item->req = NULL;
    item->registry = NULL;
    item->projects = NULL;
    item->peer_size = 0;
    item->kind = ITEM_REPLY;
    item->role = INTAKE_ROLE_NONE;
    item->size = 0;
    item->resp_size = 0;
}

static void
s_reject_registry (s_item_t *item, sw_strlist_t *errors)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__ImportResult ir = SITEWATCH__V1__IMPORT_RESULT__INIT;
    ir.applied = false;
    ir.errors = errors->items;
    ir.n_errors = errors->count;
    ir.warnings = item->warnings.items;
    ir.n_warnings = item->warnings.count;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_IMPORT_RESULT;
    resp.import_result = &ir;
    s_set_resp (item, &resp);
}

/* True when msg or a message inside it kept unknown fields (walks the
   descriptors; the contract has no recursive types, so the depth is small). */
static bool
s_has_unknown (const ProtobufCMessage *msg)
{
    if (msg->n_unknown_fields)
        return true;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *) msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) (base + f->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *) (base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (items[k] && s_has_unknown (items[k]))
                    return true;
            continue;
        }
        /* oneof members share their storage: only the member set counts */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            && *(const uint32_t *) (base + f->quantifier_offset) != f->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *) (base + f->offset);
        if (sub && s_has_unknown (sub))
            return true;
    }
    return false;
}

/* protobuf-c keeps unknown fields and packs them again, but it reads some
   it cannot write back readably (field number 0 in a long varint). Such a
   report would be acknowledged, then refused by the next hop: lost, and the
   hop's query barrier stuck. A request must survive a repack to be taken.
   Known fields always repack readably, so only a request that kept unknown
   fields pays for the trial (a pack and an unpack per request otherwise). */
static bool
s_repacks (const Sitewatch__V1__Request *req)
{
    if (!s_has_unknown (&req->base))
        return true;
    size_t n;
    uint8_t *buf = sw_wire_pack (&req->base, &n);
    Sitewatch__V1__Request *again = sitewatch__v1__request__unpack (NULL, n, buf);
    free (buf);
    if (!again)
        return false;
    sitewatch__v1__request__free_unpacked (again, NULL);
    return true;
}

/* Decides what one client request (its body frame; well_formed false when
 * the message was not exactly peer + one non-empty frame) needs. */
static void
s_take (intake_t *self, s_item_t *item, zmq_msg_t *body, bool well_formed)
{
    item->kind = ITEM_REPLY;
    if (!well_formed) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                   "a request is exactly one non-empty frame holding a sitewatch.v1.Request");
        return;
    }
    item->size = zmq_msg_size (body);
    char projects[1024];
    item->role = intake_auth_identify (self->auth, self->auth ? zmq_msg_gets (body, "User-Id") : NULL,
                                       projects, sizeof projects);
    if (projects[0] && !(item->projects = strdup (projects)))
        abort ();
    /* A plain report is read in place; anything else by protobuf-c. */
    if (intake_request_view (zmq_msg_data (body), item->size, &item->view)) {
        item->req = &item->view.req;
        item->is_view = true;
    }
    else {
        item->req = sitewatch__v1__request__unpack (NULL, item->size, zmq_msg_data (body));
        if (item->req && !s_repacks (item->req)) {
            sitewatch__v1__request__free_unpacked (item->req, NULL);
            item->req = NULL;
        }
    }
    Sitewatch__V1__Request *req = item->req;
    if (!req) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                   "the frame is not a valid sitewatch.v1.Request (truncated or corrupt)");
        return;
    }
    if (req->version != SW_WIRE_VERSION) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "unsupported_version",
                   "this server speaks sitewatch.v1 (version 1)");
        return;
    }
    /* Reports and check-ins answer "unauthorized" in their validation order
     * (after "malformed"); anything else is refused here. */
    if (req->body_case != SITEWATCH__V1__REQUEST__BODY_REPORT
        && req->body_case != SITEWATCH__V1__REQUEST__BODY_CHECKIN
        && !intake_auth_allows (item->role, item->projects, req)) {
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "unauthorized",
                   "this key may not make this request (operator commands need an operator key)");
        return;
    }
    if (req->request_id && strlen (req->request_id) > INTAKE_MAX_ID) {
        if (!item->is_view)
            free (req->request_id);
        req->request_id = (char *) protobuf_c_empty_string; /* what free_unpacked skips */
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                   "request_id is longer than 128 bytes");
        return;
    }
    if (item->size > INTAKE_MAX_REPORT_FRAME
        && req->body_case != SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT) {
        const char *rid = req->body_case == SITEWATCH__V1__REQUEST__BODY_REPORT && req->report
                                  && strlen (req->report->report_id) <= INTAKE_MAX_ID
                              ? req->report->report_id
                              : "";
        s_set_ack (item, rid, SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "too_large",
                   "a request other than a registry import may not exceed 64 KiB");
        return;
    }
    switch (req->body_case) {
    case SITEWATCH__V1__REQUEST__BODY_REPORT:
    case SITEWATCH__V1__REQUEST__BODY_CHECKIN:
    case SITEWATCH__V1__REQUEST__BODY_CONFIRM:
    case SITEWATCH__V1__REQUEST__BODY_REASON:
    case SITEWATCH__V1__REQUEST__BODY_CASE_COMMAND:
        item->kind = ITEM_TXN;
        return;
    case SITEWATCH__V1__REQUEST__BODY_CLOCK:
        if (!req->clock || req->clock->op == SITEWATCH__V1__CLOCK_COMMAND__OP__OP_UNSPECIFIED)
            s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                       "a clock command needs show, set or advance");
        else
            item->kind = req->clock->op == SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW
                             ? ITEM_CLOCK_SHOW
                             : ITEM_TXN;
        return;
    case SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT: {
        sw_strlist_t errors = { 0 };
        if (!req->registry_import || !req->registry_import->yaml.len)
            sw_strlist_add (&errors, "the registry file is empty");
        else if (sw_registry_parse ((const char *) req->registry_import->yaml.data,
                                    req->registry_import->yaml.len, &item->registry, &errors,
                                    &item->warnings)
                 == 0)
            item->kind = ITEM_TXN;
        if (item->kind != ITEM_TXN)
            s_reject_registry (item, &errors);
        sw_strlist_clear (&errors);
        return;
    }
    case SITEWATCH__V1__REQUEST__BODY_QUERY:
    case SITEWATCH__V1__REQUEST__BODY_FETCH:
        item->kind = ITEM_PROXY;
        return;
    default:
        s_set_ack (item, "", SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
                   "the request has no body this server knows");
        return;
    }
}

static void
s_send (intake_t *self, const void *peer, size_t peer_size, const uint8_t *data, size_t size)
{
    void *raw = zsock_resolve (self->front);
    if (zmq_send (raw, peer, peer_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send (raw, data, size, 0);
}

/* Reads one client message (peer id, then the request) into the next item
 * without waiting; false when nothing waits. The frames are read straight
 * into zmq messages: no czmq message or frame per request. */
static bool
s_recv (intake_t *self)
{
    zmq_msg_t part[2];
    size_t n = sw_wire_recv_parts (zsock_resolve (self->front), part, 2);
    if (n == 0)
        return false;
    s_item_t *item = &self->items[self->n_items++];
    size_t ps = zmq_msg_size (&part[0]);
    item->peer_size = ps <= sizeof item->peer ? ps : 0;
    memcpy (item->peer, zmq_msg_data (&part[0]), item->peer_size);
    s_take (self, item, n >= 2 ? &part[1] : NULL, n == 2 && zmq_msg_size (&part[1]) > 0);
    /* A report is journaled from its bytes (s_journal_report): keep them. */
    if (item->kind == ITEM_TXN && item->req->body_case == SITEWATCH__V1__REQUEST__BODY_REPORT
        && (item->is_view || !s_has_unknown (&item->req->base))) {
        zmq_msg_init (&item->body);
        zmq_msg_move (&item->body, &part[1]);
        item->has_body = true;
    }
    for (size_t i = 0; i < n && i < 2; i++)
        zmq_msg_close (&part[i]);
    return true;
}

static void
s_proxy (intake_t *self, s_item_t *item)
{
    zsock_t *to = self->q_rules;
    if (item->req->body_case == SITEWATCH__V1__REQUEST__BODY_FETCH)
        to = self->q_notify;
    else if (item->req->query && (item->req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_SLA
                                  || item->req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_DIGEST
                                  || item->req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_CASES
                                  || item->req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_CASE
                                  || item->req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_ACCOUNTABILITY))
        to = self->q_escalation;
    /* The barrier: the service answers once it has applied what was
     * journaled before the question. A long poll (a Fetch with wait_ms)
     * follows notify's log by sequence number instead: it is answered as
     * soon as anything is there from its from_seq, without first waiting
     * for the whole chain to catch up with the journal (a report journaled
     * before it but still on its way would hold every subscriber's next
     * answer until notify had seen it). A Fetch without wait (catching up,
     * `subscribe --no-follow`) keeps the barrier: it sees everything
     * accepted before it. */
    uint64_t before = self->journaled;
    if (item->req->body_case == SITEWATCH__V1__REQUEST__BODY_FETCH && item->req->fetch
        && item->req->fetch->wait_ms > 0)
        before = 0;
    uint8_t barrier[8];
    sw_u64_be (before, barrier);
    size_t n;
    uint8_t *buf = sw_wire_pack (&item->req->base, &n);
    void *raw = zsock_resolve (to);
    if (zmq_send (raw, "Q", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 1) {
        zmq_send (raw, item->peer, item->peer_size, ZMQ_SNDMORE);
        zmq_send (raw, barrier, 8, ZMQ_SNDMORE);
        zmq_send (raw, buf, n, 0);
    }
    else
        sw_warn (self->name, "query_dropped", "reason=service_unreachable");
    free (buf);
}

/* Relays answers from a service back to the client that asked. Returns
 * how many. */
static size_t
s_relay (intake_t *self, zsock_t *from)
{
    size_t n = 0;
    while (zsock_events (from) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (from);
        if (!msg)
            return n;
        n++;
        zframe_t *cmd = zmsg_first (msg);
        zframe_t *client = zmsg_next (msg);
        zframe_t *body = zmsg_next (msg);
        if (cmd && zframe_streq (cmd, "R") && client && body)
            s_send (self, zframe_data (client), zframe_size (client), zframe_data (body),
                    zframe_size (body));
        zmsg_destroy (&msg);
    }
    return n;
}

static size_t
s_relay_all (intake_t *self)
{
    return s_relay (self, self->q_rules) + s_relay (self, self->q_escalation)
           + s_relay (self, self->q_notify);
}

static zsock_t *
s_dealer (const char *endpoint)
{
    zsock_t *s = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (s, 100000);
    zsock_set_rcvhwm (s, 100000);
    zsock_set_linger (s, 0);
    if (zsock_connect (s, "%s", endpoint) < 0)
        zsock_destroy (&s);
    return s;
}

static int
s_open (intake_t *self, char *err, size_t errlen)
{
    const sw_config_t *cfg = self->args->cfg;
    const char *mode = sw_config_get (cfg, "clock");
    if (strcmp (mode, "wall") != 0 && strcmp (mode, "manual") != 0) {
        snprintf (err, errlen, "--clock must be wall or manual, not '%s'", mode);
        return -1;
    }
    self->clock.manual = strcmp (mode, "manual") == 0;
    self->max_skew = sw_config_get_int (cfg, "max-skew", 300000);
    self->max_age = sw_config_get_int (cfg, "max-age", 1209600000LL);
    self->overload = (uint64_t) sw_config_get_int (cfg, "overload-backlog", 200000);
    int64_t interval = sw_config_get_int (cfg, "commit-interval", 2);
    if (interval < 0 || interval > 1000) {
        snprintf (err, errlen, "--commit-interval must be 0..1000 ms, not %lld",
                  (long long) interval);
        return -1;
    }
    self->commit_interval_us = interval * 1000;
    int64_t pmin = sw_config_get_int (cfg, "pipeline-min", 256);
    if (pmin < 0 || pmin > INTAKE_BATCH_MAX) {
        snprintf (err, errlen, "--pipeline-min must be 0..%d requests, not %lld", INTAKE_BATCH_MAX,
                  (long long) pmin);
        return -1;
    }
    self->pipeline_min = (size_t) pmin;
    self->store = sw_store_open (self->args->data_dir,
                                 (size_t) sw_config_get_int (cfg, "map-size", 64 << 20), err, errlen);
    if (!self->store)
        return -1;
    if (sw_store_dbi (self->store, "dedup", 0, &self->dedup) != 0
        || sw_store_dbi (self->store, "projects", 0, &self->projects) != 0
        || sw_store_dbi (self->store, "intake.meta", 0, &self->meta) != 0) {
        snprintf (err, errlen, "cannot open intake databases in %.300s", self->args->data_dir);
        return -1;
    }
    snprintf (self->tz, sizeof self->tz, "Asia/Shanghai");
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) == 0) {
        uint64_t v;
        if (sw_store_get_u64 (txn, self->meta, "now", &v) == 0) {
            self->clock.now = (int64_t) v;
            self->clock.set = self->clock.manual;
        }
        MDB_val k = { 2, "tz" }, tv;
        if (mdb_get (txn, self->meta, &k, &tv) == 0 && tv.mv_size < sizeof self->tz) {
            memcpy (self->tz, tv.mv_data, tv.mv_size);
            self->tz[tv.mv_size] = 0;
        }
        mdb_txn_abort (txn);
    }
    if (self->clock.manual && !self->clock.set)
        self->clock.now = sw_wire_wall_ms (); /* until an operator sets it */
    self->txn_clock = self->clock;
    memcpy (self->txn_tz, self->tz, sizeof self->tz);

    const char *curve = sw_config_get (cfg, "curve-dir");
    if (curve && *curve) {
        /* The ZAP handler runs before the socket binds: fail closed. */
        self->auth = intake_auth_new (curve, err, errlen);
        if (!self->auth)
            return -1;
    }
    self->front = zsock_new (ZMQ_ROUTER);
    if (self->auth)
        intake_auth_apply (self->auth, self->front);
    zsock_set_maxmsgsize (self->front, SW_WIRE_MAX_FRAME);
    zsock_set_rcvhwm (self->front, 100000);
    zsock_set_sndhwm (self->front, 100000);
    zsock_set_linger (self->front, 1000);
    zsock_set_rcvtimeo (self->front, 0); /* the loop drains it: never wait */
    if (zsock_bind (self->front, "%s", self->args->endpoint) < 0) {
        snprintf (err, errlen, "cannot bind %s: %s", self->args->endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    self->hop = s_dealer (self->args->rules);
    self->q_rules = s_dealer (self->args->rules);
    self->q_escalation = s_dealer (self->args->escalation);
    self->q_notify = s_dealer (self->args->notify);
    if (!self->hop || !self->q_rules || !self->q_escalation || !self->q_notify) {
        snprintf (err, errlen, "cannot connect to the downstream services");
        return -1;
    }
    sw_link_opts_t link = { 0 };
    if (sw_service_link_window (cfg, &link.window, err, errlen) != 0)
        return -1;
    self->out = sw_link_out_new (self->store, "down", self->hop, &link);
    if (!self->out) {
        snprintf (err, errlen, "cannot open the journal");
        return -1;
    }
    return 0;
}

static void
s_close (intake_t *self)
{
    /* A batch on the writer uses the link and the items: it ends first. */
    if (self->store && sw_store_writing (self->store))
        sw_store_write_finish (self->store);
    for (size_t i = 0; i < self->n_items; i++)
        s_item_clear (&self->items[i]);
    for (size_t i = 0; i < self->n_flight; i++)
        s_item_clear (&self->flight[i]);
    sw_link_out_destroy (&self->out);
    zsock_destroy (&self->front);
    intake_auth_destroy (&self->auth);
    zsock_destroy (&self->hop);
    zsock_destroy (&self->q_rules);
    zsock_destroy (&self->q_escalation);
    zsock_destroy (&self->q_notify);
    sw_store_close (&self->store);
}

static int64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Answers a batch, committed (or needing no commit), in the order its
 * requests came, and empties it. */
static void
s_answer (intake_t *self, s_item_t *batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_item_t *item = &batch[i];
        if (item->kind == ITEM_CLOCK_SHOW) {
            /* on a copy: the next batch may be reading the clock (its
             * writer thread), and a show changes nothing */
            sw_clock_t now = self->clock;
            s_set_clock (self, item, sw_clock_now (&now, sw_wire_wall_ms ()), self->tz);
        }
        if (item->kind == ITEM_PROXY)
            s_proxy (self, item);
        else if (item->resp)
            s_send (self, item->peer, item->peer_size, item->resp, item->resp_size);
        s_item_clear (item);
    }
}

/* After the batch in flight committed: what it changed is now the state. */
static void
s_committed (intake_t *self)
{
    self->clock = self->txn_clock;
    memcpy (self->tz, self->txn_tz, sizeof self->tz);
    self->journaled = sw_link_out_next_seq (self->out) - 1;
    if (self->flight_tick)
        self->last_tick = self->flight_mono;
}

static void
s_fatal (intake_t *self)
{
    sw_error (self->name, "fatal_storage_error", "action=exit");
}

static int
s_loop (intake_t *self, zsock_t *pipe)
{
    zpoller_t *poller = zpoller_new (pipe, self->front, self->hop, self->q_rules,
                                     self->q_escalation, self->q_notify, NULL);
    /* While a batch is held back the front door is not watched: what comes
     * waits in its queue and is read in one go when the interval is over,
     * instead of waking intake (and ZMQ's I/O thread) once per request. A
     * timerfd ends the hold to the microsecond (a poll's timeout is whole
     * milliseconds: 2 ms would often be 3). */
    int hold_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    zpoller_t *holding = zpoller_new (pipe, self->hop, self->q_rules, self->q_escalation,
                                      self->q_notify, NULL);
    if (hold_fd >= 0 && zpoller_add (holding, &hold_fd) != 0) {
        close (hold_fd); /* the hold then ends on the poll's timeout */
        hold_fd = -1;
    }
    /* While a batch commits (the store's writer thread journals it and
     * syncs), intake only reads the front door into the next batch: the
     * links, the services' answers and the timers touch what the batch
     * owns, and wait for its end (the store's done fd). The front door is
     * read every millisecond of the commit, not watched: a wake per
     * arriving request would cost more than reading them in one go.
     * Until sw_store_write_finish the writer owns flight / n_flight, known,
     * txn_clock, txn_tz, the counters accepted / duplicates / rejected, out
     * (the link) and store, and reads clock, tz, tick_due and the settings;
     * intake's thread touches items / n_items, front and auth (s_recv) and
     * the batch it answers (s_answer: its own items, clock and tz read
     * only, journaled, front and the services' queues). */
    int done_fd = -1;
    zpoller_t *writing = NULL;
    int64_t next_timer = zclock_mono () + 100;
    int64_t last_trim = 0;
    int64_t last_commit_us = 0; /* monotonic: when the last batch began */
    bool held_now = false;      /* the batch waiting now was held back */
    size_t n_done = 0;          /* flight holds a committed batch of n_done, to answer */
    bool worked = false;
    int result = 0;
    self->journaled = sw_link_out_next_seq (self->out) - 1;
    while (!zsys_interrupted) {
        bool in_flight = sw_store_writing (self->store);
        int64_t wait = in_flight ? (self->n_items < INTAKE_BATCH_MAX ? 1 : 1000)
                                 : next_timer - zclock_mono ();
        if (!in_flight && self->n_items) {
            /* a batch held back (below): until its interval is over */
            int64_t due_us = last_commit_us + self->commit_interval_us;
            struct itimerspec at = { { 0, 0 }, { (time_t) (due_us / 1000000),
                                                 (long) (due_us % 1000000) * 1000 } };
            if (hold_fd < 0 || timerfd_settime (hold_fd, TFD_TIMER_ABSTIME, &at, NULL) != 0) {
                int64_t due = (due_us - s_mono_us () + 999) / 1000;
                wait = due < wait ? due : wait;
            }
        }
        zpoller_t *watch = in_flight ? writing : self->n_items ? holding : poller;
        void *which = zpoller_wait (watch, wait < 0 ? 0 : (int) wait);
        if (which == &hold_fd) {
            uint64_t expired;
            if (read (hold_fd, &expired, sizeof expired) < 0) {
                /* nothing to clear: the next arming resets it */
            }
        }
        if (which == pipe) {
            char *verb = zstr_recv (pipe);
            bool term = !verb || streq (verb, "$TERM");
            zstr_free (&verb);
            if (term)
                break;
        }
        if (zpoller_terminated (watch))
            break;
        /* The front door's receive timeout is 0: read until nothing waits
         * (cheaper than asking ZMQ_EVENTS before every message). */
        while (self->n_items < INTAKE_BATCH_MAX && s_recv (self))
            ;
        if (in_flight) {
            if (!sw_store_write_done (self->store))
                continue;
            if (sw_store_write_finish (self->store) != 0) {
                s_fatal (self);
                result = -1;
                break;
            }
            s_committed (self);
            /* Its answers leave after the commit: once the next batch is
             * under way (below), while that one commits. */
            n_done = self->n_flight;
            self->n_flight = 0;
            worked = true;
        }
        /* The links and the services' answers, between batches. */
        sw_link_out_drain (self->out);
        if (s_relay_all (self))
            worked = true;
        int64_t mono = zclock_mono ();
        bool timer_due = mono >= next_timer;
        if (timer_due) {
            sw_link_out_tick (self->out);
            sw_service_trim (&last_trim, &worked);
            next_timer = zclock_mono () + 100;
        }
        self->tick_due = !self->clock.manual && mono - self->last_tick >= 1000;
        bool txn_needed = self->tick_due || (sw_link_out_needs_gc (self->out) && timer_due);
        for (size_t i = 0; i < self->n_items && !txn_needed; i++)
            txn_needed = self->items[i].kind == ITEM_TXN;
        /* Group commit (--commit-interval): a batch begins no sooner than
         * the interval after the last one began; what arrives meanwhile
         * joins it. Each commit writes a dozen pages (the trees' paths,
         * the free list, the meta page) however few reports it holds: at
         * 5 k/s a commit per loop turn was 700 syncs and 7-10 k page
         * writes a second. On a virtual machine the host's work for the
         * disk can count against the machine's CPU cap, and past the cap
         * every thread pauses (bench/README.md, "The machine and the
         * run"). A lone report (the last batch began longer ago) goes at
         * once. */
        int64_t now_us = s_mono_us ();
        bool hold = txn_needed && !self->tick_due && self->n_items < INTAKE_BATCH_MAX
                    && now_us - last_commit_us < self->commit_interval_us;
        if (hold || !txn_needed) {
            s_answer (self, self->flight, n_done);
            n_done = 0;
            held_now = held_now || hold;
            if (!hold) {
                /* refusals, clock shows, queries: no commit */
                s_answer (self, self->items, self->n_items);
                self->n_items = 0;
            }
            continue;
        }
        /* What was read becomes the batch in flight; the batch just
         * committed (if any) is answered while it commits, then its half
         * takes what is read next. */
        s_item_t *done = self->flight;
        self->flight = self->items;
        self->n_flight = self->n_items;
        self->items = done;
        self->n_items = 0;
        last_commit_us = now_us;
        self->batches++;
        self->full += self->n_flight == INTAKE_BATCH_MAX;
        self->held += held_now;
        held_now = false;
        self->flight_tick = self->tick_due;
        self->flight_mono = mono;
        assert (!sw_store_writing (self->store));
        bool pipelined = self->pipeline_min && self->n_flight >= self->pipeline_min
                         && sw_store_write_start (self->store, s_batch, self) == 0;
        s_answer (self, done, n_done);
        n_done = 0;
        if (pipelined) {
            self->pipelined++;
            if (!writing) {
                done_fd = sw_store_write_fd (self->store);
                writing = zpoller_new (pipe, &done_fd, NULL);
                if (!writing)
                    abort ();
            }
            continue;
        }
        if (sw_store_write (self->store, s_batch, self) != 0) {
            s_fatal (self);
            result = -1;
            break;
        }
        s_committed (self);
        s_answer (self, self->flight, self->n_flight);
        self->n_flight = 0;
        /* What it journaled goes downstream now, not at the next wake. */
        sw_link_out_drain (self->out);
        worked = true;
    }
    /* Every way out of the loop leaves no committed batch unanswered
     * (n_done is answered in the turn that finished it); a batch still
     * committing is waited for and answered. */
    assert (n_done == 0);
    if (sw_store_writing (self->store)) {
        if (sw_store_write_finish (self->store) == 0) {
            s_committed (self);
            s_answer (self, self->flight, self->n_flight);
            self->n_flight = 0;
        }
        else if (result == 0) {
            s_fatal (self);
            result = -1;
        }
    }
    zpoller_destroy (&writing);
    zpoller_destroy (&holding);
    zpoller_destroy (&poller);
    if (hold_fd >= 0)
        close (hold_fd);
    return result;
}

static int
s_run (void *ctx, zsock_t *pipe)
{
    intake_t *self = ctx;
    sw_info ("intake", "started", "endpoint=%s clock=%s data=%s", self->args->endpoint,
             self->clock.manual ? "manual" : "wall", self->args->data_dir);
    return s_loop (self, pipe);
}

void
intake_actor (zsock_t *pipe, void *arg)
{
    intake_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->args = arg;
    self->name = "intake";
    self->items = self->slots[0];
    self->flight = self->slots[1];
    self->known = sw_map_new (free);
    char err[512] = "";
    int rc = s_open (self, err, sizeof err);
    sw_service_serve (pipe, self->args, rc, err, s_run, self);
    if (rc == 0)
        sw_info ("intake", "stopped",
                 "accepted=%llu duplicates=%llu rejected=%llu batches=%llu held=%llu pipelined=%llu full=%llu",
                 (unsigned long long) self->accepted, (unsigned long long) self->duplicates,
                 (unsigned long long) self->rejected, (unsigned long long) self->batches,
                 (unsigned long long) self->held, (unsigned long long) self->pipelined,
                 (unsigned long long) self->full);
    s_close (self);
    sw_map_destroy (&self->known);
    free (self);
}
