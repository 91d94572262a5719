// The A/B upgrade tasks of vfleet's OS archives (the shape of the vectors' ab-upgrade.conf).
import { fwupCall } from './create.js';
import type { FwupTask } from './meta-types.js';

export interface AbUpgradeTasksInput {
  /** Block offsets (512-byte blocks) of rootfs-a and rootfs-b. */
  slotA: number;
  slotB: number;
  /** Name of the uboot-environment section the tasks read and write. */
  env: string;
  version: string;
  product: string;
  /** More slot metadata, each set as `<slot>.<key>` after version and product. */
  extraVars?: Readonly<Record<string, string>>;
  /** Resource holding the rootfs image; default "rootfs.img". */
  resource?: string;
  /** Task name prefix; default "upgrade" (tasks upgrade.a, upgrade.b, upgrade.unexpected). */
  taskPrefix?: string;
}

type Slot = 'a' | 'b';

/** upgrade.a and upgrade.b (each guarded by the other slot being active) and upgrade.unexpected. */
export function abUpgradeTasks(input: AbUpgradeTasksInput): FwupTask[] {
  const prefix = input.taskPrefix ?? 'upgrade';
  const resource = input.resource ?? 'rootfs.img';
  const slotTask = (slot: Slot, other: Slot, block: number): FwupTask => ({
    name: `${prefix}.${slot}`,
    requirements: [fwupCall('require-uboot-variable', input.env, 'peridio_active', other)],
    onInit: [fwupCall('info', `upgrading slot ${slot}`)],
    onFinish: [
      fwupCall('uboot_setenv', input.env, `${slot}.peridio_version`, input.version),
      fwupCall('uboot_setenv', input.env, `${slot}.peridio_product`, input.product),
      ...Object.entries(input.extraVars ?? {}).map(([key, value]) => fwupCall('uboot_setenv', input.env, `${slot}.${key}`, value)),
      fwupCall('uboot_setenv', input.env, 'peridio_active', slot),
      fwupCall('uboot_setenv', input.env, 'upgrade_available', 1),
      fwupCall('uboot_setenv', input.env, 'bootcount', 0),
    ],
    onError: [],
    onResource: [{ resource, calls: [fwupCall('raw_write', block)] }],
  });
  return [
    slotTask('a', 'b', input.slotA),
    slotTask('b', 'a', input.slotB),
    {
      name: `${prefix}.unexpected`,
      requirements: [],
      onInit: [fwupCall('error', 'Please check the media being upgraded: peridio_active is neither a nor b')],
      onFinish: [],
      onError: [],
      onResource: [],
    },
  ];
}
