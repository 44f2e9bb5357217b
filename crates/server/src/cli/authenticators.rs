//! `tapin passkey-profile` and `tapin mds`: which authenticators may hold
//! people's keys, and the FIDO metadata and CA certificates that vouch for
//! them. The same rules as the help desk and Graph's fido2 configuration.

use super::*;
use crate::domain::authenticators::{
    KeyRestrictions, PasskeyProfile, PasskeyProfiles, RestrictionMode, DEFAULT_PROFILE_ID,
};

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum RestrictArg {
    /// Only the listed models (AAGUIDs).
    Allow,
    /// Every model but the listed ones.
    Block,
    /// No model list.
    Off,
}

/// The knobs of one profile; what is not given stays as it was.
#[derive(Args)]
pub(super) struct ProfileArgs {
    #[arg(long)]
    name: Option<String>,
    /// The groups it is for (group:NAME, or NAME; repeatable; replaces the list).
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Allow synced passkeys (backup eligible: copied to the holder's devices).
    #[arg(long)]
    synced: Option<bool>,
    /// Allow keys that stay on one device (security keys, device-bound passkeys).
    #[arg(long)]
    device_bound: Option<bool>,
    /// Only keys whose attestation chains to imported metadata or an added CA.
    #[arg(long)]
    attestation: Option<bool>,
    #[arg(long, value_enum)]
    restrict: Option<RestrictArg>,
    /// A model's AAGUID for the allow or block list (repeatable; replaces the list).
    #[arg(long = "aaguid")]
    aaguids: Vec<uuid::Uuid>,
    /// Act as this administrator, under its roles.
    #[arg(long = "as")]
    as_admin: Option<String>,
}

#[derive(Subcommand)]
pub(super) enum PasskeyProfileCommand {
    /// Every profile, in the order they are asked (the default last).
    List {
        #[arg(long)]
        json: bool,
    },
    /// A new profile for some groups, asked before the default.
    Add(ProfileArgs),
    /// Changes a profile: its id, or `default`.
    Set {
        id: String,
        #[command(flatten)]
        args: ProfileArgs,
    },
    /// Removes a profile (not the default): its groups fall to the next match.
    Remove {
        id: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum MdsCommand {
    /// Imports a FIDO Metadata Service BLOB (the JWT from
    /// https://mds3.fidoalliance.org/, downloaded by other means): its
    /// signature chain must lead to FIDO's root, or to --trust-root.
    Import {
        file: PathBuf,
        /// A PEM root the BLOB's chain must lead to instead of FIDO's.
        #[arg(long)]
        trust_root: Option<PathBuf>,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// What was imported, and the CA certificates added.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// CA certificates trusted for the attestation of any model.
    #[command(subcommand)]
    Ca(CaCommand),
}

#[derive(Subcommand)]
pub(super) enum CaCommand {
    /// Trusts a PEM CA certificate.
    Add {
        file: PathBuf,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Stops trusting one, by its SHA-256 fingerprint.
    Remove {
        fingerprint: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))
}

impl ProfileArgs {
    fn apply(&self, p: &mut PasskeyProfile) -> Result<(), Error> {
        if let Some(name) = &self.name {
            p.name = name.clone();
        }
        if !self.groups.is_empty() {
            p.groups = self
                .groups
                .iter()
                .map(|g| {
                    let g = g.strip_prefix("group:").unwrap_or(g);
                    Target::parse(&format!("group:{g}"))
                })
                .collect::<Result<_, _>>()?;
        }
        p.synced = self.synced.unwrap_or(p.synced);
        p.device_bound = self.device_bound.unwrap_or(p.device_bound);
        p.attestation_enforced = self.attestation.unwrap_or(p.attestation_enforced);
        let r = &mut p.key_restrictions;
        match self.restrict {
            Some(RestrictArg::Allow) => (r.enforced, r.mode) = (true, RestrictionMode::Allow),
            Some(RestrictArg::Block) => (r.enforced, r.mode) = (true, RestrictionMode::Block),
            Some(RestrictArg::Off) => r.enforced = false,
            None => {}
        }
        if !self.aaguids.is_empty() {
            r.aaguids = self.aaguids.clone();
        }
        Ok(())
    }
}

fn show_profiles(t: &Tapin, profiles: &PasskeyProfiles) {
    for p in &profiles.profiles {
        let groups = if p.is_default() {
            "everyone else".to_string()
        } else {
            p.groups
                .iter()
                .map(|g| t.describe_target(g).unwrap_or_else(|_| g.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let types = match (p.device_bound, p.synced) {
            (true, true) => "device-bound and synced",
            (true, false) => "device-bound only",
            _ => "synced only",
        };
        let r = &p.key_restrictions;
        let models = match (r.enforced, r.mode) {
            (false, _) => "any model".to_string(),
            (true, RestrictionMode::Allow) => format!("only {} listed models", r.aaguids.len()),
            (true, RestrictionMode::Block) => format!("all but {} blocked models", r.aaguids.len()),
        };
        println!("{}  {}", p.id, p.name);
        println!("    for:         {groups}");
        println!("    keys:        {types}, {models}");
        println!(
            "    attestation: {}",
            if p.attestation_enforced {
                "required"
            } else {
                "not required"
            }
        );
    }
}

fn profile_id(id: &str) -> &str {
    if id.eq_ignore_ascii_case("default") {
        DEFAULT_PROFILE_ID
    } else {
        id
    }
}

/// One change to the profiles, made on what is stored when it is written.
type Edit = Box<dyn FnOnce(&mut PasskeyProfiles) -> Result<(), Error>>;

pub(super) fn passkey_profile(t: &Tapin, cmd: PasskeyProfileCommand) -> Result<(), Error> {
    let (as_admin, edit): (Option<String>, Edit) = match cmd {
        PasskeyProfileCommand::List { json } => {
            let profiles = t.passkey_profiles()?;
            if json {
                print_json(&profiles);
            } else {
                show_profiles(t, &profiles);
            }
            return Ok(());
        }
        PasskeyProfileCommand::Add(args) => (
            args.as_admin.clone(),
            Box::new(move |profiles| {
                let mut p = PasskeyProfile {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: String::new(),
                    ..PasskeyProfile::default_profile()
                };
                p.key_restrictions = KeyRestrictions {
                    enforced: false,
                    mode: RestrictionMode::Block,
                    aaguids: vec![],
                };
                args.apply(&mut p)?;
                let at = profiles.profiles.len().saturating_sub(1);
                profiles.profiles.insert(at, p);
                Ok(())
            }),
        ),
        PasskeyProfileCommand::Set { id, args } => (
            args.as_admin.clone(),
            Box::new(move |profiles| {
                let id = profile_id(&id);
                let p = profiles
                    .profiles
                    .iter_mut()
                    .find(|p| p.id == id)
                    .ok_or_else(|| Error::NotFound(format!("there is no passkey profile {id}")))?;
                args.apply(p)
            }),
        ),
        PasskeyProfileCommand::Remove { id, as_admin } => (
            as_admin,
            Box::new(move |profiles| {
                let id = profile_id(&id);
                if id == DEFAULT_PROFILE_ID {
                    return Err(Error::invalid(
                            "the default profile cannot be removed: change it with `passkey-profile set default`",
                        ));
                }
                let before = profiles.profiles.len();
                profiles.profiles.retain(|p| p.id != id);
                if profiles.profiles.len() == before {
                    return Err(Error::NotFound(format!("there is no passkey profile {id}")));
                }
                Ok(())
            }),
        ),
    };
    let saved = t.change_passkey_profiles(&t.actor(as_admin.as_deref())?, |mut profiles| {
        edit(&mut profiles)?;
        Ok(profiles)
    })?;
    show_profiles(t, &saved);
    Ok(())
}

pub(super) fn mds(t: &Tapin, cmd: MdsCommand) -> Result<(), Error> {
    match cmd {
        MdsCommand::Import {
            file,
            trust_root,
            as_admin,
        } => {
            let blob = read(&file)?;
            let root = trust_root.as_deref().map(read).transpose()?;
            let s = t.import_metadata(&t.actor(as_admin.as_deref())?, &blob, root.as_deref())?;
            println!(
                "imported metadata BLOB no {}: {} authenticator models, {} compromised or revoked (refused), {} entries unreadable (left out); next update by {}",
                s.no, s.models, s.compromised, s.skipped, s.next_update
            );
        }
        MdsCommand::Show { json } => {
            let metadata = t.metadata()?;
            let cas = t.attestation_cas()?;
            if json {
                print_json(&serde_json::json!({
                    "metadata": metadata.as_ref().map(|m| serde_json::json!({
                        "no": m.no,
                        "next_update": m.next_update,
                        "imported_at": m.imported_at,
                        "models": m.models.iter().map(|x| serde_json::json!({
                            "aaguid": x.aaguid,
                            "description": x.description,
                            "compromised": x.compromised,
                        })).collect::<Vec<_>>(),
                    })),
                    "cas": cas.cas.iter().map(|c| serde_json::json!({
                        "subject": c.subject,
                        "fingerprint": c.fingerprint,
                        "added_at": c.added_at,
                    })).collect::<Vec<_>>(),
                }));
                return Ok(());
            }
            match metadata {
                None => println!("no metadata imported: `tapin mds import FILE`"),
                Some(m) => {
                    println!(
                        "metadata BLOB no {}, imported {}, next update by {}",
                        m.no,
                        m.imported_at.map(|a| a.to_rfc3339()).unwrap_or_default(),
                        m.next_update
                    );
                    for x in &m.models {
                        let status = x.compromised.as_deref().unwrap_or("ok");
                        println!("  {}  {}  {status}", x.aaguid, x.description);
                    }
                }
            }
            for c in &cas.cas {
                println!("CA {}  {}", c.fingerprint, c.subject);
            }
        }
        MdsCommand::Ca(CaCommand::Add { file, as_admin }) => {
            let ca = t.add_attestation_ca(&t.actor(as_admin.as_deref())?, &read(&file)?)?;
            println!(
                "trusting {} ({}) for attestation",
                ca.subject, ca.fingerprint
            );
        }
        MdsCommand::Ca(CaCommand::Remove {
            fingerprint,
            as_admin,
        }) => {
            t.remove_attestation_ca(&t.actor(as_admin.as_deref())?, &fingerprint)?;
            println!("no longer trusting {fingerprint}");
        }
    }
    Ok(())
}
