import { fileURLToPath } from 'node:url';

/** The repository's `fixtures/` folder; this file sits at the same depth in `src/` and `dist/`. */
export const fixturesDir: string = fileURLToPath(new URL('../../fixtures/', import.meta.url));
