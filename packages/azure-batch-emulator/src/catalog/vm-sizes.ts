/**
 * The VM sizes a pool may ask for, with their cores (quota is counted in cores, as Batch does).
 * Names are matched case-insensitively and kept lower-case, the way Batch returns `vmSize`
 * (`standard_a1_v2`). A size that is not here is refused at Pool_Add with InvalidPropertyValue,
 * as Batch refuses a size it does not offer. Retired families (A0-A7, NC v1) are left out.
 */

/** `standard_<prefix><n><suffix>` for each n, in families where the cores are n. */
function family(prefix: string, sizes: number[], suffixes: string[]): [string, number][] {
  return sizes.flatMap((n) =>
    suffixes.map((s): [string, number] => [`standard_${prefix}${n}${s}`, n]),
  );
}

const SIZES: [string, number][] = [
  // Av2 (Gen1 only).
  ...family('a', [1, 2, 4, 8], ['_v2']),
  ...family('a', [2, 4, 8], ['m_v2']),
  // Dv2 / DSv2: D1-D5 have 1, 2, 4, 8, 16 cores, the memory-optimised D11-D15 2, 4, 8, 16, 20.
  ...(
    [
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 8],
      [5, 16],
      [11, 2],
      [12, 4],
      [13, 8],
      [14, 16],
      [15, 20],
    ] as const
  ).flatMap(([n, cores]): [string, number][] => [
    [`standard_d${n}_v2`, cores],
    [`standard_ds${n}_v2`, cores],
  ]),
  // Dv3 and later general purpose, Ev3 and later memory optimised.
  ...family('d', [2, 4, 8, 16, 32, 48, 64], ['_v3', 's_v3', '_v4', 's_v4', 'd_v4', 'ds_v4']),
  ...family('d', [2, 4, 8, 16, 32, 48, 64, 96], ['a_v4', 'as_v4']),
  ...family(
    'd',
    [2, 4, 8, 16, 32, 48, 64, 96],
    ['_v5', 's_v5', 'd_v5', 'ds_v5', 'as_v5', 'ads_v5'],
  ),
  ...family('d', [2, 4, 8, 16, 32, 48, 64, 96], ['ls_v5', 'lds_v5']),
  ...family('e', [2, 4, 8, 16, 20, 32, 48, 64], ['_v3', 's_v3', '_v4', 's_v4', 'd_v4', 'ds_v4']),
  ...family('e', [2, 4, 8, 16, 20, 32, 48, 64, 96], ['_v5', 's_v5', 'd_v5', 'ds_v5', 'as_v5']),
  // Compute optimised.
  ...family('f', [1, 2, 4, 8, 16], ['', 's']),
  ...family('f', [2, 4, 8, 16, 32, 48, 64, 72], ['s_v2']),
  // Burstable.
  ...family('b', [1, 2], ['s', 'ms']),
  ...family('b', [1], ['ls']),
  ...family('b', [4, 8, 12, 16, 20], ['ms']),
  // GPU and HPC.
  ...family('nc', [6, 12, 24], ['s_v3']),
  ...family('nc', [4, 8, 16, 64], ['as_t4_v3']),
  ['standard_hb120rs_v3', 120],
  ['standard_hc44rs', 44],
];

const CORES = new Map<string, number>(SIZES);

export interface VmSize {
  /** Lower-case, as Batch returns it. */
  name: string;
  cores: number;
}

/** The size, or undefined when Batch does not offer it. */
export function findVmSize(vmSize: string | undefined): VmSize | undefined {
  const name = (vmSize ?? '').toLowerCase();
  const cores = CORES.get(name);
  return cores === undefined ? undefined : { name, cores };
}

/**
 * Cores for a VM size. Sizes not in the catalogue (a pool kept from before it existed) use the
 * number in their name (Standard_X16s_v5 → 16), else 1.
 */
export function coresOf(vmSize: string | undefined): number {
  const known = findVmSize(vmSize);
  if (known) return known.cores;
  const m = /^standard_[a-z]+(\d+)/.exec((vmSize ?? '').toLowerCase());
  return m ? Math.max(1, Number(m[1])) : 1;
}
