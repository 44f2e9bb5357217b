//! `tapin serve`: its flags, the demo deployment, the purge thread and the
//! wiring of store, delivery, hashing pool and HTTP.

use super::background::{start_logout_sweep, start_purge};
use super::*;
use crate::domain::courier::{Courier, Route};
use crate::domain::Channel;

#[derive(Args)]
pub(super) struct ServeArgs {
    #[arg(long, env = "TAPIN_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Serve the app from this directory (trunk's output), for development.
    /// Without it: the app embedded in this binary, else ./dist if present.
    #[arg(long, env = "TAPIN_DIST")]
    dist: Option<PathBuf>,
    /// On an empty database create a demo deployment; always issue the demo user a fresh pass.
    #[arg(long, env = "TAPIN_DEMO")]
    demo: bool,
    /// Failed pass attempts at one account from one client within the window before that pair locks.
    #[arg(long, env = "TAPIN_PAIR_LOCKOUT", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pair_lockout: u32,
    /// Failed pass attempts at one account from anywhere within the window
    /// before it locks (NIST SP 800-63B allows at most 100).
    #[arg(long, env = "TAPIN_ACCOUNT_LOCKOUT", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    account_lockout: u32,
    /// Failed pass attempts from one client at any accounts within the window before it locks.
    #[arg(long, env = "TAPIN_CLIENT_LOCKOUT", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    client_lockout: u32,
    #[arg(long, env = "TAPIN_LOCKOUT_WINDOW_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    lockout_window_minutes: u32,
    /// A reverse proxy (address or CIDR, repeatable) whose X-Forwarded-For or
    /// Forwarded header names the client. Without it those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "TAPIN_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
    /// A session unused for this many minutes ends.
    #[arg(long, env = "TAPIN_IDLE_TIMEOUT_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    idle_timeout_minutes: u32,
    /// Threads that check passes (Argon2id, 19 MiB each); default: one per core.
    #[arg(long, env = "TAPIN_HASH_WORKERS", value_parser = clap::value_parser!(u32).range(1..=256))]
    hash_workers: Option<u32>,
    /// Pass checks that may wait for a thread; beyond it the answer is 503.
    /// Default: four per thread.
    #[arg(long, env = "TAPIN_HASH_QUEUE", value_parser = clap::value_parser!(u32).range(0..=65_536))]
    hash_queue: Option<u32>,
    /// Verification codes per destination per hour.
    #[arg(long, env = "TAPIN_SENDS_PER_DESTINATION", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    sends_per_destination: u32,
    /// Verification codes per user per day.
    #[arg(long, env = "TAPIN_SENDS_PER_USER", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    sends_per_user: u32,
    /// Verification codes per client per hour.
    #[arg(long, env = "TAPIN_SENDS_PER_CLIENT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    sends_per_client: u32,
    /// Time to register passwordless methods after a one-time-pass sign-in.
    /// Keep the default (10 minutes) in production; tests shorten it.
    #[arg(long, env = "TAPIN_PASSWORDLESS_WINDOW_SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=3600))]
    passwordless_window_seconds: u32,
    /// Let people make recovery codes (ten single-use codes) in security
    /// info and sign in with one. Off unless given.
    #[arg(long, env = "TAPIN_RECOVERY_CODES")]
    recovery_codes: bool,
    /// Let codes sent by text, call or email sign in (to other
    /// applications too). Off unless given: such codes can be phished.
    #[arg(long, env = "TAPIN_SIGN_IN_CODES")]
    sign_in_codes: bool,
    /// The exact origin users reach tapin at, e.g. https://tapin.contoso.com.
    #[arg(long, env = "TAPIN_PUBLIC_ORIGIN")]
    public_origin: Option<String>,
    /// Send Strict-Transport-Security (when TLS is terminated in front of tapin).
    #[arg(long, env = "TAPIN_HSTS")]
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
    /// Seconds to wait for the SMTP server before a try counts as failed
    /// (and is retried in the background).
    #[arg(long, env = "TAPIN_SMTP_TIMEOUT_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=300))]
    smtp_timeout_seconds: u32,
    /// The sender address of email.
    #[arg(
        long,
        env = "TAPIN_MAIL_FROM",
        default_value = "tapin <no-reply@tapin.invalid>"
    )]
    mail_from: String,
    /// Serve Prometheus metrics at http://ADDR/metrics (keep it off the public network).
    #[arg(long, env = "TAPIN_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Tests only, refused by an optimised build: the clock runs this many
    /// seconds (written in the file, read at every use) ahead of the system's.
    #[arg(long, hide = true)]
    test_clock_file: Option<PathBuf>,
    /// `json` writes one JSON object per log line, for log collectors.
    #[arg(long, value_enum, default_value = "text", env = "TAPIN_LOG_FORMAT")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum LogFormat {
    Text,
    Json,
}

/// The system clock moved by the seconds written in a file (tests of a
/// running server: a delayed start reached, a pass expired).
struct FileClock(PathBuf);

impl crate::domain::Clock for FileClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let ahead = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        chrono::Utc::now() + Duration::seconds(ahead)
    }
}

