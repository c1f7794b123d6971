/* sw_clock: wall and manual time with the stream's monotonic rule. */
#include "sw_clock.h"

int64_t
sw_clock_now (sw_clock_t *self, int64_t wall_ms)
{
    if (!self->manual && wall_ms > self->now)
        self->now = wall_ms;
    return self->now;
}

sw_clock_result_t
sw_clock_set (sw_clock_t *self, int64_t instant)
{
    if (!self->manual)
        return SW_CLOCK_WALL;
    if (self->set && instant < self->now)
        return SW_CLOCK_BACKWARDS;
    self->now = instant;
    self->set = true;
    return SW_CLOCK_OK;
}

sw_clock_result_t
sw_clock_advance (sw_clock_t *self, int64_t duration)
{
    if (!self->manual)
        return SW_CLOCK_WALL;
    if (duration < 0)
        return SW_CLOCK_BACKWARDS;
    self->now += duration;
    self->set = true;
    return SW_CLOCK_OK;
}

const char *
sw_clock_code (sw_clock_result_t r)
{
    return r == SW_CLOCK_WALL ? "clock_wall" : r == SW_CLOCK_BACKWARDS ? "clock_backwards" : "";
}

const char *
sw_clock_message (sw_clock_result_t r)
{
    switch (r) {
    case SW_CLOCK_WALL:
        return "the clock is the system clock (--clock wall); start the servers with "
               "--clock manual to move time by hand";
    case SW_CLOCK_BACKWARDS:
        return "time only moves forward: the new instant is before the current one";
    default:
        return "";
    }
}
