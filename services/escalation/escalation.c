/* escalation: warning events -> topics; reds -> same-day leadership reports. */
#include "escalation.h"
#include "escalation_cases.h"
#include "escalation_digest.h"
#include "sw_calendar.h"
#include "sw_registry.h"
#include "sw_log.h"
#include "sw_pb.h"
#include "sw_stage.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    sw_service_args_t *args;
    sw_store_t *store;
    sw_stage_t *stage;
    MDB_dbi records, pending, meta;
    escalation_cases_t *cases;     /* the supervision ladder (SPEC §5) */
    escalation_digest_t *digest;   /* the express report: SLA and cases, kept, published */
    int64_t retry_ms;
    sw_registry_clock_t cal;       /* the registry's calendar (cal.now in a batch) */
    MDB_dbi projects;              /* project id -> ProjectDef */
} escalation_t;

static const char *
s_level (Sitewatch__V1__Level l)
{
    switch (l) {
    case SITEWATCH__V1__LEVEL__LEVEL_GREEN: return "green";
    case SITEWATCH__V1__LEVEL__LEVEL_YELLOW: return "yellow";
    case SITEWATCH__V1__LEVEL__LEVEL_RED: return "red";
    case SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED: return "not_started";
    default: return "none";
    }
}

static int
s_put (MDB_txn *txn, MDB_dbi dbi, const char *key, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size (m);
    MDB_val k = { strlen (key), (void *) key }, v = { n, NULL };
    int rc = mdb_put (txn, dbi, &k, &v, MDB_RESERVE);
    if (rc == 0)
        protobuf_c_message_pack (m, v.mv_data);
    return rc;
}

static int
s_publish (escalation_t *self, MDB_txn *txn, const char *topic, Sitewatch__V1__WarningEvent *w,
           Sitewatch__V1__LeadershipReport *l)
{
    Sitewatch__V1__Publish pub = SITEWATCH__V1__PUBLISH__INIT;
    pub.topic = (char *) topic;
    if (w) {
        pub.payload_case = SITEWATCH__V1__PUBLISH__PAYLOAD_WARNING;
        pub.warning = w;
    }
    else {
        pub.payload_case = SITEWATCH__V1__PUBLISH__PAYLOAD_LEADERSHIP;
        pub.leadership = l;
    }
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH;
    msg.publish = &pub;
    return sw_stage_forward (self->stage, txn, &msg);
}

static int
s_send_leadership (escalation_t *self, MDB_txn *txn, Sitewatch__V1__LeadershipRecord *rec)
{
    char topic[256];
    snprintf (topic, sizeof topic, "leadership.%s", rec->report->leader_id);
    rec->report->attempt = rec->attempts;
    return s_publish (self, txn, topic, NULL, rec->report);
}

static const char *
s_leader_name (escalation_t *self, MDB_txn *txn, const char *leader_id, char *buf, size_t cap)
{
    buf[0] = 0;
    MDB_val k = { 8, "registry" }, v;
    if (mdb_get (txn, self->meta, &k, &v) != 0)
        return buf;
    Sitewatch__V1__Registry *reg = sitewatch__v1__registry__unpack (NULL, v.mv_size, v.mv_data);
    if (!reg)
        return buf;
    for (size_t i = 0; i < reg->n_leaders; i++)
        if (strcmp (reg->leaders[i]->id, leader_id) == 0)
            snprintf (buf, cap, "%s", reg->leaders[i]->name);
    sitewatch__v1__registry__free_unpacked (reg, NULL);
    return buf;
}

static int
s_apply_warning (escalation_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    Sitewatch__V1__WarningEvent *ev = msg->warning;
    char topic[256];
    snprintf (topic, sizeof topic, "warning.%s.%s", s_level (ev->to), ev->project_id);
    int rc = s_publish (self, txn, topic, ev, NULL);
    if (rc != 0 || ev->to != SITEWATCH__V1__LEVEL__LEVEL_RED)
        return rc;

    /* A red reaches the leader in charge the same local day. */
    char id[256], leader_name[256];
    snprintf (id, sizeof id, "LR-%s", ev->event_id);
    /* The notifier confirms this id through the front door, which takes ids
     * of A-Z a-z 0-9 . _ - : / only; event ids are "<project>#<n>". '#' never
     * occurs in a project id, so "LR-<project>.<n>" stays one-to-one. */
    for (char *c = id; *c; c++)
        if (*c == '#')
            *c = '.';
    Sitewatch__V1__LeadershipReport lr = SITEWATCH__V1__LEADERSHIP_REPORT__INIT;
    lr.report_id = id;
    lr.project_id = ev->project_id;
    lr.leader_id = ev->leader_id;
    lr.raised_at = ev->at;
    lr.due_at = self->cal.now
                    ? sw_calendar_day_end (self->cal.now, sw_calendar_local_day (self->cal.now, ev->at))
                    : ev->at;
    lr.event = ev;
    lr.project_name = ev->project_name;
    lr.leader_name = (char *) s_leader_name (self, txn, ev->leader_id, leader_name, sizeof leader_name);
    Sitewatch__V1__LeadershipRecord rec = SITEWATCH__V1__LEADERSHIP_RECORD__INIT;
    rec.report = &lr;
    rec.attempts = 1;
    rec.last_sent_at = msg->at;
    rc = s_put (txn, self->records, id, &rec.base);
    if (rc == 0) {
        MDB_val k = { strlen (id), id }, v = { 0, "" };
        rc = mdb_put (txn, self->pending, &k, &v, 0);
    }
    if (rc == 0)
        rc = s_send_leadership (self, txn, &rec);
    sw_info ("escalation", "leadership_report", "id=%s project=%s leader=%s", id, ev->project_id,
             ev->leader_id);
    return rc;
}

