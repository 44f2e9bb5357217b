//! SCIM 2.0 filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2), parsed
//! once and evaluated against a resource as JSON.
//!
//! Written here rather than taken from `scim-filter` (0.2.3, the crate on
//! crates.io): it reads `a and b or c` as `a and (b or c)` where the RFC
//! binds `and` tighter, keeps an attribute path's schema URI private (so
//! `urn:…:enterprise:2.0:User:department` cannot be told from a core
//! `department`), reads no escaped quote in a string, and parses no PATCH
//! path (`emails[type eq "work"].value`). The tests below hold each case.

use chrono::DateTime;
use serde_json::Value;

/// The core schemas: an attribute path naming one is the resource's own.
pub const CORE: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Present(Path),
    Compare(Path, Op, Value),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work" and value co "@contoso"]`: some value of the
    /// multi-valued attribute matches the inner filter.
    Within(Path, Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// `[schema:]attr[.sub]`, names as written (matched in any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// An extension's URI (`None` for the core schema).
    pub schema: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

/// A PATCH operation's `path`: `attrPath`, or `attrPath[filter]`, or
/// `attrPath[filter].sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub path: Path,
    pub filter: Option<Filter>,
    /// The sub-attribute after `]` (`emails[type eq "work"].value`).
    pub sub: Option<String>,
}

/// What is wrong with a filter or path, for `invalidFilter`/`invalidPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Value(Value),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// `].sub`: the sub-attribute after a value filter, in a PATCH path.
    Dot,
}

/// The most a filter may hold, so a hostile one cannot exhaust the stack.
const MAX_TOKENS: usize = 512;
const MAX_DEPTH: usize = 32;

fn tokens(input: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if out.len() > MAX_TOKENS {
            return Err(ParseError("the filter is too long".into()));
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '[' => {
                chars.next();
                out.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                out.push(Token::CloseBracket);
                if chars.peek().map(|(_, c)| *c) == Some('.') {
                    chars.next();
                    out.push(Token::Dot);
                }
            }
            '"' => {
                // A JSON string, escapes and all.
                let rest = &input[at..];
                let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
                let value = match stream.next() {
                    Some(Ok(v @ Value::String(_))) => v,
                    _ => return Err(ParseError(format!("an unterminated string at {at}"))),
                };
                let end = at + stream.byte_offset();
                while chars.peek().is_some_and(|(i, _)| *i < end) {
                    chars.next();
                }
                out.push(Token::Value(value));
            }
            _ => {
                let mut end = at;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let word = &input[at..end];
                out.push(match word {
                    "true" => Token::Value(Value::Bool(true)),
                    "false" => Token::Value(Value::Bool(false)),
                    "null" => Token::Value(Value::Null),
                    _ if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                        let n: serde_json::Number = word
                            .parse()
                            .map_err(|_| ParseError(format!("'{word}' is not a number")))?;
                        Token::Value(Value::Number(n))
                    }
                    _ => Token::Word(word.to_string()),
                });
            }
        }
    }
    Ok(out)
}

/// An attribute path as written: `name.givenName`, `emails`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
pub fn path(word: &str) -> Result<Path, ParseError> {
    let bad = || ParseError(format!("'{word}' is not an attribute path"));
    let (schema, rest) = match word.rfind(':') {
        Some(i) if word[..i].to_ascii_lowercase().starts_with("urn:") => {
            (Some(&word[..i]), &word[i + 1..])
        }
        Some(_) => return Err(bad()),
        None => (None, word),
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let name = |n: &str| {
        n.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
    };
    if !name(attr) || sub.is_some_and(|s| !name(s)) {
        return Err(bad());
    }
    let schema = schema
        .filter(|s| !CORE.iter().any(|c| c.eq_ignore_ascii_case(s)))
        .map(str::to_string);
    Ok(Path {
        schema,
        attr: attr.to_string(),
        sub: sub.map(str::to_string),
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError("the filter is nested too deeply".into()));
        }
        Ok(())
    }

    /// or-expression: and-expressions joined by `or`.
    fn or(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.next();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        self.deeper()?;
        let f = if self.keyword("not") {
            self.next();
            if self.peek() != Some(&Token::Open) {
                return Err(ParseError(
                    "'not' is followed by a filter in parentheses".into(),
                ));
            }
            Filter::Not(Box::new(self.unary()?))
        } else if self.peek() == Some(&Token::Open) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err(ParseError("a '(' is not closed".into()));
            }
            inner
        } else {
            self.attribute()?
        };
        self.depth -= 1;
        Ok(f)
    }

    fn attribute(&mut self) -> Result<Filter, ParseError> {
        let Some(Token::Word(word)) = self.next() else {
            return Err(ParseError("an attribute name is expected".into()));
        };
        let p = path(&word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(ParseError("a '[' is not closed".into()));
            }
            return Ok(Filter::Within(p, Box::new(inner)));
        }
        let Some(Token::Word(op)) = self.next() else {
            return Err(ParseError(format!(
                "an operator is expected after '{word}'"
            )));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(p)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(ParseError(format!("'{other}' is not an operator"))),
        };
        match self.next() {
            Some(Token::Value(v)) => Ok(Filter::Compare(p, op, v)),
            _ => Err(ParseError(format!("a value is expected after '{word}'"))),
        }
    }
}

