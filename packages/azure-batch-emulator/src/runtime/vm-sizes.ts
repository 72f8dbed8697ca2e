// The VM size catalogue lives in src/catalog/vm-sizes.ts (Pool_Add validates against it too).
export { coresOf } from '../catalog/vm-sizes';
