/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv/backend-kvm.h - what the KVM backend's files share: the split
 * irqchip (backend-kvm-irq.c) for backend-kvm.c.
 */
#ifndef VMAIN_MONITOR_HV_BACKEND_KVM_H
#define VMAIN_MONITOR_HV_BACKEND_KVM_H

#include "hv/hv.h"

/* Frees what irqchip->enable made (before the VM fd is closed). */
void kvm_irqchip_destroy(struct hv_vm *vm);

extern const struct hv_irqchip_ops kvm_irqchip_ops;

#endif
