//! cgminer's API request protocol (its `API-README` and `api.c`), for a server in front of
//! simulated miners: a request is JSON (`{"command":"summary","parameter":"…"}`, with
//! `"new_api":true` for the newer Antminer forms) or plain text (`summary|param`); `+` joins
//! report commands (`summary+pools`), each answered in its own section; every reply ends with a
//! NUL byte, after which the server closes the connection.
//!
//! Bad input gets the error reply cgminer gives, never a panic: malformed JSON (code 23), a
//! missing `command` (24), an unknown or non-string command (14), a request over
//! [`MAX_REQUEST_BYTES`] (23, saying so). This module owns the wire format only; what each
//! command answers comes from the caller.

use serde_json::{json, Map, Value};

use super::status;

/// The longest request read, bytes (cgminer reads at most half its 8 KiB buffer less one).
pub const MAX_REQUEST_BYTES: usize = 4095;

const MSG_INVALID_COMMAND: u32 = 14;
const MSG_INVALID_JSON: u32 = 23;
const MSG_MISSING_COMMAND: u32 = 24;

/// A request as cgminer understands it.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    /// The command text (possibly `+`-joined).
    command: String,
    /// JSON (reply in JSON) or text.
    json: bool,
    /// `"new_api": true` was given.
    new_api: bool,
}

fn error_json(when_unix: i64, code: u32, msg: &str) -> Value {
    json!({ "STATUS": status(when_unix, "E", code, msg), "id": 1 })
}

fn parse(request: &[u8], when_unix: i64) -> Result<Request, Value> {
    if request.len() > MAX_REQUEST_BYTES {
        let msg =
            format!("Invalid JSON: request of {} bytes is over the {MAX_REQUEST_BYTES}-byte limit", request.len());
        return Err(error_json(when_unix, MSG_INVALID_JSON, &msg));
    }
    // A trailing NUL or newline, as some clients send, is not part of the request.
    let trimmed = trim_end(request);
    let start = trimmed.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(trimmed.len());
    let trimmed = &trimmed[start..];
    if trimmed.first() != Some(&b'{') {
        let Ok(text) = std::str::from_utf8(trimmed) else {
            return Err(error_json(when_unix, MSG_INVALID_COMMAND, "Invalid command"));
        };
        let command = text.split_once('|').map_or(text, |(c, _)| c);
        return Ok(Request { command: command.to_string(), json: false, new_api: false });
    }
    let value: Value =
        serde_json::from_slice(trimmed).map_err(|_| error_json(when_unix, MSG_INVALID_JSON, "Invalid JSON"))?;
    let Some(object) = value.as_object() else {
        return Err(error_json(when_unix, MSG_INVALID_JSON, "Invalid JSON"));
    };
    match object.get("command") {
        None => Err(error_json(when_unix, MSG_MISSING_COMMAND, "Missing JSON 'command'")),
        Some(Value::String(c)) => Ok(Request {
            command: c.clone(),
            json: true,
            new_api: matches!(object.get("new_api"), Some(Value::Bool(true))),
        }),
        Some(_) => Err(error_json(when_unix, MSG_INVALID_COMMAND, "Invalid command")),
    }
}

