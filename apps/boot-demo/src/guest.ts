import { type AssembleResult, assemble } from '@typevisor/x86-asm';

/** Where the guest is loaded and where the CPU starts, as a PC BIOS leaves a boot sector. */
export const GUEST_LOAD_ADDRESS = 0x7c00;

/** Timer interrupts the guest waits for before it reports and exits. */
export const GUEST_TICKS = 10;

/** The PIT input clock (Hz) and the rate the guest programs channel 0 for. */
const PIT_HZ = 1_193_182;
const TIMER_HZ = 100;

/**
 * A polled COM1 string writer: LODSB from (E)SI until NUL, waiting for the transmitter
 * holding register to empty (LSR bit 5) before each byte. The same source assembles to the
 * 16- and 32-bit routines; LODSB takes SI or ESI from the mode it is assembled in.
 */
function serialPuts(label: string): string {
  return `
${label}:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1 + 5
.busy:
    in al, dx
    test al, 0x20
    jz .busy
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp ${label}
.done:
    ret
`;
}

/**
 * The guest: a boot-sector-style program that climbs the mode ladder the way an OS loader
 * does (real mode -> 32-bit protected mode -> PAE paging -> 64-bit long mode), printing on
 * COM1 at each step, then remaps the 8259 pair, programs the 8254 for 100 Hz, takes
 * {@link GUEST_TICKS} timer interrupts through its IDT, reads the RTC, and asks the
 * isa-debug-exit port to end the run.
 */
export const GUEST_SOURCE = `
bits 16
org ${GUEST_LOAD_ADDRESS}
COM1        equ 0x3f8
PML4        equ 0x10000
STACK_TOP   equ 0x90000
TICKS_WANTED equ ${GUEST_TICKS}
PIT_DIVISOR equ ${Math.round(PIT_HZ / TIMER_HZ)}

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    ; COM1: divisor latch 1 (115200 baud), 8 data bits, no parity, 1 stop bit
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 3
    out dx, al
    mov si, msg_real
    call puts16
    lgdt [gdt_descriptor]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:protected_mode

${serialPuts('puts16')}
bits 32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK_TOP
    mov esi, msg_protected
    call puts32
    ; identity-map the first 4 MiB with two 2 MiB pages: PML4 -> PDPT -> PD
    mov edi, PML4
    xor eax, eax
    mov ecx, 3 * 1024
    rep stosd
    mov dword [PML4], PML4 + 0x1000 + 3
    mov dword [PML4 + 0x1000], PML4 + 0x2000 + 3
    mov dword [PML4 + 0x2000], 0x83
    mov dword [PML4 + 0x2008], 0x200083
    mov eax, PML4
    mov cr3, eax
    mov eax, cr4
    or eax, 1 << 5              ; CR4.PAE
    mov cr4, eax
    mov ecx, 0xc0000080         ; IA32_EFER
    rdmsr
    or eax, 1 << 8              ; EFER.LME
    wrmsr
    mov eax, cr0
    or eax, 1 << 31             ; CR0.PG: long mode becomes active
    mov cr0, eax
    jmp 0x18:long_mode

${serialPuts('puts32')}
bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, STACK_TOP
    lea rsi, [rel msg_long]
    call puts64
    ; IDT entry 0x20 (IRQ0 after the remap): a 64-bit interrupt gate to timer_isr
    lea rax, [rel timer_isr]
    lea rdi, [rel idt + 0x20 * 16]
    mov [rdi], ax
    mov word [rdi + 2], 0x18
    mov word [rdi + 4], 0x8e00
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    lidt [rel idt_descriptor]
    ; 8259 pair: ICW1 edge+ICW4, ICW2 vector bases 0x20/0x28, ICW3 cascade on IRQ2, ICW4 8086 mode
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe                ; only IRQ0 unmasked
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    ; 8254 channel 0, lobyte/hibyte, mode 2 (rate generator)
    mov al, 0x34
    out 0x43, al
    mov ax, PIT_DIVISOR
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
.wait:
    hlt
    cmp qword [rel ticks], TICKS_WANTED
    jb .wait
    cli
    lea rsi, [rel msg_ticks]
    call puts64
    mov rax, [rel ticks]
    call putdec64
    lea rsi, [rel msg_rtc]
    call puts64
    ; CMOS RTC: status register B bit 2 says binary; the guest asks for BCD and prints it as hex digits
    mov al, 0x04                ; hours
    call cmos_bcd
    mov al, ':'
    call putc64
    mov al, 0x02                ; minutes
    call cmos_bcd
    mov al, ':'
    call putc64
    mov al, 0x00                ; seconds
    call cmos_bcd
    mov al, 10
    call putc64
    lea rsi, [rel msg_bye]
    call puts64
    mov al, 0                   ; isa-debug-exit: the host exits with (0 << 1) | 1
    out 0xf4, al
.halt:
    hlt
    jmp .halt

timer_isr:
    push rax
    inc qword [rel ticks]
    mov al, 0x20                ; non-specific EOI to the master 8259
    out 0x20, al
    pop rax
    iretq

; al: CMOS register; prints its BCD value as two digits
cmos_bcd:
    out 0x70, al
    in al, 0x71
    push rax
    shr al, 4
    add al, '0'
    call putc64
    pop rax
    and al, 0x0f
    add al, '0'
    call putc64
    ret

; rax: an unsigned number to print in decimal
putdec64:
    mov rcx, 10
    xor r8d, r8d
.divide:
    xor edx, edx
    div rcx
    push rdx
    inc r8
    test rax, rax
    jnz .divide
.emit:
    pop rax
    add al, '0'
    call putc64
    dec r8
    jnz .emit
    ret

; rsi: a NUL-terminated string
puts64:
    lodsb
    test al, al
    jz .done
    call putc64
    jmp puts64
.done:
    ret

; al: one byte to COM1, after the transmitter holding register is empty
putc64:
    push rdx
    mov ah, al
    mov dx, COM1 + 5
.busy:
    in al, dx
    test al, 0x20
    jz .busy
    mov al, ah
    mov dx, COM1
    out dx, al
    pop rdx
    ret

msg_real:      db "typevisor boot-demo: real mode, COM1 at 115200 8N1", 10, 0
msg_protected: db "protected mode: flat 4 GiB segments", 10, 0
msg_long:      db "long mode: 4-level paging, 64-bit code", 10, 0
msg_ticks:     db "timer interrupts taken at 100 Hz: ", 0
msg_rtc:       db 10, "RTC says ", 0
msg_bye:       db "exiting through isa-debug-exit", 10, 0

align 8
ticks: dq 0
gdt:
    dq 0
    dq 0x00cf9a000000ffff       ; 0x08: 32-bit code, base 0, 4 GiB
    dq 0x00cf92000000ffff       ; 0x10: data, base 0, 4 GiB
    dq 0x00af9a000000ffff       ; 0x18: 64-bit code
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt
align 16
idt:
    times 256 * 16 db 0
idt_end:
idt_descriptor:
    dw idt_end - idt - 1
    dq idt
`;

/** Assembles {@link GUEST_SOURCE} with @typevisor/x86-asm. */
export function assembleGuest(): AssembleResult {
  return assemble(GUEST_SOURCE, { bits: 16, org: GUEST_LOAD_ADDRESS });
}
