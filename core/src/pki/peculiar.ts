// @peculiar/x509 on first use: it and its ASN.1 stack (asn1js, tsyringe, reflect-metadata) are
// about half of the agent bundle and cost ~40 ms of evaluation per process, while the agent only
// needs them for certificates Node's own parser cannot describe the same way (unusual names, CAs).
// A synchronous require keeps parseCertificate/parseCsr synchronous. The agent bundle marks the
// package external and ships it as its own CommonJS file beside the bundle (simulator image.ts).
import { createRequire } from 'node:module';
import type * as PeculiarModule from '@peculiar/x509';

type Peculiar = typeof PeculiarModule;

let loaded: Peculiar | undefined;

export function peculiarX509(): Peculiar {
  loaded ??= createRequire(import.meta.url)('@peculiar/x509') as Peculiar;
  return loaded;
}
