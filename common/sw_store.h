/* sw_store: the one LMDB wrapper. It hides LMDB's quirks in one place:
 * MDB_MAP_FULL from put or commit (abort, grow the map, replay the batch), a
 * failed commit that already freed its transaction, stale readers, and one
 * environment per directory per process (an exclusive lock file refuses a
 * second server on the same data directory).
 *
 * Writes happen in batches: sw_store_write runs a caller function inside one
 * write transaction and commits once with full sync. The function may be run
 * more than once (after MDB_MAP_FULL), so it must keep its side effects inside
 * the transaction or in state that the attached hooks reset on begin. */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_store_t sw_store_t;

/* A batch body: returns 0, an LMDB error code (MDB_MAP_FULL triggers growth
 * and replay), or -1 for a fatal error. */
typedef int (sw_store_batch_fn) (MDB_txn *txn, void *arg);

/* Participants in every write batch (the hop links use these to keep their
 * transaction-local counters honest across replays). */
typedef struct {
    int (*begin) (MDB_txn *txn, void *arg);          /* start of each attempt */
    int (*before_commit) (MDB_txn *txn, void *arg);  /* after the body, same txn */
    void (*committed) (void *arg);                   /* after a successful commit */
    void *arg;
} sw_store_hooks_t;

/* Opens (creating) the environment in dir, taking an exclusive lock on
 * dir/sitewatch.lock. map_size 0 means 64 MiB; the map grows on demand.
 * Returns NULL with a human reason in err when the directory is unusable,
 * locked by another process, or holds a corrupt environment. */
sw_store_t *sw_store_open (const char *dir, size_t map_size, char *err, size_t errlen);
/* Options of sw_store_open_ex. */
#define SW_STORE_WRITEMAP 1u  /* LMDB writes pages in place in the map
                                 (MDB_WRITEMAP): no heap copy per dirty page.
                                 LMDB keeps the heap copies of its largest
                                 transaction for reuse until the environment
                                 closes: for a store whose transactions can
                                 be huge (a period close over 1 M projects),
                                 that is hundreds of MB of heap. Same
                                 durability (the map is synced at commit).
                                 No service uses it now: with small
                                 transactions it costs write faults and
                                 msync (services/rules/README.md). */
sw_store_t *sw_store_open_ex (const char *dir, size_t map_size, unsigned flags, char *err,
                              size_t errlen);
/* Closes the environment and releases the lock. Safe on NULL and twice. */
void sw_store_close (sw_store_t **self_p);

/* Opens or creates a named database (MDB_CREATE is added). 0 / -1. */
int sw_store_dbi (sw_store_t *self, const char *name, unsigned flags, MDB_dbi *dbi);

/* Registers hooks called around every write batch. At most 8. */
void sw_store_attach (sw_store_t *self, const sw_store_hooks_t *hooks);

/* Removes every hook registered with this arg (call before freeing arg). */
void sw_store_detach (sw_store_t *self, void *arg);

/* Tells the next sw_store_write that its batch may write about bytes (a
 * stage passes twice what it received): the map is grown ahead for it. */
void sw_store_expect (sw_store_t *self, size_t bytes);

/* Runs fn in one write transaction and commits with full sync; before it,
 * doubles the map while what is in use plus what the batch is expected to
 * write is more than half of it; on MDB_MAP_FULL grows the map (doubling)
 * and replays fn. Returns 0 when
 * committed, -1 on a fatal error (logged; the caller should exit non-zero). */
int sw_store_write (sw_store_t *self, sw_store_batch_fn *fn, void *arg);

/* The same batch, run by a thread of the store's own (started at first
 * use, every signal blocked) while the caller goes on: the caller's thread
 * is then free during the commit's page writes and syncs (intake reads the
 * next batch off the wire meanwhile). Until sw_store_write_finish returns,
 * what fn and the hooks use belongs to that thread: the caller must touch
 * none of it (nor write or read this store; it may read what fn only
 * reads), and says in its own code which fields those are (intake.c,
 * s_loop). One batch at a
 * time. Returns 0 when started, -1 when one is under way or the thread
 * cannot be made (then nothing ran: call sw_store_write instead). */
int sw_store_write_start (sw_store_t *self, sw_store_batch_fn *fn, void *arg);
/* A file descriptor that polls readable once the started batch is done
 * (an eventfd; -1 before the first sw_store_write_start). */
int sw_store_write_fd (const sw_store_t *self);
/* True while a started batch has not been finished. */
bool sw_store_writing (const sw_store_t *self);
/* True when the started batch is done (sw_store_write_finish will not
 * wait). */
bool sw_store_write_done (sw_store_t *self);
/* Waits for the started batch and returns what sw_store_write returned for
 * it (0 committed, hooks' committed run; -1 fatal). */
int sw_store_write_finish (sw_store_t *self);

/* mdb_put, through one cursor per database for the batch under way (txn
 * is sw_store_write's, from its body or hooks): the cursor stays where the
 * last put left it, and LMDB skips the search from the root when the next
 * key falls on that page or past the last key (appends, time-ordered ids,
 * keys put in order). With any other txn it is mdb_put. Same flags and
 * results as mdb_put (MDB_APPEND, MDB_RESERVE, MDB_NOOVERWRITE ...). */
int sw_store_put (sw_store_t *self, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
                  unsigned flags);
/* Cursors sw_store_put has opened since open: one per database a batch
 * attempt puts into (for tests). */
unsigned long sw_store_cursors_opened (const sw_store_t *self);

/* Begins a read-only transaction; 0 / -1. Abort it with mdb_txn_abort. */
int sw_store_read (sw_store_t *self, MDB_txn **txn);

MDB_env *sw_store_env (sw_store_t *self);
size_t sw_store_map_size (const sw_store_t *self);
/* Number of map growths since open (for tests and metrics): after
 * MDB_MAP_FULL (the batch then runs again), or before a batch when the map
 * was more than half used (sw_store_grown_ahead counts those). */
unsigned sw_store_growths (const sw_store_t *self);
unsigned sw_store_grown_ahead (const sw_store_t *self);
/* Clears stale reader slots left by dead processes; returns how many. */
int sw_store_reader_check (sw_store_t *self);

/* Small helpers for keys. */
void sw_u64_be (uint64_t v, uint8_t out[8]);
uint64_t sw_be_u64 (const uint8_t in[8]);
/* Copies a value out of the map (MDB_val data is only valid inside the txn). */
int sw_store_get_u64 (MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out);
int sw_store_put_u64 (MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t value);

#endif
