//! A realistic, deterministic, streaming DISCO generator.
//!
//! Produces three CSV files for one billing cycle of one distribution company:
//! `consumers.csv` (the consumer master with six months of history), `readings.csv` (the
//! cycle's meter readings) and `payments.csv` (bank/wallet collections in the cycle month).
//!
//! # Determinism and memory
//!
//! Consumer `i` is a pure function of `(seed, disco, cycle, i)`: it gets its own SplitMix64
//! stream seeded from those values and draws, in a fixed order, its master-file fields, then
//! its reading, then its payments, then its name and address text. The three files can
//! therefore be written independently (each writer regenerates what it needs) and still agree,
//! and nothing is kept per consumer: memory is a few fixed tables plus one output buffer.
//!
//! # Reference numbers
//!
//! The DISCO hierarchy is fixed per company (circles -> divisions -> sub-divisions, 5-digit
//! sub-division code = 2-digit company code + circle digit + division digit + sub-division
//! digit, after BILLING-RULES-2 6.3). Consumer `i` maps bijectively to a (sub-division,
//! walk-sequence) pair through a weighted slot table, so `(sub-division, account)` and hence the
//! reference is unique across the whole DISCO. The batch (reading day) follows the walk route.
//! Company codes other than those seen on real bills (11 LESCO, 26 PESCO) are plausible guesses.
//!
//! # Realism (what the billing engine will meet)
//!
//! Tariff mix ~85% residential, 12% commercial, 1-2% industrial, 1-2% agricultural, a small
//! rest; seasonal, long-tailed consumption so that a real share of residential consumers is
//! protected (all six previous months <= 200 units) or lifeline-sized; TOU registers; CT
//! multiplying factors; register roll-overs (`RC`), defective meters (`DEF`); arrears and
//! partial payments. Sanctioned loads fit the tariff: A-1a homes and A-2a shops below 5 kW
//! (BILLING-RULES 1.1; S.R.O. 279 refuses them at 5 kW and more), the larger homes and shops
//! on A-1b / A-2c from 5 kW with TOU registers; B-1 up to 25 kW (its MDI may still exceed
//! 25 kW, a consumer the engine refuses to bill until moved to B-2, CSM 7.5). Money is
//! written from integer paisa; no floating point anywhere.

use std::io::Write;
use std::path::{Path, PathBuf};

use billing::reference::{Reference, ReferenceError};
use billing::YearMonth;

/// Header of `consumers.csv`.
pub const CONSUMERS_HEADER: &str = "reference,customer_id,name,address,disco,circle,division,subdivision,batch,tariff,sanctioned_load_kw,phase,meter_no,multiplying_factor,connection_date,status,owner_type,province,tou,atl,employee_grade,employee_status,arrears,history,disconnected_from,strn,meter_digits";

/// Digits of a generated meter's registers: 5 on single-phase meters, 6 on three-phase.
fn register_digits(phase: u8) -> u64 {
    if phase == 1 {
        5
    } else {
        6
    }
}
/// Header of `readings.csv`.
pub const READINGS_HEADER: &str = "reference,cycle,reading_date,previous_reading_date,offpeak_previous,offpeak_present,peak_previous,peak_present,mdi_kw,power_factor,reading_code";
/// Header of `payments.csv`.
pub const PAYMENTS_HEADER: &str = "reference,transaction_id,amount,value_date,bank";

/// File names written by [`generate_to_dir`].
pub const CONSUMERS_FILE: &str = "consumers.csv";
/// See [`CONSUMERS_FILE`].
pub const READINGS_FILE: &str = "readings.csv";
/// See [`CONSUMERS_FILE`].
pub const PAYMENTS_FILE: &str = "payments.csv";

/// Output is flushed to the writer whenever the buffer passes this size.
const FLUSH_BYTES: usize = 256 * 1024;
/// Largest account number without its check digit (6 digits).
const MAX_ACCOUNT: u64 = 999_999;
/// Consumers per walk route; a route is read on one batch day.
const ROUTE_SIZE: u64 = 250;
/// Batches (reading days) run 1..=MAX_BATCH.
const MAX_BATCH: u64 = 30;
/// Months of history written per consumer.
const HISTORY_MONTHS: u32 = 6;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of consumers.
    pub consumers: u64,
    /// RNG seed; same seed and options give byte-identical output.
    pub seed: u64,
    /// Company short name (`MEPCO`, `LESCO`, `PESCO`, ... see [`DISCOS`]).
    pub disco: String,
    /// The month to be billed: readings are taken in it, history is the six months before.
    pub cycle: YearMonth,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            consumers: 10_000,
            seed: 1,
            disco: "MEPCO".to_string(),
            cycle: YearMonth {
                year: 2026,
                month: 11,
            },
        }
    }
}

/// What [`generate_to_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Rows in `consumers.csv`.
    pub consumers: u64,
    /// Rows in `readings.csv`.
    pub readings: u64,
    /// Rows in `payments.csv`.
    pub payments: u64,
    /// Consumers per tariff code, in tariff-table order (zero counts included).
    pub by_tariff: Vec<(String, u64)>,
    /// The files written, consumers first.
    pub files: Vec<PathBuf>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing the output failed.
    #[error("writing generated data: {0}")]
    Io(#[from] std::io::Error),
    /// The DISCO name is not one we have a hierarchy for.
    #[error("unknown DISCO {0:?} (known: LESCO, GEPCO, FESCO, IESCO, MEPCO, PESCO, HAZECO, TESCO, HESCO, SEPCO, QESCO)")]
    UnknownDisco(String),
    /// The cycle month is not a valid calendar month.
    #[error("invalid cycle {year}-{month:02}")]
    InvalidCycle {
        /// Year given.
        year: i32,
        /// Month given.
        month: u32,
    },
    /// More consumers than the DISCO's sub-divisions can number with 6-digit accounts.
    #[error("{requested} consumers exceed the {capacity} this DISCO's account numbering allows")]
    TooManyConsumers {
        /// Consumers asked for.
        requested: u64,
        /// The most the hierarchy can hold.
        capacity: u64,
    },
    /// A reference could not be built (a broken generator invariant).
    #[error("building a reference: {0}")]
    Reference(#[from] ReferenceError),
}

// ---------------------------------------------------------------------------------------------
// Static DISCO data
// ---------------------------------------------------------------------------------------------

/// Climate zone: picks the seasonal consumption curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Climate {
    /// Southern/central Punjab and Sindh: very hot summers.
    Hot,
    /// Upper Punjab, ICT, KP: hot summers, some winter heating.
    Moderate,
    /// Balochistan highlands: winter heating load.
    Cold,
}

struct Circle {
    name: &'static str,
    province: &'static str,
    /// (division name, town used in addresses)
    divisions: &'static [(&'static str, &'static str)],
}

/// One company's hierarchy.
pub struct Disco {
    /// Short name, e.g. `MEPCO`.
    pub name: &'static str,
    /// 2-digit company code, the first two digits of every sub-division code.
    pub code: u32,
    climate: Climate,
    circles: &'static [Circle],
}

macro_rules! circle {
    ($name:expr, $prov:expr, [$(($d:expr, $t:expr)),* $(,)?]) => {
        Circle { name: $name, province: $prov, divisions: &[$(($d, $t)),*] }
    };
}

