//! Authenticators made in the test, with openssl: a vendor CA, attestation
//! certificates for a model (its AAGUID in the FIDO extension), packed
//! attestation statements, assertions; and a FIDO metadata BLOB the test
//! signs under a root it creates. Nothing here is tapin's code.
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::BasicConstraints;
use openssl::x509::{X509Builder, X509Extension, X509NameBuilder, X509};
use serde_cbor_2::Value as Cbor;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

const ORIGIN: &str = "http://localhost";
const RP_ID: &str = "localhost";

fn p256() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn serial() -> Asn1Integer {
    let mut bn = BigNum::new().unwrap();
    bn.rand(64, openssl::bn::MsbOption::MAYBE_ZERO, false)
        .unwrap();
    bn.to_asn1_integer().unwrap()
}

/// A certificate for `key` named `subject`, signed by `issuer` (itself when none).
fn certificate(
    key: &PKey<Private>,
    subject: &[(&str, &str)],
    issuer: Option<(&X509, &PKey<Private>)>,
    ca: bool,
    aaguid: Option<Uuid>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    for (k, v) in subject {
        name.append_entry_by_text(k, v).unwrap();
    }
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(c, _)| c.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    let mut bc = BasicConstraints::new();
    if ca {
        bc.critical().ca();
    }
    b.append_extension(bc.build().unwrap()).unwrap();
    if let Some(aaguid) = aaguid {
        // id-fido-gen-ce-aaguid: the AAGUID as a 16-byte OCTET STRING.
        let oid = Asn1Object::from_str("1.3.6.1.4.1.45724.1.1.4").unwrap();
        let mut der = vec![0x04, 0x10];
        der.extend_from_slice(aaguid.as_bytes());
        let value = Asn1OctetString::new_from_bytes(&der).unwrap();
        b.append_extension(X509Extension::new_from_der(&oid, false, &value).unwrap())
            .unwrap();
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    b.build()
}

/// An authenticator vendor: its attestation root.
pub struct Vendor {
    pub name: String,
    key: PKey<Private>,
    pub root: X509,
}

impl Vendor {
    pub fn new(name: &str) -> Self {
        let key = p256();
        let root = certificate(
            &key,
            &[
                ("C", "SE"),
                ("O", name),
                ("CN", &format!("{name} Attestation Root")),
            ],
            None,
            true,
            None,
        );
        Self {
            name: name.into(),
            key,
            root,
        }
    }

    pub fn root_pem(&self) -> String {
        String::from_utf8(self.root.to_pem().unwrap()).unwrap()
    }

    /// A model this vendor makes: its AAGUID and an attestation certificate for it.
    pub fn model(&self, description: &str) -> Model {
        let aaguid = Uuid::new_v4();
        let key = p256();
        let cert = certificate(
            &key,
            &[
                ("C", "SE"),
                ("O", &self.name),
                ("OU", "Authenticator Attestation"),
                ("CN", description),
            ],
            Some((&self.root, &self.key)),
            false,
            Some(aaguid),
        );
        Model {
            aaguid,
            description: description.into(),
            key,
            cert,
            root: self.root.clone(),
        }
    }
}

pub struct Model {
    pub aaguid: Uuid,
    pub description: String,
    key: PKey<Private>,
    cert: X509,
    root: X509,
}

/// One key on an authenticator: a model that attests (or none), synced or not.
pub struct Key {
    aaguid: Uuid,
    attestation: Option<(PKey<Private>, X509)>,
    synced: bool,
    key: PKey<Private>,
    pub credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
}

fn b64url(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn sha256(b: &[u8]) -> Vec<u8> {
    openssl::sha::sha256(b).to_vec()
}

fn sign(key: &PKey<Private>, data: &[u8]) -> Vec<u8> {
    let mut s = Signer::new(MessageDigest::sha256(), key).unwrap();
    s.update(data).unwrap();
    s.sign_to_vec().unwrap()
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

impl Key {
    /// A key made by `model`, attesting with its certificate.
    pub fn of(model: &Model, synced: bool) -> Self {
        Self::new(
            model.aaguid,
            Some((model.key.clone(), model.cert.clone())),
            synced,
        )
    }

    /// A key that gives no attestation (`none`), claiming `aaguid`.
    pub fn unattested(aaguid: Uuid, synced: bool) -> Self {
        Self::new(aaguid, None, synced)
    }

    fn new(aaguid: Uuid, attestation: Option<(PKey<Private>, X509)>, synced: bool) -> Self {
        let mut credential_id = vec![0u8; 32];
        openssl::rand::rand_bytes(&mut credential_id).unwrap();
        Self {
            aaguid,
            attestation,
            synced,
            key: p256(),
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    fn flags(&self, attested_data: bool) -> u8 {
        // UP, UV; BE and BS for a synced passkey; AT at registration.
        let mut f = 0x01 | 0x04;
        if self.synced {
            f |= 0x08 | 0x10;
        }
        if attested_data {
            f |= 0x40;
        }
        f
    }

    fn cose_key(&self) -> Vec<u8> {
        let ec = self.key.ec_key().unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        ec.public_key()
            .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
            .unwrap();
        let mut map = BTreeMap::new();
        map.insert(Cbor::Integer(1), Cbor::Integer(2));
        map.insert(Cbor::Integer(3), Cbor::Integer(-7));
        map.insert(Cbor::Integer(-1), Cbor::Integer(1));
        map.insert(Cbor::Integer(-2), Cbor::Bytes(x.to_vec_padded(32).unwrap()));
        map.insert(Cbor::Integer(-3), Cbor::Bytes(y.to_vec_padded(32).unwrap()));
        serde_cbor_2::to_vec(&Cbor::Map(map)).unwrap()
    }

    fn client_data(kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": ORIGIN,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    /// Answers `navigator.credentials.create()` with these options.
    pub fn register(&mut self, options: &Value) -> Value {
        let user = options["publicKey"]["user"]["id"].as_str().unwrap();
        self.user_handle = URL_SAFE_NO_PAD.decode(user).unwrap();
        let client_data = Self::client_data("webauthn.create", options);
        let mut auth_data = sha256(RP_ID.as_bytes());
        auth_data.push(self.flags(true));
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(self.aaguid.as_bytes());
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let (fmt, statement) = match &self.attestation {
            Some((key, cert)) => {
                let mut signed = auth_data.clone();
                signed.extend_from_slice(&sha256(&client_data));
                let mut m = BTreeMap::new();
                m.insert(text("alg"), Cbor::Integer(-7));
                m.insert(text("sig"), Cbor::Bytes(sign(key, &signed)));
                m.insert(
                    text("x5c"),
                    Cbor::Array(vec![Cbor::Bytes(cert.to_der().unwrap())]),
                );
                ("packed", Cbor::Map(m))
            }
            None => ("none", Cbor::Map(BTreeMap::new())),
        };
        let mut object = BTreeMap::new();
        object.insert(text("fmt"), text(fmt));
        object.insert(text("attStmt"), statement);
        object.insert(text("authData"), Cbor::Bytes(auth_data));
        let object = serde_cbor_2::to_vec(&Cbor::Map(object)).unwrap();
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64url(&object),
                "clientDataJSON": b64url(&client_data),
                "transports": ["usb"],
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get()` with these options.
    pub fn sign_in(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let client_data = Self::client_data("webauthn.get", options);
        let mut auth_data = sha256(RP_ID.as_bytes());
        auth_data.push(self.flags(false));
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&sha256(&client_data));
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64url(&auth_data),
                "clientDataJSON": b64url(&client_data),
                "signature": b64url(&sign(&self.key, &signed)),
                "userHandle": b64url(&self.user_handle),
            },
            "extensions": {},
        })
    }
}

/// The metadata service a test runs: a root, a signing certificate under
/// it, and the BLOBs it signs.
pub struct MetadataService {
    root_key: PKey<Private>,
    pub root: X509,
    signer_key: PKey<Private>,
    signer: X509,
}

impl MetadataService {
    pub fn new() -> Self {
        let rsa = |bits| PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let root_key = rsa(2048);
        let root = certificate(
            &root_key,
            &[
                ("C", "US"),
                ("O", "Test FIDO Alliance"),
                ("CN", "Test MDS Root"),
            ],
            None,
            true,
            None,
        );
        let signer_key = rsa(2048);
        let signer = certificate(
            &signer_key,
            &[
                ("C", "US"),
                ("O", "Test FIDO Alliance"),
                ("CN", "Test MDS Signer"),
            ],
            Some((&root, &root_key)),
            false,
            None,
        );
        Self {
            root_key,
            root,
            signer_key,
            signer,
        }
    }

    pub fn root_pem(&self) -> String {
        String::from_utf8(self.root.to_pem().unwrap()).unwrap()
    }

    /// A BLOB numbered `no` describing `models`, each with its status
    /// (`FIDO_CERTIFIED_L1`, `REVOKED`, ...), signed RS256 with the chain in `x5c`.
    pub fn blob(&self, no: u32, models: &[(&Model, &str)]) -> String {
        let entries: Vec<Value> = models.iter().map(|(m, status)| entry(m, status)).collect();
        let payload = json!({
            "legalHeader": "Test metadata: not for production.",
            "no": no,
            "nextUpdate": "2027-06-01",
            "entries": entries,
        });
        let header = json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5c": [STANDARD.encode(self.signer.to_der().unwrap())],
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(payload.to_string().as_bytes())
        );
        let sig = sign(&self.signer_key, signing_input.as_bytes());
        format!("{signing_input}.{}", b64url(&sig))
    }
}

impl Default for MetadataService {
    fn default() -> Self {
        Self::new()
    }
}

/// A FIDO2 metadata entry for `model`, in MDS3's shape.
fn entry(model: &Model, status: &str) -> Value {
    let aaguid = model.aaguid.to_string();
    json!({
        "aaguid": aaguid,
        "metadataStatement": {
            "legalHeader": "Test metadata.",
            "aaguid": aaguid,
            "description": model.description,
            "friendlyNames": {"en-US": model.description},
            "authenticatorVersion": 1,
            "protocolFamily": "fido2",
            "schema": 3,
            "upv": [{"major": 1, "minor": 0}],
            "authenticationAlgorithms": ["secp256r1_ecdsa_sha256_raw"],
            "publicKeyAlgAndEncodings": ["cose"],
            "attestationTypes": ["basic_full"],
            "userVerificationDetails": [[{"userVerificationMethod": "presence_internal"}]],
            "keyProtection": ["hardware", "secure_element"],
            "matcherProtection": ["on_chip"],
            "cryptoStrength": 128,
            "attachmentHint": ["external", "wired"],
            "tcDisplay": [],
            "attestationRootCertificates": [STANDARD.encode(model.root.to_der().unwrap())],
            "authenticatorGetInfo": {
                "versions": ["FIDO_2_0"],
                "aaguid": model.aaguid.simple().to_string(),
                "options": {"rk": true, "up": true, "plat": false},
                "maxMsgSize": 1200,
                "pinUvAuthProtocols": [1],
            },
        },
        "statusReports": [{"status": status, "effectiveDate": "2025-01-01", "authenticatorVersion": 1}],
        "timeOfLastStatusChange": "2025-01-01",
    })
}
