// Turns data/vmcs-fields.txt into src/generated/vmcs-fields.ts. Pure (no Node APIs), so
// the staleness test can run it too.

const FEATURES = new Set([
  'ept',
  'vpid',
  'preemptionTimer',
  'tprShadow',
  'apicVirtualization',
  'eptpSwitching',
  'pml',
  'msrControls',
  'secondaryExiting',
  'unmodelled',
]);

/** Renders the generated module from the data file's text; throws on a malformed line. */
export function renderVmcsFields(data: string): string {
  const fields: string[] = [];
  const features: string[] = [];
  const seen = new Set<number>();
  let section = '';
  data.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const head = /^\[(B\.[0-9.]+)\] (.+)$/.exec(line);
    if (head) {
      section = `${head[1]} ${head[2]}`;
      fields.push(`  // ${section}`);
      return;
    }
    const m = /^([A-Z][A-Z0-9_]*) (0x[0-9a-f]{4})(?: ([a-zA-Z]+))?$/.exec(line);
    if (!m) throw new Error(`data/vmcs-fields.txt:${i + 1}: cannot read "${line}"`);
    const [, name, hex, feature] = m;
    const encoding = Number.parseInt(hex!, 16);
    if (encoding & 0x9001)
      throw new Error(`data/vmcs-fields.txt:${i + 1}: ${hex} has a reserved or high-access bit set`);
    if (seen.has(encoding)) throw new Error(`data/vmcs-fields.txt:${i + 1}: ${hex} listed twice`);
    if (section === '') throw new Error(`data/vmcs-fields.txt:${i + 1}: field before any [B.x] section`);
    seen.add(encoding);
    fields.push(`  ${name}: ${hex},`);
    if (feature !== undefined) {
      if (!FEATURES.has(feature)) throw new Error(`data/vmcs-fields.txt:${i + 1}: unknown feature ${feature}`);
      features.push(`  ${name}: '${feature}',`);
    }
  });
  return `// Generated from data/vmcs-fields.txt by scripts/generate-vmcs-fields.ts — do not edit.

/**
 * VMCS field encodings by name, SDM 3D Appendix B.
 *
 * @example
 * \`\`\`ts
 * import { VmcsField } from '@typevisor/vmx';
 * VmcsField.GUEST_RIP; // 0x681e
 * \`\`\`
 */
export const VmcsField = {
${fields.join('\n')}
} as const;

/** The name of a VMCS field, e.g. \`'GUEST_RIP'\`. */
export type VmcsFieldName = keyof typeof VmcsField;

/** Feature a field depends on; a processor without it reports the field unsupported (VMREAD/VMWRITE error 12). */
export type FieldFeature = ${[...FEATURES].map((f) => `'${f}'`).join(' | ')};

/**
 * Fields that exist only with a feature. Fields tagged \`unmodelled\` belong to features this
 * model does not implement (SGX, CET, PT, PASID, HLAT, shadow VMCS, SMM dual-monitor...)
 * and are unsupported on every configuration, exactly like on a processor without them.
 */
export const FIELD_FEATURE: Readonly<Partial<Record<VmcsFieldName, FieldFeature>>> = {
${features.join('\n')}
};
`;
}
