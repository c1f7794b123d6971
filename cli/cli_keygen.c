/* cli_keygen: `sitewatch keygen NAME --out DIR [--role R] [--projects "A B"]`
 * makes a CURVE key pair: DIR/NAME.cert (public, with the role and bound
 * projects as metadata: copy it into the server's curve-dir/clients/) and
 * DIR/NAME.cert_secret (stays with the client: SITEWATCH_CURVE_CERT). For
 * the server itself: `sitewatch keygen server --out CURVE_DIR`. */
#include "cli.h"

#include <czmq.h>
#include <string.h>

int
cli_cmd_keygen (cli_t *self, int argc, char **argv)
{
    const char *name = NULL, *out = ".", *role = "operator", *projects = "";
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp (argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp (argv[i], "--projects") == 0 && i + 1 < argc)
            projects = argv[++i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            fprintf (stderr, "sitewatch: keygen: unexpected '%s'\n"
                             "usage: sitewatch keygen NAME --out DIR [--role operator|device|subscriber] [--projects \"ID ID\"]\n",
                     argv[i]);
            return 2;
        }
    }
    if (!name || strchr (name, '/')
        || (strcmp (role, "operator") && strcmp (role, "device") && strcmp (role, "subscriber"))) {
        fprintf (stderr, "usage: sitewatch keygen NAME --out DIR [--role operator|device|subscriber] [--projects \"ID ID\"]\n");
        return 2;
    }
    zsys_dir_create ("%s", out);
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "sitewatch: keygen: cannot make a key pair\n");
        return 1;
    }
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    if (*projects)
        zcert_set_meta (cert, "projects", "%s", projects);
    char path[4096];
    snprintf (path, sizeof path, "%s/%s.cert", out, name);
    if (zcert_save (cert, path) != 0) {
        fprintf (stderr, "sitewatch: keygen: cannot write %s\n", path);
        zcert_destroy (&cert);
        return 1;
    }
    printf ("%s/%s.cert (public: give it to the server's curve-dir/clients/)\n"
            "%s/%s.cert_secret (secret: SITEWATCH_CURVE_CERT for this client)\n"
            "public key %s\n",
            out, name, out, name, zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}
