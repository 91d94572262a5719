// `vfleet init` over odd workspaces: a FIFO, a huge file or a dangling link where a file goes, a
// product file naming folders outside pki/, a run killed between two files, two runs at once.
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative as relativePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkKeyMatchesCertificate } from '@vfleet/core';
import { fixturesDir } from '../fixtures-path.js';
import { loadProduct } from '../product/product.js';
import { workspacePaths } from './home.js';
import { initWorkspace } from './init.js';
import { readWorkspace } from './load.js';

const productFile = join(fixturesDir, 'products', 'edge-inference.json');
let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'vfleet-ws-odd-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** Every file of the workspace at `ws`, recursively, relative to it. */
const filesOf = (ws: string): string[] => (readdirSync(ws, { recursive: true, encoding: 'utf8' }) as string[]).sort();

describe('init over odd files', () => {
  it('refuses a FIFO or a huge file where a workspace file goes, without waiting on it', () => {
    initWorkspace({ home });
    const p = workspacePaths(home);
    unlinkSync(p.manifest);
    spawnSync('mkfifo', [p.manifest]);
    // a writer, so that a blocking read would get an answer (and the test no hang) instead of a refusal
    const writer = spawn('sh', ['-c', `echo '{}' > '${p.manifest}'`], { stdio: 'ignore', timeout: 10_000 });
    try {
      expect(() => initWorkspace({ home })).toThrow(`${p.manifest}: expected a file, found a FIFO`);
    } finally {
      writer.kill();
    }
    unlinkSync(p.manifest);
    writeFileSync(p.manifest, ' '.repeat(300_000));
    expect(() => readWorkspace(home)).toThrow(`${p.manifest}: 300000 bytes; a workspace file is at most 262144`);
  });

  it('refuses a dangling link where a key goes, and writes no certificate without its key', () => {
    const p = workspacePaths(home);
    mkdirSync(dirname(p.rootKey), { recursive: true });
    symlinkSync(join(home, 'nowhere.pem'), p.rootKey);
    expect(() => initWorkspace({ home })).toThrow(`${p.rootKey}: a symbolic link is where this file goes; move it away and run again`);
    expect(existsSync(p.rootCert)).toBe(false);
    expect(existsSync(join(home, 'nowhere.pem'))).toBe(false);
    unlinkSync(p.rootKey);
    expect(initWorkspace({ home }).created).toHaveLength(19);
  });
});

describe('init with odd product names', () => {
  it('refuses product and cohort names that would put keys outside pki/, before writing anything', () => {
    const product = JSON.parse(readFileSync(productFile, 'utf8')) as { product: string; cohorts: string[] };
    const odd = join(home, 'odd.json');
    writeFileSync(odd, JSON.stringify({ ...product, cohorts: [...product.cohorts, '../../../escaped'] }));
    const ws = join(home, 'ws');
    expect(() => initWorkspace({ home: ws, product: odd })).toThrow(
      `product ${odd}: $.cohorts[4]: "../../../escaped" must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (it names a file under pki/)`,
    );
    writeFileSync(odd, JSON.stringify({ ...product, product: '../escaped' }));
    expect(() => initWorkspace({ home: ws, product: odd })).toThrow(`product ${odd}: $.product: "../escaped" must match`);
    expect(readdirSync(home).sort()).toEqual(['odd.json', 'ws']);
    expect(filesOf(ws)).toEqual([]);
    expect(() => initWorkspace({ home: ws, product: 'edge-inference/../edge-inference' })).toThrow(
      'product "edge-inference/../edge-inference": expected a product name (^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$) or a path to a .json product file',
    );
  });

  it('keeps a product file as an absolute path, so the workspace works from any folder', () => {
    const product = JSON.parse(readFileSync(productFile, 'utf8')) as object;
    writeFileSync(join(home, 'mine.json'), JSON.stringify(product));
    const relative = relativePath(process.cwd(), join(home, 'mine.json'));
    initWorkspace({ home: join(home, 'ws'), product: relative });
    expect(readWorkspace(join(home, 'ws')).product).toBe(join(home, 'mine.json'));
  });
});

