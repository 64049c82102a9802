// SPDX-License-Identifier: Apache-2.0
// Self-signed P-256 certificates for test callers (test helper).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A fresh self-signed certificate (PEM) whose subject is `CN=<cn>, O=<org>`. */
export async function selfSignedCertPem(cn: string, org: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}, O=${org}`,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2034-01-01T00:00:00Z'),
    signingAlgorithm: ALG,
    keys: keys as unknown as x509.X509CertificateCreateSelfSignedParams['keys'],
  });
  return cert.toString('pem');
}
