/*
 * notary/issuance/qrcode.h — a QR code of a verifier link, for printed
 * diplomas (notary proof --link URL --qr FILE; docs/proof-format.md §8).
 *
 * Encoding is libqrencode's (8-bit byte mode, the smallest version that
 * holds the text), images are ours: PNG through libpng (1-bit grey,
 * QR_PNG_SCALE pixels a module) or SVG (one path). Both keep the 4-module
 * quiet zone ISO/IEC 18004 asks for.
 *
 * Error correction: level M (15 % of the code may be damaged) when the text
 * fits, else level L (7 %); a text over L's capacity (2,953 bytes, version
 * 40) is refused, since no QR code holds it.
 */
#ifndef NOTARY_ISSUANCE_QRCODE_H
#define NOTARY_ISSUANCE_QRCODE_H

#include <stddef.h>

#include "core/error.h"

/* Most bytes a QR code holds: version 40, level L, byte mode. */
#define QR_MAX_BYTES 2953u
/* Pixels per module in a PNG. */
#define QR_PNG_SCALE 6

/* What was written. */
struct qr_info {
    int version; /* 1..40: modules a side = 17 + 4 * version */
    char level;  /* 'M' or 'L' */
};

/*
 * Encode the NUL-terminated `text` and write it to `path` as PNG or SVG
 * (chosen by the name's ending, ".png" or ".svg", any case), atomically and
 * durably (core/fileio.h), mode 0644. *info (may be NULL) says which
 * version and level were used.
 * Errors: E_INVALID for another file ending or an empty text; E_LIMIT for a
 * text over QR_MAX_BYTES (the message gives its length and the limit);
 * E_NOMEM; E_IO from writing.
 */
err_code qr_write_file(const char *text, const char *path, struct qr_info *info,
                       struct err *e) MUST_CHECK;

#endif
