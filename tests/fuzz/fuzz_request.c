/* fuzz_request: a device's frame as intake reads it. Unpacks arbitrary
 * bytes as a sitewatch.v1.Request and, when that succeeds, judges the
 * report or check-in it carries exactly as intake does (intake_validate). */
#include "intake_validate.h"
#include "sitewatch.pb-c.h"

#include <stddef.h>
#include <stdint.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Sitewatch__V1__Request *req = sitewatch__v1__request__unpack (NULL, size, data);
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
