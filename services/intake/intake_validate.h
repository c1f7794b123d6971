/* intake_validate: the front door's judgement of a report or check-in, as a
 * pure function (SPEC §3): no sockets, no storage, no clock reads. Every
 * rejection has a machine-readable code and a human message. */
#ifndef INTAKE_VALIDATE_H
#define INTAKE_VALIDATE_H

#include "sitewatch.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t now;            /* intake's clock (UTC ms) */
    int64_t max_skew_ms;    /* default 5 minutes */
    int64_t max_age_ms;     /* default 14 days */
    size_t frame_size;      /* bytes of the request frame */
    bool project_known;
    bool authorized;        /* the caller's key may report for this project */
} intake_context_t;

typedef struct {
    const char *code;       /* NULL when accepted */
    char message[256];
} intake_verdict_t;

/* Largest request that may carry a report or check-in (bytes). */
#define INTAKE_MAX_REPORT_FRAME (64 * 1024)
#define INTAKE_MAX_ID 128
#define INTAKE_MAX_TEXT 4096
#define INTAKE_MAX_PROBLEMS 64
#define INTAKE_MAX_RESOLVES 64

/* Judges a report. Returns 0 when acceptable (v->code NULL), -1 with
 * v->code one of: too_large, malformed, unauthorized, unknown_project,
 * bad_percent, future_timestamp, too_old. Checks run in that order. */
int intake_validate_report (const Sitewatch__V1__Report *r, const intake_context_t *ctx,
                            intake_verdict_t *v);
/* Judges a check-in the same way (codes: too_large, malformed,
 * unauthorized, unknown_project, future_timestamp, too_old). */
int intake_validate_checkin (const Sitewatch__V1__Checkin *c, const intake_context_t *ctx,
                             intake_verdict_t *v);

/* True when s is a valid id: 1..INTAKE_MAX_ID bytes of [A-Za-z0-9._:/-]. */
bool intake_valid_id (const char *s);
/* True when s (len bytes) is valid UTF-8 without NUL bytes. */
bool intake_valid_utf8 (const char *s, size_t len);

#endif
