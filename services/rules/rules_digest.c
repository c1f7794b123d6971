/* rules_digest: compiles the express report of one period from plain facts
 * (pure: no store, no clock). The report is encoded as projects are added
 * (rules_digest_add packs each at once), so a close over a million
 * projects holds its encoding, not the projects. */
#include "rules_digest.h"
#include "rules_state.h"
#include "sw_pb.h"

#include <stdlib.h>
#include <string.h>

static void *
s_alloc (size_t n, size_t size)
{
    void *p = calloc (n ? n : 1, size);
    if (!p)
        abort ();
    return p;
}

unsigned
rules_digest_channel_bit (Sitewatch__V1__Source source)
{
    switch (source) {
    case SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER: return RULES_CHANNEL_COMMISSIONER;
    case SITEWATCH__V1__SOURCE__SOURCE_UNIT: return RULES_CHANNEL_UNIT;
    case SITEWATCH__V1__SOURCE__SOURCE_LOCAL: return RULES_CHANNEL_LOCAL;
    default: return 0;
    }
}

static int
s_day_cmp (const void *a, const void *b)
{
    int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
    return x < y ? -1 : x > y;
}

double
rules_digest_site_days (const int32_t *days, size_t n, int32_t last_day, int window_days)
{
    if (window_days < 1 || n == 0)
        return 0;
    int64_t first = (int64_t) last_day - window_days + 1;
    int32_t *in = s_alloc (n, sizeof *in);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((int64_t) days[i] >= first && days[i] <= last_day)
            in[m++] = days[i];
    qsort (in, m, sizeof *in, s_day_cmp);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || in[i] != in[i - 1])
            distinct++;
    free (in);
    return (double) distinct;
}

bool
rules_digest_meets_target (double site_days)
{
    return site_days >= RULES_DIGEST_TARGET_DAYS;
}

/* NONE and NOT_STARTED at the previous close mean "no previous close":
 * GREEN, as the effective rule has it. */
static rules_level_t
s_prev (rules_level_t prev)
{
    return prev == RULES_LEVEL_YELLOW || prev == RULES_LEVEL_RED ? prev : RULES_LEVEL_GREEN;
}

/* One project as the report lists it (borrowing p's strings: packed at
 * once). */
static void
s_project (Sitewatch__V1__DigestProject *d, const rules_digest_project_t *p, bool with_reasons)
{
    sitewatch__v1__digest_project__init (d);
    d->project_id = (char *) (p->project_id ? p->project_id : "");
    d->name = (char *) (p->name ? p->name : "");
    d->commissioner = (char *) (p->commissioner ? p->commissioner : "");
    d->level = p->level == RULES_LEVEL_NONE ? SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED
                                            : (Sitewatch__V1__Level) p->level;
    d->prev_level = (Sitewatch__V1__Level) s_prev (p->prev_level);
    if (with_reasons && p->n_reasons) {
        d->reasons = (Sitewatch__V1__Reason **) p->reasons;
        d->n_reasons = p->n_reasons;
    }
    d->has_lag = p->has_lag;
    d->lag_pp = p->has_lag ? p->lag_pp : 0;
    d->planned_pct = p->planned_pct;
    d->actual_pct = p->has_lag ? p->actual_pct : 0;
    d->by_commissioner = (p->channels & RULES_CHANNEL_COMMISSIONER) != 0;
    d->by_unit = (p->channels & RULES_CHANNEL_UNIT) != 0;
    d->by_local = (p->channels & RULES_CHANNEL_LOCAL) != 0;
    d->reports = p->reports[0] + p->reports[1] + p->reports[2];
}

/* One project as a field of the report: encoded by hand into the stack,
 * protobuf-c's when it does not fit. */
static void
s_put_project (sw_pb_buf_t *b, uint32_t number, const Sitewatch__V1__DigestProject *d)
{
    uint8_t buf[4096];
    size_t n = rules_digest_project_encode (d, buf, sizeof buf);
    if (n)
        sw_pb_buf_bytes (b, number, buf, n);
    else
        sw_pb_buf_message (b, number, &d->base);
}

