/* cpu_csr.c - the control and status registers of the hart (privileged spec chapters 2, 3
 * and 4): access checks, WARL masking, delegation views (sstatus/sie/sip) and counters. */
#include "semu/cpu_internal.h"

/* misa: MXL=1 (32-bit), extensions A, I, M, S, U. */
#define MISA_VALUE ((1u << 30) | (1u << 0) | (1u << 8) | (1u << 12) | (1u << 18) | (1u << 20))
#define MIE_MASK MIP_ALL
/* Bits of mip that M-mode software may write (3.1.9); the others follow device lines. */
#define MIP_SW_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)

static uint64_t read_time(struct rv_cpu *cpu)
{
	return cpu->env.time ? cpu->env.time(cpu->env.opaque) : cpu->instret;
}

/* Counter CSRs 0xC00-0xC1F and their high halves 0xC80-0xC9F: visible below M only when the
 * matching bit of mcounteren (and for U, scounteren) is set (3.1.11, 4.1.4). */
static bool counter_allowed(const struct rv_cpu *cpu, unsigned csr)
{
	uint32_t bit = 1u << (csr & 0x1F);
	if (cpu->priv < RV_PRIV_M && !(cpu->mcounteren & bit))
		return false;
	if (cpu->priv < RV_PRIV_S && !(cpu->scounteren & bit))
		return false;
	return true;
}

static void apply_mip(struct rv_cpu *cpu, uint32_t mask, uint32_t val)
{
	atomic_fetch_and(&cpu->mip, ~mask | val);
	atomic_fetch_or(&cpu->mip, val & mask);
}

bool rv_csr_read(struct rv_cpu *cpu, unsigned csr, uint32_t *val)
{
	if (((csr >> 8) & 3) > (unsigned)cpu->priv)
		return false;
	uint32_t v = 0;
	switch (csr) {
	/* Unprivileged counters. */
	case 0xC00: case 0xC80: /* cycle, cycleh */
	case 0xC01: case 0xC81: /* time, timeh */
	case 0xC02: case 0xC82: /* instret, instreth */ {
		if (!counter_allowed(cpu, csr))
			return false;
		uint64_t c = (csr & 0x1F) == 1   ? read_time(cpu)
			     : (csr & 0x1F) == 0 ? cpu->instret + cpu->cycle_offset
						 : cpu->instret;
		v = (csr & 0x80) ? (uint32_t)(c >> 32) : (uint32_t)c;
		break;
	}
	/* Supervisor. */
	case 0x100: v = cpu->mstatus & SSTATUS_MASK; break; /* sstatus */
	case 0x104: v = cpu->mie & cpu->mideleg; break;     /* sie */
	case 0x105: v = cpu->stvec; break;
	case 0x106: v = cpu->scounteren; break;
	case 0x10A: v = 0; break; /* senvcfg: no optional features */
	case 0x140: v = cpu->sscratch; break;
	case 0x141: v = cpu->sepc; break;
	case 0x142: v = cpu->scause; break;
	case 0x143: v = cpu->stval; break;
	case 0x144: v = atomic_load(&cpu->mip) & cpu->mideleg; break; /* sip */
	case 0x180: /* satp */
		if (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM))
			return false;
		v = cpu->satp;
		break;
	/* Machine information. */
	case 0xF11: case 0xF12: case 0xF13: case 0xF14: case 0xF15: v = 0; break;
	/* Machine trap setup and handling. */
	case 0x300: v = cpu->mstatus; break;
	case 0x301: v = MISA_VALUE; break;
	case 0x302: v = cpu->medeleg; break;
	case 0x303: v = cpu->mideleg; break;
	case 0x304: v = cpu->mie; break;
	case 0x305: v = cpu->mtvec; break;
	case 0x306: v = cpu->mcounteren; break;
	case 0x30A: case 0x31A: v = 0; break; /* menvcfg, menvcfgh */
	case 0x310: v = 0; break;             /* mstatush: little-endian, no extra bits */
	case 0x320: v = 0; break;             /* mcountinhibit: counters always run */
	case 0x340: v = cpu->mscratch; break;
	case 0x341: v = cpu->mepc; break;
	case 0x342: v = cpu->mcause; break;
	case 0x343: v = cpu->mtval; break;
	case 0x344: v = atomic_load(&cpu->mip); break;
	case 0xB00: v = (uint32_t)(cpu->instret + cpu->cycle_offset); break;
	case 0xB80: v = (uint32_t)((cpu->instret + cpu->cycle_offset) >> 32); break;
	case 0xB02: v = (uint32_t)cpu->instret; break;
	case 0xB82: v = (uint32_t)(cpu->instret >> 32); break;
	default:
		if (csr >= 0xC03 && csr <= 0xC1F) { /* hpmcounter3..31 */
			if (!counter_allowed(cpu, csr))
				return false;
		} else if (csr >= 0xC83 && csr <= 0xC9F) {
			if (!counter_allowed(cpu, csr))
				return false;
		} else if ((csr >= 0xB03 && csr <= 0xB1F) || (csr >= 0xB83 && csr <= 0xB9F) ||
			   (csr >= 0x323 && csr <= 0x33F) || (csr >= 0x3A0 && csr <= 0x3EF)) {
			/* mhpmcounter/mhpmevent read zero; no PMP entries: pmpcfg/pmpaddr are
			 * read-only zero (3.7). */
		} else {
			return false;
		}
		v = 0;
		break;
	}
	*val = v;
	return true;
}

