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

/* Dispatch key of an instruction: opcode (bits 0-6) and funct3 (bits 7-9). */
#define KEY(op, f3) ((op) | ((f3) << 7))
#define KEY_ALL_F3(op, label)                                                       \
	[KEY(op, 0)] = &&label, [KEY(op, 1)] = &&label, [KEY(op, 2)] = &&label,     \
	[KEY(op, 3)] = &&label, [KEY(op, 4)] = &&label, [KEY(op, 5)] = &&label,     \
	[KEY(op, 6)] = &&label, [KEY(op, 7)] = &&label

/* Execute up to *left instructions; stops early when a mode change, trap, CSR write, MMIO
 * access or WFI asks for it. Threaded code: every handler ends with its own fetch and
 * indirect jump, so the host predicts each guest instruction's successor separately. */
static int run_block(struct rv_cpu *cpu, uint64_t *left)
{
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
	static const void *const dispatch[1024] = {
		[0 ... 1023] = &&op_illegal,
		KEY_ALL_F3(0x37, op_lui),
		KEY_ALL_F3(0x17, op_auipc),
		KEY_ALL_F3(0x6F, op_jal),
		[KEY(0x67, 0)] = &&op_jalr,
		[KEY(0x63, 0)] = &&op_beq,
		[KEY(0x63, 1)] = &&op_bne,
		[KEY(0x63, 4)] = &&op_blt,
		[KEY(0x63, 5)] = &&op_bge,
		[KEY(0x63, 6)] = &&op_bltu,
		[KEY(0x63, 7)] = &&op_bgeu,
		[KEY(0x03, 0)] = &&op_lb,
		[KEY(0x03, 1)] = &&op_lh,
		[KEY(0x03, 2)] = &&op_lw,
		[KEY(0x03, 4)] = &&op_lbu,
		[KEY(0x03, 5)] = &&op_lhu,
		[KEY(0x23, 0)] = &&op_sb,
		[KEY(0x23, 1)] = &&op_sh,
		[KEY(0x23, 2)] = &&op_sw,
		[KEY(0x13, 0)] = &&op_addi,
		[KEY(0x13, 1)] = &&op_slli,
		[KEY(0x13, 2)] = &&op_slti,
		[KEY(0x13, 3)] = &&op_sltiu,
		[KEY(0x13, 4)] = &&op_xori,
		[KEY(0x13, 5)] = &&op_srxi,
		[KEY(0x13, 6)] = &&op_ori,
		[KEY(0x13, 7)] = &&op_andi,
		[KEY(0x33, 0)] = &&op_add,
		[KEY(0x33, 1)] = &&op_sll,
		[KEY(0x33, 2)] = &&op_slt,
		[KEY(0x33, 3)] = &&op_sltu,
		[KEY(0x33, 4)] = &&op_xor,
		[KEY(0x33, 5)] = &&op_srx,
		[KEY(0x33, 6)] = &&op_or,
		[KEY(0x33, 7)] = &&op_and,
		[KEY(0x0F, 0)] = &&op_fence,
		[KEY(0x0F, 1)] = &&op_fence,
		[KEY(0x2F, 2)] = &&op_amo,
		[KEY(0x73, 0)] = &&op_system,
		[KEY(0x73, 1)] = &&op_csr,
		[KEY(0x73, 2)] = &&op_csr,
		[KEY(0x73, 3)] = &&op_csr,
		[KEY(0x73, 5)] = &&op_csr,
		[KEY(0x73, 6)] = &&op_csr,
		[KEY(0x73, 7)] = &&op_csr,
	};
#if defined(__clang__)
#pragma clang diagnostic pop
#else
#pragma GCC diagnostic pop
#endif
	uint32_t *const x = cpu->x;
	struct rv_tlbe *const tl = cpu->tlb_load;
	struct rv_tlbe *const ts = cpu->tlb_store;
	const uint32_t gen = cpu->tlb_gen; /* a flush always ends the block */
	uint32_t pc = cpu->pc;
	uint32_t fetch_vpn = RV_TLB_INVALID;
	const uint8_t *fetch_page = NULL;
	const uint64_t n0 = *left;
	const uint64_t instret0 = cpu->instret;
	uint64_t n = n0; /* instructions left, counting the current one */
	int status = BLOCK_RAN;
	uint32_t insn;
	int r;

#define RD ((insn >> 7) & 31)
#define RS1 ((insn >> 15) & 31)
#define RS2 ((insn >> 20) & 31)
/* instret counts the current instruction from its start */
#define SYNC_INSTRET() (cpu->instret = instret0 + (n0 - n) + 1)
#define NEXT()                                                   \
	do {                                                     \
		x[0] = 0;                                        \
		if (RV_UNLIKELY(--n == 0))                       \
			goto budget_done;                        \
		if (RV_UNLIKELY((pc >> 12) != fetch_vpn))        \
			goto fetch_miss;                         \
		memcpy(&insn, fetch_page + (pc & 0xFFF), 4);     \
		goto *dispatch[(insn & 0x7F) | ((insn >> 5) & 0x380)]; \
	} while (0)
#define EXCEPTION(cause, tval)                         \
	do {                                           \
		SYNC_INSTRET();                        \
		cpu->pc = pc;                          \
		rv_trap(cpu, (cause), false, (tval)); \
		*left = n - 1;                         \
		return BLOCK_RAN;                      \
	} while (0)
#define MEM_FAIL(r) EXCEPTION((uint32_t)(r) - 2, cpu->exc_tval)
#define LEAVE()              \
	do {                 \
		x[0] = 0;    \
		goto leave;  \
	} while (0)

	cpu->leave = false;
	if (RV_UNLIKELY(pc & 3)) {
		cpu->instret++;
		rv_trap(cpu, RV_EXC_INSN_MISALIGNED, false, pc);
		*left = n - 1;
		return BLOCK_RAN;
	}
	if (!n)
		return BLOCK_RAN;

fetch_miss:
	r = rv_fetch_page(cpu, pc, &fetch_page);
	if (r) {
		/* nothing was executed: the fault belongs to the fetch */
		cpu->instret = instret0 + (n0 - n);
		cpu->pc = pc;
		rv_trap(cpu, (uint32_t)r - 2, false, cpu->exc_tval);
		*left = n - 1;
		return BLOCK_RAN;
	}
	fetch_vpn = pc >> 12;
	memcpy(&insn, fetch_page + (pc & 0xFFF), 4);
	goto *dispatch[(insn & 0x7F) | ((insn >> 5) & 0x380)];

op_illegal:
	EXCEPTION(RV_EXC_ILLEGAL, insn);

op_lui:
	x[RD] = insn & 0xFFFFF000u;
	pc += 4;
	NEXT();
op_auipc:
	x[RD] = pc + (insn & 0xFFFFF000u);
	pc += 4;
	NEXT();
op_jal: {
	uint32_t t = pc + imm_j(insn);
	if (RV_UNLIKELY(t & 3))
		EXCEPTION(RV_EXC_INSN_MISALIGNED, t);
	x[RD] = pc + 4;
	pc = t;
	NEXT();
}
op_jalr: {
	uint32_t t = (x[RS1] + imm_i(insn)) & ~1u;
	if (RV_UNLIKELY(t & 3))
		EXCEPTION(RV_EXC_INSN_MISALIGNED, t);
	x[RD] = pc + 4;
	pc = t;
	NEXT();
}

#define BRANCH(label, cond)                                            \
	label : {                                                      \
		uint32_t a = x[RS1], b = x[RS2];                       \
		if (cond) {                                            \
			uint32_t t = pc + imm_b(insn);                 \
			if (RV_UNLIKELY(t & 3))                        \
				EXCEPTION(RV_EXC_INSN_MISALIGNED, t);  \
			pc = t;                                        \
		} else {                                               \
			pc += 4;                                       \
		}                                                      \
		NEXT();                                                \
	}
	BRANCH(op_beq, a == b)
	BRANCH(op_bne, a != b)
	BRANCH(op_blt, (int32_t)a < (int32_t)b)
	BRANCH(op_bge, (int32_t)a >= (int32_t)b)
	BRANCH(op_bltu, a < b)
	BRANCH(op_bgeu, a >= b)

/* Loads and stores: TLB hit on a RAM page and no page crossing, else the slow path. */
#define LOAD(label, size, ctype, f3)                                                   \
	label : {                                                                      \
		uint32_t a = x[RS1] + imm_i(insn);                                     \
		const struct rv_tlbe *e = &tl[(a >> 12) & (RV_TLB_SIZE - 1)];          \
		if (RV_LIKELY(e->tag == ((a >> 12) | gen) && (a & 0xFFF) <= 4096 - (size))) {  \
			ctype v;                                                       \
			memcpy(&v, e->host + (a & 0xFFF), size);                       \
			x[RD] = (uint32_t)v;                                           \
			pc += 4;                                                       \
			NEXT();                                                        \
		}                                                                      \
		uint32_t v;                                                            \
		SYNC_INSTRET();                                                        \
		r = rv_load_slow(cpu, a, size, &v);                                    \
		if (r > RV_MEM_MMIO)                                                   \
			MEM_FAIL(r);                                                   \
		x[RD] = extend_load(f3, v);                                            \
		pc += 4;                                                               \
		if (cpu->leave)                                                        \
			LEAVE();                                                       \
		NEXT();                                                                \
	}
	LOAD(op_lb, 1, int8_t, 0)
	LOAD(op_lh, 2, int16_t, 1)
	LOAD(op_lw, 4, uint32_t, 2)
	LOAD(op_lbu, 1, uint8_t, 4)
	LOAD(op_lhu, 2, uint16_t, 5)

#define STORE(label, size, ctype)                                                      \
	label : {                                                                      \
		uint32_t a = x[RS1] + imm_s(insn);                                     \
		const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];          \
		if (RV_LIKELY(e->tag == ((a >> 12) | gen) && (a & 0xFFF) <= 4096 - (size))) {  \
			ctype v = (ctype)x[RS2];                                       \
			memcpy(e->host + (a & 0xFFF), &v, size);                       \
			pc += 4;                                                       \
			NEXT();                                                        \
		}                                                                      \
		SYNC_INSTRET();                                                        \
		r = rv_store_slow(cpu, a, size, x[RS2]);                               \
		if (r > RV_MEM_MMIO)                                                   \
			MEM_FAIL(r);                                                   \
		pc += 4;                                                               \
		if (cpu->leave)                                                        \
			LEAVE();                                                       \
		NEXT();                                                                \
	}
	STORE(op_sb, 1, uint8_t)
	STORE(op_sh, 2, uint16_t)
	STORE(op_sw, 4, uint32_t)

