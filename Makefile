# tilldesk - build, test, install.
#
#   make              build ./tilldesk (into build/)
#   make test         install missing Debian packages, build, run every test,
#                     then run them all again under ASan + UBSan
#   make check        the tests once, in the current build (no sanitizers)
#   make deps         install the Debian packages the build and tests need
#   make run          install, build and start tilldesk on its defaults (README)
#   make install      PREFIX=/usr/local DESTDIR= (binary, config example, systemd unit)
#   make SANITIZE=1   build into build-san/ with -fsanitize=address,undefined
#   make fuzz         build the libFuzzer targets with clang, run each FUZZ_TIME=60 s

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/tilldesk
# systemd reads units from /usr/lib/systemd/system and /usr/local/lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system

PKGS     = inih sqlite3 libcurl json-c libpcre2-8 libsystemd libcrypto libmicrohttpd
TEST_PKGS = cmocka

CC      ?= cc
OPT     ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla -Werror
CPPFLAGS += -I. -D_GNU_SOURCE
CFLAGS  ?=
LIBS     = $(shell pkg-config --libs $(PKGS)) -lstemmer -lpthread -lm
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS))
TESTLIBS = $(shell pkg-config --libs $(TEST_PKGS))

ifeq ($(SANITIZE),1)
O        = build-san
OPT      = -O1 -g -fno-omit-frame-pointer
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all
else
O        = build
SANFLAGS =
endif

ALL_CFLAGS = $(WARN) $(OPT) $(SANFLAGS) $(PKGCFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

LIB_SRC  = $(wildcard core/*.c storage/*.c kb/*.c bot/*.c ingest/*.c)
CLI_SRC  = $(wildcard cli/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(O)/%.o)
TESTS    = $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)

all: $(O)/tilldesk tilldesk

# ./tilldesk always points at the latest plain build for README examples.
tilldesk: $(O)/tilldesk
	@[ "$(O)" = build ] && ln -sf build/tilldesk tilldesk || true

$(O)/libtilldesk.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(O)/tilldesk: $(CLI_OBJ) $(O)/libtilldesk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Tests link the command line too (all but main) to run commands in-process.
TEST_OBJ = $(filter-out $(O)/cli/main.o,$(CLI_OBJ))
$(O)/tests/%: tests/unit/%.c $(TEST_OBJ) $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(TESTLIBS) $(ALL_LDFLAGS)

check: $(O)/tilldesk $(TESTS)
	@set -e; for t in $(TESTS); do \
		echo "== $$t"; TILLDESK_BIN=$(O)/tilldesk $$t; done
	@set -e; for t in tests/e2e/test_*.sh; do \
		echo "== $$t"; TILLDESK_BIN=$(O)/tilldesk bash $$t; done
	@echo "== tests/tgemu/test_tgemu.py"; python3 tests/tgemu/test_tgemu.py >$(O)/tgemu-test.log 2>&1 \
		|| { tail -30 $(O)/tgemu-test.log; exit 1; }
	@set -e; for t in tests/e2e/test_*.py; do \
		echo "== $$t"; TILLDESK_BIN=$(O)/tilldesk python3 $$t; done
	@echo "all tests passed ($(O))"

test: deps
	$(MAKE) check
	$(MAKE) SANITIZE=1 check

deps:
	@scripts/deps.sh

run:
	@scripts/run.sh

install: $(O)/tilldesk
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)
	install -m 755 $(O)/tilldesk $(DESTDIR)$(BINDIR)/tilldesk
	install -m 644 config.example.ini $(DESTDIR)$(SHAREDIR)/config.example.ini
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' dist/tilldesk.service >$(O)/tilldesk.service
	install -m 644 $(O)/tilldesk.service $(DESTDIR)$(UNITDIR)/tilldesk.service

clean:
	rm -rf build build-san build-fuzz tilldesk

.PHONY: all check test deps run install clean tilldesk
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# The knowledge-base search and SLA benchmarks (bench/kb_run.sh, bench/sla_bench.c).
$(O)/bench/kb_bench: bench/kb_bench.c $(TEST_OBJ) $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
$(O)/bench/sla_bench: bench/sla_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
# /queue and the agent's lookup over many tickets (bench/queue_bench.c, bench/RESULTS.md).
$(O)/bench/queue_bench: bench/queue_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)

# ---- fuzzing (tests/fuzz/README.md) ----
# make fuzz: builds every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and
# UBSan into build-fuzz/ and runs each for FUZZ_TIME seconds on a scratch
# corpus (build-fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME, not
# committed). `make check` replays the committed corpora with $(CC).
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
FUZZ_O     = build-fuzz
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN   = -fsanitize=address,undefined -fno-sanitize-recover=all
# clang's warnings differ from gcc's (which gate every commit): shown, not fatal.
FUZZ_CFLAGS = $(filter-out -Werror,$(WARN)) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) $(PKGCFLAGS) $(CFLAGS)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_O)/%.o) $(FUZZ_O)/tests/fuzz/fuzz_util.o
FUZZERS    = $(FUZZ_NAMES:%=$(FUZZ_O)/fuzz_%)
REPLAYS    = $(FUZZ_NAMES:%=$(O)/fuzz/replay_%)

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_O)/libtilldesk.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libtilldesk.a
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_O)/corpus/$$n $(FUZZ_O)/artifacts; \
		dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		echo "== fuzz_$$n for $(FUZZ_TIME)s"; \
		nice -n 10 $(FUZZ_O)/fuzz_$$n -max_total_time=$(FUZZ_TIME) $$dict \
			-artifact_prefix=$(FUZZ_O)/artifacts/$$n- \
			$(FUZZ_O)/corpus/$$n tests/fuzz/corpus/$$n; done

# The replay driver: each target's LLVMFuzzerTestOneInput under tests/fuzz/replay.c.
$(O)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz_util.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)

fuzz-replay: $(REPLAYS)
	@set -e; for n in $(FUZZ_NAMES); do \
		echo "== replay tests/fuzz/corpus/$$n"; $(O)/fuzz/replay_$$n tests/fuzz/corpus/$$n; done

check: fuzz-replay

.PHONY: fuzz fuzz-build fuzz-replay
-include $(FUZZ_LIB_OBJ:.o=.d)
