//! Journal records of earlier row formats, read on replay and converted to today's types, so
//! a data directory written by an earlier Bijli opens after an upgrade (new frames are written
//! in the current format; old ones stay as they are).
//!
//! Format 2: `Consumer` without `meter_digits` (format 3 added it).

use std::sync::Arc;

use billing::YearMonth;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::plans::Grant;
use crate::rows::{arc_str, date_days, opt_arc_str, Consumer, ConsumerStatus, Payment, Reading};
use crate::store::Record;

/// A format-2 consumer: the fields of [`Consumer`] in their order, without `meter_digits`.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ConsumerV2 {
    reference: u64,
    customer_id: u64,
    name: String,
    address: String,
    #[serde(with = "arc_str")]
    disco: Arc<str>,
    #[serde(with = "arc_str")]
    circle: Arc<str>,
    #[serde(with = "arc_str")]
    division: Arc<str>,
    subdivision: u32,
    batch: u8,
    #[serde(with = "arc_str")]
    tariff: Arc<str>,
    sanctioned_load_kw: Decimal,
    phase: u8,
    meter_no: String,
    multiplying_factor: u32,
    #[serde(with = "date_days")]
    connection_date: NaiveDate,
    status: ConsumerStatus,
    #[serde(with = "arc_str")]
    owner_type: Arc<str>,
    #[serde(with = "arc_str")]
    province: Arc<str>,
    tou: bool,
    atl: bool,
    employee_grade: Option<u8>,
    #[serde(with = "opt_arc_str")]
    employee_status: Option<Arc<str>>,
    opening_arrears_paisa: i64,
    disconnected_from: Option<YearMonth>,
    strn_registered: bool,
    history: Vec<(YearMonth, u64)>,
}

impl From<ConsumerV2> for Consumer {
    fn from(c: ConsumerV2) -> Consumer {
        Consumer {
            reference: c.reference,
            customer_id: c.customer_id,
            name: c.name,
            address: c.address,
            disco: c.disco,
            circle: c.circle,
            division: c.division,
            subdivision: c.subdivision,
            batch: c.batch,
            tariff: c.tariff,
            sanctioned_load_kw: c.sanctioned_load_kw,
            phase: c.phase,
            meter_no: c.meter_no,
            multiplying_factor: c.multiplying_factor,
            meter_digits: None,
            connection_date: c.connection_date,
            status: c.status,
            owner_type: c.owner_type,
            province: c.province,
            tou: c.tou,
            atl: c.atl,
            employee_grade: c.employee_grade,
            employee_status: c.employee_status,
            opening_arrears_paisa: c.opening_arrears_paisa,
            disconnected_from: c.disconnected_from,
            strn_registered: c.strn_registered,
            history: c.history,
        }
    }
}

/// A format-2 journal record: [`Record`]'s variants in their order.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) enum RecordV2 {
    Consumers(Vec<ConsumerV2>),
    Readings(Vec<Reading>),
    Payments(Vec<Payment>),
    Tariff {
        name: String,
        text: String,
    },
    BillCycle {
        disco: String,
        cycle: YearMonth,
        #[serde(with = "date_days")]
        issue_date: NaiveDate,
    },
    GrantInstallments(Grant),
}

impl From<RecordV2> for Record {
    fn from(r: RecordV2) -> Record {
        match r {
            RecordV2::Consumers(v) => {
                Record::Consumers(v.into_iter().map(Consumer::from).collect())
            }
            RecordV2::Readings(v) => Record::Readings(v),
            RecordV2::Payments(v) => Record::Payments(v),
            RecordV2::Tariff { name, text } => Record::Tariff { name, text },
            RecordV2::BillCycle {
                disco,
                cycle,
                issue_date,
            } => Record::BillCycle {
                disco,
                cycle,
                issue_date,
            },
            RecordV2::GrantInstallments(g) => Record::GrantInstallments(g),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::simulate::tests::{consumer, cycle, load_disco, open, DISCO};

    fn v2(c: &Consumer) -> ConsumerV2 {
        let c = c.clone();
        ConsumerV2 {
            reference: c.reference,
            customer_id: c.customer_id,
            name: c.name,
            address: c.address,
            disco: c.disco,
            circle: c.circle,
            division: c.division,
            subdivision: c.subdivision,
            batch: c.batch,
            tariff: c.tariff,
            sanctioned_load_kw: c.sanctioned_load_kw,
            phase: c.phase,
            meter_no: c.meter_no,
            multiplying_factor: c.multiplying_factor,
            connection_date: c.connection_date,
            status: c.status,
            owner_type: c.owner_type,
            province: c.province,
            tou: c.tou,
            atl: c.atl,
            employee_grade: c.employee_grade,
            employee_status: c.employee_status,
            opening_arrears_paisa: c.opening_arrears_paisa,
            disconnected_from: c.disconnected_from,
            strn_registered: c.strn_registered,
            history: c.history,
        }
    }

    /// A journal written in format 2 (before `meter_digits`) opens, bills, takes new writes
    /// in format 3, and opens again with both.
    #[test]
    fn a_format_2_journal_opens_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let old = consumer(900, "A-1a", "2", 120, false);
        let rec = RecordV2::Consumers(vec![v2(&old)]);
        let payload = bincode::serde::encode_to_vec(&rec, bincode::config::standard()).unwrap();
        let mut frame = Vec::new();
        frame.extend_from_slice(&((payload.len() + 1) as u32).to_be_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
        frame.push(2);
        frame.extend_from_slice(&payload);
        std::fs::write(dir.path().join("journal.bjl"), &frame).unwrap();

        let store = open(dir.path());
        {
            let st = store.read();
            let (_, c) = st.consumer(old.reference).unwrap();
            assert_eq!(c.meter_digits, None);
            assert_eq!(
                Consumer {
                    meter_digits: None,
                    ..c.clone()
                },
                old
            );
        }
        // New writes (format 3) beside the old frame, then a restart reads both.
        load_disco(&store);
        store.bill_cycle(DISCO, cycle(), None).unwrap();
        let bills = store
            .read()
            .cycles
            .values()
            .map(|c| c.bills.len())
            .sum::<usize>();
        store.shutdown();
        drop(store);
        let store = open(dir.path());
        let st = store.read();
        assert!(st.consumer(old.reference).is_some());
        assert_eq!(
            st.cycles.values().map(|c| c.bills.len()).sum::<usize>(),
            bills
        );
    }
}
