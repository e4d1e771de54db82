import * as tf from '@tensorflow/tfjs';

import { runBinary } from './binary_factory.js';
import { activationCode, conv2dInfo, convGeometry } from './conv_utils.js';
import { BinaryOp } from './eltwise_ops.js';
import { Conv2DBiasActivation } from './custom_kernel_names.js';
import { type KernelArgs, allFloat32, customKernel, nativeKernel } from './kernel_utils.js';

// Conv + bias + activation in one oneDNN primitive (activation as a post-op).
// A bias that is not one value per output channel, and prelu, run as a
// separate native broadcast op after the conv.
function fusedConv2D(args: KernelArgs): tf.TensorInfo | null {
  const { inputs, backend, attrs, addon } = args;
  const { x, filter, bias, preluActivationWeights: prelu } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !filter || !allFloat32(x, filter, bias, prelu)) return null;
  const info = conv2dInfo(x.shape, filter.shape, attrs, attrs.dilations as [number, number]);
  const geometry = info && convGeometry(info);
  if (!info || !geometry) return null;
  const isPrelu = attrs.activation === 'prelu';
  const act = isPrelu ? 0 : activationCode(attrs.activation);
  if (act === null || (isPrelu && !prelu)) return null;
  const channelBias = bias !== undefined && tf.util.sizeFromShape(bias.shape) === info.outChannels;
  const lateBias = bias !== undefined && !channelBias;
  const fusedAct = lateBias ? 0 : act;
  const out = backend.output(info.outShape);
  addon.conv2dForward(backend.f32(x), backend.f32(filter), channelBias ? backend.f32(bias!) : null,
    out.values, geometry, fusedAct, (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
  let result = out.info;
  const replace = (next: tf.TensorInfo | null) => {
    backend.disposeIntermediateTensorInfo(result);
    result = next!;
  };
  if (lateBias) replace(runBinary(args, BinaryOp.Add, result, bias!));
  if (lateBias && act !== 0) {
    const y = backend.output(result.shape);
    // codes 1..5 of ActivationCode line up with these unary ops
    const unary = [0, 9, 10, 15, 11, 13][act]!;
    addon.unary(unary, backend.f32(result), y.values, (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
    replace(y.info);
  }
  if (isPrelu) replace(runBinary(args, BinaryOp.Prelu, result, prelu!));
  return result;
}

export const fusedConv2DConfig = nativeKernel(tf.FusedConv2D, fusedConv2D);

// The same convolution under another name, for a relu or leaky relu activation: its registered
// gradient keeps the output (the activation's gradient reads it), which FusedConv2D's gradient
// does not need for a linear activation. Inputs and attributes as FusedConv2D's.
export const conv2DBiasActivationConfig = customKernel(Conv2DBiasActivation, (args) => {
  const out = fusedConv2D(args);
  if (out !== null) return out;
  const cpu = tf.getKernel(tf.FusedConv2D, 'cpu')!;
  return cpu.kernelFunc({ inputs: args.inputs, backend: args.backend, attrs: args.attrs }) as tf.TensorInfo;
});