/// The companies the generator knows. Circle/division names are real places served by each
/// company; the exact division lists are illustrative, not an official register.
pub static DISCOS: &[Disco] = &[
    Disco {
        name: "MEPCO",
        code: 15,
        climate: Climate::Hot,
        circles: &[
            circle!(
                "Multan",
                "Punjab",
                [
                    ("Multan Cantt", "Multan"),
                    ("Shah Rukn-e-Alam", "Multan"),
                    ("Mumtazabad", "Multan"),
                    ("Shujabad", "Shujabad"),
                    ("Multan Saddar", "Multan")
                ]
            ),
            circle!(
                "Bahawalpur",
                "Punjab",
                [
                    ("Bahawalpur City", "Bahawalpur"),
                    ("Bahawalpur Cantt", "Bahawalpur"),
                    ("Ahmedpur East", "Ahmedpur East"),
                    ("Hasilpur", "Hasilpur"),
                    ("Yazman", "Yazman")
                ]
            ),
            circle!(
                "D.G. Khan",
                "Punjab",
                [
                    ("D.G. Khan City", "Dera Ghazi Khan"),
                    ("D.G. Khan Cantt", "Dera Ghazi Khan"),
                    ("Taunsa", "Taunsa Sharif"),
                    ("Rajanpur", "Rajanpur"),
                    ("Jampur", "Jampur")
                ]
            ),
            circle!(
                "Vehari",
                "Punjab",
                [
                    ("Vehari", "Vehari"),
                    ("Burewala", "Burewala"),
                    ("Mailsi", "Mailsi")
                ]
            ),
            circle!(
                "Sahiwal",
                "Punjab",
                [
                    ("Sahiwal City", "Sahiwal"),
                    ("Chichawatni", "Chichawatni"),
                    ("Pakpattan", "Pakpattan"),
                    ("Arifwala", "Arifwala")
                ]
            ),
            circle!(
                "Rahim Yar Khan",
                "Punjab",
                [
                    ("Rahim Yar Khan City", "Rahim Yar Khan"),
                    ("Sadiqabad", "Sadiqabad"),
                    ("Khanpur", "Khanpur"),
                    ("Liaquatpur", "Liaquatpur")
                ]
            ),
            circle!(
                "Muzaffargarh",
                "Punjab",
                [
                    ("Muzaffargarh", "Muzaffargarh"),
                    ("Kot Addu", "Kot Addu"),
                    ("Alipur", "Alipur"),
                    ("Jatoi", "Jatoi")
                ]
            ),
            circle!(
                "Khanewal",
                "Punjab",
                [
                    ("Khanewal", "Khanewal"),
                    ("Kabirwala", "Kabirwala"),
                    ("Mian Channu", "Mian Channu"),
                    ("Lodhran", "Lodhran")
                ]
            ),
            circle!(
                "Bahawalnagar",
                "Punjab",
                [
                    ("Bahawalnagar", "Bahawalnagar"),
                    ("Chishtian", "Chishtian"),
                    ("Haroonabad", "Haroonabad"),
                    ("Minchinabad", "Minchinabad")
                ]
            ),
        ],
    },
    Disco {
        name: "LESCO",
        code: 11,
        climate: Climate::Hot,
        circles: &[
            circle!(
                "Lahore Central",
                "Punjab",
                [
                    ("Gulberg", "Lahore"),
                    ("Model Town", "Lahore"),
                    ("Township", "Lahore"),
                    ("Garden Town", "Lahore"),
                    ("Mozang", "Lahore")
                ]
            ),
            circle!(
                "Lahore North",
                "Punjab",
                [
                    ("Shalimar", "Lahore"),
                    ("Shadbagh", "Lahore"),
                    ("Ravi", "Lahore"),
                    ("Mughalpura", "Lahore")
                ]
            ),
            circle!(
                "Lahore East",
                "Punjab",
                [
                    ("Cantt", "Lahore"),
                    ("DHA", "Lahore"),
                    ("Bhobattian", "Lahore"),
                    ("Raiwind", "Raiwind")
                ]
            ),
            circle!(
                "Sheikhupura",
                "Punjab",
                [
                    ("Sheikhupura City", "Sheikhupura"),
                    ("Muridke", "Muridke"),
                    ("Ferozewala", "Ferozewala"),
                    ("Sharaqpur", "Sharaqpur")
                ]
            ),
            circle!(
                "Kasur",
                "Punjab",
                [
                    ("Kasur City", "Kasur"),
                    ("Pattoki", "Pattoki"),
                    ("Chunian", "Chunian")
                ]
            ),
            circle!(
                "Okara",
                "Punjab",
                [
                    ("Okara City", "Okara"),
                    ("Renala Khurd", "Renala Khurd"),
                    ("Depalpur", "Depalpur")
                ]
            ),
        ],
    },
    Disco {
        name: "GEPCO",
        code: 12,
        climate: Climate::Moderate,
        circles: &[
            circle!(
                "Gujranwala",
                "Punjab",
                [
                    ("Gujranwala City", "Gujranwala"),
                    ("Gujranwala Cantt", "Gujranwala"),
                    ("Kamoke", "Kamoke"),
                    ("Wazirabad", "Wazirabad")
                ]
            ),
            circle!(
                "Sialkot",
                "Punjab",
                [
                    ("Sialkot City", "Sialkot"),
                    ("Sialkot Cantt", "Sialkot"),
                    ("Daska", "Daska"),
                    ("Pasrur", "Pasrur")
                ]
            ),
            circle!(
                "Gujrat",
                "Punjab",
                [
                    ("Gujrat City", "Gujrat"),
                    ("Kharian", "Kharian"),
                    ("Lalamusa", "Lalamusa")
                ]
            ),
            circle!(
                "Mandi Bahauddin",
                "Punjab",
                [
                    ("Mandi Bahauddin", "Mandi Bahauddin"),
                    ("Phalia", "Phalia"),
                    ("Malakwal", "Malakwal")
                ]
            ),
            circle!(
                "Hafizabad",
                "Punjab",
                [
                    ("Hafizabad", "Hafizabad"),
                    ("Pindi Bhattian", "Pindi Bhattian")
                ]
            ),
            circle!(
                "Narowal",
                "Punjab",
                [("Narowal", "Narowal"), ("Shakargarh", "Shakargarh")]
            ),
        ],
    },
    Disco {
        name: "FESCO",
        code: 13,
        climate: Climate::Hot,
        circles: &[
            circle!(
                "Faisalabad",
                "Punjab",
                [
                    ("Madina Town", "Faisalabad"),
                    ("Peoples Colony", "Faisalabad"),
                    ("Jaranwala", "Jaranwala"),
                    ("Samundri", "Samundri"),
                    ("Millat Town", "Faisalabad")
                ]
            ),
            circle!(
                "Jhang",
                "Punjab",
                [
                    ("Jhang City", "Jhang"),
                    ("Shorkot", "Shorkot"),
                    ("Chiniot", "Chiniot")
                ]
            ),
            circle!(
                "Sargodha",
                "Punjab",
                [
                    ("Sargodha City", "Sargodha"),
                    ("Bhalwal", "Bhalwal"),
                    ("Kot Momin", "Kot Momin"),
                    ("Khushab", "Khushab")
                ]
            ),
            circle!(
                "Mianwali",
                "Punjab",
                [
                    ("Mianwali", "Mianwali"),
                    ("Isa Khel", "Isa Khel"),
                    ("Bhakkar", "Bhakkar")
                ]
            ),
            circle!(
                "Toba Tek Singh",
                "Punjab",
                [
                    ("Toba Tek Singh", "Toba Tek Singh"),
                    ("Gojra", "Gojra"),
                    ("Kamalia", "Kamalia")
                ]
            ),
        ],
    },
    Disco {
        name: "IESCO",
        code: 14,
        climate: Climate::Moderate,
        circles: &[
            circle!(
                "Islamabad",
                "ICT",
                [
                    ("Islamabad I", "Islamabad"),
                    ("Islamabad II", "Islamabad"),
                    ("Bhara Kahu", "Islamabad"),
                    ("Tarnol", "Islamabad")
                ]
            ),
            circle!(
                "Rawalpindi",
                "Punjab",
                [
                    ("Rawalpindi City", "Rawalpindi"),
                    ("Rawalpindi Cantt", "Rawalpindi"),
                    ("Satellite Town", "Rawalpindi"),
                    ("Gujar Khan", "Gujar Khan"),
                    ("Murree", "Murree")
                ]
            ),
            circle!(
                "Attock",
                "Punjab",
                [
                    ("Attock", "Attock"),
                    ("Pindigheb", "Pindigheb"),
                    ("Taxila", "Taxila")
                ]
            ),
            circle!(
                "Jhelum",
                "Punjab",
                [
                    ("Jhelum", "Jhelum"),
                    ("Dina", "Dina"),
                    ("Pind Dadan Khan", "Pind Dadan Khan")
                ]
            ),
            circle!(
                "Chakwal",
                "Punjab",
                [("Chakwal", "Chakwal"), ("Talagang", "Talagang")]
            ),
        ],
    },
    Disco {
        name: "PESCO",
        code: 26,
        climate: Climate::Moderate,
        circles: &[
            circle!(
                "Peshawar",
                "KP",
                [
                    ("Peshawar City", "Peshawar"),
                    ("Peshawar Cantt", "Peshawar"),
                    ("Hayatabad", "Peshawar"),
                    ("Charsadda", "Charsadda"),
                    ("Nowshera", "Nowshera")
                ]
            ),
            circle!(
                "Mardan",
                "KP",
                [
                    ("Mardan", "Mardan"),
                    ("Takht Bhai", "Takht Bhai"),
                    ("Swabi", "Swabi")
                ]
            ),
            circle!(
                "Swat",
                "KP",
                [
                    ("Mingora", "Mingora"),
                    ("Saidu Sharif", "Saidu Sharif"),
                    ("Chitral", "Chitral"),
                    ("Timergara", "Timergara")
                ]
            ),
            circle!(
                "Bannu",
                "KP",
                [
                    ("Bannu", "Bannu"),
                    ("Lakki Marwat", "Lakki Marwat"),
                    ("Kohat", "Kohat")
                ]
            ),
            circle!(
                "D.I. Khan",
                "KP",
                [("D.I. Khan City", "Dera Ismail Khan"), ("Tank", "Tank")]
            ),
        ],
    },
    Disco {
        name: "HAZECO",
        code: 27,
        climate: Climate::Moderate,
        circles: &[
            circle!(
                "Abbottabad",
                "KP",
                [
                    ("Abbottabad", "Abbottabad"),
                    ("Havelian", "Havelian"),
                    ("Haripur", "Haripur")
                ]
            ),
            circle!(
                "Mansehra",
                "KP",
                [
                    ("Mansehra", "Mansehra"),
                    ("Balakot", "Balakot"),
                    ("Battagram", "Battagram")
                ]
            ),
        ],
    },
    Disco {
        name: "TESCO",
        code: 29,
        climate: Climate::Moderate,
        circles: &[
            circle!(
                "Khyber",
                "KP",
                [
                    ("Landi Kotal", "Landi Kotal"),
                    ("Jamrud", "Jamrud"),
                    ("Bara", "Bara")
                ]
            ),
            circle!("Bajaur", "KP", [("Khar", "Khar"), ("Ghalanai", "Ghalanai")]),
            circle!(
                "Waziristan",
                "KP",
                [
                    ("Miranshah", "Miranshah"),
                    ("Wana", "Wana"),
                    ("Parachinar", "Parachinar")
                ]
            ),
        ],
    },
    Disco {
        name: "HESCO",
        code: 37,
        climate: Climate::Hot,
        circles: &[
            circle!(
                "Hyderabad",
                "Sindh",
                [
                    ("Hyderabad City", "Hyderabad"),
                    ("Latifabad", "Hyderabad"),
                    ("Qasimabad", "Hyderabad"),
                    ("Kotri", "Kotri")
                ]
            ),
            circle!(
                "Nawabshah",
                "Sindh",
                [
                    ("Nawabshah", "Nawabshah"),
                    ("Sakrand", "Sakrand"),
                    ("Naushahro Feroze", "Naushahro Feroze")
                ]
            ),
            circle!(
                "Mirpurkhas",
                "Sindh",
                [
                    ("Mirpurkhas", "Mirpurkhas"),
                    ("Umerkot", "Umerkot"),
                    ("Mithi", "Mithi")
                ]
            ),
            circle!(
                "Thatta",
                "Sindh",
                [
                    ("Thatta", "Thatta"),
                    ("Badin", "Badin"),
                    ("Sujawal", "Sujawal")
                ]
            ),
        ],
    },
    Disco {
        name: "SEPCO",
        code: 38,
        climate: Climate::Hot,
        circles: &[
            circle!(
                "Sukkur",
                "Sindh",
                [
                    ("Sukkur City", "Sukkur"),
                    ("Rohri", "Rohri"),
                    ("Ghotki", "Ghotki")
                ]
            ),
            circle!(
                "Larkana",
                "Sindh",
                [
                    ("Larkana City", "Larkana"),
                    ("Kambar", "Kambar"),
                    ("Shikarpur", "Shikarpur")
                ]
            ),
            circle!(
                "Dadu",
                "Sindh",
                [("Dadu", "Dadu"), ("Mehar", "Mehar"), ("Sehwan", "Sehwan")]
            ),
            circle!(
                "Khairpur",
                "Sindh",
                [("Khairpur", "Khairpur"), ("Gambat", "Gambat")]
            ),
        ],
    },
    Disco {
        name: "QESCO",
        code: 48,
        climate: Climate::Cold,
        circles: &[
            circle!(
                "Quetta",
                "Balochistan",
                [
                    ("Quetta City", "Quetta"),
                    ("Quetta Cantt", "Quetta"),
                    ("Pishin", "Pishin"),
                    ("Chaman", "Chaman")
                ]
            ),
            circle!(
                "Sibi",
                "Balochistan",
                [
                    ("Sibi", "Sibi"),
                    ("Dera Murad Jamali", "Dera Murad Jamali"),
                    ("Jaffarabad", "Dera Allah Yar")
                ]
            ),
            circle!(
                "Loralai",
                "Balochistan",
                [("Loralai", "Loralai"), ("Zhob", "Zhob")]
            ),
            circle!(
                "Khuzdar",
                "Balochistan",
                [
                    ("Khuzdar", "Khuzdar"),
                    ("Kalat", "Kalat"),
                    ("Turbat", "Turbat")
                ]
            ),
        ],
    },
];

/// Seasonal factor (per mille of the annual-mean month), January first.
fn season_permille(profile: Profile, climate: Climate, month: u32) -> u64 {
    const HOT: [u64; 12] = [
        620, 580, 680, 930, 1250, 1450, 1500, 1450, 1300, 950, 680, 620,
    ];
    const MODERATE: [u64; 12] = [
        820, 740, 720, 850, 1100, 1350, 1400, 1350, 1150, 850, 760, 860,
    ];
    const COLD: [u64; 12] = [
        1150, 1050, 850, 800, 950, 1150, 1200, 1150, 950, 800, 900, 1100,
    ];
    const FLAT: [u64; 12] = [
        980, 950, 1000, 1000, 1020, 1030, 1020, 1000, 1000, 1000, 1000, 1000,
    ];
    const AGRI: [u64; 12] = [
        700, 650, 800, 1100, 1350, 1400, 1150, 900, 950, 1150, 1100, 750,
    ];
    const NIGHTS: [u64; 12] = [
        1150, 1080, 1000, 930, 880, 850, 860, 900, 960, 1030, 1100, 1160,
    ];
    let table = match profile {
        Profile::Weather => match climate {
            Climate::Hot => &HOT,
            Climate::Moderate => &MODERATE,
            Climate::Cold => &COLD,
        },
        Profile::Flat => &FLAT,
        Profile::Irrigation => &AGRI,
        Profile::Nights => &NIGHTS,
    };
    let idx = (month.clamp(1, 12) - 1) as usize;
    table.get(idx).copied().unwrap_or(1000)
}

/// How a tariff's consumption moves with the season.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Weather,
    Flat,
    Irrigation,
    Nights,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Residential,
    Commercial,
    Industrial,
    Agricultural,
    StreetLight,
    Colony,
    Temporary,
}

struct Tariff {
    code: &'static str,
    /// Share per 10,000 consumers.
    weight: u32,
    class: Class,
    tou: bool,
    profile: Profile,
    /// Base (annual-mean) monthly units as a piecewise-linear inverse CDF: (per-mille, units).
    units: &'static [(u32, u64)],
    /// Sanctioned loads to pick from, in hundredths of a kW.
    loads_ckw: &'static [u32],
    /// The tariff is for sanctioned loads below this (hundredths of a kW): A-1a / A-2a are
    /// for loads below 5 kW (BILLING-RULES 1.1; S.R.O. 279's `sanctioned_load_below_kw`, where
    /// the bill is refused at 5 kW and more: those homes and shops are A-1b / A-2c, TOU).
    load_below_ckw: Option<u32>,
    /// Multiplying factors to pick from (1 = whole-current meter).
    mf: &'static [u32],
}

