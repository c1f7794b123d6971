/* rules_report_read against protobuf-c: a table of reports packed by
 * protobuf-c (and of byte strings it reads, concatenations among them) must
 * give the fields protobuf-c unpacks; what rules leaves to the unpacked path
 * (problems, resolutions, wrong wire types, long ids, malformed bytes) must
 * be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rules_report.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

static size_t
s_pack (const Sitewatch__V1__Report *r, uint8_t *out)
{
    return protobuf_c_message_pack (&r->base, out);
}

/* The bytes read both ways give the same fields. */
static void
s_same (const char *row, const uint8_t *data, size_t size)
{
    rules_report_fields_t got;
    if (!rules_report_read (data, size, &got))
        fail_msg ("%s: refused", row);
    Sitewatch__V1__Report *want = sitewatch__v1__report__unpack (NULL, size, data);
    if (!want)
        fail_msg ("%s: protobuf-c refused it", row);
    if (strcmp (got.project_id, want->project_id) != 0)
        fail_msg ("%s: project_id '%s', want '%s'", row, got.project_id, want->project_id);
    if (got.source != want->source || got.observed_at != want->observed_at
        || got.percent_bp != want->percent_bp)
        fail_msg ("%s: source %d observed_at %lld percent_bp %d, want %d %lld %d", row,
                  (int) got.source, (long long) got.observed_at, (int) got.percent_bp,
                  (int) want->source, (long long) want->observed_at, (int) want->percent_bp);
    if (got.reason_len != strlen (want->legitimate_reason)
        || (got.reason_len && memcmp (got.reason, want->legitimate_reason, got.reason_len) != 0))
        fail_msg ("%s: legitimate_reason differs", row);
    sitewatch__v1__report__free_unpacked (want, NULL);
}

static void
test_reads_like_protobuf_c (void **state)
{
    (void) state;
    static char long_id[257];
    memset (long_id, 'P', 256);
    char *resolves[] = { "r0/1" };
    Sitewatch__V1__Problem problem = SITEWATCH__V1__PROBLEM__INIT, *problems[] = { &problem };
    problem.text = "crane down";
    struct {
        const char *row;
        const char *project;
        Sitewatch__V1__Source source;
        int64_t observed_at;
        int32_t percent_bp;
        const char *reason;
    } rows[] = {
        { "plain", "P1", SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 1773194400000, 3000, "" },
        { "unit, no percent", "JD-001", SITEWATCH__V1__SOURCE__SOURCE_UNIT, 1773194400000, 0, "" },
        { "negative percent (10-byte varint)", "P1", SITEWATCH__V1__SOURCE__SOURCE_LOCAL, 1, -5, "" },
        { "negative instant", "P1", SITEWATCH__V1__SOURCE__SOURCE_UNSPECIFIED, -86400000, 10000, "" },
        { "a reason", "P2", SITEWATCH__V1__SOURCE__SOURCE_UNIT, 1773194400000, 1200,
          "拆迁延误 demolition delayed" },
        { "id of 256 bytes", long_id, SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 5, 5, "" },
        { "no project", "", SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 5, 5, "" },
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        Sitewatch__V1__Report r = SITEWATCH__V1__REPORT__INIT;
        r.report_id = "01JD00000000000000000000AB";
        r.reporter_id = "C1";
        r.project_id = (char *) rows[i].project;
        r.source = rows[i].source;
        r.observed_at = rows[i].observed_at;
        r.percent_bp = rows[i].percent_bp;
        r.legitimate_reason = (char *) rows[i].reason;
        r.received_at = 1773194400123;
        uint8_t buf[2048];
        size_t n = s_pack (&r, buf);
        s_same (rows[i].row, buf, n);
        /* with problems, or resolutions: the unpacked path */
        rules_report_fields_t out;
        r.problems = problems;
        r.n_problems = 1;
        n = s_pack (&r, buf);
        if (rules_report_read (buf, n, &out))
            fail_msg ("%s: read despite its problems", rows[i].row);
        r.n_problems = 0;
        r.resolves = resolves;
        r.n_resolves = 1;
        n = s_pack (&r, buf);
        if (rules_report_read (buf, n, &out))
            fail_msg ("%s: read despite its resolutions", rows[i].row);
    }
}

static void
test_bytes_table (void **state)
{
    (void) state;
    /* Two encodings one after the other decode as their merge (intake
     * appends reporter_id and received_at so): later fields win. */
    Sitewatch__V1__Report a = SITEWATCH__V1__REPORT__INIT, b = SITEWATCH__V1__REPORT__INIT;
    a.report_id = "r1";
    a.project_id = "P1";
    a.observed_at = 1000;
    a.percent_bp = 2500;
    a.legitimate_reason = "first";
    b.project_id = "P2";
    b.percent_bp = 10;
    b.legitimate_reason = "second";
    uint8_t buf[512];
    size_t n = s_pack (&a, buf);
    n += s_pack (&b, buf + n);
    s_same ("concatenation", buf, n);
    /* an unknown field (number 99, a varint) is skipped */
    const uint8_t unknown[] = { 0x12, 0x02, 'P', '1', 0x98, 0x06, 0x07, 0x30, 0xB8, 0x17 };
    s_same ("unknown field", unknown, sizeof unknown);

    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } refused[] = {
        /* observed_at (5) as length-delimited */
        { "wire type of observed_at", (const uint8_t[]) { 0x2A, 0x01, 0x00 }, 3 },
        /* project_id (2) as a varint */
        { "wire type of project_id", (const uint8_t[]) { 0x10, 0x01 }, 2 },
        /* report_id (1) as a varint */
        { "wire type of report_id", (const uint8_t[]) { 0x08, 0x01 }, 2 },
        /* project_id's length runs past the end */
        { "truncated", (const uint8_t[]) { 0x12, 0x05, 'P', '1' }, 4 },
        /* a varint of 11 bytes */
        { "long varint",
          (const uint8_t[]) { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 },
          12 },
        /* field number 0 */
        { "field 0", (const uint8_t[]) { 0x00, 0x01 }, 2 },
    };
    for (size_t i = 0; i < N_ELEM (refused); i++) {
        rules_report_fields_t out;
        if (rules_report_read (refused[i].data, refused[i].size, &out))
            fail_msg ("%s: read, want refused", refused[i].row);
    }
    /* a project id of 257 bytes is left to protobuf-c */
    static char long_id[258];
    memset (long_id, 'Q', 257);
    Sitewatch__V1__Report l = SITEWATCH__V1__REPORT__INIT;
    l.project_id = long_id;
    uint8_t big[512];
    size_t ln = s_pack (&l, big);
    rules_report_fields_t out;
    assert_false (rules_report_read (big, ln, &out));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reads_like_protobuf_c),
        cmocka_unit_test (test_bytes_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
