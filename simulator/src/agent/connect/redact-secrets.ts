// A last line of defence: PEM bodies (keys, certificates), raw or base64-wrapped, never reach a log.
const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;
/** base64 of "-----BEGIN" as the env and uboot-env identity sources carry it. */
const PEM_BASE64 = /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g;

export const FILTERED_KEY = '[FILTERED KEY]';

export function redactSecrets(message: string): string {
  if (!message.includes('-----BEGIN') && !message.includes('LS0tLS1CRUdJTi')) return message;
  return message.replace(PEM, FILTERED_KEY).replace(PEM_BASE64, FILTERED_KEY);
}
