import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFwupArchiveToFile, type FwupApplyResult, inflateFwupResources, listFwupTasks, fwupMetadataLines, readFwupArchive, verifyFwupArchive } from '@vfleet/core';

interface KeyFlags {
  publicKey: string[];
  publicKeyFile: string[];
}

const collect = (v: string, all: string[]) => [...all, v];
const keysOf = (f: KeyFlags) => [...f.publicKey, ...f.publicKeyFile.map((file) => readFileSync(file, 'utf8').trim())];

function withKeys(cmd: Command): Command {
  return cmd
    .option('--public-key <base64>', "a public key in fwup's format (repeatable); the archive must then be signed", collect, [] as string[])
    .option('-p, --public-key-file <file>', 'a file holding such a key (repeatable)', collect, [] as string[]);
}

/** vfleet's own fwup implementation (core/fwup), with fwup's option names; never a real fwup. */
export function registerFwup(program: Command): void {
  const fwup = program.command('fwup').description("vfleet's built-in fwup: apply, verify and list archives (fwup's option names)");
  withKeys(fwup.command('apply').description('apply a task of an archive to an image file (fwup -a)'))
    .requiredOption('-i, --input <file>', 'the .fw archive')
    .requiredOption('-d <image>', 'the image file to write (regular files only)')
    .option('-t, --task <task>', 'task name prefix', 'complete')
    .option('--unsafe', 'allow execute() (runs its command with sh -c)')
    .action(async (f: KeyFlags & { input: string; d: string; task: string; unsafe?: boolean }) => {
      const runCommand = (command: string): number => {
        try {
          execFileSync('sh', ['-c', command], { stdio: 'inherit' });
          return 0;
        } catch (e) {
          return (e as { status?: number }).status ?? 1;
        }
      };
      // deflated resources go through files in a temporary folder, not memory
      const unpacked = mkdtempSync(join(tmpdir(), 'vfleet-fwup-'));
      let result: FwupApplyResult;
      try {
        const inflated = await inflateFwupResources(f.input, unpacked, { publicKeys: keysOf(f), source: f.input });
        result = applyFwupArchiveToFile(f.input, f.d, { task: f.task, publicKeys: keysOf(f), source: f.input, inflated, ...(f.unsafe ? { allowExecute: true, runCommand } : {}) });
      } finally {
        rmSync(unpacked, { recursive: true, force: true });
      }
      for (const m of result.messages) console.log(`fwup: ${m}`);
      const bytes = result.writes.reduce((a, w) => a + w.length, 0);
      console.log(`${f.input}: task ${result.task} applied to ${f.d} (${result.writes.length} write(s), ${bytes} bytes)`);
    });
  withKeys(fwup.command('verify').description('check signature, resource lengths and hashes (fwup -V)'))
    .requiredOption('-i, --input <file>', 'the .fw archive')
    .action((f: KeyFlags & { input: string }) => {
      console.log(verifyFwupArchive(readFwupArchive(f.input, { publicKeys: keysOf(f), source: f.input })).message);
    });
  fwup
    .command('list')
    .description('the tasks of an archive (fwup -l)')
    .requiredOption('-i, --input <file>', 'the .fw archive')
    .action((f: { input: string }) => {
      for (const t of listFwupTasks(readFwupArchive(f.input, { source: f.input }))) console.log(t);
    });
  fwup
    .command('metadata')
    .description("the archive's metadata (fwup -m)")
    .requiredOption('-i, --input <file>', 'the .fw archive')
    .action((f: { input: string }) => {
      for (const line of fwupMetadataLines(readFwupArchive(f.input, { source: f.input }))) console.log(line);
    });
}
