//! The help desk's search index on PostgreSQL: `user_words`, written with
//! every write of a person's account name or name (`storage::search_words`).

use super::*;

/// Replaces the person's search words (`storage::search_words`) with
/// those of their account name and name as written now.
pub(super) fn index_user(c: &mut impl postgres::GenericClient, user_id: i64) -> StoreResult<()> {
    let row = c
        .query_one(
            "SELECT upn, display_name FROM users WHERE id = $1",
            &[&user_id],
        )
        .map_err(backend)?;
    let (upn, name): (String, String) = (row.get(0), row.get(1));
    c.execute("DELETE FROM user_words WHERE user_id = $1", &[&user_id])
        .map_err(backend)?;
    for (kind, word) in crate::storage::search_words(&upn, &name) {
        c.execute(
            "INSERT INTO user_words (kind, word, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&kind, &word, &user_id],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Search words for everyone, once: for people from before the index.
pub(super) fn index_everyone(c: &mut impl postgres::GenericClient) -> StoreResult<()> {
    let missing: Vec<i64> = c
        .query(
            "SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_words w WHERE w.user_id = u.id)",
            &[],
        )
        .map_err(backend)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for id in missing {
        index_user(c, id)?;
    }
    Ok(())
}
