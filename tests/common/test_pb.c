/* sw_pb: the wire format by hand agrees with protobuf-c both ways (what
 * sw_pb writes protobuf-c reads, what protobuf-c writes sw_pb reads),
 * malformed input stops the reader without reading past the end, and two
 * encodings concatenated decode as their merge: the property escalation
 * relies on when it appends its part to rules' express report. */
#include "sitewatch.pb-c.h"
#include "sw_pb.h"
#include "sw_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void
test_varint_table (void **state)
{
    (void) state;
    static const struct {
        uint64_t v;
        size_t size;
        uint8_t bytes[10];
    } cases[] = {
        { 0, 1, { 0x00 } },
        { 1, 1, { 0x01 } },
        { 127, 1, { 0x7f } },
        { 128, 2, { 0x80, 0x01 } },
        { 300, 2, { 0xac, 0x02 } },
        { 16383, 2, { 0xff, 0x7f } },
        { 16384, 3, { 0x80, 0x80, 0x01 } },
        { UINT32_MAX, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
        { UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
        /* an int64 of -1, as protobuf writes a negative `at` */
        { (uint64_t) INT64_C (-1), 10,
          { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[16];
        assert_int_equal (sw_pb_varint_size (cases[i].v), cases[i].size);
        assert_int_equal (sw_pb_put_varint (out, cases[i].v), cases[i].size);
        assert_memory_equal (out, cases[i].bytes, cases[i].size);
        /* read back as field 5 */
        uint8_t field[16];
        size_t n = sw_pb_put_varint_field (field, 5, cases[i].v);
        sw_pb_reader_t r;
        sw_pb_field_t f;
        sw_pb_reader (&r, field, n);
        assert_true (sw_pb_next (&r, &f));
        assert_int_equal (f.number, 5);
        assert_int_equal (f.wire, SW_PB_VARINT);
        assert_true (f.value == cases[i].v);
        assert_int_equal (f.total, n);
        assert_false (sw_pb_next (&r, &f));
        assert_false (r.bad);
    }
}

/* Each input is malformed; the reader stops with bad set after `good`
 * well-formed fields. */
static void
test_malformed_table (void **state)
{
    (void) state;
    static const struct {
        const char *what;
        size_t size;
        uint8_t bytes[16];
        int good;
    } cases[] = {
        { "truncated tag", 1, { 0x80 }, 0 },
        { "field number 0", 2, { 0x00, 0x01 }, 0 },
        { "truncated varint value", 2, { 0x08, 0x80 }, 0 },
        { "varint of 11 bytes", 12,
          { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 0 },
        { "length past the end", 3, { 0x12, 0x05, 'a' }, 0 },
        { "fixed64 truncated", 5, { 0x09, 1, 2, 3, 4 }, 0 },
        { "fixed32 truncated", 3, { 0x0d, 1, 2 }, 0 },
        { "start group", 2, { 0x0b, 0x00 }, 0 },
        { "end group", 1, { 0x0c }, 0 },
        { "wire type 6", 2, { 0x0e, 0x00 }, 0 },
        { "wire type 7", 2, { 0x0f, 0x00 }, 0 },
        { "good field then a bad one", 4, { 0x08, 0x01, 0x12, 0x09 }, 1 },
        { "field number above 2^29-1", 6, { 0xf8, 0xff, 0xff, 0xff, 0x1f, 0x00 }, 0 },
        { "tag of 6 bytes", 8, { 0x08, 0x01, 0x88, 0x80, 0x80, 0x80, 0x80, 0x00, }, 1 },
        { "length prefix of 6 bytes", 8, { 0x12, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a' }, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* a copy of exactly size bytes: ASan sees a read past the end */
        uint8_t *copy = malloc (cases[i].size);
        assert_non_null (copy);
        memcpy (copy, cases[i].bytes, cases[i].size);
        sw_pb_reader_t r;
        sw_pb_field_t f;
        sw_pb_reader (&r, copy, cases[i].size);
        int good = 0;
        while (sw_pb_next (&r, &f))
            good++;
        if (!r.bad || good != cases[i].good)
            fail_msg ("%s: bad=%d after %d fields", cases[i].what, r.bad, good);
        free (copy);
    }
}

/* What protobuf-c packs, sw_pb reads field by field (every wire type). */
static void
test_reads_protobuf_c (void **state)
{
    (void) state;
    Sitewatch__V1__DigestProject p = SITEWATCH__V1__DIGEST_PROJECT__INIT;
    p.project_id = "JD-001";
    p.name = "东部新城";
    p.level = SITEWATCH__V1__LEVEL__LEVEL_RED;
    p.lag_pp = -12.5;   /* double: fixed64 */
    p.reports = 70000;
    size_t size;
    uint8_t *buf = sw_wire_pack (&p.base, &size);
    sw_pb_reader_t r;
    sw_pb_field_t f;
    sw_pb_reader (&r, buf, size);
    int seen = 0;
    size_t covered = 0;
    while (sw_pb_next (&r, &f)) {
        covered += f.total;
        switch (f.number) {
        case 1:
            assert_int_equal (f.wire, SW_PB_LEN);
            assert_int_equal (f.size, 6);
            assert_memory_equal (f.data, "JD-001", 6);
            seen |= 1;
            break;
        case 2:
            assert_int_equal (f.size, strlen ("东部新城"));
            seen |= 2;
            break;
        case 3:
            assert_int_equal (f.wire, SW_PB_VARINT);
            assert_int_equal (f.value, SITEWATCH__V1__LEVEL__LEVEL_RED);
            seen |= 4;
            break;
        case 7: {
            assert_int_equal (f.wire, SW_PB_I64);
            double d;
            memcpy (&d, &f.value, sizeof d);
            assert_true (d == -12.5);
            seen |= 8;
            break;
        }
        case 14:
            assert_int_equal (f.value, 70000);
            seen |= 16;
            break;
        default:
            fail_msg ("unexpected field %u", f.number);
        }
    }
    assert_false (r.bad);
    assert_int_equal (seen, 31);
    assert_int_equal (covered, size);
    free (buf);
}

/* Rules' report followed by escalation's part decodes as one report with
 * both: the lists of the first, the SLA figures and cases of the second. */
static void
test_concatenation_merges (void **state)
{
    (void) state;
    Sitewatch__V1__Digest rules = SITEWATCH__V1__DIGEST__INIT;
    rules.period = 3;
    rules.closed_at = INT64_C (1773331200000);
    rules.yellow = 2;
    char *no_report[] = { "JD-001", "JD-002" };
    rules.no_report = no_report;
    rules.n_no_report = 2;
    Sitewatch__V1__DigestHistoryPoint h = SITEWATCH__V1__DIGEST_HISTORY_POINT__INIT;
    h.period = 3;
    h.yellow = 2;
    Sitewatch__V1__DigestHistoryPoint *hs[] = { &h };
    rules.history = hs;
    rules.n_history = 1;

    Sitewatch__V1__Digest part = SITEWATCH__V1__DIGEST__INIT;
    part.sla_met = 4;
    part.sla_missed = 1;
    part.cases_available = true;
    Sitewatch__V1__DigestCase c1 = SITEWATCH__V1__DIGEST_CASE__INIT, c2 = c1;
    c1.case_id = "C-1";
    c1.overdue = true;
    c2.case_id = "C-2";
    Sitewatch__V1__DigestCase *cs[] = { &c1, &c2 };
    part.open_cases = cs;
    part.n_open_cases = 2;

    size_t a, b;
    uint8_t *ab = sw_wire_pack (&rules.base, &a);
    uint8_t *bb = sw_wire_pack (&part.base, &b);
    uint8_t *both = malloc (a + b);
    assert_non_null (both);
    struct iovec piece[2] = { { ab, a }, { bb, b } };
    assert_int_equal (sw_pb_iov_size (piece, 2), a + b);
    assert_int_equal (sw_pb_iov_copy (both, piece, 2), a + b);

    Sitewatch__V1__Digest *d = sitewatch__v1__digest__unpack (NULL, a + b, both);
    assert_non_null (d);
    assert_int_equal (d->period, 3);
    assert_true (d->closed_at == INT64_C (1773331200000));
    assert_int_equal (d->yellow, 2);
    assert_int_equal (d->n_no_report, 2);
    assert_string_equal (d->no_report[1], "JD-002");
    assert_int_equal (d->n_history, 1);
    assert_int_equal (d->sla_met, 4);
    assert_int_equal (d->sla_missed, 1);
    assert_true (d->cases_available);
    assert_int_equal (d->n_open_cases, 2);
    assert_string_equal (d->open_cases[0]->case_id, "C-1");
    assert_true (d->open_cases[0]->overdue);
    sitewatch__v1__digest__free_unpacked (d, NULL);

    /* A length-delimited field written by sw_pb around the whole: what
     * escalation forwards (Publish { topic, digest }) protobuf-c reads. */
    uint8_t head[64];
    size_t hl = sw_pb_put_len_head (head, 1, 6);
    memcpy (head + hl, "digest", 6);
    hl += 6;
    hl += sw_pb_put_len_head (head + hl, 13, a + b);
    uint8_t *pub = malloc (hl + a + b);
    assert_non_null (pub);
    memcpy (pub, head, hl);
    memcpy (pub + hl, both, a + b);
    Sitewatch__V1__Publish *p = sitewatch__v1__publish__unpack (NULL, hl + a + b, pub);
    assert_non_null (p);
    assert_string_equal (p->topic, "digest");
    assert_int_equal (p->payload_case, SITEWATCH__V1__PUBLISH__PAYLOAD_DIGEST);
    assert_int_equal (p->digest->n_open_cases, 2);
    assert_int_equal (p->digest->n_no_report, 2);
    sitewatch__v1__publish__free_unpacked (p, NULL);
    free (pub);
    free (both);
    free (ab);
    free (bb);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_varint_table),
        cmocka_unit_test (test_malformed_table),
        cmocka_unit_test (test_reads_protobuf_c),
        cmocka_unit_test (test_concatenation_merges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
