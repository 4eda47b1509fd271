# fault.mk - link flags of the fault-injection tests (issue 7): test_fault_alloc replaces
# malloc/calloc/realloc of the statically linked code (device, recorder, test support) with
# its counting wrappers.
$(BUILD)/tests/test_fault_alloc: override LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
