/* cpu.c - the RV32IMA interpreter of one hart: decode and execute, traps and interrupts with
 * delegation (privileged spec 3.1.6-3.1.9, 3.3), xRET/WFI/SFENCE.VMA, and the public API. */
#include "semu/cpu_internal.h"

#include <stdlib.h>
#include <string.h>

/* Instructions run between two looks at asynchronous events (interrupt lines set by other
 * threads, halt requests). Events raised by the hart itself are seen immediately. */
#define RV_BLOCK 4096

enum { BLOCK_RAN = 0, BLOCK_WFI = 1 };

static unsigned bank_of(const struct rv_cpu *cpu, enum rv_priv priv, bool fetch)
{
	if (priv == RV_PRIV_M || !(cpu->satp & SATP_MODE_SV32))
		return RV_BANK_BARE;
	if (priv == RV_PRIV_U)
		return RV_BANK_U;
	return (!fetch && (cpu->mstatus & MSTATUS_SUM)) ? RV_BANK_S_SUM : RV_BANK_S;
}

void rv_mode_changed(struct rv_cpu *cpu)
{
	enum rv_priv dpriv = cpu->priv;
	if (dpriv == RV_PRIV_M && (cpu->mstatus & MSTATUS_MPRV))
		dpriv = (cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
	cpu->tlb_fetch = cpu->tlb[bank_of(cpu, cpu->priv, true)][RV_ACC_FETCH];
	unsigned db = bank_of(cpu, dpriv, false);
	cpu->tlb_load = cpu->tlb[db][RV_ACC_LOAD];
	cpu->tlb_store = cpu->tlb[db][RV_ACC_STORE];
	cpu->leave = true;
}

void rv_trap(struct rv_cpu *cpu, uint32_t cause, bool interrupt, uint32_t tval)
{
	uint32_t deleg = interrupt ? cpu->mideleg : cpu->medeleg;
	uint32_t mcause = cause | (interrupt ? 0x80000000u : 0);
	uint32_t st = cpu->mstatus;
	uint32_t vec;
	cpu->resv_valid = false;
	if (cpu->priv <= RV_PRIV_S && ((deleg >> cause) & 1)) {
		cpu->scause = mcause;
		cpu->sepc = cpu->pc;
		cpu->stval = tval;
		st = (st & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) |
		     ((st & MSTATUS_SIE) ? MSTATUS_SPIE : 0) |
		     (cpu->priv == RV_PRIV_S ? MSTATUS_SPP : 0);
		cpu->priv = RV_PRIV_S;
		vec = cpu->stvec;
	} else {
		cpu->mcause = mcause;
		cpu->mepc = cpu->pc;
		cpu->mtval = tval;
		st = (st & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) |
		     ((st & MSTATUS_MIE) ? MSTATUS_MPIE : 0) |
		     ((uint32_t)cpu->priv << MSTATUS_MPP_SHIFT);
		cpu->priv = RV_PRIV_M;
		vec = cpu->mtvec;
	}
	cpu->mstatus = st;
	cpu->pc = (vec & ~3u) + ((interrupt && (vec & 3) == 1) ? 4 * cause : 0);
	rv_mode_changed(cpu);
}

/* Take the highest-priority pending and enabled interrupt, if any (3.1.9). */
static void check_interrupts(struct rv_cpu *cpu)
{
	uint32_t pend = atomic_load_explicit(&cpu->mip, memory_order_acquire) & cpu->mie;
	if (!pend)
		return;
	uint32_t m = pend & ~cpu->mideleg;
	uint32_t s = pend & cpu->mideleg;
	bool m_on = cpu->priv < RV_PRIV_M || (cpu->mstatus & MSTATUS_MIE);
	bool s_on = cpu->priv < RV_PRIV_S ||
		    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_SIE));
	uint32_t take = (m && m_on) ? m : (s && s_on) ? s : 0;
	if (!take)
		return;
	static const uint8_t order[] = {RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI,
					RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI};
	for (unsigned i = 0; i < sizeof(order); i++) {
		if (take & (1u << order[i])) {
			rv_trap(cpu, order[i], true, 0);
			return;
		}
	}
}

