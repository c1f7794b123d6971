/* intake_auth: the role table and project binding, table-driven. */
#include "intake_auth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static void
test_bound (void **state)
{
    static const struct { const char *list, *id; bool want; } t[] = {
        { "JD001 JD002", "JD001", true }, { "JD001 JD002", "JD002", true },
        { "JD001,JD002", "JD002", true }, { "JD001 JD002", "JD00", false },
        { "JD001 JD002", "JD0012", false }, { "", "JD001", false }, { "JD001", "", false },
        { "  JD001  ", "JD001", true },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal (intake_auth_bound (t[i].list, t[i].id), t[i].want);
}

static void
test_roles (void **state)
{
    Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
    Sitewatch__V1__Checkin chk = SITEWATCH__V1__CHECKIN__INIT;
    Sitewatch__V1__ClockCommand show = SITEWATCH__V1__CLOCK_COMMAND__INIT, set = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    Sitewatch__V1__Fetch fetch = SITEWATCH__V1__FETCH__INIT;
    Sitewatch__V1__LeadershipConfirm conf = SITEWATCH__V1__LEADERSHIP_CONFIRM__INIT;
    Sitewatch__V1__RegistryImport imp = SITEWATCH__V1__REGISTRY_IMPORT__INIT;
    show.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    set.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SET;
    rep.project_id = "P1";
    chk.project_id = "P2";
    struct { const char *name; Sitewatch__V1__Request req; } r[7];
    for (int i = 0; i < 7; i++)
        sitewatch__v1__request__init (&r[i].req);
    r[0].name = "report P1"; r[0].req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT; r[0].req.report = &rep;
    r[1].name = "checkin P2"; r[1].req.body_case = SITEWATCH__V1__REQUEST__BODY_CHECKIN; r[1].req.checkin = &chk;
    r[2].name = "clock show"; r[2].req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK; r[2].req.clock = &show;
    r[3].name = "clock set"; r[3].req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK; r[3].req.clock = &set;
    r[4].name = "fetch"; r[4].req.body_case = SITEWATCH__V1__REQUEST__BODY_FETCH; r[4].req.fetch = &fetch;
    r[5].name = "confirm"; r[5].req.body_case = SITEWATCH__V1__REQUEST__BODY_CONFIRM; r[5].req.confirm = &conf;
    r[6].name = "import"; r[6].req.body_case = SITEWATCH__V1__REQUEST__BODY_REGISTRY_IMPORT; r[6].req.registry_import = &imp;
    /* rows: role, bound projects, then the verdict for each request above */
    static const struct { intake_role_t role; const char *projects; bool want[7]; } t[] = {
        { INTAKE_ROLE_OPERATOR, "", { 1, 1, 1, 1, 1, 1, 1 } },
        { INTAKE_ROLE_DEVICE, "P1", { 1, 0, 1, 0, 0, 0, 0 } },
        { INTAKE_ROLE_DEVICE, "P1 P2", { 1, 1, 1, 0, 0, 0, 0 } },
        { INTAKE_ROLE_DEVICE, "", { 0, 0, 1, 0, 0, 0, 0 } },
        { INTAKE_ROLE_SUBSCRIBER, "P1", { 0, 0, 1, 0, 1, 1, 0 } },
        { INTAKE_ROLE_NONE, "P1", { 0, 0, 0, 0, 0, 0, 0 } },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int k = 0; k < 7; k++)
            if (intake_auth_allows (t[i].role, t[i].projects, &r[k].req) != t[i].want[k])
                fail_msg ("role %d projects '%s' %s: want %d", t[i].role, t[i].projects, r[k].name,
                          t[i].want[k]);
    assert_false (intake_auth_allows (INTAKE_ROLE_DEVICE, "P1", NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bound),
        cmocka_unit_test (test_roles),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
