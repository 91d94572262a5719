import { readFileSync } from 'node:fs';
import { VfleetError } from '../errors.js';
import { parseAgentConfig } from './parse.js';
import type { AgentConfig, AgentConfigResult, ConfigIssue } from './types.js';

/** Reads and validates a peridio.json; an unreadable file throws VFLEET_IO. */
export function readAgentConfig(path: string): AgentConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new VfleetError('VFLEET_IO', `${path}: cannot read peridio.json: ${(cause as Error).message}`, { cause });
  }
  return parseAgentConfig(text, path);
}

export function formatConfigIssue(source: string, issue: ConfigIssue): string {
  return `${source}: ${issue.path}: ${issue.message}`;
}

/** The config and its warnings, or VFLEET_CONFIG_INVALID listing every error (one per line). */
export function unwrapAgentConfig(result: AgentConfigResult): { config: AgentConfig; warnings: ConfigIssue[] } {
  if (result.ok) return { config: result.config, warnings: result.warnings };
  const lines = result.errors.map((issue) => formatConfigIssue(result.source, issue));
  throw new VfleetError('VFLEET_CONFIG_INVALID', lines.join('\n'));
}
