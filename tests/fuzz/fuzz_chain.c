/* fuzz_chain: a ChainMsg as a stage reads it off a durable hop. Unpacks
 * arbitrary bytes; a decoded message is packed again, to the size it
 * announced, and decoded again (no out-of-bounds read or write anywhere). */
#include "sitewatch.pb-c.h"

#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
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
        free (buf);
    }
    sitewatch__v1__chain_msg__free_unpacked (msg, NULL);
    return 0;
}
