/**
 * Instruction-set features the interpreter checks before executing a form (bits of
 * {@link CpuidModel.features}). Each is derived from the CPUID bit the SDM names for the
 * instruction, so clearing that bit in the model makes the instruction raise #UD (or, for
 * TZCNT/LZCNT, fall back to BSF/BSR as on processors without them). This one, BMI1: ANDN,
 * BEXTR, BLSI, BLSMSK, BLSR, TZCNT (CPUID.(7,0):EBX[3]).
 */
export const CPU_FEATURE_BMI1 = 1 << 0;
/** BMI2: BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX (CPUID.(7,0):EBX[8]). */
export const CPU_FEATURE_BMI2 = 1 << 1;
/** ADCX/ADOX (CPUID.(7,0):EBX[19]). */
export const CPU_FEATURE_ADX = 1 << 2;
/** POPCNT (CPUID.1:ECX[23]). */
export const CPU_FEATURE_POPCNT = 1 << 3;
/** LZCNT (CPUID.80000001H:ECX[5]). */
export const CPU_FEATURE_LZCNT = 1 << 4;
/** MOVBE (CPUID.1:ECX[22]). */
export const CPU_FEATURE_MOVBE = 1 << 5;
/** CRC32, part of SSE4.2 (CPUID.1:ECX[20]). */
export const CPU_FEATURE_SSE42 = 1 << 6;
/** RDPID (CPUID.(7,0):ECX[22]). */
export const CPU_FEATURE_RDPID = 1 << 7;
/** INVPCID (CPUID.(7,0):EBX[10]). */
export const CPU_FEATURE_INVPCID = 1 << 8;
/** CLAC/STAC and CR4.SMAP (CPUID.(7,0):EBX[20]). */
export const CPU_FEATURE_SMAP = 1 << 9;
/** CLFLUSHOPT (CPUID.(7,0):EBX[23]). */
export const CPU_FEATURE_CLFLUSHOPT = 1 << 10;
/** CLWB (CPUID.(7,0):EBX[24]). */
export const CPU_FEATURE_CLWB = 1 << 11;
/** SERIALIZE (CPUID.(7,0):EDX[14]). */
export const CPU_FEATURE_SERIALIZE = 1 << 12;
/** WBNOINVD (CPUID.80000008H:EBX[9]). */
export const CPU_FEATURE_WBNOINVD = 1 << 13;

/** [feature, leaf, register index in the query result (0 EAX, 1 EBX, 2 ECX, 3 EDX), bit]. */
const FEATURE_BITS: readonly (readonly [number, number, number, number])[] = [
  [CPU_FEATURE_BMI1, 7, 1, 3],
  [CPU_FEATURE_BMI2, 7, 1, 8],
  [CPU_FEATURE_ADX, 7, 1, 19],
  [CPU_FEATURE_POPCNT, 1, 2, 23],
  [CPU_FEATURE_LZCNT, 0x80000001, 2, 5],
  [CPU_FEATURE_MOVBE, 1, 2, 22],
  [CPU_FEATURE_SSE42, 1, 2, 20],
  [CPU_FEATURE_RDPID, 7, 2, 22],
  [CPU_FEATURE_INVPCID, 7, 1, 10],
  [CPU_FEATURE_SMAP, 7, 1, 20],
  [CPU_FEATURE_CLFLUSHOPT, 7, 1, 23],
  [CPU_FEATURE_CLWB, 7, 1, 24],
  [CPU_FEATURE_SERIALIZE, 7, 3, 14],
  [CPU_FEATURE_WBNOINVD, 0x80000008, 1, 9],
];

/**
 * A configurable CPUID model (SDM 2 "CPUID"), stored as `leaf:subleaf -> [eax, ebx, ecx, edx]`.
 * The default describes exactly what the interpreter implements: a family-6 GenuineIntel
 * with SSE/SSE2, CMPXCHG8B/16B, CMOV, TSC, MSR, PAE, APIC, SYSENTER, long mode, NX, SYSCALL,
 * BMI1, BMI2, ADX, LZCNT, POPCNT, MOVBE, CRC32 (the SSE4.2 bit: only CRC32 and the SSE4.2
 * string/compare instructions are named by it, and the latter are not implemented yet),
 * FSGSBASE, RDTSCP, RDPID, INVPCID, SMAP, PREFETCHW, MONITOR/MWAIT, RDRAND, RDSEED,
 * CLFLUSHOPT, CLWB, SERIALIZE, WBNOINVD.
 *
 * @example
 * ```ts
 * const model = new CpuidModel();
 * model.set(7, 0, 0, model.query(7, 0)[1]! & ~(1 << 8), 0, 0); // mask BMI2 off: PDEP now raises #UD
 * ```
 */
export class CpuidModel {
  private readonly leaves = new Map<string, Uint32Array>();
  private readonly out = new Uint32Array(4);
  /** Highest basic and extended leaves. */
  maxBasic = 7;
  maxExtended = 0x80000008;
  /** The `CPU_FEATURE_*` bits the current leaves advertise (recomputed by {@link set}). */
  features = 0;

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
    // ECX: MONITOR(3) VMX(5) CX16(13) SSE4.2(20, for CRC32) MOVBE(22) POPCNT(23) RDRAND(30)
    const ecx1 = (1 << 3) | (1 << 5) | (1 << 13) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 30);
    this.set(1, 0, 0x000306a9, 0x00010800, ecx1, edx1);
    // Leaf 7: EBX FSGSBASE(0) BMI1(3) BMI2(8) INVPCID(10) RDSEED(18) ADX(19) SMAP(20) CLFLUSHOPT(23)
    // CLWB(24); ECX RDPID(22); EDX SERIALIZE(14)
    const ebx7 = (1 << 0) | (1 << 3) | (1 << 8) | (1 << 10) | (1 << 18) | (1 << 19) | (1 << 20) | (1 << 23) | (1 << 24);
    this.set(7, 0, 0, ebx7, 1 << 22, 1 << 14);
    this.set(0x80000000, 0, this.maxExtended, 0, 0, 0);
    // 80000001: ECX LAHF(0) LZCNT(5) PREFETCHW(8); EDX SYSCALL(11) NX(20) RDTSCP(27) LM(29)
    this.set(0x80000001, 0, 0, 0, (1 << 0) | (1 << 5) | (1 << 8), (1 << 11) | (1 << 20) | (1 << 27) | (1 << 29));
    this.set(0x80000008, 0, 0x3030, 1 << 9, 0, 0); // 48-bit physical and linear addresses; EBX WBNOINVD(9)
  }

  /** Sets the result of leaf/subleaf. */
  set(leaf: number, subleaf: number, eax: number, ebx: number, ecx: number, edx: number): void {
    this.leaves.set(`${leaf >>> 0}:${subleaf >>> 0}`, Uint32Array.of(eax, ebx, ecx, edx));
    let f = 0;
    for (const [bit, l, reg, b] of FEATURE_BITS) {
      const v = this.leaves.get(`${l}:0`);
      if (v !== undefined && (v[reg]! >>> b) & 1) f |= bit;
    }
    this.features = f;
  }

  /** The result of CPUID as [EAX, EBX, EDX, ECX] order-independent: returns [eax, ebx, ecx, edx] (reused array). */
  query(leaf: number, subleaf: number): Uint32Array {
    const v = this.leaves.get(`${leaf >>> 0}:${subleaf >>> 0}`) ?? this.leaves.get(`${leaf >>> 0}:0`);
    if (v === undefined) this.out.fill(0);
    else this.out.set(v);
    return this.out;
  }
}
