/* rules_def: a ProjectDef viewed from its encoding (see rules_def.h). */
#include "rules_def.h"
#include "sw_pb.h"

#include <string.h>

static bool
s_milestone (const uint8_t *data, size_t size, Sitewatch__V1__Milestone *m)
{
    sitewatch__v1__milestone__init (m);
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        if (f.number != 1 && f.number != 2)
            continue;
        if (f.wire != SW_PB_VARINT)
            return false;
        if (f.number == 1)
            m->day = (int32_t) f.value;
        else
            m->percent_bp = (int32_t) f.value;
    }
    return !rd.bad;
}

bool
rules_def_view (const uint8_t *data, size_t size, rules_def_view_t *v)
{
    Sitewatch__V1__ProjectDef *d = &v->def;
    sitewatch__v1__project_def__init (d);
    d->milestones = v->msp;
    size_t used = 0;
    sw_pb_reader_t rd;
    sw_pb_field_t f;
    sw_pb_reader (&rd, data, size);
    while (sw_pb_next (&rd, &f)) {
        char **str = NULL;
        switch (f.number) {
        case 1: str = &d->id; break;
        case 2: str = &d->name; break;
        case 3: str = &d->kind; break;
        case 4: str = &d->state; break;
        case 5: str = &d->commissioner; break;
        case 6: str = &d->unit; break;
        case 7: str = &d->local_contact; break;
        case 8: str = &d->leader; break;
        case 9:
        case 10:
            if (f.wire != SW_PB_VARINT)
                return false;
            if (f.number == 9)
                d->start_day = (int32_t) f.value;
            else
                d->end_day = (int32_t) f.value;
            continue;
        case 11:
            if (f.wire != SW_PB_LEN || d->n_milestones == RULES_DEF_MILESTONES_MAX
                || !s_milestone (f.data, f.size, &v->ms[d->n_milestones]))
                return false;
            v->msp[d->n_milestones] = &v->ms[d->n_milestones];
            d->n_milestones++;
            continue;
        default:
            continue; /* unknown: skipped */
        }
        if (!sw_pb_string_into (&f, v->strings, sizeof v->strings, &used, str))
            return false;
    }
    return !rd.bad;
}
