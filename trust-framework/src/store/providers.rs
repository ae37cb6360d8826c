//! Service entries, their status history and supplementary codes.

use std::collections::BTreeMap;

use idv_proto::trust::entry::{
    Certificate, CodeStatus, IssuerBinding, LevelOfConfidence, Organisation, Role, SchemeCode,
    Service, ServiceEntry, ServiceStatus, StatusChange, SupplementaryCode,
};
use idv_service_kit::db::WriteTx;
use sqlx::any::AnyRow;

use super::{Store, StoreError, bump_revision, enum_from_text, enum_text, from_json, get, to_json};

/// Reason recorded when a certificate's expiry moves an entry to `expired`.
pub const CERTIFICATE_EXPIRED_REASON: &str = "certificate expired";

/// A validated new entry, as the register hands it to the store.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    /// The provider.
    pub organisation: &'a Organisation,
    /// The service.
    pub service: &'a Service,
    /// Certified roles.
    pub roles: &'a [Role],
    /// Framework version of the certificate.
    pub framework_version: &'a str,
    /// The certificate.
    pub certificate: &'a Certificate,
    /// Highest level of confidence.
    pub max_loc: LevelOfConfidence,
    /// The issuer binding.
    pub issuer: &'a IssuerBinding,
    /// Supplementary codes certified from the start.
    pub codes: &'a [SchemeCode],
    /// Registration time.
    pub now: i64,
}

const ENTRY_COLUMNS: &str = "entry_id, organisation, service, roles, framework_version, \
                             certificate, max_loc, issuer, status, status_since";

