# cinerec: one Kore binary (HTTP API, ingest over libuv, SQLite store).
#
#   make            build build/cinerec (warnings are errors)
#   make deps       install missing Debian packages (as root; else print the command)
#   make run        deps + build + demo world when the data dir is empty + serve
#   make test       unit, integration (Criterion) and browser tests
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      benchmarks (parse, ingest, /recommend under wrk)
#   make deb        the Debian package; make test-package proves it (root)
#   make clean

BUILD		?= build
KORE_SRC	?= /usr/share/kore
DATA_DIR	?= var
VERSION		:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC		?= cc
OPT		?= -O2
CFLAGS_WARN	 = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
		   -Wshadow -Wpointer-arith
CFLAGS		+= -std=gnu99 $(OPT) -g -fPIC -D_GNU_SOURCE $(CFLAGS_WARN) \
		   -fstack-protector-strong -Iapp -I$(BUILD) $(SAN)
KORE_CFLAGS	 = -DKORE_SINGLE_BINARY -DKORE_USE_TASKS \
		   -I$(BUILD)/kore-src/include -I$(BUILD)/kore
LDLIBS		 = -lsqlite3 -lsodium -luv -lssl -lcrypto -lpthread -ldl -lm
LDFLAGS		+= -rdynamic -Wl,-z,relro -Wl,-z,now $(SAN)

# Kore 4.1 compiled in from Debian's sources (single binary, with tasks),
# copied to $(BUILD)/kore-src with the local changes of app/kore/ applied.
KORE_MODS	 = kore buf config connection domain filemap fileref json mem \
		   msg module net pool runtime timer utils worker keymgr auth \
		   accesslog http validator websocket tasks linux seccomp version
KORE_OBJS	 = $(KORE_MODS:%=$(BUILD)/kore/%.o)

# The architecture, module by module.  Core modules have no Kore dependency and
# are linked into the unit tests as well.
CORE_SRCS	 = app/parse.c	\
		   app/config.c	\
		   app/lock.c	\
		   app/log.c	\
		   app/clock.c	\
		   app/fault.c	\
		   app/hmap.c	\
		   app/io.c	\
		   app/json.c	\
		   app/lines.c	\
		   app/ctr.c	\
		   app/metrics.c \
		   app/reclog.c	\
		   app/store.c	\
		   app/writer.c	\
		   app/reco.c	\
		   app/demo.c	\
		   app/movielens.c \
		   app/csr.c	\
		   app/signals.c \
		   app/model.c	\
		   app/pop.c	\
		   app/itemknn.c \
		   app/als.c	\
		   app/eval.c	\
		   app/cmd_eval.c \
		   app/lists.c	\
		   app/train.c	\
		   app/why.c	\
		   app/stats.c	\
		   app/auth.c
SERVER_SRCS	 = app/main.c	\
		   app/cli.c	\
		   app/ingest.c	\
		   app/trainer.c \
		   app/api.c	\
		   app/admin.c	\
		   app/seccomp.c

CORE_OBJS	 = $(CORE_SRCS:app/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/assets.o
SERVER_OBJS	 = $(SERVER_SRCS:app/%.c=$(BUILD)/obj/%.o)
KORE_STAMP	 = $(BUILD)/kore/.built

ASSETS		 = assets/kore.conf $(wildcard sql/*.sql) \
		   $(sort $(wildcard assets/admin/*))

UNIT_TESTS	 = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
IT_TESTS	 = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/it_*.c))

.PHONY: all deps run test asan bench clean unit integration test-browser deb test-package

all: $(BUILD)/cinerec

KORE_PATCH	 = app/kore/kore-4.1.0.patch

$(KORE_STAMP): $(KORE_PATCH)
	@mkdir -p $(BUILD)/kore
	rm -rf $(BUILD)/kore-src $(BUILD)/kore/*.o
	cp -R $(KORE_SRC) $(BUILD)/kore-src
	patch -s -p1 -d $(BUILD)/kore-src < $(KORE_PATCH)
	$(MAKE) -s -C $(BUILD)/kore-src objects \
	    OBJDIR=$(abspath $(BUILD)/kore) \
	    KORE_SINGLE_BINARY=1 TASKS=1 SANITIZE=$(KORE_SANITIZE)
	@touch $@

$(BUILD)/obj/assets.c: $(ASSETS) app/embed.sh
	@mkdir -p $(dir $@)
	sh app/embed.sh $(ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/version.h: VERSION
	@mkdir -p $(BUILD)
	printf '#define CINEREC_VERSION "%s"\n' "$(VERSION)" > $@

$(BUILD)/obj/%.o: app/%.c $(wildcard app/*.h) $(BUILD)/version.h | $(KORE_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KORE_CFLAGS) -c $< -o $@

$(BUILD)/obj/assets.o: $(BUILD)/obj/assets.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/cinerec: $(CORE_OBJS) $(SERVER_OBJS) $(KORE_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(CORE_OBJS) $(SERVER_OBJS) $(KORE_OBJS) $(LDLIBS)

# LeakSanitizer cannot stop the world inside Kore's seccomp sandbox (it
# needs ptrace), so the server runs under ASan with leak detection off; the
# unit tests, which exercise the same modules, keep it on.

# --- tests -----------------------------------------------------------------

$(BUILD)/tests/test_%: tests/test_%.c tests/harness.c tests/harness.h $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< tests/harness.c $(CORE_OBJS) \
	    -lcriterion $(LDLIBS)

$(BUILD)/tests/it_%: tests/it_%.c tests/harness.c tests/harness.h $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< tests/harness.c $(CORE_OBJS) \
	    -lcriterion $(LDLIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

integration: $(BUILD)/cinerec $(IT_TESTS)
	@set -e; for t in $(IT_TESTS); do echo "== $$t"; \
	    ASAN_OPTIONS=detect_leaks=0 \
	    CINEREC_BIN=$(abspath $(BUILD)/cinerec) $$t; done

# The admin dashboard in headless Chromium (tests/browser/run.sh installs
# chromium, nodejs, npm and playwright-core when missing).
test-browser: $(BUILD)/cinerec
	ASAN_OPTIONS=detect_leaks=0 BUILD=$(BUILD) sh tests/browser/run.sh

test: deps-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) test-browser

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 KORE_SANITIZE=address,undefined \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    test

# --- running ---------------------------------------------------------------

DEB_PKGS = build-essential dpkg-dev patch kore libsqlite3-dev libsodium-dev prometheus \
	   libuv1-dev libcriterion-dev curl

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "missing packages:$$missing"; \
	    echo "run: sudo apt-get install$$missing"; exit 1; \
	fi

deps-check: deps

run: deps
	$(MAKE) all
	@if [ ! -s $(DATA_DIR)/cinerec.db ]; then \
	    echo "creating the demo world in $(DATA_DIR)/"; \
	    $(BUILD)/cinerec demo --data-dir $(DATA_DIR); fi
	exec $(BUILD)/cinerec serve --data-dir $(DATA_DIR)

$(BUILD)/bench/bench_reclog: tests/bench/bench_reclog.c $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(CORE_OBJS) $(LDLIBS)

bench: all $(BUILD)/bench/bench_reclog
	sh tests/bench/run.sh $(BUILD)

# The Debian package (packaging/, systemd/): $(BUILD)/cinerec_<version>_<arch>.deb
deb: $(BUILD)/cinerec
	sh packaging/build-deb.sh $(BUILD)/cinerec $(BUILD)

# lintian, systemd-analyze, then the package's life in a Debian 12 container (root)
test-package: deb
	bash packaging/test-package.sh $(BUILD)

clean:
	rm -rf build
