/* rules_state: states and events encoded by hand (see rules_state.h). A
 * proto3 field is written only when it is not zero (an empty string, 0,
 * 0.0 or -0.0, false), in field-number order, as protobuf-c does. */
#include "rules_state.h"
#include "sw_pb.h"

#include <string.h>

typedef struct {
    uint8_t *p, *end;
    bool full;
} s_out_t;

/* Room for n more bytes (else full, and nothing more is written). */
static bool
s_room (s_out_t *o, size_t n)
{
    if (!o->full && (size_t) (o->end - o->p) >= n)
        return true;
    o->full = true;
    return false;
}

static void
s_varint (s_out_t *o, uint32_t number, uint64_t v)
{
    if (v && s_room (o, 15))
        o->p += sw_pb_put_varint_field (o->p, number, v);
}

/* int32 and enums: a negative value is sign-extended to ten bytes. */
static void
s_int32 (s_out_t *o, uint32_t number, int32_t v)
{
    s_varint (o, number, (uint64_t) (int64_t) v);
}

static void
s_double (s_out_t *o, uint32_t number, double v)
{
    if (v == 0.0 || !s_room (o, 5 + 8))
        return;
    o->p += sw_pb_put_tag (o->p, number, SW_PB_I64);
    uint64_t u;
    memcpy (&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        *o->p++ = (uint8_t) (u >> (8 * i));
}

static void
s_string (s_out_t *o, uint32_t number, const char *s)
{
    if (!s || !*s)
        return;
    size_t n = strlen (s);
    if (!s_room (o, 15 + n))
        return;
    o->p += sw_pb_put_len_head (o->p, number, n);
    memcpy (o->p, s, n);
    o->p += n;
}

/* A message field: its fields are written after room for the longest
 * length, then moved up behind the length actually needed. */
typedef void (*s_fields_fn) (s_out_t *o, const void *msg);

static void
s_message (s_out_t *o, uint32_t number, s_fields_fn fields, const void *msg)
{
    if (!msg)
        o->full = true; /* a NULL entry: protobuf-c's to pack */
    if (!s_room (o, 5 + 10))
        return;
    uint8_t *head = o->p;
    size_t tl = sw_pb_put_tag (head, number, SW_PB_LEN);
    uint8_t *body = head + tl + 10;
    o->p = body;
    fields (o, msg);
    if (o->full)
        return;
    size_t len = (size_t) (o->p - body);
    size_t ll = sw_pb_put_varint (head + tl, len);
    memmove (head + tl + ll, body, len);
    o->p = head + tl + ll + len;
}

static void
s_reason_fields (s_out_t *o, const void *msg)
{
    const Sitewatch__V1__Reason *r = msg;
    if (r->base.n_unknown_fields) {
        o->full = true;
        return;
    }
    s_string (o, 1, r->code);
    s_double (o, 2, r->lag_pp);
    s_double (o, 3, r->planned_pct);
    s_double (o, 4, r->actual_pct);
    s_int32 (o, 5, r->forecast_finish_day);
    s_varint (o, 6, (uint64_t) r->period);
    s_string (o, 7, r->detail);
    s_double (o, 8, r->threshold);
    s_string (o, 9, r->problem_id);
}

static void
s_problem_fields (s_out_t *o, const void *msg)
{
    const Sitewatch__V1__Problem *p = msg;
    if (p->base.n_unknown_fields) {
        o->full = true;
        return;
    }
    s_string (o, 1, p->text);
    s_int32 (o, 2, (int32_t) p->severity);
    s_string (o, 3, p->problem_id);
}

static void
s_reasons (s_out_t *o, uint32_t number, Sitewatch__V1__Reason *const *rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_message (o, number, s_reason_fields, rs[i]);
}

/* repeated int64, packed */
static void
s_packed_int64 (s_out_t *o, uint32_t number, const int64_t *v, size_t n)
{
    if (!n)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += sw_pb_varint_size ((uint64_t) v[i]);
    if (!s_room (o, 15 + len))
        return;
    o->p += sw_pb_put_len_head (o->p, number, len);
    for (size_t i = 0; i < n; i++)
        o->p += sw_pb_put_varint (o->p, (uint64_t) v[i]);
}

size_t
rules_state_encode (const Sitewatch__V1__RulesProjectState *st, uint8_t *out, size_t cap)
{
    s_out_t o = { out, out + cap, st->base.n_unknown_fields != 0 };
    s_int32 (&o, 1, (int32_t) st->level);
    s_varint (&o, 2, (uint64_t) st->since);
    s_int32 (&o, 3, (int32_t) st->prev_close_level);
    s_varint (&o, 4, st->has_actual ? 1 : 0);
    s_int32 (&o, 5, st->actual_bp);
    s_varint (&o, 6, (uint64_t) st->actual_observed_at);
    for (size_t i = 0; i < st->n_open_problems; i++)
        s_message (&o, 7, s_problem_fields, st->open_problems[i]);
    s_int32 (&o, 8, st->reason_state);
    s_string (&o, 9, st->reason_text);
    s_int32 (&o, 10, st->reason_approved_day);
    s_packed_int64 (&o, 11, st->report_periods, st->n_report_periods);
    s_reasons (&o, 12, st->reasons, st->n_reasons);
    s_varint (&o, 13, st->has_lag ? 1 : 0);
    s_double (&o, 14, st->lag_pp);
    s_double (&o, 15, st->planned_pct);
    s_double (&o, 16, st->actual_pct);
    s_varint (&o, 17, st->events);
    s_varint (&o, 18, st->reports);
    s_varint (&o, 19, (uint64_t) st->last_report_at);
    s_varint (&o, 20, (uint64_t) st->sources_period);
    s_varint (&o, 21, st->sources_mask);
    s_varint (&o, 22, st->period_reports);
    s_varint (&o, 23, st->period_reports_commissioner);
    s_varint (&o, 24, st->period_reports_unit);
    s_varint (&o, 25, st->period_reports_local);
    s_varint (&o, 26, st->last_report_seq);
    s_int32 (&o, 27, (int32_t) st->close_prev_level);
    return o.full ? 0 : (size_t) (o.p - out);
}

size_t
rules_event_encode (const Sitewatch__V1__WarningEvent *ev, uint8_t *out, size_t cap)
{
    s_out_t o = { out, out + cap, ev->base.n_unknown_fields != 0 };
    s_string (&o, 1, ev->event_id);
    s_string (&o, 2, ev->project_id);
    s_int32 (&o, 3, (int32_t) ev->from);
    s_int32 (&o, 4, (int32_t) ev->to);
    s_reasons (&o, 5, ev->reasons, ev->n_reasons);
    s_double (&o, 6, ev->lag_pp);
    s_varint (&o, 7, (uint64_t) ev->at);
    s_varint (&o, 8, (uint64_t) ev->period);
    s_string (&o, 9, ev->leader_id);
    s_string (&o, 10, ev->commissioner_id);
    s_string (&o, 11, ev->project_name);
    s_varint (&o, 12, ev->has_lag ? 1 : 0);
    return o.full ? 0 : (size_t) (o.p - out);
}

size_t
rules_digest_project_encode (const Sitewatch__V1__DigestProject *d, uint8_t *out, size_t cap)
{
    s_out_t o = { out, out + cap, d->base.n_unknown_fields != 0 };
    s_string (&o, 1, d->project_id);
    s_string (&o, 2, d->name);
    s_int32 (&o, 3, (int32_t) d->level);
    s_int32 (&o, 4, (int32_t) d->prev_level);
    s_reasons (&o, 5, d->reasons, d->n_reasons);
    s_varint (&o, 6, d->has_lag ? 1 : 0);
    s_double (&o, 7, d->lag_pp);
    s_double (&o, 8, d->planned_pct);
    s_double (&o, 9, d->actual_pct);
    s_string (&o, 10, d->commissioner);
    s_varint (&o, 11, d->by_commissioner ? 1 : 0);
    s_varint (&o, 12, d->by_unit ? 1 : 0);
    s_varint (&o, 13, d->by_local ? 1 : 0);
    s_varint (&o, 14, d->reports);
    return o.full ? 0 : (size_t) (o.p - out);
}

/* ---------------------------------------------------------------- reading */

typedef struct {
    rules_state_view_t *v;
    size_t used;
} s_in_t;

static bool
s_str (s_in_t *in, const sw_pb_field_t *f, char **out)
{
    return sw_pb_string_into (f, in->v->strings, sizeof in->v->strings, &in->used, out);
}

static bool
s_double_in (const sw_pb_field_t *f, double *out)
{
    if (f->wire != SW_PB_I64)
        return false;
    memcpy (out, &f->value, sizeof *out);
    return true;
}

static bool
s_problem_in (s_in_t *in, const sw_pb_field_t *outer)
{
    rules_state_view_t *v = in->v;
    Sitewatch__V1__RulesProjectState *st = &v->st;
    if (outer->wire != SW_PB_LEN || st->n_open_problems == RULES_STATE_PROBLEMS_MAX)
        return false;
    Sitewatch__V1__Problem *p = &v->problems[st->n_open_problems];
    sitewatch__v1__problem__init (p);
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, outer->data, outer->size);
    while (sw_pb_next (&rd, &f)) {
        bool ok;
        switch (f.number) {
        case 1: ok = s_str (in, &f, &p->text); break;
        case 2:
            ok = f.wire == SW_PB_VARINT;
            p->severity = (Sitewatch__V1__Severity) (int32_t) (uint32_t) f.value;
            break;
        case 3: ok = s_str (in, &f, &p->problem_id); break;
        default: ok = false; break;
        }
        if (!ok)
            return false;
    }
    v->problemp[st->n_open_problems++] = p;
    return !rd.bad;
}

