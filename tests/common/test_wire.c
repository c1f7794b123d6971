/* sw_wire_ack_encode and sw_wire_report_encode: the hand-encoded answer
 * and report must be the bytes protobuf-c packs for the same message, for
 * every shape of each. sw_wire_ack_view must read what protobuf-c reads,
 * and refuse what it cannot read in place. */
#include "sw_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    const char *request_id, *report_id;
    Sitewatch__V1__Ack__Status status;
    const char *code, *message;
    uint32_t retry;
} ack_case_t;

static char s_long[300]; /* lengths past 127 take a two-byte varint */

static size_t
s_reference (const ack_case_t *c, uint8_t *out)
{
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__Ack ack = SITEWATCH__V1__ACK__INIT;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = (char *) (c->request_id ? c->request_id : "");
    ack.report_id = (char *) (c->report_id ? c->report_id : "");
    ack.status = c->status;
    ack.code = (char *) (c->code ? c->code : "");
    ack.message = (char *) (c->message ? c->message : "");
    ack.retry_after_ms = c->retry;
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_ACK;
    resp.ack = &ack;
    return protobuf_c_message_pack (&resp.base, out);
}

static void
test_ack_table (void **state)
{
    (void) state;
    memset (s_long, 'x', sizeof s_long - 1);
    const ack_case_t cases[] = {
        { "1.7", "01JD0000000000000000000000", SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "", 0 },
        { "", "r1", SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE, "duplicate",
          "this report_id was accepted before; it has no second effect", 0 },
        { NULL, NULL, SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed",
          "the frame is not a valid sitewatch.v1.Request (truncated or corrupt)", 0 },
        { "q", "r", SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER, "overloaded", "later", 500 },
        { "q", "r", SITEWATCH__V1__ACK__STATUS__STATUS_UNSPECIFIED, NULL, NULL, 0 },
        { s_long, s_long, SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, s_long, s_long, 70000 },
        { "", "", SITEWATCH__V1__ACK__STATUS__STATUS_UNSPECIFIED, "", "", 0 },
        { "q", "r", (Sitewatch__V1__Ack__Status) -2, "", "", 0 }, /* 10 bytes */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ack_case_t *c = &cases[i];
        uint8_t want[2048], got[2048];
        size_t wn = s_reference (c, want);
        size_t gn = sw_wire_ack_encode (got, sizeof got, c->request_id, c->report_id, c->status,
                                        c->code, c->message, c->retry);
        assert_int_equal (gn, wn);
        assert_memory_equal (got, want, wn);
        /* too little room: the size, nothing written */
        uint8_t small[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
        assert_int_equal (sw_wire_ack_encode (small, wn - 1 < 4 ? wn - 1 : 4, c->request_id,
                                              c->report_id, c->status, c->code, c->message,
                                              c->retry),
                          wn);
        for (int k = 0; k < 4; k++)
            assert_int_equal (small[k], 0xAA);
        /* and it reads back */
        Sitewatch__V1__Response *r = sitewatch__v1__response__unpack (NULL, gn, got);
        assert_non_null (r);
        assert_int_equal (r->body_case, SITEWATCH__V1__RESPONSE__BODY_ACK);
        assert_int_equal (r->ack->status, c->status);
        assert_string_equal (r->ack->code, c->code ? c->code : "");
        sitewatch__v1__response__free_unpacked (r, NULL);
    }
}

/* Every answer of the ack table, read in place, says what protobuf-c
 * unpacks from the same bytes. */
static void
test_ack_view_table (void **state)
{
    (void) state;
    memset (s_long, 'x', sizeof s_long - 1);
    const ack_case_t cases[] = {
        { "1.7", "01JD0000000000000000000000", SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "", 0 },
        { "", "r1", SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE, "duplicate", "again", 0 },
        { NULL, NULL, SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, "malformed", "bad", 0 },
        { "q", "r", SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER, "overloaded", "later", 500 },
        { "q", "r", SITEWATCH__V1__ACK__STATUS__STATUS_UNSPECIFIED, NULL, NULL, 0 },
        { s_long, s_long, SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED, s_long, s_long, 70000 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ack_case_t *c = &cases[i];
        uint8_t buf[2048];
        size_t n = s_reference (c, buf);
        sw_wire_ack_view_t v;
        assert_true (sw_wire_ack_view (buf, n, &v));
        Sitewatch__V1__Response *r = sitewatch__v1__response__unpack (NULL, n, buf);
        assert_non_null (r);
        assert_int_equal (v.request_id_len, strlen (r->request_id));
        if (v.request_id_len)
            assert_memory_equal (v.request_id, r->request_id, v.request_id_len);
        assert_int_equal (v.status, r->ack->status);
        assert_int_equal (v.retry_after_ms, r->ack->retry_after_ms);
        sitewatch__v1__response__free_unpacked (r, NULL);
        /* cut anywhere inside, it is refused (or, cut at a field's end,
         * read as the shorter message protobuf-c also reads) */
        for (size_t cut = 0; cut < n; cut++) {
            sw_wire_ack_view_t w;
            bool ok = sw_wire_ack_view (buf, cut, &w);
            Sitewatch__V1__Response *rc = sitewatch__v1__response__unpack (NULL, cut, buf);
            if (ok) {
                assert_non_null (rc);
                assert_int_equal (rc->body_case, SITEWATCH__V1__RESPONSE__BODY_ACK);
                assert_int_equal (w.status, rc->ack->status);
            }
            if (rc)
                sitewatch__v1__response__free_unpacked (rc, NULL);
        }
    }
}

/* Not an ack, or an ack it cannot read in place: false. */
static void
test_ack_view_refuses (void **state)
{
    (void) state;
    uint8_t buf[256];
    sw_wire_ack_view_t v;
    /* a status answer */
    Sitewatch__V1__Response resp = SITEWATCH__V1__RESPONSE__INIT;
    Sitewatch__V1__StatusAnswer st = SITEWATCH__V1__STATUS_ANSWER__INIT;
    resp.version = SW_WIRE_VERSION;
    resp.request_id = "q";
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY_STATUS;
    resp.status = &st;
    size_t n = protobuf_c_message_pack (&resp.base, buf);
    assert_false (sw_wire_ack_view (buf, n, &v));
    /* no body at all */
    resp.body_case = SITEWATCH__V1__RESPONSE__BODY__NOT_SET;
    n = protobuf_c_message_pack (&resp.base, buf);
    assert_false (sw_wire_ack_view (buf, n, &v));
    /* an ack, then another body: the last of a oneof wins */
    const ack_case_t c = { "q", "r", SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED, "", "", 0 };
    n = s_reference (&c, buf);
    memcpy (buf + n, "\x6a\x00", 2); /* field 13 (status), empty */
    assert_false (sw_wire_ack_view (buf, n + 2, &v));
    /* an ack in two parts */
    n = s_reference (&c, buf);
    memcpy (buf + n, "\x52\x02\x10\x02", 4); /* ack { status: DUPLICATE } */
    assert_false (sw_wire_ack_view (buf, n + 4, &v));
    /* request_id as a varint */
    memcpy (buf, "\x10\x01\x52\x02\x10\x01", 6);
    assert_false (sw_wire_ack_view (buf, 6, &v));
    /* garbage */
    memcpy (buf, "\xff\xff\xff", 3);
    assert_false (sw_wire_ack_view (buf, 3, &v));
}

typedef struct {
    const char *request_id, *report_id, *project_id;
    Sitewatch__V1__Source source;
    int64_t observed_at;
    int32_t percent_bp;
} report_case_t;

static void
test_report_table (void **state)
{
    (void) state;
    memset (s_long, 'x', sizeof s_long - 1);
    const report_case_t cases[] = {
        { "3.17", "01JD0000000000000000000000", "P0000042",
          SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 1773360000000, 2750 },
        { "", "r", "p", SITEWATCH__V1__SOURCE__SOURCE_UNSPECIFIED, 0, 0 },
        { NULL, NULL, NULL, SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, 1, 10000 },
        { "q", "r", "p", SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, -1, -5 },
        { "q", "r", "p", (Sitewatch__V1__Source) 300, INT64_MAX, INT32_MIN },
        /* a negative enum value: 10 bytes, as protobuf-c writes it */
        { "q", "r", "p", (Sitewatch__V1__Source) -1, 5, 5 },
        { "q", "r", "p", (Sitewatch__V1__Source) INT32_MIN, 5, 5 },
        { s_long, s_long, s_long, SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER, INT64_MIN,
          INT32_MAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const report_case_t *c = &cases[i];
        Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
        rep.report_id = (char *) (c->report_id ? c->report_id : "");
        rep.project_id = (char *) (c->project_id ? c->project_id : "");
        rep.source = c->source;
        rep.observed_at = c->observed_at;
        rep.percent_bp = c->percent_bp;
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.version = SW_WIRE_VERSION;
        req.request_id = (char *) (c->request_id ? c->request_id : "");
        req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
        req.report = &rep;
        uint8_t want[2048], got[2048];
        size_t wn = protobuf_c_message_pack (&req.base, want);
        size_t gn = sw_wire_report_encode (got, sizeof got, c->request_id, c->report_id,
                                           c->project_id, c->source, c->observed_at,
                                           c->percent_bp);
        assert_int_equal (gn, wn);
        assert_memory_equal (got, want, wn);
        uint8_t small[4] = { 0xAA, 0xAA, 0xAA, 0xAA };
        assert_int_equal (sw_wire_report_encode (small, wn - 1 < 4 ? wn - 1 : 4, c->request_id,
                                                 c->report_id, c->project_id, c->source,
                                                 c->observed_at, c->percent_bp),
                          wn);
        for (int k = 0; k < 4; k++)
            assert_int_equal (small[k], 0xAA);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ack_table),
        cmocka_unit_test (test_ack_view_table),
        cmocka_unit_test (test_ack_view_refuses),
        cmocka_unit_test (test_report_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
