//! Persistent state — requests, spend per key and per user, relayer nonces, request counts — in
//! SQLite (one instance) or PostgreSQL (several instances behind a load balancer), with the
//! same SQL and the same migrations. Amounts are FRI as decimal text; arithmetic is done in Rust
//! under a lock on the key's spend row, so budgets hold exactly across instances.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use starknet::core::types::Felt;

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value is unreadable.
    #[error("database holds an unreadable {0}")]
    Corrupt(&'static str),
}

/// The migrations, in order; each runs once, recorded in `paymaster_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE requests (
        tracking_id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        api_key TEXT NOT NULL,
        user_address TEXT NOT NULL,
        outside_nonce TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        calldata TEXT NOT NULL,
        day BIGINT NOT NULL,
        reserved_fri TEXT NOT NULL,
        actual_fee_fri TEXT,
        status TEXT NOT NULL,
        relayer TEXT,
        relayer_nonce BIGINT,
        transaction_hash TEXT,
        created_at BIGINT NOT NULL,
        UNIQUE (user_address, outside_nonce)
    );
    CREATE TABLE spend (
        scope TEXT NOT NULL,
        day BIGINT NOT NULL,
        spent_fri TEXT NOT NULL,
        reserved_fri TEXT NOT NULL,
        PRIMARY KEY (scope, day)
    );
    CREATE TABLE relayers (address TEXT PRIMARY KEY, next_nonce BIGINT NOT NULL);
    CREATE TABLE request_counts (
        api_key TEXT NOT NULL,
        minute BIGINT NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (api_key, minute)
    )",
)];

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    /// Budget reserved; no transaction built yet.
    Reserved,
    /// Its transaction (hash recorded) was built and may have been sent.
    Submitted,
    /// Included and succeeded; fee charged.
    Accepted,
    /// Included and reverted; fee charged.
    Reverted,
    /// Not included; reservation released.
    Dropped,
}

impl RequestStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Reverted => "reverted",
            Self::Dropped => "dropped",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "reserved" => Self::Reserved,
            "submitted" => Self::Submitted,
            "accepted" => Self::Accepted,
            "reverted" => Self::Reverted,
            "dropped" => Self::Dropped,
            _ => return Err(StoreError::Corrupt("request status")),
        })
    }
}

/// One request, as stored.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// Its tracking id.
    pub tracking_id: Felt,
    /// The API key's name.
    pub api_key: String,
    /// The user's account.
    pub user_address: Felt,
    /// Hash of the `execute_from_outside_v2` calldata (tells a repeat from a conflict).
    pub content_hash: Felt,
    /// The `execute_from_outside_v2` calldata, to resubmit after a restart.
    pub calldata: Vec<Felt>,
    /// UTC day of the reservation.
    pub day: i64,
    /// FRI reserved.
    pub reserved: u128,
    /// Status.
    pub status: RequestStatus,
    /// The latest transaction's hash.
    pub transaction_hash: Option<Felt>,
}

/// A new request to record with its reservation.
#[derive(Clone, Debug)]
pub struct NewRequest<'a> {
    /// Tracking id.
    pub tracking_id: Felt,
    /// Key name.
    pub api_key: &'a str,
    /// User account.
    pub user_address: Felt,
    /// The outside execution's nonce.
    pub outside_nonce: Felt,
    /// Hash of the calldata.
    pub content_hash: Felt,
    /// The calldata.
    pub calldata: &'a [Felt],
    /// UTC day.
    pub day: i64,
    /// FRI to reserve.
    pub reserved: u128,
}

impl NewRequest<'_> {
    /// The request as [`Store::reserve`] records it.
    pub fn record(&self) -> RequestRecord {
        RequestRecord {
            tracking_id: self.tracking_id,
            api_key: self.api_key.to_owned(),
            user_address: self.user_address,
            content_hash: self.content_hash,
            calldata: self.calldata.to_vec(),
            day: self.day,
            reserved: self.reserved,
            status: RequestStatus::Reserved,
            transaction_hash: None,
        }
    }
}

/// Why a reservation was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    /// Recorded.
    Done,
    /// The key's daily budget cannot cover it.
    KeyBudget {
        /// Spent and reserved today.
        committed: u128,
    },
    /// The user's daily budget cannot cover it.
    UserBudget {
        /// Spent and reserved today.
        committed: u128,
    },
    /// The same outside execution (user, nonce) is already recorded.
    Duplicate,
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    postgres: bool,
}

fn hex(felt: Felt) -> String {
    format!("{felt:#x}")
}

