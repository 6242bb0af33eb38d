//! Writes `evaluations/demo/self-evaluations-2025.xlsx` from the CSV of the same name, with the
//! crate's own sheet writer, so the demonstration set has a real Excel file (see
//! `tools/gen_demo_evaluations.py`). Run from the repository root: `cargo run --example demo_xlsx`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("evaluations/demo");
    let csv_path = dir.join("self-evaluations-2025.csv");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv_path)?;
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()?;
    let bytes = zhibiao::evaluations::import::table_xlsx("自评表", &rows)?;
    let out = dir.join("self-evaluations-2025.xlsx");
    std::fs::write(&out, bytes)?;
    println!("{}: {} rows", out.display(), rows.len());
    Ok(())
}
