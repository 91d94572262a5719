#!/usr/bin/env node
// The `vfleet` entry point: the only place that sets the process exit code.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
