# jobsd: thin wrapper over CMake. `make run` and `make test` are the two
# commands of the README's quick start.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-asan bench clean format

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS) >/dev/null

run: build
	@./scripts/run-dev.sh

# The whole suite: unit tests, store conformance, integration tests against
# the real binary with boto3 and the aws CLI; then the same built with clang
# under ASan+UBSan (so both compilers build it with -Werror).
test: build
	@./scripts/check-layers.sh
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@$(MAKE) --no-print-directory test-asan

test-asan: deps
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJOBSD_SANITIZE=ON >/dev/null
	@$(MAKE) --no-print-directory -C $(ASAN_BUILD) -j$(JOBS) >/dev/null
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

bench: build
	@./bench/run-basic.sh --things 1000 --connections 64 --requests 20000

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
