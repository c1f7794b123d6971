/*  Tests of sw_registry: the sample registry parses whole; a table of broken
    snippets each fails with the right line and field; warnings apply; hostile
    input (aliases, mutations, floods) never crashes. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sw_calendar.h"
#include "sw_registry.h"

/* The sample lives at <repo>/data; this file at <repo>/tests/common. */
static char *
s_sample_read (size_t *len)
{
    char path[4096];
    const char *file = __FILE__;
    const char *cut = strstr (file, "tests/common/test_registry.c");
    int root = cut ? (int) (cut - file) : 0;
    snprintf (path, sizeof (path), "%.*s%sdata/jiangdong-registry.yaml", root, file,
              cut ? "" : "../../");
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    assert_int_equal (fseek (f, 0, SEEK_END), 0);
    long size = ftell (f);
    assert_true (size > 0);
    rewind (f);
    char *data = malloc ((size_t) size + 1);
    assert_non_null (data);
    assert_int_equal (fread (data, 1, (size_t) size, f), (size_t) size);
    data[size] = '\0';
    fclose (f);
    *len = (size_t) size;
    return data;
}

static int32_t
s_day (const char *date)
{
    int32_t day = 0;
    assert_int_equal (sw_date_parse (date, &day), 0);
    return day;
}

static int
s_parse (const char *yaml, Sitewatch__V1__Registry **reg, sw_strlist_t *errors, sw_strlist_t *warnings)
{
    return sw_registry_parse (yaml, strlen (yaml), reg, errors, warnings);
}

/* True when some entry starts with "line N: " and contains what. */
static bool
s_has (const sw_strlist_t *list, int line, const char *what)
{
    char prefix[32];
    snprintf (prefix, sizeof (prefix), "line %d: ", line);
    for (size_t i = 0; i < list->count; i++)
        if (strncmp (list->items[i], prefix, strlen (prefix)) == 0 && strstr (list->items[i], what))
            return true;
    return false;
}

static void
s_dump (const char *title, const sw_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        fprintf (stderr, "    %s: %s\n", title, list->items[i]);
}

/* ------------------------------------------------------------ the sample */

