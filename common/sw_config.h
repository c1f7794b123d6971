/* sw_config: one configuration loader for every program.
 * Precedence: built-in defaults < config file (--config FILE or env
 * SITEWATCH_CONFIG) < environment (SITEWATCH_<KEY>, upper-cased, '-'->'_')
 * < command-line flags (--key value | --key=value). Keys are declared up front
 * so a typo is an error, not a silently ignored setting. */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key;      /* "data", "clock", "rules-endpoint", ... */
    const char *def;      /* default value, NULL = unset */
    const char *help;
    bool is_flag;         /* boolean switch: "--key" alone means "true" */
} sw_option_t;

typedef struct sw_config_t sw_config_t;

/* Creates a config over a NULL-terminated (key == NULL) option table that
 * must outlive it. Never NULL (aborts on OOM). */
sw_config_t *sw_config_new (const sw_option_t *options);
void sw_config_destroy (sw_config_t **self_p);

/* Applies file, environment and argv in that order. Returns 0; 1 when
 * --help was asked (usage printed to stdout); -1 on a bad file, unknown key or
 * missing value, with the reason in err. Arguments that do not start with
 * "--" are collected as positionals. */
int sw_config_load (sw_config_t *self, int argc, char **argv, char *err, size_t errlen);

/* Reads "key = value" lines (# comments). 0, or -1 with "FILE line N: ..." */
int sw_config_load_file (sw_config_t *self, const char *path, char *err, size_t errlen);
/* Sets a declared key; -1 when the key is unknown. */
int sw_config_set (sw_config_t *self, const char *key, const char *value);

/* The value, or NULL when unset. */
const char *sw_config_get (const sw_config_t *self, const char *key);
/* Integer value (accepts suffixes k, M, G for sizes); def when unset or bad. */
int64_t sw_config_get_int (const sw_config_t *self, const char *key, int64_t def);
/* Every option whose default is a whole number (K/M/G allowed) holds one:
 * 0, or -1 with the reason in err ("--link-window must be a whole number,
 * not 'abc'"), so a typo is refused instead of read as the default. */
int sw_config_check_ints (const sw_config_t *self, char *err, size_t errlen);
bool sw_config_get_bool (const sw_config_t *self, const char *key);

size_t sw_config_positional_count (const sw_config_t *self);
const char *sw_config_positional (const sw_config_t *self, size_t index);

/* Prints "--key  help (default: X)" lines. */
void sw_config_usage (const sw_config_t *self, const char *program, const char *summary);

#endif
