/* rules: registry, reports and levels; judges with rules_policy, emits events. */
#include "rules.h"
#include "rules_digest.h"
#include "rules_def.h"
#include "rules_policy.h"
#include "rules_report.h"
#include "rules_state.h"
#include "sw_calendar.h"
#include "sw_registry.h"
#include "sw_log.h"
#include "sw_map.h"
#include "sw_stage.h"
#include "sw_str.h"
#include "sw_wire.h"

#include <stdlib.h>
#include <string.h>

#define RULES_KEEP_PERIODS 16
/* Projects kept parsed in memory (about 1 KB each); past this the cache
 * starts again empty. */
#define RULES_CACHE_MAX 16384

/* A project as last stored: its def and state, parsed. */
typedef struct {
    Sitewatch__V1__ProjectDef *def;
    Sitewatch__V1__RulesProjectState *st;
} rules_project_t;

typedef struct {
    sw_service_args_t *args;
    sw_store_t *store;
    sw_stage_t *stage;
    MDB_dbi projects, states, reports, events, meta;
    MDB_dbi report_log;            /* reports by journal sequence (append order) */
    MDB_dbi checkins, history;     /* site days; counts by level per close */
    rules_policy_config_t policy;
    sw_registry_clock_t cal;       /* the registry's calendar (cal.now in a batch) */
    size_t close_slice;            /* projects judged per transaction at a close */
    int64_t window_ms;             /* the stage's commit window (sw_stage.h) */
    size_t window_min;
    bool close_going;              /* this process has judged part of a close */
    MDB_cursor *close_events;      /* "events" in a close's slice, else NULL */
    /* Parsed projects by id, as stored by the last committed batch and the
     * one under way (write-through: every change is also put in "states").
     * A batch that does not commit empties it (its changes are gone). */
    sw_map_t *cache;
    bool cache_dirty;              /* a batch began and has not committed */
    /* States written back: a changed state is appended to "state_log" (key:
     * a sequence, value: project id, NUL, the state's encoding), not put in
     * "states" where it would rewrite a random page; logged maps each
     * project in the log to its latest entry's sequence. s_checkpoint moves
     * the latest entries into "states" and empties the log. Readers of a
     * state go through s_state_read. */
    MDB_dbi state_log;
    sw_map_t *logged;              /* id -> sequence (uintptr_t) */
    uint64_t log_next;
    int64_t log_first_ms;          /* when the log's first entry was written */
    bool log_reindex;              /* logged must be read again from the store */
    bool direct_states;            /* an import: states go to "states" */
    size_t log_max;                /* --state-checkpoint-max: projects logged */
    int64_t log_ms;                /* --state-checkpoint: ms after the first */
} rules_t;

/* ------------------------------------------------------------- storage */

static void *
s_get (MDB_txn *txn, MDB_dbi dbi, const char *key, const ProtobufCMessageDescriptor *d, int *rc)
{
    MDB_val k = { strlen (key), (void *) key }, v;
    *rc = mdb_get (txn, dbi, &k, &v);
    if (*rc != 0)
        return NULL;
    void *m = protobuf_c_message_unpack (d, NULL, v.mv_size, v.mv_data);
    if (!m)
        *rc = MDB_CORRUPTED;
    return m;
}

/* Packs m into its place in dbi, or at the item a cursor stands on (cur:
 * MDB_CURRENT, no descent of the tree; key a copy of that item's key). */
static int
s_put_flags (MDB_txn *txn, MDB_dbi dbi, MDB_cursor *cur, const void *key, size_t klen,
             const ProtobufCMessage *m, unsigned flags)
{
    size_t n = protobuf_c_message_get_packed_size (m);
    MDB_val k = { klen, (void *) key }, v = { n, NULL };
    int rc = cur ? mdb_cursor_put (cur, &k, &v, MDB_CURRENT | MDB_RESERVE | flags)
                 : mdb_put (txn, dbi, &k, &v, MDB_RESERVE | flags);
    if (rc == 0)
        protobuf_c_message_pack (m, v.mv_data);
    return rc;
}

static int
s_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const ProtobufCMessage *m)
{
    return s_put_flags (txn, dbi, NULL, key, klen, m, 0);
}

/* Reads the log's index again from what is stored (at start, and after a
 * batch that did not commit: its entries are gone). */
