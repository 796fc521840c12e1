//! Digests and encodings: hash, checksum, md5, sha1, password_hash, b64encode/decode.

use base64::Engine;
use md5::Md5;
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::{add, kw, text_of};
use crate::error::op_err;
use crate::sha512crypt::{self, Algo};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "hash", hash);
    add(env, "checksum", checksum);
    add(env, "md5", md5_filter);
    add(env, "sha1", sha1_filter);
    add(env, "password_hash", password_hash);
    add(env, "b64encode", b64encode);
    add(env, "b64decode", b64decode);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn digest_hex(algo: &str, data: &[u8]) -> Option<String> {
    Some(match algo {
        "md5" => hex(&Md5::digest(data)),
        "sha1" => hex(&Sha1::digest(data)),
        "sha224" => hex(&Sha224::digest(data)),
        "sha256" => hex(&Sha256::digest(data)),
        "sha384" => hex(&Sha384::digest(data)),
        "sha512" => hex(&Sha512::digest(data)),
        _ => return None,
    })
}

fn hash(v: &Value, algo: Option<String>) -> Result<String, Error> {
    let algo = algo.unwrap_or_else(|| "sha1".to_string());
    let text = text_of(v)?;
    digest_hex(&algo, text.as_bytes())
        .ok_or_else(|| op_err(format!("unsupported hash type {algo}")))
}

fn checksum(v: &Value) -> Result<String, Error> {
    hash(v, None)
}

fn md5_filter(v: &Value) -> Result<String, Error> {
    hash(v, Some("md5".into()))
}

fn sha1_filter(v: &Value) -> Result<String, Error> {
    hash(v, None)
}

fn password_hash(
    v: &Value,
    hashtype: Option<String>,
    salt: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let hashtype = match hashtype {
        Some(h) => h,
        None => kw(&kwargs, "hashtype", "sha512".to_string())?,
    };
    let salt = match salt {
        Some(s) => Some(s),
        None => kwargs.get::<Option<Value>>("salt")?,
    };
    let salt_size: Option<usize> = kwargs.get("salt_size")?;
    let rounds: Option<u32> = kwargs.get("rounds")?;
    let ident: Option<String> = kwargs.get("ident")?;
    kwargs.assert_all_used()?;
    let _ = ident;
    let algo = match hashtype.as_str() {
        "sha512" | "sha512_crypt" => Algo::Sha512,
        "sha256" | "sha256_crypt" => Algo::Sha256,
        other => {
            return Err(op_err(format!(
                "password_hash: unsupported hash type '{other}' (sha512 and sha256 are)"
            )))
        }
    };
    let salt = match salt.filter(|s| !s.is_none()) {
        Some(s) => {
            let s = text_of(&s)?;
            if !s.chars().all(sha512crypt::is_salt_char) {
                return Err(op_err("invalid characters in salt"));
            }
            s
        }
        None => sha512crypt::random_salt(salt_size.unwrap_or(16).min(16)),
    };
    let secret = text_of(v)?;
    Ok(sha512crypt::crypt(algo, secret.as_bytes(), &salt, rounds))
}

fn b64encode(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let _ = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(text_of(v)?.as_bytes()))
}

fn b64decode(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let _ = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned.trim_end_matches('=').as_bytes())
        })
        .map_err(|e| op_err(format!("b64decode: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
