//! The secret key file: where it lives, reading it (creating it 0600 when
//! missing), writing it atomically, and rotating it.

use super::*;

#[derive(Subcommand)]
pub(super) enum SecretsCommand {
    /// Makes a new key and re-encrypts every sealed secret with it.
    Rotate,
}

/// Reads the key file, creating it (readable by its owner only) when missing.
/// A file others may read or change is refused: whoever reads it opens
/// every authenticator seed.
pub(super) fn load_or_create_keys(path: &Path) -> Result<Keyring, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)
                    .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(Error::invalid(format!(
                        "{} may be read or changed by other users (mode {:o}): it holds the keys to every authenticator seed. Run chmod 600 {} and start again.",
                        path.display(),
                        mode & 0o777,
                        path.display()
                    )));
                }
            }
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
pub(super) fn write_keys(path: &Path, ring: &Keyring, create_new: bool) -> Result<(), Error> {
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

pub(super) fn key_path(cli_keys: &Option<PathBuf>, db: &Path) -> PathBuf {
    cli_keys.clone().unwrap_or_else(|| {
        let mut p = db.as_os_str().to_owned();
        p.push(".key");
        PathBuf::from(p)
    })
}

/// New key first in the file, every secret re-encrypted, then the old key
/// dropped: interrupted anywhere, the file still opens every secret.
pub(super) fn rotate_secrets(db: &Path, keys: &Path) -> Result<(), Error> {
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