static inline uint32_t imm_i(uint32_t insn) { return (uint32_t)((int32_t)insn >> 20); }
static inline uint32_t imm_s(uint32_t insn)
{
	return (uint32_t)(((int32_t)insn >> 20) & ~0x1F) | ((insn >> 7) & 0x1F);
}
static inline uint32_t imm_b(uint32_t insn)
{
	return (uint32_t)(((int32_t)insn >> 19) & ~0xFFF) | ((insn << 4) & 0x800) |
	       ((insn >> 20) & 0x7E0) | ((insn >> 7) & 0x1E);
}
static inline uint32_t imm_j(uint32_t insn)
{
	return (uint32_t)(((int32_t)insn >> 11) & ~0xFFFFF) | (insn & 0xFF000) |
	       ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7FE);
}

static uint32_t muldiv(unsigned f3, uint32_t a, uint32_t b)
{
	switch (f3) {
	case 0: return a * b;
	case 1: return (uint32_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32);
	case 2: return (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int64_t)b) >> 32);
	case 3: return (uint32_t)(((uint64_t)a * b) >> 32);
	case 4: /* DIV: unprivileged spec 13.2 for /0 and overflow */
		if (b == 0)
			return 0xFFFFFFFFu;
		if (a == 0x80000000u && b == 0xFFFFFFFFu)
			return a;
		return (uint32_t)((int32_t)a / (int32_t)b);
	case 5: return b ? a / b : 0xFFFFFFFFu;
	case 6:
		if (b == 0)
			return a;
		if (a == 0x80000000u && b == 0xFFFFFFFFu)
			return 0;
		return (uint32_t)((int32_t)a % (int32_t)b);
	default: return b ? a % b : a;
	}
}

static inline uint32_t extend_load(unsigned f3, uint32_t raw)
{
	switch (f3) {
	case 0: return (uint32_t)(int32_t)(int8_t)raw;
	case 1: return (uint32_t)(int32_t)(int16_t)raw;
	default: return raw;
	}
}

/* Execute up to *left instructions; stops early when a mode change, trap, CSR write, MMIO
 * access or WFI asks for it. */
