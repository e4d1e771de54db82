// The backend: the cpu backend's storage and kernels, plus zero-copy access to
// tensor memory for the native kernels.
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

export const BACKEND_NAME = 'onednn';

// Outputs of native kernels are written in full by the kernel, so large ones
// skip the zero fill that `new Float32Array` does (a measurable share of a
// memory-bound op). Small ones are not worth the Buffer round trip.
const UNINITIALIZED_MIN = 16384;

function uninitializedF32(size: number): Float32Array {
  if (size < UNINITIALIZED_MIN) return new Float32Array(size);
  return new Float32Array(Buffer.allocUnsafeSlow(size * 4).buffer, 0, size);
}

export class OnednnBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend prints a "use tfjs-node for speed" banner on first use;
    // it does not apply to this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** The tensor's own Float32Array (no copy). */
  f32(t: tf.TensorInfo): Float32Array {
    const values = this.data.get(t.dataId).values;
    if (values instanceof Float32Array) return values;
    // The cpu backend's Cast from bool or int32 to float32 keeps the source's storage
    // (Uint8Array, Int32Array) under the new dtype: read it as a float32 copy.
    if (ArrayBuffer.isView(values) && t.dtype === 'float32') return Float32Array.from(values as Uint8Array);
    throw new Error(`onednn backend: expected float32 storage, found ${t.dtype}`);
  }

  /** The tensor's own Uint8Array (bool tensors, no copy). */
  u8(t: tf.TensorInfo): Uint8Array {
    const values = this.data.get(t.dataId).values;
    if (!(values instanceof Uint8Array)) {
      throw new Error(`onednn backend: expected bool storage, found ${t.dtype}`);
    }
    return values;
  }

  /** A new float32 output and its memory, for a native kernel to fill. */
  output(shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
    const values = uninitializedF32(tf.util.sizeFromShape(shape));
    return { info: this.makeTensorInfo(shape, 'float32', values), values };
  }

  boolOutput(shape: number[]): { info: tf.TensorInfo; values: Uint8Array } {
    const values = new Uint8Array(tf.util.sizeFromShape(shape));
    return { info: this.makeTensorInfo(shape, 'bool', values), values };
  }

  /**
   * The variable's Float32Array, safe to update in place. If its storage is
   * shared with another live tensor (tf.variable(t) and assign share storage),
   * the variable first gets a private copy.
   */
  exclusiveF32(v: tf.Variable): Float32Array {
    if (this.refCount(v.dataId) > 1) {
      const copy = this.f32(v).slice();
      const t = tf.engine().makeTensorFromTensorInfo(this.makeTensorInfo(v.shape, 'float32', copy));
      v.assign(t);
      t.dispose();
    }
    return this.f32(v);
  }
}