/// The tariff mix. Weights sum to 10,000. Codes follow the NEPRA letters (BILLING-RULES 1.1).
static TARIFFS: &[Tariff] = &[
    Tariff {
        code: "A-1a",
        weight: 8350,
        class: Class::Residential,
        tou: false,
        profile: Profile::Weather,
        units: &[
            (0, 8),
            (100, 38),
            (250, 66),
            (400, 92),
            (500, 112),
            (600, 135),
            (750, 180),
            (900, 285),
            (970, 470),
            (995, 900),
            (1000, 2000),
        ],
        loads_ckw: &[],
        load_below_ckw: Some(500),
        mf: &[1],
    },
    Tariff {
        code: "A-1b",
        weight: 130,
        class: Class::Residential,
        tou: true,
        profile: Profile::Weather,
        units: &[(0, 350), (500, 900), (900, 1800), (1000, 5000)],
        loads_ckw: &[500, 500, 600, 750, 800, 1000, 1000, 1200, 1500, 2000],
        load_below_ckw: None,
        mf: &[1],
    },
    Tariff {
        code: "A-2a",
        weight: 1080,
        class: Class::Commercial,
        tou: false,
        profile: Profile::Weather,
        units: &[
            (0, 10),
            (200, 60),
            (500, 160),
            (800, 400),
            (950, 900),
            (1000, 3000),
        ],
        loads_ckw: &[50, 100, 100, 150, 200, 200, 300, 300, 400, 450],
        load_below_ckw: Some(500),
        mf: &[1],
    },
    Tariff {
        code: "A-2c",
        weight: 120,
        class: Class::Commercial,
        tou: true,
        profile: Profile::Weather,
        units: &[(0, 600), (500, 1800), (900, 5000), (1000, 20000)],
        loads_ckw: &[500, 750, 1000, 1000, 1500, 2000, 2500, 4000],
        load_below_ckw: None,
        mf: &[1, 1, 1, 20],
    },
    Tariff {
        code: "B-1",
        weight: 90,
        class: Class::Industrial,
        tou: false,
        profile: Profile::Flat,
        units: &[(0, 300), (500, 1500), (900, 4000), (1000, 9000)],
        loads_ckw: &[500, 750, 1000, 1200, 1500, 2000, 2500],
        load_below_ckw: None,
        mf: &[1],
    },
    Tariff {
        code: "B-2b",
        weight: 40,
        class: Class::Industrial,
        tou: true,
        profile: Profile::Flat,
        units: &[(0, 5000), (500, 25000), (900, 80000), (1000, 200000)],
        loads_ckw: &[3000, 5000, 7500, 10000, 15000, 20000, 30000, 50000],
        load_below_ckw: None,
        mf: &[20, 40, 40, 60, 80],
    },
    Tariff {
        code: "B-3",
        weight: 10,
        class: Class::Industrial,
        tou: true,
        profile: Profile::Flat,
        units: &[(0, 150000), (500, 500000), (1000, 2000000)],
        loads_ckw: &[60000, 100000, 150000, 250000, 400000, 500000],
        load_below_ckw: None,
        mf: &[80, 160, 200, 400],
    },
    Tariff {
        code: "D-1a",
        weight: 40,
        class: Class::Agricultural,
        tou: false,
        profile: Profile::Irrigation,
        units: &[(0, 200), (500, 1500), (1000, 8000)],
        loads_ckw: &[750, 1120, 1500, 1870, 2240, 3730],
        load_below_ckw: None,
        mf: &[1],
    },
    Tariff {
        code: "D-2b",
        weight: 100,
        class: Class::Agricultural,
        tou: true,
        profile: Profile::Irrigation,
        units: &[(0, 300), (500, 2000), (1000, 10000)],
        loads_ckw: &[1120, 1500, 1870, 2240, 3000, 3730, 5600],
        load_below_ckw: None,
        mf: &[1],
    },
    Tariff {
        code: "G-1",
        weight: 20,
        class: Class::StreetLight,
        tou: false,
        profile: Profile::Nights,
        units: &[(0, 200), (500, 1200), (1000, 6000)],
        loads_ckw: &[200, 500, 1000, 1500, 3000],
        load_below_ckw: None,
        mf: &[1],
    },
    Tariff {
        code: "H-1",
        weight: 10,
        class: Class::Colony,
        tou: false,
        profile: Profile::Weather,
        units: &[(0, 2000), (500, 8000), (1000, 40000)],
        loads_ckw: &[5000, 10000, 20000, 50000],
        load_below_ckw: None,
        mf: &[20, 40],
    },
    Tariff {
        code: "E-1",
        weight: 10,
        class: Class::Temporary,
        tou: false,
        profile: Profile::Flat,
        units: &[(0, 50), (500, 300), (1000, 2000)],
        loads_ckw: &[200, 300, 500, 1000],
        load_below_ckw: None,
        mf: &[1],
    },
];

/// Sum of [`TARIFFS`] weights.
const TARIFF_WEIGHT_TOTAL: u32 = 10_000;

/// Collecting banks and wallets: (name written to `bank`, transaction-id prefix, share %).
const BANKS: &[(&str, &str, u32)] = &[
    ("HBL", "HBL", 18),
    ("UBL", "UBL", 10),
    ("MCB", "MCB", 10),
    ("NBP", "NBP", 14),
    ("ABL", "ABL", 8),
    ("BAHL", "BAHL", 5),
    ("Meezan", "MEEZAN", 8),
    ("JazzCash", "JAZZ", 14),
    ("Easypaisa", "EP", 13),
];

const MALE_GIVEN: &[&str] = &[
    "Aslam", "Akram", "Iqbal", "Hussain", "Ahmad", "Ali", "Arshad", "Asif", "Bashir", "Ejaz",
    "Farooq", "Hanif", "Imran", "Javed", "Khalid", "Latif", "Mushtaq", "Nadeem", "Naveed",
    "Pervaiz", "Qasim", "Rafiq", "Rashid", "Saleem", "Shahid", "Sajjad", "Tariq", "Usman",
    "Waseem", "Yousaf", "Zafar", "Zahid", "Riaz", "Nawaz", "Sarwar", "Anwar", "Akhtar", "Amjad",
    "Kashif", "Irfan", "Shafiq", "Munir", "Saeed", "Bilal", "Hamza", "Umar", "Altaf", "Ilyas",
];
const GHULAM_SUFFIX: &[&str] = &[
    "Rasool", "Mustafa", "Abbas", "Hussain", "Qadir", "Farid", "Murtaza", "Sarwar", "Nabi",
    "Haider",
];
const ABDUL_SUFFIX: &[&str] = &[
    "Ghafoor", "Rehman", "Sattar", "Majeed", "Hameed", "Rasheed", "Qadir", "Waheed", "Jabbar",
    "Razzaq", "Aziz", "Karim",
];
const MALE_PREFIX: &[&str] = &[
    "Muhammad", "Muhammad", "Muhammad", "Malik", "Rana", "Haji", "Syed", "Chaudhry", "Mian",
    "Sheikh", "Rao", "Hafiz",
];
const FEMALE_GIVEN: &[&str] = &[
    "Fatima",
    "Naseem Akhtar",
    "Shazia Parveen",
    "Rukhsana Bibi",
    "Nasreen",
    "Zubaida Khatoon",
    "Sughran Bibi",
    "Kausar Parveen",
    "Samina",
    "Razia Sultana",
    "Bushra",
    "Amina",
    "Safia",
    "Shamim Akhtar",
    "Nusrat",
    "Tahira",
];
const SURNAMES: &[&str] = &[
    "Khan", "Qureshi", "Baloch", "Jatoi", "Gardezi", "Bhatti", "Chohan", "Ansari", "Butt", "Arain",
    "Rajput", "Awan", "Gill", "Sial", "Khakwani", "Shah", "Leghari", "Mazari", "Jutt", "Niazi",
    "Gujjar", "Dogar", "Bosan", "Langah", "Kharal", "Joiya", "Wattoo", "Memon",
];
const BRANDS: &[&str] = &[
    "Al-Noor",
    "Madina",
    "Al-Rehman",
    "Bismillah",
    "Usman",
    "Shaheen",
    "Khyber",
    "Punjab",
    "Bilal",
    "Faisal",
    "Ittefaq",
    "New Star",
    "Sitara",
    "Hamza",
    "Al-Fatah",
    "Crescent",
    "Chenab",
    "Indus",
    "Fazal",
    "Kohinoor",
];
const SHOPS: &[&str] = &[
    "Traders",
    "General Store",
    "Medical Store",
    "Cloth House",
    "Hotel",
    "Bakers",
    "Auto Workshop",
    "Electronics",
    "Marble Works",
    "Poultry Farm",
    "Furniture House",
    "Mobile Centre",
    "Tailors",
    "Steel Works",
    "Petroleum Service",
    "Sweets & Bakers",
];
const MILLS: &[&str] = &[
    "Cotton Ginning Factory",
    "Textile Mills (Pvt) Ltd",
    "Flour Mills",
    "Oil Mills",
    "Ice Factory",
    "Rice Mills",
    "Steel Re-Rolling Mills",
    "Cold Storage",
    "Spinning Mills Ltd",
    "Feed Mills (Pvt) Ltd",
    "Sugar Mills Ltd",
    "Plastic Industries",
];
const GOVT: &[&str] = &[
    "Govt. Boys High School",
    "Govt. Girls Primary School",
    "Basic Health Unit",
    "Police Station",
    "Irrigation Department Rest House",
    "District Headquarters Hospital",
    "Pakistan Post Office",
    "NADRA Registration Centre",
    "Tehsil Office",
    "Rural Health Centre",
    "Govt. Degree College",
    "Water Supply Scheme",
    "Agriculture Extension Office",
    "Livestock Dispensary",
];
const LOCALITIES: &[&str] = &[
    "Model Town",
    "Satellite Town",
    "Gulshan-e-Iqbal",
    "Madina Colony",
    "Iqbal Town",
    "Civil Lines",
    "Shadman Colony",
    "Allama Iqbal Colony",
    "Muslim Town",
    "Faisal Colony",
    "Rehmanpura",
    "Nishtar Colony",
    "Gulberg",
    "Officers Colony",
    "Railway Colony",
    "Jinnah Colony",
    "Sabzazar",
    "Mohalla Qadirabad",
    "Gulgasht Colony",
    "Hussain Agahi",
    "New Town",
    "Shah Faisal Colony",
    "Ghulam Muhammad Abad",
    "Farooq Colony",
    "Bilal Colony",
    "Mohalla Islampura",
    "Cantt Bazar",
    "Eid Gah Road",
    "Peoples Colony",
    "Wapda Town",
];
const BAZARS: &[&str] = &[
    "Main Bazar",
    "Kutchery Road",
    "GT Road",
    "Railway Road",
    "Circular Road",
    "College Road",
    "Anarkali Bazar",
    "Chowk Bazar",
    "Grain Market",
    "Sabzi Mandi",
    "Hospital Road",
];
const VILLAGES: &[&str] = &[
    "Basti Malook",
    "Kotla Tolay Khan",
    "Basti Lar",
    "Jhok Wains",
    "Mauza Bhutta",
    "Pir Kot",
    "Kot Sultan",
    "Basti Buzdar",
    "Chah Wala",
    "Dera Bakha",
    "Mauza Noon",
    "Thatta Gurmani",
    "Basti Sheikhan",
    "Kot Mithan",
    "Mauza Aliwah",
    "Sher Shah",
];
const METER_MAKERS: &[&str] = &["PEL", "MTC", "ESC", "ACC", "GLK", "IMP", "SIM"];

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Subdivision {
    circle: u8,
    division: u8,
    code: u32,
    /// Slots per slot-table period (relative size of the sub-division).
    weight: u64,
    /// Whether the sub-division is mostly urban.
    urban: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Active,
    TempDisconnected,
    PermDisconnected,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::TempDisconnected => "temp_disconnected",
            Status::PermDisconnected => "perm_disconnected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Private,
    Federal,
    Provincial,
    Ajk,
    Autonomous,
}

