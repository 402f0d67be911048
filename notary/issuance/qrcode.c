/*
 * notary/issuance/qrcode.c — QR codes of verifier links; see qrcode.h.
 */
#include "notary/issuance/qrcode.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/bytes.h"
#include "core/fileio.h"

#define QUIET 4 /* modules of quiet zone on each side (ISO/IEC 18004 §6.3.8) */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static bool dark(const QRcode *q, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

static err_code svg(const QRcode *q, struct buf *out, struct err *e)
{
    int side = q->width + 2 * QUIET;
    err_code rc = E_OK;
    buf_printf_rc(&rc, out,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                  "height=\"%d\" shape-rendering=\"crispEdges\">\n"
                  "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
                  side, side, side * QR_PNG_SCALE, side * QR_PNG_SCALE, side, side);
    for (int y = 0; y < side && !rc; y++)
        for (int x = 0; x < side && !rc; x++)
            if (dark(q, x, y))
                buf_printf_rc(&rc, out, "M%d %dh1v1h-1z", x, y);
    buf_printf_rc(&rc, out, "\"/>\n</svg>\n");
    return rc ? err_set(e, rc, "out of memory") : E_OK;
}

static void png_to_buf(png_structp p, png_bytep data, size_t n)
{
    struct buf *out = png_get_io_ptr(p);
    if (buf_append(out, data, n))
        png_error(p, "out of memory");
}

static void png_flush_nop(png_structp p) { (void)p; }

static err_code png(const QRcode *q, struct buf *out, struct err *e)
{
    int side = (q->width + 2 * QUIET) * QR_PNG_SCALE;
    size_t row_bytes = ((size_t)side + 7) / 8;
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    png_bytep row = calloc(1, row_bytes);
    if (!p || !info || !row) {
        png_destroy_write_struct(&p, info ? &info : NULL);
        free(row);
        return err_set(e, E_NOMEM, "out of memory");
    }
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        free(row);
        return err_set(e, E_NOMEM, "PNG encoding failed (out of memory)");
    }
    png_set_write_fn(p, out, png_to_buf, png_flush_nop);
    png_set_IHDR(p, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (int y = 0; y < side; y++) {
        memset(row, 0xff, row_bytes); /* 1 = white in a grey image */
        for (int x = 0; x < side; x++)
            if (dark(q, x / QR_PNG_SCALE, y / QR_PNG_SCALE))
                row[x / 8] &= (png_byte) ~(0x80 >> (x % 8));
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    free(row);
    return E_OK;
}

err_code qr_write_file(const char *text, const char *path, struct qr_info *info, struct err *e)
{
    bool is_png = ends_with(path, ".png"), is_svg = ends_with(path, ".svg");
    if (!is_png && !is_svg)
        return err_set(e, E_INVALID, "%s: a QR code file name must end in .png or .svg", path);
    size_t n = strlen(text);
    if (n == 0)
        return err_set(e, E_INVALID, "nothing to put in a QR code");
    if (n > QR_MAX_BYTES)
        return err_set(e, E_LIMIT,
                       "the link has %zu bytes, more than a QR code holds (%u bytes at version "
                       "40, error correction L): use a shorter verifier page URL, or hand out "
                       "the bundle as a file",
                       n, QR_MAX_BYTES);
    char level = 'M';
    errno = 0;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q && errno == ERANGE) {
        level = 'L';
        q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
    }
    if (!q)
        return errno == ERANGE
                   ? err_set(e, E_LIMIT, "the link (%zu bytes) does not fit in a QR code", n)
                   : err_set(e, E_NOMEM, "QR encoding failed: %s", strerror(errno));
    struct buf img = {0};
    err_code rc = is_png ? png(q, &img, e) : svg(q, &img, e);
    if (info) {
        info->version = q->version;
        info->level = level;
    }
    QRcode_free(q);
    if (!rc)
        rc = file_write_atomic(path, img.p, img.len, 0644, e);
    buf_free(&img);
    return rc;
}
