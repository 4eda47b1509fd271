# vsndtrace top-level build. Out-of-tree into $(BUILD); every part is found by wildcard so a
# new file in vsnd/, trace/, replay/, semu/ or vsndtrace/ needs no edit here.
#   make            build the libraries, semu and vsndtrace
#   make check      build and run every test (unit, ISA, guest end-to-end, trace regression)
#   make SANITIZE=1 ASan+UBSan build (in build/san)      V=1 full command lines
#   make guest      build the RV32 Linux guest (cached outside the tree)
#   make bench      performance figures            make fuzz   libFuzzer targets

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC ?= cc
PKGS := sqlite3 sndfile alsa
# `make deps ...` installs the packages before anything below asks pkg-config about them, so
# that `make deps check` works on a fresh machine in one command.
ifneq ($(filter deps,$(MAKECMDGOALS)),)
DEPS_STATUS := $(shell .ci/install-deps >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error .ci/install-deps failed (see above))
endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS := $(shell pkg-config --libs criterion 2>/dev/null)
FDT_LIBS := -lfdt

OPT ?= -O2
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror $(OPT) -g -pthread -MMD -MP $(SANFLAGS)
CPPFLAGS_BASE = -I. -D_GNU_SOURCE $(PKG_CFLAGS)
ALL_CFLAGS = $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(CPPFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) $(FDT_LIBS) -lm -lpthread

VSND_SRC := $(wildcard vsnd/*.c)
TRACE_SRC := $(wildcard trace/*.c)
REPLAY_SRC := $(wildcard replay/*.c)
SEMU_LIB_SRC := $(filter-out semu/main.c,$(wildcard semu/*.c))
VSNDTRACE_SRC := $(wildcard vsndtrace/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_SUPPORT_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_VSND := $(BUILD)/libvsnd.a
LIB_TRACE := $(BUILD)/libtrace.a
LIB_REPLAY := $(BUILD)/libreplay.a
LIB_SEMU := $(BUILD)/libsemu.a
# Link order: higher layers first.
LIBS := $(LIB_REPLAY) $(LIB_TRACE) $(LIB_SEMU) $(LIB_VSND)

SEMU_BIN := $(BUILD)/semu
VSNDTRACE_BIN := $(BUILD)/vsndtrace
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# Keep intermediate objects (no "rm ..." after a run; rebuilds stay incremental).
.SECONDARY:

.PHONY: all check clean unit-tests tools
all: tools
tools: $(if $(wildcard semu/main.c),$(SEMU_BIN)) $(if $(VSNDTRACE_SRC),$(VSNDTRACE_BIN))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

define make_lib
$(1): $(call obj,$(2))
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^ $$(if $$^,,$$(BUILD)/empty.o)
endef

$(BUILD)/empty.o:
	@mkdir -p $(dir $@)
	$(Q)echo 'typedef int vsnd_empty_unit;' | $(CC) -x c -c - -o $@

$(eval $(call make_lib,$(LIB_VSND),$(VSND_SRC)))
$(eval $(call make_lib,$(LIB_TRACE),$(TRACE_SRC)))
$(eval $(call make_lib,$(LIB_REPLAY),$(REPLAY_SRC)))
$(eval $(call make_lib,$(LIB_SEMU),$(SEMU_LIB_SRC)))
$(LIB_VSND) $(LIB_TRACE) $(LIB_REPLAY) $(LIB_SEMU): | $(BUILD)/empty.o

$(SEMU_BIN): $(call obj,semu/main.c) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

$(VSNDTRACE_BIN): $(call obj,$(VSNDTRACE_SRC)) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $(call obj,$(VSNDTRACE_SRC)) $(LIBS) $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(UNIT_SUPPORT_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(call obj,$(UNIT_SUPPORT_SRC)) $(LIBS) $(CRIT_LIBS) $(LDLIBS_ALL)

$(BUILD)/obj/tests/unit/%.o: ALL_CFLAGS += $(CRIT_CFLAGS)

unit-tests: $(UNIT_BINS)

# Optional parts bring their own fragments (guest/guest.mk, tests/isa/isa.mk, bench/bench.mk, ...).
-include $(sort $(wildcard */*.mk tests/*/*.mk))

# check: every test, then one closing line "N passed, N failed".
check: tools unit-tests $(CHECK_DEPS)
	$(Q)BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run-checks.sh

# deps: the Debian packages of .ci/packages (apt-get as root; nothing to do when installed).
# The work happens while the Makefile is read (see DEPS_STATUS above).
.PHONY: deps
deps:
	@:

# demo: the main job on a real guest: record the built-in test signal, replay it with
# --verify, compare the replayed audio with what the guest played, print the timing stats.
DEMO := $(BUILD)/demo
.PHONY: demo
demo: tools guest
	@mkdir -p $(DEMO)
	$(VSNDTRACE_BIN) record -o $(DEMO)/session.db --sink wav:$(DEMO)/played.wav
	$(VSNDTRACE_BIN) replay $(DEMO)/session.db --verify --speed max --sink wav:$(DEMO)/replayed.wav
	cmp $(DEMO)/played.wav $(DEMO)/replayed.wav && echo "demo: replayed audio is identical to the recorded playback"
	$(VSNDTRACE_BIN) stats $(DEMO)/session.db

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
