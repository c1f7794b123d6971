/* fuzz_registry: the registry YAML an operator imports. sw_registry_parse
 * on arbitrary bytes; a parsed registry is looked up by its own ids. */
#include "sw_registry.h"

#include <stdint.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Sitewatch__V1__Registry *reg = NULL;
    sw_strlist_t errors = {0}, warnings = {0};
    if (sw_registry_parse ((const char *) data, size, &reg, &errors, &warnings) == 0 && reg) {
        for (size_t i = 0; i < reg->n_projects; i++)
            sw_registry_project (reg, reg->projects[i]->id);
        for (size_t i = 0; i < reg->n_leaders; i++)
            sw_registry_leader (reg, reg->leaders[i]->id);
    }
    if (reg)
        sitewatch__v1__registry__free_unpacked (reg, NULL);
    sw_strlist_clear (&errors);
    sw_strlist_clear (&warnings);
    return 0;
}
