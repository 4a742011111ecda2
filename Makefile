# tilldesk - build, test, install.
#
#   make              build ./tilldesk (into build/)
#   make test         install missing Debian packages, build plain and under
#                     ASan + UBSan, run every test of both builds (together)
#   make check        the tests once, in the current build (no sanitizers),
#                     TEST_JOBS=8 at a time (tests/run.py)
#   make deps         install the Debian packages the build and tests need
#   make run          install, build and start tilldesk on its defaults (README)
#   make install      PREFIX=/usr/local DESTDIR= (binaries, config examples, systemd units)
#   make SANITIZE=1   build into build-san/ with -fsanitize=address,undefined
#   make fuzz         build the libFuzzer targets with clang, run each FUZZ_TIME=60 s

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/tilldesk
# systemd reads units from /usr/lib/systemd/system and /usr/local/lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system

PKGS     = inih sqlite3 libcurl json-c libpcre2-8 libsystemd libcrypto libmicrohttpd
# E-mail (mail/): GMime builds the messages, libESMTP sends them over OpenSSL.
PKGS    += gmime-3.0 libesmtp-1.0 libssl
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

LIB_SRC  = $(wildcard core/*.c storage/*.c kb/*.c bot/*.c ingest/*.c mail/*.c)
CLI_SRC  = $(wildcard cli/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(O)/%.o)
TESTS    = $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)

all: $(O)/tilldesk tilldesk $(O)/tilldesk-agent

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

# tilldesk-agent (agent/, README "The till agent"): the checks, the spool and the
# uploader in their own archive, on the pieces of libtilldesk.a they use
# (log, clock, buf, json, http, config engine, storage/db + spool). It links
# only the libraries those need (PCRE2 and the stemmer for the log check), not libsystemd.
AGENT_PKGS = inih sqlite3 libcurl json-c libcrypto libpcre2-8
AGENT_SRC  = $(filter-out agent/main.c,$(wildcard agent/*.c))
AGENT_OBJ  = $(AGENT_SRC:%.c=$(O)/%.o)
AGENT_LIBS = $(shell pkg-config --libs $(AGENT_PKGS)) -lstemmer -lpthread -lm

$(O)/libtilldesk-agent.a: $(AGENT_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(O)/tilldesk-agent: $(O)/agent/main.o $(O)/libtilldesk-agent.a $(O)/libtilldesk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(AGENT_LIBS)

# Tests link the command line too (all but main) to run commands in-process.
TEST_OBJ = $(filter-out $(O)/cli/main.o,$(CLI_OBJ))
$(O)/tests/%: tests/unit/%.c $(TEST_OBJ) $(O)/libtilldesk-agent.a $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(TESTLIBS) $(ALL_LDFLAGS)

# What the tests run: the daemon, the agent, the unit tests (and, below, the fuzz corpora's replay drivers).
check-build: $(O)/tilldesk $(O)/tilldesk-agent $(TESTS)

# tests/run.py runs every test of the build, TEST_JOBS at a time (the
# end-to-end ones mostly wait on the emulator's Telegram limits), each one's
# output whole when it ends, the failed ones named again at the end.
TEST_JOBS ?= 8
check: check-build
	@python3 tests/run.py --jobs $(TEST_JOBS) $(O)

# The plain build first (all cores); then its tests run while the sanitizer
# build (niced: the tests come first) is made, and that build's tests after it.
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(MAKE) -j$(BUILD_JOBS) check-build
	@python3 tests/run.py --jobs $(TEST_JOBS) build \
		"build-san=nice -n 10 $(MAKE) -s -j$(BUILD_JOBS) SANITIZE=1 check-build"

deps:
	@scripts/deps.sh

run:
	@scripts/run.sh

install: $(O)/tilldesk $(O)/tilldesk-agent
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)
	install -m 755 $(O)/tilldesk $(DESTDIR)$(BINDIR)/tilldesk
	install -m 644 config.example.ini $(DESTDIR)$(SHAREDIR)/config.example.ini
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' dist/tilldesk.service >$(O)/tilldesk.service
	install -m 644 $(O)/tilldesk.service $(DESTDIR)$(UNITDIR)/tilldesk.service
	install -m 755 $(O)/tilldesk-agent $(DESTDIR)$(BINDIR)/tilldesk-agent
	install -m 644 dist/tilldesk-agent.ini.example $(DESTDIR)$(SHAREDIR)/tilldesk-agent.ini.example
	install -m 644 agent/FN-STATE.md $(DESTDIR)$(SHAREDIR)/FN-STATE.md
	sed 's|@BINDIR@|$(BINDIR)|g' dist/tilldesk-agent.service >$(O)/tilldesk-agent.service
	install -m 644 $(O)/tilldesk-agent.service $(DESTDIR)$(UNITDIR)/tilldesk-agent.service

clean:
	rm -rf build build-san build-fuzz tilldesk

.PHONY: all check check-build test deps run install clean tilldesk
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(AGENT_OBJ:.o=.d) $(O)/agent/main.d

# The knowledge-base search and SLA benchmarks (bench/kb_run.sh, bench/sla_bench.c).
$(O)/bench/kb_bench: bench/kb_bench.c $(TEST_OBJ) $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
$(O)/bench/sla_bench: bench/sla_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
# The forecasts' pass over a large equipment registry (bench/forecast_bench.c).
$(O)/bench/forecast_bench: bench/forecast_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
# The alerts' evaluation pass over 10,000 firing alerts (bench/alert_bench.c).
$(O)/bench/alert_bench: bench/alert_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
# /queue and the agent's lookup over many tickets (bench/queue_bench.c, bench/RESULTS.md).
$(O)/bench/queue_bench: bench/queue_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)

# The owners' daily digest over a long history (bench/digest_bench.c, bench/RESULTS.md).
$(O)/bench/digest_bench: bench/digest_bench.c $(O)/libtilldesk.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)

# ---- fuzzing (tests/fuzz/README.md) ----
# make fuzz: builds every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and
# UBSan into build-fuzz/ and runs each for FUZZ_TIME seconds on a scratch
# corpus (build-fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME, not
# committed). `make check` replays the committed corpora with $(CC) (REPLAYS).
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

check-build: $(REPLAYS)

fuzz-replay: $(REPLAYS)
	@set -e; for n in $(FUZZ_NAMES); do \
		echo "== replay tests/fuzz/corpus/$$n"; $(O)/fuzz/replay_$$n tests/fuzz/corpus/$$n; done

.PHONY: fuzz fuzz-build fuzz-replay
-include $(FUZZ_LIB_OBJ:.o=.d)
