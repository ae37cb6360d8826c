//! The ratios: criterion measures each figure, this module reads back the medians it wrote in
//! this run and prints every figure as a ratio to the bound measured in the same run.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::fixtures::{CorpusCase, World};
use crate::ratios::PairedRatios;

/// Where criterion writes its results: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else `criterion` in this build's target directory (criterion's own order).
pub(crate) fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("criterion")
}

/// Marks the start of this run; results written before it are not reported.
pub(crate) fn mark_start(out: &Path) -> SystemTime {
    fs::create_dir_all(out).unwrap();
    let marker = out.join("federation-run-started");
    fs::write(&marker, b"").unwrap();
    fs::metadata(&marker).unwrap().modified().unwrap()
}

/// Sizes of what is measured, for the report.
pub(crate) fn describe(world: &World, corpus: &CorpusCase) {
    let disclosures = |p: &str| p.split('~').count().saturating_sub(2);
    eprintln!(
        "RTW presentation: {} bytes, {} disclosures; corpus01 presentation: {} bytes, {} \
         disclosures; trust list: {} entries, {} bytes; status list token: {} bytes",
        world.presentation.len(),
        disclosures(&world.presentation),
        corpus.presentation.len(),
        disclosures(&corpus.presentation),
        crate::fixtures::TRUST_LIST_ENTRIES,
        world.trust_list_jws.len(),
        world.status_token.len(),
    );
}

/// A reported figure: its criterion id (`group/function`) and what it is.
struct Figure {
    id: &'static str,
    what: &'static str,
}

const fn figure(id: &'static str, what: &'static str) -> Figure {
    Figure { id, what }
}

const FIGURES: &[Figure] = &[
    figure(
        "es256/aws_lc_rs_parsed_key",
        "one ES256 verification, aws-lc-rs, key parsed before",
    ),
    figure(
        "es256/aws_lc_rs_with_key_parse",
        "one ES256 verification, aws-lc-rs, SEC1 key parse included",
    ),
    figure(
        "es256/ring_with_key_parse",
        "one ES256 verification, ring (always parses the key)",
    ),
    figure(
        "es256/idv_jose",
        "one ES256 verification, idv-jose PublicKey",
    ),
    figure(
        "es256/aws_lc_rs_sec1_parse",
        "SEC1 P-256 point parse alone, aws-lc-rs",
    ),
    figure(
        "bound/rtw_aws_lc_rs",
        "bound of the RTW presentation, aws-lc-rs",
    ),
    figure("bound/rtw_ring", "bound of the RTW presentation, ring"),
    figure(
        "verify/rtw_check",
        "RTW presentation: full in-process check",
    ),
    figure("verify/rtw_phase_one", "RTW presentation: phase one alone"),
    figure(
        "verify/rtw_sd_jwt_vc",
        "RTW presentation: SD-JWT VC + KB-JWT alone",
    ),
    figure(
        "parts/second_presentation_pass",
        "RTW part: a second SHA-256 pass over the presentation (not made: the record's digest comes from the sd_hash pass)",
    ),
    figure(
        "parts/sd_jwt_parse",
        "RTW part: split and decode the SD-JWT+KB, parse the issuer JWT",
    ),
    figure(
        "parts/holder_key_from_cnf",
        "RTW part: holder key from cnf.jwk",
    ),
    figure(
        "parts/dcql_check",
        "RTW part: DCQL check of the processed claims",
    ),
    figure(
        "parts/conclude_with_cached_status",
        "RTW part: cached status lookup and phase two",
    ),
    figure(
        "parts/drop_processed_claims",
        "RTW part: dropping the full processed claims",
    ),
    figure(
        "bound/corpus01_aws_lc_rs",
        "bound of corpus sd-jwt-vc-examples/01, aws-lc-rs",
    ),
    figure(
        "bound/corpus01_ring",
        "bound of corpus sd-jwt-vc-examples/01, ring",
    ),
    figure(
        "corpus01/idv_sdjwt",
        "corpus 01: idv-sdjwt, every RFC 9901 + SD-JWT VC check",
    ),
    figure("corpus01/sd_jwt_rs", "corpus 01: sd-jwt-rs 0.7.1"),
    figure(
        "issuance/identity_1",
        "issuance: 1 proof + 1 identity credential",
    ),
    figure(
        "issuance/identity_batch_10",
        "issuance: 10 proofs + 10 identity credentials",
    ),
    figure(
        "trust_list/verify_and_index_10000",
        "trust list of 10,000: signature + parse + index",
    ),
    figure(
        "trust_list/lookup_issuer_key",
        "trust list of 10,000: issuer key lookup",
    ),
    figure(
        "trust_list/lookup_and_evaluate_issuer",
        "trust list of 10,000: key lookup + issuer evaluation",
    ),
    figure(
        "status_list/verify_and_inflate_1000000",
        "status list of 1,000,000: signature + inflate",
    ),
    figure(
        "status_list/inflate_1000000",
        "status list of 1,000,000: inflate alone",
    ),
    figure(
        "status_list/cached_lookup",
        "status list of 1,000,000: cached lookup",
    ),
];