static bool
s_reason_in (s_in_t *in, const sw_pb_field_t *outer)
{
    rules_state_view_t *v = in->v;
    Sitewatch__V1__RulesProjectState *st = &v->st;
    if (outer->wire != SW_PB_LEN || st->n_reasons == RULES_STATE_REASONS_MAX)
        return false;
    Sitewatch__V1__Reason *r = &v->reasons[st->n_reasons];
    sitewatch__v1__reason__init (r);
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, outer->data, outer->size);
    while (sw_pb_next (&rd, &f)) {
        bool ok = f.wire == SW_PB_VARINT;
        switch (f.number) {
        case 1: ok = s_str (in, &f, &r->code); break;
        case 2: ok = s_double_in (&f, &r->lag_pp); break;
        case 3: ok = s_double_in (&f, &r->planned_pct); break;
        case 4: ok = s_double_in (&f, &r->actual_pct); break;
        case 5: r->forecast_finish_day = (int32_t) (uint32_t) f.value; break;
        case 6: r->period = (int64_t) f.value; break;
        case 7: ok = s_str (in, &f, &r->detail); break;
        case 8: ok = s_double_in (&f, &r->threshold); break;
        case 9: ok = s_str (in, &f, &r->problem_id); break;
        default: ok = false; break;
        }
        if (!ok)
            return false;
    }
    v->reasonp[st->n_reasons++] = r;
    return !rd.bad;
}