static int run_block(struct rv_cpu *cpu, uint64_t *left)
{
	uint32_t *const x = cpu->x;
	struct rv_tlbe *const tl = cpu->tlb_load;
	struct rv_tlbe *const ts = cpu->tlb_store;
	uint32_t pc = cpu->pc;
	uint32_t fetch_vpn = RV_TLB_INVALID;
	const uint8_t *fetch_page = NULL;
	uint64_t n = *left;
	int status = BLOCK_RAN;
	int r;

#define EXCEPTION(cause, tval)                         \
	do {                                           \
		cpu->pc = pc;                          \
		rv_trap(cpu, (cause), false, (tval)); \
		goto trapped;                          \
	} while (0)
#define ILLEGAL() EXCEPTION(RV_EXC_ILLEGAL, insn)
#define MEM_FAIL(r) EXCEPTION((uint32_t)(r) - 2, cpu->exc_tval)

	cpu->leave = false;
	if (RV_UNLIKELY(pc & 3)) {
		rv_trap(cpu, RV_EXC_INSN_MISALIGNED, false, pc);
		*left = n - 1;
		return BLOCK_RAN;
	}
	for (; n; n--) {
		if (RV_UNLIKELY((pc >> 12) != fetch_vpn)) {
			r = rv_fetch_page(cpu, pc, &fetch_page);
			if (r)
				MEM_FAIL(r);
			fetch_vpn = pc >> 12;
		}
		uint32_t insn;
		memcpy(&insn, fetch_page + (pc & 0xFFF), 4);
		cpu->instret++;
		const unsigned rd = (insn >> 7) & 31;
		const unsigned rs1 = (insn >> 15) & 31;
		const unsigned rs2 = (insn >> 20) & 31;
		const unsigned f3 = (insn >> 12) & 7;

		switch (insn & 0x7F) {
		case 0x37: /* LUI */
			x[rd] = insn & 0xFFFFF000u;
			pc += 4;
			break;
		case 0x17: /* AUIPC */
			x[rd] = pc + (insn & 0xFFFFF000u);
			pc += 4;
			break;
		case 0x6F: { /* JAL */
			uint32_t t = pc + imm_j(insn);
			if (RV_UNLIKELY(t & 3))
				EXCEPTION(RV_EXC_INSN_MISALIGNED, t);
			x[rd] = pc + 4;
			pc = t;
			break;
		}
		case 0x67: { /* JALR */
			if (f3)
				ILLEGAL();
			uint32_t t = (x[rs1] + imm_i(insn)) & ~1u;
			if (RV_UNLIKELY(t & 3))
				EXCEPTION(RV_EXC_INSN_MISALIGNED, t);
			x[rd] = pc + 4;
			pc = t;
			break;
		}
		case 0x63: { /* branches */
			uint32_t a = x[rs1], b = x[rs2];
			bool take;
			switch (f3) {
			case 0: take = a == b; break;
			case 1: take = a != b; break;
			case 4: take = (int32_t)a < (int32_t)b; break;
			case 5: take = (int32_t)a >= (int32_t)b; break;
			case 6: take = a < b; break;
			case 7: take = a >= b; break;
			default: ILLEGAL();
			}
			if (take) {
				uint32_t t = pc + imm_b(insn);
				if (RV_UNLIKELY(t & 3))
					EXCEPTION(RV_EXC_INSN_MISALIGNED, t);
				pc = t;
			} else {
				pc += 4;
			}
			break;
		}
		case 0x03: { /* loads */
			if (f3 == 3 || f3 >= 6)
				ILLEGAL();
			uint32_t a = x[rs1] + imm_i(insn);
			unsigned size = 1u << (f3 & 3);
			const struct rv_tlbe *e = &tl[(a >> 12) & (RV_TLB_SIZE - 1)];
			uint32_t v;
			if (RV_LIKELY(e->vpn == (a >> 12) && (a & 0xFFF) <= 4096 - size)) {
				const uint8_t *p = e->host + (a & 0xFFF);
				switch (f3) {
				case 0: v = (uint32_t)(int32_t)(int8_t)*p; break;
				case 4: v = *p; break;
				case 1: {
					int16_t h;
					memcpy(&h, p, 2);
					v = (uint32_t)(int32_t)h;
					break;
				}
				case 5: {
					uint16_t h;
					memcpy(&h, p, 2);
					v = h;
					break;
				}
				default: memcpy(&v, p, 4); break;
				}
				x[rd] = v;
				pc += 4;
			} else {
				r = rv_load_slow(cpu, a, size, &v);
				if (r > RV_MEM_MMIO)
					MEM_FAIL(r);
				x[rd] = extend_load(f3, v);
				pc += 4;
				if (cpu->leave)
					goto out;
			}
			break;
		}
		case 0x23: { /* stores */
			if (f3 >= 3)
				ILLEGAL();
			uint32_t a = x[rs1] + imm_s(insn);
			unsigned size = 1u << f3;
			const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];
			uint32_t v = x[rs2];
			if (RV_LIKELY(e->vpn == (a >> 12) && (a & 0xFFF) <= 4096 - size)) {
				uint8_t *p = e->host + (a & 0xFFF);
				if (f3 == 0)
					*p = (uint8_t)v;
				else if (f3 == 1)
					memcpy(p, &v, 2);
				else
					memcpy(p, &v, 4);
				pc += 4;
			} else {
				r = rv_store_slow(cpu, a, size, v);
				if (r > RV_MEM_MMIO)
					MEM_FAIL(r);
				pc += 4;
				if (cpu->leave)
					goto out;
			}
			break;
		}
		case 0x13: { /* OP-IMM */
			uint32_t a = x[rs1], imm = imm_i(insn);
			uint32_t v;
			switch (f3) {
			case 0: v = a + imm; break;
			case 2: v = (int32_t)a < (int32_t)imm; break;
			case 3: v = a < imm; break;
			case 4: v = a ^ imm; break;
			case 6: v = a | imm; break;
			case 7: v = a & imm; break;
			case 1:
				if (insn >> 25)
					ILLEGAL();
				v = a << rs2;
				break;
			default:
				if ((insn >> 25) == 0)
					v = a >> rs2;
				else if ((insn >> 25) == 0x20)
					v = (uint32_t)((int32_t)a >> rs2);
				else
					ILLEGAL();
				break;
			}
			x[rd] = v;
			pc += 4;
			break;
		}
		case 0x33: { /* OP */
			uint32_t a = x[rs1], b = x[rs2];
			uint32_t v;
			switch (((insn >> 22) & 0x3F8) | f3) { /* funct7 << 3 | funct3 */
			case 0x000: v = a + b; break;
			case 0x100: v = a - b; break;
			case 0x001: v = a << (b & 31); break;
			case 0x002: v = (int32_t)a < (int32_t)b; break;
			case 0x003: v = a < b; break;
			case 0x004: v = a ^ b; break;
			case 0x005: v = a >> (b & 31); break;
			case 0x105: v = (uint32_t)((int32_t)a >> (b & 31)); break;
			case 0x006: v = a | b; break;
			case 0x007: v = a & b; break;
			case 0x008: case 0x009: case 0x00A: case 0x00B:
			case 0x00C: case 0x00D: case 0x00E: case 0x00F:
				v = muldiv(f3, a, b);
				break;
			default: ILLEGAL();
			}
			x[rd] = v;
			pc += 4;
			break;
		}
		case 0x0F: /* FENCE, FENCE.I: one hart, no instruction cache to flush */
			if (f3 > 1)
				ILLEGAL();
			pc += 4;
			break;
		case 0x2F: { /* A extension */
			unsigned f5 = insn >> 27;
			uint32_t a = x[rs1];
			uint32_t v;
			if (f3 != 2)
				ILLEGAL();
			if (f5 == 0x02) { /* LR.W */
				if (rs2)
					ILLEGAL();
				const struct rv_tlbe *e = &tl[(a >> 12) & (RV_TLB_SIZE - 1)];
				if (RV_LIKELY(!(a & 3) && e->vpn == (a >> 12))) {
					memcpy(&v, e->host + (a & 0xFFF), 4);
					cpu->resv_valid = true;
					cpu->resv_addr = a;
					r = RV_MEM_OK;
				} else {
					r = rv_lr(cpu, a, &v);
				}
			} else if (f5 == 0x03) { /* SC.W */
				const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];
				if (RV_LIKELY(!(a & 3) && e->vpn == (a >> 12))) {
					if (cpu->resv_valid && cpu->resv_addr == a) {
						memcpy(e->host + (a & 0xFFF), &x[rs2], 4);
						v = 0;
					} else {
						v = 1;
					}
					cpu->resv_valid = false;
					r = RV_MEM_OK;
				} else {
					r = rv_sc(cpu, a, x[rs2], &v);
				}
			} else {
				switch (f5) {
				case 0x00: case 0x01: case 0x04: case 0x08: case 0x0C:
				case 0x10: case 0x14: case 0x18: case 0x1C:
					break;
				default: ILLEGAL();
				}
				const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];
				if (RV_LIKELY(!(a & 3) && e->vpn == (a >> 12))) {
					uint8_t *p = e->host + (a & 0xFFF);
					memcpy(&v, p, 4);
					uint32_t nv = rv_amo_op(f5, v, x[rs2]);
					memcpy(p, &nv, 4);
					r = RV_MEM_OK;
				} else {
					r = rv_amo(cpu, a, f5, x[rs2], &v);
				}
			}
			if (r > RV_MEM_MMIO)
				MEM_FAIL(r);
			x[rd] = v;
			pc += 4;
			if (r)
				goto out;
			break;
		}
		case 0x73: /* SYSTEM */
			if (f3 == 0) {
				switch (insn) {
				case 0x00000073: /* ECALL */
					if (cpu->priv == RV_PRIV_S && cpu->env.sbi) {
						cpu->pc = pc;
						cpu->env.sbi(cpu->env.opaque, cpu);
						pc = cpu->pc + 4;
						goto out;
					}
					EXCEPTION(cpu->priv == RV_PRIV_U   ? RV_EXC_ECALL_U
						  : cpu->priv == RV_PRIV_S ? RV_EXC_ECALL_S
									   : RV_EXC_ECALL_M,
						  0);
				case 0x00100073: /* EBREAK */
					EXCEPTION(RV_EXC_BREAKPOINT, pc);
				case 0x30200073: { /* MRET */
					if (cpu->priv != RV_PRIV_M)
						ILLEGAL();
					uint32_t st = cpu->mstatus;
					enum rv_priv np = (st & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
					st = (st & ~(MSTATUS_MIE | MSTATUS_MPP)) | MSTATUS_MPIE |
					     ((st & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
					if (np != RV_PRIV_M)
						st &= ~MSTATUS_MPRV;
					cpu->mstatus = st;
					cpu->priv = np;
					pc = cpu->mepc;
					rv_mode_changed(cpu);
					goto out;
				}
				case 0x10200073: { /* SRET */
					if (cpu->priv == RV_PRIV_U ||
					    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TSR)))
						ILLEGAL();
					uint32_t st = cpu->mstatus;
					enum rv_priv np = (st & MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
					st = (st & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) |
					     MSTATUS_SPIE | ((st & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
					cpu->mstatus = st;
					cpu->priv = np;
					pc = cpu->sepc;
					rv_mode_changed(cpu);
					goto out;
				}
				case 0x10500073: /* WFI */
					if (cpu->priv == RV_PRIV_U ||
					    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TW)))
						ILLEGAL();
					pc += 4;
					if (!rv_cpu_irq_pending(cpu))
						status = BLOCK_WFI;
					goto out;
				default:
					if ((insn >> 25) == 0x09 && rd == 0) { /* SFENCE.VMA */
						if (cpu->priv == RV_PRIV_U ||
						    (cpu->priv == RV_PRIV_S &&
						     (cpu->mstatus & MSTATUS_TVM)))
							ILLEGAL();
						rv_tlb_flush(cpu);
						rv_mode_changed(cpu);
						pc += 4;
						goto out;
					}
					ILLEGAL();
				}
			} else if (f3 != 4) { /* Zicsr */
				unsigned csr = insn >> 20;
				uint32_t src = (f3 & 4) ? rs1 : x[rs1];
				uint32_t old = 0;
				if ((f3 & 3) == 1) {
					if (rd && !rv_csr_read(cpu, csr, &old))
						ILLEGAL();
					if (!rv_csr_write(cpu, csr, src))
						ILLEGAL();
				} else {
					if (!rv_csr_read(cpu, csr, &old))
						ILLEGAL();
					if (rs1 && !rv_csr_write(cpu, csr,
								 (f3 & 3) == 2 ? old | src
									       : old & ~src))
						ILLEGAL();
				}
				x[rd] = old;
				pc += 4;
				if (cpu->leave)
					goto out;
			} else {
				ILLEGAL();
			}
			break;
		default:
			ILLEGAL();
		}
		x[0] = 0;
	}
	cpu->pc = pc;
	*left = 0;
	return BLOCK_RAN;
