/** One schema step; `version`s are consecutive from 1 and never edited once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const stamps = 'inserted_at TEXT NOT NULL, updated_at TEXT NOT NULL';

const catalog = `
CREATE TABLE organization (uuid TEXT PRIMARY KEY, name TEXT NOT NULL, inserted_at TEXT NOT NULL);
CREATE TABLE products (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT, ${stamps});
CREATE TABLE cohorts (
  uuid TEXT PRIMARY KEY, product_uuid TEXT NOT NULL REFERENCES products(uuid), name TEXT NOT NULL,
  description TEXT, ${stamps}, UNIQUE (product_uuid, name));
CREATE TABLE ca_certificates (
  uuid TEXT PRIMARY KEY, certificate_pem TEXT NOT NULL, subject TEXT NOT NULL,
  fingerprint TEXT NOT NULL UNIQUE, not_after TEXT NOT NULL, cohort_uuid TEXT REFERENCES cohorts(uuid),
  description TEXT, jitp TEXT, ${stamps});
CREATE TABLE signing_keys (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, public_value TEXT NOT NULL UNIQUE,
  private_key_pem TEXT, ${stamps});
CREATE TABLE artifacts (
  uuid TEXT PRIMARY KEY, product_uuid TEXT NOT NULL REFERENCES products(uuid), name TEXT NOT NULL,
  description TEXT, custom_metadata TEXT, ${stamps}, UNIQUE (product_uuid, name));
CREATE TABLE artifact_versions (
  uuid TEXT PRIMARY KEY, artifact_uuid TEXT NOT NULL REFERENCES artifacts(uuid), version TEXT NOT NULL,
  description TEXT, ${stamps}, UNIQUE (artifact_uuid, version));
CREATE TABLE binaries (
  uuid TEXT PRIMARY KEY, artifact_version_uuid TEXT NOT NULL REFERENCES artifact_versions(uuid),
  target TEXT NOT NULL, size INTEGER, hash TEXT, custom_metadata TEXT,
  state TEXT NOT NULL CHECK (state IN ('uploadable', 'uploaded', 'signed')), storage_path TEXT,
  description TEXT, ${stamps}, UNIQUE (artifact_version_uuid, target));
CREATE TABLE binary_signatures (
  uuid TEXT PRIMARY KEY, binary_uuid TEXT NOT NULL REFERENCES binaries(uuid) ON DELETE CASCADE,
  signing_key_uuid TEXT NOT NULL REFERENCES signing_keys(uuid), signature TEXT NOT NULL, ${stamps},
  UNIQUE (binary_uuid, signing_key_uuid));
CREATE INDEX binary_signatures_key ON binary_signatures(signing_key_uuid);
CREATE TABLE bundles (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT, ${stamps});
CREATE TABLE bundle_binaries (
  bundle_uuid TEXT NOT NULL REFERENCES bundles(uuid) ON DELETE CASCADE, position INTEGER NOT NULL,
  binary_uuid TEXT NOT NULL REFERENCES binaries(uuid), PRIMARY KEY (bundle_uuid, position));
CREATE INDEX bundle_binaries_binary ON bundle_binaries(binary_uuid);
CREATE TABLE releases (
  uuid TEXT PRIMARY KEY, cohort_uuid TEXT NOT NULL REFERENCES cohorts(uuid),
  bundle_uuid TEXT NOT NULL REFERENCES bundles(uuid), name TEXT NOT NULL, version TEXT,
  version_requirement TEXT, next_release_uuid TEXT REFERENCES releases(uuid),
  required INTEGER NOT NULL, disabled INTEGER NOT NULL, schedule_date TEXT NOT NULL,
  phase_value REAL, phase_tags TEXT, description TEXT, ${stamps}, UNIQUE (cohort_uuid, name));
CREATE UNIQUE INDEX releases_next ON releases(next_release_uuid) WHERE next_release_uuid IS NOT NULL;
CREATE INDEX releases_bundle ON releases(bundle_uuid);
CREATE TABLE devices (
  uuid TEXT PRIMARY KEY, product_uuid TEXT NOT NULL REFERENCES products(uuid), identifier TEXT NOT NULL,
  cohort_uuid TEXT REFERENCES cohorts(uuid), tags TEXT NOT NULL, target TEXT,
  quarantined INTEGER NOT NULL, origin TEXT NOT NULL CHECK (origin IN ('admin', 'jitp')), description TEXT,
  first_seen_at TEXT, last_seen_at TEXT, reported_release_prn TEXT, reported_version TEXT,
  reported_bundle_prn TEXT, online INTEGER NOT NULL DEFAULT 0, ${stamps},
  UNIQUE (product_uuid, identifier));
CREATE INDEX devices_cohort ON devices(cohort_uuid);
CREATE TABLE bundle_overrides (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, bundle_uuid TEXT NOT NULL REFERENCES bundles(uuid),
  starts_at TEXT NOT NULL, ends_at TEXT, description TEXT, ${stamps});
CREATE TABLE bundle_override_devices (
  bundle_override_uuid TEXT NOT NULL REFERENCES bundle_overrides(uuid) ON DELETE CASCADE,
  device_uuid TEXT NOT NULL REFERENCES devices(uuid) ON DELETE CASCADE,
  PRIMARY KEY (bundle_override_uuid, device_uuid));
CREATE INDEX bundle_override_devices_device ON bundle_override_devices(device_uuid);
CREATE TABLE device_certificates (
  uuid TEXT PRIMARY KEY, device_uuid TEXT NOT NULL REFERENCES devices(uuid) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL UNIQUE, ca_certificate_uuid TEXT REFERENCES ca_certificates(uuid) ON DELETE SET NULL,
  not_after TEXT NOT NULL, ${stamps});
CREATE INDEX device_certificates_device ON device_certificates(device_uuid);
CREATE TABLE tunnels (
  uuid TEXT PRIMARY KEY, device_uuid TEXT NOT NULL REFERENCES devices(uuid) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('requested', 'open', 'closed')), device_tunnel_port INTEGER NOT NULL,
  device_proxy_ip_address TEXT, device_proxy_port INTEGER, device_public_key TEXT,
  server_proxy_ip_address TEXT, server_proxy_port INTEGER, server_public_key TEXT,
  server_tunnel_ip_address TEXT, server_tunnel_port INTEGER, cidr_block_allowlist TEXT NOT NULL,
  expires_at TEXT NOT NULL, close_reason TEXT, ${stamps});
CREATE INDEX tunnels_device ON tunnels(device_uuid);
`;

// AUTOINCREMENT so ids are never reused after pruning: `?since=<id>` cursors stay valid.
const events = `
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, device_uuid TEXT, kind TEXT NOT NULL,
  data TEXT NOT NULL);
CREATE INDEX events_device ON events(device_uuid, id);
`;

// Proof of possession for CA registration (protocol §8.4): single-use, expiring codes.
const verificationCodes = `
CREATE TABLE ca_verification_codes (
  code TEXT PRIMARY KEY, expires_at TEXT NOT NULL, used_at TEXT, inserted_at TEXT NOT NULL);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'catalog, devices and tunnels', sql: catalog },
  { version: 2, name: 'device-facing event log', sql: events },
  { version: 3, name: 'CA verification codes', sql: verificationCodes },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
