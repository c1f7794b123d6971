/* escalation_cases: the supervision ladder's shell (SPEC §5). It keeps one
 * LMDB record per case, opens a case for every reported problem and every
 * transition into RED (at most one open case per project and cause), applies
 * operators' case commands through the pure escalation_ladder, fires
 * deadlines from stream time (durable timers: an index of open cases by due
 * time, looked at on every chain message), drafts numbered supervision
 * letters and special-meeting plans as Markdown (numbers from persistent
 * counters, never reused), publishes a case event on case.<stage>.<project>
 * at every stage change, and answers the case queries (cases, one case,
 * accountability per unit).
 *
 * Everything it changes lives in the batch transaction it is given, so a
 * replayed batch (MDB_MAP_FULL) or a crash leaves no trace of a half step.
 *
 * Databases (in the escalation environment):
 *   cases       case_id -> sitewatch.v1.Case (timeline and documents inside)
 *   cases.open  project_id NUL cause -> case_id, for open cases only
 *   cases.due   due_at (8 bytes, big-endian, sign bit flipped) case_id -> ""
 *   cases.meta  counters "case_seq", "letter_seq", "plan_seq" (u64) */
#ifndef ESCALATION_CASES_H
#define ESCALATION_CASES_H

#include "escalation_ladder.h"
#include "sitewatch.pb-c.h"
#include "sw_calendar.h"
#include "sw_stage.h"
#include "sw_store.h"

typedef struct escalation_cases_t escalation_cases_t;

/* Opens (creating) the case databases in store. registry_dbi/registry_key
 * name where the service keeps the latest Registry (projects' unit,
 * commissioner, leader and name address the case events). cfg must pass
 * escalation_ladder_config_validate. NULL with a reason in err. */
escalation_cases_t *escalation_cases_new (sw_store_t *store, MDB_dbi registry_dbi,
                                          const char *registry_key,
                                          const escalation_ladder_config_t *cfg, char *err,
                                          size_t errlen);
/* Safe on NULL and twice. */
void escalation_cases_destroy (escalation_cases_t **self_p);

/* Inside the stage's batch, before each applied chain message, with its
 * instant: moves every open case whose deadline passed before now, each at
 * the millisecond after its deadline (an on-site meeting not held -> letter
 * or special meeting; an overdue letter -> special meeting), as many steps
 * as passed: deadlines that fell due while the service was down are acted
 * on once, when the messages of that time arrive. cal is the zone calendar
 * of the batch (NULL before any registry: nothing happens). Case events are
 * forwarded through stage. Returns 0 or an LMDB code. */
int escalation_cases_due (escalation_cases_t *self, MDB_txn *txn, sw_stage_t *stage,
                          const sw_calendar_t *cal, int64_t now);

/* Inside the batch, after the message's own effects: a report's problems
 * open cases and its resolves close them; a warning into RED opens a "red"
 * case and one out of RED closes it; a case command is applied or refused (a
 * refusal is written into the case's timeline with its code and the
 * command's id, and logged; a command for an unknown case is only logged).
 * Returns 0 or an LMDB code. */
int escalation_cases_apply (escalation_cases_t *self, MDB_txn *txn, sw_stage_t *stage,
                            const sw_calendar_t *cal, const Sitewatch__V1__ChainMsg *msg);

/* True for the queries answered here: KIND_CASES, KIND_CASE,
 * KIND_ACCOUNTABILITY. */
bool escalation_cases_owns (const Sitewatch__V1__Request *req);

/* Answers one of those queries from a read transaction: a packed Response
 * (malloc'd) in *response: CasesAnswer (KIND_CASES: every case, or the open
 * ones with open_only, of one project when project_id is set; without
 * timeline and documents), CasesAnswer with the one case whole (KIND_CASE;
 * an Ack rejected "unknown_case" when there is none), AccountabilityAnswer
 * (per responsible unit, sorted by unit). Returns 0, -1 when the store
 * cannot be read (an Ack "unavailable" is answered then). */
int escalation_cases_query (escalation_cases_t *self, const Sitewatch__V1__Request *req,
                            uint8_t **response, size_t *size);

/* For the express report: the open cases, overdue ones first (then by due
 * time, then id), as now sees them. *out is a malloc'd array of malloc'd
 * DigestCase (free each with sitewatch__v1__digest_case__free_unpacked (x,
 * NULL), then the array). Returns 0 or an LMDB code. */
int escalation_cases_open_list (escalation_cases_t *self, MDB_txn *txn, int64_t now,
                                Sitewatch__V1__DigestCase ***out, size_t *n);

#endif
