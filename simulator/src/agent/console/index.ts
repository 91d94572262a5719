export { createRemoteConsole, INACTIVITY_TIMEOUT_MS, type RemoteConsole, type RemoteConsoleOptions } from './remote-console.js';
export { consoleCommand, consolePreferenceFromEnv, type ConsoleCommand, type ConsoleCommandOptions, type ConsolePreference } from './console-command.js';
export { createUtf8Filter } from './utf8-filter.js';
export { restartBanner, stoppedBanner, TIMEOUT_BANNER, type ConsoleKind } from './banners.js';