describe('init after a run killed between two files', () => {
  it('derives a signing public key from its private key, and takes back a certificate that was staged but not linked', () => {
    initWorkspace({ home });
    const p = workspacePaths(home);
    const pub = readFileSync(p.signingPublicKey('release'), 'utf8');
    unlinkSync(p.signingPublicKey('release'));
    const cert = p.intermediateCert('edge-inference', 'daily-debug');
    const certPem = readFileSync(cert, 'utf8');
    renameSync(cert, `${cert}.tmp-0a1b2c3d`);
    // a staged copy of another key, left by a kill before it was linked
    writeFileSync(`${p.rootKey}.tmp-00000000`, 'stale');
    const again = initWorkspace({ home });
    expect(again.created.sort()).toEqual([cert, p.signingPublicKey('release')].sort());
    expect(readFileSync(p.signingPublicKey('release'), 'utf8')).toBe(pub);
    expect(readFileSync(cert, 'utf8')).toBe(certPem);
    expect(filesOf(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('takes over the lock a killed init left, and removes the copy it was linked from', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.init-lock'), `${dead}\n`);
    writeFileSync(join(home, `.init-lock.${dead}-0badcafe`), `${dead}\n`);
    expect(initWorkspace({ home }).created).toHaveLength(19);
    expect(readdirSync(home).filter((n) => n.startsWith('.init-lock'))).toEqual([]);
  });

  it('still refuses a key whose certificate is nowhere', () => {
    initWorkspace({ home });
    const p = workspacePaths(home);
    unlinkSync(p.rootCert);
    expect(() => initWorkspace({ home })).toThrow(`${p.rootCert}: root CA is half there (its certificate is missing); restore it or remove both files`);
  });
});

describe('two inits at once', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = join(mkdtempSync(join(tmpdir(), 'vfleet-init-bundle-')), 'init.mjs');
    const entry = join(dirname(bundle), 'entry.ts');
    const init = fileURLToPath(new URL('./init.ts', import.meta.url));
    writeFileSync(entry, `import { initWorkspace } from ${JSON.stringify(init)};\ninitWorkspace({ home: process.argv[2], product: process.argv[3] });\n`);
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, conditions: ['source'], logLevel: 'error' });
  });
  afterAll(() => rmSync(dirname(bundle), { recursive: true, force: true }));

  const run = (ws: string) =>
    new Promise<{ code: number | null; err: string }>((resolve) => {
      // the bundle loads @peculiar/x509 lazily, from the repository's node_modules
      const env = { ...process.env, NODE_PATH: fileURLToPath(new URL('../../../node_modules', import.meta.url)) };
      const child = spawn(process.execPath, [bundle, ws, productFile], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, err }));
    });

  it('both succeed and leave one consistent PKI: every key matches its certificate, every intermediate chains to the root', async () => {
    const product = loadProduct();
    for (let round = 0; round < 8; round++) {
      const ws = join(home, `ws-${round}`);
      const results = await Promise.all([run(ws), run(ws)]);
      expect(results.map((r) => [r.code, r.err.split('\n')[0]])).toEqual([[0, ''], [0, '']]);
      const p = workspacePaths(ws);
      const root = new X509Certificate(readFileSync(p.rootCert));
      expect(checkKeyMatchesCertificate(readFileSync(p.rootCert, 'utf8'), readFileSync(p.rootKey, 'utf8'), 'root').subject).toBe('CN=Root CA vfleet');
      for (const c of product.cohorts) {
        const certPem = readFileSync(p.intermediateCert(product.product, c), 'utf8');
        expect(new X509Certificate(certPem).verify(root.publicKey)).toBe(true);
        expect(checkKeyMatchesCertificate(certPem, readFileSync(p.intermediateKey(product.product, c), 'utf8'), c).subject).toBe(`CN=Intermediate CA ${product.product} ${c}`);
        const derived = createPublicKey(createPrivateKey(readFileSync(p.signingPrivateKey(c), 'utf8'))).export({ type: 'spki', format: 'pem' });
        expect(readFileSync(p.signingPublicKey(c), 'utf8')).toBe(derived);
      }
      expect(filesOf(ws).filter((f) => f.includes('.tmp-') || f.includes('lock'))).toEqual([]);
    }
  }, 120_000);
});
