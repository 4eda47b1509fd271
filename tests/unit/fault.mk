# fault.mk - link flags of the fault-injection tests (issue 7): test_fault_alloc replaces
# malloc/calloc/realloc of the statically linked code (device, recorder, test support) with
# its counting wrappers.
$(BUILD)/tests/test_fault_alloc: override LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
# test_fault_device fails the device core's allocations and thread/lock set-up.
$(BUILD)/tests/test_fault_device: override LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc \
	-Wl,--wrap=realloc -Wl,--wrap=pthread_create -Wl,--wrap=pthread_mutex_init \
	-Wl,--wrap=pthread_cond_init
