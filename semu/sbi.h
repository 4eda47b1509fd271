/* sbi.h - the RISC-V Supervisor Binary Interface implemented by the emulator itself (no
 * firmware): the kernel runs in S-mode and its ECALLs land here (SBI spec 2.0). */
#ifndef SEMU_SBI_H
#define SEMU_SBI_H

#include <stdint.h>

#include "vsnd/gmem.h"

/* Extension ids (a7). */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_GETCHAR 0x02
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_FENCE_I 0x05
#define SBI_EXT_LEGACY_SFENCE_VMA 0x06
#define SBI_EXT_LEGACY_SFENCE_VMA_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494d45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_EXT_HSM 0x48534d
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_DBCN 0x4442434e

/* Error codes (a0), SBI spec 3.2. */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

#define SBI_SPEC_VERSION 0x02000000u /* 2.0: major in bits 24-30, minor in 0-23 */
/* Implementation id: not a registered one (the spec's table lists 0-10); a private value. */
#define SBI_IMPL_ID 0x76736e64u      /* 'vsnd' */
#define SBI_IMPL_VERSION 1u

/* SRST (spec 10): reset types and reasons. */
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1
#define SBI_SRST_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_FAILURE 1

#define SBI_HSM_STARTED 0

/* What the SBI needs from the machine. Every callback may be NULL (then that effect is
 * skipped). The single hart is hart 0. */
struct sbi_host {
	void *opaque;
	void (*set_timer)(void *opaque, uint64_t stime); /* also clears a pending STIP */
	void (*putchar)(void *opaque, uint8_t ch);
	int (*getchar)(void *opaque);                     /* -1 when no input is waiting */
	void (*reset)(void *opaque, uint32_t type, uint32_t reason); /* stop the machine */
	void (*set_ssip)(void *opaque, int level);        /* IPI to hart 0 */
	void (*fence)(void *opaque);                      /* remote fence.i / sfence.vma on hart 0 */
	void (*suspend)(void *opaque);                    /* retentive suspend: wait for an irq */
	const struct vsnd_gmem *mem;                      /* for DBCN; NULL = DBCN absent */
};

/* One SBI call. a[0..7] are the hart's a0..a7 on ECALL; on return a[0] (error) and a[1]
 * (value) hold what goes back into a0/a1. Legacy extensions return only a[0] and leave a[1]. */
void sbi_call(const struct sbi_host *h, uint32_t a[8]);

#endif
