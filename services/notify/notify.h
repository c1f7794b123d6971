/* notify: delivery. Every message escalation asks it to publish is appended
 * to an LMDB log under the next sequence number, in the same batch that
 * acknowledges the hop, so a published message is never lost nor doubled.
 * Subscribers pull: a Fetch asks for everything after a sequence number
 * matching topic prefixes, and is held (long poll) until something arrives,
 * so a subscriber that was away replays from where it stopped, in order,
 * with nothing skipped, and a slow subscriber costs notify no memory. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "sw_service.h"

/* The notify actor (zactor_fn); args is a sw_service_args_t. */
void notify_actor (zsock_t *pipe, void *args);

#endif
