/* notifier: the reference leadership notifier. A client of the front door,
 * not a stage of the chain: it long-polls notify's log for topics
 * "leadership.", hands each leadership report to its sink (notifier_sink)
 * and confirms it back (Request.confirm), so that escalation records the
 * report met or missed and stops re-sending it.
 *
 * Its own LMDB (--notifier-data; default <data>/notifier inside sitewatchd,
 * --data when standalone) keeps the cursor (next sequence number to fetch),
 * the report ids delivered, and the ids whose delivery has begun. Per
 * report, in log order:
 *   1. delivered before (a re-send, attempt > 1, or a replay after a
 *      restart): skip to 2. Otherwise record "begun" (synced), hand the
 *      JSON line to the sink, retrying with backoff while it fails (the
 *      cursor waits: order is kept), then record "delivered" (synced);
 *   2. confirm, re-sending until intake acknowledges (it journals the
 *      confirmation durably before it answers);
 *   3. advance the cursor past the message (synced).
 * A crash repeats at most the confirmation, which escalation takes
 * idempotently. A crash between the sink's success and the "delivered"
 * record is found by the "begun" record: a file sink is searched for the
 * report and not written twice; stdout and webhooks get it again (a webhook
 * dedupes on the Idempotency-Key header). */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#include "sw_service.h"

/* The notifier actor (zactor_fn); args is a sw_service_args_t whose
 * endpoint is the front door. Reads --notifier-sink, --notifier-data and
 * --map-size from args->cfg. Ends on "$TERM"; sends "$FAIL" on the pipe
 * and sets args->status to -1 when its store fails. */
void notifier_actor (zsock_t *pipe, void *args);

#endif
