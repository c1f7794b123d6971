/* escalation_cases: cases in LMDB, durable deadlines, letters and plans,
 * case events and the case queries, around the pure escalation_ladder. */
#include "escalation_cases.h"
#include "sw_json.h"
#include "sw_log.h"
#include "sw_registry.h"
#include "sw_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TIMELINE_MAX 1000 /* refusals beyond this are logged, not kept */
#define S_DUE_MAX_PER_MSG 10000

struct escalation_cases_t {
    sw_store_t *store;
    MDB_dbi cases, open, due, meta, registry, projects;
    char registry_key[64];
    escalation_ladder_config_t cfg;
};

/* Everything one apply needs, with the registry read lazily. */
typedef struct {
    escalation_cases_t *self;
    MDB_txn *txn;
    sw_stage_t *stage;
    const sw_calendar_t *cal;
    escalation_ladder_calendar_t lcal;
    Sitewatch__V1__Registry *reg;
    bool reg_loaded;
    Sitewatch__V1__ProjectDef **defs; /* projects looked up in this apply (owned) */
    size_t n_defs;
} s_ctx_t;

/* A project as the registry knows it ("" when it does not). */
typedef struct {
    const char *id, *name, *unit, *commissioner, *commissioner_name, *leader, *leader_name;
} s_project_t;

/* ------------------------------------------------------------- strings */

static char *
s_dup (const char *s)
{
    char *p = strdup (s ? s : "");
    if (!p)
        abort ();
    return p;
}

static const char *
s_str (const char *s)
{
    return s ? s : "";
}

static void
s_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = s_dup (value);
}

typedef struct {
    char *p;
    size_t n, cap;
} s_buf_t;

