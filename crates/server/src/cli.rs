//! The `tapin` command line: run the server, and administer users, the
//! policy and passes against the same database.

use crate::domain::store::{AttemptLimits, SendLimits};
use crate::domain::{
    Actor, AdminRole, AuditFilter, Error, IssueOptions, Keyring, NewUser, PolicyChange, Role,
    Settings, SystemClock, Tapin, Target,
};
use crate::http::{self, assets::Assets, AppState, HttpConfig};
use crate::storage::SqliteStore;
use chrono::{DateTime, Duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub const DEMO_UPN: &str = "demo@tapin.example";

#[derive(Parser)]
#[command(
    name = "tapin",
    version,
    about = "Self-service sign-in with a Temporary Access Pass"
)]
struct Cli {
    /// The SQLite database file (created and migrated when missing).
    #[arg(long, global = true, env = "TAPIN_DB", default_value = "tapin.db")]
    db: PathBuf,
    /// The file of keys that seal authenticator seeds and key code hashes;
    /// created (0600) on first start when missing. Default: the database
    /// path with `.key` appended.
    #[arg(long, global = true, env = "TAPIN_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the API.
    Serve(ServeArgs),
    /// Add and list users.
    #[command(subcommand)]
    User(UserCommand),
    /// Show or edit the Temporary Access Pass policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Issue, show and revoke Temporary Access Passes.
    #[command(subcommand)]
    Tap(TapCommand),
    /// Messages waiting in the outbox (codes and notifications, newest last).
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
        /// Fail when the brotli-compressed first load is larger than this many bytes.
        #[arg(long)]
        budget_bytes: Option<usize>,
        /// Fail when the brotli-compressed security-info bundle is larger than this many bytes.
        #[arg(long)]
        methods_budget_bytes: Option<usize>,
    },
}

