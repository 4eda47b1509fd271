/* cpu_mmu.c - Sv32 address translation (privileged spec 4.3), the software TLB, and the slow
 * paths of loads, stores and atomics (page-crossing and misaligned accesses, MMIO). */
#include "semu/cpu_internal.h"

#include <string.h>

#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)

static const uint32_t page_fault_cause[3] = {RV_EXC_INSN_PAGE, RV_EXC_LOAD_PAGE,
					     RV_EXC_STORE_PAGE};
static const uint32_t access_fault_cause[3] = {RV_EXC_INSN_ACCESS, RV_EXC_LOAD_ACCESS,
					       RV_EXC_STORE_ACCESS};

void rv_tlb_flush(struct rv_cpu *cpu)
{
	uint32_t gen = (cpu->tlb_gen >> RV_TLB_GEN_SHIFT) + 1;
	if (gen >= RV_TLB_GEN_LIMIT) {
		memset(cpu->tlb, 0xFF, sizeof(cpu->tlb));
		gen = 0;
	}
	cpu->tlb_gen = gen << RV_TLB_GEN_SHIFT;
}

/* Host pointer for [pa, pa+len) if it lies entirely in RAM, else NULL. */
static uint8_t *ram_ptr(const struct rv_cpu *cpu, uint64_t pa, unsigned len)
{
	if (pa < cpu->env.ram_base)
		return NULL;
	uint64_t off = pa - cpu->env.ram_base;
	if (off + len > cpu->env.ram_size)
		return NULL;
	return cpu->env.ram + off;
}

static int fault(struct rv_cpu *cpu, uint32_t cause, uint32_t va)
{
	cpu->exc_tval = va;
	return RV_MEM_EXC(cause);
}

static struct rv_tlbe *tlb_array(struct rv_cpu *cpu, int acc)
{
	return acc == RV_ACC_FETCH ? cpu->tlb_fetch
	       : acc == RV_ACC_LOAD ? cpu->tlb_load
				    : cpu->tlb_store;
}

/* Translate va for an access of kind acc in the current regime; on success store the physical
 * address in *pa and, when the page is RAM, cache it in the TLB. */
static int translate(struct rv_cpu *cpu, uint32_t va, int acc, uint64_t *pa)
{
	enum rv_priv priv = cpu->priv;
	if (acc != RV_ACC_FETCH && priv == RV_PRIV_M && (cpu->mstatus & MSTATUS_MPRV))
		priv = (cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
	uint64_t phys;
	if (priv == RV_PRIV_M || !(cpu->satp & SATP_MODE_SV32)) {
		phys = va;
	} else {
		/* Sv32 walk, privileged spec 4.3.2. */
		uint64_t table = (uint64_t)(cpu->satp & SATP_PPN_MASK) << 12;
		uint32_t pte = 0;
		uint8_t *pte_host = NULL;
		int level;
		for (level = 1; level >= 0; level--) {
			uint32_t idx = level ? va >> 22 : (va >> 12) & 0x3FF;
			pte_host = ram_ptr(cpu, table + idx * 4u, 4);
			if (!pte_host)
				return fault(cpu, access_fault_cause[acc], va);
			memcpy(&pte, pte_host, 4);
			if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)))
				return fault(cpu, page_fault_cause[acc], va);
			if (pte & (PTE_R | PTE_X))
				break;
			table = (uint64_t)(pte >> 10) << 12;
		}
		if (level < 0)
			return fault(cpu, page_fault_cause[acc], va);
		/* Permission checks (4.3.1, 3.1.6.3). */
		bool ok;
		if (acc == RV_ACC_FETCH)
			ok = pte & PTE_X;
		else if (acc == RV_ACC_LOAD)
			ok = (pte & PTE_R) || ((cpu->mstatus & MSTATUS_MXR) && (pte & PTE_X));
		else
			ok = pte & PTE_W;
		if (pte & PTE_U) {
			if (priv == RV_PRIV_S &&
			    (acc == RV_ACC_FETCH || !(cpu->mstatus & MSTATUS_SUM)))
				ok = false;
		} else if (priv == RV_PRIV_U) {
			ok = false;
		}
		uint32_t ppn = pte >> 10;
		if (level == 1 && (ppn & 0x3FF))
			ok = false; /* misaligned superpage */
		if (!ok)
			return fault(cpu, page_fault_cause[acc], va);
		/* Hardware A/D update (4.3.1 step 7). */
		uint32_t want = PTE_A | (acc == RV_ACC_STORE ? PTE_D : 0);
		if ((pte & want) != want) {
			pte |= want;
			memcpy(pte_host, &pte, 4);
		}
		if (level == 1)
			phys = ((uint64_t)(ppn >> 10) << 22) | (va & 0x3FFFFF);
		else
			phys = ((uint64_t)ppn << 12) | (va & 0xFFF);
		if (phys >> 32)
			return fault(cpu, access_fault_cause[acc], va);
	}
	*pa = phys;
	uint8_t *page = ram_ptr(cpu, phys & ~(uint64_t)0xFFF, 4096);
	if (page) {
		struct rv_tlbe *e = &tlb_array(cpu, acc)[(va >> 12) & (RV_TLB_SIZE - 1)];
		e->tag = (va >> 12) | cpu->tlb_gen;
		e->host = page;
	}
	return RV_MEM_OK;
}

int rv_fetch_page(struct rv_cpu *cpu, uint32_t va, const uint8_t **host_page)
{
	uint32_t tag = (va >> 12) | cpu->tlb_gen;
	struct rv_tlbe *e = &cpu->tlb_fetch[(va >> 12) & (RV_TLB_SIZE - 1)];
	if (e->tag != tag) {
		uint64_t pa;
		int r = translate(cpu, va, RV_ACC_FETCH, &pa);
		if (r)
			return r;
		if (e->tag != tag) /* not RAM: we do not execute from MMIO */
			return fault(cpu, RV_EXC_INSN_ACCESS, va);
	}
	*host_page = e->host;
	return RV_MEM_OK;
}

