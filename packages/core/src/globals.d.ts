/**
 * The few Web APIs the core uses that Node has too. The core compiles without Node's types and
 * without the DOM's, so anything else from either runtime is a compile error here.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare const performance: { now(): number };
