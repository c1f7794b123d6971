/* rules_report: a Report's fields from its encoding (see rules_report.h). */
#include "rules_report.h"
#include "sw_pb.h"

#include <string.h>

bool
rules_report_read (const uint8_t *data, size_t size, rules_report_fields_t *out)
{
    memset (out, 0, sizeof *out);
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        switch (f.number) {
        case 2: /* project_id */
            if (f.wire != SW_PB_LEN || f.size > RULES_REPORT_ID_MAX)
                return false;
            memcpy (out->project_id, f.data, f.size);
            out->project_id[f.size] = 0;
            break;
        case 4: /* source */
        case 5: /* observed_at */
        case 6: /* percent_bp */
            if (f.wire != SW_PB_VARINT)
                return false;
            if (f.number == 4)
                out->source = (Sitewatch__V1__Source) (int32_t) f.value;
            else if (f.number == 5)
                out->observed_at = (int64_t) f.value;
            else
                out->percent_bp = (int32_t) f.value;
            break;
        case 9: /* legitimate_reason */
            if (f.wire != SW_PB_LEN)
                return false;
            out->reason = f.data;
            out->reason_len = f.size;
            break;
        case 7:  /* problems */
        case 8:  /* resolves */
            return false;
        case 1:  /* report_id */
        case 3:  /* reporter_id */
        case 10: /* received_at: read from the log, never judged */
            if (f.wire != (f.number == 10 ? SW_PB_VARINT : SW_PB_LEN))
                return false;
            break;
        default:
            break; /* unknown: skipped, as protobuf-c keeps it aside */
        }
    }
    return !rd.bad;
}
