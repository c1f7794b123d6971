/* escalation_digest: escalation's part of the progress express report
 * (SPEC §6). Rules compiles the report at every period close and sends it
 * down the chain (ChainMsg.digest); here, inside the same apply transaction,
 * the same-day leadership section (met, missed, pending) is filled from the
 * leadership records and the cases section from the supervision ladder (open
 * cases, overdue first), the finished report is kept keyed by period and
 * published on topic "digest". The chain applies each message exactly once,
 * so each close is published exactly once, also across kill -9 and
 * restarts. Answers KIND_DIGEST queries. */
#ifndef ESCALATION_DIGEST_H
#define ESCALATION_DIGEST_H

#include "escalation_cases.h"
#include "sitewatch.pb-c.h"
#include "sw_stage.h"
#include "sw_store.h"

#include <stddef.h>
#include <stdint.h>

#define ESCALATION_DIGEST_TOPIC "digest"

typedef struct escalation_digest_t escalation_digest_t;

/* Opens (creating) the "digests" database of store; leadership is the
 * database of LeadershipRecord values (keyed by report id) the SLA section
 * counts. NULL on a storage error. */
escalation_digest_t *escalation_digest_new (sw_store_t *store, MDB_dbi leadership);
/* Frees; sets *self_p to NULL; safe on NULL and twice. */
void escalation_digest_destroy (escalation_digest_t **self_p);

/* Pure: the outcome of a leadership report due at due_at, confirmed at
 * confirmed_at (0 = not yet), seen at instant at: "met" (confirmed by its
 * due time), "missed" (confirmed late, or unconfirmed and past due) or
 * "pending". The same rule as `sitewatch sla`. */
const char *escalation_digest_sla_outcome (int64_t due_at, int64_t confirmed_at, int64_t at);

/* Inside the apply transaction, for a ChainMsg carrying a digest (report:
 * its encoding, size bytes; at: the message's instant): counts the
 * leadership reports raised for warning events of the digest's period
 * (outcome as of the close), lists the open cases as the close sees them
 * (escalation_cases_open_list; cases_available true; with cases NULL the
 * section stays unavailable), stores the report under its period and
 * forwards a Publish on topic "digest" through stage. The report is never
 * unpacked: escalation's part is encoded alone and appended to rules'
 * bytes (sw_pb). A report for a period already kept is not stored or
 * published again (logged); one that does not decode is skipped (logged).
 * Returns 0 or an LMDB code. */
int escalation_digest_apply (escalation_digest_t *self, escalation_cases_t *cases,
                             sw_stage_t *stage, MDB_txn *txn, const uint8_t *report, size_t size,
                             int64_t at);

/* Answers a KIND_DIGEST query: Response.digest of query->period when
 * has_period, else of the latest closed period; a rejection (code
 * "not_found") when there is none. Returns a packed Response (malloc'd) and
 * its size; never NULL. */
uint8_t *escalation_digest_query (escalation_digest_t *self, const Sitewatch__V1__Request *req,
                                  size_t *size);

#endif