out: /* leave after a completed instruction */
	x[0] = 0;
	cpu->pc = pc;
	*left = n - 1;
	return status;
trapped: /* the trapping instruction counts against the budget */
	*left = n - 1;
	return BLOCK_RAN;
#undef EXCEPTION
#undef ILLEGAL
#undef MEM_FAIL
}

struct rv_cpu *rv_cpu_new(const struct rv_cpu_env *env)
{
	struct rv_cpu *cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return NULL;
	cpu->env = *env;
	atomic_init(&cpu->mip, 0);
	atomic_init(&cpu->halt_req, false);
	rv_cpu_reset(cpu, RV_PRIV_M, env->ram_base, 0, 0);
	return cpu;
}

void rv_cpu_free(struct rv_cpu *cpu)
{
	free(cpu);
}

void rv_cpu_reset(struct rv_cpu *cpu, enum rv_priv priv, uint32_t pc, uint32_t a0, uint32_t a1)
{
	memset(cpu->x, 0, sizeof(cpu->x));
	cpu->x[10] = a0;
	cpu->x[11] = a1;
	cpu->pc = pc;
	cpu->priv = priv;
	cpu->mstatus = 0;
	cpu->mie = 0;
	cpu->medeleg = cpu->mideleg = 0;
	cpu->mtvec = cpu->stvec = 0;
	cpu->mepc = cpu->sepc = 0;
	cpu->mcause = cpu->scause = 0;
	cpu->mtval = cpu->stval = 0;
	cpu->mscratch = cpu->sscratch = 0;
	cpu->satp = 0;
	cpu->mcounteren = cpu->scounteren = 0;
	cpu->instret = 0;
	cpu->cycle_offset = 0;
	cpu->resv_valid = false;
	atomic_store(&cpu->mip, 0);
	rv_tlb_flush(cpu);
	rv_mode_changed(cpu);
}

