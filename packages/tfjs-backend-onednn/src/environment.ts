// Every GANTRY_* environment variable, in one table: its type, its default, what it does and
// which files read it. Gantry and this backend read them through `readSetting` only (the
// native side through native/environment.h, which names the same variables); docs/environment.md
// is generated from this table, and a test fails on a GANTRY_* name in the sources that is
// missing here. This module loads nothing else of the backend (no TF.js, no addon), so Gantry's
// CLI checks the settings on start at no cost: `tfjs-backend-onednn/environment`.
import { availableCores } from './cores.js';

export { availableCores };

/**
 * When a variable is read, which decides whether Gantry's CLI checks it on start:
 *   run      while Gantry or the backend runs (checked on start)
 *   child    set by Gantry for its own child processes, read while they run (checked on start)
 *   install  by the backend's npm install step
 *   build    by a build or system script
 *   test     by the tests, for their own child processes
 */
export type SettingStage = 'run' | 'child' | 'install' | 'build' | 'test';

export interface Setting<T> {
  /** The values it takes, as a sentence ends: "... is not a whole number of at least 1". */
  readonly type: string;
  /** What an unset (or empty) variable means. */
  readonly default: string;
  readonly does: string;
  /** The files that read it, from the repository root. */
  readonly readBy: readonly string[];
  readonly stage: SettingStage;
  /** The value of a set variable; undefined when `raw` is not one of its values. */
  parse(raw: string): T | undefined;
  /** The value of an unset one. */
  fallback(): T;
}

const wholeNumber = (min: number) => (raw: string): number | undefined => {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
};

