// gantry-web: the browser-safe part of Gantry. Nothing here may import Node modules, the trainer
// or the native backend (a test bundles it for the browser and fails on any Node import).
export { loadGenerator, type Generator, type GeneratedImages, type LoadGeneratorOptions } from './generator/loadGenerator.js';
export { loadOnnxGenerator, type LoadOnnxGeneratorOptions } from './generator/onnxGenerator.js';
export { parseExportInfo, type ExportInfo } from './generator/exportInfo.js';
export { normalLatents, slerp } from './generator/latents.js';
export { toUnitRange, toUnitRangeInPlace, unitToRgba } from './generator/pixels.js';
export const gantryWebVersion = '0.1.0';
