/* sw_store: LMDB environment, batching with map growth and replay, locking. */
#include "sw_store.h"
#include "sw_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SW_STORE_MAX_HOOKS 8
#define SW_STORE_MAX_REPLAYS 24
#define SW_STORE_MAX_CURSORS 64 /* database handles below this get a batch cursor */

struct sw_store_t {
    MDB_env *env;
    int lock_fd;
    size_t map_size;
    unsigned growths;
    unsigned grown_ahead; /* of those, before a batch (s_grow_ahead) */
    sw_store_hooks_t hooks[SW_STORE_MAX_HOOKS];
    size_t n_hooks;
    bool failed;          /* a fatal error happened: refuse further writes */
    /* The write transaction of the attempt under way in sw_store_write
     * (NULL outside one), and sw_store_put's cursors in it, by database
     * handle, opened at first use. LMDB frees them with the transaction;
     * they are forgotten at each attempt's begin and before its commit or
     * abort. LMDB reuses one transaction object for every write
     * transaction, so a pointer kept from an earlier batch would compare
     * equal: batch_txn is NULL whenever no batch is under way. */
    MDB_txn *batch_txn;
    MDB_cursor *batch_cur[SW_STORE_MAX_CURSORS];
    unsigned long cursors_opened; /* by sw_store_put, since open */
    size_t expect;                /* bytes the next batch may write (sw_store_expect) */
    /* sw_store_write_start: the writer thread and its one job. */
    pthread_t writer;
    bool writer_made, writer_stop;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    sw_store_batch_fn *job_fn;    /* set: a job waits or runs */
    void *job_arg;
    bool job_done;
    int job_rc;
    bool writing;                 /* started and not finished (caller's side) */
    int done_fd;                  /* eventfd: readable when a job is done */
};

static int
s_mkdirs (const char *dir)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir (path, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

sw_store_t *
sw_store_open (const char *dir, size_t map_size, char *err, size_t errlen)
{
    return sw_store_open_ex (dir, map_size, 0, err, errlen);
}

sw_store_t *
sw_store_open_ex (const char *dir, size_t map_size, unsigned flags, char *err, size_t errlen)
{
    if (s_mkdirs (dir) != 0) {
        snprintf (err, errlen, "cannot create data directory %s: %s", dir, strerror (errno));
        return NULL;
    }
    char lock_path[4096];
    snprintf (lock_path, sizeof lock_path, "%s/sitewatch.lock", dir);
    int fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf (err, errlen, "cannot open %s: %s", lock_path, strerror (errno));
        return NULL;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        char other[32] = "";
        ssize_t n = pread (fd, other, sizeof other - 1, 0);
        other[n > 0 ? n : 0] = 0;
        other[strcspn (other, "\n")] = 0;
        snprintf (err, errlen,
                  "data directory %s is in use by another sitewatch process (pid %s holds "
                  "the lock %s); two servers must never share one data directory",
                  dir, *other ? other : "?", lock_path);
        close (fd);
        return NULL;
    }
    char pid[32];
    int pl = snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, (size_t) pl, 0) != pl) {
        /* the pid is only a courtesy for the message above */
    }

    sw_store_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->lock_fd = fd;
    self->done_fd = -1;
    self->map_size = map_size ? map_size : (size_t) 64 << 20;
    int rc = mdb_env_create (&self->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs (self->env, 32);
    if (rc == 0)
        rc = mdb_env_set_maxreaders (self->env, 126);
    if (rc == 0) {
        /* An existing environment may already be larger: keep the larger. */
        rc = mdb_env_set_mapsize (self->env, self->map_size);
    }
    if (rc == 0)
        rc = mdb_env_open (self->env, dir,
                           MDB_NOTLS | (flags & SW_STORE_WRITEMAP ? MDB_WRITEMAP : 0), 0640);
    if (rc != 0) {
        snprintf (err, errlen, "cannot open LMDB environment in %s: %s (%s)", dir,
                  mdb_strerror (rc),
                  rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED
                      ? "the data file is damaged or not an LMDB file: restore from a backup"
                      : "check permissions and free space");
        if (self->env)
            mdb_env_close (self->env);
        close (fd);
        free (self);
        return NULL;
    }
    MDB_envinfo info;
    if (mdb_env_info (self->env, &info) == 0 && info.me_mapsize > self->map_size)
        self->map_size = info.me_mapsize;
    int dead = 0;
    mdb_reader_check (self->env, &dead);
    if (dead)
        sw_warn ("store", "stale_readers_cleared", "dir=%s count=%d", dir, dead);
    return self;
}

