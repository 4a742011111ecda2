/*
 * fuzz.h - what every libFuzzer target in tests/fuzz/ shares.
 *
 * A target defines LLVMFuzzerTestOneInput() only; it sets up anything it
 * needs on its first call and leaves no state behind between calls, so
 * libFuzzer (clang, `make fuzz`) and the replay driver (replay.c, the
 * normal compiler, `make check`) run it alike.
 */
#ifndef TD_FUZZ_H
#define TD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (free() it); NULs inside stay. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A broken invariant: reports it and aborts, so the fuzzer keeps the input. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Quiets the library's log (a fuzzer's input makes it warn on purpose). */
void fuzz_quiet_log(void);

#endif