#define ALU_IMM(label, expr)                       \
	label : {                                  \
		uint32_t a = x[RS1];               \
		uint32_t imm = imm_i(insn);        \
		(void)imm;                         \
		x[RD] = (expr);                    \
		pc += 4;                           \
		NEXT();                            \
	}
	ALU_IMM(op_addi, a + imm)
	ALU_IMM(op_slti, (int32_t)a < (int32_t)imm)
	ALU_IMM(op_sltiu, a < imm)
	ALU_IMM(op_xori, a ^ imm)
	ALU_IMM(op_ori, a | imm)
	ALU_IMM(op_andi, a & imm)
op_slli:
	if (RV_UNLIKELY(insn >> 25))
		goto op_illegal;
	x[RD] = x[RS1] << RS2;
	pc += 4;
	NEXT();
op_srxi:
	if ((insn >> 25) == 0)
		x[RD] = x[RS1] >> RS2;
	else if ((insn >> 25) == 0x20)
		x[RD] = (uint32_t)((int32_t)x[RS1] >> RS2);
	else
		goto op_illegal;
	pc += 4;
	NEXT();

/* OP: funct7 0 is the base op, 0x20 the alternative (SUB, SRA), 1 the M extension. */
#define ALU_REG(label, f3, base, alt)                                  \
	label : {                                                      \
		uint32_t a = x[RS1], b = x[RS2];                       \
		uint32_t f7 = insn >> 25;                              \
		if (RV_LIKELY(f7 == 0))                                \
			x[RD] = (base);                                \
		else if (f7 == 1)                                      \
			x[RD] = muldiv(f3, a, b);                      \
		else if (f7 == 0x20 && (f3 == 0 || f3 == 5))           \
			x[RD] = (alt);                                 \
		else                                                   \
			goto op_illegal;                               \
		pc += 4;                                               \
		NEXT();                                                \
	}
	ALU_REG(op_add, 0, a + b, a - b)
	ALU_REG(op_sll, 1, a << (b & 31), 0)
	ALU_REG(op_slt, 2, (int32_t)a < (int32_t)b, 0)
	ALU_REG(op_sltu, 3, a < b, 0)
	ALU_REG(op_xor, 4, a ^ b, 0)
	ALU_REG(op_srx, 5, a >> (b & 31), (uint32_t)((int32_t)a >> (b & 31)))
	ALU_REG(op_or, 6, a | b, 0)
	ALU_REG(op_and, 7, a & b, 0)

