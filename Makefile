# jobsd: thin wrapper over CMake. `make run` and `make test` are the two
# commands of the README's quick start.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps build run cluster test test-asan fuzz-smoke bench clean format format-check deb

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS) >/dev/null

run: build
	@./scripts/run-dev.sh

# PostgreSQL, Mosquitto, three jobsd nodes and (if installed) HAProxy on
# 127.0.0.1, until Ctrl-C (scripts/cluster.sh; README "Several nodes").
cluster: build
	@./scripts/cluster.sh

# The whole suite: the formatting check (.clang-format), the layer checks (tests/layers: check-layers.sh on the tree
# and on planted violations, and a planted upward call that must fail to
# link), unit tests, store conformance, integration tests against the real
# binary with boto3 and the aws CLI; then the same built with clang under
# ASan+UBSan (so both compilers build it with -Werror).
test: build
	@$(MAKE) --no-print-directory format-check
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@$(MAKE) --no-print-directory test-asan

test-asan: deps
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJOBSD_SANITIZE=ON >/dev/null
	@$(MAKE) --no-print-directory -C $(ASAN_BUILD) -j$(JOBS) >/dev/null
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

# Fuzzers (fuzz/, libFuzzer): build them with clang in $(FUZZ_BUILD), replay
# the committed corpus and regressions, then fuzz each for FUZZ_SECONDS.
# Fails on any crash, leak or broken invariant (fuzz/README.md).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
fuzz-smoke: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBSD_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) --target fuzz_all -j$(JOBS) >/dev/null
	@./fuzz/smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# bench/run-all.sh --small (every scenario, small), then a 2-minute soak under every
# attack of issue 13 (bench/soak.sh; bench/README.md "Soak"); about 3 minutes in all.
bench: build
	@./bench/run-all.sh --small
	@./bench/soak.sh --minutes 2

# The Debian package (packaging/deb/build-deb.sh, dpkg-deb only) into $(DEB_OUT):
# the binary, the systemd unit, /etc/jobsd/jobsd.conf, the broker configs and the
# man page. ctest's packaging_deb checks it (lintian, systemd-analyze, a fresh root).
DEB_OUT ?= $(BUILD)/deb
deb: build
	@./packaging/deb/build-deb.sh $(BUILD) $(DEB_OUT)

# Formatting (.clang-format, clang-format 14 or later): `make format` rewrites
# the C files of src/, tests/unit, tests/store, fuzz/ and bench/ in place;
# `make format-check` lists those that differ from it and fails if any does.
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(shell find src tests/unit tests/store fuzz bench -name '*.[ch]' | LC_ALL=C sort)
format:
	@$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	@bad=0; for f in $(FORMAT_FILES); do \
		$(CLANG_FORMAT) "$$f" | cmp -s - "$$f" || { echo "$$f: not formatted (make format)"; bad=1; }; \
	done; exit $$bad

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
