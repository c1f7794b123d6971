/* sw_map: see sw_map.h. */
#include "sw_map.h"

#include <stdlib.h>
#include <string.h>

/* Keys up to S_INLINE - 1 bytes live in the slot itself: comparing one
 * then reads the cache line the hash was on, where a key of its own
 * allocation was a cache miss per lookup (perf had rules' strcmp in the
 * map at 7 % of sitewatchd's CPU at saturation). Longer keys are copied
 * to the heap (key not NULL). */
#define S_INLINE 24

typedef struct {
    uint64_t hash; /* 0: empty (a key whose hash is 0 is stored as 1) */
    void *value;
    char *key;     /* NULL: the key is inline */
    char inline_key[S_INLINE];
} s_slot_t;

static inline const char *
s_key (const s_slot_t *s)
{
    return s->key ? s->key : s->inline_key;
}

struct sw_map_t {
    s_slot_t *slots;
    size_t cap; /* a power of two */
    size_t size;
    sw_map_free_fn *free_value;
};

#define S_MIN_CAP 16

/* FNV-1a, then the MurmurHash3 finalizer: ids that differ in one digit
 * land far apart. */
static uint64_t
s_hash (const char *key, size_t *len)
{
    uint64_t h = 14695981039346656037ULL;
    const unsigned char *p = (const unsigned char *) key;
    for (; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    *len = (size_t) (p - (const unsigned char *) key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

sw_map_t *
sw_map_new (sw_map_free_fn *free_value)
{
    sw_map_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc (S_MIN_CAP, sizeof *self->slots);
    if (!self->slots) {
        free (self);
        return NULL;
    }
    self->cap = S_MIN_CAP;
    self->free_value = free_value;
    return self;
}

void
sw_map_clear (sw_map_t *self)
{
    for (size_t i = 0; i < self->cap && self->size; i++) {
        s_slot_t *s = &self->slots[i];
        if (!s->hash)
            continue;
        if (self->free_value)
            self->free_value (s->value);
        free (s->key);
        self->size--;
    }
    memset (self->slots, 0, self->cap * sizeof *self->slots);
    self->size = 0;
}

void
sw_map_destroy (sw_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_map_t *self = *self_p;
    sw_map_clear (self);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

/* The slot holding key, or the empty slot where it would go. */
static s_slot_t *
s_find (const sw_map_t *self, const char *key, uint64_t hash)
{
    size_t mask = self->cap - 1;
    for (size_t i = (size_t) hash & mask;; i = (i + 1) & mask) {
        s_slot_t *s = &self->slots[i];
        if (!s->hash || (s->hash == hash && strcmp (s_key (s), key) == 0))
            return s;
    }
}

void *
sw_map_get (const sw_map_t *self, const char *key)
{
    size_t len;
    s_slot_t *s = s_find (self, key, s_hash (key, &len));
    return s->hash ? s->value : NULL;
}

static int
s_grow (sw_map_t *self)
{
    size_t cap = self->cap * 2;
    s_slot_t *slots = calloc (cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->cap; i++) {
        s_slot_t *s = &self->slots[i];
        if (!s->hash)
            continue;
        size_t j = (size_t) s->hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free (self->slots);
    self->slots = slots;
    self->cap = cap;
    return 0;
}

int
sw_map_put (sw_map_t *self, const char *key, void *value)
{
    size_t len;
    uint64_t hash = s_hash (key, &len);
    s_slot_t *s = s_find (self, key, hash);
    if (s->hash) {
        if (self->free_value && s->value != value)
            self->free_value (s->value);
        s->value = value;
        return 0;
    }
    /* at most half full: short probe runs, and a miss ends soon */
    if ((self->size + 1) * 2 > self->cap) {
        if (s_grow (self) != 0)
            return -1;
        s = s_find (self, key, hash);
    }
    if (len < S_INLINE) {
        memcpy (s->inline_key, key, len + 1);
        s->key = NULL;
    }
    else {
        char *copy = malloc (len + 1);
        if (!copy)
            return -1;
        memcpy (copy, key, len + 1);
        s->key = copy;
    }
    s->hash = hash;
    s->value = value;
    self->size++;
    return 0;
}

bool
sw_map_delete (sw_map_t *self, const char *key)
{
    size_t len;
    s_slot_t *s = s_find (self, key, s_hash (key, &len));
    if (!s->hash)
        return false;
    if (self->free_value)
        self->free_value (s->value);
    free (s->key);
    self->size--;
    /* Backward shift: move later entries of the run into the hole when
     * their home slot is at or before it (Knuth's algorithm R). */
    size_t mask = self->cap - 1;
    size_t hole = (size_t) (s - self->slots);
    for (size_t j = (hole + 1) & mask; self->slots[j].hash; j = (j + 1) & mask) {
        size_t home = (size_t) self->slots[j].hash & mask;
        /* j's home is cyclically in (hole, j]: it must stay */
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        self->slots[hole] = self->slots[j];
        hole = j;
    }
    memset (&self->slots[hole], 0, sizeof self->slots[hole]);
    return true;
}

size_t
sw_map_size (const sw_map_t *self)
{
    return self->size;
}

bool
sw_map_next (const sw_map_t *self, size_t *pos, const char **key, void **value)
{
    for (size_t i = *pos; i < self->cap; i++) {
        if (!self->slots[i].hash)
            continue;
        if (key)
            *key = s_key (&self->slots[i]);
        if (value)
            *value = self->slots[i].value;
        *pos = i + 1;
        return true;
    }
    *pos = self->cap;
    return false;
}
