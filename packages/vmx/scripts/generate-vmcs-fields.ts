// pnpm --filter @typevisor/vmx generate: data/vmcs-fields.txt -> src/generated/vmcs-fields.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { renderVmcsFields } from './render-vmcs-fields.ts';

const root = new URL('../', import.meta.url);
const data = readFileSync(new URL('data/vmcs-fields.txt', root), 'utf8');
writeFileSync(new URL('src/generated/vmcs-fields.ts', root), renderVmcsFields(data));
console.log('wrote src/generated/vmcs-fields.ts');
