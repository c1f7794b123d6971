/* sw_pb: the protobuf wire format by hand, for the few places that move an
 * encoded message on without unpacking it: escalation adds its part to
 * rules' express report, notify files what escalation publishes and answers
 * fetches from its log. An express report lists every project (about 100 MB
 * at a million), so unpacking and packing it again cost more than the rest
 * of a period close.
 *
 * Encodings concatenate: two encodings of one message type, one after the
 * other, decode as their merge (repeated fields appended, a later scalar
 * winning). Every other reader and writer uses protobuf-c. */
#ifndef SW_PB_H
#define SW_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef enum {
    SW_PB_VARINT = 0,
    SW_PB_I64 = 1,
    SW_PB_LEN = 2,
    SW_PB_I32 = 5,
} sw_pb_wire_t;

/* One field as it is encoded. */
typedef struct {
    uint32_t number;
    sw_pb_wire_t wire;
    uint64_t value;          /* VARINT, I64 and I32: the value */
    const uint8_t *data;     /* LEN: the bytes */
    size_t size;
    const uint8_t *start;    /* the whole field, tag included */
    size_t total;
} sw_pb_field_t;

typedef struct {
    const uint8_t *p, *end;
    bool bad;                /* stopped at malformed input */
} sw_pb_reader_t;

void sw_pb_reader (sw_pb_reader_t *r, const void *data, size_t size);
/* The next field of the message; false at its end, or at malformed input
 * (then r->bad): a truncated field, a varint of more than 10 bytes, a tag
 * or a length prefix of more than 5 (protobuf-c refuses those), field
 * number 0 or beyond 2^29-1, a group (wire types 3 and 4), or wire types 6
 * and 7. */
bool sw_pb_next (sw_pb_reader_t *r, sw_pb_field_t *f);

/* A string field (LEN) copied into a caller's buffer buf of cap bytes at
 * *used, NUL-terminated, *out pointing at it; *used advances. false (nothing
 * copied) when the field is not length-delimited, holds a NUL (C would see
 * a shorter string than protobuf-c keeps) or does not fit: the views that
 * use it then leave the message to protobuf-c. */
bool sw_pb_string_into (const sw_pb_field_t *f, char *buf, size_t cap, size_t *used, char **out);

/* Reads a varint at *p (before end), advancing *p; false when truncated or
 * longer than 10 bytes. */
bool sw_pb_get_varint (const uint8_t **p, const uint8_t *end, uint64_t *v);
/* Bytes a varint of v takes (1 to 10). */
size_t sw_pb_varint_size (uint64_t v);
/* Writes v as a varint at out (room for 10 bytes); returns the bytes written. */
size_t sw_pb_put_varint (uint8_t *out, uint64_t v);
/* Writes a field's tag. */
size_t sw_pb_put_tag (uint8_t *out, uint32_t number, sw_pb_wire_t wire);
/* Writes a varint field (tag and value; room for 15 bytes). */
size_t sw_pb_put_varint_field (uint8_t *out, uint32_t number, uint64_t v);
/* Writes the tag and length of a length-delimited field of size bytes
 * (room for 15 bytes); the caller writes the bytes after it. */
size_t sw_pb_put_len_head (uint8_t *out, uint32_t number, size_t size);

/* Total bytes of n pieces. */
size_t sw_pb_iov_size (const struct iovec *piece, size_t n);
/* Copies n pieces to out; returns the bytes copied. */
size_t sw_pb_iov_copy (uint8_t *out, const struct iovec *piece, size_t n);

/* A growing buffer of encoded fields (malloc'd; aborts on out of memory). */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} sw_pb_buf_t;

void sw_pb_buf_add (sw_pb_buf_t *b, const void *data, size_t len);
/* A varint field. */
void sw_pb_buf_varint (sw_pb_buf_t *b, uint32_t number, uint64_t v);
/* A length-delimited field: bytes (a string, or an encoded message). */
void sw_pb_buf_bytes (sw_pb_buf_t *b, uint32_t number, const void *data, size_t size);
/* A length-delimited field holding msg, packed by protobuf-c in place. */
void sw_pb_buf_message (sw_pb_buf_t *b, uint32_t number, const ProtobufCMessage *msg);
/* msg's own encoding (its fields, no tag around them). */
void sw_pb_buf_fields (sw_pb_buf_t *b, const ProtobufCMessage *msg);
void sw_pb_buf_free (sw_pb_buf_t *b);

#endif