static void
test_sample (void **state)
{
    (void) state;
    size_t len;
    char *yaml = s_sample_read (&len);
    Sitewatch__V1__Registry *reg = NULL;
    sw_strlist_t errors = {NULL, 0}, warnings = {NULL, 0};
    int rc = sw_registry_parse (yaml, len, &reg, &errors, &warnings);
    s_dump ("error", &errors);
    s_dump ("warning", &warnings);
    assert_int_equal (rc, 0);
    assert_non_null (reg);
    assert_int_equal (errors.count, 0);
    assert_int_equal (warnings.count, 0);
    assert_int_equal (reg->n_projects, 86);
    assert_int_equal (reg->n_commissioners, 14);
    assert_int_equal (reg->n_leaders, 3);
    assert_string_equal (reg->zone_name, "江东新区 (Jiangdong New Area)");
    assert_string_equal (reg->timezone, "Asia/Shanghai");
    assert_int_equal (reg->period_anchor_day, s_day ("2026-03-01"));
    assert_int_equal (reg->period_days, 3);
    assert_int_equal (reg->n_holidays, 10);
    assert_int_equal (reg->holidays[0], s_day ("2026-04-06"));
    assert_int_equal (reg->holidays[9], s_day ("2026-10-07"));
    assert_int_equal (reg->n_workdays, 3);
    assert_int_equal (reg->workdays[1], s_day ("2026-09-27"));

    const Sitewatch__V1__ProjectDef *p = sw_registry_project (reg, "JD001");
    assert_non_null (p);
    assert_ptr_equal (p, reg->projects[0]);
    assert_string_equal (p->name, "江东新区桂林洋椰海商业综合体项目");
    assert_string_equal (p->kind, "social");
    assert_string_equal (p->state, "started");
    assert_string_equal (p->commissioner, "C01");
    assert_string_equal (p->unit, "琼州路桥集团有限公司");
    assert_string_equal (p->local_contact, "桂林洋 徐静平");
    assert_string_equal (p->leader, "L02");
    assert_int_equal (p->start_day, s_day ("2025-08-25"));
    assert_int_equal (p->end_day, s_day ("2027-12-27"));
    assert_int_equal (p->n_milestones, 2);
    assert_int_equal (p->milestones[0]->day, s_day ("2027-09-06"));
    assert_int_equal (p->milestones[0]->percent_bp, 9300);
    assert_int_equal (p->milestones[1]->percent_bp, 9600);
    assert_non_null (sw_registry_project (reg, "JD086"));
    assert_null (sw_registry_project (reg, "JD087"));
    assert_null (sw_registry_project (reg, NULL));
    assert_null (sw_registry_project (NULL, "JD001"));
    const Sitewatch__V1__Leader *l = sw_registry_leader (reg, "L02");
    assert_non_null (l);
    assert_string_equal (l->name, "林副市长");
    assert_string_equal (l->area, "产业与招商");
    assert_null (sw_registry_leader (reg, "L04"));
    const Sitewatch__V1__Commissioner *c = sw_registry_commissioner (reg, "C14");
    assert_non_null (c);
    assert_string_equal (c->name, "黄勇平");
    assert_null (sw_registry_commissioner (reg, "C15"));

    /* every project's zone calendar and order are sane */
    sw_calendar_t *cal = sw_calendar_new (reg->timezone, reg->period_anchor_day, reg->period_days,
                                          reg->holidays, reg->n_holidays, reg->workdays, reg->n_workdays);
    assert_non_null (cal);
    sw_calendar_destroy (&cal);
    for (size_t i = 0; i < reg->n_projects; i++) {
        const Sitewatch__V1__ProjectDef *q = reg->projects[i];
        assert_true (q->end_day > q->start_day);
        for (size_t k = 0; k < q->n_milestones; k++)
            assert_true (q->milestones[k]->day > q->start_day && q->milestones[k]->day < q->end_day);
    }

    /* the result is a well-formed message: it packs and unpacks */
    size_t size = sitewatch__v1__registry__get_packed_size (reg);
    uint8_t *buf = malloc (size);
    assert_non_null (buf);
    assert_int_equal (sitewatch__v1__registry__pack (reg, buf), size);
    Sitewatch__V1__Registry *copy = sitewatch__v1__registry__unpack (NULL, size, buf);
    assert_non_null (copy);
    assert_int_equal (copy->n_projects, 86);
    assert_string_equal (copy->projects[85]->id, "JD086");
    sitewatch__v1__registry__free_unpacked (copy, NULL);
    free (buf);

    sitewatch__v1__registry__free_unpacked (reg, NULL);
    sw_strlist_clear (&errors);
    sw_strlist_clear (&warnings);
    free (yaml);
}

/* ------------------------------------------------------------ broken snippets */

#define HEAD                                                                                       \
    "period_anchor: 2026-03-01\n"                  /* 1 */                                         \
    "leaders:\n"                                   /* 2 */                                         \
    "  - {id: L01, name: Leader One}\n"            /* 3 */                                         \
    "commissioners:\n"                             /* 4 */                                         \
    "  - {id: C01, name: Commissioner One}\n"      /* 5 */                                         \
    "projects:\n"                                  /* 6 */

#define P_OK(id)                                                                                   \
    "  - {id: " id ", name: N, kind: social, state: started, commissioner: C01, leader: L01, "     \
    "start: 2026-01-01, end: 2026-12-31}\n"

/* A block-style project at lines 7..15 with its milestones from line 16. */
#define P_BLOCK(end)                                                                               \
    "  - id: P1\n"                                 /* 7 */                                         \
    "    name: One\n"                              /* 8 */                                         \
    "    kind: social\n"                           /* 9 */                                         \
    "    state: started\n"                         /* 10 */                                        \
    "    commissioner: C01\n"                      /* 11 */                                        \
    "    leader: L01\n"                            /* 12 */                                        \
    "    start: 2026-01-01\n"                      /* 13 */                                        \
    "    end: " end "\n"                           /* 14 */                                        \
    "    milestones:\n"                            /* 15 */

