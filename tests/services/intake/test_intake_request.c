/* intake_request_view against protobuf-c: report requests packed by
 * protobuf-c, and byte strings it reads (repeated scalars and strings, a
 * later one winning; negative and over-long varints in 32-bit fields) give
 * the same fields through the view; what the view leaves to protobuf-c
 * (another body, a second report, problems, resolutions, unknown fields,
 * wrong wire types, a NUL in a string, too many string bytes, malformed
 * bytes) is refused, never read differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "intake_request.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

static void
s_same (const char *row, const uint8_t *data, size_t size)
{
    intake_request_view_t *v = malloc (sizeof *v);
    assert_non_null (v);
    Sitewatch__V1__Request *want = sitewatch__v1__request__unpack (NULL, size, data);
    if (!want)
        fail_msg ("%s: protobuf-c refused it", row);
    if (!intake_request_view (data, size, v))
        fail_msg ("%s: refused", row);
    const Sitewatch__V1__Request *got = &v->req;
    if (got->version != want->version || strcmp (got->request_id, want->request_id) != 0
        || got->body_case != want->body_case || got->report != &v->report)
        fail_msg ("%s: request head differs (version %u, id '%s')", row, got->version,
                  got->request_id);
    const Sitewatch__V1__Report *g = got->report, *w = want->report;
    const char *gs[] = { g->report_id, g->project_id, g->reporter_id, g->legitimate_reason };
    const char *ws[] = { w->report_id, w->project_id, w->reporter_id, w->legitimate_reason };
    for (size_t i = 0; i < N_ELEM (gs); i++)
        if (strcmp (gs[i], ws[i]) != 0)
            fail_msg ("%s: string %zu '%s', want '%s'", row, i, gs[i], ws[i]);
    if (g->source != w->source || g->observed_at != w->observed_at
        || g->percent_bp != w->percent_bp || g->received_at != w->received_at)
        fail_msg ("%s: scalars source %d observed %lld bp %d received %lld, want %d %lld %d %lld",
                  row, g->source, (long long) g->observed_at, g->percent_bp,
                  (long long) g->received_at, w->source, (long long) w->observed_at,
                  w->percent_bp, (long long) w->received_at);
    if (g->n_problems || g->n_resolves || w->n_problems || w->n_resolves)
        fail_msg ("%s: problems or resolutions", row);
    sitewatch__v1__request__free_unpacked (want, NULL);
    free (v);
}

static bool
s_refused (const uint8_t *data, size_t size)
{
    intake_request_view_t *v = malloc (sizeof *v);
    assert_non_null (v);
    bool ok = intake_request_view (data, size, v);
    free (v);
    return !ok;
}

typedef struct {
    const char *request_id, *report_id, *project_id, *reporter_id, *reason;
    int32_t percent_bp;
    int64_t observed_at, received_at;
    Sitewatch__V1__Source source;
    size_t n_problems, n_resolves;
} s_req_t;

static size_t
s_pack (uint8_t *buf, const s_req_t *in)
{
    Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
    Sitewatch__V1__Problem pr = SITEWATCH__V1__PROBLEM__INIT, *prs[] = { &pr };
    char *res[] = { "JD001-R1/1" };
    rep.report_id = (char *) in->report_id;
    rep.project_id = (char *) in->project_id;
    rep.reporter_id = (char *) in->reporter_id;
    rep.legitimate_reason = (char *) in->reason;
    rep.percent_bp = in->percent_bp;
    rep.observed_at = in->observed_at;
    rep.received_at = in->received_at;
    rep.source = in->source;
    pr.text = "crane down";
    pr.severity = SITEWATCH__V1__SEVERITY__SEVERITY_MAJOR;
    rep.problems = prs;
    rep.n_problems = in->n_problems;
    rep.resolves = res;
    rep.n_resolves = in->n_resolves;
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    req.version = 1;
    req.request_id = (char *) in->request_id;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
    req.report = &rep;
    return protobuf_c_message_pack (&req.base, buf);
}

static void
test_packed_table (void **state)
{
    (void) state;
    static uint8_t buf[8192];
    static char long_reason[1100];
    memset (long_reason, 'r', 1000);
    const char *sample = "01J9ZK3Q6Y8T2V4W6X8Z0A2B4C";
    struct {
        const char *row;
        s_req_t in;
        bool ok;
    } rows[] = {
        { "device report",
          { "0.1", sample, "JD001", "", "", 3000, 1773100800000, 0,
            SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 0, 0 },
          true },
        { "every field",
          { "r-9", sample, "JD001", "C1", "降雨停工 rain", 10000, 1773100800000, 1773100801234,
            SITEWATCH__V1__SOURCE__SOURCE_LOCAL, 0, 0 },
          true },
        { "all defaults", { "", "", "", "", "", 0, 0, 0, 0, 0, 0 }, true },
        { "negative percent and instant",
          { "x", "a", "b", "", "", -5, -86400000, -1, SITEWATCH__V1__SOURCE__SOURCE_UNIT, 0, 0 },
          true },
        { "1 000-byte reason", { "x", "a", "b", "", long_reason, 1, 1, 1, 1, 0, 0 }, true },
        { "problems", { "x", "a", "b", "", "", 1, 1, 1, 1, 1, 0 }, false },
        { "resolves", { "x", "a", "b", "", "", 1, 1, 1, 1, 0, 1 }, false },
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        size_t n = s_pack (buf, &rows[i].in);
        if (rows[i].ok)
            s_same (rows[i].row, buf, n);
        else if (!s_refused (buf, n))
            fail_msg ("%s: read, want refused", rows[i].row);
    }
    /* strings over INTAKE_REQUEST_STRINGS_MAX in all: left to protobuf-c */
    memset (long_reason, 'r', 1050);
    s_req_t big = { "x", "a", "b", "", long_reason, 1, 1, 1, 1, 0, 0 };
    size_t n = s_pack (buf, &big);
    Sitewatch__V1__Request *q = sitewatch__v1__request__unpack (NULL, n, buf);
    assert_non_null (q);
    sitewatch__v1__request__free_unpacked (q, NULL);
    assert_true (s_refused (buf, n));
}

