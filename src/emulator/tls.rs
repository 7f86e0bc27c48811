//! A throwaway certificate authority and a leaf for 127.0.0.1/localhost, made fresh at every start.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

use super::EmulatorError;

pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    pub leaf_pem: String,
    pub leaf_key_pem: String,
}

fn rcgen_error(e: rcgen::Error) -> EmulatorError {
    EmulatorError::new(format!("cannot generate the TLS certificates: {e}"))
}

/// Generates the CA and a leaf certificate signed by it.
pub(crate) fn generate() -> Result<TlsMaterial, EmulatorError> {
    let ca_key = KeyPair::generate().map_err(rcgen_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "galleryshare emulator CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(rcgen_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(rcgen_error)?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(rcgen_error)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(rcgen_error)?;
    Ok(TlsMaterial {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf_cert.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
    })
}

/// A rustls server config on aws-lc-rs (explicit, so a second provider elsewhere in the process
/// cannot make the default ambiguous) offering h2 and HTTP/1.1.
pub(crate) fn server_config(
    material: &TlsMaterial,
) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
    let chain = CertificateDer::pem_slice_iter(material.leaf_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EmulatorError::new(format!("bad leaf certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(material.leaf_key_pem.as_bytes())
        .map_err(|e| EmulatorError::new(format!("bad leaf key: {e}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EmulatorError::new(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| EmulatorError::new(format!("TLS setup: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
