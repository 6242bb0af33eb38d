//! A bounded fuzz run of the upload readers (draft tables, plain tables, evaluation files):
//! valid workbooks and CSV, mutated at the byte, zip-entry and XML level, never make a reader
//! panic, and whatever a reader accepts stays within its limits.

use proptest::prelude::*;
use std::io::{Read, Write};
use std::sync::OnceLock;
use zhibiao::domain::Catalog;
use zhibiao::ingest::sheet::{LimitError, ReadError, SheetLimits, Workbook};

/// Small limits, so that mutations reach them.
const LIMITS: SheetLimits = SheetLimits {
    upload_bytes: 256 * 1024,
    zip_entries: 40,
    entry_bytes: 1 << 20,
    unzipped_bytes: 4 << 20,
    zip_ratio: 100,
    rows: 60,
    columns: 30,
    cells: 600,
    cell_chars: 200,
    text_bytes: 64 * 1024,
};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        zhibiao::ingest::library::load_dir(&zhibiao::ingest::library::default_dir())
            .unwrap()
            .catalog
    })
}

/// A target table as the drafting page exports it (merged level cells included).
fn draft_xlsx() -> Vec<u8> {
    use zhibiao::domain::{Direction, Draft, DraftProject, DraftRow, Term};
    let row = |level1: &str, level2: &str, name: &str, direction| DraftRow {
        level1: level1.into(),
        level2: level2.into(),
        name: name.into(),
        indicator: Some("DL-002".into()),
        revision: Some(1),
        direction,
        target: "8".into(),
        unit: "公里".into(),
        explanation: "年度内完成改造的道路长度".into(),
        confirmed: false,
    };
    let draft = Draft {
        id: "0".repeat(32),
        project: DraftProject {
            name: "城区道路改造".into(),
            unit_name: "区住房和城乡建设局".into(),
            description: "改造主次干道 8 公里".into(),
            project_type: Some("road".into()),
            budget_wan: Some(1200.5),
            year: None,
            term: Term::Annual,
            ..Default::default()
        },
        rows: vec![
            row("产出指标", "数量指标", "改造道路里程", Direction::AtLeast),
            row("产出指标", "数量指标", "人行道铺装面积", Direction::AtLeast),
            row(
                "效益指标",
                "社会效益指标",
                "群众出行改善",
                Direction::Qualitative,
            ),
        ],
        owner: None,
        created: chrono::Utc::now(),
        updated: chrono::Utc::now(),
    };
    zhibiao::ingest::xlsx::write_draft(&draft, "城市道路建设与改造").unwrap()
}

/// The seeds: the three kinds of upload, as the application itself writes them.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        vec![
            draft_xlsx(),
            zhibiao::evaluations::import::template_xlsx().unwrap(),
            zhibiao::curation::import::template_xlsx().unwrap(),
            zhibiao::evaluations::import::template_csv(),
            zhibiao::curation::import::template_csv(),
            super::uploads::sparse_sheet(),
            super::uploads::strings_claim(),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte of the file.
    Flip(usize, u8),
    /// Cut the file short.
    Truncate(usize),
    /// Insert bytes somewhere.
    Insert(usize, Vec<u8>),
    /// Rezip with one entry's inflated XML changed: a byte replaced, or text spliced in.
    EntryFlip(usize, usize, u8),
    EntrySplice(usize, usize, &'static str),
    /// Rezip with one entry's content taken from another.
    EntrySwap(usize, usize),
    /// Rezip without one entry.
    EntryDrop(usize),
}

/// Fragments that matter to a spreadsheet reader: references, counts, nesting.
const SPLICES: &[&str] = &[
    r#"<dimension ref="B2:A1"/>"#,
    r#"<dimension ref="A1:XFD1048576"/>"#,
    r#"<row r="4294967295">"#,
    r#"<c r="ZZZZZZZZ1"><v>1</v></c>"#,
    r#"<c r="A99999999999"><v>1</v></c>"#,
    r#"<c t="s"><v>999999</v></c>"#,
    r#"<c t="s"><v>-1</v></c>"#,
    r#"uniqueCount="18446744073709551615""#,
    "<si><t>",
    "</row></row>",
    "&#xFFFFFFFF;",
    "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>&a;",
    "\"\"\n,,,,\"",
    "\u{feff}项目名称,三级指标\n",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<usize>(), 1..=255u8)
            .prop_map(|(e, i, x)| Mutation::EntryFlip(e, i, x)),
        (
            any::<usize>(),
            any::<usize>(),
            proptest::sample::select(SPLICES)
        )
            .prop_map(|(e, i, s)| Mutation::EntrySplice(e, i, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::EntrySwap(a, b)),
        any::<usize>().prop_map(Mutation::EntryDrop),
    ]
}

