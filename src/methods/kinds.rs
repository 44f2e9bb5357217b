//! Which kind of method an add panel adds: named apart from the panels so
//! the text catalog can word each without importing them.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Adding {
    Passkey,
    SecurityKey,
    Authenticator,
    Phone,
    Email,
}