const positiveNumber = (raw: string): number | undefined => {
  const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

const onOff = (raw: string): boolean | undefined => (raw === '1' ? true : raw === '0' ? false : undefined);

const anyText = (raw: string): string => raw;

function oneOf<T extends string>(values: readonly T[], anyCase = false) {
  return (raw: string): T | undefined => values.find((v) => v === (anyCase ? raw.toLowerCase() : raw));
}

const none = (): undefined => undefined;

const backend = 'packages/tfjs-backend-onednn';
const gantry = 'packages/gantry';

/** The table. Names are the keys, so that a reader names the variable it reads. */
export const SETTINGS = {
  GANTRY_THREADS: {
    type: 'a whole number of at least 1',
    default: 'every core this process may use',
    does: "Threads of the native backend's large kernels: convolutions and matrix products of 100 MFLOP or more, memory-bound loops over 1M floats or more (smaller calls run on one). The cores a process may use are those of its CPU affinity, capped by a cgroup CPU quota. `--threads` on `train` and `bench` wins over it; a sweep worker passes its own `--threads` to each trainer. A run repeats bit for bit on the same thread count.",
    readBy: [`${backend}/src/addon.ts`, `${gantry}/src/backend.ts`],
    stage: 'run',
    parse: wholeNumber(1),
    fallback: availableCores,
  },
  GANTRY_CACHE_DIR: {
    type: 'a folder',
    default: '$XDG_CACHE_HOME/gantry, else ~/.cache/gantry',
    does: 'Where Gantry keeps what it decodes once: the embedded datasets, image folders at their training size, the evaluation networks\' features.',
    readBy: [`${gantry}/src/data/embedded.ts`],
    stage: 'run',
    parse: anyText,
    fallback: none,
  } as Setting<string | undefined>,
  GANTRY_DEBUG: {
    type: '0 or 1',
    default: '0',
    does: "1 prints an internal error's stack trace (exit code 1) after its one line.",
    readBy: [`${gantry}/src/cli/main.ts`],
    stage: 'run',
    parse: onOff,
    fallback: () => false,
  },
  GANTRY_CPU_ISA: {
    type: 'a CPU tier (avx512, avx2 or generic)',
    default: 'the best tier this CPU has',
    does: "Caps the CPU tier of the backend's own kernels (any case) and, unless ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA is set, oneDNN's kernels at the same level (AVX512_CORE, AVX2, SSE41 on x86-64): the whole backend runs as on an older CPU. Read once, when the addon loads.",
    readBy: [`${backend}/src/addon.ts`, `${backend}/native/cpu_tier.cc`],
    stage: 'run',
    parse: oneOf(['avx512', 'avx2', 'generic'] as const, true),
    fallback: none,
  } as Setting<'avx512' | 'avx2' | 'generic' | undefined>,
  GANTRY_ONEDNN_ADDON: {
    type: 'a file',
    default: "the package's build/Release/onednn.node",
    does: 'Loads the native addon from this file.',
    readBy: [`${backend}/src/addon.ts`],
    stage: 'run',
    parse: anyText,
    fallback: none,
  } as Setting<string | undefined>,
  GANTRY_ONEDNN_PROFILE: {
    type: '0, 1 or shapes',
    default: '0',
    does: "1 times every kernel of the onednn backend (`kernelProfile()`; `bench/profile-step.js` prints the table); `shapes` keeps the times per kernel and input shapes. Read when the backend registers; costs a closure call and two clock reads per kernel.",
    readBy: [`${backend}/src/profile.ts`],
    stage: 'run',
    parse: oneOf(['0', '1', 'shapes'] as const),
    fallback: () => '0',
  } as Setting<'0' | '1' | 'shapes'>,
  GANTRY_LOCK_HEARTBEAT_MS: {
    type: 'a whole number of at least 1',
    default: '10000',
    does: "Milliseconds between a trainer's refreshes of its run's lock (`train.lock`); a lock held from another host counts as abandoned after six heartbeats without one.",
    readBy: [`${gantry}/src/runFolder/lock.ts`],
    stage: 'run',
    parse: wholeNumber(1),
    fallback: () => 10_000,
  },
  GANTRY_QUEUE_LOCK_MS: {
    type: 'a whole number of at least 1',
    default: '30000',
    does: "Milliseconds a sweep job's lock lives without renewal (BullMQ's lock duration); a worker renews the locks of the runs it trains.",
    readBy: [`${gantry}/src/queue/worker.ts`],
    stage: 'run',
    parse: wholeNumber(1),
    fallback: () => 30_000,
  },
  GANTRY_QUEUE_STALLED_MS: {
    type: 'a whole number of at least 1',
    default: '30000',
    does: "Milliseconds between a worker's looks for jobs whose lock lapsed (a dead worker's), which it hands on.",
    readBy: [`${gantry}/src/queue/worker.ts`],
    stage: 'run',
    parse: wholeNumber(1),
    fallback: () => 30_000,
  },
  GANTRY_QUEUE_BACKOFF_MS: {
    type: 'a whole number',
    default: '30000',
    does: 'Milliseconds before a failed run of a sweep is tried again; the wait doubles with each of its 3 attempts. Bad input is not retried.',
    readBy: [`${gantry}/src/queue/jobs.ts`],
    stage: 'run',
    parse: wholeNumber(0),
    fallback: () => 30_000,
  },
  GANTRY_PARALLEL_MIN_MFLOPS: {
    type: 'a number above 0',
    default: '100',
    does: 'Convolutions and matrix products on oneDNN of fewer million flops than this run on one thread (its fork and join cost more than a second core gains there). The backend\'s own image-split kernels keep their own bound (8 MFLOP).',
    readBy: [`${backend}/native/runtime.cc`],
    stage: 'run',
    parse: positiveNumber,
    fallback: () => 100,
  },
  GANTRY_PARALLEL_MIN_ELEMENTS: {
    type: 'a whole number of at least 1',
    default: '1048576',
    does: 'Memory-bound loops (elementwise ops, reductions, batchnorm, resampling, optimizer updates) over fewer floats than this run on one thread.',
    readBy: [`${backend}/native/runtime.cc`],
    stage: 'run',
    parse: wholeNumber(1),
    fallback: () => 1 << 20,
  },
  GANTRY_WINOGRAD: {
    type: '0 or 1',
    default: '1',
    does: "0 keeps every convolution on oneDNN's direct kernels; with 1, 3x3 stride-1 layers of 32 or more channels run on its Winograd kernels where it has them (oneDNN 2.x on AVX-512).",
    readBy: [`${backend}/native/conv.cc`],
    stage: 'run',
    parse: onOff,
    fallback: () => true,
  },
  GANTRY_BLOCKED_FILTER_GRADIENT: {
    type: '0 or 1',
    default: '1',
    does: "0 keeps every filter gradient on oneDNN's NHWC kernels; with 1, strided layers of 32 or more channels on both sides take its blocked layout on one thread.",
    readBy: [`${backend}/native/conv.cc`],
    stage: 'run',
    parse: onOff,
    fallback: () => true,
  },
  GANTRY_TILED_CONV: {
    type: '0 or 1',
    default: '1',
    does: "0 leaves to oneDNN the strided layers whose gradients the backend's register-tiled kernels take (native/tiledconv.h).",
    readBy: [`${backend}/native/tiledconv.cc`],
    stage: 'run',
    parse: onOff,
    fallback: () => true,
  },
  GANTRY_FEW_CHANNEL_KERNELS: {
    type: '0 or 1',
    default: 'each CPU tier takes the layers its kernels were measured to run faster than oneDNN',
    does: "The backend's kernels for layers with an image's few channels on one side (native/fewconv.h): 0 leaves every such layer to oneDNN; 1 has every tier take every such layer the kernels fit (the tests do, so that each tier's kernels are checked).",
    readBy: [`${backend}/native/fewconv.cc`],
    stage: 'run',
    parse: oneOf(['0', '1'] as const),
    fallback: none,
  } as Setting<'0' | '1' | undefined>,
  GANTRY_RESAMPLE_CONV: {
    type: '0 or 1',
    default: '1',
    does: 'With 1, an upsampling followed by a 3x3 convolution runs on onednn as one 4x4 sub-pixel transposed convolution; 0 runs the two apart. Read when the backend loads.',
    readBy: [`${backend}/src/fused/resample_conv.ts`],
    stage: 'run',
    parse: onOff,
    fallback: () => true,
  },
  GANTRY_STOP_WITH_PARENT: {
    type: '0 or 1',
    default: '0',
    does: "Set to 1 by a sweep worker for the trainers it starts: a trainer checkpoints and stops when its standard input closes (its worker died), as on SIGTERM.",
    readBy: [`${gantry}/src/cli/train.ts`],
    stage: 'child',
    parse: onOff,
    fallback: () => false,
  },
  GANTRY_SKIP_NATIVE_BUILD: {
    type: '0 or 1',
    default: '0',
    does: 'With 1, npm\'s install step of tfjs-backend-onednn does not build the native addon (a Debian root builds it in a later step).',
    readBy: [`${backend}/scripts/install.mjs`],
    stage: 'install',
    parse: onOff,
    fallback: () => false,
  },
  GANTRY_REQUIRE_NATIVE: {
    type: '0 or 1',
    default: '0',
    does: "With 1, a native build that fails fails the install (scripts/setup.sh and CI set it); otherwise the install succeeds and Gantry runs on TF.js's cpu backend after a one-line notice.",
    readBy: [`${backend}/scripts/install.mjs`],
    stage: 'install',
    parse: onOff,
    fallback: () => false,
  },
  GANTRY_WEB_DEBUG: {
    type: 'any text',
    default: 'unset',
    does: "Any value but empty builds gantry-web's bundles unminified.",
    readBy: ['packages/web/build.mjs'],
    stage: 'build',
    parse: anyText,
    fallback: none,
  } as Setting<string | undefined>,
  GANTRY_ROOTS: {
    type: 'a folder',
    default: '/var/cache/gantry-roots',
    does: 'Where the scripts of scripts/systems keep the Debian roots they build (debootstrap) and their logs.',
    readBy: ['scripts/systems/root.sh'],
    stage: 'build',
    parse: anyText,
    fallback: () => '/var/cache/gantry-roots',
  },
  GANTRY_TEST_TIER_CHILD: {
    type: '0 or 1',
    default: '0',
    does: "Set to 1 by the backend's kernel tests in the child processes that run a test file again on a lower CPU tier, so that those start no more.",
    readBy: [`${backend}/test/parity.ts`],
    stage: 'test',
    parse: onOff,
    fallback: () => false,
  },
  GANTRY_STUDIO_BACKEND_STEPS: {
    type: 'a whole number of at least 1',
    default: '2',
    does: "Steps of the studio page's WebGL and WebGPU check against its cpu backend (studio-backends.test); 20, with GANTRY_STUDIO_BACKEND_BATCH=16, is the full check, which takes long on a software GPU.",
    readBy: [`${gantry}/test/studio-backends.test.ts`],
    stage: 'test',
    parse: wholeNumber(1),
    fallback: () => 2,
  },
  GANTRY_STUDIO_BACKEND_BATCH: {
    type: 'a whole number of at least 1',
    default: '4',
    does: "Batch size of the studio page's WebGL and WebGPU check (studio-backends.test); 16 for the full check.",
    readBy: [`${gantry}/test/studio-backends.test.ts`],
    stage: 'test',
    parse: wholeNumber(1),
    fallback: () => 4,
  },
} satisfies Record<`GANTRY_${string}`, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<N extends SettingName> = ReturnType<(typeof SETTINGS)[N]['fallback']> | Exclude<ReturnType<(typeof SETTINGS)[N]['parse']>, undefined>;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** A set variable with a value it does not take. Gantry's CLI prints the message as one line and exits with code 2. */
export class SettingError extends Error {
  readonly exitCode = 2;
  constructor(readonly setting: SettingName, readonly what: string, readonly fix: string) {
    super(`${what}; ${fix}`);
    this.name = 'SettingError';
  }
}

function problem(name: SettingName, env: NodeJS.ProcessEnv): SettingError | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const s: Setting<unknown> = SETTINGS[name];
  if (s.parse(raw) !== undefined) return null;
  return new SettingError(name, `${name} is ${JSON.stringify(raw)}, which is not ${s.type}`, `unset it for the default (${s.default})`);
}

