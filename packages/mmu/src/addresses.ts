declare const brand: unique symbol;

/**
 * A guest-physical address: a plain number below 2^52 (MAXPHYADDR is at most 52), branded
 * so that a linear address or a host offset cannot be passed where it is expected.
 * Branding is compile-time only; {@link guestPhysical} is free at run time.
 */
export type GuestPhysicalAddress = number & { readonly [brand]: 'GuestPhysicalAddress' };

/**
 * A guest-linear address that fits a number (below 2^53). 64-bit linear addresses with the
 * upper half set are passed as lo/hi 32-bit pairs to the page walk instead.
 */
export type GuestLinearAddress = number & { readonly [brand]: 'GuestLinearAddress' };

/** An offset into a host buffer (a `Uint8Array` returned by a page view). */
export type HostOffset = number & { readonly [brand]: 'HostOffset' };

/** Brands a number as a guest-physical address (no run-time cost). */
export function guestPhysical(address: number): GuestPhysicalAddress {
  return address as GuestPhysicalAddress;
}

/** Brands a number as a guest-linear address (no run-time cost). */
export function guestLinear(address: number): GuestLinearAddress {
  return address as GuestLinearAddress;
}

/** Brands a number as a host buffer offset (no run-time cost). */
export function hostOffset(offset: number): HostOffset {
  return offset as HostOffset;
}

/** 2^32, for composing lo/hi pairs into numbers. */
export const TWO_POW_32 = 0x1_0000_0000;
