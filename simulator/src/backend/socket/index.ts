export { createPhoenixSocketServer } from './server.js';
export { encodeFrame, parseFrame, type FrameRejection, type ParsedFrame, type PhoenixFrame } from './frame.js';
export { decodeDevicePush } from './device-push.js';
export type {
  BinaryProgress,
  DevicePush,
  JoinParams,
  OfflineReason,
  PhoenixSocketOptions,
  PhoenixSocketServer,
  SocketEvent,
  SocketIdentity,
  SocketTopic,
} from './types.js';