#[derive(Subcommand)]
enum LockoutCommand {
    /// Failed attempts against the account within the window, per client.
    Show {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Forgets the account's failed attempts, unlocking it everywhere.
    Clear {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// The user's live sessions.
    List {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Ends one session (by the id `session list` shows) or, with --all, every one.
    Revoke {
        upn: String,
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Makes a new key and re-encrypts every sealed secret with it.
    Rotate,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built app (trunk's output).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// On an empty database create a demo deployment; always issue the demo user a fresh pass.
    #[arg(long)]
    demo: bool,
    /// Failed pass attempts at one account from one client within the window before that pair locks.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pair_lockout: u32,
    /// Failed pass attempts at one account from anywhere within the window
    /// before it locks (NIST SP 800-63B allows at most 100).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    account_lockout: u32,
    /// Failed pass attempts from one client at any accounts within the window before it locks.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    client_lockout: u32,
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    lockout_window_minutes: u32,
    /// A reverse proxy (address or CIDR, repeatable) whose X-Forwarded-For or
    /// Forwarded header names the client. Without it those headers are ignored.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<String>,
    /// A session unused for this many minutes ends.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    idle_timeout_minutes: u32,
    /// Threads that check passes (Argon2id, 19 MiB each); default: one per core.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    hash_workers: Option<u32>,
    /// Pass checks that may wait for a thread; beyond it the answer is 503.
    /// Default: four per thread.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=65_536))]
    hash_queue: Option<u32>,
    /// Verification codes per destination per hour.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    sends_per_destination: u32,
    /// Verification codes per user per day.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    sends_per_user: u32,
    /// Verification codes per client per hour.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    sends_per_client: u32,
    /// Time to register passwordless methods after a one-time-pass sign-in.
    /// Keep the default (10 minutes) in production; tests shorten it.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=3600))]
    passwordless_window_seconds: u32,
    /// The exact origin users reach tapin at, e.g. https://tapin.contoso.com.
    #[arg(long)]
    public_origin: Option<String>,
    /// Send Strict-Transport-Security (when TLS is terminated in front of tapin).
    #[arg(long)]
    hsts: bool,
    /// Send email through this SMTP server: smtp://host:port, smtps://host
    /// or smtp://host?tls=required, with user:password@ when it needs them.
    /// Without it, email waits in the outbox.
    #[arg(long, env = "TAPIN_SMTP_URL")]
    smtp_url: Option<String>,
    /// Send text and call codes as a JSON POST to this URL (an SMS/voice
    /// provider or gateway). Without it, they wait in the outbox.
    #[arg(long, env = "TAPIN_PHONE_WEBHOOK_URL")]
    phone_webhook_url: Option<String>,
    /// The sender address of email.
    #[arg(long, default_value = "tapin <no-reply@tapin.invalid>")]
    mail_from: String,
    /// `json` writes one JSON object per log line, for log collectors.
    #[arg(long, value_enum, default_value = "text", env = "TAPIN_LOG_FORMAT")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Member,
    Admin,
}

#[derive(Clone, Copy, ValueEnum)]
enum AdminRoleArg {
    PrivilegedAuthenticationAdministrator,
    AuthenticationAdministrator,
    GlobalReader,
    AuthenticationPolicyAdministrator,
}

#[derive(Subcommand)]
enum UserCommand {
    Add {
        upn: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "member")]
        role: RoleArg,
        /// An administrator role (repeatable; needs --role admin).
        #[arg(long = "admin-role", value_enum)]
        admin_roles: Vec<AdminRoleArg>,
        /// A group the user belongs to (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    Show {
        #[arg(long)]
        json: bool,
    },
    Set {
        #[arg(long)]
        enabled: Option<bool>,
        /// Who the policy applies to: all, user:UPN or group:NAME (repeatable; replaces the list).
        #[arg(long)]
        include: Vec<String>,
        /// Who is excluded: user:UPN or group:NAME (repeatable; replaces the list), or none.
        #[arg(long)]
        exclude: Vec<String>,
        #[arg(long)]
        min_lifetime: Option<u32>,
        #[arg(long)]
        max_lifetime: Option<u32>,
        #[arg(long)]
        default_lifetime: Option<u32>,
        #[arg(long)]
        one_time: Option<bool>,
        #[arg(long)]
        length: Option<u32>,
        /// Send users in scope into a registration wizard after pass sign-in.
        #[arg(long)]
        require_registration: Option<bool>,
        /// Act as this administrator, under its roles.
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
enum TapCommand {
    Issue {
        upn: String,
        /// Minutes the pass is valid for (the policy's default when omitted).
        #[arg(long)]
        lifetime: Option<u32>,
        #[arg(long)]
        one_time: bool,
        /// When the pass becomes valid, RFC 3339 with the issuer's offset.
        #[arg(long)]
        start: Option<String>,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Revoke {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

fn open(db: &std::path::Path, keys: &Path, settings: Settings) -> Result<Tapin, Error> {
    let store = SqliteStore::open(db).map_err(Error::from)?;
    let keyring = load_or_create_keys(keys)?;
    Ok(Tapin::new(Arc::new(store), Arc::new(SystemClock), settings).with_keyring(keyring))
}

/// Reads the key file, creating it (readable by its owner only) when missing.
fn load_or_create_keys(path: &Path) -> Result<Keyring, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Keyring::parse(&text).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let ring = Keyring::generate();
            write_keys(path, &ring, true)?;
            Ok(ring)
        }
        Err(e) => Err(Error::invalid(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Writes the key file atomically (a sibling file renamed over it), 0600.
fn write_keys(path: &Path, ring: &Keyring, create_new: bool) -> Result<(), Error> {
    use std::io::Write;
    let tmp = path.with_extension("key-new");
    let fail = |e: std::io::Error| Error::invalid(format!("cannot write {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(fail)?;
    file.write_all(ring.to_text().as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    if create_new && path.exists() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::invalid(format!(
            "{} appeared while tapin was creating it",
            path.display()
        )));
    }
    std::fs::rename(&tmp, path).map_err(fail)
}

fn key_path(cli_keys: &Option<PathBuf>, db: &Path) -> PathBuf {
    cli_keys.clone().unwrap_or_else(|| {
        let mut p = db.as_os_str().to_owned();
        p.push(".key");
        PathBuf::from(p)
    })
}

fn outbox(t: &Tapin, json: bool) -> Result<(), Error> {
    let entries = t.outbox()?;
    if json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at, "channel": e.message.channel.as_str(), "to": e.message.to,
                    "subject": e.message.subject, "body": e.message.body,
                })
            })
            .collect();
        print_json(&rows);
        return Ok(());
    }
    if entries.is_empty() {
        println!("the outbox is empty");
    }
    for e in entries {
        println!(
            "{}  {} to {}: {}\n  {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.message.channel.as_str(),
            e.message.to,
            e.message.subject,
            e.message.body.replace('\n', "\n  ")
        );
    }
    Ok(())
}

fn rfc3339(
    flag: &'static str,
    value: Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    Error::Invalid(
                        format!("--{flag} must be RFC 3339, like 2026-11-23T09:00:00Z ({e})"),
                        Some(flag),
                    )
                })
        })
        .transpose()
}

fn audit(t: &Tapin, filter: AuditFilter, json: bool) -> Result<(), Error> {
    let events = t.audit_events(filter)?;
    for e in events {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "at": e.at, "upn": e.upn, "event": e.event, "detail": e.detail,
                    "actor": e.actor, "client": e.client,
                })
            );
        } else {
            println!(
                "{}  {:<28} {:<22} {:<28} {:<16} {}",
                e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                e.upn,
                e.event,
                e.actor,
                e.client,
                e.detail
            );
        }
    }
    Ok(())
}