fn entries(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).ok()?;
            let mut v = Vec::new();
            f.read_to_end(&mut v).ok()?;
            Some((f.name().ok()?.to_string(), v))
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::Flip(i, x) => {
            let i = at(*i, bytes.len());
            if let Some(b) = bytes.get_mut(i) {
                *b ^= x;
            }
        }
        Mutation::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Mutation::Insert(i, b) => {
            let i = at(*i, bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::EntryFlip(..)
        | Mutation::EntrySplice(..)
        | Mutation::EntrySwap(..)
        | Mutation::EntryDrop(..) => {
            let Some(mut es) = entries(&bytes) else {
                // Not a zip (a CSV): splice the text in directly.
                if let Mutation::EntrySplice(_, i, s) = m {
                    let i = at(*i, bytes.len() + 1);
                    bytes.splice(i..i, s.bytes());
                }
                return bytes;
            };
            let n = es.len();
            match m {
                Mutation::EntryFlip(e, i, x) => {
                    let data = &mut es[e % n].1;
                    let i = at(*i, data.len());
                    if let Some(b) = data.get_mut(i) {
                        *b ^= x;
                    }
                }
                Mutation::EntrySplice(e, i, s) => {
                    // Into a sheet or the shared strings, before a tag, where the fragment is
                    // most likely to be parsed as cells.
                    let parts: Vec<usize> = (0..n)
                        .filter(|&k| {
                            es[k].0.contains("worksheets/") || es[k].0.contains("sharedStrings")
                        })
                        .collect();
                    let k = if parts.is_empty() {
                        e % n
                    } else {
                        parts[e % parts.len()]
                    };
                    let data = &mut es[k].1;
                    let tags: Vec<usize> = (0..data.len()).filter(|&p| data[p] == b'<').collect();
                    let i = match tags.len() {
                        0 => at(*i, data.len() + 1),
                        t => tags[*i % t],
                    };
                    data.splice(i..i, s.bytes());
                }
                Mutation::EntrySwap(a, b) => {
                    let from = es[b % n].1.clone();
                    es[a % n].1 = from;
                }
                Mutation::EntryDrop(e) => {
                    es.remove(e % n);
                }
                _ => unreachable!("a zip-entry mutation"),
            }
            bytes = rezip(&es);
        }
    }
    bytes
}

fn check_limit(e: &LimitError) {
    assert!(matches!(e.status(), 413 | 422), "{e:?}");
    assert!(!e.to_string().is_empty() && !e.code().is_empty());
}

/// Every reader on one input: no panic, and what is accepted is within the limits.
fn read_all(bytes: &[u8]) {
    match Workbook::open(bytes, &LIMITS) {
        Ok(mut book) => {
            let mut cells = 0u64;
            for name in book.sheet_names() {
                match book.sheet(&name) {
                    Ok(sheet) => {
                        for (n, row) in &sheet.rows {
                            assert!(*n >= 1 && *n <= LIMITS.rows, "row {n}");
                            assert!(row.len() <= LIMITS.columns as usize);
                            assert!(row.iter().all(|c| c.chars().count() <= LIMITS.cell_chars));
                            cells += row.len() as u64;
                        }
                    }
                    Err(ReadError::Limit(l)) => check_limit(&l),
                    Err(_) => {}
                }
            }
            assert!(cells <= LIMITS.cells, "{cells} cells kept");
        }
        Err(ReadError::Limit(l)) => check_limit(&l),
        Err(_) => {}
    }
    if let Ok((_, rows)) = zhibiao::ingest::xlsx::read_draft(bytes, &LIMITS) {
        assert!(rows.len() <= LIMITS.rows as usize);
    }
    if let Ok(t) = zhibiao::ingest::table::read(bytes, "指标名称", &LIMITS) {
        assert!(t.rows.len() <= LIMITS.rows as usize);
    }
    for name in ["upload.xlsx", "upload.csv"] {
        match zhibiao::evaluations::import::parse(name, bytes, catalog(), &LIMITS) {
            Ok(p) => assert!(p.rows <= LIMITS.rows as usize),
            Err(zhibiao::evaluations::import::ImportFileError::Limit(l)) => check_limit(&l),
            Err(_) => {}
        }
    }
}

#[test]
fn every_seed_reads_before_it_is_mutated() {
    for (i, seed) in seeds().iter().enumerate().take(5) {
        let ok = match zhibiao::ingest::sheet::is_xlsx(seed) {
            true => Workbook::open(seed, &LIMITS).is_ok(),
            false => {
                zhibiao::ingest::table::read(seed, "指标名称", &LIMITS).is_ok()
                    || zhibiao::evaluations::import::parse("t.csv", seed, catalog(), &LIMITS)
                        .is_ok()
            }
        };
        assert!(ok, "seed {i} does not read");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        // Reproducible in CI; change the seed to explore further.
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_251_207),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_uploads_never_panic_a_reader_and_stay_within_limits(
        seed in 0..7usize,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let bytes = mutations
            .iter()
            .fold(seeds()[seed].clone(), apply);
        read_all(&bytes);
    }
}
