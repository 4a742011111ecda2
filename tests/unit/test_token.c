/* Unit tests: SHA-256 (libcrypto) against FIPS 180-4 vectors, random tokens, constant-time compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "core/crypto.h"
#include "core/token.h"

static void assert_sha256(const char *msg, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];
	crypto_sha256_hex(hex, msg, strlen(msg));
	assert_string_equal(hex, want);
}

static void test_sha256__nist_empty_message(void **state)
{
	(void)state;
	assert_sha256("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256__nist_one_block_message(void **state)
{
	(void)state;
	assert_sha256("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256__nist_two_block_message(void **state)
{
	(void)state;
	assert_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256__nist_896_bit_message(void **state)
{
	(void)state;
	assert_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256__nist_million_a(void **state)
{
	(void)state;
	char *a = xmalloc(1000000);
	char hex[SHA256_HEX_LEN + 1];

	memset(a, 'a', 1000000);
	crypto_sha256_hex(hex, a, 1000000);
	free(a);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around 56 and 64 bytes decide whether padding takes one block or two. */
static void test_sha256__padding_block_boundaries(void **state)
{
	(void)state;
	static const struct { size_t len; const char *hex; } cases[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};
	char a[128];
	char hex[SHA256_HEX_LEN + 1];

	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		crypto_sha256_hex(hex, a, cases[i].len);
		assert_string_equal(hex, cases[i].hex);
	}
}

static void test_sha256__empty_input_may_be_null(void **state)
{
	(void)state;
	char hex[SHA256_HEX_LEN + 1];

	crypto_sha256_hex(hex, NULL, 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static bool all_base32(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '2' && *s <= '7')))
			return false;
	}
	return true;
}

static void test_token__new_is_prefix_then_base32(void **state)
{
	(void)state;
	char t[80];

	for (size_t bytes = 1; bytes <= 41; bytes++) {
		assert_int_equal(token_new(t, sizeof(t), "tk_", bytes), 0);
		assert_int_equal(strlen(t), 3 + TOKEN_BASE32_LEN(bytes));
		assert_int_equal(strlen(t), 3 + (bytes * 8 + 4) / 5);
		assert_memory_equal(t, "tk_", 3);
		assert_true(all_base32(t + 3));
	}
	assert_int_equal(token_new(t, sizeof(t), NULL, 5), 0);
	assert_int_equal(strlen(t), 8);
	assert_true(all_base32(t));
}

static void test_token__new_fits_a_telegram_start_parameter(void **state)
{
	(void)state;
	char t[65];

	/* 32 random bytes (256 bits) behind a short prefix stay within 64 chars. */
	assert_int_equal(token_new(t, sizeof(t), "login-", 32), 0);
	assert_int_equal(strlen(t), 6 + 52);
	for (const char *p = t; *p; p++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p));
}

/* One random byte is 8 bits: the second character carries 3 of them and two
 * zero bits of padding, so only every eighth letter can appear there. */
