//! The configuration file: TOML whose keys are the long flags' names with
//! `_` for `-` (`public_origin = "https://…"`, `trusted_proxy = ["10.0.0.0/8"]`).
//! Precedence: flags, then `TAPIN_*` environment variables, then the file,
//! then the defaults. The file is read into the environment variables that
//! are not already set, so clap alone parses and validates every value and
//! there is one list of settings: the flags'.

use super::Cli;
use clap::CommandFactory;
use std::collections::BTreeMap;
use std::path::Path;

/// Every setting the file may hold: key → environment variable, read off
/// the flags (global ones and `serve`'s).
fn settable() -> BTreeMap<String, (String, bool)> {
    let cmd = Cli::command();
    let serve = cmd
        .find_subcommand("serve")
        .expect("serve is a subcommand")
        .clone();
    cmd.get_arguments()
        .chain(serve.get_arguments())
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?.to_string();
            let key = env.strip_prefix("TAPIN_")?.to_lowercase();
            let is_flag = matches!(a.get_action(), clap::ArgAction::SetTrue);
            (key != "config").then_some((key, (env, is_flag)))
        })
        .collect()
}

/// A file's usable settings as (environment variable, value) pairs, and
/// every problem found in it.
fn read(path: &Path) -> (Vec<(String, String)>, Vec<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return (vec![], vec![format!("cannot read {}: {e}", path.display())]),
    };
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(e) => {
            return (
                vec![],
                vec![format!("{} is not valid TOML: {e}", path.display())],
            )
        }
    };
    let known = settable();
    let mut problems = Vec::new();
    let mut pairs = Vec::new();
    for (key, value) in table {
        let Some((env, _)) = known.get(&key) else {
            problems.push(format!(
                "unknown setting `{key}`; the settings are: {}",
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        toml::Value::String(s) if !s.contains(',') => parts.push(s),
                        other => problems.push(format!(
                            "`{key}`: list items must be strings without commas, not {other:?}"
                        )),
                    }
                }
                parts.join(",")
            }
            other => {
                problems.push(format!(
                    "`{key}`: expected a string, number, true/false or a list, not {}",
                    other.type_str()
                ));
                continue;
            }
        };
        pairs.push((env.clone(), text));
    }
    (pairs, problems)
}

/// Puts the file's settings into the environment where nothing is set yet.
pub(super) fn apply(path: &Path) -> Result<(), String> {
    let (pairs, problems) = read(path);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    for (env, value) in pairs {
        if std::env::var_os(&env).is_none() {
            // Edition 2021, and no other thread runs yet.
            std::env::set_var(env, value);
        }
    }
    Ok(())
}

/// `tapin config check`: every problem in the file at once, each value
/// checked by the same parser and rules as `tapin serve`.
pub(super) fn check(path: &Path) -> Vec<String> {
    let (pairs, mut problems) = read(path);
    let known = settable();
    let mut all = vec!["tapin".to_string(), "serve".to_string()];
    // Each value alone, as its flag, so one bad value does not hide the next.
    for (env, value) in &pairs {
        let key = env["TAPIN_".len()..].to_lowercase();
        let is_flag = known.get(&key).is_some_and(|k| k.1);
        if is_flag && !matches!(value.as_str(), "true" | "false") {
            problems.push(format!("`{key}`: expected true or false, not {value}"));
            continue;
        }
        let args = as_flags(&key, value, is_flag);
        let argv: Vec<String> = ["tapin", "serve"]
            .iter()
            .map(|s| s.to_string())
            .chain(args.clone())
            .collect();
        match clean_env(|| <Cli as clap::Parser>::try_parse_from(&argv)) {
            Ok(_) => all.extend(args),
            Err(e) => {
                let message = e.to_string();
                let first = message
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                problems.push(format!("`{key}`: {first}"));
            }
        }
    }
    // Then the rules beyond each value's type, on the values that parsed.
    match clean_env(|| <Cli as clap::Parser>::try_parse_from(&all)) {
        Ok(cli) => {
            if let super::Command::Serve(args) = cli.command {
                problems.extend(super::serve::problems(&args));
            }
        }
        Err(e) => problems.push(e.to_string()),
    }
    problems
}

/// A setting as the flags that say the same on the command line.
fn as_flags(key: &str, value: &str, is_flag: bool) -> Vec<String> {
    let flag = format!("--{}", key.replace('_', "-"));
    if is_flag {
        if value == "true" {
            vec![flag]
        } else {
            vec![]
        }
    } else if key == "trusted_proxy" {
        value
            .split(',')
            .flat_map(|v| [flag.clone(), v.to_string()])
            .collect()
    } else {
        vec![flag, value.to_string()]
    }
}

/// Parses with no `TAPIN_*` variable in the way, so a check sees the file
/// alone.
fn clean_env<T>(f: impl FnOnce() -> T) -> T {
    let saved: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("TAPIN_"))
        .collect();
    for (k, _) in &saved {
        std::env::remove_var(k);
    }
    let out = f();
    for (k, v) in saved {
        std::env::set_var(k, v);
    }
    out
}