op_fence: /* FENCE, FENCE.I: one hart, no instruction cache to flush */
	pc += 4;
	NEXT();

op_amo: {
	unsigned f5 = insn >> 27;
	uint32_t a = x[RS1];
	uint32_t v;
	if (f5 == 0x02) { /* LR.W */
		if (RS2)
			goto op_illegal;
		const struct rv_tlbe *e = &tl[(a >> 12) & (RV_TLB_SIZE - 1)];
		if (RV_LIKELY(!(a & 3) && e->tag == ((a >> 12) | gen))) {
			memcpy(&v, e->host + (a & 0xFFF), 4);
			cpu->resv_valid = true;
			cpu->resv_addr = a;
			r = RV_MEM_OK;
		} else {
			SYNC_INSTRET();
			r = rv_lr(cpu, a, &v);
		}
	} else if (f5 == 0x03) { /* SC.W */
		const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];
		if (RV_LIKELY(!(a & 3) && e->tag == ((a >> 12) | gen))) {
			if (cpu->resv_valid && cpu->resv_addr == a) {
				memcpy(e->host + (a & 0xFFF), &x[RS2], 4);
				v = 0;
			} else {
				v = 1;
			}
			cpu->resv_valid = false;
			r = RV_MEM_OK;
		} else {
			SYNC_INSTRET();
			r = rv_sc(cpu, a, x[RS2], &v);
		}
	} else {
		switch (f5) {
		case 0x00: case 0x01: case 0x04: case 0x08: case 0x0C:
		case 0x10: case 0x14: case 0x18: case 0x1C:
			break;
		default:
			goto op_illegal;
		}
		const struct rv_tlbe *e = &ts[(a >> 12) & (RV_TLB_SIZE - 1)];
		if (RV_LIKELY(!(a & 3) && e->tag == ((a >> 12) | gen))) {
			uint8_t *p = e->host + (a & 0xFFF);
			memcpy(&v, p, 4);
			uint32_t nv = rv_amo_op(f5, v, x[RS2]);
			memcpy(p, &nv, 4);
			r = RV_MEM_OK;
		} else {
			SYNC_INSTRET();
			r = rv_amo(cpu, a, f5, x[RS2], &v);
		}
	}
	if (r > RV_MEM_MMIO)
		MEM_FAIL(r);
	x[RD] = v;
	pc += 4;
	if (r)
		LEAVE();
	NEXT();
}

