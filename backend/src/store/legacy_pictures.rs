//! Operators' pictures stored before migration 0007 kept the base64 text the collaboration
//! server sent, decoded on every request. At start, each is decoded once into the columns the
//! server now serves from (bytes, type, entity tag); SQLite has no base64 decoder, so this is
//! Rust on both engines rather than SQL. A text that is not an allowed image (it was never
//! served) stays where it is, untouched, and is reported.

use super::StoreResult;
use crate::content::picture::Picture;
use sqlx::{AnyPool, Row};

/// Converts every picture still stored as base64.
pub(super) async fn convert(pool: &AnyPool) -> StoreResult<()> {
    let rows = sqlx::query(
        "SELECT id, picture FROM operators WHERE picture IS NOT NULL AND picture_type IS NULL",
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let text: String = row.try_get("picture")?;
        match Picture::from_base64(&text) {
            Ok(Some(picture)) => {
                sqlx::query(
                    "UPDATE operators SET picture_data = $1, picture_type = $2, \
                     picture_etag = $3, picture = NULL WHERE id = $4",
                )
                .bind(picture.bytes)
                .bind(picture.content_type)
                .bind(picture.etag)
                .bind(id)
                .execute(pool)
                .await?;
            }
            Ok(None) => {
                sqlx::query("UPDATE operators SET picture = NULL WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            Err(error) => {
                tracing::warn!(operator = id, %error, "an operator's stored picture is not served");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_stores::test_stores;
    use super::*;
    use crate::store::BridgeStore;

    /// A 1×1 PNG, in lines as 1C writes base64.
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9\r\nawAAAABJRU5ErkJggg==";

    #[tokio::test]
    async fn base64_pictures_become_bytes_and_nothing_is_lost() {
        let (_dir, stores) = test_stores().await;
        for store in stores {
            for (ext_user_id, picture) in
                [("op-png", PNG), ("op-empty", ""), ("op-svg", "PHN2Zz4=")]
            {
                sqlx::query(
                    "INSERT INTO operators (integration_id, ext_user_id, name, full_name, \
                     picture, updated_at) VALUES ('shop', $1, 'A', 'A', $2, 0)",
                )
                .bind(ext_user_id)
                .bind(picture)
                .execute(&store.writes)
                .await
                .unwrap();
            }
            convert(&store.writes).await.unwrap();
            // Again, as on every start: nothing changes.
            convert(&store.writes).await.unwrap();
            let id = |ext_user_id: &'static str| {
                let reads = store.reads.clone();
                async move {
                    sqlx::query("SELECT id FROM operators WHERE ext_user_id = $1")
                        .bind(ext_user_id)
                        .fetch_one(&reads)
                        .await
                        .unwrap()
                        .get::<i64, _>("id")
                }
            };
            let png = store
                .operator_picture("shop", id("op-png").await)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(png, Picture::from_base64(PNG).unwrap().unwrap());
            for unserved in ["op-empty", "op-svg"] {
                assert_eq!(
                    store
                        .operator_picture("shop", id(unserved).await)
                        .await
                        .unwrap(),
                    None
                );
            }
            let kept: Option<String> =
                sqlx::query("SELECT picture FROM operators WHERE ext_user_id = 'op-svg'")
                    .fetch_one(&store.reads)
                    .await
                    .unwrap()
                    .get("picture");
            assert_eq!(kept.as_deref(), Some("PHN2Zz4="));
        }
    }
}
