// The guest side of the tutorial: a 32-bit protected-mode driver for CountdownTimer, written as
// x86-asm source. It sets up a GDT and an IDT, programs the 8259 pair so the timer's IRQ 5 arrives
// on vector 0x25, starts the timer in periodic mode and counts interrupts; after TICKS of them it
// stops the timer, prints "timer ok" on port 0xE9 and asks isa-debug-exit to stop the VM.
export const GUEST_DRIVER = `
bits 32
org 0x1000

start:
    lgdt [gdtr]
    jmp 0x08:reload_cs
reload_cs:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x8000
    lidt [idtr]

    ; 8259 pair: vectors 0x20 and 0x28, cascade on IR2, 8086 mode; only IRQ 5 unmasked.
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xa1, al
    mov al, 0x01
    out 0x21, al
    out 0xa1, al
    mov al, 0xdf
    out 0x21, al
    mov al, 0xff
    out 0xa1, al

    ; The device: check its ID, then a 250 us period, periodic, interrupt enabled.
    cmp dword [TIMER + 0x00], 0x524d4954
    jne fail
    mov dword [TIMER + 0x08], 250
    mov dword [TIMER + 0x04], 7
    sti
wait:
    hlt
    cmp dword [ticks], TICKS
    jb wait
    cli
    mov dword [TIMER + 0x04], 0

    mov esi, message
    mov ecx, message_end - message
print:
    lodsb
    out 0xe9, al
    loop print
    mov eax, [ticks]
    out 0xf4, eax
    hlt

fail:
    mov eax, 0xff
    out 0xf4, eax
    hlt

timer_irq:
    push eax
    mov dword [TIMER + 0x10], 1      ; acknowledge: write 1 to STATUS.EXPIRED
    inc dword [ticks]
    mov al, 0x20
    out 0x20, al                     ; non-specific EOI to the master 8259
    pop eax
    iretd

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff            ; 0x08: flat 32-bit code
    dq 0x00cf92000000ffff            ; 0x10: flat data
gdtr:
    dw gdtr - gdt - 1
    dd gdt

align 8
idt:
    times 0x25 dq 0
    dw timer_irq - $$ + 0x1000       ; vector 0x25: 32-bit interrupt gate to timer_irq
    dw 0x08
    db 0, 0x8e
    dw 0
idt_end:
idtr:
    dw idt_end - idt - 1
    dd idt

ticks:
    dd 0
message:
    db "timer ok", 10
message_end:
`;