static const struct {
    const char *name;
    const char *yaml;
    int line;
    const char *what;
} s_broken[] = {
    {"unclosed flow", "period_anchor: 2026-03-01\nleaders: [\n  {id: L01\n", 4, "yaml: "},
    {"bad indentation", "period_anchor: 2026-03-01\nleaders:\n  - id: L01\n   name: x\n", 4, "yaml: "},
    {"tab indentation", "period_anchor: 2026-03-01\n\tleaders: []\n", 2, "yaml: "},
    {"invalid utf-8 byte", HEAD "  - {id: P1, name: \"\xff\xfe\"}\n", 7, "yaml: "},
    {"utf-8 escape of a NUL", HEAD "  - {id: P1, name: \"a\\0b\", kind: social, state: started, "
                                   "commissioner: C01, leader: L01, start: 2026-01-01, end: 2026-12-31}\n",
     7, "projects[0].name: contains a NUL"},
    {"empty document", "", 1, "registry: the document is empty"},
    {"comment only", "# nothing\n", 1, "registry: the document is empty"},
    {"root is a list", "- a\n- b\n", 1, "registry: must be a mapping"},
    {"root is a scalar", "hello\n", 1, "registry: must be a mapping"},
    {"two documents", HEAD "---\nfoo: 1\n", 8, "only one document"},
    {"missing period_anchor", "leaders: []\ncommissioners: []\nprojects: []\n", 1, "period_anchor: is required"},
    {"bad period_anchor", "period_anchor: 2026-02-30\nleaders: []\ncommissioners: []\nprojects: []\n", 1,
     "period_anchor: '2026-02-30' is not a valid date"},
    {"period_anchor a list", "period_anchor: [1]\nleaders: []\ncommissioners: []\nprojects: []\n", 1,
     "period_anchor: must be a date"},
    {"missing leaders", "period_anchor: 2026-03-01\ncommissioners: []\nprojects: []\n", 1, "leaders: is required"},
    {"missing projects", "period_anchor: 2026-03-01\nleaders: []\ncommissioners: []\n", 1,
     "projects: is required"},
    {"projects a mapping", "period_anchor: 2026-03-01\nleaders: []\ncommissioners: []\nprojects:\n  a: 1\n", 5,
     "projects: must be a list, not a mapping"},
    {"unknown timezone", "timezone: Mars/Olympus\n" HEAD P_OK ("P1"), 1, "timezone: unknown time zone"},
    {"timezone escapes", "timezone: ../../etc/passwd\n" HEAD P_OK ("P1"), 1, "timezone: unknown time zone"},
    {"timezone a mapping", "timezone: {a: b}\n" HEAD P_OK ("P1"), 1, "timezone: must be a single value"},
    {"period_days zero", "period_days: 0\n" HEAD P_OK ("P1"), 1, "period_days: must be a whole number from 1 to 366"},
    {"period_days 367", "period_days: 367\n" HEAD P_OK ("P1"), 1, "period_days: must be"},
    {"period_days text", "period_days: three\n" HEAD P_OK ("P1"), 1, "period_days: must be"},
    {"period_days huge", "period_days: 99999999999999999999999\n" HEAD P_OK ("P1"), 1, "period_days: must be"},
    {"calendar a list", HEAD P_OK ("P1") "calendar: [2026-01-01]\n", 8, "calendar: must be a mapping"},
    {"bad holiday", HEAD P_OK ("P1") "calendar:\n  holidays: [2026-01-01,\n             2026-13-01]\n", 10,
     "calendar.holidays[1]: '2026-13-01' is not a valid date"},
    {"workday a mapping", HEAD P_OK ("P1") "calendar:\n  workdays:\n    - {a: 1}\n", 10,
     "calendar.workdays[0]: must be a date"},
    {"leader not a mapping", "period_anchor: 2026-03-01\nleaders:\n  - L01\ncommissioners: []\nprojects: []\n", 3,
     "leaders[0]: must be a mapping, not a single value"},
    {"leader without name", "period_anchor: 2026-03-01\nleaders:\n  - id: L01\ncommissioners: []\nprojects: []\n",
     3, "leaders[0].name: is required"},
    {"leader with empty name",
     "period_anchor: 2026-03-01\nleaders:\n  - id: L01\n    name: ''\ncommissioners: []\nprojects: []\n", 4,
     "leaders[0].name: must not be empty"},
    {"duplicate leader", "period_anchor: 2026-03-01\nleaders:\n  - {id: L01, name: a}\n  - {id: L01, name: b}\n"
                         "commissioners: []\nprojects: []\n",
     4, "leaders[1].id: duplicate id L01 (first at line 3)"},
    {"duplicate commissioner",
     "period_anchor: 2026-03-01\nleaders: []\ncommissioners:\n  - {id: C1, name: a}\n  - {id: C2, name: b}\n"
     "  - {id: C1, name: c}\nprojects: []\n",
     6, "commissioners[2].id: duplicate id C1 (first at line 4)"},
    {"duplicate project", HEAD P_OK ("P1") P_OK ("P2") P_OK ("P1"), 9, "projects[2].id: duplicate id P1 (first at line 7)"},
    {"bad id characters", HEAD P_OK ("'P 1'"), 7, "projects[0].id: must be 1 to 64 characters"},
    {"id too long", HEAD P_OK ("P12345678901234567890123456789012345678901234567890123456789012345"), 7,
     "projects[0].id: must be 1 to 64"},
    {"project not a mapping", HEAD "  - [P1]\n", 7, "projects[0]: must be a mapping, not a list"},
    {"missing name", HEAD "  - {id: P1, kind: social, state: started, commissioner: C01, leader: L01, "
                          "start: 2026-01-01, end: 2026-12-31}\n",
     7, "projects[0].name: is required"},
    {"name a mapping", HEAD "\n" P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 50}\n"
                            "    unit: {a: b}\n",
     18, "projects[0].unit: must be a single value, not a mapping"},
    {"missing everything", HEAD "  - {}\n", 7, "projects[0].end: is required"},
    {"unknown kind", HEAD "  - {id: P1, name: N, kind: private, state: started, commissioner: C01, leader: L01, "
                          "start: 2026-01-01, end: 2026-12-31}\n",
     7, "projects[0].kind: must be social or government"},
    {"unknown state", HEAD "  - {id: P1, name: N, kind: social, state: done, commissioner: C01, leader: L01, "
                           "start: 2026-01-01, end: 2026-12-31}\n",
     7, "projects[0].state: must be started or planned"},
    {"unknown commissioner", HEAD "  - {id: P1, name: N, kind: social, state: started, commissioner: C99, "
                                  "leader: L01, start: 2026-01-01, end: 2026-12-31}\n",
     7, "projects[0].commissioner: unknown commissioner C99"},
    {"unknown leader", HEAD P_OK ("P1") "  - {id: P2, name: N, kind: social, state: started, commissioner: C01, "
                                        "leader: L09, start: 2026-01-01, end: 2026-12-31}\n",
     8, "projects[1].leader: unknown leader L09"},
    {"end equals start", HEAD P_BLOCK ("2026-01-01"), 14, "projects[0].end: must be after start 2026-01-01"},
    {"end before start", HEAD P_BLOCK ("2025-12-31"), 14, "projects[0].end: must be after start"},
    {"bad end date", HEAD P_BLOCK ("2026-6-1"), 14, "projects[0].end: '2026-6-1' is not a valid date"},
    {"milestone on start", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-01-01, percent: 10}\n", 16,
     "projects[0].milestones[0].date: must lie strictly between start 2026-01-01 and end 2026-12-31"},
    {"milestone on end", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-12-31, percent: 10}\n", 16,
     "projects[0].milestones[0].date: must lie strictly between"},
    {"milestone after end", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 10}\n"
                                                        "      - {date: 2027-06-01, percent: 20}\n",
     17, "projects[0].milestones[1].date: must lie strictly between"},
    {"milestones same date", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 10}\n"
                                                         "      - {date: 2026-06-01, percent: 20}\n",
     17, "projects[0].milestones[1].date: must be after the previous milestone's date 2026-06-01"},
    {"milestones out of order", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 10}\n"
                                                            "      - {date: 2026-08-01, percent: 20}\n"
                                                            "      - {date: 2026-07-01, percent: 30}\n",
     18, "projects[0].milestones[2].date: must be after the previous milestone's date 2026-08-01"},
    {"percent above 100", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 100.01}\n", 16,
     "projects[0].milestones[0].percent: must be between 0 and 100"},
    {"percent negative", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: -1}\n", 16,
     "projects[0].milestones[0].percent: must be between 0 and 100"},
    {"percent text", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: half}\n", 16,
     "projects[0].milestones[0].percent: must be a number"},
    {"percent three decimals", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 10.125}\n", 16,
     "projects[0].milestones[0].percent: must have at most two decimals"},
    {"percent decreasing", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 40.5}\n"
                                                       "      - {date: 2026-07-01, percent: 40.49}\n",
     17, "projects[0].milestones[1].percent: must not be below the previous milestone's 40.50%"},
    {"percent missing", HEAD P_BLOCK ("2026-12-31") "      - date: 2026-06-01\n", 16,
     "projects[0].milestones[0].percent: is required"},
    {"milestones a scalar", HEAD P_BLOCK ("2026-12-31") "      nope\n", 16, "projects[0].milestones: must be a list"},
    {"milestone a list", HEAD P_BLOCK ("2026-12-31") "      - [2026-06-01, 50]\n", 16,
     "projects[0].milestones[0]: must be a mapping, not a list"},
    {"duplicate field", HEAD P_BLOCK ("2026-12-31") "      - {date: 2026-06-01, percent: 50}\n    name: Two\n", 17,
     "projects[0].name: duplicate field (first at line 8)"},
    {"mapping as a key", "? {a: 1}\n: x\n" HEAD P_OK ("P1"), 1, "registry: field names must be plain words"},
    {"long name", HEAD "  - {id: P1, kind: social, state: started, commissioner: C01, leader: L01, "
                       "start: 2026-01-01, end: 2026-12-31, name: "
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}\n",
     7, "projects[0].name: is longer than 1024 bytes"},
    {"alias", HEAD "  - &p {id: P1, name: N, kind: social, state: started, commissioner: C01, leader: L01, "
                   "start: 2026-01-01, end: 2026-12-31}\n  - *p\n",
     7, "yaml: anchors and aliases are not supported"},
    {"billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "projects: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
     1, "anchors and aliases are not supported"},
    {"self reference", "&r {projects: *r}\n", 1, "yaml: anchors and aliases are not supported"},
    {"undefined alias", HEAD "  - *nothing\n", 7, "yaml: found undefined alias"},
    {"deep nesting", "period_anchor: 2026-03-01\nprojects:\n  - " "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n", 3,
     "yaml: nested deeper than 64 levels"},
};

