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

typedef struct sw_stage_t sw_stage_t;

/* apply's answer when it did part of its work (say a slice of a period
 * close) and must be called again with the same message in the next batch:
 * the stage commits what it has, the message and those after it wait. */
#define SW_STAGE_AGAIN (-40000)

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
} sw_stage_ops_t;

/* Binds listen, connects downstream (NULL for the last stage), opens the
 * links over store. NULL with a reason in err. */
sw_stage_t *sw_stage_new (const char *name, sw_store_t *store, const char *listen,
                          const char *downstream, const sw_stage_ops_t *ops, void *svc, char *err,
                          size_t errlen);
void sw_stage_destroy (sw_stage_t **self_p);

/* Runs the loop until "$TERM" arrives on pipe (pipe may be NULL: then until
 * SIGINT/SIGTERM). Returns 0 on a clean stop, -1 on a fatal storage error. */
int sw_stage_run (sw_stage_t *self, zsock_t *pipe);

/* sw_stage_run for sw_service_serve (ctx is the stage). */
int sw_stage_serve (void *stage, zsock_t *pipe);

/* Inside apply (or a batch of sw_stage_write): queues msg downstream. The
 * stage fills origin_seq and at when they are 0. 0 or an LMDB code. */
int sw_stage_forward (sw_stage_t *self, MDB_txn *txn, Sitewatch__V1__ChainMsg *msg);
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
