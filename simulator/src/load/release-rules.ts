import { parseVersion, VfleetError } from '@vfleet/core';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../backend/admin/context.js';
import { Fields } from '../backend/store/fields.js';

/** Names the backend stores are at most this long (Fields.text's limit for `name`). */
export const MAX_NAME_CHARS = 100;
/** A load run's created release names its artifact `<release>-payload`. */
export const PAYLOAD_SUFFIX = '-payload';

/** Why the backend would refuse a load run's release, checked before the run starts (the backend's own rules). */
export interface ReleaseIssue {
  field: 'name' | 'version' | 'binary';
  message: string;
}

const passes = (validate: () => unknown): string | undefined => {
  try {
    validate();
    return undefined;
  } catch (e) {
    if (!(e instanceof VfleetError)) throw e;
    return e.message.replace(/^[a-z]+\.name: /, '');
  }
};
const nameRule = (entity: string, name: string) => () => new Fields(entity, { name }, ['name']).text('name', MAX_NAME_CHARS);

/** The issues of a release to enable (`binaryBytes` when the run creates it), each in the backend's words. */
export function releaseIssues(name: string, version: string, binaryBytes?: number): ReleaseIssue[] {
  const issues: ReleaseIssue[] = [];
  const badName = passes(nameRule('release', name));
  if (badName !== undefined) issues.push({ field: 'name', message: `${badName}; a release name is 1 to ${MAX_NAME_CHARS} characters without control characters` });
  else if (binaryBytes !== undefined && passes(nameRule('artifact', `${name}${PAYLOAD_SUFFIX}`)) !== undefined) {
    issues.push({ field: 'name', message: `${name.length} characters; a created release has at most ${MAX_NAME_CHARS - PAYLOAD_SUFFIX.length} (its artifact is named <name>${PAYLOAD_SUFFIX}, at most ${MAX_NAME_CHARS})` });
  }
  const badVersion = passes(() => parseVersion(version, 'version'));
  if (badVersion !== undefined) issues.push({ field: 'version', message: badVersion.replace(/^version: /, '') });
  if (binaryBytes !== undefined && binaryBytes < 1) issues.push({ field: 'binary', message: 'must be at least 1 byte' });
  if (binaryBytes !== undefined && binaryBytes > DEFAULT_MAX_UPLOAD_BYTES) {
    issues.push({ field: 'binary', message: `${binaryBytes} bytes; the embedded backend accepts binaries of at most ${DEFAULT_MAX_UPLOAD_BYTES} (${DEFAULT_MAX_UPLOAD_BYTES / 1024 ** 3} GiB)` });
  }
  return issues;
}