void
sw_store_close (sw_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_store_t *self = *self_p;
    if (self->writing)
        sw_store_write_finish (self);
    if (self->writer_made) {
        pthread_mutex_lock (&self->mutex);
        self->writer_stop = true;
        pthread_cond_broadcast (&self->cond);
        pthread_mutex_unlock (&self->mutex);
        pthread_join (self->writer, NULL);
        pthread_mutex_destroy (&self->mutex);
        pthread_cond_destroy (&self->cond);
    }
    if (self->done_fd >= 0)
        close (self->done_fd);
    mdb_env_close (self->env);
    close (self->lock_fd);
    free (self);
    *self_p = NULL;
}

int
sw_store_dbi (sw_store_t *self, const char *name, unsigned flags, MDB_dbi *dbi)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open (txn, name, flags | MDB_CREATE, dbi);
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    if (rc != 0) {
        sw_error ("store", "dbi_open_failed", "name=%s error=\"%s\"", name, mdb_strerror (rc));
        return -1;
    }
    return 0;
}

void
sw_store_attach (sw_store_t *self, const sw_store_hooks_t *hooks)
{
    if (self->n_hooks >= SW_STORE_MAX_HOOKS)
        abort ();
    self->hooks[self->n_hooks++] = *hooks;
}

void
sw_store_detach (sw_store_t *self, void *arg)
{
    size_t keep = 0;
    for (size_t i = 0; i < self->n_hooks; i++)
        if (self->hooks[i].arg != arg)
            self->hooks[keep++] = self->hooks[i];
    self->n_hooks = keep;
}

/* why: "ahead" (more than half used before a batch) or "map_full" (the
 * batch runs again). */
static int
s_grow (sw_store_t *self, const char *why)
{
    size_t next = self->map_size * 2;
    int rc = mdb_env_set_mapsize (self->env, next);
    if (rc != 0) {
        sw_error ("store", "map_grow_failed", "size=%zu error=\"%s\"", next, mdb_strerror (rc));
        return -1;
    }
    MDB_envinfo info;
    self->map_size = next;
    if (mdb_env_info (self->env, &info) == 0)
        self->map_size = info.me_mapsize;
    self->growths++;
    sw_info ("store", "map_grown", "size=%zu cause=%s", self->map_size, why);
    return 0;
}

/* Doubles the map before a batch, as often as needed, while what is in use
 * (the file's last page: free pages inside it are reused first, so this is
 * an upper bound) plus what the batch is expected to write
 * (sw_store_expect) is more than half of it. A batch bigger than what is
 * left, such as a 1 M close's express report (~190 MB), then fits at its
 * first attempt instead of running again after MDB_MAP_FULL (which
 * compiled that report twice). The map is address space: the file grows
 * only as pages are written (with SW_STORE_WRITEMAP, which only tests use,
 * LMDB sizes the file to the map, sparse). */
static int
s_grow_ahead (sw_store_t *self)
{
    size_t expect = self->expect;
    self->expect = 0;
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info (self->env, &info) != 0 || mdb_env_stat (self->env, &st) != 0)
        return 0;
    size_t need = ((size_t) info.me_last_pgno + 1) * st.ms_psize + expect;
    while (need > self->map_size / 2) {
        /* A failed growth may leave the environment unmapped (LMDB unmaps
         * before it maps again): the store stops, as after MDB_MAP_FULL. */
        if (s_grow (self, "ahead") != 0)
            return -1;
        self->grown_ahead++;
    }
    return 0;
}

