/* rules_digest: compiles the express report of one period from plain facts
 * (pure: no store, no clock). Everything in the result is a fresh copy so the
 * caller may free its inputs at once. */
#include "rules_digest.h"

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

static char *
s_dup (const char *s)
{
    char *d = strdup (s ? s : "");
    if (!d)
        abort ();
    return d;
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

static Sitewatch__V1__Reason *
s_reason_copy (const Sitewatch__V1__Reason *r)
{
    Sitewatch__V1__Reason *c = s_alloc (1, sizeof *c);
    sitewatch__v1__reason__init (c);
    c->code = s_dup (r->code);
    c->lag_pp = r->lag_pp;
    c->planned_pct = r->planned_pct;
    c->actual_pct = r->actual_pct;
    c->forecast_finish_day = r->forecast_finish_day;
    c->period = r->period;
    c->detail = s_dup (r->detail);
    c->threshold = r->threshold;
    c->problem_id = s_dup (r->problem_id);
    return c;
}

static Sitewatch__V1__DigestProject *
s_project (const rules_digest_project_t *p, bool with_reasons)
{
    Sitewatch__V1__DigestProject *d = s_alloc (1, sizeof *d);
    sitewatch__v1__digest_project__init (d);
    d->project_id = s_dup (p->project_id);
    d->name = s_dup (p->name);
    d->commissioner = s_dup (p->commissioner);
    d->level = p->level == RULES_LEVEL_NONE ? SITEWATCH__V1__LEVEL__LEVEL_NOT_STARTED
                                            : (Sitewatch__V1__Level) p->level;
    d->prev_level = (Sitewatch__V1__Level) s_prev (p->prev_level);
    if (with_reasons && p->n_reasons) {
        d->reasons = s_alloc (p->n_reasons, sizeof *d->reasons);
        for (size_t i = 0; i < p->n_reasons; i++)
            d->reasons[i] = s_reason_copy (p->reasons[i]);
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
    return d;
}

/* A list of ids, filled in order by s_ids_add (grows geometrically: a
 * list per commissioner must not cost a whole project list each). */
typedef struct {
    char **ids;
    size_t n;
    size_t cap;
} s_ids_t;

static void
s_ids_add (s_ids_t *l, const char *id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **ids = realloc (l->ids, cap * sizeof *ids);
        if (!ids)
            abort ();
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = s_dup (id);
}

static int
s_point_cmp (const void *a, const void *b)
{
    const Sitewatch__V1__DigestHistoryPoint *x = *(Sitewatch__V1__DigestHistoryPoint *const *) a;
    const Sitewatch__V1__DigestHistoryPoint *y = *(Sitewatch__V1__DigestHistoryPoint *const *) b;
    return x->period < y->period ? -1 : x->period > y->period;
}

static void
s_history (Sitewatch__V1__Digest *d, const rules_digest_input_t *in)
{
    Sitewatch__V1__DigestHistoryPoint **all = s_alloc (in->n_history + 1, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < in->n_history; i++) {
        const Sitewatch__V1__DigestHistoryPoint *h = in->history[i];
        if (!h || h->period >= in->period)
            continue;
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            if (all[j]->period == h->period)
                seen = true;
        if (seen)
            continue;
        Sitewatch__V1__DigestHistoryPoint *c = s_alloc (1, sizeof *c);
        *c = *h;
        c->base.unknown_fields = NULL;
        c->base.n_unknown_fields = 0;
        all[n++] = c;
    }
    qsort (all, n, sizeof *all, s_point_cmp);
    Sitewatch__V1__DigestHistoryPoint *now = s_alloc (1, sizeof *now);
    sitewatch__v1__digest_history_point__init (now);
    now->period = in->period;
    now->green = d->green;
    now->yellow = d->yellow;
    now->red = d->red;
    now->not_started = d->not_started;
    all[n++] = now;
    /* Keep the latest RULES_DIGEST_HISTORY, oldest first. */
    size_t drop = n > RULES_DIGEST_HISTORY ? n - RULES_DIGEST_HISTORY : 0;
    for (size_t i = 0; i < drop; i++)
        free (all[i]);
    memmove (all, all + drop, (n - drop) * sizeof *all);
    d->history = all;
    d->n_history = n - drop;
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

/* Each commissioner's projects and reports: one pass over the projects,
 * finding each one's commissioner by binary search (O(P log C), not P x C). */
static void
s_commissioners (Sitewatch__V1__Digest *d, const rules_digest_input_t *in)
{
    size_t nc = in->n_commissioners;
    if (!nc)
        return;
    d->commissioners = s_alloc (nc, sizeof *d->commissioners);
    s_ids_t *lists = s_alloc (nc, sizeof *lists);
    s_cref_t *sorted = s_alloc (nc, sizeof *sorted);
    size_t ns = 0;
    for (size_t i = 0; i < nc; i++) {
        const rules_digest_commissioner_t *c = &in->commissioners[i];
        Sitewatch__V1__DigestCommissioner *dc = s_alloc (1, sizeof *dc);
        sitewatch__v1__digest_commissioner__init (dc);
        dc->commissioner_id = s_dup (c->commissioner_id);
        dc->name = s_dup (c->name);
        dc->site_days = rules_digest_site_days (c->checkin_days, c->n_checkin_days, in->last_day,
                                                RULES_DIGEST_WINDOW_DAYS);
        dc->target_days = RULES_DIGEST_TARGET_DAYS;
        dc->meets_target = rules_digest_meets_target (dc->site_days);
        d->commissioners[d->n_commissioners++] = dc;
        if (c->commissioner_id) {
            sorted[ns].id = c->commissioner_id;
            sorted[ns].index = i;
            ns++;
        }
    }
    qsort (sorted, ns, sizeof *sorted, s_cref_cmp);
    for (size_t p = 0; p < in->n_projects; p++) {
        const rules_digest_project_t *pr = &in->projects[p];
        if (!pr->commissioner)
            continue;
        s_cref_t key = { pr->commissioner, 0 };
        const s_cref_t *hit = bsearch (&key, sorted, ns, sizeof *sorted, s_cref_cmp);
        /* duplicate ids cannot pass the registry; take the first anyway */
        while (hit && hit > sorted && strcmp (hit[-1].id, pr->commissioner) == 0)
            hit--;
        if (!hit)
            continue;
        Sitewatch__V1__DigestCommissioner *dc = d->commissioners[hit->index];
        s_ids_add (&lists[hit->index], pr->project_id);
        dc->reports += pr->reports[0] + pr->reports[1] + pr->reports[2];
    }
    for (size_t i = 0; i < nc; i++) {
        d->commissioners[i]->projects = lists[i].ids;
        d->commissioners[i]->n_projects = lists[i].n;
    }
    free (lists);
    free (sorted);
}

Sitewatch__V1__Digest *
rules_digest_compile (const rules_digest_input_t *in)
{
    Sitewatch__V1__Digest *d = s_alloc (1, sizeof *d);
    sitewatch__v1__digest__init (d);
    d->period = in->period;
    d->first_day = in->first_day;
    d->last_day = in->last_day;
    d->closed_at = in->closed_at;
    d->zone_name = s_dup (in->zone_name);
    d->timezone = s_dup (in->timezone);

    size_t n = in->n_projects;
    s_ids_t new_yellow = {NULL, 0, 0}, new_red = {NULL, 0, 0}, cleared = {NULL, 0, 0}, no_report = {NULL, 0, 0};
    if (n) {
        d->projects = s_alloc (n, sizeof *d->projects);
        d->flagged = s_alloc (n, sizeof *d->flagged);
    }
    for (size_t i = 0; i < n; i++) {
        const rules_digest_project_t *p = &in->projects[i];
        rules_level_t prev = s_prev (p->prev_level);
        switch (p->level) {
        case RULES_LEVEL_GREEN: d->green++; break;
        case RULES_LEVEL_YELLOW: d->yellow++; break;
        case RULES_LEVEL_RED: d->red++; break;
        default: d->not_started++; break;
        }
        if (p->level == RULES_LEVEL_YELLOW && prev != RULES_LEVEL_YELLOW)
            s_ids_add (&new_yellow, p->project_id);
        if (p->level == RULES_LEVEL_RED && prev != RULES_LEVEL_RED)
            s_ids_add (&new_red, p->project_id);
        if (p->level == RULES_LEVEL_GREEN && prev != RULES_LEVEL_GREEN)
            s_ids_add (&cleared, p->project_id);
        bool judged = p->level == RULES_LEVEL_GREEN || p->level == RULES_LEVEL_YELLOW
                      || p->level == RULES_LEVEL_RED;
        if (judged && !p->reported)
            s_ids_add (&no_report, p->project_id);
        d->reports_commissioner += p->reports[0];
        d->reports_unit += p->reports[1];
        d->reports_local += p->reports[2];
        d->projects[d->n_projects++] = s_project (p, false);
    }
    /* Flagged: red first, then yellow; input order within a level. */
    static const rules_level_t order[] = {RULES_LEVEL_RED, RULES_LEVEL_YELLOW};
    for (size_t o = 0; o < 2; o++)
        for (size_t i = 0; i < n; i++)
            if (in->projects[i].level == order[o])
                d->flagged[d->n_flagged++] = s_project (&in->projects[i], true);
    d->new_yellow = new_yellow.ids;
    d->n_new_yellow = new_yellow.n;
    d->new_red = new_red.ids;
    d->n_new_red = new_red.n;
    d->cleared = cleared.ids;
    d->n_cleared = cleared.n;
    d->no_report = no_report.ids;
    d->n_no_report = no_report.n;

    s_commissioners (d, in);
    d->cases_available = false;
    s_history (d, in);
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