static void
test_broken (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof (s_broken) / sizeof (s_broken[0]); i++) {
        Sitewatch__V1__Registry *reg = (Sitewatch__V1__Registry *) 1;
        sw_strlist_t errors = {NULL, 0}, warnings = {NULL, 0};
        int rc = s_parse (s_broken[i].yaml, &reg, &errors, &warnings);
        bool ok = rc == -1 && reg == NULL && errors.count > 0 && s_has (&errors, s_broken[i].line, s_broken[i].what);
        if (!ok) {
            fprintf (stderr, "case '%s': rc %d, expected line %d: %s\n", s_broken[i].name, rc, s_broken[i].line,
                     s_broken[i].what);
            s_dump ("error", &errors);
        }
        assert_true (ok);
        for (size_t k = 0; k < errors.count; k++)
            assert_int_equal (strncmp (errors.items[k], "line ", 5), 0);
        if (reg && reg != (Sitewatch__V1__Registry *) 1)
            sitewatch__v1__registry__free_unpacked (reg, NULL);
        sw_strlist_clear (&errors);
        sw_strlist_clear (&warnings);
    }
}

/* Every problem is listed, in line order, not just the first. */
static void
test_all_errors (void **state)
{
    (void) state;
    const char *yaml = HEAD "  - {id: P1, name: N, kind: x, state: y, commissioner: C9, leader: L9, "
                            "start: 2026-01-01, end: 2025-01-01}\n" P_OK ("P1") "period_days: 0\n";
    Sitewatch__V1__Registry *reg = NULL;
    sw_strlist_t errors = {NULL, 0};
    assert_int_equal (s_parse (yaml, &reg, &errors, NULL), -1);
    assert_null (reg);
    s_dump ("error", &errors);
    static const struct {
        int line;
        const char *what;
    } expected[] = {
        {7, "projects[0].kind"},         {7, "projects[0].state"}, {7, "projects[0].end"},
        {7, "projects[0].commissioner"}, {7, "projects[0].leader"}, {8, "projects[1].id: duplicate id P1"},
        {9, "period_days"},
    };
    size_t n = sizeof (expected) / sizeof (expected[0]);
    assert_int_equal (errors.count, n);
    for (size_t i = 0; i < n; i++)
        assert_true (s_has (&errors, expected[i].line, expected[i].what));
    /* in line order */
    assert_non_null (strstr (errors.items[n - 2], "line 8: "));
    assert_non_null (strstr (errors.items[n - 1], "line 9: "));
    sw_strlist_clear (&errors);
}

