#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/crypto.h"
#include "core/log.h"

/* OpenSSL's reason for the last failure, for the log line. */
static const char *crypto_error(char *out, size_t n)
{
	unsigned long e = ERR_get_error();
	if (!e)
		return "unknown error";
	ERR_error_string_n(e, out, n);
	ERR_clear_error();
	return out;
}

void crypto_sha256_hex(char out[SHA256_HEX_LEN + 1], const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LEN];
	unsigned int len = 0;
	char why[256];

	if (!EVP_Digest(n ? p : "", n, d, &len, EVP_sha256(), NULL) || len != sizeof(d))
		fatal("crypto: SHA-256 failed: %s", crypto_error(why, sizeof(why)));
	for (size_t i = 0; i < sizeof(d); i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 0xf];
	}
	out[SHA256_HEX_LEN] = '\0';
	OPENSSL_cleanse(d, sizeof(d));
}

int crypto_random(void *p, size_t n)
{
	char why[256];

	/* RAND_bytes takes an int: draw large requests in pieces. */
	for (unsigned char *q = p; n;) {
		int take = n < 1u << 20 ? (int)n : 1 << 20;
		if (RAND_bytes(q, take) != 1) {
			log_error("crypto: no random bytes: %s", crypto_error(why, sizeof(why)));
			return TD_ERR;
		}
		q += take;
		n -= (size_t)take;
	}
	return 0;
}