fn lockout(t: &Tapin, cmd: LockoutCommand) -> Result<(), Error> {
    match cmd {
        LockoutCommand::Show {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let counts = t.lockout_state(&actor, &upn)?;
            let limits = t.settings().lockout;
            if json {
                print_json(&serde_json::json!({
                    "upn": upn,
                    "failures": counts.account,
                    "account_limit": limits.per_pair.max(limits.per_account),
                    "clients": counts.clients.iter().map(|(c, n)| serde_json::json!({"client": c, "failures": n})).collect::<Vec<_>>(),
                }));
            } else {
                println!(
                    "{upn}: {} failed attempts in the last {} minutes",
                    counts.account,
                    t.settings().lockout_window.num_minutes()
                );
                for (client, n) in counts.clients {
                    println!("  {client:<40} {n}");
                }
            }
        }
        LockoutCommand::Clear { upn, as_admin } => {
            let actor = t.actor(as_admin.as_deref())?;
            let n = t.clear_lockout(&actor, &upn)?;
            println!("cleared {n} failed attempts of {upn}; it can sign in again from anywhere");
        }
    }
    Ok(())
}

fn session(t: &Tapin, cmd: SessionCommand) -> Result<(), Error> {
    match cmd {
        SessionCommand::List {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let sessions = t.sessions_of(&actor, &upn)?;
            if json {
                let rows: Vec<_> = sessions
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.id, "created_at": s.created_at, "expires_at": s.expires_at,
                            "last_seen_at": s.last_seen_at, "opened_by": if s.pass_id.is_some() { "pass" } else { "passkey" },
                        })
                    })
                    .collect();
                print_json(&rows);
            } else {
                if sessions.is_empty() {
                    println!("{upn} has no live session");
                }
                for s in sessions {
                    println!(
                        "{}  opened {} by {}, last seen {}, ends {}",
                        s.id,
                        s.created_at.format("%Y-%m-%d %H:%M UTC"),
                        if s.pass_id.is_some() {
                            "pass"
                        } else {
                            "passkey"
                        },
                        s.last_seen_at.format("%H:%M UTC"),
                        s.expires_at.format("%Y-%m-%d %H:%M UTC"),
                    );
                }
            }
        }
        SessionCommand::Revoke {
            upn,
            id,
            all,
            as_admin,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let which = if all { None } else { id.as_deref() };
            t.revoke_sessions(&actor, &upn, which)?;
            match which {
                Some(id) => println!("ended session {id} of {upn}"),
                None => println!("ended every session of {upn}"),
            }
        }
    }
    Ok(())
}

/// New key first in the file, every secret re-encrypted, then the old key
/// dropped: interrupted anywhere, the file still opens every secret.
fn rotate_secrets(db: &Path, keys: &Path) -> Result<(), Error> {
    let t = open(db, keys, Settings::default())?;
    let old = load_or_create_keys(keys)?;
    let rotating = old.with_new_key();
    write_keys(keys, &rotating, false)?;
    let n = t.reseal_secrets(&rotating)?;
    write_keys(keys, &rotating.newest_only(), false)?;
    println!(
        "re-encrypted {n} secrets with a new key in {}; restart running servers to use it",
        keys.display()
    );
    Ok(())
}

