//! The `{"text": "..."}` input record, read alike by `scan --jsonl` and
//! `POST /v1/scan` so both accept and refuse the same inputs.

use serde_json::Value;

/// The `text` of one record, or why the input is not one. Other fields are
/// ignored so that callers can carry their own ids along.
pub fn text_of(json: &[u8]) -> Result<String, String> {
    let value: Value = serde_json::from_slice(json).map_err(|e| format!("invalid JSON ({e})"))?;
    match value {
        Value::Object(mut fields) => match fields.remove("text") {
            Some(Value::String(text)) => Ok(text),
            Some(_) => Err(r#"field "text" is not a string"#.to_string()),
            None => Err(r#"object has no "text" field"#.to_string()),
        },
        _ => Err(r#"expected a JSON object like {"text": "..."}"#.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::text_of;

    #[test]
    fn reads_text_and_explains_refusals() {
        assert_eq!(text_of(br#"{"text": "hi", "id": 7}"#), Ok("hi".to_string()));
        for (input, why) in [
            (&b"{"[..], "invalid JSON"),
            (b"\"hi\"", "expected a JSON object"),
            (b"{}", "no \"text\" field"),
            (br#"{"text": null}"#, "not a string"),
        ] {
            let err = text_of(input).expect_err("refused");
            assert!(err.contains(why), "{err}");
        }
    }
}
