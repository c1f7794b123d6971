/* rules_def: a stored ProjectDef read from its encoding into a protobuf-c
 * struct that points into a caller's buffer: no allocation, nothing to
 * free. A period close reads every project's def (a million at the
 * largest); protobuf-c's unpack allocates each string and milestone. Pure. */
#ifndef RULES_DEF_H
#define RULES_DEF_H

#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_DEF_MILESTONES_MAX 64
#define RULES_DEF_STRINGS_MAX 2048

typedef struct {
    Sitewatch__V1__ProjectDef def; /* what the reader uses */
    Sitewatch__V1__Milestone ms[RULES_DEF_MILESTONES_MAX];
    Sitewatch__V1__Milestone *msp[RULES_DEF_MILESTONES_MAX];
    char strings[RULES_DEF_STRINGS_MAX]; /* the strings, NUL-terminated */
} rules_def_view_t;

/* Reads a ProjectDef's encoding as protobuf-c would (a later scalar
 * winning, milestones appended, unknown fields skipped) into v->def. false:
 * unpack it with protobuf-c instead (more than RULES_DEF_MILESTONES_MAX
 * milestones or RULES_DEF_STRINGS_MAX bytes of strings, a known field with
 * the wrong wire type, a string holding a NUL, or malformed bytes). */
bool rules_def_view (const uint8_t *data, size_t size, rules_def_view_t *v);

#endif
