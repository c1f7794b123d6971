/* escalation: what a warning sets in motion. It passes every warning event
 * on to notify (topic warning.<level>.<project>), and for every event into
 * RED creates the same-day leadership report addressed to the project's
 * leader in charge, due at the end of that local day, re-sent every
 * leader_retry until the leadership notifier confirms it; each report is
 * recorded met, missed or pending (sitewatch sla). */
#ifndef ESCALATION_H
#define ESCALATION_H

#include "sw_service.h"

/* The escalation actor (zactor_fn); args is a sw_service_args_t. */
void escalation_actor (zsock_t *pipe, void *args);

#endif
