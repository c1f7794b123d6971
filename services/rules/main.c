/* sitewatch-rules: the rules service as its own process. */
#include "rules.h"

int
main (int argc, char **argv)
{
    return sw_service_main (argc, argv, "rules",
                            "sitewatch rules: registry, progress and the red/yellow/green policy.",
                            rules_actor);
}