static void
test_bytes_table (void **state)
{
    (void) state;
    /* Read alike: fields repeated (the later wins), out of order, and
     * 32-bit fields sent as 10-byte negative varints or wider than 32 bits
     * (protobuf-c keeps the low 32 bits). */
    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } same[] = {
        { "minimal", (const uint8_t[]) { 0x08, 0x01, 0x52, 0x00 }, 4 },
        { "report before version", (const uint8_t[]) { 0x52, 0x03, 0x0A, 0x01, 'R', 0x08, 0x01 },
          7 },
        { "request_id twice",
          (const uint8_t[]) { 0x12, 0x01, 'a', 0x12, 0x02, 'b', 'c', 0x52, 0x00 }, 9 },
        { "percent twice, project twice",
          (const uint8_t[]) { 0x52, 0x0C, 0x30, 0x05, 0x12, 0x01, 'P', 0x30, 0x07, 0x12, 0x03,
                              'Q', 'R', 'S' },
          14 },
        { "percent -1 as 10 bytes",
          (const uint8_t[]) { 0x52, 0x0B, 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xFF, 0x01 },
          13 },
        { "percent wider than 32 bits",
          (const uint8_t[]) { 0x52, 0x07, 0x30, 0x85, 0x80, 0x80, 0x80, 0x80, 0x01 }, 9 },
        { "source out of the enum", (const uint8_t[]) { 0x52, 0x02, 0x20, 0x63 }, 4 },
        { "version 2", (const uint8_t[]) { 0x08, 0x02, 0x52, 0x00 }, 4 },
        { "invalid UTF-8 kept as bytes",
          (const uint8_t[]) { 0x52, 0x04, 0x0A, 0x02, 0xC3, 0x28 }, 6 },
    };
    for (size_t i = 0; i < N_ELEM (same); i++)
        s_same (same[i].row, same[i].data, same[i].size);

    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } refused[] = {
        { "empty request (no body)", (const uint8_t[]) { 0x08, 0x01 }, 2 },
        { "two reports (protobuf-c merges them)",
          (const uint8_t[]) { 0x52, 0x02, 0x30, 0x05, 0x52, 0x02, 0x30, 0x07 }, 8 },
        { "a check-in", (const uint8_t[]) { 0x5A, 0x00 }, 2 },
        { "a report then a check-in", (const uint8_t[]) { 0x52, 0x00, 0x5A, 0x00 }, 4 },
        { "unknown request field", (const uint8_t[]) { 0x52, 0x00, 0xA0, 0x06, 0x07 }, 5 },
        { "unknown report field", (const uint8_t[]) { 0x52, 0x03, 0xA0, 0x06, 0x07 }, 5 },
        { "version as bytes", (const uint8_t[]) { 0x0A, 0x00, 0x52, 0x00 }, 4 },
        { "request_id as a varint", (const uint8_t[]) { 0x10, 0x01, 0x52, 0x00 }, 4 },
        { "report as a varint", (const uint8_t[]) { 0x50, 0x01 }, 2 },
        { "percent as bytes", (const uint8_t[]) { 0x52, 0x03, 0x32, 0x01, 0x00 }, 5 },
        { "report_id as a varint", (const uint8_t[]) { 0x52, 0x02, 0x08, 0x01 }, 4 },
        { "a NUL in report_id", (const uint8_t[]) { 0x52, 0x04, 0x0A, 0x02, 'a', 0x00 }, 6 },
        { "truncated report", (const uint8_t[]) { 0x52, 0x05, 0x0A, 0x01 }, 4 },
        { "truncated string", (const uint8_t[]) { 0x52, 0x03, 0x0A, 0x05, 'a' }, 5 },
        { "truncated varint", (const uint8_t[]) { 0x52, 0x02, 0x30, 0x85 }, 4 },
        { "group wire type", (const uint8_t[]) { 0x52, 0x01, 0x0B }, 3 },
        /* protobuf-c refuses these: a report journaled from them would be
         * lost downstream */
        { "report_id tag of 6 bytes",
          (const uint8_t[]) { 0x08, 0x01, 0x52, 0x08, 0x8A, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01,
                              'R' },
          12 },
        { "report_id length of 6 bytes",
          (const uint8_t[]) { 0x08, 0x01, 0x52, 0x08, 0x0A, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00,
                              'R' },
          12 },
    };
    for (size_t i = 0; i < N_ELEM (refused); i++)
        if (!s_refused (refused[i].data, refused[i].size))
            fail_msg ("%s: read, want refused", refused[i].row);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_packed_table),
        cmocka_unit_test (test_bytes_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
