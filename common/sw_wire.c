/* sw_wire: protobuf-c packing into buffers and frames. */
#include "sw_wire.h"
#include "sw_pb.h"

#include <stdlib.h>
#include <string.h>
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

/* A string field (nothing for ""): the bytes written. */
static size_t
s_put_str (uint8_t *out, uint32_t number, const char *str, size_t len)
{
    if (!len)
        return 0;
    size_t n = sw_pb_put_len_head (out, number, len);
    memcpy (out + n, str, len);
    return n + len;
}

static size_t
s_str_size (size_t len)
{
    return len ? 1 + sw_pb_varint_size (len) + len : 0; /* fields 1..15: a 1-byte tag */
}

/* A varint field, nothing for 0: its size, and the field written. */
static size_t
s_varint_size (uint64_t v)
{
    return v ? 1 + sw_pb_varint_size (v) : 0; /* fields 1..15: a 1-byte tag */
}

static size_t
s_put_varint (uint8_t *out, uint32_t number, uint64_t v)
{
    return v ? sw_pb_put_varint_field (out, number, v) : 0;
}

/* An enum or int32 as protobuf-c encodes it: sign-extended to 64 bits (a
 * negative value takes 10 bytes). The cast through int32_t matters: GCC
 * gives an enum with no negative constant an unsigned type. */
static uint64_t
s_int32 (int32_t v)
{
    return (uint64_t) (int64_t) v;
}

/* Request and Response alike: { version, request_id, <body> { size bytes } }.
 * s_envelope_size is the whole; s_envelope_head writes all but the body's
 * fields. */
static size_t
s_envelope_size (size_t id_len, size_t body)
{
    return 1 + sw_pb_varint_size (SW_WIRE_VERSION) + s_str_size (id_len) + 1
           + sw_pb_varint_size (body) + body;
}

static size_t
s_envelope_head (uint8_t *out, const char *id, size_t id_len, uint32_t body_field, size_t body)
{
    size_t w = sw_pb_put_varint_field (out, 1, SW_WIRE_VERSION);
    w += s_put_str (out + w, 2, id, id_len);
    return w + sw_pb_put_len_head (out + w, body_field, body);
}

size_t
sw_wire_ack_encode (uint8_t *out, size_t cap, const char *request_id, const char *report_id,
                    Sitewatch__V1__Ack__Status status, const char *code, const char *message,
                    uint32_t retry_after_ms)
{
    const char *str[4] = { request_id ? request_id : "", report_id ? report_id : "",
                           code ? code : "", message ? message : "" };
    size_t len[4];
    for (int i = 0; i < 4; i++)
        len[i] = strlen (str[i]);
    uint64_t st = s_int32 ((int32_t) status);
    size_t ack = s_str_size (len[1]) + s_str_size (len[2]) + s_str_size (len[3])
                 + s_varint_size (st) + s_varint_size (retry_after_ms);
    size_t n = s_envelope_size (len[0], ack);
    if (n > cap)
        return n;
    size_t w = s_envelope_head (out, str[0], len[0], SITEWATCH__V1__RESPONSE__BODY_ACK, ack);
    w += s_put_str (out + w, 1, str[1], len[1]);
    w += s_put_varint (out + w, 2, st);
    w += s_put_str (out + w, 3, str[2], len[2]);
    w += s_put_str (out + w, 4, str[3], len[3]);
    w += s_put_varint (out + w, 5, retry_after_ms);
    return w;
}

size_t
sw_wire_report_encode (uint8_t *out, size_t cap, const char *request_id, const char *report_id,
                       const char *project_id, Sitewatch__V1__Source source, int64_t observed_at,
                       int32_t percent_bp)
{
    const char *str[3] = { request_id ? request_id : "", report_id ? report_id : "",
                           project_id ? project_id : "" };
    size_t len[3];
    for (int i = 0; i < 3; i++)
        len[i] = strlen (str[i]);
    uint64_t src = s_int32 ((int32_t) source), at = (uint64_t) observed_at,
             bp = s_int32 (percent_bp);
    size_t rep = s_str_size (len[1]) + s_str_size (len[2]) + s_varint_size (src)
                 + s_varint_size (at) + s_varint_size (bp);
    size_t n = s_envelope_size (len[0], rep);
    if (n > cap)
        return n;
    size_t w = s_envelope_head (out, str[0], len[0], SITEWATCH__V1__REQUEST__BODY_REPORT, rep);
    w += s_put_str (out + w, 1, str[1], len[1]);
    w += s_put_str (out + w, 2, str[2], len[2]);
    w += s_put_varint (out + w, 4, src);
    w += s_put_varint (out + w, 5, at);
    w += s_put_varint (out + w, 6, bp);
    return w;
}

bool
sw_wire_ack_view (const void *data, size_t size, sw_wire_ack_view_t *view)
{
    memset (view, 0, sizeof *view);
    sw_pb_reader_t r;
    sw_pb_field_t f;
    const uint8_t *ack = NULL;
    size_t ack_size = 0;
    bool has_ack = false;
    sw_pb_reader (&r, data, size);
    while (sw_pb_next (&r, &f)) {
        if (f.number == 2 && f.wire == SW_PB_LEN) {
            view->request_id = f.data;
            view->request_id_len = f.size;
        }
        else if (f.number == SITEWATCH__V1__RESPONSE__BODY_ACK && f.wire == SW_PB_LEN) {
            if (ack)
                return false; /* two parts of one ack, which protobuf-c merges */
            ack = f.data;
            ack_size = f.size;
            has_ack = true;
        }
        else if (f.number >= 10)
            has_ack = false; /* another body: the last one of a oneof wins */
        else if (f.number == 1 && f.wire == SW_PB_VARINT)
            continue;
        else
            return false; /* a known field in an unexpected shape: protobuf-c decides */
    }
    if (r.bad || !has_ack)
        return false;
    sw_pb_reader (&r, ack, ack_size);
    while (sw_pb_next (&r, &f)) {
        if (f.number == 2 || f.number == 5) {
            if (f.wire != SW_PB_VARINT)
                return false;
            if (f.number == 2)
                view->status = (Sitewatch__V1__Ack__Status) (int32_t) f.value;
            else
                view->retry_after_ms = (uint32_t) f.value;
        }
        else if (f.number <= 4 && f.wire != SW_PB_LEN)
            return false;
    }
    return !r.bad;
}