/** The value of a setting: its variable's, else (unset or empty) the table's default. Throws SettingError for a value it does not take. */
export function readSetting<N extends SettingName>(name: N, env: NodeJS.ProcessEnv = process.env): SettingValue<N> {
  const bad = problem(name, env);
  if (bad) throw bad;
  const raw = env[name];
  const s: Setting<unknown> = SETTINGS[name];
  return (raw === undefined || raw === '' ? s.fallback() : s.parse(raw)) as SettingValue<N>;
}

/** The first of these settings whose variable holds a value it does not take, or null. */
export function settingProblemAmong(names: readonly SettingName[], env: NodeJS.ProcessEnv = process.env): SettingError | null {
  for (const name of names) {
    const bad = problem(name, env);
    if (bad) return bad;
  }
  return null;
}

/** The first setting read at these stages whose variable holds a value it does not take, or null. */
export function settingProblem(stages: readonly SettingStage[] = ['run', 'child'], env: NodeJS.ProcessEnv = process.env): SettingError | null {
  return settingProblemAmong(SETTING_NAMES.filter((n) => stages.includes(SETTINGS[n].stage)), env);
}

/**
 * The settings this backend reads while it runs, its native side's included: the addon's load
 * checks them first (the C++ side takes a value it does not know as unset).
 */
export function backendSettingNames(): SettingName[] {
  return SETTING_NAMES.filter((n) => SETTINGS[n].stage === 'run' && SETTINGS[n].readBy.some((f) => f.startsWith(`${backend}/`)));
}
