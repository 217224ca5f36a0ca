/**
 * A configurable CPUID model (SDM 2 "CPUID"): leaf values as [EAX, EBX, EDX, ECX]... stored as
 * `leaf:subleaf -> [eax, ebx, ecx, edx]`. The default describes what the interpreter
 * implements: a family-6 GenuineIntel with SSE/SSE2, CMPXCHG8B/16B, CMOV, TSC, MSR, PAE,
 * APIC, SYSENTER, long mode, NX, SYSCALL, BMI1 (TZCNT), LZCNT, POPCNT, FSGSBASE, RDTSCP,
 * MONITOR/MWAIT, RDRAND, RDSEED.
 */
export class CpuidModel {
  private readonly leaves = new Map<string, Uint32Array>();
  private readonly out = new Uint32Array(4);
  /** Highest basic and extended leaves. */
  maxBasic = 7;
  maxExtended = 0x80000008;

  constructor() {
    const vendor = 'GenuineIntel';
    const w = (s: string) =>
      s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
    this.set(0, 0, this.maxBasic, w(vendor.slice(0, 4)), w(vendor.slice(8, 12)), w(vendor.slice(4, 8)));
    // EDX: FPU(0) TSC(4) MSR(5) PAE(6) CX8(8) APIC(9) SEP(11) PGE(13) CMOV(15) PAT(16) CLFSH(19) MMX(23) FXSR(24) SSE(25) SSE2(26)
    const edx1 =
      (1 << 0) |
      (1 << 4) |
      (1 << 5) |
      (1 << 6) |
      (1 << 8) |
      (1 << 9) |
      (1 << 11) |
      (1 << 13) |
      (1 << 15) |
      (1 << 16) |
      (1 << 19) |
      (1 << 23) |
      (1 << 24) |
      (1 << 25) |
      (1 << 26);
    // ECX: MONITOR(3) VMX(5) CX16(13) POPCNT(23) RDRAND(30)
    const ecx1 = (1 << 3) | (1 << 5) | (1 << 13) | (1 << 23) | (1 << 30);
    this.set(1, 0, 0x000306a9, 0x00010800, ecx1, edx1);
    // Leaf 7: EBX FSGSBASE(0) BMI1(3) RDSEED(18)
    this.set(7, 0, 0, (1 << 0) | (1 << 3) | (1 << 18), 0, 0);
    this.set(0x80000000, 0, this.maxExtended, 0, 0, 0);
    // 80000001: ECX LAHF(0) LZCNT(5); EDX SYSCALL(11) NX(20) RDTSCP(27) LM(29)
    this.set(0x80000001, 0, 0, 0, (1 << 0) | (1 << 5), (1 << 11) | (1 << 20) | (1 << 27) | (1 << 29));
    this.set(0x80000008, 0, 0x3030, 0, 0, 0); // 48-bit physical and linear addresses
  }

  /** Sets the result of leaf/subleaf. */
  set(leaf: number, subleaf: number, eax: number, ebx: number, ecx: number, edx: number): void {
    this.leaves.set(`${leaf >>> 0}:${subleaf >>> 0}`, Uint32Array.of(eax, ebx, ecx, edx));
  }

  /** The result of CPUID as [EAX, EBX, EDX, ECX] order-independent: returns [eax, ebx, ecx, edx] (reused array). */
  query(leaf: number, subleaf: number): Uint32Array {
    const v = this.leaves.get(`${leaf >>> 0}:${subleaf >>> 0}`) ?? this.leaves.get(`${leaf >>> 0}:0`);
    if (v === undefined) this.out.fill(0);
    else this.out.set(v);
    return this.out;
  }
}
