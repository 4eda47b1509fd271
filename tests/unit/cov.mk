# cov.mk - link flags of test_cov_fault (issue 7 coverage): failure and race paths of the
# device core reached through -Wl,--wrap wrappers defined in tests/unit/test_cov_fault.c.
$(BUILD)/tests/test_cov_fault: override LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=realloc \
	-Wl,--wrap=strdup -Wl,--wrap=pthread_create -Wl,--wrap=pthread_condattr_init \
	-Wl,--wrap=pthread_condattr_setclock -Wl,--wrap=pthread_mutex_trylock \
	-Wl,--wrap=pthread_mutex_unlock
