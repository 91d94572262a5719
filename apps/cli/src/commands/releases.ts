import type { Command } from 'commander';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { BOOT_HEALTHS, VfleetError, type BootHealth } from '@vfleet/core';
import { buildOsFwupArchive, buildOsSwu, ensureSwuSigner, resolveHome } from '@vfleet/simulator';
import { adminFrom, adminUrlOption, table } from '../admin.js';
import { choiceFlag, listFlag, sizeFlag } from '../flags.js';

type Row = Record<string, unknown> & { uuid: string; name: string };

async function findRelease(program: Command, flags: { adminUrl: string }, name: string): Promise<Row> {
  const { releases } = await adminFrom(program, flags).call<{ releases: Row[] }>('GET', '/api/v1/releases');
  const r = releases.find((x) => x.name === name || x.uuid === name || x['prn'] === name);
  if (!r) throw new VfleetError('VFLEET_USAGE', `release ${JSON.stringify(name)}: not found (have ${releases.map((x) => x.name).join(', ') || 'none'})`);
  return r;
}

function phaseValue(v: string): number {
  const n = Number(v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : v);
  if (!Number.isFinite(n) || n < 0 || (n > 1 && !Number.isInteger(n))) {
    throw new VfleetError('VFLEET_USAGE', `--value ${JSON.stringify(v)}: expected a fraction 0..1, a percentage like 50%, or a device count ≥ 2`);
  }
  return n;
}

export function registerReleases(program: Command): void {
  const releases = program.command('releases').description('releases in the running backend');
  releases
    .command('list')
    .option(...adminUrlOption)
    .action(async (flags: { adminUrl: string }) => {
      const { releases: rows } = await adminFrom(program, flags).call<{ releases: Row[] }>('GET', '/api/v1/releases');
      table(['NAME', 'VERSION', 'REQUIREMENT', 'DISABLED', 'PHASE'], rows.map((r) => [
        r.name, r['version'] as string, r['version_requirement'] as string, r['disabled'] as boolean,
        r['phase_tags'] ? `tags ${(r['phase_tags'] as string[]).join(',')}` : (r['phase_value'] as number | null),
      ]));
    });
  for (const [verb, disabled] of [['enable', false], ['disable', true]] as const) {
    releases
      .command(`${verb} <name>`)
      .option(...adminUrlOption)
      .action(async (name: string, flags: { adminUrl: string }) => {
        const r = await findRelease(program, flags, name);
        await adminFrom(program, flags).call('PATCH', `/api/v1/releases/${r.uuid}`, { disabled });
        console.log(`${r.name} ${verb}d`);
      });
  }
  releases
    .command('phase <name>')
    .description('phase a release by value (fraction, percentage or device count) or by tags')
    .option('--value <v>', 'fraction 0..1, percentage (50%) or device count (≥ 2)')
    .option('--tags <list>', 'comma-separated device tags', listFlag)
    .option(...adminUrlOption)
    .action(async (name: string, flags: { value?: string; tags?: string[]; adminUrl: string }) => {
      if ((flags.value === undefined) === (flags.tags === undefined)) throw new VfleetError('VFLEET_USAGE', 'releases phase: give exactly one of --value or --tags');
      const r = await findRelease(program, flags, name);
      const patch = flags.value !== undefined ? { phase_value: phaseValue(flags.value) } : { phase_tags: flags.tags };
      await adminFrom(program, flags).call('PATCH', `/api/v1/releases/${r.uuid}`, patch);
      console.log(`${r.name} phased: ${JSON.stringify(patch)}`);
    });

  const artifacts = program.command('artifacts').description('artifacts: list those in the backend, build OS images');
  artifacts
    .command('list')
    .description('artifacts, versions and binaries in the running backend')
    .option(...adminUrlOption)
    .action(async (flags: { adminUrl: string }) => {
      const client = adminFrom(program, flags);
      const [{ artifacts }, { binaries }, versions] = await Promise.all([
        client.call<{ artifacts: Row[] }>('GET', '/api/v1/artifacts'),
        client.call<{ binaries: Row[] }>('GET', '/api/v1/binaries'),
        client.call<{ artifact_versions: Row[] }>('GET', '/api/v1/artifact-versions'),
      ]);
      const rows = binaries.map((b) => {
        const v = versions.artifact_versions.find((x) => x.uuid === b['artifact_version_uuid']);
        const a = artifacts.find((x) => x.uuid === v?.['artifact_uuid']);
        return [a?.name, v?.['version'] as string, b['target'] as string, b['size'] as number, b['state'] as string];
      });
      table(['ARTIFACT', 'VERSION', 'TARGET', 'SIZE', 'STATE'], rows);
    });
  registerOsArtifact(artifacts, program);
}

