//! Every sentence the app shows, in one place, so wording stays consistent
//! and can be translated as a whole.

use crate::api::Failure;
use crate::time::local;
use tapin_api::validate::{ValidationCode, ValidationError};
use tapin_api::wire::ErrorCode;

pub const APP_NAME: &str = "tapin";
pub const STEP_ACCOUNT: &str = "Account";
pub const STEP_PASS: &str = "Temporary Access Pass";
pub const STEP_SECURITY_INFO: &str = "Security info";
pub const PROGRESS: &str = "Progress";

pub const ACCOUNT_HEADING: &str = "Sign in";
pub const ACCOUNT_INTRO: &str = "Use the account name your organisation gave you, and the Temporary Access Pass from your help desk.";
pub const ACCOUNT_LABEL: &str = "Account name";
pub const ACCOUNT_HINT: &str = "Usually your work email address, like name@contoso.com.";
pub const NEXT: &str = "Next";

pub const PASS_HEADING: &str = "Enter your Temporary Access Pass";
pub const PASS_SIGNING_IN_AS: &str = "Signing in as";
pub const PASS_CHANGE_ACCOUNT: &str = "Use a different account";
pub const PASS_LABEL: &str = "Temporary Access Pass";
pub const PASS_HINT: &str = "Spaces, dashes and upper or lower case don't matter.";
pub const SIGN_IN: &str = "Sign in";
pub const SIGNING_IN: &str = "Signing in…";

pub const INFO_HEADING: &str = "Security info";
pub const INFO_SIGNED_IN_AS: &str = "Signed in as";
pub const INFO_SESSION_ENDS: &str = "This session ends";
pub const INFO_METHODS_HEADING: &str = "Your sign-in methods";
pub const INFO_NO_METHODS: &str =
    "You have no sign-in methods yet. Add one so you can sign in without a Temporary Access Pass.";
pub const SIGN_OUT: &str = "Sign out";
pub const LOADING: &str = "Loading…";
pub const NOT_SIGNED_IN: &str = "You are not signed in, or your session has ended.";
pub const START_OVER: &str = "Sign in again";
pub const NOT_FOUND: &str = "There is no such page.";

pub const COUNTDOWN_LABEL: &str = "Time left to add a passkey or security key";
pub const COUNTDOWN_EXPLAIN: &str = "You signed in with a one-time pass, so passkeys and security keys can only be added for 10 minutes after signing in.";
pub const COUNTDOWN_WARNING: &str =
    "Less than 2 minutes left. Add your passkey or security key now.";
pub const COUNTDOWN_CLOSED: &str = "The time to add a passkey or security key has ended. You can still add other methods. To add a passkey, ask your administrator for a new Temporary Access Pass.";

pub fn minutes_left(minutes: i64) -> String {
    match minutes {
        1 => "1 minute left to add a passkey or security key.".into(),
        n => format!("{n} minutes left to add a passkey or security key."),
    }
}

const ASK_ADMIN: &str = "Ask your administrator for a Temporary Access Pass.";

/// What went wrong with a field, worded for the person typing.
pub fn invalid_field(e: &ValidationError) -> &'static str {
    match e.code {
        ValidationCode::Empty if e.field == "upn" => "Enter your account name.",
        ValidationCode::Empty => "Enter your Temporary Access Pass.",
        ValidationCode::TooLong => "That account name is too long.",
        ValidationCode::UpnShape => "Enter your account name as name@domain, for example ada@contoso.com.",
        ValidationCode::PassTooShort => "A Temporary Access Pass has at least 8 characters.",
        ValidationCode::PassTooLong => "A Temporary Access Pass has at most 48 characters.",
        ValidationCode::PassCharacters => "That isn't a Temporary Access Pass: passes use letters and digits, never 0, O, 1, I or L. Check what you typed.",
        ValidationCode::LifetimeRange | ValidationCode::LengthRange => "That value is out of range.",
    }
}

/// The sign-in outcome, with what to do next; times in the user's time zone.
pub fn sign_in_failure(failure: &Failure) -> String {
    let Failure::Api(body) = failure else {
        return "tapin could not be reached. Check your connection and try again.".into();
    };
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(local).unwrap_or_default();
    match body.code {
        ErrorCode::PassInvalid => format!("That account name or Temporary Access Pass isn't right. Check both and try again. If it still doesn't work: {ASK_ADMIN}"),
        ErrorCode::PassExpired => format!("This Temporary Access Pass expired on {}. {ASK_ADMIN}", when(body.expired_at)),
        ErrorCode::PassNotYetValid => format!("This Temporary Access Pass isn't valid yet. You can use it from {}, or ask your administrator for one that starts now.", when(body.valid_from)),
        ErrorCode::PassUsed => format!("This one-time Temporary Access Pass was already used on {}. If that wasn't you, tell your administrator. {ASK_ADMIN}", when(body.used_at)),
        ErrorCode::BlockedByPolicy => "Temporary Access Pass sign in was blocked due to User Credential Policy. Ask your administrator to check that your account may use a Temporary Access Pass.".into(),
        ErrorCode::TooManyAttempts => format!("Too many attempts, so sign-in is locked for now. Try again after {}.", when(body.retry_at)),
        ErrorCode::InvalidInput => "Check what you typed: it isn't an account name and Temporary Access Pass.".into(),
        _ => "Something went wrong on our side. Try again in a minute.".into(),
    }
}
