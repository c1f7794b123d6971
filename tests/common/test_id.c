/*  sw_id_new: the report ids devices are told to use. 26 characters of
    Crockford base32, time-ordered by their first 10, and unique: across
    many ids of one thread, across threads (each draws its random bytes from
    a pool of its own), and across a fork (the child must not hand out the
    bytes its parent's pool still holds). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "sw_client.h"

#define S_PER_THREAD 5000
#define S_THREADS 4

static int
s_cmp (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

/* n ids of 27 bytes each: sorted, no two alike. */
static void
s_assert_unique (char (*ids)[27], size_t n)
{
    qsort (ids, n, sizeof ids[0], s_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp (ids[i - 1], ids[i]) == 0)
            fail_msg ("id %s handed out twice", ids[i]);
}

static void
test_format_and_order (void **state)
{
    (void) state;
    char prev[27] = "";
    for (int i = 0; i < 2000; i++) {
        char id[27];
        sw_id_new (id);
        assert_int_equal (strlen (id), 26);
        for (int k = 0; k < 26; k++)
            assert_non_null (strchr ("0123456789ABCDEFGHJKMNPQRSTVWXYZ", id[k]));
        /* the time part never goes back */
        if (prev[0])
            assert_true (memcmp (prev, id, 10) <= 0);
        memcpy (prev, id, sizeof id);
    }
}

static void *
s_make (void *arg)
{
    char (*ids)[27] = arg;
    for (int i = 0; i < S_PER_THREAD; i++)
        sw_id_new (ids[i]);
    return NULL;
}

static void
test_unique_across_threads (void **state)
{
    (void) state;
    char (*ids)[27] = calloc (S_THREADS * S_PER_THREAD, 27);
    assert_non_null (ids);
    pthread_t t[S_THREADS];
    for (int i = 0; i < S_THREADS; i++)
        assert_int_equal (pthread_create (&t[i], NULL, s_make, ids + i * S_PER_THREAD), 0);
    for (int i = 0; i < S_THREADS; i++)
        pthread_join (t[i], NULL);
    s_assert_unique (ids, S_THREADS * S_PER_THREAD);
    free (ids);
}

/* The parent draws one id (filling its pool), forks, and both draw more:
 * no id of the child's may be one of the parent's. */
static void
test_unique_across_fork (void **state)
{
    (void) state;
    enum { N = 40 };
    char first[27];
    sw_id_new (first); /* the pool now holds bytes for more ids (up to 24) */
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (fds[0]);
        char ids[N][27];
        for (int i = 0; i < N; i++)
            sw_id_new (ids[i]);
        ssize_t w = write (fds[1], ids, sizeof ids);
        _exit (w == (ssize_t) sizeof ids ? 0 : 1);
    }
    close (fds[1]);
    char (*ids)[27] = calloc (2 * N, 27);
    assert_non_null (ids);
    for (int i = 0; i < N; i++)
        sw_id_new (ids[i]);
    size_t want = (size_t) N * 27, got = 0;
    while (got < want) {
        ssize_t r = read (fds[0], (char *) ids[N] + got, want - got);
        assert_true (r > 0);
        got += (size_t) r;
    }
    close (fds[0]);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    /* ids of the same millisecond differ only in their random part */
    for (int i = 0; i < 2 * N; i++)
        memset (ids[i], '0', 10);
    s_assert_unique (ids, 2 * N);
    free (ids);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_format_and_order),
        cmocka_unit_test (test_unique_across_threads),
        cmocka_unit_test (test_unique_across_fork),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
