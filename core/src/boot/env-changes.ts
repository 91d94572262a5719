/** What a boot step writes to the U-Boot env: keys to set, and keys to delete. */
export interface EnvChanges {
  /** Only keys whose value differs from the env; values are never '' (deletion is `unset`). */
  changes: Map<string, string>;
  /** Keys to delete; only keys present in the env. */
  unset: string[];
}

/** Collects sets and deletions against `env`, keeping only those that change something. */
export class EnvEdit {
  readonly changes = new Map<string, string>();
  readonly unset: string[] = [];
  constructor(private readonly env: ReadonlyMap<string, string>) {}

  set(key: string, value: string): void {
    this.keep(key);
    if (this.env.get(key) === value) this.changes.delete(key);
    else this.changes.set(key, value);
  }

  remove(key: string): void {
    this.changes.delete(key);
    if (this.env.has(key) && !this.unset.includes(key)) this.unset.push(key);
  }

  private keep(key: string): void {
    const at = this.unset.indexOf(key);
    if (at >= 0) this.unset.splice(at, 1);
  }

  result(): EnvChanges {
    return { changes: new Map(this.changes), unset: [...this.unset] };
  }
}

/** Applies `edit` to `vars` in place and returns it; fits `updateUbootEnv(path, (v) => applyEnvChanges(v, r))`. */
export function applyEnvChanges(vars: Map<string, string>, edit: EnvChanges): Map<string, string> {
  for (const key of edit.unset) vars.delete(key);
  for (const [key, value] of edit.changes) vars.set(key, value);
  return vars;
}
