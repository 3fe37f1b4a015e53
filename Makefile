# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make            build fwc and the XDP object (-Wall -Wextra -Werror)
# make test       install missing Debian packages, build, run every test
# make demo       run the passwordmgr gateway on a lab of network namespaces
# make demo-rpc   an MS-RPC pinhole opening in front of a real Samba AD DC
# make fuzz       libFuzzer on the compiler and the artifact reader (FUZZ_SECONDS=30 each)
# make bench      compile, datapath, veth and load benchmarks, plot (docs/benchmarks.md)
# make install    PREFIX=/usr/local, DESTDIR=; make uninstall the same way
# make layers     check the layers: cli -> ops -> kernel -> compiler, no cycle
# make docs       regenerate docs/passwordmgr.png (fwc graph | dot)

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
	  -Iinclude -Icompiler -Ikernel -Iops -Icli -I$(O)
LDLIBS := -lz

COMPILER_SRCS := compiler/diag.c compiler/lexer.c compiler/parser.c \
		 compiler/addrset.c compiler/resolve.c compiler/classes.c \
		 compiler/tables.c compiler/groups.c compiler/classify.c compiler/reference.c \
		 compiler/packet.c compiler/artifact.c compiler/sha256.c \
		 compiler/compile.c compiler/analyze.c compiler/diff.c compiler/emit_nft.c \
		 compiler/graph.c compiler/validate.c compiler/readfile.c compiler/epm.c compiler/rpc_iface.c compiler/suggest.c compiler/utf8.c
