# rsip-gateway: RSIP (RFC 3103/3104) gateway with an XDP data plane.
#
# Sources are discovered by directory, so adding a file never means editing
# this Makefile:
#   user/lib/*.c       -> librsipcommon (wire codec, names, logging, utils)
#   user/client/*.c    -> librsip (the RSIP client library)
#   user/rsipd/**.c    -> rsipd (main.c) + librsipd (everything else, for tests);
#                         one folder per subsystem (docs/architecture.md)
#   user/rsipctl/*.c   -> rsipctl
#   user/rsipc/*.c     -> rsipc
#   bpf/*.bpf.c        -> BPF objects + bpftool skeletons (<name>.skel.h)
#   tests/unit/test_*.c  -> cmocka unit tests (ASan+UBSan, no root)
#   tests/bpf/test_*.c   -> cmocka BPF_PROG_TEST_RUN fixture tests (root)
#   tests/fuzz/fuzz_*.c  -> libFuzzer targets (clang)
#   tests/cluster/*.c    -> programs the cluster tests run against real etcd
#   bench/*.c            -> benchmark tools
#
# BUILD selects the output tree (default build/): parallel work trees and CI
# can use separate ones.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CSTD     := -std=gnu11
INCS     := -Iinclude -Iuser/lib -Iuser/rsipd -I$(BUILD)/include
CFLAGS   ?= -O2 -g
VERSION  := $(shell cat VERSION)
BASE_CFLAGS := $(CSTD) $(WARN) $(INCS) -D_GNU_SOURCE -MMD -MP
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=undefined
LDLIBS   := -lsqlite3 -lbpf -linih -ljson-c -lmnl -lmicrohttpd -lsystemd -lcap -lcurl -lcrypto -lelf -lz -lm
TEST_LDLIBS := -lcmocka $(LDLIBS)

BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Iinclude \
	      -Wall -Wextra -Werror -Wno-unused-parameter -mcpu=v3