typedef struct {
    const char *id;
    size_t index;
} s_cref_t;

static int
s_cref_cmp (const void *a, const void *b)
{
    return strcmp (((const s_cref_t *) a)->id, ((const s_cref_t *) b)->id);
}

/* Digest field numbers (proto/sitewatch.proto). */
enum {
    F_PERIOD = 1, F_FIRST_DAY, F_LAST_DAY, F_CLOSED_AT, F_ZONE, F_TZ, F_GREEN, F_YELLOW, F_RED,
    F_NOT_STARTED, F_FLAGGED, F_NEW_YELLOW, F_NEW_RED, F_CLEARED, F_NO_REPORT, F_PROJECTS,
    F_REPORTS_COMMISSIONER, F_REPORTS_UNIT, F_REPORTS_LOCAL, F_COMMISSIONERS,
    F_HISTORY = 26,
};

struct rules_digest_builder_t {
    rules_digest_input_t in;     /* projects unused */
    uint32_t green, yellow, red, not_started;
    uint32_t reports[3];
    size_t n_no_report;
    /* each a run of encoded fields of the report, in the order they go out */
    sw_pb_buf_t head, flagged_red, flagged_yellow, new_yellow, new_red, cleared, no_report,
        projects, tail;
    /* per commissioner (input order): its project ids (encoded field 3 of
     * DigestCommissioner) and reports; sorted: ids to input index */
    sw_pb_buf_t *c_ids;
    uint32_t *c_reports;
    s_cref_t *sorted;
    size_t n_sorted;
    struct iovec piece[10];
};

rules_digest_builder_t *
rules_digest_begin (const rules_digest_input_t *in)
{
    rules_digest_builder_t *b = s_alloc (1, sizeof *b);
    b->in = *in;
    b->in.projects = NULL;
    b->in.n_projects = 0;
    size_t nc = in->n_commissioners;
    b->c_ids = s_alloc (nc, sizeof *b->c_ids);
    b->c_reports = s_alloc (nc, sizeof *b->c_reports);
    b->sorted = s_alloc (nc, sizeof *b->sorted);
    for (size_t i = 0; i < nc; i++)
        if (in->commissioners[i].commissioner_id) {
            b->sorted[b->n_sorted].id = in->commissioners[i].commissioner_id;
            b->sorted[b->n_sorted].index = i;
            b->n_sorted++;
        }
    qsort (b->sorted, b->n_sorted, sizeof *b->sorted, s_cref_cmp);
    return b;
}

static void
s_id (sw_pb_buf_t *b, uint32_t number, const char *id)
{
    sw_pb_buf_bytes (b, number, id ? id : "", id ? strlen (id) : 0);
}

