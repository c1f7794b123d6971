/* sw_wire: packing helpers and limits shared by every socket user. */
#ifndef SW_WIRE_H
#define SW_WIRE_H

#include "sitewatch.pb-c.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_WIRE_VERSION 1
/* A device frame (a report or check-in) larger than this is refused too_large. */
#define SW_WIRE_MAX_REPORT (64 * 1024)
/* Hard cap on any frame at the front door (ZMQ_MAXMSGSIZE): registry imports. */
#define SW_WIRE_MAX_FRAME (16 * 1024 * 1024)

/* Packs msg into a new malloc'd buffer; *len receives its size. Never NULL. */
uint8_t *sw_wire_pack (const ProtobufCMessage *msg, size_t *len);
/* Packs msg into a new frame. Never NULL. */
zframe_t *sw_wire_frame (const ProtobufCMessage *msg);
/* Reads one multipart message from socket without waiting: its first max
 * frames into parts (initialised here), the rest read and dropped (the rest
 * of a multipart message is already there). Returns how many frames the
 * message had, 0 when none was waiting. The caller closes the first
 * min(count, max) parts. No czmq message, no copy. */
size_t sw_wire_recv_parts (void *socket, zmq_msg_t *parts, size_t max);

/* Encodes Response { version, request_id, ack { report_id, status, code,
 * message, retry_after_ms } } by hand, byte for byte as protobuf-c packs it
 * (NULL strings as ""), into out when it fits cap. Returns the size; when
 * larger than cap nothing is written: call again with that much room.
 * intake answers every report with one: no size pass and pack each. */
size_t sw_wire_ack_encode (uint8_t *out, size_t cap, const char *request_id,
                           const char *report_id, Sitewatch__V1__Ack__Status status,
                           const char *code, const char *message, uint32_t retry_after_ms);

/* Encodes Request { version, request_id, report { report_id, project_id,
 * source, observed_at, percent_bp } } by hand, byte for byte as protobuf-c
 * packs it (NULL strings as ""): a device's plain progress report, without
 * problems, resolves, reporter or reason. Into out when it fits cap;
 * returns the size, and when larger than cap writes nothing. The load
 * generator sends one per report. */
size_t sw_wire_report_encode (uint8_t *out, size_t cap, const char *request_id,
                              const char *report_id, const char *project_id,
                              Sitewatch__V1__Source source, int64_t observed_at,
                              int32_t percent_bp);

/* An Ack answer read in place: request_id points into the bytes read
 * (request_id_len bytes, not terminated). */
typedef struct {
    const uint8_t *request_id;
    size_t request_id_len;
    Sitewatch__V1__Ack__Status status;
    uint32_t retry_after_ms;
} sw_wire_ack_view_t;

/* Reads a Response whose body is an Ack without unpacking it (protobuf-c
 * allocates for each). false when the bytes are malformed or hold another
 * body, or an ack in two parts (protobuf-c merges them): unpack those
 * with protobuf-c. The code and message are not read. */
bool sw_wire_ack_view (const void *data, size_t size, sw_wire_ack_view_t *view);

/* The current instant in UTC ms (the wall clock; only intake and tools use it:
 * services take time from the stream). */
int64_t sw_wire_wall_ms (void);

#endif
