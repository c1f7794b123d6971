/*  Table-driven tests of sw_json: each case is a short program of writer calls
    and the exact text it must produce (commas, nesting, string escaping and
    UTF-8 handling, number formatting), plus life cycle and reuse. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "sw_json.h"

typedef enum {
    END = 0, /* ends a program */
    OB, OE, AB, AE, KEY, STR, INT, NUM, YES, NO, NUL,
} op_t;

typedef struct {
    op_t op;
    const char *s;
    int64_t i;
    double d;
} step_t;

#define MAX_STEPS 24

typedef struct {
    const char *name;
    step_t steps[MAX_STEPS];
    const char *expect;
    bool complete;
} program_t;

static void
s_run (sw_json_t *json, const step_t *steps)
{
    for (size_t k = 0; k < MAX_STEPS && steps[k].op != END; k++) {
        const step_t *st = &steps[k];
        switch (st->op) {
        case OB: sw_json_obj_begin (json); break;
        case OE: sw_json_obj_end (json); break;
        case AB: sw_json_arr_begin (json); break;
        case AE: sw_json_arr_end (json); break;
        case KEY: sw_json_key (json, st->s); break;
        case STR: sw_json_str (json, st->s); break;
        case INT: sw_json_int (json, st->i); break;
        case NUM: sw_json_num (json, st->d); break;
        case YES: sw_json_bool (json, true); break;
        case NO: sw_json_bool (json, false); break;
        case NUL: sw_json_null (json); break;
        case END: break;
        }
    }
}

/* step constructors: every field initialised, as -Wextra wants */
#define OB_ {OB, NULL, 0, 0.0}
#define OE_ {OE, NULL, 0, 0.0}
#define AB_ {AB, NULL, 0, 0.0}
#define AE_ {AE, NULL, 0, 0.0}
#define YES_ {YES, NULL, 0, 0.0}
#define NO_ {NO, NULL, 0, 0.0}
#define NUL_ {NUL, NULL, 0, 0.0}
#define K(s) {KEY, s, 0, 0.0}
#define S(s) {STR, s, 0, 0.0}
#define I(i) {INT, NULL, i, 0.0}
#define N(d) {NUM, NULL, 0, d}

static const program_t s_programs[] = {
    {"empty object", {OB_, OE_}, "{}", true},
    {"empty array", {AB_, AE_}, "[]", true},
    {"scalar string", {S("x")}, "\"x\"", true},
    {"scalar null", {NUL_}, "null", true},
    {"flat object",
     {OB_, K("a"), I(1), K("b"), S("two"), K("c"), YES_,
      K("d"), NO_, K("e"), NUL_, OE_},
     "{\"a\":1,\"b\":\"two\",\"c\":true,\"d\":false,\"e\":null}", true},
    {"array of scalars",
     {AB_, I(1), I(-2), S("x"), N(2.5), NUL_, AE_},
     "[1,-2,\"x\",2.5,null]", true},
    {"nested",
     {OB_, K("list"), AB_, OB_, K("k"), I(1), OE_, OB_, OE_, AB_,
      AE_, AE_, K("obj"), OB_, K("in"), AB_, S("a"), S("b"), AE_, OE_,
      K("z"), I(0), OE_},
     "{\"list\":[{\"k\":1},{},[]],\"obj\":{\"in\":[\"a\",\"b\"]},\"z\":0}", true},
    {"deep arrays",
     {AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_, AB_,
      AB_, AB_, AB_, AB_, AE_, AE_, AE_, AE_, AE_},
     "[[[[[[[[[[[[[[[[[[]]]]]", false},
    {"null string is null", {AB_, S(NULL), S(""), AE_}, "[null,\"\"]", true},
    {"int extremes",
     {AB_, I(INT64_MAX), I(INT64_MIN), I(0), AE_},
     "[9223372036854775807,-9223372036854775808,0]", true},
    {"key escaped", {OB_, K("a\"b"), I(1), OE_}, "{\"a\\\"b\":1}", true},
    {"key waiting", {OB_, K("a")}, "{\"a\":", false},
    {"unclosed", {AB_, I(1)}, "[1", false},
    {"two top-level values", {I(1), I(2)}, "12", false},
    {"mismatched end ignored", {AB_, OE_, AE_}, "[]", true},
};

static void
test_programs (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_programs / sizeof s_programs[0]; i++) {
        sw_json_t *json = sw_json_new ();
        s_run (json, s_programs[i].steps);
        if (strcmp (sw_json_text (json), s_programs[i].expect) != 0)
            fail_msg ("%s: got %s, want %s", s_programs[i].name, sw_json_text (json),
                      s_programs[i].expect);
        assert_int_equal (sw_json_len (json), strlen (s_programs[i].expect));
        if (sw_json_complete (json) != s_programs[i].complete)
            fail_msg ("%s: complete is %d", s_programs[i].name, sw_json_complete (json));
        sw_json_destroy (&json);
        assert_null (json);
    }
}

