/* rules_state: a project's state and a warning event encoded by hand, byte
 * for byte as protobuf-c packs them. Rules packs a state after every report
 * and every project at each close, and an event at every change of level;
 * protobuf-c walks the descriptors twice (the size, then the bytes, a
 * nested reason's size again inside), a quarter of rules' work per project
 * at a close. Pure: no allocation, no I/O. test_rules_state fills every
 * field the descriptors list with random values and compares the bytes
 * with protobuf-c's, so a field added to the contract and not here fails
 * it. */
#ifndef RULES_STATE_H
#define RULES_STATE_H

#include "rules_policy.h"
#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encodes st into out (cap bytes): the size. 0: leave it to protobuf-c (it
 * does not fit, or a message in it kept unknown fields). */
size_t rules_state_encode (const Sitewatch__V1__RulesProjectState *st, uint8_t *out, size_t cap);
/* The same for a warning event. */
size_t rules_event_encode (const Sitewatch__V1__WarningEvent *ev, uint8_t *out, size_t cap);
/* The same for a project of the express report (a close encodes a million:
 * protobuf-c's sizing and packing were most of the report's CPU). */
size_t rules_digest_project_encode (const Sitewatch__V1__DigestProject *d, uint8_t *out,
                                    size_t cap);

/* A stored state read from its encoding into protobuf-c's struct pointing
 * into the view itself: no allocation, nothing to free. A close reads every
 * project's state twice (to judge it, then for the express report). */
#define RULES_STATE_PROBLEMS_MAX 16
#define RULES_STATE_REASONS_MAX 8
#define RULES_STATE_PERIODS_MAX 64
#define RULES_STATE_STRINGS_MAX 4096

typedef struct {
    Sitewatch__V1__RulesProjectState st; /* what the reader uses */
    Sitewatch__V1__Problem problems[RULES_STATE_PROBLEMS_MAX];
    Sitewatch__V1__Problem *problemp[RULES_STATE_PROBLEMS_MAX];
    Sitewatch__V1__Reason reasons[RULES_STATE_REASONS_MAX];
    Sitewatch__V1__Reason *reasonp[RULES_STATE_REASONS_MAX];
    int64_t periods[RULES_STATE_PERIODS_MAX];
    char strings[RULES_STATE_STRINGS_MAX]; /* the strings, NUL-terminated */
    /* A judging's reasons (rules_state_view_judged): the policy's, kept
     * here, and the Reasons pointing into them. */
    rules_reason_t judged[RULES_MAX_REASONS];
    Sitewatch__V1__Reason judged_reasons[RULES_MAX_REASONS];
    Sitewatch__V1__Reason *judged_reasonp[RULES_MAX_REASONS];
} rules_state_view_t;

/* Reads a RulesProjectState's encoding as protobuf-c would (a later scalar
 * or string winning, repeated fields appended, report periods packed or
 * not) into v->st. false: unpack it with protobuf-c instead (more entries
 * or string bytes than the view holds, unknown fields, a known field with
 * the wrong wire type, a string holding a NUL, or malformed bytes). */
bool rules_state_view (const uint8_t *data, size_t size, rules_state_view_t *v);

/* Points v->st's reasons at a copy of the policy's n reasons, each one's
 * fields as fill sets them (strings pointing into the copy). */
void rules_state_view_judged (rules_state_view_t *v, const rules_reason_t *reasons, size_t n,
                              void (*fill) (Sitewatch__V1__Reason *out, const rules_reason_t *r,
                                            char *code, char *detail, char *problem_id));

#endif