/* repeated int64: one varint, or a packed run of them */
static bool
s_periods_in (rules_state_view_t *v, const sw_pb_field_t *f)
{
    Sitewatch__V1__RulesProjectState *st = &v->st;
    if (f->wire == SW_PB_VARINT) {
        if (st->n_report_periods == RULES_STATE_PERIODS_MAX)
            return false;
        v->periods[st->n_report_periods++] = (int64_t) f->value;
        return true;
    }
    if (f->wire != SW_PB_LEN)
        return false;
    const uint8_t *p = f->data, *end = f->data + f->size;
    while (p < end) {
        uint64_t x;
        if (st->n_report_periods == RULES_STATE_PERIODS_MAX || !sw_pb_get_varint (&p, end, &x))
            return false;
        v->periods[st->n_report_periods++] = (int64_t) x;
    }
    return true;
}

bool
rules_state_view (const uint8_t *data, size_t size, rules_state_view_t *v)
{
    Sitewatch__V1__RulesProjectState *st = &v->st;
    sitewatch__v1__rules_project_state__init (st);
    st->open_problems = v->problemp;
    st->reasons = v->reasonp;
    st->report_periods = v->periods;
    s_in_t in = { v, 0 };
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        uint64_t x = f.value;
        /* a bool is read from its one-byte varint only (protobuf-c tests
         * every byte of a longer one, bits a 64-bit value has lost) */
        bool ok = f.wire == SW_PB_VARINT;
        switch (f.number) {
        case 1: st->level = (Sitewatch__V1__Level) (int32_t) (uint32_t) x; break;
        case 2: st->since = (int64_t) x; break;
        case 3: st->prev_close_level = (Sitewatch__V1__Level) (int32_t) (uint32_t) x; break;
        case 4: ok = ok && f.total == 2; st->has_actual = x != 0; break;
        case 5: st->actual_bp = (int32_t) (uint32_t) x; break;
        case 6: st->actual_observed_at = (int64_t) x; break;
        case 7: ok = s_problem_in (&in, &f); break;
        case 8: st->reason_state = (int32_t) (uint32_t) x; break;
        case 9: ok = s_str (&in, &f, &st->reason_text); break;
        case 10: st->reason_approved_day = (int32_t) (uint32_t) x; break;
        case 11: ok = s_periods_in (v, &f); break;
        case 12: ok = s_reason_in (&in, &f); break;
        case 13: ok = ok && f.total == 2; st->has_lag = x != 0; break;
        case 14: ok = s_double_in (&f, &st->lag_pp); break;
        case 15: ok = s_double_in (&f, &st->planned_pct); break;
        case 16: ok = s_double_in (&f, &st->actual_pct); break;
        case 17: st->events = (uint32_t) x; break;
        case 18: st->reports = x; break;
        case 19: st->last_report_at = (int64_t) x; break;
        case 20: st->sources_period = (int64_t) x; break;
        case 21: st->sources_mask = (uint32_t) x; break;
        case 22: st->period_reports = (uint32_t) x; break;
        case 23: st->period_reports_commissioner = (uint32_t) x; break;
        case 24: st->period_reports_unit = (uint32_t) x; break;
        case 25: st->period_reports_local = (uint32_t) x; break;
        case 26: st->last_report_seq = x; break;
        case 27: st->close_prev_level = (Sitewatch__V1__Level) (int32_t) (uint32_t) x; break;
        default: ok = false; break; /* a field of a newer contract */
        }
        if (!ok)
            return false;
    }
    return !rd.bad;
}

void
rules_state_view_judged (rules_state_view_t *v, const rules_reason_t *reasons, size_t n,
                         void (*fill) (Sitewatch__V1__Reason *out, const rules_reason_t *r,
                                       char *code, char *detail, char *problem_id))
{
    if (n > RULES_MAX_REASONS)
        n = RULES_MAX_REASONS;
    for (size_t i = 0; i < n; i++) {
        v->judged[i] = reasons[i];
        rules_reason_t *r = &v->judged[i];
        fill (&v->judged_reasons[i], r, r->code, r->detail, r->problem_id);
        v->judged_reasonp[i] = &v->judged_reasons[i];
    }
    v->st.reasons = v->judged_reasonp;
    v->st.n_reasons = n;
}
