//! CSV that spreadsheets open as text, never as formulas (OWASP "CSV injection"): every CSV the
//! service writes goes through `Writer`, and the project's CSV readers undo it with `restore`.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
//! so Excel and LibreOffice show `=HYPERLINK(…)` instead of running it. Legitimate values are
//! prefixed too (`-5`, `+3%`, the direction `=`): the rule cannot tell them apart, and a visible
//! apostrophe is the accepted price. A cell that already starts with apostrophes before such a
//! character gets one more, so `restore(neutralise(s)) == s` for every string.

use std::borrow::Cow;
use std::io::Write;

/// Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, that some
/// programs strip before doing so).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn needs_prefix(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as it is safe to write.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_prefix(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The value a cell written by `neutralise` had.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
        _ => cell,
    }
}

/// A CSV writer for Excel: UTF-8 with a byte-order mark (so Excel on Chinese Windows does not
/// read it as GBK), every cell neutralised.
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W) -> csv::Result<Writer<W>> {
        out.write_all("\u{feff}".as_bytes())?;
        Ok(Writer {
            inner: csv::Writer::from_writer(out),
        })
    }

    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner.write_record(
            cells
                .into_iter()
                .map(|c| neutralise(c.as_ref()).into_owned()),
        )
    }

    pub fn finish(mut self) -> csv::Result<()> {
        self.inner.flush()?;
        Ok(())
    }
}

/// Rows as CSV bytes in memory.
pub fn to_bytes<R, I, S>(rows: R) -> csv::Result<Vec<u8>>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out)?;
    for r in rows {
        w.row(r)?;
    }
    w.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_an_apostrophe_and_others_stay() {
        for (cell, written) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+3%", "'+3%"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("=", "'="),
            ("'=1", "''=1"),
            ("≥95%", "≥95%"),
            ("5-10", "5-10"),
            ("'quoted'", "'quoted'"),
            (" =1", " =1"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?} reads back");
        }
    }

    #[test]
    fn what_the_writer_writes_reads_back_the_same() {
        let rows = [["=1+1", "-5", "''+x", "普通文本", "a,\"b\"\nc"]];
        let bytes = to_bytes(rows).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert!(
            rec.iter().all(|c| !c.starts_with(TRIGGERS)),
            "no cell starts a formula: {rec:?}"
        );
        let back: Vec<&str> = rec.iter().map(restore).collect();
        assert_eq!(back, rows[0]);
    }
}
