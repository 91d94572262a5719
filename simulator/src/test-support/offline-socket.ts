import type { PhoenixSocketServer } from '../backend/socket/index.js';

/** A device socket server with no device connected: pushes go nowhere (for tests of the tunnel parts). */
export const offlineSocket: PhoenixSocketServer = {
  push: () => false,
  isOnline: () => false,
  onlineCount: () => 0,
  bufferedBytes: () => 0,
  joinParams: () => undefined,
  close: async () => undefined,
};
