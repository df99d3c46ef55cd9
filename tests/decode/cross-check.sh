#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/decode/cross-check.sh - the x86 decoder (common/x86/) against GNU as.
#
# For each mode (16, 32, 64) it assembles a list of instructions with GNU as
# (.code16/.code32/.code64), one label before each, and has decode-lens
# decode every one: the decoder must find the assembler's length and the
# expected kind, or -EOPNOTSUPP for the valid instructions it does not
# support.  Memory operands are combined with every register and operand
# size.  Output is TAP; needs cc (or $CC), as, objcopy and nm (binutils).
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
say() { # say ok|not-ok DESC
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

if ! ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 \
	-I"$top/common" -I"$top/tests/lib" -o "$tmp/decode-lens" \
	"$top/tests/decode/decode-lens.c" "$top"/common/x86/*.c >"$tmp/cc.log" 2>&1; then
	say not-ok "build decode-lens"; sed 's/^/# /' "$tmp/cc.log"
	echo "1..$n"; exit 1
fi
say ok "build decode-lens"

# Prints "EXPECT<TAB>INSTRUCTION" lines.
emit() { printf '%s\t%s\n' "$1" "$2"; }

# Absolute operands with AL/AX/EAX are the moffs forms outside 64-bit mode.
is_acc() { case "$1" in %al|%ax|%eax) return 0 ;; esac; return 1; }
is_abs() { case "$1" in *"("*) return 1 ;; esac; return 0; }

# mov_combos MODE "REGS" "MEMS"
mov_combos() {
	for r in $2; do
		for m in $3; do
			if [ "$1" != 64 ] && is_acc "$r" && is_abs "$m"; then
				emit mov_store_moffs "mov $r,$m"
				emit mov_load_moffs "mov $m,$r"
			else
				emit mov_store "mov $r,$m"
				emit mov_load "mov $m,$r"
			fi
		done
	done
}

# alu_combos "REGS" "MEMS": the read-modify-write forms, every operand.
alu_combos() {
	for m in $2; do
		for r in $1; do
			emit alu_store "add $r,$m"
			emit alu_store "xor $r,$m"
			emit alu_store "test $r,$m"
			emit alu_load "or $m,$r"
			emit alu_load "cmp $m,$r"
			emit alu_load "sbb $m,$r"
			emit xchg "xchg $r,$m"
		done
		emit alu_imm "orb \$0x80,$m"
		emit alu_imm "andw \$0x7fff,$m"
		emit alu_imm "subl \$0x12345678,$m"
		emit alu_imm "adcw \$-2,$m"
		emit alu_imm "cmpl \$5,$m"
		emit alu_imm "testb \$1,$m"
		emit alu_imm "testl \$0x10000,$m"
	done
}

# mem_combos MODE "MEMS": MOV imm, MOVZX/MOVSX(D) with every operand.
mem_combos() {
	for m in $2; do
		emit mov_store_imm "movb \$0x12,$m"
		emit mov_store_imm "movw \$0x1234,$m"
		emit mov_store_imm "movl \$0x12345678,$m"
		emit movzx "movzbw $m,%ax"
		emit movzx "movzbl $m,%eax"
		emit movzx "movzwl $m,%ecx"
		emit movsx "movsbw $m,%dx"
		emit movsx "movsbl $m,%esi"
		emit movsx "movswl $m,%edi"
		if [ "$1" = 64 ]; then
			emit mov_store_imm "movq \$-5,$m"
			emit movzx "movzbq $m,%r9"
			emit movzx "movzwq $m,%rax"
			emit movsx "movsbq $m,%r11"
			emit movsx "movswq $m,%rbx"
			emit movsxd "movslq $m,%rax"
			emit movsxd "movslq $m,%r8"
		fi
	done
}

common_fixed() { # MODE
	for i in "stosb" "stosw" "stosl" "rep stosb" "rep stosw" "rep stosl"; do
		emit stos "$i"
	done
	for i in "movsb" "movsw" "movsl" "rep movsb" "rep movsl" "repnz movsb"; do
		emit movs "$i"
	done
	for i in "lodsb" "lodsw" "lodsl" "rep lodsb" "lodsb %es:(%esi),%al"; do
		emit lods "$i"
	done
	for i in "lock addl \$1,(%eax)" "lock xorb \$1,(%ebx)" "testl \$1,(%eax)"; do
		emit alu_imm "$i"
	done
	emit alu_store "lock orl %eax,(%ebx)"
	emit xchg "lock xchg %eax,(%ebx)"
	for i in "insb" "insw" "insl" "rep insb" "rep insl"; do emit ins "$i"; done
	for i in "outsb" "outsw" "outsl" "rep outsw"; do emit outs "$i"; done
	for i in "in \$0x60,%al" "in \$0x60,%ax" "in \$0x60,%eax" "in (%dx),%al" \
		"in (%dx),%ax" "in (%dx),%eax"; do
		emit in "$i"
	done
	for i in "out %al,\$0x80" "out %ax,\$0x80" "out %eax,\$0x80" "out %al,(%dx)" \
		"out %ax,(%dx)" "out %eax,(%dx)"; do
		emit out "$i"
	done
	for i in cpuid rdmsr wrmsr rdtsc rdtscp hlt vmmcall vmcall xsetbv invd \
		wbinvd wbnoinvd pause; do
		emit "$i" "$i"
	done
	if [ "$1" = 16 ]; then emit cpuid "data32 cpuid"; else emit cpuid "data16 cpuid"; fi
	emit rdtsc "cs rdtsc"
	for i in "nop" "add %eax,%ebx" "mov %eax,%ebx" "mov %al,%ah" \
		"mov \$1,%eax" "movb \$1,%al" "movb \$1,%bl" "lea (%eax),%ebx" "ret" "int3" \
		"addl \$1,%eax" "monitor" "mwait" "call *(%eax)" \
		"movzbl %al,%eax" "movswl %ax,%eax" \
		"mov %ds,%eax" "mov %eax,%es" "cmpsb" "scasb" "xabort \$1" \
		"cmpxchg %eax,(%ebx)" "xadd %eax,(%ebx)" "invlpg (%eax)" "clflush (%eax)" \
		"movnti %eax,(%eax)" "movbe (%eax),%eax" "test %eax,%ebx" "rdrand %eax" \
		"vmrun" "vmload" "vmsave" "stgi" "clgi" "skinit" "vmlaunch" "vmresume" \
		"vmxoff" "sgdt (%eax)" "lgdt (%eax)" "smsw %eax" "lmsw %ax" "rdpmc" \
		"sysenter" "cmovz (%eax),%eax" "setz (%eax)" "movd %xmm0,(%eax)" \
		"vmovdqu (%eax),%ymm0" "vaddps %ymm0,%ymm1,%ymm2" "crc32b (%eax),%eax" \
		"pushf" "cli" "sti" "incl (%eax)" "notl (%eax)" "xchg %eax,%ebx" \
		"movups (%eax),%xmm1" "fldl (%eax)" "enter \$1,\$2" "leave" "cwtl" \
		"bswap %eax" "ud2" "clts" "int \$0x80" "wait" "xlat"; do
		emit EOPNOTSUPP "$i"
	done
	if [ "$1" = 64 ]; then
		set -- "jmp *%rax" "mov %cr0,%rax" "mov %rax,%dr7" "iretq" "lretq"
	else
		set -- "jmp *%eax" "mov %cr0,%eax" "mov %eax,%dr7" "iretl" "lretl"
	fi
	for i in "$@"; do emit EOPNOTSUPP "$i"; done
}

gen64() {
	legacy="(%rax) (%rsp) (%rbp) 0x12(%rax) -0x80(%rbp) 0x12345678(%rbx,%rcx,4)
		0x1000(,%rbp,1) 0x10(%rip) -0x10(%rsp,%rsi,8) 0x7f(%rdi,%rbx) %fs:0x28
		%gs:(%rax) %cs:(%rbx) %ss:8(%rbp) %es:(%rdi) %ds:-1(%rsi) 0x12345678
		(%eax) 0x10(%esp,%eax,2) 0x10(%eip) %fs:(%ecx,%edx,8) -0x80000000(%rip)"
	rex="(%r12) (%r13) 0x12(%r8) (%rax,%r12,2) 0x12345678(%r13,%r14,4)
		(,%r12,8) -8(%rbp,%r13,2) 0x7f(%r8,%r9) %gs:0x10(%r15) (%r8d)
		0x10(%r9d,%r10d,4) 0x100(%r12,%r12,1)"
	mov_combos 64 "%ah %bh" "$legacy"
	mov_combos 64 "%al %cl %sil %r9b %ax %r10w %eax %r11d %rax %r15" "$legacy $rex"
	mem_combos 64 "$legacy $rex"
	alu_combos "%ah" "$legacy"
	alu_combos "%al %r9b %ax %eax %r11d %rax %r15" "$legacy $rex"
	for m in "(%rax)" "0x10(%rip)" "%gs:(%r12)"; do
		emit alu_imm "addq \$-1,$m"
		emit alu_imm "cmpq \$0x12345678,$m"
		emit alu_imm "testq \$-5,$m"
	done
	emit lods "lodsq"
	common_fixed 64
	for r in %al %ax %eax %rax; do
		emit mov_load_moffs "movabs 0x1122334455667788,$r"
		emit mov_store_moffs "movabs $r,0x1122334455667788"
		emit mov_load_moffs "addr32 mov 0x12345678,$r"
		emit mov_store_moffs "addr32 mov $r,0x12345678"
	done
	emit mov_load_moffs "movabs %gs:0x1122334455667788,%eax"
	for i in "stosq" "rep stosq" "addr32 rep stosb" "stosb %al,%es:(%edi)"; do
		emit stos "$i"
	done
	for i in "movsq" "rep movsq" "movsb %fs:(%rsi),%es:(%rdi)" "addr32 movsl"; do
		emit movs "$i"
	done
	emit outs "outsb %gs:(%rsi),(%dx)"
	emit ins "addr32 rep insl"
	emit cpuid "rex.W cpuid"
	emit rdmsr "rex.B rdmsr"
	emit vmmcall "rex.W vmmcall"
	emit in "rex.W in (%dx),%eax"
	for i in "syscall" "swapgs" "mov %rax,%r8" "push %rax" "push %r12" \
		"xchg %eax,%r8d" "movslq %eax,%rax" "mov \$0x1122334455667788,%rax" \
		"endbr64" "mov %cr8,%rax" "iretq" "sysretq" "rdfsbase %rax" \
		"add %r8,%r9" "movq %xmm0,(%r12)" "vmovdqa64 (%rax),%zmm1" \
		"cmpxchg16b (%rax)" "prefetcht0 (%rax)"; do
		emit EOPNOTSUPP "$i"
	done
}

gen32() {
	mems="(%eax) (%esp) (%ebp) 0x12(%eax) -0x80(%ebp) 0x12345678(%ebx,%ecx,4)
		(,%esi,8) 0x1000(,%ebp,1) -8(%ebp,%edi,2) 0x7f(%esp,%eax) %fs:0x28
		%gs:(%eax) %es:(%edi) %ss:4(%esi) %cs:(%ebp) 0x12345678 (%bx,%si)
		0x10(%bp) -2(%di) 0x1234(%bx,%di) (%bp,%si)"
	mov_combos 32 "%al %ah %dh %bl %ax %si %eax %edi" "$mems"
	mem_combos 32 "$mems"
	alu_combos "%al %dh %ax %edi" "$mems"
	common_fixed 32
	for i in "addr16 rep stosb" "stosb %al,%es:(%di)"; do emit stos "$i"; done
	emit movs "movsb %fs:(%esi),%es:(%edi)"
	emit mov_load_moffs "addr16 mov 0x1234,%eax"
	emit mov_store_moffs "addr16 mov %al,%fs:0x1234"
	for i in "inc %eax" "dec %edi" "arpl %ax,(%ebx)" "les (%eax),%eax" \
		"lds (%eax),%eax" "bound %eax,(%ebx)" "push %es" "pop %ds" "aaa" \
		"pusha" "into" "das" "lcall \$0x10,\$0x1000"; do
		emit EOPNOTSUPP "$i"
	done
}

gen16() {
	mems="(%bx) (%bx,%si) (%bx,%di) (%bp,%si) (%bp,%di) (%si) (%di) 0x1234
		2(%bp) -1(%bx) 0x1234(%bx) 0x7f(%bp,%di) -0x8000(%si) %es:(%bx)
		%ss:0x10(%si) %ds:(%bp) %fs:0x10 %gs:0x1234(%bp,%si) (%eax)
		(%ebx,%ecx,4) -0x10(%ebp) 0x12345678(,%esi,2) (%esp) 8(%esp,%ebp)"
	mov_combos 16 "%al %ah %ch %bl %ax %si %eax %edi" "$mems"
	mem_combos 16 "$mems"
	alu_combos "%al %ch %si %eax" "$mems"
	common_fixed 16
	for i in "addr32 rep stosb" "stosw %ax,%es:(%edi)"; do emit stos "$i"; done
	emit movs "movsw %ss:(%si),%es:(%di)"
	emit mov_load_moffs "addr32 mov 0x12345678,%eax"
	emit mov_store_moffs "addr32 mov %al,%es:0x12345678"
	for i in "inc %ax" "dec %si" "arpl %ax,(%bx)" "les (%bx),%ax" "push %cs" \
		"aam" "ljmp \$0xf000,\$0xfff0" "lidt (%bx)"; do
		emit EOPNOTSUPP "$i"
	done
}

# check MODE AS-FLAGS DIRECTIVE
check() {
	mode=$1
	gen$mode >"$tmp/list$mode"
	{
		echo "$3"
		awk -F'\t' '{ printf "L%d:\n\t%s\n", NR, $2 } END { printf "L%d:\n", NR + 1 }' \
			"$tmp/list$mode"
	} >"$tmp/m$mode.s"
	if ! as $2 -o "$tmp/m$mode.o" "$tmp/m$mode.s" >"$tmp/as$mode.log" 2>&1 ||
	   [ -s "$tmp/as$mode.log" ]; then
		say not-ok "$mode-bit: GNU as accepts the list silently"
		sed 's/^/# /' "$tmp/as$mode.log" | head -40
		return
	fi
	count=$(wc -l <"$tmp/list$mode")
	say ok "$mode-bit: GNU as accepts the list silently ($count instructions)"
	objcopy -O binary -j .text "$tmp/m$mode.o" "$tmp/m$mode.bin"
	nm -t d "$tmp/m$mode.o" | awk '$3 ~ /^L[0-9]+$/ { print substr($3, 2), $1 + 0 }' \
		>"$tmp/labels$mode"
	awk 'NR == FNR { off[$1] = $2; next }
	     { printf "%d %d %s %s\n", off[FNR], off[FNR + 1], $1, $2 }' \
		"$tmp/labels$mode" FS='\t' "$tmp/list$mode" >"$tmp/spans$mode"
	"$tmp/decode-lens" "$mode" "$tmp/m$mode.bin" <"$tmp/spans$mode" >"$tmp/out$mode" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) say ok "${line#ok - }" ;;
		"not ok - "*) say not-ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$tmp/out$mode"
	[ $rc = 0 ] || say not-ok "$mode-bit: decode-lens exited $rc"
}

check 64 --64 .code64
check 32 --32 .code32
check 16 --32 .code16
echo "1..$n"
