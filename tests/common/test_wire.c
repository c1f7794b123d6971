/* sw_wire_ack_encode: the hand-encoded Ack answer must be the bytes
 * protobuf-c packs for the same Response, for every shape of answer. */
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ack_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
