//! The help desk's search index on SQLite: `user_words`, written with
//! every write of a person's account name or name (`storage::search_words`).

use super::*;

/// Replaces the person's search words (`storage::search_words`) with
/// those of their account name and name as written now.
pub(super) fn index_user(conn: &Connection, user_id: i64) -> StoreResult<()> {
    let (upn, name): (String, String) = conn
        .query_row(
            "SELECT upn, display_name FROM users WHERE id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(backend)?;
    conn.execute("DELETE FROM user_words WHERE user_id = ?1", [user_id])
        .map_err(backend)?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO user_words (kind, word, user_id) VALUES (?1, ?2, ?3)",
        )
        .map_err(backend)?;
    for (kind, word) in crate::storage::search_words(&upn, &name) {
        stmt.execute(params![kind, word, user_id])
            .map_err(backend)?;
    }
    Ok(())
}

/// Search words for everyone, once: for people from before the index.
pub(super) fn index_everyone(conn: &Connection) -> StoreResult<()> {
    let missing: Vec<i64> = {
        let mut stmt = conn
            .prepare("SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_words w WHERE w.user_id = u.id)")
            .map_err(backend)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    for id in missing {
        index_user(conn, id)?;
    }
    Ok(())
}
