//! A strict parser of the Prometheus text exposition format 0.0.4, as `/metrics` must answer
//! it: `# HELP` / `# TYPE` lines, samples `name{label="value",…} value`, escapes in label
//! values (`\\`, `\"`, `\n`), at most one `# TYPE` per family and before its samples, no
//! duplicate series, histogram buckets cumulative with `le="+Inf"` equal to `_count`. Any other
//! line fails the test.

use std::collections::{BTreeMap, BTreeSet};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
}

/// A parsed scrape.
#[derive(Debug, Clone)]
pub(crate) struct Scrape {
    pub(crate) samples: Vec<Sample>,
    /// `# TYPE` of each family.
    pub(crate) types: BTreeMap<String, String>,
    /// `# HELP` of each family.
    pub(crate) help: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses `text`, panicking with the offending line on anything outside the format.
    pub(crate) fn parse(text: &str) -> Self {
        let mut types = BTreeMap::new();
        let mut help = BTreeMap::new();
        let mut samples: Vec<Sample> = Vec::new();
        let mut series = BTreeSet::new();
        let mut seen_families = BTreeSet::new();
        for (number, line) in text.lines().enumerate() {
            let fail = |why: &str| -> ! { panic!("line {}: {why}: {line:?}", number + 1) };
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (kind, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if !is_metric_name(name) {
                    fail("bad metric name in a comment");
                }
                match kind {
                    "TYPE" => {
                        let ty = parts.next().unwrap_or("");
                        if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&ty) {
                            fail("unknown type");
                        }
                        if seen_families.contains(name)
                            || types.insert(name.to_owned(), ty.to_owned()).is_some()
                        {
                            fail("# TYPE after samples or twice");
                        }
                    }
                    "HELP" => {
                        help.insert(name.to_owned(), parts.next().unwrap_or("").to_owned());
                    }
                    _ => fail("a comment that is neither # HELP nor # TYPE"),
                }
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let sample = parse_sample(line).unwrap_or_else(|why| fail(&why));
            seen_families.insert(family(&sample.name, &types).to_owned());
            let key = (sample.name.clone(), sample.labels.clone());
            if !series.insert(format!("{key:?}")) {
                fail("duplicate series");
            }
            samples.push(sample);
        }
        let scrape = Self {
            samples,
            types,
            help,
        };
        scrape.check_histograms();
        scrape
    }

    /// The sum of the samples named `name` whose labels include every pair of `labels`.
    pub(crate) fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    /// The samples named `name` whose labels include every pair of `labels`.
    pub(crate) fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v))
        })
    }

    /// Every label value of every sample.
    pub(crate) fn label_values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.samples
            .iter()
            .flat_map(|s| s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    fn check_histograms(&self) {
        for (name, ty) in &self.types {
            if ty != "histogram" {
                continue;
            }
            let bucket = format!("{name}_bucket");
            let count = format!("{name}_count");
            for total in self.samples.iter().filter(|s| s.name == count) {
                let mut buckets: Vec<(f64, f64)> = self
                    .samples
                    .iter()
                    .filter(|s| {
                        s.name == bucket && {
                            let mut labels = s.labels.clone();
                            labels.remove("le");
                            labels == total.labels
                        }
                    })
                    .map(|s| (parse_value(&s.labels["le"]).unwrap(), s.value))
                    .collect();
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                assert!(
                    !buckets.is_empty(),
                    "{name}: no buckets for {:?}",
                    total.labels
                );
                assert!(
                    buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                    "{name}: buckets not cumulative: {buckets:?}"
                );
                let last = buckets.last().unwrap();
                assert!(last.0.is_infinite(), "{name}: no le=\"+Inf\" bucket");
                assert_eq!(last.1, total.value, "{name}: +Inf bucket != _count");
            }
        }
    }
}

/// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it.
fn family<'a>(name: &'a str, types: &BTreeMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types
                .get(base)
                .is_some_and(|t| t == "histogram" || t == "summary")
        {
            return base;
        }
    }
    name
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| format!("bad value {text:?}")),
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or_else(|| "no value".to_owned())?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err("bad metric name".into());
    }
    let mut labels = BTreeMap::new();
    let bytes = line.as_bytes();
    let mut i = name_end;
    if bytes[i] == b'{' {
        i += 1;
        while bytes.get(i) != Some(&b'}') {
            let eq = line[i..]
                .find('=')
                .ok_or_else(|| "label without =".to_owned())?
                + i;
            let label = &line[i..eq];
            if !is_label_name(label) {
                return Err(format!("bad label name {label:?}"));
            }
            if bytes.get(eq + 1) != Some(&b'"') {
                return Err("label value not quoted".into());
            }
            i = eq + 2;
            let mut value = String::new();
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated label value".into()),
                    Some(b'\\') => {
                        value.push(match bytes.get(i + 1) {
                            Some(b'\\') => '\\',
                            Some(b'"') => '"',
                            Some(b'n') => '\n',
                            _ => return Err("bad escape".into()),
                        });
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let c = line[i..].chars().next().unwrap_or_default();
                        value.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            if labels.insert(label.to_owned(), value).is_some() {
                return Err(format!("label {label} twice"));
            }
            match bytes.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {}
                _ => return Err("expected , or } after a label".into()),
            }
        }
        i += 1;
    }
    let rest = &line[i..];
    let mut fields = rest
        .strip_prefix(' ')
        .ok_or_else(|| "no space before the value".to_owned())?
        .split(' ');
    let value = parse_value(fields.next().unwrap_or(""))?;
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .map_err(|_| format!("bad timestamp {timestamp:?}"))?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

#[test]
fn the_parser_reads_the_format_and_refuses_what_is_not() {
    let scrape = Scrape::parse(
        "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 3\n\
         # TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n\
         g 1.5e3 1700000000000\n",
    );
    assert_eq!(scrape.sum("x_total", &[("a", "1")]), 3.0);
    assert_eq!(
        scrape.matching("x_total", &[]).next().unwrap().labels["b"],
        "q\"\\\n"
    );
    assert_eq!(scrape.sum("g", &[]), 1500.0);
    assert_eq!(scrape.help["x_total"], "Things.");
    for bad in [
        "x 1 2 3\n",
        "x{a=1} 1\n",
        "x{a=\"1\" 1\n",
        "x{a=\"1\",a=\"2\"} 1\n",
        "1x 1\n",
        "x one\n",
        "# TYPE x bogus\n",
        "x 1\nx 2\n",
        "x 1\n# TYPE x counter\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| Scrape::parse(bad)).is_err(),
            "accepted {bad:?}"
        );
    }
}
