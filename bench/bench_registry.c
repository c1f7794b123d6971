/* bench_registry: the synthetic registry of N projects (see bench.h), written
 * as YAML that sw_registry_parse accepts, whole or in chunks small enough for
 * the front door's 16 MiB frame cap (re-importing updates in place, so a
 * registry imported chunk by chunk is the whole registry). */
#include "bench.h"
#include "sw_str.h"

#include <stdlib.h>
#include <string.h>

/* Cycles of BENCH_CYCLE projects; the last one takes the remainder. */
static size_t
s_cycles (size_t n)
{
    size_t full = n / BENCH_CYCLE;
    return full ? full : 1;
}

static size_t
s_cycle_of (size_t n, size_t i)
{
    size_t c = i / BENCH_CYCLE, last = s_cycles (n) - 1;
    return c < last ? c : last;
}

static size_t
s_cycle_len (size_t n, size_t c)
{
    return c + 1 < s_cycles (n) ? BENCH_CYCLE : n - c * BENCH_CYCLE;
}

/* Groups of a cycle of len projects: ceil(len/7) commissioners, as even as
 * possible (18 -> 6+6+6, 35 -> 7*5): every group 5..7 when len >= 18. */
static size_t
s_groups (size_t len)
{
    size_t k = (len + 6) / 7;
    return k ? k : 1;
}

/* Commissioner number of project i. */
static size_t
s_commissioner_of (size_t n, size_t i)
{
    size_t c = s_cycle_of (n, i), len = s_cycle_len (n, c), k = s_groups (len);
    size_t o = i - c * BENCH_CYCLE, q = len / k, big = len % k;
    size_t g = o < big * (q + 1) ? o / (q + 1) : big + (o - big * (q + 1)) / q;
    return c * 3 + g;
}

void
bench_project_id (size_t i, char *buf)
{
    /* "P%07zu" without snprintf: the load generator writes one per report,
     * on the servers' two cores */
    char digits[21];
    size_t n = sw_u64_dec (digits, (uint64_t) i);
    buf[0] = 'P';
    size_t w = 1;
    for (size_t k = n; k < 7; k++)
        buf[w++] = '0';
    memcpy (buf + w, digits, n + 1);
}

long
bench_project_index (const char *id)
{
    if (!id || id[0] != 'P' || !id[1])
        return -1;
    char *end;
    long v = strtol (id + 1, &end, 10);
    return *end || v < 0 ? -1 : v;
}

size_t
bench_registry_last_cycle (size_t n)
{
    return (s_cycles (n) - 1) * BENCH_CYCLE;
}

size_t
bench_registry_chunk_end (size_t n, size_t first, size_t want)
{
    size_t end = first + (want ? want : 1);
    end = (end + BENCH_CYCLE - 1) / BENCH_CYCLE * BENCH_CYCLE;
    size_t last_start = (s_cycles (n) - 1) * BENCH_CYCLE;
    return end > last_start ? n : end;
}

int
bench_registry_write (FILE *out, size_t n, size_t first, size_t end)
{
    if (end > n || first > end)
        return -1;
    fprintf (out,
             "# sitewatch-bench synthetic registry: projects %zu..%zu of %zu\n"
             "zone: Bench Zone\n"
             "timezone: Asia/Shanghai\n"
             "period_anchor: 2026-03-01\n"
             "leaders:\n",
             first, end, n);
    for (int l = 1; l <= BENCH_LEADERS; l++)
        fprintf (out, "  - id: L%d\n    name: Leader %d\n    area: Area %d\n", l, l, l);
    fprintf (out, "commissioners:\n");
    if (end > first) {
        size_t c0 = s_commissioner_of (n, first), c1 = s_commissioner_of (n, end - 1);
        for (size_t c = c0; c <= c1; c++)
            fprintf (out, "  - id: C%06zu\n    name: Commissioner %zu\n", c, c);
    }
    fprintf (out, "projects:%s\n", end > first ? "" : " []");
    for (size_t i = first; i < end; i++) {
        char id[24];
        bench_project_id (i, id);
        fprintf (out,
                 "  - id: %s\n"
                 "    name: Bench project %zu\n"
                 "    kind: %s\n"
                 "    state: started\n"
                 "    commissioner: C%06zu\n"
                 "    unit: Unit %zu\n"
                 "    local_contact: Contact %zu\n"
                 "    leader: L%zu\n"
                 "    start: 2026-03-01\n"
                 "    end: 2026-04-10\n",
                 id, i, i % 3 == 0 ? "government" : "social", s_commissioner_of (n, i), i % 997,
                 i % 4999, i % BENCH_LEADERS + 1);
    }
    return ferror (out) ? -1 : 0;
}

char *
bench_registry_yaml (size_t n, size_t first, size_t end, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&buf, &size);
    if (!f)
        abort ();
    int rc = bench_registry_write (f, n, first, end);
    fclose (f);
    if (rc != 0) {
        free (buf);
        return NULL;
    }
    *len = size;
    return buf;
}
