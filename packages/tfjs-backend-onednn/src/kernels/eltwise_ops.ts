// Op codes shared with native/eltwise.cc.
export const UnaryOp = {
  Neg: 0, Abs: 1, Square: 2, Sqrt: 3, Rsqrt: 4, Exp: 5, Log: 6, Log1p: 7, Softplus: 8, Relu: 9,
  Relu6: 10, Sigmoid: 11, Tanh: 12, Elu: 13, Step: 14, LeakyRelu: 15, Reciprocal: 16, Expm1: 17,
} as const;

export const BinaryOp = {
  Add: 0, Sub: 1, Mul: 2, Div: 3, Max: 4, Min: 5, SquaredDifference: 6,
  Greater: 10, GreaterEqual: 11, Less: 12, LessEqual: 13, Equal: 14, NotEqual: 15,
  ReluGrad: 20, LeakyReluGrad: 21, EluGrad: 22, Prelu: 23, SigmoidGrad: 24, Relu6Grad: 25,
} as const;

/** Comparisons write bool (Uint8Array) outputs. */
export function isComparison(op: number): boolean {
  return op >= 10 && op < 20;
}

// Fused activation codes: native/activation.h's ActivationCode (a test checks that the two agree).
export const ActivationCode: Record<string, number> = {
  linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5,
};
