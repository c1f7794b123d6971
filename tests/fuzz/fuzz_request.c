/* fuzz_request: a device's frame as intake reads it. Unpacks arbitrary
 * bytes as a sitewatch.v1.Request and, when that succeeds, judges the
 * report or check-in it carries exactly as intake does (intake_validate).
 * Where intake reads the frame in place (intake_request_view), protobuf-c
 * must read it too, to the same fields: else abort. */
#include "intake_request.h"
#include "intake_validate.h"
#include "sitewatch.pb-c.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static intake_request_view_t s_view;

static void
s_check_view (const Sitewatch__V1__Request *req, const uint8_t *data, size_t size)
{
    if (!intake_request_view (data, size, &s_view))
        return;
    if (!req || req->body_case != SITEWATCH__V1__REQUEST__BODY_REPORT)
        abort ();
    const Sitewatch__V1__Request *g = &s_view.req;
    const Sitewatch__V1__Report *a = g->report, *b = req->report;
    if (g->version != req->version || strcmp (g->request_id, req->request_id) != 0
        || strcmp (a->report_id, b->report_id) != 0 || strcmp (a->project_id, b->project_id) != 0
        || strcmp (a->reporter_id, b->reporter_id) != 0
        || strcmp (a->legitimate_reason, b->legitimate_reason) != 0 || a->source != b->source
        || a->observed_at != b->observed_at || a->percent_bp != b->percent_bp
        || a->received_at != b->received_at || b->n_problems || b->n_resolves)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Sitewatch__V1__Request *req = sitewatch__v1__request__unpack (NULL, size, data);
    s_check_view (req, data, size);
    if (!req)
        return 0;
    intake_context_t ctx = { INT64_C (1773194400000), 5 * 60 * 1000, INT64_C (14) * 86400000,
                             size, true, true };
    intake_verdict_t v;
    if (req->body_case == SITEWATCH__V1__REQUEST__BODY_REPORT) {
        intake_validate_report (req->report, &ctx, &v);
        ctx.project_known = false;
        intake_validate_report (req->report, &ctx, &v);
    }
    else if (req->body_case == SITEWATCH__V1__REQUEST__BODY_CHECKIN)
        intake_validate_checkin (req->checkin, &ctx, &v);
    if (req->request_id)
        intake_valid_id (req->request_id);
    sitewatch__v1__request__free_unpacked (req, NULL);
    return 0;
}
