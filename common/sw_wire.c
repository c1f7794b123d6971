/* sw_wire: protobuf-c packing into buffers and frames. */
#include "sw_wire.h"

#include <stdlib.h>
#include <time.h>

uint8_t *
sw_wire_pack (const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size (msg);
    uint8_t *buf = malloc (n ? n : 1);
    if (!buf)
        abort ();
    *len = protobuf_c_message_pack (msg, buf);
    return buf;
}

zframe_t *
sw_wire_frame (const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size (msg);
    zframe_t *frame = zframe_new (NULL, n);
    if (!frame)
        abort ();
    protobuf_c_message_pack (msg, zframe_data (frame));
    return frame;
}

int64_t
sw_wire_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
