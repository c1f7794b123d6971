/* sw_config: defaults < file < environment < flags, over a declared key table. */
#include "sw_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sw_config_t {
    const sw_option_t *options;
    size_t n;
    char **values;
    char **pos;
    size_t npos;
    bool help;
};

static void *
s_xcalloc (size_t n, size_t size)
{
    void *p = calloc (n ? n : 1, size);
    if (!p)
        abort ();
    return p;
}

static char *
s_xstrdup (const char *s)
{
    char *p = strdup (s);
    if (!p)
        abort ();
    return p;
}

static long
s_index (const sw_config_t *self, const char *key)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->options[i].key, key) == 0)
            return (long) i;
    return -1;
}

sw_config_t *
sw_config_new (const sw_option_t *options)
{
    sw_config_t *self = s_xcalloc (1, sizeof *self);
    self->options = options;
    while (options[self->n].key)
        self->n++;
    self->values = s_xcalloc (self->n, sizeof (char *));
    self->pos = s_xcalloc (1, sizeof (char *));
    for (size_t i = 0; i < self->n; i++)
        if (options[i].def)
            self->values[i] = s_xstrdup (options[i].def);
    return self;
}

void
sw_config_destroy (sw_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_config_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free (self->values[i]);
    for (size_t i = 0; i < self->npos; i++)
        free (self->pos[i]);
    free (self->values);
    free (self->pos);
    free (self);
    *self_p = NULL;
}

int
sw_config_set (sw_config_t *self, const char *key, const char *value)
{
    long i = s_index (self, key);
    if (i < 0)
        return -1;
    free (self->values[i]);
    self->values[i] = value ? s_xstrdup (value) : NULL;
    return 0;
}

static char *
s_trim (char *s)
{
    while (isspace ((unsigned char) *s))
        s++;
    char *e = s + strlen (s);
    while (e > s && isspace ((unsigned char) e[-1]))
        *--e = 0;
    return s;
}

int
sw_config_load_file (sw_config_t *self, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets (line, sizeof line, f)) {
        lineno++;
        char *hash = strchr (line, '#');
        if (hash)
            *hash = 0;
        char *s = s_trim (line);
        if (!*s)
            continue;
        char *eq = strchr (s, '=');
        if (!eq) {
            snprintf (err, errlen, "%s line %d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = 0;
        char *key = s_trim (s), *value = s_trim (eq + 1);
        if (sw_config_set (self, key, value) != 0) {
            snprintf (err, errlen, "%s line %d: unknown key '%s'", path, lineno, key);
            rc = -1;
            break;
        }
    }
    fclose (f);
    return rc;
}

static void
s_env (sw_config_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        char name[128] = "SITEWATCH_";
        size_t o = strlen (name);
        for (const char *k = self->options[i].key; *k && o < sizeof name - 1; k++)
            name[o++] = *k == '-' ? '_' : (char) toupper ((unsigned char) *k);
        name[o] = 0;
        const char *v = getenv (name);
        if (v)
            sw_config_set (self, self->options[i].key, v);
    }
}

int
sw_config_load (sw_config_t *self, int argc, char **argv, char *err, size_t errlen)
{
    /* The file first: find --config among the flags, else the environment. */
    const char *file = getenv ("SITEWATCH_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp (argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file && sw_config_load_file (self, file, err, errlen) != 0)
        return -1;
    s_env (self);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            self->help = true;
            continue;
        }
        if (strncmp (a, "--", 2) != 0 || strcmp (a, "--") == 0) {
            if (strcmp (a, "--") == 0)
                continue;
            self->pos = realloc (self->pos, (self->npos + 1) * sizeof (char *));
            if (!self->pos)
                abort ();
            self->pos[self->npos++] = s_xstrdup (a);
            continue;
        }
        char key[128];
        const char *eq = strchr (a + 2, '=');
        size_t kl = eq ? (size_t) (eq - a - 2) : strlen (a + 2);
        if (kl >= sizeof key) {
            snprintf (err, errlen, "option too long: %.40s", a);
            return -1;
        }
        memcpy (key, a + 2, kl);
        key[kl] = 0;
        if (strcmp (key, "config") == 0) {
            if (!eq)
                i++;
            continue;
        }
        long idx = s_index (self, key);
        if (idx < 0) {
            snprintf (err, errlen, "unknown option --%s", key);
            return -1;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (self->options[idx].is_flag)
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            snprintf (err, errlen, "option --%s needs a value", key);
            return -1;
        }
        sw_config_set (self, key, value);
    }
    return self->help ? 1 : 0;
}

const char *
sw_config_get (const sw_config_t *self, const char *key)
{
    long i = s_index (self, key);
    return i < 0 ? NULL : self->values[i];
}

/* An integer with an optional K/M/G suffix (powers of 1024). */
static bool
s_parse_int (const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll (v, &end, 10);
    if (errno || end == v)
        return false;
    switch (*end) {
    case 'k': case 'K': n *= 1024; end++; break;
    case 'M': n *= 1024 * 1024; end++; break;
    case 'G': n *= 1024LL * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end)
        return false;
    *out = (int64_t) n;
    return true;
}

int64_t
sw_config_get_int (const sw_config_t *self, const char *key, int64_t def)
{
    const char *v = sw_config_get (self, key);
    int64_t n;
    return v && *v && s_parse_int (v, &n) ? n : def;
}

int
sw_config_check_ints (const sw_config_t *self, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->n; i++) {
        const sw_option_t *o = &self->options[i];
        const char *v = self->values[i];
        int64_t n;
        if (!o->def || !s_parse_int (o->def, &n) || !v || !*v || s_parse_int (v, &n))
            continue;
        snprintf (err, errlen, "--%s must be a whole number, not '%s'", o->key, v);
        return -1;
    }
    return 0;
}

bool
sw_config_get_bool (const sw_config_t *self, const char *key)
{
    const char *v = sw_config_get (self, key);
    return v && (strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcmp (v, "yes") == 0);
}

size_t
sw_config_positional_count (const sw_config_t *self)
{
    return self->npos;
}

const char *
sw_config_positional (const sw_config_t *self, size_t index)
{
    return index < self->npos ? self->pos[index] : NULL;
}

void
sw_config_usage (const sw_config_t *self, const char *program, const char *summary)
{
    printf ("usage: %s [options]\n%s\n\noptions (flag > env SITEWATCH_<KEY> > --config FILE > default):\n",
            program, summary);
    printf ("  --%-22s %s\n", "config FILE", "read key = value settings from FILE");
    for (size_t i = 0; i < self->n; i++) {
        const sw_option_t *o = &self->options[i];
        printf ("  --%-22s %s", o->key, o->help ? o->help : "");
        if (o->def)
            printf (" (default: %s)", o->def);
        printf ("\n");
    }
    printf ("  --%-22s %s\n", "help", "show this help");
}
