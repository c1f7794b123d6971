/* slow_sync: an LD_PRELOAD shim for the integration tests. Every
 * fdatasync first sleeps SW_SLOW_SYNC_MS milliseconds (unset or 0: not at
 * all), so that a kill -9 can be made to land inside a commit
 * (tests/integration/test_commit_pipeline.sh, test_batch_full.sh). While it sleeps, the file
 * SW_SLOW_SYNC_MARK (if set) exists: the test kills then. Not installed,
 * not linked into anything. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
fdatasync (int fd)
{
    static int (*real) (int);
    if (!real) {
        void *sym = dlsym (RTLD_NEXT, "fdatasync");
        if (!sym)
            abort ();
        memcpy (&real, &sym, sizeof real);
    }
    const char *ms = getenv ("SW_SLOW_SYNC_MS");
    long v = ms ? atol (ms) : 0;
    if (v > 0) {
        const char *mark = getenv ("SW_SLOW_SYNC_MARK");
        int m = mark && *mark ? open (mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
        struct timespec ts = { (time_t) (v / 1000), (v % 1000) * 1000000L };
        while (nanosleep (&ts, &ts) != 0)
            ;
        if (m >= 0) {
            close (m);
            unlink (mark);
        }
    }
    return real (fd);
}
