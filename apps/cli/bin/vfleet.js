#!/usr/bin/env node
// The node entry; apps/cli/bin/vfleet (the installed command) runs it with vfleet's node flags and allocator.
import '../dist/main.js';
