/*
 * sha256.h - SHA-256 (FIPS 180-4), streaming and one-shot.
 *
 * Used to store secrets (login tokens, deep-link codes) as their digest, so
 * a leaked database does not hand out working tokens. No allocation: the
 * context lives wherever the caller puts it.
 *
 *	struct sha256 c;
 *	sha256_init(&c);
 *	sha256_update(&c, part1, len1);
 *	sha256_update(&c, part2, len2);
 *	sha256_final(&c, digest);
 */
#ifndef TD_SHA256_H
#define TD_SHA256_H

#include "core/common.h"

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64  /* not counting the NUL */

struct sha256 {
	uint32_t h[8];       /* the running hash value H0..H7 */
	uint64_t len;        /* bytes hashed so far */
	uint8_t block[64];   /* the part of the next block received so far */
	size_t block_len;    /* bytes used in block, always < 64 */
};

void sha256_init(struct sha256 *c);

/* Hashes n more bytes of p (borrowed). p may be NULL when n is 0. */
void sha256_update(struct sha256 *c, const void *p, size_t n);

/*
 * Writes the digest into out and wipes the context, which must be
 * initialised again before another use.
 */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_DIGEST_LEN]);

/* One-shot: the digest of p[0..n) as 64 lowercase hex digits and a NUL. */
void sha256_hex(char out[SHA256_HEX_LEN + 1], const void *p, size_t n);

#endif
