/* notifier: the reference leadership notifier. A client of the front door,
 * not a stage of the chain: it long-polls notify's log for topics
 * "leadership.", hands each leadership report to its sink (notifier_sink)
 * and confirms it back (Request.confirm), so that escalation records the
 * report met or missed and stops re-sending it.
 *
 * Its own LMDB (--notifier-data; default <data>/notifier inside sitewatchd,
 * --data when standalone) keeps the cursor (next sequence number to fetch)
 * and the set of report ids already delivered. Per report, in log order:
 *   1. not delivered yet: render the JSON line, deliver it (retrying with
 *      backoff while the sink fails: the cursor waits, order is kept), then
 *      record the id as delivered (one synced commit);
 *      already delivered (a re-send, attempt > 1, or a replay after a
 *      crash): do not deliver again;
 *   2. confirm, re-sending until intake acknowledges (it journals the
 *      confirmation durably before it answers);
 *   3. advance the cursor past the message (synced).
 * A crash anywhere repeats at most the confirmation, which escalation takes
 * idempotently; a sink sees a report again only if the process dies between
 * the sink's success and the commit of step 1. */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#include "sw_service.h"

/* The notifier actor (zactor_fn); args is a sw_service_args_t whose
 * endpoint is the front door. Reads --notifier-sink, --notifier-data and
 * --map-size from args->cfg. Ends on "$TERM"; sends "$FAIL" on the pipe
 * and sets args->status to -1 when its store fails. */
void notifier_actor (zsock_t *pipe, void *args);

#endif
