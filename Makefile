# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make            build fwc and the XDP object (-Wall -Wextra -Werror)
# make test       install missing Debian packages, build, run every test
# make demo       run the passwordmgr gateway on a lab of network namespaces
# make bench      compile-time and datapath benchmarks (docs/benchmarks.md)

VERSION := 0.1.0
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)

O := build
ASAN_O := build-asan

WARN := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -DFWC_VERSION='"$(VERSION)"' \
	  -Iinclude -Icompiler -Iloader -I$(O)
LDLIBS := -lz

COMPILER_SRCS := compiler/diag.c compiler/lexer.c compiler/parser.c \
		 compiler/addrset.c compiler/resolve.c compiler/classes.c \
		 compiler/tables.c compiler/classify.c compiler/reference.c \
		 compiler/packet.c compiler/artifact.c compiler/sha256.c \
		 compiler/compile.c compiler/analyze.c compiler/diff.c
LOADER_SRCS := $(wildcard loader/*.c)
CLI_SRCS := fwc.c

BPF_OBJ := $(O)/fwc.bpf.o
SKEL := $(O)/fwc.skel.h

COMPILER_OBJS := $(COMPILER_SRCS:%.c=$(O)/%.o)
LOADER_OBJS := $(LOADER_SRCS:%.c=$(O)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
ASAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASAN_O)/tests/%)
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(BPF_TEST_SRCS:tests/bpf/%.c=$(O)/tests/%)

.PHONY: all clean test deps unit asan-unit policy-tests bpf-tests e2e-tests \
	bench demo demo-clean format fuzz

all: $(O)/fwc $(BPF_OBJ)

$(O)/%.o: %.c $(wildcard include/*.h compiler/*.h loader/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The loader embeds the skeleton, so it needs the BPF object first.
$(LOADER_OBJS) $(O)/fwc.o: $(SKEL)

$(BPF_OBJ): bpf/fwc.bpf.c $(wildcard bpf/*.h) include/fwc_abi.h
	@mkdir -p $(O)
	$(CLANG) -g -O2 -target bpf -Wall -Werror -Iinclude -I$(ARCH_INC) \
		-c -o $@ $<

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name fwc_bpf > $@.tmp && mv $@.tmp $@

$(O)/fwc: $(O)/fwc.o $(COMPILER_OBJS) $(LOADER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -lbpf -lelf $(LDLIBS)
	@ln -sf $(O)/fwc fwc

$(O)/tests/%: tests/unit/%.c $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(O)/tests/%: tests/bpf/%.c $(wildcard tests/bpf/*.h) $(COMPILER_OBJS) $(LOADER_OBJS) $(SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) -lcmocka -lbpf -lelf $(LDLIBS)

# AddressSanitizer/UBSan build of the compiler and its unit tests.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all
$(ASAN_O)/%.o: %.c $(wildcard include/*.h compiler/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -c -o $@ $<

$(ASAN_O)/tests/%: tests/unit/%.c $(COMPILER_SRCS:%.c=$(ASAN_O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -o $@ $^ -lcmocka $(LDLIBS)

deps:
	@tools/deps.sh

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

asan-unit: $(ASAN_UNIT_BINS)
	@set -e; for t in $(ASAN_UNIT_BINS); do echo "== $$t (asan)"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

policy-tests: $(O)/fwc
	@tests/policies/run.sh $(O)/fwc

bpf-tests: $(BPF_TEST_BINS)
	@set -e; for t in $(BPF_TEST_BINS); do echo "== $$t"; $$t; done

# Traffic of the end-to-end tests and the demo (TCP connect, UDP echo).
PROBE := $(O)/fwc-probe
$(PROBE): tests/e2e/probe.c
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -o $@ $<

e2e-tests: all $(PROBE)
	@set -e; for t in tests/e2e/*.sh; do [ -x "$$t" ] || continue; \
		echo "== $$t"; FWC=$(O)/fwc $$t; done

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) asan-unit
	$(MAKE) policy-tests
	$(MAKE) bpf-tests
	$(MAKE) e2e-tests
	@echo "all tests passed"

# Datapath benchmark (BPF_PROG_TEST_RUN): baselines, then fwc itself.
BENCH_BPF_OBJ := $(O)/bench/bare.bpf.o
BENCH_SKEL := $(O)/bench/bare.skel.h
TESTRUN_BENCH := $(O)/bench/testrun_bench

$(BENCH_BPF_OBJ): bench/bare.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Wall -Werror -Ibpf -I$(ARCH_INC) \
		-c -o $@ $<

$(BENCH_SKEL): $(BENCH_BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name bare_bpf > $@.tmp && mv $@.tmp $@

$(TESTRUN_BENCH): bench/testrun_bench.c tests/bpf/packets.h $(BENCH_SKEL) \
		  $(SKEL) $(COMPILER_OBJS) $(LOADER_OBJS)
	$(CC) $(CFLAGS) -I$(O)/bench -Itests/bpf -o $@ \
		$(filter %.c %.o,$^) -lbpf -lelf $(LDLIBS)

bench: deps all $(TESTRUN_BENCH)
	@bench/compile_bench.sh $(O)/fwc docs/bench-compile.md
	@bench/testrun_bench.sh $(TESTRUN_BENCH) docs/bench-datapath.md

demo: deps all $(PROBE)
	@tools/demo.sh $(O)/fwc

demo-clean:
	@tools/demo.sh --clean

# libFuzzer over the whole compiler, seeded with the shipped policies.
FUZZ_SECONDS ?= 60
$(O)/fuzz_policy: tests/fuzz/fuzz_policy.c $(COMPILER_SRCS)
	@mkdir -p $(O)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
		-D_GNU_SOURCE -DFWC_VERSION='"$(VERSION)"' -Iinclude -Icompiler \
		-o $@ $^ -lz

fuzz: $(O)/fuzz_policy
	@mkdir -p $(O)/fuzz-corpus
	$(O)/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		$(O)/fuzz-corpus policies tests/spec

format:
	clang-format -i $(wildcard compiler/*.[ch] loader/*.[ch] bpf/*.[ch] include/*.h tests/*/*.c) fwc.c

clean:
	rm -rf $(O) $(ASAN_O) fwc