/// The median (ns) of `id` when criterion measured it in this run.
fn median(out: &Path, id: &str, started: SystemTime) -> Option<f64> {
    let path = out.join(id).join("new/estimates.json");
    let fresh = fs::metadata(&path).ok()?.modified().ok()? >= started;
    if !fresh {
        return None;
    }
    let estimates: Value = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Whether criterion measured `id` in this run.
pub(crate) fn measured(out: &Path, id: &str, started: SystemTime) -> bool {
    median(out, id, started).is_some()
}

fn min(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn duration(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ratio(ns: f64, bound: Option<f64>) -> String {
    bound.map_or_else(|| "–".to_owned(), |bound| format_ratio(ns / bound))
}

/// Three decimals, or two significant digits for the tiny ratios of lookups.
fn format_ratio(r: f64) -> String {
    if r >= 0.1 {
        format!("{r:.3}")
    } else {
        format!("{r:.1e}")
    }
}

/// Prints the Markdown table of this run's medians, their ratios to the bound, the paired
/// ratios, and the targets.
pub(crate) fn print(out: &Path, started: SystemTime, paired: &PairedRatios) {
    let get = |id: &str| median(out, id, started);
    let rtw_bound = min(get("bound/rtw_aws_lc_rs"), get("bound/rtw_ring"));
    let corpus_bound = min(get("bound/corpus01_aws_lc_rs"), get("bound/corpus01_ring"));
    let measured: Vec<(&Figure, f64)> = FIGURES
        .iter()
        .filter_map(|f| get(f.id).map(|ns| (f, ns)))
        .collect();
    if measured.is_empty() {
        println!("\nNo figure was measured in this run: no ratios to report.");
        return;
    }
    let paired_ratio = |map: &std::collections::BTreeMap<&str, f64>, id: &str| {
        map.get(id)
            .map_or_else(|| "–".to_owned(), |r| format_ratio(*r))
    };
    println!("\n## Medians of this run and ratios to the bound of this run\n");
    println!(
        "Criterion medians; RTW bound = {}, corpus01 bound = {} (the faster backend's minimum \
         work). \"paired\" columns: the figure measured in alternation with the bound (median \
         of per-round ratios), the robust ratio on a shared machine.\n",
        rtw_bound.map_or_else(|| "not measured".to_owned(), duration),
        corpus_bound.map_or_else(|| "not measured".to_owned(), duration),
    );
    println!(
        "| figure | id | median | ÷ RTW bound | paired ÷ RTW bound | ÷ corpus01 bound | paired \
         ÷ corpus01 bound |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (f, ns) in &measured {
        let corpus = f.id.contains("corpus01");
        println!(
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            f.what,
            f.id,
            duration(*ns),
            ratio(*ns, rtw_bound),
            paired_ratio(&paired.to_rtw, f.id),
            if corpus {
                ratio(*ns, corpus_bound)
            } else {
                String::new()
            },
            if corpus {
                paired_ratio(&paired.to_corpus, f.id)
            } else {
                String::new()
            },
        );
    }
    println!();
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    if let Some(r) = paired.to_rtw.get("verify/rtw_check") {
        println!(
            "Target: full RTW check ≤ 1.10 × bound: paired {r:.3} ({}); criterion medians {}",
            verdict(*r <= 1.10),
            match (get("verify/rtw_check"), rtw_bound) {
                (Some(check), Some(bound)) => format!("{:.3}", check / bound),
                _ => "–".to_owned(),
            }
        );
    }
    if let Some(r) = paired.ours_to_theirs {
        println!(
            "Target: idv-sdjwt ≤ 0.90 × sd-jwt-rs on corpus01: paired {r:.3}, sd-jwt-rs takes \
             {:.2} × ours ({}); criterion medians {}",
            1.0 / r,
            verdict(r <= 0.90),
            match (get("corpus01/idv_sdjwt"), get("corpus01/sd_jwt_rs")) {
                (Some(ours), Some(theirs)) => format!("{:.3}", ours / theirs),
                _ => "–".to_owned(),
            }
        );
    }
}
