import type { AdminContext } from '../context.js';
import { readJsonObject } from '../body.js';
import { crud } from '../crud.js';
import { HttpError } from '../http-error.js';
import { found, idOf, intParam, queryOf } from '../ids.js';
import type { Router } from '../router.js';

/** Devices: filtered, paged listing; CRUD; reboot and console input pushed over the device socket. */
export function deviceRoutes(router: Router, { store, hooks }: AdminContext): void {
  router.add('GET', '/api/v1/devices', ({ query }) => {
    const q = queryOf(query, ['product_uuid', 'cohort_uuid', 'identifier', 'limit', 'offset']);
    const limit = intParam(q['limit'], 'limit', 1, 100_000) ?? 1000;
    const offset = intParam(q['offset'], 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const devices = store.devices.list({
      ...(q['product_uuid'] === undefined ? {} : { product_uuid: idOf(q['product_uuid'], 'product') }),
      ...(q['cohort_uuid'] === undefined ? {} : { cohort_uuid: idOf(q['cohort_uuid'], 'cohort') }),
      ...(q['identifier'] === undefined ? {} : { identifier: q['identifier'] }),
      limit: limit + 1,
      offset,
    });
    const more = devices.length > limit;
    return { status: 200, body: { devices: devices.slice(0, limit), next_offset: more ? offset + limit : null } };
  });
  crud(router, {
    path: 'devices', singular: 'device', plural: 'devices', type: 'device',
    repo: { create: store.devices.create, get: store.devices.get, update: store.devices.update, delete: store.devices.delete },
  });

  const push = (id: string, topic: 'device' | 'console', event: string, payload: Record<string, unknown>) => {
    const device = found(store.devices.get(idOf(id, 'device')), 'device', id);
    const sent = hooks.pushToDevice(device.uuid, topic, event, payload);
    store.recordEvent(`admin_${event}`, device.uuid, { topic, sent });
    if (!sent) throw new HttpError(409, 'device_offline', `device ${device.identifier} is not connected to the socket`);
    return { status: 202, body: { status: 'sent', device_uuid: device.uuid } };
  };

  router.add('POST', '/api/v1/devices/:id/reboot', async ({ req, params, query }) => {
    queryOf(query, []);
    const body = await readJsonObject(req);
    if (Object.keys(body).length > 0) throw new HttpError(400, 'unknown_field', `reboot.${Object.keys(body)[0] ?? ''}: unknown field (the body must be empty)`);
    return push(params['id'] ?? '', 'device', 'reboot', {});
  });

  /** Console input: `{"data": "..."}` becomes a `dn` push on the console topic. */
  router.add('POST', '/api/v1/devices/:id/console', async ({ req, params, query }) => {
    queryOf(query, []);
    const body = await readJsonObject(req);
    const extra = Object.keys(body).find((k) => k !== 'data');
    if (extra !== undefined) throw new HttpError(400, 'unknown_field', `console.${extra}: unknown field (accepted: data)`, `console.${extra}`);
    if (typeof body['data'] !== 'string' || body['data'] === '') throw new HttpError(422, 'invalid_value', 'console.data: expected a non-empty string', 'console.data');
    return push(params['id'] ?? '', 'console', 'dn', { data: body['data'] });
  });
}