impl Store {
    /// Registers a new certified entry and returns its id (`dvs-000001`, …). Fails with
    /// [`StoreError::IssuerTaken`] when an `iss` already belongs to an entry.
    pub async fn insert_entry(&self, entry: &NewEntry<'_>) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "UPDATE register_state \
             SET revision = revision + 1, next_entry_number = next_entry_number + 1 \
             WHERE id = 1 RETURNING next_entry_number - 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        let entry_id = format!("dvs-{number:06}");

        let mut issuers: Vec<&String> = entry.issuer.iss.iter().collect();
        issuers.sort();
        issuers.dedup();
        for iss in &issuers {
            let holder: Option<String> =
                sqlx::query_scalar("SELECT entry_id FROM entry_issuers WHERE iss = $1")
                    .bind(iss.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(holder) = holder {
                return Err(StoreError::IssuerTaken {
                    iss: (*iss).clone(),
                    entry_id: holder,
                });
            }
        }

        sqlx::query(
            "INSERT INTO service_entries (entry_id, organisation, service, roles, \
             framework_version, certificate, certificate_expires, max_loc, issuer, status, \
             status_since, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'certified', $10, $10)",
        )
        .bind(&entry_id)
        .bind(to_json(entry.organisation, "organisation")?)
        .bind(to_json(entry.service, "service")?)
        .bind(to_json(entry.roles, "roles")?)
        .bind(entry.framework_version)
        .bind(to_json(entry.certificate, "certificate")?)
        .bind(entry.certificate.expires)
        .bind(enum_text(&entry.max_loc, "max_loc")?)
        .bind(to_json(entry.issuer, "issuer")?)
        .bind(entry.now)
        .execute(&mut *tx)
        .await?;
        for iss in issuers {
            sqlx::query("INSERT INTO entry_issuers (iss, entry_id) VALUES ($1, $2)")
                .bind(iss.as_str())
                .bind(&entry_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO status_history (entry_id, position, status, since, reason) \
             VALUES ($1, 1, 'certified', $2, NULL)",
        )
        .bind(&entry_id)
        .bind(entry.now)
        .execute(&mut *tx)
        .await?;
        for code in entry.codes {
            sqlx::query(
                "INSERT INTO supplementary_codes (entry_id, code, status, since) \
                 VALUES ($1, $2, 'certified', $3)",
            )
            .bind(&entry_id)
            .bind(code.as_str())
            .bind(entry.now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(entry_id)
    }

    /// Every entry, by id, with codes and history.
    pub async fn load_entries(&self) -> Result<Vec<ServiceEntry>, StoreError> {
        let pool = self.db.pool();
        let entries = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM service_entries ORDER BY entry_id"
        )))
        .fetch_all(pool)
        .await?;
        let codes = sqlx::query(
            "SELECT entry_id, code, status FROM supplementary_codes ORDER BY entry_id, code",
        )
        .fetch_all(pool)
        .await?;
        let history = sqlx::query(
            "SELECT entry_id, status, since, reason FROM status_history \
             ORDER BY entry_id, position",
        )
        .fetch_all(pool)
        .await?;
        assemble(&entries, &codes, &history)
    }

    /// One entry, with codes and history.
    pub async fn load_entry(&self, entry_id: &str) -> Result<Option<ServiceEntry>, StoreError> {
        let pool = self.db.pool();
        let entries = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM service_entries WHERE entry_id = $1"
        )))
        .bind(entry_id)
        .fetch_all(pool)
        .await?;
        if entries.is_empty() {
            return Ok(None);
        }
        let codes = sqlx::query(
            "SELECT entry_id, code, status FROM supplementary_codes WHERE entry_id = $1 \
             ORDER BY code",
        )
        .bind(entry_id)
        .fetch_all(pool)
        .await?;
        let history = sqlx::query(
            "SELECT entry_id, status, since, reason FROM status_history WHERE entry_id = $1 \
             ORDER BY position",
        )
        .bind(entry_id)
        .fetch_all(pool)
        .await?;
        Ok(assemble(&entries, &codes, &history)?.pop())
    }

    /// Moves an entry from status `change.from` to `change.to` and records it in the history.
    /// Returns `false`, changing nothing, when the entry is no longer in `change.from` (a
    /// concurrent change).
    pub async fn record_status(
        &self,
        entry_id: &str,
        change: &Transition<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        bump_revision(&mut tx).await?;
        let changed = change_status(&mut tx, entry_id, change).await?;
        if changed {
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// Replaces the entry's issuer binding and records the change with its time and reason.
    pub async fn replace_issuer(
        &self,
        entry_id: &str,
        issuer: &IssuerBinding,
        now: i64,
        reason: &str,
    ) -> Result<(), StoreError> {
        let issuer = to_json(issuer, "issuer")?;
        let mut tx = self.begin().await?;
        bump_revision(&mut tx).await?;
        sqlx::query("UPDATE service_entries SET issuer = $2 WHERE entry_id = $1")
            .bind(entry_id)
            .bind(&issuer)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO issuer_binding_changes (entry_id, changed_at, issuer, reason) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(entry_id)
        .bind(now)
        .bind(&issuer)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Certifies the entry for `code`; `false` when it already was.
    pub async fn insert_code(
        &self,
        entry_id: &str,
        code: SchemeCode,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        bump_revision(&mut tx).await?;
        let inserted = sqlx::query(
            "INSERT INTO supplementary_codes (entry_id, code, status, since) \
             VALUES ($1, $2, 'certified', $3) ON CONFLICT (entry_id, code) DO NOTHING",
        )
        .bind(entry_id)
        .bind(code.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
        }
        Ok(inserted == 1)
    }

    /// Moves every certified or suspended entry whose certificate expired by `now` to
    /// `expired` (since the certificate's expiry); returns how many.
    pub async fn expire_lapsed_entries(&self, now: i64) -> Result<usize, StoreError> {
        const LAPSED: &str = "SELECT entry_id, status, certificate_expires FROM service_entries \
             WHERE status IN ('certified', 'suspended') AND certificate_expires <= $1";
        // Cheap read first: most calls find nothing and must not take the write lock.
        let candidates = sqlx::query(LAPSED)
            .bind(now)
            .fetch_all(self.db.pool())
            .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        bump_revision(&mut tx).await?;
        let lapsed = sqlx::query(LAPSED).bind(now).fetch_all(&mut *tx).await?;
        let mut expired = 0;
        for row in &lapsed {
            let entry_id: String = get(row, "entry_id")?;
            let from: ServiceStatus = enum_from_text(get(row, "status")?, "status")?;
            let since: i64 = get(row, "certificate_expires")?;
            let change = Transition {
                from,
                to: ServiceStatus::Expired,
                since,
                reason: CERTIFICATE_EXPIRED_REASON,
            };
            if change_status(&mut tx, &entry_id, &change).await? {
                expired += 1;
            }
        }
        tx.commit().await?;
        Ok(expired)
    }
}

/// A status change of one entry, as the history records it.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    /// The status the entry must still have.
    pub from: ServiceStatus,
    /// The status it moves to.
    pub to: ServiceStatus,
    /// When, in seconds since the epoch.
    pub since: i64,
    /// Why.
    pub reason: &'a str,
}

async fn change_status(
    tx: &mut WriteTx,
    entry_id: &str,
    &Transition {
        from,
        to,
        since,
        reason,
    }: &Transition<'_>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE service_entries SET status = $1, status_since = $2 \
         WHERE entry_id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(since)
    .bind(entry_id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO status_history (entry_id, position, status, since, reason) \
         SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4 \
         FROM status_history WHERE entry_id = $1",
    )
    .bind(entry_id)
    .bind(to.as_str())
    .bind(since)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Rows grouped by their `entry_id`, in order, each read by `read`.
fn by_entry<T>(
    rows: &[AnyRow],
    read: impl Fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<BTreeMap<String, Vec<T>>, StoreError> {
    let mut grouped: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for row in rows {
        grouped
            .entry(get(row, "entry_id")?)
            .or_default()
            .push(read(row)?);
    }
    Ok(grouped)
}

fn assemble(
    entries: &[AnyRow],
    codes: &[AnyRow],
    history: &[AnyRow],
) -> Result<Vec<ServiceEntry>, StoreError> {
    let mut codes_by_entry = by_entry(codes, |row| {
        Ok(SupplementaryCode {
            code: enum_from_text(get(row, "code")?, "supplementary code")?,
            status: enum_from_text::<CodeStatus>(get(row, "status")?, "code status")?,
        })
    })?;
    let mut history_by_entry = by_entry(history, |row| {
        Ok(StatusChange {
            status: enum_from_text(get(row, "status")?, "status")?,
            since: get(row, "since")?,
            reason: get(row, "reason")?,
        })
    })?;
    entries
        .iter()
        .map(|row| {
            let entry_id: String = get(row, "entry_id")?;
            Ok(ServiceEntry {
                organisation: from_json(&get::<String>(row, "organisation")?, "organisation")?,
                service: from_json(&get::<String>(row, "service")?, "service")?,
                roles: from_json(&get::<String>(row, "roles")?, "roles")?,
                framework_version: get(row, "framework_version")?,
                certificate: from_json(&get::<String>(row, "certificate")?, "certificate")?,
                supplementary_codes: codes_by_entry.remove(&entry_id).unwrap_or_default(),
                max_loc: enum_from_text(get(row, "max_loc")?, "max_loc")?,
                status: enum_from_text(get(row, "status")?, "status")?,
                status_since: get(row, "status_since")?,
                status_history: history_by_entry.remove(&entry_id).unwrap_or_default(),
                issuer: from_json(&get::<String>(row, "issuer")?, "issuer")?,
                entry_id,
            })
        })
        .collect()
}