/// The reply to a raw request, exactly as the miner's API port sends it (JSON or text, then a
/// NUL byte). `answer(command, new_api)` gives the reply of one command, `None` for a command
/// the miner does not know.
///
/// ```
/// use hcpcore::sim::telemetry::cgminer::api::respond;
/// use serde_json::json;
/// let answer = |cmd: &str, _new_api: bool| (cmd == "summary").then(|| json!({"SUMMARY": [{"Elapsed": 5}], "id": 1}));
/// let reply = respond(br#"{"command":"summary+bogus"}"#, 0, answer);
/// assert_eq!(reply.last(), Some(&0u8));
/// let v: serde_json::Value = serde_json::from_slice(&reply[..reply.len() - 1]).unwrap();
/// assert_eq!(v["summary"][0]["SUMMARY"][0]["Elapsed"], 5);
/// assert_eq!(v["bogus"][0]["STATUS"][0]["STATUS"], "E");
/// let bad = respond(b"{not json", 0, answer);
/// assert!(String::from_utf8_lossy(&bad).contains("Invalid JSON"));
/// ```
pub fn respond(request: &[u8], when_unix: i64, mut answer: impl FnMut(&str, bool) -> Option<Value>) -> Vec<u8> {
    let (reply, json) = match parse(request, when_unix) {
        // An error is answered in the request's own format.
        Err(error) => (error, request.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')),
        Ok(req) => {
            let mut one = |cmd: &str| {
                answer(cmd, req.new_api)
                    .unwrap_or_else(|| error_json(when_unix, MSG_INVALID_COMMAND, "Invalid command"))
            };
            if req.command.contains('+') {
                // Joined: each distinct, non-blank command once, in order, in its own section.
                let mut sections: Vec<(String, Value)> = Vec::new();
                for cmd in req.command.split('+').filter(|c| !c.is_empty()) {
                    if sections.iter().all(|(name, _)| name != cmd) {
                        sections.push((cmd.to_string(), one(cmd)));
                    }
                }
                if sections.is_empty() {
                    // Nothing but `+`: cgminer would send an empty reply; an error says why.
                    (error_json(when_unix, MSG_INVALID_COMMAND, "Invalid command"), req.json)
                } else if req.json {
                    let mut m = Map::new();
                    for (name, v) in sections {
                        m.insert(name, Value::Array(vec![v]));
                    }
                    m.insert("id".into(), json!(1));
                    (Value::Object(m), true)
                } else {
                    let mut text = String::new();
                    for (name, v) in &sections {
                        text.push_str("CMD=");
                        text.push_str(&escape_text(name));
                        text.push('|');
                        text.push_str(&to_text(v));
                    }
                    return finish(text.into_bytes());
                }
            } else {
                (one(&req.command), req.json)
            }
        }
    };
    if json {
        finish(reply.to_string().into_bytes())
    } else {
        finish(to_text(&reply).into_bytes())
    }
}

/// Whether the bytes received so far are a whole request, so a server can answer without waiting
/// for the client to close its side (clients such as pyasic keep it open until the reply): a
/// JSON request once it parses or can no longer become valid by reading more; a text request
/// (cgminer answers the first packet) once anything but whitespace arrived; anything over
/// [`MAX_REQUEST_BYTES`] (to be refused).
///
/// ```
/// use hcpcore::sim::telemetry::cgminer::api::is_complete;
/// assert!(!is_complete(br#"{"command":"sum"#));
/// assert!(is_complete(br#"{"command":"summary"}"#));
/// assert!(is_complete(b"{]")); // malformed: answered with an error now
/// assert!(is_complete(b"summary"));
/// assert!(!is_complete(b"  "));
/// ```
pub fn is_complete(received: &[u8]) -> bool {
    if received.len() > MAX_REQUEST_BYTES {
        return true;
    }
    match received.iter().find(|b| !b.is_ascii_whitespace()) {
        None => false,
        Some(b'{') => match serde_json::from_slice::<serde::de::IgnoredAny>(trim_end(received)) {
            Ok(_) => true,
            Err(e) => !e.is_eof(),
        },
        Some(_) => true,
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !matches!(b, b'\0' | b'\n' | b'\r' | b' ' | b'\t')).map_or(0, |e| e + 1);
    &bytes[..end]
}

fn finish(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.push(0);
    bytes
}

/// cgminer escapes the text format's separators with a backslash.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, ',' | '|' | '=' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn text_value(v: &Value) -> String {
    match v {
        Value::String(s) => escape_text(s),
        Value::Null => String::new(),
        Value::Array(items) => escape_text(&items.iter().map(text_value).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

/// A JSON reply in cgminer's text layout: `STATUS=S,When=…,Code=…,Msg=…,Description=…|` then
/// one `SECTION,key=value,…|` per item (items that carry their own index, like `POOL=0`, start
/// with it instead of the section name).
fn to_text(reply: &Value) -> String {
    let Some(obj) = reply.as_object() else {
        return String::new();
    };
    let mut out = String::new();
    let status_first = obj.get_key_value("STATUS").into_iter();
    let others = obj.iter().filter(|(k, _)| k.as_str() != "STATUS" && k.as_str() != "id");
    for (section, value) in status_first.chain(others) {
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let Some(fields) = item.as_object() else {
                continue;
            };
            let lead = ["STATUS", "POOL", "ASC", "STATS"].into_iter().find(|k| fields.contains_key(*k));
            let mut parts: Vec<String> = Vec::with_capacity(fields.len() + 1);
            match lead {
                Some(k) => parts.push(format!("{k}={}", text_value(&fields[k]))),
                None => parts.push(escape_text(section)),
            }
            for (k, v) in fields.iter().filter(|(k, _)| Some(k.as_str()) != lead) {
                parts.push(format!("{}={}", escape_text(k), text_value(v)));
            }
            out.push_str(&parts.join(","));
            out.push('|');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(cmd: &str, new_api: bool) -> Option<Value> {
        match cmd {
            "summary" => Some(json!({"STATUS": status(0, "S", 11, "Summary"), "SUMMARY": [{"Elapsed": 7}], "id": 1})),
            "stats" => Some(json!({"new_api": new_api})),
            _ => None,
        }
    }

    fn json_reply(request: &[u8]) -> Value {
        let bytes = respond(request, 42, answer);
        assert_eq!(bytes.last(), Some(&0), "NUL-terminated");
        assert!(!bytes[..bytes.len() - 1].contains(&0));
        serde_json::from_slice(&bytes[..bytes.len() - 1]).unwrap()
    }

    fn text_reply(request: &[u8]) -> String {
        let bytes = respond(request, 42, answer);
        assert_eq!(bytes.last(), Some(&0));
        String::from_utf8(bytes[..bytes.len() - 1].to_vec()).unwrap()
    }

    #[test]
    fn single_joined_and_new_api_requests() {
        assert_eq!(json_reply(br#"{"command":"summary"}"#)["SUMMARY"][0]["Elapsed"], 7);
        assert_eq!(json_reply(br#"{"command":"stats","new_api":true}"#)["new_api"], true);
        assert_eq!(json_reply(br#"{"command":"stats","new_api":"yes"}"#)["new_api"], false);
        assert_eq!(json_reply(b"{\"command\":\"stats\"}\n\0")["new_api"], false);
        let joined = json_reply(br#"{"command":"summary+stats+summary++","parameter":"0"}"#);
        assert_eq!(joined["summary"][0]["SUMMARY"][0]["Elapsed"], 7);
        assert!(joined["stats"].is_array());
        assert_eq!(joined["id"], 1);
        assert_eq!(joined.as_object().unwrap().len(), 3, "duplicates and blanks dropped");
    }

    #[test]
    fn bad_requests_get_error_replies() {
        let code = |v: &Value| (v["STATUS"][0]["STATUS"].clone(), v["STATUS"][0]["Code"].as_u64().unwrap());
        assert_eq!(code(&json_reply(b"{\"command\":")), (json!("E"), 23));
        assert_eq!(code(&json_reply(b"{}")), (json!("E"), 24));
        assert_eq!(code(&json_reply(br#"{"command":5}"#)), (json!("E"), 14));
        assert_eq!(code(&json_reply(br#"{"command":"restart"}"#)), (json!("E"), 14));
        let huge = format!("{{\"command\":\"summary\",\"parameter\":\"{}\"}}", "x".repeat(MAX_REQUEST_BYTES));
        let v = json_reply(huge.as_bytes());
        assert_eq!(code(&v), (json!("E"), 23));
        assert!(v["STATUS"][0]["Msg"].as_str().unwrap().contains("limit"));
        assert_eq!(code(&json_reply(&[b'{', 0xff, 0xfe, b'}'])), (json!("E"), 23));
        let joined = json_reply(br#"{"command":"summary+bogus"}"#);
        assert_eq!(joined["bogus"][0]["STATUS"][0]["Code"], 14);
        assert_eq!(code(&json_reply(br#"{"command":"++"}"#)), (json!("E"), 14), "no command at all");
    }

    #[test]
    fn text_requests_get_text_replies() {
        let t = text_reply(b"summary");
        assert!(t.starts_with("STATUS=S,"), "{t}");
        assert!(t.contains("|SUMMARY,Elapsed=7|"), "{t}");
        let t = text_reply(b"summary|0");
        assert!(t.contains("SUMMARY,Elapsed=7"), "{t}");
        let t = text_reply(b"summary+bogus");
        assert!(t.starts_with("CMD=summary|STATUS=S,") && t.contains("CMD=bogus|STATUS=E,"), "{t}");
        assert!(text_reply(b"bogus").starts_with("STATUS=E,"));
        assert!(text_reply(&[0xff, 0xfe]).starts_with("STATUS=E,"));
        assert!(text_reply(b"").starts_with("STATUS=E,"));
        assert!(text_reply(b"+").starts_with("STATUS=E,"));
        assert!(text_reply(b"[1,2]").contains("Invalid command"), "not an object: a text command");
        assert!(text_reply("x".repeat(MAX_REQUEST_BYTES + 1).as_bytes()).contains("limit"));
    }
}
