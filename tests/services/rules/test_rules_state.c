/* rules_state against protobuf-c: states, warning events and the express
 * report's projects whose every
 * field (found through the descriptors, so a field added to the contract is
 * filled too) holds random values, zeros, negatives, -0.0 and NaN, long and
 * empty strings, and 0-3 repeated entries, encode to exactly protobuf-c's
 * bytes; a buffer too small and a message with unknown fields are left to
 * protobuf-c (0). The state view reads those states, and byte strings
 * protobuf-c reads (repeated scalars, periods packed and not, negative
 * varints), to what protobuf-c reads: both encode to the same bytes; what it
 * leaves to protobuf-c is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_state.h"

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
s_rand (void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 2685821657736338717ULL;
}

static char *
s_string (void)
{
    static const char *parts[] = { "a", "Z", "0", "/", "江", "东", " ", "#", "yellow" };
    size_t n = s_rand () % 4 == 0 ? 0 : s_rand () % (s_rand () % 8 == 0 ? 300 : 12);
    char *s = malloc (n * 6 + 1);
    assert_non_null (s);
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        strcat (s, parts[s_rand () % (sizeof parts / sizeof parts[0])]);
    return s;
}

static double
s_double (void)
{
    switch (s_rand () % 6) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return NAN;
    case 3: return -(double) (s_rand () % 100000) / 7.0;
    default: return (double) (s_rand () % 10000) / 3.0;
    }
}

/* A random value of a scalar field's type into p. */
static void
s_scalar (const ProtobufCFieldDescriptor *f, void *p)
{
    bool zero = s_rand () % 4 == 0;
    uint64_t r = s_rand ();
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = zero ? 0 : r % 3 == 0 ? -(int32_t) (r % 1000) : (int32_t) (r % 100000);
        if (f->type == PROTOBUF_C_TYPE_ENUM && !zero)
            v = (int32_t) (r % 5);
        memcpy (p, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_UINT32: {
        uint32_t v = zero ? 0 : (uint32_t) r;
        memcpy (p, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v = zero ? 0 : (protobuf_c_boolean) (r % 2);
        memcpy (p, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64: {
        uint64_t v = zero ? 0 : r % 3 == 0 ? (uint64_t) - (int64_t) (r % 1000000) : r >> (r % 64);
        memcpy (p, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = s_double ();
        memcpy (p, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *v = s_string ();
        memcpy (p, &v, sizeof v);
        break;
    }
    default:
        fail_msg ("field %s: type %d is new to this test and to rules_state", f->name, f->type);
    }
}

static size_t
s_size_of (ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof (void *);
    default: return 4;
    }
}

/* Every field of m at random, through its descriptor; malloc'd, so that
 * protobuf-c's free_unpacked frees it. */
static void
s_fill (ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *at = (char *) m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = s_rand () % 4;
            size_t es = s_size_of (f->type);
            char *arr = n ? calloc (n, es) : NULL;
            for (size_t k = 0; k < n; k++) {
                if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                    const ProtobufCMessageDescriptor *sd = f->descriptor;
                    ProtobufCMessage *sub = malloc (sd->sizeof_message);
                    assert_non_null (sub);
                    sd->message_init (sub);
                    s_fill (sub);
                    memcpy (arr + k * es, &sub, sizeof sub);
                }
                else
                    s_scalar (f, arr + k * es);
            }
            memcpy (at, &arr, sizeof arr);
            *(size_t *) ((char *) m + f->quantifier_offset) = n;
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            fail_msg ("field %s: a singular message is new to rules_state", f->name);
        s_scalar (f, at);
    }
}

static void
s_compare (const ProtobufCMessage *m, size_t (*enc) (const void *, uint8_t *, size_t),
           const char *what, int round)
{
    static uint8_t want[65536], got[65536];
    size_t wn = protobuf_c_message_get_packed_size (m);
    assert_true (wn <= sizeof want);
    protobuf_c_message_pack (m, want);
    size_t gn = enc (m, got, sizeof got);
    if (gn != wn || memcmp (got, want, wn) != 0)
        fail_msg ("%s, round %d: %zu bytes by hand, %zu by protobuf-c", what, round, gn, wn);
    /* one byte short of room: left to protobuf-c */
    if (wn && enc (m, got, wn - 1) != 0)
        fail_msg ("%s, round %d: encoded into too small a buffer", what, round);
}

static size_t
s_state (const void *m, uint8_t *out, size_t cap)
{
    return rules_state_encode (m, out, cap);
}

static size_t
s_event (const void *m, uint8_t *out, size_t cap)
{
    return rules_event_encode (m, out, cap);
}

static size_t
s_digest_project (const void *m, uint8_t *out, size_t cap)
{
    return rules_digest_project_encode (m, out, cap);
}

/* One message of descriptor d filled at random, encoded both ways. */
static void
s_random_round (const ProtobufCMessageDescriptor *d, size_t (*enc) (const void *, uint8_t *, size_t),
                const char *what, int round)
{
    ProtobufCMessage *m = malloc (d->sizeof_message);
    assert_non_null (m);
    d->message_init (m);
    s_fill (m);
    s_compare (m, enc, what, round);
    protobuf_c_message_free_unpacked (m, NULL);
}

static void
test_random_states_and_events (void **state)
{
    (void) state;
    for (int round = 0; round < 3000; round++) {
        s_random_round (&sitewatch__v1__rules_project_state__descriptor, s_state, "state", round);
        s_random_round (&sitewatch__v1__warning_event__descriptor, s_event, "event", round);
        s_random_round (&sitewatch__v1__digest_project__descriptor, s_digest_project,
                        "digest project", round);
    }
}

static void
test_defaults_and_unknown (void **state)
{
    (void) state;
    uint8_t buf[64];
    Sitewatch__V1__RulesProjectState st = SITEWATCH__V1__RULES_PROJECT_STATE__INIT;
    assert_int_equal (rules_state_encode (&st, buf, sizeof buf), 0); /* no field: no bytes */
    st.events = 3;
    assert_int_equal (rules_state_encode (&st, buf, sizeof buf), 3); /* 0x88 0x01 0x03 */
    assert_memory_equal (buf, ((uint8_t[]) { 0x88, 0x01, 0x03 }), 3);
    /* unknown fields (a state written by a newer rules) go to protobuf-c */
    Sitewatch__V1__RulesProjectState *u = sitewatch__v1__rules_project_state__unpack (
        NULL, 6, (const uint8_t[]) { 0x88, 0x01, 0x03, 0xA0, 0x06, 0x07 });
    assert_non_null (u);
    assert_int_equal (rules_state_encode (u, buf, sizeof buf), 0);
    sitewatch__v1__rules_project_state__free_unpacked (u, NULL);
    Sitewatch__V1__Reason r = SITEWATCH__V1__REASON__INIT, *rs[] = { &r };
    Sitewatch__V1__WarningEvent ev = SITEWATCH__V1__WARNING_EVENT__INIT;
    ev.reasons = rs;
    ev.n_reasons = 1;
    ProtobufCMessageUnknownField uf = { 100, PROTOBUF_C_WIRE_TYPE_VARINT, 1,
                                        (uint8_t[]) { 0x07 } };
    r.base.n_unknown_fields = 1;
    r.base.unknown_fields = &uf;
    assert_int_equal (rules_event_encode (&ev, buf, sizeof buf), 0);
    /* a NULL entry: protobuf-c's to pack */
    Sitewatch__V1__Problem *none[] = { NULL };
    st.open_problems = none;
    st.n_open_problems = 1;
    assert_int_equal (rules_state_encode (&st, buf, sizeof buf), 0);
}

/* The view's reading, encoded again, against protobuf-c's, packed again. */
static void
s_view_same (const char *row, const uint8_t *data, size_t size)
{
    static uint8_t want[65536], got[65536];
    static rules_state_view_t v;
    Sitewatch__V1__RulesProjectState *st = sitewatch__v1__rules_project_state__unpack (NULL, size,
                                                                                       data);
    if (!st)
        fail_msg ("%s: protobuf-c refused it", row);
    size_t wn = protobuf_c_message_pack (&st->base, want);
    sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
    if (!rules_state_view (data, size, &v))
        fail_msg ("%s: refused", row);
    size_t gn = rules_state_encode (&v.st, got, sizeof got);
    if (gn != wn || memcmp (got, want, wn) != 0)
        fail_msg ("%s: read as %zu bytes, protobuf-c as %zu", row, gn, wn);
}

static void
test_view_random_states (void **state)
{
    (void) state;
    static uint8_t buf[65536];
    static rules_state_view_t v;
    int viewed = 0;
    for (int round = 0; round < 3000; round++) {
        Sitewatch__V1__RulesProjectState *st = malloc (sizeof *st);
        assert_non_null (st);
        sitewatch__v1__rules_project_state__init (st);
        s_fill (&st->base);
        size_t n = protobuf_c_message_pack (&st->base, buf);
        sitewatch__v1__rules_project_state__free_unpacked (st, NULL);
        /* at most 3 entries of each and under 4 KiB of strings: must be read */
        if (n < RULES_STATE_STRINGS_MAX) {
            char row[32];
            snprintf (row, sizeof row, "round %d", round);
            s_view_same (row, buf, n);
            viewed++;
        }
        else if (rules_state_view (buf, n, &v)) {
            uint8_t *again = malloc (n);
            assert_non_null (again);
            assert_int_equal (rules_state_encode (&v.st, again, n), n);
            assert_memory_equal (again, buf, n);
            free (again);
        }
    }
    assert_true (viewed > 2000);
}

static void
test_view_bytes_table (void **state)
{
    (void) state;
    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } same[] = {
        { "empty", (const uint8_t[]) { 0 }, 0 },
        { "level twice", (const uint8_t[]) { 0x08, 0x01, 0x08, 0x02 }, 4 },
        { "periods one by one and packed",
          (const uint8_t[]) { 0x58, 0x05, 0x5A, 0x02, 0x06, 0x07, 0x58, 0x08 }, 8 },
        { "negative actual_bp as 10 bytes",
          (const uint8_t[]) { 0x28, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 },
          11 },
        { "events wider than 32 bits",
          (const uint8_t[]) { 0x88, 0x01, 0x85, 0x80, 0x80, 0x80, 0x80, 0x01 }, 8 },
        { "has_lag 2", (const uint8_t[]) { 0x68, 0x02 }, 2 },
        { "reason text twice",
          (const uint8_t[]) { 0x4A, 0x01, 'a', 0x4A, 0x02, 'b', 'c' }, 7 },
        { "two reasons, one empty",
          (const uint8_t[]) { 0x62, 0x04, 0x0A, 0x02, 'n', 'o', 0x62, 0x00 }, 8 },
        { "a problem and a double",
          (const uint8_t[]) { 0x3A, 0x05, 0x0A, 0x01, 'x', 0x10, 0x02, 0x71, 0, 0, 0, 0, 0, 0,
                              0xF0, 0x3F },
          16 },
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        s_view_same (same[i].row, same[i].data, same[i].size);

    static uint8_t many[256];
    size_t mn = 0;
    for (int i = 0; i < RULES_STATE_PROBLEMS_MAX + 1; i++) {
        many[mn++] = 0x3A;
        many[mn++] = 0x00;
    }
    static rules_state_view_t v;
    assert_true (rules_state_view (many, mn - 2, &v));
    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } refused[] = {
        { "unknown field", (const uint8_t[]) { 0x08, 0x01, 0xA0, 0x06, 0x07 }, 5 },
        { "unknown field in a reason", (const uint8_t[]) { 0x62, 0x03, 0xA0, 0x06, 0x07 }, 5 },
        { "lag_pp as a varint", (const uint8_t[]) { 0x70, 0x01 }, 2 },
        { "level as bytes", (const uint8_t[]) { 0x0A, 0x00 }, 2 },
        { "a NUL in reason_text", (const uint8_t[]) { 0x4A, 0x02, 'a', 0x00 }, 4 },
        { "truncated packed periods", (const uint8_t[]) { 0x5A, 0x02, 0x06, 0x87 }, 4 },
        { "truncated", (const uint8_t[]) { 0x4A, 0x05, 'a' }, 3 },
        { "17 problems", many, mn },
        /* protobuf-c reads this bool true (it tests every byte); the bits
         * are past a 64-bit value's */
        { "has_actual as 10 bytes",
          (const uint8_t[]) { 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 },
          11 },
        { "a tag of 6 bytes", (const uint8_t[]) { 0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01 }, 7 },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (rules_state_view (refused[i].data, refused[i].size, &v))
            fail_msg ("%s: read, want refused", refused[i].row);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_random_states_and_events),
        cmocka_unit_test (test_defaults_and_unknown),
        cmocka_unit_test (test_view_random_states),
        cmocka_unit_test (test_view_bytes_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
