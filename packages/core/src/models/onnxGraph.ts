import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** The opset every exported model imports (ONNX 1.12's newest; IR version 8 carries it). */
export const onnxOpset = 17;
export const onnxIrVersion = 8;

/** An attribute value, typed the way ONNX stores it. */
export type OnnxAttribute = { int: number } | { float: number } | { ints: number[] } | { string: string };

/** The element types the exported graphs use. */
export type OnnxDtype = 'float32' | 'int64';

const dataType: Record<OnnxDtype, number> = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 };

function attribute(name: string, value: OnnxAttribute): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
}

/** A graph input or output: `null` in `shape` is the dynamic batch axis, named N. */
export function valueInfo(name: string, dtype: OnnxDtype, shape: (number | null)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: dataType[dtype], shape: { dim: shape.map((d) => (d === null ? { dimParam: 'N' } : { dimValue: d })) } } },
  };
}

/**
 * Nodes and initializers of one ONNX graph, in the order they are added (which is a topological
 * order, since a node can only name tensors that exist). Every tensor name is unique.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();

  /** `base`, or `base_2`, `base_3`, ... when taken. */
  unique(base: string): string {
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node of `op` and returns the name of its (single) output, `name` made unique. */
  node(op: string, inputs: string[], name: string, attributes: Record<string, OnnxAttribute> = {}): string {
    const output = this.unique(name);
    this.nodes.push({ opType: op, name: output, input: inputs, output: [output], attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)) });
    return output;
  }

  /** A float32 initializer (little-endian raw data) of `dims`. */
  floats(name: string, values: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`initializer ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    const raw = new Uint8Array(values.length * 4);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return this.initializer(name, 'float32', dims, raw);
  }

  /** An int64 initializer: a 1-D list (shapes, axes) unless `dims` says otherwise. */
  int64s(name: string, values: number[], dims: number[] = [values.length]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    return this.initializer(name, 'int64', dims, raw);
  }

  private initializer(name: string, dtype: OnnxDtype, dims: number[], rawData: Uint8Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dataType: dataType[dtype], dims, rawData });
    return unique;
  }
}

export interface OnnxModelParts {
  graphName: string;
  builder: OnnxGraphBuilder;
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  producerVersion: string;
  docString: string;
  /** Free-form facts stored in the model's metadata_props. */
  metadata: Record<string, string>;
}

/** The serialised ModelProto (protobuf bytes, what a .onnx file holds). */
export function encodeOnnxModel(parts: OnnxModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: onnxIrVersion,
    opsetImport: [{ domain: '', version: onnxOpset }],
    producerName: 'Gantry',
    producerVersion: parts.producerVersion,
    docString: parts.docString,
    metadataProps: Object.entries(parts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: parts.graphName,
      node: parts.builder.nodes,
      initializer: parts.builder.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