fn calibrate(rounds: u32) -> Result<(), Error> {
    let rounds = rounds.max(1);
    let phc = Arc::new(crate::domain::pass::hash_code("CALIBRATE")?);
    let time = |threads: usize| {
        let started = std::time::Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let phc = phc.clone();
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        crate::domain::pass::code_matches("CALIBRATE", &phc);
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!("argon2id_ms {:.2}", time(1));
    println!("argon2id_ms_all_cores {:.2}", time(cores));
    Ok(())
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("serialisable"));
}

fn targets(values: &[String]) -> Result<Option<Vec<Target>>, Error> {
    match values {
        [] => Ok(None),
        [only] if only == "none" => Ok(Some(vec![])),
        _ => values
            .iter()
            .map(|v| Target::parse(v))
            .collect::<Result<_, _>>()
            .map(Some),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let keys = key_path(&cli.secret_key_file, &cli.db);
    let db = cli.db.as_path();
    let open = || open(db, &keys, Settings::default());
    let result = match cli.command {
        Command::Serve(args) => serve(db, &keys, args),
        Command::Assets {
            dist,
            budget_bytes,
            methods_budget_bytes,
        } => assets(&dist, budget_bytes, methods_budget_bytes),
        Command::User(cmd) => open().and_then(|t| user(&t, cmd)),
        Command::Policy(cmd) => open().and_then(|t| policy(&t, cmd)),
        Command::Tap(cmd) => open().and_then(|t| tap(&t, cmd)),
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
            };
            audit(&t, filter, json)
        }),
        Command::Lockout(cmd) => open().and_then(|t| lockout(&t, cmd)),
        Command::Session(cmd) => open().and_then(|t| session(&t, cmd)),
        Command::Secrets(SecretsCommand::Rotate) => rotate_secrets(db, &keys),
        Command::Calibrate { rounds } => calibrate(rounds),
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

fn user(t: &Tapin, cmd: UserCommand) -> Result<(), Error> {
    match cmd {
        UserCommand::Add {
            upn,
            name,
            role,
            admin_roles,
            groups,
        } => {
            let user = t.add_user(NewUser {
                upn,
                display_name: name,
                role: match role {
                    RoleArg::Member => Role::Member,
                    RoleArg::Admin => Role::Admin,
                },
                admin_roles: admin_roles
                    .into_iter()
                    .map(|r| match r {
                        AdminRoleArg::PrivilegedAuthenticationAdministrator => {
                            AdminRole::PrivilegedAuthenticationAdministrator
                        }
                        AdminRoleArg::AuthenticationAdministrator => {
                            AdminRole::AuthenticationAdministrator
                        }
                        AdminRoleArg::GlobalReader => AdminRole::GlobalReader,
                        AdminRoleArg::AuthenticationPolicyAdministrator => {
                            AdminRole::AuthenticationPolicyAdministrator
                        }
                    })
                    .collect(),
                groups,
            })?;
            println!("added {} ({})", user.upn, user.display_name);
        }
        UserCommand::List { json } => {
            let users = t.users()?;
            if json {
                print_json(&users);
            } else {
                for u in users {
                    let role = match u.role {
                        Role::Admin => "admin",
                        Role::Member => "member",
                    };
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.upn,
                        u.display_name,
                        role,
                        u.groups.join(",")
                    );
                }
            }
        }
    }
    Ok(())
}

fn policy(t: &Tapin, cmd: PolicyCommand) -> Result<(), Error> {
    let show = |json: bool, p: &crate::domain::Policy| {
        if json {
            print_json(p);
        } else {
            let list = |v: &[Target]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            println!("enabled:          {}", p.enabled);
            println!("include:          {}", list(&p.include));
            println!("exclude:          {}", list(&p.exclude));
            println!("minimum lifetime: {} min", p.min_lifetime_minutes);
            println!("maximum lifetime: {} min", p.max_lifetime_minutes);
            println!("default lifetime: {} min", p.default_lifetime_minutes);
            println!("one-time use:     {}", p.one_time);
            println!("length:           {}", p.length);
            println!("require registration: {}", p.require_registration);
        }
    };
    match cmd {
        PolicyCommand::Show { json } => show(json, &t.policy()?),
        PolicyCommand::Set {
            enabled,
            include,
            exclude,
            min_lifetime,
            max_lifetime,
            default_lifetime,
            one_time,
            length,
            require_registration,
            as_admin,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let change = PolicyChange {
                enabled,
                include: targets(&include)?,
                exclude: targets(&exclude)?,
                min_lifetime_minutes: min_lifetime,
                max_lifetime_minutes: max_lifetime,
                default_lifetime_minutes: default_lifetime,
                one_time,
                length,
                require_registration,
            };
            show(false, &t.set_policy(&actor, change)?);
        }
    }
    Ok(())
}

