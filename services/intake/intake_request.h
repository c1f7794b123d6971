/* intake_request: a device's report request read from its encoding into
 * protobuf-c's structs pointing into a buffer of the caller's: no
 * allocation, nothing to free. Every report passes here; protobuf-c's unpack
 * allocated the request, the report and each of its strings, and the frees
 * after the answer cost as much again (a quarter of intake's work per
 * report). Pure. */
#ifndef INTAKE_REQUEST_H
#define INTAKE_REQUEST_H

#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTAKE_REQUEST_STRINGS_MAX 1024

typedef struct {
    Sitewatch__V1__Request req;     /* what the reader uses: req.report = &report */
    Sitewatch__V1__Report report;
    char strings[INTAKE_REQUEST_STRINGS_MAX]; /* the strings, NUL-terminated */
} intake_request_view_t;

/* Reads a Request holding one Report as protobuf-c would (a later scalar or
 * string winning) into v->req. false: unpack it with protobuf-c instead,
 * which then decides (any field other than version, request_id and one
 * report; a report with problems, resolutions or unknown fields; a known
 * field with the wrong wire type; a string holding a NUL; more than
 * INTAKE_REQUEST_STRINGS_MAX bytes of strings; malformed bytes). */
bool intake_request_view (const uint8_t *data, size_t size, intake_request_view_t *v);

#endif