void
sw_store_expect (sw_store_t *self, size_t bytes)
{
    self->expect = bytes;
}

int
sw_store_write (sw_store_t *self, sw_store_batch_fn *fn, void *arg)
{
    if (self->failed)
        return -1;
    if (s_grow_ahead (self) != 0) {
        self->failed = true;
        return -1;
    }
    for (int attempt = 0; attempt < SW_STORE_MAX_REPLAYS; attempt++) {
        MDB_txn *txn;
        int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED) {
            /* another process grew the map: adopt the new size and retry */
            mdb_env_set_mapsize (self->env, 0);
            continue;
        }
        if (rc != 0) {
            sw_error ("store", "txn_begin_failed", "error=\"%s\"", mdb_strerror (rc));
            self->failed = true;
            return -1;
        }
        self->batch_txn = txn;
        memset (self->batch_cur, 0, sizeof self->batch_cur);
        for (size_t i = 0; rc == 0 && i < self->n_hooks; i++)
            if (self->hooks[i].begin)
                rc = self->hooks[i].begin (txn, self->hooks[i].arg);
        if (rc == 0)
            rc = fn (txn, arg);
        for (size_t i = 0; rc == 0 && i < self->n_hooks; i++)
            if (self->hooks[i].before_commit)
                rc = self->hooks[i].before_commit (txn, self->hooks[i].arg);
        self->batch_txn = NULL; /* its cursors go with it */
        if (rc == 0) {
            /* A failed commit has already freed the transaction. */
            rc = mdb_txn_commit (txn);
            if (rc == 0) {
                for (size_t i = 0; i < self->n_hooks; i++)
                    if (self->hooks[i].committed)
                        self->hooks[i].committed (self->hooks[i].arg);
                return 0;
            }
        }
        else
            mdb_txn_abort (txn);
        if (rc == MDB_MAP_FULL) {
            if (s_grow (self, "map_full") != 0)
                break;
            continue;
        }
        sw_error ("store", "batch_failed", "error=\"%s\"",
                  rc == -1 ? "batch body failed" : mdb_strerror (rc));
        break;
    }
    self->failed = true;
    return -1;
}

/* The writer thread: runs each job through sw_store_write (begin and
 * commit in this one thread, as LMDB's writer lock wants), then says so
 * through done_fd. The mutex orders everything the caller did before the
 * start before the job, and the job before what the caller does after the
 * finish. */
