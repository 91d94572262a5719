// Runs the agent's CommonJS bundle with a V8 code cache beside it (Node 20 has no compile cache of
// its own): a process that starts from the cache neither parses the bundle nor compiles the
// functions the cache holds, ~20 ms less CPU per agent start. V8 checks the cache against the
// source and its own version and flags; a missing or rejected cache is written anew, once, by the
// process that found it so (at exit, or two seconds in, so it holds what the agent compiled while
// starting). A cache that cannot be written (read-only image) only costs that saving.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

type CommonJsWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

export interface CodeCacheRun {
  /** True when the cache was missing or V8 rejected it (the process then writes one). */
  fresh: boolean;
}

export function runWithCodeCache(bundle: string, cacheFile: string, writeAfterMs = 2000): CodeCacheRun {
  let source = readFileSync(bundle, 'utf8');
  // keep line numbers: the wrapper goes on the first line, as node's own CommonJS loader does
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: bundle,
    ...(cached === undefined ? {} : { cachedData: cached }),
  });
  const fresh = cached === undefined || script.cachedDataRejected === true;
  if (fresh) {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {
          // a directory we cannot write: nothing was left there
        }
      }
    };
    setTimeout(write, writeAfterMs).unref();
    process.once('exit', write);
  }
  const module = { exports: {} };
  (script.runInThisContext() as CommonJsWrapper).call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { fresh };
}
