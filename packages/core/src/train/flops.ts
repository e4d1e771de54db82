import * as tf from '@tensorflow/tfjs';

/**
 * Floating-point operations of the convolutions and matrix products a piece of work really runs,
 * counted from the kernels TF.js executes (so a gradient the step does not need, such as D's
 * weight gradients during G's step, is not counted). A multiply-add is 2 operations. Element-wise
 * work, reductions, batchnorm and the optimizers are left out: they are a few percent of a
 * convolutional step and are bound by memory, not arithmetic.
 */

type Shape = readonly number[];
const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** FLOPs of one kernel call from its input and output shapes (inputs in the kernel's own order). */
const flopsOfKernel: Record<string, (inputs: Shape[], outputs: Shape[]) => number> = {
  // inputs x [N,H,W,Cin], filter [kh,kw,Cin,Cout]; each output element is kh*kw*Cin multiply-adds
  Conv2D: ([, filter], [y]) => 2 * size(y) * filter[0] * filter[1] * filter[2],
  FusedConv2D: ([, filter], [y]) => 2 * size(y) * filter[0] * filter[1] * filter[2],
  // the native backend's conv + bias + relu or leaky relu: FusedConv2D's inputs and output
  OnednnConv2DBiasActivation: ([, filter], [y]) => 2 * size(y) * filter[0] * filter[1] * filter[2],
  // inputs dy, filter [kh,kw,Cin,Cout]: each dy element is spread over kh*kw*Cin inputs
  Conv2DBackpropInput: ([dy, filter]) => 2 * size(dy) * filter[0] * filter[1] * filter[2],
  // inputs x, dy; output the filter [kh,kw,Cin,Cout]: each dy element meets kh*kw*Cin inputs
  Conv2DBackpropFilter: ([, dy], [filter]) => 2 * size(dy) * filter[0] * filter[1] * filter[2],
  // the native backend's upsample + 3x3 convolution, run as a 4x4 stride-2 transposed
  // convolution (filter [4,4,Cout,Cin]) that does 4 multiply-adds per output and input channel
  // where the direct convolution of the upsampled image does 9: counted as the network's layer,
  // the direct 3x3 convolution (as Winograd layers are). Forward: x, filter -> y [N,2H,2W,Cout]
  OnednnUpsampleConv2D: ([, filter], [y]) => 2 * size(y) * 9 * filter[3],
  // input gradient: dy [N,2H,2W,Cout], filter -> dx
  OnednnUpsampleConv2DGradInput: ([dy, filter]) => 2 * size(dy) * 9 * filter[3],
  // filter gradient: x, dy [N,2H,2W,Cout] -> the 4x4 filter
  OnednnUpsampleConv2DGradFilter: ([, dy], [filter]) => 2 * size(dy) * 9 * filter[3],
  // the native backend's 3x3 convolution + 2x2 average pooling, run as a 4x4 stride-2
  // convolution (filter [4,4,Cin,Cout]): 16 multiply-adds per pooled output and input channel
  // where the network's layer, counted here, does 4 outputs of 9. Forward: x, filter, bias -> y
  OnednnConv2DAvgPool: ([, filter], [y]) => 2 * size(y) * 36 * filter[2],
  // input gradient: dy (pooled), filter -> dx
  OnednnConv2DAvgPoolGradInput: ([dy, filter]) => 2 * size(dy) * 36 * filter[2],
  // filter gradient: x, dy (pooled) -> the 4x4 filter
  OnednnConv2DAvgPoolGradFilter: ([, dy], [filter]) => 2 * size(dy) * 36 * filter[2],
  // inputs a [...,M,K] (or transposed) and b: output [...,M,N]; a holds batch*M*K values
  MatMul: ([a], [out]) => 2 * size(a) * out[out.length - 1],
  BatchMatMul: ([a], [out]) => 2 * size(a) * out[out.length - 1],
  _FusedMatMul: ([a], [out]) => 2 * size(a) * out[out.length - 1],
};

export interface FlopCount {
  /** All counted FLOPs. */
  total: number;
  /** FLOPs and calls per kernel name. */
  byKernel: Record<string, { flops: number; calls: number }>;
}

/** Run `work` once under TF.js's profiler and count the FLOPs of its convolutions and matrix products. */
export async function countFlops(work: () => unknown): Promise<FlopCount> {
  const info = await tf.profile(async () => {
    const out = await work();
    // keep nothing the work returns: the caller only wants the count
    if (out instanceof tf.Tensor) out.dispose();
    return [];
  });
  const byKernel: FlopCount['byKernel'] = {};
  let total = 0;
  for (const k of info.kernels) {
    const formula = flopsOfKernel[k.name];
    if (!formula) continue;
    const inputs = k.inputShapes.map((s) => s ?? []);
    const outputs = k.outputShapes.map((s) => s ?? []);
    const flops = formula(inputs, outputs);
    total += flops;
    const entry = (byKernel[k.name] ??= { flops: 0, calls: 0 });
    entry.flops += flops;
    entry.calls += 1;
  }
  return { total, byKernel };
}

/**
 * The machine's arithmetic peak as this process sees it: GFLOP/s of a large square matrix
 * product (2048 by default, like a BLAS benchmark) on the current backend and threads. One
 * probe holds its two operands, so that samples can be taken between other work: a benchmark
 * on a shared machine, whose speed drifts from minute to minute, then compares its steps with
 * a peak measured over the same minutes.
 */
export class MatmulPeakProbe {
  private readonly a: tf.Tensor2D;
  private readonly b: tf.Tensor2D;
  private warm = false;
  readonly samples: number[] = [];

  constructor(readonly n = 2048) {
    this.a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
    this.b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  }

  private async product(): Promise<number> {
    const t0 = performance.now();
    const c = tf.matMul(this.a, this.b);
    // one element read back waits for an asynchronous backend without timing a 16 MB copy
    const corner = tf.slice(c, [0, 0], [1, 1]);
    await corner.data();
    const ms = performance.now() - t0;
    tf.dispose([c, corner]);
    return ms;
  }

  /** Times one product (after an untimed first one, the first time) and records its GFLOP/s. */
  async sample(): Promise<number> {
    if (!this.warm) {
      await this.product();
      this.warm = true;
    }
    const gflops = (2 * this.n ** 3) / ((await this.product()) * 1e6);
    this.samples.push(gflops);
    return gflops;
  }

  /** The median of the samples so far. */
  median(): number {
    if (this.samples.length === 0) throw new Error('MatmulPeakProbe.median: no samples taken yet');
    const sorted = this.samples.slice().sort((x, y) => x - y);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  dispose(): void {
    tf.dispose([this.a, this.b]);
  }
}
