/* sitewatch-notify: the notify service as its own process. */
#include "notify.h"

int
main (int argc, char **argv)
{
    return sw_service_main (argc, argv, "notify",
                            "sitewatch notify: the sequenced topic log and subscriber replay.",
                            notify_actor);
}
