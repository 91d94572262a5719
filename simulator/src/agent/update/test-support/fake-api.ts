import type { DeviceApi, HttpResult } from '../../types.js';

/** A DeviceApi whose `/update` answer comes from `respond`; every call's headers are kept. */
export function fakeApi(respond: (headers: Readonly<Record<string, string>>) => HttpResult | Promise<HttpResult>): DeviceApi & { calls: Record<string, string>[] } {
  const calls: Record<string, string>[] = [];
  const unused = (): Promise<HttpResult> => Promise.reject(new Error('not used by the updater'));
  return {
    calls,
    async getUpdate(headers) {
      calls.push({ ...headers });
      return respond(headers);
    },
    getTunnels: unused,
    configureTunnel: unused,
    closeTunnel: unused,
  };
}
