//! Recorded answers of `parse_unit`, kept as the behaviour to hold while the parser changes.
//!
//! Each row of `testdata/unit_files.tsv` is a unit text, then either `error` and the error
//! text, or `ok` and one column per option holding its section, name and value separated by
//! spaces. Every byte string is written in hex as pieces joined by `.`: a piece is plain hex,
//! or `hex*N` for those one to four bytes repeated N times, so the long lines stay short in the file.
//!
//! The texts cover headers (good, unterminated, with trailing text, nested and stray brackets),
//! options (spacing around `=`, empty values, missing `=`, options before any header),
//! comments with `#` and `;` and their backslash continuations, value continuations (before
//! comments, with trailing spaces, at the end), CR, CRLF, NUL and non-ASCII text, empty and
//! blank input, and long lines: lines of 2,040–2,060 bytes of every kind after prefixes of many
//! lengths and shapes, so the 2,048-byte rule meets every read-ahead position, plus random
//! mixtures of short and long lines. Of the 41,072 texts recorded (the rewrite was checked on
//! all of them and on 250,000 random texts), every third is kept here, with the first text of
//! each kind of error, to keep the file small (1.6 MB).

use super::parse_unit;

/// The piece encoding described in the module notes.
pub(super) fn encode(bytes: &[u8]) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut pieces: Vec<String> = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < bytes.len() {
        // The shortest unit of one to four bytes that repeats to cover at least 8 bytes here.
        let run = (1..=4).find_map(|unit: usize| {
            let pattern = bytes.get(i..i + unit)?;
            let times = bytes[i..].chunks_exact(unit).take_while(|c| *c == pattern).count();
            (times * unit >= 8).then_some((pattern, times))
        });
        match run {
            Some((pattern, times)) => {
                if !plain.is_empty() {
                    pieces.push(std::mem::take(&mut plain));
                }
                pieces.push(format!("{}*{times}", hex(pattern)));
                i += pattern.len() * times;
            }
            None => {
                plain.push_str(&hex(&bytes[i..i + 1]));
                i += 1;
            }
        }
    }
    if !plain.is_empty() {
        pieces.push(plain);
    }
    pieces.join(".")
}

fn decode(text: &str) -> Vec<u8> {
    let hex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let mut out = Vec::new();
    for piece in text.split('.').filter(|p| !p.is_empty()) {
        match piece.split_once('*') {
            Some((unit, n)) => out.extend(hex(unit).repeat(n.parse().expect("count"))),
            None => out.extend(hex(piece)),
        }
    }
    out
}

/// The answer for one text, written as the columns after the input.
pub(super) fn answer(text: &str) -> String {
    match parse_unit(text) {
        Err(reason) => format!("error\t{}", encode(reason.as_bytes())),
        Ok(options) => {
            let mut row = String::from("ok");
            for o in &options {
                row.push_str(&format!(
                    "\t{} {} {}",
                    encode(o.section.as_bytes()),
                    encode(o.name.as_bytes()),
                    encode(o.value.as_bytes())
                ));
            }
            row
        }
    }
}

#[test]
fn recorded_table() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in include_str!("../testdata/unit_files.tsv").lines() {
        let (input, want) = line.split_once('\t').expect("input and answer");
        let text = String::from_utf8(decode(input)).expect("UTF-8 input");
        let got = answer(&text);
        if got != want {
            wrong.push(format!("{input}: got {got}, want {want}"));
        }
        rows += 1;
    }
    assert_eq!(rows, ROWS);
    assert!(wrong.is_empty(), "{} rows differ:\n{}", wrong.len(), wrong.join("\n"));
}

const ROWS: usize = 13_694;
