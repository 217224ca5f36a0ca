/** Codes of {@link CpuError}. */
export type CpuErrorCode = 'UNKNOWN_REGISTER' | 'BAD_ARGUMENT' | 'BAD_ELF';

/** API misuse of the cpu package (never an architectural fault: those are data). */
export class CpuError extends Error {
  readonly code: CpuErrorCode;
  override readonly cause: unknown;
  constructor(code: CpuErrorCode, message: string, cause?: unknown) {
    super(message);
    this.name = 'CpuError';
    this.code = code;
    this.cause = cause;
  }
}