fn tap(t: &Tapin, cmd: TapCommand) -> Result<(), Error> {
    match cmd {
        TapCommand::Issue {
            upn,
            lifetime,
            one_time,
            start,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let start = start
                .map(|s| {
                    DateTime::parse_from_rfc3339(&s).map_err(|e| {
                        Error::Invalid(
                            format!(
                                "--start must be RFC 3339, like 2026-11-23T09:00:00+01:00 ({e})"
                            ),
                            Some("start"),
                        )
                    })
                })
                .transpose()?;
            let issued = t.issue_pass(
                &actor,
                &upn,
                IssueOptions {
                    lifetime_minutes: lifetime,
                    one_time,
                    start,
                },
            )?;
            if json {
                print_json(&issued);
            } else {
                println!(
                    "Temporary Access Pass for {upn}: {}",
                    issued.temporary_access_pass
                );
                println!("(shown once; it cannot be displayed again)");
                print_json(&issued.pass);
            }
        }
        TapCommand::Show {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let view = t.show_pass(&actor, &upn)?;
            if json {
                print_json(&view);
            } else {
                println!("Temporary Access Pass for {upn} (the code is never shown again):");
                print_json(&view);
            }
        }
        TapCommand::Revoke { upn, as_admin } => {
            let actor = t.actor(as_admin.as_deref())?;
            t.revoke_pass(&actor, &upn)?;
            println!("revoked the Temporary Access Pass of {upn}");
        }
    }
    Ok(())
}

fn assets(
    dist: &std::path::Path,
    budget_bytes: Option<usize>,
    methods_budget_bytes: Option<usize>,
) -> Result<(), Error> {
    let assets = Assets::load(dist)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", dist.display())))?;
    let row = |name: &str, raw: usize, gz: usize, br: usize| {
        println!("{name:<44} {raw:>10} {gz:>10} {br:>10}");
    };
    let mut problems = Vec::new();
    for (page, title, budget) in [
        (
            "/index.html",
            "first load (/ : account and pass steps)",
            budget_bytes,
        ),
        (
            "/methods.html",
            "security info (/security-info, /passkey)",
            methods_budget_bytes,
        ),
    ] {
        let mut files = assets.load_of(page);
        if files.is_empty() {
            continue;
        }
        // The page's script fetches the chosen language's sentences at
        // start: counted here as English, the catalog most people get.
        files.extend(assets.get("/locales/en.json"));
        println!("{title}");
        println!(
            "  {:<42} {:>10} {:>10} {:>10}",
            "asset", "raw", "gzip", "brotli"
        );
        let (mut raw, mut gz, mut br) = (0, 0, 0);
        for a in files {
            row(
                &format!("  {}", a.path),
                a.raw.len(),
                a.gzip.len(),
                a.brotli.len(),
            );
            raw += a.raw.len();
            gz += a.gzip.len();
            br += a.brotli.len();
        }
        row("  total", raw, gz, br);
        match budget {
            Some(budget) if br > budget => problems.push(format!(
                "{title}: {br} bytes brotli-compressed, over the budget of {budget}"
            )),
            Some(budget) => println!("  brotli {br} bytes, within the budget of {budget}"),
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(problems.join("; ")))
    }
}

/// Creates the demo deployment on an empty database and issues the demo user a fresh pass.
fn seed_demo(t: &Tapin) -> Result<crate::domain::IssuedPass, Error> {
    if t.is_empty()? {
        t.set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                ..Default::default()
            },
        )?;
        t.add_user(NewUser {
            upn: DEMO_UPN.into(),
            display_name: "Dana Demo".into(),
            role: Role::Member,
            admin_roles: vec![],
            groups: vec!["staff".into()],
        })?;
    }
    t.issue_pass(&Actor::Operator, DEMO_UPN, IssueOptions::default())
}