void
rules_digest_add (rules_digest_builder_t *b, const rules_digest_project_t *p)
{
    rules_level_t prev = s_prev (p->prev_level);
    switch (p->level) {
    case RULES_LEVEL_GREEN: b->green++; break;
    case RULES_LEVEL_YELLOW: b->yellow++; break;
    case RULES_LEVEL_RED: b->red++; break;
    default: b->not_started++; break;
    }
    if (p->level == RULES_LEVEL_YELLOW && prev != RULES_LEVEL_YELLOW)
        s_id (&b->new_yellow, F_NEW_YELLOW, p->project_id);
    if (p->level == RULES_LEVEL_RED && prev != RULES_LEVEL_RED)
        s_id (&b->new_red, F_NEW_RED, p->project_id);
    if (p->level == RULES_LEVEL_GREEN && prev != RULES_LEVEL_GREEN)
        s_id (&b->cleared, F_CLEARED, p->project_id);
    bool judged = p->level == RULES_LEVEL_GREEN || p->level == RULES_LEVEL_YELLOW
                  || p->level == RULES_LEVEL_RED;
    if (judged && !p->reported) {
        s_id (&b->no_report, F_NO_REPORT, p->project_id);
        b->n_no_report++;
    }
    for (int i = 0; i < 3; i++)
        b->reports[i] += p->reports[i];
    Sitewatch__V1__DigestProject dp;
    s_project (&dp, p, false);
    s_put_project (&b->projects, F_PROJECTS, &dp);
    /* Flagged: red first, then yellow; input order within a level. */
    if (p->level == RULES_LEVEL_RED || p->level == RULES_LEVEL_YELLOW) {
        s_project (&dp, p, true);
        s_put_project (p->level == RULES_LEVEL_RED ? &b->flagged_red : &b->flagged_yellow,
                       F_FLAGGED, &dp);
    }
    /* The commissioner's: one binary search (O(P log C), not P x C). */
    if (p->commissioner) {
        s_cref_t key = { p->commissioner, 0 };
        const s_cref_t *hit = bsearch (&key, b->sorted, b->n_sorted, sizeof *b->sorted, s_cref_cmp);
        /* duplicate ids cannot pass the registry; take the first anyway */
        while (hit && hit > b->sorted && strcmp (hit[-1].id, p->commissioner) == 0)
            hit--;
        if (hit) {
            s_id (&b->c_ids[hit->index], 3, p->project_id);
            b->c_reports[hit->index] += p->reports[0] + p->reports[1] + p->reports[2];
        }
    }
}

static int
s_point_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__DigestHistoryPoint *x = *(Sitewatch__V1__DigestHistoryPoint *const *) a;
    const Sitewatch__V1__DigestHistoryPoint *y = *(Sitewatch__V1__DigestHistoryPoint *const *) b;
    return x->period < y->period ? -1 : x->period > y->period;
}

/* The earlier points (one per period before this one) plus now, ascending,
 * the latest RULES_DIGEST_HISTORY. */
static void
s_history (sw_pb_buf_t *out, const rules_digest_input_t *in, Sitewatch__V1__DigestHistoryPoint *now)
{
    Sitewatch__V1__DigestHistoryPoint **all = s_alloc (in->n_history + 1, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < in->n_history; i++) {
        Sitewatch__V1__DigestHistoryPoint *h = in->history[i];
        if (!h || h->period >= in->period)
            continue;
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            if (all[j]->period == h->period)
                seen = true;
        if (!seen)
            all[n++] = h;
    }
    qsort (all, n, sizeof *all, s_point_cmp);
    all[n++] = now;
    size_t drop = n > RULES_DIGEST_HISTORY ? n - RULES_DIGEST_HISTORY : 0;
    for (size_t i = drop; i < n; i++) {
        /* only the known fields: an old point's unknown ones stay behind */
        Sitewatch__V1__DigestHistoryPoint c = SITEWATCH__V1__DIGEST_HISTORY_POINT__INIT;
        c.period = all[i]->period;
        c.green = all[i]->green;
        c.yellow = all[i]->yellow;
        c.red = all[i]->red;
        c.not_started = all[i]->not_started;
        sw_pb_buf_message (out, F_HISTORY, &c.base);
    }
    free (all);
}

