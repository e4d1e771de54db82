// Types of `gantry/web`: gantry-web's. In Node, loadGenerator's source may also be a folder path.
export * from 'gantry-web';