/* ------------------------------------------------------------ warnings */

static void
test_warnings_apply (void **state)
{
    (void) state;
    const char *yaml = "zone: Test Zone\n"
                       "timezone: Europe/Berlin\n"
                       "period_anchor: 2026-03-01\n"
                       "period_days: 7\n"
                       "colour: blue\n"
                       "leaders:\n"
                       "  - {id: L01, name: Leader One}\n"
                       "commissioners:\n"
                       "  - {id: C01, name: Busy}\n"
                       "  - id: C02\n"
                       "    name: Idle\n"
                       "projects:\n"
                       "  - {id: P1, name: N, kind: social, state: started, commissioner: C01, leader: L01,\n"
                       "     start: 2026-01-01, end: 2026-12-31, unit: ~, milestones: [{date: 2026-02-01, percent: 12.5}]}\n"
                       "  - {id: P2, name: 'N 2', kind: government, state: planned, commissioner: C01, leader: L01,\n"
                       "     start: 2026-01-01, end: 2026-12-31, local_contact: \"A \\u00e9\",\n"
                       "     milestones: [{date: 2026-02-01, percent: 12.34}, {date: 2026-03-01, percent: 12.34},\n"
                       "                  {date: 2026-04-01, percent: '100'}]}\n";
    Sitewatch__V1__Registry *reg = NULL;
    sw_strlist_t errors = {NULL, 0}, warnings = {NULL, 0};
    int rc = s_parse (yaml, &reg, &errors, &warnings);
    s_dump ("error", &errors);
    s_dump ("warning", &warnings);
    assert_int_equal (rc, 0);
    assert_non_null (reg);
    assert_int_equal (errors.count, 0);
    assert_int_equal (warnings.count, 3);
    assert_true (s_has (&warnings, 5, "colour: unknown field"));
    assert_true (s_has (&warnings, 9, "commissioners[0]: C01 follows 2 projects (expected 5 to 7)"));
    assert_true (s_has (&warnings, 10, "commissioners[1]: C02 follows 0 projects"));

    assert_string_equal (reg->zone_name, "Test Zone");
    assert_string_equal (reg->timezone, "Europe/Berlin");
    assert_int_equal (reg->period_days, 7);
    assert_int_equal (reg->n_holidays, 0);
    assert_int_equal (reg->n_projects, 2);
    assert_string_equal (reg->projects[0]->unit, "");
    assert_string_equal (reg->projects[0]->local_contact, "");
    assert_int_equal (reg->projects[0]->milestones[0]->percent_bp, 1250);
    assert_string_equal (reg->projects[1]->local_contact, "A \xc3\xa9");
    assert_string_equal (reg->projects[1]->kind, "government");
    assert_int_equal (reg->projects[1]->n_milestones, 3);
    assert_int_equal (reg->projects[1]->milestones[1]->percent_bp, 1234);
    assert_int_equal (reg->projects[1]->milestones[2]->percent_bp, 10000);
    assert_string_equal (sw_registry_commissioner (reg, "C02")->name, "Idle");
    sitewatch__v1__registry__free_unpacked (reg, NULL);
    sw_strlist_clear (&errors);
    sw_strlist_clear (&warnings);

    /* warnings also come with errors; defaults hold; NULL lists are fine */
    reg = NULL;
    assert_int_equal (s_parse (HEAD P_OK ("P1") "  - {id: P2}\n", &reg, &errors, &warnings), -1);
    assert_null (reg);
    assert_true (s_has (&warnings, 5, "C01 follows 1 project ("));
    sw_strlist_clear (&errors);
    sw_strlist_clear (&warnings);
    assert_int_equal (s_parse (HEAD P_OK ("P1"), &reg, NULL, NULL), 0);
    assert_string_equal (reg->timezone, "Asia/Shanghai");
    assert_int_equal (reg->period_days, 3);
    assert_string_equal (reg->zone_name, "");
    sitewatch__v1__registry__free_unpacked (reg, NULL);
    assert_int_equal (s_parse ("projects: [", &reg, NULL, NULL), -1);
    assert_null (reg);
    /* empty lists are allowed */
    assert_int_equal (s_parse ("period_anchor: 2026-03-01\nleaders: []\ncommissioners: []\nprojects: []\n", &reg,
                               &errors, &warnings),
                      0);
    assert_int_equal (reg->n_projects, 0);
    sitewatch__v1__registry__free_unpacked (reg, NULL);
    assert_int_equal (sw_registry_parse (NULL, 0, &reg, &errors, NULL), -1);
    assert_true (s_has (&errors, 1, "registry: the document is empty"));
    sw_strlist_clear (&errors);
    sw_strlist_clear (&warnings);
}

