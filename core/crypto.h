/*
 * crypto.h - digests and random bytes from libcrypto (OpenSSL); the only
 * file including OpenSSL's headers is core/crypto.c.
 *
 * Secrets (login tokens, deep-link codes) are stored as their SHA-256 hex
 * digest, so a leaked database does not hand out working tokens; the
 * articles' digests tell a changed file.
 */
#ifndef TD_CRYPTO_H
#define TD_CRYPTO_H

#include "core/common.h"

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64  /* not counting the NUL */

/*
 * Writes the SHA-256 of p[0..n) (borrowed; NULL when n is 0) into out as 64
 * lowercase hex digits and a NUL, the form stored in the database. A
 * libcrypto that cannot hash is fatal, as running out of memory is.
 */
void crypto_sha256_hex(char out[SHA256_HEX_LEN + 1], const void *p, size_t n);

/*
 * Fills p (n bytes, caller's storage) from OpenSSL's CSPRNG, which the
 * kernel seeds. Returns 0, or TD_ERR (logged) when it cannot; p then holds
 * nothing to use.
 */
int crypto_random(void *p, size_t n);

#endif
