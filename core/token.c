#include "core/crypto.h"
#include "core/token.h"

/* Random bytes are drawn and encoded in chunks of 5, which base32 turns into
 * exactly 8 characters, so no secret needs a heap copy. */
#define TOKEN_CHUNK 40

bool token_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	/* volatile keeps the compiler from stopping at the first difference. */
	volatile unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static bool token_prefix_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* Writes base32 of p[0..n) at out; returns the characters written. */
static size_t token_base32(char *out, const uint8_t *p, size_t n)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[len++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits)
		out[len++] = alphabet[(acc << (5 - bits)) & 31];
	return len;
}

int token_new(char *out, size_t n, const char *prefix, size_t bytes)
{
	uint8_t chunk[TOKEN_CHUNK];
	size_t plen, len;
	int err = TD_EINVAL;

	if (!prefix)
		prefix = "";
	plen = strlen(prefix);
	if (!bytes || bytes > (SIZE_MAX - 4) / 8 || !token_prefix_safe(prefix))
		goto done;
	if (plen >= n || TOKEN_BASE32_LEN(bytes) >= n - plen)
		goto done;

	memcpy(out, prefix, plen);
	len = plen;
	while (bytes) {
		size_t take = bytes < sizeof(chunk) ? bytes : sizeof(chunk);
		err = crypto_random(chunk, take);
		if (err)
			goto done;
		len += token_base32(out + len, chunk, take);
		bytes -= take;
	}
	out[len] = '\0';
	err = 0;

done:
	explicit_bzero(chunk, sizeof(chunk));
	if (err && n) {
		/* Do not leave half a secret behind. */
		explicit_bzero(out, n);
	}
	return err;
}

void token_hash(char out[SHA256_HEX_LEN + 1], const char *token)
{
	crypto_sha256_hex(out, token, strlen(token));
}