static void
test_strings (void **state)
{
    (void) state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\""},
        {"\x1b[31m", "\"\\u001b[31m\""},
        /* valid UTF-8 of every length passes through */
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"\xe6\xb1\x9f\xe4\xb8\x9c", "\"\xe6\xb1\x9f\xe4\xb8\x9c\""},          /* 江东 */
        {"\xf0\x9f\x9a\xa7 site", "\"\xf0\x9f\x9a\xa7 site\""},                  /* U+1F6A7 */
        {"\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""},  /* U+FFFF, U+10FFFF */
        /* invalid: each offending byte becomes U+FFFD */
        {"a\xff" "b", "\"a\xef\xbf\xbd" "b\""},
        {"\x80", "\"\xef\xbf\xbd\""},                                            /* lone continuation */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                            /* overlong '/' */
        {"\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},            /* overlong 3-byte */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},            /* surrogate */
        {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* > U+10FFFF */
        {"\xe6\xb1", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                            /* truncated at end */
        {"\xe6\xb1x", "\"\xef\xbf\xbd\xef\xbf\xbdx\""},                          /* truncated mid */
        {"", "\"\""},
    };
    sw_json_t *json = sw_json_new ();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_json_reset (json);
        sw_json_str (json, cases[i].in);
        if (strcmp (sw_json_text (json), cases[i].out) != 0)
            fail_msg ("case %zu: got %s, want %s", i, sw_json_text (json), cases[i].out);
        assert_true (sw_json_complete (json));
    }
    sw_json_destroy (&json);
}

static void
test_numbers (void **state)
{
    (void) state;
    static const struct {
        double in;
        const char *out;
    } cases[] = {
        {12.5, "12.5"},      {15, "15"},          {4.99, "4.99"},     {0, "0"},
        {-0.0, "0"},         {-0.001, "0"},       {0.004, "0"},       {0.005001, "0.01"},
        {-0.5, "-0.5"},      {18.456, "18.46"},   {100, "100"},       {99.999, "100"},
        {0.1, "0.1"},        {1.10, "1.1"},       {-15.25, "-15.25"}, {1234567.891, "1234567.89"},
        {1e20, "1e+20"},     {-1e300, "-1e+300"}, {NAN, "null"},      {INFINITY, "null"},
        {-INFINITY, "null"},
    };
    sw_json_t *json = sw_json_new ();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_json_reset (json);
        sw_json_num (json, cases[i].in);
        if (strcmp (sw_json_text (json), cases[i].out) != 0)
            fail_msg ("case %zu (%g): got %s, want %s", i, cases[i].in, sw_json_text (json),
                      cases[i].out);
        char buf[40];
        if (isfinite (cases[i].in))
            assert_string_equal (sw_json_num_format (cases[i].in, buf, sizeof buf), cases[i].out);
    }
    sw_json_destroy (&json);
}

/* A long document crosses many buffer growths and stays exact. */
static void
test_growth (void **state)
{
    (void) state;
    sw_json_t *json = sw_json_new ();
    sw_json_arr_begin (json);
    for (int i = 0; i < 10000; i++) {
        sw_json_obj_begin (json);
        sw_json_key (json, "i");
        sw_json_int (json, i);
        sw_json_obj_end (json);
    }
    sw_json_arr_end (json);
    const char *text = sw_json_text (json);
    assert_true (sw_json_complete (json));
    assert_int_equal (strncmp (text, "[{\"i\":0},{\"i\":1},", 17), 0);
    size_t len = strlen (text);
    assert_int_equal (len, sw_json_len (json));
    assert_string_equal (text + len - 11, "{\"i\":9999}]");
    sw_json_destroy (&json);
    sw_json_destroy (&json); /* safe twice */
    sw_json_destroy (NULL);
}

/* reset starts a fresh document: no stray comma from the previous one. */
static void
test_reset (void **state)
{
    (void) state;
    sw_json_t *json = sw_json_new ();
    sw_json_arr_begin (json);
    sw_json_int (json, 1);
    sw_json_reset (json);
    assert_string_equal (sw_json_text (json), "");
    assert_false (sw_json_complete (json));
    sw_json_obj_begin (json);
    sw_json_key (json, "a");
    sw_json_int (json, 2);
    sw_json_obj_end (json);
    assert_string_equal (sw_json_text (json), "{\"a\":2}");
    sw_json_destroy (&json);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_programs), cmocka_unit_test (test_strings),
        cmocka_unit_test (test_numbers),  cmocka_unit_test (test_growth),
        cmocka_unit_test (test_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
