/* fuzz_chain: a ChainMsg as a stage reads it off a durable hop. Unpacks
 * arbitrary bytes; a decoded message is packed again, to the size it
 * announced, and decoded again (no out-of-bounds read or write anywhere).
 * The same bytes go through sw_pb, which stages, escalation and notify use
 * to read a message's head and move its body on without unpacking it: it
 * must stay inside the input and account for every byte it accepts. */
#include "sitewatch.pb-c.h"
#include "sw_pb.h"

#include <stdint.h>
#include <stdlib.h>

/* Walks fields (and length-delimited ones inside, depth levels down);
 * false when the reader stopped at malformed input. */
static bool
s_walk (const uint8_t *data, size_t size, int depth)
{
    sw_pb_reader_t r;
    sw_pb_field_t f;
    size_t covered = 0;
    sw_pb_reader (&r, data, size);
    while (sw_pb_next (&r, &f)) {
        if (f.start != data + covered || f.total == 0 || covered + f.total > size)
            abort ();
        if (f.wire == SW_PB_LEN && (f.data < f.start || f.data + f.size != f.start + f.total))
            abort ();
        covered += f.total;
        if (f.wire == SW_PB_LEN && depth > 0)
            (void) s_walk (f.data, f.size, depth - 1);
    }
    if (!r.bad && covered != size)
        abort ();
    return !r.bad;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    (void) s_walk (data, size, 3);
    Sitewatch__V1__ChainMsg *msg = sitewatch__v1__chain_msg__unpack (NULL, size, data);
    if (!msg)
        return 0;
    size_t len = sitewatch__v1__chain_msg__get_packed_size (msg);
    uint8_t *buf = malloc (len ? len : 1);
    if (buf) {
        if (sitewatch__v1__chain_msg__pack (msg, buf) != len)
            abort ();
        /* Not asserted: that the repacked bytes decode. protobuf-c reads an
           unknown field numbered 0 (long varint tag) but writes it back
           unreadably; hops carry only what intake packed, and intake takes
           no request that fails this (s_repacks, fuzz_request checks it). */
        Sitewatch__V1__ChainMsg *again = sitewatch__v1__chain_msg__unpack (NULL, len, buf);
        if (again)
            sitewatch__v1__chain_msg__free_unpacked (again, NULL);
        /* The repacked bytes through sw_pb too (in bounds; not asserted
           readable, for the same reason). */
        (void) s_walk (buf, len, 3);
        free (buf);
    }
    sitewatch__v1__chain_msg__free_unpacked (msg, NULL);
    return 0;
}
