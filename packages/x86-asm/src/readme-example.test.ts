// The README's example, verbatim, so it stays true.
import { describe, expect, it } from 'vitest';
// ---- README imports ----
import { Decoder, Instruction, IntelFormatter } from '@typevisor/x86-decode';
import { asm, assemble, formatListing } from './index.ts';

describe('README example', () => {
  it('assembles the boot sector and the 64-bit function and decodes them back', () => {
    const logs: string[] = [];
    const log = (...a: unknown[]): void => {
      logs.push(a.join(' '));
    };
    // ---- README example start ----

    // A 16-bit boot sector: prints a string through the BIOS and halts.
    const boot = assemble(
      `
      bits 16
      org 0x7c00
    start:
      xor ax, ax
      mov ds, ax
      mov si, msg
    .next:
      lodsb
      test al, al
      jz .done
      mov ah, 0x0e          ; BIOS teletype
      int 0x10
      jmp .next
    .done:
      cli
      hlt
      jmp .done
    msg: db "typevisor", 13, 10, 0
      times 510 - ($ - $$) db 0
      dw 0xaa55
    `,
    );
    log(boot.bytes.length, boot.symbols.get('msg')?.toString(16));

    // A 64-bit function as a tagged template, with TypeScript values spliced in.
    const PORT = 0x3f8;
    const fn = asm`
      sum:                   ; rdi = array, rsi = count -> rax = sum, then report it on the port
        xor eax, eax
        test rsi, rsi
        jz .out
      .loop:
        add rax, [rdi + rsi*8 - 8]
        dec rsi
        jnz .loop
      .out:
        mov dx, ${PORT}
        out dx, eax
        ret`;

    // Run the decoder over the output.
    const decoder = new Decoder(64, fn.bytes, { ip: 0 });
    const insn = new Instruction();
    const formatter = new IntelFormatter();
    while (decoder.canDecode) {
      decoder.decodeOut(insn);
      log(formatter.format(insn));
    }
    log(formatListing(boot.listing.slice(0, 4)));
    // ---- README example end ----

    expect(logs[0]).toBe('512 7c16');
    expect(logs.slice(1, 10)).toEqual([
      'xor eax,eax',
      'test rsi,rsi',
      'je short 0000000000000011h',
      'add rax,[rdi+rsi*8-8]',
      'dec rsi',
      'jne short 7',
      'mov dx,3F8h',
      'out dx,eax',
      'ret',
    ]);
    expect(logs[10]!.split('\n')[1]).toBe('     5 00007c00 31c0                       xor ax, ax');
  });
});
