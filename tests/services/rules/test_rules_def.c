/* rules_def_view against protobuf-c: defs packed by protobuf-c (and byte
 * strings it reads, a concatenation among them) give the same fields through
 * the view; what the view leaves to protobuf-c (too many milestones, too many
 * string bytes, wrong wire types, a NUL in a string, malformed bytes) is
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rules_def.h"

#define N_ELEM(a) (sizeof (a) / sizeof (a)[0])

static void
s_same (const char *row, const uint8_t *data, size_t size)
{
    rules_def_view_t *v = malloc (sizeof *v);
    assert_non_null (v);
    if (!rules_def_view (data, size, v))
        fail_msg ("%s: refused", row);
    Sitewatch__V1__ProjectDef *want = sitewatch__v1__project_def__unpack (NULL, size, data);
    if (!want)
        fail_msg ("%s: protobuf-c refused it", row);
    const Sitewatch__V1__ProjectDef *got = &v->def;
    const char *gs[] = { got->id, got->name, got->kind, got->state, got->commissioner, got->unit,
                         got->local_contact, got->leader };
    const char *ws[] = { want->id, want->name, want->kind, want->state, want->commissioner,
                         want->unit, want->local_contact, want->leader };
    for (size_t i = 0; i < N_ELEM (gs); i++)
        if (strcmp (gs[i], ws[i]) != 0)
            fail_msg ("%s: string field %zu '%s', want '%s'", row, i + 1, gs[i], ws[i]);
    if (got->start_day != want->start_day || got->end_day != want->end_day)
        fail_msg ("%s: days %d..%d, want %d..%d", row, got->start_day, got->end_day,
                  want->start_day, want->end_day);
    if (got->n_milestones != want->n_milestones)
        fail_msg ("%s: %zu milestones, want %zu", row, got->n_milestones, want->n_milestones);
    for (size_t i = 0; i < got->n_milestones; i++)
        if (got->milestones[i]->day != want->milestones[i]->day
            || got->milestones[i]->percent_bp != want->milestones[i]->percent_bp)
            fail_msg ("%s: milestone %zu differs", row, i);
    sitewatch__v1__project_def__free_unpacked (want, NULL);
    free (v);
}

static bool
s_refused (const uint8_t *data, size_t size)
{
    rules_def_view_t *v = malloc (sizeof *v);
    assert_non_null (v);
    bool ok = rules_def_view (data, size, v);
    free (v);
    return !ok;
}

static size_t
s_def (uint8_t *buf, const char *name, size_t n_ms, int32_t first_day)
{
    Sitewatch__V1__ProjectDef d = SITEWATCH__V1__PROJECT_DEF__INIT;
    Sitewatch__V1__Milestone ms[80], *msp[80];
    d.id = "JD001";
    d.name = (char *) name;
    d.kind = "social";
    d.state = "started";
    d.commissioner = "C1";
    d.unit = "Unit A";
    d.local_contact = "";
    d.leader = "L1";
    d.start_day = first_day;
    d.end_day = first_day + 400;
    for (size_t i = 0; i < n_ms; i++) {
        sitewatch__v1__milestone__init (&ms[i]);
        ms[i].day = first_day + (int32_t) i * 5;
        ms[i].percent_bp = (int32_t) (i * 100);
        msp[i] = &ms[i];
    }
    d.milestones = msp;
    d.n_milestones = n_ms;
    return protobuf_c_message_pack (&d.base, buf);
}

static void
test_view_table (void **state)
{
    (void) state;
    static uint8_t buf[8192], cat[8192];
    static char long_name[2100];
    memset (long_name, 'n', 1900);
    struct {
        const char *row, *name;
        size_t n_ms;
        int32_t first_day;
        bool ok;
    } rows[] = {
        { "sample", "江东 Jiangdong school", 3, 20500, true },
        { "no milestones", "n", 0, 20500, true },
        { "64 milestones", "n", 64, 20500, true },
        { "65 milestones", "n", 65, 20500, false },
        { "negative days", "n", 2, -30, true },
        { "1 900-byte name", long_name, 1, 1, true },
    };
    for (size_t i = 0; i < N_ELEM (rows); i++) {
        size_t n = s_def (buf, rows[i].name, rows[i].n_ms, rows[i].first_day);
        if (rows[i].ok)
            s_same (rows[i].row, buf, n);
        else if (!s_refused (buf, n))
            fail_msg ("%s: read, want refused", rows[i].row);
    }
    /* two encodings one after the other: a merge (later strings and days
     * win, milestones add up) */
    size_t a = s_def (cat, "first", 2, 100);
    a += s_def (cat + a, "second", 3, 200);
    s_same ("concatenation", cat, a);
    /* strings over RULES_DEF_STRINGS_MAX in all: left to protobuf-c */
    long_name[1900] = 'n';
    memset (long_name, 'n', 2090);
    size_t n = s_def (buf, long_name, 1, 1);
    assert_true (s_refused (buf, n));

    const uint8_t unknown[] = { 0x0A, 0x02, 'P', '1', 0xA0, 0x06, 0x07, 0x48, 0x05 };
    s_same ("unknown field", unknown, sizeof unknown);
    struct {
        const char *row;
        const uint8_t *data;
        size_t size;
    } refused[] = {
        { "id as a varint", (const uint8_t[]) { 0x08, 0x01 }, 2 },
        { "start_day as bytes", (const uint8_t[]) { 0x4A, 0x01, 0x00 }, 3 },
        { "milestone day as bytes", (const uint8_t[]) { 0x5A, 0x03, 0x0A, 0x01, 0x00 }, 5 },
        { "a NUL in the name", (const uint8_t[]) { 0x12, 0x02, 'a', 0x00 }, 4 },
        { "truncated", (const uint8_t[]) { 0x0A, 0x05, 'P' }, 3 },
        { "truncated milestone", (const uint8_t[]) { 0x5A, 0x02, 0x08, 0x85 }, 4 },
    };
    for (size_t i = 0; i < N_ELEM (refused); i++)
        if (!s_refused (refused[i].data, refused[i].size))
            fail_msg ("%s: read, want refused", refused[i].row);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_view_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
