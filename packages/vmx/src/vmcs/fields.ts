// Every VMCS field of SDM 3D Appendix B, generated from data/vmcs-fields.txt. Width, type
// and access type are bits of the encoding (SDM 3C 25.11.2); see field-encoding.ts. The
// "full" encoding of a 64-bit field is listed; its high half is encoding | 1.
export { FIELD_FEATURE, type FieldFeature, VmcsField, type VmcsFieldName } from '../generated/vmcs-fields.ts';
