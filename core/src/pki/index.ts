export { createRootCa, createIntermediateCa, type RootCaOptions, type IntermediateCaOptions } from './ca.js';
export {
  createDeviceIdentity,
  createVerificationCertificate,
  type DeviceIdentity,
  type DeviceIdentityOptions,
  type VerificationCertificateOptions,
} from './device-identity.js';
export type { EndEntityProfile } from './end-entity.js';
export type { IssuerPems } from './issuer.js';
export { signCsr, type SignCsrOptions } from './sign-csr.js';
export { parseCertificate, checkKeyMatchesCertificate, type ParsedCertificate } from './parse-certificate.js';
export { verifyChain, type VerifyChainOptions } from './verify-chain.js';
export { encodePem, decodePem, type PemBlock } from './pem.js';
export { createServerCertificate, type ServerCertificateOptions } from './server-certificate.js';
export { identityTemplate, type IdentityFactory, type IdentitySigner, type IdentityTemplateOptions } from './identity-template.js';
export { loadSigner } from './signer.js';
