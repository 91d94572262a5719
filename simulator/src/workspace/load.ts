import { VfleetError } from '@vfleet/core';
import { workspacePaths } from './home.js';
import { readWorkspaceText } from './read-text.js';

export interface WorkspaceManifest {
  version: 1;
  product: string;
  organizationName: string;
  organizationUuid: string;
  createdAt: string;
}

/** Reads `workspace.json`; a missing or invalid one is a clear VFLEET_WORKSPACE error. */
export function readWorkspace(home: string): WorkspaceManifest {
  const file = workspacePaths(home).manifest;
  // bounded and never waiting on a FIFO: every command reads this file
  const text = readWorkspaceText(file);
  if (text === undefined) throw new VfleetError('VFLEET_WORKSPACE', `${home}: no workspace here (run \`vfleet init\`)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: ${(cause as Error).message}`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new VfleetError('VFLEET_WORKSPACE', `${file}: expected a JSON object`);
  const m = json as Partial<WorkspaceManifest>;
  for (const key of ['product', 'organizationName', 'organizationUuid'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') {
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: $.${key}: expected a non-empty string`);
    }
  }
  if (m.version !== 1) throw new VfleetError('VFLEET_WORKSPACE', `${file}: $.version: expected 1, found ${JSON.stringify(m.version)}`);
  return m as WorkspaceManifest;
}