static void s_add (s_buf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_add (s_buf_t *b, const char *fmt, ...)
{
    va_list ap, again;
    va_start (ap, fmt);
    va_copy (again, ap);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (n < 0) {
        va_end (again);
        return;
    }
    if (b->n + (size_t)n + 1 > b->cap) {
        b->cap = (b->n + (size_t)n + 1) * 2;
        b->p = realloc (b->p, b->cap);
        if (!b->p)
            abort ();
    }
    vsnprintf (b->p + b->n, (size_t)n + 1, fmt, again);
    va_end (again);
    b->n += (size_t)n;
}

/* A copy fit for one Markdown table cell or list line: no newlines, no '|'. */
static char *
s_md (const char *s)
{
    char *p = s_dup (s_str (s)[0] ? s : "-");
    for (char *q = p; *q; q++)
        if (*q == '\n' || *q == '\r' || *q == '\t')
            *q = ' ';
        else if (*q == '|')
            *q = '/';
    return p;
}

/* ------------------------------------------------------------- calendar */

static int32_t
s_cal_local_day (const void *ctx, int64_t at)
{
    return sw_calendar_local_day (ctx, at);
}

static int64_t
s_cal_day_end (const void *ctx, int32_t day)
{
    return sw_calendar_day_end (ctx, day);
}

static int32_t
s_cal_add_workdays (const void *ctx, int32_t day, int n)
{
    return sw_calendar_add_workdays (ctx, day, n);
}

static const char *
s_when (const sw_calendar_t *cal, int64_t ms, char buf[48])
{
    if (sw_calendar_format_instant (cal, ms, buf, 48) < 0)
        snprintf (buf, 48, "@%lld", (long long)ms);
    return buf;
}

static const char *
s_date (const sw_calendar_t *cal, int64_t ms, char buf[11])
{
    sw_date_format (sw_calendar_local_day (cal, ms), buf);
    return buf;
}

/* ------------------------------------------------------------- storage */

static int
s_put_msg (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size (m);
    MDB_val k = { klen, (void *)key }, v = { n, NULL };
    int rc = mdb_put (txn, dbi, &k, &v, MDB_RESERVE);
    if (rc == 0)
        protobuf_c_message_pack (m, v.mv_data);
    return rc;
}

static Sitewatch__V1__Case *
s_case_get (escalation_cases_t *self, MDB_txn *txn, const char *id, int *rc)
{
    MDB_val k = { strlen (id), (void *)id }, v;
    *rc = mdb_get (txn, self->cases, &k, &v);
    if (*rc != 0)
        return NULL;
    Sitewatch__V1__Case *c = sitewatch__v1__case__unpack (NULL, v.mv_size, v.mv_data);
    if (!c) {
        sw_error ("escalation", "case_unreadable", "case=%s", id);
        *rc = MDB_NOTFOUND;
    }
    return c;
}

static size_t
s_open_key (uint8_t *buf, size_t cap, const char *project, const char *cause)
{
    size_t pl = strlen (project), cl = strlen (cause);
    if (pl + 1 + cl > cap)
        cl = cap - pl - 1; /* ids are capped far below this at the door */
    memcpy (buf, project, pl);
    buf[pl] = 0;
    memcpy (buf + pl + 1, cause, cl);
    return pl + 1 + cl;
}

static size_t
s_due_key (uint8_t *buf, int64_t due, const char *id)
{
    sw_u64_be ((uint64_t)due ^ (1ULL << 63), buf);
    size_t n = strlen (id);
    if (n > 64)
        n = 64;
    memcpy (buf + 8, id, n);
    return 8 + n;
}

/* The case id open for (project, cause) into id; 0, MDB_NOTFOUND or an LMDB code. */
static int
s_open_find (escalation_cases_t *self, MDB_txn *txn, const char *project, const char *cause,
             char *id, size_t cap)
{
    uint8_t kb[600];
    MDB_val k = { s_open_key (kb, sizeof kb, project, cause), kb }, v;
    int rc = mdb_get (txn, self->open, &k, &v);
    if (rc == 0)
        snprintf (id, cap, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
    return rc;
}

/* Writes the case and moves its index entries from (was_open, was_due) to
 * what the case says now. */
static int
s_save (escalation_cases_t *self, MDB_txn *txn, const Sitewatch__V1__Case *c, bool was_open,
        int64_t was_due)
{
    int rc = s_put_msg (txn, self->cases, c->case_id, strlen (c->case_id), &c->base);
    if (rc != 0)
        return rc;
    bool open = strcmp (c->status, "open") == 0;
    int64_t due = open ? c->due_at : 0;
    if (!was_open)
        was_due = 0;
    if (was_due != due) {
        uint8_t kb[80];
        MDB_val k, v = { 0, "" };
        if (was_due) {
            k.mv_size = s_due_key (kb, was_due, c->case_id);
            k.mv_data = kb;
            rc = mdb_del (txn, self->due, &k, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND)
                return rc;
        }
        if (due) {
            k.mv_size = s_due_key (kb, due, c->case_id);
            k.mv_data = kb;
            if ((rc = mdb_put (txn, self->due, &k, &v, 0)) != 0)
                return rc;
        }
    }
    if (was_open != open) {
        uint8_t kb[600];
        MDB_val k = { s_open_key (kb, sizeof kb, c->project_id, c->cause), kb };
        MDB_val v = { strlen (c->case_id), c->case_id };
        rc = open ? mdb_put (txn, self->open, &k, &v, 0) : mdb_del (txn, self->open, &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

/* The next number of a persistent counter (1, 2, ...): never reused, since
 * it is written in the same transaction as what it numbers. */
static int
s_next (escalation_cases_t *self, MDB_txn *txn, const char *key, uint64_t *out)
{
    uint64_t v = 0;
    int rc = sw_store_get_u64 (txn, self->meta, key, &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    *out = v + 1;
    return sw_store_put_u64 (txn, self->meta, key, *out);
}

/* ------------------------------------------------------------- registry */

static const Sitewatch__V1__Registry *
s_reg (s_ctx_t *x)
{
    if (!x->reg_loaded) {
        x->reg_loaded = true;
        MDB_val k = { strlen (x->self->registry_key), x->self->registry_key }, v;
        if (mdb_get (x->txn, x->self->registry, &k, &v) == 0)
            x->reg = sitewatch__v1__registry__unpack (NULL, v.mv_size, v.mv_data);
    }
    return x->reg;
}

static void
s_project (s_ctx_t *x, const char *id, s_project_t *p)
{
    const Sitewatch__V1__Registry *reg = s_reg (x);
    /* Projects are kept one per key (imports may come in chunks); the
     * registry record holds the people. */
    const Sitewatch__V1__ProjectDef *def = NULL;
    for (size_t i = 0; i < x->n_defs && !def; i++)
        if (strcmp (x->defs[i]->id, id) == 0)
            def = x->defs[i];
    MDB_val k = { strlen (id), (void *) id }, v;
    if (!def && mdb_get (x->txn, x->self->projects, &k, &v) == 0) {
        Sitewatch__V1__ProjectDef *loaded
            = sitewatch__v1__project_def__unpack (NULL, v.mv_size, v.mv_data);
        if (loaded) {
            Sitewatch__V1__ProjectDef **grown
                = realloc (x->defs, (x->n_defs + 1) * sizeof *x->defs);
            if (!grown)
                abort ();
            x->defs = grown;
            x->defs[x->n_defs++] = loaded;
            def = loaded;
        }
    }
    if (!def)
        def = sw_registry_project (reg, id); /* data written before projects were kept apart */
    p->id = id;
    p->name = def ? s_str (def->name) : "";
    p->unit = def ? s_str (def->unit) : "";
    p->commissioner = def ? s_str (def->commissioner) : "";
    p->leader = def ? s_str (def->leader) : "";
    const Sitewatch__V1__Commissioner *cm = sw_registry_commissioner (reg, p->commissioner);
    const Sitewatch__V1__Leader *ld = sw_registry_leader (reg, p->leader);
    p->commissioner_name = cm ? s_str (cm->name) : "";
    p->leader_name = ld ? s_str (ld->name) : "";
}

/* ------------------------------------------------------------- the case record */

static void
s_to_ladder (const Sitewatch__V1__Case *c, escalation_ladder_case_t *l)
{
    memset (l, 0, sizeof *l);
    l->stage = escalation_ladder_stage_parse (c->stage);
    l->open = strcmp (s_str (c->status), "open") == 0;
    l->major = strcmp (s_str (c->severity), "major") == 0;
    l->opened_at = c->opened_at;
    l->closed_at = c->closed_at;
    l->due_at = c->due_at;
    l->missed_due_at = c->missed_due_at;
    l->letter = escalation_ladder_letter_parse (c->sub_state);
    l->pending_extension_day = c->pending_extension_day;
    l->extensions_asked = c->extensions_asked;
    l->extensions_granted = c->extensions_granted;
    l->letter_overdue = c->letter_overdue;
}

static void
s_from_ladder (const escalation_ladder_case_t *l, Sitewatch__V1__Case *c)
{
    s_set (&c->stage, escalation_ladder_stage_name (l->stage));
    s_set (&c->status, l->open ? "open" : "closed");
    s_set (&c->sub_state, escalation_ladder_letter_name (l->letter));
    c->opened_at = l->opened_at;
    c->closed_at = l->closed_at;
    c->due_at = l->due_at;
    c->missed_due_at = l->missed_due_at;
    c->pending_extension_day = l->pending_extension_day;
    if (!l->pending_extension_day)
        s_set (&c->pending_extension_reason, "");
    c->extensions_asked = l->extensions_asked;
    c->extensions_granted = l->extensions_granted;
    c->letter_overdue = l->letter_overdue;
}

static void
s_timeline (Sitewatch__V1__Case *c, int64_t at, const char *action, const char *actor,
            const char *note, const char *command_id, const char *code)
{
    Sitewatch__V1__CaseTimelineEntry *e = malloc (sizeof *e);
    Sitewatch__V1__CaseTimelineEntry **arr
        = realloc (c->timeline, (c->n_timeline + 1) * sizeof *arr);
    if (!e || !arr)
        abort ();
    sitewatch__v1__case_timeline_entry__init (e);
    e->at = at;
    e->action = s_dup (action);
    e->stage = s_dup (c->stage);
    e->actor = s_dup (actor);
    e->note = s_dup (note);
    e->command_id = s_dup (command_id);
    e->code = s_dup (code);
    c->timeline = arr;
    c->timeline[c->n_timeline++] = e;
}

static void
s_document (Sitewatch__V1__Case *c, const char *id, const char *kind, uint64_t number,
            int64_t issued_at, char *markdown)
{
    Sitewatch__V1__CaseDocument *d = malloc (sizeof *d);
    Sitewatch__V1__CaseDocument **arr = realloc (c->documents, (c->n_documents + 1) * sizeof *arr);
    if (!d || !arr)
        abort ();
    sitewatch__v1__case_document__init (d);
    d->document_id = s_dup (id);
    d->kind = s_dup (kind);
    d->number = (int64_t)number;
    d->issued_at = issued_at;
    d->markdown = markdown; /* taken */
    c->documents = arr;
    c->documents[c->n_documents++] = d;
}

static const char *
s_last_document (const Sitewatch__V1__Case *c, const char *kind)
{
    for (size_t i = c->n_documents; i-- > 0;)
        if (strcmp (c->documents[i]->kind, kind) == 0)
            return c->documents[i]->document_id;
    return "";
}

/* ------------------------------------------------------------- documents */

static char *
s_letter_md (s_ctx_t *x, const Sitewatch__V1__Case *c, const s_project_t *p, const char *doc_id,
             int64_t issued_at)
{
    char issued[48], due[48], opened[11], due_day[11];
    char *unit = s_md (c->responsible_unit), *person = s_md (c->responsible_person);
    char *name = s_md (p->name), *problem = s_md (c->problem_text);
    s_buf_t b = { 0 };
    s_add (&b, "# 督办函 Supervision letter %s\n\n", doc_id);
    s_add (&b, "| | |\n|---|---|\n");
    s_add (&b, "| 发文 From | 联合督查办公室 Joint supervision office |\n");
    s_add (&b, "| 致 To | %s |\n", unit);
    s_add (&b, "| 责任人 Responsible person | %s |\n", person);
    s_add (&b, "| 项目 Project | %s %s |\n", p->id, name);
    s_add (&b, "| 问题 Problem | %s (%s) |\n", problem, c->severity);
    s_add (&b, "| 案件 Case | %s, opened %s |\n", c->case_id,
           s_date (x->cal, c->opened_at, opened));
    s_add (&b, "| 签发 Issued | %s |\n", s_when (x->cal, issued_at, issued));
    s_add (&b, "| 办理期限 Due | %s (%d working days) |\n\n", s_when (x->cal, c->due_at, due),
           x->self->cfg.letter_days);
    s_date (x->cal, c->due_at, due_day);
    s_add (&b, "## 督办事项 Demand\n\n");
    s_add (&b,
           "请%s收到本函后签收，于 %s 前解决上述问题，并将办理情况书面反馈联合督查办公室。"
           "逾期未办结的，将提请市政府专题会议研究，并纳入问责记录。\n\n",
           unit, due_day);
    s_add (&b,
           "%s: sign for this letter, solve the problem above by %s and report back in "
           "writing to the joint supervision office. A letter left overdue goes to a special "
           "meeting of the municipal government and is recorded against the unit.\n",
           unit, due_day);
    free (unit);
    free (person);
    free (name);
    free (problem);
    return b.p;
}

static char *
s_plan_md (s_ctx_t *x, const Sitewatch__V1__Case *c, const s_project_t *p, const char *doc_id,
           int64_t issued_at, const char *why)
{
    char when[48];
    char *name = s_md (p->name), *problem = s_md (c->problem_text);
    char *unit = s_md (c->responsible_unit), *person = s_md (c->responsible_person);
    char *leader = s_md (p->leader_name), *commissioner = s_md (p->commissioner_name);
    char *reason = s_md (why);
    s_buf_t b = { 0 };
    s_add (&b, "# 市政府专题会议方案 Municipal special-meeting plan %s\n\n", doc_id);
    s_add (&b, "- 呈报 To: %s (%s), 分管市领导 leader in charge\n", leader, p->leader);
    s_add (&b, "- 起草 Drafted: %s, 联合督查办公室 joint supervision office\n",
           s_when (x->cal, issued_at, when));
    s_add (&b, "- 项目 Project: %s %s\n", p->id, name);
    s_add (&b, "- 问题 Problem: %s (%s)\n", problem, c->severity);
    s_add (&b, "- 案件 Case: %s\n", c->case_id);
    s_add (&b, "- 责任单位 Responsible unit: %s; 责任人 person: %s\n", unit, person);
    s_add (&b, "- 提请原因 Why: %s\n", reason);
    s_add (
        &b,
        "- 参会单位 Units: 联合督查办公室 joint supervision office; 项目专员 commissioner %s (%s)",
        commissioner, p->commissioner);
    bool listed = false;
    for (size_t i = 0; i < c->n_units; i++) {
        char *u = s_md (c->units[i]);
        s_add (&b, "; %s", u);
        listed = listed || strcmp (c->units[i], s_str (c->responsible_unit)) == 0;
        free (u);
    }
    if (!listed && *s_str (c->responsible_unit))
        s_add (&b, "; %s", unit);
    if (*p->unit && strcmp (p->unit, s_str (c->responsible_unit)) != 0) {
        char *pu = s_md (p->unit);
        s_add (&b, "; %s", pu);
        free (pu);
    }
    s_add (&b, "\n\n## 已采取措施 What was tried\n\n");
    for (size_t i = 0; i < c->n_timeline; i++) {
        const Sitewatch__V1__CaseTimelineEntry *e = c->timeline[i];
        if (strcmp (e->action, "refused") == 0)
            continue;
        char *note = s_md (e->note);
        s_add (&b, "- %s %s (%s): %s\n", s_when (x->cal, e->at, when), e->action, e->actor, note);
        free (note);
    }
    s_add (&b, "\n## 建议 Proposals\n\n");
    s_add (
        &b,
        "1. 由%s主持召开专题会议，明确牵头部门和配合单位及完成时限。 The leader in charge chairs "
        "the meeting and names the lead department, the supporting units and the dates.\n",
        leader);
    s_add (&b,
           "2. 责成%s提交整改方案，逐项明确措施和责任人。 %s presents a remediation plan, each "
           "step with its measure and the person answerable.\n",
           unit, unit);
    s_add (&b,
           "3. 联合督查办公室跟踪督办，办理结果纳入问责记录。 The joint supervision office follows "
           "up; the outcome enters the accountability record.\n");
    free (name);
    free (problem);
    free (unit);
    free (person);
    free (leader);
    free (commissioner);
    free (reason);
    return b.p;
}

/* ------------------------------------------------------------- events */

static int
s_event (s_ctx_t *x, const Sitewatch__V1__Case *c, const s_project_t *p, const char *from,
         const char *action, int64_t at, const char *doc_id, const char *note)
{
    char a[4][300];
    char *addr[4];
    size_t n = 0;
    bool open = strcmp (c->status, "open") == 0;
    bool special = strcmp (c->stage, "special_meeting") == 0;
    /* Who is concerned: the commissioner, the responsible unit and the
     * supervision office always; the leader in charge once the case is at
     * the special meeting (its plan is drafted for the leader). */
    if (*p->commissioner)
        snprintf (a[n], sizeof a[n], "commissioner:%s", p->commissioner), n++;
    if (*s_str (c->responsible_unit))
        snprintf (a[n], sizeof a[n], "unit:%s", c->responsible_unit), n++;
    snprintf (a[n], sizeof a[n], "office:supervision"), n++;
    if (special && *p->leader)
        snprintf (a[n], sizeof a[n], "leader:%s", p->leader), n++;
    for (size_t i = 0; i < n; i++)
        addr[i] = a[i];

    Sitewatch__V1__CaseEvent ev = SITEWATCH__V1__CASE_EVENT__INIT;
    ev.case_id = c->case_id;
    ev.project_id = c->project_id;
    ev.cause = c->cause;
    ev.from_stage = (char *)from;
    ev.to_stage = c->stage;
    ev.status = c->status;
    ev.action = (char *)action;
    ev.at = at;
    ev.due_at = open ? c->due_at : 0;
    ev.addressees = addr;
    ev.n_addressees = n;
    ev.note = (char *)s_str (note);
    ev.document_id = (char *)s_str (doc_id);
    char topic[320];
    snprintf (topic, sizeof topic, "case.%s.%s", c->stage, c->project_id);
    Sitewatch__V1__Publish pub = SITEWATCH__V1__PUBLISH__INIT;
    pub.topic = topic;
    pub.payload_case = SITEWATCH__V1__PUBLISH__PAYLOAD_CASE_EVENT;
    pub.case_event = &ev;
    Sitewatch__V1__ChainMsg msg = SITEWATCH__V1__CHAIN_MSG__INIT;
    msg.body_case = SITEWATCH__V1__CHAIN_MSG__BODY_PUBLISH;
    msg.publish = &pub;
    sw_info ("escalation", "case_event", "case=%s project=%s action=%s from=%s to=%s status=%s",
             c->case_id, c->project_id, action, *from ? from : "-", c->stage, c->status);
    return sw_stage_forward (x->stage, x->txn, &msg);
}

/* What follows a step of the ladder: a lapsed request, the next stage's
 * document and event, the closing event. why explains a special meeting. */
static int
s_after_step (s_ctx_t *x, Sitewatch__V1__Case *c, const escalation_ladder_step_t *st,
              const char *why)
{
    s_project_t p;
    s_project (x, c->project_id, &p);
    char when[48], date[11];
    int rc = 0;
    if (st->extension_lapsed)
        s_timeline (c, st->at, "extension_lapsed", "system",
                    "the request for more time lapsed with the stage", "", "");
    if (st->stage_changed && st->to == ESCALATION_LADDER_LETTER) {
        uint64_t n;
        if ((rc = s_next (x->self, x->txn, "letter_seq", &n)) != 0)
            return rc;
        int y, m, d;
        sw_civil_from_days (sw_calendar_local_day (x->cal, st->at), &y, &m, &d);
        char id[40], note[400];
        snprintf (id, sizeof id, "SL-%04d-%04llu", y, (unsigned long long)n);
        s_document (c, id, "supervision_letter", n, st->at, s_letter_md (x, c, &p, id, st->at));
        snprintf (note, sizeof note, "%s to %s, due %s", id, c->responsible_unit,
                  s_when (x->cal, c->due_at, when));
        s_timeline (c, st->at, "letter_issued", "system", note, "", "");
        rc = s_event (x, c, &p, escalation_ladder_stage_name (st->from), "letter_issued", st->at,
                      id, note);
        sw_info ("escalation", "letter_issued", "case=%s letter=%s unit=\"%s\" due=%s", c->case_id,
                 id, c->responsible_unit, s_date (x->cal, c->due_at, date));
    } else if (st->stage_changed && st->to == ESCALATION_LADDER_SPECIAL) {
        uint64_t n;
        if ((rc = s_next (x->self, x->txn, "plan_seq", &n)) != 0)
            return rc;
        int y, m, d;
        sw_civil_from_days (sw_calendar_local_day (x->cal, st->at), &y, &m, &d);
        char id[40], note[600];
        snprintf (id, sizeof id, "SM-%04d-%04llu", y, (unsigned long long)n);
        s_document (c, id, "special_meeting_plan", n, st->at,
                    s_plan_md (x, c, &p, id, st->at, why));
        snprintf (note, sizeof note, "%s for %s: %s", id, *p.leader ? p.leader : "the leader", why);
        s_timeline (c, st->at, "special_meeting_planned", "system", note, "", "");
        rc = s_event (x, c, &p, escalation_ladder_stage_name (st->from), "special_meeting_planned",
                      st->at, id, note);
        sw_info ("escalation", "special_meeting_planned", "case=%s plan=%s leader=%s", c->case_id,
                 id, p.leader);
    }
    if (rc == 0 && st->closed)
        rc = s_event (x, c, &p, c->stage, "closed", st->at, "",
                      c->n_timeline ? c->timeline[c->n_timeline - 1]->note : "");
    return rc;
}

/* ------------------------------------------------------------- opening and closing */

static int
s_open_case (s_ctx_t *x, const char *project, const char *cause, bool major, const char *text,
             int64_t at, const char *note)
{
    char existing[80];
    int rc = s_open_find (x->self, x->txn, project, cause, existing, sizeof existing);
    if (rc == 0) {
        sw_info ("escalation", "case_exists", "case=%s project=%s cause=%s", existing, project,
                 cause);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    uint64_t seq;
    if ((rc = s_next (x->self, x->txn, "case_seq", &seq)) != 0)
        return rc;
    s_project_t p;
    s_project (x, project, &p);
    escalation_ladder_case_t l;
    escalation_ladder_step_t st;
    escalation_ladder_open (&x->self->cfg, &x->lcal, at, major, &l, &st);

    Sitewatch__V1__Case *c = malloc (sizeof *c);
    if (!c)
        abort ();
    sitewatch__v1__case__init (c);
    char id[40];
    snprintf (id, sizeof id, "CASE-%06llu", (unsigned long long)seq);
    c->case_id = s_dup (id);
    c->project_id = s_dup (project);
    c->cause = s_dup (cause);
    c->severity = s_dup (major ? "major" : "minor");
    c->responsible_unit = s_dup (p.unit);
    c->problem_text = s_dup (text);
    s_from_ladder (&l, c);
    char when[48], full[700];
    snprintf (full, sizeof full, "%s; on-site meeting due %s", note,
              s_when (x->cal, l.due_at, when));
    s_timeline (c, at, "opened", "system", full, "", "");
    rc = s_save (x->self, x->txn, c, false, 0);
    if (rc == 0)
        rc = s_event (x, c, &p, "", "opened", at, "", full);
    sw_info ("escalation", "case_opened", "case=%s project=%s cause=%s severity=%s due=%s", id,
             project, cause, c->severity, when);
    sitewatch__v1__case__free_unpacked (c, NULL);
    return rc;
}

/* The cause went away: close the open case of (project, cause), if any. */
static int
s_resolve (s_ctx_t *x, const char *project, const char *cause, int64_t at, const char *note)
{
    char id[80];
    int rc = s_open_find (x->self, x->txn, project, cause, id, sizeof id);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    Sitewatch__V1__Case *c = s_case_get (x->self, x->txn, id, &rc);
    if (!c)
        return rc == MDB_NOTFOUND ? 0 : rc;
    escalation_ladder_case_t l;
    s_to_ladder (c, &l);
    bool was_open = l.open;
    int64_t was_due = l.due_at;
    escalation_ladder_command_t cmd = { .op = ESCALATION_LADDER_OP_RESOLVE };
    escalation_ladder_step_t st;
    if (escalation_ladder_apply (&x->self->cfg, &x->lcal, &l, &cmd, at, &st) == 0) {
        s_from_ladder (&l, c);
        s_timeline (c, at, st.action, "system", note, "", "");
        rc = s_after_step (x, c, &st, "");
        if (rc == 0)
            rc = s_save (x->self, x->txn, c, was_open, was_due);
        sw_info ("escalation", "case_resolved", "case=%s project=%s cause=%s", id, project, cause);
    }
    sitewatch__v1__case__free_unpacked (c, NULL);
    return rc;
}

/* ------------------------------------------------------------- deadlines */

static int
s_fire_due (s_ctx_t *x, int64_t now)
{
    escalation_cases_t *self = x->self;
    for (int guard = 0; guard < S_DUE_MAX_PER_MSG; guard++) {
        MDB_cursor *cur;
        int rc = mdb_cursor_open (x->txn, self->due, &cur);
        if (rc != 0)
            return rc;
        MDB_val k, v;
        rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
        if (rc != 0 || k.mv_size < 8 || k.mv_size > 80) {
            mdb_cursor_close (cur);
            if (rc == MDB_NOTFOUND)
                return 0;
            if (rc != 0)
                return rc;
            /* a key we never write: drop it */
            if ((rc = mdb_del (x->txn, self->due, &k, NULL)) != 0)
                return rc;
            continue;
        }
        int64_t due = (int64_t)(sw_be_u64 (k.mv_data) ^ (1ULL << 63));
        if (now <= due) {
            mdb_cursor_close (cur);
            return 0;
        }
        uint8_t key[80];
        size_t klen = k.mv_size;
        memcpy (key, k.mv_data, klen);
        char id[80];
        snprintf (id, sizeof id, "%.*s", (int)(klen - 8), (const char *)key + 8);
        mdb_cursor_close (cur);
        /* This entry is used up whatever the case says; s_save writes the
         * next one. */
        MDB_val dk = { klen, key };
        if ((rc = mdb_del (x->txn, self->due, &dk, NULL)) != 0)
            return rc;
        Sitewatch__V1__Case *c = s_case_get (self, x->txn, id, &rc);
        if (!c) {
            if (rc != MDB_NOTFOUND)
                return rc;
            continue;
        }
        escalation_ladder_case_t l;
        s_to_ladder (c, &l);
        bool was_open = l.open;
        escalation_ladder_step_t st;
        rc = 0;
        while (rc == 0 && escalation_ladder_due (&self->cfg, &x->lcal, &l, now, &st) == 1) {
            char missed[48], why[400], note[500];
            s_when (x->cal, st.due_before, missed);
            if (st.from == ESCALATION_LADDER_LETTER) {
                snprintf (why, sizeof why,
                          "督办函 %s 逾期未办结 the supervision letter passed its due date %s",
                          s_last_document (c, "supervision_letter"), missed);
                snprintf (note, sizeof note,
                          "the letter's due date %s passed: an overdue letter, recorded against %s",
                          missed, c->responsible_unit);
            } else {
                snprintf (why, sizeof why,
                          "现场协调会未在期限内解决 the on-site meeting did not solve the %s "
                          "problem by %s",
                          c->severity, missed);
                snprintf (note, sizeof note, "the on-site meeting's due date %s passed", missed);
            }
            s_from_ladder (&l, c);
            s_timeline (c, st.at, st.action, "system", note, "", "");
            rc = s_after_step (x, c, &st, why);
        }
        /* the entry is gone: s_save must see "no entry" as the old state */
        if (rc == 0)
            rc = s_save (self, x->txn, c, was_open, 0);
        sitewatch__v1__case__free_unpacked (c, NULL);
        if (rc != 0)
            return rc;
    }
    sw_warn ("escalation", "deadlines_left",
             "reason=\"more than %d due at once; the rest next time\"", S_DUE_MAX_PER_MSG);
    return 0;
}

/* ------------------------------------------------------------- commands */

static const char *
s_actor (escalation_ladder_op_t op)
{
    switch (op) {
    case ESCALATION_LADDER_OP_SIGN:
    case ESCALATION_LADDER_OP_FEEDBACK:
    case ESCALATION_LADDER_OP_EXTEND:
        return "unit";
    case ESCALATION_LADDER_OP_REVIEW:
        return "office";
    default:
        return "operator";
    }
}

static void
s_join (s_buf_t *b, const char *sep, const char *text)
{
    if (text && *text)
        s_add (b, "%s%s", b->n ? sep : "", text);
}

static int
s_on_command (s_ctx_t *x, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__CaseCommand *cmd = msg->case_command;
    escalation_cases_t *self = x->self;
    int rc;
    Sitewatch__V1__Case *c = s_case_get (self, x->txn, s_str (cmd->case_id), &rc);
    escalation_ladder_case_t l, *lp = NULL;
    if (c) {
        s_to_ladder (c, &l);
        lp = &l;
    } else if (rc != MDB_NOTFOUND)
        return rc;
    bool was_open = c && l.open;
    int64_t was_due = c ? l.due_at : 0;
    escalation_ladder_command_t lc = { 0 };
    lc.op = (escalation_ladder_op_t)cmd->op;
    if (cmd->op == SITEWATCH__V1__CASE_COMMAND__OP__OP_UNSPECIFIED || (int)cmd->op > 9)
        lc.op = (escalation_ladder_op_t)0; /* never the system's own RESOLVE */
    const char *outcome = s_str (cmd->outcome);
    lc.outcome = strcmp (outcome, "resolved") == 0     ? ESCALATION_LADDER_OUTCOME_RESOLVED
                 : strcmp (outcome, "unresolved") == 0 ? ESCALATION_LADDER_OUTCOME_UNRESOLVED
                                                       : ESCALATION_LADDER_OUTCOME_NONE;
    lc.has_unit = *s_str (cmd->unit);
    lc.has_person = *s_str (cmd->person);
    lc.has_note = *s_str (cmd->note);
    lc.has_reason = *s_str (cmd->reason);
    lc.until_day = cmd->until_day;
    escalation_ladder_step_t st;
    const char *actor = s_actor (lc.op);
    const char *op_name = escalation_ladder_op_name (lc.op);
    if (escalation_ladder_apply (&self->cfg, &x->lcal, lp, &lc, msg->at, &st) != 0) {
        sw_warn ("escalation", "case_command_refused",
                 "case=%s op=%s code=%s command=%s message=\"%s\"", s_str (cmd->case_id), op_name,
                 st.code, s_str (cmd->command_id), st.message);
        if (c && c->n_timeline < S_TIMELINE_MAX) {
            char note[400];
            snprintf (note, sizeof note, "%s: %s", op_name, st.message);
            s_timeline (c, msg->at, "refused", actor, note, s_str (cmd->command_id), st.code);
            rc = s_save (self, x->txn, c, was_open, was_due);
        } else
            rc = 0;
        if (c)
            sitewatch__v1__case__free_unpacked (c, NULL);
        return rc;
    }
    s_from_ladder (&l, c);

    /* What the operator said, kept with the case. */
    s_buf_t note = { 0 };
    char date[11], when[48];
    switch (lc.op) {
    case ESCALATION_LADDER_OP_MEETING: {
        if (cmd->n_units) {
            for (size_t i = 0; i < c->n_units; i++)
                free (c->units[i]);
            free (c->units);
            c->units = calloc (cmd->n_units, sizeof *c->units);
            if (!c->units)
                abort ();
            for (size_t i = 0; i < cmd->n_units; i++)
                c->units[i] = s_dup (cmd->units[i]);
            c->n_units = cmd->n_units;
        }
        if (lc.has_unit)
            s_set (&c->responsible_unit, cmd->unit);
        if (lc.has_person)
            s_set (&c->responsible_person, cmd->person);
        s_add (&note, "outcome %s", outcome);
        if (cmd->n_units) {
            s_add (&note, "; units present: ");
            for (size_t i = 0; i < cmd->n_units; i++)
                s_add (&note, "%s%s", i ? ", " : "", cmd->units[i]);
        }
        if (lc.has_unit || lc.has_person)
            s_add (&note, "; responsible: %s / %s", s_str (cmd->unit), s_str (cmd->person));
        if (lc.has_note)
            s_add (&note, "; %s", cmd->note);
        break;
    }
    case ESCALATION_LADDER_OP_EXTEND:
        s_set (&c->pending_extension_reason, cmd->reason);
        sw_date_format (cmd->until_day, date);
        s_add (&note, "until %s: %s", date, cmd->reason);
        s_join (&note, "; ", cmd->note);
        break;
    case ESCALATION_LADDER_OP_GRANT:
        s_add (&note, "due date now %s", s_when (x->cal, c->due_at, when));
        s_join (&note, "; ", cmd->note);
        break;
    default:
        s_join (&note, "; ", cmd->note);
        break;
    }
    s_timeline (c, msg->at, st.action, actor, note.p ? note.p : "", s_str (cmd->command_id), "");
    free (note.p);
    char why[600];
    if (lc.op == ESCALATION_LADDER_OP_ESCALATE)
        snprintf (why, sizeof why, "escalated by hand: %s", s_str (cmd->note));
    else
        snprintf (
            why, sizeof why,
            "现场协调会未能解决的重大问题 a major problem the on-site meeting could not solve");
    rc = s_after_step (x, c, &st, why);
    if (rc == 0)
        rc = s_save (self, x->txn, c, was_open, was_due);
    sw_info ("escalation", "case_command", "case=%s op=%s action=%s stage=%s status=%s command=%s",
             c->case_id, op_name, st.action, c->stage, c->status, s_str (cmd->command_id));
    sitewatch__v1__case__free_unpacked (c, NULL);
    return rc;
}

/* ------------------------------------------------------------- reports and warnings */

static int
s_on_report (s_ctx_t *x, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__Report *r = msg->report;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->n_problems; i++) {
        const Sitewatch__V1__Problem *pb = r->problems[i];
        if (!pb->problem_id || !*pb->problem_id)
            continue;
        char cause[300], note[400];
        snprintf (cause, sizeof cause, "problem:%s", pb->problem_id);
        snprintf (note, sizeof note, "problem %s reported by %s in report %s", pb->problem_id,
                  *s_str (r->reporter_id) ? r->reporter_id : "?", r->report_id);
        rc = s_open_case (x, r->project_id, cause,
                          pb->severity == SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR, s_str (pb->text),
                          msg->at, note);
    }
    for (size_t i = 0; rc == 0 && i < r->n_resolves; i++) {
        char cause[300], note[400];
        snprintf (cause, sizeof cause, "problem:%s", r->resolves[i]);
        snprintf (note, sizeof note, "reported solved in report %s", r->report_id);
        rc = s_resolve (x, r->project_id, cause, msg->at, note);
    }
    return rc;
}

static int
s_on_warning (s_ctx_t *x, const Sitewatch__V1__ChainMsg *msg)
{
    const Sitewatch__V1__WarningEvent *ev = msg->warning;
    bool into
        = ev->to == SITEWATCH__V1__LEVEL__LEVEL_RED && ev->from != SITEWATCH__V1__LEVEL__LEVEL_RED;
    bool out
        = ev->from == SITEWATCH__V1__LEVEL__LEVEL_RED && ev->to != SITEWATCH__V1__LEVEL__LEVEL_RED;
    int64_t at = ev->at ? ev->at : msg->at;
    if (into) {
        s_buf_t text = { 0 };
        bool major = false;
        s_add (&text, "红色预警 red warning:");
        for (size_t i = 0; i < ev->n_reasons; i++) {
            const Sitewatch__V1__Reason *rs = ev->reasons[i];
            char num[40];
            major = major || strcmp (s_str (rs->code), "major_problem") == 0;
            s_add (&text, "%s %s", i ? "," : "", s_str (rs->code));
            if (strcmp (s_str (rs->code), "lag") == 0
                || strcmp (s_str (rs->code), "serious_lag") == 0)
                s_add (&text, " (lag %spp)", sw_json_num_format (rs->lag_pp, num, sizeof num));
            else if (*s_str (rs->problem_id))
                s_add (&text, " (%s)", rs->problem_id);
        }
        char note[300];
        snprintf (note, sizeof note, "warning event %s into red", s_str (ev->event_id));
        int rc = s_open_case (x, ev->project_id, "red", major, text.p, at, note);
        free (text.p);
        return rc;
    }
    if (out) {
        char note[200];
        snprintf (note, sizeof note, "the project left red (warning event %s)",
                  s_str (ev->event_id));
        return s_resolve (x, ev->project_id, "red", at, note);
    }
    return 0;
}

/* ------------------------------------------------------------- the class */

escalation_cases_t *
escalation_cases_new (sw_store_t *store, MDB_dbi registry_dbi, const char *registry_key,
                      const escalation_ladder_config_t *cfg, char *err, size_t errlen)
{
    if (escalation_ladder_config_validate (cfg, err, errlen) != 0)
        return NULL;
    escalation_cases_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->store = store;
    self->registry = registry_dbi;
    snprintf (self->registry_key, sizeof self->registry_key, "%s", registry_key);
    self->cfg = *cfg;
    if (sw_store_dbi (store, "cases", 0, &self->cases) != 0
        || sw_store_dbi (store, "cases.open", 0, &self->open) != 0
        || sw_store_dbi (store, "cases.due", 0, &self->due) != 0
        || sw_store_dbi (store, "cases.meta", 0, &self->meta) != 0
        || sw_store_dbi (store, "projects", 0, &self->projects) != 0) {
        snprintf (err, errlen, "cannot open the case databases");
        free (self);
        return NULL;
    }
    return self;
}

void
escalation_cases_destroy (escalation_cases_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

static s_ctx_t
s_ctx (escalation_cases_t *self, MDB_txn *txn, sw_stage_t *stage, const sw_calendar_t *cal)
{
    s_ctx_t x
        = { self, txn,  stage, cal, { s_cal_local_day, s_cal_day_end, s_cal_add_workdays, cal },
            NULL, false, NULL, 0 };
    return x;
}

int
escalation_cases_due (escalation_cases_t *self, MDB_txn *txn, sw_stage_t *stage,
                      const sw_calendar_t *cal, int64_t now)
{
    if (!cal)
        return 0;
    s_ctx_t x = s_ctx (self, txn, stage, cal);
    int rc = s_fire_due (&x, now);
    if (x.reg)
        sitewatch__v1__registry__free_unpacked (x.reg, NULL);
    for (size_t i = 0; i < x.n_defs; i++)
        sitewatch__v1__project_def__free_unpacked (x.defs[i], NULL);
    free (x.defs);
    return rc;
}

int
escalation_cases_apply (escalation_cases_t *self, MDB_txn *txn, sw_stage_t *stage,
                        const sw_calendar_t *cal, const Sitewatch__V1__ChainMsg *msg)
{
    if (!cal)
        return 0;
    s_ctx_t x = s_ctx (self, txn, stage, cal);
    int rc = 0;
    switch (msg->body_case) {
    case SITEWATCH__V1__CHAIN_MSG__BODY_REPORT:
        rc = s_on_report (&x, msg);
        break;
    case SITEWATCH__V1__CHAIN_MSG__BODY_WARNING:
        rc = s_on_warning (&x, msg);
        break;
    case SITEWATCH__V1__CHAIN_MSG__BODY_CASE_COMMAND:
        rc = s_on_command (&x, msg);
        break;
    default:
        break;
    }
    if (x.reg)
        sitewatch__v1__registry__free_unpacked (x.reg, NULL);
    for (size_t i = 0; i < x.n_defs; i++)
        sitewatch__v1__project_def__free_unpacked (x.defs[i], NULL);
    free (x.defs);
    return rc;
}

/* ------------------------------------------------------------- queries */

bool
escalation_cases_owns (const Sitewatch__V1__Request *req)
{
    if (req->body_case != SITEWATCH__V1__REQUEST__BODY_QUERY || !req->query)
        return false;
    switch (req->query->kind) {
    case SITEWATCH__V1__QUERY__KIND__KIND_CASES:
    case SITEWATCH__V1__QUERY__KIND__KIND_CASE:
    case SITEWATCH__V1__QUERY__KIND__KIND_ACCOUNTABILITY:
        return true;
    default:
        return false;
    }
}

typedef struct {
    Sitewatch__V1__Case **items;
    size_t n, cap;
} s_list_t;

static void
s_list_add (s_list_t *l, Sitewatch__V1__Case *c)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc (l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort ();
    }
    l->items[l->n++] = c;
}

static void
s_list_free (s_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        sitewatch__v1__case__free_unpacked (l->items[i], NULL);
    free (l->items);
}

/* Every case (or every open one), of one project when project is not empty. */
static int
s_collect (escalation_cases_t *self, MDB_txn *txn, bool open_only, const char *project,
           s_list_t *out)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, open_only ? self->open : self->cases, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT)) {
        Sitewatch__V1__Case *c;
        if (open_only) {
            char id[80];
            snprintf (id, sizeof id, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
            int grc;
            c = s_case_get (self, txn, id, &grc);
        } else
            c = sitewatch__v1__case__unpack (NULL, v.mv_size, v.mv_data);
        if (!c)
            continue;
        if (*project && strcmp (c->project_id, project) != 0) {
            sitewatch__v1__case__free_unpacked (c, NULL);
            continue;
        }
        s_list_add (out, c);
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
s_unit_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__AccountabilityEntry *x = *(Sitewatch__V1__AccountabilityEntry *const *)a;
    const Sitewatch__V1__AccountabilityEntry *y = *(Sitewatch__V1__AccountabilityEntry *const *)b;
    return strcmp (x->unit, y->unit);
}

static void
s_ack (Sitewatch__V1__Response *resp, Sitewatch__V1__Ack *ack, const char *code,
       const char *message)
{
    ack->status = SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED;
    ack->code = (char *)code;
    ack->message = (char *)message;
    resp->body_case = SITEWATCH__V1__RESPONSE__BODY_ACK;
    resp->ack = ack;
}

int
escalation_cases_query (escalation_cases_t *self, const Sitewatch__V1__Request *req,
                        uint8_t **response, size_t *size)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = req->request_id;
    Sitewatch__V1__Ack ack = SITEWATCH__V1__ACK__INIT;
    const Sitewatch__V1__Query *q = req->query;
    MDB_txn *txn;
    if (sw_store_read (self->store, &txn) != 0) {
        s_ack (&resp, &ack, "unavailable", "the case store cannot be read");
        *response = sw_wire_pack (&resp.base, size);
        return -1;
    }
    s_list_t list = { 0 };
    Sitewatch__V1__CasesAnswer cases = SITEWATCH__V1__CASES_ANSWER__INIT;
    Sitewatch__V1__AccountabilityAnswer acc = SITEWATCH__V1__ACCOUNTABILITY_ANSWER__INIT;
    char message[200];
    if (q->kind == SITEWATCH__V1__QUERY__KIND__KIND_CASE) {
        int rc;
        Sitewatch__V1__Case *c = s_case_get (self, txn, s_str (q->case_id), &rc);
        if (c) {
            s_list_add (&list, c);
            cases.cases = list.items;
            cases.n_cases = 1;
            resp.body_case = SITEWATCH__V1__RESPONSE__BODY_CASES;
            resp.cases = &cases;
        } else {
            snprintf (message, sizeof message, "no case '%.80s'", s_str (q->case_id));
            s_ack (&resp, &ack, "unknown_case", message);
        }
        *response = sw_wire_pack (&resp.base, size);
    } else if (q->kind == SITEWATCH__V1__QUERY__KIND__KIND_CASES) {
        s_collect (self, txn, q->open_only, s_str (q->project_id), &list);
        /* the list without timelines and documents: those are for "case ID" */
        size_t *saved = calloc (list.n * 2 + 1, sizeof *saved);
        if (!saved)
            abort ();
        for (size_t i = 0; i < list.n; i++) {
            saved[2 * i] = list.items[i]->n_timeline;
            saved[2 * i + 1] = list.items[i]->n_documents;
            list.items[i]->n_timeline = list.items[i]->n_documents = 0;
        }
        cases.cases = list.items;
        cases.n_cases = list.n;
        resp.body_case = SITEWATCH__V1__RESPONSE__BODY_CASES;
        resp.cases = &cases;
        *response = sw_wire_pack (&resp.base, size);
        for (size_t i = 0; i < list.n; i++) {
            list.items[i]->n_timeline = saved[2 * i];
            list.items[i]->n_documents = saved[2 * i + 1];
        }
        free (saved);
    } else {
        s_collect (self, txn, false, "", &list);
        Sitewatch__V1__AccountabilityEntry **units = calloc (list.n + 1, sizeof *units);
        if (!units)
            abort ();
        size_t n = 0;
        for (size_t i = 0; i < list.n; i++) {
            const Sitewatch__V1__Case *c = list.items[i];
            const char *unit = *s_str (c->responsible_unit) ? c->responsible_unit : "(none)";
            Sitewatch__V1__AccountabilityEntry *e = NULL;
            for (size_t k = 0; k < n && !e; k++)
                if (strcmp (units[k]->unit, unit) == 0)
                    e = units[k];
            if (!e) {
                e = malloc (sizeof *e);
                if (!e)
                    abort ();
                sitewatch__v1__accountability_entry__init (e);
                e->unit = s_dup (unit);
                units[n++] = e;
            }
            e->cases++;
            e->overdue_letters += c->letter_overdue ? 1 : 0;
            e->extensions_asked += (uint32_t)(c->extensions_asked > 0 ? c->extensions_asked : 0);
            e->extensions_granted
                += (uint32_t)(c->extensions_granted > 0 ? c->extensions_granted : 0);
            e->special_meetings += strcmp (s_str (c->stage), "special_meeting") == 0 ? 1 : 0;
        }
        if (n > 1)
            qsort (units, n, sizeof *units, s_unit_cmp);
        acc.units = units;
        acc.n_units = n;
        resp.body_case = SITEWATCH__V1__RESPONSE__BODY_ACCOUNTABILITY;
        resp.accountability = &acc;
        *response = sw_wire_pack (&resp.base, size);
        for (size_t i = 0; i < n; i++)
            sitewatch__v1__accountability_entry__free_unpacked (units[i], NULL);
        free (units);
    }
    mdb_txn_abort (txn);
    s_list_free (&list);
    return 0;
}

static int
s_digest_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__DigestCase *x = *(Sitewatch__V1__DigestCase *const *)a;
    const Sitewatch__V1__DigestCase *y = *(Sitewatch__V1__DigestCase *const *)b;
    if (x->overdue != y->overdue)
        return x->overdue ? -1 : 1;
    int64_t dx = x->due_at ? x->due_at : INT64_MAX, dy = y->due_at ? y->due_at : INT64_MAX;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp (x->case_id, y->case_id);
}

int
escalation_cases_open_list (escalation_cases_t *self, MDB_txn *txn, int64_t now,
                            Sitewatch__V1__DigestCase ***out, size_t *n)
{
    s_list_t list = { 0 };
    int rc = s_collect (self, txn, true, "", &list);
    *out = calloc (list.n + 1, sizeof **out);
    if (!*out)
        abort ();
    *n = 0;
    for (size_t i = 0; i < list.n; i++) {
        const Sitewatch__V1__Case *c = list.items[i];
        Sitewatch__V1__DigestCase *d = malloc (sizeof *d);
        if (!d)
            abort ();
        sitewatch__v1__digest_case__init (d);
        d->case_id = s_dup (c->case_id);
        d->project_id = s_dup (c->project_id);
        d->stage = s_dup (c->stage);
        d->due_at = c->due_at;
        d->overdue = c->due_at && now > c->due_at;
        (*out)[(*n)++] = d;
    }
    if (*n > 1)
        qsort (*out, *n, sizeof **out, s_digest_cmp);
    s_list_free (&list);
    return rc;
}