bool rv_csr_write(struct rv_cpu *cpu, unsigned csr, uint32_t val)
{
	if (((csr >> 8) & 3) > (unsigned)cpu->priv || (csr >> 10) == 3)
		return false;
	switch (csr) {
	case 0x100: { /* sstatus */
		uint32_t old = cpu->mstatus;
		cpu->mstatus = (old & ~SSTATUS_MASK) | (val & SSTATUS_MASK);
		if ((old ^ cpu->mstatus) & MSTATUS_MXR)
			rv_tlb_flush(cpu);
		rv_mode_changed(cpu);
		break;
	}
	case 0x104: cpu->mie = (cpu->mie & ~cpu->mideleg) | (val & cpu->mideleg); break;
	case 0x105: cpu->stvec = (val & 3) >= 2 ? val & ~3u : val; break;
	case 0x106: cpu->scounteren = val; break;
	case 0x10A: break;
	case 0x140: cpu->sscratch = val; break;
	case 0x141: cpu->sepc = val & ~3u; break;
	case 0x142: cpu->scause = val; break;
	case 0x143: cpu->stval = val; break;
	case 0x144: apply_mip(cpu, MIP_SSIP & cpu->mideleg, val); break; /* sip */
	case 0x180: /* satp: no ASID bits implemented (ASIDLEN = 0) */
		if (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM))
			return false;
		cpu->satp = val & (SATP_MODE_SV32 | SATP_PPN_MASK);
		rv_tlb_flush(cpu);
		rv_mode_changed(cpu);
		break;
	case 0x300: { /* mstatus */
		uint32_t old = cpu->mstatus;
		uint32_t nv = (old & ~MSTATUS_WMASK) | (val & MSTATUS_WMASK);
		if (((nv & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) /* MPP is WARL: 2 is reserved */
			nv = (nv & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
		cpu->mstatus = nv;
		if ((old ^ nv) & MSTATUS_MXR)
			rv_tlb_flush(cpu);
		rv_mode_changed(cpu);
		break;
	}
	case 0x301: break; /* misa: fixed */
	case 0x302: cpu->medeleg = val & MEDELEG_MASK; break;
	case 0x303: cpu->mideleg = val & MIDELEG_MASK; break;
	case 0x304: cpu->mie = val & MIE_MASK; break;
	case 0x305: cpu->mtvec = (val & 3) >= 2 ? val & ~3u : val; break;
	case 0x306: cpu->mcounteren = val; break;
	case 0x30A: case 0x31A: case 0x310: case 0x320: break;
	case 0x340: cpu->mscratch = val; break;
	case 0x341: cpu->mepc = val & ~3u; break;
	case 0x342: cpu->mcause = val; break;
	case 0x343: cpu->mtval = val; break;
	case 0x344: apply_mip(cpu, MIP_SW_MASK, val); break;
	case 0xB00: { /* mcycle: keep instret, move the offset */
		uint64_t c = cpu->instret + cpu->cycle_offset;
		c = (c & 0xFFFFFFFF00000000ull) | val;
		cpu->cycle_offset = c - cpu->instret;
		break;
	}
	case 0xB80: {
		uint64_t c = cpu->instret + cpu->cycle_offset;
		c = (c & 0xFFFFFFFFull) | ((uint64_t)val << 32);
		cpu->cycle_offset = c - cpu->instret;
		break;
	}
	case 0xB02: cpu->instret = (cpu->instret & 0xFFFFFFFF00000000ull) | val; break;
	case 0xB82: cpu->instret = (cpu->instret & 0xFFFFFFFFull) | ((uint64_t)val << 32); break;
	default:
		if ((csr >= 0xB03 && csr <= 0xB1F) || (csr >= 0xB83 && csr <= 0xB9F) ||
		    (csr >= 0x323 && csr <= 0x33F) || (csr >= 0x3A0 && csr <= 0x3EF))
			break;
		return false;
	}
	cpu->leave = true; /* interrupt enables or translation may have changed */
	return true;
}
