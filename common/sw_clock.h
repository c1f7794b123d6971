/* sw_clock: the one time source. Intake owns it and stamps the stream with
 * it; every other service takes time from the stream, never from here.
 * wall: now = the system clock, never earlier than the last instant handed
 * out (a clock stepped backwards does not make the stream go back).
 * manual: time moves only when an operator says so; a fresh manual clock
 * may be set anywhere once (a scenario starts in the past), after that it
 * only moves forward. Pure apart from sw_clock_now reading the wall clock in
 * wall mode; the wall time can be injected for tests. */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool manual;
    bool set;          /* manual: an operator has set it */
    int64_t now;       /* last instant handed out / manual time (UTC ms) */
} sw_clock_t;

/* Results of a change. */
typedef enum {
    SW_CLOCK_OK = 0,
    SW_CLOCK_WALL = 1,       /* refused: the clock is the system clock */
    SW_CLOCK_BACKWARDS = 2,  /* refused: time only moves forward */
} sw_clock_result_t;

/* The current instant: manual time, or max(wall_ms, last) in wall mode.
 * Advances self->now in wall mode. */
int64_t sw_clock_now (sw_clock_t *self, int64_t wall_ms);
/* Sets the manual clock to instant. */
sw_clock_result_t sw_clock_set (sw_clock_t *self, int64_t instant);
/* Moves the manual clock forward by duration ms (>= 0). */
sw_clock_result_t sw_clock_advance (sw_clock_t *self, int64_t duration);
/* The refusal's code and human message for a result. */
const char *sw_clock_code (sw_clock_result_t r);
const char *sw_clock_message (sw_clock_result_t r);

#endif
