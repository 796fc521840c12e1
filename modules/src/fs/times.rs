//! `modification_time` / `access_time` of the file module: `preserve`, `now`, or a
//! time in the given strftime format, read in the host's local time zone (the host's
//! `date` converts it to seconds since the epoch in the same probe).

use chrono::NaiveDateTime;
use drover_connection::quote;

use super::probe::{Answers, Script};
use crate::{Args, ModuleError};

#[derive(Debug, Clone, PartialEq)]
pub enum TimeSpec {
    Preserve,
    Now,
    /// "YYYY-MM-DD hh:mm:ss" for the host's `date -d`.
    At(String),
}

impl TimeSpec {
    /// The option `name` (with `name_format`); unset means `default`.
    pub fn from_args(args: &Args, name: &str, default: TimeSpec) -> Result<TimeSpec, ModuleError> {
        let Some(value) = args.str(name)? else {
            return Ok(default);
        };
        match value.as_str() {
            "preserve" => Ok(TimeSpec::Preserve),
            "now" => Ok(TimeSpec::Now),
            v => {
                let format = args
                    .str(&format!("{name}_format"))?
                    .unwrap_or_else(|| "%Y%m%d%H%M.%S".into());
                let t = NaiveDateTime::parse_from_str(v, &format).map_err(|e| {
                    ModuleError::Failed(format!(
                        "Error while obtaining timestamp for time {v} using format {format}: {e}"
                    ))
                })?;
                Ok(TimeSpec::At(t.format("%Y-%m-%d %H:%M:%S").to_string()))
            }
        }
    }

    pub fn probe(&self, key: &str, s: &mut Script) {
        if let TimeSpec::At(t) = self {
            s.capture(key, &format!("date -d {} +%s", quote(t)));
        }
    }
}

/// What to do about a path's times, decided from the probe.
#[derive(Debug, Clone, Default)]
pub struct TimePlan {
    /// `touch` flags and the times set, for the diff; empty: nothing to do.
    pub cmds: Vec<String>,
    pub mtime: Option<f64>,
    pub atime: Option<f64>,
}

/// Decide the time updates for `path` currently at (`mtime`, `atime`); `now` is the
/// controller's clock for the diff, as Ansible reports time.time().
pub fn plan(
    path: &str,
    m: &TimeSpec,
    a: &TimeSpec,
    (mtime, atime): (f64, f64),
    answers: &Answers,
    now: f64,
) -> TimePlan {
    let p = quote(path);
    let epoch = |key: &str| answers.text(key).trim().parse::<f64>().ok();
    if *m == TimeSpec::Now && *a == TimeSpec::Now {
        return TimePlan {
            cmds: vec![format!("touch -c -- {p}")],
            mtime: Some(now),
            atime: Some(now),
        };
    }
    let target = |spec: &TimeSpec, key: &str| match spec {
        TimeSpec::Preserve => None,
        TimeSpec::Now => Some(now),
        TimeSpec::At(_) => epoch(key),
    };
    let (want_m, want_a) = (target(m, "mtime_at"), target(a, "atime_at"));
    let mut plan = TimePlan::default();
    if let Some(t) = want_m.filter(|t| *t != mtime) {
        plan.cmds.push(touch("-m", m, t, &p));
        plan.mtime = Some(t);
    }
    if let Some(t) = want_a.filter(|t| *t != atime) {
        plan.cmds.push(touch("-a", a, t, &p));
        plan.atime = Some(t);
    }
    plan
}

fn touch(flag: &str, spec: &TimeSpec, t: f64, p: &str) -> String {
    match spec {
        TimeSpec::Now => format!("touch -c {flag} -- {p}"),
        _ => format!("touch -c {flag} -d @{} -- {p}", t as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_python_formats() {
        let args = Args::new(
            json!({"modification_time": "202401021304.05", "access_time": "now"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            TimeSpec::from_args(&args, "modification_time", TimeSpec::Preserve).unwrap(),
            TimeSpec::At("2024-01-02 13:04:05".into())
        );
        assert_eq!(
            TimeSpec::from_args(&args, "access_time", TimeSpec::Preserve).unwrap(),
            TimeSpec::Now
        );
        let plan = plan(
            "/f",
            &TimeSpec::At("x".into()),
            &TimeSpec::Preserve,
            (10.0, 10.0),
            &Answers::parse(b"mtime_at\x0020\n\0"),
            99.0,
        );
        assert_eq!(plan.cmds, vec!["touch -c -m -d @20 -- /f"]);
    }
}