static void *
s_writer (void *arg)
{
    sw_store_t *self = arg;
    pthread_mutex_lock (&self->mutex);
    for (;;) {
        while (!self->writer_stop && (!self->job_fn || self->job_done))
            pthread_cond_wait (&self->cond, &self->mutex);
        if (self->writer_stop)
            break;
        sw_store_batch_fn *fn = self->job_fn;
        void *fn_arg = self->job_arg;
        pthread_mutex_unlock (&self->mutex);
        int rc = sw_store_write (self, fn, fn_arg);
        pthread_mutex_lock (&self->mutex);
        self->job_rc = rc;
        self->job_done = true;
        pthread_cond_broadcast (&self->cond);
        uint64_t one = 1;
        if (write (self->done_fd, &one, sizeof one) != sizeof one) {
            /* an eventfd write fails only past 2^64-2: finish still waits on cond */
        }
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

int
sw_store_write_start (sw_store_t *self, sw_store_batch_fn *fn, void *arg)
{
    if (self->writing)
        return -1;
    if (!self->writer_made) {
        self->done_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (self->done_fd < 0)
            return -1;
        if (pthread_mutex_init (&self->mutex, NULL) != 0) {
            close (self->done_fd);
            self->done_fd = -1;
            return -1;
        }
        if (pthread_cond_init (&self->cond, NULL) != 0) {
            pthread_mutex_destroy (&self->mutex);
            close (self->done_fd);
            self->done_fd = -1;
            return -1;
        }
        /* Signals stay with the threads that handled them before: the
         * writer is made with all of them blocked. */
        sigset_t all, was;
        sigfillset (&all);
        pthread_sigmask (SIG_SETMASK, &all, &was);
        int rc = pthread_create (&self->writer, NULL, s_writer, self);
        pthread_sigmask (SIG_SETMASK, &was, NULL);
        if (rc != 0) {
            pthread_mutex_destroy (&self->mutex);
            pthread_cond_destroy (&self->cond);
            close (self->done_fd);
            self->done_fd = -1;
            return -1;
        }
        self->writer_made = true;
    }
    pthread_mutex_lock (&self->mutex);
    self->job_fn = fn;
    self->job_arg = arg;
    self->job_done = false;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->mutex);
    self->writing = true;
    return 0;
}

int
sw_store_write_fd (const sw_store_t *self)
{
    return self->done_fd;
}

bool
sw_store_writing (const sw_store_t *self)
{
    return self->writing;
}

bool
sw_store_write_done (sw_store_t *self)
{
    if (!self->writing)
        return false;
    pthread_mutex_lock (&self->mutex);
    bool done = self->job_done;
    pthread_mutex_unlock (&self->mutex);
    return done;
}

int
sw_store_write_finish (sw_store_t *self)
{
    if (!self->writing)
        return -1;
    pthread_mutex_lock (&self->mutex);
    while (!self->job_done)
        pthread_cond_wait (&self->cond, &self->mutex);
    int rc = self->job_rc;
    self->job_fn = NULL;
    pthread_mutex_unlock (&self->mutex);
    uint64_t n;
    if (read (self->done_fd, &n, sizeof n) < 0) {
        /* already cleared: nothing to do */
    }
    self->writing = false;
    return rc;
}

int
sw_store_put (sw_store_t *self, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
              unsigned flags)
{
    if (txn != self->batch_txn || dbi >= SW_STORE_MAX_CURSORS)
        return mdb_put (txn, dbi, key, data, flags);
    if (!self->batch_cur[dbi]) {
        int rc = mdb_cursor_open (txn, dbi, &self->batch_cur[dbi]);
        if (rc != 0) {
            self->batch_cur[dbi] = NULL;
            return rc;
        }
        self->cursors_opened++;
    }
    return mdb_cursor_put (self->batch_cur[dbi], key, data, flags);
}

int
sw_store_read (sw_store_t *self, MDB_txn **txn)
{
    int rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize (self->env, 0);
        rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, txn);
    }
    if (rc != 0) {
        sw_error ("store", "read_txn_failed", "error=\"%s\"", mdb_strerror (rc));
        return -1;
    }
    return 0;
}

MDB_env *
sw_store_env (sw_store_t *self)
{
    return self->env;
}

size_t
sw_store_map_size (const sw_store_t *self)
{
    return self->map_size;
}

unsigned long
sw_store_cursors_opened (const sw_store_t *self)
{
    return self->cursors_opened;
}

unsigned
sw_store_grown_ahead (const sw_store_t *self)
{
    return self->grown_ahead;
}

unsigned
sw_store_growths (const sw_store_t *self)
{
    return self->growths;
}

int
sw_store_reader_check (sw_store_t *self)
{
    int dead = 0;
    mdb_reader_check (self->env, &dead);
    return dead;
}

void
sw_u64_be (uint64_t v, uint8_t out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t) (v & 0xff);
        v >>= 8;
    }
}

uint64_t
sw_be_u64 (const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

int
sw_store_get_u64 (MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out)
{
    MDB_val k = { strlen (key), (void *) key }, v;
    int rc = mdb_get (txn, dbi, &k, &v);
    if (rc != 0)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *out = sw_be_u64 (v.mv_data);
    return 0;
}

int
sw_store_put_u64 (MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t value)
{
    uint8_t buf[8];
    sw_u64_be (value, buf);
    MDB_val k = { strlen (key), (void *) key }, v = { 8, buf };
    return mdb_put (txn, dbi, &k, &v, 0);
}