impl Owner {
    fn as_str(self) -> &'static str {
        match self {
            Owner::Private => "private",
            Owner::Federal => "federal",
            Owner::Provincial => "provincial",
            Owner::Ajk => "ajk",
            Owner::Autonomous => "autonomous",
        }
    }
}

/// One generated consumer; reused between consumers so nothing is allocated per row.
#[derive(Debug, Clone)]
struct Consumer {
    index: u64,
    /// The 14-digit reference as an integer (see [`Reference::as_u64`]).
    reference: u64,
    customer_id: u64,
    sub: Subdivision,
    batch: u64,
    tariff: usize,
    load_ckw: u32,
    phase: u8,
    meter_serial: u64,
    meter_maker: &'static str,
    meter_year: u32,
    mf: u32,
    connection: (i32, u32, u32),
    status: Status,
    owner: Owner,
    atl: bool,
    employee: Option<(u8, bool)>,
    arrears_paisa: u64,
    history: [u64; HISTORY_MONTHS as usize],
    /// Temporarily disconnected: bill months off before the cycle (the cycle is off too).
    off_months: u32,
    current_units: u64,
    urban: bool,
    name: String,
    address: String,
}

struct Reading {
    present: (i32, u32, u32),
    previous: (i32, u32, u32),
    offpeak: (u64, u64),
    peak: Option<(u64, u64)>,
    mdi_ckw: Option<u64>,
    pf_percent: Option<u32>,
    code: &'static str,
}

struct Payment {
    bank: &'static str,
    bank_code: &'static str,
    amount_paisa: u64,
    day: u32,
    k: u32,
}

/// Everything fixed for one run; consumer `i` is derived from this and `i` alone.
struct Generator {
    seed: u64,
    /// Hash of (seed, DISCO, cycle): the root of every consumer's stream.
    key: u64,
    disco: &'static Disco,
    cycle: (i32, u32),
    subs: Vec<Subdivision>,
    /// Slot table: (sub-division index, rank within that sub-division's slots).
    slots: Vec<(u16, u64)>,
    consumers: u64,
}

/// Fast bounded integers: a 64x64->128 multiply of one RNG word (Lemire, without the rejection
/// step). The bias is below 2^-32 for every range used here, and unlike `gen_range` it needs
/// no division per draw, which dominated the generator's profile.
trait FastRange {
    fn fr<T: FastInt, R: std::ops::RangeBounds<T>>(&mut self, range: R) -> T;
}

trait FastInt: Copy {
    fn widen(self) -> i128;
    fn narrow(v: i128) -> Self;
}

macro_rules! fast_int {
    ($($t:ty),*) => {$(
        impl FastInt for $t {
            fn widen(self) -> i128 {
                self as i128
            }
            fn narrow(v: i128) -> Self {
                v as $t
            }
        }
    )*};
}
fast_int!(u8, u32, u64, usize, i32);

impl FastRange for Rng64 {
    fn fr<T: FastInt, R: std::ops::RangeBounds<T>>(&mut self, range: R) -> T {
        use std::ops::Bound;
        let lo = match range.start_bound() {
            Bound::Included(v) => v.widen(),
            Bound::Excluded(v) => v.widen() + 1,
            Bound::Unbounded => 0,
        };
        let hi_excl = match range.end_bound() {
            Bound::Included(v) => v.widen() + 1,
            Bound::Excluded(v) => v.widen(),
            Bound::Unbounded => lo + 1,
        };
        assert!(lo < hi_excl, "empty range");
        let span = (hi_excl - lo) as u128;
        let off = (u128::from(self.next_u64()) * span) >> 64;
        T::narrow(lo + off as i128)
    }
}

/// A consumer's private random stream: SplitMix64 (Steele, Lea & Flood, 2014). Portable and
/// deterministic, one add and a mix per word; ample quality for synthetic data. (A ChaCha8
/// stream per consumer cost an eighth of the run in seeding and block refills.)
struct Rng64(u64);

impl Rng64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
}

/// The SplitMix64 finaliser.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// (year, month) shifted by `delta` months.
fn shift_month(year: i32, month: u32, delta: i32) -> (i32, u32) {
    let total = year * 12 + (month as i32 - 1) + delta;
    (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32)
}

fn pick<'a, T>(rng: &mut Rng64, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.fr(0..items.len()))
    }
}