fn felt(text: &str) -> Result<Felt, StoreError> {
    Felt::from_hex(text).map_err(|_| StoreError::Corrupt("felt"))
}

fn fri(text: &str) -> Result<u128, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt("amount"))
}

fn key_scope(key: &str) -> String {
    format!("key:{key}")
}

fn user_scope(key: &str, user: Felt) -> String {
    format!("user:{key}:{user:#x}")
}

impl Store {
    /// Connects (creating an SQLite file when missing) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres");
        let (url, connections) = if postgres {
            (url.to_owned(), 16)
        } else if url.contains('?') {
            (url.to_owned(), 1)
        } else {
            // One connection: SQLite serializes writers anyway, and a single connection makes
            // every read-modify-write below atomic for this process.
            (format!("{url}?mode=rwc"), 1)
        };
        let pool = AnyPoolOptions::new().max_connections(connections).connect(&url).await?;
        let store = Self { pool, postgres };
        store.migrate().await?;
        Ok(store)
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    fn for_update(&self) -> &'static str {
        if self.postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.postgres {
            // Instances starting together take turns.
            sqlx::query("SELECT pg_advisory_xact_lock(7262001)").execute(&mut *tx).await?;
        }
        sqlx::query("CREATE TABLE IF NOT EXISTS paymaster_migrations (version BIGINT PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        for (version, sql) in MIGRATIONS {
            let done = sqlx::query("SELECT version FROM paymaster_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                for statement in sql.split(';').filter(|statement| !statement.trim().is_empty()) {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO paymaster_migrations (version) VALUES ($1)")
                    .bind(*version)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts a request of `key` in `minute`; returns the minute's count including it.
    pub async fn count_request(&self, key: &str, minute: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO request_counts (api_key, minute, count) VALUES ($1, $2, 1)
             ON CONFLICT (api_key, minute) DO UPDATE SET count = request_counts.count + 1
             RETURNING count",
        )
        .bind(key)
        .bind(minute)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("count")?)
    }

    async fn spend_row(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        scope: &str,
        day: i64,
    ) -> Result<(u128, u128), StoreError> {
        sqlx::query(
            "INSERT INTO spend (scope, day, spent_fri, reserved_fri) VALUES ($1, $2, '0', '0')
             ON CONFLICT (scope, day) DO NOTHING",
        )
        .bind(scope)
        .bind(day)
        .execute(&mut **tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT spent_fri, reserved_fri FROM spend WHERE scope = $1 AND day = $2{}",
            self.for_update()
        ))
        .bind(scope)
        .bind(day)
        .fetch_one(&mut **tx)
        .await?;
        Ok((fri(&row.try_get::<String, _>("spent_fri")?)?, fri(&row.try_get::<String, _>("reserved_fri")?)?))
    }

    async fn set_spend(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        scope: &str,
        day: i64,
        (spent, reserved): (u128, u128),
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE spend SET spent_fri = $1, reserved_fri = $2 WHERE scope = $3 AND day = $4")
            .bind(spent.to_string())
            .bind(reserved.to_string())
            .bind(scope)
            .bind(day)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Records `request` and reserves its FRI against the key's and the user's daily budgets,
    /// atomically: either both budgets cover it and it is recorded, or nothing changes.
    pub async fn reserve(
        &self,
        request: &NewRequest<'_>,
        key_budget: u128,
        user_budget: u128,
        instance_id: &str,
        now: i64,
    ) -> Result<Reservation, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The key's row is locked first, always: it serializes every reservation of the key.
        let key_scope = key_scope(request.api_key);
        let user_scope = user_scope(request.api_key, request.user_address);
        let key_spend = self.spend_row(&mut tx, &key_scope, request.day).await?;
        if Self::find_in(&mut *tx, request.user_address, request.outside_nonce).await?.is_some() {
            return Ok(Reservation::Duplicate);
        }
        let user_spend = self.spend_row(&mut tx, &user_scope, request.day).await?;
        let fits = |(spent, reserved): (u128, u128), budget: u128| {
            spent
                .checked_add(reserved)
                .and_then(|sum| sum.checked_add(request.reserved))
                .is_some_and(|total| total <= budget)
        };
        if !fits(key_spend, key_budget) {
            return Ok(Reservation::KeyBudget { committed: key_spend.0 + key_spend.1 });
        }
        if !fits(user_spend, user_budget) {
            return Ok(Reservation::UserBudget { committed: user_spend.0 + user_spend.1 });
        }
        sqlx::query(
            "INSERT INTO requests (tracking_id, instance_id, api_key, user_address, outside_nonce, content_hash,
                calldata, day, reserved_fri, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'reserved', $10)",
        )
        .bind(hex(request.tracking_id))
        .bind(instance_id)
        .bind(request.api_key)
        .bind(hex(request.user_address))
        .bind(hex(request.outside_nonce))
        .bind(hex(request.content_hash))
        .bind(request.calldata.iter().map(|felt| hex(*felt)).collect::<Vec<_>>().join(","))
        .bind(request.day)
        .bind(request.reserved.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.set_spend(&mut tx, &key_scope, request.day, (key_spend.0, key_spend.1 + request.reserved))
            .await?;
        self.set_spend(&mut tx, &user_scope, request.day, (user_spend.0, user_spend.1 + request.reserved))
            .await?;
        tx.commit().await?;
        Ok(Reservation::Done)
    }

    fn record(row: &AnyRow) -> Result<RequestRecord, StoreError> {
        let hash: Option<String> = row.try_get("transaction_hash")?;
        let calldata: String = row.try_get("calldata")?;
        Ok(RequestRecord {
            tracking_id: felt(&row.try_get::<String, _>("tracking_id")?)?,
            api_key: row.try_get("api_key")?,
            user_address: felt(&row.try_get::<String, _>("user_address")?)?,
            content_hash: felt(&row.try_get::<String, _>("content_hash")?)?,
            calldata: calldata
                .split(',')
                .filter(|part| !part.is_empty())
                .map(felt)
                .collect::<Result<_, _>>()?,
            day: row.try_get("day")?,
            reserved: fri(&row.try_get::<String, _>("reserved_fri")?)?,
            status: RequestStatus::parse(&row.try_get::<String, _>("status")?)?,
            transaction_hash: hash.as_deref().map(felt).transpose()?,
        })
    }

    const COLUMNS: &'static str =
        "tracking_id, api_key, user_address, content_hash, calldata, day, reserved_fri, status, transaction_hash";

    async fn find_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
        executor: E,
        user: Felt,
        nonce: Felt,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM requests WHERE user_address = $1 AND outside_nonce = $2",
            Self::COLUMNS
        ))
        .bind(hex(user))
        .bind(hex(nonce))
        .fetch_optional(executor)
        .await?;
        row.as_ref().map(Self::record).transpose()
    }

    /// The request recorded for this outside execution (user, nonce).
    pub async fn find(&self, user: Felt, nonce: Felt) -> Result<Option<RequestRecord>, StoreError> {
        Self::find_in(&self.pool, user, nonce).await
    }

    /// The request with this tracking id.
    pub async fn request(&self, tracking_id: Felt) -> Result<Option<RequestRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {} FROM requests WHERE tracking_id = $1", Self::COLUMNS))
            .bind(hex(tracking_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::record).transpose()
    }

    /// This instance's requests not yet settled (to resume after a restart).
    pub async fn unsettled(&self, instance_id: &str) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM requests WHERE instance_id = $1 AND status IN ('reserved', 'submitted') ORDER BY created_at",
            Self::COLUMNS
        ))
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::record).collect()
    }

    /// Records the transaction built for a request (before it is sent: after a crash the
    /// restarted instance looks for it on chain).
    pub async fn mark_submitted(
        &self,
        tracking_id: Felt,
        relayer: Felt,
        nonce: u64,
        transaction_hash: Felt,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE requests SET status = 'submitted', relayer = $1, relayer_nonce = $2, transaction_hash = $3
             WHERE tracking_id = $4",
        )
        .bind(hex(relayer))
        .bind(i64::try_from(nonce).map_err(|_| StoreError::Corrupt("nonce"))?)
        .bind(hex(transaction_hash))
        .bind(hex(tracking_id))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Settles a request exactly once: charges `fee` (FRI, `None` when it was dropped) and
    /// releases its reservation. Returns false if it was already settled.
    pub async fn settle(
        &self,
        record: &RequestRecord,
        status: RequestStatus,
        fee: Option<u128>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let key_scope = key_scope(&record.api_key);
        let user_scope = user_scope(&record.api_key, record.user_address);
        let key_spend = self.spend_row(&mut tx, &key_scope, record.day).await?;
        let updated = sqlx::query(
            "UPDATE requests SET status = $1, actual_fee_fri = $2
             WHERE tracking_id = $3 AND status IN ('reserved', 'submitted')",
        )
        .bind(status.as_str())
        .bind(fee.map(|fee| fee.to_string()))
        .bind(hex(record.tracking_id))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        let user_spend = self.spend_row(&mut tx, &user_scope, record.day).await?;
        let charge = fee.unwrap_or(0);
        let settle =
            |(spent, reserved): (u128, u128)| (spent + charge, reserved.saturating_sub(record.reserved));
        self.set_spend(&mut tx, &key_scope, record.day, settle(key_spend)).await?;
        self.set_spend(&mut tx, &user_scope, record.day, settle(user_spend)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Spent and reserved FRI of a key on a day.
    pub async fn key_spend(&self, key: &str, day: i64) -> Result<(u128, u128), StoreError> {
        self.spend(&key_scope(key), day).await
    }

    /// Spent and reserved FRI of a user under a key on a day.
    pub async fn user_spend(&self, key: &str, user: Felt, day: i64) -> Result<(u128, u128), StoreError> {
        self.spend(&user_scope(key, user), day).await
    }

    async fn spend(&self, scope: &str, day: i64) -> Result<(u128, u128), StoreError> {
        let row = sqlx::query("SELECT spent_fri, reserved_fri FROM spend WHERE scope = $1 AND day = $2")
            .bind(scope)
            .bind(day)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok((
                fri(&row.try_get::<String, _>("spent_fri")?)?,
                fri(&row.try_get::<String, _>("reserved_fri")?)?,
            )),
            None => Ok((0, 0)),
        }
    }

    /// Every settled request's transaction and fee (for audits and tests).
    pub async fn settled_fees(&self) -> Result<Vec<(Felt, u128)>, StoreError> {
        let rows = sqlx::query(
            "SELECT transaction_hash, actual_fee_fri FROM requests WHERE status IN ('accepted', 'reverted')",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    felt(&row.try_get::<String, _>("transaction_hash")?)?,
                    fri(&row.try_get::<String, _>("actual_fee_fri")?)?,
                ))
            })
            .collect()
    }

    /// Takes a relayer's nonce for the next transaction. On PostgreSQL the relayer's row stays
    /// locked (other instances wait) until the returned lease is finished.
    pub async fn lease_relayer(
        &self,
        relayer: Felt,
        chain_nonce: impl std::future::Future<Output = Option<u64>>,
    ) -> Result<RelayerLease, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query(&format!("SELECT next_nonce FROM relayers WHERE address = $1{}", self.for_update()))
                .bind(hex(relayer))
                .fetch_optional(&mut *tx)
                .await?;
        let nonce = match row {
            Some(row) => u64::try_from(row.try_get::<i64, _>("next_nonce")?)
                .map_err(|_| StoreError::Corrupt("nonce"))?,
            None => {
                let nonce = chain_nonce.await.unwrap_or(0);
                sqlx::query("INSERT INTO relayers (address, next_nonce) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING")
                    .bind(hex(relayer))
                    .bind(i64::try_from(nonce).map_err(|_| StoreError::Corrupt("nonce"))?)
                    .execute(&mut *tx)
                    .await?;
                if self.postgres {
                    sqlx::query("SELECT next_nonce FROM relayers WHERE address = $1 FOR UPDATE")
                        .bind(hex(relayer))
                        .execute(&mut *tx)
                        .await?;
                }
                nonce
            }
        };
        if self.postgres {
            Ok(RelayerLease { relayer, nonce, tx: Some(tx) })
        } else {
            // SQLite: the relayer's in-process lock is the lease; keep the one connection free.
            tx.commit().await?;
            Ok(RelayerLease { relayer, nonce, tx: None })
        }
    }

    /// Ends a lease: the relayer's next nonce becomes `next_nonce`.
    pub async fn finish_lease(&self, lease: RelayerLease, next_nonce: u64) -> Result<(), StoreError> {
        let statement = "UPDATE relayers SET next_nonce = $1 WHERE address = $2";
        let nonce = i64::try_from(next_nonce).map_err(|_| StoreError::Corrupt("nonce"))?;
        match lease.tx {
            Some(mut tx) => {
                sqlx::query(statement).bind(nonce).bind(hex(lease.relayer)).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            None => {
                sqlx::query(statement).bind(nonce).bind(hex(lease.relayer)).execute(&self.pool).await?;
            }
        }
        Ok(())
    }
}

/// A relayer's nonce, taken for one transaction.
pub struct RelayerLease {
    /// The relayer.
    pub relayer: Felt,
    /// The nonce to use.
    pub nonce: u64,
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}