static int
s_apply_confirm (escalation_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    const char *id = msg->confirm->report_id;
    MDB_val k = { strlen (id), (void *) id }, v;
    int rc = mdb_get (txn, self->records, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    Sitewatch__V1__LeadershipRecord *rec
        = sitewatch__v1__leadership_record__unpack (NULL, v.mv_size, v.mv_data);
    if (!rec)
        return 0;
    if (rec->confirmed_at == 0) {
        rec->confirmed_at = msg->at;
        rc = s_put (txn, self->records, id, &rec->base);
        if (rc == 0) {
            rc = mdb_del (txn, self->pending, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        sw_info ("escalation", "leadership_confirmed", "id=%s on_time=%s", id,
                 rec->confirmed_at <= rec->report->due_at ? "yes" : "no");
    }
    sitewatch__v1__leadership_record__free_unpacked (rec, NULL);
    return rc;
}

/* Re-sends every unconfirmed report whose last send is leader_retry old. */
static int
s_resend_due (escalation_t *self, MDB_txn *txn, int64_t now)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, self->pending, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
        MDB_val rv;
        if (mdb_get (txn, self->records, &k, &rv) != 0)
            continue;
        Sitewatch__V1__LeadershipRecord *rec
            = sitewatch__v1__leadership_record__unpack (NULL, rv.mv_size, rv.mv_data);
        if (!rec)
            continue;
        int wrc = 0;
        if (rec->confirmed_at == 0 && now - rec->last_sent_at >= self->retry_ms) {
            rec->attempts++;
            rec->last_sent_at = now;
            char id[256];
            snprintf (id, sizeof id, "%.*s", (int) k.mv_size, (char *) k.mv_data);
            wrc = s_put (txn, self->records, id, &rec->base);
            if (wrc == 0)
                wrc = s_send_leadership (self, txn, rec);
        }
        sitewatch__v1__leadership_record__free_unpacked (rec, NULL);
        if (wrc != 0) {
            mdb_cursor_close (cur);
            return wrc;
        }
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void
s_begin (void *svc)
{
    escalation_t *self = svc;
    sw_registry_clock_begin (&self->cal);
}

static void
s_committed (void *svc)
{
    escalation_t *self = svc;
    sw_registry_clock_commit (&self->cal);
}

static int
s_apply (void *svc, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    escalation_t *self = svc;
    /* Case deadlines passed before this instant move first, at their own
     * instants (a digest compiled below sees them). */
    int rc = escalation_cases_due (self->cases, txn, self->stage, self->cal.now, msg->at);
    if (rc != 0)
        return rc;
    switch (msg->body_case) {
    case SITEWATCH__V1__CHAIN_MSG__BODY_REGISTRY: {
        sw_calendar_t *cal = sw_registry_calendar (msg->registry);
        if (cal)
            sw_registry_clock_set (&self->cal, &cal);
        /* The people and the calendar under "registry" (small: read per
         * red), each project under its id (imports may come in chunks). */
        Sitewatch__V1__Registry head = *msg->registry;
        head.n_projects = 0;
        head.projects = NULL;
        rc = s_put (txn, self->meta, "registry", &head.base);
        for (size_t i = 0; rc == 0 && i < msg->registry->n_projects; i++)
            rc = s_put (txn, self->projects, msg->registry->projects[i]->id,
                        &msg->registry->projects[i]->base);
        break;
    }
    case SITEWATCH__V1__CHAIN_MSG__BODY_WARNING:
        rc = s_apply_warning (self, txn, msg);
        break;
    case SITEWATCH__V1__CHAIN_MSG__BODY_CONFIRM:
        rc = s_apply_confirm (self, txn, msg);
        break;
    default:
        break;
    }
    /* Cases: problems, reds and commands open, close and move them. */
    if (rc == 0)
        rc = escalation_cases_apply (self->cases, txn, self->stage, self->cal.now, msg);
    /* Time passing is what makes a re-send due. */
    if (rc == 0 && msg->body_case == SITEWATCH__V1__CHAIN_MSG__BODY_TICK)
        rc = s_resend_due (self, txn, msg->at);
    return rc;
}

/* A warning event that neither enters nor leaves red (every change of a
 * period close that turns projects yellow) only needs publishing: published
 * as the bytes rules packed, under its topic, without unpacking it.
 * SW_STAGE_UNPACK for anything else (reds open cases and leadership
 * reports: s_apply). */
static int
s_apply_warning_raw (escalation_t *self, MDB_txn *txn, const sw_stage_raw_t *msg)
{
    uint64_t from = 0, to = 0;
    const uint8_t *project = NULL;
    size_t project_len = 0;
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, msg->body_data, msg->body_size);
    while (sw_pb_next (&rd, &f)) {
        if (f.number == 2 && f.wire == SW_PB_LEN) {
            project = f.data;
            project_len = f.size;
        }
        else if (f.number == 3 && f.wire == SW_PB_VARINT)
            from = f.value;
        else if (f.number == 4 && f.wire == SW_PB_VARINT)
            to = f.value;
        else if (f.number >= 2 && f.number <= 4)
            return SW_STAGE_UNPACK;
    }
    if (rd.bad || from == SITEWATCH__V1__LEVEL__LEVEL_RED || to == SITEWATCH__V1__LEVEL__LEVEL_RED
        || project_len > 200 || (project_len && memchr (project, 0, project_len)))
        return SW_STAGE_UNPACK;
    int rc = escalation_cases_due (self->cases, txn, self->stage, self->cal.now, msg->at);
    if (rc != 0)
        return rc;
    /* Publish { topic = 1, warning = 10 } */
    char topic[256];
    int tl = snprintf (topic, sizeof topic, "warning.%s.%.*s", s_level ((Sitewatch__V1__Level) to),
                       (int) project_len, project ? (const char *) project : "");
    uint8_t th[15], eh[15];
    size_t thl = sw_pb_put_len_head (th, 1, (size_t) tl);
    size_t ehl = sw_pb_put_len_head (eh, SITEWATCH__V1__PUBLISH__PAYLOAD_WARNING, msg->body_size);
    struct iovec piece[] = { { th, thl },
                             { topic, (size_t) tl },
                             { eh, ehl },
                             { (void *) msg->body_data, msg->body_size } };
    return sw_stage_forward_raw (self->stage, txn, 0, SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH, piece,
                                 4);
}

/* The express report and warning events outside red are taken as bytes
 * (escalation_digest_apply, s_apply_warning_raw); every other message
 * unpacked (s_apply). */
static int
s_apply_raw (void *svc, MDB_txn *txn, const sw_stage_raw_t *msg)
{
    escalation_t *self = svc;
    if (msg->body == SITEWATCH__V1__CHAIN_MSG__BODY_WARNING)
        return s_apply_warning_raw (self, txn, msg);
    if (msg->body != SITEWATCH__V1__CHAIN_MSG__BODY_DIGEST)
        return SW_STAGE_UNPACK;
    int rc = escalation_cases_due (self->cases, txn, self->stage, self->cal.now, msg->at);
    if (rc == 0)
        rc = escalation_digest_apply (self->digest, self->cases, self->stage, txn,
                                      msg->body_data, msg->body_size, msg->at);
    return rc;
}

static int
s_query (void *svc, const Sitewatch__V1__Request *req, bool final, uint8_t **response, size_t *size)
{
    escalation_t *self = svc;
    if (escalation_cases_owns (req)) {
        escalation_cases_query (self->cases, req, response, size);
        return SW_STAGE_ANSWERED;
    }
    if (req->body_case == SITEWATCH__V1__REQUEST__BODY_QUERY && req->query
        && req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_DIGEST) {
        *response = escalation_digest_query (self->digest, req, size);
        return SW_STAGE_ANSWERED;
    }
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = req->request_id;
    Sitewatch__V1__SlaAnswer ans = SITEWATCH__V1__SLA_ANSWER__INIT;
    size_t cap = 16;
    ans.entries = malloc (cap * sizeof *ans.entries);
    if (!ans.entries)
        abort ();
    MDB_txn *txn;
    int64_t now = sw_stage_now (self->stage);
    if (sw_store_read (self->store, &txn) == 0) {
        MDB_cursor *cur;
        if (mdb_cursor_open (txn, self->records, &cur) == 0) {
            MDB_val k, v;
            for (int rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
                Sitewatch__V1__LeadershipRecord *rec
                    = sitewatch__v1__leadership_record__unpack (NULL, v.mv_size, v.mv_data);
                if (!rec)
                    continue;
                if (ans.n_entries == cap) {
                    cap *= 2;
                    ans.entries = realloc (ans.entries, cap * sizeof *ans.entries);
                    if (!ans.entries)
                        abort ();
                }
                Sitewatch__V1__SlaEntry *e = malloc (sizeof *e);
                if (!e)
                    abort ();
                sitewatch__v1__sla_entry__init (e);
                const Sitewatch__V1__LeadershipReport *r = rec->report;
                e->report_id = strdup (r->report_id);
                e->project_id = strdup (r->project_id);
                e->leader_id = strdup (r->leader_id);
                e->raised_at = r->raised_at;
                e->due_at = r->due_at;
                e->confirmed_at = rec->confirmed_at;
                e->attempts = rec->attempts;
                const char *outcome = rec->confirmed_at ? (rec->confirmed_at <= r->due_at ? "met" : "missed")
                                                        : (now > r->due_at ? "missed" : "pending");
                e->outcome = strdup (outcome);
                ans.entries[ans.n_entries++] = e;
                sitewatch__v1__leadership_record__free_unpacked (rec, NULL);
            }
            mdb_cursor_close (cur);
        }
        mdb_txn_abort (txn);
    }
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_SLA;
    resp.sla = &ans;
    *response = sw_wire_pack (&resp.base, size);
    for (size_t i = 0; i < ans.n_entries; i++)
        sitewatch__v1__sla_entry__free_unpacked (ans.entries[i], NULL);
    free (ans.entries);
    return SW_STAGE_ANSWERED;
}

static const sw_stage_ops_t s_ops = { s_begin, s_apply, s_committed, s_query, NULL, s_apply_raw };

static int
s_open (escalation_t *self, char *err, size_t errlen)
{
    const sw_config_t *cfg = self->args->cfg;
    self->retry_ms = sw_config_get_int (cfg, "leader-retry", 300000);
    if (self->retry_ms < 1000) {
        snprintf (err, errlen, "--leader-retry must be at least 1000 ms");
        return -1;
    }
    self->store = sw_store_open (self->args->data_dir,
                                 (size_t) sw_config_get_int (cfg, "map-size", 64 << 20), err, errlen);
    if (!self->store)
        return -1;
    if (sw_store_dbi (self->store, "leadership", 0, &self->records) != 0
        || sw_store_dbi (self->store, "leadership.pending", 0, &self->pending) != 0
        || sw_store_dbi (self->store, "projects", 0, &self->projects) != 0
        || sw_store_dbi (self->store, "escalation.meta", 0, &self->meta) != 0) {
        snprintf (err, errlen, "cannot open escalation databases in %.300s", self->args->data_dir);
        return -1;
    }
    self->digest = escalation_digest_new (self->store, self->records);
    if (!self->digest) {
        snprintf (err, errlen, "cannot open the digest database in %.300s", self->args->data_dir);
        return -1;
    }
    escalation_ladder_config_t ladder;
    escalation_ladder_config_defaults (&ladder);
    ladder.onsite_days = (int) sw_config_get_int (cfg, "onsite-days", ladder.onsite_days);
    ladder.letter_days = (int) sw_config_get_int (cfg, "letter-days", ladder.letter_days);
    self->cases = escalation_cases_new (self->store, self->meta, "registry", &ladder, err, errlen);
    if (!self->cases)
        return -1;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) == 0) {
        MDB_val k = { 8, "registry" }, v;
        if (mdb_get (txn, self->meta, &k, &v) == 0) {
            Sitewatch__V1__Registry *reg = sitewatch__v1__registry__unpack (NULL, v.mv_size, v.mv_data);
            if (reg) {
                self->cal.committed = sw_registry_calendar (reg);
                sitewatch__v1__registry__free_unpacked (reg, NULL);
            }
        }
        mdb_txn_abort (txn);
    }
    self->cal.now = self->cal.committed;
    uint32_t link_window;
    if (sw_service_link_window (cfg, &link_window, err, errlen) != 0)
        return -1;
    self->stage = sw_stage_new ("escalation", self->store, self->args->escalation,
                                self->args->notify, &s_ops, self, err, errlen);
    if (!self->stage)
        return -1;
    sw_stage_set_link_window (self->stage, link_window);
    return 0;
}

void
escalation_actor (zsock_t *pipe, void *arg)
{
    escalation_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->args = arg;
    char err[512] = "";
    int rc = s_open (self, err, sizeof err);
    sw_service_serve (pipe, self->args, rc, err, sw_stage_serve, self->stage);
    sw_stage_destroy (&self->stage);
    escalation_cases_destroy (&self->cases);
    escalation_digest_destroy (&self->digest);
    sw_registry_clock_destroy (&self->cal);
    sw_store_close (&self->store);
    free (self);
}
