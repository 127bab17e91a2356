# cinerec: one Kore binary (HTTP API, ingest over libuv, SQLite store).
#
#   make            build build/cinerec (warnings are errors)
#   make deps       install missing Debian packages (as root; else print the command)
#   make run        deps + build + demo world when the data dir is empty + serve
#   make test       unit, integration (Criterion) and browser tests
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      benchmarks (parse, ingest, /recommend under wrk)
#   make fuzz       every fuzz target under libFuzzer for FUZZ_SECONDS each
#   make soak       10 minutes of mixed traffic: memory, files, p99 stay flat
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
		   -fstack-protector-strong -Iapp -I$(BUILD) -MMD -MP $(SAN)
# Only the Kore layer sees Kore's headers: a core file that includes one
# does not build.
KORE_CFLAGS	 = -DKORE_SINGLE_BINARY -DKORE_USE_TASKS \
		   -I$(BUILD)/kore-src/include -I$(BUILD)/kore
LDLIBS		 = -lsqlite3 -lsodium -luv -lrdkafka -lxxhash -lssl -lcrypto -lpthread \
		   -ldl -lm
LDFLAGS		+= -rdynamic -Wl,-z,relro -Wl,-z,now $(SAN)

# Kore 4.1 compiled in from Debian's sources (single binary, with tasks),
# copied to $(BUILD)/kore-src with the local changes of app/server/ applied.
KORE_MODS	 = kore buf config connection domain filemap fileref json mem \
		   msg module net pool runtime timer utils worker keymgr auth \
		   accesslog http validator websocket tasks linux seccomp version
KORE_OBJS	 = $(KORE_MODS:%=$(BUILD)/kore/%.o)
KORE_STAMP	 = $(BUILD)/kore/.built
KORE_PATCH	 = app/server/kore-4.1.0.patch

# The architecture, subsystem by subsystem (app/README.md draws it).  The
# core needs no Kore: it is one library, linked into the binary, the unit
# tests, the fuzz targets and the benchmarks.
UTIL_SRCS	 = $(addprefix app/util/, clock.c log.c str.c hmap.c vec.c \
		   arena.c csv.c threads.c io.c json.c urlenc.c fault.c)
SETTINGS_SRCS	 = app/settings/config.c app/settings/overrides.c
INGEST_SRCS	 = $(addprefix app/ingest/, parse.c lines.c ingest.c conn.c \
		   kafka.c movielens.c)
STORE_SRCS	 = $(addprefix app/store/, store.c sql.c catalog.c batch.c \
		   logstore.c wal.c writer.c lock.c backup.c)
MODEL_SRCS	 = $(addprefix app/model/, model.c csr.c signals.c pop.c \
		   itemknn.c als.c eval.c train.c train_data.c train_lists.c \
		   trainer.c versions.c replica.c)
RECO_SRCS	 = $(addprefix app/reco/, reco.c lists.c serving.c fresh.c rules.c)
TELEMETRY_SRCS	 = $(addprefix app/telemetry/, reclog.c ctr.c metrics.c \
		   stats.c why.c experiment.c \
		   experiment_report.c)
ADMIN_SRCS	 = app/admin/auth.c
SIM_SRCS	 = $(addprefix app/sim/, world.c dirt.c sim.c client.c)
CLI_SRCS	 = $(addprefix app/cli/, cli.c opts.c cmd_serve.c cmd_import.c \
		   cmd_demo.c demo.c cmd_train.c cmd_model.c cmd_movie.c \
		   cmd_experiment.c cmd_eval.c cmd_why.c \
		   cmd_admin.c cmd_backup.c cmd_simulate.c)
CORE_SRCS	 = $(UTIL_SRCS) $(SETTINGS_SRCS) $(INGEST_SRCS) $(STORE_SRCS) \
		   $(MODEL_SRCS) $(RECO_SRCS) $(TELEMETRY_SRCS) $(ADMIN_SRCS) \
		   $(SIM_SRCS) $(CLI_SRCS)

# The Kore layer: the process's hooks, the HTTP handlers, the sandbox.
KORE_LAYER_SRCS	 = $(addprefix app/server/, main.c api.c kbuf.c seccomp.c) \
		   $(addprefix app/admin/, admin.c reply.c jobs.c api.c \
		   lifecycle.c)

CORE_OBJS	 = $(CORE_SRCS:app/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/assets.o
KORE_LAYER_OBJS	 = $(KORE_LAYER_SRCS:app/%.c=$(BUILD)/obj/%.o)
LIB		 = $(BUILD)/libcinerec.a

ASSETS		 = assets/kore.conf $(wildcard sql/*.sql) \
		   $(sort $(wildcard assets/admin/*))

# Tests mirror the sources: tests/unit/<subsystem>/test_<file>.c.
UNIT_TESTS	 = $(patsubst tests/%.c,$(BUILD)/tests/%,\
		   $(sort $(wildcard tests/unit/*/test_*.c)))