KERNEL_SRCS := $(wildcard kernel/*.c)
OPS_SRCS := $(wildcard ops/*.c)
CLI_SRCS := $(wildcard cli/*.c)

BPF_OBJ := $(O)/fwc.bpf.o
SKEL := $(O)/fwc.skel.h

COMPILER_OBJS := $(COMPILER_SRCS:%.c=$(O)/%.o)
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(O)/%.o)
OPS_OBJS := $(OPS_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
ASAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASAN_O)/tests/%)
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(BPF_TEST_SRCS:tests/bpf/%.c=$(O)/tests/%)

.PHONY: all clean test deps unit asan-unit policy-tests bpf-tests e2e-tests \
	diff-tests bench demo demo-clean format format-check fuzz install uninstall docs \
	fuzz-policy fuzz-artifact fuzz-epm layers

all: $(O)/fwc $(BPF_OBJ)

$(O)/%.o: %.c $(wildcard include/*.h compiler/*.h kernel/*.h ops/*.h cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The loader embeds the skeleton, so it needs the BPF object first.
$(KERNEL_OBJS) $(OPS_OBJS) $(CLI_OBJS): $(SKEL)

$(BPF_OBJ): bpf/fwc.bpf.c $(wildcard bpf/*.h include/*.h)
	@mkdir -p $(O)
	$(CLANG) -g -O2 -target bpf -Wall -Werror -Iinclude -I$(ARCH_INC) \
		-c -o $@ $<

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name fwc_bpf > $@.tmp && mv $@.tmp $@

$(O)/fwc: $(CLI_OBJS) $(OPS_OBJS) $(KERNEL_OBJS) $(COMPILER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -lbpf -lelf -lpthread $(LDLIBS)
	@ln -sf $(O)/fwc fwc

$(O)/tests/%: tests/unit/%.c $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# ops/ without root: the test fakes the few reads below ops/ it makes.
OPS_UNIT := ops/conf ops/metrics ops/watch ops/guard ops/explain
$(O)/tests/test_ops: tests/unit/test_ops.c $(OPS_UNIT:%=$(O)/%.o) $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(ASAN_O)/tests/test_ops: tests/unit/test_ops.c $(OPS_UNIT:%=$(ASAN_O)/%.o) \
		$(COMPILER_SRCS:%.c=$(ASAN_O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(O)/tests/%: tests/bpf/%.c $(wildcard tests/bpf/*.h) $(COMPILER_OBJS) $(KERNEL_OBJS) $(SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) -lcmocka -lbpf -lelf $(LDLIBS)

# AddressSanitizer/UBSan build of the compiler and its unit tests.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all
$(ASAN_O)/%.o: %.c $(wildcard include/*.h compiler/*.h kernel/*.h ops/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -c -o $@ $<

$(ASAN_O)/tests/%: tests/unit/%.c $(COMPILER_SRCS:%.c=$(ASAN_O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# The datapath's EPM parser (bpf/epm.h) against the reference: the rules
# above know no header of bpf/ or tests/unit/, so these name theirs.
EPM_BPF_HDRS := bpf/epm.h $(wildcard tests/unit/epm_*.h)
$(O)/tests/test_epm_bpf: tests/unit/test_epm_bpf.c $(EPM_BPF_HDRS) \
		$(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) -lcmocka $(LDLIBS)

$(ASAN_O)/tests/test_epm_bpf: tests/unit/test_epm_bpf.c $(EPM_BPF_HDRS) \
		$(COMPILER_SRCS:%.c=$(ASAN_O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -o $@ \
		$(filter %.c %.o,$^) -lcmocka $(LDLIBS)

deps:
	@tools/deps.sh

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

asan-unit: $(ASAN_UNIT_BINS)
	@set -e; for t in $(ASAN_UNIT_BINS); do echo "== $$t (asan)"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

policy-tests: $(O)/fwc
	@tests/policies/run.sh $(O)/fwc

# The command line's tables against fwc(8), and the bash completion
# generated from them (no root).
.PHONY: cli-tests
cli-tests: $(O)/fwc
	@tools/check-man.sh $(O)/fwc docs/fwc.8
	@tests/cli/completion.sh $(O)/fwc
	@tests/cli/rpc-tools.sh $(O)/fwc

$(O)/fwc.bash-completion: $(O)/fwc
	$(O)/fwc completion bash > $@.tmp && mv $@.tmp $@

bpf-tests: $(BPF_TEST_BINS)
	@set -e; for t in $(BPF_TEST_BINS); do echo "== $$t"; $$t; done

# Traffic of the end-to-end tests and the demo (TCP connect, UDP echo).
PROBE := $(O)/fwc-probe
$(PROBE): tests/e2e/probe.c tests/lib/netprobe.h
	@mkdir -p $(O)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $<

# fwc built with ThreadSanitizer, for the loader's threads (25-threads.sh).
TSAN_O := build-tsan
ifneq ($(O),$(TSAN_O))
$(TSAN_O)/fwc: $(wildcard compiler/*.[ch] kernel/*.[ch] ops/*.[ch] cli/*.[ch] bpf/*.[ch] include/*.h)
	CFLAGS="-O1 -g -fsanitize=thread" $(MAKE) --no-print-directory \
		O=$(TSAN_O) $(TSAN_O)/fwc
endif

e2e-tests: all $(PROBE) $(TSAN_O)/fwc
	@set -e; for t in tests/e2e/*.sh; do [ -x "$$t" ] || continue; \
		echo "== $$t"; FWC=$(O)/fwc FWC_TSAN=$(TSAN_O)/fwc $$t; done

# Differential tests: the XDP gateway against `fwc compile --emit nft`
# loaded in nftables, on the same lab and flows (tests/diff/).
DIFFPROBE := $(O)/tests/fwc-diffprobe
DIFFPLAN := $(O)/tests/fwc-diffplan
$(DIFFPROBE): tests/diff/diffprobe.c tests/lib/netprobe.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $<

$(DIFFPLAN): tests/diff/diffplan.c tests/unit/randpol.h $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $(filter %.c %.o,$^) $(LDLIBS)

diff-tests: all $(DIFFPROBE) $(DIFFPLAN)
	@tests/diff/nft-check.sh $(O)/fwc $(DIFFPLAN)
	@FWC=$(O)/fwc tests/diff/run.sh

test: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) layers
	$(MAKE) unit
	$(MAKE) asan-unit
	$(MAKE) fuzz
	$(MAKE) policy-tests
	$(MAKE) cli-tests
	$(MAKE) bpf-tests
	$(MAKE) e2e-tests
	$(MAKE) diff-tests
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

# The "before" of the rpc rows: bpf/fwc.bpf.c with its two rpc hooks
# compiled out (FWC_NO_RPC), nothing else; testrun_bench only.
NORPC_OBJ := $(O)/bench/fwc_norpc.bpf.o
NORPC_SKEL := $(O)/bench/fwc_norpc.skel.h

$(NORPC_OBJ): bpf/fwc.bpf.c $(wildcard bpf/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Wall -Werror -DFWC_NO_RPC -Iinclude \
		-I$(ARCH_INC) -c -o $@ $<

$(NORPC_SKEL): $(NORPC_OBJ)
	$(BPFTOOL) gen skeleton $< name fwc_norpc_bpf > $@.tmp && mv $@.tmp $@

$(TESTRUN_BENCH): bench/testrun_bench.c tests/bpf/packets.h \
		  tests/unit/epm_fixtures.h $(BENCH_SKEL) $(NORPC_SKEL) \
		  $(SKEL) $(COMPILER_OBJS) $(KERNEL_OBJS)
	$(CC) $(CFLAGS) -I$(O)/bench -Itests/bpf -o $@ \
		$(filter %.c %.o,$^) -lbpf -lelf $(LDLIBS)

# Exactness of large policies' tables against the reference scan (issue 13).
EXACT_BENCH := $(O)/bench/exact_bench

$(EXACT_BENCH): bench/exact_bench.c $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Veth benchmark: a traffic generator of our own (live-frame test runs).
TXGEN_OBJ := $(O)/bench/txgen.bpf.o
TXGEN_SKEL := $(O)/bench/txgen.skel.h
TRAFFICGEN := $(O)/bench/trafficgen

$(TXGEN_OBJ): bench/txgen.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -Wall -Werror -I$(ARCH_INC) -c -o $@ $<

$(TXGEN_SKEL): $(TXGEN_OBJ)
	$(BPFTOOL) gen skeleton $< name txgen_bpf > $@.tmp && mv $@.tmp $@

$(TRAFFICGEN): bench/trafficgen.c tests/bpf/packets.h $(TXGEN_SKEL)
	$(CC) $(CFLAGS) -I$(O)/bench -Itests/bpf -o $@ $< -lbpf -lelf -lpthread

bench: deps all $(TESTRUN_BENCH) $(TRAFFICGEN) $(EXACT_BENCH)
	@bench/compile_bench.sh $(O)/fwc docs/bench-compile.md
	@bench/exact_bench.sh $(EXACT_BENCH) docs/bench-exact.md
	@bench/testrun_bench.sh $(TESTRUN_BENCH) docs/bench-datapath.md
	@bench/veth_bench.sh $(O)/fwc $(TRAFFICGEN) docs/bench-veth.md $(O)/bench/veth.dat
	@bench/load_bench.sh $(O)/fwc docs/bench-load.md
	@bench/plot.sh docs/bench-datapath.md $(O)/bench/veth.dat docs/bench.png

demo: deps all $(PROBE)
	@tools/demo.sh $(O)/fwc

demo-clean:
	@tools/demo.sh --clean

# MS-RPC pinholes on a Samba AD DC in namespaces (tests/e2e/rpclab.sh).
.PHONY: demo-rpc
demo-rpc: deps all
	@tools/demo-rpc.sh $(O)/fwc

# make install [PREFIX=/usr/local] [DESTDIR=]: fwc in bin (compile, check
# and test need no root), the XDP object for bpftool users (fwc embeds its
# own copy), man pages, bash completion, example policies, the systemd
# unit (searched in /usr/local/lib/systemd/system too).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
UNITDIR ?= $(LIBDIR)/systemd/system
INSTALL_POLICIES := $(wildcard policies/*.pol)

install: all $(O)/fwc.bash-completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/fwc \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DATADIR)/fwc/policies \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(O)/fwc $(DESTDIR)$(BINDIR)/fwc
	install -m 0644 $(BPF_OBJ) $(DESTDIR)$(LIBDIR)/fwc/fwc.bpf.o
	install -m 0644 docs/fwc.8 $(DESTDIR)$(MANDIR)/man8/fwc.8
	install -m 0644 docs/fwc.pol.5 $(DESTDIR)$(MANDIR)/man5/fwc.pol.5
	install -m 0644 $(O)/fwc.bash-completion $(DESTDIR)$(BASHCOMPDIR)/fwc
	install -m 0644 $(INSTALL_POLICIES) $(DESTDIR)$(DATADIR)/fwc/policies/
	install -m 0644 systemd/fwc.conf.example $(DESTDIR)$(DATADIR)/fwc/
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/fwc@.service.in \
		> $(DESTDIR)$(UNITDIR)/fwc@.service
	@echo "fwc: installed; run 'systemctl daemon-reload' to see fwc@.service"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fwc $(DESTDIR)$(LIBDIR)/fwc/fwc.bpf.o \
		$(DESTDIR)$(MANDIR)/man8/fwc.8 $(DESTDIR)$(MANDIR)/man5/fwc.pol.5 \
		$(DESTDIR)$(BASHCOMPDIR)/fwc $(DESTDIR)$(UNITDIR)/fwc@.service \
		$(DESTDIR)$(DATADIR)/fwc/fwc.conf.example \
		$(addprefix $(DESTDIR)$(DATADIR)/fwc/policies/,$(notdir $(INSTALL_POLICIES)))
	-rmdir $(DESTDIR)$(DATADIR)/fwc/policies $(DESTDIR)$(DATADIR)/fwc \
		$(DESTDIR)$(LIBDIR)/fwc 2>/dev/null

# The picture of the README: make docs (needs graphviz).
docs: $(O)/fwc
	$(O)/fwc graph policies/passwordmgr.pol | dot -Tpng -o docs/passwordmgr.png

# libFuzzer under ASan and UBSan (a report fails the run): the whole
# compiler over any bytes as a policy, seeded with the shipped policies,
# and the artifact reader over any bytes as an artifact, seeded with their
# artifacts. make fuzz (and make test) runs each for FUZZ_SECONDS; corpora
# grow in $(O)/fuzz-corpus and $(O)/fuzz-artifact-corpus, findings go to
# $(O)/fuzz-findings/.
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
	       -DFWC_VERSION='"$(VERSION)"' -Iinclude -Icompiler
FUZZ_SEEDS := $(patsubst policies/%.pol,$(O)/fuzz-seeds/%.fwca,\
		$(wildcard policies/*.pol)) \
	      $(patsubst policies/%.pol,$(O)/fuzz-seeds/%.groups.fwca,\
		$(wildcard policies/*.pol))

$(O)/fuzz_policy $(O)/fuzz_artifact $(O)/fuzz_epm: $(O)/fuzz_%: tests/fuzz/fuzz_%.c \
		$(COMPILER_SRCS) $(wildcard include/*.h compiler/*.h) \
		bpf/epm.h $(wildcard tests/unit/epm_*.h)
	@mkdir -p $(O)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lz

$(O)/fuzz-seeds/%.fwca: policies/%.pol $(O)/fwc
	@mkdir -p $(dir $@)
	$(O)/fwc compile $< -o $@ >/dev/null

# The same policies in the grouped layout: its sections seed the reader too.
$(O)/fuzz-seeds/%.groups.fwca: policies/%.pol $(O)/fwc
	@mkdir -p $(dir $@)
	$(O)/fwc compile --layout groups $< -o $@ >/dev/null

fuzz: fuzz-policy fuzz-artifact fuzz-epm

fuzz-policy: $(O)/fuzz_policy
	@mkdir -p $(O)/fuzz-corpus $(O)/fuzz-findings
	$(O)/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=$(O)/fuzz-findings/policy- \
		$(O)/fuzz-corpus policies tests/spec

fuzz-artifact: $(O)/fuzz_artifact $(FUZZ_SEEDS)
	@mkdir -p $(O)/fuzz-artifact-corpus $(O)/fuzz-findings
	$(O)/fuzz_artifact -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-artifact_prefix=$(O)/fuzz-findings/artifact- \
		$(O)/fuzz-artifact-corpus $(O)/fuzz-seeds

fuzz-epm: $(O)/fuzz_epm
	@mkdir -p $(O)/fuzz-epm-corpus $(O)/fuzz-findings
	$(O)/fuzz_epm -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-artifact_prefix=$(O)/fuzz-findings/epm- $(O)/fuzz-epm-corpus

# One style, checked in (.clang-format, kernel style); make test checks it.
FORMAT_SRCS := $(sort $(wildcard compiler/*.[ch] kernel/*.[ch] ops/*.[ch] \
	cli/*.[ch] bpf/*.[ch] include/*.h tests/*/*.[ch] bench/*.[ch]))
format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && \
		echo "format: $(words $(FORMAT_SRCS)) files match .clang-format"

# Dependencies point one way, cli -> ops -> kernel -> compiler -> include
# (and bpf -> include), with no cycle among the objects and libbpf in
# kernel/ only: tools/check-layers.sh, from nm over the objects.
layers: all
	@tools/check-layers.sh $(O)

clean:
	rm -rf $(O) $(ASAN_O) $(TSAN_O) fwc
