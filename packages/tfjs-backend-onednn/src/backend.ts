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

// Released output buffers are kept for reuse, keyed by length: a training step
// allocates the same shapes every step, so after the first step almost every
// output comes from here instead of malloc, and V8 sees no external-memory
// churn (which otherwise triggers garbage collections). Bounded in bytes.
const POOL_MAX_BYTES = 1536 * 1024 * 1024;
const POOL_MAX_PER_SIZE = 64;
// Buffers of a length nobody has taken or released for this many outputs are dropped
// (an evaluation's shapes, say, once training resumes). A training step makes a few
// hundred outputs, so this is some tens of steps.
export const POOL_IDLE_OUTPUTS = 8192;

export class OnednnBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  /** Outputs made so far, and per pooled length the count when it was last used. */
  private outputs = 0;
  private readonly lastUse = new Map<number, number>();
  /** Output buffers this backend allocated and may reuse once released, by their ArrayBuffer. */
  private readonly reusableByBuffer = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Reusable buffers that currently back a tensor. */
  private readonly owned = new WeakSet<Float32Array>();

  constructor() {
    super();
    // The cpu backend prints a "use tfjs-node for speed" banner on first use;
    // it does not apply to this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /**
   * Storage for every new tensor passes through here. A reusable buffer that
   * gets a second owner, or that another tensor views (subarray), is never
   * reused: its memory may outlive the tensor it was made for.
   */
  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    if (ArrayBuffer.isView(values)) {
      const base = this.reusableByBuffer.get(values.buffer);
      if (base !== undefined) {
        if (values !== base || this.owned.has(base)) this.reusableByBuffer.delete(base.buffer);
        else this.owned.add(base);
      }
    }
    return super.write(values, shape, dtype);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const freed = super.disposeData(dataId, force);
    if (freed && values instanceof Float32Array && this.isReusable(values) && !this.data.has(dataId)) {
      this.owned.delete(values);
      this.release(values);
    }
    return freed;
  }

  /**
   * Reads hand out a copy of reusable storage, so an array a caller keeps
   * (dataSync) never changes under it when the buffer is reused.
   */
  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return values instanceof Float32Array && this.isReusable(values) ? values.slice() : values;
  }

  private isReusable(values: Float32Array): boolean {
    return this.reusableByBuffer.get(values.buffer) === values;
  }

  /** Drops every pooled buffer (they are garbage collected like any array). */
  releasePooledMemory(): void {
    this.pool.clear();
    this.lastUse.clear();
    this.pooledBytes = 0;
  }

  /** Bytes held in released buffers waiting for reuse. */
  pooledMemoryBytes(): number {
    return this.pooledBytes;
  }

  private release(values: Float32Array): void {
    let list = this.pool.get(values.length);
    if (list === undefined) this.pool.set(values.length, (list = []));
    if (list.length >= POOL_MAX_PER_SIZE || this.pooledBytes + values.byteLength > POOL_MAX_BYTES) return;
    list.push(values);
    this.pooledBytes += values.byteLength;
    this.lastUse.set(values.length, this.outputs);
  }

  /** Drops the buffers of every length unused for POOL_IDLE_OUTPUTS outputs. */
  private dropIdle(): void {
    for (const [size, list] of this.pool) {
      if (this.outputs - (this.lastUse.get(size) ?? 0) < POOL_IDLE_OUTPUTS) continue;
      this.pooledBytes -= list.length * size * Float32Array.BYTES_PER_ELEMENT;
      this.pool.delete(size);
      this.lastUse.delete(size);
    }
  }

  private allocate(size: number): Float32Array {
    if (++this.outputs % POOL_IDLE_OUTPUTS === 0) this.dropIdle();
    const pooled = this.pool.get(size)?.pop();
    if (pooled !== undefined) {
      this.pooledBytes -= pooled.byteLength;
      this.lastUse.set(size, this.outputs);
      return pooled;
    }
    const values = uninitializedF32(size);
    if (size >= UNINITIALIZED_MIN) this.reusableByBuffer.set(values.buffer, values);
    return values;
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
    const values = this.allocate(tf.util.sizeFromShape(shape));
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
