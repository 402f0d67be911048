/*
 * tests/unit/test_batch_json.c — a batch as JSON (notary/issuance/batch_json.h),
 * the one function behind GET /v1/batches[/{seq}], /v1/checkpoints and the
 * CLI's --json (close, status, revoke --checkpoint).
 *
 * Each view is pinned to the byte, key order included (jansson keeps the
 * order keys are set in): the API's is docs/openapi.yaml's Batch as
 * `notary serve` answered before the function moved to issuance/, the CLI's
 * is what notary/cli/main.c's batch_json_fill printed.
 */
#include <stdlib.h>
#include <string.h>

#include "notary/issuance/batch_json.h"
#include "tests/harness.h"

#define H32(c) {{[0 ... 31] = (c)}}

static struct store_batch anchored(void)
{
    struct store_batch b = {.kind = BATCH_ISSUANCE,
                            .seq = 7,
                            .state = BATCH_ANCHORED,
                            .size = 3,
                            .has_root = true,
                            .root = H32(0x11),
                            .opened_at = 1700000000,
                            .closed_at = 1700000060,
                            .has_tx = true,
                            .tx_hash = H32(0x22),
                            .nonce = 5,
                            .sent_at = 1700000070,
                            .block_number = 42,
                            .block_hash = H32(0x33),
                            .block_time = 1700000080,
                            .anchored_at = 1700000090};
    return b;
}

/* The compact JSON of b in view v equals want. */
static bool shows(const struct store_batch *b, enum batch_json_view v, const char *want)
{
    json_t *o = batch_info_json(b, v);
    char *got = o ? json_dumps(o, JSON_COMPACT) : NULL;
    bool ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "  got  %s\n  want %s\n", got ? got : "(null)", want);
    free(got);
    json_decref(o);
    return ok;
}

#define R11 "1111111111111111111111111111111111111111111111111111111111111111"
#define T22 "0x2222222222222222222222222222222222222222222222222222222222222222"
#define B33 "0x3333333333333333333333333333333333333333333333333333333333333333"

TEST(api_view_of_an_anchored_batch)
{
    struct store_batch b = anchored();
    CHECK(shows(&b, BATCH_JSON_API,
                "{\"kind\":\"issuance\",\"seq\":7,\"state\":\"anchored\",\"size\":3,\"root\":\"" R11
                "\",\"openedAt\":\"2023-11-14T22:13:20Z\",\"closedAt\":\"2023-11-14T22:14:20Z\","
                "\"anchored\":true,\"txHash\":\"" T22 "\",\"blockNumber\":42,\"blockHash\":\"" B33
                "\",\"blockTime\":1700000080,\"anchoredAt\":\"2023-11-14T22:14:50Z\"}"));
}

TEST(cli_view_of_an_anchored_batch)
{
    struct store_batch b = anchored();
    CHECK(shows(&b, BATCH_JSON_CLI,
                "{\"seq\":7,\"state\":\"anchored\",\"size\":3,\"root\":\"" R11
                "\",\"closedAt\":\"2023-11-14T22:14:20Z\",\"txHash\":\"" T22
                "\",\"nonce\":5,\"blockNumber\":42,\"blockHash\":\"" B33
                "\",\"blockTime\":1700000080}"));
}

/* An open revocation checkpoint: no root, no transaction, no block; unset
 * times left out; a recorded error shown as reason. */
TEST(both_views_leave_out_what_a_batch_lacks)
{
    struct store_batch b = {.kind = BATCH_REVOCATION, .seq = 2, .state = BATCH_OPEN,
                            .opened_at = 1700000000};
    snprintf(b.last_error, sizeof b.last_error, "ledger unreachable");
    CHECK(shows(&b, BATCH_JSON_API,
                "{\"kind\":\"revocation\",\"seq\":2,\"state\":\"open\",\"size\":0,"
                "\"openedAt\":\"2023-11-14T22:13:20Z\",\"anchored\":false,"
                "\"reason\":\"ledger unreachable\"}"));
    CHECK(shows(&b, BATCH_JSON_CLI,
                "{\"seq\":2,\"state\":\"open\",\"size\":0,\"reason\":\"ledger unreachable\"}"));
}

/* Fill adds after what the object holds (the CLI's checkpoint object
 * starts with "created"); a NULL object is a no-op, not a crash. */
TEST(fill_appends_and_takes_null)
{
    struct store_batch b = anchored();
    b.state = BATCH_SENT;
    json_t *o = json_pack("{s:b}", "created", 1);
    batch_info_json_fill(o, &b, BATCH_JSON_CLI);
    char *got = json_dumps(o, JSON_COMPACT);
    CHECKF(got && strcmp(got, "{\"created\":true,\"seq\":7,\"state\":\"sent\",\"size\":3,"
                              "\"root\":\"" R11 "\",\"closedAt\":\"2023-11-14T22:14:20Z\","
                              "\"txHash\":\"" T22 "\",\"nonce\":5}") == 0,
           "got %s", got ? got : "(null)");
    free(got);
    json_decref(o);
    batch_info_json_fill(NULL, &b, BATCH_JSON_API);
}
