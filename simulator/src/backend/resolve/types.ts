/** The release fields resolution reads; the store's `Release` rows fit as they are. */
export interface ResolveRelease {
  uuid: string;
  prn: string;
  cohort_uuid: string;
  bundle_uuid: string;
  version: string | null;
  version_requirement: string | null;
  next_release_uuid: string | null;
  required: boolean;
  disabled: boolean;
  schedule_date: string;
  phase_value: number | null;
  phase_tags: readonly string[] | null;
  inserted_at: string;
}

export interface ResolveBundle {
  uuid: string;
  prn: string;
}

export interface ResolveBundleOverride {
  uuid: string;
  prn: string;
  bundle_uuid: string;
  starts_at: string;
  ends_at: string | null;
  inserted_at: string;
  /** When given, the override applies only if the device is listed. */
  device_uuids?: readonly string[];
}

export interface ResolveDevice {
  uuid: string;
  prn: string;
  cohort_uuid: string | null;
  tags: readonly string[];
  identifier: string;
  quarantined: boolean;
}

type HeaderValue = string | readonly string[] | undefined;

/** The device-state headers as node:http delivers them (lowercase names); `req.headers` fits. */
export interface StateHeaders {
  'peridio-release-prn'?: HeaderValue;
  'peridio-release-version'?: HeaderValue;
  'peridio-bundle-prn'?: HeaderValue;
}

export interface ResolveInput<R extends ResolveRelease, B extends ResolveBundle, O extends ResolveBundleOverride> {
  device: ResolveDevice;
  headers: StateHeaders;
  now: Date;
  /** The releases of the device's cohort (others are ignored). */
  releases: readonly R[];
  /** Every bundle a release or override above refers to. */
  bundles: readonly B[];
  /** The overrides naming this device, active or not. */
  bundleOverrides: readonly O[];
  /** The cohort's devices; needed only when a release phases by device count. */
  cohortDeviceUuids?: readonly string[];
}

export type ResolveResult<R, B, O> =
  | { status: 'no_update'; reason: string }
  | { status: 'device_quarantined' }
  | { status: 'update'; sourceType: 'release'; release: R; bundle: B }
  | { status: 'update'; sourceType: 'bundle_override'; bundleOverride: O; bundle: B };
