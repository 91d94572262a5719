import { randomUUID } from 'node:crypto';
import type { SigningKeyPair } from '@vfleet/core';
import type { HttpResult } from '../../types.js';
import type { BinaryHost } from './binary-host.js';
import { content, fileMeta, manifestItem, releasePrn, updateBody, type ReleaseRef, type TestBinary } from './offers.js';

export interface SimpleRelease {
  ref: ReleaseRef;
  binaries: TestBinary[];
  manifest: Record<string, unknown>[];
  /** `/update` answer: this release until the device reports it, then no_update. */
  respond(headers: Readonly<Record<string, string>>): HttpResult;
}

/** A release of `count` `file` binaries under /opt/app (app-<i>.bin), hosted on `host`, signed by `signer`. */
export function simpleRelease(host: BinaryHost, signer: SigningKeyPair, opts: {
  count?: number;
  version?: string;
  meta?: (i: number) => Record<string, unknown>;
  item?: (i: number, item: Record<string, unknown>) => Record<string, unknown>;
} = {}): SimpleRelease {
  const ref: ReleaseRef = { uuid: randomUUID(), version: opts.version ?? '2.0.0', bundleUuid: randomUUID() };
  const binaries = Array.from({ length: opts.count ?? 2 }, (_, i): TestBinary => {
    const uuid = randomUUID();
    return { uuid, content: content(uuid, 100_000 + i * 7), target: 'portable', customMetadata: opts.meta?.(i) ?? fileMeta('/opt/app', `app-${i}.bin`) };
  });
  const manifest = binaries.map((b, i) => {
    host.put(b.uuid, b.content);
    const item = manifestItem(b, host.url(b.uuid), signer);
    return opts.item?.(i, item) ?? item;
  });
  return {
    ref,
    binaries,
    manifest,
    respond: (headers) => (headers['peridio-release-prn'] === releasePrn(ref)
      ? { status: 200, body: { status: 'no_update' } }
      : { status: 200, body: updateBody(ref, manifest) }),
  };
}
