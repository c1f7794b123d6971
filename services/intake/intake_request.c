/* intake_request: a report request viewed from its encoding (see
 * intake_request.h). */
#include "intake_request.h"
#include "sw_pb.h"

static bool
s_report (const uint8_t *data, size_t size, intake_request_view_t *v, size_t *used)
{
    Sitewatch__V1__Report *r = &v->report;
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        char **str;
        switch (f.number) {
        case 1: str = &r->report_id; break;
        case 2: str = &r->project_id; break;
        case 3: str = &r->reporter_id; break;
        case 9: str = &r->legitimate_reason; break;
        case 4:
        case 5:
        case 6:
        case 10:
            if (f.wire != SW_PB_VARINT)
                return false;
            /* protobuf-c keeps the low 32 bits of a 32-bit field's varint */
            if (f.number == 4)
                r->source = (Sitewatch__V1__Source) (int32_t) (uint32_t) f.value;
            else if (f.number == 5)
                r->observed_at = (int64_t) f.value;
            else if (f.number == 6)
                r->percent_bp = (int32_t) (uint32_t) f.value;
            else
                r->received_at = (int64_t) f.value;
            continue;
        default:
            return false; /* problems, resolves, or a field of a newer contract */
        }
        if (!sw_pb_string_into (&f, v->strings, sizeof v->strings, used, str))
            return false;
    }
    return !rd.bad;
}

bool
intake_request_view (const uint8_t *data, size_t size, intake_request_view_t *v)
{
    Sitewatch__V1__Request *q = &v->req;
    sitewatch__v1__request__init (q);
    sitewatch__v1__report__init (&v->report);
    size_t used = 0;
    int reports = 0;
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        switch (f.number) {
        case 1:
            if (f.wire != SW_PB_VARINT)
                return false;
            q->version = (uint32_t) f.value;
            break;
        case 2:
            if (!sw_pb_string_into (&f, v->strings, sizeof v->strings, &used, &q->request_id))
                return false;
            break;
        case SITEWATCH__V1__REQUEST__BODY_REPORT:
            /* a second report field would merge into the first: protobuf-c's */
            if (f.wire != SW_PB_LEN || ++reports > 1 || !s_report (f.data, f.size, v, &used))
                return false;
            break;
        default:
            return false;
        }
    }
    if (rd.bad || reports != 1)
        return false;
    q->body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
    q->report = &v->report;
    return true;
}