# ---- sources -------------------------------------------------------------
LIB_SRCS     := $(wildcard user/lib/*.c)
CLIENT_SRCS  := $(wildcard user/client/*.c)
RSIPD_MAIN   := user/rsipd/main.c
RSIPD_SRCS   := $(filter-out $(RSIPD_MAIN),$(wildcard user/rsipd/*.c user/rsipd/*/*.c))
RSIPCTL_SRCS := $(wildcard user/rsipctl/*.c)
RSIPC_MAIN   := user/rsipc/main.c
RSIPC_SRCS   := $(filter-out $(RSIPC_MAIN),$(wildcard user/rsipc/*.c))
BPF_SRCS     := $(wildcard bpf/*.bpf.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
BPFT_SRCS    := $(wildcard tests/bpf/test_*.c)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
CLUSTER_SRCS := $(wildcard tests/cluster/*.c)
TESTLIB_SRCS := $(wildcard tests/lib/*.c)
BENCH_SRCS   := $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)

BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))

obj     = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
asanobj = $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(1))

LIBCOMMON   := $(BUILD)/lib/librsipcommon.a
LIBCLIENT   := $(BUILD)/lib/librsip.a
LIBRSIPD    := $(BUILD)/lib/librsipd.a
LIBRSIPC    := $(BUILD)/lib/librsipc.a
ALIBCOMMON  := $(BUILD)/asan/lib/librsipcommon.a
ALIBCLIENT  := $(BUILD)/asan/lib/librsip.a
ALIBRSIPD   := $(BUILD)/asan/lib/librsipd.a
ALIBRSIPC   := $(BUILD)/asan/lib/librsipc.a
ALIBTEST    := $(BUILD)/asan/lib/librsiptest.a

# A program is built once its main source exists (parts land one by one).
PROGS := $(if $(wildcard $(RSIPD_MAIN)),rsipd) $(if $(RSIPCTL_SRCS),rsipctl) \
	 $(if $(wildcard $(RSIPC_MAIN)),rsipc)
BINS := $(addprefix $(BUILD)/,$(PROGS))
ASAN_BINS := $(addprefix $(BUILD)/asan/,$(PROGS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/asan/tests/bpf/%,$(BPFT_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
CLUSTER_BINS := $(patsubst tests/cluster/%.c,$(BUILD)/asan/tests/cluster/%,$(CLUSTER_SRCS))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(BUILD)/include/%.skel.h,$(BENCH_BPF_SRCS))

.SECONDARY:

.PHONY: install uninstall dist-libs man deb test-package
.PHONY: all deps test test-runner test-layer test-unit test-bpf test-integration test-netns \
	test-interop test-cluster test-fuzz fuzz demo bench format format-check check-structure check-rules \
	clean tests-build

all: $(BINS) $(ASAN_BINS) $(BPF_OBJS) tests-build $(BENCH_BINS) dist-libs man

tests-build: $(UNIT_BINS) $(BPFT_BINS) $(CLUSTER_BINS)

# ---- BPF ------------------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/rsip/*.h include/rsip/rules/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Reference programs of the benchmarks (bench/*.bpf.c), same flags.
$(BUILD)/bpf/%.bpf.o: bench/%.bpf.c $(wildcard bench/*.h) $(wildcard include/rsip/*.h) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Ablation variants of rsip_xdp for bench/wan_ablate.sh (bpf/ablate.h): the
# stem is the RSIP_ABLATE mask. Benchmark objects only: nothing installs or
# loads them but bench/bpf_prog_bench -B.
$(BUILD)/bench/ablate/rsip_xdp-%.bpf.o: bpf/rsip_xdp.bpf.c $(wildcard bpf/*.h) $(wildcard include/rsip/*.h include/rsip/rules/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DRSIP_ABLATE=$* -c $< -o $@

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/include
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@

# ---- user space -------------------------------------------------------------
$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -DRSIP_TESTING -c $< -o $@

define static_lib
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^
endef

$(LIBCOMMON): $(call obj,$(LIB_SRCS)) ; $(static_lib)
$(LIBCLIENT): $(call obj,$(CLIENT_SRCS)) ; $(static_lib)
$(LIBRSIPD): $(call obj,$(RSIPD_SRCS)) ; $(static_lib)
$(LIBRSIPC): $(call obj,$(RSIPC_SRCS)) ; $(static_lib)
$(ALIBCOMMON): $(call asanobj,$(LIB_SRCS)) ; $(static_lib)
$(ALIBCLIENT): $(call asanobj,$(CLIENT_SRCS)) ; $(static_lib)
$(ALIBRSIPD): $(call asanobj,$(RSIPD_SRCS)) ; $(static_lib)
$(ALIBRSIPC): $(call asanobj,$(RSIPC_SRCS)) ; $(static_lib)
$(ALIBTEST): $(call asanobj,$(TESTLIB_SRCS)) ; $(static_lib)

# --version: the release in VERSION (debian/changelog carries the same).
$(call obj,$(RSIPD_MAIN)) $(call asanobj,$(RSIPD_MAIN)): BASE_CFLAGS += -DRSIP_RELEASE='"$(VERSION)"'
$(call obj,$(RSIPD_MAIN)) $(call asanobj,$(RSIPD_MAIN)): VERSION

$(BUILD)/rsipd: $(call obj,$(RSIPD_MAIN)) $(LIBRSIPD) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/rsipctl: $(call obj,$(RSIPCTL_SRCS)) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/rsipc: $(call obj,$(RSIPC_MAIN)) $(LIBRSIPC) $(LIBCLIENT) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/asan/rsipd: $(call asanobj,$(RSIPD_MAIN)) $(ALIBRSIPD) $(ALIBCOMMON)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/rsipctl: $(call asanobj,$(RSIPCTL_SRCS)) $(ALIBCOMMON)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/rsipc: $(call asanobj,$(RSIPC_MAIN)) $(ALIBRSIPC) $(ALIBCLIENT) $(ALIBCOMMON)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

# Unit and BPF tests link every library: each test uses what it needs.
TEST_LIBS := $(ALIBTEST) $(ALIBRSIPD) $(ALIBRSIPC) $(ALIBCLIENT) $(ALIBCOMMON)
$(BUILD)/asan/tests/unit/%: $(BUILD)/asan/obj/tests/unit/%.o $(TEST_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LDLIBS)
$(BUILD)/asan/tests/bpf/%: $(BUILD)/asan/obj/tests/bpf/%.o $(TEST_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LDLIBS)
$(BUILD)/asan/tests/cluster/%: $(BUILD)/asan/obj/tests/cluster/%.o $(TEST_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LDLIBS)

# libFuzzer targets compile the sources they need directly with clang.
FUZZ_FLAGS := $(CSTD) $(INCS) -D_GNU_SOURCE -DRSIP_FUZZING -g -O1 \
	      -fsanitize=fuzzer,address,undefined
# A target's own sources beyond the common library:
FUZZ_EXTRA_fuzz_rules := user/rsipd/slowpath/demux.c user/rsipd/slowpath/pkt.c \
	tests/lib/fake_dp_view.c
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard user/lib/*.h include/rsip/*.h \
		 include/rsip/rules/*.h user/rsipd/slowpath/*.[ch] tests/lib/fake_dp_view.*)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_EXTRA_$*) $(LIB_SRCS) $(LDLIBS)

# The lease store's loader needs the engine: that target compiles rsipd's
# sources too.
$(BUILD)/fuzz/fuzz_store_row: tests/fuzz/fuzz_store_row.c $(LIB_SRCS) $(RSIPD_SRCS) \
		$(wildcard user/lib/*.h include/rsip/*.h) | $(SKELS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(RSIPD_SRCS) $(LIB_SRCS) $(LDLIBS)

$(call obj,$(BENCH_SRCS)): | $(BENCH_SKELS)
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBRSIPD) $(LIBCLIENT) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bpf $(BUILD)/include:
	mkdir -p $@

# ---- the installable client library ------------------------------------------
# librsip as installed: the client and the codec it uses, in one archive and
# one shared object (PIC objects, only rsip_* exported: docs/install.md).
# The SONAME changes with an incompatible change of include/rsip/client.h.
LIBRSIP_SOVERSION := 0
LIBRSIP_SRCS := $(CLIENT_SRCS) $(filter-out user/lib/ctl_% user/lib/dp_names.c,$(LIB_SRCS))
picobj = $(patsubst %.c,$(BUILD)/pic/obj/%.o,$(1))
DIST_LIBA  := $(BUILD)/dist/librsip.a
DIST_LIBSO := $(BUILD)/dist/librsip.so.$(VERSION)

$(BUILD)/pic/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(DIST_LIBA): $(call obj,$(LIBRSIP_SRCS)) ; $(static_lib)
$(DIST_LIBSO): $(call picobj,$(LIBRSIP_SRCS)) user/client/librsip.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,librsip.so.$(LIBRSIP_SOVERSION) \
		-Wl,--version-script,user/client/librsip.map -Wl,--no-undefined \
		-o $@ $(call picobj,$(LIBRSIP_SRCS))
dist-libs: $(DIST_LIBA) $(DIST_LIBSO)

# ---- man pages (scdoc, one source each: docs/man/*.scd) --------------------------
MAN_SRCS  := $(wildcard docs/man/*.scd)
MAN_PAGES := $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@
man: $(MAN_PAGES)

# ---- systemd units and the pkg-config file name the installed paths: made by
# install itself (below), from contrib/systemd/*.in and user/client/librsip.pc.in.
SYSTEMD_SRCS := $(wildcard contrib/systemd/*.in)
SYSTEMD_UNITS := $(patsubst contrib/systemd/%.in,%,$(SYSTEMD_SRCS))
SUBST_PATHS = sed -e 's|@prefix@|$(prefix)|g' -e 's|@sbindir@|$(sbindir)|g' \
	-e 's|@bindir@|$(bindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
	-e 's|@libdir@|$(libdir)|g' -e 's|@includedir@|$(includedir)|g' -e 's|@version@|$(VERSION)|g'

# ---- install / uninstall ----------------------------------------------------------
# GNU conventions: PREFIX (or prefix), DESTDIR, and each directory on its own.
PREFIX     ?= /usr/local
prefix     ?= $(PREFIX)
sbindir    ?= $(prefix)/sbin
bindir     ?= $(prefix)/bin
libdir     ?= $(prefix)/lib
includedir ?= $(prefix)/include
datadir    ?= $(prefix)/share
mandir     ?= $(datadir)/man
docdir     ?= $(datadir)/doc/rsip-gateway
sysconfdir ?= $(if $(filter /usr,$(prefix)),/etc,$(prefix)/etc)
# systemd reads units, sysctl.d and tmpfiles.d under /usr/local/lib too.
systemddir ?= $(prefix)/lib
unitdir    ?= $(systemddir)/systemd/system
INSTALL    ?= install

INSTALLED_HEADERS := include/rsip/client.h include/rsip/msg.h include/rsip/wire.h

install: $(BUILD)/rsipd $(BUILD)/rsipctl $(BUILD)/rsipc dist-libs man
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) $(DESTDIR)$(libdir)/pkgconfig \
		$(DESTDIR)$(includedir)/rsip $(DESTDIR)$(unitdir) $(DESTDIR)$(docdir)/examples \
		$(DESTDIR)$(systemddir)/sysctl.d $(DESTDIR)$(systemddir)/tmpfiles.d \
		$(DESTDIR)$(sysconfdir)/rsipc
	$(INSTALL) -m 755 $(BUILD)/rsipd $(BUILD)/rsipc $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 755 $(BUILD)/rsipctl $(DESTDIR)$(bindir)/
	$(INSTALL) -m 644 $(DIST_LIBA) $(DESTDIR)$(libdir)/
	$(INSTALL) -m 755 $(DIST_LIBSO) $(DESTDIR)$(libdir)/
	ln -sf librsip.so.$(VERSION) $(DESTDIR)$(libdir)/librsip.so.$(LIBRSIP_SOVERSION)
	ln -sf librsip.so.$(LIBRSIP_SOVERSION) $(DESTDIR)$(libdir)/librsip.so
	$(SUBST_PATHS) user/client/librsip.pc.in > $(DESTDIR)$(libdir)/pkgconfig/librsip.pc
	$(INSTALL) -m 644 $(INSTALLED_HEADERS) $(DESTDIR)$(includedir)/rsip/
	for m in $(MAN_PAGES); do s=$${m##*.}; \
		$(INSTALL) -d $(DESTDIR)$(mandir)/man$$s; \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(mandir)/man$$s/; done
	for u in $(SYSTEMD_UNITS); do $(SUBST_PATHS) contrib/systemd/$$u.in > $(DESTDIR)$(unitdir)/$$u; done
	$(INSTALL) -m 644 contrib/sysctl/60-rsipd.conf $(DESTDIR)$(systemddir)/sysctl.d/
	$(INSTALL) -m 644 contrib/tmpfiles/rsipd.conf $(DESTDIR)$(systemddir)/tmpfiles.d/
	$(INSTALL) -m 644 docs/examples/rsipd.conf docs/examples/rsipc.conf \
		$(DESTDIR)$(docdir)/examples/
	# The configuration is the operator's: never overwritten.
	[ -e $(DESTDIR)$(sysconfdir)/rsipd.conf ] || \
		$(INSTALL) -m 644 docs/examples/rsipd.conf $(DESTDIR)$(sysconfdir)/rsipd.conf
	[ -e $(DESTDIR)$(sysconfdir)/rsipc/default.conf ] || \
		$(INSTALL) -m 644 docs/examples/rsipc.conf $(DESTDIR)$(sysconfdir)/rsipc/default.conf

# ---- the Debian packages (debian/): built from a copy of the tracked tree in
# $(BUILD)/deb, where the .deb files land too (docs/install.md).
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/rsip-gateway-$(VERSION)
	{ git ls-files -co --exclude-standard 2>/dev/null || find . -path ./$(BUILD) -prune -o -type f -print; } | \
		grep -v '^\./\?$(BUILD)/' | \
		tar -cf - -T - | tar -xf - -C $(DEB_DIR)/rsip-gateway-$(VERSION)
	cd $(DEB_DIR)/rsip-gateway-$(VERSION) && \
		env -u BUILD -u CFLAGS -u LDFLAGS -u CPPFLAGS -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		dpkg-buildpackage -us -uc -b -j2 \
		>../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	lintian --fail-on error $(DEB_DIR)/*.changes >$(DEB_DIR)/lintian.log 2>&1; \
		rc=$$?; cat $(DEB_DIR)/lintian.log; exit $$rc
	@ls $(DEB_DIR)/*.deb

# Removes what install put there; a configuration the operator changed stays.
uninstall:
	rm -f $(DESTDIR)$(sbindir)/rsipd $(DESTDIR)$(sbindir)/rsipc $(DESTDIR)$(bindir)/rsipctl
	rm -f $(DESTDIR)$(libdir)/librsip.a $(DESTDIR)$(libdir)/librsip.so \
	      $(DESTDIR)$(libdir)/librsip.so.$(LIBRSIP_SOVERSION) \
	      $(DESTDIR)$(libdir)/librsip.so.$(VERSION) $(DESTDIR)$(libdir)/pkgconfig/librsip.pc
	rm -f $(addprefix $(DESTDIR)$(includedir)/rsip/,$(notdir $(INSTALLED_HEADERS)))
	-rmdir $(DESTDIR)$(includedir)/rsip
	for m in $(notdir $(MAN_PAGES)); do rm -f $(DESTDIR)$(mandir)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(unitdir)/,$(SYSTEMD_UNITS))
	rm -f $(DESTDIR)$(systemddir)/sysctl.d/60-rsipd.conf \
	      $(DESTDIR)$(systemddir)/tmpfiles.d/rsipd.conf
	rm -rf $(DESTDIR)$(docdir)
	cmp -s docs/examples/rsipd.conf $(DESTDIR)$(sysconfdir)/rsipd.conf && \
		rm -f $(DESTDIR)$(sysconfdir)/rsipd.conf || true
	cmp -s docs/examples/rsipc.conf $(DESTDIR)$(sysconfdir)/rsipc/default.conf && \
		rm -f $(DESTDIR)$(sysconfdir)/rsipc/default.conf || true
	-rmdir $(DESTDIR)$(sysconfdir)/rsipc

# ---- dependencies and tests --------------------------------------------------
deps:
	@bash tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory check-rules
	@$(MAKE) --no-print-directory all $(FUZZ_BINS)
	@$(MAKE) --no-print-directory check-structure
	@bash tests/run-all.sh "$(BUILD)"

# The layers are listed in tests/layers.conf; tests/README.md says how they
# run, time out and skip. test-layer runs any of them: make test-layer LAYER=x
test-runner: $(BUILD)/rsipd
	@bash tests/run-layer.sh runner "$(BUILD)"

test-layer: $(BUILD)/rsipd
	@bash tests/run-layer.sh "$(LAYER)" "$(BUILD)"

test-unit: $(UNIT_BINS)
	@bash tests/run-layer.sh unit "$(BUILD)"

test-bpf: $(BPFT_BINS) $(BPF_OBJS)
	@bash tests/run-layer.sh bpf "$(BUILD)"

test-integration: $(BINS) $(ASAN_BINS)
	@bash tests/run-layer.sh integration "$(BUILD)"

test-netns: $(BINS) $(ASAN_BINS) $(BPF_OBJS)
	@bash tests/run-layer.sh netns "$(BUILD)"

test-package: $(BINS)
	@bash tests/run-layer.sh package "$(BUILD)"

test-interop: $(BINS) $(ASAN_BINS) $(BPF_OBJS)
	@bash tests/run-layer.sh interop "$(BUILD)"

test-cluster: $(CLUSTER_BINS) $(BINS)
	@bash tests/run-layer.sh cluster "$(BUILD)"

test-fuzz: $(FUZZ_BINS)
	@bash tests/run-layer.sh fuzz "$(BUILD)"

fuzz: $(FUZZ_BINS)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-600} bash tests/run-layer.sh fuzz "$(BUILD)"

demo: deps
	@$(MAKE) --no-print-directory $(BINS) $(BPF_OBJS)
	@bash tests/lab/demo.sh "$(BUILD)"

bench: deps
	@$(MAKE) --no-print-directory $(BINS) $(BPF_OBJS) $(BENCH_BINS)
	@bash bench/run.sh "$(BUILD)"

FORMAT_SRCS = $(shell { git ls-files '*.c' '*.h' 2>/dev/null || \
		find bpf include user tests bench -name '*.[ch]'; } | grep -v '^vmlinux/')
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "== format: every C file follows .clang-format"

# No include cycle between headers, no call cycle between the files of a
# library (tools/check-cycles.py reads the built objects with nm).
check-structure: $(LIBCOMMON) $(LIBCLIENT) $(LIBRSIPD) $(LIBRSIPC)
	@python3 tools/check-cycles.py "$(BUILD)"

# Every packet rule written once: the XDP programs and the slow path share
# include/rsip/rules/ (what the script checks is in its header).
check-rules:
	@bash tools/check-rules-once.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
