/** Fields every stored entity has; timestamps are ISO-8601 UTC strings. */
export interface Entity {
  uuid: string;
  prn: string;
  inserted_at: string;
  updated_at: string;
}

export interface Organization {
  uuid: string;
  /** Peridio's organization PRN form, `prn:1:<uuid>`. */
  prn: string;
  name: string;
}

export interface Product extends Entity {
  name: string;
  description: string | null;
}

export interface Cohort extends Entity {
  product_uuid: string;
  name: string;
  description: string | null;
}

/** Just-in-time provisioning: devices signed by this CA are created on first contact. */
export interface Jitp {
  cohort_uuid: string;
  product_name: string;
  tags: string[];
  target: string | null;
  description: string | null;
}

export interface CaCertificate extends Entity {
  certificate_pem: string;
  subject: string;
  /** Lowercase hex SHA-256 of the DER encoding. */
  fingerprint: string;
  not_after: string;
  cohort_uuid: string | null;
  description: string | null;
  jitp: Jitp | null;
}

export interface SigningKey extends Entity {
  name: string;
  /** Base64 of the raw 32-byte Ed25519 public key (what `trusted_signing_keys` holds). */
  public_value: string;
  /** The private key itself is only handed out by `signingKeys.privateKeyPem`. */
  has_private_key: boolean;
}

export type JsonObject = Record<string, unknown>;

export interface Artifact extends Entity {
  product_uuid: string;
  name: string;
  description: string | null;
  custom_metadata: JsonObject | null;
}

export interface ArtifactVersion extends Entity {
  artifact_uuid: string;
  version: string;
  description: string | null;
}

export type BinaryState = 'uploadable' | 'uploaded' | 'signed';

export interface Binary extends Entity {
  artifact_version_uuid: string;
  target: string;
  /** Declared at creation or measured at upload; null until known. */
  size: number | null;
  /** Lowercase hex SHA-256; null until known. */
  hash: string | null;
  custom_metadata: JsonObject | null;
  state: BinaryState;
  storage_path: string | null;
  description: string | null;
}

export interface BinarySignature extends Entity {
  binary_uuid: string;
  signing_key_uuid: string;
  /** 128 uppercase hex characters. */
  signature: string;
}

export interface Bundle extends Entity {
  name: string;
  description: string | null;
  /** In bundle order. */
  binary_uuids: string[];
}

export interface Release extends Entity {
  cohort_uuid: string;
  bundle_uuid: string;
  name: string;
  version: string | null;
  version_requirement: string | null;
  next_release_uuid: string | null;
  required: boolean;
  disabled: boolean;
  schedule_date: string;
  /** 0.0–1.0 = fraction of the cohort, integer ≥ 2 = device count, null = everyone. */
  phase_value: number | null;
  /** Devices with any of these tags; null = no tag gate. */
  phase_tags: string[] | null;
  description: string | null;
}

export interface BundleOverride extends Entity {
  name: string;
  bundle_uuid: string;
  starts_at: string;
  ends_at: string | null;
  device_uuids: string[];
  description: string | null;
}

export type DeviceOrigin = 'admin' | 'jitp';

export interface Device extends Entity {
  product_uuid: string;
  identifier: string;
  cohort_uuid: string | null;
  tags: string[];
  target: string | null;
  quarantined: boolean;
  origin: DeviceOrigin;
  description: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  reported_release_prn: string | null;
  reported_version: string | null;
  reported_bundle_prn: string | null;
  online: boolean;
}

export interface DeviceCertificate extends Entity {
  device_uuid: string;
  /** Lowercase hex SHA-256 of the DER encoding. */
  fingerprint: string;
  ca_certificate_uuid: string | null;
  not_after: string;
}

export type TunnelState = 'requested' | 'open' | 'closed';

export interface Tunnel extends Entity {
  device_uuid: string;
  state: TunnelState;
  device_tunnel_port: number;
  device_proxy_ip_address: string | null;
  device_proxy_port: number | null;
  device_public_key: string | null;
  server_proxy_ip_address: string | null;
  server_proxy_port: number | null;
  server_public_key: string | null;
  server_tunnel_ip_address: string | null;
  server_tunnel_port: number | null;
  cidr_block_allowlist: string[];
  expires_at: string;
  close_reason: string | null;
}

export interface StoredEvent {
  id: number;
  at: string;
  device_uuid: string | null;
  kind: string;
  data: unknown;
}

/** What a device says it runs, from the three peridio-* state headers of a poll. */
export interface ReportedState {
  release_prn: string | null;
  version: string | null;
  bundle_prn: string | null;
}
