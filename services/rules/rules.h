/* rules: owns the project registry and each project's progress, planned
 * curve and warning level. It applies the chain from intake (registry,
 * reports, reason decisions, ticks) in batches, judges projects with the
 * pure rules_policy on every report, reason decision, registry change and
 * period close (time alone can make a project late), and forwards a warning
 * event downstream on every change of effective level. */
#ifndef RULES_H
#define RULES_H

#include "sw_service.h"

/* The rules actor (zactor_fn); args is a sw_service_args_t. */
void rules_actor (zsock_t *pipe, void *args);

#endif
