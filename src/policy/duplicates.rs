//! Duplicate keys in a JSON text (`{"Effect":"Deny","Effect":"Allow"}`).
//! A JSON parser keeps one of them silently, so a document could mean
//! something else to ctmigrate than to its author; the policy parser and the
//! `policy eval` cases refuse such a text instead. No I/O.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key that appears twice in one object of `text`, with the
/// object's path (`$.Statement[0]`); `None` when there is none or the text
/// is not JSON (the caller's parser reports that).
pub fn duplicate_key(text: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut found = None;
    let _ = Walk {
        path: "$".into(),
        found: &mut found,
    }
    .deserialize(&mut de);
    found
}

struct Walk<'a> {
    path: String,
    found: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.found.is_none() && !keys.insert(key.clone()) {
                *self.found = Some(format!("key `{key}` appears twice in {}", self.path));
            }
            map.next_value_seed(Walk {
                path: format!("{}.{key}", self.path),
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Walk {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_named_with_its_object() {
        assert_eq!(
            duplicate_key(r#"{"Statement":[{"Effect":"Deny","Effect":"Allow"}]}"#).as_deref(),
            Some("key `Effect` appears twice in $.Statement[0]")
        );
        assert_eq!(duplicate_key(r#"{"a":{"b":1},"c":{"b":2}}"#), None);
        assert_eq!(duplicate_key("[1,2,{\"x\":[]}]"), None);
        assert_eq!(duplicate_key("not json"), None);
        // Deep nesting stops at serde_json's recursion limit, without a panic.
        assert_eq!(
            duplicate_key(&("[".repeat(100_000) + &"]".repeat(100_000))),
            None
        );
    }
}
