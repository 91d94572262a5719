export { parseVersion, formatVersion, compareVersions } from './version.js';
export type { Version, VersionOperand, PreIdentifier } from './version.js';
export { parseRequirement, satisfies } from './requirement.js';
export type { Requirement, Clause, Operator, SatisfiesOptions } from './requirement.js';
