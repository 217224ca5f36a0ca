import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli.ts';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(
    args,
    (s) => {
      out += `${s}\n`;
    },
    (s) => {
      err += `${s}\n`;
    },
  );
  return { code, out, err };
}

describe('typevisor-disasm', () => {
  it('prints offset, length, hex bytes and text separated by tabs for --hex', () => {
    const r = run(['--hex', '90 48 8b 07']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('00000000\t1\t90\tnop\n00000001\t3\t48 8b 07\tmov rax,[rdi]\n');
  });

  it('prints (bad) for one byte of an invalid encoding and resumes at the next byte', () => {
    expect(run(['--hex', '06 90']).out).toBe('00000000\t1\t06\t(bad)\n00000001\t1\t90\tnop\n');
  });

  it('honours --bits and --ip', () => {
    expect(run(['--bits', '16', '--ip', '0x7c00', '--hex', 'eb fe']).out).toBe('00007c00\t2\teb fe\tjmp short 7C00h\n');
  });

  it('disassembles a raw file', () => {
    const file = join(tmpdir(), `typevisor-disasm-${process.pid}.bin`);
    writeFileSync(file, new Uint8Array([0x31, 0xc0, 0xc3]));
    expect(run(['--bits', '32', file]).out).toBe('00000000\t2\t31 c0\txor eax,eax\n00000002\t1\tc3\tret\n');
  });

  it("disassembles an ELF file's .text at its address", () => {
    const file = join(tmpdir(), `typevisor-disasm-${process.pid}.elf`);
    writeFileSync(file, makeElf64(new Uint8Array([0x55, 0xc3]), 0x401000));
    expect(run([file]).out).toBe('00401000\t1\t55\tpush rbp\n00401001\t1\tc3\tret\n');
  });

  it('prints AT&T text with --syntax att', () => {
    expect(run(['--syntax', 'att', '--hex', '90 48 8b 47 08']).out).toBe(
      '00000000\t1\t90\tnop\n00000001\t4\t48 8b 47 08\tmov 8(%rdi),%rax\n',
    );
  });

  it('rejects an unknown --syntax with a usage message', () => {
    const r = run(['--syntax', 'masm', '--hex', '90']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage');
  });

  it('rejects a bad --bits with a usage message', () => {
    const r = run(['--bits', '8', '--hex', '90']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage');
  });
});

/** A minimal little-endian ELF64 file with a .text and a .shstrtab section (System V gABI). */
function makeElf64(text: Uint8Array, address: number): Uint8Array {
  const names = new TextEncoder().encode('\0.text\0.shstrtab\0');
  const textOff = 64;
  const namesOff = textOff + text.length;
  const shoff = (namesOff + names.length + 7) & ~7;
  const file = new Uint8Array(shoff + 3 * 64);
  const dv = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(0x10, 2, true); // ET_EXEC
  dv.setUint16(0x12, 0x3e, true); // EM_X86_64
  dv.setUint32(0x28, shoff, true);
  dv.setUint16(0x3a, 64, true);
  dv.setUint16(0x3c, 3, true);
  dv.setUint16(0x3e, 2, true);
  file.set(text, textOff);
  file.set(names, namesOff);
  const sh = (i: number, name: number, addr: number, off: number, size: number) => {
    const o = shoff + i * 64;
    dv.setUint32(o, name, true);
    dv.setUint32(o + 0x10, addr, true);
    dv.setUint32(o + 0x18, off, true);
    dv.setUint32(o + 0x20, size, true);
  };
  sh(1, 1, address, textOff, text.length);
  sh(2, 7, 0, namesOff, names.length);
  return file;
}