pub fn parse(input: &str) -> Result<Filter, ParseError> {
    let mut p = Parser {
        tokens: tokens(input)?,
        at: 0,
        depth: 0,
    };
    let f = p.or()?;
    if p.at != p.tokens.len() {
        return Err(ParseError("the filter goes on after its end".into()));
    }
    Ok(f)
}

pub fn parse_patch_path(input: &str) -> Result<PatchPath, ParseError> {
    let mut p = Parser {
        tokens: tokens(input)?,
        at: 0,
        depth: 0,
    };
    let Some(Token::Word(word)) = p.next() else {
        return Err(ParseError(format!("'{input}' is not a path")));
    };
    let path = path(&word)?;
    let mut out = PatchPath {
        path,
        filter: None,
        sub: None,
    };
    if p.peek() == Some(&Token::OpenBracket) {
        p.next();
        out.filter = Some(p.or()?);
        if p.next() != Some(Token::CloseBracket) {
            return Err(ParseError("a '[' is not closed".into()));
        }
        if p.peek() == Some(&Token::Dot) {
            p.next();
            match p.next() {
                Some(Token::Word(sub)) if path_name(&sub) => out.sub = Some(sub),
                _ => return Err(ParseError(format!("'{input}' is not a path"))),
            }
        }
    }
    if p.at != p.tokens.len() {
        return Err(ParseError(format!("'{input}' is not a path")));
    }
    Ok(out)
}

fn path_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_alphabetic()) && n.chars().all(|c| c.is_ascii_alphanumeric())
}

// ---- evaluation ---------------------------------------------------------------

/// `object[name]`, the name in any case.
pub fn get<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The values `path` names in `resource`: several for a multi-valued one.
fn values<'a>(resource: &'a Value, p: &Path) -> Vec<&'a Value> {
    let base = match &p.schema {
        Some(s) => match get(resource, s) {
            Some(v) => v,
            None => return vec![],
        },
        None => resource,
    };
    let Some(v) = get(base, &p.attr) else {
        return vec![];
    };
    let all: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    match &p.sub {
        Some(sub) => all.into_iter().filter_map(|v| get(v, sub)).collect(),
        // A multi-valued attribute compared as a whole: its values' `value`.
        None => all
            .into_iter()
            .map(|v| {
                if v.is_object() {
                    get(v, "value").unwrap_or(v)
                } else {
                    v
                }
            })
            .collect(),
    }
}

/// Attributes whose strings compare exactly (RFC 7643 `caseExact`); every
/// other string compares in any case.
fn case_exact(p: &Path) -> bool {
    p.schema.is_none()
        && p.sub.is_none()
        && ["id", "externalId"]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&p.attr))
}

fn compare(found: &Value, op: Op, want: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering = match (found, want) {
        (Value::String(a), Value::String(b)) => {
            match (
                DateTime::parse_from_rfc3339(a),
                DateTime::parse_from_rfc3339(b),
            ) {
                (Ok(x), Ok(y)) => Some(x.cmp(&y)),
                _ if exact => Some(a.as_str().cmp(b.as_str())),
                _ => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            }
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(x, y)| x.partial_cmp(&y)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let text = || match (found, want) {
        (Value::String(a), Value::String(b)) if exact => Some((a.clone(), b.clone())),
        (Value::String(a), Value::String(b)) => Some((a.to_lowercase(), b.to_lowercase())),
        _ => None,
    };
    match op {
        Op::Eq => ordering == Some(Ordering::Equal) || (found.is_null() && want.is_null()),
        Op::Ne => ordering != Some(Ordering::Equal),
        Op::Co => text().is_some_and(|(a, b)| a.contains(&b)),
        Op::Sw => text().is_some_and(|(a, b)| a.starts_with(&b)),
        Op::Ew => text().is_some_and(|(a, b)| a.ends_with(&b)),
        Op::Gt => ordering == Some(Ordering::Greater),
        Op::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt => ordering == Some(Ordering::Less),
        Op::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
    }
}

impl Filter {
    /// Whether `resource` (a SCIM resource as JSON) matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Self::Present(p) => values(resource, p).iter().any(|v| {
                !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
            }),
            Self::Compare(p, Op::Ne, want) => !values(resource, p)
                .iter()
                .any(|v| compare(v, Op::Eq, want, case_exact(p))),
            Self::Compare(p, op, want) => {
                let found = values(resource, p);
                if found.is_empty() {
                    return *op == Op::Eq && want.is_null();
                }
                found.iter().any(|v| compare(v, *op, want, case_exact(p)))
            }
            Self::And(a, b) => a.matches(resource) && b.matches(resource),
            Self::Or(a, b) => a.matches(resource) || b.matches(resource),
            Self::Not(f) => !f.matches(resource),
            Self::Within(p, inner) => {
                let base = match &p.schema {
                    Some(s) => get(resource, s),
                    None => Some(resource),
                };
                match base.and_then(|b| get(b, &p.attr)) {
                    Some(Value::Array(items)) => items.iter().any(|i| inner.matches(i)),
                    Some(one) => inner.matches(one),
                    None => false,
                }
            }
        }
    }

    /// `userName eq "…"` (alone): the value, for a lookup by index.
    pub fn equality_on(&self, attr: &str) -> Option<&str> {
        match self {
            Self::Compare(p, Op::Eq, Value::String(v))
                if p.schema.is_none() && p.sub.is_none() && p.attr.eq_ignore_ascii_case(attr) =>
            {
                Some(v)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
