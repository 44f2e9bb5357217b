//! Every sentence the app shows, in one place, so wording stays consistent
//! and can be translated as a whole.

use crate::api::Failure;
use crate::methods::add::Adding;
use crate::methods::webauthn::BrowserRefusal;
use crate::time::local;
use tapin_api::validate::{ValidationCode, ValidationError};
use tapin_api::wire::ErrorCode;
use tapin_api::wire::{Method, MethodKind};

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
        ValidationCode::Empty if e.field == "pass" => "Enter your Temporary Access Pass.",
        ValidationCode::Empty if e.field == "phone" => "Enter your phone number.",
        ValidationCode::Empty if e.field == "email" => "Enter your email address.",
        ValidationCode::Empty if e.field == "name" => "Enter a name, so you can tell your methods apart.",
        ValidationCode::Empty => "Enter the code you received.",
        ValidationCode::TooLong if e.field == "email" => "That email address is too long.",
        ValidationCode::TooLong => "That account name is too long.",
        ValidationCode::PhoneShape => "Enter the number with + and the country code, for example +44 20 7946 0958.",
        ValidationCode::EmailShape => "Enter an email address like name@example.com.",
        ValidationCode::NameTooLong => "Use a name of at most 64 characters.",
        ValidationCode::NameCharacters => "Use only letters, digits, spaces and punctuation in the name.",
        ValidationCode::CodeShape => "Enter the 6 digits of the code.",
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

// ---- passkey sign-in ----------------------------------------------------------

pub const PASSKEY_ALTERNATIVE: &str = "Already set up a passkey? You don't need a pass.";
pub const PASSKEY_SIGN_IN: &str = "Sign in with a passkey";
pub const PASSKEY_HEADING: &str = "Sign in with a passkey";
pub const PASSKEY_INTRO: &str = "Use the passkey on this device, on your phone, or on a security key. Your browser will ask you to choose it and to unlock it.";
pub const PASSKEY_USE: &str = "Use my passkey";
pub const PASSKEY_WAITING: &str = "Waiting for your passkey…";
pub const PASSKEY_USE_PASS_INSTEAD: &str = "Sign in with a Temporary Access Pass instead";

// ---- security info ------------------------------------------------------------

pub const WIZARD_HEADING: &str = "Set up a sign-in method";
pub const WIZARD_INTRO: &str = "Your organisation asks you to set up at least one sign-in method now. A passkey is the strongest and the easiest to use.";
pub const WIZARD_FINISH: &str = "Finish";
pub const WIZARD_NEED_ONE: &str = "Add at least one method to finish.";
pub const WIZARD_DONE: &str = "All set. You can sign in with your new method from now on.";
pub const ADD_HEADING: &str = "Add a sign-in method";
pub const ADD_CLOSED: &str = "No longer available in this session: the 10 minutes after signing in with a one-time pass have passed.";
pub const ADD_FULL: &str = "You have the most allowed of this kind. Delete one to add another.";
pub const EVERYWHERE_HEADING: &str = "Signed in somewhere you lost?";
pub const EVERYWHERE_EXPLAIN: &str =
    "Sign out everywhere ends every session of your account, on every device, this one included.";
pub const SIGN_OUT_EVERYWHERE: &str = "Sign out everywhere";

pub const NEVER: &str = "never";
pub const DEFAULT_BADGE: &str = "Default";
pub const ADDED: &str = "Added";
pub const LAST_USED: &str = "last used";
pub const RENAME: &str = "Rename";
pub const MAKE_DEFAULT: &str = "Make default";
pub const DELETE: &str = "Delete";
pub const DELETE_CONFIRM: &str = "Yes, delete it";
pub const CONFIRM_DELETE_LABEL: &str = "Confirm deletion";
pub const NEW_NAME: &str = "New name";
pub const SAVE: &str = "Save";
pub const CANCEL: &str = "Cancel";
pub const CONTINUE: &str = "Continue";
pub const VERIFY: &str = "Verify";
pub const SEND_CODE: &str = "Send code";
pub const SEND_NEW_CODE: &str = "Send a new code";
pub const WAITING_FOR_BROWSER: &str = "Follow your browser's prompts…";

pub const NAME_LABEL: &str = "Name";
pub const NAME_HINT: &str =
    "So you can tell it apart later, for example \"Work laptop\" or \"Blue key\".";
pub const PASSKEY_ADD_INTRO: &str = "A passkey lives on this device or on your phone and is unlocked with your fingerprint, face or screen lock. You can then sign in without a pass or password.";
pub const SECURITY_KEY_ADD_INTRO: &str = "A security key is a small USB or NFC device. Have it ready: your browser will ask you to insert or tap it.";
pub const AUTHENTICATOR_DEFAULT_NAME: &str = "Authenticator app";
pub const AUTHENTICATOR_STEP_SCAN: &str =
    "In your authenticator app, add an account and scan this QR code.";