static int mmio(struct rv_cpu *cpu, uint64_t pa, unsigned size, uint32_t *val, bool wr)
{
	if (!cpu->env.mmio || (pa >> 32))
		return -1;
	cpu->leave = true;
	return cpu->env.mmio(cpu->env.opaque, (uint32_t)pa, size, val, wr);
}

/* One access that does not cross a page. */
static int load_one(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t *val)
{
	uint64_t pa;
	int r = translate(cpu, va, RV_ACC_LOAD, &pa);
	if (r)
		return r;
	uint8_t *p = ram_ptr(cpu, pa, size);
	if (p) {
		uint32_t v = 0;
		memcpy(&v, p, size);
		*val = v;
		return RV_MEM_OK;
	}
	if (va & (size - 1))
		return fault(cpu, RV_EXC_LOAD_MISALIGNED, va);
	uint32_t v = 0;
	if (mmio(cpu, pa, size, &v, false))
		return fault(cpu, RV_EXC_LOAD_ACCESS, va);
	*val = size == 4 ? v : v & ((1u << (8 * size)) - 1);
	return RV_MEM_MMIO;
}

static int store_one(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t val)
{
	uint64_t pa;
	int r = translate(cpu, va, RV_ACC_STORE, &pa);
	if (r)
		return r;
	uint8_t *p = ram_ptr(cpu, pa, size);
	if (p) {
		memcpy(p, &val, size);
		return RV_MEM_OK;
	}
	if (va & (size - 1))
		return fault(cpu, RV_EXC_STORE_MISALIGNED, va);
	if (size < 4)
		val &= (1u << (8 * size)) - 1;
	if (mmio(cpu, pa, size, &val, true))
		return fault(cpu, RV_EXC_STORE_ACCESS, va);
	return RV_MEM_MMIO;
}

/* Misaligned accesses are performed in hardware (unprivileged spec 2.6). One that crosses a
 * page is split into bytes after both pages translate, so a fault reports the address of the
 * page that failed and a store is never half done. */
int rv_load_slow(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t *val)
{
	if ((va & 0xFFF) + size <= 4096)
		return load_one(cpu, va, size, val);
	uint64_t pa;
	int r = translate(cpu, va, RV_ACC_LOAD, &pa);
	if (!r)
		r = translate(cpu, (va + size - 1) & ~0xFFFu, RV_ACC_LOAD, &pa);
	if (r)
		return r;
	uint32_t v = 0;
	int ret = RV_MEM_OK;
	for (unsigned i = 0; i < size; i++) {
		uint32_t b;
		r = load_one(cpu, va + i, 1, &b);
		if (r > RV_MEM_MMIO)
			return r;
		ret |= r;
		v |= b << (8 * i);
	}
	*val = v;
	return ret;
}

int rv_store_slow(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t val)
{
	if ((va & 0xFFF) + size <= 4096)
		return store_one(cpu, va, size, val);
	uint64_t pa;
	int r = translate(cpu, va, RV_ACC_STORE, &pa);
	if (!r)
		r = translate(cpu, (va + size - 1) & ~0xFFFu, RV_ACC_STORE, &pa);
	if (r)
		return r;
	int ret = RV_MEM_OK;
	for (unsigned i = 0; i < size; i++) {
		r = store_one(cpu, va + i, 1, (val >> (8 * i)) & 0xFF);
		if (r > RV_MEM_MMIO)
			return r;
		ret |= r;
	}
	return ret;
}

int rv_amo(struct rv_cpu *cpu, uint32_t va, unsigned funct5, uint32_t src, uint32_t *old)
{
	if (va & 3)
		return fault(cpu, RV_EXC_STORE_MISALIGNED, va);
	uint64_t pa;
	int r = translate(cpu, va, RV_ACC_STORE, &pa);
	if (r)
		return r;
	uint8_t *p = ram_ptr(cpu, pa, 4);
	uint32_t v;
	if (p) {
		memcpy(&v, p, 4);
		uint32_t nv = rv_amo_op(funct5, v, src);
		memcpy(p, &nv, 4);
		*old = v;
		return RV_MEM_OK;
	}
	if (mmio(cpu, pa, 4, &v, false))
		return fault(cpu, RV_EXC_STORE_ACCESS, va);
	uint32_t nv = rv_amo_op(funct5, v, src);
	if (mmio(cpu, pa, 4, &nv, true))
		return fault(cpu, RV_EXC_STORE_ACCESS, va);
	*old = v;
	return RV_MEM_MMIO;
}

int rv_lr(struct rv_cpu *cpu, uint32_t va, uint32_t *val)
{
	if (va & 3)
		return fault(cpu, RV_EXC_LOAD_MISALIGNED, va);
	int r = load_one(cpu, va, 4, val);
	if (r <= RV_MEM_MMIO) {
		cpu->resv_valid = true;
		cpu->resv_addr = va;
	}
	return r;
}

int rv_sc(struct rv_cpu *cpu, uint32_t va, uint32_t val, uint32_t *result)
{
	if (va & 3)
		return fault(cpu, RV_EXC_STORE_MISALIGNED, va);
	bool match = cpu->resv_valid && cpu->resv_addr == va;
	cpu->resv_valid = false;
	if (!match) {
		*result = 1;
		return RV_MEM_OK;
	}
	int r = store_one(cpu, va, 4, val);
	if (r <= RV_MEM_MMIO)
		*result = 0;
	return r;
}
