// The /update query exactly as Tesla encodes peridiod's expand list (protocol §4.3).

export const UPDATE_EXPAND = [
  'manifest.binary_prn',
  'manifest.custom_metadata',
  'manifest.hash',
  'manifest.target',
  'manifest.url',
  'manifest.signatures',
  'manifest.size',
  'manifest.artifact.prn',
  'manifest.artifact.name',
  'manifest.artifact_version.prn',
  'manifest.artifact_version.version',
  'bundle.prn',
  'release.prn',
  'release.version',
  'release.version_requirement',
  'bundle_override',
  'source_type',
] as const;

export const UPDATE_PATH = `/update?${UPDATE_EXPAND.map((v) => `expand%5B%5D=${v}`).join('&')}`;
