# SPDX-License-Identifier: GPL-2.0
# memrec - build with `make`, test with `make check` (see README.md).

prefix ?= /usr/local
bindir ?= $(prefix)/bin
mandir ?= $(prefix)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g

# Minimum versions: the ones Debian 12 ships and memrec is tested with.
PKG_MIN := libtracefs:1.6 libtraceevent:1.7 libtracecmd:1.3 libdw:0.188 libelf:0.188 libzstd:1.4 \
	libprotobuf-c:1.4 zlib:1.2
PKGS := $(foreach p,$(PKG_MIN),$(firstword $(subst :, ,$(p))))

ifeq ($(filter clean,$(MAKECMDGOALS)),)
PKG_CHECK := $(foreach p,$(PKG_MIN),$(shell $(PKG_CONFIG) --atleast-version=$(lastword $(subst :, ,$(p))) \
	$(firstword $(subst :, ,$(p))) || echo $(p)))
ifneq ($(strip $(PKG_CHECK)),)
$(error missing or too old: $(PKG_CHECK); run scripts/install-deps.sh)
endif
ifeq ($(shell command -v $(or $(PROTOC_C),protoc-c)),)
$(error missing: protoc-c (Debian's protobuf-c-compiler); run scripts/install-deps.sh)
endif
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
TEP_PLUGIN_DIR := $(shell $(PKG_CONFIG) --variable=plugin_dir libtraceevent 2>/dev/null)

override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers -Iinclude -Ireport -Iproto $(PKG_CFLAGS) -MMD -MP
LDLIBS += $(PKG_LIBS) -lstdc++ -lpthread

ifneq ($(V),1)
Q := @
quiet = @printf '  %-8s %s\n' $(1) $(2);
endif

.DELETE_ON_ERROR:
.SUFFIXES:

# pprof's profile.proto (vendored from google/pprof), compiled by protoc-c at build time
PROTO_C := proto/profile.pb-c.c
PROTO_H := proto/profile.pb-c.h
LIB_SRC := $(wildcard lib/*.c record/*.c report/*.c report/*/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o) $(PROTO_C:.c=.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:.c=)
PROG_SRC := $(filter-out tests/progs/lib%.c,$(wildcard tests/progs/*.c))
PROG_BIN := $(PROG_SRC:.c=)
PROG_CXX_SRC := $(wildcard tests/progs/*.cc)
PROG_CXX_BIN := $(PROG_CXX_SRC:.cc=)
PROG_LIB_SRC := $(wildcard tests/progs/lib*.c)
PROG_LIB_SO := $(PROG_LIB_SRC:.c=.so)
PLUGIN := plugins/plugin_memrec.so

all: memrec $(PLUGIN)

memrec: memrec.o libmemrec.a
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

libmemrec.a: $(LIB_OBJ)
	$(call quiet,AR,$@)rm -f $@ && ar rcs $@ $^

%.o: %.c
	$(call quiet,CC,$@)$(CC) $(CFLAGS) -c -o $@ $<

PROTOC_C ?= protoc-c
$(PROTO_C) $(PROTO_H) &: proto/profile.proto
	$(call quiet,PROTOC,$<)$(PROTOC_C) --proto_path=proto --c_out=proto $<
# the writer includes the generated header: make it before any object is compiled
$(LIB_OBJ) memrec.o: | $(PROTO_H)

# The plugin carries the probe table it prints from; nothing else of memrec.
$(PLUGIN): plugins/plugin_memrec.c lib/probedefs.c
	$(call quiet,PLUGIN,$@)$(CC) $(CFLAGS) -fPIC -shared -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs libtraceevent)

tests/unit/test_%: tests/unit/test_%.c libmemrec.a tests/unit/mr_test.h
	$(call quiet,CC,$@)$(CC) $(CFLAGS) -Itests/unit -o $@ $< libmemrec.a $(LDLIBS)

# Test programs: frame pointers and no inlining, so their stacks are known.
PROG_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
	-fno-builtin -U_FORTIFY_SOURCE
tests/progs/lib%.so: tests/progs/lib%.c
	$(call quiet,CC,$@)$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $<
tests/progs/%: tests/progs/%.c
	$(call quiet,CC,$@)$(CC) $(PROG_CFLAGS) -o $@ $< -lpthread -ldl
tests/progs/%: tests/progs/%.cc
	$(call quiet,CXX,$@)$(CXX) $(PROG_CFLAGS) -o $@ $< -lpthread

# The same deep recursion without frame pointers, for --call-graph dwarf.
tests/progs/deep_leak_nofp: tests/progs/deep_leak.c
	$(call quiet,CC,$@)$(CC) $(PROG_CFLAGS) -fomit-frame-pointer -o $@ $<

progs: $(PROG_BIN) $(PROG_CXX_BIN) $(PROG_LIB_SO) tests/progs/deep_leak_nofp
unit: $(UNIT_BIN)

check: all unit progs
	$(Q)tests/run.sh

bench: all progs scripts/bench_reader
	$(Q)scripts/bench.sh

scripts/bench_reader: scripts/bench_reader.c libmemrec.a
	$(call quiet,CC,$@)$(CC) $(CFLAGS) -Irecord -o $@ $< libmemrec.a $(LDLIBS)

install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1
	install -m 755 memrec $(DESTDIR)$(bindir)/memrec
	install -m 644 docs/*.1 $(DESTDIR)$(mandir)/man1/ 2>/dev/null || true
	if [ -n "$(TEP_PLUGIN_DIR)" ]; then install -d $(DESTDIR)$(TEP_PLUGIN_DIR) && \
		install -m 644 $(PLUGIN) $(DESTDIR)$(TEP_PLUGIN_DIR)/; fi

uninstall:
	rm -f $(DESTDIR)$(bindir)/memrec $(DESTDIR)$(mandir)/man1/memrec*.1
	if [ -n "$(TEP_PLUGIN_DIR)" ]; then rm -f $(DESTDIR)$(TEP_PLUGIN_DIR)/plugin_memrec.so; fi

clean:
	rm -f memrec *.o */*.o */*/*.o libmemrec.a $(PLUGIN) $(UNIT_BIN) $(PROG_BIN) $(PROG_CXX_BIN) \
		tests/progs/deep_leak_nofp scripts/bench_reader \
		$(PROG_LIB_SO) *.d */*.d */*/*.d $(PROTO_C) $(PROTO_H)
	rm -rf tests/out

.PHONY: all check unit progs bench install uninstall clean

-include $(wildcard *.d */*.d */*/*.d)

# memrec-asan: the same program built with AddressSanitizer and UBSan, for
# the fuzz test (tests/file/test_fuzz.sh uses it when present). Its objects
# live under asan/, apart from the normal build's.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_OBJ := $(addprefix asan/,memrec.o $(LIB_OBJ))

asan: memrec-asan

memrec-asan: $(ASAN_OBJ)
	$(call quiet,LINK,$@)$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN_OBJ): | $(PROTO_H)
asan/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

# make check fuzzes the reader under the sanitizers too
check: asan
clean: clean-asan
clean-asan:
	rm -rf asan memrec-asan

.PHONY: asan clean-asan
-include $(wildcard asan/*/*.d asan/*/*/*.d asan/*/*/*/*.d)
