/* rules_report: the fields rules needs of a Report, read from its encoding
 * (sw_pb) without unpacking it: a report without problems is applied and
 * logged as the bytes intake journaled (see README "The report path").
 * Pure: no allocation, no I/O. */
#ifndef RULES_REPORT_H
#define RULES_REPORT_H

#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_REPORT_ID_MAX 256

typedef struct {
    char project_id[RULES_REPORT_ID_MAX + 1]; /* NUL-terminated */
    Sitewatch__V1__Source source;
    int64_t observed_at;
    int32_t percent_bp;
    const uint8_t *reason;  /* legitimate_reason: its bytes in the encoding */
    size_t reason_len;
} rules_report_fields_t;

/* Reads a Report's encoding as protobuf-c would (a later field winning,
 * unknown fields skipped). false: leave it to protobuf-c (it has problems
 * or resolutions, whose ids rules assigns on the unpacked path; a known
 * field has the wrong wire type; a project id is longer than
 * RULES_REPORT_ID_MAX; or the encoding is malformed). */
bool rules_report_read (const uint8_t *data, size_t size, rules_report_fields_t *out);

#endif
