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
  /** Without the value itself, which each caller quotes its own way. */
  message: string;
}

/** The backend's refusal of a value, without its `<entity>.<field>: ` or `invalid version "…": ` lead. */
function refusal(validate: () => unknown, lead: RegExp | string): string | undefined {
  try {
    validate();
    return undefined;
  } catch (e) {
    if (!(e instanceof VfleetError)) throw e;
    return e.message.replace(lead, '');
  }
}
const nameRule = (entity: string, name: string) => () => new Fields(entity, { name }, ['name']).text('name', MAX_NAME_CHARS);

/** A version the backend takes (SemVer 2.0, as devices report it). */
export const isVersion = (text: string): boolean => refusal(() => parseVersion(text, 'version'), '') === undefined;

/** The issues of a release to enable (`binaryBytes` when the run creates it), each in the backend's words; absent fields are not checked. */
export function releaseIssues(r: { name?: string | undefined; version?: string | undefined; binaryBytes?: number | undefined }): ReleaseIssue[] {
  const issues: ReleaseIssue[] = [];
  const { name, version, binaryBytes } = r;
  if (name !== undefined) {
    const bad = refusal(nameRule('release', name), /^release\.name: /);
    if (bad !== undefined) issues.push({ field: 'name', message: `${bad}; a release name is 1 to ${MAX_NAME_CHARS} characters without control characters` });
    else if (binaryBytes !== undefined && refusal(nameRule('artifact', `${name}${PAYLOAD_SUFFIX}`), '') !== undefined) {
      issues.push({ field: 'name', message: `${name.length} characters; a created release has at most ${MAX_NAME_CHARS - PAYLOAD_SUFFIX.length} (its artifact is named <name>${PAYLOAD_SUFFIX}, at most ${MAX_NAME_CHARS})` });
    }
  }
  if (version !== undefined) {
    const bad = refusal(() => parseVersion(version, 'version'), `version: invalid version ${JSON.stringify(version)}: `);
    if (bad !== undefined) issues.push({ field: 'version', message: bad });
  }
  if (binaryBytes !== undefined && binaryBytes < 1) issues.push({ field: 'binary', message: 'must be at least 1 byte' });
  if (binaryBytes !== undefined && binaryBytes > DEFAULT_MAX_UPLOAD_BYTES) {
    issues.push({ field: 'binary', message: `${binaryBytes} bytes; the embedded backend accepts binaries of at most ${DEFAULT_MAX_UPLOAD_BYTES} (${DEFAULT_MAX_UPLOAD_BYTES / 1024 ** 3} GiB)` });
  }
  return issues;
}
