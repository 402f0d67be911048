/* tests/fixtures.c — see tests/fixtures.h. */
#include "tests/fixtures.h"

#include <stdlib.h>
#include <string.h>

void t_det_entries(struct hash32 *out, uint64_t n, uint32_t seed)
{
    for (uint64_t i = 0; i < n; i++) {
        uint8_t in[12];
        memcpy(in, &seed, 4);
        memcpy(in + 4, &i, 8);
        if (sha256(in, sizeof in, &out[i]) != E_OK)
            abort();
    }
}
