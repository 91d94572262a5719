// A worker thread of fwup-apply-pool.ts: applies one archive file to one image file per message.
import { parentPort } from 'node:worker_threads';
import { applyFwupArchiveToFile } from '@vfleet/core';
import type { FwupApplyJob, FwupApplyReply } from './fwup-apply-pool.js';

parentPort?.on('message', (job: FwupApplyJob) => {
  let reply: FwupApplyReply;
  try {
    reply = { ok: true, result: applyFwupArchiveToFile(job.archive, job.image, job.options) };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    reply = { ok: false, message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) };
  }
  parentPort?.postMessage(reply);
});