fn pick_str(rng: &mut Rng64, items: &[&'static str]) -> &'static str {
    pick(rng, items).copied().unwrap_or("")
}

/// Piecewise-linear inverse CDF over `(per_mille, value)` points.
fn sample_table(rng: &mut Rng64, table: &[(u32, u64)]) -> u64 {
    let p = rng.fr(0..1_000_000u64); // per million
    let mut prev = match table.first() {
        Some(&first) => first,
        None => return 0,
    };
    for &(pm, v) in table.iter().skip(1) {
        let hi = u64::from(pm) * 1000;
        if p < hi {
            let lo = u64::from(prev.0) * 1000;
            let span = hi - lo;
            if span == 0 {
                return v;
            }
            let t = p - lo;
            // Linear interpolation between prev.1 and v (values ascend).
            return prev.1 + (v.saturating_sub(prev.1)) * t / span;
        }
        prev = (pm, v);
    }
    prev.1
}

impl Generator {
    fn new(opts: &GenerateOptions) -> Result<Generator, GenerateError> {
        let disco = DISCOS
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(opts.disco.trim()))
            .ok_or_else(|| GenerateError::UnknownDisco(opts.disco.clone()))?;
        let (year, month) = (opts.cycle.year, opts.cycle.month);
        if !(1..=12).contains(&month) || !(1900..=9000).contains(&year) {
            return Err(GenerateError::InvalidCycle { year, month });
        }
        // The hierarchy is stable: it depends on the DISCO only, never on the seed.
        let mut subs = Vec::new();
        for (ci, circle) in disco.circles.iter().enumerate() {
            for (di, _) in circle.divisions.iter().enumerate() {
                let h = splitmix64(u64::from(disco.code) * 10_000 + (ci as u64) * 100 + di as u64);
                let count = 4 + (h % 3); // 4..=6 sub-divisions per division
                for si in 0..count {
                    let hs = splitmix64(h ^ (si + 1));
                    let code = disco.code * 1000
                        + (ci as u32 + 1) * 100
                        + (di as u32 + 1) * 10
                        + si as u32
                        + 1;
                    subs.push(Subdivision {
                        circle: ci as u8,
                        division: di as u8,
                        code,
                        weight: 1 + hs % 4,
                        // The first sub-divisions of the first division of a circle are the
                        // city ones.
                        urban: si < 2 || (di == 0 && si < 4),
                    });
                }
            }
        }
        let mut slots = Vec::new();
        // Interleave sub-divisions round-robin so any prefix of consumers spans them all.
        let max_w = subs.iter().map(|s| s.weight).max().unwrap_or(1);
        for r in 0..max_w {
            for (si, s) in subs.iter().enumerate() {
                if r < s.weight {
                    slots.push((si as u16, r));
                }
            }
        }
        let period = slots.len() as u64;
        // Consumer i gets walk sequence (i / period) * w + rank; account = sequence + 1.
        let capacity = (MAX_ACCOUNT / max_w) * period;
        if opts.consumers > capacity {
            return Err(GenerateError::TooManyConsumers {
                requested: opts.consumers,
                capacity,
            });
        }
        let key = splitmix64(
            splitmix64(splitmix64(opts.seed ^ 0xB111_1000_0000_0000) ^ u64::from(disco.code))
                ^ (((year as u64) << 8) | u64::from(month)),
        );
        Ok(Generator {
            seed: opts.seed,
            key,
            disco,
            cycle: (year, month),
            subs,
            slots,
            consumers: opts.consumers,
        })
    }

    fn new_consumer() -> Consumer {
        Consumer {
            index: 0,
            reference: 0,
            customer_id: 0,
            sub: Subdivision {
                circle: 0,
                division: 0,
                code: 0,
                weight: 1,
                urban: true,
            },
            batch: 1,
            tariff: 0,
            load_ckw: 0,
            phase: 1,
            meter_serial: 0,
            meter_maker: "",
            meter_year: 0,
            mf: 1,
            connection: (2000, 1, 1),
            status: Status::Active,
            owner: Owner::Private,
            atl: false,
            employee: None,
            arrears_paisa: 0,
            history: [0; HISTORY_MONTHS as usize],
            off_months: 0,
            current_units: 0,
            urban: true,
            name: String::with_capacity(64),
            address: String::with_capacity(96),
        }
    }

    fn rng_for(&self, i: u64) -> Rng64 {
        Rng64(splitmix64(self.key ^ splitmix64(i)))
    }

    /// Fills `c` with consumer `i`'s master-file fields (not name/address). Leaves the RNG
    /// positioned for [`Generator::reading`].
    fn consumer(&self, i: u64, c: &mut Consumer, rng: &mut Rng64) -> Result<(), GenerateError> {
        let period = self.slots.len() as u64;
        let (si, rank) = self
            .slots
            .get((i % period) as usize)
            .copied()
            .unwrap_or((0, 0));
        let sub = self.subs.get(si as usize).copied().unwrap_or(c.sub);
        let seq = (i / period) * sub.weight + rank;
        let route = seq / ROUTE_SIZE;
        let batch = 1 + (route * 7 + u64::from(si) * 11) % MAX_BATCH;
        c.index = i;
        c.sub = sub;
        c.batch = batch;
        c.reference = Reference::new(batch as u8, sub.code, (seq + 1) as u32)?.as_u64();
        // 10-digit customer id: an affine bijection of i on [0, 9e9), so ids are unique.
        const SPAN: u128 = 9_000_000_000;
        c.customer_id = 1_000_000_000
            + ((u128::from(i) * 2_654_435_761 + u128::from(self.seed) % SPAN) % SPAN) as u64;

        // Tariff.
        let mut t = rng.fr(0..TARIFF_WEIGHT_TOTAL);
        let mut tariff_idx = 0;
        for (k, tf) in TARIFFS.iter().enumerate() {
            if t < tf.weight {
                tariff_idx = k;
                break;
            }
            t -= tf.weight;
        }
        c.tariff = tariff_idx;
        let tariff = TARIFFS.get(tariff_idx).unwrap_or(&TARIFFS[0]);
        c.urban = match tariff.class {
            Class::Agricultural => false,
            _ => rng.fr(0..100) < if sub.urban { 85 } else { 30 },
        };

        // Status and owner.
        let s = rng.fr(0..1000);
        c.status = if s < 10 {
            Status::TempDisconnected
        } else if s < 20 {
            Status::PermDisconnected
        } else {
            Status::Active
        };
        let o = rng.fr(0..10_000);
        c.owner = if o < 25 {
            Owner::Federal
        } else if o < 70 {
            Owner::Provincial
        } else if o < 75 {
            Owner::Ajk
        } else if o < 100 {
            Owner::Autonomous
        } else {
            Owner::Private
        };

        // Consumption level and sanctioned load.
        let base = sample_table(rng, tariff.units).max(1);
        c.load_ckw = if tariff.class == Class::Residential && !tariff.tou {
            let choices: &[u32] = if base < 70 {
                &[50, 75, 100, 100, 100, 100, 150, 200]
            } else if base < 150 {
                &[100, 100, 150, 200, 200, 250, 300]
            } else if base < 300 {
                &[200, 250, 300, 300, 350, 400]
            } else {
                &[300, 400, 400, 450, 499]
            };
            pick(rng, choices).copied().unwrap_or(100)
        } else {
            pick(rng, tariff.loads_ckw).copied().unwrap_or(100)
        };
        // Never at or above the tariff's load limit (the tables already keep A-1a at most
        // 4.99 kW and A-2a at most 4.5 kW; a test checks that this never has to act).
        if let Some(below) = tariff.load_below_ckw {
            c.load_ckw = c.load_ckw.min(below.saturating_sub(1));
        }
        // What the load can draw: at most a 70 % load factor over a 720-hour month, so even
        // the peak season stays well inside the server's plausibility check (3 x load x 24 h).
        let base = base.min(u64::from(c.load_ckw) * 504 / 100).max(1);
        c.phase = match tariff.class {
            Class::Residential | Class::Commercial | Class::Temporary | Class::StreetLight => {
                let one_phase_pct = if c.load_ckw <= 200 {
                    96
                } else if c.load_ckw < 500 {
                    55
                } else {
                    0
                };
                if rng.fr(0..100) < one_phase_pct {
                    1
                } else {
                    3
                }
            }
            _ => 3,
        };
        c.mf = pick(rng, tariff.mf).copied().unwrap_or(1);
        c.meter_maker = pick_str(rng, METER_MAKERS);
        c.meter_serial = rng.fr(0..10_000_000);

        // Connection date: skewed towards recent years (most consumers joined lately).
        let cy = self.cycle.0;
        let back = {
            let a = rng.fr(0..50u32);
            let b = rng.fr(0..50u32);
            a.min(b)
        };
        let year = cy - 1 - back as i32;
        let month = rng.fr(1..=12);
        let day = rng.fr(1..=days_in_month(year, month));
        c.connection = (year, month, day);
        c.meter_year = if rng.fr(0..100) < 60 {
            (year.max(cy - 12)) as u32
        } else {
            (cy - rng.fr(1..=10)) as u32
        };

        // Filer status, employees.
        let atl_pct = match tariff.class {
            Class::Residential => 12,
            Class::Commercial => 35,
            Class::Industrial | Class::Colony => 85,
            _ => 20,
        };
        c.atl = c.owner != Owner::Private || rng.fr(0..100) < atl_pct;
        c.employee = if tariff.class == Class::Residential
            && !tariff.tou
            && c.owner == Owner::Private
            && rng.fr(0..1000) < 6
        {
            // Skewed to lower grades (line staff), a few officers.
            let g = rng.fr(0..100u32);
            let grade = if g < 55 {
                rng.fr(1..=10)
            } else if g < 85 {
                rng.fr(11..=16)
            } else if g < 98 {
                rng.fr(17..=19)
            } else {
                rng.fr(20..=22)
            };
            Some((grade, rng.fr(0..100) < 70))
        } else {
            None
        };

        // Arrears (paisa).
        let arrears_pct = match (c.status, c.owner) {
            (Status::PermDisconnected, _) => 80,
            (Status::TempDisconnected, _) => 70,
            (_, Owner::Private) => 12,
            _ => 55,
        };
        c.arrears_paisa = if rng.fr(0..100) < arrears_pct {
            let rupees = sample_table(rng, &[(0, 150), (500, 2500), (900, 12000), (1000, 150000)]);
            let scale = match tariff.class {
                Class::Residential => 1,
                Class::Commercial | Class::Temporary | Class::StreetLight => 3,
                Class::Agricultural => 6,
                Class::Industrial | Class::Colony => 25,
            } * if c.owner == Owner::Private { 1 } else { 8 };
            rupees * scale * 100 + rng.fr(0..100)
        } else {
            0
        };

        // History (the six months before the cycle, oldest first) and the cycle month.
        let off_months = match c.status {
            Status::Active => 0,
            Status::TempDisconnected => rng.fr(1..=3),
            Status::PermDisconnected => HISTORY_MONTHS + 1,
        };
        if c.status == Status::TempDisconnected {
            c.off_months = off_months;
        }
        for k in 0..HISTORY_MONTHS {
            let (_, m) = shift_month(self.cycle.0, self.cycle.1, k as i32 - HISTORY_MONTHS as i32);
            let u = self.month_units(rng, tariff, base, m);
            // Months left before the cycle, counting this one.
            let months_before = HISTORY_MONTHS - k;
            c.history[k as usize] = if months_before <= off_months { 0 } else { u };
        }
        let u = self.month_units(rng, tariff, base, self.cycle.1);
        c.current_units = if c.status == Status::Active { u } else { 0 };
        Ok(())
    }

    fn month_units(&self, rng: &mut Rng64, tariff: &Tariff, base: u64, month: u32) -> u64 {
        let season = season_permille(tariff.profile, self.disco.climate, month);
        let noise = rng.fr(880..=1120u64);
        (base * season * noise + 500_000) / 1_000_000
    }

    /// The cycle's meter reading; `None` for permanently disconnected consumers.
    fn reading(&self, c: &Consumer, rng: &mut Rng64) -> Option<Reading> {
        if c.status == Status::PermDisconnected {
            return None;
        }
        let tariff = TARIFFS.get(c.tariff).unwrap_or(&TARIFFS[0]);
        let (y, m) = self.cycle;
        let (py, pm) = shift_month(y, m, -1);
        let day = (c.batch as u32 + rng.fr(0..=1)).clamp(1, days_in_month(y, m));
        // Read on the batch's day each month, give or take a day: periods of about a month.
        let pday = (c.batch as u32 + rng.fr(0..=1)).clamp(1, days_in_month(py, pm));
        let period_days = u64::from(days_in_month(py, pm) - pday + day);
        let units = c.current_units * period_days / 30;
        let modulus: u64 = 10u64.pow(register_digits(c.phase) as u32);
        let mf = u64::from(c.mf.max(1));
        let defective = rng.fr(0..1000) < 5;
        let mut rolled = false;
        let mut register = |rng: &mut Rng64, units: u64| {
            let delta = ((units + mf / 2) / mf).min(modulus - 1);
            let previous = rng.fr(0..modulus);
            if defective {
                return (previous, previous);
            }
            let present = (previous + delta) % modulus;
            if present < previous {
                rolled = true;
            }
            (previous, present)
        };
        let (offpeak, peak) = if tariff.tou {
            let peak_units = units * rng.fr(150..=200u64) / 1000;
            let off = register(rng, units - peak_units);
            let pk = register(rng, peak_units);
            (off, Some(pk))
        } else {
            (register(rng, units), None)
        };
        let industrial = tariff.class == Class::Industrial;
        let mdi_ckw = if tariff.tou || industrial {
            let lf_pct = rng.fr(25..=60u64);
            let hours = period_days * 24;
            let ckw = units * 100 * 100 / (hours * lf_pct).max(1);
            Some(ckw.clamp(1, u64::from(c.load_ckw) * 13 / 10 + 1))
        } else {
            None
        };
        let pf_percent = if industrial {
            Some(if rng.fr(0..100) < 12 {
                rng.fr(80..=89)
            } else {
                rng.fr(90..=99)
            })
        } else {
            None
        };
        let code = if defective {
            "DEF"
        } else if rolled {
            "RC"
        } else {
            "OK"
        };
        Some(Reading {
            present: (y, m, day),
            previous: (py, pm, pday),
            offpeak,
            peak,
            mdi_ckw,
            pf_percent,
            code,
        })
    }

    /// Payments in the cycle month against arrears: 0, 1 or 2.
    fn payments(&self, c: &Consumer, rng: &mut Rng64, out: &mut [Option<Payment>; 2]) {
        *out = [None, None];
        if c.arrears_paisa == 0 {
            return;
        }
        let pay_pct = if c.status == Status::PermDisconnected {
            5
        } else {
            55
        };
        if rng.fr(0..100) >= pay_pct {
            return;
        }
        let (y, m) = self.cycle;
        let dim = days_in_month(y, m);
        let bank = |rng: &mut Rng64| {
            let mut b = rng.fr(0..100u32);
            for &(name, code, w) in BANKS {
                if b < w {
                    return (name, code);
                }
                b -= w;
            }
            ("HBL", "HBL")
        };
        let mode = rng.fr(0..100);
        let payment = |rng: &mut Rng64, amount_paisa: u64, day: Option<u32>, k: u32| {
            let (bank, bank_code) = bank(rng);
            let day = day.unwrap_or_else(|| rng.fr(1..=dim));
            Some(Payment {
                bank,
                bank_code,
                amount_paisa,
                day,
                k,
            })
        };
        if mode < 60 {
            out[0] = payment(rng, c.arrears_paisa, None, 1);
        } else if mode < 94 {
            // Partial payment rounded down to Rs 100 (at least Rs 100, never above the arrears).
            let pct = rng.fr(30..=90u64);
            let amount = (c.arrears_paisa * pct / 100 / 10_000 * 10_000)
                .max(10_000)
                .min(c.arrears_paisa);
            out[0] = payment(rng, amount, None, 1);
        } else {
            // Two instalments, one in each half of the month.
            let first = (c.arrears_paisa / 2).max(1);
            let d1 = rng.fr(1..=dim / 2);
            let d2 = rng.fr(dim / 2 + 1..=dim);
            out[0] = payment(rng, first, Some(d1), 1);
            let second = c.arrears_paisa - first;
            if second > 0 {
                out[1] = payment(rng, second, Some(d2), 2);
            }
        }
    }

    /// Name and address text; drawn last so the other files never need it.
    fn text(&self, c: &mut Consumer, rng: &mut Rng64) {
        use Part::{Ch, N, S};
        let tariff = TARIFFS.get(c.tariff).unwrap_or(&TARIFFS[0]);
        let circle = self.disco.circles.get(c.sub.circle as usize);
        let town = circle
            .and_then(|ci| ci.divisions.get(c.sub.division as usize))
            .map(|d| d.1)
            .unwrap_or("");
        c.name.clear();
        c.address.clear();
        let name = &mut c.name;
        let person = |rng: &mut Rng64, name: &mut String| {
            if rng.fr(0..100) < 12 {
                name.push_str(pick_str(rng, FEMALE_GIVEN));
                if rng.fr(0..100) < 30 {
                    name.push_str(" w/o ");
                    name.push_str(pick_str(rng, MALE_GIVEN));
                }
                return;
            }
            match rng.fr(0..100u32) {
                0..=14 => {
                    name.push_str("Ghulam ");
                    name.push_str(pick_str(rng, GHULAM_SUFFIX));
                }
                15..=27 => {
                    name.push_str("Abdul ");
                    name.push_str(pick_str(rng, ABDUL_SUFFIX));
                }
                28..=69 => {
                    name.push_str(pick_str(rng, MALE_PREFIX));
                    name.push(' ');
                    name.push_str(pick_str(rng, MALE_GIVEN));
                }
                _ => name.push_str(pick_str(rng, MALE_GIVEN)),
            }
            if rng.fr(0..100) < 40 {
                name.push(' ');
                name.push_str(pick_str(rng, SURNAMES));
            }
        };
        if c.owner != Owner::Private {
            cat(name, &[S(pick_str(rng, GOVT)), S(" "), S(town)]);
            if c.owner == Owner::Ajk {
                name.push_str(" (AJK Govt.)");
            }
        } else {
            match tariff.class {
                Class::Residential | Class::Agricultural | Class::Temporary => person(rng, name),
                Class::Commercial => {
                    if rng.fr(0..100) < 50 {
                        person(rng, name)
                    } else {
                        cat(
                            name,
                            &[
                                S("M/S "),
                                S(pick_str(rng, BRANDS)),
                                S(" "),
                                S(pick_str(rng, SHOPS)),
                            ],
                        );
                    }
                }
                Class::Industrial => {
                    cat(
                        name,
                        &[S(pick_str(rng, BRANDS)), S(" "), S(pick_str(rng, MILLS))],
                    );
                }
                Class::StreetLight => cat(name, &[S("TMA "), S(town), S(" (Street Lights)")]),
                Class::Colony => {
                    cat(name, &[S(pick_str(rng, BRANDS)), S(" Mills Staff Colony")]);
                }
            }
        }

        let addr = &mut c.address;
        let side = |rng: &mut Rng64| if rng.fr(0..2) == 0 { 'R' } else { 'L' };
        match tariff.class {
            Class::Agricultural => cat(
                addr,
                &[
                    S("Tubewell, Chak No. "),
                    N(rng.fr(1..=300)),
                    S("/"),
                    N(rng.fr(1..=15)),
                    S("-"),
                    Ch(side(rng)),
                    S(", Mauza "),
                    S(pick_str(rng, VILLAGES)),
                    S(", "),
                    S(town),
                ],
            ),
            Class::Industrial | Class::Colony => {
                if rng.fr(0..100) < 60 {
                    cat(
                        addr,
                        &[
                            S("Plot "),
                            N(rng.fr(1..=400)),
                            S(", Industrial Estate, "),
                            S(town),
                        ],
                    );
                } else {
                    cat(
                        addr,
                        &[
                            N(rng.fr(1..=25)),
                            S(" KM "),
                            S(pick_str(rng, BAZARS).trim_end_matches(" Road")),
                            S(" Road, "),
                            S(town),
                        ],
                    );
                }
            }
            Class::Commercial => cat(
                addr,
                &[
                    S("Shop "),
                    N(rng.fr(1..=250)),
                    S(", "),
                    S(pick_str(rng, BAZARS)),
                    S(", "),
                    S(town),
                ],
            ),
            _ if c.urban => match rng.fr(0..100u32) {
                0..=59 => cat(
                    addr,
                    &[
                        S("House "),
                        N(rng.fr(1..=999)),
                        S(", Street "),
                        N(rng.fr(1..=40)),
                        S(", "),
                        S(pick_str(rng, LOCALITIES)),
                        S(", "),
                        S(town),
                    ],
                ),
                60..=84 => cat(
                    addr,
                    &[
                        S("House No. "),
                        N(rng.fr(1..=600)),
                        S(", Block "),
                        Ch((b'A' + rng.fr(0..12u8)) as char),
                        S(", "),
                        S(pick_str(rng, LOCALITIES)),
                        S(", "),
                        S(town),
                    ],
                ),
                _ => cat(
                    addr,
                    &[
                        S("Mohalla "),
                        S(pick_str(rng, LOCALITIES).trim_start_matches("Mohalla ")),
                        S(", Near Jamia Masjid, "),
                        S(town),
                    ],
                ),
            },
            _ => {
                if rng.fr(0..2) == 0 {
                    cat(
                        addr,
                        &[
                            S("Chak No. "),
                            N(rng.fr(1..=300)),
                            S("/"),
                            N(rng.fr(1..=15)),
                            S("-"),
                            Ch(side(rng)),
                            S(", Tehsil "),
                            S(town),
                        ],
                    );
                } else {
                    cat(
                        addr,
                        &[
                            S("Basti "),
                            S(pick_str(rng, VILLAGES).trim_start_matches("Basti ")),
                            S(", Mauza "),
                            S(pick_str(rng, VILLAGES).trim_start_matches("Mauza ")),
                            S(", "),
                            S(town),
                        ],
                    );
                }
            }
        }
    }
}

/// A piece of generated text (avoids `core::fmt` on the hot path).
enum Part<'a> {
    S(&'a str),
    N(u64),
    Ch(char),
}

fn cat(out: &mut String, parts: &[Part<'_>]) {
    for p in parts {
        match p {
            Part::S(s) => out.push_str(s),
            Part::Ch(c) => out.push(*c),
            Part::N(n) => {
                let mut tmp = [0u8; 20];
                let mut i = tmp.len();
                let mut n = *n;
                loop {
                    i -= 1;
                    tmp[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                // ASCII digits are valid UTF-8.
                out.extend(tmp[i..].iter().map(|&b| b as char));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV formatting (into a byte buffer, no per-field allocation)
// ---------------------------------------------------------------------------------------------

fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    let mut n = n;
    while n > 0 && i > 0 {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = tmp.len().saturating_sub(width).min(i);
    buf.extend_from_slice(&tmp[start..]);
}

/// `hundredths` as `x.yy` (money in paisa, kW in hundredths, ...).
fn push_centi(buf: &mut Vec<u8>, hundredths: u64) {
    push_u64(buf, hundredths / 100);
    buf.push(b'.');
    push_padded(buf, hundredths % 100, 2);
}

fn push_date(buf: &mut Vec<u8>, (y, m, d): (i32, u32, u32)) {
    push_padded(buf, y.max(0) as u64, 4);
    buf.push(b'-');
    push_padded(buf, u64::from(m), 2);
    buf.push(b'-');
    push_padded(buf, u64::from(d), 2);
}

fn push_month(buf: &mut Vec<u8>, (y, m): (i32, u32)) {
    push_padded(buf, y.max(0) as u64, 4);
    buf.push(b'-');
    push_padded(buf, u64::from(m), 2);
}

/// A text field with RFC-4180 quoting when it holds a comma, quote or line break.
fn push_text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        buf.push(b'"');
        // Copy runs between quotes in one go, doubling each quote.
        let mut parts = bytes.split(|&b| b == b'"');
        if let Some(first) = parts.next() {
            buf.extend_from_slice(first);
        }
        for part in parts {
            buf.extend_from_slice(b"\"\"");
            buf.extend_from_slice(part);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

fn push_bool(buf: &mut Vec<u8>, v: bool) {
    buf.push(if v { b't' } else { b'f' });
}

fn push_reference(buf: &mut Vec<u8>, reference: u64) {
    push_padded(buf, reference, 14);
}

impl Generator {
    fn write_consumer_row(&self, c: &Consumer, buf: &mut Vec<u8>) {
        let tariff = TARIFFS.get(c.tariff).unwrap_or(&TARIFFS[0]);
        let circle = self.disco.circles.get(c.sub.circle as usize);
        push_reference(buf, c.reference);
        buf.push(b',');
        push_u64(buf, c.customer_id);
        buf.push(b',');
        push_text(buf, &c.name);
        buf.push(b',');
        push_text(buf, &c.address);
        buf.push(b',');
        push_text(buf, self.disco.name);
        buf.push(b',');
        push_text(buf, circle.map(|ci| ci.name).unwrap_or(""));
        buf.push(b',');
        push_text(
            buf,
            circle
                .and_then(|ci| ci.divisions.get(c.sub.division as usize))
                .map(|d| d.0)
                .unwrap_or(""),
        );
        buf.push(b',');
        push_padded(buf, u64::from(c.sub.code), 5);
        buf.push(b',');
        push_padded(buf, c.batch, 2);
        buf.push(b',');
        buf.extend_from_slice(tariff.code.as_bytes());
        buf.push(b',');
        push_centi(buf, u64::from(c.load_ckw));
        buf.push(b',');
        push_u64(buf, u64::from(c.phase));
        buf.push(b',');
        buf.extend_from_slice(c.meter_maker.as_bytes());
        push_padded(buf, u64::from(c.meter_year % 100), 2);
        push_padded(buf, c.meter_serial, 7);
        buf.push(b',');
        push_u64(buf, u64::from(c.mf));
        buf.push(b',');
        push_date(buf, c.connection);
        buf.push(b',');
        buf.extend_from_slice(c.status.as_str().as_bytes());
        buf.push(b',');
        buf.extend_from_slice(c.owner.as_str().as_bytes());
        buf.push(b',');
        push_text(buf, circle.map(|ci| ci.province).unwrap_or(""));
        buf.push(b',');
        push_bool(buf, tariff.tou);
        buf.push(b',');
        push_bool(buf, c.atl);
        buf.push(b',');
        if let Some((grade, _)) = c.employee {
            push_u64(buf, u64::from(grade));
        }
        buf.push(b',');
        if let Some((_, serving)) = c.employee {
            buf.extend_from_slice(if serving { b"serving" } else { b"retired" });
        }
        buf.push(b',');
        push_centi(buf, c.arrears_paisa);
        buf.push(b',');
        for k in 0..HISTORY_MONTHS {
            if k > 0 {
                buf.push(b';');
            }
            push_month(
                buf,
                shift_month(self.cycle.0, self.cycle.1, k as i32 - HISTORY_MONTHS as i32),
            );
            buf.push(b':');
            push_u64(buf, c.history.get(k as usize).copied().unwrap_or(0));
        }
        buf.push(b',');
        if c.status == Status::TempDisconnected {
            push_month(
                buf,
                shift_month(self.cycle.0, self.cycle.1, -(c.off_months as i32)),
            );
        }
        buf.push(b',');
        // Sales-tax registration (STRN): most industrial connections, no one else; drawn from
        // the reference so the random stream (and every other field) is unchanged.
        let strn = tariff.code.starts_with('B') && c.reference % 10 < 7;
        buf.extend_from_slice(if strn { b"true" } else { b"false" });
        buf.push(b',');
        // The register size the readings wrap at (`reading`): 5 digits single-phase, 6 three.
        push_u64(buf, register_digits(c.phase));
        buf.push(b'\n');
    }

    fn write_reading_row(&self, c: &Consumer, r: &Reading, buf: &mut Vec<u8>) {
        push_reference(buf, c.reference);
        buf.push(b',');
        push_month(buf, self.cycle);
        buf.push(b',');
        push_date(buf, r.present);
        buf.push(b',');
        push_date(buf, r.previous);
        buf.push(b',');
        push_u64(buf, r.offpeak.0);
        buf.push(b',');
        push_u64(buf, r.offpeak.1);
        buf.push(b',');
        if let Some((prev, _)) = r.peak {
            push_u64(buf, prev);
        }
        buf.push(b',');
        if let Some((_, pres)) = r.peak {
            push_u64(buf, pres);
        }
        buf.push(b',');
        if let Some(mdi) = r.mdi_ckw {
            push_centi(buf, mdi);
        }
        buf.push(b',');
        if let Some(pf) = r.pf_percent {
            push_centi(buf, u64::from(pf));
        }
        buf.push(b',');
        buf.extend_from_slice(r.code.as_bytes());
        buf.push(b'\n');
    }

    fn write_payment_row(&self, c: &Consumer, p: &Payment, buf: &mut Vec<u8>) {
        let (y, m) = self.cycle;
        push_reference(buf, c.reference);
        buf.push(b',');
        // Bank code + value date + consumer index + instalment: unique by construction.
        buf.extend_from_slice(p.bank_code.as_bytes());
        buf.push(b'-');
        push_padded(buf, y.max(0) as u64, 4);
        push_padded(buf, u64::from(m), 2);
        push_padded(buf, u64::from(p.day), 2);
        buf.push(b'-');
        push_padded(buf, c.index, 10);
        push_u64(buf, u64::from(p.k));
        buf.push(b',');
        push_centi(buf, p.amount_paisa);
        buf.push(b',');
        push_date(buf, (y, m, p.day));
        buf.push(b',');
        buf.extend_from_slice(p.bank.as_bytes());
        buf.push(b'\n');
    }
}

/// Which files a pass writes.
struct Sinks<'a> {
    consumers: Option<&'a mut dyn Write>,
    readings: Option<&'a mut dyn Write>,
    payments: Option<&'a mut dyn Write>,
}

#[derive(Default)]
struct Counts {
    consumers: u64,
    readings: u64,
    payments: u64,
    by_tariff: Vec<u64>,
}

fn flush_if(buf: &mut Vec<u8>, w: &mut Option<&mut dyn Write>, force: bool) -> std::io::Result<()> {
    if let Some(w) = w.as_mut() {
        if force || buf.len() >= FLUSH_BYTES {
            w.write_all(buf)?;
            buf.clear();
        }
    }
    Ok(())
}

/// One sequential pass over all consumers, writing whichever files are requested.
fn run(opts: &GenerateOptions, mut sinks: Sinks<'_>) -> Result<Counts, GenerateError> {
    let g = Generator::new(opts)?;
    let mut counts = Counts {
        by_tariff: vec![0; TARIFFS.len()],
        ..Counts::default()
    };
    let mut cbuf = Vec::with_capacity(FLUSH_BYTES + 4096);
    let mut rbuf = Vec::with_capacity(FLUSH_BYTES + 4096);
    let mut pbuf = Vec::with_capacity(FLUSH_BYTES + 4096);
    if sinks.consumers.is_some() {
        cbuf.extend_from_slice(CONSUMERS_HEADER.as_bytes());
        cbuf.push(b'\n');
    }
    if sinks.readings.is_some() {
        rbuf.extend_from_slice(READINGS_HEADER.as_bytes());
        rbuf.push(b'\n');
    }
    if sinks.payments.is_some() {
        pbuf.extend_from_slice(PAYMENTS_HEADER.as_bytes());
        pbuf.push(b'\n');
    }
    let want_readings = sinks.readings.is_some() || sinks.payments.is_some();
    let mut c = Generator::new_consumer();
    let mut pays: [Option<Payment>; 2] = [None, None];
    for i in 0..g.consumers {
        let mut rng = g.rng_for(i);
        g.consumer(i, &mut c, &mut rng)?;
        counts.consumers += 1;
        if let Some(n) = counts.by_tariff.get_mut(c.tariff) {
            *n += 1;
        }
        // Draw order is fixed: reading, payments, text. Later draws are skipped only when
        // nothing after them is needed, so every file sees the same consumer.
        let need_after_reading = sinks.payments.is_some() || sinks.consumers.is_some();
        if want_readings || sinks.consumers.is_some() {
            let reading = g.reading(&c, &mut rng);
            if let Some(r) = &reading {
                if sinks.readings.is_some() {
                    g.write_reading_row(&c, r, &mut rbuf);
                }
                counts.readings += 1;
            }
        }
        if need_after_reading {
            g.payments(&c, &mut rng, &mut pays);
            for p in pays.iter().flatten() {
                if sinks.payments.is_some() {
                    g.write_payment_row(&c, p, &mut pbuf);
                }
                counts.payments += 1;
            }
        }
        if sinks.consumers.is_some() {
            g.text(&mut c, &mut rng);
            g.write_consumer_row(&c, &mut cbuf);
        }
        flush_if(&mut cbuf, &mut sinks.consumers, false)?;
        flush_if(&mut rbuf, &mut sinks.readings, false)?;
        flush_if(&mut pbuf, &mut sinks.payments, false)?;
    }
    flush_if(&mut cbuf, &mut sinks.consumers, true)?;
    flush_if(&mut rbuf, &mut sinks.readings, true)?;
    flush_if(&mut pbuf, &mut sinks.payments, true)?;
    for w in [sinks.consumers, sinks.readings, sinks.payments]
        .into_iter()
        .flatten()
    {
        w.flush()?;
    }
    Ok(counts)
}

/// Writes `consumers.csv`, `readings.csv` and `payments.csv` into `out_dir` (created if
/// missing) in one pass.
pub fn generate_to_dir(
    opts: &GenerateOptions,
    out_dir: &Path,
) -> Result<GenerateSummary, GenerateError> {
    std::fs::create_dir_all(out_dir)?;
    let (cp, rp, pp) = (
        out_dir.join(CONSUMERS_FILE),
        out_dir.join(READINGS_FILE),
        out_dir.join(PAYMENTS_FILE),
    );
    let mut cf = std::fs::File::create(&cp)?;
    let mut rf = std::fs::File::create(&rp)?;
    let mut pf = std::fs::File::create(&pp)?;
    let counts = run(
        opts,
        Sinks {
            consumers: Some(&mut cf),
            readings: Some(&mut rf),
            payments: Some(&mut pf),
        },
    )?;
    for f in [&cf, &rf, &pf] {
        f.sync_all()?;
    }
    Ok(GenerateSummary {
        consumers: counts.consumers,
        readings: counts.readings,
        payments: counts.payments,
        by_tariff: TARIFFS
            .iter()
            .zip(counts.by_tariff)
            .map(|(t, n)| (t.code.to_string(), n))
            .collect(),
        files: vec![cp, rp, pp],
    })
}

/// Streams `consumers.csv` (header included) to `w`; returns the number of rows.
pub fn write_consumers(opts: &GenerateOptions, w: &mut impl Write) -> Result<u64, GenerateError> {
    let counts = run(
        opts,
        Sinks {
            consumers: Some(w),
            readings: None,
            payments: None,
        },
    )?;
    Ok(counts.consumers)
}

/// Streams `readings.csv` (header included) to `w`; returns the number of rows.
pub fn write_readings(opts: &GenerateOptions, w: &mut impl Write) -> Result<u64, GenerateError> {
    let counts = run(
        opts,
        Sinks {
            consumers: None,
            readings: Some(w),
            payments: None,
        },
    )?;
    Ok(counts.readings)
}

/// Streams `payments.csv` (header included) to `w`; returns the number of rows.
pub fn write_payments(opts: &GenerateOptions, w: &mut impl Write) -> Result<u64, GenerateError> {
    let counts = run(
        opts,
        Sinks {
            consumers: None,
            readings: None,
            payments: Some(w),
        },
    )?;
    Ok(counts.payments)
}

/// The tariff codes the generator emits, with their TOU flag, in summary order.
pub fn tariff_codes() -> impl Iterator<Item = (&'static str, bool)> {
    TARIFFS.iter().map(|t| (t.code, t.tou))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn opts(n: u64, seed: u64) -> GenerateOptions {
        GenerateOptions {
            consumers: n,
            seed,
            ..GenerateOptions::default()
        }
    }

    /// Minimal RFC-4180 splitter for the tests (quoted fields, doubled quotes).
    fn split_csv(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(ch) = chars.next() {
            match (quoted, ch) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                (true, '"') => quoted = false,
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => out.push(std::mem::take(&mut field)),
                (_, c) => field.push(c),
            }
        }
        out.push(field);
        out
    }

    fn gen_string(f: impl Fn(&mut Vec<u8>) -> Result<u64, GenerateError>) -> (String, u64) {
        let mut buf = Vec::new();
        let n = f(&mut buf).unwrap();
        (String::from_utf8(buf).unwrap(), n)
    }

    #[test]
    fn number_formatting() {
        let mut b = Vec::new();
        push_centi(&mut b, 5);
        b.push(b' ');
        push_centi(&mut b, 123_456);
        b.push(b' ');
        push_padded(&mut b, 7, 3);
        b.push(b' ');
        push_padded(&mut b, 12345, 3);
        b.push(b' ');
        push_u64(&mut b, 0);
        b.push(b' ');
        push_date(&mut b, (2026, 2, 3));
        b.push(b' ');
        push_text(&mut b, "a, \"b\"");
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "0.05 1234.56 007 12345 0 2026-02-03 \"a, \"\"b\"\"\""
        );
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(shift_month(2026, 11, -6), (2026, 5));
        assert_eq!(shift_month(2026, 1, -1), (2025, 12));
        assert_eq!(shift_month(2026, 12, 1), (2027, 1));
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn big_discos_number_forty_million() {
        for d in ["MEPCO", "LESCO", "PESCO", "FESCO"] {
            let o = GenerateOptions {
                disco: d.into(),
                ..opts(40_000_000, 1)
            };
            assert!(Generator::new(&o).is_ok(), "{d}");
        }
    }

    #[test]
    fn tariff_weights_sum() {
        assert_eq!(
            TARIFFS.iter().map(|t| t.weight).sum::<u32>(),
            TARIFF_WEIGHT_TOTAL
        );
    }

    #[test]
    fn rejects_bad_options() {
        let mut o = opts(10, 1);
        o.disco = "KESC".into();
        assert!(matches!(
            write_consumers(&o, &mut Vec::new()),
            Err(GenerateError::UnknownDisco(_))
        ));
        let mut o = opts(10, 1);
        o.cycle.month = 13;
        assert!(matches!(
            write_consumers(&o, &mut Vec::new()),
            Err(GenerateError::InvalidCycle { .. })
        ));
        let o = opts(u64::MAX, 1);
        assert!(matches!(
            write_consumers(&o, &mut Vec::new()),
            Err(GenerateError::TooManyConsumers { .. })
        ));
    }

    #[test]
    fn load_tables_stay_below_the_tariff_load_limits() {
        for t in TARIFFS {
            if let Some(below) = t.load_below_ckw {
                assert!(
                    t.loads_ckw.iter().all(|l| *l < below),
                    "{}: {:?} not all below {below}",
                    t.code,
                    t.loads_ckw
                );
                assert!(!t.tou, "{}", t.code);
            }
        }
        let limited: Vec<_> = TARIFFS
            .iter()
            .filter(|t| t.load_below_ckw == Some(500))
            .map(|t| t.code)
            .collect();
        assert_eq!(limited, ["A-1a", "A-2a"]);
    }

    /// BILLING-RULES 1.1 / 2.4 and S.R.O. 279's `sanctioned_load_below_kw`: A-1a and A-2a are
    /// for sanctioned loads below 5 kW (a bill at 5 kW or more is refused); larger homes and
    /// shops are A-1b / A-2c (TOU). Every generated master row also passes the checks the
    /// billing crate offers for the consumer master (tariff load limit on the cycle's date,
    /// TOU flag where the data states it, employee grade and status).
    #[test]
    fn generated_loads_fit_their_tariffs() {
        let book = billing::TariffBook::builtin().unwrap();
        let mut small_max = HashMap::new();
        let mut large_min = HashMap::new();
        let mut units: HashMap<&str, Vec<u64>> = HashMap::new();
        for (seed, disco, cycle) in [
            (3u64, "MEPCO", (2026, 11)),
            (17, "LESCO", (2026, 3)),
            (29, "PESCO", (2026, 8)),
        ] {
            let o = GenerateOptions {
                consumers: 20_000,
                seed,
                disco: disco.to_string(),
                cycle: YearMonth {
                    year: cycle.0,
                    month: cycle.1,
                },
            };
            let date = chrono::NaiveDate::from_ymd_opt(cycle.0, cycle.1, 28).unwrap();
            let (text, _) = gen_string(|w| write_consumers(&o, w));
            for line in text.lines().skip(1) {
                let f = split_csv(line);
                let tariff = TARIFFS.iter().find(|t| t.code == f[9]).unwrap();
                let code = tariff.code;
                let load: rust_decimal::Decimal = f[10].parse().unwrap();
                match code {
                    "A-1a" | "A-2a" => {
                        assert!(load < rust_decimal::Decimal::from(5), "{line}");
                        let m = small_max.entry(code).or_insert(load);
                        *m = (*m).max(load);
                    }
                    "A-1b" | "A-2c" => {
                        assert!(load >= rust_decimal::Decimal::from(5), "{line}");
                        let m = large_min.entry(code).or_insert(load);
                        *m = (*m).min(load);
                    }
                    _ => {}
                }
                if code.starts_with("A-1") {
                    let h: u64 = f[23]
                        .split(';')
                        .map(|e| e.split_once(':').unwrap().1.parse::<u64>().unwrap())
                        .sum();
                    units.entry(code).or_default().push(h);
                }
                // The bill engine's own load check on the cycle's date (sanctioned load; the
                // MDI is the reading's): accepted, or refused only for a tariff whose rates
                // are not public (D-1a, D-2b, G-1, H-1, E-1 in 2026).
                match book.check_load(code, date, load, rust_decimal::Decimal::ZERO) {
                    Ok(()) | Err(billing::BillingError::RateNotPublic { .. }) => {}
                    Err(e) => panic!("{line}: {e}"),
                }
                assert!(load <= rust_decimal::Decimal::from(billing::MAX_LOAD_KW));
                if let Some(tou) = book.is_tou(code) {
                    assert_eq!(tou, tariff.tou, "{code}");
                    assert_eq!(f[18], if tou { "t" } else { "f" }, "{line}");
                }
                if !f[20].is_empty() {
                    assert!(book.employee_grade_known(f[20].parse().unwrap()), "{line}");
                    assert!(billing::ServiceStatus::parse(&f[21]).is_some(), "{line}");
                }
            }
        }
        // A realistic mix: A-1a homes go up to 4.99 kW, shops up to 4.5 kW; TOU homes and
        // shops start at 5 kW, and TOU homes use more (median of six months' units).
        assert_eq!(
            small_max.get("A-1a").map(|d| d.to_string()),
            Some("4.99".into())
        );
        assert_eq!(
            small_max.get("A-2a").map(|d| d.to_string()),
            Some("4.50".into())
        );
        assert_eq!(
            large_min.get("A-1b").map(|d| d.to_string()),
            Some("5.00".into())
        );
        assert_eq!(
            large_min.get("A-2c").map(|d| d.to_string()),
            Some("5.00".into())
        );
        let median = |v: &mut Vec<u64>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        let a1b = units.get_mut("A-1b").unwrap();
        assert!(a1b.len() > 400, "{} A-1b homes", a1b.len());
        let m1b = median(a1b);
        let m1a = median(units.get_mut("A-1a").unwrap());
        assert!(m1b > 4 * m1a, "A-1b median {m1b}, A-1a median {m1a}");
    }

    #[test]
    fn every_disco_generates_with_its_province() {
        let book = billing::TariffBook::builtin().unwrap();
        assert_eq!(book.discos().len(), DISCOS.len());
        for d in DISCOS {
            let o = GenerateOptions {
                disco: d.name.to_string(),
                ..opts(300, 9)
            };
            let (text, n) = gen_string(|w| write_consumers(&o, w));
            assert_eq!(n, 300);
            let mut refs = HashSet::new();
            for line in text.lines().skip(1) {
                let f = split_csv(line);
                assert_eq!(f.len(), 27, "{line}");
                assert_eq!(f[4], d.name);
                let province = f[17].as_str();
                let ok = match d.name {
                    "PESCO" | "TESCO" | "HAZECO" => province == "KP",
                    "HESCO" | "SEPCO" => province == "Sindh",
                    "QESCO" => province == "Balochistan",
                    "IESCO" => province == "ICT" || province == "Punjab",
                    _ => province == "Punjab",
                };
                assert!(ok, "{} in {province}", d.name);
                // The server's DISCO registry (billing data) accepts it.
                let reg = book
                    .disco(d.name)
                    .unwrap_or_else(|| panic!("{} is not in discos.toml", d.name));
                assert!(
                    reg.provinces.iter().any(|p| &**p == province),
                    "{} in {province}",
                    d.name
                );
                assert!(f[7].starts_with(&format!("{:02}", d.code)));
                assert!(refs.insert(f[0].clone()));
            }
        }
    }

    /// The acceptance test from the brief: 10,000 consumers, all three files.
    #[test]
    fn ten_thousand_consumers() {
        let dir = std::env::temp_dir().join(format!("bijli-gen-test-{}", std::process::id()));
        let o = opts(10_000, 42);
        let summary = generate_to_dir(&o, &dir).unwrap();
        assert_eq!(summary.consumers, 10_000);
        assert_eq!(summary.files.len(), 3);
        let consumers = std::fs::read_to_string(&summary.files[0]).unwrap();
        let readings = std::fs::read_to_string(&summary.files[1]).unwrap();
        let payments = std::fs::read_to_string(&summary.files[2]).unwrap();

        // Streaming forms give the same bytes as the files.
        assert_eq!(gen_string(|w| write_consumers(&o, w)).0, consumers);
        assert_eq!(gen_string(|w| write_readings(&o, w)).0, readings);
        assert_eq!(gen_string(|w| write_payments(&o, w)).0, payments);
        // Deterministic; another seed differs.
        let dir2 = dir.join("again");
        let again = generate_to_dir(&o, &dir2).unwrap();
        for (a, b) in summary.files.iter().zip(&again.files) {
            assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        }
        assert_ne!(
            gen_string(|w| write_consumers(&opts(10_000, 43), w)).0,
            consumers
        );

        // consumers.csv
        let mut lines = consumers.lines();
        assert_eq!(lines.next(), Some(CONSUMERS_HEADER));
        let mut refs = HashSet::new();
        let mut cids = HashSet::new();
        let mut info: HashMap<String, (String, String, u32)> = HashMap::new(); // tariff, status, mf
        let mut tariffs: HashMap<String, u64> = HashMap::new();
        let (mut residential_non_tou, mut protected, mut lifeline) = (0u64, 0u64, 0u64);
        let (mut employees, mut with_arrears, mut quoted) = (0u64, 0u64, 0u64);
        for line in lines {
            if line.contains('"') {
                quoted += 1;
            }
            let f = split_csv(line);
            assert_eq!(f.len(), 27, "{line}");
            assert_eq!(
                f[26],
                if f[11] == "1" { "5" } else { "6" },
                "meter digits by phase"
            );
            let r: Reference = f[0].parse().unwrap();
            assert_eq!(f[0].len(), 14);
            assert!(f[0].bytes().all(|b| b.is_ascii_digit()));
            assert!(r.check_digit_ok());
            assert_eq!(format!("{:05}", r.subdivision()), f[7]);
            assert_eq!(format!("{:02}", r.batch()), f[8]);
            assert!(refs.insert(r), "duplicate reference {r}");
            // A temporary disconnection names its first month, 1..=3 months before the cycle.
            if f[15] == "temp_disconnected" {
                assert!(
                    ["2026-08", "2026-09", "2026-10"].contains(&f[24].as_str()),
                    "{line}"
                );
            } else {
                assert_eq!(f[24], "", "{line}");
            }
            assert!(
                f[25] == "false" || f[9].starts_with('B'),
                "STRN only on industrial: {line}"
            );
            assert_eq!(f[1].len(), 10);
            assert!(cids.insert(f[1].clone()), "duplicate customer id");
            assert_eq!(f[4], "MEPCO");
            assert_eq!(f[17], "Punjab");
            let tou = TARIFFS.iter().find(|t| t.code == f[9]).unwrap().tou;
            assert_eq!(f[18], if tou { "t" } else { "f" });
            assert!(f[19] == "t" || f[19] == "f");
            let load: rust_decimal::Decimal = f[10].parse().unwrap();
            assert!(load.scale() <= 2 && load > rust_decimal::Decimal::ZERO);
            let _: rust_decimal::Decimal = f[22].parse().unwrap();
            if f[22] != "0.00" {
                with_arrears += 1;
            }
            if !f[20].is_empty() {
                employees += 1;
                let g: u32 = f[20].parse().unwrap();
                assert!((1..=22).contains(&g));
                assert!(f[21] == "serving" || f[21] == "retired");
            }
            let hist: Vec<(String, u64)> = f[23]
                .split(';')
                .map(|e| {
                    let (m, u) = e.split_once(':').unwrap();
                    (m.to_string(), u.parse().unwrap())
                })
                .collect();
            assert_eq!(
                hist.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
                ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
            );
            if f[9] == "A-1a" {
                residential_non_tou += 1;
                if hist.iter().all(|h| h.1 <= 200) {
                    protected += 1;
                }
                if hist.iter().all(|h| h.1 <= 100)
                    && load <= rust_decimal::Decimal::ONE
                    && f[11] == "1"
                {
                    lifeline += 1;
                }
                assert!(load < rust_decimal::Decimal::from(5));
            }
            *tariffs.entry(f[9].clone()).or_default() += 1;
            info.insert(
                f[0].clone(),
                (f[9].clone(), f[15].clone(), f[13].parse().unwrap()),
            );
        }
        assert_eq!(refs.len(), 10_000);
        assert!(quoted > 9_000, "addresses with commas are quoted");
        let share = |codes: &[&str]| -> u64 {
            codes
                .iter()
                .map(|c| tariffs.get(*c).copied().unwrap_or(0))
                .sum::<u64>()
                * 10_000
                / 10_000
        };
        let residential = share(&["A-1a", "A-1b"]);
        let commercial = share(&["A-2a", "A-2c"]);
        let industrial = share(&["B-1", "B-2b", "B-3"]);
        let agri = share(&["D-1a", "D-2b"]);
        assert!(
            (8_250..=8_750).contains(&residential),
            "residential {residential}"
        );
        assert!(
            (1_050..=1_350).contains(&commercial),
            "commercial {commercial}"
        );
        assert!((80..=220).contains(&industrial), "industrial {industrial}");
        assert!((80..=220).contains(&agri), "agri {agri}");
        assert!((60..=220).contains(&share(&["A-1b"])), "A-1b");
        assert_eq!(summary.by_tariff.iter().map(|t| t.1).sum::<u64>(), 10_000);
        // Protected and lifeline shares are material but not everything.
        let protected_pct = protected * 100 / residential_non_tou;
        let lifeline_pct = lifeline * 100 / residential_non_tou;
        assert!(
            (25..=70).contains(&protected_pct),
            "protected {protected_pct}%"
        );
        assert!((3..=25).contains(&lifeline_pct), "lifeline {lifeline_pct}%");
        assert!((10..=120).contains(&employees), "employees {employees}");
        assert!(with_arrears > 500);

        // readings.csv
        let mut lines = readings.lines();
        assert_eq!(lines.next(), Some(READINGS_HEADER));
        let mut n_readings = 0u64;
        let mut codes: HashMap<String, u64> = HashMap::new();
        let mut seen = HashSet::new();
        for line in lines {
            let f = split_csv(line);
            assert_eq!(f.len(), 11, "{line}");
            let (tariff, status, mf) = info.get(&f[0]).expect("reading for unknown reference");
            assert_ne!(status, "perm_disconnected");
            assert!(seen.insert(f[0].clone()));
            assert_eq!(f[1], "2026-11");
            assert!(f[2].starts_with("2026-11-"));
            assert!(f[3].starts_with("2026-10-"));
            let d2: u32 = f[2][8..].parse().unwrap();
            let d1: u32 = f[3][8..].parse().unwrap();
            let period = 31 - d1 + d2;
            assert!((28..=33).contains(&period), "period {period}");
            let tou = TARIFFS.iter().find(|t| t.code == tariff).unwrap().tou;
            let _: u64 = f[4].parse().unwrap();
            let _: u64 = f[5].parse().unwrap();
            assert_eq!(f[6].is_empty(), !tou);
            assert_eq!(f[7].is_empty(), !tou);
            let industrial = tariff.starts_with('B');
            assert_eq!(f[8].is_empty(), !(tou || industrial));
            assert_eq!(f[9].is_empty(), !industrial);
            if industrial {
                let pf: rust_decimal::Decimal = f[9].parse().unwrap();
                assert!(pf >= "0.80".parse().unwrap() && pf < rust_decimal::Decimal::ONE);
            }
            assert!(*mf >= 1);
            *codes.entry(f[10].clone()).or_default() += 1;
            n_readings += 1;
        }
        assert_eq!(n_readings, summary.readings);
        let perm = info.values().filter(|v| v.1 == "perm_disconnected").count() as u64;
        assert!(perm > 30 && perm < 200, "perm {perm}");
        assert_eq!(n_readings + perm, 10_000);
        assert!(codes.get("OK").copied().unwrap_or(0) > 9_500);
        assert!(codes.get("DEF").copied().unwrap_or(0) > 0);

        // payments.csv
        let mut lines = payments.lines();
        assert_eq!(lines.next(), Some(PAYMENTS_HEADER));
        let mut tx = HashSet::new();
        let mut n_pay = 0u64;
        for line in lines {
            let f = split_csv(line);
            assert_eq!(f.len(), 5, "{line}");
            assert!(info.contains_key(&f[0]));
            assert!(tx.insert(f[1].clone()), "duplicate transaction id");
            let amount: rust_decimal::Decimal = f[2].parse().unwrap();
            assert!(amount > rust_decimal::Decimal::ZERO && amount.scale() == 2);
            assert!(f[3].starts_with("2026-11-"));
            assert!(BANKS.iter().any(|b| b.0 == f[4]));
            n_pay += 1;
        }
        assert_eq!(n_pay, summary.payments);
        assert!(n_pay > 300, "payments {n_pay}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn register_rollover_yields_rc() {
        // Over enough consumers some registers roll over and are coded RC, with present < previous.
        let (text, _) = gen_string(|w| write_readings(&opts(50_000, 7), w));
        let mut rc = 0;
        for line in text.lines().skip(1) {
            let f = split_csv(line);
            let rolled = f[5].parse::<u64>().unwrap() < f[4].parse::<u64>().unwrap()
                || (!f[6].is_empty()
                    && f[7].parse::<u64>().unwrap() < f[6].parse::<u64>().unwrap());
            assert_eq!(rolled, f[10] == "RC", "{line}");
            if rolled {
                rc += 1;
            }
        }
        assert!(rc > 0 && rc < 1_000, "rc {rc}");
    }
}
