/*
 * token.h - random secrets (login links, Telegram /start codes) and their
 * stored form.
 *
 * A secret is handed to its owner once; the database keeps only
 * token_hash() of it and compares digests with token_equal().
 */
#ifndef TD_TOKEN_H
#define TD_TOKEN_H

#include "core/common.h"
#include "core/crypto.h"

/*
 * Constant-time equality of two n-byte strings (both borrowed): the time
 * taken depends on n only, not on where they differ.
 */
bool token_equal(const void *a, const void *b, size_t n);

/* Characters token_new() writes for `bytes` random bytes: ceil(bytes * 8 / 5). */
#define TOKEN_BASE32_LEN(bytes) (((bytes) * 8 + 4) / 5)

/*
 * A new random secret from crypto_random() (libcrypto): prefix followed by `bytes` random
 * bytes in lowercase base32 without padding (a-z2-7), so that it is safe in
 * URLs and in Telegram /start parameters ([A-Za-z0-9_-], at most 64 chars;
 * keeping within 64 is the caller's choice of prefix and bytes).
 *
 * prefix (borrowed, may be NULL for none) must be made of [A-Za-z0-9_-].
 * Writes a NUL-terminated string of strlen(prefix) + TOKEN_BASE32_LEN(bytes)
 * characters into out (n bytes, caller's storage). Returns 0; TD_EINVAL if n
 * is too small, bytes is 0 or prefix has an unsafe character; TD_ERR if
 * no random bytes came (logged). On failure out holds "" when n > 0.
 */
int token_new(char *out, size_t n, const char *prefix, size_t bytes);

/* The stored form of a secret: the sha256 hex of its characters. */
void token_hash(char out[SHA256_HEX_LEN + 1], const char *token);

#endif
