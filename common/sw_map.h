/* sw_map: a hash map from C strings to pointers, for the per-report lookups
 * (intake's known projects, rules' parsed projects and its state log's
 * index). Open addressing with linear probing in one array of slots, each
 * holding the key's 64-bit hash and, when shorter than 24 bytes, the key
 * itself: a lookup reads the slot (48 bytes: one or two cache lines), and
 * a longer key only when the hashes match. zhashx (czmq) chains items, each and
 * its key a separate allocation; its lookups were a quarter of rules' CPU at
 * saturation (perf, session 6). Deletion shifts the probe run back (no
 * tombstones); clearing keeps the capacity. Not thread-safe. */
#ifndef SW_MAP_H
#define SW_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_map_t sw_map_t;
typedef void (sw_map_free_fn) (void *value);

/* free_value (may be NULL) is called on a value when it is replaced,
 * deleted, cleared or destroyed. */
sw_map_t *sw_map_new (sw_map_free_fn *free_value);
void sw_map_destroy (sw_map_t **self_p);

/* The value stored under key, or NULL. */
void *sw_map_get (const sw_map_t *self, const char *key);
/* Stores value under key (a copy of key is kept), replacing what was there.
 * 0, or -1 when memory ran out (the map is unchanged). */
int sw_map_put (sw_map_t *self, const char *key, void *value);
/* True when key was there (its value freed). */
bool sw_map_delete (sw_map_t *self, const char *key);
size_t sw_map_size (const sw_map_t *self);
/* Empties the map; its capacity stays. */
void sw_map_clear (sw_map_t *self);
/* Walks the entries in no order: *pos starts at 0; false at the end. The
 * map must not change during the walk (a key may live in its slot: *key is
 * valid until the map changes). */
bool sw_map_next (const sw_map_t *self, size_t *pos, const char **key, void **value);

#endif
