//! A service principal's certificate login (`az login --service-principal --certificate FILE.pem`):
//! azure_identity's `ClientAssertionCredential` on our transport, fed with assertions signed here.
//!
//! azure_identity's own `ClientCertificateCredential` needs OpenSSL and a PKCS#12 file; the CLI takes a
//! PEM file with the certificate and its unencrypted RSA key, so we build the assertion from that with
//! `jsonwebtoken`: RS256, `x5t` = SHA-1 of the certificate, `aud` = the tenant's token endpoint.

use super::{client_options, identity_token, ExpiringTokenSource};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use async_trait::async_trait;
use azure_core::credentials::Secret;
use azure_core::http::ClientMethodOptions;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::sync::Arc;

/// How long an assertion is valid; Entra accepts up to 10 minutes.
const ASSERTION_LIFETIME_SECS: i64 = 600;

pub struct ClientCertificate(Arc<azure_identity::ClientAssertionCredential<CertificateAssertion>>);

impl ClientCertificate {
    /// `pem`: the certificate and its private key (PKCS#8 or PKCS#1), in any order.
    pub fn new(
        cloud: &Cloud,
        http: crate::pipeline::Http,
        tenant: &str,
        client_id: &str,
        pem: &str,
    ) -> Result<Self> {
        let assertion = CertificateAssertion::from_pem(
            pem,
            client_id,
            format!(
                "{}/{}/oauth2/v2.0/token",
                cloud.active_directory.trim_end_matches('/'),
                tenant
            ),
        )?;
        let options = azure_identity::ClientAssertionCredentialOptions {
            client_options: client_options(cloud, http),
        };
        let cred = azure_identity::ClientAssertionCredential::new(
            tenant.to_string(),
            client_id.to_string(),
            assertion,
            Some(options),
        )
        .map_err(|e| {
            Error::auth(format!(
                "Cannot create a certificate credential for tenant '{tenant}': {}",
                super::first_line(&e.to_string())
            ))
        })?;
        Ok(ClientCertificate(cred))
    }
}

#[async_trait]
impl ExpiringTokenSource for ClientCertificate {
    async fn fetch(&self, scope: &str) -> Result<(Secret, i64)> {
        identity_token(&*self.0, scope).await
    }
}

/// Signs a fresh client assertion for every token request.
pub struct CertificateAssertion {
    key: EncodingKey,
    /// base64url SHA-1 of the DER certificate.
    x5t: String,
    client_id: String,
    audience: String,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("x5t", &self.x5t)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn bad_certificate(why: &str) -> Error {
    Error::invalid_param(
        "certificate",
        format!("The certificate is not usable: {why}. Pass a PEM file (or its text) with the certificate and its unencrypted RSA private key, as 'az login --certificate' takes."),
    )
}

impl CertificateAssertion {
    pub fn from_pem(pem: &str, client_id: &str, audience: String) -> Result<Self> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let cert = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .ok_or_else(|| bad_certificate("no '-----BEGIN CERTIFICATE-----' block"))?
            .map_err(|_| bad_certificate("the certificate block is not valid PEM"))?;
        let key = EncodingKey::from_rsa_pem(private_key_block(pem)?.as_bytes())
            .map_err(|_| bad_certificate("the private key is not an RSA key"))?;
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert);
        Ok(CertificateAssertion {
            key,
            x5t: URL_SAFE_NO_PAD.encode(sha1.as_ref()),
            client_id: client_id.to_string(),
            audience,
        })
    }

    pub(crate) fn sign(&self) -> Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(self.x5t.clone());
        let claims = serde_json::json!({
            "aud": self.audience, "iss": self.client_id, "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| Error::auth(format!("Cannot sign the client assertion: {e}")))
    }
}

#[async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.sign().map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.message)
        })
    }
}

/// The private key's PEM block (the file also holds the certificate, which jsonwebtoken would read first).
fn private_key_block(pem: &str) -> Result<&str> {
    if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(bad_certificate(
            "the private key is password-protected (decrypt it first: openssl pkcs8 -nocrypt)",
        ));
    }
    for label in ["PRIVATE KEY", "RSA PRIVATE KEY"] {
        let (begin, end) = (
            format!("-----BEGIN {label}-----"),
            format!("-----END {label}-----"),
        );
        if let Some(start) = pem.find(&begin) {
            let stop = pem[start..]
                .find(&end)
                .ok_or_else(|| bad_certificate("the private key block is not closed"))?;
            return Ok(&pem[start..start + stop + end.len()]);
        }
    }
    Err(bad_certificate("no private key in it"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        format!("{}{}", cert.pem(), key.serialize_pem())
    }

    #[test]
    fn assertion_names_the_certificate_and_the_token_endpoint() {
        let a =
            CertificateAssertion::from_pem(&pem(), "app", "https://h/t/oauth2/v2.0/token".into())
                .unwrap();
        let jwt = a.sign().unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header.x5t.unwrap()).unwrap().len(),
            20
        );
        let body: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(body["aud"], "https://h/t/oauth2/v2.0/token");
        assert_eq!(body["iss"], "app");
        assert_eq!(body["sub"], "app");
        assert!(!format!("{a:?}").contains("PRIVATE"));
    }

    #[test]
    fn unusable_pem_is_a_clear_error_without_key_material() {
        let full = pem();
        let cert_only = &full[..full.find("-----BEGIN PRIVATE KEY-----").unwrap()];
        let e = CertificateAssertion::from_pem(cert_only, "app", String::new()).unwrap_err();
        assert!(e.message.contains("no private key"), "{}", e.message);
        let key_only = &full[full.find("-----BEGIN PRIVATE KEY-----").unwrap()..];
        let e = CertificateAssertion::from_pem(key_only, "app", String::new()).unwrap_err();
        assert!(e.message.contains("BEGIN CERTIFICATE"), "{}", e.message);
        assert!(!e.message.contains(&key_only[30..60]));
        let ec = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        let e = CertificateAssertion::from_pem(
            &format!("{}{}", cert.pem(), ec.serialize_pem()),
            "app",
            String::new(),
        )
        .unwrap_err();
        assert!(e.message.contains("not an RSA key"), "{}", e.message);
    }
}
