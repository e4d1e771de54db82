/** Gantry's version, written into every checkpoint (a test keeps it equal to package.json's). */
export const gantryVersion = '0.1.0';