fn serve(db: &Path, keys: &Path, args: ServeArgs) -> Result<(), Error> {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TAPIN_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let hour = Duration::hours(1);
    let settings = Settings {
        lockout: AttemptLimits {
            per_pair: args.pair_lockout,
            per_account: args.account_lockout,
            per_client: args.client_lockout,
        },
        lockout_window: Duration::minutes(args.lockout_window_minutes.into()),
        passwordless_window: Duration::seconds(args.passwordless_window_seconds.into()),
        session_idle: Duration::minutes(args.idle_timeout_minutes.into()),
        send_limits: SendLimits {
            per_destination: (args.sends_per_destination, hour),
            per_user: (args.sends_per_user, Duration::days(1)),
            per_client: (args.sends_per_client, hour),
        },
        ..Settings::default()
    };
    let public_origin = args
        .public_origin
        .as_deref()
        .map(crate::domain::normalize_origin)
        .transpose()?;
    let trusted_proxies = http::client::TrustedProxies::parse(&args.trusted_proxies)
        .map_err(|e| Error::Invalid(e, Some("trusted_proxy")))?;
    let origin = public_origin
        .clone()
        .unwrap_or_else(|| "http://localhost".into());
    let mut tapin = open(db, keys, settings)?
        .with_relying_party(crate::domain::service::relying_party(&origin)?);
    let sealed = tapin.seal_plain_secrets()?;
    if sealed > 0 {
        tracing::info!(
            sealed,
            "sealed authenticator seeds stored in plain text by an earlier version"
        );
    }
    let outbox: Arc<dyn crate::domain::Delivery> = Arc::new(crate::domain::Outbox(tapin.store()));
    let email: Arc<dyn crate::domain::Delivery> = match &args.smtp_url {
        Some(url) => Arc::new(crate::delivery::Smtp::new(url, &args.mail_from)?),
        None => outbox.clone(),
    };
    let phone: Arc<dyn crate::domain::Delivery> = match &args.phone_webhook_url {
        Some(url) => Arc::new(crate::delivery::Webhook::new(url)?),
        None => outbox,
    };
    tapin = tapin.with_delivery(Arc::new(crate::delivery::Routed { email, phone }));
    let demo = if args.demo {
        Some(seed_demo(&tapin)?)
    } else {
        None
    };
    let assets = Assets::load(&args.dist)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", args.dist.display())))?;
    if assets.index().is_none() {
        tracing::warn!(dist = %args.dist.display(), "no built app found; serving the API only");
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let workers = args.hash_workers.map_or(cores, |n| n as usize);
    let queue = args.hash_queue.map_or(4 * workers, |n| n as usize);
    let pool = crate::pool::HashPool::new(workers, queue)
        .map_err(|e| Error::Storage(format!("cannot start the hashing threads: {e}")))?;
    let tapin = Arc::new(tapin);
    start_purge(tapin.clone());
    let state = AppState {
        tapin,
        assets: Arc::new(assets),
        config: Arc::new(HttpConfig {
            public_origin,
            hsts: args.hsts,
            trusted_proxies,
        }),
        pool: Arc::new(pool),
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::Storage(e.to_string()))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Error::invalid(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Storage(e.to_string()))?;
        let host = if addr.ip().is_loopback() {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        println!("tapin listening on http://{host}");
        if let Some(issued) = demo {
            println!("  demo account:          {DEMO_UPN}");
            println!("  Temporary Access Pass: {}", issued.temporary_access_pass);
            println!(
                "  valid for {} minutes from {}",
                issued.pass.lifetime_in_minutes, issued.pass.start_date_time
            );
        }
        http::serve::serve(
            listener,
            http::router(state),
            http::serve::shutdown_signal(),
        )
        .await
        .map_err(|e| Error::Storage(e.to_string()))
    })
}

/// Removes expired rows every minute, so nothing outlives its use.
fn start_purge(tapin: Arc<Tapin>) {
    let spawned = std::thread::Builder::new()
        .name("tapin-purge".into())
        .spawn(move || loop {
            match tapin.purge() {
                Ok(p) => tracing::debug!(
                    sessions = p.sessions,
                    pending = p.pending,
                    attempts = p.attempts,
                    sends = p.sends,
                    "purged"
                ),
                Err(e) => tracing::warn!(error = %e, "purge failed; trying again in a minute"),
            }
            std::thread::sleep(std::time::Duration::from_secs(60));
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the purge thread");
    }
}
