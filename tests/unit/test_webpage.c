/*
 * tests/unit/test_webpage.c — the browser verifier's embedded files
 * (notary/service/webpage.h): looked up by exact name only, each with a
 * Content-Type, and the bytes of web/ as they were at build time.
 * (tests/cli/serve_web.sh checks the same over HTTP and in chromium.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notary/service/webpage.h"
#include "tests/harness.h"

TEST(every_page_file_is_embedded_with_a_type)
{
    static const char *const page[] = {"index.html", "style.css", "app.js", "verify.js",
                                       "config.json"};
    for (size_t i = 0; i < sizeof page / sizeof page[0]; i++) {
        const struct webpage_file *f = webpage_find(page[i]);
        CHECKF(f && f->len > 0, "%s is embedded", page[i]);
        CHECKF(webpage_content_type(page[i]) != NULL, "%s has a type", page[i]);
    }
    for (size_t i = 0; i < webpage_nfiles; i++)
        CHECKF(webpage_content_type(webpage_files[i].name) != NULL, "%s has a type",
               webpage_files[i].name);
    CHECK(webpage_find("package.json") == NULL); /* Node's, not the page's */
}

TEST(the_embedded_bytes_are_web_s)
{
    /* Run from the source tree (tests/run.sh does); web/ is the truth. */
    for (size_t i = 0; i < webpage_nfiles; i++) {
        char path[256];
        snprintf(path, sizeof path, "web/%s", webpage_files[i].name);
        FILE *fp = fopen(path, "rb");
        CHECKF(fp != NULL, "%s opens", path);
        if (!fp)
            continue;
        unsigned char *b = malloc(webpage_files[i].len + 1);
        size_t n = b ? fread(b, 1, webpage_files[i].len + 1, fp) : 0;
        fclose(fp);
        CHECKF(b && n == webpage_files[i].len && memcmp(b, webpage_files[i].data, n) == 0,
               "%s: embedded %zu bytes, web/ has %zu or different ones (rebuild)", path,
               webpage_files[i].len, n);
        free(b);
    }
}

TEST(names_are_matched_exactly)
{
    /* hostile names, not paths this test opens */
    static const char *const refused[] = {"", "..", "../index.html", /* path-scan: test input */
                                          "./app.js",   "/app.js",     "app.js/",
                                          "APP.JS",     "app.js ",     "app",
                                          "index.html/..", "web/app.js", "%2e%2e"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECKF(webpage_find(refused[i]) == NULL, "'%s' is not a file", refused[i]);
    CHECK(webpage_find(NULL) == NULL);
}

TEST(content_types)
{
    CHECK_STREQ(webpage_content_type("a.js"), "text/javascript; charset=utf-8");
    CHECK_STREQ(webpage_content_type("a.json"), "application/json");
    CHECK_STREQ(webpage_content_type("a.html"), "text/html; charset=utf-8");
    CHECK_STREQ(webpage_content_type("a.css"), "text/css; charset=utf-8");
    CHECK_STREQ(webpage_content_type("a.wasm"), "application/wasm");
    CHECK(webpage_content_type("a.JS") == NULL);
    CHECK(webpage_content_type("a.txt") == NULL);
    CHECK(webpage_content_type("js") == NULL);
    CHECK(webpage_content_type(NULL) == NULL);
}
