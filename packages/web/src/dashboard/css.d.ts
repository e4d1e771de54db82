// esbuild bundles imported stylesheets into dashboard.css; to TypeScript they are only side effects.
declare module '*.css';
