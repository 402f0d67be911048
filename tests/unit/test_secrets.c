/*
 * tests/unit/test_secrets.c — how the process treats a private key while it
 * holds one (anchor/signer.c, anchor/keystore.c):
 *   - the process is not dumpable (prctl PR_GET_DUMPABLE == 0) from the
 *     moment a signer is loaded from a keystore until the last signer is
 *     freed, then dumpable exactly as before; a failed or refused load
 *     leaves it untouched;
 *   - the key's page is marked "do not dump" (VmFlags dd in
 *     /proc/self/smaps), so even a core taken by other means lacks it;
 *   - no error message contains the password or the key, in hex of either
 *     case (wrong password, wrong address, a password file that is too long).
 * tests/cli/secrets.sh checks the same of a whole notary run's output.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "anchor/keystore.h"
#include "anchor/signer.h"
#include "core/bytes.h"
#include "core/fileio.h"
#include "tests/harness.h"

static const char *PW = "s3cret-Passw0rd-for-tests";
/* A fixed test key (not secret: it exists to be searched for). */
static const uint8_t KEY[32] = {0xc0, 0xff, 0xee, 0x15, 0x90, 0x0d, 0xfe, 0xed, 0x01, 0x23, 0x45,
                                0x67, 0x89, 0xab, 0xcd, 0xef, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f, 0x42};

static int dumpable(void)
{
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static const char *path_in_tmp(const char *name)
{
    static char p[4][512];
    static int i;
    char *r = p[i++ % 4];
    snprintf(r, 512, "%s/%s", t_tmpdir(), name);
    return r;
}

/* Write KEY under PW to `name` with `mode`; returns the path or NULL. */
static const char *write_keystore(const char *name, mode_t mode)
{
    struct err e = {0};
    struct signer *s;
    if (signer_from_privkey(KEY, &s, &e) != E_OK)
        return NULL;
    const char *path = path_in_tmp(name);
    struct keystore_scrypt_params light = KEYSTORE_SCRYPT_LIGHT;
    err_code rc = keystore_write(path, s, PW, &light, &e);
    signer_free(s);
    if (rc != E_OK || chmod(path, mode) != 0)
        return NULL;
    return path;
}

/* Does `text` contain the key in hex (lower or upper case) or the password? */
static bool leaks(const char *text)
{
    char hex[65], up[65];
    hex_encode(KEY, 32, hex);
    for (int i = 0; i < 65; i++)
        up[i] = (char)toupper((unsigned char)hex[i]);
    return strstr(text, hex) || strstr(text, up) || strstr(text, PW);
}

TEST(not_dumpable_while_a_loaded_key_exists)
{
    struct err e = {0};
    const char *path = write_keystore("key.json", 0600);
    CHECK(path);
    int before = dumpable();
    CHECK(before >= 0);
    struct signer *a, *b;
    CHECK_OK(keystore_load_signer(path, PW, &a, &e), &e);
    CHECK(dumpable() == 0);
    CHECK_OK(keystore_load_signer(path, PW, &b, &e), &e);
    CHECK(dumpable() == 0);
    signer_free(a);
    CHECK(dumpable() == 0); /* b still holds the key */
    signer_free(b);
    CHECK(dumpable() == before);
    /* and again: the state is not one-shot */
    CHECK_OK(keystore_load_signer(path, PW, &a, &e), &e);
    CHECK(dumpable() == 0);
    signer_free(a);
    CHECK(dumpable() == before);
}

TEST(failed_or_refused_loads_leave_dumpability_alone)
{
    struct err e = {0};
    const char *ok = write_keystore("ok.json", 0600);
    const char *loose = write_keystore("loose.json", 0640);
    CHECK(ok && loose);
    int before = dumpable();
    struct signer *s = (struct signer *)1;
    CHECK_ERR(keystore_load_signer(ok, "wrong password", &s, &e), &e, E_VERIFY, "wrong password");
    CHECK(s == NULL);
    CHECK(dumpable() == before);
    CHECK_ERR(keystore_load_signer(loose, PW, &s, &e), &e, E_STATE, "too open");
    CHECK(s == NULL);
    CHECK(dumpable() == before);
}

/* The VmFlags of the mapping that contains `addr`, from /proc/self/smaps. */
static bool vmflags_of(const void *addr, char *out, size_t cap)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return false;
    char line[512];
    bool inside = false, found = false;
    uintptr_t a = (uintptr_t)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = a >= lo && a < hi;
        else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(out, cap, "%s", line + 8);
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

TEST(key_page_is_excluded_from_core_dumps)
{
    struct err e = {0};
    struct signer *s;
    CHECK_OK(signer_from_privkey(KEY, &s, &e), &e);
    char flags[512] = "";
    bool have = vmflags_of(s, flags, sizeof flags);
    signer_free(s);
    CHECKF(have, "no mapping in /proc/self/smaps holds the signer");
    CHECKF(strstr(flags, " dd"), "the signer's page lacks VmFlags dd (MADV_DONTDUMP): %s", flags);
}

TEST(messages_never_carry_the_password_or_the_key)
{
    struct err e = {0};
    const char *path = write_keystore("msg.json", 0600);
    CHECK(path);
    uint8_t key[32];
    struct addr20 a;
    /* a wrong password that shares the right one as a prefix */
    char wrong[128];
    snprintf(wrong, sizeof wrong, "%s!", PW);
    CHECK_ERR(keystore_read(path, wrong, key, &a, &e), &e, E_VERIFY, "wrong password");
    CHECKF(!leaks(e.msg), "message leaks: %s", e.msg);
    for (int i = 0; i < 32; i++)
        CHECK(key[i] == 0); /* nothing left in the caller's buffer */

    /* a keystore whose "address" field does not match the key it holds */
    struct buf text = {0};
    CHECK_OK(file_read_all(path, KEYSTORE_MAX_BYTES, &text, &e), &e);
    char *addr = strstr((char *)text.p, "\"address\":\"");
    CHECK(addr);
    addr[11] = addr[11] == '0' ? '1' : '0';
    err_code rc = keystore_decrypt((char *)text.p, text.len, "msg.json", PW, key, &a, &e);
    buf_free(&text);
    CHECK(rc == E_VERIFY);
    CHECKF(!leaks(e.msg), "message leaks: %s", e.msg);
    for (int i = 0; i < 32; i++)
        CHECK(key[i] == 0);

    /* a password file with a password that is too long, or has a NUL */
    char big[KEYSTORE_MAX_PASSWORD + 64];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, PW, strlen(PW));
    const char *pwfile = path_in_tmp("pw.txt");
    CHECK_OK(file_write_atomic(pwfile, big, strlen(big), 0600, &e), &e);
    char *pw = NULL;
    CHECK_ERR(keystore_password_from_env_or_file(pwfile, NULL, &pw, &e), &e, E_LIMIT, "pw.txt");
    CHECKF(!leaks(e.msg), "message leaks: %s", e.msg);
    char withnul[64];
    size_t pl = strlen(PW);
    memcpy(withnul, PW, pl);
    withnul[pl] = '\0';
    memcpy(withnul + pl + 1, "tail", 4);
    CHECK_OK(file_write_atomic(pwfile, withnul, pl + 5, 0600, &e), &e);
    CHECK_ERR(keystore_password_from_env_or_file(pwfile, NULL, &pw, &e), &e, E_INVALID, "pw.txt");
    CHECKF(!leaks(e.msg), "message leaks: %s", e.msg);
    CHECK(pw == NULL);
}