void
rules_digest_finish (rules_digest_builder_t *b, rules_digest_encoded_t *out)
{
    const rules_digest_input_t *in = &b->in;
    /* Scalars; proto3 leaves zeros out. */
    Sitewatch__V1__Digest h = SITEWATCH__V1__DIGEST__INIT;
    h.period = in->period;
    h.first_day = in->first_day;
    h.last_day = in->last_day;
    h.closed_at = in->closed_at;
    h.zone_name = (char *) (in->zone_name ? in->zone_name : "");
    h.timezone = (char *) (in->timezone ? in->timezone : "");
    h.green = b->green;
    h.yellow = b->yellow;
    h.red = b->red;
    h.not_started = b->not_started;
    h.reports_commissioner = b->reports[0];
    h.reports_unit = b->reports[1];
    h.reports_local = b->reports[2];
    sw_pb_buf_fields (&b->head, &h.base);

    /* Commissioners: the figures packed, then the project ids. */
    for (size_t i = 0; i < in->n_commissioners; i++) {
        const rules_digest_commissioner_t *c = &in->commissioners[i];
        Sitewatch__V1__DigestCommissioner dc = SITEWATCH__V1__DIGEST_COMMISSIONER__INIT;
        dc.commissioner_id = (char *) (c->commissioner_id ? c->commissioner_id : "");
        dc.name = (char *) (c->name ? c->name : "");
        dc.reports = b->c_reports[i];
        dc.site_days = rules_digest_site_days (c->checkin_days, c->n_checkin_days, in->last_day,
                                               RULES_DIGEST_WINDOW_DAYS);
        dc.target_days = RULES_DIGEST_TARGET_DAYS;
        dc.meets_target = rules_digest_meets_target (dc.site_days);
        size_t fs = protobuf_c_message_get_packed_size (&dc.base);
        uint8_t lh[15];
        sw_pb_buf_add (&b->tail, lh, sw_pb_put_len_head (lh, F_COMMISSIONERS, fs + b->c_ids[i].len));
        sw_pb_buf_fields (&b->tail, &dc.base);
        sw_pb_buf_add (&b->tail, b->c_ids[i].data, b->c_ids[i].len);
    }

    Sitewatch__V1__DigestHistoryPoint now = SITEWATCH__V1__DIGEST_HISTORY_POINT__INIT;
    now.period = in->period;
    now.green = b->green;
    now.yellow = b->yellow;
    now.red = b->red;
    now.not_started = b->not_started;
    s_history (&b->tail, in, &now);

    const sw_pb_buf_t *order[] = { &b->head, &b->flagged_red, &b->flagged_yellow, &b->new_yellow,
                                   &b->new_red, &b->cleared, &b->no_report, &b->projects, &b->tail };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        b->piece[i] = (struct iovec) { order[i]->data, order[i]->len };
    memset (out, 0, sizeof *out);
    out->piece = b->piece;
    out->n_pieces = n;
    out->size = sw_pb_iov_size (b->piece, n);
    out->point = now;
    out->n_no_report = b->n_no_report;
}

void
rules_digest_builder_free (rules_digest_builder_t **b_p)
{
    if (!b_p || !*b_p)
        return;
    rules_digest_builder_t *b = *b_p;
    sw_pb_buf_t *bufs[] = { &b->head, &b->flagged_red, &b->flagged_yellow, &b->new_yellow,
                            &b->new_red, &b->cleared, &b->no_report, &b->projects, &b->tail };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        sw_pb_buf_free (bufs[i]);
    for (size_t i = 0; i < b->in.n_commissioners; i++)
        sw_pb_buf_free (&b->c_ids[i]);
    free (b->c_ids);
    free (b->c_reports);
    free (b->sorted);
    free (b);
    *b_p = NULL;
}

Sitewatch__V1__Digest *
rules_digest_compile (const rules_digest_input_t *in)
{
    rules_digest_builder_t *b = rules_digest_begin (in);
    for (size_t i = 0; i < in->n_projects; i++)
        rules_digest_add (b, &in->projects[i]);
    rules_digest_encoded_t enc;
    rules_digest_finish (b, &enc);
    uint8_t *bytes = s_alloc (enc.size, 1);
    sw_pb_iov_copy (bytes, enc.piece, enc.n_pieces);
    Sitewatch__V1__Digest *d = sitewatch__v1__digest__unpack (NULL, enc.size, bytes);
    free (bytes);
    rules_digest_builder_free (&b);
    if (!d)
        abort (); /* what we encode decodes: a bug otherwise */
    return d;
}

void
rules_digest_destroy (Sitewatch__V1__Digest **digest_p)
{
    if (digest_p && *digest_p) {
        sitewatch__v1__digest__free_unpacked (*digest_p, NULL);
        *digest_p = NULL;
    }
}
