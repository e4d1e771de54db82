// `gantry/web` in a browser or any bundler: the browser-safe library, gantry-web (no Node, no trainer).
export * from 'gantry-web';
