# fuzz.mk - libFuzzer targets and their corpus regression replay.
# A target <name> is tests/fuzz/fuzz_<name>.c (defines LLVMFuzzerTestOneInput) plus any
# helper sources in tests/fuzz/<name>/*.c, with seeds in tests/fuzz/corpus/<name>/. The
# fuzzer build links the coverage-instrumented libraries the harness names on a comment line
# " * fuzz-libs: vsnd trace" (default: vsnd trace replay). Adding a target needs no edit here.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="vmmio ..."]   clang -fsanitize=fuzzer,address,
#       undefined; each target runs FUZZ_SECONDS, new inputs go to $(BUILD)/fuzz/corpus/<name>
#   make fuzz-ci        every target for FUZZ_SECONDS (60) in turn, as .ci/run does; a finding
#       (crash, leak, hang over FUZZ_TIMEOUT s, sanitizer report) does not stop the others;
#       exit 1 if there was any. The input is saved as $(BUILD)/fuzz/artifacts/<name>/crash-*:
#       copy it into tests/fuzz/corpus/<name>/ as found_<what> so tests/fuzz/run.sh replays it
#       in `make check` from then on.
#   make fuzz-replay    $(BUILD)/fuzz/replay_<name>: the harness with a plain main() that
#       feeds files, built with $(CC) and the normal flags (sanitized under SANITIZE=1); part
#       of `make check` through tests/fuzz/run.sh.
#   make fuzz-corpus    regenerate the seed corpora (tests/fuzz/gen_corpus_*.py).

FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 20
FUZZ_CC ?= clang
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_CFLAGS = $(CPPFLAGS_BASE) -std=gnu11 -Wall -Wextra -O1 -g -pthread -MMD -MP $(FUZZ_SAN)
FUZZ_LIB_DIRS := vsnd trace replay
fuzz_obj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))
fuzz_extra = $(wildcard tests/fuzz/$(1)/*.c)

# Library code instrumented for coverage (fuzzer-no-link), one archive per directory.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

define fuzz_lib
$(FUZZ_DIR)/lib$(1).a: $(call fuzz_obj,$(wildcard $(1)/*.c))
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^ $$(if $$^,,$$(BUILD)/empty.o)
$(FUZZ_DIR)/lib$(1).a: | $(BUILD)/empty.o
endef
$(foreach d,$(FUZZ_LIB_DIRS),$(eval $(call fuzz_lib,$(d))))
# Library directories of target $(1), higher layers first; their fuzzer and plain archives.
fuzz_dirs_of = $(foreach d,replay trace vsnd,$(if $(filter $(d),$(or $(shell sed -n \
	's/^ \* fuzz-libs: *//p' tests/fuzz/fuzz_$(1).c),$(FUZZ_LIB_DIRS))),$(d)))
fuzz_libs_of = $(foreach d,$(call fuzz_dirs_of,$(1)),$(FUZZ_DIR)/lib$(d).a)
plain_libs_of = $(foreach d,$(call fuzz_dirs_of,$(1)),$(BUILD)/lib$(d).a)

define fuzz_target
$(FUZZ_DIR)/fuzz_$(1): $(call fuzz_obj,tests/fuzz/fuzz_$(1).c $(call fuzz_extra,$(1))) $(call fuzz_libs_of,$(1))
	@$$(if $$(Q),echo "  FUZZLD  $$@")
	$$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$(filter %.o,$$^) $(call fuzz_libs_of,$(1)) $$(LDLIBS_ALL)

$(BUILD)/fuzz/replay_$(1): $(call obj,tests/fuzz/fuzz_$(1).c tests/fuzz/replay_main.c $(call fuzz_extra,$(1))) $(call plain_libs_of,$(1))
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(CFLAGS_BASE) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(call plain_libs_of,$(1)) $$(LDLIBS_ALL)

fuzz-run-$(1): $(FUZZ_DIR)/fuzz_$(1)
	@mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/artifacts/$(1)
	$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$$(FUZZ_SECONDS) -timeout=$$(FUZZ_TIMEOUT) \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)/ \
		$(FUZZ_DIR)/corpus/$(1) tests/fuzz/corpus/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

.PHONY: fuzz fuzz-build fuzz-replay fuzz-ci fuzz-corpus $(addprefix fuzz-run-,$(FUZZ_TARGETS))
fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
fuzz: fuzz-build $(addprefix fuzz-run-,$(FUZZ_TARGETS))
# One target after the other (the fuzzers are single-threaded; the machine has 2 cores). Every
# target runs even after a finding; the last line names the targets with findings (exit 1).
fuzz-ci: fuzz-build
	@start=$$(date +%s); found=; for t in $(FUZZ_TARGETS); do \
		$(MAKE) --no-print-directory fuzz-run-$$t FUZZ_SECONDS=$(FUZZ_SECONDS) \
			FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) || { echo "fuzz-ci: FINDING in $$t:" \
			$(FUZZ_DIR)/artifacts/$$t/*; found="$$found $$t"; }; \
	done; took=$$(( $$(date +%s) - start )); if [ -n "$$found" ]; then \
		echo "fuzz-ci: $(words $(FUZZ_TARGETS)) targets x $(FUZZ_SECONDS) s, FINDINGS in:$$found" \
			"($$took s); reproduce: $(FUZZ_DIR)/replay_<target> <artifact>"; exit 1; \
	else echo "fuzz-ci: $(words $(FUZZ_TARGETS)) targets x $(FUZZ_SECONDS) s, no findings," \
		"$$took s in all"; fi
fuzz-corpus:
	python3 tests/fuzz/gen_corpus_vmmio.py
	python3 tests/fuzz/gen_corpus_snd.py
	python3 tests/fuzz/gen_corpus_trace.py
fuzz-replay: $(addprefix $(BUILD)/fuzz/replay_,$(FUZZ_TARGETS))
CHECK_DEPS += fuzz-replay

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
