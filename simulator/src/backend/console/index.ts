export { attachConsoleRelay, type ConsoleRelay, type ConsoleRelayOptions } from './relay.js';
export {
  CLOSE_DEVICE_GONE, CLOSE_TAKEN_OVER, CLOSE_TOO_SLOW, MAX_INPUT_CHARS, decodeUserMessage, type RelayMessage, type UserMessage,
} from './messages.js';
