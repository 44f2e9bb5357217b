//! The `tapin` command line: run the server, and administer users, the
//! policy and passes against the same database. One file per command group.

mod admin;
mod authenticators;
mod background;
mod client;
mod config;
mod demo;
mod groups;
mod keys;
mod reports;
mod serve;
mod token;
mod users;

use admin::*;
use authenticators::*;
use client::*;
use groups::*;
use keys::*;
use reports::*;
use serve::*;
use token::*;
use users::*;

use crate::domain::store::{AttemptLimits, SendLimits};
use crate::domain::{
    Actor, AdminRole, AuditFilter, Error, IssueOptions, Keyring, NewUser, PolicyChange, Role,
    Settings, SystemClock, Tapin, Target,
};
use crate::http::{self, assets::Assets, AppState, HttpConfig};
use chrono::{DateTime, Duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub const DEMO_UPN: &str = "demo@tapin.example";
pub const DEMO_ADMIN_UPN: &str = "admin@tapin.example";

/// `--db-ca-file`, set once at start for every command that opens the store.
static DB_CA_FILE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

#[derive(Parser)]
#[command(
    name = "tapin",
    version,
    about = "Self-service sign-in with a Temporary Access Pass"
)]
struct Cli {
    /// The SQLite database file (created and migrated when missing), or a
    /// PostgreSQL database as postgres://user[:password]@host[:port]/name
    /// (migrated on start), which several instances may share.
    #[arg(long, global = true, env = "TAPIN_DB", default_value = "tapin.db")]
    db: PathBuf,
    /// The file of keys that seal authenticator seeds and key code hashes;
    /// created (0600) on first start when missing. Default: the database
    /// path with `.key` appended.
    #[arg(long, global = true, env = "TAPIN_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
    /// The CA certificate (PEM) that PostgreSQL's server certificate must
    /// chain to, instead of the system's roots. Add sslmode=require to the
    /// URL to refuse connections without TLS.
    #[arg(long, global = true, env = "TAPIN_DB_CA_FILE")]
    db_ca_file: Option<PathBuf>,
    /// A TOML file of settings, keyed by the long flags' names with `_` for
    /// `-`; TAPIN_* environment variables override it, flags override both.
    #[arg(long, global = true, env = "TAPIN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the API.
    Serve(ServeArgs),
    /// Check a configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Add, list, change, import, disable, enable and remove users.
    #[command(subcommand)]
    User(UserCommand),
    /// The directory's groups (without SCIM), by name.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Show or edit the Temporary Access Pass policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Issue, show and revoke Temporary Access Passes.
    #[command(subcommand)]
    Tap(TapCommand),
    /// Which authenticators may hold people's keys, per group: synced or
    /// device-bound, attestation, allowed or blocked models.
    #[command(subcommand, name = "passkey-profile")]
    PasskeyProfile(PasskeyProfileCommand),
    /// FIDO authenticator metadata (imported offline) and attestation CAs.
    #[command(subcommand)]
    Mds(MdsCommand),
    /// Messages not yet delivered (newest last): those for a channel with no
    /// sender configured, and failed ones waiting for their next try.
    Outbox {
        #[arg(long)]
        json: bool,
    },
    /// The audit trail: sign-ins and failed ones, lockouts, refused sends,
    /// method changes and every administrator action, oldest first.
    Audit {
        /// Only events about this account name.
        #[arg(long)]
        user: Option<String>,
        /// Only events of this kind (e.g. sign_in_failed, locked_out, pass_issued).
        #[arg(long)]
        kind: Option<String>,
        /// Only events at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only events before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// API tokens for the Graph-shaped API (/graph/v1.0/).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Applications that sign people in with tapin (OpenID Connect clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The keys that sign ID tokens.
    #[command(subcommand)]
    Keys(SigningKeysCommand),
    /// Show or clear the failed sign-in attempts that lock an account.
    #[command(subcommand)]
    Lockout(LockoutCommand),
    /// List or end a user's sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Manage the secret key file.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// A consistent copy of the database, taken while tapin keeps serving.
    /// To restore, stop tapin and put the copy in the database's place.
    Backup {
        /// The new file to write (it must not exist yet).
        file: PathBuf,
    },
    /// Exit 0 when URL answers 2xx within 3 seconds (a container health
    /// check: `tapin probe http://127.0.0.1:8080/readyz`), 1 otherwise.
    Probe { url: String },
    /// How long one pass check (Argon2id) takes on this machine, alone and
    /// with every core checking at once (as under load).
    Calibrate {
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
    /// Print the built app's files with their raw, gzip and brotli sizes.
    Assets {
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Also write every file raw, gzip- and brotli-compressed under this
        /// directory, for a release build to embed (TAPIN_EMBED=DIR cargo build).
        #[arg(long)]
        pack: Option<PathBuf>,
        /// Fail when the brotli-compressed first load is larger than this many bytes.
        #[arg(long)]
        budget_bytes: Option<usize>,
        /// Fail when the brotli-compressed security-info bundle is larger than this many bytes.
        #[arg(long)]
        methods_budget_bytes: Option<usize>,
        /// Fail when the help desk's bundle is larger, brotli-compressed.
        #[arg(long)]
        admin_budget_bytes: Option<usize>,
        /// Fail when the sign-in page's bundle is larger, brotli-compressed.
        #[arg(long)]
        signin_budget_bytes: Option<usize>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Report every problem in the file (--config or TAPIN_CONFIG) at once.
    Check,
}

fn open(db: &std::path::Path, keys: &Path, settings: Settings) -> Result<Tapin, Error> {
    open_with_clock(db, keys, settings, Arc::new(SystemClock))
}

fn open_with_clock(
    db: &std::path::Path,
    keys: &Path,
    settings: Settings,
    clock: Arc<dyn crate::domain::Clock>,
) -> Result<Tapin, Error> {
    let ca = DB_CA_FILE.get().cloned().flatten();
    let store = crate::storage::open(&db.to_string_lossy(), ca.as_deref()).map_err(Error::from)?;
    let keyring = load_or_create_keys(keys)?;
    Ok(Tapin::new(store, clock, settings).with_keyring(keyring))
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("serialisable"));
}

pub fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let (Some(path), false) = (&cli.config, matches!(cli.command, Command::Config(_))) {
        if let Err(e) = config::apply(path) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        // Again, now that the file's settings are in the environment.
        cli = Cli::parse();
    }
    if crate::storage::is_postgres(&cli.db.to_string_lossy()) && cli.secret_key_file.is_none() {
        eprintln!("error: with PostgreSQL, give --secret-key-file (TAPIN_SECRET_KEY_FILE): the same key file on every instance");
        return ExitCode::from(2);
    }
    let _ = DB_CA_FILE.set(cli.db_ca_file.clone());
    let keys = key_path(&cli.secret_key_file, &cli.db);
    let db = cli.db.as_path();
    let open = || open(db, &keys, Settings::default());
    let result = match cli.command {
        Command::Serve(args) => serve(db, &keys, args),
        Command::Config(ConfigCommand::Check) => match &cli.config {
            None => Err(Error::invalid(
                "name the file: tapin --config FILE config check",
            )),
            Some(path) => {
                let problems = config::check(path);
                if problems.is_empty() {
                    println!("{}: no problems found", path.display());
                    Ok(())
                } else {
                    for p in &problems {
                        println!("{}: {p}", path.display());
                    }
                    Err(Error::invalid(format!(
                        "{} problems in {}",
                        problems.len(),
                        path.display()
                    )))
                }
            }
        },
        Command::Assets {
            pack,
            dist,
            budget_bytes,
            methods_budget_bytes,
            admin_budget_bytes,
            signin_budget_bytes,
        } => assets(
            &dist,
            pack.as_deref(),
            budget_bytes,
            methods_budget_bytes,
            admin_budget_bytes,
            signin_budget_bytes,
        ),
        Command::User(cmd) => open().and_then(|t| user(&t, cmd)),
        Command::Group(cmd) => open().and_then(|t| group(&t, cmd)),
        Command::Policy(cmd) => open().and_then(|t| policy(&t, cmd)),
        Command::Tap(cmd) => open().and_then(|t| tap(&t, cmd)),
        Command::PasskeyProfile(cmd) => open().and_then(|t| passkey_profile(&t, cmd)),
        Command::Mds(cmd) => open().and_then(|t| mds(&t, cmd)),
        Command::Outbox { json } => open().and_then(|t| outbox(&t, json)),
        Command::Audit {
            user,
            kind,
            since,
            until,
            json,
        } => open().and_then(|t| {
            let filter = AuditFilter {
                upn: user,
                event: kind,
                since: rfc3339("since", since)?,
                until: rfc3339("until", until)?,
                newest: None,
            };
            audit(&t, filter, json)
        }),
        Command::Token(cmd) => open().and_then(|t| token(&t, cmd)),
        Command::Client(cmd) => open().and_then(|t| client(&t, cmd)),
        Command::Keys(cmd) => open().and_then(|t| signing_keys(&t, cmd)),
        Command::Lockout(cmd) => open().and_then(|t| lockout(&t, cmd)),
        Command::Session(cmd) => open().and_then(|t| session(&t, cmd)),
        Command::Secrets(SecretsCommand::Rotate) => rotate_secrets(db, &keys),
        Command::Calibrate { rounds } => calibrate(rounds),
        Command::Probe { url } => probe(&url),
        Command::Backup { file } => open().and_then(|t| {
            t.backup(&file)?;
            println!(
                "wrote a copy of {} to {}; the secret key file ({}) is not in it: back it up too",
                db.display(),
                file.display(),
                keys.display()
            );
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