static void test_token__new_pads_the_last_character_with_zero_bits(void **state)
{
	(void)state;
	char t[8];

	for (int i = 0; i < 200; i++) {
		assert_int_equal(token_new(t, sizeof(t), "", 1), 0);
		assert_int_equal(strlen(t), 2);
		assert_non_null(strchr("aeimquy4", t[1]));
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_token__thousand_tokens_are_distinct_and_use_whole_alphabet(void **state)
{
	(void)state;
	enum { COUNT = 1000, LEN = 3 + 32 + 1 };
	static char t[COUNT][LEN];
	bool seen[256] = { false };

	for (int i = 0; i < COUNT; i++) {
		assert_int_equal(token_new(t[i], LEN, "tk_", 20), 0);
		assert_int_equal(strlen(t[i]), LEN - 1);
		assert_true(all_base32(t[i] + 3));
		for (const char *p = t[i] + 3; *p; p++)
			seen[(unsigned char)*p] = true;
	}
	qsort(t, COUNT, LEN, cmp_str);
	for (int i = 1; i < COUNT; i++)
		assert_string_not_equal(t[i - 1], t[i]);
	for (const char *p = "abcdefghijklmnopqrstuvwxyz234567"; *p; p++) {
		if (!seen[(unsigned char)*p])
			fail_msg("'%c' never appeared in 32000 characters", *p);
	}
}

static void test_token__new_refuses_a_buffer_too_small(void **state)
{
	(void)state;
	char t[3 + 32 + 1];

	/* Exactly enough: prefix, 32 characters, the NUL. */
	assert_int_equal(token_new(t, sizeof(t), "tk_", 20), 0);
	assert_int_equal(strlen(t), sizeof(t) - 1);

	memset(t, 'x', sizeof(t));
	assert_int_equal(token_new(t, sizeof(t) - 1, "tk_", 20), TD_EINVAL);
	assert_string_equal(t, "");
	assert_int_equal(token_new(t, 3, "tk_", 20), TD_EINVAL);
	assert_int_equal(token_new(t, 1, "", 1), TD_EINVAL);
	assert_int_equal(token_new(NULL, 0, "tk_", 20), TD_EINVAL);
}

static void test_token__new_refuses_unsafe_prefix_and_zero_bytes(void **state)
{
	(void)state;
	char t[64];

	assert_int_equal(token_new(t, sizeof(t), "a b", 10), TD_EINVAL);
	assert_int_equal(token_new(t, sizeof(t), "a/b", 10), TD_EINVAL);
	assert_int_equal(token_new(t, sizeof(t), "tk_", 0), TD_EINVAL);
	assert_int_equal(token_new(t, sizeof(t), "Ab-9_", 10), 0);
}

static void test_token__equal_compares_every_byte(void **state)
{
	(void)state;
	const char *a = "0123456789abcdef";

	assert_true(token_equal(a, "0123456789abcdef", 16));
	assert_false(token_equal(a, "x123456789abcdef", 16));
	assert_false(token_equal(a, "0123456x89abcdef", 16));
	assert_false(token_equal(a, "0123456789abcdeF", 16));
	assert_true(token_equal(a, "0123456789abcdeF", 15));
	assert_true(token_equal(a, "zzz", 0));
}

static void test_token__hash_is_sha256_hex_of_the_token(void **state)
{
	(void)state;
	char h[SHA256_HEX_LEN + 1], again[SHA256_HEX_LEN + 1];
	char t[40];

	token_hash(h, "tk_abc");
	assert_string_equal(h, "c20d9bdb8c4b6e668ecf67ac3b47a2695fa7f358d80f7c20cb6a3c4c1ed1d1ab");

	assert_int_equal(token_new(t, sizeof(t), "tk_", 20), 0);
	token_hash(h, t);
	token_hash(again, t);
	assert_true(token_equal(h, again, SHA256_HEX_LEN));
	assert_string_not_equal(h, t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256__nist_empty_message),
		cmocka_unit_test(test_sha256__nist_one_block_message),
		cmocka_unit_test(test_sha256__nist_two_block_message),
		cmocka_unit_test(test_sha256__nist_896_bit_message),
		cmocka_unit_test(test_sha256__nist_million_a),
		cmocka_unit_test(test_sha256__padding_block_boundaries),
		cmocka_unit_test(test_sha256__empty_input_may_be_null),
		cmocka_unit_test(test_token__new_is_prefix_then_base32),
		cmocka_unit_test(test_token__new_fits_a_telegram_start_parameter),
		cmocka_unit_test(test_token__new_pads_the_last_character_with_zero_bits),
		cmocka_unit_test(test_token__thousand_tokens_are_distinct_and_use_whole_alphabet),
		cmocka_unit_test(test_token__new_refuses_a_buffer_too_small),
		cmocka_unit_test(test_token__new_refuses_unsafe_prefix_and_zero_bytes),
		cmocka_unit_test(test_token__equal_compares_every_byte),
		cmocka_unit_test(test_token__hash_is_sha256_hex_of_the_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
