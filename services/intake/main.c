/* sitewatch-intake: the front door as its own process. */
#include "intake.h"

int
main (int argc, char **argv)
{
    return sw_service_main (argc, argv, "intake",
                            "sitewatch intake: validates, stores and acknowledges reports, "
                            "journals them to rules, proxies queries.",
                            intake_actor);
}
