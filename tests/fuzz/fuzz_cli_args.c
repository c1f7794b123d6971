/* fuzz_cli_args: the command-line arguments that reach the wire. Feeds one
 * NUL-terminated copy of the input to the CLI's percent, duration and
 * number parsers and to the calendar's instant and date parsers; a parsed
 * instant must format and parse back to the same value. */
#include "cli.h"
#include "sw_calendar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cli/main.c (not linked: libFuzzer owns main) provides the usage text. */
void
cli_usage (FILE *out)
{
    (void) out;
}

static sw_calendar_t *s_cal;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_cal) {
        s_cal = sw_calendar_new ("Asia/Shanghai", 0, 3, NULL, 0, NULL, 0);
        if (!s_cal)
            abort ();
    }
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = '\0';

    int32_t bp;
    if (cli_parse_percent (text, &bp) == 0 && (bp > 100000000 || bp < -100000000))
        abort ();       /* clamped to +-1e6 % */
    int64_t ms;
    if (cli_parse_duration (text, &ms) == 0 && ms < 0)
        abort ();
    uint64_t u;
    if (cli_parse_uint (text, 1000000, &u) == 0 && u > 1000000)
        abort ();
    int32_t day;
    sw_date_parse (text, &day);
    int64_t at;
    if (sw_calendar_parse_instant (s_cal, text, &at) == 0) {
        char buf[64];
        int64_t back;
        if (sw_calendar_format_instant (s_cal, at, buf, sizeof buf) > 0
            && (sw_calendar_parse_instant (s_cal, buf, &back) != 0 || back != at))
            abort ();   /* what we print must read back as the same instant */
    }
    free (text);
    return 0;
}
