/** Cores of common VM sizes (lower-case keys); quota is counted in cores, as Batch does. */
const CORES: Record<string, number> = {
  standard_a1_v2: 1,
  standard_a2_v2: 2,
  standard_a4_v2: 4,
  standard_a8_v2: 8,
  standard_a2m_v2: 2,
  standard_a4m_v2: 4,
  standard_a8m_v2: 8,
  standard_a1: 1,
  standard_a2: 2,
  standard_a3: 4,
  standard_a4: 8,
  standard_d1_v2: 1,
  standard_d2_v2: 2,
  standard_d3_v2: 4,
  standard_d4_v2: 8,
  standard_d5_v2: 16,
  standard_d11_v2: 2,
  standard_d12_v2: 4,
  standard_d2_v3: 2,
  standard_d4_v3: 4,
  standard_d8_v3: 8,
  standard_d2s_v3: 2,
  standard_d4s_v3: 4,
  standard_d8s_v3: 8,
  standard_d2_v4: 2,
  standard_d2s_v4: 2,
  standard_d2ds_v4: 2,
  standard_d2_v5: 2,
  standard_d2s_v5: 2,
  standard_d4s_v5: 4,
  standard_d2ds_v5: 2,
  standard_d2as_v5: 2,
  standard_e2s_v3: 2,
  standard_e4s_v3: 4,
  standard_f1: 1,
  standard_f2: 2,
  standard_f4: 4,
  standard_f2s_v2: 2,
  standard_f4s_v2: 4,
  standard_f8s_v2: 8,
  standard_b1s: 1,
  standard_b1ms: 1,
  standard_b2s: 2,
  standard_b2ms: 2,
  standard_nc6: 6,
};

/** Cores for a VM size; unknown sizes use the number in their name (Standard_X16s_v5 → 16), else 1. */
export function coresOf(vmSize: string | undefined): number {
  const name = (vmSize ?? '').toLowerCase();
  if (CORES[name] !== undefined) return CORES[name];
  const m = /^standard_[a-z]+(\d+)/.exec(name);
  return m ? Math.max(1, Number(m[1])) : 1;
}