IT_TESTS	 = $(patsubst tests/%.c,$(BUILD)/tests/%,\
		   $(sort $(wildcard tests/integration/it_*.c)))
HARNESS		 = $(addprefix $(BUILD)/tests/harness/, harness.o scratch.o kafka.o)
TEST_CFLAGS	 = -Itests/harness

.PHONY: all deps deps-check run test asan bench bench-online bench-switch bench-kafka bench-replica demo clean unit integration \
	test-browser deb test-package fuzz fuzz-deps soak

all: $(BUILD)/cinerec

$(KORE_STAMP): $(KORE_PATCH)
	@mkdir -p $(BUILD)/kore
	rm -rf $(BUILD)/kore-src $(BUILD)/kore/*.o
	cp -R $(KORE_SRC) $(BUILD)/kore-src
	patch -s -p1 -d $(BUILD)/kore-src < $(KORE_PATCH)
	$(MAKE) -s -C $(BUILD)/kore-src objects \
	    OBJDIR=$(abspath $(BUILD)/kore) \
	    KORE_SINGLE_BINARY=1 TASKS=1 SANITIZE=$(KORE_SANITIZE)
	@touch $@

$(BUILD)/obj/assets.c: $(ASSETS) app/util/embed.sh
	@mkdir -p $(dir $@)
	sh app/util/embed.sh $(ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/version.h: VERSION
	@mkdir -p $(BUILD)
	printf '#define CINEREC_VERSION "%s"\n' "$(VERSION)" > $@

# Header dependencies come from -MMD (the .d files next to the objects).
$(CORE_OBJS): $(BUILD)/version.h

$(BUILD)/obj/%.o: app/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(KORE_LAYER_OBJS): $(BUILD)/obj/%.o: app/%.c $(BUILD)/version.h $(KORE_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KORE_CFLAGS) -c $< -o $@

$(BUILD)/obj/assets.o: $(BUILD)/obj/assets.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJS)

# The core from the archive: the unit tests link only what they use.
$(BUILD)/cinerec: $(KORE_LAYER_OBJS) $(LIB) $(KORE_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(KORE_LAYER_OBJS) $(KORE_OBJS) \
	    -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive $(LDLIBS)

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)

# LeakSanitizer cannot stop the world inside Kore's seccomp sandbox (it
# needs ptrace), so the server runs under ASan with leak detection off; the
# unit tests, which exercise the same modules, keep it on.

# --- tests -----------------------------------------------------------------

$(HARNESS): $(BUILD)/tests/harness/%.o: tests/harness/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(HARNESS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(HARNESS) $(LIB) \
	    -lcriterion $(LDLIBS)

# Fuzz targets (tests/fuzz/fuzz_<name>.c): `make test` replays their seed
# corpora and every crash ever kept (tests/fuzz/crashes/<name>/) with a plain
# build; `make fuzz` runs each under libFuzzer for FUZZ_SECONDS.
FUZZ_TARGETS	 = parse args config model movielens chunk
FUZZ_REPLAYS	 = $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/fuzz_%)

$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LDLIBS)

# Under ASan a huge allocation returns NULL, as malloc does (the tests of
# sizes that do not fit check that it is handled).
unit: $(UNIT_TESTS) $(FUZZ_REPLAYS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; \
	    ASAN_OPTIONS=allocator_may_return_null=1 $$t; done
	@set -e; for t in $(FUZZ_TARGETS); do \
	    $(BUILD)/fuzz-replay/fuzz_$$t tests/fuzz/corpus/$$t \
	    tests/fuzz/crashes/$$t; done
	promtool check rules packaging/prometheus/cinerec-rules.yml
	promtool test rules tests/prometheus/rules_test.yml

# The Kafka tests' broker: jars fetched once into a cache (skipped, with the
# reason, where Java or Maven is missing).
integration: $(BUILD)/cinerec $(IT_TESTS)
	@sh tests/kafka/broker.sh fetch || true
	@set -e; for t in $(IT_TESTS); do echo "== $$t"; \
	    ASAN_OPTIONS=detect_leaks=0 CINEREC_SRC=$(CURDIR) \
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

# --- fuzzing (clang's libFuzzer, ASan + UBSan) -----------------------------

FUZZ_SECONDS	?= 60
FUZZ_DIR	 = $(BUILD)/fuzz
FUZZ_CFLAGS	 = -std=gnu99 -O1 -g -D_GNU_SOURCE -Iapp -I$(BUILD) \
		   -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_CORE	 = $(CORE_SRCS:app/%.c=$(FUZZ_DIR)/obj/%.o) $(FUZZ_DIR)/obj/assets.o

$(FUZZ_DIR)/obj/%.o: app/%.c $(BUILD)/version.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -c $< -o $@

$(FUZZ_DIR)/obj/assets.o: $(BUILD)/obj/assets.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE) $(LDLIBS)

fuzz-deps:
	@command -v clang >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends clang libclang-rt-14-dev; \
	else echo "run: sudo apt-get install clang libclang-rt-14-dev"; \
	    exit 1; fi

# Each target for FUZZ_SECONDS from its seeds; what it learns stays in
# $(FUZZ_DIR)/corpus/, crashes land in $(FUZZ_DIR)/crashes/ (copy one to
# tests/fuzz/crashes/<target>/ so that make test replays it from then on).
fuzz: fuzz-deps
	$(MAKE) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -close_fd_mask=2 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ \
	        $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
	        2>&1 | grep -E '^(stat::|#[0-9]+ *DONE|==[0-9]+==|SUMMARY|INFO: Running)' \
	        || true; \
	    if ls $(FUZZ_DIR)/crashes/$$t/* >/dev/null 2>&1; then \
	        echo "fuzz_$$t: crashes in $(FUZZ_DIR)/crashes/$$t/"; \
	        exit 1; fi; \
	done

# --- running ---------------------------------------------------------------

DEB_PKGS = build-essential dpkg-dev patch kore libsqlite3-dev libsodium-dev \
	   libxxhash-dev prometheus libuv1-dev librdkafka-dev libcriterion-dev curl

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
	exec $(BUILD)/cinerec serve --data-dir $(DATA_DIR) $(ARGS)

$(BUILD)/bench/bench_reclog: tests/bench/bench_reclog.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench: all $(BUILD)/bench/bench_reclog
	sh tests/bench/run.sh $(BUILD)
	sh tests/bench/online.sh $(BUILD)
	sh tests/bench/switch.sh $(BUILD)
	sh tests/bench/first_start.sh $(BUILD)
	sh tests/bench/live.sh $(BUILD)
	sh tests/bench/scale.sh $(BUILD)
	sh tests/bench/kafka.sh $(BUILD)
	sh tests/bench/replica.sh $(BUILD)

# The README's offline evaluation table, regenerated in place.
eval-table: all
	sh tests/bench/eval_table.sh $(BUILD) --readme README.md

# The Kafka input's throughput beside TCP ingest's, one run.
bench-kafka: all
	sh tests/bench/kafka.sh $(BUILD)

# A serving replica following a trainer's version at full scale.
bench-replica: all
	sh tests/bench/replica.sh $(BUILD)

# A model switch under load beside the same load without one.
bench-switch: all
	sh tests/bench/switch.sh $(BUILD)

# Online quality alone: popularity against the learned model, simulated days.
bench-online: all
	sh tests/bench/online.sh $(BUILD)

# The server fed by simulated viewers (cinerec simulate, its own world in
# DEMO_DIR): the dashboard shows live traffic and click-through.
DEMO_DIR	?= ./var-sim
DEMO_WORLD	 = --users 3000 --movies 1500 --seed 7
demo: deps
	$(MAKE) all
	@if [ ! -s $(DEMO_DIR)/cinerec.db ]; then \
	    echo "creating two weeks of simulated history in $(DEMO_DIR)/"; \
	    $(BUILD)/cinerec simulate $(DEMO_WORLD) --days 14 --sessions 2000 \
	    --dirt 0.01 --out - 2>/dev/null | \
	    $(BUILD)/cinerec import --data-dir $(DEMO_DIR) -; fi
	@$(BUILD)/cinerec serve --data-dir $(DEMO_DIR) & srv=$$!; \
	trap 'kill $$srv 2>/dev/null; wait $$srv' EXIT INT TERM; \
	until curl -sf http://127.0.0.1:8082/health >/dev/null; do \
	    kill -0 $$srv || exit 1; sleep 0.2; done; \
	echo "simulated viewers at 20 sessions/s; dashboard: http://127.0.0.1:8083/"; \
	$(BUILD)/cinerec simulate $(DEMO_WORLD) --first-day 14 --days 3650 \
	    --sessions 2000 --dirt 0.01 --pace 20 --http 127.0.0.1:8082 \
	    --ingest 127.0.0.1:8099

# Mixed traffic for SOAK_SECONDS (600); memory, descriptors and p99 flat.
soak: all
	sh tests/soak/run.sh $(BUILD)

# The Debian package (packaging/, systemd/): $(BUILD)/cinerec_<version>_<arch>.deb
deb: $(BUILD)/cinerec
	sh packaging/build-deb.sh $(BUILD)/cinerec $(BUILD)

# lintian, systemd-analyze, then the package's life in a Debian 12 container (root)
test-package: deb
	bash packaging/test-package.sh $(BUILD)

clean:
	rm -rf build
