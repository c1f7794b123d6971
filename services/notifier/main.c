/* sitewatch-notifier: the reference leadership notifier as its own process. */
#include "notifier.h"

int
main (int argc, char **argv)
{
    return sw_service_main (argc, argv, "notifier",
                            "sitewatch notifier: delivers same-day leadership reports to a sink "
                            "(--notifier-sink) and confirms them; state in --notifier-data, "
                            "default --data.",
                            notifier_actor);
}
