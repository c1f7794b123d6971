/* sw_str: bounded string copies for hot paths, where snprintf's format
 * parsing cost more than the copy (a period close builds a million event
 * ids and reason codes). */
#ifndef SW_STR_H
#define SW_STR_H

#include <stddef.h>
#include <stdint.h>

/* Copies src into dst (cap bytes), cut to fit and terminated, as
 * snprintf (dst, cap, "%s", src) does; cap 0 writes nothing, a NULL src is
 * "". Returns the length written. */
size_t sw_strlcpy (char *dst, const char *src, size_t cap);

/* Writes v in decimal at dst (at least 21 bytes), terminated. Returns the
 * number of digits. */
size_t sw_u64_dec (char *dst, uint64_t v);

#endif
