/*
 * notary/service/slog.h — structured logs for the long-running service: one JSON
 * object per line on standard error, {"time": RFC 3339 UTC with
 * milliseconds, "level", "event", ...fields}, so a log shipper can parse
 * every line without guessing.
 *
 * No secrets go through here: callers pass identifiers (batch numbers,
 * token *names*, transaction hashes), never tokens, keys or passwords.
 * Lines are written with one write(2) each, so threads do not interleave.
 */
#ifndef NOTARY_SLOG_H
#define NOTARY_SLOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Log one event. `level` is "debug", "info", "warn" or "error"; `event` a
 * stable snake_case name ("batch_closed"); `fields` NULL or a jansson
 * json_pack() format for an object ("{s:I, s:s}") followed by its values.
 * Never fails visibly: a line that cannot be built is dropped.
 */
void slog(const char *level, const char *event, const char *fields, ...);

/* Drop "debug" lines unless `on` (default off). */
void slog_set_debug(bool on);

/* For text shown to anyone (GET /v1/health), not the private log: copy `in`
 * to `out` (at most cap - 1 bytes, NUL-terminated, cut if longer) with every
 * URL ("scheme://...", trailing ':' or '.' left as punctuation) and every
 * occurrence of `host` (may be NULL or ""; with a following ":PORT" or
 * libcurl's " port PORT") replaced by "[endpoint]". */
void slog_scrub_endpoint(const char *in, const char *host, char *out, size_t cap);

/* The host of `url` ("http://user@node.example:8545/key" → "node.example",
 * "[::1]" → "::1") into `out` (cap bytes); "" if it has none. */
void slog_url_host(const char *url, char *out, size_t cap);

#endif
