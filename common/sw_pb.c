/* sw_pb: the protobuf wire format by hand (see sw_pb.h). */
#include "sw_pb.h"

#include <stdlib.h>
#include <string.h>

void
sw_pb_reader (sw_pb_reader_t *r, const void *data, size_t size)
{
    r->p = data;
    r->end = r->p + size;
    r->bad = false;
}

/* A varint at *p before end; false when truncated or longer than 10 bytes. */
static bool
s_varint (const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*p == end)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t) (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

bool
sw_pb_get_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    return s_varint (p, end, v);
}

/* protobuf-c reads a tag or a length prefix of at most 5 bytes and refuses
 * the message otherwise: so does this reader, so that what it accepts
 * protobuf-c reads too. */
#define SW_PB_HEAD_MAX 5

bool
sw_pb_next (sw_pb_reader_t *r, sw_pb_field_t *f)
{
    if (r->bad || r->p == r->end)
        return false;
    const uint8_t *p = r->p;
    uint64_t tag;
    if (!s_varint (&p, r->end, &tag) || p - r->p > SW_PB_HEAD_MAX || tag >> 3 == 0
        || tag >> 3 > 0x1fffffff)
        goto bad;
    memset (f, 0, sizeof *f);
    f->start = r->p;
    f->number = (uint32_t) (tag >> 3);
    f->wire = (sw_pb_wire_t) (tag & 7);
    switch (tag & 7) {
    case SW_PB_VARINT:
        if (!s_varint (&p, r->end, &f->value))
            goto bad;
        break;
    case SW_PB_I64:
    case SW_PB_I32: {
        size_t w = (tag & 7) == SW_PB_I64 ? 8 : 4;
        if ((size_t) (r->end - p) < w)
            goto bad;
        for (size_t i = 0; i < w; i++)
            f->value |= (uint64_t) p[i] << (8 * i);
        p += w;
        break;
    }
    case SW_PB_LEN: {
        uint64_t len;
        const uint8_t *lp = p;
        if (!s_varint (&p, r->end, &len) || p - lp > SW_PB_HEAD_MAX
            || len > (uint64_t) (r->end - p))
            goto bad;
        f->data = p;
        f->size = (size_t) len;
        p += len;
        break;
    }
    default:
        goto bad;
    }
    f->total = (size_t) (p - r->p);
    r->p = p;
    return true;
bad:
    r->bad = true;
    return false;
}

bool
sw_pb_string_into (const sw_pb_field_t *f, char *buf, size_t cap, size_t *used, char **out)
{
    if (f->wire != SW_PB_LEN || *used > cap || f->size + 1 > cap - *used
        || memchr (f->data, 0, f->size))
        return false;
    memcpy (buf + *used, f->data, f->size);
    buf[*used + f->size] = 0;
    *out = buf + *used;
    *used += f->size + 1;
    return true;
}

size_t
sw_pb_varint_size (uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t
sw_pb_put_varint (uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t) v;
    return n;
}

size_t
sw_pb_put_tag (uint8_t *out, uint32_t number, sw_pb_wire_t wire)
{
    return sw_pb_put_varint (out, (uint64_t) number << 3 | (uint64_t) wire);
}

size_t
sw_pb_put_varint_field (uint8_t *out, uint32_t number, uint64_t v)
{
    size_t n = sw_pb_put_tag (out, number, SW_PB_VARINT);
    return n + sw_pb_put_varint (out + n, v);
}

size_t
sw_pb_put_len_head (uint8_t *out, uint32_t number, size_t size)
{
    size_t n = sw_pb_put_tag (out, number, SW_PB_LEN);
    return n + sw_pb_put_varint (out + n, size);
}

size_t
sw_pb_iov_size (const struct iovec *piece, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += piece[i].iov_len;
    return total;
}

size_t
sw_pb_iov_copy (uint8_t *out, const struct iovec *piece, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (piece[i].iov_len)
            memcpy (out + off, piece[i].iov_base, piece[i].iov_len);
        off += piece[i].iov_len;
    }
    return off;
}

/* Room for len more bytes. */
static uint8_t *
s_room (sw_pb_buf_t *b, size_t len)
{
    if (!b->data || b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->data = realloc (b->data, cap);
        if (!b->data)
            abort ();
        b->cap = cap;
    }
    return b->data + b->len;
}

void
sw_pb_buf_add (sw_pb_buf_t *b, const void *data, size_t len)
{
    if (!len)
        return;
    memcpy (s_room (b, len), data, len);
    b->len += len;
}

void
sw_pb_buf_varint (sw_pb_buf_t *b, uint32_t number, uint64_t v)
{
    b->len += sw_pb_put_varint_field (s_room (b, 15), number, v);
}

void
sw_pb_buf_bytes (sw_pb_buf_t *b, uint32_t number, const void *data, size_t size)
{
    b->len += sw_pb_put_len_head (s_room (b, 15), number, size);
    sw_pb_buf_add (b, data, size);
}

void
sw_pb_buf_message (sw_pb_buf_t *b, uint32_t number, const ProtobufCMessage *msg)
{
    size_t size = protobuf_c_message_get_packed_size (msg);
    b->len += sw_pb_put_len_head (s_room (b, 15 + size), number, size);
    b->len += protobuf_c_message_pack (msg, b->data + b->len);
}

void
sw_pb_buf_fields (sw_pb_buf_t *b, const ProtobufCMessage *msg)
{
    size_t size = protobuf_c_message_get_packed_size (msg);
    s_room (b, size);
    b->len += protobuf_c_message_pack (msg, b->data + b->len);
}

void
sw_pb_buf_free (sw_pb_buf_t *b)
{
    free (b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