static int
s_log_reindex (rules_t *self, MDB_txn *txn)
{
    sw_map_clear (self->logged);
    self->log_next = 1;
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, self->state_log, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
        const char *id = v.mv_data;
        if (k.mv_size != 8 || !memchr (id, 0, v.mv_size))
            continue;
        uint64_t seq = sw_be_u64 (k.mv_data);
        if (sw_map_put (self->logged, id, (void *) (uintptr_t) seq) != 0)
            abort ();
        self->log_next = seq + 1;
    }
    mdb_cursor_close (cur);
    self->log_reindex = false;
    if (sw_map_size (self->logged)) {
        if (!self->log_first_ms)
            self->log_first_ms = zclock_mono ();
        sw_info ("rules", "state_log_read", "projects=%zu next=%llu", sw_map_size (self->logged),
                 (unsigned long long) self->log_next);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* A project's stored state: its latest log entry, else "states". */
static int
s_state_bytes (rules_t *self, MDB_txn *txn, const MDB_val *key, MDB_val *out)
{
    bool retried = false;
again:
    if (self->log_reindex) {
        int rc = s_log_reindex (self, txn);
        if (rc != 0)
            return rc;
    }
    if (sw_map_size (self->logged) && key->mv_size < 256) {
        char id[256];
        memcpy (id, key->mv_data, key->mv_size);
        id[key->mv_size] = 0;
        uintptr_t seq = (uintptr_t) sw_map_get (self->logged, id);
        if (seq) {
            uint8_t kb[8];
            sw_u64_be (seq, kb);
            MDB_val k = { 8, kb }, v;
            int rc = mdb_get (txn, self->state_log, &k, &v);
            if (rc == MDB_NOTFOUND && !retried) {
                /* an entry of a batch that did not commit, read before the
                 * next batch began: read the index again from the store */
                self->log_reindex = true;
                retried = true;
                goto again;
            }
            if (rc != 0)
                return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
            const char *z = memchr (v.mv_data, 0, v.mv_size);
            if (!z)
                return MDB_CORRUPTED;
            size_t idl = (size_t) (z - (const char *) v.mv_data) + 1;
            out->mv_size = v.mv_size - idl;
            out->mv_data = (uint8_t *) v.mv_data + idl;
            return 0;
        }
    }
    return mdb_get (txn, self->states, (MDB_val *) key, out);
}

static Sitewatch__V1__RulesProjectState *
s_state_read (rules_t *self, MDB_txn *txn, const char *id, int *rc)
{
    MDB_val k = { strlen (id), (void *) id }, v;
    *rc = s_state_bytes (self, txn, &k, &v);
    if (*rc != 0)
        return NULL;
    Sitewatch__V1__RulesProjectState *st
        = sitewatch__v1__rules_project_state__unpack (NULL, v.mv_size, v.mv_data);
    if (!st)
        *rc = MDB_CORRUPTED;
    return st;
}

/* Moves the latest logged state of each project into "states" and empties
 * the log, inside txn. */
static int
s_checkpoint (rules_t *self, MDB_txn *txn)
{
    if (self->log_reindex) {
        int rc = s_log_reindex (self, txn);
        if (rc != 0)
            return rc;
    }
    if (!sw_map_size (self->logged))
        return 0;
    int rc = 0;
    size_t pos = 0;
    const char *id;
    void *item;
    while (rc == 0 && sw_map_next (self->logged, &pos, &id, &item)) {
        uint8_t kb[8];
        sw_u64_be ((uintptr_t) item, kb);
        MDB_val k = { 8, kb }, v;
        rc = mdb_get (txn, self->state_log, &k, &v);
        const char *z = rc == 0 ? memchr (v.mv_data, 0, v.mv_size) : NULL;
        if (rc == 0 && !z)
            rc = MDB_CORRUPTED;
        if (rc == 0) {
            size_t idl = (size_t) (z - (const char *) v.mv_data) + 1;
            MDB_val sk = { strlen (id), (void *) id },
                    sv = { v.mv_size - idl, (uint8_t *) v.mv_data + idl };
            rc = mdb_put (txn, self->states, &sk, &sv, 0);
        }
    }
    if (rc == 0)
        rc = mdb_drop (txn, self->state_log, 0);
    if (rc != 0)
        return rc;
    sw_map_clear (self->logged);
    self->log_first_ms = 0;
    return 0;
}

/* Checkpoints when the log is full or old (at the start of a message). */
static int
s_maybe_checkpoint (rules_t *self, MDB_txn *txn)
{
    if (self->log_reindex) {
        int rc = s_log_reindex (self, txn);
        if (rc != 0)
            return rc;
    }
    size_t n = sw_map_size (self->logged);
    if (n >= self->log_max || (n && zclock_mono () - self->log_first_ms >= self->log_ms))
        return s_checkpoint (self, txn);
    return 0;
}

/* A project's state, encoded by hand (rules_state_encode: the bytes
 * protobuf-c would pack): appended to the state log (written back), or
 * where cur stands, or in "states" during an import. */
static int
s_put_state (rules_t *self, MDB_txn *txn, MDB_cursor *cur, const void *key, size_t klen,
             const Sitewatch__V1__RulesProjectState *st)
{
    uint8_t buf[4096 + 257];
    if (cur || self->direct_states || klen > 256) {
        size_t n = rules_state_encode (st, buf, sizeof buf);
        if (!n)
            return s_put_flags (txn, self->states, cur, key, klen, &st->base, 0);
        MDB_val k = { klen, (void *) key }, v = { n, buf };
        return cur ? mdb_cursor_put (cur, &k, &v, MDB_CURRENT)
                   : mdb_put (txn, self->states, &k, &v, 0);
    }
    if (self->log_reindex) {
        int rc = s_log_reindex (self, txn);
        if (rc != 0)
            return rc;
    }
    memcpy (buf, key, klen);
    buf[klen] = 0;
    size_t n = rules_state_encode (st, buf + klen + 1, sizeof buf - klen - 1);
    uint8_t *packed = NULL;
    if (!n && (n = protobuf_c_message_get_packed_size (&st->base)) > 0) {
        packed = malloc (klen + 1 + n);
        if (!packed)
            abort ();
        memcpy (packed, buf, klen + 1);
        protobuf_c_message_pack (&st->base, packed + klen + 1);
    }
    uint8_t kb[8];
    uint64_t seq = self->log_next;
    sw_u64_be (seq, kb);
    MDB_val k = { 8, kb }, v = { klen + 1 + n, packed ? packed : buf };
    int rc = sw_store_put (self->store, txn, self->state_log, &k, &v, MDB_APPEND);
    free (packed);
    if (rc != 0)
        return rc;
    self->log_next++;
    if (!sw_map_size (self->logged))
        self->log_first_ms = zclock_mono ();
    if (sw_map_put (self->logged, (const char *) buf, (void *) (uintptr_t) seq) != 0)
        abort ();
    return 0;
}

static void
s_project_free (void *item)
{
    rules_project_t *p = item;
    if (!p)
        return;
    sitewatch__v1__project_def__free_unpacked (p->def, NULL);
    sitewatch__v1__rules_project_state__free_unpacked (p->st, NULL);
    free (p);
}

/* A project's def and state for a change inside txn: from the cache, or
 * read and kept there. NULL with *rc (MDB_NOTFOUND: no such project). The
 * project stays valid until the next s_project call: its state may be
 * changed in place, and must then be stored (s_judge_one). */
static rules_project_t *
s_project (rules_t *self, MDB_txn *txn, const char *id, int *rc)
{
    rules_project_t *p = sw_map_get (self->cache, id);
    if (p) {
        *rc = 0;
        return p;
    }
    Sitewatch__V1__ProjectDef *def
        = s_get (txn, self->projects, id, &sitewatch__v1__project_def__descriptor, rc);
    if (!def)
        return NULL;
    Sitewatch__V1__RulesProjectState *st = s_state_read (self, txn, id, rc);
    if (!st) {
        sitewatch__v1__project_def__free_unpacked (def, NULL);
        return NULL;
    }
    p = malloc (sizeof *p);
    if (!p)
        abort ();
    p->def = def;
    p->st = st;
    if (sw_map_size (self->cache) >= RULES_CACHE_MAX)
        sw_map_clear (self->cache);
    if (sw_map_put (self->cache, def->id, p) != 0)
        abort ();
    return p;
}

/* Keys "<project>\0<seq>" keep a project's reports and events together. */
static size_t
s_seq_key (uint8_t *buf, const char *project, uint64_t seq)
{
    size_t n = strlen (project);
    memcpy (buf, project, n);
    buf[n] = 0;
    sw_u64_be (seq, buf + n + 1);
    return n + 9;
}

static Sitewatch__V1__Registry *
s_registry (rules_t *self, MDB_txn *txn, int *rc)
{
    return s_get (txn, self->meta, "registry", &sitewatch__v1__registry__descriptor, rc);
}

/* --------------------------------------------------------------- judging */

static bool
s_has_period (const Sitewatch__V1__RulesProjectState *st, int64_t period)
{
    for (size_t i = 0; i < st->n_report_periods; i++)
        if (st->report_periods[i] == period)
            return true;
    return false;
}

/* A reason's fields from the policy's, its strings pointing at those given. */
static void
s_reason_fields (Sitewatch__V1__Reason *out, const rules_reason_t *r, char *code, char *detail,
                 char *problem_id)
{
    sitewatch__v1__reason__init (out);
    out->code = code;
    out->lag_pp = r->lag_pp;
    out->planned_pct = r->planned_pct;
    out->actual_pct = r->actual_pct;
    out->forecast_finish_day = r->has_forecast ? r->forecast_finish_day : 0;
    out->period = r->period;
    out->detail = detail;
    out->threshold = r->threshold;
    out->problem_id = problem_id;
}

/* The same with strings of its own (for a state protobuf-c frees). */
static void
s_fill_reason (Sitewatch__V1__Reason *out, const rules_reason_t *r)
{
    s_reason_fields (out, r, strdup (r->code), strdup (r->detail), strdup (r->problem_id));
    if (!out->code || !out->detail || !out->problem_id)
        abort ();
}

static void
s_free_reasons (Sitewatch__V1__Reason **rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sitewatch__v1__reason__free_unpacked (rs[i], NULL);
    free (rs);
}

/* Judges one project at instant `at` and forwards a warning event when the
 * effective level changes. st is updated in place (the caller stores it):
 * protobuf-c's, or sview's own (sview not NULL: its new reasons are kept in
 * the view, nothing allocated). */
static int
s_judge (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ProjectDef *def,
         Sitewatch__V1__RulesProjectState *st, int64_t at, bool at_close, int64_t close_period,
         rules_state_view_t *sview)
{
    int32_t day = sw_calendar_local_day (self->cal.now, at);
    int64_t period = at_close ? close_period : sw_calendar_period_of_day (self->cal.now, day);

    rules_milestone_t stack_ms[32], *ms = stack_ms;
    if (def->n_milestones > 32) {
        ms = calloc (def->n_milestones, sizeof *ms);
        if (!ms)
            abort ();
    }
    for (size_t i = 0; i < def->n_milestones; i++) {
        ms[i].day = def->milestones[i]->day;
        ms[i].percent_bp = def->milestones[i]->percent_bp;
    }
    rules_policy_input_t in;
    memset (&in, 0, sizeof in);
    in.start_day = def->start_day;
    in.end_day = def->end_day;
    in.milestones = ms;
    in.n_milestones = def->n_milestones;
    in.planned_state = strcmp (def->state, "planned") == 0;
    in.has_actual = st->has_actual;
    in.actual_bp = st->actual_bp;
    for (size_t i = 0; i < st->n_open_problems; i++)
        if (st->open_problems[i]->severity == SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR) {
            in.major_open = true;
            const char *pid = st->open_problems[i]->problem_id;
            sw_strlcpy (in.major_problem_id, pid ? pid : "", sizeof in.major_problem_id);
            break;
        }
    in.reason_state = (rules_reason_state_t) st->reason_state;
    in.reason_approved_day = st->reason_approved_day;
    /* A period that ended before the project's start day asked no report of
     * it: no_report judges only periods the project was in. */
    in.at_period_close = at_close && def->start_day < day;
    in.reported_in_period = s_has_period (st, period);
    in.period = period;

    rules_verdict_t v;
    rules_policy_evaluate (&self->policy, &in, day, &v);
    /* The plan is known even before the first report: the board shows it. */
    int32_t planned_bp
        = rules_policy_planned_bp (def->start_day, def->end_day, ms, def->n_milestones, day);
    if (ms != stack_ms)
        free (ms);

    rules_level_t prev_close = st->prev_close_level == SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED
                                       || st->prev_close_level == SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED
                                   ? RULES_LEVEL_GREEN
                                   : (rules_level_t) st->prev_close_level;
    bool consecutive = false;
    rules_level_t eff = rules_policy_effective (prev_close, v.raw, &consecutive);
    if (consecutive)
        rules_policy_add_consecutive_yellow (&v, prev_close);

    /* A project is first judged green, silently. */
    rules_level_t from = (rules_level_t) st->level;
    if (from == RULES_LEVEL_NOT_STARTED || from == RULES_LEVEL_NONE)
        from = eff == RULES_LEVEL_NOT_STARTED ? RULES_LEVEL_NOT_STARTED : RULES_LEVEL_GREEN;
    if (from != (rules_level_t) st->level) {
        st->level = (Sitewatch__V1__Level) from;
        st->since = at;
    }

    /* Keep the explanation with the state. */
    if (sview)
        rules_state_view_judged (sview, v.reasons, v.n_reasons, s_reason_fields);
    else if (v.n_reasons == 0 && st->n_reasons == 0) {
        /* nothing to explain, before or now (most reports): no array to
         * free and allocate again */
    }
    else {
        s_free_reasons (st->reasons, st->n_reasons);
        st->reasons = calloc (v.n_reasons ? v.n_reasons : 1, sizeof (Sitewatch__V1__Reason *));
        if (!st->reasons)
            abort ();
        st->n_reasons = v.n_reasons;
        for (size_t i = 0; i < v.n_reasons; i++) {
            st->reasons[i] = malloc (sizeof (Sitewatch__V1__Reason));
            if (!st->reasons[i])
                abort ();
            s_fill_reason (st->reasons[i], &v.reasons[i]);
        }
    }
    st->has_lag = v.has_lag;
    st->lag_pp = v.lag_pp;
    st->planned_pct = v.has_lag ? v.planned_pct : planned_bp / 100.0;
    st->actual_pct = v.actual_pct;

    int rc = 0;
    if (eff != from) {
        st->events++;
        char event_id[192]; /* "<project>#<n>" */
        size_t il = sw_strlcpy (event_id, def->id, sizeof event_id - 22); /* '#', 20 digits, NUL */
        event_id[il] = '#';
        sw_u64_dec (event_id + il + 1, st->events);
        Sitewatch__V1__WarningEvent ev = SITEWATCH__V1__WARNING_EVENT__INIT;
        ev.event_id = event_id;
        ev.project_id = def->id;
        ev.from = (Sitewatch__V1__Level) from;
        ev.to = (Sitewatch__V1__Level) eff;
        ev.reasons = st->reasons;
        ev.n_reasons = st->n_reasons;
        ev.lag_pp = v.lag_pp;
        ev.has_lag = v.has_lag;
        ev.at = at;
        ev.period = period;
        ev.leader_id = def->leader;
        ev.commissioner_id = def->commissioner;
        ev.project_name = def->name;
        uint8_t key[256];
        size_t kl = s_seq_key (key, def->id, st->events);
        /* Packed once: kept under the project, and forwarded as it is. */
        uint8_t stackbuf[2048], *evb = stackbuf;
        size_t evn = rules_event_encode (&ev, stackbuf, sizeof stackbuf);
        if (!evn) {
            evn = protobuf_c_message_get_packed_size (&ev.base);
            if (!(evb = malloc (evn)))
                abort ();
            protobuf_c_message_pack (&ev.base, evb);
        }
        MDB_val ek = { kl, key }, evv = { evn, evb };
        /* A close judges projects in key order: its cursor stays on the
         * page where the next event goes (mdb_put searches from the root). */
        rc = self->close_events ? mdb_cursor_put (self->close_events, &ek, &evv, 0)
                                : mdb_put (txn, self->events, &ek, &evv, 0);
        if (rc == 0) {
            struct iovec piece = { evb, evn };
            rc = sw_stage_forward_raw (self->stage, txn, at, SITEWATCH__V1__CHAIN_MSG__BODY_WARNING,
                                       &piece, 1);
        }
        if (evb != stackbuf)
            free (evb);
        sw_info ("rules", "level_changed", "project=%s from=%s to=%s event=%s", def->id,
                 rules_level_name (from), rules_level_name (eff), event_id);
        st->level = (Sitewatch__V1__Level) eff;
        st->since = at;
    }
    if (at_close && eff != RULES_LEVEL_NOT_STARTED)
        st->prev_close_level = (Sitewatch__V1__Level) eff;
    return rc;
}

/* Loads def and state of one project, judges, stores. */
static int
s_judge_one (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ProjectDef *def,
             Sitewatch__V1__RulesProjectState *st, int64_t at, bool at_close, int64_t period)
{
    int rc = s_judge (self, txn, def, st, at, at_close, period, NULL);
    if (rc == 0)
        rc = s_put_state (self, txn, NULL, def->id, strlen (def->id), st);
    return rc;
}

/* ------------------------------------------------- express report (§6) */

/* Keys that sort like the signed number: the sign bit flipped, big-endian. */
static void
s_period_key (int64_t period, uint8_t out[8])
{
    sw_u64_be ((uint64_t) period ^ (UINT64_C (1) << 63), out);
}

/* "<commissioner>\0<day>": one commissioner's site days together, in order. */
static size_t
s_checkin_key (uint8_t *buf, size_t cap, const char *commissioner, int32_t day)
{
    size_t n = strnlen (commissioner, cap - 5);
    memcpy (buf, commissioner, n);
    buf[n] = 0;
    uint32_t u = (uint32_t) day ^ UINT32_C (0x80000000);
    buf[n + 1] = (uint8_t) (u >> 24);
    buf[n + 2] = (uint8_t) (u >> 16);
    buf[n + 3] = (uint8_t) (u >> 8);
    buf[n + 4] = (uint8_t) u;
    return n + 5;
}

/* A check-in marks its local day as a site day of its commissioner (the
 * value counts check-ins that day). Passed on downstream as before. */
static int
s_apply_checkin (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__Checkin *c = msg->checkin;
    int rc = 0;
    if (self->cal.now && c->commissioner_id && *c->commissioner_id) {
        uint8_t key[200];
        size_t kl = s_checkin_key (key, sizeof key, c->commissioner_id,
                                   sw_calendar_local_day (self->cal.now, c->at));
        MDB_val k = { kl, key }, v;
        uint32_t count = 0;
        rc = mdb_get (txn, self->checkins, &k, &v);
        if (rc == 0 && v.mv_size == sizeof count)
            memcpy (&count, v.mv_data, sizeof count);
        if (rc == 0 || rc == MDB_NOTFOUND) {
            count++;
            MDB_val nv = { sizeof count, &count };
            rc = mdb_put (txn, self->checkins, &k, &nv, 0);
        }
        if (rc != 0)
            return rc;
    }
    Sitewatch__V1__ChainMsg fwd = *msg;
    return sw_stage_forward (self->stage, txn, &fwd);
}

/* Counts a report in the channels of the period of its observed_at; a newer
 * period starts the count afresh, a report of an older one (late) is left
 * out: that period's express report is already out. */
static void
s_count_channel (Sitewatch__V1__RulesProjectState *st, int64_t period, Sitewatch__V1__Source source)
{
    bool empty = st->sources_mask == 0 && st->period_reports == 0;
    if (!empty && period < st->sources_period)
        return;
    if (empty || period > st->sources_period) {
        st->sources_period = period;
        st->sources_mask = 0;
        st->period_reports = 0;
        st->period_reports_commissioner = 0;
        st->period_reports_unit = 0;
        st->period_reports_local = 0;
    }
    st->sources_mask |= rules_digest_channel_bit (source);
    st->period_reports++;
    if (source == SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER)
        st->period_reports_commissioner++;
    else if (source == SITEWATCH__V1__SOURCE__SOURCE_UNIT)
        st->period_reports_unit++;
    else if (source == SITEWATCH__V1__SOURCE__SOURCE_LOCAL)
        st->period_reports_local++;
}

/* The local days with a check-in of one commissioner from first to last. */
static int32_t *
s_site_days (rules_t *self, MDB_txn *txn, const char *commissioner, int32_t first, int32_t last,
             size_t *count)
{
    size_t cap = 8, n = 0;
    int32_t *days = malloc (cap * sizeof *days);
    if (!days)
        abort ();
    uint8_t from[200];
    size_t pl = s_checkin_key (from, sizeof from, commissioner, first) - 4;
    MDB_cursor *cur;
    if (mdb_cursor_open (txn, self->checkins, &cur) == 0) {
        MDB_val k = { pl + 4, from }, v;
        for (int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size == pl + 4 && memcmp (k.mv_data, from, pl) == 0;
             rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
            const uint8_t *b = (const uint8_t *) k.mv_data + pl;
            uint32_t u = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
            int32_t day = (int32_t) (u ^ UINT32_C (0x80000000));
            if (day > last)
                break;
            if (n == cap) {
                cap *= 2;
                days = realloc (days, cap * sizeof *days);
                if (!days)
                    abort ();
            }
            days[n++] = day;
        }
        mdb_cursor_close (cur);
    }
    *count = n;
    return days;
}

/* Up to max history points of the closes before period k, unpacked. */
static Sitewatch__V1__DigestHistoryPoint **
s_history_before (rules_t *self, MDB_txn *txn, int64_t k, size_t max, size_t *count)
{
    Sitewatch__V1__DigestHistoryPoint **pts = calloc (max ? max : 1, sizeof *pts);
    if (!pts)
        abort ();
    size_t n = 0;
    uint8_t kb[8];
    s_period_key (k, kb);
    MDB_cursor *cur;
    if (max && mdb_cursor_open (txn, self->history, &cur) == 0) {
        MDB_val key = { 8, kb }, v;
        int rc = mdb_cursor_get (cur, &key, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get (cur, &key, &v, MDB_PREV)
                     : mdb_cursor_get (cur, &key, &v, MDB_LAST);
        for (; rc == 0 && n < max; rc = mdb_cursor_get (cur, &key, &v, MDB_PREV)) {
            Sitewatch__V1__DigestHistoryPoint *p
                = sitewatch__v1__digest_history_point__unpack (NULL, v.mv_size, v.mv_data);
            if (p)
                pts[n++] = p;
        }
        mdb_cursor_close (cur);
    }
    *count = n;
    return pts;
}

/* One stored project as the express report sees it (pointers into def
 * and st). */
static void
s_digest_project (rules_digest_project_t *p, const Sitewatch__V1__ProjectDef *def,
                  const Sitewatch__V1__RulesProjectState *st, int64_t k)
{
    memset (p, 0, sizeof *p);
    p->project_id = def->id;
    p->name = def->name;
    p->commissioner = def->commissioner;
    p->level = (rules_level_t) st->level;
    p->prev_level = (rules_level_t) st->close_prev_level;
    p->reasons = st->reasons;
    p->n_reasons = st->n_reasons;
    p->has_lag = st->has_lag;
    p->lag_pp = st->lag_pp;
    p->planned_pct = st->planned_pct;
    p->actual_pct = st->actual_pct;
    p->reported = s_has_period (st, k);
    if (st->sources_period == k) {
        p->channels = st->sources_mask;
        p->reports[0] = st->period_reports_commissioner;
        p->reports[1] = st->period_reports_unit;
        p->reports[2] = st->period_reports_local;
    }
}

/* A project's def and state read in place (a close reads every project). */
typedef struct {
    rules_def_view_t def;
    rules_state_view_t st;
} s_view_t;

static bool s_read_project (const MDB_val *defv, const MDB_val *stv, s_view_t *view,
                            Sitewatch__V1__ProjectDef **def,
                            Sitewatch__V1__RulesProjectState **st);
static void s_release_project (s_view_t *view, Sitewatch__V1__ProjectDef *def,
                               Sitewatch__V1__RulesProjectState *st);

/* Adds every stored project to the report, in key order: each project's
 * def and state (the state after the close, with the level at the close
 * before in close_prev_level), unpacked one at a time and encoded at once. */
static int
s_digest_projects (rules_t *self, MDB_txn *txn, int64_t k, rules_digest_builder_t *b,
                   size_t *count)
{
    MDB_cursor *cur, *scur;
    int rc = mdb_cursor_open (txn, self->projects, &cur);
    if (rc != 0)
        return rc;
    rc = mdb_cursor_open (txn, self->states, &scur);
    if (rc != 0) {
        mdb_cursor_close (cur);
        return rc;
    }
    size_t n = 0;
    bool spos = false;
    MDB_val key, val, sk, sv;
    s_view_t view;
    for (rc = mdb_cursor_get (cur, &key, &val, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT)) {
        /* states are keyed as projects are: a step, not a search */
        spos = spos && mdb_cursor_get (scur, &sk, &sv, MDB_NEXT) == 0
               && sk.mv_size == key.mv_size && memcmp (sk.mv_data, key.mv_data, key.mv_size) == 0;
        if (!spos) {
            sk = key;
            spos = mdb_cursor_get (scur, &sk, &sv, MDB_SET_KEY) == 0;
        }
        Sitewatch__V1__ProjectDef *def;
        Sitewatch__V1__RulesProjectState *st;
        if (!spos || !s_read_project (&val, &sv, &view, &def, &st))
            continue;
        rules_digest_project_t p;
        s_digest_project (&p, def, st, k);
        rules_digest_add (b, &p);
        n++;
        s_release_project (&view, def, st);
    }
    mdb_cursor_close (scur);
    mdb_cursor_close (cur);
    *count = n;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Compiles the express report of period k (closed at t) from the stored
 * projects, keeps this close's counts for the chart, and forwards the
 * report to escalation in the same transaction. */
static int
s_digest (rules_t *self, MDB_txn *txn, int64_t k, int64_t t, size_t *count)
{
    int rc;
    Sitewatch__V1__Registry *reg = s_registry (self, txn, &rc);
    if (!reg && rc != MDB_NOTFOUND)
        return rc;
    rules_digest_input_t in;
    memset (&in, 0, sizeof in);
    in.period = k;
    in.first_day = sw_calendar_period_first_day (self->cal.now, k);
    in.last_day = sw_calendar_period_first_day (self->cal.now, k + 1) - 1;
    in.closed_at = t;
    in.zone_name = reg ? reg->zone_name : "";
    in.timezone = reg ? reg->timezone : sw_calendar_tz (self->cal.now);

    size_t nc = reg ? reg->n_commissioners : 0;
    rules_digest_commissioner_t *cs = calloc (nc ? nc : 1, sizeof *cs);
    if (!cs)
        abort ();
    int32_t window_first = in.last_day - RULES_DIGEST_WINDOW_DAYS + 1;
    for (size_t i = 0; i < nc; i++) {
        cs[i].commissioner_id = reg->commissioners[i]->id;
        cs[i].name = reg->commissioners[i]->name;
        cs[i].checkin_days = s_site_days (self, txn, reg->commissioners[i]->id, window_first,
                                          in.last_day, &cs[i].n_checkin_days);
    }
    in.commissioners = cs;
    in.n_commissioners = nc;
    in.history = s_history_before (self, txn, k, RULES_DIGEST_HISTORY - 1, &in.n_history);

    rules_digest_builder_t *b = rules_digest_begin (&in);
    rc = s_digest_projects (self, txn, k, b, count);
    rules_digest_encoded_t enc;
    rules_digest_finish (b, &enc);
    uint8_t kb[8];
    s_period_key (k, kb);
    if (rc == 0)
        rc = s_put (txn, self->history, kb, 8, &enc.point.base);
    if (rc == 0)
        rc = sw_stage_forward_raw (self->stage, txn, t, SITEWATCH__V1__CHAIN_MSG__BODY_DIGEST,
                                   enc.piece, enc.n_pieces);
    sw_info ("rules", "digest_compiled",
             "period=%lld green=%u yellow=%u red=%u not_started=%u no_report=%zu bytes=%zu",
             (long long) k, enc.point.green, enc.point.yellow, enc.point.red,
             enc.point.not_started, enc.n_no_report, enc.size);
    rules_digest_builder_free (&b);
    for (size_t i = 0; i < in.n_history; i++)
        sitewatch__v1__digest_history_point__free_unpacked (in.history[i], NULL);
    free ((void *) in.history);
    for (size_t i = 0; i < nc; i++)
        free ((void *) cs[i].checkin_days);
    free (cs);
    if (reg)
        sitewatch__v1__registry__free_unpacked (reg, NULL);
    return rc;
}

/* Unpacks a project's stored def and state; false (nothing kept) when
 * either does not unpack. */
static bool
s_unpack_project (const MDB_val *defv, const MDB_val *stv, Sitewatch__V1__ProjectDef **def,
                  Sitewatch__V1__RulesProjectState **st)
{
    *def = sitewatch__v1__project_def__unpack (NULL, defv->mv_size, defv->mv_data);
    *st = sitewatch__v1__rules_project_state__unpack (NULL, stv->mv_size, stv->mv_data);
    if (*def && *st)
        return true;
    if (*def)
        sitewatch__v1__project_def__free_unpacked (*def, NULL);
    if (*st)
        sitewatch__v1__rules_project_state__free_unpacked (*st, NULL);
    *def = NULL;
    *st = NULL;
    return false;
}

/* The same for one use: def and state read into view where they can be
 * (no allocation: a close reads every project twice), else unpacked.
 * Released with s_release_project. */
static bool
s_read_project (const MDB_val *defv, const MDB_val *stv, s_view_t *view,
                Sitewatch__V1__ProjectDef **def, Sitewatch__V1__RulesProjectState **st)
{
    if (!rules_def_view (defv->mv_data, defv->mv_size, &view->def))
        return s_unpack_project (defv, stv, def, st);
    *def = &view->def.def;
    if (rules_state_view (stv->mv_data, stv->mv_size, &view->st)) {
        *st = &view->st.st;
        return true;
    }
    *st = sitewatch__v1__rules_project_state__unpack (NULL, stv->mv_size, stv->mv_data);
    return *st != NULL;
}

static void
s_release_project (s_view_t *view, Sitewatch__V1__ProjectDef *def,
                   Sitewatch__V1__RulesProjectState *st)
{
    if (def && def != &view->def.def)
        sitewatch__v1__project_def__free_unpacked (def, NULL);
    if (st && st != &view->st.st)
        sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
}

/* Ends a close slice's walk: its cursors (LMDB would free them with the
 * transaction; s_judge must not use the events cursor after it). */
static void
s_close_cursors (rules_t *self, MDB_cursor *cur, MDB_cursor *scur)
{
    if (self->close_events)
        mdb_cursor_close (self->close_events);
    self->close_events = NULL;
    mdb_cursor_close (scur);
    mdb_cursor_close (cur);
}

/* Keeps the place of a close under way (its period, the last project key
 * judged) and asks the stage to commit: SW_STAGE_AGAIN. */
static int
s_close_mark (rules_t *self, MDB_txn *txn, int64_t k, const uint8_t *last, size_t last_len)
{
    uint8_t mark[8 + 256];
    size_t ml = last_len <= 256 ? last_len : 0;
    sw_u64_be ((uint64_t) k, mark);
    memcpy (mark + 8, last, ml);
    MDB_val ck = { 7, "closing" }, mv = { 8 + ml, mark };
    int rc = mdb_put (txn, self->meta, &ck, &mv, 0);
    return rc != 0 ? rc : SW_STAGE_AGAIN;
}

/* Judges every project at the close of each period that ended by `upto`,
 * then compiles that period's express report (in a transaction after the
 * last slice's).
 *
 * A close is judged in slices of close_slice projects, each in its own
 * transaction: after a slice it returns SW_STAGE_AGAIN, the stage commits
 * (escalation and notify start publishing that slice's changes while the
 * next is judged) and calls again with the same message; nothing after the
 * close instant is applied before the close is complete. Where it got to is
 * stored with the slice (meta "closing": period, then the last project key
 * judged), so a restart goes on from there. */
static int
s_close_periods (rules_t *self, MDB_txn *txn, int64_t upto)
{
    if (!self->cal.now)
        return 0;
    uint64_t closed_u;
    if (sw_store_get_u64 (txn, self->meta, "closed", &closed_u) != 0)
        return 0;
    int64_t closed = (int64_t) closed_u;
    for (;;) {
        int64_t k = closed + 1;
        int64_t t = sw_calendar_period_close (self->cal.now, k);
        if (t > upto)
            break;
        /* The close's changes belong to no message before it is complete. */
        sw_stage_defer_watermark (self->stage);
        /* The close reads and writes "states" itself: the log goes first. */
        int crc = s_checkpoint (self, txn);
        if (crc != 0)
            return crc;
        sw_map_clear (self->cache); /* it stores states of its own */
        /* Resume after the last project judged, if this close began. */
        uint8_t from[8 + 256];
        size_t from_len = 0;
        MDB_val ck = { 7, "closing" }, cv;
        int rc = mdb_get (txn, self->meta, &ck, &cv);
        if (rc == 0 && cv.mv_size > 8 && cv.mv_size <= sizeof from
            && (int64_t) sw_be_u64 (cv.mv_data) == k) {
            from_len = cv.mv_size - 8;
            memcpy (from, (uint8_t *) cv.mv_data + 8, from_len);
            if (!self->close_going)
                sw_info ("rules", "close_resumed", "period=%lld after=%.*s", (long long) k,
                         (int) from_len, (const char *) from);
        }
        else if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        self->close_going = true;
        MDB_cursor *cur;
        rc = mdb_cursor_open (txn, self->projects, &cur);
        if (rc != 0)
            return rc;
        MDB_val key = { from_len, from }, val;
        rc = from_len ? mdb_cursor_get (cur, &key, &val, MDB_SET_RANGE)
                      : mdb_cursor_get (cur, &key, &val, MDB_FIRST);
        if (rc == 0 && from_len && key.mv_size == from_len
            && memcmp (key.mv_data, from, from_len) == 0)
            rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT);
        /* States are keyed as projects are: read them alongside with a
         * second cursor (a step, not a search per project). */
        MDB_cursor *scur;
        int src = mdb_cursor_open (txn, self->states, &scur);
        if (src != 0) {
            mdb_cursor_close (cur);
            return src;
        }
        if ((src = mdb_cursor_open (txn, self->events, &self->close_events)) != 0) {
            self->close_events = NULL;
            s_close_cursors (self, cur, scur);
            return src;
        }
        bool spos = false;
        size_t judged = 0;
        s_view_t view;
        for (; rc == 0; rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT)) {
            if (judged == self->close_slice) {
                /* A slice done and more to judge: keep the place, commit. */
                s_close_cursors (self, cur, scur);
                return s_close_mark (self, txn, k, from, from_len);
            }
            if (key.mv_size > 256)
                continue; /* ids are at most 128 bytes: never stored */
            from_len = key.mv_size;
            memcpy (from, key.mv_data, from_len);
            MDB_val sk, sv;
            Sitewatch__V1__ProjectDef *def;
            Sitewatch__V1__RulesProjectState *st;
            spos = spos && mdb_cursor_get (scur, &sk, &sv, MDB_NEXT) == 0
                   && sk.mv_size == key.mv_size && memcmp (sk.mv_data, key.mv_data, key.mv_size) == 0;
            if (!spos) {
                sk = key;
                spos = mdb_cursor_get (scur, &sk, &sv, MDB_SET_KEY) == 0;
            }
            if (!spos || !s_read_project (&val, &sv, &view, &def, &st))
                continue;
            /* The express report's "changes" compare with this. */
            st->close_prev_level = st->prev_close_level;
            int jrc = s_judge (self, txn, def, st, t, true, k, st == &view.st.st ? &view.st : NULL);
            if (jrc == 0) /* stored where the state cursor stands */
                jrc = s_put_state (self, txn, scur, from, from_len, st);
            judged++;
            s_release_project (&view, def, st);
            if (jrc != 0) {
                s_close_cursors (self, cur, scur);
                return jrc;
            }
        }
        s_close_cursors (self, cur, scur);
        if (rc != MDB_NOTFOUND)
            return rc;
        /* The last slice is committed (and its changes published) before
         * the express report is compiled, in a transaction of its own: at a
         * million projects reading them back takes seconds. */
        if (judged)
            return s_close_mark (self, txn, k, from, from_len);
        /* Every project judged: the express report, from what is stored. */
        size_t n = 0;
        rc = s_digest (self, txn, k, t, &n);
        if (rc == 0)
            rc = mdb_del (txn, self->meta, &ck, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        if (rc != 0)
            return rc;
        closed = k;
        rc = sw_store_put_u64 (txn, self->meta, "closed", (uint64_t) closed);
        if (rc != 0)
            return rc;
        self->close_going = false;
        char when[64];
        sw_calendar_format_instant (self->cal.now, t, when, sizeof when);
        sw_info ("rules", "period_closed", "period=%lld at=%s projects=%zu", (long long) k, when,
                 n);
    }
    return 0;
}

/* --------------------------------------------------------------- appliers */

static int
s_apply_registry (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__Registry *reg = msg->registry;
    sw_calendar_t *cal = sw_registry_calendar (reg);
    if (!cal) {
        sw_error ("rules", "bad_registry_timezone", "timezone=%s", reg->timezone);
        return 0;
    }
    sw_registry_clock_set (&self->cal, &cal);
    /* Defs and states are stored anew below, in "states" itself. */
    int crc = s_checkpoint (self, txn);
    if (crc != 0)
        return crc;
    sw_map_clear (self->cache);

    /* The registry without its projects keeps zone, calendar and people. */
    Sitewatch__V1__Registry head = *reg;
    head.n_projects = 0;
    head.projects = NULL;
    int rc = s_put (txn, self->meta, "registry", 8, &head.base);
    if (rc != 0)
        return rc;
    uint64_t closed;
    int32_t today = sw_calendar_local_day (self->cal.now, msg->at);
    if (sw_store_get_u64 (txn, self->meta, "closed", &closed) != 0) {
        /* Periods before the first import are history: judge from now on. */
        rc = sw_store_put_u64 (txn, self->meta, "closed",
                               (uint64_t) (sw_calendar_period_of_day (self->cal.now, today) - 1));
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < reg->n_projects; i++) {
        const Sitewatch__V1__ProjectDef *def = reg->projects[i];
        rc = s_put (txn, self->projects, def->id, strlen (def->id), &def->base);
        if (rc != 0)
            return rc;
        Sitewatch__V1__RulesProjectState *st
            = s_get (txn, self->states, def->id, &sitewatch__v1__rules_project_state__descriptor, &rc);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        self->direct_states = true;
        if (!st) {
            /* First judged when imported (or on its start day): green, silently. */
            Sitewatch__V1__RulesProjectState fresh = SITEWATCH__V1__RULES_PROJECT_STATE__INIT;
            bool waiting = strcmp (def->state, "planned") == 0 && today < def->start_day;
            fresh.level = waiting ? SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED
                                  : SITEWATCH__V1__LEVEL__LEVEL_GREEN;
            fresh.prev_close_level = SITEWATCH__V1__LEVEL__LEVEL_GREEN;
            fresh.since = msg->at;
            /* Judged now (no report, no close: green, no event) so the
             * board shows its planned progress from the start. */
            rc = s_judge_one (self, txn, def, &fresh, msg->at, false, 0);
            s_free_reasons (fresh.reasons, fresh.n_reasons);
        }
        else {
            rc = s_judge_one (self, txn, def, st, msg->at, false, 0);
            sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
        }
        self->direct_states = false;
        if (rc != 0)
            return rc;
    }
    sw_info ("rules", "registry_applied", "projects=%zu timezone=%s", reg->n_projects,
             reg->timezone);
    /* Escalation needs the people, the calendar and each project's unit,
     * commissioner and leader (cases are addressed to them). */
    Sitewatch__V1__ChainMsg fwd = *msg;
    return sw_stage_forward (self->stage, txn, &fwd);
}

static void
s_remember_period (Sitewatch__V1__RulesProjectState *st, int64_t period)
{
    if (s_has_period (st, period))
        return;
    if (st->n_report_periods < RULES_KEEP_PERIODS) {
        int64_t *p = realloc (st->report_periods, (st->n_report_periods + 1) * sizeof (int64_t));
        if (!p)
            abort ();
        st->report_periods = p;
        st->report_periods[st->n_report_periods++] = period;
        return;
    }
    /* Replace the oldest. */
    size_t oldest = 0;
    for (size_t i = 1; i < st->n_report_periods; i++)
        if (st->report_periods[i] < st->report_periods[oldest])
            oldest = i;
    if (st->report_periods[oldest] < period)
        st->report_periods[oldest] = period;
}

/* Reports are kept in the order they were journaled: the key is the
 * journal sequence, so each one lands on the tree's last page (an append)
 * instead of a page chosen by its project (a random write per report). The
 * value is the sequence of the project's report before it (8 bytes,
 * big-endian; 0 for none), then the packed Report: a project's reports are
 * a chain from its state's last_report_seq. */
static int
s_log_reserve (rules_t *self, MDB_txn *txn, Sitewatch__V1__RulesProjectState *st, uint64_t seq,
               size_t n, uint8_t **body)
{
    uint8_t key[8];
    sw_u64_be (seq, key);
    MDB_val k = { 8, key }, v = { 8 + n, NULL };
    int rc = sw_store_put (self->store, txn, self->report_log, &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc == MDB_KEYEXIST) /* not past the last key (never in order): a plain put */
        rc = sw_store_put (self->store, txn, self->report_log, &k, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    sw_u64_be (st->last_report_seq, v.mv_data);
    *body = (uint8_t *) v.mv_data + 8;
    st->last_report_seq = seq;
    return 0;
}

static int
s_log_report (rules_t *self, MDB_txn *txn, Sitewatch__V1__RulesProjectState *st, uint64_t seq,
              const Sitewatch__V1__Report *r)
{
    uint8_t *body;
    size_t n = protobuf_c_message_get_packed_size (&r->base);
    int rc = s_log_reserve (self, txn, st, seq, n, &body);
    if (rc == 0)
        protobuf_c_message_pack (&r->base, body);
    return rc;
}

/* The same with the report's encoding as it came. */
static int
s_log_bytes (rules_t *self, MDB_txn *txn, Sitewatch__V1__RulesProjectState *st, uint64_t seq,
             const uint8_t *bytes, size_t size)
{
    uint8_t *body;
    int rc = s_log_reserve (self, txn, st, seq, size, &body);
    if (rc == 0)
        memcpy (body, bytes, size);
    return rc;
}

/* A project's reports from the log, oldest first, appended to *items. */
static void
s_logged_reports (rules_t *self, MDB_txn *txn, uint64_t last, Sitewatch__V1__Report ***items,
                  size_t *count)
{
    size_t first = *count;
    for (uint64_t seq = last; seq;) {
        uint8_t kb[8];
        sw_u64_be (seq, kb);
        MDB_val k = { 8, kb }, v;
        if (mdb_get (txn, self->report_log, &k, &v) != 0 || v.mv_size < 8)
            break;
        uint64_t prev = sw_be_u64 (v.mv_data);
        Sitewatch__V1__Report *r
            = sitewatch__v1__report__unpack (NULL, v.mv_size - 8, (uint8_t *) v.mv_data + 8);
        if (r) {
            Sitewatch__V1__Report **more = realloc (*items, (*count + 1) * sizeof *more);
            if (!more)
                abort ();
            *items = more;
            more[(*count)++] = r;
        }
        if (prev >= seq)
            break; /* links only go back */
        seq = prev;
    }
    for (size_t i = first, j = *count; i + 1 < j; i++, j--) {
        Sitewatch__V1__Report *t = (*items)[i];
        (*items)[i] = (*items)[j - 1];
        (*items)[j - 1] = t;
    }
}

/* What a report changes, read from its unpacked form or its encoding. */
typedef struct {
    Sitewatch__V1__Source source;
    int64_t observed_at;
    int32_t percent_bp;
    const char *legitimate_reason;
    const uint8_t *bytes; /* the Report's encoding, logged as it is (NULL: pack it) */
    size_t size;
} s_report_t;

/* A report's effects on its project's state (its problems aside), logged
 * and judged. r: the unpacked report, when rep->bytes is NULL. */
static int
s_report_effects (rules_t *self, MDB_txn *txn, rules_project_t *project, const s_report_t *rep,
                  const Sitewatch__V1__Report *r, uint64_t seq, int64_t at)
{
    Sitewatch__V1__RulesProjectState *st = project->st;
    if (!st->has_actual || rep->observed_at >= st->actual_observed_at) {
        st->has_actual = true;
        st->actual_bp = rep->percent_bp;
        st->actual_observed_at = rep->observed_at;
    }
    /* A reason claimed again in the same words keeps its decision; a new
     * one waits for an operator. */
    if (rep->legitimate_reason && *rep->legitimate_reason
        && !(st->reason_state == RULES_REASON_APPROVED
             && strcmp (st->reason_text, rep->legitimate_reason) == 0)) {
        if (st->reason_text != protobuf_c_empty_string)
            free (st->reason_text);
        st->reason_text = strdup (rep->legitimate_reason);
        if (!st->reason_text)
            abort ();
        st->reason_state = RULES_REASON_PENDING;
    }
    int64_t period = sw_calendar_period_of_day (
        self->cal.now, sw_calendar_local_day (self->cal.now, rep->observed_at));
    s_remember_period (st, period);
    s_count_channel (st, period, rep->source);
    st->reports++;
    st->last_report_at = at;
    int rc = rep->bytes ? s_log_bytes (self, txn, st, seq, rep->bytes, rep->size)
                        : s_log_report (self, txn, st, seq, r);
    if (rc == 0)
        rc = s_judge_one (self, txn, project->def, st, at, false, 0);
    return rc;
}

static int
s_apply_report (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    Sitewatch__V1__Report *r = msg->report;
    int rc;
    if (!self->cal.now)
        return 0;
    rules_project_t *project = s_project (self, txn, r->project_id, &rc);
    if (!project)
        return rc == MDB_NOTFOUND ? 0 : rc;
    Sitewatch__V1__RulesProjectState *st = project->st;
    /* Problems get their ids here: <report_id>/<n>, from 1. */
    for (size_t i = 0; i < r->n_problems; i++) {
        char pid[300];
        snprintf (pid, sizeof pid, "%s/%zu", r->report_id, i + 1);
        if (r->problems[i]->problem_id != protobuf_c_empty_string)
            free (r->problems[i]->problem_id);
        r->problems[i]->problem_id = strdup (pid);
        Sitewatch__V1__Problem *p = malloc (sizeof *p);
        if (!p || !r->problems[i]->problem_id)
            abort ();
        sitewatch__v1__problem__init (p);
        p->text = strdup (r->problems[i]->text);
        p->severity = r->problems[i]->severity;
        p->problem_id = strdup (pid);
        Sitewatch__V1__Problem **arr
            = realloc (st->open_problems, (st->n_open_problems + 1) * sizeof (*arr));
        if (!arr || !p->text || !p->problem_id)
            abort ();
        st->open_problems = arr;
        st->open_problems[st->n_open_problems++] = p;
    }
    for (size_t i = 0; i < r->n_resolves; i++) {
        size_t keep = 0;
        for (size_t j = 0; j < st->n_open_problems; j++) {
            if (strcmp (st->open_problems[j]->problem_id, r->resolves[i]) == 0)
                sitewatch__v1__problem__free_unpacked (st->open_problems[j], NULL);
            else
                st->open_problems[keep++] = st->open_problems[j];
        }
        st->n_open_problems = keep;
    }
    s_report_t rep = { r->source, r->observed_at, r->percent_bp, r->legitimate_reason, NULL, 0 };
    rc = s_report_effects (self, txn, project, &rep, r, msg->origin_seq, msg->at);
    if (rc == 0 && (r->n_problems || r->n_resolves)) {
        /* Problems open supervision cases: escalation needs them, with ids. */
        Sitewatch__V1__ChainMsg fwd = *msg;
        rc = sw_stage_forward (self->stage, txn, &fwd);
    }
    return rc;
}

/* A report as it came (no problems, nothing resolved: the common case),
 * read from its encoding without unpacking it (rules_report_read), and
 * logged as it is. */
static int
s_apply_report_raw (rules_t *self, MDB_txn *txn, const sw_stage_raw_t *raw)
{
    rules_report_fields_t in;
    if (!rules_report_read (raw->body_data, raw->body_size, &in))
        return SW_STAGE_UNPACK; /* protobuf-c judges it (problems get ids there) */
    char reason_buf[512];
    char *reason = NULL;
    s_report_t rep = { in.source, in.observed_at, in.percent_bp, "", raw->body_data, raw->body_size };
    if (in.reason_len) {
        reason = in.reason_len < sizeof reason_buf ? reason_buf : malloc (in.reason_len + 1);
        if (!reason)
            abort ();
        memcpy (reason, in.reason, in.reason_len);
        reason[in.reason_len] = 0;
        rep.legitimate_reason = reason;
    }
    int rc = 0;
    rules_project_t *project = self->cal.now ? s_project (self, txn, in.project_id, &rc) : NULL;
    if (project)
        rc = s_report_effects (self, txn, project, &rep, NULL, raw->origin_seq, raw->at);
    if (reason != reason_buf)
        free (reason);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
s_apply_reason (rules_t *self, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__ReasonCommand *c = msg->reason;
    int rc;
    if (!self->cal.now)
        return 0;
    rules_project_t *project = s_project (self, txn, c->project_id, &rc);
    if (project) {
        const Sitewatch__V1__ProjectDef *def = project->def;
        Sitewatch__V1__RulesProjectState *st = project->st;
        int32_t today = sw_calendar_local_day (self->cal.now, msg->at);
        switch (c->op) {
        case SITEWATCH__V1__REASON_COMMAND__OP__OP_APPROVE:
            if (st->reason_state != RULES_REASON_NONE) {
                st->reason_state = RULES_REASON_APPROVED;
                st->reason_approved_day = today;
            }
            break;
        case SITEWATCH__V1__REASON_COMMAND__OP__OP_REJECT:
            if (st->reason_state != RULES_REASON_NONE)
                st->reason_state = RULES_REASON_REJECTED;
            break;
        default:
            if (st->reason_text != protobuf_c_empty_string)
                free (st->reason_text);
            st->reason_text = strdup (c->text ? c->text : "");
            if (!st->reason_text)
                abort ();
            st->reason_state = RULES_REASON_APPROVED;
            st->reason_approved_day = today;
            break;
        }
        rc = s_judge_one (self, txn, def, st, msg->at, false, 0);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ----------------------------------------------------------- stage ops */

static void
s_begin (void *svc)
{
    rules_t *self = svc;
    sw_registry_clock_begin (&self->cal);
    if (self->cache_dirty) {
        sw_map_clear (self->cache); /* the batch before did not commit */
        self->log_reindex = true;   /* nor did its log entries */
    }
    self->cache_dirty = true;
}

static void
s_committed (void *svc)
{
    rules_t *self = svc;
    sw_registry_clock_commit (&self->cal);
    self->cache_dirty = false;
}

static int
s_apply (void *svc, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg)
{
    rules_t *self = svc;
    int rc = s_maybe_checkpoint (self, txn);
    if (rc != 0)
        return rc;
    /* Period closes first: each is judged at its own instant, in order. */
    rc = s_close_periods (self, txn, msg->at);
    if (rc != 0)
        return rc;
    switch (msg->body_case) {
    case SITEWATCH__V1__CHAIN_MSG__BODY_REGISTRY:
        return s_apply_registry (self, txn, msg);
    case SITEWATCH__V1__CHAIN_MSG__BODY_REPORT:
        return s_apply_report (self, txn, msg);
    case SITEWATCH__V1__CHAIN_MSG__BODY_REASON:
        return s_apply_reason (self, txn, msg);
    case SITEWATCH__V1__CHAIN_MSG__BODY_CHECKIN:
        return s_apply_checkin (self, txn, msg);
    case SITEWATCH__V1__CHAIN_MSG__BODY_TICK:
    case SITEWATCH__V1__CHAIN_MSG__BODY_CONFIRM:
    case SITEWATCH__V1__CHAIN_MSG__BODY_CASE_COMMAND: {
        /* Not ours: pass on in order (escalation confirms and runs cases). */
        Sitewatch__V1__ChainMsg fwd = *msg;
        return sw_stage_forward (self->stage, txn, &fwd);
    }
    default:
        return 0;
    }
}

/* A report without problems is applied from its encoding; everything else
 * is unpacked and given to s_apply. */
static int
s_apply_raw (void *svc, MDB_txn *txn, const sw_stage_raw_t *raw)
{
    rules_t *self = svc;
    if (raw->body != SITEWATCH__V1__CHAIN_MSG__BODY_REPORT)
        return SW_STAGE_UNPACK;
    int rc = s_maybe_checkpoint (self, txn);
    if (rc != 0)
        return rc;
    /* Period closes first, as in s_apply. */
    rc = s_close_periods (self, txn, raw->at);
    if (rc != 0)
        return rc;
    return s_apply_report_raw (self, txn, raw);
}

/* ------------------------------------------------------------- queries */

static void
s_status_of (rules_t *self, const Sitewatch__V1__ProjectDef *def,
             const Sitewatch__V1__RulesProjectState *st, int64_t now, Sitewatch__V1__ProjectStatus *ps)
{
    sitewatch__v1__project_status__init (ps);
    ps->project_id = def->id;
    ps->name = def->name;
    ps->level = st->level;
    if (st->level == SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED && self->cal.committed
        && sw_calendar_local_day (self->cal.committed, now) >= def->start_day)
        ps->level = SITEWATCH__V1__LEVEL__LEVEL_GREEN; /* its start day came: green until judged */
    ps->reasons = st->reasons;
    ps->n_reasons = st->n_reasons;
    ps->has_actual = st->has_actual;
    ps->lag_pp = st->lag_pp;
    ps->planned_pct = st->planned_pct;
    ps->actual_pct = st->has_actual ? st->actual_bp / 100.0 : 0;
    ps->since = st->since;
    ps->commissioner = def->commissioner;
    ps->leader = def->leader;
    ps->state = def->state;
    ps->last_report_at = st->last_report_at;
}

static uint8_t *
s_pack_response (const Sitewatch__V1__Request *req, Sitewatch__V1__Response *resp, size_t *size)
{
    resp->version = SW_WIRE_VERSION;
    resp->request_id = req->request_id;
    return sw_wire_pack (&resp->base, size);
}

static uint8_t *
s_reject (const Sitewatch__V1__Request *req, const char *code, const char *message, size_t *size)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__Ack ack = SITEWATCH__V1__ACK__INIT;
    ack.status = SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED;
    ack.code = (char *) code;
    ack.message = (char *) message;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_ACK;
    resp.ack = &ack;
    return s_pack_response (req, &resp, size);
}

static uint8_t *
s_query_status (rules_t *self, MDB_txn *txn, const Sitewatch__V1__Request *req, size_t *size)
{
    Sitewatch__V1__StatusAnswer ans = SITEWATCH__V1__STATUS_ANSWER__INIT;
    ans.now = sw_stage_now (self->stage);
    size_t cap = 64, n = 0;
    Sitewatch__V1__ProjectStatus **list = malloc (cap * sizeof *list);
    Sitewatch__V1__ProjectDef **defs = malloc (cap * sizeof *defs);
    Sitewatch__V1__RulesProjectState **sts = malloc (cap * sizeof *sts);
    if (!list || !defs || !sts)
        abort ();
    MDB_cursor *cur;
    MDB_val key, val;
    if (mdb_cursor_open (txn, self->projects, &cur) == 0) {
        for (int rc = mdb_cursor_get (cur, &key, &val, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get (cur, &key, &val, MDB_NEXT)) {
            MDB_val sv;
            Sitewatch__V1__ProjectDef *def;
            Sitewatch__V1__RulesProjectState *st;
            if (s_state_bytes (self, txn, &key, &sv) != 0
                || !s_unpack_project (&val, &sv, &def, &st))
                continue;
            if (n == cap) {
                cap *= 2;
                list = realloc (list, cap * sizeof *list);
                defs = realloc (defs, cap * sizeof *defs);
                sts = realloc (sts, cap * sizeof *sts);
                if (!list || !defs || !sts)
                    abort ();
            }
            list[n] = malloc (sizeof **list);
            if (!list[n])
                abort ();
            s_status_of (self, def, st, ans.now, list[n]);
            if (req->query->level != SITEWATCH__V1__LEVEL__LEVEL_UNSPECIFIED
                && list[n]->level != req->query->level) {
                free (list[n]);
                sitewatch__v1__project_def__free_unpacked (def, NULL);
                sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
                continue;
            }
            defs[n] = def;
            sts[n] = st;
            n++;
        }
        mdb_cursor_close (cur);
    }
    ans.projects = list;
    ans.n_projects = n;
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_STATUS;
    resp.status = &ans;
    uint8_t *out = s_pack_response (req, &resp, size);
    for (size_t i = 0; i < n; i++) {
        free (list[i]);
        sitewatch__v1__project_def__free_unpacked (defs[i], NULL);
        sitewatch__v1__rules_project_state__free_unpacked (sts[i], NULL);
    }
    free (list);
    free (defs);
    free (sts);
    return out;
}

/* Collects the values under "<project>\0..." in dbi, unpacked. */
static void **
s_scan (MDB_txn *txn, MDB_dbi dbi, const char *project, const ProtobufCMessageDescriptor *d,
        size_t *count)
{
    size_t cap = 16, n = 0;
    void **items = malloc (cap * sizeof *items);
    if (!items)
        abort ();
    uint8_t prefix[200];
    size_t pl = strlen (project) + 1;
    memcpy (prefix, project, pl);
    MDB_cursor *cur;
    if (mdb_cursor_open (txn, dbi, &cur) == 0) {
        MDB_val k = { pl, prefix }, v;
        for (int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size == pl + 8 && memcmp (k.mv_data, prefix, pl) == 0;
             rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
            void *m = protobuf_c_message_unpack (d, NULL, v.mv_size, v.mv_data);
            if (!m)
                continue;
            if (n == cap) {
                cap *= 2;
                items = realloc (items, cap * sizeof *items);
                if (!items)
                    abort ();
            }
            items[n++] = m;
        }
        mdb_cursor_close (cur);
    }
    *count = n;
    return items;
}

static uint8_t *
s_query_project (rules_t *self, MDB_txn *txn, const Sitewatch__V1__Request *req, size_t *size)
{
    const char *id = req->query->project_id;
    if (!id || !*id || strlen (id) > 128)
        return s_reject (req, "malformed", "a project query needs a project id", size);
    int rc;
    Sitewatch__V1__ProjectDef *def
        = s_get (txn, self->projects, id, &sitewatch__v1__project_def__descriptor, &rc);
    Sitewatch__V1__RulesProjectState *st = def ? s_state_read (self, txn, id, &rc) : NULL;
    if (!def || !st) {
        if (def)
            sitewatch__v1__project_def__free_unpacked (def, NULL);
        return s_reject (req, "unknown_project", "no such project in the registry", size);
    }
    Sitewatch__V1__ProjectAnswer ans = SITEWATCH__V1__PROJECT_ANSWER__INIT;
    Sitewatch__V1__ProjectStatus ps;
    s_status_of (self, def, st, sw_stage_now (self->stage), &ps);
    ans.def = def;
    ans.status = &ps;
    /* Reports stored before the log (under the project), then the chain in
     * the log, oldest first. */
    ans.reports = (Sitewatch__V1__Report **) s_scan (txn, self->reports, id,
                                                      &sitewatch__v1__report__descriptor,
                                                      &ans.n_reports);
    s_logged_reports (self, txn, st->last_report_seq, &ans.reports, &ans.n_reports);
    ans.history = (Sitewatch__V1__WarningEvent **) s_scan (
        txn, self->events, id, &sitewatch__v1__warning_event__descriptor, &ans.n_history);
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_PROJECT;
    resp.project = &ans;
    uint8_t *out = s_pack_response (req, &resp, size);
    for (size_t i = 0; i < ans.n_reports; i++)
        sitewatch__v1__report__free_unpacked (ans.reports[i], NULL);
    for (size_t i = 0; i < ans.n_history; i++)
        sitewatch__v1__warning_event__free_unpacked (ans.history[i], NULL);
    free (ans.reports);
    free (ans.history);
    sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
    sitewatch__v1__project_def__free_unpacked (def, NULL);
    return out;
}

static int
s_query (void *svc, const Sitewatch__V1__Request *req, bool final, uint8_t **response, size_t *size)
{
    rules_t *self = svc;
    MDB_txn *txn;
    if (req->body_case != SITEWATCH__V1__REQUEST__BODY_QUERY || !req->query) {
        *response = s_reject (req, "malformed", "rules answers status and project queries", size);
        return SW_STAGE_ANSWERED;
    }
    if (sw_store_read (self->store, &txn) != 0) {
        *response = s_reject (req, "unavailable", "rules cannot read its state", size);
        return SW_STAGE_ANSWERED;
    }
    if (req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_STATUS)
        *response = s_query_status (self, txn, req, size);
    else if (req->query->kind == SITEWATCH__V1__QUERY__KIND__KIND_PROJECT)
        *response = s_query_project (self, txn, req, size);
    else
        *response = s_reject (req, "malformed", "unknown query kind", size);
    mdb_txn_abort (txn);
    return SW_STAGE_ANSWERED;
}

static const sw_stage_ops_t s_ops
    = { s_begin, s_apply, s_committed, s_query, NULL, s_apply_raw };

/* ---------------------------------------------------------------- actor */

static int
s_open (rules_t *self, char *err, size_t errlen)
{
    const sw_config_t *cfg = self->args->cfg;
    rules_policy_config_defaults (&self->policy);
    int64_t slice = sw_config_get_int (cfg, "close-slice", 4096);
    if (slice < 1) {
        snprintf (err, errlen, "--close-slice must be at least 1, not %lld", (long long) slice);
        return -1;
    }
    self->close_slice = (size_t) slice;
    int64_t ckpt_ms = sw_config_get_int (cfg, "state-checkpoint", 2000);
    int64_t ckpt_max = sw_config_get_int (cfg, "state-checkpoint-max", 16384);
    if (ckpt_ms < 0 || ckpt_ms > 600000 || ckpt_max < 1 || ckpt_max > 1000000) {
        snprintf (err, errlen,
                  "--state-checkpoint must be 0..600000 ms and --state-checkpoint-max 1..1000000 "
                  "(not %lld, %lld)",
                  (long long) ckpt_ms, (long long) ckpt_max);
        return -1;
    }
    self->log_ms = ckpt_ms;
    self->log_max = (size_t) ckpt_max;
    int64_t window = sw_config_get_int (cfg, "commit-window", 10);
    int64_t window_min = sw_config_get_int (cfg, "commit-window-min", 1);
    if (window < 0 || window > 1000 || window_min < 1) {
        snprintf (err, errlen,
                  "--commit-window must be 0..1000 ms and --commit-window-min at least 1 "
                  "(got %lld, %lld)",
                  (long long) window, (long long) window_min);
        return -1;
    }
    self->window_ms = window;
    self->window_min = (size_t) window_min;
    uint32_t link_window;
    if (sw_service_link_window (cfg, &link_window, err, errlen) != 0)
        return -1;
    const char *policy = sw_config_get (cfg, "policy");
    if (policy && *policy
        && rules_policy_config_load (&self->policy, policy, err, errlen) != 0)
        return -1;
    /* Not MDB_WRITEMAP (services/rules/README.md): a close's transactions
     * are slices, its express report is encoded as it is read. */
    self->store = sw_store_open (self->args->data_dir,
                                 (size_t) sw_config_get_int (cfg, "map-size", 64 << 20), err,
                                 errlen);
    if (!self->store)
        return -1;
    if (sw_store_dbi (self->store, "projects", 0, &self->projects) != 0
        || sw_store_dbi (self->store, "states", 0, &self->states) != 0
        || sw_store_dbi (self->store, "state_log", 0, &self->state_log) != 0
        || sw_store_dbi (self->store, "reports", 0, &self->reports) != 0
        || sw_store_dbi (self->store, "report_log", 0, &self->report_log) != 0
        || sw_store_dbi (self->store, "events", 0, &self->events) != 0
        || sw_store_dbi (self->store, "rules.meta", 0, &self->meta) != 0
        || sw_store_dbi (self->store, "rules.checkins", 0, &self->checkins) != 0
        || sw_store_dbi (self->store, "rules.history", 0, &self->history) != 0) {
        snprintf (err, errlen, "cannot open rules databases in %.300s", self->args->data_dir);
        return -1;
    }
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) == 0) {
        int rc;
        Sitewatch__V1__Registry *reg = s_registry (self, txn, &rc);
        if (reg) {
            self->cal.committed = sw_registry_calendar (reg);
            sitewatch__v1__registry__free_unpacked (reg, NULL);
        }
        mdb_txn_abort (txn);
    }
    self->cal.now = self->cal.committed;
    self->stage = sw_stage_new ("rules", self->store, self->args->rules, self->args->escalation,
                                &s_ops, self, err, errlen);
    if (!self->stage)
        return -1;
    sw_stage_set_commit_window (self->stage, (int) self->window_ms, self->window_min);
    sw_stage_set_link_window (self->stage, link_window);
    return 0;
}

void
rules_actor (zsock_t *pipe, void *arg)
{
    rules_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->args = arg;
    self->cache = sw_map_new (s_project_free);
    self->logged = sw_map_new (NULL);
    self->log_reindex = true; /* read at the first use */
    char err[512] = "";
    int rc = s_open (self, err, sizeof err);
    sw_service_serve (pipe, self->args, rc, err, sw_stage_serve, self->stage);
    sw_stage_destroy (&self->stage);
    sw_registry_clock_destroy (&self->cal);
    sw_map_destroy (&self->cache);
    sw_map_destroy (&self->logged);
    sw_store_close (&self->store);
    free (self);
}
