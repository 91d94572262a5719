// Reads a workspace file (a PEM file, workspace.json). The workspace is the user's, so links are
// followed; but a FIFO, a folder or a huge file where a key should be gets a clear refusal instead
// of a read that waits for ever or fills memory.
import { VfleetError } from '@vfleet/core';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';

/** Longest workspace file: PEM files and workspace.json are a few KiB. */
const MAX_WORKSPACE_FILE_BYTES = 256 * 1024;

/** The text of `file`; undefined when it is missing. */
export function readWorkspaceText(file: string): string | undefined {
  const r = readRegularFile(file, MAX_WORKSPACE_FILE_BYTES);
  switch (r.status) {
    case 'ok':
      return r.bytes.toString('utf8');
    case 'missing':
      return undefined;
    case 'not-regular':
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: expected a file, found a ${r.kind}`);
    case 'too-big': {
      const size = r.size === undefined ? `more than ${MAX_WORKSPACE_FILE_BYTES}` : String(r.size);
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: ${size} bytes; a workspace file is at most ${MAX_WORKSPACE_FILE_BYTES}`);
    }
    case 'failed':
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: cannot read it: ${r.error.message}`, { cause: r.error });
  }
}

/** Like readWorkspaceText, for a file that must be there; `hint` says how to get it back. */
export function mustReadWorkspaceText(file: string, hint: string): string {
  const text = readWorkspaceText(file);
  if (text === undefined) throw new VfleetError('VFLEET_WORKSPACE', `${file}: missing; ${hint}`);
  return text;
}
