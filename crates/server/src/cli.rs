//! The `tapin` command line: run the server, and administer users, the
//! policy and passes against the same database.

use crate::domain::{
    Actor, AdminRole, Error, IssueOptions, NewUser, PolicyChange, Role, Settings, SystemClock,
    Tapin, Target,
};
use crate::http::{self, assets::Assets, AppState, HttpConfig};
use crate::storage::SqliteStore;
use chrono::{DateTime, Duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
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
    /// Added and removed methods, sign-ins and sign-outs everywhere.
    Audit {
        /// Only this user's events.
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the built app's files with their raw, gzip and brotli sizes.
    Assets {
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Fail when the brotli-compressed first load is larger than this many bytes.
        #[arg(long)]
        budget_bytes: Option<usize>,
    },
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
    /// Failed pass attempts per account within the window before it locks.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    account_lockout: u32,
    /// Failed pass attempts per client address within the window before it locks.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    client_lockout: u32,
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    lockout_window_minutes: u32,
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

fn open(db: &std::path::Path, settings: Settings) -> Result<Tapin, Error> {
    let store = SqliteStore::open(db).map_err(Error::from)?;
    Ok(Tapin::new(Arc::new(store), Arc::new(SystemClock), settings))
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

fn audit(t: &Tapin, user: Option<&str>, json: bool) -> Result<(), Error> {
    let events = t.audit_events(user)?;
    if json {
        let rows: Vec<_> = events
            .iter()
            .map(|e| serde_json::json!({"at": e.at, "upn": e.upn, "event": e.event, "detail": e.detail}))
            .collect();
        print_json(&rows);
        return Ok(());
    }
    for e in events {
        println!(
            "{}  {:<28} {:<22} {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.upn,
            e.event,
            e.detail
        );
    }
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
    let result = match cli.command {
        Command::Serve(args) => serve(&cli.db, args),
        Command::Assets { dist, budget_bytes } => assets(&dist, budget_bytes),
        Command::User(cmd) => open(&cli.db, Settings::default()).and_then(|t| user(&t, cmd)),
        Command::Policy(cmd) => open(&cli.db, Settings::default()).and_then(|t| policy(&t, cmd)),
        Command::Tap(cmd) => open(&cli.db, Settings::default()).and_then(|t| tap(&t, cmd)),
        Command::Outbox { json } => {
            open(&cli.db, Settings::default()).and_then(|t| outbox(&t, json))
        }
        Command::Audit { user, json } => {
            open(&cli.db, Settings::default()).and_then(|t| audit(&t, user.as_deref(), json))
        }
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

fn assets(dist: &std::path::Path, budget_bytes: Option<usize>) -> Result<(), Error> {
    let assets = Assets::load(dist)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", dist.display())))?;
    let row = |name: &str, raw: usize, gz: usize, br: usize| {
        println!("{name:<44} {raw:>10} {gz:>10} {br:>10}");
    };
    let mut first_load = 0;
    for (page, title) in [
        ("/index.html", "first load (/ : account and pass steps)"),
        ("/methods.html", "security info (/security-info, /passkey)"),
    ] {
        let files = assets.load_of(page);
        if files.is_empty() {
            continue;
        }
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
        if page == "/index.html" {
            first_load = br;
        }
    }
    match budget_bytes {
        Some(budget) if first_load > budget => Err(Error::invalid(format!(
            "first load is {first_load} bytes brotli-compressed, over the budget of {budget}"
        ))),
        Some(budget) => {
            println!("first load brotli: {first_load} bytes, within the budget of {budget}");
            Ok(())
        }
        None => Ok(()),
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

fn serve(db: &std::path::Path, args: ServeArgs) -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TAPIN_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings {
        account_lockout_threshold: args.account_lockout,
        client_lockout_threshold: args.client_lockout,
        lockout_window: Duration::minutes(args.lockout_window_minutes.into()),
        passwordless_window: Duration::seconds(args.passwordless_window_seconds.into()),
        ..Settings::default()
    };
    let origin = args
        .public_origin
        .clone()
        .unwrap_or_else(|| "http://localhost".into());
    let mut tapin =
        open(db, settings)?.with_relying_party(crate::domain::service::relying_party(&origin)?);
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
    let state = AppState {
        tapin: Arc::new(tapin),
        assets: Arc::new(assets),
        config: Arc::new(HttpConfig {
            public_origin: args.public_origin,
            hsts: args.hsts,
        }),
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
        let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::Storage(e.to_string()))
    })
}
