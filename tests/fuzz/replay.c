/*
 * replay.c - runs a libFuzzer target's corpus without libFuzzer: a main()
 * that feeds every file named on the command line (a directory: each file
 * in it, in name order) to LLVMFuzzerTestOneInput. Built with the normal
 * compiler, so `make check` replays the committed corpora in the plain
 * build and under gcc's ASan + UBSan (SANITIZE=1); a crash or a sanitizer
 * report fails the run as it would fail the fuzzer.
 */
#include <dirent.h>

#include "core/common.h"
#include "tests/fuzz/fuzz.h"

/* Reads the whole file at path into a fresh allocation; -1 on failure. */
static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t n = 0, alloc = 0;
	if (!f)
		return -1;
	for (;;) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			data = xrealloc(data, alloc);
		}
		size_t got = fread(data + n, 1, alloc - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc) {
		free(data);
		return -1;
	}
	*out = data;
	*len = n;
	return 0;
}

static int replay_file(const char *path)
{
	uint8_t *data;
	size_t len;
	if (read_all(path, &data, &len)) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int is_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replays path (a file or a directory); returns the number of inputs, -1 on failure. */
static int replay(const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, is_entry, alphasort), count = 0;
	if (n < 0)
		return errno == ENOTDIR && replay_file(path) == 0 ? 1 : -1;
	for (int i = 0; i < n; i++) {
		char file[4096];
		if (count >= 0) {
			snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
			count = replay_file(file) ? -1 : count + 1;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		int n = replay(argv[i]);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		total += n;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return 0;
}
