/* sw_str: bounded string copies for hot paths. */
#include "sw_str.h"

#include <string.h>

size_t
sw_strlcpy (char *dst, const char *src, size_t cap)
{
    if (!cap)
        return 0;
    if (!src)
        src = "";
    size_t n = strnlen (src, cap - 1);
    memcpy (dst, src, n);
    dst[n] = 0;
    return n;
}

size_t
sw_u64_dec (char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = 0;
    return n;
}