/* ------------------------------------------------------------ hostile input */

/* Thousands of bad projects: listing stops at 1000 with a summary. */
static void
test_error_flood (void **state)
{
    (void) state;
    size_t n = 1500, cap = 256 + n * 128;
    char *yaml = malloc (cap);
    assert_non_null (yaml);
    size_t len = (size_t) snprintf (yaml, cap, "%s", HEAD);
    for (size_t i = 0; i < n; i++)
        len += (size_t) snprintf (yaml + len, cap - len,
                                  "  - {id: P%zu, name: N, kind: bad, state: started, commissioner: C01, "
                                  "leader: L01, start: 2026-01-01, end: 2026-12-31}\n",
                                  i);
    Sitewatch__V1__Registry *reg = NULL;
    sw_strlist_t errors = {NULL, 0};
    assert_int_equal (sw_registry_parse (yaml, len, &reg, &errors, NULL), -1);
    assert_null (reg);
    assert_int_equal (errors.count, 1001);
    assert_true (s_has (&errors, 7, "projects[0].kind"));
    assert_true (s_has (&errors, 1006, "projects[999].kind"));
    assert_string_equal (errors.items[1000], "line 1007: registry: 500 more problems not listed");
    sw_strlist_clear (&errors);
    free (yaml);
}

/* Random damage to the sample: parse must answer consistently, never crash. */
static void
test_mutations (void **state)
{
    (void) state;
    size_t len;
    char *sample = s_sample_read (&len);
    char *yaml = malloc (len + 1);
    assert_non_null (yaml);
    static const char alphabet[] = "-:[]{},&*!?|>'\"#%@` \n\t0123456789x\xff\xe6";
    uint64_t seed = 88172645463325252u;
    int accepted = 0;
    for (int round = 0; round < 300; round++) {
        memcpy (yaml, sample, len);
        size_t cut = len;
        int edits = 1 + round % 8;
        for (int e = 0; e < edits; e++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t at = (size_t) (seed % len);
            yaml[at] = alphabet[(seed >> 32) % (sizeof (alphabet) - 1)];
        }
        if (round % 5 == 0)
            cut = (size_t) ((seed >> 16) % len);
        Sitewatch__V1__Registry *reg = NULL;
        sw_strlist_t errors = {NULL, 0}, warnings = {NULL, 0};
        int rc = sw_registry_parse (yaml, cut, &reg, &errors, &warnings);
        if (rc == 0) {
            assert_non_null (reg);
            assert_int_equal (errors.count, 0);
            accepted++;
            sitewatch__v1__registry__free_unpacked (reg, NULL);
        }
        else {
            assert_int_equal (rc, -1);
            assert_null (reg);
            assert_true (errors.count > 0);
        }
        sw_strlist_clear (&errors);
        sw_strlist_clear (&warnings);
    }
    assert_true (accepted < 300);
    free (yaml);
    free (sample);
}

static void
test_strlist (void **state)
{
    (void) state;
    sw_strlist_t list = {NULL, 0};
    for (int i = 0; i < 100; i++)
        sw_strlist_add (&list, "item %d of %s", i, "many");
    assert_int_equal (list.count, 100);
    assert_string_equal (list.items[0], "item 0 of many");
    assert_string_equal (list.items[99], "item 99 of many");
    sw_strlist_clear (&list);
    assert_null (list.items);
    assert_int_equal (list.count, 0);
    sw_strlist_clear (&list);
    sw_strlist_add (&list, "%s", "again");
    assert_int_equal (list.count, 1);
    sw_strlist_clear (&list);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sample),
        cmocka_unit_test (test_broken),
        cmocka_unit_test (test_all_errors),
        cmocka_unit_test (test_warnings_apply),
        cmocka_unit_test (test_error_flood),
        cmocka_unit_test (test_mutations),
        cmocka_unit_test (test_strlist),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
