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

size_t
sw_wire_recv_parts (void *socket, zmq_msg_t *parts, size_t max)
{
    zmq_msg_init (&parts[0]);
    if (zmq_msg_recv (&parts[0], socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&parts[0]);
        return 0;
    }
    size_t n = 1;
    bool more = zmq_msg_more (&parts[0]);
    while (more) {
        zmq_msg_t extra, *into = n < max ? &parts[n] : &extra;
        zmq_msg_init (into);
        if (zmq_msg_recv (into, socket, 0) < 0) {
            zmq_msg_close (into);
            break;
        }
        more = zmq_msg_more (into);
        if (into == &extra)
            zmq_msg_close (&extra);
        n++;
    }
    return n;
}