op_csr: { /* Zicsr */
	unsigned csr = insn >> 20;
	unsigned f3 = (insn >> 12) & 7;
	uint32_t src = (f3 & 4) ? RS1 : x[RS1];
	uint32_t old = 0;
	SYNC_INSTRET();
	if ((f3 & 3) == 1) {
		if (RD && !rv_csr_read(cpu, csr, &old))
			goto op_illegal;
		if (!rv_csr_write(cpu, csr, src))
			goto op_illegal;
	} else {
		if (!rv_csr_read(cpu, csr, &old))
			goto op_illegal;
		if (RS1 && !rv_csr_write(cpu, csr, (f3 & 3) == 2 ? old | src : old & ~src))
			goto op_illegal;
	}
	x[RD] = old;
	pc += 4;
	if (cpu->leave)
		LEAVE();
	NEXT();
}

op_system:
	SYNC_INSTRET();
	switch (insn) {
	case 0x00000073: /* ECALL */
		if (cpu->priv == RV_PRIV_S && cpu->env.sbi) {
			cpu->pc = pc;
			cpu->env.sbi(cpu->env.opaque, cpu);
			pc = cpu->pc + 4;
			LEAVE();
		}
		EXCEPTION(cpu->priv == RV_PRIV_U   ? RV_EXC_ECALL_U
			  : cpu->priv == RV_PRIV_S ? RV_EXC_ECALL_S
						   : RV_EXC_ECALL_M,
			  0);
	case 0x00100073: /* EBREAK */
		EXCEPTION(RV_EXC_BREAKPOINT, pc);
	case 0x30200073: { /* MRET */
		if (cpu->priv != RV_PRIV_M)
			goto op_illegal;
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
		LEAVE();
	}
	case 0x10200073: { /* SRET */
		if (cpu->priv == RV_PRIV_U ||
		    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TSR)))
			goto op_illegal;
		uint32_t st = cpu->mstatus;
		enum rv_priv np = (st & MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
		st = (st & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | MSTATUS_SPIE |
		     ((st & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
		cpu->mstatus = st;
		cpu->priv = np;
		pc = cpu->sepc;
		rv_mode_changed(cpu);
		LEAVE();
	}
	case 0x10500073: /* WFI */
		if (cpu->priv == RV_PRIV_U ||
		    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TW)))
			goto op_illegal;
		pc += 4;
		if (!rv_cpu_irq_pending(cpu))
			status = BLOCK_WFI;
		LEAVE();
	default:
		if ((insn >> 25) == 0x09 && RD == 0) { /* SFENCE.VMA */
			if (cpu->priv == RV_PRIV_U ||
			    (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM)))
				goto op_illegal;
			rv_tlb_flush(cpu);
			rv_mode_changed(cpu);
			pc += 4;
			LEAVE();
		}
		goto op_illegal;
	}

