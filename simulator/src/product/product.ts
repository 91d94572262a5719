import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { fixturesDir } from '../fixtures-path.js';

export interface ProductBinary { target: string; size: number; uuid: string }
export interface ProductArtifactVersion { version: string; uuid: string; binaries: ProductBinary[] }
export interface ProductArtifact {
  name: string;
  uuid: string;
  customMetadata: Record<string, unknown>;
  versions: ProductArtifactVersion[];
}
export interface ProductBundle { name: string; uuid: string; artifactVersions: Record<string, string> }
export interface ProductRelease {
  name: string;
  uuid: string;
  cohort: string;
  bundle: string;
  version: string;
  versionRequirement: string | null;
  disabled: boolean;
  phase: { value?: number; tags?: string[] };
  previous?: string;
}
export interface ProductDevice { id: string; tags: string[]; target: string; registered: boolean }

/** A product as data: what `vfleet init`, `devices create --evk` and the backend seed share. */
export interface Product {
  product: string;
  cohorts: string[];
  deviceCohort: string;
  targetSets: Record<string, string[]>;
  artifacts: ProductArtifact[];
  bundles: ProductBundle[];
  releases: ProductRelease[];
  installedRelease: string;
  devices: ProductDevice[];
}

function fail(source: string, path: string, what: string): never {
  throw new VfleetError('VFLEET_CONFIG_INVALID', `${source}: ${path}: ${what}`);
}

function str(v: unknown, source: string, path: string): string {
  if (typeof v !== 'string' || v === '') fail(source, path, `expected a non-empty string, found ${JSON.stringify(v)}`);
  return v;
}

function arr(v: unknown, source: string, path: string): unknown[] {
  if (!Array.isArray(v)) fail(source, path, `expected an array, found ${JSON.stringify(v)}`);
  return v;
}

/** Validates a product definition once, at the boundary; cross-references are checked too. */
export function parseProduct(value: unknown, source: string): Product {
  if (typeof value !== 'object' || value === null) fail(source, '$', 'expected an object');
  const p = value as Record<string, unknown>;
  str(p['product'], source, '$.product');
  const cohorts = arr(p['cohorts'], source, '$.cohorts').map((c, i) => str(c, source, `$.cohorts[${i}]`));
  if (!cohorts.includes(str(p['deviceCohort'], source, '$.deviceCohort'))) {
    fail(source, '$.deviceCohort', `must be one of ${cohorts.join(', ')}`);
  }
  const artifacts = arr(p['artifacts'], source, '$.artifacts') as ProductArtifact[];
  artifacts.forEach((a, i) => {
    str(a.name, source, `$.artifacts[${i}].name`);
    arr(a.versions, source, `$.artifacts[${i}].versions`).forEach((_, j) => {
      const v = a.versions[j];
      str(v?.version, source, `$.artifacts[${i}].versions[${j}].version`);
      arr(v?.binaries, source, `$.artifacts[${i}].versions[${j}].binaries`);
    });
  });
  const bundles = arr(p['bundles'], source, '$.bundles') as ProductBundle[];
  bundles.forEach((b, i) => {
    for (const [art, ver] of Object.entries(b.artifactVersions ?? {})) {
      const a = artifacts.find((x) => x.name === art);
      if (!a?.versions.some((v) => v.version === ver)) {
        fail(source, `$.bundles[${i}].artifactVersions.${art}`, `no artifact version ${art}@${ver}`);
      }
    }
  });
  const releases = arr(p['releases'], source, '$.releases') as ProductRelease[];
  releases.forEach((r, i) => {
    if (!bundles.some((b) => b.name === r.bundle)) fail(source, `$.releases[${i}].bundle`, `no bundle ${r.bundle}`);
  });
  if (!releases.some((r) => r.name === p['installedRelease'])) {
    fail(source, '$.installedRelease', `no release ${JSON.stringify(p['installedRelease'])}`);
  }
  arr(p['devices'], source, '$.devices');
  return value as Product;
}

/** Loads `fixtures/products/<name>.json`, or a path to a product file. */
export function loadProduct(nameOrPath = 'edge-inference'): Product {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : join(fixturesDir, 'products', `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VfleetError('VFLEET_CONFIG_INVALID', `product ${JSON.stringify(nameOrPath)}: cannot read ${file}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VfleetError('VFLEET_CONFIG_INVALID', `${file}: invalid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseProduct(json, file);
}

/** The targets a device of `target` installs (the EVK's arm64-v8 device also takes the NPU model). */
export function targetsFor(product: Product, target: string): string[] {
  return product.targetSets[target] ?? [target];
}