const OS_FORMATS = ['fwup', 'swu'] as const;

export function registerOsArtifact(artifacts: Command, program: Command): void {
  artifacts
    .command('os')
    .description('build a vfleet OS image (boot header + filler) for the A/B disk: an fwup archive, or a CMS-signed .swu for swupdate')
    .requiredOption('--name <name>', 'product name in the boot header and fwup meta', 'edge-inference-os')
    .requiredOption('--version <version>', 'OS version')
    .option('--size <size>', 'image size', sizeFlag('--size'), 64 * 1024 * 1024)
    .option('--health <health>', 'how the slot behaves when booted', choiceFlag('--health', BOOT_HEALTHS), 'ok')
    .option('--disk-size <size>', 'disk size of the target devices (gives slot and env offsets)', sizeFlag('--disk-size'), 256 * 1024 * 1024)
    .option('--format <format>', 'fwup (.fw archive) or swu (CMS-signed with the workspace swupdate signer)', choiceFlag('--format', OS_FORMATS), 'fwup')
    .option('--sign-key <file>', "fwup private key (fwup's base64 format) to sign meta.conf (--format fwup)")
    .option('--hw-compat <list>', 'hardware revisions the .swu accepts, comma-separated (--format swu)', listFlag)
    .requiredOption('--out <file>', 'where to write the archive')
    .action(async (flags: { name: string; version: string; size: number; health: BootHealth; diskSize: number; format: (typeof OS_FORMATS)[number]; signKey?: string; hwCompat?: string[]; out: string }) => {
      if (flags.format === 'swu') {
        if (flags.signKey !== undefined) throw new VfleetError('VFLEET_USAGE', '--sign-key: an fwup key; a .swu is signed with the workspace swupdate signer (--format swu)');
        if (flags.hwCompat !== undefined && flags.hwCompat.length === 0) throw new VfleetError('VFLEET_USAGE', '--hw-compat: expected at least one hardware revision, like 1.0');
        const signer = await ensureSwuSigner(resolveHome(program.opts<{ home?: string }>().home));
        await buildOsSwu({
          name: flags.name, version: flags.version, size: flags.size, health: flags.health, diskBytes: flags.diskSize, signer, out: flags.out,
          ...(flags.hwCompat === undefined ? {} : { hardwareCompatibility: flags.hwCompat }),
        });
        console.log(`${flags.out}: ${flags.name} ${flags.version} (${flags.health}), ${statSync(flags.out).size} bytes, selections stable,a/stable,b, signed by ${signer.certPath}`);
        console.log(`devices verify it with the workspace root CA (${signer.caPath}) at /etc/peridiod/swupdate-ca.pem and need /etc/hwrevision "<board> ${(flags.hwCompat ?? ['1.0']).join('|')}"`);
        return;
      }
      if (flags.hwCompat !== undefined) throw new VfleetError('VFLEET_USAGE', '--hw-compat: only for --format swu');
      const fw = buildOsFwupArchive({
        name: flags.name,
        version: flags.version,
        size: flags.size,
        health: flags.health,
        diskBytes: flags.diskSize,
        ...(flags.signKey === undefined ? {} : { signingKey: readFileSync(flags.signKey, 'utf8').trim() }),
      });
      writeFileSync(`${flags.out}.tmp`, fw);
      renameSync(`${flags.out}.tmp`, flags.out);
      console.log(`${flags.out}: ${flags.name} ${flags.version} (${flags.health}), ${fw.length} bytes, tasks upgrade.a/upgrade.b`);
    });
}
