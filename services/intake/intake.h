/* intake: the front door. Devices and operators send Requests to its ROUTER;
 * it validates (intake_validate), deduplicates by report_id, journals every
 * accepted command into its durable outbox towards rules in one synced batch
 * per loop turn, and only then answers. It owns the clock: each journaled
 * message is stamped with intake's time, and in wall mode a tick is journaled
 * every second, so every service downstream takes "now" from the stream.
 * Queries are proxied to the service that owns the answer, with a barrier
 * (the journal head) so they see everything acknowledged before them. */
#ifndef INTAKE_H
#define INTAKE_H

#include "sw_service.h"

/* The intake actor (zactor_fn); args is a sw_service_args_t. */
void intake_actor (zsock_t *pipe, void *args);

#endif
