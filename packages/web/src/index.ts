// gantry-web: the browser-safe part of Gantry. Nothing here may import Node modules, the trainer
// or the native backend.
export const gantryWebVersion = '0.1.0';
