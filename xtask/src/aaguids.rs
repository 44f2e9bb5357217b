//! `cargo xtask aaguids FILE`: refreshes the community list of passkey
//! providers' AAGUIDs tapin ships, from a downloaded copy of the list's
//! `aaguid.json` (github.com/passkeydeveloper/passkey-authenticator-aaguids).
//! Only the names are kept: the icons would weigh more than the server.

use std::collections::BTreeMap;
use std::path::Path;

const SHIPPED: &str = "crates/server/src/domain/authenticators/aaguids.json";

pub fn refresh(root: &Path, file: Option<&str>) -> Result<(), String> {
    let file = file.ok_or("usage: cargo xtask aaguids PATH/TO/aaguid.json")?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let list: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("{file} is not the AAGUID list: {e}"))?;
    // The list's maintainers retire it by emptying it: keep what is shipped.
    if list.is_empty() {
        return Err(format!(
            "{file} is empty: the community list may have been retired; {SHIPPED} is unchanged"
        ));
    }
    let mut names = BTreeMap::new();
    for (aaguid, entry) in list {
        let id = uuid_shape(&aaguid).ok_or(format!("'{aaguid}' is not an AAGUID"))?;
        let name = entry["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .ok_or(format!("{aaguid} has no name"))?;
        names.insert(id, name.trim().to_string());
    }
    let out = serde_json::json!({
        "source": "https://github.com/passkeydeveloper/passkey-authenticator-aaguids (aaguid.json, names only)",
        "names": names,
    });
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())? + "\n";
    std::fs::write(root.join(SHIPPED), text).map_err(|e| e.to_string())?;
    println!("{SHIPPED}: {} names", names.len());
    Ok(())
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case.
fn uuid_shape(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_lowercase();
    let groups: Vec<&str> = s.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    (groups.len() == 5
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit())))
    .then_some(s)
}