/// Everything wrong with these settings beyond each value's own type, all
/// at once (for `tapin config check` and before `serve` starts).
pub(super) fn problems(args: &ServeArgs) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(origin) = &args.public_origin {
        if let Err(e) = crate::domain::normalize_origin(origin) {
            problems.push(format!("`public_origin`: {e}"));
        }
    }
    if let Err(e) = http::client::TrustedProxies::parse(&args.trusted_proxies) {
        problems.push(format!("`trusted_proxy`: {e}"));
    }
    if let Some(url) = &args.smtp_url {
        let timeout = std::time::Duration::from_secs(args.smtp_timeout_seconds.into());
        if let Err(e) = crate::delivery::Smtp::new(url, &args.mail_from, timeout) {
            problems.push(format!("`smtp_url`/`mail_from`: {e}"));
        }
    }
    if let Some(url) = &args.phone_webhook_url {
        if let Err(e) = crate::delivery::Webhook::new(url) {
            problems.push(format!("`phone_webhook_url`: {e}"));
        }
    }
    if let Some(dir) = &args.dist {
        if !dir.is_dir() {
            problems.push(format!("`dist`: {} is not a directory", dir.display()));
        }
    }
    problems
}

pub(super) fn serve(db: &Path, keys: &Path, args: ServeArgs) -> Result<(), Error> {
    let problems = problems(&args);
    if !problems.is_empty() {
        return Err(Error::invalid(problems.join("; ")));
    }
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
        recovery_codes: args.recovery_codes,
        sign_in_codes: args.sign_in_codes,
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
    // The OpenID Connect issuer: the public origin, else localhost on the
    // port tapin listens on (development).
    let issuer = public_origin
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", args.addr.port()));
    let tapin = match &args.test_clock_file {
        None => open(db, keys, settings)?,
        Some(_) if !cfg!(debug_assertions) => {
            return Err(Error::invalid(
                "--test-clock-file is for tests, and only a debug build takes it",
            ))
        }
        Some(file) => open_with_clock(db, keys, settings, Arc::new(FileClock(file.clone())))?,
    }
    .with_relying_party(crate::domain::service::relying_party(&origin)?)
    .with_issuer(&issuer);
    tapin.ensure_signing_keys()?;
    let sealed = tapin.seal_plain_secrets()?;
    if sealed > 0 {
        tracing::info!(
            sealed,
            "sealed authenticator seeds stored in plain text by an earlier version"
        );
    }
    let mut routes = Vec::new();
    // Always: applications' back channels need no setting.
    routes.push(Route {
        name: "logout",
        channels: vec![Channel::Logout],
        sender: Arc::new(crate::delivery::BackChannel::new()),
    });
    if let Some(url) = &args.smtp_url {
        let timeout = std::time::Duration::from_secs(args.smtp_timeout_seconds.into());
        routes.push(Route {
            name: "email",
            channels: vec![Channel::Email],
            sender: Arc::new(crate::delivery::Smtp::new(url, &args.mail_from, timeout)?),
        });
    }
    // Always: applications' back channels need no setting.
    routes.push(Route {
        name: "logout",
        channels: vec![Channel::Logout],
        sender: Arc::new(crate::delivery::BackChannel::new()),
    });
    if let Some(url) = &args.phone_webhook_url {
        routes.push(Route {
            name: "phone",
            channels: vec![Channel::Text, Channel::Call],
            sender: Arc::new(crate::delivery::Webhook::new(url)?),
        });
    }
    let demo = if args.demo {
        Some(super::demo::seed_demo(&tapin)?)
    } else {
        None
    };
    let assets = load_assets(args.dist.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let workers = args.hash_workers.map_or(cores, |n| n as usize);
    let queue = args.hash_queue.map_or(4 * workers, |n| n as usize);
    let pool = crate::pool::HashPool::new(workers, queue)
        .map_err(|e| Error::Storage(format!("cannot start the hashing threads: {e}")))?;
    let tapin = Arc::new(tapin);
    let tapin_store_in_place = tapin.store().reads_in_place();
    start_purge(tapin.clone());
    start_logout_sweep(tapin.clone());
    let courier = Courier::start_for(&tapin, routes)
        .map_err(|e| Error::Storage(format!("cannot start the delivery threads: {e}")))?;
    let state = AppState {
        tapin,
        assets: Arc::new(assets),
        config: Arc::new(HttpConfig {
            public_origin,
            hsts: args.hsts,
            trusted_proxies,
        }),
        pool: Arc::new(pool),
        in_place: tapin_store_in_place,
    };
    let metrics = match args.metrics_addr {
        Some(addr) => Some((
            addr,
            http::metrics::install()
                .map_err(|e| Error::invalid(format!("cannot record metrics: {e}")))?,
        )),
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Error::Storage(e.to_string()))?;
    let served = runtime.block_on(async move {
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
        if let Some((addr, handle)) = metrics {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Error::invalid(format!("cannot listen on {addr} for metrics: {e}")))?;
            let metrics_state = state.clone();
            tokio::spawn(async move {
                if let Err(e) = http::metrics::serve(listener, handle, metrics_state).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
            println!("metrics on http://{addr}/metrics");
        }
        println!("tapin listening on http://{host}");
        if let Some(demo) = demo {
            demo.print(&host);
        }
        http::serve::serve(
            listener,
            http::router(state.clone()),
            http::serve::shutdown_signal(),
        )
        .await
        .map_err(|e| Error::Storage(e.to_string()))
    });
    // In-flight requests are done: send what they wrote, then stop.
    courier.shutdown();
    served
}

/// `--dist` when given; otherwise what this binary embeds; otherwise ./dist.
fn load_assets(dist: Option<&Path>) -> Result<Assets, Error> {
    let read = |dir: &Path| {
        Assets::load(dir).map_err(|e| Error::invalid(format!("cannot read {}: {e}", dir.display())))
    };
    let assets = match dist {
        Some(dir) => read(dir)?,
        None => {
            let embedded = Assets::embedded();
            if embedded.is_empty() {
                read(Path::new("dist"))?
            } else {
                embedded
            }
        }
    };
    if assets.index().is_none() {
        tracing::warn!("no built app found (neither embedded nor in --dist); serving the API only");
    }
    Ok(assets)
}
