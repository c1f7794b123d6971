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

#include "sitewatch.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* Encodes st into out (cap bytes): the size. 0: leave it to protobuf-c (it
 * does not fit, or a message in it kept unknown fields). */
size_t rules_state_encode (const Sitewatch__V1__RulesProjectState *st, uint8_t *out, size_t cap);
/* The same for a warning event. */
size_t rules_event_encode (const Sitewatch__V1__WarningEvent *ev, uint8_t *out, size_t cap);

#endif
