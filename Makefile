# Thin wrapper over CMake for the common targets. The real build is CMakeLists.txt.
BUILD ?= build
JOBS  ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test test-valgrind asan fuzz bench demo install clean format

all: build

deps:
	./scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The README's test command: install what is missing, build, run every test.
test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The module's integration tests again, with redis-server under valgrind (slow; leaks are errors).
test-valgrind: build
	cd $(BUILD) && LOCUS_TEST_VALGRIND=1 ctest --output-on-failure -L valgrind

# A separate tree with ASan/UBSan (not the valgrind runs; not the Slurm test, whose daemons hang with the ASan
# runtime preloaded).
asan:
	cmake -S . -B build-asan -DLOCUS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -LE "valgrind|slurm"

# libFuzzer targets (tests/fuzz) in a clang tree of their own, each run FUZZ_SECONDS on a copy of its seed corpus;
# a crash stops with the input saved under build-fuzz/findings/.
FUZZ_SECONDS ?= 60
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	CC=clang cmake -S . -B build-fuzz -DLOCUS_FUZZ=ON -DLOCUS_WITH_TORCH=OFF -DLOCUS_WITH_FORTRAN=OFF \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	./tests/fuzz/run build-fuzz $(FUZZ_SECONDS)

# The README's main job: `locus bench throughput_colocated` with small local flags.
bench: deps build
	./scripts/main-job

# A short redis-cli demo of the tensor store.
demo: deps build
	./scripts/demo

install: build
	cmake --install $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
