/* sw_link: the reliable hop, written once (the zguide's Titanic idea at every
 * hop, plus its idempotent-service rule).
 *
 * Sender (sw_link_out): in the same write transaction as the state change
 * that produced it, a message is appended to an LMDB outbox keyed by a
 * sequence number (append order, MDB_APPEND). After commit, pump() sends what
 * the credit window allows, without blocking. The receiver acknowledges the
 * highest sequence it has durably applied; acknowledged entries are deleted
 * in the next batch. Without progress for rto ms, everything unacknowledged is
 * sent again (go-back-N), the timeout doubling up to a ceiling: one batch
 * first (also after a restart with entries unacknowledged), then twice as
 * many with each ack that makes progress, up to the
 * window (TCP's slow start), so a receiver that is down is not queued a copy
 * of the whole window at every timeout.
 *
 * Receiver (sw_link_in): in the same write transaction that applies a
 * message's effect, it records the highest sequence applied per sender
 * stream; acks go out after commit. A duplicate is acknowledged again and not
 * applied; a message past a gap is dropped (the sender resends in order).
 *
 * A stream is named by 16 random bytes made when the sender's outbox is
 * created, so a sender whose data was wiped starts a new stream instead of
 * being mistaken for a replay.
 *
 * Wire frames (after the ROUTER's peer id):
 *   "HOP"  | stream(16) | seq(8, big-endian) | payload
 *   "HOPS" | stream(16) | seq(8, big-endian) | batch
 *   "ACK"  | stream(16) | seq(8, big-endian)
 * A batch carries the messages seq, seq + 1, ... of consecutive outbox
 * entries, each as a varint length and its bytes: what one pump finds
 * committed goes out in a few wire messages (up to SW_LINK_BATCH_MAX
 * messages or SW_LINK_BATCH_BYTES each), not one per entry. A lone message
 * goes as "HOP". Sequences, acks and dedup stay per message.          */
#ifndef SW_LINK_H
#define SW_LINK_H

#include "sw_store.h"

#include <czmq.h>

#define SW_LINK_STREAM_LEN 16
#define SW_LINK_BATCH_MAX 256
#define SW_LINK_BATCH_BYTES (256 * 1024)
/* Messages in flight by default (--link-window). A period close commits
 * 4 096 changes per slice and only pumps between slices: a window no larger
 * than a slice let one slice in two go downstream while the next was judged
 * (bench/README.md, session 7). */
#define SW_LINK_WINDOW_DEFAULT 65536
#define SW_LINK_WINDOW_MAX (1u << 20)

typedef struct sw_link_out_t sw_link_out_t;
typedef struct sw_link_in_t sw_link_in_t;

typedef struct {
    uint32_t window;     /* messages in flight, default SW_LINK_WINDOW_DEFAULT */
    uint32_t rto_ms;     /* first resend timeout, default 500 */
    uint32_t rto_max_ms; /* ceiling, default 8000 */
} sw_link_opts_t;

/* ---- sender */

/* Creates a sender over the store (databases "<name>.outbox", "<name>.meta")
 * sending on sock (a DEALER connected to the receiver; the link does not own
 * it). opts may be NULL. Returns NULL on a storage error. */
sw_link_out_t *sw_link_out_new (sw_store_t *store, const char *name, zsock_t *sock,
                                const sw_link_opts_t *opts);
void sw_link_out_destroy (sw_link_out_t **self_p);

/* Sets the messages in flight (0: the default). */
void sw_link_out_set_window (sw_link_out_t *self, uint32_t window);
/* The sequence the next append in this transaction will get. */
uint64_t sw_link_out_next_seq (const sw_link_out_t *self);
/* Appends one message inside the caller's write transaction (a batch body of
 * sw_store_write). Returns 0 or an LMDB error code. */
int sw_link_out_append (sw_link_out_t *self, MDB_txn *txn, const void *data, size_t size);
/* Appends one message of size bytes that the caller writes at *data (valid
 * until the next write in txn): no copy of a large message. */
int sw_link_out_reserve (sw_link_out_t *self, MDB_txn *txn, size_t size, void **data);
/* Sends committed, unsent messages within the window. Never blocks. */
void sw_link_out_pump (sw_link_out_t *self);
/* Handles an "ACK" message read from the socket (the link takes nothing). */
void sw_link_out_on_ack (sw_link_out_t *self, zmsg_t *msg);
/* Reads and handles every message waiting on the socket. */
void sw_link_out_drain (sw_link_out_t *self);
/* Resends after a timeout; call at least every 100 ms. */
void sw_link_out_tick (sw_link_out_t *self);
/* True when acknowledged entries wait to be deleted (run a batch soon). */
bool sw_link_out_needs_gc (const sw_link_out_t *self);
/* Committed messages not yet acknowledged. */
uint64_t sw_link_out_backlog (const sw_link_out_t *self);
uint64_t sw_link_out_acked (const sw_link_out_t *self);

/* ---- receiver */

/* Creates a receiver over the store (database "<name>.in"). NULL on error. */
sw_link_in_t *sw_link_in_new (sw_store_t *store, const char *name);
void sw_link_in_destroy (sw_link_in_t **self_p);

typedef enum { SW_LINK_APPLY = 0, SW_LINK_DUPLICATE = 1, SW_LINK_GAP = 2, SW_LINK_BAD = 3 } sw_link_verdict_t;

/* Inside a write batch: decides what to do with message seq of stream
 * from peer (the frames of a "HOP", or one message of a "HOPS" batch). On
 * SW_LINK_APPLY the caller applies its payload in the same transaction; the
 * link records the sequence in that transaction too (once per stream, just
 * before commit). In every case an ack to the peer is scheduled for after
 * commit. */
sw_link_verdict_t sw_link_in_accept_seq (sw_link_in_t *self, MDB_txn *txn, const void *peer,
                                         size_t peer_size, const void *stream, size_t stream_size,
                                         uint64_t seq, int *mdb_rc);
/* The next message of a "HOPS" batch at *p (before end): its payload and
 * size; false at the end of the batch or at a malformed entry. */
bool sw_link_batch_next (const uint8_t **p, const uint8_t *end, const uint8_t **payload,
                         size_t *size);
/* Takes back the last SW_LINK_APPLY of this batch: its message is not
 * applied after all (the stage holds it for a later batch). */
void sw_link_in_undo (sw_link_in_t *self);
/* After commit: sends the scheduled acks on the ROUTER socket. */
void sw_link_in_send_acks (sw_link_in_t *self, zsock_t *router);
/* After an abandoned batch: forget scheduled acks. */
void sw_link_in_reset (sw_link_in_t *self);

#endif