enum rv_run_exit rv_cpu_run(struct rv_cpu *cpu, uint64_t budget)
{
	uint64_t left = budget;
	while (left) {
		if (atomic_exchange_explicit(&cpu->halt_req, false, memory_order_acq_rel))
			return RV_EXIT_HALT;
		check_interrupts(cpu);
		uint64_t chunk = left < RV_BLOCK ? left : RV_BLOCK;
		uint64_t rem = chunk;
		int st = run_block(cpu, &rem);
		left -= chunk - rem;
		if (st == BLOCK_WFI)
			return RV_EXIT_WFI;
	}
	if (atomic_exchange_explicit(&cpu->halt_req, false, memory_order_acq_rel))
		return RV_EXIT_HALT;
	return RV_EXIT_BUDGET;
}

void rv_cpu_set_irq(struct rv_cpu *cpu, int irq_bit, bool level)
{
	if (irq_bit < 0 || irq_bit > 31)
		return;
	if (level)
		atomic_fetch_or_explicit(&cpu->mip, 1u << irq_bit, memory_order_release);
	else
		atomic_fetch_and_explicit(&cpu->mip, ~(1u << irq_bit), memory_order_release);
}

bool rv_cpu_irq_pending(struct rv_cpu *cpu)
{
	return (atomic_load_explicit(&cpu->mip, memory_order_acquire) & cpu->mie) != 0;
}

void rv_cpu_halt(struct rv_cpu *cpu)
{
	atomic_store_explicit(&cpu->halt_req, true, memory_order_release);
}

uint32_t rv_cpu_reg(const struct rv_cpu *cpu, unsigned idx)
{
	return idx < 32 ? cpu->x[idx] : 0;
}

void rv_cpu_set_reg(struct rv_cpu *cpu, unsigned idx, uint32_t val)
{
	if (idx > 0 && idx < 32)
		cpu->x[idx] = val;
}

uint32_t rv_cpu_pc(const struct rv_cpu *cpu)
{
	return cpu->pc;
}

uint64_t rv_cpu_instret(const struct rv_cpu *cpu)
{
	return cpu->instret;
}
