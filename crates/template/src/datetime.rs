//! `now(utc=False, fmt=None)`: Ansible's template global. With `fmt` it is the time
//! formatted by `strftime`; without, a datetime object that prints as Python's does
//! (`2026-11-24 02:30:00.123456`) and has its fields and `strftime`/`isoformat`.

use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime, Timelike};
use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, State, Value};

use crate::error::op_err;
use crate::filters::kw;

pub(crate) const FUNCTION: &str = "now";

pub(crate) fn now(kwargs: Kwargs) -> Result<Value, Error> {
    let utc: bool = kw(&kwargs, "utc", false)?;
    let fmt: Option<String> = kwargs.get("fmt")?;
    kwargs.assert_all_used()?;
    let at = match utc {
        true => chrono::Utc::now().naive_utc(),
        false => chrono::Local::now().naive_local(),
    };
    match fmt {
        Some(fmt) => Ok(Value::from(strftime(&at, &fmt)?)),
        None => Ok(Value::from_object(DateTime(at))),
    }
}

fn strftime(at: &NaiveDateTime, fmt: &str) -> Result<String, Error> {
    use std::fmt::Write;
    let mut out = String::new();
    write!(out, "{}", at.format(fmt)).map_err(|_| op_err(format!("invalid format '{fmt}'")))?;
    Ok(out)
}

#[derive(Debug)]
struct DateTime(NaiveDateTime);

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S%.6f"))
    }
}

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let t = &self.0;
        let v: i64 = match key.as_str()? {
            "year" => t.year().into(),
            "month" => t.month().into(),
            "day" => t.day().into(),
            "hour" => t.hour().into(),
            "minute" => t.minute().into(),
            "second" => t.second().into(),
            "microsecond" => (t.nanosecond() / 1000).into(),
            _ => return None,
        };
        Some(Value::from(v))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let (fmt,): (String,) = from_args(args)?;
                Ok(Value::from(strftime(&self.0, &fmt)?))
            }
            "isoformat" => Ok(Value::from(
                self.0.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            )),
            "timestamp" => Ok(Value::from(
                self.0.and_utc().timestamp_micros() as f64 / 1e6,
            )),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