budget_done: /* every instruction of the budget ran */
	cpu->instret = instret0 + n0;
	cpu->pc = pc;
	*left = 0;
	return BLOCK_RAN;
leave: /* after a completed instruction that changed something the block depends on;
	* every path here has already synced instret (a CSR write may have set it) */
	cpu->pc = pc;
	*left = n - 1;
	return status;
#undef RD
#undef RS1
#undef RS2
#undef SYNC_INSTRET
#undef NEXT
#undef EXCEPTION
#undef MEM_FAIL
#undef LEAVE
#undef BRANCH
#undef LOAD
#undef STORE
#undef ALU_IMM
#undef ALU_REG
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
	if (priv != RV_PRIV_M) {
		/* No M-mode firmware runs: start as an SBI firmware hands the hart to a kernel,
		 * with every exception S can handle and the S interrupts delegated and the
		 * cycle/time/instret counters readable from S. */
		cpu->medeleg = MEDELEG_MASK & ~(1u << RV_EXC_ECALL_S);
		cpu->mideleg = MIDELEG_MASK;
		cpu->mcounteren = 0x7;
	}
	cpu->instret = 0;
	cpu->cycle_offset = 0;
	cpu->resv_valid = false;
	atomic_store(&cpu->mip, 0);
	memset(cpu->tlb, 0xFF, sizeof(cpu->tlb));
	cpu->tlb_gen = 0;
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
