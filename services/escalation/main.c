/* sitewatch-escalation: the escalation service as its own process. */
#include "escalation.h"

int
main (int argc, char **argv)
{
    return sw_service_main (argc, argv, "escalation",
                            "sitewatch escalation: same-day leadership reports and their SLA.",
                            escalation_actor);
}
