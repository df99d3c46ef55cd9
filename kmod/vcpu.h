/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcpu.h - services of the engine-neutral layer to the engines' exit
 * handlers: CPUID and MSR answers, port I/O and MMIO exits, exception
 * injection, and the entry check.
 */
#ifndef VMAIN_KMOD_VCPU_H
#define VMAIN_KMOD_VCPU_H

#include "vm.h"

#define VMAIN_VCPU_MMAP_PAGES	2

/* vcpu.c */
/* With IRQs off, right before entry: false if the vCPU must not enter. */
bool vmain_vcpu_enter_check(struct vmain_vcpu *vcpu);
void vmain_vcpu_free(struct vmain_vcpu *vcpu);

/*
 * Exceptions that push an error code in protected mode (SDM Vol. 3A,
 * 6.13, Table 6-1): #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP.
 */
static inline bool vmain_exception_has_error(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) ||
	       vector == 17 || vector == 21;
}

/* Queues an exception for the next entry (replacing a pending one). */
static inline void vmain_queue_exception(struct vmain_vcpu *vcpu, u8 vector,
					 bool has_error, u32 error)
{
	vcpu->exc_pending = true;
	vcpu->exc_vector = vector;
	vcpu->exc_has_error = has_error;
	vcpu->exc_error = error;
}

/*
 * switch.c: host state that neither VMRUN/#VMEXIT nor VM entry/exit
 * switches: debug registers and PKRU.  With interrupts off, right before
 * the entry and right after the exit.  guest_dr7 is the DR7 the entry
 * loads; dr6_in_vcpu: the engine has no guest DR6 field (VT-x), so
 * vcpu->dr6 is loaded and saved here; host_dr6_dirty (after the exit):
 * the hardware DR6 may hold a guest value.
 */
struct vmain_host_save {
	u32 pkru;
	bool db_loaded;
};
void vmain_switch_to_guest(struct vmain_vcpu *vcpu, struct vmain_host_save *h,
			   u64 guest_dr7, bool dr6_in_vcpu);
void vmain_switch_to_host(struct vmain_vcpu *vcpu, struct vmain_host_save *h,
			  bool dr6_in_vcpu, bool host_dr6_dirty);

/*
 * switch.c: TSC_AUX.  load: with interrupts off before an entry, puts
 * the guest's value in the register until this CPU next returns to user
 * space.  drop: on the CPU itself, when virtualization goes off there
 * (no notifier may outlive the module).
 */
void vmain_tsc_aux_load(u64 guest);
void vmain_tsc_aux_drop(void);

/* state.c */
int vmain_check_state(const struct vmain_sregs *s, u64 rflags);

/* cpuid.c */
long vmain_cpuid_set(struct vmain_vcpu *vcpu, void __user *uarg);
long vmain_cpuid_get(struct vmain_vcpu *vcpu, void __user *uarg);
/* Answers CPUID for the guest: gprs r[0] (EAX) and r[1] (ECX) in, out. */
/* The table's entry for (function, index), or NULL. */
const struct vmain_cpuid_entry *vmain_cpuid_lookup(const struct vmain_vcpu *vcpu,
						   u32 function, u32 index);
void vmain_cpuid_answer(struct vmain_vcpu *vcpu, struct vmain_gprs *g, u64 cr4);

/* msr.c */
void vmain_vcpu_reset_neutral(struct vmain_vcpu *vcpu);
long vmain_msrs_ioctl(struct vmain_vcpu *vcpu, void __user *uarg, bool set);
int vmain_msr_check_apic_base(u64 value);
/* The host's XCR0, or x87|SSE on a host without XSAVE (XGETBV is #UD). */
u64 vmain_host_xcr0(void);
int vmain_xcr0_check(u64 xcr0);
/*
 * A guest RDMSR/WRMSR: 0 done (*data filled for reads), 1 needs userspace
 * (run->exit.msr is set up; the RUN returns), -EPERM: inject #GP.
 */
int vmain_msr_guest_access(struct vmain_vcpu *vcpu, u32 index, bool write,
			   u64 *data, u64 next_rip);

/* emulate/io.c: a port I/O intercept. */
struct vmain_io_exit {
	u16 port;
	u8 size;		/* 1, 2 or 4 */
	bool in;
	bool string;
	bool rep;
	u64 next_rip;
};
/* 0: exit to userspace; 1: resume (nothing to do, or #PF injected). */
int vmain_io_exit(struct vmain_vcpu *vcpu, const struct vmain_io_exit *io);

/* emulate/mmio.c: a guest access to a non-RAM address. */
/* 0: exit to userspace; 1: resume; <0 never (errors become exits). */
int vmain_mmio_exit(struct vmain_vcpu *vcpu, u64 gpa, bool write,
		    const u8 *insn_bytes, unsigned int insn_len);
/*
 * emulate/mmio.c: the guest fetched code from a non-RAM address (`qual`:
 * the engine's fault qualification).  At CPL 0 an internal error
 * (VMAIN_INTERNAL_FETCH_NON_RAM: gpa, rip, 0, qual) and 0; at CPL > 0
 * #UD is queued and 1.
 */
int vmain_fetch_non_ram(struct vmain_vcpu *vcpu, u64 gpa, u64 qual);

/* emulate/complete.c: the next RUN finishes what the exit started. */
/* 1: ready to enter; 0/negative: return at once (already reported). */
int vmain_complete_user_exit(struct vmain_vcpu *vcpu);

/* Sets run->exit_reason = INTERNAL_ERROR with up to 4 data words. */
void vmain_internal_error(struct vmain_vcpu *vcpu, u32 suberror,
			  unsigned int ndata, u64 d0, u64 d1, u64 d2, u64 d3);

#endif
