// Comparison predicates that formatters fold into CMPPS-style mnemonics (`cmpps x,y,1` is
// `cmpltps x,y`): SDM Vol. 2 CMPPS Table 3-1 (imm8 0-7) and VCMPPS Table 5-x (imm8 0-31).
export const CMP_PREDICATES: readonly string[] = [
  'eq',
  'lt',
  'le',
  'unord',
  'neq',
  'nlt',
  'nle',
  'ord',
  'eq_uq',
  'nge',
  'ngt',
  'false',
  'neq_oq',
  'ge',
  'gt',
  'true',
  'eq_os',
  'lt_oq',
  'le_oq',
  'unord_s',
  'neq_us',
  'nlt_uq',
  'nle_uq',
  'ord_s',
  'eq_us',
  'nge_uq',
  'ngt_uq',
  'false_os',
  'neq_os',
  'ge_oq',
  'gt_oq',
  'true_us',
];

/** PCLMULQDQ imm8 pseudo-ops (`pclmullqhqdq`): bit 0 selects the first quadword, bit 4 the second. */
export const PCLMUL_SELECTORS: readonly string[] = ['lqlq', 'hqlq', 'lqhq', 'hqhq'];
