/*
 * buf.h - a growable byte buffer with a hard size cap.
 *
 * A buffer is always NUL-terminated (buf.data may be NULL before the first
 * write; use buf_cstr() to read). When an append would pass the cap, the
 * buffer frees its contents and every further append fails with
 * TD_ENOMEM, so a caller may append many times and check once.
 */
#ifndef TD_BUF_H
#define TD_BUF_H

#include "core/common.h"

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;   /* the most bytes data may hold, not counting the NUL */
	bool failed;  /* an append went past the cap */
};

#define BUF_INIT(cap_) { NULL, 0, 0, (cap_), false }

void buf_init(struct buf *b, size_t cap);
/* Frees the contents; the buffer may be used again. */
void buf_release(struct buf *b);
void buf_reset(struct buf *b);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) TD_PRINTF(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) TD_PRINTF(2, 0);

/* The contents as a C string; "" for an empty buffer. Borrowed. */
const char *buf_cstr(const struct buf *b);

/* Hands the contents to the caller (free() them); the buffer is emptied. */
char *buf_detach(struct buf *b);

#endif
