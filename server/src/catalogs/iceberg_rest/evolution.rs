//! Columns bound to Iceberg field ids: a renamed field keeps feeding its column, while a
//! dropped or added field stops the sync with a message naming it, never a silent null.

use std::collections::{BTreeMap, BTreeSet};

use iceberg::spec::Schema;

/// Which Iceberg field feeds each Lakeport column, for one onboarded table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldBindings {
    /// The table's UUID at onboarding: another one means it was dropped and re-created.
    pub table_uuid: String,
    /// Lakeport column → Iceberg top-level field id.
    pub columns: BTreeMap<String, i32>,
    /// Every top-level field id the Iceberg schema had when the columns were chosen.
    pub known_field_ids: BTreeSet<i32>,
}

fn top_level(schema: &Schema) -> BTreeMap<i32, &str> {
    schema
        .as_struct()
        .fields()
        .iter()
        .map(|f| (f.id, f.name.as_str()))
        .collect()
}

fn id_named(fields: &BTreeMap<i32, &str>, column: &str) -> Option<i32> {
    fields
        .iter()
        .find(|(_, name)| **name == column)
        .map(|(id, _)| *id)
}

impl FieldBindings {
    /// At onboarding each column binds to the top-level field of the same name.
    pub fn onboard(
        table_uuid: String,
        schema: &Schema,
        columns: &[String],
    ) -> Result<Self, String> {
        let fields = top_level(schema);
        let mut bound = BTreeMap::new();
        for column in columns {
            let id = id_named(&fields, column).ok_or_else(|| {
                format!("field '{column}' is not a top-level column of the Iceberg table")
            })?;
            bound.insert(column.clone(), id);
        }
        Ok(Self {
            table_uuid,
            columns: bound,
            known_field_ids: fields.keys().copied().collect(),
        })
    }

    /// The bindings for a run against the table's `current` schema, and notes about
    /// renamed fields. Columns added to the Lakeport schema since onboarding bind by
    /// name; a bound field that is gone, or a field the table gained that no column
    /// takes, is an error naming it and saying how to carry on.
    pub fn rebind(
        &self,
        current: &Schema,
        columns: &[String],
        table: &str,
        schema_name: &str,
    ) -> Result<(Self, Vec<String>), String> {
        let fields = top_level(current);
        let mut bound = BTreeMap::new();
        let mut notes = Vec::new();
        for column in columns {
            let id = match self.columns.get(column) {
                Some(id) => *id,
                None => id_named(&fields, column).ok_or_else(|| {
                        format!(
                            "column '{column}' of schema '{schema_name}' is not a field of the Iceberg table {table}"
                        )
                    })?,
            };
            match fields.get(&id) {
                None => {
                    return Err(format!(
                        "field '{column}' (field id {id}) was dropped from the Iceberg table {table}; Lakeport does not fill a column with nulls silently: remove '{column}' from schema '{schema_name}' (POST /schemas) to carry on without it"
                    ));
                }
                Some(name) if *name != column.as_str() => notes.push(format!(
                    "Iceberg field id {id} is now named '{name}'; it keeps loading into column '{column}'"
                )),
                Some(_) => {}
            }
            bound.insert(column.clone(), id);
        }
        let taken: BTreeSet<i32> = bound.values().copied().collect();
        let added: Vec<String> = fields
            .iter()
            .filter(|(id, _)| !self.known_field_ids.contains(id) && !taken.contains(id))
            .map(|(id, name)| format!("'{name}' (field id {id})"))
            .collect();
        if !added.is_empty() {
            return Err(format!(
                "the Iceberg table {table} gained {} since it was onboarded: {}; add {} to schema '{schema_name}' (POST /schemas) so nothing is left out, then sync again",
                if added.len() == 1 {
                    "a field"
                } else {
                    "fields"
                },
                added.join(", "),
                if added.len() == 1 { "it" } else { "them" },
            ));
        }
        Ok((
            Self {
                table_uuid: self.table_uuid.clone(),
                columns: bound,
                known_field_ids: self.known_field_ids.union(&taken).copied().collect(),
            },
            notes,
        ))
    }

    /// `(column, field id)` in the order of `columns`: the projection a read uses.
    pub fn projection(&self, columns: &[String]) -> Vec<(String, i32)> {
        columns
            .iter()
            .filter_map(|c| self.columns.get(c).map(|id| (c.clone(), *id)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use iceberg::spec::{NestedField, PrimitiveType, Type};

    use super::*;

    fn schema(fields: &[(i32, &str)]) -> Schema {
        Schema::builder()
            .with_fields(fields.iter().map(|(id, name)| {
                NestedField::optional(*id, *name, Type::Primitive(PrimitiveType::Long)).into()
            }))
            .build()
            .unwrap()
    }

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_renamed_field_keeps_feeding_its_column() {
        let onboarded = FieldBindings::onboard(
            "u".into(),
            &schema(&[(1, "id"), (4, "city")]),
            &columns(&["id", "city"]),
        )
        .unwrap();
        let (bound, notes) = onboarded
            .rebind(
                &schema(&[(1, "id"), (4, "town")]),
                &columns(&["id", "city"]),
                "lake.t",
                "t",
            )
            .unwrap();
        assert_eq!(
            bound.projection(&columns(&["id", "city"])),
            vec![("id".into(), 1), ("city".into(), 4)]
        );
        assert!(notes[0].contains("'town'"), "{notes:?}");
    }

    #[test]
    fn dropped_and_added_fields_are_named() {
        let onboarded = FieldBindings::onboard(
            "u".into(),
            &schema(&[(1, "id"), (4, "city")]),
            &columns(&["id", "city"]),
        )
        .unwrap();
        let err = onboarded
            .rebind(
                &schema(&[(1, "id")]),
                &columns(&["id", "city"]),
                "lake.t",
                "t",
            )
            .unwrap_err();
        assert!(err.contains("'city' (field id 4) was dropped"), "{err}");
        let err = onboarded
            .rebind(
                &schema(&[(1, "id"), (4, "city"), (5, "note")]),
                &columns(&["id", "city"]),
                "lake.t",
                "t",
            )
            .unwrap_err();
        assert!(err.contains("'note' (field id 5)"), "{err}");
        // Once the schema takes the new field, it binds by name.
        let (bound, _) = onboarded
            .rebind(
                &schema(&[(1, "id"), (4, "city"), (5, "note")]),
                &columns(&["id", "city", "note"]),
                "lake.t",
                "t",
            )
            .unwrap();
        assert_eq!(bound.columns["note"], 5);
        assert!(bound.known_field_ids.contains(&5));
    }

    #[test]
    fn a_field_left_out_at_onboarding_is_not_news() {
        let onboarded = FieldBindings::onboard(
            "u".into(),
            &schema(&[(1, "id"), (2, "part")]),
            &columns(&["id"]),
        )
        .unwrap();
        assert!(
            onboarded
                .rebind(
                    &schema(&[(1, "id"), (2, "part")]),
                    &columns(&["id"]),
                    "lake.t",
                    "t"
                )
                .is_ok()
        );
    }
}
