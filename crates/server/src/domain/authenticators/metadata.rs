//! The FIDO Metadata Service BLOB an operator imports offline, and the CA
//! certificates an operator adds: where attestation trust comes from.
//!
//! The BLOB is a JWS whose `x5c` chain must lead to a trust root (FIDO's
//! GlobalSign Root CA - R3 unless the operator names another); its payload is
//! read by `fido-mds`, and only what tapin asks is kept: each FIDO2 model's
//! AAGUID, name, attestation roots and whether a status report says its keys
//! or attestation are compromised, or the model revoked.

use crate::domain::{Error, Result};
use base64::Engine;
use chrono::{DateTime, Utc};
use compact_jwt::crypto::JwsX509VerifierBuilder;
use compact_jwt::{JwsCompact, JwsVerifier};
use fido_mds::StatusReport;
use openssl::x509::X509;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use uuid::Uuid;

/// Where the imported metadata and the added CAs are kept (settings keys).
pub const METADATA_KEY: &str = "authenticator_metadata";
pub const CAS_KEY: &str = "attestation_cas";

/// The root FIDO signs its Metadata Service BLOB under.
pub const FIDO_MDS_ROOT: &str = include_str!("globalsign-root-r3.pem");

/// The most CA certificates an operator may add.
const MAX_CAS: usize = 100;

/// What tapin keeps of an imported metadata BLOB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The BLOB's serial number (`no`): a newer BLOB has a larger one.
    pub no: u32,
    /// When FIDO publishes the next BLOB at the latest (`nextUpdate`).
    pub next_update: String,
    /// Entries `fido-mds` found inconsistent and left out: their models
    /// are unknown to tapin (never attested, no name).
    #[serde(default)]
    pub skipped: usize,
    pub imported_at: Option<DateTime<Utc>>,
    pub models: Vec<Model>,
    /// Attestation roots of FIDO U2F keys, which have no AAGUID: any key
    /// whose attestation chains to one is attested.
    #[serde(default)]
    pub u2f_roots: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub aaguid: Uuid,
    pub description: String,
    /// The attestation root certificates, DER in base64.
    pub roots: Vec<String>,
    /// The status report that makes its keys untrustworthy, if any
    /// (`REVOKED`, `ATTESTATION_KEY_COMPROMISE`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<String>,
}

/// A CA certificate the operator trusts for attestation, for any AAGUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorCa {
    /// The certificate's subject, as the operator recognises it.
    pub subject: String,
    /// SHA-256 of the DER, hex: how the operator names it to remove it.
    pub fingerprint: String,
    pub pem: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorCas {
    pub cas: Vec<OperatorCa>,
}

fn bad(why: impl Into<String>) -> Error {
    Error::Invalid(why.into(), Some("metadata"))
}

/// The status report that refuses a model's keys.
fn compromise(report: &StatusReport) -> Option<&'static str> {
    match report {
        StatusReport::Revoked { .. } => Some("REVOKED"),
        StatusReport::AttestationKeyCompromise { .. } => Some("ATTESTATION_KEY_COMPROMISE"),
        StatusReport::UserKeyRemoteCompromise { .. } => Some("USER_KEY_REMOTE_COMPROMISE"),
        StatusReport::UserKeyPhysicalCompromise { .. } => Some("USER_KEY_PHYSICAL_COMPROMISE"),
        StatusReport::UserVerificationBypass { .. } => Some("USER_VERIFICATION_BYPASS"),
        _ => None,
    }
}

/// Checks the BLOB's signature chain up to `trust_root` (PEM) and reads it.
pub fn read_blob(blob: &str, trust_root: &str) -> Result<Metadata> {
    let root = X509::from_pem(trust_root.as_bytes())
        .map_err(|_| bad("the trust root is not a PEM certificate"))?;
    let jws = JwsCompact::from_str(blob.trim())
        .map_err(|_| bad("the file is not a FIDO metadata BLOB (a signed JWT)"))?;
    let chain = jws
        .get_x5c_chain()
        .ok()
        .flatten()
        .ok_or_else(|| bad("the BLOB carries no x5c certificate chain"))?;
    let verifier = JwsX509VerifierBuilder::new()
        .add_fullchain(chain)
        .add_trust_root(root)
        .build()
        .map_err(|_| {
            bad("the BLOB's certificate chain does not lead to the trust root (or a certificate in it has expired)")
        })?;
    let released = verifier
        .verify(&jws)
        .map_err(|_| bad("the BLOB's signature does not verify"))?;
    let raw: fido_mds::mds::FidoMds = serde_json::from_slice(released.payload())
        .map_err(|e| bad(format!("the BLOB's payload is not FIDO metadata ({e})")))?;
    let (no, next_update, entries) = (raw.no, raw.next_update.clone(), raw.entries.len());
    let mds = fido_mds::FidoMds::from(raw);
    let b64 = |der: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(der);
    let models = mds
        .fido2
        .iter()
        .map(|d| Model {
            aaguid: d.aaguid,
            description: d.description.clone(),
            roots: d.attestation_root_certificates.iter().map(b64).collect(),
            compromised: d.status_reports.iter().find_map(compromise).map(Into::into),
        })
        .collect();
    let u2f_roots = mds
        .u2f
        .iter()
        .filter(|d| !d.status_reports.iter().any(|r| compromise(r).is_some()))
        .flat_map(|d| d.attestation_root_certificates.iter().map(b64))
        .collect();
    let skipped = entries - mds.fido2.len() - mds.u2f.len() - mds.uaf.len();
    Ok(Metadata {
        no,
        next_update,
        skipped,
        imported_at: None,
        models,
        u2f_roots,
    })
}

/// Reads a PEM CA certificate the operator adds.
pub fn read_ca(pem: &str, now: DateTime<Utc>, existing: &OperatorCas) -> Result<OperatorCa> {
    let bad = |why: &str| Error::Invalid(why.into(), Some("certificate"));
    let cert = X509::from_pem(pem.as_bytes())
        .map_err(|_| bad("the file is not a PEM certificate (-----BEGIN CERTIFICATE-----)"))?;
    let der = cert
        .to_der()
        .map_err(|_| bad("the certificate cannot be read"))?;
    let fingerprint = hex::encode(openssl::sha::sha256(&der));
    if existing.cas.iter().any(|c| c.fingerprint == fingerprint) {
        return Err(Error::Conflict(format!(
            "the CA certificate {fingerprint} is already trusted"
        )));
    }
    if existing.cas.len() >= MAX_CAS {
        return Err(bad("at most 100 CA certificates; remove one first"));
    }
    let subject = cert
        .subject_name()
        .entries()
        .filter_map(|e| e.data().to_string().ok())
        .collect::<Vec<_>>()
        .join(", ");
    let pem = cert
        .to_pem()
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .ok_or_else(|| bad("the certificate cannot be read"))?;
    Ok(OperatorCa {
        subject,
        fingerprint,
        pem,
        added_at: now,
    })
}