pub const AUTHENTICATOR_QR_LABEL: &str = "QR code for your authenticator app";
pub const CANT_SCAN: &str = "Can't scan?";
pub const CANT_SCAN_HELP: &str = "Add the account by hand: choose \"enter a setup key\" in your app, and type this key (a time-based key, 6 digits, every 30 seconds):";
pub const AUTHENTICATOR_CODE_HINT: &str = "The 6-digit code your app shows now.";
pub const CODE_LABEL: &str = "Code";
pub const PHONE_KIND_LABEL: &str = "Which phone";
pub const PHONE_LABEL: &str = "Phone number";
pub const PHONE_HINT: &str = "With + and the country code, for example +44 20 7946 0958.";
pub const PHONE_CHANNEL_LEGEND: &str = "How should we send the code?";
pub const PHONE_TEXT: &str = "Text me a code";
pub const PHONE_CALL: &str = "Call me";
pub const EMAIL_LABEL: &str = "Email address";
pub const EMAIL_HINT: &str = "An address other than your work account, so you can recover it.";

pub fn kind_name(kind: MethodKind) -> &'static str {
    match kind {
        MethodKind::Passkey => "Passkey",
        MethodKind::SecurityKey => "Security key",
        MethodKind::AuthenticatorApp => "Authenticator app",
        MethodKind::Phone => "Phone",
        MethodKind::AlternatePhone => "Alternate phone",
        MethodKind::OfficePhone => "Office phone",
        MethodKind::Email => "Email",
    }
}

/// "Passkey “Work laptop”", or "Phone" for methods named by their detail.
pub fn method_label(m: &Method) -> String {
    match &m.name {
        Some(name) => format!("{} \u{201c}{name}\u{201d}", kind_name(m.kind)),
        None => kind_name(m.kind).to_string(),
    }
}

pub fn add_heading(which: Adding) -> &'static str {
    match which {
        Adding::Passkey => "Add a passkey",
        Adding::SecurityKey => "Add a security key",
        Adding::Authenticator => "Add an authenticator app",
        Adding::Phone => "Add a phone",
        Adding::Email => "Add an email address",
    }
}

pub fn add_description(which: Adding) -> &'static str {
    match which {
        Adding::Passkey => "On this device or your phone. The strongest and easiest.",
        Adding::SecurityKey => "A USB or NFC key.",
        Adding::Authenticator => "An app that shows a new code every 30 seconds.",
        Adding::Phone => "A code by text message or call.",
        Adding::Email => "A code by email, for recovery.",
    }
}

pub fn added(label: &str) -> String {
    format!("{label} was added.")
}

pub fn renamed(was: &str, now: &str) -> String {
    format!("{was} is now called {now}.")
}

pub fn deleted(label: &str) -> String {
    format!("{label} was deleted.")
}

pub fn made_default(label: &str) -> String {
    format!("{label} is now your default sign-in method.")
}

pub fn confirm_delete(label: &str) -> String {
    format!("Delete {label}? You won't be able to sign in with it any more.")
}

pub fn code_sent(to: &str, until: &str) -> String {
    format!("We sent a code to {to}. It works until {until}.")
}

/// Why adding or managing a method failed, and what to do.
pub fn method_failure(failure: &Failure) -> String {
    let Failure::Api(body) = failure else {
        return "tapin could not be reached. Check your connection and try again.".into();
    };
    match body.code {
        ErrorCode::PasswordlessWindowClosed => COUNTDOWN_CLOSED.to_string(),
        ErrorCode::LimitReached => format!("You already have {} of this kind, the most allowed. Delete one first.", body.limit.unwrap_or_default()),
        ErrorCode::CodeInvalid => match body.tries_left {
            Some(1) => "That code isn't right. Check it and try again: 1 try left.".into(),
            Some(n) => format!("That code isn't right. Check it and try again: {n} tries left."),
            None => "That code isn't right. Check it and try again.".into(),
        },
        ErrorCode::CodeExpired => "This code has expired or was tried too often. Start again to get a new one.".into(),
        ErrorCode::WebauthnFailed => "Your passkey or security key could not be verified. Start again; if it keeps failing, use another method.".into(),
        ErrorCode::DeliveryFailed => "The code could not be sent just now. Try again in a minute, or choose another method.".into(),
        ErrorCode::Conflict => "That passkey or security key is already registered.".into(),
        ErrorCode::NotSignedIn => NOT_SIGNED_IN.into(),
        ErrorCode::NotFound => "That method no longer exists. The list has been refreshed.".into(),
        ErrorCode::InvalidInput => "Check what you typed and try again.".into(),
        _ => "Something went wrong on our side. Try again in a minute.".into(),
    }
}

pub fn browser_refusal(r: BrowserRefusal) -> String {
    match r {
        BrowserRefusal::NotAllowed => "Nothing was saved: the request was cancelled or timed out. Try again when you're ready.".into(),
        BrowserRefusal::AlreadyRegistered => "This passkey or security key is already registered for your account.".into(),
        BrowserRefusal::Unsupported => "This browser can't use passkeys or security keys. Try another browser, or add another method.".into(),
    }
}
