//! The demo deployment (`tapin serve --demo`): people in every state a
//! help desk meets, fresh passes at every start, and an example
//! application to sign in to.

use super::*;
use crate::domain::oidc::NewClient;
use chrono::Duration;

/// The demo deployment's passes, printed at every start.
pub(super) struct Demo {
    pub user: crate::domain::IssuedPass,
    pub admin: crate::domain::IssuedPass,
    /// The example application: a public client for devices and native apps.
    pub app: Option<String>,
}

/// The example application's name: found by it at every start.
const DEMO_APP: &str = "Example kiosk";

impl Demo {
    pub(super) fn print(&self, host: &str) {
        println!("  demo account:          {DEMO_UPN}");
        println!(
            "  Temporary Access Pass: {}",
            self.user.temporary_access_pass
        );
        println!(
            "  valid for {} minutes from {}",
            self.user.pass.lifetime_in_minutes, self.user.pass.start_date_time
        );
        println!("  help desk (administrator): {DEMO_ADMIN_UPN}");
        println!(
            "  Temporary Access Pass:     {}",
            self.admin.temporary_access_pass
        );
        println!("  sign in with it, add a passkey, then sign in with the passkey and open http://{host}/admin");
        if let Some(id) = &self.app {
            println!("  example application \"{DEMO_APP}\" (client id {id}), a device without a browser:");
            println!("    curl -s http://{host}/oauth2/device_authorization -d client_id={id} -d scope='openid profile'");
            println!(
                "    open its verification_uri_complete, sign in as {DEMO_UPN} and approve, then:"
            );
            println!("    curl -s http://{host}/oauth2/token -d client_id={id} -d grant_type=urn:ietf:params:oauth:grant-type:device_code -d device_code=...");
        }
    }
}

fn demo_user(
    t: &Tapin,
    upn: &str,
    name: &str,
    role: Role,
    admin_roles: Vec<AdminRole>,
    group: &str,
    zone: &str,
) -> Result<(), Error> {
    t.add_user(NewUser {
        upn: upn.into(),
        display_name: name.into(),
        role,
        admin_roles,
        groups: vec![group.into()],
        time_zone: Some(zone.into()),
    })
    .map(|_| ())
}

/// Creates the demo deployment on an empty database: the demo member, an
/// administrator holding every role, a global reader, and members whose
/// passes are expired, not valid yet, and locked out. Every start issues
/// the demo member and the administrator fresh passes.
pub(super) fn seed_demo(t: &Tapin) -> Result<Demo, Error> {
    if t.is_empty()? {
        t.set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                max_lifetime_minutes: Some(43_200),
                ..Default::default()
            },
        )?;
        demo_user(
            t,
            DEMO_UPN,
            "Dana Demo",
            Role::Member,
            vec![],
            "staff",
            "Europe/London",
        )?;
        demo_user(
            t,
            DEMO_ADMIN_UPN,
            "Alex Admin",
            Role::Admin,
            vec![
                AdminRole::PrivilegedAuthenticationAdministrator,
                AdminRole::AuthenticationPolicyAdministrator,
            ],
            "it",
            "Europe/Berlin",
        )?;
        demo_user(
            t,
            "grace.reader@tapin.example",
            "Grace Reader",
            Role::Admin,
            vec![AdminRole::GlobalReader],
            "audit",
            "America/New_York",
        )?;
        for (upn, name, zone) in [
            (
                "adele.vance@tapin.example",
                "Adele Vance",
                "America/Los_Angeles",
            ),
            ("lee.gu@tapin.example", "Lee Gu", "Asia/Seoul"),
            (
                "megan.bowen@tapin.example",
                "Megan Bowen",
                "Australia/Sydney",
            ),
        ] {
            demo_user(t, upn, name, Role::Member, vec![], "staff", zone)?;
        }
        let now = t.now().fixed_offset();
        // Expired an hour ago.
        t.issue_pass(
            &Actor::Operator,
            "adele.vance@tapin.example",
            IssueOptions {
                lifetime_minutes: Some(60),
                one_time: false,
                start: Some(now - Duration::hours(2)),
            },
        )?;
        // Valid from tomorrow, once.
        t.issue_pass(
            &Actor::Operator,
            "lee.gu@tapin.example",
            IssueOptions {
                lifetime_minutes: Some(480),
                one_time: true,
                start: Some(now + Duration::days(1)),
            },
        )?;
        // Locked out by someone guessing from one address.
        let megan = t.issue_pass(
            &Actor::Operator,
            "megan.bowen@tapin.example",
            IssueOptions::default(),
        )?;
        let wrong = if megan.temporary_access_pass.starts_with('A') {
            "BBBBBBBB"
        } else {
            "AAAAAAAA"
        };
        for _ in 0..t.settings().lockout.per_pair {
            let _ = t.sign_in_with_pass("megan.bowen@tapin.example", wrong, "203.0.113.7");
        }
    }
    let app = match t.clients()?.into_iter().find(|c| c.name == DEMO_APP) {
        Some(c) => c.client_id,
        None => {
            t.add_client(
                &Actor::Operator,
                NewClient {
                    name: DEMO_APP.into(),
                    // A native application's loopback redirect: any port.
                    redirect_uris: vec!["http://127.0.0.1/callback".into()],
                    public: true,
                    device_grant: true,
                    ..Default::default()
                },
            )?
            .client_id
        }
    };
    Ok(Demo {
        user: t.issue_pass(&Actor::Operator, DEMO_UPN, IssueOptions::default())?,
        admin: t.issue_pass(&Actor::Operator, DEMO_ADMIN_UPN, IssueOptions::default())?,
        app: Some(app),
    })
}
