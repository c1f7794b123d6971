/* sw_config: defaults < file < environment < flags, unknown keys refused. */
#include "sw_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static const sw_option_t s_opts[] = {
    { "data", "./d", "data", false },
    { "clock", "wall", "clock", false },
    { "map-size", "64M", "map", false },
    { "json", NULL, "json", true },
    { NULL, NULL, NULL, false },
};

static void
test_precedence (void **state)
{
    char path[] = "/tmp/sw-config-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    FILE *f = fdopen (fd, "w");
    fprintf (f, "# comment\ndata = /from/file\nclock = manual\nmap-size = 1M\n");
    fclose (f);
    /* table: which layer sets what */
    static const struct { const char *env_clock; const char *flag_data; const char *want_data, *want_clock; } t[] = {
        { NULL, NULL, "/from/file", "manual" },          /* file over default */
        { "wall", NULL, "/from/file", "wall" },           /* env over file */
        { "wall", "/from/flag", "/from/flag", "wall" },   /* flag over env */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].env_clock)
            setenv ("SITEWATCH_CLOCK", t[i].env_clock, 1);
        else
            unsetenv ("SITEWATCH_CLOCK");
        sw_config_t *c = sw_config_new (s_opts);
        char *argv[6] = { "prog", "--config", path, NULL, NULL, NULL };
        int argc = 3;
        if (t[i].flag_data) {
            argv[argc++] = "--data";
            argv[argc++] = (char *) t[i].flag_data;
        }
        char err[256];
        assert_int_equal (sw_config_load (c, argc, argv, err, sizeof err), 0);
        assert_string_equal (sw_config_get (c, "data"), t[i].want_data);
        assert_string_equal (sw_config_get (c, "clock"), t[i].want_clock);
        assert_int_equal (sw_config_get_int (c, "map-size", 0), 1024 * 1024);
        sw_config_destroy (&c);
    }
    unsetenv ("SITEWATCH_CLOCK");
    unlink (path);
}

static void
test_errors_and_forms (void **state)
{
    sw_config_t *c = sw_config_new (s_opts);
    char err[256];
    char *bad[] = { "prog", "--nope", "1" };
    assert_int_equal (sw_config_load (c, 3, bad, err, sizeof err), -1);
    assert_non_null (strstr (err, "unknown option --nope"));
    sw_config_destroy (&c);

    c = sw_config_new (s_opts);
    char *missing[] = { "prog", "--data" };
    assert_int_equal (sw_config_load (c, 2, missing, err, sizeof err), -1);
    assert_non_null (strstr (err, "needs a value"));
    sw_config_destroy (&c);

    c = sw_config_new (s_opts);
    char *forms[] = { "prog", "status", "--data=/x", "--json", "extra" };
    assert_int_equal (sw_config_load (c, 5, forms, err, sizeof err), 0);
    assert_string_equal (sw_config_get (c, "data"), "/x");
    assert_true (sw_config_get_bool (c, "json"));
    assert_int_equal (sw_config_positional_count (c), 2);
    assert_string_equal (sw_config_positional (c, 0), "status");
    assert_string_equal (sw_config_positional (c, 1), "extra");
    sw_config_destroy (&c);

    c = sw_config_new (s_opts);
    char *help[] = { "prog", "--help" };
    assert_int_equal (sw_config_load (c, 2, help, err, sizeof err), 1);
    sw_config_destroy (&c);

    c = sw_config_new (s_opts);
    assert_int_equal (sw_config_load_file (c, "/nonexistent/x.conf", err, sizeof err), -1);
    sw_config_destroy (&c);
    sw_config_destroy (&c); /* safe twice */
}

/* A value that is not a whole number, for an option whose default is one,
 * is refused with its name; other options take any text. */
static void
test_check_ints (void **state)
{
    (void) state;
    static const struct { const char *flag, *value; int want; } t[] = {
        { "--map-size", "64M", 0 },
        { "--map-size", "1024", 0 },
        { "--map-size", "-3", 0 },    /* a number: the range is the caller's */
        { "--map-size", "abc", -1 },
        { "--map-size", "10x", -1 },
        { "--map-size", "1.5", -1 },
        { "--clock", "manual", 0 },   /* not a numeric option */
        { "--data", "123abc", 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sw_config_t *c = sw_config_new (s_opts);
        char *argv[] = { "prog", (char *) t[i].flag, (char *) t[i].value };
        char err[256] = "";
        assert_int_equal (sw_config_load (c, 3, argv, err, sizeof err), 0);
        assert_int_equal (sw_config_check_ints (c, err, sizeof err), t[i].want);
        if (t[i].want) {
            char want[128];
            snprintf (want, sizeof want, "%s must be a whole number, not '%s'", t[i].flag,
                      t[i].value);
            assert_string_equal (err, want);
        }
        sw_config_destroy (&c);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_precedence),
        cmocka_unit_test (test_errors_and_forms),
        cmocka_unit_test (test_check_ints),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
