/* sw_stage: one stage of the durable chain intake -> rules -> escalation ->
 * notify, written once. A stage binds a ROUTER (its "listen" endpoint) that
 * takes hop messages from upstream and queries proxied by intake, applies
 * every new chain message in one LMDB batch per loop turn (Redis' order:
 * persist, then acknowledge), and forwards what it produces downstream
 * through a durable outbox (sw_link). Time is carried by the stream: "now"
 * is the latest `at` applied, never the machine's clock.
 *
 * Queries carry a barrier (the intake journal sequence at the time they were
 * asked): a stage answers once it has applied everything up to the barrier,
 * so `sitewatch status` after `sitewatch report` sees the report.
 *
 * Query frames (after the ROUTER peer id):
 *   "Q" | client id | barrier(8, big-endian) | Request     (intake -> stage)
 *   "R" | client id | Response                             (stage -> intake) */
#ifndef SW_STAGE_H
#define SW_STAGE_H

#include "sitewatch.pb-c.h"
#include "sw_link.h"
#include "sw_store.h"

#include <czmq.h>
#include <sys/uio.h>

typedef struct sw_stage_t sw_stage_t;

/* apply's answer when it did part of its work (say a slice of a period
 * close) and must be called again with the same message in the next batch:
 * the stage commits what it has, the message and those after it wait. */
#define SW_STAGE_AGAIN (-40000)
/* apply_raw's answer for a message it wants unpacked, given to apply. */
#define SW_STAGE_UNPACK (-40001)

/* A chain message as it came, its head read (sw_pb) but nothing unpacked. */
typedef struct {
    uint64_t origin_seq;
    int64_t at;
    uint32_t body;            /* the body's field number in ChainMsg */
    const uint8_t *body_data; /* its encoding */
    size_t body_size;
} sw_stage_raw_t;

/* Query answers: */
#define SW_STAGE_ANSWERED 0
#define SW_STAGE_HOLD 1  /* not yet (long poll); asked again after each batch */

typedef struct {
    /* Start of each batch attempt: drop transaction-local caches. */
    void (*begin) (void *svc);
    /* Applies one new chain message inside the batch transaction. Returns 0,
     * SW_STAGE_AGAIN, an LMDB code (MDB_MAP_FULL replays the batch) or -1
     * (fatal). */
    int (*apply) (void *svc, MDB_txn *txn, const Sitewatch__V1__ChainMsg *msg);
    /* After the batch committed: adopt transaction-local state. */
    void (*committed) (void *svc);
    /* Answers a query: fills *response (a packed Response, malloc'd) and
     * returns SW_STAGE_ANSWERED, or returns SW_STAGE_HOLD to be asked again
     * later (final is true when the hold time is over: then it must answer). */
    int (*query) (void *svc, const Sitewatch__V1__Request *req, bool final, uint8_t **response,
                  size_t *size);
    /* Called about every 100 ms outside any transaction. */
    void (*timer) (void *svc);
    /* Optional: sees each new chain message before it is unpacked (a large
     * one can be moved on as bytes). Returns as apply does, or
     * SW_STAGE_UNPACK: the stage unpacks it and calls apply. */
    int (*apply_raw) (void *svc, MDB_txn *txn, const sw_stage_raw_t *msg);
} sw_stage_ops_t;

/* Binds listen, connects downstream (NULL for the last stage), opens the
 * links over store. NULL with a reason in err. */
sw_stage_t *sw_stage_new (const char *name, sw_store_t *store, const char *listen,
                          const char *downstream, const sw_stage_ops_t *ops, void *svc, char *err,
                          size_t errlen);
void sw_stage_destroy (sw_stage_t **self_p);

/* Group commit across loop turns: a batch of at least min_messages that
 * has sent nothing on may stay open up to ms (from its start) for more
 * messages. Under load, a stage whose input mostly changes nothing
 * downstream (rules, for on-plan reports) then commits and syncs a few
 * times per window instead of once per upstream batch. A small batch (light
 * load) commits at once, as does a batch that forwards a message (a warning
 * event goes on without waiting), or when a query arrives, or when the batch
 * is full. Acknowledgements still follow the commit. ms 0 (the default):
 * every loop turn commits. The "stopped" log line counts the batches held
 * (held=). */
void sw_stage_set_commit_window (sw_stage_t *self, int ms, size_t min_messages);
/* Messages sent downstream before an acknowledgement (--link-window). */
void sw_stage_set_link_window (sw_stage_t *self, uint32_t window);

/* Runs the loop until "$TERM" arrives on pipe (pipe may be NULL: then until
 * SIGINT/SIGTERM). Returns 0 on a clean stop, -1 on a fatal storage error. */
int sw_stage_run (sw_stage_t *self, zsock_t *pipe);

/* sw_stage_run for sw_service_serve (ctx is the stage). */
int sw_stage_serve (void *stage, zsock_t *pipe);

/* Inside apply (or a batch of sw_stage_write): queues msg downstream. The
 * stage fills origin_seq and at when they are 0. 0 or an LMDB code. */
int sw_stage_forward (sw_stage_t *self, MDB_txn *txn, Sitewatch__V1__ChainMsg *msg);
/* The same with a body already encoded: the ChainMsg body field `body`
 * made of n pieces, at `at` (0: the stream's now). */
int sw_stage_forward_raw (sw_stage_t *self, MDB_txn *txn, int64_t at, uint32_t body,
                          const struct iovec *piece, size_t n);
/* Inside apply, before work that may return SW_STAGE_AGAIN: what is
 * forwarded from now on carries the sequence of the message before this
 * one, so downstream does not take this message as applied (and answer a
 * query waiting for it) before its last part is done. */
void sw_stage_defer_watermark (sw_stage_t *self);
/* Runs a batch started by the service itself (e.g. from timer). 0 / -1. */
int sw_stage_write (sw_stage_t *self, sw_store_batch_fn *fn, void *arg);

/* Stream time: inside a batch, the time of the message being applied. */
int64_t sw_stage_now (const sw_stage_t *self);
/* Highest intake journal sequence whose effects are applied. */
uint64_t sw_stage_watermark (const sw_stage_t *self);
sw_store_t *sw_stage_store (sw_stage_t *self);
const char *sw_stage_name (const sw_stage_t *self);

#endif
